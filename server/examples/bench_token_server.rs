//! Keyward for the token-endpoint load tests (`bench/token.sh`, `bench/federated.sh`): serves on
//! 127.0.0.1:PORT with a fresh SQLite file or a throw-away PostgreSQL cluster, seeded with the
//! peer's two clients — `cc-basic` (client_secret_basic) and `cc-pkjwt` (private_key_jwt, an
//! ES256 key) — and two `federated-jwt` clients, `cc-fed` bound to an OIDC issuer and
//! `cc-fed-k8s` to a Kubernetes-shaped one, both served here on PORT+1 (discovery + JWKS, one
//! ES256 key). Writes what the load generator needs (secret, private JWKs, URLs) as JSON to the
//! file OUT.
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
    // The bench's issuers are on loopback.
    config.fetch_allow = "127.0.0.1".into();
    // bench/lastuse.sh compares last-use tracking off and on.
    config.track_last_use = std::env::var("KEYWARD_TRACK_LAST_USE").map_or(true, |v| v != "false");
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
    // A secret as Keyward issues them (scannable, `kw_…`).
    let secret_value = keyward_credentials::client_secret::generate(&mut rand::rngs::OsRng, None);
    let secret = secret_value.expose();
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
    let (pk_jwk, pk_public) = es256_jwk("bench-key");
    let public = pk_public.to_string();
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
    // The issuers federated clients trust: PORT+1 serves /oidc and /k8s (discovery + JWKS).
    let (fed_jwk, fed_public) = es256_jwk("idp-key");
    let idp_base = format!("http://127.0.0.1:{}", port + 1);
    let idp_listener = tokio::net::TcpListener::bind(("127.0.0.1", port + 1))
        .await
        .unwrap();
    let jwks = json!({ "keys": [fed_public] });
    let mut idp = axum::Router::new();
    for path in ["oidc", "k8s"] {
        let doc = json!({
            "issuer": format!("{idp_base}/{path}"),
            "jwks_uri": format!("{idp_base}/jwks"),
        });
        idp = idp.route(
            &format!("/{path}/.well-known/openid-configuration"),
            axum::routing::get(move || async move { axum::Json(doc) }),
        );
    }
    let idp = idp.route(
        "/jwks",
        axum::routing::get(move || async move { axum::Json(jwks) }),
    );
    tokio::spawn(async move { axum::serve(idp_listener, idp).await });
    let mut fed_subjects = Vec::new();
    for (client_id, alias, kind, path, subject) in [
        (
            "cc-fed",
            "bench-oidc",
            "oidc",
            "oidc",
            "repo:bench/ci:ref:refs/heads/main",
        ),
        (
            "cc-fed-k8s",
            "bench-k8s",
            "kubernetes",
            "k8s",
            "system:serviceaccount:bench:worker",
        ),
    ] {
        let config: std::collections::BTreeMap<String, String> = [
            ("issuer".to_string(), format!("{idp_base}/{path}")),
            (
                "supportsClientAssertionReuse".to_string(),
                (kind == "kubernetes").to_string(),
            ),
        ]
        .into();
        let p = keyward_store::identity_providers::create(
            &ctx.db,
            &master.realm_id,
            alias,
            &keyward_store::identity_providers::ProviderFields {
                provider_id: kind,
                enabled: true,
                display_name: "",
                config: &config,
            },
            t,
        )
        .await
        .unwrap();
        let c = clients::create(&ctx.db, &master.realm_id, &new(client_id), t)
            .await
            .unwrap();
        clients::set_authentication(
            &ctx.db,
            &master.realm_id,
            &c.client_row_id,
            c.version,
            &clients::AuthenticationUpdate {
                authenticator: "federated-jwt",
                signing_alg: None,
                assertion_max_exp_s: 60,
                auth_attributes: &Default::default(),
                tls_bound_tokens: false,
            },
            t,
        )
        .await
        .unwrap();
        keyward_store::federation::create(
            &ctx.db,
            &keyward_store::federation::NewBinding {
                realm_id: &master.realm_id,
                client_row_id: &c.client_row_id,
                idp_row_id: &p.idp_row_id,
                label: "bench",
                subject: Some(subject),
                claims_expr: None,
                created_by: "bench",
            },
            t,
        )
        .await
        .unwrap();
        fed_subjects.push(subject);
    }
    let issuer = format!("http://127.0.0.1:{port}/realms/master");
    let setup = json!({
        "fed_jwk": fed_jwk,
        "fed_oidc_issuer": format!("{idp_base}/oidc"),
        "fed_oidc_subject": fed_subjects[0],
        "fed_k8s_issuer": format!("{idp_base}/k8s"),
        "fed_k8s_subject": fed_subjects[1],
        "issuer": issuer,
        "token_endpoint": format!("{issuer}/protocol/openid-connect/token"),
        "basic_client": "cc-basic",
        "basic_secret": secret,
        "pkjwt_client": "cc-pkjwt",
        "jwk": pk_jwk,
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

/// A fresh ES256 key: its private JWK (for jose; d is the PKCS#8's private scalar, which a P-256
/// PKCS#8 from aws-lc-rs holds right after the 0x04 0x20 OCTET STRING header) and its public JWK.
fn es256_jwk(kid: &str) -> (serde_json::Value, serde_json::Value) {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
    let point = pair.public_key().as_ref();
    let (x, y) = (
        URL_SAFE_NO_PAD.encode(&point[1..33]),
        URL_SAFE_NO_PAD.encode(&point[33..65]),
    );
    let der = pkcs8.as_ref();
    let d_at = der
        .windows(2)
        .position(|w| w == [0x04, 0x20])
        .expect("private scalar")
        + 2;
    let d = URL_SAFE_NO_PAD.encode(&der[d_at..d_at + 32]);
    (
        json!({"kty":"EC","crv":"P-256","kid":kid,"x":x,"y":y,"d":d}),
        json!({"kty":"EC","crv":"P-256","kid":kid,"x":x,"y":y,"use":"sig","alg":"ES256"}),
    )
}
