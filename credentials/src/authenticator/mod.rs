//! Client authentication methods: the `Authenticator` trait, the error every method reports,
//! the inputs a method is given, and the registry the token endpoint, the console's method
//! picker and the keycloak.json generator iterate over. One module per method.
//!
//! Adding a method means one new module implementing [`Authenticator`] and one line in
//! [`REGISTRY`]. A method declares what the rest of Keyward builds from it: its id, display
//! name and help (the console's method picker), the `token_endpoint_auth_methods_supported`
//! values it serves (the discovery document), and its per-client settings as
//! [`ConfigProperty`]s (the Credentials tab's fields, the Admin REST API's attributes and their
//! validation), so a new method needs no console or REST code.

pub mod client_jwt;
pub mod client_secret;
pub mod client_secret_jwt;
pub mod federated;
pub mod x509;

pub use client_jwt::{jwk_thumbprint, keycloak_kid, ClientJwt};
pub use client_secret::ClientSecret;
pub use client_secret_jwt::ClientSecretJwt;
pub use federated::{FederatedBinding, FederatedJwt, FederatedProvider, Federation, ProviderKind};
pub use x509::{ClientX509, SelfSignedTls};

use std::collections::BTreeMap;

use crate::client_auth::Presented;
use crate::mtls::{CertificateRefusal, PresentedCertificate};
use crate::seal::{Pepper, Verifier};
use crate::secret::SecretString;

/// Algorithms a `client-jwt` client may sign its assertions with (and pin).
pub const CLIENT_JWT_ALGS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
];

/// Algorithms a `client-secret-jwt` client may sign its assertions with (and pin).
pub const CLIENT_SECRET_JWT_ALGS: &[&str] = &["HS256", "HS384", "HS512"];

/// Placeholder written into keycloak.json for values the server does not know.
pub const PLACEHOLDER_SECRET: &str = "REPLACE WITH THE CLIENT SECRET";
pub const PLACEHOLDER_KEYSTORE_FILE: &str = "REPLACE WITH THE KEYSTORE FILE";
pub const PLACEHOLDER_KEYSTORE_TYPE: &str = "REPLACE WITH THE KEYSTORE TYPE";
pub const PLACEHOLDER_STORE_PASSWORD: &str = "REPLACE WITH THE KEYSTORE PASSWORD";
pub const PLACEHOLDER_KEY_PASSWORD: &str = "REPLACE WITH THE KEY PASSWORD";

/// Why a client could not be authenticated. `Display` is the precise reason for the log (it
/// never contains a secret or an assertion); the outside only ever sees [`AuthError::oauth_error`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The request is malformed: repeated parameters, two authentication methods, bad Basic
    /// encoding, an unsupported `client_assertion_type`, an oversized assertion, ...
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// Neither credentials nor a client id were sent.
    #[error("no client authentication and no client_id in the request")]
    NoCredentials,
    /// An Authorization header with a scheme other than Basic.
    #[error("unsupported Authorization scheme")]
    UnsupportedScheme,
    /// The client id presented (Basic, form field or assertion) is not the client's.
    #[error("the presented client id does not match the client")]
    ClientMismatch,
    /// The client is configured for another method than the one used.
    #[error("the client is configured for {configured}, the request used {used}")]
    WrongMethod {
        configured: String,
        used: &'static str,
    },
    #[error("the client is disabled")]
    Disabled,
    #[error("the client is public and cannot authenticate")]
    PublicClient,
    /// The secret matched no active secret of the client.
    #[error("the client secret does not match any active secret")]
    BadSecret,
    /// The client has no secret that could verify the request (none active, no pepper, no
    /// unsealed value for client-secret-jwt, or every one too short for the algorithm).
    #[error("the client has no usable secret: {0}")]
    NoUsableSecret(&'static str),
    /// The assertion breaks a rule; the text says which.
    #[error("bad client assertion: {0}")]
    BadAssertion(String),
    /// The assertion's signature does not verify with the selected key or secret.
    #[error("the client assertion signature does not verify")]
    BadSignature,
    /// No active key of the client has this kid (None: the header had no kid and no key fits
    /// the algorithm). The caller may refetch the client's JWKS once and retry.
    #[error("no active key of the client has kid {}", .0.as_deref().unwrap_or("(none sent)"))]
    UnknownKid(Option<String>),
    /// The identity provider has no key with this kid (None: the header had no kid and no key
    /// fits the algorithm). The caller may refetch the provider's keys once and retry.
    #[error("the identity provider {provider} has no key with kid {}", .kid.as_deref().unwrap_or("(none sent)"))]
    UnknownProviderKid {
        provider: String,
        kid: Option<String>,
    },
    /// `exp` + skew lies in the past.
    #[error("the client assertion has expired")]
    Expired,
    /// The client certificate (RFC 8705 methods) is missing or refused; the refusal says why.
    #[error("{0}")]
    Certificate(CertificateRefusal),
}

