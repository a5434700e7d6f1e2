//! Secrets at rest: the master key ring (AES-256-GCM sealing with the key id beside every
//! ciphertext) and the peppered HMAC-SHA256 verifier of client secrets.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::{digest, hmac};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::{CryptoRng, RngCore};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Why a ciphertext could not be opened or a key could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("the value was sealed by master key {0}, which is not configured")]
    UnknownKey(String),
    #[error("the sealed value is corrupt or was sealed under another key")]
    Corrupt,
    #[error("{0}")]
    BadKey(String),
}

/// One 256-bit master key and its id (derived from the key, so the same key always has the
/// same id and a wrong key is recognised before any ciphertext is tried).
pub struct MasterKey {
    id: String,
    key: LessSafeKey,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({}, <redacted>)", self.id)
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(b"keyward master key id\0");
        ctx.update(bytes);
        let id = format!(
            "mk-{}",
            &URL_SAFE_NO_PAD.encode(ctx.finish().as_ref())[..12]
        );
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, bytes).expect("32-byte key"));
        MasterKey { id, key }
    }

    /// Parses base64 (standard alphabet) of exactly 32 bytes; `source` names where it came from.
    pub fn from_base64(text: &str, source: &str) -> Result<Self, SealError> {
        let raw = Zeroizing::new(
            STANDARD
                .decode(text.trim())
                .map_err(|_| SealError::BadKey(format!("{source} is not base64")))?,
        );
        let bytes: Zeroizing<[u8; 32]> =
            Zeroizing::new(raw.as_slice().try_into().map_err(|_| {
                SealError::BadKey(format!(
                    "{source} must be 32 bytes (base64), not {}",
                    raw.len()
                ))
            })?);
        Ok(Self::from_bytes(&bytes))
    }

    /// A fresh random key, returned with its base64 text (for the key file or the operator).
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> (Self, Zeroizing<String>) {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(bytes.as_mut());
        (
            Self::from_bytes(&bytes),
            Zeroizing::new(STANDARD.encode(bytes.as_ref())),
        )
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

/// A sealed value: `nonce || ciphertext || tag`, and the id of the key that sealed it.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealed({}, {} bytes)", self.key_id, self.bytes.len())
    }
}

/// The master keys a server knows: the first seals, every one opens. Rotation puts a new key
/// first and keeps the old ones until every ciphertext has been re-sealed.
#[derive(Debug)]
pub struct KeyRing {
    keys: Vec<MasterKey>,
}

impl KeyRing {
    pub fn new(keys: Vec<MasterKey>) -> Result<Self, SealError> {
        if keys.is_empty() {
            return Err(SealError::BadKey("no master key".into()));
        }
        Ok(KeyRing { keys })
    }

    /// Reads a comma- or newline-separated list of base64 keys, primary first.
    pub fn parse(text: &str, source: &str) -> Result<Self, SealError> {
        let keys = text
            .split([',', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|k| MasterKey::from_base64(k, source))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(keys).map_err(|_| SealError::BadKey(format!("{source} holds no master key")))
    }

    pub fn primary(&self) -> &MasterKey {
        &self.keys[0]
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(MasterKey::id)
    }

    pub fn knows(&self, key_id: &str) -> bool {
        self.keys.iter().any(|k| k.id == key_id)
    }

    /// Seals `plain` under the primary key; `context` (e.g. "client-secret") is bound as
    /// associated data so a ciphertext cannot be moved to another purpose.
    pub fn seal<R: RngCore + CryptoRng>(&self, rng: &mut R, context: &str, plain: &[u8]) -> Sealed {
        let key = self.primary();
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let mut buf = plain.to_vec();
        key.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut buf,
            )
            .expect("AES-GCM seal of an in-memory buffer");
        let mut bytes = nonce.to_vec();
        bytes.append(&mut buf);
        Sealed {
            key_id: key.id.clone(),
            bytes,
        }
    }

