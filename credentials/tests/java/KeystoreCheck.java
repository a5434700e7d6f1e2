import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.util.Base64;

/**
 * Does what Keycloak's adapter does with a client keystore (KeystoreUtil.loadKeyPairFromKeystore
 * and JWTClientCredentialsProvider): KeyStore.getInstance(type), load(stream, storepass),
 * getKey(alias, keypass); then signs a client assertion and prints the compact JWT.
 *
 * Usage: java KeystoreCheck FILE TYPE STOREPASS ALIAS KEYPASS ALG CLIENT_ID AUDIENCE
 * ALG: RS256, ES256 or ES384. Exit 2 when the keystore does not load, 3 when getKey fails.
 */
public class KeystoreCheck {
    public static void main(String[] args) throws Exception {
        if (args.length != 8) {
            System.err.println("usage: KeystoreCheck FILE TYPE STOREPASS ALIAS KEYPASS ALG CLIENT_ID AUDIENCE");
            System.exit(64);
        }
        String file = args[0], type = args[1], storePass = args[2], alias = args[3];
        String keyPass = args[4], alg = args[5], clientId = args[6], audience = args[7];

        KeyStore ks = KeyStore.getInstance(type);
        try (InputStream in = new FileInputStream(file)) {
            ks.load(in, storePass.toCharArray());
        } catch (Exception e) {
            System.err.println("load failed: " + e);
            System.exit(2);
        }
        Key key;
        try {
            key = ks.getKey(alias, keyPass.toCharArray());
        } catch (Exception e) {
            System.err.println("getKey failed: " + e);
            System.exit(3);
            return;
        }
        if (!(key instanceof PrivateKey)) {
            System.err.println("getKey failed: no private key under alias " + alias);
            System.exit(3);
        }

        String javaAlg;
        int coordinate = 0;
        switch (alg) {
            case "RS256": javaAlg = "SHA256withRSA"; break;
            case "ES256": javaAlg = "SHA256withECDSA"; coordinate = 32; break;
            case "ES384": javaAlg = "SHA384withECDSA"; coordinate = 48; break;
            default: throw new IllegalArgumentException("unknown alg " + alg);
        }

        long now = System.currentTimeMillis() / 1000;
        byte[] jtiBytes = new byte[16];
        new SecureRandom().nextBytes(jtiBytes);
        StringBuilder jti = new StringBuilder();
        for (byte b : jtiBytes) jti.append(String.format("%02x", b));

        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = "{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}";
        String claims = "{\"jti\":\"" + jti + "\",\"exp\":" + (now + 60) + ",\"nbf\":0,\"iat\":" + now
                + ",\"iss\":\"" + json(clientId) + "\",\"aud\":\"" + json(audience)
                + "\",\"sub\":\"" + json(clientId) + "\"}";
        String input = b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));

        Signature s = Signature.getInstance(javaAlg);
        s.initSign((PrivateKey) key);
        s.update(input.getBytes(StandardCharsets.US_ASCII));
        byte[] sig = s.sign();
        if (coordinate > 0) sig = derToJose(sig, coordinate);
        System.out.println(input + "." + b64.encodeToString(sig));
    }

    private static String json(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } to JOSE's fixed-length R || S. */
    static byte[] derToJose(byte[] der, int n) {
        int i = 0;
        if (der[i++] != 0x30) throw new IllegalArgumentException("not a DER ECDSA signature");
        int len = der[i++] & 0xFF;
        if (len == 0x81) i++; // P-384 and up: long-form length
        byte[] out = new byte[2 * n];
        for (int k = 0; k < 2; k++) {
            if (der[i++] != 0x02) throw new IllegalArgumentException("not a DER INTEGER");
            int l = der[i++] & 0xFF;
            int start = i, end = i + l;
            while (start < end && der[start] == 0) start++;
            int m = end - start;
            if (m > n) throw new IllegalArgumentException("integer too long");
            System.arraycopy(der, start, out, k * n + (n - m), m);
            i = end;
        }
        return out;
    }
}