impl AuthError {
    /// The OAuth 2.0 error code (RFC 6749 §5.2) to answer with.
    pub fn oauth_error(&self) -> &'static str {
        match self {
            AuthError::InvalidRequest(_) => "invalid_request",
            _ => "invalid_client",
        }
    }
}

/// The client's authentication settings, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAuthConfig {
    pub client_id: String,
    pub enabled: bool,
    pub public_client: bool,
    /// The configured authenticator id (`client-secret`, `client-jwt`, `client-secret-jwt`).
    pub authenticator: String,
    /// A pinned assertion algorithm (`token.endpoint.auth.signing.alg`).
    pub signing_alg: Option<String>,
    /// `token.endpoint.auth.signing.max.exp`; a value ≤ 0 means the default, 60 s.
    pub assertion_max_exp_s: i64,
    /// The client's values of the registry's declared [`ConfigProperty`]s, by attribute name
    /// (`x509.subjectdn`, …); a method reads its own.
    pub attributes: Attributes,
}

/// A client's values of declared configuration properties, by Keycloak attribute name.
pub type Attributes = BTreeMap<String, String>;

/// How a configuration property is entered (Keycloak's `ProviderConfigProperty` types Keyward
/// uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyType {
    /// One line of text.
    String,
    /// `"true"` or `"false"`: a checkbox (absent or `""` is `"false"`).
    Boolean,
}

/// A per-client setting a method declares, in the style of Keycloak's `ProviderConfigProperty`:
/// stored as the client attribute `name`, shown as a field of the Credentials tab's method form
/// while the method is chosen, and read and written as that attribute by the Admin REST API.
/// Both paths check a value with [`ConfigProperty::check`] and then the method's
/// [`Authenticator::validate_config`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigProperty {
    /// Keycloak's client attribute name, e.g. `x509.subjectdn`.
    pub name: &'static str,
    pub property_type: PropertyType,
    pub label: &'static str,
    pub help: &'static str,
    /// An example value for the field.
    pub placeholder: &'static str,
    /// Longest value accepted, in bytes (String).
    pub max_len: usize,
}

impl ConfigProperty {
    /// The type's own check; the value as it is stored (trimmed; a Boolean is `"true"` or
    /// `"false"`), or why it is refused, naming the attribute.
    pub fn check(&self, raw: &str) -> Result<String, String> {
        let value = raw.trim();
        match self.property_type {
            PropertyType::Boolean => match value {
                "true" => Ok("true".into()),
                "false" | "" => Ok("false".into()),
                other => Err(format!(
                    "{} must be \"true\" or \"false\", not {other:?}",
                    self.name
                )),
            },
            PropertyType::String => {
                if value.len() > self.max_len {
                    Err(format!(
                        "{} ({}) is longer than {} bytes",
                        self.label, self.name, self.max_len
                    ))
                } else if value.chars().any(char::is_control) {
                    Err(format!(
                        "{} ({}) holds a control character",
                        self.label, self.name
                    ))
                } else {
                    Ok(value.to_owned())
                }
            }
        }
    }
}

/// One stored client secret.
#[derive(Debug, Clone)]
pub struct StoredSecret {
    pub id: String,
    pub verifier: Verifier,
    /// The unsealed value; only needed (and only loaded) for client-secret-jwt.
    pub plaintext: Option<SecretString>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// One registered public key of a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientPublicKey {
    pub kid: Option<String>,
    pub alg: Option<String>,
    /// SubjectPublicKeyInfo, DER.
    pub spki_der: Vec<u8>,
    pub active: bool,
}

