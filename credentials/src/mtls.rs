//! Client certificates for RFC 8705 (issue 20, groundwork: not yet wired to a listener or the
//! token endpoint). Pure functions, no IO, no clock:
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
            let element = split_outside_quotes(value, ',')
                .into_iter()
                .rev()
                .find(|e| !e.trim().is_empty())
                .ok_or(ForwardedCertError::Empty)?;
            let cert = split_outside_quotes(element, ';')
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

/// Splits on `sep` where it is not inside double quotes.
fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
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
    let rdns = split_unescaped(dn.trim(), ',')?;
    if rdns.iter().all(|r| r.trim().is_empty()) {
        return Err(DnError::Empty);
    }
    let mut out = Vec::with_capacity(rdns.len());
    for rdn in rdns {
        let mut avas = Vec::new();
        for ava in split_unescaped(rdn, '+')? {
            let (ty, value) = ava
                .split_once('=')
                .ok_or_else(|| DnError::NotAPair(ava.trim().to_string()))?;
            avas.push(format!(
                "{}={}",
                canonical_type(ty)?,
                escape(&canonical_value(&unescape(value.trim())?))
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
    let registry = x509_parser::objects::oid_registry();
    let mut rdns = Vec::new();
    for rdn in cert.subject().iter() {
        let mut avas = Vec::new();
        for ava in rdn.iter() {
            let oid = ava.attr_type();
            let name = short_name(&oid.to_id_string())
                .map(str::to_string)
                .or_else(|| {
                    registry
                        .get(oid)
                        .map(|e| e.sn().to_string())
                        .filter(|s| s.chars().all(|c| c.is_ascii_alphanumeric()))
                })
                .unwrap_or_else(|| oid.to_id_string());
            let value = ava
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|_| format!("#{}", hex(ava.attr_value().data)));
            avas.push(format!("{name}={}", escape(&value)));
        }
        rdns.push(avas.join("+"));
    }
    // DER holds the RDNs most general first; RFC 4514 writes them most specific first.
    rdns.reverse();
    Ok(rdns.join(","))
}

/// SHA-256 thumbprint of a certificate, base64url without padding: the `x5t#S256` of RFC 8705's
/// `cnf` claim.
pub fn x5t_s256(certificate_der: &[u8]) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, certificate_der);
    URL_SAFE_NO_PAD.encode(digest.as_ref())
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

/// Splits on `sep` where it is not escaped with a backslash or inside double quotes.
fn split_unescaped(s: &str, sep: char) -> Result<Vec<&str>, DnError> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut chars = s.char_indices().peekable();
    let mut quoted = false;
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next().ok_or(DnError::BadEscape)?;
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
    Ok(parts)
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

/// Escapes the characters RFC 4514 §2.4 requires.
fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for (i, c) in v.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (i == 0 && matches!(c, '#' | ' '))
            || (i + 1 == v.chars().count() && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
}
