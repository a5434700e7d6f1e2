//! JWT client assertions (RFC 7523, Keycloak's JWTClientAuthenticator): compact JWS parsing,
//! the algorithm rules, signature verification and the claim rules of DESIGN.md §3, shared by
//! the client-jwt and client-secret-jwt authenticators.

use aws_lc_rs::hmac;
use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

use crate::authenticator::{AuthContext, AuthError, ClientAuthConfig};
pub use crate::client_auth::MAX_ASSERTION_LEN;

/// Clock skew allowed on `exp`, `iat` and `nbf`, in seconds.
pub const SKEW_S: i64 = 15;
/// The assertion lifetime allowed when the client sets none (Keycloak's default).
pub const DEFAULT_MAX_EXP_S: i64 = 60;
/// Longest `jti` accepted, in characters.
pub const MAX_JTI_LEN: usize = 255;
/// Longest `kid` accepted, in characters.
pub const MAX_KID_LEN: usize = 255;

/// Why [`parse`] refuses `alg: none` (other modules recognise the refusal by this text).
pub(crate) const ALG_NONE_REFUSED: &str = "alg none is never accepted";

/// The JOSE header fields Keyward reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub alg: String,
    pub kid: Option<String>,
    pub typ: Option<String>,
}

/// A compact JWS split into its parts; nothing in it is trusted yet.
#[derive(Debug, Clone)]
pub struct Jws<'a> {
    pub header: Header,
    /// `base64url(header) "." base64url(payload)`: the bytes the signature covers.
    pub signing_input: &'a [u8],
    pub payload: Vec<u8>,
    pub signature: Vec<u8>,
}

/// What a verified assertion yields besides the key: the header and the jti to remember.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub header: Header,
    pub jti: String,
    /// Until when the jti must be remembered (exp + skew).
    pub remember_until: i64,
}

fn bad(reason: impl Into<String>) -> AuthError {
    AuthError::BadAssertion(reason.into())
}

/// A value from the request, fit for a log line: at most 64 characters, escaped.
pub(crate) fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(64).flat_map(char::escape_default).collect();
    if s.chars().nth(64).is_some() {
        out.push('…');
    }
    out
}

fn b64(part: &str, what: &str) -> Result<Vec<u8>, AuthError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| bad(format!("the {what} is not base64url without padding")))
}

/// Splits a compact JWS: exactly three base64url parts, a JSON object header with a string
/// `alg` that is not `none`, an optional string `kid`, and no `crit`.
pub fn parse(assertion: &str) -> Result<Jws<'_>, AuthError> {
    if assertion.len() > MAX_ASSERTION_LEN {
        return Err(AuthError::InvalidRequest(format!(
            "client_assertion is longer than {MAX_ASSERTION_LEN} bytes"
        )));
    }
    let mut parts = assertion.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("not a compact JWS (three dot-separated parts)"));
    };
    let header_bytes = b64(h, "header")?;
    let payload = b64(p, "payload")?;
    let signature = b64(s, "signature")?;
    if signature.is_empty() {
        return Err(bad("the signature is empty"));
    }
    let header: Map<String, Value> = serde_json::from_slice(&header_bytes)
        .map_err(|_| bad("the header is not a JSON object"))?;
    let alg = match header.get("alg") {
        Some(Value::String(a)) if !a.is_empty() => a.clone(),
        Some(_) => return Err(bad("the header alg is not a string")),
        None => return Err(bad("the header has no alg")),
    };
    if alg.eq_ignore_ascii_case("none") {
        return Err(bad(ALG_NONE_REFUSED));
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(k)) => {
            if k.chars().count() > MAX_KID_LEN || k.chars().any(char::is_control) {
                return Err(bad("the kid is too long or has control characters"));
            }
            Some(k.clone())
        }
        Some(_) => return Err(bad("the header kid is not a string")),
    };
    let typ = match header.get("typ") {
        Some(Value::String(t)) => Some(t.clone()),
        _ => None,
    };
    if header.contains_key("crit") {
        return Err(bad(
            "the header has crit extensions, none of which are supported",
        ));
    }
    Ok(Jws {
        header: Header { alg, kid, typ },
        signing_input: &assertion.as_bytes()[..h.len() + 1 + p.len()],
        payload,
        signature,
    })
}

/// The algorithm rules: `alg` is one of `allowed` (the method's family) and equals the pinned
/// algorithm if the client pins one.
pub fn check_alg(
    header: &Header,
    allowed: &[&str],
    method: &str,
    client: &ClientAuthConfig,
) -> Result<(), AuthError> {
    if !allowed.contains(&header.alg.as_str()) {
        return Err(bad(format!(
            "alg {} is not allowed for {method} (allowed: {})",
            shown(&header.alg),
            allowed.join(", ")
        )));
    }
    if let Some(pinned) = client.signing_alg.as_deref() {
        if pinned != header.alg {
            return Err(bad(format!(
                "alg {} is not the client's pinned algorithm {pinned}",
                header.alg
            )));
        }
    }
    Ok(())
}

