//! Client certificates for RFC 8705: the pieces the `client-x509` and
//! `self-signed-tls-client-auth` authenticators and the server's listeners share. Pure
//! functions, no IO, no clock:
//!
//! - [`forwarded_certificate`]: the client certificate a TLS-terminating proxy forwards, in the
//!   header formats Keycloak's `x509cert-lookup` providers read (nginx's
//!   `$ssl_client_escaped_cert`, HAProxy/Apache PEM, base64 DER, Envoy's
//!   `X-Forwarded-Client-Cert`). Whether the peer may forward at all is the caller's (trusted
//!   proxies) decision.
//! - [`canonical_dn`] and [`subject_dn`]: distinguished names compared the way Keycloak compares
//!   `x509.subjectdn` (Java's `X500Principal.CANONICAL`): attribute types case-insensitive,
//!   values compared after trimming, collapsing inner whitespace and case folding, multi-valued
//!   RDNs in any order, **RDN order significant** (`CN=a,O=b` is not `O=b,CN=a`).
//!
//! Invariant: every function here either returns a value or a typed error that says what is
//! wrong with the input; none panics on any input (the tests feed them malformed text).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// How a proxy forwards the client certificate in a header (a setting of the deployment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardedFormat {
    /// nginx `$ssl_client_escaped_cert`: the PEM, URL-encoded.
    NginxEscapedPem,
    /// HAProxy / Apache: the PEM as is (Apache may put spaces where the line breaks were).
    Pem,
    /// The certificate's DER, base64 (HAProxy `%[ssl_c_der,base64]`).
    Base64Der,
    /// Envoy's `X-Forwarded-Client-Cert`: `Hash=…;Cert="<URL-encoded PEM>";Subject="…"`, one
    /// element per proxy, comma-separated; the last element is the nearest proxy's.
    EnvoyXfcc,
}

impl ForwardedFormat {
    /// Parses a configuration value: `nginx`, `pem`, `der` or `envoy`.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "nginx" => Some(Self::NginxEscapedPem),
            "pem" | "haproxy" | "apache" => Some(Self::Pem),
            "der" | "base64" => Some(Self::Base64Der),
            "envoy" | "xfcc" => Some(Self::EnvoyXfcc),
            _ => None,
        }
    }
}

/// Why a forwarded certificate header was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForwardedCertError {
    #[error("the forwarded certificate header is empty")]
    Empty,
    #[error("the forwarded certificate header is not valid percent-encoding")]
    BadEscaping,
    #[error("the forwarded certificate header holds no PEM certificate")]
    NoPem,
    #[error("the forwarded certificate header is not valid base64")]
    BadBase64,
    #[error("the X-Forwarded-Client-Cert header has no Cert= field")]
    NoXfccCert,
    #[error("the forwarded certificate header is larger than 16 KiB")]
    TooLarge,
}

/// The largest forwarded header accepted (a certificate chain of a few certificates fits).
pub const MAX_FORWARDED_BYTES: usize = 16 * 1024;

/// The DER of the client certificate in a forwarded header value.
pub fn forwarded_certificate(
    format: ForwardedFormat,
    value: &str,
) -> Result<Vec<u8>, ForwardedCertError> {
    let value = value.trim();
    if value.is_empty() || value == "(null)" || value == "-" {
        return Err(ForwardedCertError::Empty);
    }
    if value.len() > MAX_FORWARDED_BYTES {
        return Err(ForwardedCertError::TooLarge);
    }
    match format {
        ForwardedFormat::NginxEscapedPem => first_pem(&percent_decode(value)?),
        ForwardedFormat::Pem => first_pem(value),
        ForwardedFormat::Base64Der => {
            let compact: String = value.split_whitespace().collect();
            STANDARD
                .decode(compact)
                .map_err(|_| ForwardedCertError::BadBase64)
        }
        ForwardedFormat::EnvoyXfcc => {
            let element = split_unescaped(value, ',')
                .ok_or(ForwardedCertError::BadEscaping)?
                .into_iter()
                .rev()
                .find(|e| !e.trim().is_empty())
                .ok_or(ForwardedCertError::Empty)?;
            let cert = split_unescaped(element, ';')
                .ok_or(ForwardedCertError::BadEscaping)?
                .into_iter()
                .filter_map(|pair| pair.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("cert"))
                .map(|(_, v)| v.trim().trim_matches('"').to_string())
                .ok_or(ForwardedCertError::NoXfccCert)?;
            first_pem(&percent_decode(&cert)?)
        }
    }
}

/// The first `CERTIFICATE` block of PEM text, as DER. Apache's header form replaces the line
/// breaks with spaces; the base64 body is read with all whitespace removed.
fn first_pem(text: &str) -> Result<Vec<u8>, ForwardedCertError> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let start = text.find(BEGIN).ok_or(ForwardedCertError::NoPem)? + BEGIN.len();
    let end = text[start..].find(END).ok_or(ForwardedCertError::NoPem)? + start;
    let body: String = text[start..end].split_whitespace().collect();
    STANDARD
        .decode(body)
        .map_err(|_| ForwardedCertError::BadBase64)
}

