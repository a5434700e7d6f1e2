//! Scannable client secrets (issue 22 §1), the format of every secret Keyward issues: `kw_` +
//! an optional realm-chosen segment and `_` + 64 random base62 characters + a 6-character
//! checksum, GitHub's token scheme, so a secret-scanner finds a
//! leaked Keyward secret with no false positives and Keyward refuses a mistyped one without a
//! database lookup.
//!
//! ```text
//! kw_[<segment>_]<64 × [0-9A-Za-z]><6 × [0-9A-Za-z]>
//! regex: \bkw_(?:[a-z0-9]{1,16}_)?[0-9A-Za-z]{70}\b
//! ```
//!
//! - The random part carries 64 × log2(62) ≈ 381 bits, and the whole secret is 73 bytes or more,
//!   long enough for the HS512 key a `client-secret-jwt` client may pin (64 bytes).
//! - The checksum is CRC32 (IEEE 802.3, the zlib/PNG one) of the random part only, written in
//!   base62 with the alphabet `0-9A-Za-z`, most significant digit first, left-padded with `0` to
//!   6 characters (62^6 > 2^32).
//!
//! Invariant: [`precheck`] says `BadChecksum` only for a value that has Keyward's exact shape and
//! a wrong checksum — something Keyward never issued, since every value it issues passes — so the
//! pre-check can never refuse a valid credential (an imported secret that merely starts with
//! `kw_` but has the wrong shape is `NotScannable` and verified like any other).

use rand::{CryptoRng, RngCore};

use crate::secret::SecretString;

/// Every scannable secret starts so.
pub const PREFIX: &str = "kw_";
/// Random base62 characters.
pub const RANDOM_LEN: usize = 64;
/// Checksum characters.
pub const CHECKSUM_LEN: usize = 6;
/// Longest realm-chosen segment.
pub const MAX_SEGMENT_LEN: usize = 16;
/// The regular expression scanners use (Rust/Go/Python `re` syntax).
pub const REGEX: &str = r"\bkw_(?:[a-z0-9]{1,16}_)?[0-9A-Za-z]{70}\b";

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// CRC32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zlib computes it.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// The checksum of a random part: its CRC32 in base62, 6 characters.
pub fn checksum(random: &str) -> String {
    let mut n = crc32(random.as_bytes());
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).unwrap_or_default()
}

/// Checks a realm-chosen segment: 1 to 16 lower-case letters and digits.
pub fn segment(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let ok = !s.is_empty()
        && s.len() <= MAX_SEGMENT_LEN
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "a secret prefix segment has 1 to {MAX_SEGMENT_LEN} lower-case letters and digits"
        ))
    }
}

/// A new scannable secret, optionally with a (checked) realm segment.
pub fn generate<R: RngCore + CryptoRng>(rng: &mut R, segment: Option<&str>) -> SecretString {
    let mut random = String::with_capacity(RANDOM_LEN);
    while random.len() < RANDOM_LEN {
        let mut byte = [0u8; 1];
        rng.fill_bytes(&mut byte);
        // 248 = 4 × 62: rejection keeps every character equally likely.
        if byte[0] < 248 {
            random.push(ALPHABET[(byte[0] % 62) as usize] as char);
        }
    }
    let check = checksum(&random);
    SecretString::new(match segment {
        Some(s) => format!("{PREFIX}{s}_{random}{check}"),
        None => format!("{PREFIX}{random}{check}"),
    })
}

/// What the pre-check makes of a presented or imported secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precheck {
    /// Keyward's shape with a checksum that holds.
    Valid,
    /// Keyward's exact shape, but the checksum does not hold: a mistyped or forged value that
    /// Keyward never issued.
    BadChecksum,
    /// Not Keyward's shape (an older or imported secret): verified as any other.
    NotScannable,
}

/// Classifies a value without any lookup.
pub fn precheck(value: &str) -> Precheck {
    let Some(rest) = value.strip_prefix(PREFIX) else {
        return Precheck::NotScannable;
    };
    let body = match rest.split_once('_') {
        Some((seg, body)) if segment(seg).is_ok_and(|s| s == seg) => body,
        Some(_) => return Precheck::NotScannable,
        None => rest,
    };
    let shaped =
        body.len() == RANDOM_LEN + CHECKSUM_LEN && body.bytes().all(|b| b.is_ascii_alphanumeric());
    if !shaped {
        return Precheck::NotScannable;
    }
    let (random, check) = body.split_at(RANDOM_LEN);
    if checksum(random) == check {
        Precheck::Valid
    } else {
        Precheck::BadChecksum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_is_zlibs() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }

    #[test]
    fn checksum_is_base62_padded() {
        // CRC32("123456789") = 0xCBF43926 = 3421780262, in base62 (Python's zlib agrees).
        assert_eq!(checksum("123456789"), "3jZRME");
        assert_eq!(checksum(""), "000000");
        assert_eq!(checksum("a").len(), CHECKSUM_LEN);
    }

    #[cfg(feature = "crypto")]
    #[test]
    fn generated_secrets_pass_and_match_the_regex() {
        let re = regex::Regex::new(REGEX).unwrap();
        let mut rng = rand::thread_rng();
        for seg in [None, Some("acme"), Some("t1")] {
            for _ in 0..50 {
                let s = generate(&mut rng, seg);
                let v = s.expose();
                assert_eq!(precheck(v), Precheck::Valid, "{v}");
                assert!(re.is_match(v), "{v}");
                assert!(v.len() >= 73, "long enough for HS512");
                assert!(v.starts_with(&format!(
                    "kw_{}",
                    seg.map(|s| format!("{s}_")).unwrap_or_default()
                )));
            }
        }
    }

    #[test]
    fn one_changed_character_is_caught() {
        let mut rng = rand::thread_rng();
        let s = generate(&mut rng, None).expose().to_owned();
        for i in 3..s.len() {
            let mut b = s.clone().into_bytes();
            b[i] = if b[i] == b'a' { b'b' } else { b'a' };
            let t = String::from_utf8(b).unwrap();
            assert_eq!(precheck(&t), Precheck::BadChecksum, "position {i}");
        }
    }

    #[test]
    fn other_shapes_are_not_judged() {
        for v in [
            "",
            "a-normal-base64url-secret-0123456789abcdefABCDEF",
            "kw_",
            "kw_short",
            "kw_Upper_0000000000000000000000000000000000000000000000000000000000000000000000",
            &format!("kw_{}", "a".repeat(71)),
            &format!("kw_{}!", "a".repeat(69)),
        ] {
            assert_eq!(precheck(v), Precheck::NotScannable, "{v}");
        }
        assert!(segment("acme").is_ok());
        assert!(segment("Acme").is_err() && segment("").is_err());
        assert!(segment(&"a".repeat(17)).is_err());
    }
}
