//! Adapter configuration snippets: Keycloak's `keycloak.json` (provider
//! `keycloak-oidc-keycloak-json`) with its field names and order, a Spring Security
//! `application.yml` client registration, and an environment-variable block.

use serde_json::{Map, Value};

/// The `auth-server-url` for a public base URL: the base `/realms/{realm}` hangs from, with a
/// trailing slash.
pub fn auth_server_url(public_url: &str) -> String {
    format!("{}/", public_url.trim_end_matches('/'))
}

/// `keycloak.json` for a client, pretty-printed with Keycloak's field order (realm,
/// auth-server-url, ssl-required, resource, public-client, credentials, confidential-port).
/// `credentials` is the authenticator's block; `None` for public clients.
pub fn keycloak_json(
    realm: &str,
    public_url: &str,
    resource: &str,
    public_client: bool,
    credentials: Option<Value>,
) -> String {
    let mut m = Map::new();
    m.insert("realm".into(), realm.into());
    m.insert("auth-server-url".into(), auth_server_url(public_url).into());
    m.insert("ssl-required".into(), "external".into());
    m.insert("resource".into(), resource.into());
    if public_client {
        m.insert("public-client".into(), true.into());
    } else if let Some(c) = credentials {
        m.insert("credentials".into(), c);
    }
    m.insert("confidential-port".into(), 0.into());
    serde_json::to_string_pretty(&Value::Object(m)).expect("JSON of strings")
}

/// What the Spring and environment snippets describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFacts<'a> {
    pub realm: &'a str,
    pub public_url: &'a str,
    pub client_id: &'a str,
    pub public_client: bool,
    /// The authenticator id (`client-secret`, `client-jwt`, `client-secret-jwt`).
    pub authenticator: &'a str,
    pub signing_alg: Option<&'a str>,
    /// The mTLS listener's base URL (`KEYWARD_MTLS_PUBLIC_URL`), when Keyward runs one: the
    /// X.509 methods' token endpoint is there.
    pub mtls_url: Option<&'a str>,
}

impl ClientFacts<'_> {
    /// `{base}/realms/{realm}`.
    pub fn issuer(&self) -> String {
        format!("{}realms/{}", auth_server_url(self.public_url), self.realm)
    }

    /// The token endpoint URL: for the X.509 methods the mTLS listener's, when there is one.
    pub fn token_endpoint(&self) -> String {
        match self.mtls_url.filter(|_| self.uses_certificate()) {
            Some(base) => format!(
                "{}realms/{}/protocol/openid-connect/token",
                auth_server_url(base),
                self.realm
            ),
            None => format!("{}/protocol/openid-connect/token", self.issuer()),
        }
    }

    /// The client proves itself with a TLS client certificate (RFC 8705).
    pub fn uses_certificate(&self) -> bool {
        !self.public_client
            && matches!(
                self.authenticator,
                "client-x509" | "self-signed-tls-client-auth"
            )
    }

    /// The OAuth `token_endpoint_auth_method` (RFC 7591) of the client.
    pub fn auth_method(&self) -> &'static str {
        if self.public_client {
            return "none";
        }
        match self.authenticator {
            "client-jwt" => "private_key_jwt",
            "client-secret-jwt" => "client_secret_jwt",
            "client-x509" => "tls_client_auth",
            "self-signed-tls-client-auth" => "self_signed_tls_client_auth",
            _ => "client_secret_basic",
        }
    }
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn yaml_str(s: &str) -> String {
    serde_json::to_string(s).expect("JSON of a string")
}