/// Percent-decodes `%XX` sequences (and `+` stays `+`: nginx escapes it).
fn percent_decode(s: &str) -> Result<String, ForwardedCertError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or(ForwardedCertError::BadEscaping)?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ForwardedCertError::BadEscaping)
}

/// Why a distinguished name string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnError {
    #[error("the distinguished name is empty")]
    Empty,
    #[error("{0:?} is not an attribute=value pair")]
    NotAPair(String),
    #[error("{0:?} is not an attribute type (a name like CN or a dotted OID)")]
    BadType(String),
    #[error("a distinguished name ends in the middle of an escape")]
    BadEscape,
}

/// The canonical form of an RFC 4514 distinguished name string (see the module documentation),
/// for equality comparison: `"cn=Billing  Service , o=ACME"` and `"CN=billing service,O=acme"`
/// have the same canonical form; `"O=acme,CN=billing service"` does not.
pub fn canonical_dn(dn: &str) -> Result<String, DnError> {
    let rdns = split_unescaped(dn.trim(), ',').ok_or(DnError::BadEscape)?;
    if rdns.iter().all(|r| r.trim().is_empty()) {
        return Err(DnError::Empty);
    }
    let mut out = Vec::with_capacity(rdns.len());
    for rdn in rdns {
        let mut avas = Vec::new();
        for ava in split_unescaped(rdn, '+').ok_or(DnError::BadEscape)? {
            let (ty, value) = ava
                .split_once('=')
                .ok_or_else(|| DnError::NotAPair(ava.trim().to_string()))?;
            avas.push(format!(
                "{}={}",
                canonical_type(ty)?,
                crate::keys::cert::escape(&canonical_value(&unescape(value.trim())?))
            ));
        }
        avas.sort();
        out.push(avas.join("+"));
    }
    Ok(out.join(","))
}

/// The subject of a DER certificate as an RFC 4514 string (most specific RDN first, as Keycloak
/// and `openssl x509 -nameopt RFC2253` show it), for an operator to copy into `x509.subjectdn`.
pub fn subject_dn(certificate_der: &[u8]) -> Result<String, String> {
    use x509_parser::prelude::*;
    let (_, cert) = X509Certificate::from_der(certificate_der)
        .map_err(|e| format!("not an X.509 certificate: {e}"))?;
    Ok(crate::keys::cert::rfc4514(cert.subject()))
}

/// SHA-256 thumbprint of a certificate, base64url without padding: the `x5t#S256` of RFC 8705's
/// `cnf` claim.
pub fn x5t_s256(certificate_der: &[u8]) -> String {
    crate::keys::x5t_s256(certificate_der)
}

/// For resource servers (RFC 8705 §3.2): whether a certificate-bound token's `cnf`
/// `x5t#S256` names the certificate the caller presented (DER), compared in constant time. A
/// resource server refuses the token when this is false, and when no certificate was presented.
pub fn confirms(cnf_x5t_s256: &str, presented_certificate_der: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    let actual = x5t_s256(presented_certificate_der);
    actual.len() == cnf_x5t_s256.len()
        && bool::from(actual.as_bytes().ct_eq(cnf_x5t_s256.as_bytes()))
}

/// Short names of the attribute types RFC 4514 §3 lists (and the common extras), by OID.
fn short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.6" => "C",
        "2.5.4.9" => "STREET",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "2.5.4.5" => "SERIALNUMBER",
        "1.2.840.113549.1.9.1" => "EMAILADDRESS",
        _ => return None,
    })
}

/// An attribute type in canonical form: the upper-case short name (`e`, `email` and
/// `emailAddress` are `EMAILADDRESS`; an OID with a short name becomes the name).
fn canonical_type(ty: &str) -> Result<String, DnError> {
    let ty = ty.trim();
    let ty = ty
        .strip_prefix("OID.")
        .or_else(|| ty.strip_prefix("oid."))
        .unwrap_or(ty);
    if ty.is_empty() {
        return Err(DnError::BadType(ty.to_string()));
    }
    if ty.chars().all(|c| c.is_ascii_digit() || c == '.') {
        if ty.starts_with('.') || ty.ends_with('.') || ty.contains("..") {
            return Err(DnError::BadType(ty.to_string()));
        }
        return Ok(short_name(ty).map(str::to_string).unwrap_or(ty.to_string()));
    }
    if !ty.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        || !ty.starts_with(|c: char| c.is_ascii_alphabetic())
    {
        return Err(DnError::BadType(ty.to_string()));
    }
    let upper = ty.to_ascii_uppercase();
    Ok(match upper.as_str() {
        "E" | "EMAIL" => "EMAILADDRESS".to_string(),
        "S" => "ST".to_string(),
        _ => upper,
    })
}

