//! A small reader of Java's JKS keystore (Sun's `JavaKeyStore`): it takes the certificates and
//! skips the protected private keys, which it never decrypts. And a writer of one private-key
//! entry, for generated keys (`generate`).
//!
//! Layout (big-endian): magic 0xFEEDFEED, version 1 or 2, entry count, then per entry a tag
//! (1 = private key: alias, timestamp, protected key bytes, certificate chain; 2 = trusted
//! certificate: alias, timestamp, certificate), and last the SHA-1 of the UTF-16BE password,
//! "Mighty Aphrodite" and everything before the digest. Version 2 names each certificate's type.
//! Aliases are Java "modified UTF-8". Every length is checked against the bytes left before use.

use aws_lc_rs::digest;

use super::{der, ImportError, StoreEntry};

pub(super) const MAGIC: u32 = 0xFEED_FEED;
pub(super) const JCEKS_MAGIC: u32 = 0xCECE_CECE;
const WHITENER: &[u8] = b"Mighty Aphrodite";
const DIGEST_LEN: usize = 20;

fn malformed(what: &str) -> ImportError {
    ImportError::Malformed(format!("malformed JKS keystore: {what}"))
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ImportError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.data.len())
            .ok_or_else(|| malformed("it is truncated"))?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ImportError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u16(&mut self) -> Result<u16, ImportError> {
        self.array().map(u16::from_be_bytes)
    }

    fn u32(&mut self) -> Result<u32, ImportError> {
        self.array().map(u32::from_be_bytes)
    }

    fn len(&mut self) -> Result<usize, ImportError> {
        usize::try_from(self.u32()?).map_err(|_| malformed("a length is too large"))
    }

    /// `DataInput.readUTF`: a 16-bit length and modified UTF-8.
    fn utf(&mut self) -> Result<String, ImportError> {
        let n = usize::from(self.u16()?);
        modified_utf8(self.take(n)?).ok_or_else(|| malformed("an alias is not valid UTF-8"))
    }

    /// A certificate of the chain: (version 2) its type, then its length-prefixed DER.
    fn certificate(&mut self, version: u32) -> Result<&'a [u8], ImportError> {
        if version == 2 {
            let kind = self.utf()?;
            if kind != "X.509" {
                return Err(ImportError::Unsupported(format!(
                    "unsupported certificate type {} in the keystore",
                    super::quoted(&kind)
                )));
            }
        }
        let n = self.len()?;
        self.take(n)
    }
}

/// Java's modified UTF-8 (NUL as C0 80, supplementary characters as surrogate pairs).
fn modified_utf8(bytes: &[u8]) -> Option<String> {
    let mut units: Vec<u16> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let cont = |j: usize| {
            bytes
                .get(j)
                .filter(|c| *c & 0xC0 == 0x80)
                .map(|c| u16::from(c & 0x3F))
        };
        if b & 0x80 == 0 {
            units.push(u16::from(b));
            i += 1;
        } else if b & 0xE0 == 0xC0 {
            units.push((u16::from(b & 0x1F) << 6) | cont(i + 1)?);
            i += 2;
        } else if b & 0xF0 == 0xE0 {
            units.push((u16::from(b & 0x0F) << 12) | (cont(i + 1)? << 6) | cont(i + 2)?);
            i += 3;
        } else {
            return None;
        }
    }
    String::from_utf16(&units).ok()
}

