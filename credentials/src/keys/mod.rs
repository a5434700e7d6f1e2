//! Client public keys: recognising and parsing uploads (PEM, JWK, JWKS, JKS, PKCS12), keeping only
//! public material, and the facts and exports the console shows.
//!
//! Everything here is pure (no IO, no clock) and bounded: every parser checks lengths against
//! the remaining input before allocating, and no input panics (see `fuzz/`).

pub(crate) mod cert;
mod der;
pub mod generate;
mod jks;
mod jwk;
mod pem;
mod pkcs12;

use std::fmt;

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self as sig, ParsedPublicKey, VerificationAlgorithm};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{Map, Value};
use x509_parser::oid_registry::{
    Oid, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_PKCS1_RSAENCRYPTION, OID_SIG_ED25519,
};
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::authenticator::client_jwt::{
    self, components, kind_fits, Components, Curve, KeyKind, MAX_RSA_BITS, MIN_RSA_BITS,
};
use crate::authenticator::CLIENT_JWT_ALGS;

pub use jwk::{parse_fetched_jwks, FetchedJwks};

/// The largest upload accepted, in bytes (1 MiB).
pub const MAX_UPLOAD_BYTES: usize = 1 << 20;

/// The formats a client key can be uploaded in (Keycloak's "Import key" / "Keys" tab choices).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum KeyFormat {
    CertificatePem,
    PublicKeyPem,
    Jwk,
    Jwks,
    Jks,
    Pkcs12,
}

impl KeyFormat {
    pub const ALL: [KeyFormat; 6] = [
        KeyFormat::CertificatePem,
        KeyFormat::PublicKeyPem,
        KeyFormat::Jwk,
        KeyFormat::Jwks,
        KeyFormat::Jks,
        KeyFormat::Pkcs12,
    ];

    /// Stable id used in forms and the DB `source` column: "cert", "pem", "jwk", "jwks", "jks",
    /// "pkcs12".
    pub fn id(self) -> &'static str {
        match self {
            KeyFormat::CertificatePem => "cert",
            KeyFormat::PublicKeyPem => "pem",
            KeyFormat::Jwk => "jwk",
            KeyFormat::Jwks => "jwks",
            KeyFormat::Jks => "jks",
            KeyFormat::Pkcs12 => "pkcs12",
        }
    }

    /// Keycloak's keystoreFormat names: "Certificate PEM", "Public Key PEM", "JSON Web Key",
    /// "JSON Web Key Set", "JKS", "PKCS12".
    pub fn keycloak_name(self) -> &'static str {
        match self {
            KeyFormat::CertificatePem => "Certificate PEM",
            KeyFormat::PublicKeyPem => "Public Key PEM",
            KeyFormat::Jwk => "JSON Web Key",
            KeyFormat::Jwks => "JSON Web Key Set",
            KeyFormat::Jks => "JKS",
            KeyFormat::Pkcs12 => "PKCS12",
        }
    }

    /// Human label for the UI (Keycloak's name).
    pub fn label(self) -> &'static str {
        self.keycloak_name()
    }

    /// Accepts id() or keycloak_name() (case-insensitive, surrounding spaces ignored).
    pub fn parse(s: &str) -> Option<KeyFormat> {
        let s = s.trim();
        KeyFormat::ALL
            .into_iter()
            .find(|f| f.id().eq_ignore_ascii_case(s) || f.keycloak_name().eq_ignore_ascii_case(s))
    }

    /// Whether the format needs a store password.
    pub fn is_keystore(self) -> bool {
        matches!(self, KeyFormat::Jks | KeyFormat::Pkcs12)
    }

    fn is_pem(self) -> bool {
        matches!(self, KeyFormat::CertificatePem | KeyFormat::PublicKeyPem)
    }
}

impl fmt::Display for KeyFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What the operator uploaded.
#[derive(Clone, Copy)]
pub struct ImportRequest<'a> {
    /// None: recognise the format from the bytes (PEM label, JSON with "keys" vs a single JWK,
    /// JKS magic 0xFEEDFEED, otherwise DER PKCS12 (SEQUENCE with version 3)).
    pub format: Option<KeyFormat>,
    pub bytes: &'a [u8],
    /// Keystores only. None is tried as the empty password (a keystore that has another one
    /// answers [`ImportError::PasswordRequired`]).
    pub store_password: Option<&'a str>,
    /// Keystores: the entry to take (exact, else case-insensitive: Java lower-cases aliases).
    /// None: every entry that holds a certificate (a private-key entry's leaf certificate, or a
    /// trusted-certificate entry).
    pub alias: Option<&'a str>,
}

impl fmt::Debug for ImportRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportRequest")
            .field("format", &self.format)
            .field("bytes", &self.bytes.len())
            .field("store_password", &self.store_password.map(|_| "<redacted>"))
            .field("alias", &self.alias)
            .finish()
    }
}