/// A value in canonical form: inner runs of whitespace collapsed to one space, case folded.
fn canonical_value(value: &str) -> String {
    value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Splits on `sep` where it is not escaped with a backslash or inside double quotes (RFC 4514
/// names, and Envoy's XFCC elements and fields alike); `None` when the text ends inside an
/// escape.
fn split_unescaped(s: &str, sep: char) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut chars = s.char_indices();
    let mut quoted = false;
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next()?;
            }
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    Some(parts)
}

/// Removes RFC 4514 escapes (`\,`, `\+`, `\"`, `\\`, `\<hex><hex>` …) and surrounding quotes.
fn unescape(v: &str) -> Result<String, DnError> {
    let v = v
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(v);
    let mut bytes = Vec::with_capacity(v.len());
    let mut it = v.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let a = it.next().ok_or(DnError::BadEscape)?;
        match (a.to_digit(16), it.peek().and_then(|b| b.to_digit(16))) {
            (Some(hi), Some(lo)) => {
                it.next();
                bytes.push((hi * 16 + lo) as u8);
            }
            _ => {
                let mut buf = [0u8; 4];
                bytes.extend_from_slice(a.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    String::from_utf8(bytes).map_err(|_| DnError::BadEscape)
}

/// Why a presented client certificate was refused: the operator's reason (the client itself
/// only gets `invalid_client`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateRefusal {
    #[error("no client certificate was presented")]
    Missing,
    #[error("the client certificate is not valid X.509: {0}")]
    Malformed(String),
    #[error("the client certificate expired at {0} (Unix time)")]
    Expired(i64),
    #[error("the client certificate is not valid before {0} (Unix time)")]
    NotYetValid(i64),
    #[error("the client certificate does not chain to a trusted CA: {0}")]
    UntrustedChain(String),
    #[error("the certificate's subject {presented:?} does not match the client's {expected:?}")]
    DnMismatch { presented: String, expected: String },
    #[error("the certificate's RSA key has {0} bits; at least 2048 are required")]
    WeakKey(usize),
    #[error("the certificate's public key is not one of the client's registered, active keys")]
    KeyNotRegistered,
    #[error("the certificate has no subject alternative name {0}")]
    SanMismatch(String),
    #[error("the client has no subject DN configured (x509.subjectdn)")]
    NoExpectation,
    #[error(
        "a client certificate header came from {0}, which is not a trusted proxy; it was ignored"
    )]
    UntrustedForwarder(String),
    #[error("{0}")]
    BadForwardedHeader(ForwardedCertError),
}

/// The client certificate that came with a request: from the TLS handshake of the mTLS
/// listener, or forwarded by a trusted proxy. A header that could not be used is kept as the
/// refusal, so a method that needs a certificate reports why there is none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PresentedCertificate {
    #[default]
    None,
    /// The leaf first, then any intermediates the client sent (DER).
    Chain(Vec<Vec<u8>>),
    /// A forwarded header that was ignored or unreadable.
    Refused(CertificateRefusal),
}

impl PresentedCertificate {
    /// The chain, or why there is none.
    pub fn chain(&self) -> Result<&[Vec<u8>], CertificateRefusal> {
        match self {
            PresentedCertificate::None => Err(CertificateRefusal::Missing),
            PresentedCertificate::Chain(c) if c.is_empty() => Err(CertificateRefusal::Missing),
            PresentedCertificate::Chain(c) => Ok(c),
            PresentedCertificate::Refused(r) => Err(r.clone()),
        }
    }

    /// The leaf's `x5t#S256` (RFC 8705 §3.1), when a certificate was presented.
    pub fn thumbprint(&self) -> Option<String> {
        self.chain()
            .ok()
            .and_then(|c| c.first())
            .map(|d| x5t_s256(d))
    }
}

/// What a `tls_client_auth` (`client-x509`) client expects of its certificate: Keycloak's
/// `x509.subjectdn`, compared canonically or, with `x509.allow.regex.pattern.comparison`, as a
/// regular expression over the RFC 4514 subject; optionally one RFC 8705 §2.1.2 SAN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct X509Expectation {
    pub subject_dn: String,
    pub regex: bool,
    pub san: Option<San>,
}

/// A subject alternative name a client's certificate must carry (RFC 8705 §2.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum San {
    Dns(String),
    Uri(String),
    Ip(std::net::IpAddr),
    Email(String),
}