/// The aws-lc-rs verification algorithm of an asymmetric JWS `alg`.
fn asymmetric(alg: &str) -> Option<&'static dyn VerificationAlgorithm> {
    Some(match alg {
        "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
        "RS384" => &signature::RSA_PKCS1_2048_8192_SHA384,
        "RS512" => &signature::RSA_PKCS1_2048_8192_SHA512,
        "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
        "PS384" => &signature::RSA_PSS_2048_8192_SHA384,
        "PS512" => &signature::RSA_PSS_2048_8192_SHA512,
        "ES256" => &signature::ECDSA_P256_SHA256_FIXED,
        "ES384" => &signature::ECDSA_P384_SHA384_FIXED,
        "ES512" => &signature::ECDSA_P521_SHA512_FIXED,
        "EdDSA" => &signature::ED25519,
        _ => return None,
    })
}

/// Verifies an asymmetric JWS signature with a public key (SubjectPublicKeyInfo DER). The
/// caller has already checked that the key's type fits `alg`.
pub fn verify_asymmetric(
    alg: &str,
    spki_der: &[u8],
    signing_input: &[u8],
    sig: &[u8],
) -> Result<(), AuthError> {
    let algorithm =
        asymmetric(alg).ok_or_else(|| bad(format!("alg {} is not asymmetric", shown(alg))))?;
    UnparsedPublicKey::new(algorithm, spki_der)
        .verify(signing_input, sig)
        .map_err(|_| AuthError::BadSignature)
}

/// Verifies an HMAC JWS signature (HS256/384/512) in constant time.
pub fn verify_hmac(
    alg: &str,
    key: &[u8],
    signing_input: &[u8],
    sig: &[u8],
) -> Result<(), AuthError> {
    let algorithm = match alg {
        "HS256" => hmac::HMAC_SHA256,
        "HS384" => hmac::HMAC_SHA384,
        "HS512" => hmac::HMAC_SHA512,
        _ => return Err(bad(format!("alg {} is not HMAC", shown(alg)))),
    };
    hmac::verify(&hmac::Key::new(algorithm, key), signing_input, sig)
        .map_err(|_| AuthError::BadSignature)
}

/// A NumericDate claim: an integer or a finite number (fractions dropped).
pub(crate) fn numeric_date(
    claims: &Map<String, Value>,
    name: &str,
) -> Result<Option<i64>, AuthError> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            // `as` saturates: a huge or negative date cannot wrap around.
            .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| bad(format!("{name} is not a number"))),
    }
}

