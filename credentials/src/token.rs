//! Random opaque tokens (CSRF tokens, setup links) drawn from a caller-supplied CSPRNG.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::{CryptoRng, RngCore};

use crate::secret::SecretString;

/// A URL-safe token carrying `bytes` bytes of randomness (at least 16).
pub fn random_token<R: RngCore + CryptoRng>(rng: &mut R, bytes: usize) -> SecretString {
    let mut buf = vec![0u8; bytes.max(16)];
    rng.fill_bytes(&mut buf);
    let token = URL_SAFE_NO_PAD.encode(&buf);
    zeroize::Zeroize::zeroize(&mut buf);
    SecretString::new(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn tokens_are_url_safe_and_sized() {
        let mut rng = StdRng::seed_from_u64(7);
        let t = random_token(&mut rng, 32);
        assert_eq!(t.expose().len(), 43);
        assert!(t
            .expose()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        let u = random_token(&mut rng, 32);
        assert_ne!(t.expose(), u.expose());
        assert_eq!(
            random_token(&mut rng, 4).expose().len(),
            22,
            "minimum 16 bytes"
        );
    }
}
