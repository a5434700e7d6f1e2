//! Generating a client key pair with a self-signed certificate and packaging it as a PKCS12 or
//! JKS keystore (Keycloak's "Generate new keys"); the private key lives only in the returned
//! keystore bytes.
//!
//! Key pairs come from aws-lc-rs (through rcgen, which also builds and signs the certificate);
//! PKCS12 files are written by `p12-keystore` (PBES2 AES-256-CBC, HMAC-SHA256 MAC, 10,000
//! iterations: what keytool and OpenSSL 3 write) and JKS files by [`super::jks`].
//!
//! Password rules, as checked against JDK 17 and OpenSSL 3:
//! - PKCS12: Java derives every PKCS12 key through `SecretKeyFactory("PBE")`, whose keys must be
//!   printable ASCII (U+0020..U+007E): a file with any other character in its password cannot be
//!   opened by Java, so such passwords are refused. The writer seals the key with the store
//!   password (as keytool does for PKCS12), so the key password must equal the store password.
//! - JKS: any password; the integrity digest and the key protection both take it as UTF-16BE.
//!
//! Java lower-cases aliases when it loads a keystore (JKS and PKCS12): an alias written here in
//! mixed case is found by `getKey` in any case, and keytool lists it in lower case.

use std::fmt;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
use rcgen::{
    CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose, RsaKeySize,
    SerialNumber, SignatureAlgorithm,
};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::{cert, jks};

/// The key types Keyward generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum KeyAlgorithm {
    Rsa2048,
    Rsa3072,
    Rsa4096,
    EcP256,
    EcP384,
}

impl KeyAlgorithm {
    pub const ALL: [KeyAlgorithm; 5] = [
        KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Rsa3072,
        KeyAlgorithm::Rsa4096,
        KeyAlgorithm::EcP256,
        KeyAlgorithm::EcP384,
    ];

    /// "RSA-2048", "RSA-3072", "RSA-4096", "EC-P256", "EC-P384".
    pub fn id(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa2048 => "RSA-2048",
            KeyAlgorithm::Rsa3072 => "RSA-3072",
            KeyAlgorithm::Rsa4096 => "RSA-4096",
            KeyAlgorithm::EcP256 => "EC-P256",
            KeyAlgorithm::EcP384 => "EC-P384",
        }
    }

    /// "RSA 2048", "RSA 3072", "RSA 4096", "EC P-256", "EC P-384".
    pub fn label(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa2048 => "RSA 2048",
            KeyAlgorithm::Rsa3072 => "RSA 3072",
            KeyAlgorithm::Rsa4096 => "RSA 4096",
            KeyAlgorithm::EcP256 => "EC P-256",
            KeyAlgorithm::EcP384 => "EC P-384",
        }
    }

    /// Accepts [`KeyAlgorithm::id`], case-insensitive, surrounding spaces ignored.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        KeyAlgorithm::ALL
            .into_iter()
            .find(|a| a.id().eq_ignore_ascii_case(s))
    }

    /// The JWS alg a client signs with this key: RS256 for RSA, ES256 / ES384 for EC.
    pub fn jws_alg(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => "RS256",
            KeyAlgorithm::EcP256 => "ES256",
            KeyAlgorithm::EcP384 => "ES384",
        }
    }

    /// The certificate's signature algorithm: SHA-256 with RSA, ECDSA with SHA-256 / SHA-384.
    fn signature(self) -> &'static SignatureAlgorithm {
        match self {
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
                &rcgen::PKCS_RSA_SHA256
            }
            KeyAlgorithm::EcP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyAlgorithm::EcP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
        }
    }

    fn key_pair(self) -> Result<KeyPair, rcgen::Error> {
        let rsa = |size| KeyPair::generate_rsa_for(self.signature(), size);
        match self {
            KeyAlgorithm::Rsa2048 => rsa(RsaKeySize::_2048),
            KeyAlgorithm::Rsa3072 => rsa(RsaKeySize::_3072),
            KeyAlgorithm::Rsa4096 => rsa(RsaKeySize::_4096),
            KeyAlgorithm::EcP256 | KeyAlgorithm::EcP384 => KeyPair::generate_for(self.signature()),
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The keystore formats Keyward writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum KeystoreFormat {
    Pkcs12,
    Jks,
}

impl KeystoreFormat {
    pub const ALL: [KeystoreFormat; 2] = [KeystoreFormat::Pkcs12, KeystoreFormat::Jks];

    /// "PKCS12", "JKS" (Keycloak's KeyStoreConfig.format values and keycloak.json
    /// `client-keystore-type`).
    pub fn id(self) -> &'static str {
        match self {
            KeystoreFormat::Pkcs12 => "PKCS12",
            KeystoreFormat::Jks => "JKS",
        }
    }

    /// Case-insensitive id; also "p12", "pfx" and "pkcs#12" for PKCS12.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if ["PKCS12", "p12", "pfx", "pkcs#12"]
            .iter()
            .any(|n| n.eq_ignore_ascii_case(s))
        {
            Some(KeystoreFormat::Pkcs12)
        } else if s.eq_ignore_ascii_case("JKS") {
            Some(KeystoreFormat::Jks)
        } else {
            None
        }
    }

    /// "p12", "jks".
    pub fn file_extension(self) -> &'static str {
        match self {
            KeystoreFormat::Pkcs12 => "p12",
            KeystoreFormat::Jks => "jks",
        }
    }

    /// "application/x-pkcs12", "application/octet-stream".
    pub fn mime(self) -> &'static str {
        match self {
            KeystoreFormat::Pkcs12 => "application/x-pkcs12",
            KeystoreFormat::Jks => "application/octet-stream",
        }
    }
}