/// The claim rules. Called only on a payload whose signature has been verified; every rule is
/// checked. Returns the jti and the time until which it must be remembered.
pub fn check_claims(
    payload: &[u8],
    client: &ClientAuthConfig,
    ctx: &AuthContext,
    now: i64,
) -> Result<(String, i64), AuthError> {
    let claims: Map<String, Value> =
        serde_json::from_slice(payload).map_err(|_| bad("the payload is not a JSON object"))?;
    let id = client.client_id.as_str();

    match claims.get("iss") {
        Some(Value::String(iss)) if iss == id => {}
        Some(_) => return Err(bad("iss is not the client id")),
        None => return Err(bad("iss is missing")),
    }
    match claims.get("sub") {
        Some(Value::String(sub)) if sub == id => {}
        Some(_) => return Err(bad("sub is not the client id")),
        None => return Err(bad("sub is missing")),
    }

    let aud = match claims.get("aud") {
        Some(Value::String(a)) => a.as_str(),
        Some(Value::Array(list)) => match list.as_slice() {
            [Value::String(a)] => a.as_str(),
            [_] => return Err(bad("aud is not a string")),
            _ => {
                return Err(bad(format!(
                    "aud has {} values, one is required",
                    list.len()
                )))
            }
        },
        Some(_) => return Err(bad("aud is not a string")),
        None => return Err(bad("aud is missing")),
    };
    let aud = collapse_slashes(aud);
    let aud = aud.as_str();
    let aud_ok = aud == ctx.issuer || (!ctx.strict_audience && aud == ctx.token_endpoint);
    if !aud_ok {
        return Err(bad(if ctx.strict_audience {
            format!(
                "aud {} is not the issuer (this realm is strict)",
                shown(aud)
            )
        } else {
            format!(
                "aud {} is neither the issuer nor the token endpoint",
                shown(aud)
            )
        }));
    }

    let max_exp = if client.assertion_max_exp_s > 0 {
        client.assertion_max_exp_s
    } else {
        DEFAULT_MAX_EXP_S
    };
    let exp = numeric_date(&claims, "exp")?.ok_or_else(|| bad("exp is missing"))?;
    let iat = numeric_date(&claims, "iat")?;
    let nbf = numeric_date(&claims, "nbf")?;
    if exp.saturating_add(SKEW_S) <= now {
        return Err(AuthError::Expired);
    }
    match iat {
        None => {
            if exp.saturating_sub(now) > max_exp {
                return Err(bad(format!(
                    "without iat, exp lies {} s ahead, more than the {max_exp} s allowed",
                    exp.saturating_sub(now)
                )));
            }
        }
        Some(iat) => {
            if iat.saturating_sub(SKEW_S) > now {
                return Err(bad(format!(
                    "iat lies {} s in the future",
                    iat.saturating_sub(now)
                )));
            }
            if now > iat.saturating_add(max_exp) {
                return Err(bad(format!(
                    "issued {} s ago, more than the {max_exp} s allowed",
                    now.saturating_sub(iat)
                )));
            }
        }
    }
    if let Some(nbf) = nbf {
        if nbf.saturating_sub(SKEW_S) > now {
            return Err(bad(format!(
                "nbf lies {} s in the future",
                nbf.saturating_sub(now)
            )));
        }
    }

    let jti = match claims.get("jti") {
        Some(Value::String(j)) if j.is_empty() => return Err(bad("jti is empty")),
        Some(Value::String(j)) if j.chars().count() > MAX_JTI_LEN => {
            return Err(bad(format!("jti is longer than {MAX_JTI_LEN} characters")))
        }
        Some(Value::String(j)) => j.clone(),
        Some(_) => return Err(bad("jti is not a string")),
        None => return Err(bad("jti is missing")),
    };
    // The assertion is usable until exp (+ skew) and, with an iat, no later than iat + max-exp:
    // its jti is remembered exactly that long, never for a far-future exp. (A far-future exp
    // beside a fresh iat is accepted, as Keycloak does — `JWTClientValidator` bounds the
    // lifespan by max-exp instead of refusing — and as Authlib needs: it signs exp = iat + 3600.)
    let usable_until = match iat {
        Some(iat) => exp.saturating_add(SKEW_S).min(iat.saturating_add(max_exp)),
        None => exp.saturating_add(SKEW_S),
    };
    Ok((jti, usable_until))
}

/// The whole assertion check for `method`: parse, algorithm rules, then `verify_signature`
/// (which selects the key or secret and verifies; its result is passed back), then the claim
/// rules. Claims are looked at only after the signature has verified.
pub fn verify<K>(
    assertion: &str,
    allowed: &[&str],
    method: &str,
    client: &ClientAuthConfig,
    ctx: &AuthContext,
    now: i64,
    verify_signature: impl FnOnce(&Header, &[u8], &[u8]) -> Result<K, AuthError>,
) -> Result<(K, Verified), AuthError> {
    let jws = parse(assertion)?;
    check_alg(&jws.header, allowed, method, client)?;
    let key = verify_signature(&jws.header, jws.signing_input, &jws.signature)?;
    let (jti, remember_until) = check_claims(&jws.payload, client, ctx, now)?;
    Ok((
        key,
        Verified {
            header: jws.header,
            jti,
            remember_until,
        },
    ))
}

/// The `sub` of an assertion, before any verification: only to find the client it claims to
/// be when no `client_id` field was sent. Never a basis for a decision.
pub fn unverified_subject(assertion: &str) -> Result<String, AuthError> {
    let jws = parse(assertion)?;
    let claims: Map<String, Value> = serde_json::from_slice(&jws.payload)
        .map_err(|_| bad("the payload is not a JSON object"))?;
    match claims.get("sub") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(bad("sub is missing, the client cannot be identified")),
    }
}

/// `aud` with runs of `/` in its path made one: Keycloak's Java `AuthzClient` builds it as
/// `auth-server-url + "/realms/" + realm`, and Keycloak's own keycloak.json ends that URL in `/`,
/// so a real client sends `https://sso//realms/x`. The scheme's `//` and the host are kept.
pub(crate) fn collapse_slashes(aud: &str) -> String {
    let (scheme, rest) = match aud.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, aud),
    };
    let mut out = String::with_capacity(aud.len());
    if let Some(s) = scheme {
        out.push_str(s);
        out.push_str("://");
    }
    let mut last_slash = false;
    for ch in rest.chars() {
        if ch == '/' && last_slash {
            continue;
        }
        last_slash = ch == '/';
        out.push(ch);
    }
    out
}

