//! Measures client-secret verification on the token endpoint's hot path:
//! `ClientSecret.authenticate` for a client with three stored secrets (one revoked, two
//! active, the presented one last), and the bare `pepper.verifier` + `ct_eq` beneath it.
//!
//! `cargo run --release -p keyward-credentials --features crypto --example bench_verify`

use std::hint::black_box;
use std::time::Instant;

use keyward_credentials::authenticator::{
    AuthContext, Authenticator, ClientAuthConfig, ClientMaterial, ClientSecret, StoredSecret,
};
use keyward_credentials::client_auth::Presented;
use keyward_credentials::seal::Pepper;
use keyward_credentials::secret::SecretString;

const BATCH: usize = 1_000;
const ITERATIONS: usize = 200_000;
const WARM_UP: usize = 20_000;
const NOW: i64 = 1_750_000_000;

/// Runs `f` ITERATIONS times in batches of BATCH and returns (p50, mean) in ns per call.
fn measure(mut f: impl FnMut()) -> (f64, f64) {
    for _ in 0..WARM_UP {
        f();
    }
    let mut per_call = Vec::with_capacity(ITERATIONS / BATCH);
    for _ in 0..ITERATIONS / BATCH {
        let start = Instant::now();
        for _ in 0..BATCH {
            f();
        }
        per_call.push(start.elapsed().as_nanos() as f64 / BATCH as f64);
    }
    let mean = per_call.iter().sum::<f64>() / per_call.len() as f64;
    per_call.sort_by(f64::total_cmp);
    (per_call[per_call.len() / 2], mean)
}

fn main() {
    let pepper = Pepper::from_bytes(&[7; 32]).expect("32-byte pepper");
    let presented_value = "Jb3q3n0kq1o7cX8s9Ck2rW1g7c1cYbJQ4h1m5pZr0aE";
    let stored = |id: &str, value: &str, revoked_at: Option<i64>| StoredSecret {
        id: id.into(),
        verifier: pepper.verifier(value),
        plaintext: None,
        expires_at: None,
        revoked_at,
    };
    let secrets = [
        stored(
            "revoked",
            "an-old-revoked-secret-value-0123456789abcd",
            Some(NOW - 60),
        ),
        stored(
            "previous",
            "the-previous-secret-in-its-overlap-0123456",
            None,
        ),
        stored("current", presented_value, None),
    ];
    let client = ClientAuthConfig {
        client_id: "billing".into(),
        enabled: true,
        public_client: false,
        authenticator: "client-secret".into(),
        signing_alg: None,
        assertion_max_exp_s: 60,
        attributes: Default::default(),
    };
    let ctx = AuthContext {
        issuer: "https://sso.example.com/realms/demo".into(),
        token_endpoint: "https://sso.example.com/realms/demo/protocol/openid-connect/token".into(),
        strict_audience: false,
    };
    let material = ClientMaterial {
        secrets: &secrets,
        pepper: Some(&pepper),
        keys: &[],
        ..ClientMaterial::default()
    };
    let presented = Presented::Basic {
        client_id: "billing".into(),
        secret: SecretString::new(presented_value),
    };

    let ok = ClientSecret
        .authenticate(&presented, &client, &material, &ctx, NOW)
        .expect("the presented secret is active");
    assert_eq!(ok.secret_id.as_deref(), Some("current"));

    let (auth_p50, auth_mean) = measure(|| {
        let r = ClientSecret.authenticate(
            black_box(&presented),
            black_box(&client),
            black_box(&material),
            &ctx,
            black_box(NOW),
        );
        black_box(r.is_ok());
    });
    let target = &secrets[2].verifier;
    let (bare_p50, bare_mean) = measure(|| {
        let v = pepper.verifier(black_box(presented_value));
        black_box(v.ct_eq(black_box(target)));
    });

    println!("iterations: {ITERATIONS} after {WARM_UP} warm-up, timed in batches of {BATCH}");
    println!(
        "ClientSecret.authenticate (3 secrets: 1 revoked, 2 active, match last): p50 {auth_p50:.0} ns/call, mean {auth_mean:.0} ns/call"
    );
    println!(
        "pepper.verifier + ct_eq (bare HMAC-SHA256):                             p50 {bare_p50:.0} ns/call, mean {bare_mean:.0} ns/call"
    );
    println!(
        "SUMMARY: client-secret verification (aws-lc-rs HMAC-SHA256, 3 stored secrets, release, 2 cores): {auth_p50:.0} ns/call p50 ({auth_mean:.0} mean); bare verifier+ct_eq {bare_p50:.0} ns p50 ({bare_mean:.0} mean)"
    );
}