/// What a client can be verified with: its stored material, and the TLS client certificate
/// that came with the request with the CAs `client-x509` certificates must chain to.
#[derive(Debug, Clone, Copy)]
pub struct ClientMaterial<'a> {
    pub secrets: &'a [StoredSecret],
    pub pepper: Option<&'a Pepper>,
    pub keys: &'a [ClientPublicKey],
    pub certificate: &'a PresentedCertificate,
    /// `KEYWARD_MTLS_CA`, DER certificates.
    pub trust_anchors: &'a [Vec<u8>],
    /// For `federated-jwt`: the identity provider that issued the token, its keys, and the
    /// client's bindings to it (`None`: no provider of the realm issued it).
    pub federation: Option<&'a Federation>,
}

static NO_CERTIFICATE: PresentedCertificate = PresentedCertificate::None;

impl Default for ClientMaterial<'_> {
    /// Nothing at all: no secrets, no pepper, no keys, no certificate, no CA.
    fn default() -> Self {
        ClientMaterial {
            secrets: &[],
            pepper: None,
            keys: &[],
            certificate: &NO_CERTIFICATE,
            trust_anchors: &[],
            federation: None,
        }
    }
}

/// The realm-level facts an assertion is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthContext {
    /// `{base}/realms/{realm}`.
    pub issuer: String,
    pub token_endpoint: String,
    /// Only the issuer is accepted as `aud` (not the token endpoint).
    pub strict_audience: bool,
}

/// A successful client authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    pub client_id: String,
    /// The authenticator id.
    pub method: &'static str,
    /// `client_secret_basic`, `client_secret_post`, `private_key_jwt` or `client_secret_jwt`.
    pub presented: &'static str,
    /// The secret that matched (client-secret, client-secret-jwt).
    pub secret_id: Option<String>,
    /// The kid of the key that verified the assertion (client-jwt): the key's registered kid,
    /// or, for a key registered without one, the kid the assertion named.
    pub kid: Option<String>,
    /// The assertion's jti and the time until which it must be remembered (exp + skew); the
    /// caller refuses a jti it has already stored.
    pub jti: Option<(String, i64)>,
    /// The label of the federated binding that accepted the token (federated-jwt).
    pub binding: Option<String>,
}

/// Values for a client's keycloak.json `credentials` block that only the caller knows. `None`
/// becomes a clearly marked placeholder.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AdapterValues {
    pub secret: Option<String>,
    pub keystore_file: Option<String>,
    pub keystore_type: Option<String>,
    pub store_password: Option<String>,
    pub key_password: Option<String>,
    pub key_alias: Option<String>,
    /// The JWS algorithm of the keystore's key (RS256, ES256, ES384): `algorithm` in the
    /// snippet when the client pins none (Keycloak's provider defaults to RS256, which an EC key
    /// cannot sign).
    pub key_algorithm: Option<String>,
}

impl std::fmt::Debug for AdapterValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("AdapterValues")
            .field("secret", &redacted(&self.secret))
            .field("keystore_file", &self.keystore_file)
            .field("keystore_type", &self.keystore_type)
            .field("store_password", &redacted(&self.store_password))
            .field("key_password", &redacted(&self.key_password))
            .field("key_alias", &self.key_alias)
            .finish()
    }
}