/// The `jti` of an assertion, before any verification: only to refuse an already-used one
/// early (a used jti is refused whatever the signature), never to accept anything.
pub fn unverified_jti(assertion: &str) -> Option<String> {
    let jws = parse(assertion).ok()?;
    let claims: Map<String, Value> = serde_json::from_slice(&jws.payload).ok()?;
    match claims.get("jti") {
        Some(Value::String(j)) if !j.is_empty() && j.chars().count() <= MAX_JTI_LEN => {
            Some(j.clone())
        }
        _ => None,
    }
}

/// Keys, signing and fixtures shared by the assertion and authenticator tests.
#[cfg(test)]
pub(crate) mod testkit {
    use super::*;
    use crate::authenticator::{AuthContext, ClientAuthConfig};
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::rsa::KeySize;
    use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
    use serde_json::json;
    use std::sync::OnceLock;

    pub const ISSUER: &str = "https://sso.example.com/realms/demo";
    pub const TOKEN_ENDPOINT: &str =
        "https://sso.example.com/realms/demo/protocol/openid-connect/token";
    pub const NOW: i64 = 1_750_000_000;

    /// The one RSA-2048 key of the test binary (key generation is slow).
    pub fn rsa() -> &'static RsaKeyPair {
        static KEY: OnceLock<RsaKeyPair> = OnceLock::new();
        KEY.get_or_init(|| RsaKeyPair::generate(KeySize::Rsa2048).unwrap())
    }

    pub enum Signer {
        Rsa(&'static RsaKeyPair),
        Ec(EcdsaKeyPair),
        Ed(Ed25519KeyPair),
        Hmac(Vec<u8>),
    }

    impl Signer {
        pub fn ec(alg: &str) -> Signer {
            let a = match alg {
                "ES256" => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                "ES384" => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                "ES512" => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
                _ => panic!("{alg}"),
            };
            Signer::Ec(EcdsaKeyPair::generate(a).unwrap())
        }

        pub fn ed() -> Signer {
            Signer::Ed(Ed25519KeyPair::generate().unwrap())
        }

        /// A fresh key fit for `alg` (the shared RSA key for RS*/PS*).
        pub fn for_alg(alg: &str) -> Signer {
            match &alg[..2] {
                "RS" | "PS" => Signer::Rsa(rsa()),
                "ES" => Signer::ec(alg),
                "Ed" => Signer::ed(),
                _ => panic!("{alg}"),
            }
        }

        pub fn spki(&self) -> Vec<u8> {
            match self {
                Signer::Rsa(k) => k.public_key().as_der().unwrap().as_ref().to_vec(),
                Signer::Ec(k) => k.public_key().as_der().unwrap().as_ref().to_vec(),
                Signer::Ed(k) => k.public_key().as_der().unwrap().as_ref().to_vec(),
                Signer::Hmac(_) => panic!("no public key"),
            }
        }

        pub fn sign(&self, alg: &str, input: &[u8]) -> Vec<u8> {
            let rng = SystemRandom::new();
            match self {
                Signer::Rsa(k) => {
                    let enc: &'static dyn signature::RsaEncoding = match alg {
                        "RS256" => &signature::RSA_PKCS1_SHA256,
                        "RS384" => &signature::RSA_PKCS1_SHA384,
                        "RS512" => &signature::RSA_PKCS1_SHA512,
                        "PS256" => &signature::RSA_PSS_SHA256,
                        "PS384" => &signature::RSA_PSS_SHA384,
                        "PS512" => &signature::RSA_PSS_SHA512,
                        _ => panic!("{alg}"),
                    };
                    let mut sig = vec![0; k.public_modulus_len()];
                    k.sign(enc, &rng, input, &mut sig).unwrap();
                    sig
                }
                Signer::Ec(k) => k.sign(&rng, input).unwrap().as_ref().to_vec(),
                Signer::Ed(k) => k.sign(input).as_ref().to_vec(),
                Signer::Hmac(key) => {
                    let a = match alg {
                        "HS256" => hmac::HMAC_SHA256,
                        "HS384" => hmac::HMAC_SHA384,
                        "HS512" => hmac::HMAC_SHA512,
                        _ => panic!("{alg}"),
                    };
                    hmac::sign(&hmac::Key::new(a, key), input).as_ref().to_vec()
                }
            }
        }
    }

    /// A compact JWS of arbitrary header and claims, signed with `alg`.
    pub fn jws(signer: &Signer, alg: &str, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = signer.sign(alg, input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    /// A Keycloak-adapter-like assertion: iss = sub = client, aud = issuer, iat = nbf = now,
    /// exp = now + 10, a fresh jti.
    pub fn claims(client_id: &str) -> Value {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        json!({"iss": client_id, "sub": client_id, "aud": ISSUER, "iat": NOW, "nbf": NOW,
               "exp": NOW + 10, "jti": format!("jti-{n}")})
    }

    /// `claims` with `changes` applied (a null value removes the claim).
    pub fn with(mut base: Value, changes: Value) -> Value {
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                base.as_object_mut().unwrap().remove(k);
            } else {
                base[k] = v.clone();
            }
        }
        base
    }

    pub fn header(alg: &str, kid: Option<&str>) -> Value {
        match kid {
            Some(k) => json!({"alg": alg, "typ": "JWT", "kid": k}),
            None => json!({"alg": alg, "typ": "JWT"}),
        }
    }

    pub fn ctx(strict: bool) -> AuthContext {
        AuthContext {
            issuer: ISSUER.into(),
            token_endpoint: TOKEN_ENDPOINT.into(),
            strict_audience: strict,
        }
    }

    pub fn client(id: &str, authenticator: &str, alg: Option<&str>) -> ClientAuthConfig {
        ClientAuthConfig {
            client_id: id.into(),
            enabled: true,
            public_client: false,
            authenticator: authenticator.into(),
            signing_alg: alg.map(Into::into),
            assertion_max_exp_s: 60,
            attributes: Default::default(),
        }
    }

    /// DER TLV.
    pub fn der(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let n = content.len();
        if n < 0x80 {
            out.push(n as u8);
        } else if n < 0x100 {
            out.extend([0x81, n as u8]);
        } else {
            out.extend([0x82, (n >> 8) as u8, n as u8]);
        }
        out.extend_from_slice(content);
        out
    }

    fn der_uint(bytes: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        if bytes[0] & 0x80 != 0 {
            v.push(0);
        }
        v.extend_from_slice(bytes);
        der(0x02, &v)
    }

    /// SubjectPublicKeyInfo of an RSA key from its modulus and exponent (big-endian).
    pub fn rsa_spki(n: &[u8], e: &[u8]) -> Vec<u8> {
        let alg = der(
            0x30,
            &[
                der(
                    0x06,
                    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
                ),
                vec![0x05, 0x00],
            ]
            .concat(),
        );
        let key = der(0x30, &[der_uint(n), der_uint(e)].concat());
        let bits = der(0x03, &[&[0u8][..], &key].concat());
        der(0x30, &[alg, bits].concat())
    }
}

