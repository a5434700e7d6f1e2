//! The two RFC 8705 methods, where the client proves itself in the TLS handshake (with Keyward's
//! mTLS listener, or with a trusted proxy that forwards the certificate) and sends only its
//! `client_id`:
//!
//! - `client-x509` (Keycloak's id, RFC 8705 `tls_client_auth`): the certificate chains to one of
//!   the deployment's CAs (`KEYWARD_MTLS_CA`), is valid now, and its subject DN is the client's
//!   `x509.subjectdn` (canonical comparison, or a regular expression), with an optional SAN.
//! - `self-signed-tls-client-auth` (RFC 8705 `self_signed_tls_client_auth`, which Keycloak
//!   lacks): the certificate's public key is one of the client's registered, active keys (or its
//!   JWKS URL's); no CA is involved.
//!
//! Invariant: neither method looks at a secret or an assertion; a request that carries one is
//! refused as the wrong method, so a client-x509 client cannot be reached with a password.

use serde_json::json;

use super::{
    check_client, AdapterValues, Attributes, AuthContext, AuthError, Authenticated, Authenticator,
    ClientAuthConfig, ClientMaterial, ConfigProperty, PropertyType,
};
use crate::client_auth::Presented;
use crate::mtls::{self, CertificateRefusal, San, X509Expectation};

/// Keycloak's attribute: the subject DN a `client-x509` certificate must carry.
pub const SUBJECT_DN: &str = "x509.subjectdn";
/// Keycloak's attribute: the subject DN is a regular expression.
pub const REGEX: &str = "x509.allow.regex.pattern.comparison";
/// Keyward's: the subject alternative name the certificate must carry (RFC 8705 §2.1.2).
pub const SAN: &str = "x509.san";

/// `client-x509`'s settings.
static X509_PROPERTIES: [ConfigProperty; 3] = [
    ConfigProperty {
        name: SUBJECT_DN,
        property_type: PropertyType::String,
        label: "Subject DN",
        help: "As RFC 4514 writes it (most specific first). Compared ignoring case, spaces and the order inside a multi-valued RDN; the order of the RDNs matters. Paste a certificate below to read its DN.",
        placeholder: "CN=billing,O=Acme",
        max_len: 1024,
    },
    ConfigProperty {
        name: REGEX,
        property_type: PropertyType::Boolean,
        label: "The subject DN is a regular expression (the whole DN must match)",
        help: "Keycloak's x509.allow.regex.pattern.comparison; linear-time matching.",
        placeholder: "",
        max_len: 0,
    },
    ConfigProperty {
        name: SAN,
        property_type: PropertyType::String,
        label: "Required subject alternative name (optional)",
        help: "dns:…, uri:…, ip:… or email:… (RFC 8705 §2.1.2).",
        placeholder: "dns:billing.acme.test",
        max_len: 520,
    },
];

/// What a `client-x509` client's certificate must carry, from its attributes (`None` without a
/// subject DN; a stored SAN that no longer parses requires a SAN nothing carries, so it can
/// never widen what is accepted).
pub fn expectation(attributes: &Attributes) -> Option<X509Expectation> {
    let subject_dn = attributes
        .get(SUBJECT_DN)
        .filter(|d| !d.is_empty())?
        .clone();
    let san = attributes.get(SAN).filter(|s| !s.is_empty()).map(|s| {
        San::parse(s).unwrap_or_else(|_| San::Uri(format!("unparsable stored SAN {s:?}")))
    });
    Some(X509Expectation {
        subject_dn,
        regex: attributes.get(REGEX).is_some_and(|v| v == "true"),
        san,
    })
}

/// X509 Certificate (`tls_client_auth`).
pub struct ClientX509;

/// Self-signed certificate with a registered key (`self_signed_tls_client_auth`).
pub struct SelfSignedTls;

fn only_client_id(p: &Presented) -> bool {
    matches!(p, Presented::None { .. })
}

