package dev.keyward.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.ws.rs.NotAuthorizedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jboss.resteasy.plugins.providers.multipart.MultipartFormDataOutput;
import org.keycloak.OAuth2Constants;
import org.keycloak.admin.client.CreatedResponseUtil;
import org.keycloak.admin.client.Keycloak;
import org.keycloak.admin.client.KeycloakBuilder;
import org.keycloak.admin.client.resource.ClientAttributeCertificateResource;
import org.keycloak.admin.client.resource.ClientResource;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.representations.KeyStoreConfig;
import org.keycloak.representations.idm.AdminEventRepresentation;
import org.keycloak.representations.idm.CertificateRepresentation;
import org.keycloak.representations.idm.ClientRepresentation;
import org.keycloak.representations.idm.CredentialRepresentation;
import org.keycloak.representations.idm.RealmRepresentation;

/**
 * Keycloak's Java admin client (org.keycloak:keycloak-admin-client) against Keyward, unchanged:
 * the full automation flow of issue 18, each step through the library's own API.
 *
 * <p>Usage: {@code AdminFlow BASE_URL ADMIN_CLIENT_ID ADMIN_CLIENT_SECRET CERT_PEM_FILE [--keep-going]}
 *
 * <p>Prints one JSON line (every step's result) on stdout and exits 0 when every step passed.
 * On the first failure it prints the JSON so far (with "failed"), and on stderr the step, the
 * exception, the status and body Keyward answered and the last HTTP exchanges on the wire, then
 * exits 1. With --keep-going it runs every step and lists all failures (for diagnosis).
 */
public final class AdminFlow {
    static final String REALM = "java-realm";
    static final String CLIENT_ID = "java-client";
    static final ObjectMapper JSON = new ObjectMapper();
    static final ObjectNode OUT = JSON.createObjectNode();
    static final List<String> FAILURES = new ArrayList<>();
    static boolean keepGoing;

    @FunctionalInterface
    interface Body<T> {
        T run() throws Exception;
    }

    /** A step whose failure is a finding. Returns null (with --keep-going) when it failed. */
    static <T> T step(String name, Body<T> body) {
        HttpTrace.clear();
        try {
            T v = body.run();
            OUT.set(name, v == null ? JSON.getNodeFactory().textNode("ok") : JSON.valueToTree(v));
            return v;
        } catch (Throwable e) {
            fail(name, e);
            return null;
        }
    }

    /** A step that must throw {@code expected}; records the HTTP status it carried. */
    static void expect(String name, Class<? extends Throwable> expected, Body<?> body) {
        step(name, () -> {
            try {
                Object v = body.run();
                throw new AssertionError("expected " + expected.getSimpleName() + ", got a result: " + v);
            } catch (Throwable e) {
                if (!expected.isInstance(e)) throw e;
                Map<String, Object> r = new TreeMap<>();
                r.put("exception", e.getClass().getSimpleName());
                if (e instanceof WebApplicationException w) r.put("status", w.getResponse().getStatus());
                return r;
            }
        });
    }