impl San {
    /// Reads the stored form `dns:…`, `uri:…`, `ip:…` or `email:…`; the error says what is
    /// wrong.
    pub fn parse(text: &str) -> Result<San, String> {
        let text = text.trim();
        let (kind, value) = text.split_once(':').ok_or_else(|| {
            format!(
                "{text:?} is not a subject alternative name; write dns:…, uri:…, ip:… or email:…"
            )
        })?;
        let value = value.trim();
        if value.is_empty() {
            return Err(format!(
                "the subject alternative name {text:?} has no value"
            ));
        }
        if value.len() > 512 || value.chars().any(char::is_control) {
            return Err(
                "the subject alternative name is too long or holds control characters".into(),
            );
        }
        match kind.trim().to_ascii_lowercase().as_str() {
            "dns" => Ok(San::Dns(value.to_owned())),
            "uri" => Ok(San::Uri(value.to_owned())),
            "email" => Ok(San::Email(value.to_owned())),
            "ip" => value
                .parse()
                .map(San::Ip)
                .map_err(|_| format!("{value:?} is not an IP address")),
            other => Err(format!(
                "{other:?} is not a kind of subject alternative name; use dns, uri, ip or email"
            )),
        }
    }
}

impl std::fmt::Display for San {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            San::Dns(v) => write!(f, "dns:{v}"),
            San::Uri(v) => write!(f, "uri:{v}"),
            San::Ip(v) => write!(f, "ip:{v}"),
            San::Email(v) => write!(f, "email:{v}"),
        }
    }
}

/// Checks a subject DN pattern when it is saved: a canonical DN, or (regex) an expression that
/// compiles; the error says what is wrong.
pub fn check_expected_dn(subject_dn: &str, regex: bool) -> Result<(), String> {
    if regex {
        dn_regex(subject_dn).map(|_| ())
    } else {
        canonical_dn(subject_dn)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

fn dn_regex(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 20)
        .build()
        .map_err(|e| format!("the subject DN pattern does not compile: {e}"))
}

/// The facts a verified certificate contributes: its subject and its `x5t#S256`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCertificate {
    pub subject_dn: String,
    pub x5t_s256: String,
}

/// The checks every method makes of the presented leaf: it parses, is valid at `now`, and an RSA
/// key has at least 2048 bits.
fn check_leaf(
    der: &[u8],
    now: i64,
) -> Result<x509_parser::certificate::X509Certificate<'_>, CertificateRefusal> {
    use x509_parser::prelude::*;
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| CertificateRefusal::Malformed(e.to_string()))?;
    let validity = cert.validity();
    if now < validity.not_before.timestamp() {
        return Err(CertificateRefusal::NotYetValid(
            validity.not_before.timestamp(),
        ));
    }
    if now > validity.not_after.timestamp() {
        return Err(CertificateRefusal::Expired(validity.not_after.timestamp()));
    }
    if let Ok(x509_parser::public_key::PublicKey::RSA(rsa)) = cert.public_key().parsed() {
        let bits = rsa.key_size();
        if bits < 2048 {
            return Err(CertificateRefusal::WeakKey(bits));
        }
    }
    Ok(cert)
}

/// `tls_client_auth` (Keycloak's `client-x509`): the leaf (`chain[0]`, with its intermediates)
/// chains to one of `trust_anchors` (DER CA certificates) for client authentication, is valid
/// at `now`, and its subject (and SAN, if required) is what the client expects.
pub fn verify_tls_client_auth(
    chain: &[Vec<u8>],
    trust_anchors: &[Vec<u8>],
    now: i64,
    expected: &X509Expectation,
) -> Result<VerifiedCertificate, CertificateRefusal> {
    use webpki::aws_lc_rs as algs;
    let leaf_der = chain.first().ok_or(CertificateRefusal::Missing)?;
    let leaf = check_leaf(leaf_der, now)?;
    let anchors = trust_anchors
        .iter()
        .map(|der| {
            webpki::anchor_from_trusted_cert(&rustls_pki_types::CertificateDer::from(
                der.as_slice(),
            ))
            .map(|a| a.to_owned())
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            CertificateRefusal::UntrustedChain(format!("a configured CA is unreadable: {e}"))
        })?;
    let leaf_cert = rustls_pki_types::CertificateDer::from(leaf_der.as_slice());
    let end_entity = webpki::EndEntityCert::try_from(&leaf_cert)
        .map_err(|e| CertificateRefusal::Malformed(e.to_string()))?;
    let intermediates: Vec<_> = chain[1..]
        .iter()
        .map(|d| rustls_pki_types::CertificateDer::from(d.as_slice()))
        .collect();
    let time = rustls_pki_types::UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(now).unwrap_or(0),
    ));
    let algorithms: &[&dyn rustls_pki_types::SignatureVerificationAlgorithm] = &[
        algs::ECDSA_P256_SHA256,
        algs::ECDSA_P256_SHA384,
        algs::ECDSA_P384_SHA256,
        algs::ECDSA_P384_SHA384,
        algs::ECDSA_P521_SHA512,
        algs::ED25519,
        algs::RSA_PKCS1_2048_8192_SHA256,
        algs::RSA_PKCS1_2048_8192_SHA384,
        algs::RSA_PKCS1_2048_8192_SHA512,
        algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
        algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
    ];
    end_entity
        .verify_for_usage(
            algorithms,
            &anchors,
            &intermediates,
            time,
            webpki::KeyUsage::client_auth(),
            None,
            None,
        )
        .map_err(|e| CertificateRefusal::UntrustedChain(e.to_string()))?;
    let presented = subject_dn(leaf_der).map_err(CertificateRefusal::Malformed)?;
    let matches = if expected.regex {
        dn_regex(&expected.subject_dn)
            .map(|r| r.is_match(&presented))
            .unwrap_or(false)
    } else {
        matches!(
            (canonical_dn(&presented), canonical_dn(&expected.subject_dn)),
            (Ok(a), Ok(b)) if a == b
        )
    };
    if !matches {
        return Err(CertificateRefusal::DnMismatch {
            presented,
            expected: expected.subject_dn.clone(),
        });
    }
    if let Some(san) = &expected.san {
        if !has_san(&leaf, san) {
            return Err(CertificateRefusal::SanMismatch(san.to_string()));
        }
    }
    Ok(VerifiedCertificate {
        subject_dn: presented,
        x5t_s256: x5t_s256(leaf_der),
    })
}