impl Authenticator for ClientX509 {
    fn id(&self) -> &'static str {
        "client-x509"
    }

    fn display_name(&self) -> &'static str {
        "X509 Certificate"
    }

    fn help(&self) -> &'static str {
        "The client connects with a TLS client certificate issued by a CA Keyward trusts \
         (KEYWARD_MTLS_CA) and sends only its client_id; the certificate's subject DN must be the \
         one set here (RFC 8705 tls_client_auth). No secret or assertion travels."
    }

    fn algorithms(&self) -> &'static [&'static str] {
        &[]
    }

    fn uses_secrets(&self) -> bool {
        false
    }

    fn uses_keys(&self) -> bool {
        false
    }

    fn uses_certificate(&self) -> bool {
        true
    }

    fn token_endpoint_auth_methods(&self) -> &'static [&'static str] {
        &["tls_client_auth"]
    }

    fn config_properties(&self) -> &'static [ConfigProperty] {
        &X509_PROPERTIES
    }

    /// The subject DN is required and is a DN (or, as a pattern, compiles); the SAN parses.
    fn validate_config(&self, attributes: &Attributes) -> Result<(), String> {
        let get = |n: &str| attributes.get(n).map(String::as_str).unwrap_or("");
        let dn = get(SUBJECT_DN);
        if dn.is_empty() {
            return Err(
                "X509 Certificate needs the subject DN its certificates carry (x509.subjectdn), e.g. CN=billing,O=Acme"
                    .into(),
            );
        }
        mtls::check_expected_dn(dn, get(REGEX) == "true")
            .map_err(|e| format!("the subject DN (x509.subjectdn) is refused: {e}"))?;
        if !get(SAN).is_empty() {
            San::parse(get(SAN))
                .map_err(|e| format!("the subject alternative name is refused: {e}"))?;
        }
        Ok(())
    }

    fn needs_plaintext_secret(&self) -> bool {
        false
    }

    fn authenticate(
        &self,
        presented: &Presented,
        client: &ClientAuthConfig,
        material: &ClientMaterial<'_>,
        _ctx: &AuthContext,
        now: i64,
    ) -> Result<Authenticated, AuthError> {
        check_client(self, presented, client, only_client_id)?;
        let expected = expectation(&client.attributes)
            .ok_or(AuthError::Certificate(CertificateRefusal::NoExpectation))?;
        let chain = material
            .certificate
            .chain()
            .map_err(AuthError::Certificate)?;
        mtls::verify_tls_client_auth(chain, material.trust_anchors, now, &expected)
            .map_err(AuthError::Certificate)?;
        Ok(Authenticated {
            client_id: client.client_id.clone(),
            binding: None,
            method: self.id(),
            presented: "tls_client_auth",
            secret_id: None,
            kid: None,
            jti: None,
        })
    }

    fn adapter_credentials(
        &self,
        _client: &ClientAuthConfig,
        _values: &AdapterValues,
    ) -> serde_json::Value {
        // As Keycloak's X509ClientAuthenticator: nothing to configure in `credentials`; the
        // certificate is the HTTP client's TLS configuration.
        json!({})
    }
}