    /// Opens a sealed value with the key named by its id.
    pub fn open(&self, context: &str, sealed: &Sealed) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let key = self
            .keys
            .iter()
            .find(|k| k.id == sealed.key_id)
            .ok_or_else(|| SealError::UnknownKey(sealed.key_id.clone()))?;
        if sealed.bytes.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(SealError::Corrupt);
        }
        let (nonce, rest) = sealed.bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Corrupt)?;
        let mut buf = Zeroizing::new(rest.to_vec());
        let len = key
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), buf.as_mut_slice())
            .map_err(|_| SealError::Corrupt)?
            .len();
        buf.truncate(len);
        Ok(buf)
    }

    /// Re-seals a value under the primary key (master-key rotation). Values already under the
    /// primary are returned unchanged.
    pub fn reseal<R: RngCore + CryptoRng>(
        &self,
        rng: &mut R,
        context: &str,
        sealed: &Sealed,
    ) -> Result<Option<Sealed>, SealError> {
        if sealed.key_id == self.primary().id {
            return Ok(None);
        }
        let plain = self.open(context, sealed)?;
        Ok(Some(self.seal(rng, context, &plain)))
    }
}

/// Associated-data labels: a ciphertext opens only for the purpose it was sealed for.
pub mod context {
    pub const PEPPER: &str = "keyward/pepper";
    pub const CLIENT_SECRET: &str = "keyward/client-secret";
    pub const REALM_KEY: &str = "keyward/realm-key";
    pub const WEBHOOK_SECRET: &str = "keyward/webhook-secret";
}

/// The server pepper: a random 256-bit HMAC key, sealed under the master key in the database.
pub struct Pepper(hmac::Key);

impl std::fmt::Debug for Pepper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pepper(<redacted>)")
    }
}

/// HMAC-SHA256(pepper, secret): what is stored to verify a client secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier(pub [u8; 32]);

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Verifier(..)")
    }
}

