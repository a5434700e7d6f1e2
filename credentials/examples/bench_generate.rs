//! Latency of "Generate new keys": key pair + self-signed certificate + keystore, per algorithm
//! and format. Prints a markdown table (p50 / p99 / max).
//!
//! cargo run --release -p keyward-credentials --features crypto --example bench_generate
//!
//! Iterations: 100 for EC, 40 for RSA-2048, 20 for RSA-3072, 10 for RSA-4096 (per format), or
//! the number given as the first argument for every row.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use keyward_credentials::keys::generate::{
    generate, GenerateRequest, KeyAlgorithm, KeystoreFormat,
};

fn iterations(algorithm: KeyAlgorithm) -> usize {
    match algorithm {
        KeyAlgorithm::EcP256 | KeyAlgorithm::EcP384 => 100,
        KeyAlgorithm::Rsa2048 => 40,
        KeyAlgorithm::Rsa3072 => 20,
        KeyAlgorithm::Rsa4096 => 10,
    }
}

/// The sample at quantile `q` (nearest rank).
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

fn main() {
    let fixed: Option<usize> = std::env::args().nth(1).and_then(|a| a.parse().ok());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    println!("| Algorithm | Format | Iterations | p50 | p99 | max | Keystore bytes |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for algorithm in KeyAlgorithm::ALL {
        for format in [KeystoreFormat::Pkcs12, KeystoreFormat::Jks] {
            let n = fixed.unwrap_or_else(|| iterations(algorithm));
            let mut samples = Vec::with_capacity(n);
            let mut size = 0;
            for _ in 0..n {
                let req = GenerateRequest {
                    algorithm,
                    format,
                    alias: "billing",
                    store_password: "Store-pass-1",
                    key_password: "Store-pass-1",
                    validity_years: 2,
                    common_name: "billing",
                    now,
                };
                let start = Instant::now();
                let g = generate(&req).expect("generate");
                samples.push(start.elapsed());
                size = g.keystore.len();
            }
            samples.sort();
            println!(
                "| {} | {} | {n} | {} | {} | {} | {size} |",
                algorithm.label(),
                format.id(),
                ms(quantile(&samples, 0.50)),
                ms(quantile(&samples, 0.99)),
                ms(samples[samples.len() - 1]),
            );
        }
    }
}
