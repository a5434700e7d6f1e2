//! Adapter configuration snippets: Keycloak's `keycloak.json` (provider
//! `keycloak-oidc-keycloak-json`) with its field names and order.

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
}
