//! `client-jwt` ("Signed JWT", private_key_jwt): the client signs an assertion with its private
//! key; Keyward selects the client's public key by (kid, alg) and checks the assertion rules.
//! Also the key facts this needs: key type and size from the SPKI, Keycloak's kid and the
//! RFC 7638 thumbprint.

use aws_lc_rs::digest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;
use x509_parser::oid_registry::{
    Oid, OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521,
    OID_PKCS1_RSAENCRYPTION, OID_SIG_ED25519,
};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::{
    check_client, AdapterValues, AuthContext, AuthError, Authenticated, Authenticator,
    ClientAuthConfig, ClientMaterial, ClientPublicKey, CLIENT_JWT_ALGS, PLACEHOLDER_KEYSTORE_FILE,
    PLACEHOLDER_KEYSTORE_TYPE, PLACEHOLDER_KEY_PASSWORD, PLACEHOLDER_STORE_PASSWORD,
};
use crate::assertion::{self, shown};
use crate::client_auth::Presented;

/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;
/// The largest RSA modulus accepted, in bits (what the verifier supports).
pub const MAX_RSA_BITS: usize = 8192;

/// Why a public key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(pub String);

/// The elliptic curves Keyward verifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    /// The JWK `crv` name.
    pub fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        }
    }

    pub(crate) fn coordinate_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    pub(crate) fn alg(self) -> &'static str {
        match self {
            Curve::P256 => "ES256",
            Curve::P384 => "ES384",
            Curve::P521 => "ES512",
        }
    }
}

/// What kind of key an SPKI holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Rsa { bits: usize },
    Ec(Curve),
    Ed25519,
}

/// A public key's parameters, as its JWK would carry them (big-endian, minimal for RSA).
pub(crate) struct Components {
    pub(crate) kind: KeyKind,
    /// RSA: n, e. EC: x, y. Ed25519: x.
    pub(crate) a: Vec<u8>,
    pub(crate) b: Vec<u8>,
}

fn strip_zeros(mut b: &[u8]) -> &[u8] {
    while let [0, rest @ ..] = b {
        b = rest;
    }
    b
}

pub(crate) fn components(spki_der: &[u8]) -> Result<Components, KeyError> {
    let (rest, spki) = SubjectPublicKeyInfo::from_der(spki_der)
        .map_err(|_| KeyError("not a DER SubjectPublicKeyInfo".into()))?;
    if !rest.is_empty() {
        return Err(KeyError(
            "trailing bytes after the SubjectPublicKeyInfo".into(),
        ));
    }
    let oid = &spki.algorithm.algorithm;
    if *oid == OID_PKCS1_RSAENCRYPTION {
        let Ok(PublicKey::RSA(rsa)) = spki.parsed() else {
            return Err(KeyError("malformed RSA public key".into()));
        };
        let n = strip_zeros(rsa.modulus);
        let e = strip_zeros(rsa.exponent);
        if n.is_empty() || e.is_empty() {
            return Err(KeyError("malformed RSA public key".into()));
        }
        let bits = n.len() * 8 - n[0].leading_zeros() as usize;
        Ok(Components {
            kind: KeyKind::Rsa { bits },
            a: n.to_vec(),
            b: e.to_vec(),
        })
    } else if *oid == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve_oid = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| Oid::try_from(p.clone()).ok())
            .ok_or_else(|| KeyError("EC key without a named curve".into()))?;
        let curve = if curve_oid == OID_EC_P256 {
            Curve::P256
        } else if curve_oid == OID_NIST_EC_P384 {
            Curve::P384
        } else if curve_oid == OID_NIST_EC_P521 {
            Curve::P521
        } else {
            return Err(KeyError(format!("unsupported elliptic curve {curve_oid}")));
        };
        let point: &[u8] = &spki.subject_public_key.data;
        let len = curve.coordinate_len();
        match point {
            [4, xy @ ..] if xy.len() == 2 * len => {
                let (x, y) = xy.split_at(len);
                Ok(Components {
                    kind: KeyKind::Ec(curve),
                    a: x.to_vec(),
                    b: y.to_vec(),
                })
            }
            _ => Err(KeyError(
                "EC key is not an uncompressed point of its curve".into(),
            )),
        }
    } else if *oid == OID_SIG_ED25519 {
        let point: &[u8] = &spki.subject_public_key.data;
        if point.len() != 32 || spki.algorithm.parameters.is_some() {
            return Err(KeyError("malformed Ed25519 public key".into()));
        }
        Ok(Components {
            kind: KeyKind::Ed25519,
            a: point.to_vec(),
            b: Vec::new(),
        })
    } else {
        Err(KeyError(format!("unsupported key type {oid}")))
    }
}

