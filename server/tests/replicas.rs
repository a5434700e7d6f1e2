//! Two Keyward replicas on one PostgreSQL database: a client assertion accepted by one is
//! refused by the other (the jti store is the database), both sign with the same realm key, and a
//! revocation made through one is seen by the other's cache.

mod common;

use axum::http::StatusCode;
use base64::engine::general_purpose::STANDARD;
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
    let (_, key) = jwt_client(&mut a, "shared").await;

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

    // A secret revoked through replica one is refused by replica two, which had it cached: the
    // change reaches it through NOTIFY well before its cache entries expire on their own.
    let id = new_client(&mut a, "revoked-elsewhere").await;
    let secret = new_secret(&mut a, &id, "0").await;
    let cc = [("grant_type", "client_credentials")];
    for _ in 0..3 {
        let (status, body, _) = two.token(Some(("revoked-elsewhere", &secret)), &cc).await;
        assert_eq!(status, 200, "{body}");
    }
    let creds = a
        .call("get_credentials", &[("realm", "master"), ("id", &id)])
        .await
        .json();
    let secret_id = creds["secrets"][0]["id"].as_str().unwrap().to_string();
    let r = a
        .change(
            "revoke_secret",
            &[("realm", "master"), ("id", &id), ("secret_id", &secret_id)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let revoked = std::time::Instant::now();
    loop {
        let (status, _, _) = two.token(Some(("revoked-elsewhere", &secret)), &cc).await;
        if status == 401 {
            break;
        }
        assert_eq!(status, 200);
        assert!(
            revoked.elapsed() < keyward_server::oidc_cache::TTL / 5,
            "replica two still accepts a secret revoked on replica one"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    one.app.keyward.state.ctx.db.close().await;
    two.app.keyward.state.ctx.db.close().await;
}