impl fmt::Display for KeystoreFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The longest alias and common name accepted, in characters (X.509 ub-common-name).
pub const MAX_NAME_CHARS: usize = 64;
/// Certificate validity bounds, in years.
pub const VALIDITY_YEARS: std::ops::RangeInclusive<u32> = 1..=10;

/// What to generate. Passwords are borrowed; the caller zeroizes its copies.
#[derive(Clone, Copy)]
pub struct GenerateRequest<'a> {
    pub algorithm: KeyAlgorithm,
    pub format: KeystoreFormat,
    pub alias: &'a str,
    pub store_password: &'a str,
    pub key_password: &'a str,
    /// Certificate validity in years, 1..=10.
    pub validity_years: u32,
    /// Subject CN (the client id).
    pub common_name: &'a str,
    /// Unix seconds: notBefore = now - 60 s (clock skew), notAfter = now + years.
    pub now: i64,
}

impl fmt::Debug for GenerateRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GenerateRequest")
            .field("algorithm", &self.algorithm)
            .field("format", &self.format)
            .field("alias", &self.alias)
            .field("store_password", &"<redacted>")
            .field("key_password", &"<redacted>")
            .field("validity_years", &self.validity_years)
            .field("common_name", &self.common_name)
            .field("now", &self.now)
            .finish()
    }
}

/// A generated key: the keystore that holds it and its public parts.
pub struct Generated {
    /// The keystore file. Holds the private key: zeroized on drop.
    pub keystore: Zeroizing<Vec<u8>>,
    /// The self-signed certificate, DER (what Keyward registers as the client's key).
    pub certificate_der: Vec<u8>,
    /// SubjectPublicKeyInfo DER of the key.
    pub spki_der: Vec<u8>,
}

impl fmt::Debug for Generated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generated")
            .field("keystore", &format_args!("<{} bytes>", self.keystore.len()))
            .field("certificate_der", &self.certificate_der.len())
            .field("spki_der", &self.spki_der.len())
            .finish()
    }
}

