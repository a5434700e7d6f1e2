//! Client secrets: generation (OS CSPRNG, URL-safe, long enough for the pinned HMAC algorithm),
//! labels, lifecycle state and the rotation (regenerate-with-overlap) rules.

use rand::{CryptoRng, RngCore};

use crate::secret::SecretString;
use crate::token::random_token;

/// Minimum secret length in bytes for an HMAC algorithm (RFC 7518 §3.2: key ≥ hash size).
pub fn min_len_for_hmac(alg: Option<&str>) -> usize {
    match alg {
        Some("HS512") => 64,
        Some("HS384") => 48,
        _ => 32,
    }
}

/// A new client secret: ≥ 256 bits from the CSPRNG, base64url without padding, and at least as
/// long as the pinned HMAC algorithm needs (HS256 ≥ 32 bytes, HS384 ≥ 48, HS512 ≥ 64).
pub fn generate<R: RngCore + CryptoRng>(rng: &mut R, hmac_alg: Option<&str>) -> SecretString {
    // base64 turns n random bytes into ⌈4n/3⌉ characters, so n = minimum length is enough.
    random_token(rng, min_len_for_hmac(hmac_alg).max(32))
}

pub const MAX_LABEL: usize = 100;

/// A secret's label: trimmed, 1–100 characters, no control characters; empty means "Secret".
pub fn label(raw: &str) -> Result<String, String> {
    let l = raw.trim();
    if l.chars().count() > MAX_LABEL {
        return Err(format!("the label is longer than {MAX_LABEL} characters"));
    }
    if l.chars().any(char::is_control) {
        return Err("the label contains control characters".into());
    }
    Ok(if l.is_empty() {
        "Secret".into()
    } else {
        l.into()
    })
}

/// Lifecycle state of a stored secret at `now` (epoch seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretState {
    Active,
    Expired,
    Revoked,
}

impl SecretState {
    pub fn at(now: i64, expires_at: Option<i64>, revoked_at: Option<i64>) -> Self {
        if revoked_at.is_some_and(|r| r <= now) {
            SecretState::Revoked
        } else if expires_at.is_some_and(|e| e <= now) {
            SecretState::Expired
        } else {
            SecretState::Active
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SecretState::Active => "active",
            SecretState::Expired => "expired",
            SecretState::Revoked => "revoked",
        }
    }
}

/// Checks an explicit expiry: it must lie in the future.
pub fn check_expiry(now: i64, expires_at: Option<i64>) -> Result<(), String> {
    match expires_at {
        Some(e) if e <= now => Err("the expiry lies in the past".into()),
        _ => Ok(()),
    }
}

/// Checks a rotation overlap (seconds) against the realm's maximum.
pub fn check_overlap(overlap_s: i64, realm_max_s: i64) -> Result<(), String> {
    if overlap_s < 0 {
        return Err("the overlap cannot be negative".into());
    }
    if overlap_s > realm_max_s {
        return Err(format!(
            "the overlap is longer than this realm allows ({})",
            human_duration(realm_max_s)
        ));
    }
    Ok(())
}

/// When a previous secret stops working after a rotation at `now`: never later than it already
/// would, and at once for overlap 0.
pub fn rotated_expiry(now: i64, overlap_s: i64, current: Option<i64>) -> i64 {
    let end = now + overlap_s;
    current.map_or(end, |c| c.min(end))
}

/// "2 days", "3 hours", "90 seconds".
pub fn human_duration(secs: i64) -> String {
    let (n, unit) = if secs % 86_400 == 0 && secs >= 86_400 {
        (secs / 86_400, "day")
    } else if secs % 3_600 == 0 && secs >= 3_600 {
        (secs / 3_600, "hour")
    } else if secs % 60 == 0 && secs >= 60 {
        (secs / 60, "minute")
    } else {
        (secs, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn generated_secrets_are_long_enough_for_their_hmac_and_url_safe() {
        let mut rng = StdRng::seed_from_u64(5);
        for (alg, min) in [
            (None, 32),
            (Some("HS256"), 32),
            (Some("HS384"), 48),
            (Some("HS512"), 64),
        ] {
            let s = generate(&mut rng, alg);
            assert!(s.expose().len() >= min, "{alg:?}: {}", s.expose().len());
            // ≥ 256 bits of entropy: 32 random bytes are 43 base64 characters.
            assert!(s.expose().len() >= 43);
            assert!(s
                .expose()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        }
        assert_ne!(
            generate(&mut rng, None).expose(),
            generate(&mut rng, None).expose()
        );
    }

    #[test]
    fn labels() {
        assert_eq!(label("  ci deploy ").unwrap(), "ci deploy");
        assert_eq!(label("").unwrap(), "Secret");
        assert!(label(&"x".repeat(100)).is_ok());
        assert_eq!(
            label(&"x".repeat(101)).unwrap_err(),
            "the label is longer than 100 characters"
        );
        assert!(label("a\u{7}b").is_err());
    }

    #[test]
    fn states() {
        assert_eq!(SecretState::at(100, None, None), SecretState::Active);
        assert_eq!(SecretState::at(100, Some(101), None), SecretState::Active);
        assert_eq!(SecretState::at(100, Some(100), None), SecretState::Expired);
        assert_eq!(
            SecretState::at(100, Some(50), Some(60)),
            SecretState::Revoked
        );
        assert_eq!(SecretState::at(100, None, Some(100)), SecretState::Revoked);
    }

    #[test]
    fn expiry_overlap_and_rotation() {
        assert!(check_expiry(100, Some(101)).is_ok());
        assert_eq!(
            check_expiry(100, Some(100)).unwrap_err(),
            "the expiry lies in the past"
        );
        assert!(check_expiry(100, None).is_ok());
        assert!(check_overlap(0, 10).is_ok());
        assert!(check_overlap(-1, 10).is_err());
        assert_eq!(
            check_overlap(3 * 86_400, 2 * 86_400).unwrap_err(),
            "the overlap is longer than this realm allows (2 days)"
        );
        assert_eq!(rotated_expiry(100, 50, None), 150);
        assert_eq!(rotated_expiry(100, 50, Some(120)), 120);
        assert_eq!(rotated_expiry(100, 0, Some(500)), 100);
        assert_eq!(human_duration(3600), "1 hour");
        assert_eq!(human_duration(90), "90 seconds");
    }
}