/// The entries of a JKS keystore, after checking its integrity digest with `password`.
pub(super) fn read(bytes: &[u8], password: &str) -> Result<Vec<StoreEntry>, ImportError> {
    let mut r = Reader {
        data: bytes,
        pos: 0,
    };
    match r.u32()? {
        MAGIC => {}
        JCEKS_MAGIC => return Err(ImportError::Jceks),
        _ => return Err(malformed("it does not start with 0xFEEDFEED")),
    }
    let version = r.u32()?;
    if !(1..=2).contains(&version) {
        return Err(ImportError::Unsupported(format!(
            "unsupported JKS version {version}"
        )));
    }
    let count = r.u32()?;
    // No allocation from `count`: each entry takes bytes, so a false count ends at "truncated".
    let mut entries = Vec::new();
    for _ in 0..count {
        let tag = r.u32()?;
        let alias = r.utf()?;
        let _timestamp = r.take(8)?;
        match tag {
            1 => {
                let key_len = r.len()?;
                r.take(key_len)?; // The protected private key: skipped, never decrypted.
                let chain = r.u32()?;
                let mut leaf = None;
                for i in 0..chain {
                    let der = r.certificate(version)?;
                    if i == 0 {
                        leaf = Some(der.to_vec());
                    }
                }
                entries.push(StoreEntry {
                    alias,
                    certificate: leaf,
                });
            }
            2 => {
                let der = r.certificate(version)?;
                entries.push(StoreEntry {
                    alias,
                    certificate: Some(der.to_vec()),
                });
            }
            other => return Err(malformed(&format!("unknown entry type {other}"))),
        }
    }
    let data_end = r.pos;
    let stored = r.take(DIGEST_LEN)?;
    if r.pos != bytes.len() {
        return Err(malformed("bytes follow the integrity digest"));
    }
    if integrity_digest(password, &bytes[..data_end]).as_ref() != stored {
        return Err(ImportError::WrongPassword);
    }
    Ok(entries)
}

/// SHA-1(UTF-16BE password ‖ "Mighty Aphrodite" ‖ data), as `JavaKeyStore.getPreKeyedHash`.
fn integrity_digest(password: &str, data: &[u8]) -> digest::Digest {
    let utf16 = utf16be(password);
    let mut ctx = digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(&utf16);
    ctx.update(WHITENER);
    ctx.update(data);
    ctx.finish()
}

/// Sun's key-protection algorithm (`sun.security.provider.KeyProtector`).
const KEY_PROTECTOR_OID: &[u8] = &[0x2B, 0x06, 0x01, 0x04, 0x01, 0x2A, 0x02, 0x11, 0x01, 0x01];
const SALT_LEN: usize = 20;

/// A password as `KeyProtector` and `getPreKeyedHash` take it: UTF-16BE, two bytes per unit.
fn utf16be(password: &str) -> zeroize::Zeroizing<Vec<u8>> {
    zeroize::Zeroizing::new(password.encode_utf16().flat_map(u16::to_be_bytes).collect())
}

/// XORs `data` with Sun's SHA-1 keystream: d1 = SHA1(pw ‖ salt), d(i) = SHA1(pw ‖ d(i-1)).
fn keystream_xor(password: &[u8], salt: &[u8], data: &mut [u8]) {
    let mut digest = salt.to_vec();
    for chunk in data.chunks_mut(DIGEST_LEN) {
        let mut ctx = digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY);
        ctx.update(password);
        ctx.update(&digest);
        digest = ctx.finish().as_ref().to_vec();
        chunk.iter_mut().zip(&digest).for_each(|(b, k)| *b ^= k);
    }
}

fn sha1_of(password: &[u8], data: &[u8]) -> digest::Digest {
    let mut ctx = digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(password);
    ctx.update(data);
    ctx.finish()
}

/// `KeyProtector.protect`: an EncryptedPrivateKeyInfo (OID 1.3.6.1.4.1.42.2.17.1.1, NULL
/// parameters) holding salt ‖ (PKCS#8 XOR keystream) ‖ SHA1(pw ‖ PKCS#8).
fn protect(pkcs8: &[u8], key_password: &str, salt: &[u8; SALT_LEN]) -> Vec<u8> {
    let pw = utf16be(key_password);
    let mut sealed =
        zeroize::Zeroizing::new(Vec::with_capacity(SALT_LEN + pkcs8.len() + DIGEST_LEN));
    sealed.extend_from_slice(salt);
    sealed.extend_from_slice(pkcs8);
    keystream_xor(&pw, salt, &mut sealed[SALT_LEN..]);
    sealed.extend_from_slice(sha1_of(&pw, pkcs8).as_ref());
    let algorithm = [der::tlv(0x06, KEY_PROTECTOR_OID), vec![0x05, 0x00]].concat();
    der::tlv(
        0x30,
        &[der::tlv(0x30, &algorithm), der::tlv(0x04, &sealed)].concat(),
    )
}