/// Why a key is not generated. The messages are shown to operators verbatim.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    #[error("the store password must not be empty")]
    EmptyStorePassword,
    #[error("the key password must not be empty")]
    EmptyKeyPassword,
    #[error(
        "PKCS12 passwords must be ASCII: Java cannot open a PKCS12 file with other characters \
         in its password (JKS can)"
    )]
    Pkcs12PasswordNotAscii,
    #[error(
        "a PKCS12 keystore has one password: the key password must equal the store password \
         (choose JKS for a separate key password)"
    )]
    Pkcs12KeyPasswordDiffers,
    #[error("the key alias must not be empty")]
    EmptyAlias,
    #[error("the key alias must be at most 64 characters")]
    AliasTooLong,
    #[error("the key alias must not contain control characters")]
    AliasControlCharacter,
    #[error(
        "the key alias of a PKCS12 keystore must not contain characters outside the Basic \
         Multilingual Plane (such as emoji)"
    )]
    AliasNotBmp,
    #[error("the certificate validity must be 1 to 10 years")]
    Validity,
    #[error("the certificate common name must not be empty")]
    EmptyCommonName,
    #[error("the certificate common name must be at most 64 characters")]
    CommonNameTooLong,
    #[error("the certificate common name must not contain control characters")]
    CommonNameControlCharacter,
    #[error("the current time is out of range for a certificate")]
    TimeOutOfRange,
    /// An unexpected failure of the cryptographic library.
    #[error("key generation failed: {0}")]
    Internal(String),
}

fn internal(e: impl fmt::Display) -> GenerateError {
    GenerateError::Internal(e.to_string())
}

/// Java's `PBEKey` accepts printable ASCII only (U+0020..U+007E).
fn java_pbe_password(p: &str) -> bool {
    p.bytes().all(|b| (0x20..=0x7E).contains(&b))
}

/// Checks a request before any key is generated.
fn check(req: &GenerateRequest<'_>) -> Result<(), GenerateError> {
    if req.store_password.is_empty() {
        return Err(GenerateError::EmptyStorePassword);
    }
    if req.key_password.is_empty() {
        return Err(GenerateError::EmptyKeyPassword);
    }
    if req.format == KeystoreFormat::Pkcs12 {
        if !java_pbe_password(req.store_password) || !java_pbe_password(req.key_password) {
            return Err(GenerateError::Pkcs12PasswordNotAscii);
        }
        if req.store_password != req.key_password {
            return Err(GenerateError::Pkcs12KeyPasswordDiffers);
        }
    }
    if req.alias.is_empty() {
        return Err(GenerateError::EmptyAlias);
    }
    if req.alias.chars().count() > MAX_NAME_CHARS {
        return Err(GenerateError::AliasTooLong);
    }
    if req.alias.chars().any(char::is_control) {
        return Err(GenerateError::AliasControlCharacter);
    }
    if req.format == KeystoreFormat::Pkcs12 && req.alias.chars().any(|c| u32::from(c) > 0xFFFF) {
        return Err(GenerateError::AliasNotBmp);
    }
    if !VALIDITY_YEARS.contains(&req.validity_years) {
        return Err(GenerateError::Validity);
    }
    if req.common_name.is_empty() {
        return Err(GenerateError::EmptyCommonName);
    }
    if req.common_name.chars().count() > MAX_NAME_CHARS {
        return Err(GenerateError::CommonNameTooLong);
    }
    if req.common_name.chars().any(char::is_control) {
        return Err(GenerateError::CommonNameControlCharacter);
    }
    Ok(())
}

