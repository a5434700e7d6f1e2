package dev.keyward.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.keycloak.authorization.client.AuthzClient;
import org.keycloak.authorization.client.util.HttpResponseException;
import org.keycloak.representations.AccessTokenResponse;

/**
 * Keycloak's client-side authenticator (org.keycloak:keycloak-authz-client, whose provider
 * classes come from keycloak-client-common-synced) on a keycloak.json Keyward generated,
 * unchanged: {@code AuthzClient.create(InputStream)}, then {@code obtainAccessToken()}, which
 * authenticates the client with what the file's "credentials" say (secret, or jwt with a
 * keystore; a "classpath:" keystore is looked up on this program's class path).
 *
 * <p>Usage: {@code AuthzToken KEYCLOAK_JSON}. Prints one JSON line (the token's type, expiry,
 * JOSE header and claims) and exits 0; on failure prints the step, the exception, the answer and
 * the last HTTP exchanges on stderr and exits 1.
 */
public final class AuthzToken {
    static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: AuthzToken KEYCLOAK_JSON");
            System.exit(64);
        }
        HttpTrace.install();
        ObjectNode out = JSON.createObjectNode();
        String stepName = "AuthzClient.create";
        try {
            AuthzClient authz;
            try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
                authz = AuthzClient.create(in);
            }
            out.put("token_endpoint", authz.getServerConfiguration().getTokenEndpoint());
            stepName = "obtainAccessToken";
            HttpTrace.clear();
            AccessTokenResponse t = authz.obtainAccessToken();
            out.put("token_type", t.getTokenType());
            out.put("expires_in", t.getExpiresIn());
            String[] parts = t.getToken().split("\\.");
            Base64.Decoder d = Base64.getUrlDecoder();
            out.set("header", JSON.readTree(new String(d.decode(parts[0]), StandardCharsets.UTF_8)));
            JsonNode claims = JSON.readTree(new String(d.decode(parts[1]), StandardCharsets.UTF_8));
            out.set("claims", claims);
            System.out.println(out);
        } catch (Throwable e) {
            StringBuilder m = new StringBuilder();
            m.append("keycloak-authz-client step `").append(stepName).append("` failed: ").append(e);
            for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
                m.append("\n  caused by: ").append(c);
                if (c instanceof HttpResponseException h) {
                    m.append("\n  Keyward answered ").append(h.getStatusCode()).append(' ')
                            .append(h.getReasonPhrase()).append(": ")
                            .append(h.getBytes() == null ? "" : new String(h.getBytes(), StandardCharsets.UTF_8));
                }
            }
            if (e instanceof HttpResponseException h) {
                m.append("\n  Keyward answered ").append(h.getStatusCode()).append(' ')
                        .append(h.getReasonPhrase()).append(": ")
                        .append(h.getBytes() == null ? "" : new String(h.getBytes(), StandardCharsets.UTF_8));
            }
            m.append("\n  last HTTP exchanges (Apache HttpClient wire log):\n").append(HttpTrace.dump());
            System.err.println(m);
            out.put("failed", stepName);
            out.put("error", String.valueOf(e));
            System.out.println(out);
            System.exit(1);
        }
    }
}
