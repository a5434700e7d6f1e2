//! Realm signing keys and the access tokens they sign (RFC 9068 JWT profile): key generation, the
//! public JWK set served at `certs`, minting, and verification for introspection.
//!
//! Pure: no IO, no clock (`now` is an argument). Randomness (key generation, `jti`) comes from
//! aws-lc-rs's `SystemRandom`.

use std::fmt;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, KeyPair, RsaKeyPair, RsaPublicKeyComponents, UnparsedPublicKey,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Map, Value};
use zeroize::Zeroizing;

use crate::assertion::{self, shown, MAX_KID_LEN};
use crate::authenticator::client_jwt::keycloak_kid;
use crate::authenticator::AuthError;

/// The `typ` header of access tokens for clients that ask for RFC 9068's (§2.1).
pub const TOKEN_TYPE: &str = "at+jwt";
/// The `typ` header of access tokens by default, as Keycloak's.
pub const JWT_TYPE: &str = "JWT";
/// How far in the future `iat` may lie (clock skew between replicas), in seconds.
pub const IAT_SKEW_S: i64 = 15;
/// Random bytes in a `jti` (128 bits: 22 base64url characters).
const JTI_BYTES: usize = 16;
/// Length of one P-256 coordinate.
const P256_COORDINATE: usize = 32;

/// The algorithms realm keys sign access tokens with.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum SigningAlg {
    /// ECDSA P-256 with SHA-256 (the default).
    #[default]
    #[serde(rename = "ES256")]
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, RSA 2048 (for Keycloak-style consumers).
    #[serde(rename = "RS256")]
    Rs256,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 2] = [SigningAlg::Es256, SigningAlg::Rs256];

    /// The JWS name: "ES256", "RS256".
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::Es256 => "ES256",
            SigningAlg::Rs256 => "RS256",
        }
    }

    /// From the exact JWS name (case-sensitive, as JWS is).
    pub fn parse(s: &str) -> Option<SigningAlg> {
        SigningAlg::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The JWK `kty` of keys for this algorithm.
    fn kty(self) -> &'static str {
        match self {
            SigningAlg::Es256 => "EC",
            SigningAlg::Rs256 => "RSA",
        }
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a key cannot be made or used, or why an access token is refused. Values that came from
/// the token are escaped and cut at 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a well-formed access token: parts, base64url, JSON, claim types, missing kid.
    #[error("malformed access token: {0}")]
    Malformed(String),
    /// The `typ` header is missing or neither `JWT` nor `at+jwt`.
    #[error("the token type is {0}, not JWT or at+jwt")]
    WrongType(String),
    /// `alg` is not ES256 or RS256 (`none`, HS*, anything else).
    #[error("alg {0} is not allowed for access tokens (ES256 or RS256 only)")]
    AlgNotAllowed(String),
    /// No realm key has this kid for this alg.
    #[error("no realm key has kid {kid} for alg {alg}")]
    UnknownKid { kid: String, alg: SigningAlg },
    /// The signature does not verify with the realm key the kid names.
    #[error("the access token signature does not verify")]
    BadSignature,
    /// `iss` is not this realm's issuer.
    #[error("the issuer {0} is not this realm's")]
    WrongIssuer(String),
    /// `exp` is now or past.
    #[error("the access token expired at {exp} (now {now})")]
    Expired { exp: i64, now: i64 },
    /// `iat` lies more than the allowed skew in the future.
    #[error("the access token is issued at {iat}, in the future (now {now})")]
    NotYetValid { iat: i64, now: i64 },
    /// A realm key cannot be generated, parsed, used to sign, or its public JWK is unusable.
    #[error("realm key: {0}")]
    Key(String),
}

fn key_err(what: impl Into<String>) -> TokenError {
    TokenError::Key(what.into())
}

fn malformed(what: impl Into<String>) -> TokenError {
    TokenError::Malformed(what.into())
}

/// The parsed signing key.
enum Signer {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

/// A realm's private signing key: PKCS#8 DER, zeroized on drop, redacted Debug.
pub struct RealmPrivateKey {
    alg: SigningAlg,
    kid: String,
    pkcs8: Zeroizing<Vec<u8>>,
    signer: Signer,
    public_jwk: Value,
}

impl fmt::Debug for RealmPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RealmPrivateKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("pkcs8", &"<redacted>")
            .finish()
    }
}

fn check_kid(kid: &str) -> Result<(), TokenError> {
    if kid.is_empty() || kid.chars().count() > MAX_KID_LEN || kid.chars().any(char::is_control) {
        return Err(key_err(format!(
            "the kid must be 1 to {MAX_KID_LEN} characters without control characters"
        )));
    }
    Ok(())
}

impl RealmPrivateKey {
    /// A new key pair (ES256: P-256; RS256: RSA 2048). kid = base64url(SHA-256(SPKI DER)),
    /// Keycloak's style of kid.
    pub fn generate(alg: SigningAlg) -> Result<RealmPrivateKey, TokenError> {
        let pkcs8: Zeroizing<Vec<u8>> = match alg {
            SigningAlg::Es256 => {
                let pair = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(|_| key_err("P-256 key generation failed"))?;
                let doc = pair
                    .to_pkcs8v1()
                    .map_err(|_| key_err("P-256 key serialisation failed"))?;
                Zeroizing::new(doc.as_ref().to_vec())
            }
            SigningAlg::Rs256 => {
                let pair = RsaKeyPair::generate(KeySize::Rsa2048)
                    .map_err(|_| key_err("RSA key generation failed"))?;
                let der: Pkcs8V1Der<'static> = pair
                    .as_der()
                    .map_err(|_| key_err("RSA key serialisation failed"))?;
                Zeroizing::new(der.as_ref().to_vec())
            }
        };
        let signer = signer(alg, &pkcs8)?;
        let kid = keycloak_kid(&spki(&signer)?);
        RealmPrivateKey::assemble(alg, kid, pkcs8, signer)
    }