/// What the console shows of a pasted certificate (to copy its subject DN from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFacts {
    pub subject_dn: String,
    pub issuer_dn: String,
    pub not_after: i64,
    /// `dns:…`, `uri:…`, `ip:…`, `email:…`, as [`San`] writes them.
    pub sans: Vec<String>,
    pub x5t_s256: String,
    pub self_signed: bool,
}

/// Reads one PEM certificate (the first of the text) for the console; the error says what is
/// wrong with the paste.
pub fn describe_certificate(pem_text: &str) -> Result<CertificateFacts, String> {
    use x509_parser::extensions::GeneralName;
    use x509_parser::prelude::*;
    if pem_text.len() > MAX_FORWARDED_BYTES {
        return Err("the pasted text is larger than 16 KiB".into());
    }
    let block = ::pem::parse_many(pem_text.trim())
        .map_err(|_| {
            "the pasted text is not a PEM certificate (-----BEGIN CERTIFICATE-----)".to_string()
        })?
        .into_iter()
        .find(|p| p.tag() == "CERTIFICATE")
        .ok_or_else(|| "the pasted text holds no -----BEGIN CERTIFICATE----- block".to_string())?;
    let der = block.contents();
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|e| format!("the certificate does not parse: {e}"))?;
    let subject_dn = crate::keys::cert::rfc4514(cert.subject());
    let issuer_dn = crate::keys::cert::rfc4514(cert.issuer());
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for name in &ext.value.general_names {
            let san = match name {
                GeneralName::DNSName(d) => Some(San::Dns((*d).to_owned())),
                GeneralName::URI(u) => Some(San::Uri((*u).to_owned())),
                GeneralName::RFC822Name(e) => Some(San::Email((*e).to_owned())),
                GeneralName::IPAddress(b) => match b.len() {
                    4 => <[u8; 4]>::try_from(*b).ok().map(|o| San::Ip(o.into())),
                    16 => <[u8; 16]>::try_from(*b).ok().map(|o| San::Ip(o.into())),
                    _ => None,
                },
                _ => None,
            };
            sans.extend(san.map(|s| s.to_string()));
        }
    }
    Ok(CertificateFacts {
        self_signed: subject_dn == issuer_dn,
        subject_dn,
        issuer_dn,
        not_after: cert.validity().not_after.timestamp(),
        sans,
        x5t_s256: x5t_s256(der),
    })
}

/// Checks that a CA certificate (DER) can serve as a trust anchor for [`verify_tls_client_auth`].
pub fn check_trust_anchor(der: &[u8]) -> Result<(), String> {
    webpki::anchor_from_trusted_cert(&rustls_pki_types::CertificateDer::from(der))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The leaf's SubjectPublicKeyInfo (DER).
pub fn leaf_spki(leaf_der: &[u8]) -> Result<Vec<u8>, CertificateRefusal> {
    use x509_parser::prelude::*;
    let (_, cert) = X509Certificate::from_der(leaf_der)
        .map_err(|e| CertificateRefusal::Malformed(e.to_string()))?;
    Ok(cert.public_key().raw.to_vec())
}

/// `self_signed_tls_client_auth` (RFC 8705 §2.2): no CA; the certificate's public key
/// (SubjectPublicKeyInfo, DER) is one of the client's registered, active keys. The TLS handshake
/// (or the trusted proxy) has proven possession of its private key. Returns the position of the
/// matching key among `registered_spkis` (the certificate is parsed once).
pub fn verify_self_signed<'k>(
    leaf_der: &[u8],
    registered_spkis: impl IntoIterator<Item = &'k [u8]>,
    now: i64,
) -> Result<usize, CertificateRefusal> {
    let leaf = check_leaf(leaf_der, now)?;
    let spki = leaf.public_key().raw;
    registered_spkis
        .into_iter()
        .position(|k| k == spki)
        .ok_or(CertificateRefusal::KeyNotRegistered)
}