/// The key type (and RSA size or curve) of a SubjectPublicKeyInfo.
pub fn key_kind(spki_der: &[u8]) -> Result<KeyKind, KeyError> {
    components(spki_der).map(|c| c.kind)
}

/// The client-jwt algorithms a key can verify (empty for an RSA key outside 2048–8192 bits).
pub fn algorithms_for_key(kind: KeyKind) -> &'static [&'static str] {
    match kind {
        KeyKind::Rsa { bits } if (MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) => {
            &CLIENT_JWT_ALGS[..6]
        }
        KeyKind::Rsa { .. } => &[],
        KeyKind::Ec(Curve::P256) => &["ES256"],
        KeyKind::Ec(Curve::P384) => &["ES384"],
        KeyKind::Ec(Curve::P521) => &["ES512"],
        KeyKind::Ed25519 => &["EdDSA"],
    }
}

pub(crate) fn kind_fits(kind: KeyKind, alg: &str) -> bool {
    match kind {
        KeyKind::Ec(curve) => curve.alg() == alg,
        other => algorithms_for_key(other).contains(&alg),
    }
}

/// Keycloak's kid of a key: base64url(SHA-256(SPKI DER)) (`KeyUtils.createKeyId`), what
/// Keycloak's adapters put in their assertions.
pub fn keycloak_kid(spki_der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, spki_der))
}

/// The RFC 7638 JWK SHA-256 thumbprint of a key, base64url.
pub fn jwk_thumbprint(spki_der: &[u8]) -> Result<String, KeyError> {
    let c = components(spki_der)?;
    let b = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    // Required members only, in lexicographic order, no whitespace (RFC 7638 §3.2).
    let canonical = match c.kind {
        KeyKind::Rsa { .. } => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, b(&c.b), b(&c.a)),
        KeyKind::Ec(curve) => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            curve.name(),
            b(&c.a),
            b(&c.b)
        ),
        KeyKind::Ed25519 => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, b(&c.a)),
    };
    Ok(b(
        digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref()
    ))
}

/// Whether an active key may verify `alg`: its type and size fit, and its own alg, if set, is
/// `alg`.
fn fits(key: &ClientPublicKey, alg: &str) -> bool {
    key.alg.as_deref().is_none_or(|a| a == alg)
        && key_kind(&key.spki_der).is_ok_and(|k| kind_fits(k, alg))
}

/// Whether a key answers to `kid`: its own kid or, for a key registered without one, Keycloak's
/// kid or the RFC 7638 thumbprint.
pub fn answers_to(key: &ClientPublicKey, kid: &str) -> bool {
    match &key.kid {
        Some(k) => k == kid,
        None => {
            keycloak_kid(&key.spki_der) == kid
                || jwk_thumbprint(&key.spki_der).is_ok_and(|t| t == kid)
        }
    }
}