#[cfg(test)]
mod tests {
    use super::testkit::*;
    use super::*;
    use crate::authenticator::{CLIENT_JWT_ALGS, CLIENT_SECRET_JWT_ALGS};
    use serde_json::json;

    fn check(claims: &Value, strict: bool) -> Result<(String, i64), AuthError> {
        let c = client("billing", "client-jwt", None);
        check_claims(claims.to_string().as_bytes(), &c, &ctx(strict), NOW)
    }

    fn reason(r: Result<(String, i64), AuthError>) -> String {
        match r {
            Err(AuthError::BadAssertion(m)) => m,
            other => panic!("expected BadAssertion, got {other:?}"),
        }
    }

    #[test]
    fn good_claims_pass_and_jti_is_remembered_until_exp_plus_skew() {
        let c = with(claims("billing"), json!({"jti": "abc"}));
        assert_eq!(check(&c, false).unwrap(), ("abc".into(), NOW + 10 + SKEW_S));
    }

    #[test]
    fn iss_and_sub_must_be_the_client() {
        assert_eq!(
            reason(check(
                &with(claims("billing"), json!({"iss": "other"})),
                false
            )),
            "iss is not the client id"
        );
        assert_eq!(
            reason(check(
                &with(claims("billing"), json!({"sub": "other"})),
                false
            )),
            "sub is not the client id"
        );
        assert_eq!(
            reason(check(&with(claims("billing"), json!({"iss": null})), false)),
            "iss is missing"
        );
        assert_eq!(
            reason(check(&with(claims("billing"), json!({"sub": null})), false)),
            "sub is missing"
        );
        assert_eq!(
            reason(check(&with(claims("billing"), json!({"sub": 5})), false)),
            "sub is not the client id"
        );
    }

