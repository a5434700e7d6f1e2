//! PKCS#12 keystores, read with `p12-keystore` (PBES2/AES and the legacy PBE-SHA1-3DES and
//! PBE-SHA1-RC2-40 schemes; SHA-1/SHA-2 MACs). Only certificates are taken: the leaf certificate
//! of each private key and the trusted certificates; the decrypted private keys are dropped.

use p12_keystore::error::Error as P12Error;
use p12_keystore::Pkcs12Archive;

use super::{ImportError, StoreEntry};

/// A DER SEQUENCE whose first element is INTEGER 3 (the PFX version).
pub(super) fn looks_like(bytes: &[u8]) -> bool {
    let Some((&0x30, rest)) = bytes.split_first() else {
        return false;
    };
    let body = match rest.split_first() {
        Some((&len, body)) if len < 0x80 => body,
        // Indefinite length (BER, some old tools).
        Some((&0x80, body)) => body,
        Some((&len, body)) if (0x81..=0x84).contains(&len) => {
            body.get(usize::from(len - 0x80)..).unwrap_or_default()
        }
        _ => return false,
    };
    body.starts_with(&[0x02, 0x01, 0x03])
}

fn map_error(e: P12Error) -> ImportError {
    match e {
        // The MAC is computed from the password: a mismatch is a wrong password. Without a MAC, a
        // wrong password shows as bad padding or PBES2 failure when decrypting.
        P12Error::MacError(_) | P12Error::UnpadError | P12Error::Pkcs5Error(_) => {
            ImportError::WrongPassword
        }
        P12Error::UnsupportedEncryptionScheme
        | P12Error::UnsupportedMacAlgorithm
        | P12Error::UnsupportedContentType => ImportError::Unsupported(
            "this PKCS12 file uses an encryption or MAC scheme Keyward cannot read: export it \
             again with AES-256 (OpenSSL 3 and keytool defaults)"
                .into(),
        ),
        P12Error::InvalidParameters => ImportError::Malformed(
            "malformed PKCS12 keystore: invalid encryption parameters (or over 1,000,000 \
             iterations)"
                .into(),
        ),
        P12Error::X509Error(_) | P12Error::UnsupportedCertificateType => {
            ImportError::BadCertificate("a certificate in the keystore is not DER X.509".into())
        }
        P12Error::InvalidVersion => {
            ImportError::Malformed("malformed PKCS12 keystore: not PFX version 3".into())
        }
        _ => ImportError::Malformed("malformed PKCS12 keystore: not valid DER".into()),
    }
}