/// notBefore = now − 60 s; notAfter = the same date and time `years` later (29 February
/// becomes 28 February).
fn validity(now: i64, years: u32) -> Result<(OffsetDateTime, OffsetDateTime), GenerateError> {
    let at = |t: i64| OffsetDateTime::from_unix_timestamp(t).ok();
    let not_before = now.checked_sub(60).and_then(at);
    let start = at(now);
    let not_after = start.and_then(|start| {
        let year = start.year().checked_add(i32::try_from(years).ok()?)?;
        start
            .replace_year(year)
            .or_else(|_| start.replace_day(28).and_then(|d| d.replace_year(year)))
            .ok()
    });
    match (not_before, not_after) {
        // X.509 times end at 9999-12-31 (GeneralizedTime, four-digit years).
        (Some(b), Some(a)) if b.year() >= 1950 && a.year() <= 9999 => Ok((b, a)),
        _ => Err(GenerateError::TimeOutOfRange),
    }
}

/// A random positive 16-byte serial number (top bit clear, second bit set so the DER integer
/// is always 16 bytes).
fn serial(rng: &SystemRandom) -> Result<SerialNumber, GenerateError> {
    let mut bytes = [0u8; 16];
    rng.fill(&mut bytes).map_err(internal)?;
    bytes[0] = (bytes[0] & 0x7F) | 0x40;
    Ok(SerialNumber::from(bytes.to_vec()))
}

/// Generate a key pair and self-signed certificate (SHA-256 with RSA / ECDSA with SHA-256 or
/// SHA-384; random positive 16-byte serial; CN=common_name; basicConstraints CA:false; keyUsage
/// digitalSignature) and package it. RNG from aws-lc-rs (system RNG). Pure otherwise: time
/// comes from `now`.
pub fn generate(req: &GenerateRequest<'_>) -> Result<Generated, GenerateError> {
    check(req)?;
    let (not_before, not_after) = validity(req.now, req.validity_years)?;
    let rng = SystemRandom::new();

    let mut params = CertificateParams::default();
    params.not_before = not_before;
    params.not_after = not_after;
    params.serial_number = Some(serial(&rng)?);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, req.common_name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];

    let key_pair = req.algorithm.key_pair().map_err(internal)?;
    let certificate_der = params
        .self_signed(&key_pair)
        .map_err(internal)?
        .der()
        .to_vec();
    let spki_der = cert::spki(&certificate_der, false).map_err(internal)?;
    let pkcs8 = key_pair.serialized_der();

    let keystore = match req.format {
        KeystoreFormat::Pkcs12 => {
            let key = PrivateKey::from_der(pkcs8).map_err(internal)?;
            let certificate = Certificate::from_der(&certificate_der).map_err(internal)?;
            // The local key id links the key bag to its certificate (Java writes "Time <ms>";
            // OpenSSL the SHA-1 of the certificate; any unique value does).
            let local_key_id =
                aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &spki_der);
            let chain = PrivateKeyChain::new(local_key_id.as_ref(), key, [certificate]);
            let mut store = KeyStore::new();
            store.add_entry(req.alias, KeyStoreEntry::PrivateKeyChain(chain));
            Zeroizing::new(store.writer(req.store_password).write().map_err(internal)?)
        }
        KeystoreFormat::Jks => {
            let mut salt = [0u8; 20];
            rng.fill(&mut salt).map_err(internal)?;
            jks::write(
                req.alias,
                req.now.saturating_mul(1000),
                pkcs8,
                &[&certificate_der],
                req.store_password,
                req.key_password,
                &salt,
            )
            .ok_or_else(|| internal("the alias or certificate is too long for JKS"))?
        }
    };
    Ok(Generated {
        keystore,
        certificate_der,
        spki_der,
    })
}