impl Verifier {
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Verifier)
    }

    /// Constant-time equality.
    pub fn ct_eq(&self, other: &Verifier) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Pepper {
    pub const LEN: usize = 32;

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SealError> {
        if bytes.len() != Self::LEN {
            return Err(SealError::Corrupt);
        }
        Ok(Pepper(hmac::Key::new(hmac::HMAC_SHA256, bytes)))
    }

    /// New random pepper bytes (to be sealed and stored once).
    pub fn generate_bytes<R: RngCore + CryptoRng>(rng: &mut R) -> Zeroizing<Vec<u8>> {
        let mut bytes = Zeroizing::new(vec![0u8; Self::LEN]);
        rng.fill_bytes(&mut bytes);
        bytes
    }

    pub fn verifier(&self, secret: &str) -> Verifier {
        let tag = hmac::sign(&self.0, secret.as_bytes());
        Verifier(tag.as_ref().try_into().expect("SHA-256 tag is 32 bytes"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn ring(seeds: &[u8]) -> KeyRing {
        KeyRing::new(
            seeds
                .iter()
                .map(|s| MasterKey::from_bytes(&[*s; 32]))
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn seal_and_open_round_trip_with_key_id() {
        let mut rng = StdRng::seed_from_u64(1);
        let r = ring(&[1]);
        let s = r.seal(&mut rng, context::CLIENT_SECRET, b"top secret");
        assert_eq!(s.key_id, r.primary().id());
        assert!(!s.bytes.windows(10).any(|w| w == b"top secret"));
        assert_eq!(
            r.open(context::CLIENT_SECRET, &s).unwrap().as_slice(),
            b"top secret"
        );
        // Same plaintext twice: different nonces, different ciphertexts.
        let t = r.seal(&mut rng, context::CLIENT_SECRET, b"top secret");
        assert_ne!(s.bytes, t.bytes);
    }

    #[test]
    fn tampering_wrong_context_and_wrong_key_are_refused() {
        let mut rng = StdRng::seed_from_u64(2);
        let r = ring(&[1]);
        let mut s = r.seal(&mut rng, context::CLIENT_SECRET, b"value");
        assert_eq!(r.open(context::PEPPER, &s), Err(SealError::Corrupt));
        let other = ring(&[2]);
        assert_eq!(
            other.open(context::CLIENT_SECRET, &s),
            Err(SealError::UnknownKey(s.key_id.clone()))
        );
        let last = s.bytes.len() - 1;
        s.bytes[last] ^= 1;
        assert_eq!(r.open(context::CLIENT_SECRET, &s), Err(SealError::Corrupt));
        s.bytes.truncate(5);
        assert_eq!(r.open(context::CLIENT_SECRET, &s), Err(SealError::Corrupt));
    }

    #[test]
    fn rotation_reseals_under_the_new_primary() {
        let mut rng = StdRng::seed_from_u64(3);
        let old = ring(&[1]);
        let s = old.seal(&mut rng, context::PEPPER, b"pepper bytes");
        let rotated = ring(&[9, 1]);
        let new = rotated
            .reseal(&mut rng, context::PEPPER, &s)
            .unwrap()
            .unwrap();
        assert_eq!(new.key_id, rotated.primary().id());
        assert_eq!(
            ring(&[9]).open(context::PEPPER, &new).unwrap().as_slice(),
            b"pepper bytes"
        );
        assert_eq!(
            rotated.reseal(&mut rng, context::PEPPER, &new).unwrap(),
            None
        );
    }

    #[test]
    fn key_ids_are_stable_and_distinct() {
        assert_eq!(
            MasterKey::from_bytes(&[7; 32]).id(),
            MasterKey::from_bytes(&[7; 32]).id()
        );
        assert_ne!(
            MasterKey::from_bytes(&[7; 32]).id(),
            MasterKey::from_bytes(&[8; 32]).id()
        );
        assert!(!format!("{:?}", MasterKey::from_bytes(&[7; 32])).contains("7, 7"));
    }

    #[test]
    fn key_ring_parsing() {
        let a = STANDARD.encode([1u8; 32]);
        let b = STANDARD.encode([2u8; 32]);
        let r = KeyRing::parse(&format!("{a}, {b}\n"), "KEYWARD_MASTER_KEY").unwrap();
        assert_eq!(r.ids().count(), 2);
        assert_eq!(r.primary().id(), MasterKey::from_bytes(&[1; 32]).id());
        let e = KeyRing::parse("not base64!", "KEYWARD_MASTER_KEY").unwrap_err();
        assert_eq!(e.to_string(), "KEYWARD_MASTER_KEY is not base64");
        let e = KeyRing::parse(&STANDARD.encode([1u8; 16]), "KEYWARD_MASTER_KEY").unwrap_err();
        assert!(e.to_string().contains("must be 32 bytes"), "{e}");
        assert!(KeyRing::parse(" , ", "X").is_err());
    }

    /// RFC 4231 test case 2 (HMAC-SHA256 with key "Jefe") pins the verifier to HMAC-SHA256.
    #[test]
    fn verifier_is_hmac_sha256_rfc4231() {
        let pepper = Pepper(hmac::Key::new(hmac::HMAC_SHA256, b"Jefe"));
        let v = pepper.verifier("what do ya want for nothing?");
        let hex: String = v.0.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verifiers_compare_in_constant_time_and_depend_on_the_pepper() {
        let p1 = Pepper::from_bytes(&[1; 32]).unwrap();
        let p2 = Pepper::from_bytes(&[2; 32]).unwrap();
        assert!(p1.verifier("s").ct_eq(&p1.verifier("s")));
        assert!(!p1.verifier("s").ct_eq(&p1.verifier("t")));
        assert!(!p1.verifier("s").ct_eq(&p2.verifier("s")));
        assert!(Pepper::from_bytes(&[1; 31]).is_err());
    }
}