/// The entries of a PKCS12 keystore that the password opens: one per private key (alias: its
/// friendly name, else its certificate's, else the certificate subject) with its leaf
/// certificate, and one per trusted certificate (Java's trusted-certificate attribute). A file
/// with no private key at all (`openssl pkcs12 -export -nokeys`) lists all its certificates.
pub(super) fn read(bytes: &[u8], password: &str) -> Result<Vec<StoreEntry>, ImportError> {
    let archive = Pkcs12Archive::from_pkcs12(bytes, password).map_err(map_error)?;
    let mut entries = Vec::new();
    for key in &archive.keys {
        let leaf = key.local_key_id.as_ref().and_then(|id| {
            archive
                .certs
                .iter()
                .find(|c| c.local_key_id.as_deref() == Some(id.as_ref()))
        });
        let alias = key
            .friendly_name
            .clone()
            .or_else(|| leaf.and_then(|c| c.friendly_name.clone()))
            .or_else(|| leaf.map(|c| c.cert.subject().to_owned()))
            .unwrap_or_default();
        entries.push(StoreEntry {
            alias,
            certificate: leaf.map(|c| c.cert.as_der().to_vec()),
        });
    }
    let no_keys = archive.keys.is_empty();
    for c in &archive.certs {
        if c.local_key_id.is_none() && (c.trusted || no_keys) {
            entries.push(StoreEntry {
                alias: c
                    .friendly_name
                    .clone()
                    .unwrap_or_else(|| c.cert.subject().to_owned()),
                certificate: Some(c.cert.as_der().to_vec()),
            });
        }
    }
    // `archive` (with the decrypted private keys) is dropped here; nothing of it is kept.
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::super::testdata::*;
    use super::super::*;
    use super::*;

    fn p12<'a>(
        bytes: &'a [u8],
        password: Option<&'a str>,
        alias: Option<&'a str>,
    ) -> ImportRequest<'a> {
        ImportRequest {
            format: None,
            bytes,
            store_password: password,
            alias,
        }
    }

    #[test]
    fn keytool_pkcs12() {
        let keys = import(&p12(fixture!("keytool.p12"), Some("storepass1"), None)).unwrap();
        let aliases: Vec<_> = keys.iter().map(|k| k.alias.as_deref().unwrap()).collect();
        assert_eq!(aliases, ["billing", "partner"]);
        assert!(keys.iter().all(|k| k.format == KeyFormat::Pkcs12));
        assert_eq!(
            keys[0].certificate_der,
            Some(pem_der(fixture!("keytool-p12-cert.pem")))
        );
        assert_eq!(
            client_jwt::key_kind(&keys[0].spki_der).unwrap(),
            KeyKind::Ec(Curve::P256)
        );
        // The trusted certificate is the Ed25519 fixture.
        assert_eq!(keys[1].spki_der, pem_der(fixture!("ed25519-pub.pem")));
    }

    #[test]
    fn openssl_modern_and_legacy() {
        let k = import(&p12(
            fixture!("openssl-modern.p12"),
            Some("storepass1"),
            None,
        ))
        .unwrap();
        assert_eq!(k.len(), 1);
        assert_eq!(k[0].alias.as_deref(), Some("client"));
        assert_eq!(k[0].spki_der, pem_der(fixture!("rsa2048-pub.pem")));
        assert_eq!(
            k[0].certificate_der,
            Some(pem_der(fixture!("rsa2048-cert.pem")))
        );
        // -legacy: PBE-SHA1-RC2-40 certificates, PBE-SHA1-3DES key, SHA-1 MAC.
        let k = import(&p12(
            fixture!("openssl-legacy.p12"),
            Some("storepass1"),
            None,
        ))
        .unwrap();
        assert_eq!(k[0].alias.as_deref(), Some("legacy"));
        assert_eq!(k[0].spki_der, pem_der(fixture!("p521-pub.pem")));
        // Certificates only, no friendly name: the subject names the entry.
        let k = import(&p12(
            fixture!("openssl-certs-only.p12"),
            Some("storepass1"),
            None,
        ))
        .unwrap();
        assert_eq!(k[0].spki_der, pem_der(fixture!("p384-pub.pem")));
        assert!(k[0].alias.as_deref().unwrap().contains("p384"));
    }

    #[test]
    fn passwords_and_aliases() {
        for f in [
            fixture!("keytool.p12"),
            fixture!("openssl-modern.p12"),
            fixture!("openssl-legacy.p12"),
        ] {
            let e = import(&p12(f, Some("wrong"), None)).unwrap_err();
            assert_eq!(e.to_string(), "wrong keystore password");
            assert_eq!(
                import(&p12(f, None, None)).unwrap_err(),
                ImportError::PasswordRequired
            );
        }
        let f = fixture!("keytool.p12");
        let k = import(&p12(f, Some("storepass1"), Some("partner"))).unwrap();
        assert_eq!(k.len(), 1);
        let e = import(&p12(f, Some("storepass1"), Some("nope"))).unwrap_err();
        assert_eq!(
            e,
            ImportError::AliasNotFound {
                alias: "nope".into(),
                available: vec!["billing".into(), "partner".into()]
            }
        );
    }

    #[test]
    fn damaged_files() {
        let f = fixture!("openssl-modern.p12");
        for n in (0..f.len()).step_by(7) {
            let r = ImportRequest {
                format: Some(KeyFormat::Pkcs12),
                ..p12(&f[..n], Some("storepass1"), None)
            };
            assert!(import(&r).is_err(), "{n}");
        }
        assert!(looks_like(&[0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x03]));
        assert!(looks_like(&[0x30, 0x80, 0x02, 0x01, 0x03]));
        assert!(!looks_like(&[0x30, 0x82, 0x01]));
        assert!(!looks_like(&[0x30, 0x85, 0, 0, 0, 0, 0, 0x02, 0x01, 0x03]));
        let r = ImportRequest {
            format: Some(KeyFormat::Pkcs12),
            ..p12(b"\x30\x03\x02\x01\x03", Some("x"), None)
        };
        assert!(matches!(import(&r).unwrap_err(), ImportError::Malformed(_)));
    }
}
