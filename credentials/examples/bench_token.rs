//! Measures access-token minting and verification (the token and introspection endpoints'
//! crypto alone): ES256 and RS256, each operation run repeatedly for about 2 s.
//!
//! `cargo run --release -p keyward-credentials --features crypto --example bench_token`

use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{self, ParsedPublicKey, VerificationAlgorithm};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use keyward_credentials::access_token::{
    claims_for_client, mint, verify, RealmPrivateKey, SigningAlg,
};
use keyward_credentials::keys::{import, ImportRequest, KeyFormat};

const ISSUER: &str = "https://sso.example.com/realms/demo";
const NOW: i64 = 1_750_000_000;
const RUN: Duration = Duration::from_secs(2);
const BATCH: u32 = 64;

/// Runs `f` in batches for about `RUN` (after a short warm-up) and returns operations per second.
fn ops_per_s(mut f: impl FnMut()) -> f64 {
    let warm = Instant::now();
    while warm.elapsed() < RUN / 10 {
        f();
    }
    let start = Instant::now();
    let mut ops = 0u64;
    while start.elapsed() < RUN {
        for _ in 0..BATCH {
            f();
        }
        ops += u64::from(BATCH);
    }
    ops as f64 / start.elapsed().as_secs_f64()
}

/// The SubjectPublicKeyInfo of a public JWK, through the key-upload path.
fn spki_of(jwk: &serde_json::Value) -> Vec<u8> {
    let bytes = serde_json::to_vec(jwk).expect("JSON");
    let mut keys = import(&ImportRequest {
        format: Some(KeyFormat::Jwk),
        bytes: &bytes,
        store_password: None,
        alias: None,
    })
    .expect("JWK import");
    keys.remove(0).spki_der
}

fn main() {
    println!(
        "| alg | mint ops/s | verify ops/s | signature check alone ops/s | mint + verify ops/s | token bytes |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for alg in SigningAlg::ALL {
        let key = RealmPrivateKey::generate(alg).expect("key generation");
        let jwks = [key.public_jwk()];
        let claims = claims_for_client(
            ISSUER,
            "billing",
            "service-account-billing",
            ISSUER,
            "openid",
            300,
            NOW,
        );
        let token = mint(&key, &claims).expect("mint");
        assert_eq!(verify(&token, &jwks, ISSUER, NOW).expect("verify"), claims);

        // The signature check alone (aws-lc-rs, the public key parsed once): what `verify`
        // adds on top of it is parsing, key selection and the claim checks.
        let (input, sig) = token.rsplit_once('.').expect("three parts");
        let sig = URL_SAFE_NO_PAD.decode(sig).expect("base64url");
        let spki = spki_of(&jwks[0]);
        let algorithm: &'static dyn VerificationAlgorithm = match alg {
            SigningAlg::Es256 => &signature::ECDSA_P256_SHA256_FIXED,
            SigningAlg::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        };
        let parsed = ParsedPublicKey::new(algorithm, &spki).expect("public key");
        let raw_rate = ops_per_s(|| {
            parsed
                .verify_sig(black_box(input.as_bytes()), black_box(&sig))
                .expect("signature");
        });

        let mint_rate = ops_per_s(|| {
            black_box(mint(black_box(&key), black_box(&claims)).expect("mint"));
        });
        let verify_rate = ops_per_s(|| {
            black_box(verify(black_box(&token), &jwks, ISSUER, NOW).expect("verify"));
        });
        // What one issue-then-introspect costs, as a rate (harmonic combination).
        let both = 1.0 / (1.0 / mint_rate + 1.0 / verify_rate);
        println!(
            "| {} | {:.0} | {:.0} | {:.0} | {:.0} | {} |",
            alg.as_str(),
            mint_rate,
            verify_rate,
            raw_rate,
            both,
            token.len()
        );
    }
}