    #[test]
    fn audience() {
        let c = claims("billing");
        assert!(check(&with(c.clone(), json!({"aud": [ISSUER]})), true).is_ok());
        // Keycloak's AuthzClient with Keycloak's keycloak.json (auth-server-url ending in /).
        let doubled = ISSUER.replace("/realms/", "//realms/");
        assert!(check(&with(c.clone(), json!({"aud": doubled})), true).is_ok());
        assert_eq!(collapse_slashes("https://a//b///c/"), "https://a/b/c/");
        assert!(check(
            &with(
                c.clone(),
                json!({"aud": "https://sso.example.com.evil/realms/demo"})
            ),
            false
        )
        .is_err());
        assert!(check(&with(c.clone(), json!({"aud": TOKEN_ENDPOINT})), false).is_ok());
        assert!(check(&with(c.clone(), json!({"aud": [TOKEN_ENDPOINT]})), false).is_ok());
        assert_eq!(
            reason(check(
                &with(c.clone(), json!({"aud": TOKEN_ENDPOINT})),
                true
            )),
            format!(
                "aud {} is not the issuer (this realm is strict)",
                shown(TOKEN_ENDPOINT)
            )
        );
        assert_eq!(
            reason(check(
                &with(c.clone(), json!({"aud": [ISSUER, TOKEN_ENDPOINT]})),
                false
            )),
            "aud has 2 values, one is required"
        );
        assert!(check(&with(c.clone(), json!({"aud": []})), false).is_err());
        assert!(check(&with(c.clone(), json!({"aud": [5]})), false).is_err());
        assert!(check(&with(c.clone(), json!({"aud": null})), false).is_err());
        assert!(check(
            &with(
                c.clone(),
                json!({"aud": "https://sso.example.com/realms/other"})
            ),
            false
        )
        .is_err());
        assert!(check(&with(c, json!({"aud": format!("{ISSUER}/")})), false).is_err());
    }

    #[test]
    fn expiry_and_skew() {
        let c = claims("billing");
        assert_eq!(
            reason(check(&with(c.clone(), json!({"exp": null})), false)),
            "exp is missing"
        );
        assert_eq!(
            reason(check(&with(c.clone(), json!({"exp": "soon"})), false)),
            "exp is not a number"
        );
        // exp + 15 > now: 14 s past exp is fine, 15 s is not.
        assert!(check(
            &with(
                c.clone(),
                json!({"exp": NOW - 14, "iat": NOW - 20, "nbf": null})
            ),
            false
        )
        .is_ok());
        assert_eq!(
            check(
                &with(c.clone(), json!({"exp": NOW - 15, "iat": NOW - 20})),
                false
            )
            .unwrap_err(),
            AuthError::Expired
        );
        assert_eq!(
            check(&with(c.clone(), json!({"exp": NOW - 3600})), false).unwrap_err(),
            AuthError::Expired
        );
        // Fractional NumericDates are accepted.
        assert!(check(
            &with(c.clone(), json!({"exp": (NOW + 5) as f64 + 0.5})),
            false
        )
        .is_ok());
        // Absurd dates saturate instead of wrapping.
        assert_eq!(
            check(&with(c.clone(), json!({"exp": i64::MIN})), false).unwrap_err(),
            AuthError::Expired
        );
        assert!(check(
            &with(c.clone(), json!({"exp": u64::MAX, "iat": null})),
            false
        )
        .is_err());
        assert!(check(&with(c, json!({"exp": 1e300, "iat": null})), false).is_err());
    }

    #[test]
    fn lifetime_without_and_with_iat() {
        let c = with(claims("billing"), json!({"iat": null, "nbf": null}));
        assert!(check(&with(c.clone(), json!({"exp": NOW + 60})), false).is_ok());
        assert_eq!(
            reason(check(&with(c.clone(), json!({"exp": NOW + 61})), false)),
            "without iat, exp lies 61 s ahead, more than the 60 s allowed"
        );
        // With iat: iat - 15 <= now <= iat + max_exp.
        assert!(check(
            &with(c.clone(), json!({"iat": NOW + 15, "exp": NOW + 25})),
            false
        )
        .is_ok());
        assert_eq!(
            reason(check(
                &with(c.clone(), json!({"iat": NOW + 16, "exp": NOW + 25})),
                false
            )),
            "iat lies 16 s in the future"
        );
        assert!(check(
            &with(c.clone(), json!({"iat": NOW - 60, "exp": NOW + 10})),
            false
        )
        .is_ok());
        assert_eq!(
            reason(check(
                &with(c.clone(), json!({"iat": NOW - 61, "exp": NOW + 10})),
                false
            )),
            "issued 61 s ago, more than the 60 s allowed"
        );
        // A far-future exp beside a fresh iat is accepted (Keycloak and Authlib, exp = iat +
        // 3600), but the assertion dies at iat + max-exp and its jti is kept only that long.
        let far = with(
            c.clone(),
            json!({"iat": NOW, "exp": NOW + 10 * 365 * 86_400}),
        );
        assert_eq!(check(&far, false).unwrap().1, NOW + 60);
        let authlib = with(c.clone(), json!({"iat": NOW - 30, "exp": NOW + 3570}));
        assert_eq!(check(&authlib, false).unwrap().1, NOW + 30);
        // A near exp still bounds it (+ skew).
        let near = with(c.clone(), json!({"iat": NOW, "exp": NOW + 10}));
        assert_eq!(check(&near, false).unwrap().1, NOW + 10 + SKEW_S);
        // A client with a longer max-exp.
        let mut long = client("billing", "client-jwt", None);
        long.assertion_max_exp_s = 300;
        let p = with(c.clone(), json!({"exp": NOW + 300})).to_string();
        assert!(check_claims(p.as_bytes(), &long, &ctx(false), NOW).is_ok());
        // ≤ 0 means the default.
        long.assertion_max_exp_s = 0;
        assert!(check_claims(p.as_bytes(), &long, &ctx(false), NOW).is_err());
        let p = with(c, json!({"exp": NOW + 60})).to_string();
        assert!(check_claims(p.as_bytes(), &long, &ctx(false), NOW).is_ok());
    }