    /// From stored PKCS#8 DER (after unsealing); checks it is a key for `alg` (P-256 for ES256,
    /// RSA of 2048 to 8192 bits for RS256). The kid is taken as given (the stored one).
    pub fn from_pkcs8(
        alg: SigningAlg,
        kid: &str,
        pkcs8: &[u8],
    ) -> Result<RealmPrivateKey, TokenError> {
        check_kid(kid)?;
        let pkcs8 = Zeroizing::new(pkcs8.to_vec());
        let signer = signer(alg, &pkcs8)?;
        RealmPrivateKey::assemble(alg, kid.to_owned(), pkcs8, signer)
    }

    fn assemble(
        alg: SigningAlg,
        kid: String,
        pkcs8: Zeroizing<Vec<u8>>,
        signer: Signer,
    ) -> Result<RealmPrivateKey, TokenError> {
        let public_jwk = crate::keys::public_jwk(&spki(&signer)?, &kid, Some(alg.as_str()), None)
            .map_err(|e| key_err(format!("the public key has no JWK: {e}")))?;
        Ok(RealmPrivateKey {
            alg,
            kid,
            pkcs8,
            signer,
            public_jwk,
        })
    }

    /// For RS256, a self-signed certificate (CN = `common_name`, 10 years from `now`) in the
    /// public JWK as `x5c`, `x5t` and `x5t#S256`, as Keycloak's `rsa-generated` realm keys
    /// carry (gateways that read the key from `x5c` need it). ES256 keys stay without one, as
    /// Keycloak's. The certificate is only published: it is not needed to sign or verify.
    pub fn with_certificate(mut self, common_name: &str, now: i64) -> Result<Self, TokenError> {
        if self.alg != SigningAlg::Rs256 {
            return Ok(self);
        }
        let cert = crate::keys::generate::rsa_self_signed(&self.pkcs8, common_name, now, 10)
            .map_err(|e| key_err(format!("the realm certificate: {e}")))?;
        self.public_jwk = crate::keys::public_jwk(
            &spki(&self.signer)?,
            &self.kid,
            Some(self.alg.as_str()),
            Some(&cert),
        )
        .map_err(|e| key_err(format!("the public key has no JWK: {e}")))?;
        Ok(self)
    }

    /// The public key as SubjectPublicKeyInfo DER (Keycloak's realm `public_key`, base64).
    pub fn public_key_der(&self) -> Result<Vec<u8>, TokenError> {
        spki(&self.signer)
    }

    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The PKCS#8 DER to seal (the caller seals it with the master key before storing).
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The public JWK (kty, crv/x/y or n/e, kid, alg, use "sig"), for `certs` and for storage
    /// beside the sealed key.
    pub fn public_jwk(&self) -> Value {
        self.public_jwk.clone()
    }

    /// The JWS signature of `signing_input` (ES256: JOSE R||S, 64 bytes).
    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, TokenError> {
        let rng = SystemRandom::new();
        match &self.signer {
            Signer::Ec(pair) => pair
                .sign(&rng, signing_input)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| key_err("ES256 signing failed")),
            Signer::Rsa(pair) => {
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(&signature::RSA_PKCS1_SHA256, &rng, signing_input, &mut sig)
                    .map_err(|_| key_err("RS256 signing failed"))?;
                Ok(sig)
            }
        }
    }
}

fn signer(alg: SigningAlg, pkcs8: &[u8]) -> Result<Signer, TokenError> {
    match alg {
        SigningAlg::Es256 => {
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
                .map(Signer::Ec)
                .map_err(|_| key_err("not a PKCS#8 P-256 private key (ES256)"))
        }
        SigningAlg::Rs256 => {
            let pair = RsaKeyPair::from_pkcs8(pkcs8)
                .map_err(|_| key_err("not a PKCS#8 RSA private key (RS256)"))?;
            let bits = pair.public_modulus_len() * 8;
            if !(2048..=8192).contains(&bits) {
                return Err(key_err(format!(
                    "an RSA key of {bits} bits: RS256 realm keys have 2048 to 8192"
                )));
            }
            Ok(Signer::Rsa(pair))
        }
    }
}

fn spki(signer: &Signer) -> Result<Vec<u8>, TokenError> {
    let der = match signer {
        Signer::Ec(pair) => pair.public_key().as_der().map(|d| d.as_ref().to_vec()),
        Signer::Rsa(pair) => pair.public_key().as_der().map(|d| d.as_ref().to_vec()),
    };
    der.map_err(|_| key_err("the public key does not encode"))
}

/// What an access token says (RFC 9068 + Keycloak-style claims).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccessTokenClaims {
    /// The issuer, `{base}/realms/{realm}`.
    pub iss: String,
    /// The client's service-account subject.
    pub sub: String,
    /// The audience (one value).
    pub aud: String,
    /// The client id (Keycloak's authorized party).
    pub azp: String,
    /// The client id (RFC 9068 §2.2).
    pub client_id: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    /// Space-separated scopes; may be empty.
    pub scope: String,
    /// Keycloak's token type claim, `Bearer` (keycloak-core's `TokenVerifier` checks it).
    #[serde(default = "bearer")]
    pub typ: String,
    /// The service account's user name, `service-account-{clientId}`, as Keycloak puts it.
    #[serde(default)]
    pub preferred_username: String,
    /// The confirmation of a certificate-bound token (RFC 8705 §3.1): `{"x5t#S256": …}`, the
    /// base64url SHA-256 of the client certificate's DER. Absent for unbound tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

/// RFC 8705 §3.1 / RFC 7800 confirmation claim of a certificate-bound access token.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Confirmation {
    #[serde(rename = "x5t#S256")]
    pub x5t_s256: String,
}

fn bearer() -> String {
    "Bearer".to_owned()
}