fn has_san(cert: &x509_parser::certificate::X509Certificate<'_>, want: &San) -> bool {
    use x509_parser::extensions::GeneralName;
    let Ok(Some(sans)) = cert.subject_alternative_name() else {
        return false;
    };
    sans.value
        .general_names
        .iter()
        .any(|name| match (name, want) {
            (GeneralName::DNSName(d), San::Dns(w)) => d.eq_ignore_ascii_case(w),
            (GeneralName::URI(u), San::Uri(w)) => u == w,
            (GeneralName::RFC822Name(e), San::Email(w)) => e.eq_ignore_ascii_case(w),
            (GeneralName::IPAddress(bytes), San::Ip(ip)) => match ip {
                std::net::IpAddr::V4(v4) => *bytes == v4.octets().as_slice(),
                std::net::IpAddr::V6(v6) => *bytes == v6.octets().as_slice(),
            },
            _ => false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed certificate made with rcgen for the tests.
    fn cert(dn: &[(rcgen::DnType, &str)]) -> Vec<u8> {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::default();
        let mut name = rcgen::DistinguishedName::new();
        for (t, v) in dn {
            name.push(t.clone(), *v);
        }
        params.distinguished_name = name;
        params.self_signed(&key).unwrap().der().to_vec()
    }

    fn pem_of(der: &[u8]) -> String {
        pem::encode(&pem::Pem::new("CERTIFICATE", der.to_vec()))
    }

    #[test]
    fn every_forwarded_format_gives_the_same_certificate() {
        let der = cert(&[(rcgen::DnType::CommonName, "svc")]);
        let pem = pem_of(&der);
        let escaped: String = pem
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b == b'-' {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        assert_eq!(
            forwarded_certificate(ForwardedFormat::NginxEscapedPem, &escaped).unwrap(),
            der
        );
        assert_eq!(
            forwarded_certificate(ForwardedFormat::Pem, &pem).unwrap(),
            der
        );
        // Apache's header: the line breaks became spaces.
        assert_eq!(
            forwarded_certificate(ForwardedFormat::Pem, &pem.replace('\n', " ")).unwrap(),
            der
        );
        assert_eq!(
            forwarded_certificate(ForwardedFormat::Base64Der, &STANDARD.encode(&der)).unwrap(),
            der
        );
        // Envoy: two proxies; the nearest (last) element's Cert is the client's.
        let other = pem_of(&cert(&[(rcgen::DnType::CommonName, "other")]));
        let xfcc = format!(
            "By=spiffe://a;Cert=\"{}\";Subject=\"CN=other,O=x\",Hash=abc;Cert=\"{escaped}\";Subject=\"CN=svc\"",
            other.replace('\n', "%0A")
        );
        assert_eq!(
            forwarded_certificate(ForwardedFormat::EnvoyXfcc, &xfcc).unwrap(),
            der
        );
    }

    #[test]
    fn malformed_forwarded_headers_are_refused_with_the_reason() {
        use ForwardedCertError as E;
        use ForwardedFormat as F;
        assert_eq!(forwarded_certificate(F::Pem, "  "), Err(E::Empty));
        assert_eq!(
            forwarded_certificate(F::NginxEscapedPem, "(null)"),
            Err(E::Empty)
        );
        assert_eq!(
            forwarded_certificate(F::NginxEscapedPem, "%zz"),
            Err(E::BadEscaping)
        );
        assert_eq!(
            forwarded_certificate(F::NginxEscapedPem, "%E"),
            Err(E::BadEscaping)
        );
        assert_eq!(forwarded_certificate(F::Pem, "hello"), Err(E::NoPem));
        assert_eq!(
            forwarded_certificate(
                F::Pem,
                "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----"
            ),
            Err(E::BadBase64)
        );
        assert_eq!(
            forwarded_certificate(F::Base64Der, "not base64!"),
            Err(E::BadBase64)
        );
        assert_eq!(
            forwarded_certificate(F::EnvoyXfcc, "Hash=abc;By=x"),
            Err(E::NoXfccCert)
        );
        assert_eq!(
            forwarded_certificate(F::Pem, &"A".repeat(MAX_FORWARDED_BYTES + 1)),
            Err(E::TooLarge)
        );
        assert_eq!(ForwardedFormat::parse("NGINX"), Some(F::NginxEscapedPem));
        assert_eq!(ForwardedFormat::parse("envoy"), Some(F::EnvoyXfcc));
        assert_eq!(ForwardedFormat::parse("cloudflare"), None);
    }

    #[test]
    fn the_canonical_dn_ignores_case_spacing_and_ava_order_but_not_rdn_order() {
        let c = |s| canonical_dn(s).unwrap();
        assert_eq!(
            c("cn=Billing  Service , o=ACME,c=de"),
            c("CN=billing service,O=acme,C=DE")
        );
        assert_eq!(c("E=a@b.example,CN=x"), c("emailAddress=A@B.example,cn=X"));
        assert_eq!(c("2.5.4.3=svc,O=acme"), c("CN=svc,O=acme"));
        assert_eq!(c("OU=a+CN=x,O=y"), c("CN=x+OU=a,O=y"));
        assert_eq!(c(r"CN=a\,b,O=y"), c(r#"CN="a,b",O=y"#));
        assert_eq!(c(r"CN=a\2cb"), c(r"CN=a\,b"));
        // RDN order matters: a DN is an ordered path.
        assert_ne!(c("CN=svc,O=acme"), c("O=acme,CN=svc"));
        // A different value is a different name.
        assert_ne!(c("CN=svc,O=acme"), c("CN=svc2,O=acme"));
        assert_eq!(c("CN=Svc,O=Acme"), "CN=svc,O=acme");
    }

    #[test]
    fn malformed_dns_are_refused_with_the_reason() {
        assert_eq!(canonical_dn(""), Err(DnError::Empty));
        assert_eq!(canonical_dn(" , "), Err(DnError::Empty));
        assert_eq!(canonical_dn("CN"), Err(DnError::NotAPair("CN".into())));
        assert_eq!(canonical_dn("C N=x"), Err(DnError::BadType("C N".into())));
        assert_eq!(canonical_dn("1..2=x"), Err(DnError::BadType("1..2".into())));
        assert_eq!(canonical_dn(r"CN=x\"), Err(DnError::BadEscape));
    }

    #[test]
    fn a_certificate_subject_reads_as_rfc_4514_and_matches_its_canonical_dn() {
        let der = cert(&[
            (rcgen::DnType::CountryName, "DE"),
            (rcgen::DnType::OrganizationName, "Acme, Inc."),
            (rcgen::DnType::CommonName, "billing-service"),
        ]);
        let subject = subject_dn(&der).unwrap();
        assert_eq!(subject, r"CN=billing-service,O=Acme\, Inc.,C=DE");
        assert_eq!(
            canonical_dn(&subject).unwrap(),
            canonical_dn("cn=Billing-Service, o=ACME\\, inc., c=de").unwrap()
        );
        assert!(subject_dn(b"not a certificate").is_err());
    }

    #[test]
    fn the_thumbprint_is_sha_256_base64url() {
        let der = cert(&[(rcgen::DnType::CommonName, "svc")]);
        let t = x5t_s256(&der);
        assert_eq!(t.len(), 43);
        assert!(!t.contains('=') && !t.contains('+') && !t.contains('/'));
        assert_ne!(t, x5t_s256(&cert(&[(rcgen::DnType::CommonName, "svc")])));
    }

    /// A CA and a leaf it signed (rcgen), the leaf valid from an hour ago for a day.
    fn ca_and_leaf(cn: &str, san: Option<&str>) -> (Vec<u8>, Vec<u8>) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::default();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "Test CA");
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let key = rcgen::KeyPair::generate().unwrap();
        let mut leaf =
            rcgen::CertificateParams::new(san.map(|s| vec![s.to_string()]).unwrap_or_default())
                .unwrap();
        leaf.distinguished_name = rcgen::DistinguishedName::new();
        leaf.distinguished_name
            .push(rcgen::DnType::OrganizationName, "Acme");
        leaf.distinguished_name.push(rcgen::DnType::CommonName, cn);
        leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let now = time::OffsetDateTime::now_utc();
        leaf.not_before = now - time::Duration::hours(1);
        leaf.not_after = now + time::Duration::days(1);
        let leaf = leaf.signed_by(&key, &issuer).unwrap();
        (ca_cert.der().to_vec(), leaf.der().to_vec())
    }

    fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }

    fn expect(dn: &str) -> X509Expectation {
        X509Expectation {
            subject_dn: dn.into(),
            regex: false,
            san: None,
        }
    }

    #[test]
    fn tls_client_auth_accepts_the_expected_subject_under_the_ca_and_nothing_else() {
        let (ca, leaf) = ca_and_leaf("billing", Some("billing.internal"));
        let (chain, anchors) = (vec![leaf.clone()], vec![ca]);
        let ok =
            verify_tls_client_auth(&chain, &anchors, now(), &expect("cn=Billing,o=ACME")).unwrap();
        assert_eq!(ok.subject_dn, "CN=billing,O=Acme");
        assert_eq!(ok.x5t_s256, x5t_s256(&leaf));
        // The RDNs in the other order are another name.
        assert!(matches!(
            verify_tls_client_auth(&chain, &anchors, now(), &expect("O=Acme,CN=billing")),
            Err(CertificateRefusal::DnMismatch { .. })
        ));
        // A regular expression, anchored at both ends.
        let re = X509Expectation {
            subject_dn: "CN=bill[a-z]+,O=Acme".into(),
            regex: true,
            san: None,
        };
        assert!(verify_tls_client_auth(&chain, &anchors, now(), &re).is_ok());
        let partial = X509Expectation {
            subject_dn: "CN=bill".into(),
            regex: true,
            san: None,
        };
        assert!(verify_tls_client_auth(&chain, &anchors, now(), &partial).is_err());
        // A SAN the certificate has, and one it has not.
        let with_san = X509Expectation {
            san: Some(San::Dns("BILLING.internal".into())),
            ..expect("CN=billing,O=Acme")
        };
        assert!(verify_tls_client_auth(&chain, &anchors, now(), &with_san).is_ok());
        let other_san = X509Expectation {
            san: Some(San::Dns("other.internal".into())),
            ..expect("CN=billing,O=Acme")
        };
        assert!(matches!(
            verify_tls_client_auth(&chain, &anchors, now(), &other_san),
            Err(CertificateRefusal::SanMismatch(_))
        ));
        // Another CA, no certificate, an expired and a future one.
        let (other_ca, _) = ca_and_leaf("x", None);
        assert!(matches!(
            verify_tls_client_auth(&chain, &[other_ca], now(), &expect("CN=billing,O=Acme")),
            Err(CertificateRefusal::UntrustedChain(_))
        ));
        assert_eq!(
            verify_tls_client_auth(&[], &anchors, now(), &expect("CN=billing,O=Acme")),
            Err(CertificateRefusal::Missing)
        );
        assert!(matches!(
            verify_tls_client_auth(
                &chain,
                &anchors,
                now() + 2 * 86_400,
                &expect("CN=billing,O=Acme")
            ),
            Err(CertificateRefusal::Expired(_))
        ));
        assert!(matches!(
            verify_tls_client_auth(&chain, &anchors, 0, &expect("CN=billing,O=Acme")),
            Err(CertificateRefusal::NotYetValid(_))
        ));
        assert!(matches!(
            verify_tls_client_auth(&[b"junk".to_vec()], &[], now(), &expect("CN=x")),
            Err(CertificateRefusal::Malformed(_))
        ));
    }

    #[test]
    fn confirms_compares_the_thumbprint() {
        let a = cert(&[(rcgen::DnType::CommonName, "a")]);
        let b = cert(&[(rcgen::DnType::CommonName, "b")]);
        assert!(confirms(&x5t_s256(&a), &a));
        assert!(!confirms(&x5t_s256(&a), &b));
        assert!(!confirms("", &a));
        assert!(!confirms(&x5t_s256(&a)[..10], &a));
    }

    #[test]
    fn a_pasted_certificate_is_described() {
        let (_, leaf) = ca_and_leaf("billing", Some("billing.internal"));
        let facts = describe_certificate(&pem_of(&leaf)).unwrap();
        assert_eq!(facts.subject_dn, "CN=billing,O=Acme");
        assert_eq!(facts.issuer_dn, "CN=Test CA");
        assert_eq!(facts.sans, vec!["dns:billing.internal".to_string()]);
        assert_eq!(facts.x5t_s256, x5t_s256(&leaf));
        assert!(!facts.self_signed);
        let own = cert(&[(rcgen::DnType::CommonName, "svc")]);
        assert!(describe_certificate(&pem_of(&own)).unwrap().self_signed);
        for bad in [
            "",
            "hello",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
        ] {
            assert!(describe_certificate(bad).is_err(), "{bad:?}");
        }
        let key = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
        assert!(describe_certificate(key)
            .unwrap_err()
            .contains("no -----BEGIN CERTIFICATE"));
    }

    #[test]
    fn self_signed_tls_client_auth_needs_a_registered_key() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::default();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "svc");
        let cert = params.self_signed(&key).unwrap().der().to_vec();
        let spki = rcgen::PublicKeyData::subject_public_key_info(&key);
        assert_eq!(verify_self_signed(&cert, [spki.as_slice()], now()), Ok(0));
        let other =
            rcgen::PublicKeyData::subject_public_key_info(&rcgen::KeyPair::generate().unwrap());
        assert_eq!(
            verify_self_signed(&cert, [other.as_slice()], now()),
            Err(CertificateRefusal::KeyNotRegistered)
        );
        assert_eq!(
            verify_self_signed(&cert, [], now()),
            Err(CertificateRefusal::KeyNotRegistered)
        );
    }

    #[test]
    fn expected_dns_are_checked_when_saved() {
        assert!(check_expected_dn("CN=svc,O=acme", false).is_ok());
        assert!(check_expected_dn("CN", false).is_err());
        assert!(check_expected_dn("CN=svc-[0-9]+", true).is_ok());
        let e = check_expected_dn("CN=(unclosed", true).unwrap_err();
        assert!(e.contains("does not compile"), "{e}");
    }
}