/// A public key kept from an upload: never private material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedKey {
    /// The kid carried by the upload (JWK `kid`); None when the upload carries none (Keyward then
    /// uses Keycloak's kid).
    pub kid: Option<String>,
    /// The JWK `alg`, if the upload fixes one (checked to fit the key type).
    pub alg: Option<String>,
    /// SubjectPublicKeyInfo DER (PKCS#1 RSA public keys and JWKs converted to canonical SPKI; a
    /// certificate's SPKI as the certificate carries it).
    pub spki_der: Vec<u8>,
    /// The X.509 certificate DER, when the upload had one (certificate PEM, keystore entries,
    /// JWK `x5c[0]` after checking its key equals the JWK's key).
    pub certificate_der: Option<Vec<u8>>,
    /// The format actually parsed.
    pub format: KeyFormat,
    /// The keystore alias the key came from.
    pub alias: Option<String>,
}

/// Why an upload is refused. The messages are shown to operators verbatim.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is larger than 1 MiB")]
    TooLarge,
    #[error("the file is empty")]
    Empty,
    #[error("not a PEM certificate or public key")]
    NotPem,
    #[error("this is a private key: upload the public key")]
    PrivateKey,
    #[error("wrong keystore password")]
    WrongPassword,
    #[error("this keystore needs its store password")]
    PasswordRequired,
    #[error("no entry {} in the keystore; {}", quoted(alias), holds(available))]
    AliasNotFound {
        alias: String,
        available: Vec<String>,
    },
    #[error("symmetric keys (kty \"oct\") cannot verify client assertions: upload a public key")]
    Symmetric,
    #[error("RSA key of {0} bits: at least 2048 are required")]
    RsaTooSmall(usize),
    #[error("RSA key of {0} bits: at most 8192 are supported")]
    RsaTooLarge(usize),
    /// Unknown kty / crv / key algorithm / alg / keystore scheme, e.g. `unsupported key type "foo"`.
    #[error("{0}")]
    Unsupported(String),
    /// Bad base64/DER/JSON, with what was wrong.
    #[error("{0}")]
    Malformed(String),
    #[error("the certificate does not parse: {0}")]
    BadCertificate(String),
    #[error("not a recognised key format (PEM, JWK, JWKS, JKS or PKCS12)")]
    UnknownFormat,
    #[error("the file holds no public key or certificate")]
    NoKeys,
    /// `key` reads like "an RSA key", "a P-256 key", "an Ed25519 key".
    #[error("alg {alg} does not fit {key}")]
    AlgMismatch { alg: String, key: String },
    #[error("this key is not for signatures (use {}): upload a signing key", quoted(.0))]
    NotForSignatures(String),
    #[error("the certificate in x5c does not hold the JWK's key")]
    CertificateMismatch,
    #[error("the file is {found}, not {chosen}")]
    WrongFormat { chosen: KeyFormat, found: KeyFormat },
    #[error(
        "JCEKS keystores are not supported: convert it to PKCS12 \
         (keytool -importkeystore -deststoretype PKCS12)"
    )]
    Jceks,
    /// A key of a JWKS upload (index counts from 1).
    #[error("{}: {error}", which_key(*index, kid.as_deref()))]
    InJwks {
        index: usize,
        kid: Option<String>,
        error: Box<ImportError>,
    },
    /// An entry of a keystore.
    #[error("entry {}: {error}", quoted(alias))]
    InEntry {
        alias: String,
        error: Box<ImportError>,
    },
}

/// A string as shown in messages: quoted, escaped and cut at 64 characters.
fn quoted(s: &str) -> String {
    let mut cut: String = s.chars().take(64).collect();
    if cut.len() < s.len() {
        cut.push('…');
    }
    format!("{cut:?}")
}

fn holds(available: &[String]) -> String {
    if available.is_empty() {
        "it holds no certificate".into()
    } else {
        format!("it holds: {}", available.join(", "))
    }
}

/// "key 2 (kid \"x\")" (index counts from 1).
fn which_key(index: usize, kid: Option<&str>) -> String {
    match kid {
        Some(kid) => format!("key {index} (kid {})", quoted(kid)),
        None => format!("key {index}"),
    }
}