impl Authenticator for SelfSignedTls {
    fn id(&self) -> &'static str {
        "self-signed-tls-client-auth"
    }

    fn display_name(&self) -> &'static str {
        "Self-signed X509 Certificate"
    }

    fn help(&self) -> &'static str {
        "The client connects with a TLS client certificate (self-signed is fine) whose public key \
         is one of the keys registered on the Keys tab, and sends only its client_id (RFC 8705 \
         self_signed_tls_client_auth). No CA, no secret, no assertion."
    }

    fn algorithms(&self) -> &'static [&'static str] {
        &[]
    }

    fn uses_secrets(&self) -> bool {
        false
    }

    fn uses_keys(&self) -> bool {
        true
    }

    fn uses_certificate(&self) -> bool {
        true
    }

    fn token_endpoint_auth_methods(&self) -> &'static [&'static str] {
        &["self_signed_tls_client_auth"]
    }

    fn needs_plaintext_secret(&self) -> bool {
        false
    }

    fn authenticate(
        &self,
        presented: &Presented,
        client: &ClientAuthConfig,
        material: &ClientMaterial<'_>,
        _ctx: &AuthContext,
        now: i64,
    ) -> Result<Authenticated, AuthError> {
        check_client(self, presented, client, only_client_id)?;
        let chain = material
            .certificate
            .chain()
            .map_err(AuthError::Certificate)?;
        let leaf = chain
            .first()
            .ok_or(AuthError::Certificate(CertificateRefusal::Missing))?;
        let active: Vec<&super::ClientPublicKey> =
            material.keys.iter().filter(|k| k.active).collect();
        let matched =
            mtls::verify_self_signed(leaf, active.iter().map(|k| k.spki_der.as_slice()), now)
                .map_err(AuthError::Certificate)?;
        let key = active[matched];
        let kid = Some(
            key.kid
                .clone()
                .unwrap_or_else(|| super::keycloak_kid(&key.spki_der)),
        );
        Ok(Authenticated {
            client_id: client.client_id.clone(),
            binding: None,
            method: self.id(),
            presented: "self_signed_tls_client_auth",
            secret_id: None,
            kid,
            jti: None,
        })
    }

    fn adapter_credentials(
        &self,
        _client: &ClientAuthConfig,
        _values: &AdapterValues,
    ) -> serde_json::Value {
        json!({})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assertion::testkit::{client, ctx};
    use crate::authenticator::ClientPublicKey;
    use crate::mtls::PresentedCertificate;
    use crate::secret::SecretString;

    fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }

    /// A CA, and a client-auth leaf `CN=billing,O=Acme` it signed; with the leaf's SPKI.
    fn ca_and_leaf() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::default();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "Test CA");
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let key = rcgen::KeyPair::generate().unwrap();
        let mut leaf = rcgen::CertificateParams::default();
        leaf.distinguished_name = rcgen::DistinguishedName::new();
        leaf.distinguished_name
            .push(rcgen::DnType::OrganizationName, "Acme");
        leaf.distinguished_name
            .push(rcgen::DnType::CommonName, "billing");
        leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let t = time::OffsetDateTime::now_utc();
        leaf.not_before = t - time::Duration::hours(1);
        leaf.not_after = t + time::Duration::days(1);
        let leaf = leaf.signed_by(&key, &issuer).unwrap();
        let spki = rcgen::PublicKeyData::subject_public_key_info(&key);
        (ca_cert.der().to_vec(), leaf.der().to_vec(), spki)
    }

    fn x509_client(dn: Option<&str>) -> ClientAuthConfig {
        ClientAuthConfig {
            attributes: dn
                .map(|d| [(SUBJECT_DN.to_string(), d.to_string())].into())
                .unwrap_or_default(),
            ..client("billing", "client-x509", None)
        }
    }

    #[test]
    fn settings_are_validated_together() {
        let attrs = |dn: &str, regex: &str, san: &str| -> Attributes {
            [(SUBJECT_DN, dn), (REGEX, regex), (SAN, san)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert!(ClientX509
            .validate_config(&attrs("CN=billing,O=Acme", "false", ""))
            .is_ok());
        assert!(ClientX509
            .validate_config(&attrs("", "false", ""))
            .unwrap_err()
            .contains("needs the subject DN"));
        assert!(ClientX509
            .validate_config(&attrs("CN=(bank", "true", ""))
            .unwrap_err()
            .contains("does not compile"));
        assert!(ClientX509
            .validate_config(&attrs("CN=billing", "false", "ftp:x"))
            .unwrap_err()
            .contains("subject alternative name is refused"));
        assert_eq!(
            expectation(&attrs("CN=billing", "true", "dns:a.test")),
            Some(X509Expectation {
                subject_dn: "CN=billing".into(),
                regex: true,
                san: Some(San::Dns("a.test".into())),
            })
        );
        assert_eq!(expectation(&attrs("", "true", "")), None);
        // The other methods declare nothing and accept anything.
        assert!(SelfSignedTls.config_properties().is_empty());
        assert!(SelfSignedTls.validate_config(&Attributes::new()).is_ok());
    }

    fn only_id() -> Presented {
        Presented::None {
            client_id: "billing".into(),
        }
    }

    #[test]
    fn client_x509_takes_the_certificate_and_only_the_client_id() {
        let (ca, leaf, _) = ca_and_leaf();
        let anchors = vec![ca];
        let cert = PresentedCertificate::Chain(vec![leaf]);
        let material = ClientMaterial {
            certificate: &cert,
            trust_anchors: &anchors,
            ..ClientMaterial::default()
        };
        let c = x509_client(Some("CN=billing, O=acme"));
        let ok = ClientX509
            .authenticate(&only_id(), &c, &material, &ctx(false), now())
            .unwrap();
        assert_eq!(ok.presented, "tls_client_auth");
        assert_eq!(ok.method, "client-x509");

        // A secret sent besides is the wrong method, even with the right certificate.
        let with_secret = Presented::Post {
            client_id: "billing".into(),
            secret: SecretString::new("anything"),
        };
        assert!(matches!(
            ClientX509.authenticate(&with_secret, &c, &material, &ctx(false), now()),
            Err(AuthError::WrongMethod { .. })
        ));
        // No subject DN configured: refused, with the reason.
        assert_eq!(
            ClientX509.authenticate(
                &only_id(),
                &x509_client(None),
                &material,
                &ctx(false),
                now()
            ),
            Err(AuthError::Certificate(CertificateRefusal::NoExpectation))
        );
        // Another subject, no certificate, a refused forwarded header.
        assert!(matches!(
            ClientX509.authenticate(
                &only_id(),
                &x509_client(Some("CN=payroll,O=Acme")),
                &material,
                &ctx(false),
                now()
            ),
            Err(AuthError::Certificate(
                CertificateRefusal::DnMismatch { .. }
            ))
        ));
        let none = ClientMaterial {
            trust_anchors: &anchors,
            ..ClientMaterial::default()
        };
        assert_eq!(
            ClientX509.authenticate(&only_id(), &c, &none, &ctx(false), now()),
            Err(AuthError::Certificate(CertificateRefusal::Missing))
        );
        let untrusted = PresentedCertificate::Refused(CertificateRefusal::UntrustedForwarder(
            "10.1.2.3".into(),
        ));
        let refused = ClientMaterial {
            certificate: &untrusted,
            trust_anchors: &anchors,
            ..ClientMaterial::default()
        };
        let e = ClientX509
            .authenticate(&only_id(), &c, &refused, &ctx(false), now())
            .unwrap_err();
        assert!(
            e.to_string().contains("10.1.2.3") && e.to_string().contains("not a trusted proxy"),
            "{e}"
        );
        assert_eq!(e.oauth_error(), "invalid_client");
        // Without the CA configured nothing chains.
        let no_ca = ClientMaterial {
            certificate: &cert,
            ..ClientMaterial::default()
        };
        assert!(matches!(
            ClientX509.authenticate(&only_id(), &c, &no_ca, &ctx(false), now()),
            Err(AuthError::Certificate(CertificateRefusal::UntrustedChain(
                _
            )))
        ));
    }

    #[test]
    fn self_signed_needs_an_active_registered_key_and_names_it() {
        let (_, leaf, spki) = ca_and_leaf();
        let cert = PresentedCertificate::Chain(vec![leaf]);
        let c = client("billing", "self-signed-tls-client-auth", None);
        let key = |active: bool, kid: Option<&str>| ClientPublicKey {
            kid: kid.map(str::to_string),
            alg: None,
            spki_der: spki.clone(),
            active,
        };
        let keys = [key(true, Some("k1"))];
        let material = ClientMaterial {
            certificate: &cert,
            keys: &keys,
            ..ClientMaterial::default()
        };
        let ok = SelfSignedTls
            .authenticate(&only_id(), &c, &material, &ctx(false), now())
            .unwrap();
        assert_eq!(ok.presented, "self_signed_tls_client_auth");
        assert_eq!(ok.kid.as_deref(), Some("k1"));
        // The same key retired: refused.
        let retired = [key(false, Some("k1"))];
        let material = ClientMaterial {
            certificate: &cert,
            keys: &retired,
            ..ClientMaterial::default()
        };
        assert_eq!(
            SelfSignedTls.authenticate(&only_id(), &c, &material, &ctx(false), now()),
            Err(AuthError::Certificate(CertificateRefusal::KeyNotRegistered))
        );
        // A key registered without kid is named by Keycloak's kid.
        let bare = [key(true, None)];
        let material = ClientMaterial {
            certificate: &cert,
            keys: &bare,
            ..ClientMaterial::default()
        };
        let ok = SelfSignedTls
            .authenticate(&only_id(), &c, &material, &ctx(false), now())
            .unwrap();
        assert_eq!(ok.kid, Some(super::super::keycloak_kid(&spki)));
        // The client configured for client-x509 is not reached through this method.
        assert!(matches!(
            SelfSignedTls.authenticate(
                &only_id(),
                &x509_client(Some("CN=x")),
                &material,
                &ctx(false),
                now()
            ),
            Err(AuthError::WrongMethod { .. })
        ));
    }

    #[test]
    fn keycloak_json_credentials_are_empty_as_keycloaks() {
        let c = x509_client(Some("CN=x"));
        assert_eq!(
            ClientX509.adapter_credentials(&c, &AdapterValues::default()),
            json!({})
        );
        assert_eq!(
            SelfSignedTls.adapter_credentials(&c, &AdapterValues::default()),
            json!({})
        );
    }
}
