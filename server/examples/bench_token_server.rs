//! Keyward for the token-endpoint load test (`bench/token.sh`): serves on 127.0.0.1:PORT with a
//! fresh SQLite file or a throw-away PostgreSQL cluster, seeded with the peer's two clients —
//! `cc-basic` (client_secret_basic) and `cc-pkjwt` (private_key_jwt, an ES256 key) — and writes
//! what the load generator needs (secret, private JWK, URLs) as JSON to the file OUT.
//! Run: `cargo run --release -p keyward-server --example bench_token_server -- sqlite 3200 setup.json`

use std::net::SocketAddr;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use keyward_server::{build, now, Config};
use keyward_store::testing::PgCluster;
use keyward_store::{clients, keys, realms, secrets};
use serde_json::json;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let backend = args.get(1).map(String::as_str).unwrap_or("sqlite");
    let port: u16 = args.get(2).and_then(|p| p.parse().ok()).unwrap_or(3200);
    let out = args.get(3).cloned().unwrap_or_else(|| "setup.json".into());
    let pg = (backend == "postgres").then(|| PgCluster::start().expect("PostgreSQL cluster"));
    let dir = tempfile::tempdir().unwrap();
    let bind: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut config = Config::for_tests(bind, dir.path().to_path_buf());
    config.database_url = pg.as_ref().map(|p| p.url());
    config.public_url = Some(format!("http://127.0.0.1:{port}"));
    config.bootstrap_admin_username = Some("bench".into());
    config.bootstrap_admin_password = Some("bench-password-123".into());
    let keyward = build(&config).await.unwrap();
    let ctx = keyward.state.ctx.clone();
    let master = realms::get_by_name(&ctx.db, "master").await.unwrap();
    let t = now();
    let new = |client_id: &'static str| clients::NewClient {
        client_id,
        name: "",
        description: "",
        enabled: true,
        public_client: false,
    };

    // cc-basic: one secret, verified by its HMAC verifier like any other.
    let basic = clients::create(&ctx.db, &master.realm_id, &new("cc-basic"), t)
        .await
        .unwrap();
    let secret = "cc-basic-secret-0123456789abcdef-keyward-bench";
    let verifier = ctx.vault.verifier(secret);
    secrets::insert_many(
        &ctx.db,
        &basic.client_row_id,
        &[secrets::NewSecret {
            label: "bench",
            verifier: &verifier.0,
            sealed: None,
            expires_at: None,
            created_by: "bench",
        }],
        t,
    )
    .await
    .unwrap();

    // cc-pkjwt: client-jwt with a registered ES256 public key.
    let pk = clients::create(&ctx.db, &master.realm_id, &new("cc-pkjwt"), t)
        .await
        .unwrap();
    clients::set_authentication(
        &ctx.db,
        &master.realm_id,
        &pk.client_row_id,
        pk.version,
        &clients::AuthenticationUpdate {
            authenticator: "client-jwt",
            signing_alg: None,
            assertion_max_exp_s: 300,
            auth_attributes: &Default::default(),
            tls_bound_tokens: false,
        },
        t,
    )
    .await
    .unwrap();
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
    let point = pair.public_key().as_ref();
    let (x, y) = (
        URL_SAFE_NO_PAD.encode(&point[1..33]),
        URL_SAFE_NO_PAD.encode(&point[33..65]),
    );
    let public = json!({"kty":"EC","crv":"P-256","kid":"bench-key","x":x,"y":y}).to_string();
    let imported = keyward_credentials::keys::import(&keyward_credentials::keys::ImportRequest {
        format: Some(keyward_credentials::keys::KeyFormat::Jwk),
        bytes: public.as_bytes(),
        store_password: None,
        alias: None,
    })
    .unwrap();
    let facts = keyward_credentials::keys::facts(&imported[0].spki_der, None).unwrap();
    keys::insert_many(
        &ctx.db,
        &pk.client_row_id,
        &[keys::NewKey {
            kid: Some("bench-key"),
            kty: &facts.kty,
            alg: None,
            spki_der: &imported[0].spki_der,
            certificate_der: None,
            thumbprint_s256: &facts.jwk_thumbprint,
            source: "jwk",
            not_before: None,
            not_after: None,
        }],
        "bench",
        t,
    )
    .await
    .unwrap();
    // The private JWK for jose (d = the PKCS#8's private scalar: P-256 PKCS#8 from aws-lc-rs
    // holds it at a fixed offset after the 0x04 0x20 OCTET STRING header).
    let der = pkcs8.as_ref();
    let d_at = der
        .windows(2)
        .position(|w| w == [0x04, 0x20])
        .expect("private scalar")
        + 2;
    let d = URL_SAFE_NO_PAD.encode(&der[d_at..d_at + 32]);
    let issuer = format!("http://127.0.0.1:{port}/realms/master");
    let setup = json!({
        "issuer": issuer,
        "token_endpoint": format!("{issuer}/protocol/openid-connect/token"),
        "basic_client": "cc-basic",
        "basic_secret": secret,
        "pkjwt_client": "cc-pkjwt",
        "jwk": {"kty":"EC","crv":"P-256","kid":"bench-key","x":x,"y":y,"d":d},
    });
    std::fs::write(&out, serde_json::to_string_pretty(&setup).unwrap()).unwrap();
    let listener = tokio::net::TcpListener::bind(bind).await.unwrap();
    eprintln!("bench server ({backend}) on {bind}");
    axum::serve(
        listener,
        keyward
            .router
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
    .unwrap();
    drop(pg);
}