    #[test]
    fn not_before() {
        let c = claims("billing");
        assert!(check(&with(c.clone(), json!({"nbf": NOW + 15})), false).is_ok());
        assert_eq!(
            reason(check(&with(c.clone(), json!({"nbf": NOW + 16})), false)),
            "nbf lies 16 s in the future"
        );
        assert!(check(&with(c, json!({"nbf": "x"})), false).is_err());
    }

    #[test]
    fn jti_rules() {
        let c = claims("billing");
        assert_eq!(
            reason(check(&with(c.clone(), json!({"jti": null})), false)),
            "jti is missing"
        );
        assert_eq!(
            reason(check(&with(c.clone(), json!({"jti": ""})), false)),
            "jti is empty"
        );
        assert_eq!(
            reason(check(&with(c.clone(), json!({"jti": 7})), false)),
            "jti is not a string"
        );
        assert!(check(&with(c.clone(), json!({"jti": "é".repeat(255)})), false).is_ok());
        assert_eq!(
            reason(check(&with(c, json!({"jti": "x".repeat(256)})), false)),
            "jti is longer than 255 characters"
        );
    }

    #[test]
    fn payload_must_be_an_object() {
        let c = client("billing", "client-jwt", None);
        for p in [&b"[]"[..], b"null", b"\"x\"", b"{", b"", &[0xff, 0xfe]] {
            assert!(check_claims(p, &c, &ctx(false), NOW).is_err());
        }
    }

    #[test]
    fn parsing() {
        let s = Signer::Hmac(vec![7; 32]);
        let t = jws(&s, "HS256", &header("HS256", Some("k")), &claims("billing"));
        let j = parse(&t).unwrap();
        assert_eq!(
            j.header,
            Header {
                alg: "HS256".into(),
                kid: Some("k".into()),
                typ: Some("JWT".into())
            }
        );
        assert_eq!(j.signing_input, t.rsplit_once('.').unwrap().0.as_bytes());
        assert_eq!(unverified_subject(&t).unwrap(), "billing");

        let (h, rest) = t.split_once('.').unwrap();
        for bad_token in [
            String::new(),
            "a.b".into(),
            format!("{t}.x"),
            format!("{h}.{rest}="), // padding
            format!("{h}=.{rest}"),
            format!("{h}.{}", rest.replace('.', ".+")), // not base64url
            t.replace(rest.rsplit_once('.').unwrap().1, ""), // empty signature
            format!("{}.{rest}", URL_SAFE_NO_PAD.encode("[]")),
            format!("{}.{rest}", URL_SAFE_NO_PAD.encode("{\"typ\":\"JWT\"}")),
            format!("{}.{rest}", URL_SAFE_NO_PAD.encode("{\"alg\":5}")),
            format!("{}.{rest}", URL_SAFE_NO_PAD.encode("{\"alg\":\"\"}")),
            format!(
                "{}.{rest}",
                URL_SAFE_NO_PAD.encode("{\"alg\":\"HS256\",\"kid\":5}")
            ),
            format!(
                "{}.{rest}",
                URL_SAFE_NO_PAD.encode("{\"alg\":\"HS256\",\"kid\":\"a\\nb\"}")
            ),
            format!(
                "{}.{rest}",
                URL_SAFE_NO_PAD.encode("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}")
            ),
        ] {
            assert!(
                matches!(parse(&bad_token), Err(AuthError::BadAssertion(_))),
                "{bad_token}: {:?}",
                parse(&bad_token)
            );
        }
        for none in ["none", "None", "NONE"] {
            let t = format!(
                "{}.{rest}",
                URL_SAFE_NO_PAD.encode(json!({"alg": none}).to_string())
            );
            assert_eq!(
                parse(&t).unwrap_err(),
                AuthError::BadAssertion("alg none is never accepted".into())
            );
        }
        let big = format!("{h}.{}.{}", "A".repeat(MAX_ASSERTION_LEN), "A");
        assert!(matches!(parse(&big), Err(AuthError::InvalidRequest(_))));
        assert!(unverified_subject("x.y.z").is_err());
        let no_sub = jws(
            &s,
            "HS256",
            &header("HS256", None),
            &with(claims("b"), json!({"sub": null})),
        );
        assert!(unverified_subject(&no_sub).is_err());
    }

