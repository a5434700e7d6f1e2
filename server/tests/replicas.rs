//! Two Keyward replicas on one PostgreSQL database: a client assertion accepted by one is
//! refused by the other (the jti store is the database), and both sign with the same realm key.

mod common;

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
    let id = new_client(&mut a, "shared").await;
    set_method(&mut a, &id, "client-jwt", "").await;
    let key = EcKey::new();
    let file = URL_SAFE_NO_PAD.encode(key.jwk("k1"));
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
        key.sign(
            json!({"alg":"ES256","kid":"k1"}),
            json!({"iss":"shared","sub":"shared","aud":aud,"jti":"once","iat":now,"exp":now+30}),
        )
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
