//! PEM uploads: "CERTIFICATE", "PUBLIC KEY" (SPKI) and "RSA PUBLIC KEY" (PKCS#1); any private
//! key block refuses the upload. A bare base64 body (Keycloak's form takes one) is read too.

use base64::engine::general_purpose::GeneralPurpose;
use base64::engine::{DecodePaddingMode, GeneralPurposeConfig};
use base64::Engine;

use super::{accept_spki, analyse, cert, der, ImportError, ImportedKey, KeyFormat};

const CERT_TAGS: [&str; 3] = ["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"];
const KEY_TAGS: [&str; 2] = ["PUBLIC KEY", "RSA PUBLIC KEY"];

const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn has_begin(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

/// A PEM file (or a bare base64 DER certificate / public key), by its first block.
pub(super) fn detect(text: &[u8]) -> Option<KeyFormat> {
    if let Some(start) = text.windows(11).position(|w| w == b"-----BEGIN ") {
        let label = &text[start + 11..];
        let end = label.windows(5).position(|w| w == b"-----")?;
        let label = std::str::from_utf8(&label[..end]).ok()?;
        return Some(if CERT_TAGS.contains(&label) {
            KeyFormat::CertificatePem
        } else {
            KeyFormat::PublicKeyPem
        });
    }
    bare(text).map(|(format, _)| format)
}

/// A base64 body without PEM lines: a DER certificate or SPKI / PKCS#1 public key.
fn bare(text: &[u8]) -> Option<(KeyFormat, Vec<u8>)> {
    if text.len() < 16 {
        return None;
    }
    let compact: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let der = BASE64.decode(compact).ok()?;
    if der.first() != Some(&0x30) {
        return None;
    }
    if x509_parser::parse_x509_certificate(&der).is_ok_and(|(rest, _)| rest.is_empty()) {
        Some((KeyFormat::CertificatePem, der))
    } else if analyse(&der).is_ok() || analyse(&der::wrap_pkcs1(&der)).is_ok() {
        Some((KeyFormat::PublicKeyPem, der))
    } else {
        None
    }
}

fn pem_error(e: ::pem::PemError) -> ImportError {
    use ::pem::PemError::*;
    ImportError::Malformed(match e {
        MismatchedTags(begin, end) => format!(
            "malformed PEM: BEGIN {} ends with END {}",
            super::quoted(&begin),
            super::quoted(&end)
        ),
        InvalidData(_) => "malformed PEM: the body is not base64".into(),
        MissingEndTag => "malformed PEM: no END line".into(),
        MissingData => "malformed PEM: the body is empty".into(),
        _ => "malformed PEM: bad BEGIN/END lines".into(),
    })
}

/// A public key from an RSA PKCS#1, re-encoded as canonical SPKI.
fn pkcs1_to_spki(pkcs1: &[u8]) -> Result<Vec<u8>, ImportError> {
    let c = analyse(&der::wrap_pkcs1(pkcs1))
        .map_err(|_| ImportError::Malformed("malformed PEM: not an RSA public key".into()))?;
    Ok(der::rsa_spki(&c.a, &c.b))
}

fn key(spki_der: Vec<u8>, certificate_der: Option<Vec<u8>>, format: KeyFormat) -> ImportedKey {
    ImportedKey {
        kid: None,
        alg: None,
        spki_der,
        certificate_der,
        format,
        alias: None,
    }
}

fn from_block(tag: &str, der: &[u8]) -> Result<ImportedKey, ImportError> {
    match tag {
        "TRUSTED CERTIFICATE" => {
            let own = cert::own_der(der)?;
            let spki = cert::spki(&own, false)?;
            accept_spki(&spki)?;
            Ok(key(spki, Some(own), KeyFormat::CertificatePem))
        }
        t if CERT_TAGS.contains(&t) => {
            let spki = cert::spki(der, false)?;
            accept_spki(&spki)?;
            Ok(key(spki, Some(der.to_vec()), KeyFormat::CertificatePem))
        }
        "PUBLIC KEY" => {
            // Kept as uploaded (what Keycloak hashes for its kid).
            accept_spki(der)?;
            Ok(key(der.to_vec(), None, KeyFormat::PublicKeyPem))
        }
        _ => {
            let spki = pkcs1_to_spki(der)?;
            accept_spki(&spki)?;
            Ok(key(spki, None, KeyFormat::PublicKeyPem))
        }
    }
}

/// The first certificate or public key of a PEM file.
pub(super) fn import(bytes: &[u8]) -> Result<ImportedKey, ImportError> {
    if !has_begin(bytes) {
        let (format, der) = bare(bytes.trim_ascii()).ok_or(ImportError::NotPem)?;
        return match format {
            KeyFormat::CertificatePem => from_block("CERTIFICATE", &der),
            _ if analyse(&der).is_ok() => from_block("PUBLIC KEY", &der),
            _ => from_block("RSA PUBLIC KEY", &der),
        };
    }
    let blocks = ::pem::parse_many(bytes).map_err(pem_error)?;
    if blocks.iter().any(|b| b.tag().contains("PRIVATE KEY")) {
        return Err(ImportError::PrivateKey);
    }
    let block = blocks
        .iter()
        .find(|b| CERT_TAGS.contains(&b.tag()) || KEY_TAGS.contains(&b.tag()))
        .ok_or(ImportError::NotPem)?;
    from_block(block.tag(), block.contents())
}

#[cfg(test)]
mod tests {
    use super::super::testdata::*;
    use super::super::*;

    #[test]
    fn public_key_pem_of_each_key_type_is_accepted() {
        let files: [&[u8]; 5] = [
            fixture!("rsa2048-pub.pem"),
            fixture!("p256-pub.pem"),
            fixture!("p384-pub.pem"),
            fixture!("p521-pub.pem"),
            fixture!("ed25519-pub.pem"),
        ];
        for file in files {
            let k = one(file);
            assert_eq!(k.format, KeyFormat::PublicKeyPem);
            assert_eq!(k.spki_der, pem_der(file));
            assert_eq!(k.certificate_der, None);
        }
    }

    #[test]
    fn pkcs1_rsa_public_key_becomes_spki() {
        let k = one(fixture!("rsa2048-pkcs1.pem"));
        assert_eq!(k.spki_der, pem_der(fixture!("rsa2048-pub.pem")));
        assert_eq!(k.format, KeyFormat::PublicKeyPem);
    }

    #[test]
    fn private_keys_are_refused() {
        for file in [
            fixture!("p256-private-pkcs8.pem"),
            fixture!("p256-private-sec1.pem"),
            fixture!("rsa1024-private-pkcs1.pem"),
            fixture!("p256-private-encrypted.pem"),
        ] {
            let e = err(file);
            assert_eq!(e, ImportError::PrivateKey);
            assert_eq!(
                e.to_string(),
                "this is a private key: upload the public key"
            );
        }
        // Also beside a certificate (a "bundle" with the key).
        let both = [
            fixture!("p256-cert.pem"),
            fixture!("p256-private-pkcs8.pem"),
        ]
        .concat();
        assert_eq!(err(&both), ImportError::PrivateKey);
    }

    #[test]
    fn refusals() {
        assert_eq!(
            err(fixture!("rsa1024-pub.pem")),
            ImportError::RsaTooSmall(1024)
        );
        let csr = b"-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n";
        assert_eq!(err(csr), ImportError::NotPem);
        assert_eq!(err(csr).to_string(), "not a PEM certificate or public key");
        let bad = b"-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n";
        assert_eq!(
            err(bad).to_string(),
            "malformed PEM: the body is not base64"
        );
        let garbage = public_key_pem(b"\x30\x03\x02\x01\x01");
        assert!(matches!(err(garbage.as_bytes()), ImportError::Malformed(_)));
        // An SPKI of an algorithm Keyward does not verify with: X25519 (RFC 8410).
        let x25519 = public_key_pem(
            &[
                &[
                    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00,
                ][..],
                &[9u8; 32],
            ]
            .concat(),
        );
        assert_eq!(
            err(x25519.as_bytes()).to_string(),
            "unsupported key type \"X25519\""
        );
        // An EC point that is not on its curve.
        let mut der = pem_der(fixture!("p256-pub.pem"));
        let last = der.len() - 1;
        der[last] ^= 1;
        assert_eq!(
            err(public_key_pem(&der).as_bytes()).to_string(),
            "the EC point is not on P-256"
        );
    }

    #[test]
    fn chains_and_bare_base64() {
        // The first certificate of a chain is the key.
        let chain = [fixture!("p384-cert.pem"), fixture!("rsa2048-cert.pem")].concat();
        let k = one(&chain);
        assert_eq!(k.spki_der, pem_der(fixture!("p384-pub.pem")));
        // Text around the blocks (openssl x509 -text) is ignored.
        let texty = [
            b"Certificate:\n  Data: ...\n".as_slice(),
            fixture!("p256-cert.pem"),
        ]
        .concat();
        assert_eq!(one(&texty).spki_der, pem_der(fixture!("p256-pub.pem")));
        // A bare base64 body, as pasted into Keycloak's certificate field.
        let body = |pem: &[u8]| -> Vec<u8> {
            String::from_utf8_lossy(pem)
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<Vec<_>>()
                .join("\n")
                .into_bytes()
        };
        let k = one(&body(fixture!("ed25519-cert.pem")));
        assert_eq!(k.format, KeyFormat::CertificatePem);
        let k = one(&body(fixture!("rsa2048-pub.pem")));
        assert_eq!(k.format, KeyFormat::PublicKeyPem);
        let k = one(&body(fixture!("rsa2048-pkcs1.pem")));
        assert_eq!(k.spki_der, pem_der(fixture!("rsa2048-pub.pem")));
        // OpenSSL's TRUSTED CERTIFICATE (trust settings after the DER).
        let der = pem_der(fixture!("p256-cert.pem"));
        let trusted = ::pem::encode(&::pem::Pem::new(
            "TRUSTED CERTIFICATE",
            [der.as_slice(), &[0x30, 0x00]].concat(),
        ));
        assert_eq!(one(trusted.as_bytes()).certificate_der, Some(der));
    }
}