/// The keys that may verify an assertion with this (kid, alg).
pub(crate) fn candidates<'k>(
    keys: &'k [ClientPublicKey],
    alg: &str,
    kid: Option<&str>,
) -> Result<Vec<&'k ClientPublicKey>, AuthError> {
    match kid {
        Some(kid) => {
            let named: Vec<_> = keys.iter().filter(|k| answers_to(k, kid)).collect();
            let active: Vec<_> = named.iter().copied().filter(|k| k.active).collect();
            let fitting: Vec<_> = active.iter().copied().filter(|k| fits(k, alg)).collect();
            if !fitting.is_empty() {
                Ok(fitting)
            } else if !active.is_empty() {
                Err(AuthError::BadAssertion(format!(
                    "the key {} does not fit alg {alg}",
                    shown(kid)
                )))
            } else if !named.is_empty() {
                Err(AuthError::BadAssertion(format!(
                    "the key {} is inactive",
                    shown(kid)
                )))
            } else {
                Err(AuthError::UnknownKid(Some(kid.to_owned())))
            }
        }
        None => {
            let fitting: Vec<_> = keys.iter().filter(|k| k.active && fits(k, alg)).collect();
            match fitting.len() {
                0 => Err(AuthError::UnknownKid(None)),
                1 => Ok(fitting),
                n => Err(AuthError::BadAssertion(format!(
                    "no kid in the header and {n} active keys fit alg {alg}"
                ))),
            }
        }
    }
}

/// Signed JWT (private_key_jwt).
pub struct ClientJwt;