/// Parse an upload into the public keys to keep. Pure: no clock, no IO. Size is checked first.
/// For a JWKS upload every key must be acceptable (the first bad one refuses the upload, naming
/// its index/kid); likewise every keystore entry taken.
pub fn import(req: &ImportRequest<'_>) -> Result<Vec<ImportedKey>, ImportError> {
    if req.bytes.len() > MAX_UPLOAD_BYTES {
        return Err(ImportError::TooLarge);
    }
    if req.bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ImportError::Empty);
    }
    let found = detect(req.bytes);
    let format = match (req.format, found) {
        (None, None) => return Err(ImportError::UnknownFormat),
        (None, Some(f)) => f,
        (Some(chosen), Some(found)) if chosen != found && !(chosen.is_pem() && found.is_pem()) => {
            return Err(ImportError::WrongFormat { chosen, found })
        }
        (Some(chosen), _) => chosen,
    };
    let keys = match format {
        KeyFormat::CertificatePem | KeyFormat::PublicKeyPem => vec![pem::import(req.bytes)?],
        KeyFormat::Jwk => vec![jwk::import_jwk(req.bytes)?],
        KeyFormat::Jwks => jwk::import_jwks(req.bytes)?,
        KeyFormat::Jks => {
            let entries = with_password(req.store_password, |p| jks::read(req.bytes, p))?;
            select(entries, req.alias, KeyFormat::Jks)?
        }
        KeyFormat::Pkcs12 => {
            let entries = with_password(req.store_password, |p| pkcs12::read(req.bytes, p))?;
            select(entries, req.alias, KeyFormat::Pkcs12)?
        }
    };
    if keys.is_empty() {
        return Err(ImportError::NoKeys);
    }
    Ok(keys)
}

/// Opens a keystore with its password; without one, tries the empty password.
fn with_password<T>(
    password: Option<&str>,
    open: impl FnOnce(&str) -> Result<T, ImportError>,
) -> Result<T, ImportError> {
    match password {
        Some(p) => open(p),
        None => open("").map_err(|e| match e {
            ImportError::WrongPassword => ImportError::PasswordRequired,
            e => e,
        }),
    }
}

/// A keystore entry: its alias and the certificate it holds, if any (a private-key entry's
/// leaf certificate or a trusted certificate).
pub(crate) struct StoreEntry {
    pub(crate) alias: String,
    pub(crate) certificate: Option<Vec<u8>>,
}

/// The entries to take from a keystore.
fn select(
    entries: Vec<StoreEntry>,
    alias: Option<&str>,
    format: KeyFormat,
) -> Result<Vec<ImportedKey>, ImportError> {
    // In alias order: JKS keeps a hash table's order, which means nothing to an operator.
    let mut with_certs: Vec<(String, Vec<u8>)> = entries
        .into_iter()
        .filter_map(|e| e.certificate.map(|c| (e.alias, c)))
        .collect();
    with_certs.sort_by(|a, b| a.0.cmp(&b.0));
    let chosen: Vec<(String, Vec<u8>)> = match alias {
        None => with_certs,
        Some(wanted) => {
            let found = with_certs
                .iter()
                .position(|(a, _)| a == wanted)
                .or_else(|| {
                    with_certs
                        .iter()
                        .position(|(a, _)| a.to_lowercase() == wanted.to_lowercase())
                });
            match found {
                Some(i) => vec![with_certs[i].clone()],
                None => {
                    return Err(ImportError::AliasNotFound {
                        alias: wanted.to_owned(),
                        available: with_certs.into_iter().map(|(a, _)| a).collect(),
                    })
                }
            }
        }
    };
    if chosen.is_empty() {
        return Err(ImportError::NoKeys);
    }
    chosen
        .into_iter()
        .map(|(alias, certificate)| {
            let spki = cert::spki(&certificate, false).and_then(|spki| {
                accept_spki(&spki)?;
                Ok(spki)
            });
            match spki {
                Ok(spki_der) => Ok(ImportedKey {
                    kid: None,
                    alg: None,
                    spki_der,
                    certificate_der: Some(certificate),
                    format,
                    alias: Some(alias),
                }),
                Err(error) => Err(ImportError::InEntry {
                    alias,
                    error: Box::new(error),
                }),
            }
        })
        .collect()
}

/// Recognise the format of a file (None when nothing fits).
pub fn detect(bytes: &[u8]) -> Option<KeyFormat> {
    if bytes.starts_with(&jks::MAGIC.to_be_bytes())
        || bytes.starts_with(&jks::JCEKS_MAGIC.to_be_bytes())
    {
        return Some(KeyFormat::Jks);
    }
    if pkcs12::looks_like(bytes) {
        return Some(KeyFormat::Pkcs12);
    }
    let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let text = text.trim_ascii();
    if text.starts_with(b"{") {
        // JSON (or meant to be): a JWKS when it has "keys", else a JWK, whose parser says
        // what is wrong with it.
        return match serde_json::from_slice::<Value>(text) {
            Ok(Value::Object(o)) if o.contains_key("keys") => Some(KeyFormat::Jwks),
            _ => Some(KeyFormat::Jwk),
        };
    }
    pem::detect(text)
}

/// Names of key algorithms and curves Keyward refuses, for the messages.
fn algorithm_name(oid: &Oid<'_>) -> String {
    let id = oid.to_id_string();
    let name = match id.as_str() {
        "1.2.840.10040.4.1" => "DSA",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.10046.2.1" | "1.2.840.113549.1.3.1" => "DH",
        "1.3.101.110" => "X25519",
        "1.3.101.111" => "X448",
        "1.3.101.113" => "Ed448",
        "1.2.643.7.1.1.1.1" | "1.2.643.7.1.1.1.2" => "GOST R 34.10-2012",
        "1.2.156.10197.1.301" => "SM2",
        _ => return id,
    };
    name.into()
}