/// A self-signed certificate for an existing RSA key (PKCS#8 DER; SHA-256 with RSA), CN =
/// `common_name`, valid `years` from `now`: what Keycloak's `rsa-generated` realm key provider
/// keeps beside a realm key, so `certs` can carry `x5c`. Not a CA; keyUsage digitalSignature.
pub fn rsa_self_signed(
    pkcs8: &[u8],
    common_name: &str,
    now: i64,
    years: u32,
) -> Result<Vec<u8>, GenerateError> {
    if common_name.chars().any(char::is_control) {
        return Err(GenerateError::CommonNameControlCharacter);
    }
    let (not_before, not_after) = validity(now, years)?;
    let mut params = CertificateParams::default();
    params.not_before = not_before;
    params.not_after = not_after;
    params.serial_number = Some(serial(&SystemRandom::new())?);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let der = rustls_pki_types::PrivatePkcs8KeyDer::from(pkcs8);
    let key_pair =
        KeyPair::from_pkcs8_der_and_sign_algo(&der, &rcgen::PKCS_RSA_SHA256).map_err(internal)?;
    Ok(params
        .self_signed(&key_pair)
        .map_err(internal)?
        .der()
        .to_vec())
}

/// A strong default password for the form: 24 characters from [A-Za-z0-9] (≈ 143 bits), ASCII
/// so it suits both formats.
pub fn default_password() -> Zeroizing<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let rng = SystemRandom::new();
    let mut out = Zeroizing::new(String::with_capacity(24));
    let mut buf = Zeroizing::new([0u8; 64]);
    while out.len() < 24 {
        if rng.fill(&mut buf[..]).is_err() {
            // The system RNG does not fail on supported platforms; fall back to `rand`'s.
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut buf[..]);
        }
        // Rejection sampling: 248 = 4 × 62, so bytes below it map uniformly.
        for b in buf.iter().filter(|b| **b < 248) {
            if out.len() == 24 {
                break;
            }
            out.push(char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{import, ImportError, ImportRequest, KeyFormat};
    use super::*;
    use crate::authenticator::client_jwt::{self, Curve, KeyKind};

    const NOW: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

    fn req(algorithm: KeyAlgorithm, format: KeystoreFormat) -> GenerateRequest<'static> {
        GenerateRequest {
            algorithm,
            format,
            alias: "billing",
            store_password: "storepass1",
            key_password: "storepass1",
            validity_years: 2,
            common_name: "billing",
            now: NOW,
        }
    }

    fn key_format(f: KeystoreFormat) -> KeyFormat {
        match f {
            KeystoreFormat::Pkcs12 => KeyFormat::Pkcs12,
            KeystoreFormat::Jks => KeyFormat::Jks,
        }
    }

    fn refused(r: GenerateRequest<'_>) -> String {
        let e = generate(&r).expect_err("should be refused");
        assert!(!matches!(e, GenerateError::Internal(_)), "{e}");
        e.to_string()
    }

    #[test]
    fn names() {
        for a in KeyAlgorithm::ALL {
            assert_eq!(KeyAlgorithm::parse(a.id()), Some(a));
            assert_eq!(KeyAlgorithm::parse(&a.id().to_lowercase()), Some(a));
            assert_eq!(a.to_string(), a.label());
        }
        let ids: Vec<_> = KeyAlgorithm::ALL.iter().map(|a| a.id()).collect();
        assert_eq!(
            ids,
            ["RSA-2048", "RSA-3072", "RSA-4096", "EC-P256", "EC-P384"]
        );
        let labels: Vec<_> = KeyAlgorithm::ALL.iter().map(|a| a.label()).collect();
        assert_eq!(
            labels,
            ["RSA 2048", "RSA 3072", "RSA 4096", "EC P-256", "EC P-384"]
        );
        let algs: Vec<_> = KeyAlgorithm::ALL.iter().map(|a| a.jws_alg()).collect();
        assert_eq!(algs, ["RS256", "RS256", "RS256", "ES256", "ES384"]);
        assert_eq!(KeyAlgorithm::parse("RSA 2048"), None);
        for (s, f) in [
            ("PKCS12", KeystoreFormat::Pkcs12),
            ("pkcs12", KeystoreFormat::Pkcs12),
            ("P12", KeystoreFormat::Pkcs12),
            ("pfx", KeystoreFormat::Pkcs12),
            ("JKS", KeystoreFormat::Jks),
            ("jks", KeystoreFormat::Jks),
        ] {
            assert_eq!(KeystoreFormat::parse(s), Some(f), "{s}");
        }
        assert_eq!(KeystoreFormat::parse("JCEKS"), None);
        assert_eq!(KeystoreFormat::Pkcs12.id(), "PKCS12");
        assert_eq!(KeystoreFormat::Jks.id(), "JKS");
        assert_eq!(KeystoreFormat::Pkcs12.file_extension(), "p12");
        assert_eq!(KeystoreFormat::Jks.file_extension(), "jks");
        assert_eq!(KeystoreFormat::Pkcs12.mime(), "application/x-pkcs12");
        assert_eq!(KeystoreFormat::Jks.mime(), "application/octet-stream");
    }

    #[test]
    fn every_refusal_with_its_message() {
        use KeyAlgorithm::EcP256;
        use KeystoreFormat::{Jks, Pkcs12};
        let long = "a".repeat(65);
        let cases: Vec<(GenerateRequest<'_>, &str)> = vec![
            (
                GenerateRequest {
                    store_password: "",
                    ..req(EcP256, Jks)
                },
                "the store password must not be empty",
            ),
            (
                GenerateRequest {
                    key_password: "",
                    ..req(EcP256, Jks)
                },
                "the key password must not be empty",
            ),
            (
                GenerateRequest {
                    store_password: "pässwörd",
                    key_password: "pässwörd",
                    ..req(EcP256, Pkcs12)
                },
                "PKCS12 passwords must be ASCII: Java cannot open a PKCS12 file with other \
                 characters in its password (JKS can)",
            ),
            (
                GenerateRequest {
                    store_password: "tab\there",
                    key_password: "tab\there",
                    ..req(EcP256, Pkcs12)
                },
                "PKCS12 passwords must be ASCII: Java cannot open a PKCS12 file with other \
                 characters in its password (JKS can)",
            ),
            (
                GenerateRequest {
                    key_password: "other",
                    ..req(EcP256, Pkcs12)
                },
                "a PKCS12 keystore has one password: the key password must equal the store \
                 password (choose JKS for a separate key password)",
            ),
            (
                GenerateRequest {
                    alias: "",
                    ..req(EcP256, Jks)
                },
                "the key alias must not be empty",
            ),
            (
                GenerateRequest {
                    alias: &long,
                    ..req(EcP256, Jks)
                },
                "the key alias must be at most 64 characters",
            ),
            (
                GenerateRequest {
                    alias: "a\nb",
                    ..req(EcP256, Jks)
                },
                "the key alias must not contain control characters",
            ),
            (
                GenerateRequest {
                    alias: "key😀",
                    ..req(EcP256, Pkcs12)
                },
                "the key alias of a PKCS12 keystore must not contain characters outside the \
                 Basic Multilingual Plane (such as emoji)",
            ),
            (
                GenerateRequest {
                    validity_years: 0,
                    ..req(EcP256, Jks)
                },
                "the certificate validity must be 1 to 10 years",
            ),
            (
                GenerateRequest {
                    validity_years: 11,
                    ..req(EcP256, Pkcs12)
                },
                "the certificate validity must be 1 to 10 years",
            ),
            (
                GenerateRequest {
                    common_name: "",
                    ..req(EcP256, Jks)
                },
                "the certificate common name must not be empty",
            ),
            (
                GenerateRequest {
                    common_name: &long,
                    ..req(EcP256, Jks)
                },
                "the certificate common name must be at most 64 characters",
            ),
            (
                GenerateRequest {
                    common_name: "a\u{7}",
                    ..req(EcP256, Jks)
                },
                "the certificate common name must not contain control characters",
            ),
            (
                GenerateRequest {
                    now: i64::MAX,
                    ..req(EcP256, Jks)
                },
                "the current time is out of range for a certificate",
            ),
            (
                GenerateRequest {
                    now: i64::MIN,
                    ..req(EcP256, Jks)
                },
                "the current time is out of range for a certificate",
            ),
            (
                GenerateRequest {
                    // 9996-12: ten more years pass 9999-12-31.
                    now: 253_402_300_000 - 86_400 * 365 * 3,
                    validity_years: 10,
                    ..req(EcP256, Jks)
                },
                "the current time is out of range for a certificate",
            ),
        ];
        for (r, want) in cases {
            assert_eq!(refused(r), want, "{r:?}");
        }
        // Limits are inclusive and count characters, not bytes.
        let ok = "é".repeat(64);
        for (alias, cn) in [(ok.as_str(), "x"), ("x", ok.as_str()), ("key😀", "x")] {
            let r = GenerateRequest {
                alias,
                common_name: cn,
                validity_years: 10,
                ..req(EcP256, Jks)
            };
            generate(&r).unwrap();
        }
        let distinct: std::collections::BTreeSet<String> = [
            GenerateError::EmptyStorePassword,
            GenerateError::EmptyKeyPassword,
            GenerateError::Pkcs12PasswordNotAscii,
            GenerateError::Pkcs12KeyPasswordDiffers,
            GenerateError::EmptyAlias,
            GenerateError::AliasTooLong,
            GenerateError::AliasControlCharacter,
            GenerateError::AliasNotBmp,
            GenerateError::Validity,
            GenerateError::EmptyCommonName,
            GenerateError::CommonNameTooLong,
            GenerateError::CommonNameControlCharacter,
            GenerateError::TimeOutOfRange,
            GenerateError::Internal("x".into()),
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(distinct.len(), 14);
    }

    #[test]
    fn debug_redacts() {
        let r = GenerateRequest {
            store_password: "hunter2-store",
            key_password: "hunter2-key",
            ..req(KeyAlgorithm::EcP256, KeystoreFormat::Jks)
        };
        let s = format!("{r:?}");
        assert!(!s.contains("hunter2"), "{s}");
        assert!(s.contains("<redacted>") && s.contains("billing"));
        let g = generate(&r).unwrap();
        let s = format!("{g:?}");
        assert!(
            s.starts_with("Generated { keystore: <") && s.contains("bytes>"),
            "{s}"
        );
        assert!(s.len() < 120, "{s}");
    }

    fn import_one(
        g: &Generated,
        format: KeystoreFormat,
        password: &str,
        alias: &str,
    ) -> Result<super::super::ImportedKey, ImportError> {
        let mut keys = import(&ImportRequest {
            format: Some(key_format(format)),
            bytes: &g.keystore,
            store_password: Some(password),
            alias: Some(alias),
        })?;
        assert_eq!(keys.len(), 1);
        Ok(keys.remove(0))
    }

    #[test]
    fn round_trip_through_import() {
        for format in KeystoreFormat::ALL {
            for algorithm in [
                KeyAlgorithm::Rsa2048,
                KeyAlgorithm::EcP256,
                KeyAlgorithm::EcP384,
            ] {
                let g = generate(&req(algorithm, format)).unwrap();
                let k = import_one(&g, format, "storepass1", "billing").unwrap();
                assert_eq!(k.spki_der, g.spki_der);
                assert_eq!(k.certificate_der.as_ref(), Some(&g.certificate_der));
                assert_eq!(k.alias.as_deref(), Some("billing"));
                let kind = client_jwt::key_kind(&g.spki_der).unwrap();
                let want = match algorithm {
                    KeyAlgorithm::EcP256 => KeyKind::Ec(Curve::P256),
                    KeyAlgorithm::EcP384 => KeyKind::Ec(Curve::P384),
                    _ => KeyKind::Rsa { bits: 2048 },
                };
                assert_eq!(kind, want);
                assert!(client_jwt::algorithms_for_key(kind).contains(&algorithm.jws_alg()));
                assert_eq!(
                    import_one(&g, format, "storepass2", "billing").unwrap_err(),
                    ImportError::WrongPassword
                );
            }
        }
        // JKS: a separate, non-ASCII key password and a non-ASCII store password.
        let r = GenerateRequest {
            store_password: "pässwörd€",
            key_password: "ключ-🔑",
            alias: "Billing-Ключ",
            ..req(KeyAlgorithm::EcP384, KeystoreFormat::Jks)
        };
        let g = generate(&r).unwrap();
        let k = import_one(&g, KeystoreFormat::Jks, "pässwörd€", "billing-ключ").unwrap();
        assert_eq!(k.alias.as_deref(), Some("Billing-Ключ"));
        assert_eq!(k.spki_der, g.spki_der);
        assert_eq!(
            import_one(&g, KeystoreFormat::Jks, "passwörd€", "Billing-Ключ").unwrap_err(),
            ImportError::WrongPassword
        );
    }

    #[test]
    fn certificate_contents() {
        use x509_parser::prelude::*;
        let g = generate(&GenerateRequest {
            validity_years: 3,
            ..req(KeyAlgorithm::EcP256, KeystoreFormat::Pkcs12)
        })
        .unwrap();
        let (rest, c) = parse_x509_certificate(&g.certificate_der).unwrap();
        assert!(rest.is_empty());
        assert_eq!(c.subject().to_string(), "CN=billing");
        assert_eq!(c.issuer(), c.subject());
        assert_eq!(c.validity().not_before.timestamp(), NOW - 60);
        // 2026-01-01 + 3 years = 2029-01-01.
        assert_eq!(c.validity().not_after.timestamp(), 1_861_920_000);
        assert_eq!(c.raw_serial().len(), 16);
        assert_eq!(c.raw_serial()[0] & 0xC0, 0x40);
        assert_eq!(
            c.signature_algorithm.algorithm.to_id_string(),
            "1.2.840.10045.4.3.2"
        );
        let bc = c.basic_constraints().unwrap().unwrap().value;
        assert!(!bc.ca);
        let ku = c.key_usage().unwrap().unwrap().value;
        assert!(ku.digital_signature() && !ku.key_cert_sign());
        assert_eq!(c.public_key().raw, &g.spki_der[..]);
        // The certificate's signature verifies with its own key.
        aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1,
            &c.public_key().subject_public_key.data,
        )
        .verify(c.tbs_certificate.as_ref(), &c.signature_value.data)
        .unwrap();
        let g = generate(&req(KeyAlgorithm::Rsa2048, KeystoreFormat::Jks)).unwrap();
        let (_, c) = parse_x509_certificate(&g.certificate_der).unwrap();
        assert_eq!(
            c.signature_algorithm.algorithm.to_id_string(),
            "1.2.840.113549.1.1.11"
        );
        let g = generate(&req(KeyAlgorithm::EcP384, KeystoreFormat::Jks)).unwrap();
        let (_, c) = parse_x509_certificate(&g.certificate_der).unwrap();
        assert_eq!(
            c.signature_algorithm.algorithm.to_id_string(),
            "1.2.840.10045.4.3.3"
        );
    }

    #[test]
    fn leap_day_validity() {
        // 2028-02-29T12:00:00Z + 1 year = 2029-02-28T12:00:00Z.
        let (b, a) = validity(1_835_438_400, 1).unwrap();
        assert_eq!(b.unix_timestamp(), 1_835_438_340);
        assert_eq!(a.unix_timestamp(), 1_866_974_400);
    }

    #[test]
    fn default_passwords() {
        let a = default_password();
        let b = default_password();
        assert_eq!(a.len(), 24);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(*a, *b);
        // Fits both formats.
        let r = GenerateRequest {
            store_password: &a,
            key_password: &a,
            ..req(KeyAlgorithm::EcP256, KeystoreFormat::Pkcs12)
        };
        generate(&r).unwrap();
    }
}