impl Authenticator for ClientJwt {
    fn id(&self) -> &'static str {
        "client-jwt"
    }

    fn display_name(&self) -> &'static str {
        "Signed JWT"
    }

    fn help(&self) -> &'static str {
        "The client signs a short-lived JWT with its private key and sends it as client_assertion \
         (client_assertion_type jwt-bearer). Keyward verifies it with a public key registered for \
         the client, selected by the JWT's kid and alg."
    }

    fn algorithms(&self) -> &'static [&'static str] {
        CLIENT_JWT_ALGS
    }

    fn uses_secrets(&self) -> bool {
        false
    }

    fn uses_keys(&self) -> bool {
        true
    }

    fn token_endpoint_auth_methods(&self) -> &'static [&'static str] {
        &["private_key_jwt"]
    }

    fn needs_plaintext_secret(&self) -> bool {
        false
    }

    fn authenticate(
        &self,
        presented: &Presented,
        client: &ClientAuthConfig,
        material: &ClientMaterial<'_>,
        ctx: &AuthContext,
        now: i64,
    ) -> Result<Authenticated, AuthError> {
        check_client(self, presented, client, |p| {
            matches!(p, Presented::Assertion { spiffe: false, .. })
        })?;
        let Presented::Assertion { assertion, .. } = presented else {
            unreachable!("check_client accepted only assertions")
        };
        let (kid, verified) = assertion::verify(
            assertion,
            CLIENT_JWT_ALGS,
            self.id(),
            client,
            ctx,
            now,
            |header, input, sig| {
                let keys = candidates(material.keys, &header.alg, header.kid.as_deref())?;
                for key in keys {
                    if assertion::verify_asymmetric(&header.alg, &key.spki_der, input, sig).is_ok()
                    {
                        return Ok(key.kid.clone().or_else(|| header.kid.clone()));
                    }
                }
                Err(AuthError::BadSignature)
            },
        )?;
        Ok(Authenticated {
            client_id: client.client_id.clone(),
            binding: None,
            method: self.id(),
            presented: "private_key_jwt",
            secret_id: None,
            kid,
            jti: Some((verified.jti, verified.remember_until)),
        })
    }

    fn adapter_credentials(
        &self,
        client: &ClientAuthConfig,
        values: &AdapterValues,
    ) -> serde_json::Value {
        let or = |v: &Option<String>, placeholder: &str| {
            v.clone().unwrap_or_else(|| placeholder.to_owned())
        };
        let mut jwt = serde_json::Map::new();
        jwt.insert(
            "client-keystore-file".into(),
            json!(or(&values.keystore_file, PLACEHOLDER_KEYSTORE_FILE)),
        );
        jwt.insert(
            "client-keystore-type".into(),
            json!(or(&values.keystore_type, PLACEHOLDER_KEYSTORE_TYPE)),
        );
        jwt.insert(
            "client-keystore-password".into(),
            json!(or(&values.store_password, PLACEHOLDER_STORE_PASSWORD)),
        );
        // A PKCS12 file has one password: Keycloak's adapter reads its key with the store
        // password when `client-key-password` is absent, so none is written for it.
        if values.keystore_type.as_deref() != Some("PKCS12") {
            jwt.insert(
                "client-key-password".into(),
                json!(or(&values.key_password, PLACEHOLDER_KEY_PASSWORD)),
            );
        }
        jwt.insert(
            "client-key-alias".into(),
            json!(values
                .key_alias
                .clone()
                .unwrap_or_else(|| client.client_id.clone())),
        );
        jwt.insert("token-timeout".into(), json!(10));
        let mut jwt = serde_json::Value::Object(jwt);
        if let Some(alg) = client
            .signing_alg
            .as_ref()
            .or(values.key_algorithm.as_ref())
        {
            jwt["algorithm"] = json!(alg);
        }
        json!({ "jwt": jwt })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assertion::testkit::*;
    use crate::authenticator::by_id;
    use crate::client_auth::{presented, JWT_BEARER};
    use serde_json::{json, Value};

    fn key(signer: &Signer, kid: Option<&str>) -> ClientPublicKey {
        ClientPublicKey {
            kid: kid.map(Into::into),
            alg: None,
            spki_der: signer.spki(),
            active: true,
        }
    }

    fn assertion(token: &str, client_id: Option<&str>) -> Presented {
        let mut form = vec![
            ("grant_type".to_string(), "client_credentials".to_string()),
            ("client_assertion_type".into(), JWT_BEARER.into()),
            ("client_assertion".into(), token.into()),
        ];
        if let Some(id) = client_id {
            form.push(("client_id".into(), id.into()));
        }
        presented(None, &form).unwrap()
    }

    fn auth_with(
        client: &ClientAuthConfig,
        keys: &[ClientPublicKey],
        token: &str,
        strict: bool,
    ) -> Result<Authenticated, AuthError> {
        let material = ClientMaterial {
            secrets: &[],
            pepper: None,
            keys,
            ..ClientMaterial::default()
        };
        ClientJwt.authenticate(
            &assertion(token, None),
            client,
            &material,
            &ctx(strict),
            NOW,
        )
    }

    fn auth(keys: &[ClientPublicKey], token: &str) -> Result<Authenticated, AuthError> {
        auth_with(&client("billing", "client-jwt", None), keys, token, false)
    }

    fn bad(r: Result<Authenticated, AuthError>) -> String {
        match r {
            Err(AuthError::BadAssertion(m)) => m,
            other => panic!("expected BadAssertion, got {other:?}"),
        }
    }

    #[test]
    fn every_algorithm_round_trips() {
        for alg in CLIENT_JWT_ALGS {
            let s = Signer::for_alg(alg);
            let keys = [key(&s, Some("k1"))];
            let c = with(claims("billing"), json!({"jti": format!("j-{alg}")}));
            let t = jws(&s, alg, &header(alg, Some("k1")), &c);
            let a = auth(&keys, &t).unwrap_or_else(|e| panic!("{alg}: {e}"));
            assert_eq!(
                a,
                Authenticated {
                    client_id: "billing".into(),
                    binding: None,
                    method: "client-jwt",
                    presented: "private_key_jwt",
                    secret_id: None,
                    kid: Some("k1".into()),
                    jti: Some((format!("j-{alg}"), NOW + 10 + 15)),
                }
            );
            // Pinned to this alg: accepted; pinned to another: refused.
            let pinned = client("billing", "client-jwt", Some(alg));
            assert!(auth_with(&pinned, &keys, &t, false).is_ok());
            let other = if *alg == "RS256" { "PS256" } else { "RS256" };
            let pinned = client("billing", "client-jwt", Some(other));
            assert!(bad(auth_with(&pinned, &keys, &t, false)).contains("pinned"));
        }
    }

    #[test]
    fn tampered_payload_and_wrong_key_fail() {
        let s = Signer::for_alg("RS256");
        let keys = [key(&s, Some("k1"))];
        let t = jws(
            &s,
            "RS256",
            &header("RS256", Some("k1")),
            &claims("billing"),
        );
        let parts: Vec<&str> = t.split('.').collect();
        let forged =
            URL_SAFE_NO_PAD.encode(with(claims("billing"), json!({"exp": NOW + 50})).to_string());
        let tampered = format!("{}.{forged}.{}", parts[0], parts[2]);
        assert_eq!(auth(&keys, &tampered).unwrap_err(), AuthError::BadSignature);
        // Signed by another key with the same kid.
        let other = Signer::ec("ES256");
        let t = jws(
            &other,
            "ES256",
            &header("ES256", Some("k1")),
            &claims("billing"),
        );
        assert!(bad(auth(&keys, &t)).contains("does not fit"));
        let ec_keys = [key(&Signer::ec("ES256"), Some("k1"))];
        assert_eq!(auth(&ec_keys, &t).unwrap_err(), AuthError::BadSignature);
    }

    #[test]
    fn alg_none_and_hmac_confusion_fail() {
        let s = Signer::for_alg("RS256");
        let keys = [key(&s, Some("k1"))];
        let body = URL_SAFE_NO_PAD.encode(claims("billing").to_string());
        for h in [json!({"alg": "none"}), json!({"alg": "none", "kid": "k1"})] {
            let t = format!("{}.{body}.", URL_SAFE_NO_PAD.encode(h.to_string()));
            assert!(auth(&keys, &t).is_err());
            let t = format!("{}.{body}.AAAA", URL_SAFE_NO_PAD.encode(h.to_string()));
            assert_eq!(bad(auth(&keys, &t)), "alg none is never accepted");
        }
        // HS256 "signed" with the public key bytes (SPKI and PKCS#1) as the HMAC secret.
        let pkcs1 = s.spki()[24..].to_vec();
        for secret in [s.spki(), pkcs1] {
            let t = jws(
                &Signer::Hmac(secret),
                "HS256",
                &header("HS256", Some("k1")),
                &claims("billing"),
            );
            assert!(bad(auth(&keys, &t)).contains("not allowed for client-jwt"));
        }
    }

    #[test]
    fn claim_rules_apply() {
        let s = Signer::ec("ES256");
        let keys = [key(&s, Some("k1"))];
        let sign = |c: Value| jws(&s, "ES256", &header("ES256", Some("k1")), &c);
        let base = claims("billing");
        assert!(bad(auth(&keys, &sign(with(base.clone(), json!({"iss": "x"}))))).contains("iss"));
        assert!(bad(auth(&keys, &sign(with(base.clone(), json!({"sub": "x"}))))).contains("sub"));
        assert!(bad(auth(
            &keys,
            &sign(with(base.clone(), json!({"aud": [ISSUER, ISSUER]})))
        ))
        .contains("aud"));
        assert!(bad(auth(&keys, &sign(with(base.clone(), json!({"jti": null}))))).contains("jti"));
        assert!(bad(auth(
            &keys,
            &sign(with(base.clone(), json!({"nbf": NOW + 100})))
        ))
        .contains("nbf"));
        assert_eq!(
            auth(&keys, &sign(with(base.clone(), json!({"exp": NOW - 100})))).unwrap_err(),
            AuthError::Expired
        );
        let te = sign(with(base.clone(), json!({"aud": TOKEN_ENDPOINT})));
        let c = client("billing", "client-jwt", None);
        assert!(auth_with(&c, &keys, &te, false).is_ok());
        assert!(bad(auth_with(&c, &keys, &te, true)).contains("strict"));
        // Another client's assertion, presented as this client's.
        let theirs = sign(claims("reports"));
        assert!(bad(auth(&keys, &theirs)).contains("iss"));
    }

    #[test]
    fn key_selection_by_kid() {
        let s = Signer::ec("ES256");
        let t = |kid: Option<&str>| jws(&s, "ES256", &header("ES256", kid), &claims("billing"));
        // Unknown kid: the caller may refetch the JWKS.
        assert_eq!(
            auth(&[key(&s, Some("k1"))], &t(Some("k2"))).unwrap_err(),
            AuthError::UnknownKid(Some("k2".into()))
        );
        // An inactive key is never used.
        let mut inactive = key(&s, Some("k1"));
        inactive.active = false;
        assert!(bad(auth(&[inactive.clone()], &t(Some("k1")))).contains("inactive"));
        assert_eq!(
            auth(&[inactive], &t(None)).unwrap_err(),
            AuthError::UnknownKid(None)
        );
        // No kid: only one fitting key.
        let other = Signer::ec("ES256");
        assert!(auth(&[key(&s, Some("k1"))], &t(None)).is_ok());
        assert_eq!(
            bad(auth(
                &[key(&s, Some("k1")), key(&other, Some("k2"))],
                &t(None)
            )),
            "no kid in the header and 2 active keys fit alg ES256"
        );
        // An RSA key beside it does not count: it cannot verify ES256.
        let rsa = Signer::for_alg("RS256");
        let a = auth(&[key(&rsa, Some("r")), key(&s, None)], &t(None)).unwrap();
        assert_eq!(a.kid, None);
        // The right key among several, by kid.
        let keys = [
            key(&other, Some("k2")),
            key(&rsa, Some("k3")),
            key(&s, Some("k1")),
        ];
        assert_eq!(
            auth(&keys, &t(Some("k1"))).unwrap().kid.as_deref(),
            Some("k1")
        );
        // A key's own alg must match the header's.
        let mut k = key(&s, Some("k1"));
        k.alg = Some("ES384".into());
        assert!(bad(auth(&[k.clone()], &t(Some("k1")))).contains("does not fit"));
        assert_eq!(
            auth(&[k.clone()], &t(None)).unwrap_err(),
            AuthError::UnknownKid(None)
        );
        k.alg = Some("ES256".into());
        assert!(auth(&[k], &t(Some("k1"))).is_ok());
    }

    #[test]
    fn keys_without_kid_answer_to_keycloak_kid_and_thumbprint() {
        let s = Signer::for_alg("RS256");
        let keys = [key(&Signer::ec("ES256"), None), key(&s, None)];
        let kc = keycloak_kid(&s.spki());
        let tp = jwk_thumbprint(&s.spki()).unwrap();
        assert_ne!(kc, tp);
        for kid in [&kc, &tp] {
            let t = jws(&s, "RS256", &header("RS256", Some(kid)), &claims("billing"));
            assert_eq!(auth(&keys, &t).unwrap().kid.as_deref(), Some(kid.as_str()));
        }
        // A key registered with a kid answers only to that kid.
        let named = [key(&s, Some("mine"))];
        let t = jws(&s, "RS256", &header("RS256", Some(&kc)), &claims("billing"));
        assert_eq!(
            auth(&named, &t).unwrap_err(),
            AuthError::UnknownKid(Some(kc.clone()))
        );
    }

    #[test]
    fn common_checks() {
        let s = Signer::ec("ES256");
        let keys = [key(&s, Some("k1"))];
        let t = jws(
            &s,
            "ES256",
            &header("ES256", Some("k1")),
            &claims("billing"),
        );
        let material = ClientMaterial {
            secrets: &[],
            pepper: None,
            keys: &keys,
            ..ClientMaterial::default()
        };
        let go = |p: &Presented, c: &ClientAuthConfig| {
            ClientJwt.authenticate(p, c, &material, &ctx(false), NOW)
        };
        let c = client("billing", "client-jwt", None);
        assert!(go(&assertion(&t, Some("billing")), &c).is_ok());
        assert_eq!(
            go(&assertion(&t, Some("other")), &c).unwrap_err(),
            AuthError::ClientMismatch
        );
        let mut disabled = c.clone();
        disabled.enabled = false;
        assert_eq!(
            go(&assertion(&t, None), &disabled).unwrap_err(),
            AuthError::Disabled
        );
        let mut public = c.clone();
        public.public_client = true;
        assert_eq!(
            go(&assertion(&t, None), &public).unwrap_err(),
            AuthError::PublicClient
        );
        let secret_client = client("billing", "client-secret", None);
        assert!(matches!(
            go(&assertion(&t, None), &secret_client),
            Err(AuthError::WrongMethod { .. })
        ));
        let basic = Presented::Basic {
            client_id: "billing".into(),
            secret: crate::secret::SecretString::new("x"),
        };
        assert_eq!(
            go(&basic, &c).unwrap_err(),
            AuthError::WrongMethod {
                configured: "client-jwt".into(),
                used: "client_secret_basic"
            }
        );
        // The client named by an assertion without client_id is its unverified sub.
        assert_eq!(assertion(&t, None).lookup_client_id().unwrap(), "billing");
    }

    #[test]
    fn key_facts() {
        let rsa = Signer::for_alg("RS256").spki();
        assert_eq!(key_kind(&rsa).unwrap(), KeyKind::Rsa { bits: 2048 });
        assert_eq!(
            algorithms_for_key(KeyKind::Rsa { bits: 2048 }),
            &CLIENT_JWT_ALGS[..6]
        );
        assert_eq!(
            key_kind(&Signer::ec("ES256").spki()).unwrap(),
            KeyKind::Ec(Curve::P256)
        );
        assert_eq!(
            key_kind(&Signer::ec("ES384").spki()).unwrap(),
            KeyKind::Ec(Curve::P384)
        );
        assert_eq!(
            key_kind(&Signer::ec("ES512").spki()).unwrap(),
            KeyKind::Ec(Curve::P521)
        );
        assert_eq!(key_kind(&Signer::ed().spki()).unwrap(), KeyKind::Ed25519);
        assert!(key_kind(&rsa[..rsa.len() - 1]).is_err());
        assert!(key_kind(&[rsa.clone(), vec![0]].concat()).is_err());
        assert!(key_kind(b"").is_err());
        assert!(jwk_thumbprint(b"\x30\x00").is_err());
        // Thumbprints of every key type are stable 43-character base64url strings.
        for s in [Signer::ec("ES256"), Signer::ec("ES512"), Signer::ed()] {
            let t = jwk_thumbprint(&s.spki()).unwrap();
            assert_eq!(t.len(), 43);
            assert_eq!(t, jwk_thumbprint(&s.spki()).unwrap());
        }
        assert_eq!(
            keycloak_kid(b"abc"),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
    }

    #[test]
    fn small_rsa_keys_are_refused() {
        // A 1024-bit modulus (no real key needed: it is refused before any verification).
        let mut n = vec![0xc5u8; 128];
        n[127] |= 1;
        let spki = rsa_spki(&n, &[1, 0, 1]);
        assert_eq!(key_kind(&spki).unwrap(), KeyKind::Rsa { bits: 1024 });
        let k = ClientPublicKey {
            kid: Some("small".into()),
            alg: None,
            spki_der: spki,
            active: true,
        };
        let s = Signer::for_alg("RS256");
        let t = jws(
            &s,
            "RS256",
            &header("RS256", Some("small")),
            &claims("billing"),
        );
        assert!(bad(auth(&[k], &t)).contains("does not fit"));
    }

    /// RFC 7638 §3.1.
    #[test]
    fn rfc7638_example_thumbprint() {
        let n = URL_SAFE_NO_PAD
            .decode(
                "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            )
            .unwrap();
        let spki = rsa_spki(&n, &[1, 0, 1]);
        assert_eq!(
            jwk_thumbprint(&spki).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
        assert_eq!(key_kind(&spki).unwrap(), KeyKind::Rsa { bits: 2048 });
    }

    /// RFC 8037 Appendix A.3 (Ed25519 JWK thumbprint).
    #[test]
    fn rfc8037_ed25519_thumbprint() {
        let x = URL_SAFE_NO_PAD
            .decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
            .unwrap();
        let spki = [
            &[
                0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
            ][..],
            &x,
        ]
        .concat();
        assert_eq!(key_kind(&spki).unwrap(), KeyKind::Ed25519);
        assert_eq!(
            jwk_thumbprint(&spki).unwrap(),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    /// EC thumbprints, cross-checked with Python's `cryptography` (the P-521 x starts with a
    /// zero byte, which must be kept: EC coordinates have the curve's fixed length).
    #[test]
    fn ec_thumbprints_match_an_independent_implementation() {
        let hex = |s: &str| {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect::<Vec<u8>>()
        };
        let p256 = hex("3059301306072a8648ce3d020106082a8648ce3d03010703420004bc06ea6e01e626765c0dc78eba827009154313bf1db6293c18b41b4d1516297af9068a31bc3097571f78cf01359b2246d65dde1560f6622bd9e07c7b0bde0738");
        assert_eq!(
            jwk_thumbprint(&p256).unwrap(),
            "n624URo_FYDoFdVeYl7xFJwJ5CF6duEWswRIHjpWkE4"
        );
        let p521 = hex("30819b301006072a8648ce3d020106052b81040023038186000400d211357e9cfa8b0cad479ec243bbaff8c8696f0e7266714775dd78f63739d17a86fc646dedda45fa93c8b07bec6be200a9a128e823135040b7d312435e0c1b932b00cba074da13466ba573738a2770eb9c6add8f30ac42d0e9969aefbd5906d30601c6630e2d94b1252945ecd462e50ff4dffe933e2eb9164cfbdc4c5e6f72d4b53a5c");
        assert_eq!(key_kind(&p521).unwrap(), KeyKind::Ec(Curve::P521));
        assert_eq!(
            jwk_thumbprint(&p521).unwrap(),
            "7UEXstxPda1bHoQKAGa2Lbi7G9VGoeoZSTILmx1NABo"
        );
    }

    #[test]
    fn adapter_credentials_exact_json() {
        let a = by_id("client-jwt").unwrap();
        let c = client("billing", "client-jwt", None);
        let v = AdapterValues {
            keystore_file: Some("billing.p12".into()),
            keystore_type: Some("PKCS12".into()),
            store_password: Some("storepw".into()),
            key_password: Some("keypw".into()),
            ..AdapterValues::default()
        };
        assert_eq!(
            a.adapter_credentials(&c, &v).to_string(),
            r#"{"jwt":{"client-keystore-file":"billing.p12","client-keystore-type":"PKCS12","client-keystore-password":"storepw","client-key-alias":"billing","token-timeout":10}}"#
        );
        // A JKS keeps a key password of its own.
        let jks = AdapterValues {
            keystore_type: Some("JKS".into()),
            ..v.clone()
        };
        assert!(a
            .adapter_credentials(&c, &jks)
            .to_string()
            .contains(r#""client-key-password":"keypw""#));
        let pinned = client("billing", "client-jwt", Some("ES256"));
        let v = AdapterValues {
            key_alias: Some("k".into()),
            ..AdapterValues::default()
        };
        assert_eq!(
            a.adapter_credentials(&pinned, &v).to_string(),
            r#"{"jwt":{"client-keystore-file":"REPLACE WITH THE KEYSTORE FILE","client-keystore-type":"REPLACE WITH THE KEYSTORE TYPE","client-keystore-password":"REPLACE WITH THE KEYSTORE PASSWORD","client-key-password":"REPLACE WITH THE KEY PASSWORD","client-key-alias":"k","token-timeout":10,"algorithm":"ES256"}}"#
        );
    }
}