fn curve_name(oid: &Oid<'_>) -> String {
    let id = oid.to_id_string();
    let name = match id.as_str() {
        "1.3.132.0.10" => "secp256k1",
        "1.2.840.10045.3.1.1" => "P-192",
        "1.3.132.0.33" => "P-224",
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1",
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1",
        "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1",
        "1.2.156.10197.1.301" => "SM2",
        _ => return id,
    };
    name.into()
}

/// The parameters of an SPKI, with operator-facing errors.
fn analyse(spki_der: &[u8]) -> Result<Components, ImportError> {
    if let Ok((_, spki)) = SubjectPublicKeyInfo::from_der(spki_der) {
        let oid = &spki.algorithm.algorithm;
        if *oid == OID_KEY_TYPE_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| Oid::try_from(p.clone()).ok());
            if let Some(curve) = curve {
                let known = ["1.2.840.10045.3.1.7", "1.3.132.0.34", "1.3.132.0.35"];
                if !known.contains(&curve.to_id_string().as_str()) {
                    return Err(ImportError::Unsupported(format!(
                        "unsupported curve {}",
                        quoted(&curve_name(&curve))
                    )));
                }
            }
        } else if *oid != OID_PKCS1_RSAENCRYPTION && *oid != OID_SIG_ED25519 {
            return Err(ImportError::Unsupported(format!(
                "unsupported key type {}",
                quoted(&algorithm_name(oid))
            )));
        }
    }
    components(spki_der).map_err(|e| ImportError::Malformed(format!("malformed public key: {e}")))
}

/// Checks that an SPKI holds a key Keyward accepts (RSA 2048–8192 bits, EC P-256/P-384/P-521,
/// Ed25519) and that the key itself is valid (an EC point on its curve, a usable RSA modulus).
fn accept_spki(spki_der: &[u8]) -> Result<KeyKind, ImportError> {
    let kind = analyse(spki_der)?.kind;
    if let KeyKind::Rsa { bits } = kind {
        if bits < MIN_RSA_BITS {
            return Err(ImportError::RsaTooSmall(bits));
        }
        if bits > MAX_RSA_BITS {
            return Err(ImportError::RsaTooLarge(bits));
        }
    }
    let (algorithm, what): (&'static dyn VerificationAlgorithm, &str) = match kind {
        KeyKind::Rsa { .. } => (&sig::RSA_PKCS1_2048_8192_SHA256, "invalid RSA public key"),
        KeyKind::Ec(Curve::P256) => (
            &sig::ECDSA_P256_SHA256_FIXED,
            "the EC point is not on P-256",
        ),
        KeyKind::Ec(Curve::P384) => (
            &sig::ECDSA_P384_SHA384_FIXED,
            "the EC point is not on P-384",
        ),
        KeyKind::Ec(Curve::P521) => (
            &sig::ECDSA_P521_SHA512_FIXED,
            "the EC point is not on P-521",
        ),
        KeyKind::Ed25519 => (&sig::ED25519, "invalid Ed25519 public key"),
    };
    ParsedPublicKey::new(algorithm, spki_der)
        .map_err(|_| ImportError::Malformed(what.to_owned()))?;
    Ok(kind)
}

/// "an RSA key", "a P-256 key", "an Ed25519 key".
fn key_noun(kind: KeyKind) -> String {
    match kind {
        KeyKind::Rsa { .. } => "an RSA key".into(),
        KeyKind::Ec(curve) => format!("a {} key", curve.name()),
        KeyKind::Ed25519 => "an Ed25519 key".into(),
    }
}

/// Checks a JWK `alg` against the key it comes with.
fn check_alg(alg: &str, kind: KeyKind) -> Result<(), ImportError> {
    let known = CLIENT_JWT_ALGS.contains(&alg) || matches!(alg, "HS256" | "HS384" | "HS512");
    if !known {
        return Err(ImportError::Unsupported(format!(
            "unsupported alg {} (a signing key needs one of {})",
            quoted(alg),
            CLIENT_JWT_ALGS.join(", ")
        )));
    }
    if !kind_fits(kind, alg) {
        return Err(ImportError::AlgMismatch {
            alg: alg.to_owned(),
            key: key_noun(kind),
        });
    }
    Ok(())
}

/// What the console shows about a key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyFacts {
    /// "RSA" | "EC" | "OKP"
    pub kty: String,
    /// "2048 bits" | "P-256" | "Ed25519"
    pub size: String,
    /// base64url(SHA-256(SPKI DER)), == [`client_jwt::keycloak_kid`].
    pub keycloak_kid: String,
    /// RFC 7638 SHA-256 base64url, == [`client_jwt::jwk_thumbprint`].
    pub jwk_thumbprint: String,
    pub certificate: Option<CertificateFacts>,
}