    #[test]
    fn alg_rules() {
        let c = client("billing", "client-jwt", None);
        let h = |alg: &str| Header {
            alg: alg.into(),
            kid: None,
            typ: None,
        };
        for alg in CLIENT_JWT_ALGS {
            assert!(check_alg(&h(alg), CLIENT_JWT_ALGS, "client-jwt", &c).is_ok());
            assert!(check_alg(&h(alg), CLIENT_SECRET_JWT_ALGS, "client-secret-jwt", &c).is_err());
        }
        for alg in CLIENT_SECRET_JWT_ALGS {
            assert!(check_alg(&h(alg), CLIENT_JWT_ALGS, "client-jwt", &c).is_err());
            assert!(check_alg(&h(alg), CLIENT_SECRET_JWT_ALGS, "client-secret-jwt", &c).is_ok());
        }
        for alg in ["rs256", "ES256K", "RS1", "Ed25519", "HS1"] {
            assert!(check_alg(&h(alg), CLIENT_JWT_ALGS, "client-jwt", &c).is_err());
        }
        let pinned = client("billing", "client-jwt", Some("PS256"));
        assert!(check_alg(&h("PS256"), CLIENT_JWT_ALGS, "client-jwt", &pinned).is_ok());
        assert_eq!(
            check_alg(&h("RS256"), CLIENT_JWT_ALGS, "client-jwt", &pinned).unwrap_err(),
            AuthError::BadAssertion("alg RS256 is not the client's pinned algorithm PS256".into())
        );
    }

    #[test]
    fn signatures_of_every_algorithm() {
        for alg in CLIENT_JWT_ALGS {
            let s = Signer::for_alg(alg);
            let spki = s.spki();
            let sig = s.sign(alg, b"input");
            assert!(
                verify_asymmetric(alg, &spki, b"input", &sig).is_ok(),
                "{alg}"
            );
            assert_eq!(
                verify_asymmetric(alg, &spki, b"inpuT", &sig),
                Err(AuthError::BadSignature),
                "{alg}"
            );
            assert!(
                verify_asymmetric(alg, &spki, b"input", &sig[1..]).is_err(),
                "{alg}"
            );
            assert!(
                verify_asymmetric(alg, &spki[1..], b"input", &sig).is_err(),
                "{alg}"
            );
        }
        for alg in CLIENT_SECRET_JWT_ALGS {
            let s = Signer::Hmac(vec![9; 64]);
            let sig = s.sign(alg, b"input");
            assert!(verify_hmac(alg, &[9; 64], b"input", &sig).is_ok());
            assert!(verify_hmac(alg, &[8; 64], b"input", &sig).is_err());
            assert!(verify_asymmetric(alg, &[9; 64], b"input", &sig).is_err());
        }
        assert!(verify_hmac("RS256", &[9; 64], b"input", b"sig").is_err());
    }

    #[test]
    fn shown_escapes_and_truncates() {
        assert_eq!(shown("a\nb"), "a\\nb");
        assert_eq!(shown(&"x".repeat(100)), format!("{}…", "x".repeat(64)));
    }

    /// No input makes the parser or the claim rules panic.
    #[test]
    fn garbage_never_panics() {
        let c = client("billing", "client-jwt", None);
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet: Vec<char> = "eyJhbGciOiJIUzI1NiJ9.-_=+/\\\"{}[]:,0123456789abcxyzé\0"
            .chars()
            .collect();
        for _ in 0..5000 {
            let len = (next() % 80) as usize;
            let s: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let _ = parse(&s);
            let _ = unverified_subject(&s);
            let _ = check_claims(s.as_bytes(), &c, &ctx(false), NOW);
            let enc = format!(
                "{}.{}.AA",
                URL_SAFE_NO_PAD.encode(&s),
                URL_SAFE_NO_PAD.encode(&s)
            );
            let _ = parse(&enc);
        }
    }
}