/// `DataOutput.writeUTF`: a 16-bit length and modified UTF-8 (NUL as C0 80, supplementary
/// characters as two 3-byte surrogates). None when longer than 65535 bytes.
fn write_utf(out: &mut Vec<u8>, s: &str) -> Option<()> {
    let mut bytes = Vec::with_capacity(s.len());
    for unit in s.encode_utf16() {
        match unit {
            1..=0x7F => bytes.push(unit as u8),
            0 | 0x80..=0x7FF => {
                bytes.push(0xC0 | (unit >> 6) as u8);
                bytes.push(0x80 | (unit & 0x3F) as u8);
            }
            _ => {
                bytes.push(0xE0 | (unit >> 12) as u8);
                bytes.push(0x80 | ((unit >> 6) & 0x3F) as u8);
                bytes.push(0x80 | (unit & 0x3F) as u8);
            }
        }
    }
    out.extend_from_slice(&u16::try_from(bytes.len()).ok()?.to_be_bytes());
    out.extend_from_slice(&bytes);
    Some(())
}

/// A JKS keystore (version 2) with one private-key entry, as `JavaKeyStore.engineStore` writes
/// it: the key sealed with `key_password` by Sun's `KeyProtector`, the certificate chain, and the
/// integrity digest keyed with `store_password`. `timestamp_ms` is the entry's creation date.
/// None only when the alias or a certificate does not fit the format's length fields.
pub(super) fn write(
    alias: &str,
    timestamp_ms: i64,
    pkcs8: &[u8],
    chain: &[&[u8]],
    store_password: &str,
    key_password: &str,
    salt: &[u8; SALT_LEN],
) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    let protected = protect(pkcs8, key_password, salt);
    let mut out = zeroize::Zeroizing::new(Vec::with_capacity(protected.len() + 2048));
    out.extend_from_slice(&MAGIC.to_be_bytes());
    out.extend_from_slice(&2u32.to_be_bytes());
    out.extend_from_slice(&1u32.to_be_bytes());
    out.extend_from_slice(&1u32.to_be_bytes()); // tag: private key entry
    write_utf(&mut out, alias)?;
    out.extend_from_slice(&timestamp_ms.to_be_bytes());
    out.extend_from_slice(&u32::try_from(protected.len()).ok()?.to_be_bytes());
    out.extend_from_slice(&protected);
    out.extend_from_slice(&u32::try_from(chain.len()).ok()?.to_be_bytes());
    for cert in chain {
        write_utf(&mut out, "X.509")?;
        out.extend_from_slice(&u32::try_from(cert.len()).ok()?.to_be_bytes());
        out.extend_from_slice(cert);
    }
    let digest = integrity_digest(store_password, &out);
    out.extend_from_slice(digest.as_ref());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::super::testdata::*;
    use super::super::*;
    use super::*;

    fn jks<'a>(
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
    fn keytool_jks_gives_the_same_spki_as_openssl() {
        let keys = import(&jks(fixture!("rsa2048.jks"), Some("storepass1"), None)).unwrap();
        let aliases: Vec<_> = keys.iter().map(|k| k.alias.as_deref().unwrap()).collect();
        assert_eq!(aliases, ["billing", "partner"]);
        assert!(keys
            .iter()
            .all(|k| k.format == KeyFormat::Jks && k.kid.is_none()));
        // The private-key entry's certificate: its SPKI is what `openssl x509 -pubkey` prints.
        assert_eq!(keys[0].spki_der, pem_der(fixture!("billing-pub.pem")));
        assert_eq!(
            keys[0].certificate_der,
            Some(pem_der(fixture!("billing-cert.pem")))
        );
        // The trusted certificate entry (the P-256 fixture certificate).
        assert_eq!(
            keys[1].certificate_der,
            Some(pem_der(fixture!("p256-cert.pem")))
        );
        assert_eq!(keys[1].spki_der, pem_der(fixture!("p256-pub.pem")));
    }

    #[test]
    fn alias_selection() {
        let f = fixture!("rsa2048.jks");
        let k = import(&jks(f, Some("storepass1"), Some("partner"))).unwrap();
        assert_eq!(k.len(), 1);
        assert_eq!(k[0].alias.as_deref(), Some("partner"));
        // Java lower-cases JKS aliases: any case finds the entry.
        let k = import(&jks(f, Some("storepass1"), Some("Billing"))).unwrap();
        assert_eq!(k[0].alias.as_deref(), Some("billing"));
        let e = import(&jks(f, Some("storepass1"), Some("x"))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no entry \"x\" in the keystore; it holds: billing, partner"
        );
    }

    #[test]
    fn passwords() {
        let f = fixture!("rsa2048.jks");
        let e = import(&jks(f, Some("wrong"), None)).unwrap_err();
        assert_eq!(e, ImportError::WrongPassword);
        assert_eq!(e.to_string(), "wrong keystore password");
        let e = import(&jks(f, None, None)).unwrap_err();
        assert_eq!(e.to_string(), "this keystore needs its store password");
        // A non-ASCII password (UTF-16 in the digest) and an EC P-384 key.
        let f = fixture!("ec-nonascii.jks");
        let k = import(&jks(f, Some("pässwörd€"), None)).unwrap();
        assert_eq!(k[0].alias.as_deref(), Some("eckey"));
        assert_eq!(
            client_jwt::key_kind(&k[0].spki_der).unwrap(),
            KeyKind::Ec(Curve::P384)
        );
        assert_eq!(
            import(&jks(f, Some("passwörd€"), None)).unwrap_err(),
            ImportError::WrongPassword
        );
    }

    #[test]
    fn damaged_files() {
        let f = fixture!("rsa2048.jks");
        // Every truncation is refused without panicking.
        for n in 0..f.len() {
            let r = jks(&f[..n], Some("storepass1"), None);
            let r = ImportRequest {
                format: Some(KeyFormat::Jks),
                ..r
            };
            assert!(import(&r).is_err(), "{n}");
        }
        // A flipped bit in the data: the digest no longer matches.
        let mut d = f.to_vec();
        d[f.len() - 100] ^= 1;
        assert!(import(&jks(&d, Some("storepass1"), None)).is_err());
        // A huge certificate length.
        let mut d = f.to_vec();
        d.extend_from_slice(&[0]);
        assert_eq!(
            import(&jks(&d, Some("storepass1"), None))
                .unwrap_err()
                .to_string(),
            "malformed JKS keystore: bytes follow the integrity digest"
        );
        let jceks = [0xCE, 0xCE, 0xCE, 0xCE, 0, 0, 0, 2, 0, 0, 0, 0];
        assert_eq!(
            import(&jks(&jceks, Some("x"), None)).unwrap_err(),
            ImportError::Jceks
        );
        let v3 = [0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 3, 0, 0, 0, 0];
        assert_eq!(
            import(&jks(&v3, Some("x"), None)).unwrap_err().to_string(),
            "unsupported JKS version 3"
        );
        // A count of 4 billion entries in a tiny file.
        let many = [
            0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 2,
        ];
        assert!(import(&jks(&many, Some("x"), None)).is_err());
    }

    #[test]
    fn empty_keystore_holds_no_keys() {
        let mut store = vec![0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2, 0, 0, 0, 0];
        let d = integrity_digest("pw", &store);
        store.extend_from_slice(d.as_ref());
        assert_eq!(
            import(&jks(&store, Some("pw"), None)).unwrap_err(),
            ImportError::NoKeys
        );
        assert_eq!(
            import(&jks(&store, Some("pw"), Some("a")))
                .unwrap_err()
                .to_string(),
            "no entry \"a\" in the keystore; it holds no certificate"
        );
    }

    #[test]
    fn modified_utf8_aliases() {
        assert_eq!(modified_utf8(b"abc").as_deref(), Some("abc"));
        assert_eq!(modified_utf8(&[0xC0, 0x80]).as_deref(), Some("\0"));
        assert_eq!(modified_utf8("é€".as_bytes()).as_deref(), Some("é€"));
        // U+1F600 as a CESU-8 surrogate pair.
        assert_eq!(
            modified_utf8(&[0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80]).as_deref(),
            Some("😀")
        );
        assert_eq!(modified_utf8(&[0xC3]), None);
        assert_eq!(modified_utf8(&[0xF0, 0x9F, 0x98, 0x80]), None);
    }

    /// `KeyProtector.recover` of a protected key whose DER lengths take two bytes (keys of 236
    /// to 65,000 bytes): the PKCS#8 back, or None when the check digest fails.
    fn recover(protected: &[u8], password: &str) -> Option<Vec<u8>> {
        // SEQUENCE header (4), AlgorithmIdentifier (16), OCTET STRING header (4).
        let body = &protected[4 + 16 + 4..];
        let pw = utf16be(password);
        let (salt, rest) = body.split_at(SALT_LEN);
        let (sealed, check) = rest.split_at(rest.len() - DIGEST_LEN);
        let mut plain = sealed.to_vec();
        keystream_xor(&pw, salt, &mut plain);
        (sha1_of(&pw, &plain).as_ref() == check).then_some(plain)
    }

    #[test]
    fn writer_round_trip() {
        let cert = pem_der(fixture!("billing-cert.pem"));
        let pkcs8: Vec<u8> = (0..=255u8).cycle().take(1217).collect();
        let salt = [7u8; SALT_LEN];
        let store = write(
            "Mixed-Ключ😀",
            1_767_225_600_000,
            &pkcs8,
            &[&cert],
            "pässwörd€",
            "ключ",
            &salt,
        )
        .unwrap();
        let entries = read(&store, "pässwörd€").unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].alias, "Mixed-Ключ😀");
        assert_eq!(entries[0].certificate.as_deref(), Some(&cert[..]));
        assert!(matches!(
            read(&store, "passwörd€"),
            Err(ImportError::WrongPassword)
        ));
        // Header, tag, and the timestamp after the alias.
        assert_eq!(
            &store[..16],
            &[0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1]
        );
        // The key protector: the key comes back with the key password only.
        let protected = protect(&pkcs8, "ключ", &salt);
        assert!(store.windows(protected.len()).any(|w| w == &protected[..]));
        assert_eq!(recover(&protected, "ключ").as_deref(), Some(&pkcs8[..]));
        assert_eq!(recover(&protected, "ключ2"), None);
        assert_eq!(
            &protected[18..22],
            &[0x05, 0x00, 0x04, 0x82],
            "NULL parameters"
        );
        assert_eq!(
            &protected[..8],
            &[0x30, 0x82, 0x04, 0xFD, 0x30, 0x0E, 0x06, 0x0A],
            "SEQUENCE of 1277 bytes, AlgorithmIdentifier, OID"
        );
        // Too long an alias for writeUTF (over 65535 bytes).
        let long = "€".repeat(21_846);
        assert!(write(&long, 0, &pkcs8, &[&cert], "a", "b", &salt).is_none());
    }

    #[test]
    fn write_utf_is_modified_utf8() {
        for (s, want) in [
            ("abc", vec![0, 3, b'a', b'b', b'c']),
            ("\0", vec![0, 2, 0xC0, 0x80]),
            ("é", vec![0, 2, 0xC3, 0xA9]),
            ("😀", vec![0, 6, 0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80]),
        ] {
            let mut out = Vec::new();
            write_utf(&mut out, s).unwrap();
            assert_eq!(out, want, "{s}");
            assert_eq!(modified_utf8(&out[2..]).as_deref(), Some(s));
        }
    }
}