/// What the console shows about a certificate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CertificateFacts {
    /// RFC 4514 string (last RDN first, as Java's `X500Principal.getName()`), e.g. "CN=billing".
    pub subject: String,
    pub issuer: String,
    /// Lowercase hex, no leading zeros (as Java's `BigInteger.toString(16)`).
    pub serial: String,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    /// base64url(SHA-256(certificate DER)).
    pub x5t_s256: String,
}

/// The facts of a key (and its certificate). Describes any RSA/EC/Ed25519 key, also one too
/// small to be accepted now.
pub fn facts(spki_der: &[u8], certificate_der: Option<&[u8]>) -> Result<KeyFacts, ImportError> {
    let c = analyse(spki_der)?;
    let (kty, size) = match c.kind {
        KeyKind::Rsa { bits } => ("RSA", format!("{bits} bits")),
        KeyKind::Ec(curve) => ("EC", curve.name().to_owned()),
        KeyKind::Ed25519 => ("OKP", "Ed25519".to_owned()),
    };
    let jwk_thumbprint = client_jwt::jwk_thumbprint(spki_der)
        .map_err(|e| ImportError::Malformed(format!("malformed public key: {e}")))?;
    Ok(KeyFacts {
        kty: kty.into(),
        size,
        keycloak_kid: client_jwt::keycloak_kid(spki_der),
        jwk_thumbprint,
        certificate: certificate_der.map(cert::facts).transpose()?,
    })
}

fn encode_pem(tag: &str, der: &[u8]) -> String {
    ::pem::encode_config(
        &::pem::Pem::new(tag, der),
        ::pem::EncodeConfig::new().set_line_ending(::pem::LineEnding::LF),
    )
}

/// "-----BEGIN PUBLIC KEY-----" (LF line endings, 64 columns).
pub fn public_key_pem(spki_der: &[u8]) -> String {
    encode_pem("PUBLIC KEY", spki_der)
}

/// "-----BEGIN CERTIFICATE-----" (LF line endings, 64 columns).
pub fn certificate_pem(certificate_der: &[u8]) -> String {
    encode_pem("CERTIFICATE", certificate_der)
}

pub(crate) fn x5t_s256(certificate_der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, certificate_der))
}

/// The public JWK: kty + params (n,e / crv,x,y / crv,x), kid, alg if set, "use":"sig", x5c (std
/// base64 DER), x5t (SHA-1) and x5t#S256 when there is a certificate. Members in that order.
pub fn public_jwk(
    spki_der: &[u8],
    kid: &str,
    alg: Option<&str>,
    certificate_der: Option<&[u8]>,
) -> Result<Value, ImportError> {
    let c = analyse(spki_der)?;
    let b = |bytes: &[u8]| Value::String(URL_SAFE_NO_PAD.encode(bytes));
    let mut m = Map::new();
    match c.kind {
        KeyKind::Rsa { .. } => {
            m.insert("kty".into(), "RSA".into());
            m.insert("n".into(), b(&c.a));
            m.insert("e".into(), b(&c.b));
        }
        KeyKind::Ec(curve) => {
            m.insert("kty".into(), "EC".into());
            m.insert("crv".into(), curve.name().into());
            m.insert("x".into(), b(&c.a));
            m.insert("y".into(), b(&c.b));
        }
        KeyKind::Ed25519 => {
            m.insert("kty".into(), "OKP".into());
            m.insert("crv".into(), "Ed25519".into());
            m.insert("x".into(), b(&c.a));
        }
    }
    m.insert("kid".into(), kid.into());
    if let Some(alg) = alg {
        m.insert("alg".into(), alg.into());
    }
    m.insert("use".into(), "sig".into());
    if let Some(cert) = certificate_der {
        m.insert(
            "x5c".into(),
            Value::Array(vec![STANDARD.encode(cert).into()]),
        );
        m.insert(
            "x5t".into(),
            URL_SAFE_NO_PAD
                .encode(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, cert))
                .into(),
        );
        m.insert("x5t#S256".into(), x5t_s256(cert).into());
    }
    Ok(Value::Object(m))
}

#[cfg(test)]
pub(crate) mod testdata {
    //! The fixtures of `tests/fixtures/keys/` (see its `make.sh`).
    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!("../../tests/fixtures/keys/", $name)).as_slice()
        };
    }
    pub(crate) use fixture;

    use super::*;

    pub(crate) fn req(bytes: &[u8]) -> ImportRequest<'_> {
        ImportRequest {
            format: None,
            bytes,
            store_password: None,
            alias: None,
        }
    }

    pub(crate) fn one(bytes: &[u8]) -> ImportedKey {
        let mut keys = import(&req(bytes)).unwrap_or_else(|e| panic!("import failed: {e}"));
        assert_eq!(keys.len(), 1);
        keys.remove(0)
    }

    pub(crate) fn err(bytes: &[u8]) -> ImportError {
        import(&req(bytes)).expect_err("import should fail")
    }

    /// The DER of the first PEM block.
    pub(crate) fn pem_der(pem: &[u8]) -> Vec<u8> {
        ::pem::parse(pem).unwrap().into_contents()
    }
}