    static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }

    static void fail(String name, Throwable e) {
        StringBuilder m = new StringBuilder();
        m.append("keycloak-admin-client step `").append(name).append("` failed: ").append(e);
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            m.append("\n  caused by: ").append(c);
        }
        if (e instanceof WebApplicationException w) {
            Response r = w.getResponse();
            m.append("\n  Keyward answered ").append(r.getStatus());
            try {
                r.bufferEntity();
                m.append(": ").append(r.readEntity(String.class));
            } catch (Exception ignored) {
                // The proxy may have read the body already.
            }
        }
        m.append("\n  last HTTP exchanges (Apache HttpClient wire log):\n").append(HttpTrace.dump());
        System.err.println(m);
        FAILURES.add(name + ": " + e);
        if (!keepGoing) {
            OUT.put("failed", name);
            OUT.put("error", String.valueOf(e));
            System.out.println(OUT);
            System.out.flush();
            System.exit(1);
        }
    }

    /** client_credentials at Keyward's token endpoint with client_secret_basic; the status. */
    static int tokenStatus(HttpClient http, String base, String realm, String id, String secret) throws Exception {
        String basic = Base64.getEncoder().encodeToString(
                (form(id) + ":" + form(secret)).getBytes(StandardCharsets.UTF_8));
        HttpRequest req = HttpRequest.newBuilder(
                        URI.create(base + "/realms/" + realm + "/protocol/openid-connect/token"))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Basic " + basic)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))
                .build();
        HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
        return res.statusCode();
    }

    static String form(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static Map<String, Object> cert(CertificateRepresentation c) {
        Map<String, Object> r = new TreeMap<>();
        r.put("certificate_len", c.getCertificate() == null ? 0 : c.getCertificate().length());
        r.put("kid", c.getKid());
        r.put("has_private_key", c.getPrivateKey() != null);
        r.put("has_public_key", c.getPublicKey() != null);
        return r;
    }

    /** Subject and serial of a base64 DER certificate, for messages. */
    static String describe(String b64) {
        if (b64 == null) return "none";
        try {
            X509Certificate x = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(b64)));
            return x.getSubjectX500Principal() + " serial " + x.getSerialNumber().toString(16);
        } catch (Exception e) {
            return "unreadable (" + e + ")";
        }
    }

    static Map<String, Object> secretInfo(CredentialRepresentation s) {
        return Map.of("type", String.valueOf(s.getType()), "value_length", s.getValue() == null ? 0 : s.getValue().length());
    }

    static String certB64(X509Certificate c) throws Exception {
        return Base64.getEncoder().encodeToString(c.getEncoded());
    }

    static MultipartFormDataOutput multipart(String format, byte[] file, String fileName, String alias,
                                             String storePassword, String keyPassword) {
        MultipartFormDataOutput o = new MultipartFormDataOutput();
        o.addFormData("keystoreFormat", format, MediaType.TEXT_PLAIN_TYPE);
        if (alias != null) o.addFormData("keyAlias", alias, MediaType.TEXT_PLAIN_TYPE);
        if (storePassword != null) o.addFormData("storePassword", storePassword, MediaType.TEXT_PLAIN_TYPE);
        if (keyPassword != null) o.addFormData("keyPassword", keyPassword, MediaType.TEXT_PLAIN_TYPE);
        o.addFormData("file", file, MediaType.APPLICATION_OCTET_STREAM_TYPE, fileName);
        return o;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: AdminFlow BASE_URL ADMIN_CLIENT_ID ADMIN_CLIENT_SECRET CERT_PEM_FILE [--keep-going]");
            System.exit(64);
        }
        String base = args[0].replaceAll("/+$", "");
        String adminId = args[1], adminSecret = args[2];
        byte[] certPem = Files.readAllBytes(Path.of(args[3]));
        keepGoing = args.length > 4 && args[4].equals("--keep-going");
        HttpTrace.install();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

        // Errors first, so a broken happy path still reports them: wrong credentials → 401,
        // NotAuthorizedException from the token manager. Through a resource call the library
        // raises it inside its auth filter, so JAX-RS wraps it in a ProcessingException (the
        // same against Keycloak).
        Keycloak wrong = KeycloakBuilder.builder()
                .serverUrl(base).realm("master")
                .grantType(OAuth2Constants.CLIENT_CREDENTIALS)
                .clientId(adminId).clientSecret(adminSecret + "-wrong")
                .build();
        expect("wrong_credentials_401", NotAuthorizedException.class,
                () -> wrong.tokenManager().getAccessToken());
        step("wrong_credentials_resource_call_401", () -> {
            try {
                wrong.realms().findAll();
                throw new AssertionError("realms listed with a wrong secret");
            } catch (jakarta.ws.rs.ProcessingException e) {
                if (!(e.getCause() instanceof NotAuthorizedException n)) throw e;
                return Map.of("exception", "ProcessingException", "cause", "NotAuthorizedException",
                        "status", n.getResponse().getStatus());
            }
        });
        wrong.close();

        Keycloak kc = KeycloakBuilder.builder()
                .serverUrl(base)
                .realm("master")
                .grantType(OAuth2Constants.CLIENT_CREDENTIALS)
                .clientId(adminId)
                .clientSecret(adminSecret)
                .build();

        step("token", () -> {
            String t = kc.tokenManager().getAccessTokenString();
            check(t != null && t.split("\\.").length == 3, "a JWT access token: " + t);
            return Map.of("token_type", kc.tokenManager().getAccessToken().getTokenType(),
                    "expires_in", kc.tokenManager().getAccessToken().getExpiresIn());
        });

        step("realms_find_all", () -> {
            List<String> names = kc.realms().findAll().stream().map(RealmRepresentation::getRealm).toList();
            check(names.contains("master"), "master in " + names);
            return names;
        });

        step("realm_create", () -> {
            RealmRepresentation r = new RealmRepresentation();
            r.setRealm(REALM);
            r.setDisplayName("From keycloak-admin-client");
            r.setEnabled(true);
            kc.realms().create(r);
            return null;
        });
        RealmResource realm = kc.realm(REALM);
        step("realm_get", () -> {
            RealmRepresentation r = realm.toRepresentation();
            check(REALM.equals(r.getRealm()), "realm " + r.getRealm());
            return Map.of("realm", r.getRealm(), "displayName", String.valueOf(r.getDisplayName()));
        });
        expect("realm_create_duplicate_409", jakarta.ws.rs.ClientErrorException.class, () -> {
            RealmRepresentation r = new RealmRepresentation();
            r.setRealm(REALM);
            kc.realms().create(r);
            return null;
        });
        check409("realm_create_duplicate_409");

        ClientRepresentation rep = new ClientRepresentation();
        rep.setClientId(CLIENT_ID);
        rep.setName("keycloak-admin-client");
        rep.setPublicClient(false);
        rep.setServiceAccountsEnabled(true);
        rep.setStandardFlowEnabled(false);
        rep.setClientAuthenticatorType("client-secret");
        String id = step("client_create", () -> {
            try (Response r = realm.clients().create(rep)) {
                check(r.getStatus() == 201, "status " + r.getStatus());
                return CreatedResponseUtil.getCreatedId(r);
            }
        });
        step("client_create_duplicate_409", () -> {
            try (Response r = realm.clients().create(rep)) {
                check(r.getStatus() == 409, "status " + r.getStatus());
                return Map.of("status", r.getStatus());
            }
        });
        step("clients_find_by_client_id", () -> {
            List<ClientRepresentation> found = realm.clients().findByClientId(CLIENT_ID);
            check(found.size() == 1, "one client, got " + found.size());
            check(found.get(0).getId().equals(id), "id " + found.get(0).getId() + " != " + id);
            return found.get(0).getId();
        });
        ClientResource client = realm.clients().get(id);
        step("client_get", () -> {
            ClientRepresentation c = client.toRepresentation();
            check(CLIENT_ID.equals(c.getClientId()), "clientId " + c.getClientId());
            check("client-secret".equals(c.getClientAuthenticatorType()), "authenticator " + c.getClientAuthenticatorType());
            return Map.of("clientId", c.getClientId(), "clientAuthenticatorType", c.getClientAuthenticatorType());
        });

        // Secrets: regenerate twice; the first becomes the rotated one (Keyward keeps the
        // previous secret for the realm's overlap), the second is the primary.
        CredentialRepresentation first = step("client_generate_new_secret", () -> {
            CredentialRepresentation s = client.generateNewSecret();
            check(s.getValue() != null && s.getValue().length() >= 32, "a secret value");
            check("secret".equals(s.getType()), "type " + s.getType());
            return s;
        });
        if (first != null) OUT.set("client_generate_new_secret", JSON.valueToTree(secretInfo(first)));
        if (first != null) {
            step("token_with_new_secret_200", () -> {
                int st = tokenStatus(http, base, REALM, CLIENT_ID, first.getValue());
                check(st == 200, "token endpoint answered " + st);
                return st;
            });
        }
        CredentialRepresentation second = step("client_generate_new_secret_again", () -> {
            CredentialRepresentation s = client.generateNewSecret();
            check(s.getValue() != null && !s.getValue().equals(first == null ? null : first.getValue()), "a new value");
            return s;
        });
        if (second != null) OUT.set("client_generate_new_secret_again", JSON.valueToTree(secretInfo(second)));
        step("client_get_secret", () -> {
            CredentialRepresentation s = client.getSecret();
            check("secret".equals(s.getType()), "type " + s.getType());
            return Map.of("type", s.getType(), "has_value", s.getValue() != null);
        });
        step("client_get_rotated_secret", () -> {
            CredentialRepresentation s = client.getClientRotatedSecret();
            check(s != null && "secret".equals(s.getType()), "a rotated secret: " + s);
            return Map.of("type", s.getType(), "has_value", s.getValue() != null,
                    "is_first", first != null && first.getValue().equals(s.getValue()));
        });
        if (first != null && second != null) {
            step("token_with_rotated_secret_200", () -> {
                int st = tokenStatus(http, base, REALM, CLIENT_ID, first.getValue());
                check(st == 200, "token endpoint answered " + st);
                return st;
            });
            step("client_invalidate_rotated_secret", () -> {
                client.invalidateRotatedSecret();
                return null;
            });
            step("token_with_invalidated_secret_401", () -> {
                int st = tokenStatus(http, base, REALM, CLIENT_ID, first.getValue());
                check(st == 401, "token endpoint answered " + st);
                return st;
            });
            step("token_with_current_secret_200", () -> {
                int st = tokenStatus(http, base, REALM, CLIENT_ID, second.getValue());
                check(st == 200, "token endpoint answered " + st);
                return st;
            });
            expect("client_get_rotated_secret_after_invalidate_404", NotFoundException.class,
                    client::getClientRotatedSecret);
        }

        step("installation_keycloak_json", () -> {
            String text = client.getInstallationProvider("keycloak-oidc-keycloak-json");
            JsonNode j = JSON.readTree(text);
            check(REALM.equals(j.path("realm").asText()), "realm in " + text);
            check(CLIENT_ID.equals(j.path("resource").asText()), "resource in " + text);
            check(j.path("credentials").has("secret"), "credentials.secret in " + text);
            return j;
        });

        step("client_switch_to_client_jwt", () -> {
            ClientRepresentation c = client.toRepresentation();
            c.setClientAuthenticatorType("client-jwt");
            client.update(c);
            String now = client.toRepresentation().getClientAuthenticatorType();
            check("client-jwt".equals(now), "authenticator now " + now);
            return now;
        });
        step("installation_keycloak_json_client_jwt", () -> {
            JsonNode j = JSON.readTree(client.getInstallationProvider("keycloak-oidc-keycloak-json"));
            check(j.path("credentials").has("jwt"), "credentials.jwt in " + j);
            return j.path("credentials");
        });

        ClientAttributeCertificateResource certs = client.getCertficateResource("jwt.credential");
        CertificateRepresentation generated = step("cert_generate", () -> {
            CertificateRepresentation c = certs.generate();
            check(c.getCertificate() != null, "a certificate");
            return c;
        });
        step("cert_key_info_after_generate", () -> {
            CertificateRepresentation c = certs.getKeyInfo();
            check(generated == null || generated.getCertificate().equals(c.getCertificate()),
                    "getKeyInfo returns the generated certificate " + describe(generated.getCertificate())
                            + "; it returned " + describe(c.getCertificate()));
            return cert(c);
        });
        String pem = new String(certPem, StandardCharsets.US_ASCII);
        String pemB64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        step("cert_upload_certificate_pem", () -> {
            CertificateRepresentation c = certs.uploadJksCertificate(
                    multipart("Certificate PEM", certPem, "cert.pem", null, null, null));
            check(pemB64.equals(c.getCertificate()), "the uploaded certificate (" + describe(pemB64)
                    + ") back; it returned " + describe(c.getCertificate()));
            return cert(c);
        });
        step("cert_upload_certificate_pem_again_200", () -> {
            CertificateRepresentation c = certs.uploadJksCertificate(
                    multipart("Certificate PEM", certPem, "cert.pem", null, null, null));
            check(pemB64.equals(c.getCertificate()), "the uploaded certificate (" + describe(pemB64)
                    + ") back; it returned " + describe(c.getCertificate()));
            return cert(c);
        });
        step("cert_key_info_after_upload", () -> {
            CertificateRepresentation c = certs.getKeyInfo();
            check(pemB64.equals(c.getCertificate()),
                    "getKeyInfo returns the uploaded certificate; it returned " + describe(c.getCertificate()));
            return cert(c);
        });

        // generate-and-download: a JKS and a PKCS12 that Java's KeyStore opens.
        byte[] jks = null;
        for (String format : new String[] {"JKS", "PKCS12"}) {
            byte[] ks = step("cert_generate_and_get_keystore_" + format, () -> {
                KeyStoreConfig cfg = new KeyStoreConfig();
                cfg.setFormat(format);
                cfg.setKeyAlias(CLIENT_ID);
                cfg.setKeyPassword("key-pass-1234");
                cfg.setStorePassword(format.equals("JKS") ? "store-pass-1234" : "key-pass-1234");
                cfg.setKeySize(2048);
                cfg.setValidity(1);
                byte[] bytes = certs.generateAndGetKeystore(cfg);
                KeyStore k = KeyStore.getInstance(format);
                k.load(new ByteArrayInputStream(bytes), cfg.getStorePassword().toCharArray());
                check(k.getKey(CLIENT_ID, "key-pass-1234".toCharArray()) instanceof PrivateKey, "a private key under the alias");
                X509Certificate x = (X509Certificate) k.getCertificate(CLIENT_ID);
                CertificateRepresentation now = certs.getKeyInfo();
                check(certB64(x).equals(now.getCertificate()),
                        "getKeyInfo returns the downloaded keystore's certificate (subject " + x.getSubjectX500Principal()
                                + ", serial " + x.getSerialNumber().toString(16) + "); it returned kid " + now.getKid()
                                + ", certificate " + describe(now.getCertificate()));
                return bytes;
            });
            if (format.equals("JKS")) jks = ks;
            if (ks != null) OUT.put("cert_generate_and_get_keystore_" + format, ks.length);
        }
        if (jks != null) {
            byte[] file = jks;
            step("cert_upload_certificate_jks", () -> {
                CertificateRepresentation c = certs.uploadJksCertificate(
                        multipart("JKS", file, "client.jks", CLIENT_ID, "store-pass-1234", null));
                KeyStore k = KeyStore.getInstance("JKS");
                k.load(new ByteArrayInputStream(file), "store-pass-1234".toCharArray());
                check(certB64((X509Certificate) k.getCertificate(CLIENT_ID)).equals(c.getCertificate()),
                        "the keystore's certificate back");
                return cert(c);
            });
            step("cert_upload_jks_with_key", () -> {
                CertificateRepresentation c = certs.uploadJks(
                        multipart("JKS", file, "client.jks", CLIENT_ID, "store-pass-1234", "key-pass-1234"));
                check(c.getCertificate() != null, "a certificate back");
                return cert(c);
            });
        }

        step("admin_events", () -> {
            List<AdminEventRepresentation> all = realm.getAdminEvents();
            check(!all.isEmpty(), "admin events recorded");
            List<String> seen = all.stream().map(e -> e.getOperationType() + " " + e.getResourceType()).distinct().toList();
            check(seen.contains("CREATE CLIENT"), "a CREATE CLIENT event in " + seen);
            return seen;
        });
        step("admin_events_filtered_create", () -> {
            List<AdminEventRepresentation> created = realm.getAdminEvents(List.of("CREATE"),
                    null, null, null, null, null, null, null, 0, 100);
            check(!created.isEmpty(), "CREATE events");
            check(created.stream().allMatch(e -> "CREATE".equals(e.getOperationType())), "only CREATE events");
            return created.size();
        });

        expect("client_unknown_id_404", NotFoundException.class,
                () -> realm.clients().get("00000000-0000-0000-0000-000000000000").toRepresentation());
        expect("realm_unknown_404", NotFoundException.class,
                () -> kc.realm("no-such-realm").toRepresentation());
        expect("client_id_from_other_realm_404", NotFoundException.class,
                () -> kc.realm("master").clients().get(id).toRepresentation());

        step("client_delete", () -> {
            client.remove();
            return null;
        });
        expect("client_get_after_delete_404", NotFoundException.class, client::toRepresentation);
        step("realm_delete", () -> {
            realm.remove();
            return null;
        });
        expect("realm_get_after_delete_404", NotFoundException.class, realm::toRepresentation);
        kc.close();

        if (!FAILURES.isEmpty()) {
            OUT.set("failures", JSON.valueToTree(FAILURES));
            System.out.println(OUT);
            System.exit(1);
        }
        System.out.println(OUT);
    }

    /** The ClientErrorException of a duplicate realm must carry 409. */
    static void check409(String name) {
        JsonNode r = OUT.get(name);
        if (r != null && r.has("status") && r.get("status").asInt() != 409) {
            fail(name, new AssertionError("status " + r.get("status") + ", expected 409"));
        }
    }
}
