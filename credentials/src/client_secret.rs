//! Client secrets: generation (OS CSPRNG, URL-safe, long enough for the pinned HMAC algorithm),
//! labels, lifecycle state and the rotation (regenerate-with-overlap) rules.

use rand::{CryptoRng, RngCore};

use crate::secret::SecretString;

/// Minimum secret length in bytes for an HMAC algorithm (RFC 7518 §3.2: key ≥ hash size).
pub fn min_len_for_hmac(alg: Option<&str>) -> usize {
    match alg {
        Some("HS512") => 64,
        Some("HS384") => 48,
        _ => 32,
    }
}

/// A new client secret in the scannable format ([`crate::scannable`]): `kw_`, the realm's
/// segment if it has one, ≈ 381 random bits from the CSPRNG and a checksum; at least 73 bytes,
/// so long enough for every HMAC algorithm a client-secret-jwt client may pin (HS512: 64).
pub fn generate<R: RngCore + CryptoRng>(rng: &mut R, segment: Option<&str>) -> SecretString {
    crate::scannable::generate(rng, segment)
}

/// The shortest secret Keyward accepts from outside (an imported or bootstrap secret).
pub const MIN_IMPORTED_LEN: usize = 16;
/// The longest one.
pub const MAX_IMPORTED_LEN: usize = 512;

/// Checks a secret value brought from elsewhere (Keycloak's `secret` on a client, the bootstrap
/// client's): 16 to 512 printable ASCII characters, as long as the pinned HMAC algorithm needs,
/// and, if it has the exact shape of a Keyward secret, a checksum that holds — so the token
/// endpoint's pre-check can never refuse a value Keyward accepted.
pub fn check_imported(value: &str, hmac_alg: Option<&str>) -> Result<(), String> {
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("a secret has only printable ASCII characters (no spaces)".into());
    }
    let min = if hmac_alg.is_some() {
        min_len_for_hmac(hmac_alg)
    } else {
        MIN_IMPORTED_LEN
    };
    if value.len() < min {
        return Err(format!("a secret has at least {min} characters"));
    }
    if value.len() > MAX_IMPORTED_LEN {
        return Err(format!(
            "a secret has at most {MAX_IMPORTED_LEN} characters"
        ));
    }
    if crate::scannable::precheck(value) == crate::scannable::Precheck::BadChecksum {
        return Err(
            "this value has the shape of a Keyward secret (kw_…) but its checksum does not hold: \
             it was mistyped or altered"
                .into(),
        );
    }
    Ok(())
}

/// Checks a new secret's expiry against the realm's lifetime policies (`max_lifetime_s`:
/// `None` = unlimited), saying which policy refuses it.
pub fn check_lifetime(
    now: i64,
    expires_at: Option<i64>,
    max_lifetime_s: Option<i64>,
    must_expire: bool,
) -> Result<(), String> {
    match (expires_at, max_lifetime_s) {
        (None, Some(max)) => Err(format!(
            "this realm's policy \"secrets live at most {}\" needs an expiry",
            human_duration(max)
        )),
        (None, None) if must_expire => {
            Err("this realm's policy \"new secrets must expire\" needs an expiry".into())
        }
        (Some(e), Some(max)) if e - now > max => Err(format!(
            "this realm's policy \"secrets live at most {}\" refuses an expiry that far away",
            human_duration(max)
        )),
        _ => Ok(()),
    }
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
    fn generated_secrets_are_scannable_long_enough_for_hs512_and_url_safe() {
        let mut rng = StdRng::seed_from_u64(5);
        for segment in [None, Some("acme")] {
            let s = generate(&mut rng, segment);
            assert!(s.expose().len() >= min_len_for_hmac(Some("HS512")));
            assert!(s.expose().starts_with("kw_"));
            assert_eq!(
                crate::scannable::precheck(s.expose()),
                crate::scannable::Precheck::Valid
            );
            assert!(s
                .expose()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_'));
            assert!(check_imported(s.expose(), Some("HS512")).is_ok());
        }
        assert!(generate(&mut rng, Some("acme"))
            .expose()
            .starts_with("kw_acme_"));
        assert_ne!(
            generate(&mut rng, None).expose(),
            generate(&mut rng, None).expose()
        );
    }

    #[test]
    fn imported_secrets() {
        assert!(check_imported("an-old-keycloak-secret-value", None).is_ok());
        assert_eq!(
            check_imported("short", None).unwrap_err(),
            "a secret has at least 16 characters"
        );
        assert!(check_imported(&"x".repeat(40), Some("HS384")).is_err());
        assert!(check_imported("has a space in it, sadly", None).is_err());
        assert!(check_imported(&"x".repeat(513), None).is_err());
        // A Keyward-shaped value with one character changed: refused; the original passes.
        let mut rng = StdRng::seed_from_u64(9);
        let good = generate(&mut rng, None);
        let mut bad = good.expose().to_owned();
        let flipped = if bad.as_bytes()[10] == b'a' { "b" } else { "a" };
        bad.replace_range(10..11, flipped);
        assert!(check_imported(good.expose(), None).is_ok());
        assert!(check_imported(&bad, None)
            .unwrap_err()
            .contains("checksum does not hold"));
        // Merely starting with kw_ is not Keyward's shape: accepted.
        assert!(check_imported("kw_my-own-secret-from-2019", None).is_ok());
    }

    #[test]
    fn lifetime_policies_name_themselves() {
        let day = 86_400;
        assert!(check_lifetime(0, None, None, false).is_ok());
        assert!(check_lifetime(0, Some(5), None, true).is_ok());
        assert_eq!(
            check_lifetime(0, None, None, true).unwrap_err(),
            "this realm's policy \"new secrets must expire\" needs an expiry"
        );
        assert_eq!(
            check_lifetime(0, None, Some(90 * day), false).unwrap_err(),
            "this realm's policy \"secrets live at most 90 days\" needs an expiry"
        );
        assert!(check_lifetime(0, Some(90 * day), Some(90 * day), false).is_ok());
        assert!(check_lifetime(0, Some(90 * day + 1), Some(90 * day), false)
            .unwrap_err()
            .contains("at most 90 days"));
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