#[cfg(test)]
mod tests {
    use super::testdata::*;
    use super::*;

    #[test]
    fn format_names() {
        for f in KeyFormat::ALL {
            assert_eq!(KeyFormat::parse(f.id()), Some(f));
            assert_eq!(KeyFormat::parse(f.keycloak_name()), Some(f));
            assert_eq!(KeyFormat::parse(&f.keycloak_name().to_uppercase()), Some(f));
            assert_eq!(f.label(), f.keycloak_name());
        }
        assert_eq!(
            KeyFormat::parse(" json web key set "),
            Some(KeyFormat::Jwks)
        );
        assert_eq!(KeyFormat::parse("PKCS#12"), None);
        let ids: Vec<_> = KeyFormat::ALL.iter().map(|f| f.id()).collect();
        assert_eq!(ids, ["cert", "pem", "jwk", "jwks", "jks", "pkcs12"]);
        assert!(KeyFormat::Jks.is_keystore() && KeyFormat::Pkcs12.is_keystore());
        assert!(!KeyFormat::Jwk.is_keystore() && !KeyFormat::CertificatePem.is_keystore());
    }

    #[test]
    fn detect_every_fixture() {
        use KeyFormat::*;
        let cases: &[(&[u8], Option<KeyFormat>)] = &[
            (fixture!("rsa2048-cert.pem"), Some(CertificatePem)),
            (fixture!("p256-cert.pem"), Some(CertificatePem)),
            (fixture!("ed25519-cert.pem"), Some(CertificatePem)),
            (fixture!("rsa2048-pub.pem"), Some(PublicKeyPem)),
            (fixture!("rsa2048-pkcs1.pem"), Some(PublicKeyPem)),
            (fixture!("p521-pub.pem"), Some(PublicKeyPem)),
            (fixture!("p256-private-pkcs8.pem"), Some(PublicKeyPem)),
            (fixture!("p256.jwk"), Some(Jwk)),
            (fixture!("rsa2048.jwk"), Some(Jwk)),
            (fixture!("all.jwks"), Some(Jwks)),
            (fixture!("mixed.jwks"), Some(Jwks)),
            (fixture!("rsa2048.jks"), Some(Jks)),
            (fixture!("ec-nonascii.jks"), Some(Jks)),
            (fixture!("keytool.p12"), Some(Pkcs12)),
            (fixture!("openssl-modern.p12"), Some(Pkcs12)),
            (fixture!("openssl-legacy.p12"), Some(Pkcs12)),
            (fixture!("openssl-certs-only.p12"), Some(Pkcs12)),
            (b"", None),
            (b"hello world", None),
            (b"{\"a\":1}", Some(Jwk)),
            (b"{not json", Some(Jwk)),
            (b"[1]", None),
            (&[0x30, 0x03, 0x02, 0x01, 0x02], None),
        ];
        for (bytes, want) in cases {
            assert_eq!(detect(bytes), *want, "{}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn size_and_garbage_are_refused() {
        let big = vec![b' '; MAX_UPLOAD_BYTES + 1];
        assert_eq!(err(&big), ImportError::TooLarge);
        assert_eq!(err(&big).to_string(), "the file is larger than 1 MiB");
        // Size is checked before anything else, whatever the format.
        let mut big_pem = fixture!("p256-pub.pem").to_vec();
        big_pem.resize(MAX_UPLOAD_BYTES + 1, b'\n');
        assert_eq!(err(&big_pem), ImportError::TooLarge);
        assert_eq!(err(b""), ImportError::Empty);
        assert_eq!(err(b" \n"), ImportError::Empty);
        assert_eq!(err(b"garbage\x00\x01\x02"), ImportError::UnknownFormat);
        assert_eq!(
            err(b"garbage").to_string(),
            "not a recognised key format (PEM, JWK, JWKS, JKS or PKCS12)"
        );
    }

    #[test]
    fn chosen_format_must_fit() {
        let r = ImportRequest {
            format: Some(KeyFormat::Pkcs12),
            ..req(fixture!("rsa2048.jks"))
        };
        let e = import(&r).unwrap_err();
        assert_eq!(e.to_string(), "the file is JKS, not PKCS12");
        // The two PEM choices take either kind of PEM.
        let r = ImportRequest {
            format: Some(KeyFormat::CertificatePem),
            ..req(fixture!("p256-pub.pem"))
        };
        assert_eq!(import(&r).unwrap()[0].format, KeyFormat::PublicKeyPem);
        // A chosen format is parsed as such even when detection fails.
        let r = ImportRequest {
            format: Some(KeyFormat::Jwk),
            ..req(b"[1, 2]")
        };
        assert!(matches!(import(&r).unwrap_err(), ImportError::Malformed(_)));
        let r = ImportRequest {
            format: Some(KeyFormat::Jks),
            ..req(b"\x00\x01\x02\x03\x04\x05")
        };
        assert!(matches!(import(&r).unwrap_err(), ImportError::Malformed(_)));
    }

    #[test]
    fn facts_of_each_key_type() {
        let cases = [
            ("rsa2048-cert.pem", "RSA", "2048 bits", "CN=rsa2048"),
            ("p256-cert.pem", "EC", "P-256", "CN=p256"),
            ("p384-cert.pem", "EC", "P-384", "CN=p384"),
            ("p521-cert.pem", "EC", "P-521", "CN=p521"),
            ("ed25519-cert.pem", "OKP", "Ed25519", "CN=ed25519"),
        ];
        let files: [&[u8]; 5] = [
            fixture!("rsa2048-cert.pem"),
            fixture!("p256-cert.pem"),
            fixture!("p384-cert.pem"),
            fixture!("p521-cert.pem"),
            fixture!("ed25519-cert.pem"),
        ];
        for ((name, kty, size, cn), file) in cases.into_iter().zip(files) {
            let k = one(file);
            let f = facts(&k.spki_der, k.certificate_der.as_deref()).unwrap();
            assert_eq!(f.kty, kty, "{name}");
            assert_eq!(f.size, size, "{name}");
            assert_eq!(f.keycloak_kid, client_jwt::keycloak_kid(&k.spki_der));
            assert_eq!(
                f.jwk_thumbprint,
                client_jwt::jwk_thumbprint(&k.spki_der).unwrap()
            );
            let c = f.certificate.unwrap();
            // make.sh: -subj "/CN=<name>/O=Keyward Tests": RFC 4514 puts the last RDN first.
            assert_eq!(c.subject, format!("O=Keyward Tests,{cn}"), "{name}");
            assert_eq!(c.issuer, c.subject);
            assert!(c.not_after - c.not_before >= 3650 * 86400 - 1);
            assert!(!c.serial.is_empty() && !c.serial.starts_with('0'));
            assert!(c
                .serial
                .chars()
                .all(|ch| ch.is_ascii_hexdigit() && !ch.is_ascii_uppercase()));
            let der = k.certificate_der.unwrap();
            assert_eq!(c.x5t_s256, x5t_s256(&der));
            assert_eq!(c.x5t_s256.len(), 43);
        }
        // A key refused on upload (RSA 1024) is still described.
        let small = pem_der(fixture!("rsa1024-pub.pem"));
        assert_eq!(facts(&small, None).unwrap().size, "1024 bits");
        assert!(facts(b"\x30\x00", None).is_err());
    }

    #[test]
    fn keycloak_kid_and_rfc7638_thumbprint() {
        // RFC 7638 §3.1.
        let n = URL_SAFE_NO_PAD
            .decode(
                "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            )
            .unwrap();
        let jwk = format!(
            r#"{{"kty":"RSA","n":"{}","e":"AQAB","alg":"RS256","kid":"2011-04-29"}}"#,
            URL_SAFE_NO_PAD.encode(&n)
        );
        let k = one(jwk.as_bytes());
        assert_eq!(k.kid.as_deref(), Some("2011-04-29"));
        let f = facts(&k.spki_der, None).unwrap();
        assert_eq!(
            f.jwk_thumbprint,
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
        assert_eq!(f.keycloak_kid, client_jwt::keycloak_kid(&k.spki_der));
        assert_eq!(k.spki_der, der::rsa_spki(&n, &[1, 0, 1]));
        // Keycloak's kid is over the SPKI DER exactly as Java encodes it (the canonical form).
        let der = pem_der(fixture!("rsa2048-pub.pem"));
        assert_eq!(
            facts(&der, None).unwrap().keycloak_kid,
            client_jwt::keycloak_kid(&der)
        );
    }

    #[test]
    fn exports_round_trip() {
        let files: [&[u8]; 7] = [
            fixture!("rsa2048-cert.pem"),
            fixture!("p256-cert.pem"),
            fixture!("p384-cert.pem"),
            fixture!("p521-cert.pem"),
            fixture!("ed25519-cert.pem"),
            fixture!("p256-pub.pem"),
            fixture!("ed25519-pub.pem"),
        ];
        for file in files {
            let k = one(file);
            // PEM exports read back to the same DER.
            let pem = public_key_pem(&k.spki_der);
            assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
            assert!(!pem.contains('\r'));
            assert_eq!(one(pem.as_bytes()).spki_der, k.spki_der);
            if let Some(c) = &k.certificate_der {
                let pem = certificate_pem(c);
                assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
                assert_eq!(one(pem.as_bytes()).certificate_der.as_ref(), Some(c));
            }
            // The JWK reads back to the same key, kid, alg and certificate.
            let kind = key_kind_of(&k.spki_der);
            let alg = client_jwt::algorithms_for_key(kind)[0];
            let jwk = public_jwk(
                &k.spki_der,
                "my-kid",
                Some(alg),
                k.certificate_der.as_deref(),
            )
            .unwrap();
            let back = one(jwk.to_string().as_bytes());
            assert_eq!(back.spki_der, k.spki_der);
            assert_eq!(back.kid.as_deref(), Some("my-kid"));
            assert_eq!(back.alg.as_deref(), Some(alg));
            assert_eq!(back.certificate_der, k.certificate_der);
            assert_eq!(back.format, KeyFormat::Jwk);
            let jwks = serde_json::json!({ "keys": [jwk] }).to_string();
            assert_eq!(
                import(&req(jwks.as_bytes())).unwrap(),
                vec![ImportedKey {
                    format: KeyFormat::Jwks,
                    ..back
                }]
            );
        }
    }

    fn key_kind_of(spki: &[u8]) -> KeyKind {
        client_jwt::key_kind(spki).unwrap()
    }

    #[test]
    fn public_jwk_member_order() {
        let k = one(fixture!("p256-cert.pem"));
        let jwk = public_jwk(
            &k.spki_der,
            "k1",
            Some("ES256"),
            k.certificate_der.as_deref(),
        )
        .unwrap();
        let names: Vec<_> = jwk.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            names,
            ["kty", "crv", "x", "y", "kid", "alg", "use", "x5c", "x5t", "x5t#S256"]
        );
        let k = one(fixture!("rsa2048-pub.pem"));
        let jwk = public_jwk(&k.spki_der, "k2", None, None).unwrap();
        let names: Vec<_> = jwk.as_object().unwrap().keys().cloned().collect();
        assert_eq!(names, ["kty", "n", "e", "kid", "use"]);
        assert_eq!(jwk["e"], "AQAB");
        let k = one(fixture!("ed25519-pub.pem"));
        let jwk = public_jwk(&k.spki_der, "k3", None, None).unwrap();
        assert_eq!(
            jwk.to_string(),
            format!(
                r#"{{"kty":"OKP","crv":"Ed25519","x":"{}","kid":"k3","use":"sig"}}"#,
                URL_SAFE_NO_PAD.encode(&k.spki_der[12..])
            )
        );
    }

    #[test]
    fn error_messages_are_distinct() {
        let all = [
            ImportError::TooLarge,
            ImportError::Empty,
            ImportError::NotPem,
            ImportError::PrivateKey,
            ImportError::WrongPassword,
            ImportError::PasswordRequired,
            ImportError::AliasNotFound {
                alias: "x".into(),
                available: vec!["a".into(), "b".into()],
            },
            ImportError::Symmetric,
            ImportError::RsaTooSmall(1024),
            ImportError::RsaTooLarge(16384),
            ImportError::Unsupported("unsupported key type \"foo\"".into()),
            ImportError::Malformed("malformed JWK: member \"n\" is not base64url".into()),
            ImportError::BadCertificate("truncated".into()),
            ImportError::UnknownFormat,
            ImportError::NoKeys,
            ImportError::AlgMismatch {
                alg: "ES256".into(),
                key: "an RSA key".into(),
            },
            ImportError::NotForSignatures("enc".into()),
            ImportError::CertificateMismatch,
            ImportError::WrongFormat {
                chosen: KeyFormat::Jwk,
                found: KeyFormat::Jwks,
            },
            ImportError::Jceks,
            ImportError::InJwks {
                index: 2,
                kid: Some("x".into()),
                error: Box::new(ImportError::Symmetric),
            },
            ImportError::InEntry {
                alias: "a".into(),
                error: Box::new(ImportError::RsaTooSmall(1024)),
            },
        ];
        let messages: std::collections::BTreeSet<String> =
            all.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), all.len());
        assert_eq!(
            all[6].to_string(),
            "no entry \"x\" in the keystore; it holds: a, b"
        );
        assert_eq!(
            all[8].to_string(),
            "RSA key of 1024 bits: at least 2048 are required"
        );
        assert_eq!(all[15].to_string(), "alg ES256 does not fit an RSA key");
        assert_eq!(
            all[20].to_string(),
            "key 2 (kid \"x\"): symmetric keys (kty \"oct\") cannot verify client assertions: \
             upload a public key"
        );
        assert_eq!(
            all[21].to_string(),
            "entry \"a\": RSA key of 1024 bits: at least 2048 are required"
        );
        let long = "x".repeat(100);
        assert!(quoted(&long).len() < 80);
    }

    #[test]
    fn request_debug_hides_the_password() {
        let r = ImportRequest {
            store_password: Some("hunter2"),
            ..req(b"x")
        };
        assert!(!format!("{r:?}").contains("hunter2"));
    }
}