/// 128 random bits, base64url (22 characters).
fn random_jti() -> String {
    let mut bytes = [0u8; JTI_BYTES];
    if SystemRandom::new().fill(&mut bytes).is_err() {
        // AWS-LC's RAND_bytes aborts rather than fail, so this is not expected; fall back to
        // rand's thread-local CSPRNG (seeded from the OS) rather than panic.
        rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut bytes);
    }
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The claims for a client-credentials grant: iat = now, exp = now + lifetime_s, and a random
/// 128-bit jti drawn from aws-lc-rs's `SystemRandom`. `azp` and `client_id` are both the client
/// id.
pub fn claims_for_client(
    issuer: &str,
    client_id: &str,
    subject: &str,
    audience: &str,
    scope: &str,
    lifetime_s: i64,
    now: i64,
) -> AccessTokenClaims {
    AccessTokenClaims {
        iss: issuer.to_owned(),
        sub: subject.to_owned(),
        aud: audience.to_owned(),
        azp: client_id.to_owned(),
        client_id: client_id.to_owned(),
        exp: now.saturating_add(lifetime_s),
        iat: now,
        jti: random_jti(),
        scope: scope.to_owned(),
        typ: bearer(),
        preferred_username: subject.to_owned(),
        cnf: None,
    }
}

/// A compact JWS of `payload` under `header`, signed by `key`.
fn sign_compact(
    key: &RealmPrivateKey,
    header: &Value,
    payload: &[u8],
) -> Result<String, TokenError> {
    let header =
        serde_json::to_vec(header).map_err(|_| malformed("the header does not serialise"))?;
    let mut token = URL_SAFE_NO_PAD.encode(header);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut token);
    let sig = key.sign(token.as_bytes())?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(sig, &mut token);
    Ok(token)
}

/// Mints an access token: header `{"alg", "typ": "JWT", "kid"}` as Keycloak's (Spring
/// Security's default decoder refuses `at+jwt`), the claims as payload. ES256 signatures are
/// JOSE R||S; RS256 is RSASSA-PKCS1-v1_5 with SHA-256.
pub fn mint(key: &RealmPrivateKey, claims: &AccessTokenClaims) -> Result<String, TokenError> {
    mint_typed(key, claims, JWT_TYPE)
}

/// As [`mint`], with header `typ: at+jwt` (RFC 9068), for clients that ask for it (Keycloak's
/// client attribute `access.token.header.type.rfc9068`).
pub fn mint_rfc9068(
    key: &RealmPrivateKey,
    claims: &AccessTokenClaims,
) -> Result<String, TokenError> {
    mint_typed(key, claims, TOKEN_TYPE)
}

fn mint_typed(
    key: &RealmPrivateKey,
    claims: &AccessTokenClaims,
    typ: &str,
) -> Result<String, TokenError> {
    let header = json!({ "alg": key.alg.as_str(), "typ": typ, "kid": key.kid });
    let payload =
        serde_json::to_vec(claims).map_err(|_| malformed("the claims do not serialise"))?;
    sign_compact(key, &header, &payload)
}

/// The realm's public keys as a JWK set `{"keys":[...]}` (for
/// `/protocol/openid-connect/certs`): every key given (active and passive ones), in order.
pub fn jwks(public_jwks: &[Value]) -> Value {
    json!({ "keys": public_jwks })
}

fn jwk_str<'v>(o: &'v Map<String, Value>, name: &str) -> Result<&'v str, TokenError> {
    o.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| key_err(format!("the realm JWK has no string {name}")))
}

fn jwk_b64(o: &Map<String, Value>, name: &str) -> Result<Vec<u8>, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(jwk_str(o, name)?.trim_end_matches('='))
        .map_err(|_| key_err(format!("the realm JWK's {name} is not base64url")))?;
    if bytes.is_empty() {
        return Err(key_err(format!("the realm JWK's {name} is empty")));
    }
    Ok(bytes)
}

fn strip_zeros(mut b: &[u8]) -> &[u8] {
    while let [0, rest @ ..] = b {
        b = rest;
    }
    b
}

/// A P-256 coordinate at its full length (writers that drop leading zeros are tolerated).
fn coordinate(o: &Map<String, Value>, name: &str) -> Result<Vec<u8>, TokenError> {
    let bytes = jwk_b64(o, name)?;
    let bytes = strip_zeros(&bytes);
    if bytes.len() > P256_COORDINATE {
        return Err(key_err(format!(
            "the realm JWK's {name} is not a P-256 coordinate"
        )));
    }
    let mut out = vec![0u8; P256_COORDINATE - bytes.len()];
    out.extend_from_slice(bytes);
    Ok(out)
}

/// Whether a realm JWK is usable for `alg`: its kty fits and its alg, if any, is `alg`.
fn fits(o: &Map<String, Value>, alg: SigningAlg) -> bool {
    o.get("kty").and_then(Value::as_str) == Some(alg.kty())
        && o.get("alg")
            .and_then(Value::as_str)
            .is_none_or(|a| a == alg.as_str())
}

/// Verifies a JWS signature with a realm JWK.
fn verify_with_jwk(
    o: &Map<String, Value>,
    alg: SigningAlg,
    signing_input: &[u8],
    sig: &[u8],
) -> Result<(), TokenError> {
    match alg {
        SigningAlg::Es256 => {
            if jwk_str(o, "crv")? != "P-256" {
                return Err(key_err("the realm JWK for ES256 is not on P-256"));
            }
            let mut point = Vec::with_capacity(1 + 2 * P256_COORDINATE);
            point.push(4);
            point.extend_from_slice(&coordinate(o, "x")?);
            point.extend_from_slice(&coordinate(o, "y")?);
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(signing_input, sig)
                .map_err(|_| TokenError::BadSignature)
        }
        SigningAlg::Rs256 => {
            let n = jwk_b64(o, "n")?;
            let e = jwk_b64(o, "e")?;
            RsaPublicKeyComponents {
                n: strip_zeros(&n),
                e: strip_zeros(&e),
            }
            .verify(&signature::RSA_PKCS1_2048_8192_SHA256, signing_input, sig)
            .map_err(|_| TokenError::BadSignature)
        }
    }
}

