//! Two Keyward replicas on one PostgreSQL database: a client assertion accepted by one is
//! refused by the other (the jti store is the database), and both sign with the same realm key.

mod common;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use axum::http::StatusCode;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use common::*;
use keyward_store::testing::PgCluster;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn an_assertion_accepted_by_one_replica_is_refused_by_the_other() {
    let pg = PgCluster::start().expect("PostgreSQL 15 is required for this test");
    let url = pg.url();
    let master_key = STANDARD.encode([7u8; 32]);
    let config = move |url: String, key: String| {
        move |c: &mut keyward_server::Config| {
            c.database_url = Some(url);
            c.master_key = Some(key);
        }
    };
    let one = live_with(config(url.clone(), master_key.clone())).await;
    let two = live_with(config(url.clone(), master_key.clone())).await;

    // A client-jwt client with an EC key, made through replica one's console.
    let mut a = admin(&one.app).await;
    let r = a
        .change(
            "create_client",
            &[
                ("realm", "master"),
                ("client_id", "shared"),
                ("name", ""),
                ("description", ""),
                ("access_type", "confidential"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let c = a
        .call("get_credentials", &[("realm", "master"), ("id", &id)])
        .await
        .json();
    let r = a
        .change(
            "set_authenticator",
            &[
                ("realm", "master"),
                ("id", &id),
                ("version", &c["version"].to_string()),
                ("authenticator", "client-jwt"),
                ("signing_alg", ""),
                ("assertion_max_exp_s", "60"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
    let point = pair.public_key().as_ref();
    let jwk = json!({"kty":"EC","crv":"P-256","kid":"k1",
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65])});
    let file = URL_SAFE_NO_PAD.encode(jwk.to_string());
    let r = a
        .change(
            "import_keys",
            &[
                ("realm", "master"),
                ("id", &id),
                ("format", "jwk"),
                ("file", &file),
                ("store_password", ""),
                ("alias", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Both replicas use the same public URL in `aud`: each checks against its own issuer, so
    // sign one assertion per audience with the same jti.
    let now = keyward_server::now();
    let sign = |aud: &str| {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(json!({"alg":"ES256","kid":"k1"}).to_string()),
            URL_SAFE_NO_PAD.encode(
                json!({"iss":"shared","sub":"shared","aud":aud,"jti":"once","iat":now,"exp":now+30})
                    .to_string()
            )
        );
        let sig = pair.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    };
    let form = |assertion: &str| {
        vec![
            ("grant_type".to_string(), "client_credentials".to_string()),
            (
                "client_assertion_type".to_string(),
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_string(),
            ),
            ("client_assertion".to_string(), assertion.to_string()),
        ]
    };
    let first = one
        .http
        .post(one.token_url())
        .form(&form(&sign(&format!("{}/realms/master", one.base))))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200, "{}", first.text().await.unwrap());
    let second = two
        .http
        .post(two.token_url())
        .form(&form(&sign(&format!("{}/realms/master", two.base))))
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 401);
    let body: serde_json::Value = second.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");

    // One realm key for both: replica two publishes the key replica one created.
    let certs = |base: String| async move {
        reqwest::get(format!(
            "{base}/realms/master/protocol/openid-connect/certs"
        ))
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()
    };
    assert_eq!(certs(one.base.clone()).await, certs(two.base.clone()).await);
    one.app.keyward.state.ctx.db.close().await;
    two.app.keyward.state.ctx.db.close().await;
}