/// A client authentication method.
pub trait Authenticator: Sync + Send {
    /// Keycloak's id: `client-secret`, `client-jwt`, `client-secret-jwt`.
    fn id(&self) -> &'static str;
    /// Keycloak's display name.
    fn display_name(&self) -> &'static str;
    /// What the client must send, in one or two sentences.
    fn help(&self) -> &'static str;
    /// Algorithms that may be pinned; empty when the method signs nothing.
    fn algorithms(&self) -> &'static [&'static str];
    fn uses_secrets(&self) -> bool;
    fn uses_keys(&self) -> bool;
    /// Whether the client proves itself with a TLS client certificate (RFC 8705).
    fn uses_certificate(&self) -> bool {
        false
    }
    /// Whether the client proves itself with a token of an identity provider (federated-jwt):
    /// the caller finds the provider and the client's bindings to it.
    fn uses_federation(&self) -> bool {
        false
    }
    /// Whether the server must hold the secret's value (not only its verifier).
    fn needs_plaintext_secret(&self) -> bool;
    /// The `token_endpoint_auth_methods_supported` values (OAuth's names) the method serves;
    /// the discovery document lists the registry's, each once.
    fn token_endpoint_auth_methods(&self) -> &'static [&'static str];
    /// The method's per-client settings (none by default).
    fn config_properties(&self) -> &'static [ConfigProperty] {
        &[]
    }
    /// Checks the method's settings together, once each has passed its type's check
    /// (`attributes` holds the client's values, checked and trimmed, of every declared
    /// property; an unset String is `""`). Called when the client is saved with this method;
    /// the error is shown as it is.
    fn validate_config(&self, _attributes: &Attributes) -> Result<(), String> {
        Ok(())
    }
    fn authenticate(
        &self,
        presented: &Presented,
        client: &ClientAuthConfig,
        material: &ClientMaterial<'_>,
        ctx: &AuthContext,
        now: i64,
    ) -> Result<Authenticated, AuthError>;
    /// The keycloak.json `credentials` object (fields in Keycloak's order). The caller leaves
    /// `credentials` out for public clients.
    fn adapter_credentials(
        &self,
        client: &ClientAuthConfig,
        values: &AdapterValues,
    ) -> serde_json::Value;
}

/// Every method, in the order the console offers them.
pub static REGISTRY: &[&dyn Authenticator] = &[
    &ClientSecret,
    &ClientJwt,
    &ClientSecretJwt,
    &ClientX509,
    &SelfSignedTls,
    &FederatedJwt,
];

/// The method with this id.
pub fn by_id(id: &str) -> Option<&'static dyn Authenticator> {
    REGISTRY.iter().copied().find(|a| a.id() == id)
}

/// The registry's `token_endpoint_auth_methods_supported`, each once, in registry order.
pub fn token_endpoint_auth_methods() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for name in REGISTRY
        .iter()
        .flat_map(|a| a.token_endpoint_auth_methods().iter().copied())
    {
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Every declared property of the registry, with the method that declares it.
pub fn declared_properties(
) -> impl Iterator<Item = (&'static dyn Authenticator, &'static ConfigProperty)> {
    REGISTRY
        .iter()
        .copied()
        .flat_map(|a| a.config_properties().iter().map(move |p| (a, p)))
}

/// The declared property with this attribute name.
pub fn property(name: &str) -> Option<&'static ConfigProperty> {
    declared_properties()
        .map(|(_, p)| p)
        .find(|p| p.name == name)
}

