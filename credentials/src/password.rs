//! Operator passwords: the policy for new ones and argon2id hashing (m = 19 MiB, t = 2, p = 1).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::{CryptoRng, RngCore};

use crate::secret::SecretString;

/// Minimum length of an operator password, in characters.
pub const MIN_LEN: usize = 12;
/// Maximum length of an operator password, in bytes (bounds the hashing work).
pub const MAX_BYTES: usize = 1024;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("static argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks a new password against the policy; the message is shown to the operator.
pub fn check_policy(password: &SecretString) -> Result<(), String> {
    let p = password.expose();
    if p.chars().count() < MIN_LEN {
        return Err(format!("password must be at least {MIN_LEN} characters"));
    }
    if p.len() > MAX_BYTES {
        return Err(format!("password must be at most {MAX_BYTES} bytes"));
    }
    Ok(())
}

/// Hashes a password with argon2id and a fresh salt; returns the PHC string.
pub fn hash<R: RngCore + CryptoRng>(password: &SecretString, rng: &mut R) -> String {
    let mut salt_bytes = [0u8; 16];
    rng.fill_bytes(&mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).expect("16 bytes is a valid salt length");
    argon2()
        .hash_password(password.expose().as_bytes(), &salt)
        .expect("argon2 hashing with valid parameters does not fail")
        .to_string()
}

/// Whether `password` matches the PHC string `phc`. A malformed hash never matches.
pub fn verify(password: &SecretString, phc: &str) -> bool {
    if password.expose().len() > MAX_BYTES {
        return false;
    }
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2()
            .verify_password(password.expose().as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A fixed hash to verify against when the username is unknown, so that an unknown
/// user costs the same time as a wrong password.
pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$9r0TB0Zg2dVo0ZD4c8xCN1wHzV3yVX5rC5xv8yqwK8M";

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn hash_then_verify() {
        let mut rng = StdRng::seed_from_u64(1);
        let pw = SecretString::new("correct horse battery");
        let h = hash(&pw, &mut rng);
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify(&pw, &h));
        assert!(!verify(&SecretString::new("correct horse batterz"), &h));
        let h2 = hash(&pw, &mut rng);
        assert_ne!(h, h2, "salts differ");
    }

    #[test]
    fn malformed_hash_never_matches() {
        assert!(!verify(&SecretString::new("x"), "not a hash"));
        assert!(!verify(&SecretString::new("x"), DUMMY_HASH));
    }

    #[test]
    fn policy() {
        assert!(check_policy(&SecretString::new("short")).is_err());
        assert!(check_policy(&SecretString::new("twelve chars")).is_ok());
        assert!(check_policy(&SecretString::new("x".repeat(2000))).is_err());
    }
}