/// [`assertion::parse`]'s refusals as token errors.
fn parse_error(e: AuthError) -> TokenError {
    match e {
        AuthError::BadAssertion(m) if m == assertion::ALG_NONE_REFUSED => {
            TokenError::AlgNotAllowed("none".into())
        }
        AuthError::BadAssertion(m) => TokenError::Malformed(m),
        AuthError::InvalidRequest(_) => malformed(format!(
            "longer than {} bytes",
            assertion::MAX_ASSERTION_LEN
        )),
        other => TokenError::Malformed(other.to_string()),
    }
}

/// Verifies an access token for introspection (RFC 7662): a compact JWS whose `typ` is `JWT`
/// or `at+jwt` (or `application/at+jwt`), the two [`mint`] and [`mint_rfc9068`] write, `alg` ES256 or RS256 only (never `none`, never HS*), the
/// key chosen by `kid` (and alg) among the realm's public JWKs (the objects
/// [`RealmPrivateKey::public_jwk`] returns; pass active and passive keys, not disabled ones),
/// a valid signature, `iss == issuer`, `exp > now` (no skew), `iat <= now + 15`. Claims are
/// looked at only after the signature has verified.
pub fn verify(
    token: &str,
    public_jwks: &[Value],
    issuer: &str,
    now: i64,
) -> Result<AccessTokenClaims, TokenError> {
    let jws = assertion::parse(token).map_err(parse_error)?;
    let header = &jws.header;
    let alg = SigningAlg::parse(&header.alg)
        .ok_or_else(|| TokenError::AlgNotAllowed(shown(&header.alg)))?;
    match header.typ.as_deref() {
        Some(t)
            if t.eq_ignore_ascii_case(TOKEN_TYPE)
                || t.eq_ignore_ascii_case("application/at+jwt")
                || t.eq_ignore_ascii_case(JWT_TYPE) => {}
        Some(t) => return Err(TokenError::WrongType(shown(t))),
        None => return Err(TokenError::WrongType("missing".into())),
    }
    let kid = header
        .kid
        .as_deref()
        .ok_or_else(|| malformed("the header has no kid"))?;
    let jwk = public_jwks
        .iter()
        .filter_map(Value::as_object)
        .find(|o| o.get("kid").and_then(Value::as_str) == Some(kid) && fits(o, alg))
        .ok_or_else(|| TokenError::UnknownKid {
            kid: shown(kid),
            alg,
        })?;
    verify_with_jwk(jwk, alg, jws.signing_input, &jws.signature)?;

    let claims: AccessTokenClaims = serde_json::from_slice(&jws.payload).map_err(|e| {
        malformed(format!(
            "the claims do not parse: {}",
            shown(&e.to_string())
        ))
    })?;
    if claims.iss != issuer {
        return Err(TokenError::WrongIssuer(shown(&claims.iss)));
    }
    if claims.exp <= now {
        return Err(TokenError::Expired {
            exp: claims.exp,
            now,
        });
    }
    if claims.iat > now.saturating_add(IAT_SKEW_S) {
        return Err(TokenError::NotYetValid {
            iat: claims.iat,
            now,
        });
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{import, ImportRequest, KeyFormat};
    use aws_lc_rs::hmac;
    use std::collections::HashSet;
    use std::sync::OnceLock;

    const ISSUER: &str = "https://sso.example.com/realms/demo";
    const NOW: i64 = 1_750_000_000;

    fn realm_key(alg: SigningAlg) -> &'static RealmPrivateKey {
        static EC: OnceLock<RealmPrivateKey> = OnceLock::new();
        static RSA: OnceLock<RealmPrivateKey> = OnceLock::new();
        let cell = match alg {
            SigningAlg::Es256 => &EC,
            SigningAlg::Rs256 => &RSA,
        };
        cell.get_or_init(|| RealmPrivateKey::generate(alg).unwrap())
    }

    fn claims() -> AccessTokenClaims {
        claims_for_client(
            ISSUER,
            "billing",
            "service-account-billing",
            ISSUER,
            "openid profile",
            300,
            NOW,
        )
    }

    fn b64json(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    }

    fn decode(part: &str) -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    fn parts(token: &str) -> Vec<&str> {
        token.split('.').collect()
    }

    /// A token with any header and payload, validly signed by `key`.
    fn signed(key: &RealmPrivateKey, header: Value, payload: &[u8]) -> String {
        sign_compact(key, &header, payload).unwrap()
    }

    fn header(key: &RealmPrivateKey) -> Value {
        json!({ "alg": key.alg().as_str(), "typ": "at+jwt", "kid": key.kid() })
    }

    fn verify_now(token: &str, key: &RealmPrivateKey) -> Result<AccessTokenClaims, TokenError> {
        verify(token, &[key.public_jwk()], ISSUER, NOW)
    }

    #[test]
    fn signing_alg_names() {
        for alg in SigningAlg::ALL {
            assert_eq!(SigningAlg::parse(alg.as_str()), Some(alg));
            assert_eq!(
                serde_json::to_value(alg).unwrap(),
                Value::String(alg.as_str().into())
            );
        }
        assert_eq!(SigningAlg::parse("es256"), None);
        assert_eq!(SigningAlg::parse("HS256"), None);
        assert_eq!(SigningAlg::default(), SigningAlg::Es256);
    }

    #[test]
    fn round_trip_both_algs() {
        for alg in SigningAlg::ALL {
            let key = realm_key(alg);
            let c = claims();
            let token = mint(key, &c).unwrap();
            let h = decode(parts(&token)[0]);
            assert_eq!(
                h,
                json!({ "alg": alg.as_str(), "typ": "JWT", "kid": key.kid() })
            );
            assert_eq!(
                serde_json::to_string(&h).unwrap(),
                format!(
                    r#"{{"alg":"{}","typ":"JWT","kid":"{}"}}"#,
                    alg.as_str(),
                    key.kid()
                )
            );
            assert_eq!(verify_now(&token, key).unwrap(), c);
            // RFC 9068's header, for clients that ask for it, verifies the same.
            let typed = mint_rfc9068(key, &c).unwrap();
            assert_eq!(decode(parts(&typed)[0])["typ"], "at+jwt");
            assert_eq!(verify_now(&typed, key).unwrap(), c);
            // Among several keys (the other alg's and a passive one), kid selects.
            let other = realm_key(match alg {
                SigningAlg::Es256 => SigningAlg::Rs256,
                SigningAlg::Rs256 => SigningAlg::Es256,
            });
            let set = [other.public_jwk(), key.public_jwk()];
            assert_eq!(verify(&token, &set, ISSUER, NOW).unwrap(), c);
            // iat up to 15 s ahead and exp one second ahead are accepted.
            assert!(verify(&token, &set, ISSUER, c.iat - IAT_SKEW_S).is_ok());
            assert!(verify(&token, &set, ISSUER, c.exp - 1).is_ok());
        }
    }

    #[test]
    fn es256_signature_is_jose_form() {
        let token = mint(realm_key(SigningAlg::Es256), &claims()).unwrap();
        let sig = URL_SAFE_NO_PAD.decode(parts(&token)[2]).unwrap();
        assert_eq!(sig.len(), 64);
        let token = mint(realm_key(SigningAlg::Rs256), &claims()).unwrap();
        let sig = URL_SAFE_NO_PAD.decode(parts(&token)[2]).unwrap();
        assert_eq!(sig.len(), 256);
    }

    /// The JWK served at `certs`, imported by the key-upload path into an SPKI, verifies the
    /// token with plain aws-lc-rs: a path independent of `verify`.
    #[test]
    fn jwks_verify_independently() {
        for alg in SigningAlg::ALL {
            let key = realm_key(alg);
            let token = mint(key, &claims()).unwrap();
            let set = jwks(&[key.public_jwk()]);
            let keys = set["keys"].as_array().unwrap();
            assert_eq!(keys.len(), 1);
            let jwk = &keys[0];
            assert_eq!(jwk["kid"], key.kid());
            assert_eq!(jwk["alg"], alg.as_str());
            assert_eq!(jwk["use"], "sig");
            assert_eq!(jwk["kty"], alg.kty());
            for private in ["d", "p", "q", "dp", "dq", "qi"] {
                assert!(jwk.get(private).is_none(), "{private} in the public JWK");
            }
            let bytes = serde_json::to_vec(jwk).unwrap();
            let imported = import(&ImportRequest {
                format: Some(KeyFormat::Jwk),
                bytes: &bytes,
                store_password: None,
                alias: None,
            })
            .unwrap();
            assert_eq!(imported.len(), 1);
            let spki = &imported[0].spki_der;
            assert_eq!(imported[0].kid.as_deref(), Some(key.kid()));
            assert_eq!(keycloak_kid(spki), key.kid(), "Keycloak's kid");
            let algorithm: &dyn signature::VerificationAlgorithm = match alg {
                SigningAlg::Es256 => &signature::ECDSA_P256_SHA256_FIXED,
                SigningAlg::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            };
            let (input, sig) = token.rsplit_once('.').unwrap();
            UnparsedPublicKey::new(algorithm, spki)
                .verify(input.as_bytes(), &URL_SAFE_NO_PAD.decode(sig).unwrap())
                .unwrap();
        }
    }

    #[test]
    fn jwks_keeps_every_key_in_order() {
        let a = realm_key(SigningAlg::Rs256).public_jwk();
        let b = realm_key(SigningAlg::Es256).public_jwk();
        assert_eq!(jwks(&[a.clone(), b.clone()]), json!({ "keys": [a, b] }));
        assert_eq!(jwks(&[]), json!({ "keys": [] }));
    }

    #[test]
    fn tampered_payload_and_signature_refused() {
        for alg in SigningAlg::ALL {
            let key = realm_key(alg);
            let token = mint(key, &claims()).unwrap();
            let p = parts(&token);
            let mut c = claims();
            c.scope = "admin".into();
            let forged = format!(
                "{}.{}.{}",
                p[0],
                b64json(&serde_json::to_value(&c).unwrap()),
                p[2]
            );
            assert_eq!(verify_now(&forged, key), Err(TokenError::BadSignature));
            let mut sig = URL_SAFE_NO_PAD.decode(p[2]).unwrap();
            sig[5] ^= 1;
            let forged = format!("{}.{}.{}", p[0], p[1], URL_SAFE_NO_PAD.encode(&sig));
            assert_eq!(verify_now(&forged, key), Err(TokenError::BadSignature));
            let forged = format!("{}.{}.{}", p[0], p[1], URL_SAFE_NO_PAD.encode(&sig[1..]));
            assert_eq!(verify_now(&forged, key), Err(TokenError::BadSignature));
        }
    }

    #[test]
    fn another_key_with_the_same_kid_refused() {
        let key = realm_key(SigningAlg::Es256);
        let impostor = RealmPrivateKey::generate(SigningAlg::Es256).unwrap();
        let token = signed(
            &impostor,
            header(key),
            &serde_json::to_vec(&claims()).unwrap(),
        );
        assert_eq!(verify_now(&token, key), Err(TokenError::BadSignature));
    }

    #[test]
    fn unknown_kid_refused() {
        let key = realm_key(SigningAlg::Es256);
        let token = mint(key, &claims()).unwrap();
        let other = RealmPrivateKey::generate(SigningAlg::Es256).unwrap();
        assert_eq!(
            verify(&token, &[other.public_jwk()], ISSUER, NOW),
            Err(TokenError::UnknownKid {
                kid: key.kid().into(),
                alg: SigningAlg::Es256
            })
        );
        assert!(matches!(
            verify(&token, &[], ISSUER, NOW),
            Err(TokenError::UnknownKid { .. })
        ));
        // A JWK with that kid but of the other key type does not fit.
        let rsa = key_rs_with_kid(key.kid());
        assert!(matches!(
            verify(&token, &[rsa], ISSUER, NOW),
            Err(TokenError::UnknownKid { .. })
        ));
        // No kid at all.
        let mut h = header(key);
        h.as_object_mut().unwrap().remove("kid");
        let token = signed(key, h, &serde_json::to_vec(&claims()).unwrap());
        assert!(matches!(
            verify_now(&token, key),
            Err(TokenError::Malformed(m)) if m.contains("kid")
        ));
    }

    fn key_rs_with_kid(kid: &str) -> Value {
        let mut jwk = realm_key(SigningAlg::Rs256).public_jwk();
        jwk["kid"] = kid.into();
        jwk
    }

    #[test]
    fn alg_none_refused() {
        let key = realm_key(SigningAlg::Es256);
        let payload = b64json(&serde_json::to_value(claims()).unwrap());
        for alg in ["none", "None", "NONE"] {
            let h = b64json(&json!({ "alg": alg, "typ": "at+jwt", "kid": key.kid() }));
            for sig in ["", "AAAA"] {
                let token = format!("{h}.{payload}.{sig}");
                let err = verify_now(&token, key).unwrap_err();
                assert!(
                    matches!(
                        &err,
                        TokenError::AlgNotAllowed(_) | TokenError::Malformed(_)
                    ),
                    "{err}"
                );
            }
            let token = format!("{h}.{payload}.AAAA");
            assert_eq!(
                verify_now(&token, key),
                Err(TokenError::AlgNotAllowed("none".into()))
            );
        }
    }

    /// The classic confusion: HS256 with the public key (its JWK, its SPKI) as the HMAC secret.
    #[test]
    fn hmac_with_the_public_key_refused() {
        for alg in SigningAlg::ALL {
            let key = realm_key(alg);
            let jwk = key.public_jwk();
            let payload = b64json(&serde_json::to_value(claims()).unwrap());
            let spki = spki(&key.signer).unwrap();
            let secrets = [
                serde_json::to_vec(&jwk).unwrap(),
                serde_json::to_vec(&jwks(std::slice::from_ref(&jwk))).unwrap(),
                spki.clone(),
                crate::keys::public_key_pem(&spki).into_bytes(),
            ];
            for hs in ["HS256", "HS384", "HS512"] {
                let h = b64json(&json!({ "alg": hs, "typ": "at+jwt", "kid": key.kid() }));
                let input = format!("{h}.{payload}");
                let algorithm = match hs {
                    "HS256" => hmac::HMAC_SHA256,
                    "HS384" => hmac::HMAC_SHA384,
                    _ => hmac::HMAC_SHA512,
                };
                for secret in &secrets {
                    let tag = hmac::sign(&hmac::Key::new(algorithm, secret), input.as_bytes());
                    let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()));
                    assert_eq!(
                        verify_now(&token, key),
                        Err(TokenError::AlgNotAllowed(hs.into()))
                    );
                }
            }
            // Other asymmetric algs are not access-token algs either.
            for other in ["ES384", "PS256", "RS512", "EdDSA", "es256"] {
                let h = b64json(&json!({ "alg": other, "typ": "at+jwt", "kid": key.kid() }));
                let token = format!("{h}.{payload}.AAAA");
                assert_eq!(
                    verify_now(&token, key),
                    Err(TokenError::AlgNotAllowed(other.into()))
                );
            }
        }
    }

    #[test]
    fn wrong_type_refused() {
        let key = realm_key(SigningAlg::Es256);
        let payload = serde_json::to_vec(&claims()).unwrap();
        for typ in [Some("JWS"), Some("at+jwt2"), Some(""), None] {
            let mut h = header(key);
            match typ {
                Some(t) => h["typ"] = t.into(),
                None => {
                    h.as_object_mut().unwrap().remove("typ");
                }
            }
            let token = signed(key, h, &payload);
            assert!(
                matches!(verify_now(&token, key), Err(TokenError::WrongType(_))),
                "{typ:?}"
            );
        }
        for typ in ["application/at+jwt", "AT+JWT", "JWT", "jwt"] {
            let mut h = header(key);
            h["typ"] = typ.into();
            assert!(verify_now(&signed(key, h, &payload), key).is_ok(), "{typ}");
        }
    }

    #[test]
    fn wrong_issuer_refused() {
        let key = realm_key(SigningAlg::Es256);
        let token = mint(key, &claims()).unwrap();
        assert_eq!(
            verify(
                &token,
                &[key.public_jwk()],
                "https://sso.example.com/realms/other",
                NOW
            ),
            Err(TokenError::WrongIssuer(ISSUER.into()))
        );
        let mut c = claims();
        c.iss = format!("{ISSUER}/");
        assert!(matches!(
            verify_now(&mint(key, &c).unwrap(), key),
            Err(TokenError::WrongIssuer(_))
        ));
    }

    #[test]
    fn expired_and_future_refused() {
        let key = realm_key(SigningAlg::Es256);
        let c = claims();
        let token = mint(key, &c).unwrap();
        let jwks = [key.public_jwk()];
        assert_eq!(
            verify(&token, &jwks, ISSUER, c.exp),
            Err(TokenError::Expired {
                exp: c.exp,
                now: c.exp
            })
        );
        assert!(matches!(
            verify(&token, &jwks, ISSUER, i64::MAX),
            Err(TokenError::Expired { .. })
        ));
        let now = c.iat - IAT_SKEW_S - 1;
        assert_eq!(
            verify(&token, &jwks, ISSUER, now),
            Err(TokenError::NotYetValid { iat: c.iat, now })
        );
        let mut far = claims();
        far.iat = NOW + 3600;
        far.exp = NOW + 7200;
        assert!(matches!(
            verify_now(&mint(key, &far).unwrap(), key),
            Err(TokenError::NotYetValid { .. })
        ));
        // Extreme values do not overflow.
        assert!(matches!(
            verify(&token, &jwks, ISSUER, i64::MIN),
            Err(TokenError::NotYetValid { .. })
        ));
    }

    #[test]
    fn malformed_refused() {
        let key = realm_key(SigningAlg::Es256);
        let token = mint(key, &claims()).unwrap();
        let p = parts(&token);
        let cases = [
            String::new(),
            "a.b".to_string(),
            format!("{}.{}", p[0], p[1]),
            format!("{token}.x"),
            format!("!!!.{}.{}", p[1], p[2]),
            format!("{}.{}=.{}", p[0], p[1], p[2]),
            format!("{}.{}.", p[0], p[1]),
            format!("{}.{}.{}", URL_SAFE_NO_PAD.encode("not json"), p[1], p[2]),
            format!("{}.{}.{}", URL_SAFE_NO_PAD.encode("[1,2]"), p[1], p[2]),
            "x".repeat(10_000),
        ];
        for t in &cases {
            assert!(
                matches!(verify_now(t, key), Err(TokenError::Malformed(_))),
                "{t:.80}: {:?}",
                verify_now(t, key)
            );
        }
        // Validly signed payloads that are not the claims.
        let mut no_exp = serde_json::to_value(claims()).unwrap();
        no_exp.as_object_mut().unwrap().remove("exp");
        let mut string_exp = serde_json::to_value(claims()).unwrap();
        string_exp["exp"] = "soon".into();
        let mut aud_list = serde_json::to_value(claims()).unwrap();
        aud_list["aud"] = json!([ISSUER, "other"]);
        for payload in [
            b"not json".to_vec(),
            b"[]".to_vec(),
            serde_json::to_vec(&no_exp).unwrap(),
            serde_json::to_vec(&string_exp).unwrap(),
            serde_json::to_vec(&aud_list).unwrap(),
        ] {
            let t = signed(key, header(key), &payload);
            assert!(
                matches!(verify_now(&t, key), Err(TokenError::Malformed(_))),
                "{:?}",
                verify_now(&t, key)
            );
        }
    }

    #[test]
    fn unusable_realm_jwks_do_not_panic() {
        let key = realm_key(SigningAlg::Es256);
        let token = mint(key, &claims()).unwrap();
        let kid = key.kid();
        for jwk in [
            json!({ "kty": "EC", "kid": kid }),
            json!({ "kty": "EC", "kid": kid, "crv": "P-384", "x": "AA", "y": "AA" }),
            json!({ "kty": "EC", "kid": kid, "crv": "P-256", "x": "!!", "y": "AA" }),
            json!({ "kty": "EC", "kid": kid, "crv": "P-256", "x": "AA", "y": "AA" }),
            json!({ "kty": "EC", "kid": kid, "crv": "P-256", "x": "A".repeat(60), "y": "AA" }),
            json!({ "kty": "EC", "kid": kid, "crv": 7, "x": 1 }),
            json!("not an object"),
            json!(null),
        ] {
            assert!(
                verify(&token, std::slice::from_ref(&jwk), ISSUER, NOW).is_err(),
                "{jwk}"
            );
        }
        let rs = mint(key_rs(), &claims()).unwrap();
        for jwk in [
            json!({ "kty": "RSA", "kid": key_rs().kid(), "n": "AQAB", "e": "AQAB" }),
            json!({ "kty": "RSA", "kid": key_rs().kid(), "n": "", "e": "AQAB" }),
            json!({ "kty": "RSA", "kid": key_rs().kid() }),
        ] {
            assert!(
                verify(&rs, std::slice::from_ref(&jwk), ISSUER, NOW).is_err(),
                "{jwk}"
            );
        }
        // A JWK whose alg says otherwise is not chosen.
        let mut jwk = key.public_jwk();
        jwk["alg"] = "ES384".into();
        assert!(matches!(
            verify(&token, &[jwk], ISSUER, NOW),
            Err(TokenError::UnknownKid { .. })
        ));
        // Without an alg member it is.
        let mut jwk = key.public_jwk();
        jwk.as_object_mut().unwrap().remove("alg");
        assert!(verify(&token, &[jwk], ISSUER, NOW).is_ok());
    }

    fn key_rs() -> &'static RealmPrivateKey {
        realm_key(SigningAlg::Rs256)
    }

    #[test]
    fn pkcs8_round_trip() {
        for alg in SigningAlg::ALL {
            let key = realm_key(alg);
            let again = RealmPrivateKey::from_pkcs8(alg, key.kid(), key.pkcs8_der()).unwrap();
            assert_eq!(again.alg(), alg);
            assert_eq!(again.kid(), key.kid());
            assert_eq!(again.public_jwk(), key.public_jwk());
            assert_eq!(again.pkcs8_der(), key.pkcs8_der());
            // The reloaded key signs tokens the original's JWK verifies.
            let token = mint(&again, &claims()).unwrap();
            assert!(verify_now(&token, key).is_ok());
        }
    }

    #[test]
    fn pkcs8_for_the_wrong_alg_refused() {
        let ec = realm_key(SigningAlg::Es256);
        let rsa = realm_key(SigningAlg::Rs256);
        assert!(matches!(
            RealmPrivateKey::from_pkcs8(SigningAlg::Rs256, ec.kid(), ec.pkcs8_der()),
            Err(TokenError::Key(_))
        ));
        assert!(matches!(
            RealmPrivateKey::from_pkcs8(SigningAlg::Es256, rsa.kid(), rsa.pkcs8_der()),
            Err(TokenError::Key(_))
        ));
        // A P-384 key is not an ES256 key.
        let p384 = EcdsaKeyPair::generate(&signature::ECDSA_P384_SHA384_FIXED_SIGNING)
            .unwrap()
            .to_pkcs8v1()
            .unwrap();
        assert!(RealmPrivateKey::from_pkcs8(SigningAlg::Es256, "k", p384.as_ref()).is_err());
        for junk in [&b""[..], b"\x30\x00", &[0xff; 64]] {
            for alg in SigningAlg::ALL {
                assert!(RealmPrivateKey::from_pkcs8(alg, "k", junk).is_err());
            }
        }
        // The kid must be usable in a header.
        for kid in ["", "a\nb"] {
            assert!(RealmPrivateKey::from_pkcs8(SigningAlg::Es256, kid, ec.pkcs8_der()).is_err());
        }
        let long = "k".repeat(MAX_KID_LEN + 1);
        assert!(RealmPrivateKey::from_pkcs8(SigningAlg::Es256, &long, ec.pkcs8_der()).is_err());
    }

    #[test]
    fn generated_kid_is_keycloaks() {
        for alg in SigningAlg::ALL {
            let key = realm_key(alg);
            assert_eq!(key.kid(), keycloak_kid(&spki(&key.signer).unwrap()));
            assert_eq!(key.kid().len(), 43);
        }
        let a = RealmPrivateKey::generate(SigningAlg::Es256).unwrap();
        assert_ne!(a.kid(), realm_key(SigningAlg::Es256).kid());
    }

    #[test]
    fn rs256_realm_keys_publish_a_self_signed_certificate() {
        use x509_parser::prelude::{FromDer, X509Certificate};
        let key = RealmPrivateKey::generate(SigningAlg::Rs256)
            .unwrap()
            .with_certificate("acme", NOW)
            .unwrap();
        let jwk = key.public_jwk();
        let der = base64::engine::general_purpose::STANDARD
            .decode(jwk["x5c"][0].as_str().unwrap())
            .unwrap();
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        // The certificate is the key's: same SPKI, CN = the realm, signed by itself, 10 years.
        assert_eq!(cert.public_key().raw, spki(&key.signer).unwrap().as_slice());
        assert_eq!(cert.subject().to_string(), "CN=acme");
        assert_eq!(cert.issuer(), cert.subject());
        UnparsedPublicKey::new(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            cert.public_key().subject_public_key.data.as_ref(),
        )
        .verify(cert.tbs_certificate.as_ref(), &cert.signature_value.data)
        .unwrap();
        let years = (cert.validity().not_after.timestamp() - NOW) / (365 * 86_400);
        assert_eq!(years, 10);
        assert_eq!(jwk["x5t"].as_str().unwrap().len(), 27);
        assert_eq!(jwk["x5t#S256"].as_str().unwrap().len(), 43);
        assert_eq!(jwk["kid"], key.kid());
        // Tokens it signs verify against the JWK with the certificate.
        let token = mint(
            &key,
            &claims_for_client(ISSUER, "c", "sa", ISSUER, "", 60, NOW),
        )
        .unwrap();
        verify(&token, &[jwk], ISSUER, NOW).unwrap();
        // ES256 keys stay without a certificate, as Keycloak's.
        let ec = RealmPrivateKey::generate(SigningAlg::Es256)
            .unwrap()
            .with_certificate("acme", NOW)
            .unwrap();
        assert!(ec.public_jwk().get("x5c").is_none());
    }

    #[test]
    fn debug_is_redacted() {
        for alg in SigningAlg::ALL {
            let key = realm_key(alg);
            let shown = format!("{key:?}");
            assert!(shown.contains("<redacted>"), "{shown}");
            assert!(shown.contains(key.kid()));
            assert!(!shown.contains('['), "{shown}");
            assert!(!shown.contains(&URL_SAFE_NO_PAD.encode(key.pkcs8_der())[..16]));
            let alt = format!("{key:#?}");
            assert!(!alt.contains('['), "{alt}");
        }
    }

    #[test]
    fn claims_for_a_client() {
        let c = claims_for_client(ISSUER, "billing", "sa-billing", "api", "", 300, NOW);
        assert_eq!(c.iss, ISSUER);
        assert_eq!(c.sub, "sa-billing");
        assert_eq!(c.aud, "api");
        assert_eq!(c.azp, "billing");
        assert_eq!(c.client_id, "billing");
        assert_eq!(c.scope, "");
        assert_eq!(c.iat, NOW);
        assert_eq!(c.exp - c.iat, 300);
        let jtis: HashSet<String> = (0..1000)
            .map(|_| claims_for_client(ISSUER, "b", "s", "a", "", 60, NOW).jti)
            .collect();
        assert_eq!(jtis.len(), 1000);
        for jti in &jtis {
            assert!(jti.len() >= 22, "{jti}");
            assert!(jti
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        }
        // No overflow at the edge of time.
        assert_eq!(
            claims_for_client(ISSUER, "b", "s", "a", "", 300, i64::MAX).exp,
            i64::MAX
        );
    }

    #[test]
    fn claims_serialise_in_order() {
        let c = claims();
        let v = serde_json::to_value(&c).unwrap();
        let names: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "iss",
                "sub",
                "aud",
                "azp",
                "client_id",
                "exp",
                "iat",
                "jti",
                "scope",
                "typ",
                "preferred_username"
            ]
        );
        assert_eq!(v["typ"], "Bearer");
        assert_eq!(v["preferred_username"], "service-account-billing");
    }

    #[test]
    fn realm_key_is_shareable() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<RealmPrivateKey>();
    }
}