/// The checks every method makes before looking at credentials: the presented client id is
/// the client's, the client is enabled, confidential, configured for `method`, and the request
/// used a presentation `method` accepts (`accepts` tells which).
pub(crate) fn check_client(
    method: &dyn Authenticator,
    presented: &Presented,
    client: &ClientAuthConfig,
    accepts: fn(&Presented) -> bool,
) -> Result<(), AuthError> {
    if presented
        .client_id()
        .is_some_and(|id| id != client.client_id)
    {
        return Err(AuthError::ClientMismatch);
    }
    if !client.enabled {
        return Err(AuthError::Disabled);
    }
    if client.public_client {
        return Err(AuthError::PublicClient);
    }
    if client.authenticator != method.id() || !accepts(presented) {
        return Err(AuthError::WrongMethod {
            configured: client.authenticator.clone(),
            used: presented.method_name(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn registry_ids_are_unique_and_found() {
        let ids: HashSet<_> = REGISTRY.iter().map(|a| a.id()).collect();
        assert_eq!(ids.len(), REGISTRY.len());
        for a in REGISTRY {
            assert_eq!(by_id(a.id()).unwrap().id(), a.id());
            assert!(!a.display_name().is_empty());
            assert!(!a.help().is_empty());
        }
        assert!(by_id("client-x509").is_some());
        assert!(by_id("x509").is_none());
        assert!(by_id("").is_none());
        assert_eq!(
            by_id("client-secret").unwrap().display_name(),
            "Client Id and Secret"
        );
        assert_eq!(by_id("client-jwt").unwrap().display_name(), "Signed JWT");
        assert_eq!(
            by_id("client-secret-jwt").unwrap().display_name(),
            "Signed JWT with Client Secret"
        );
    }

    #[test]
    fn declarations_are_complete_and_unique() {
        let mut names = HashSet::new();
        for (m, p) in declared_properties() {
            assert!(names.insert(p.name), "{} declared twice", p.name);
            assert!(!p.label.is_empty() && !p.help.is_empty(), "{}", p.name);
            assert!(
                p.property_type == PropertyType::Boolean || p.max_len > 0,
                "{} of {}",
                p.name,
                m.id()
            );
        }
        for a in REGISTRY {
            assert!(!a.token_endpoint_auth_methods().is_empty(), "{}", a.id());
        }
        assert_eq!(
            token_endpoint_auth_methods(),
            [
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt",
                "client_secret_jwt",
                "tls_client_auth",
                "self_signed_tls_client_auth"
            ]
        );
        let dn = property("x509.subjectdn").unwrap();
        assert_eq!(dn.check("  CN=a "), Ok("CN=a".into()));
        assert!(dn.check(&"x".repeat(dn.max_len + 1)).is_err());
        assert!(dn.check("CN=a\u{0}").is_err());
        let flag = property("x509.allow.regex.pattern.comparison").unwrap();
        assert_eq!(flag.check(""), Ok("false".into()));
        assert_eq!(flag.check("true"), Ok("true".into()));
        assert!(flag
            .check("yes")
            .unwrap_err()
            .contains("\"true\" or \"false\""));
        assert!(property("nope").is_none());
    }

    #[test]
    fn capabilities() {
        let s = by_id("client-secret").unwrap();
        assert!(s.uses_secrets() && !s.uses_keys() && !s.needs_plaintext_secret());
        assert!(s.algorithms().is_empty());
        let j = by_id("client-jwt").unwrap();
        assert!(!j.uses_secrets() && j.uses_keys() && !j.needs_plaintext_secret());
        assert_eq!(j.algorithms(), CLIENT_JWT_ALGS);
        let h = by_id("client-secret-jwt").unwrap();
        assert!(h.uses_secrets() && !h.uses_keys() && h.needs_plaintext_secret());
        assert_eq!(h.algorithms(), CLIENT_SECRET_JWT_ALGS);
        let x = by_id("client-x509").unwrap();
        assert!(x.uses_certificate() && !x.uses_secrets() && !x.uses_keys());
        assert_eq!(x.display_name(), "X509 Certificate");
        let s = by_id("self-signed-tls-client-auth").unwrap();
        assert!(s.uses_certificate() && s.uses_keys() && !s.uses_secrets());
        for m in [
            &ClientSecret as &dyn Authenticator,
            &ClientJwt,
            &ClientSecretJwt,
        ] {
            assert!(!m.uses_certificate(), "{}", m.id());
        }
    }

    #[test]
    fn oauth_errors() {
        assert_eq!(
            AuthError::InvalidRequest("x".into()).oauth_error(),
            "invalid_request"
        );
        for e in [
            AuthError::NoCredentials,
            AuthError::UnsupportedScheme,
            AuthError::ClientMismatch,
            AuthError::Disabled,
            AuthError::PublicClient,
            AuthError::BadSecret,
            AuthError::NoUsableSecret("none active"),
            AuthError::BadAssertion("x".into()),
            AuthError::BadSignature,
            AuthError::UnknownKid(None),
            AuthError::Expired,
            AuthError::Certificate(CertificateRefusal::Missing),
        ] {
            assert_eq!(e.oauth_error(), "invalid_client", "{e}");
        }
        assert_eq!(
            AuthError::UnknownKid(Some("k1".into())).to_string(),
            "no active key of the client has kid k1"
        );
        assert_eq!(
            AuthError::WrongMethod {
                configured: "client-jwt".into(),
                used: "client_secret_basic"
            }
            .to_string(),
            "the client is configured for client-jwt, the request used client_secret_basic"
        );
    }

    #[test]
    fn adapter_values_debug_is_redacted() {
        let v = AdapterValues {
            secret: Some("s3cr3t-value".into()),
            store_password: Some("storepw-value".into()),
            key_password: Some("keypw-value".into()),
            keystore_file: Some("billing.p12".into()),
            ..AdapterValues::default()
        };
        let d = format!("{v:?}");
        assert!(
            !d.contains("s3cr3t") && !d.contains("storepw") && !d.contains("keypw"),
            "{d}"
        );
        assert!(d.contains("billing.p12"));
    }
}