/// A POSIX shell single-quoted word.
fn shell_word(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A Spring Security `application.yml` client registration for the client-credentials grant,
/// with Spring's `client-authentication-method` for the client's method.
pub fn spring_yaml(c: &ClientFacts<'_>) -> String {
    use crate::authenticator::PLACEHOLDER_SECRET;
    let mut out = String::new();
    let method = c.auth_method();
    if c.public_client {
        out.push_str(
            "# A public client cannot use the client-credentials grant: make it confidential.\n",
        );
    }
    if method == "private_key_jwt" {
        out.push_str(
            "# private_key_jwt: Spring signs the assertion with the key a NimbusJwtClientAuthenticationParametersConverter\n\
             # bean resolves (a JWK from the client's keystore); audience = the issuer.\n",
        );
    }
    if c.uses_certificate() {
        out.push_str(
            "# The client certificate is TLS configuration: give the RestClient that calls the token\n\
             # endpoint an SSL bundle (spring.ssl.bundle.pem.keyward: keystore.certificate and\n\
             # keystore.private-key); the request itself carries only the client id.\n",
        );
    }
    out.push_str("spring:\n  security:\n    oauth2:\n      client:\n        registration:\n");
    out.push_str(&format!("          {}:\n", yaml_str(c.client_id)));
    out.push_str("            provider: keyward\n");
    out.push_str(&format!(
        "            client-id: {}\n",
        yaml_str(c.client_id)
    ));
    if matches!(method, "client_secret_basic" | "client_secret_jwt") {
        out.push_str(&format!(
            "            client-secret: {}\n",
            yaml_str(PLACEHOLDER_SECRET)
        ));
    }
    out.push_str(&format!(
        "            client-authentication-method: {method}\n"
    ));
    out.push_str("            authorization-grant-type: client_credentials\n");
    out.push_str("        provider:\n          keyward:\n");
    out.push_str(&format!(
        "            issuer-uri: {}\n",
        yaml_str(&c.issuer())
    ));
    out.push_str(&format!(
        "            token-uri: {}\n",
        yaml_str(&c.token_endpoint())
    ));
    out
}

/// Environment variables for a service that reads its OAuth client settings from the
/// environment. Values unknown to the server are marked placeholders.
pub fn env_block(c: &ClientFacts<'_>) -> String {
    use crate::authenticator::{PLACEHOLDER_KEYSTORE_FILE, PLACEHOLDER_SECRET};
    const PLACEHOLDER_CERTIFICATE_FILE: &str = "REPLACE WITH THE CLIENT CERTIFICATE (PEM) FILE";
    const PLACEHOLDER_CERTIFICATE_KEY_FILE: &str = "REPLACE WITH ITS PRIVATE KEY (PEM) FILE";
    let mut lines = vec![
        format!(
            "# Keyward client {} (realm {})",
            c.client_id.replace(['\n', '\r'], " "),
            c.realm
        ),
        format!("OIDC_ISSUER={}", shell_word(&c.issuer())),
        format!("OIDC_TOKEN_ENDPOINT={}", shell_word(&c.token_endpoint())),
        format!("OIDC_CLIENT_ID={}", shell_word(c.client_id)),
        format!("OIDC_TOKEN_ENDPOINT_AUTH_METHOD={}", c.auth_method()),
    ];
    match c.auth_method() {
        "client_secret_basic" | "client_secret_jwt" => {
            lines.push(format!(
                "OIDC_CLIENT_SECRET={}",
                shell_word(PLACEHOLDER_SECRET)
            ));
        }
        "private_key_jwt" => {
            lines.push(format!(
                "OIDC_CLIENT_KEYSTORE={}",
                shell_word(PLACEHOLDER_KEYSTORE_FILE)
            ));
        }
        "tls_client_auth" | "self_signed_tls_client_auth" => {
            lines.push(format!(
                "OIDC_CLIENT_CERTIFICATE={}",
                shell_word(PLACEHOLDER_CERTIFICATE_FILE)
            ));
            lines.push(format!(
                "OIDC_CLIENT_CERTIFICATE_KEY={}",
                shell_word(PLACEHOLDER_CERTIFICATE_KEY_FILE)
            ));
        }
        _ => {}
    }
    if let Some(alg) = c.signing_alg.filter(|_| !c.public_client) {
        lines.push(format!("OIDC_TOKEN_ENDPOINT_AUTH_SIGNING_ALG={alg}"));
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidential_client_secret_in_keycloak_order() {
        let json = keycloak_json(
            "demo",
            "https://sso.example.com",
            "billing",
            false,
            Some(serde_json::json!({ "secret": "s3cr3t" })),
        );
        assert_eq!(
            json,
            r#"{
  "realm": "demo",
  "auth-server-url": "https://sso.example.com/",
  "ssl-required": "external",
  "resource": "billing",
  "credentials": {
    "secret": "s3cr3t"
  },
  "confidential-port": 0
}"#
        );
    }

    #[test]
    fn public_client_has_no_credentials() {
        let json = keycloak_json("demo", "http://localhost:3000/", "spa", true, None);
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["public-client"], true);
        assert_eq!(v["auth-server-url"], "http://localhost:3000/");
        assert!(v.get("credentials").is_none());
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "realm",
                "auth-server-url",
                "ssl-required",
                "resource",
                "public-client",
                "confidential-port"
            ]
        );
    }

    fn facts<'a>(
        authenticator: &'a str,
        public_client: bool,
        alg: Option<&'a str>,
    ) -> ClientFacts<'a> {
        ClientFacts {
            realm: "demo",
            public_url: "https://sso.example.com/",
            client_id: "billing",
            public_client,
            authenticator,
            signing_alg: alg,
            mtls_url: None,
        }
    }

    #[test]
    fn spring_registration_per_method() {
        assert_eq!(
            spring_yaml(&facts("client-secret", false, None)),
            r#"spring:
  security:
    oauth2:
      client:
        registration:
          "billing":
            provider: keyward
            client-id: "billing"
            client-secret: "REPLACE WITH THE CLIENT SECRET"
            client-authentication-method: client_secret_basic
            authorization-grant-type: client_credentials
        provider:
          keyward:
            issuer-uri: "https://sso.example.com/realms/demo"
            token-uri: "https://sso.example.com/realms/demo/protocol/openid-connect/token"
"#
        );
        let jwt = spring_yaml(&facts("client-jwt", false, Some("RS256")));
        assert!(jwt.contains("client-authentication-method: private_key_jwt\n"));
        assert!(!jwt.contains("client-secret:"));
        assert!(jwt.starts_with("# private_key_jwt"));
        let sjwt = spring_yaml(&facts("client-secret-jwt", false, None));
        assert!(sjwt.contains("client-authentication-method: client_secret_jwt\n"));
        assert!(sjwt.contains("client-secret: "));
        let public = spring_yaml(&facts("client-secret", true, None));
        assert!(public.contains("client-authentication-method: none\n"));
        assert!(public.starts_with("# A public client"));
        // A client id that needs quoting stays one YAML scalar.
        let odd = ClientFacts {
            client_id: "a: b \"c\"",
            ..facts("client-secret", false, None)
        };
        assert!(spring_yaml(&odd).contains(r#"client-id: "a: b \"c\"""#));
    }

    #[test]
    fn x509_snippets_name_the_method_the_certificate_and_the_mtls_endpoint() {
        let x = ClientFacts {
            mtls_url: Some("https://mtls.example.com:8443"),
            ..facts("client-x509", false, None)
        };
        assert_eq!(x.auth_method(), "tls_client_auth");
        assert_eq!(
            x.token_endpoint(),
            "https://mtls.example.com:8443/realms/demo/protocol/openid-connect/token"
        );
        let spring = spring_yaml(&x);
        assert!(
            spring.contains("client-authentication-method: tls_client_auth\n"),
            "{spring}"
        );
        assert!(
            spring.contains("SSL bundle") && !spring.contains("client-secret:"),
            "{spring}"
        );
        assert!(spring.contains("token-uri: \"https://mtls.example.com:8443/realms/demo/"));
        let env = env_block(&x);
        assert!(env.contains(
            "OIDC_CLIENT_CERTIFICATE='REPLACE WITH THE CLIENT CERTIFICATE (PEM) FILE'\n"
        ));
        assert!(env.contains("OIDC_CLIENT_CERTIFICATE_KEY="));
        assert!(!env.contains("SECRET"));
        let s = facts("self-signed-tls-client-auth", false, None);
        assert_eq!(s.auth_method(), "self_signed_tls_client_auth");
        // Without an mTLS listener the endpoint is the public one (a proxy forwards the
        // certificate); other methods never use the mTLS URL.
        assert_eq!(
            s.token_endpoint(),
            "https://sso.example.com/realms/demo/protocol/openid-connect/token"
        );
        let secret = ClientFacts {
            mtls_url: Some("https://mtls.example.com:8443"),
            ..facts("client-secret", false, None)
        };
        assert!(secret
            .token_endpoint()
            .starts_with("https://sso.example.com/"));
    }

    #[test]
    fn environment_block_per_method() {
        assert_eq!(
            env_block(&facts("client-secret", false, None)),
            "# Keyward client billing (realm demo)\n\
             OIDC_ISSUER='https://sso.example.com/realms/demo'\n\
             OIDC_TOKEN_ENDPOINT='https://sso.example.com/realms/demo/protocol/openid-connect/token'\n\
             OIDC_CLIENT_ID='billing'\n\
             OIDC_TOKEN_ENDPOINT_AUTH_METHOD=client_secret_basic\n\
             OIDC_CLIENT_SECRET='REPLACE WITH THE CLIENT SECRET'\n"
        );
        let jwt = env_block(&facts("client-jwt", false, Some("ES256")));
        assert!(jwt.contains("OIDC_TOKEN_ENDPOINT_AUTH_METHOD=private_key_jwt\n"));
        assert!(jwt.contains("OIDC_CLIENT_KEYSTORE='REPLACE WITH THE KEYSTORE FILE'\n"));
        assert!(jwt.contains("OIDC_TOKEN_ENDPOINT_AUTH_SIGNING_ALG=ES256\n"));
        assert!(!jwt.contains("SECRET"));
        let public = env_block(&facts("client-secret", true, None));
        assert!(public.contains("=none\n"));
        assert!(!public.contains("SECRET"));
        // Quotes in a client id cannot break out of the shell word.
        let odd = ClientFacts {
            client_id: "it's",
            ..facts("client-secret", false, None)
        };
        assert!(env_block(&odd).contains("OIDC_CLIENT_ID='it'\\''s'\n"));
    }

    #[cfg(feature = "crypto")]
    #[test]
    fn keycloak_json_golden_for_the_jwt_methods() {
        use crate::authenticator::{by_id, AdapterValues, ClientAuthConfig};
        let config = |authenticator: &str, alg: Option<&str>| ClientAuthConfig {
            client_id: "billing".into(),
            enabled: true,
            public_client: false,
            authenticator: authenticator.into(),
            signing_alg: alg.map(Into::into),
            assertion_max_exp_s: 60,
            attributes: Default::default(),
        };
        let none = AdapterValues {
            secret: None,
            keystore_file: None,
            keystore_type: None,
            store_password: None,
            key_password: None,
            key_alias: None,
            key_algorithm: None,
        };
        let jwt = by_id("client-jwt")
            .unwrap()
            .adapter_credentials(&config("client-jwt", Some("ES256")), &none);
        assert_eq!(
            keycloak_json(
                "demo",
                "https://sso.example.com",
                "billing",
                false,
                Some(jwt)
            ),
            r#"{
  "realm": "demo",
  "auth-server-url": "https://sso.example.com/",
  "ssl-required": "external",
  "resource": "billing",
  "credentials": {
    "jwt": {
      "client-keystore-file": "REPLACE WITH THE KEYSTORE FILE",
      "client-keystore-type": "REPLACE WITH THE KEYSTORE TYPE",
      "client-keystore-password": "REPLACE WITH THE KEYSTORE PASSWORD",
      "client-key-password": "REPLACE WITH THE KEY PASSWORD",
      "client-key-alias": "billing",
      "token-timeout": 10,
      "algorithm": "ES256"
    }
  },
  "confidential-port": 0
}"#
        );
        let secret_jwt = by_id("client-secret-jwt")
            .unwrap()
            .adapter_credentials(&config("client-secret-jwt", None), &none);
        let json = keycloak_json(
            "demo",
            "https://sso.example.com",
            "billing",
            false,
            Some(secret_jwt),
        );
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            v["credentials"]["secret-jwt"]["secret"],
            "REPLACE WITH THE CLIENT SECRET"
        );
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "realm",
                "auth-server-url",
                "ssl-required",
                "resource",
                "credentials",
                "confidential-port"
            ]
        );
    }
}
