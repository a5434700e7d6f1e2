//! X.509 certificates: the public key they carry and the facts the console shows.

use x509_parser::certificate::X509Certificate;
use x509_parser::error::X509Error;
use x509_parser::nom;
use x509_parser::x509::X509Name;

use super::{x5t_s256, CertificateFacts, ImportError};

fn parse(der: &[u8], allow_trailing: bool) -> Result<X509Certificate<'_>, ImportError> {
    let (rest, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| {
        ImportError::BadCertificate(match e {
            nom::Err::Incomplete(_) => "it is truncated".into(),
            nom::Err::Error(e) | nom::Err::Failure(e) => describe(&e),
        })
    })?;
    if !rest.is_empty() && !allow_trailing {
        return Err(ImportError::BadCertificate(
            "bytes follow the certificate".into(),
        ));
    }
    Ok(cert)
}

fn describe(e: &X509Error) -> String {
    match e {
        X509Error::Der(_) | X509Error::NomError(_) => "it is not DER X.509".into(),
        other => other.to_string(),
    }
}

/// The SubjectPublicKeyInfo DER of a certificate, as the certificate carries it.
/// `allow_trailing`: OpenSSL's "TRUSTED CERTIFICATE" appends trust settings to the DER.
pub(super) fn spki(der: &[u8], allow_trailing: bool) -> Result<Vec<u8>, ImportError> {
    Ok(parse(der, allow_trailing)?.public_key().raw.to_vec())
}

/// The certificate's own DER when trailing bytes are allowed (the certificate alone).
pub(super) fn own_der(der: &[u8]) -> Result<Vec<u8>, ImportError> {
    let (rest, _) = x509_parser::parse_x509_certificate(der)
        .map_err(|_| ImportError::BadCertificate("it is not DER X.509".into()))?;
    Ok(der[..der.len() - rest.len()].to_vec())
}

pub(super) fn facts(der: &[u8]) -> Result<CertificateFacts, ImportError> {
    let cert = parse(der, false)?;
    let validity = cert.validity();
    Ok(CertificateFacts {
        subject: rfc4514(cert.subject()),
        issuer: rfc4514(cert.issuer()),
        serial: serial_hex(cert.raw_serial()),
        not_before: validity.not_before.timestamp(),
        not_after: validity.not_after.timestamp(),
        x5t_s256: x5t_s256(der),
    })
}

/// Lowercase hex without leading zeros, as Java's `BigInteger.toString(16)` (a negative serial,
/// which RFC 5280 forbids, is shown as its two's-complement bytes).
fn serial_hex(raw: &[u8]) -> String {
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let trimmed = hex.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".into()
    } else {
        trimmed.into()
    }
}

/// RFC 4514: the last RDN first, RDNs joined by ",", multi-valued RDNs by "+".
pub(crate) fn rfc4514(name: &X509Name<'_>) -> String {
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| {
                    let id = atv.attr_type().to_id_string();
                    let ty = match id.as_str() {
                        "2.5.4.3" => "CN",
                        "2.5.4.7" => "L",
                        "2.5.4.8" => "ST",
                        "2.5.4.10" => "O",
                        "2.5.4.11" => "OU",
                        "2.5.4.6" => "C",
                        "2.5.4.9" => "STREET",
                        "0.9.2342.19200300.100.1.25" => "DC",
                        "0.9.2342.19200300.100.1.1" => "UID",
                        other => other,
                    }
                    .to_owned();
                    let value = match atv.as_str() {
                        Ok(s) => escape(s),
                        Err(_) => {
                            let any = atv.attr_value();
                            let mut der = vec![any.tag().0 as u8];
                            der.extend(super::der::tlv(0, any.data)[1..].iter());
                            let hex: String = der.iter().map(|b| format!("{b:02x}")).collect();
                            format!("#{hex}")
                        }
                    };
                    format!("{ty}={value}")
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(",")
}

/// RFC 4514 §2.4 escaping.
pub(crate) fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            '\0' => out.push_str("\\00"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testdata::*;
    use super::super::*;
    use super::{escape, serial_hex};

    #[test]
    fn certificate_pem_of_each_key_type_is_accepted() {
        let files: [(&[u8], &[u8]); 5] = [
            (fixture!("rsa2048-cert.pem"), fixture!("rsa2048-pub.pem")),
            (fixture!("p256-cert.pem"), fixture!("p256-pub.pem")),
            (fixture!("p384-cert.pem"), fixture!("p384-pub.pem")),
            (fixture!("p521-cert.pem"), fixture!("p521-pub.pem")),
            (fixture!("ed25519-cert.pem"), fixture!("ed25519-pub.pem")),
        ];
        for (cert, public) in files {
            let k = one(cert);
            assert_eq!(k.format, KeyFormat::CertificatePem);
            assert_eq!(k.certificate_der, Some(pem_der(cert)));
            assert_eq!(k.spki_der, pem_der(public));
            assert_eq!((k.kid, k.alg, k.alias), (None, None, None));
        }
    }

    #[test]
    fn small_rsa_certificate_is_refused() {
        let e = err(fixture!("rsa1024-cert.pem"));
        assert_eq!(e, ImportError::RsaTooSmall(1024));
        assert_eq!(
            e.to_string(),
            "RSA key of 1024 bits: at least 2048 are required"
        );
    }

    #[test]
    fn broken_certificates() {
        let der = pem_der(fixture!("p256-cert.pem"));
        let cut = certificate_pem(&der[..der.len() - 10]);
        let e = err(cut.as_bytes());
        assert!(matches!(e, ImportError::BadCertificate(_)), "{e:?}");
        assert!(e
            .to_string()
            .starts_with("the certificate does not parse: "));
        let long = certificate_pem(&[der.as_slice(), &[0, 0]].concat());
        assert_eq!(
            err(long.as_bytes()).to_string(),
            "the certificate does not parse: bytes follow the certificate"
        );
        assert!(super::facts(&der[..10]).is_err());
    }

    #[test]
    fn names_and_serials() {
        assert_eq!(escape("a,b"), "a\\,b");
        assert_eq!(escape(" #x "), "\\ #x\\ ");
        assert_eq!(escape("#x"), "\\#x");
        assert_eq!(escape("Ünïcode+\"q\""), "Ünïcode\\+\\\"q\\\"");
        assert_eq!(serial_hex(&[0x00, 0x0a, 0xbc]), "abc");
        assert_eq!(serial_hex(&[0x00]), "0");
        let k = one(fixture!("billing-cert.pem"));
        let f = super::facts(k.certificate_der.as_deref().unwrap()).unwrap();
        assert_eq!(f.subject, "CN=billing");
    }
}
