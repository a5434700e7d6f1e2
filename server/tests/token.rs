//! The token endpoint against the real server on a port: every client authentication method,
//! the failures of DESIGN.md §3 answered as RFC 6749 errors (the same answer for an unknown
//! client and a wrong secret), replayed assertions, discovery, certs, introspection, metrics and
//! the authentication events the console shows.

mod common;

use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::*;
use serde_json::{json, Value};

fn now() -> i64 {
    keyward_server::now()
}

fn assertion_claims(client_id: &str, aud: &str, jti: &str) -> Value {
    let t = now();
    json!({ "iss": client_id, "sub": client_id, "aud": aud, "jti": jti, "iat": t, "exp": t + 30 })
}

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

#[tokio::test(flavor = "multi_thread")]
async fn client_secret_basic_and_post() {
    let l = live().await;
    let mut a = admin(&l.app).await;
    let id = new_client(&mut a, "billing").await;
    let secret = new_secret(&mut a, &id, "0").await;

    // Basic: a token, signed by the realm key that certs publishes; introspection says active.
    let (status, body, headers) = l
        .token(
            Some(("billing", &secret)),
            &[("grant_type", "client_credentials"), ("scope", "openid")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    assert_eq!(body["scope"], "openid");
    assert_eq!(headers["cache-control"], "no-store");
    let token = body["access_token"].as_str().unwrap().to_string();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["typ"], "JWT");
    let certs: Value = l
        .http
        .get(format!(
            "{}/realms/master/protocol/openid-connect/certs",
            l.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = certs["keys"].as_array().unwrap().clone();
    assert!(keys.iter().any(|k| k["kid"] == header["kid"]));
    assert!(keys.iter().all(|k| k.get("d").is_none()));
    let issuer = format!("{}/realms/master", l.base);
    let claims = keyward_credentials::access_token::verify(&token, &keys, &issuer, now()).unwrap();
    assert_eq!(claims.azp, "billing");
    assert_eq!(claims.sub, "service-account-billing");

    let introspected: Value = l
        .http
        .post(format!(
            "{}/realms/master/protocol/openid-connect/token/introspect",
            l.base
        ))
        .basic_auth("billing", Some(&secret))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(introspected["active"], true);
    assert_eq!(introspected["client_id"], "billing");
    let inactive: Value = l
        .http
        .post(format!(
            "{}/realms/master/protocol/openid-connect/token/introspect",
            l.base
        ))
        .basic_auth("billing", Some(&secret))
        .form(&[("token", format!("{token}x").as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(inactive, json!({ "active": false }));

    // Post.
    let (status, body, _) = l
        .token(
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "billing"),
                ("client_secret", &secret),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // A wrong secret and an unknown client get the same answer; Basic adds WWW-Authenticate.
    let (s1, b1, h1) = l
        .token(
            Some(("billing", "wrong")),
            &[("grant_type", "client_credentials")],
        )
        .await;
    let (s2, b2, _) = l
        .token(
            Some(("nobody", "wrong")),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(b1, b2);
    assert_eq!(b1["error"], "invalid_client");
    assert!(h1["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic"));
    // Both methods at once, and a bad grant type.
    let (s, b, _) = l
        .token(
            Some(("billing", &secret)),
            &[
                ("grant_type", "client_credentials"),
                ("client_secret", &secret),
            ],
        )
        .await;
    assert_eq!(
        (s, b["error"].as_str()),
        (400, Some("invalid_request")),
        "{b}"
    );
    let (s, b, _) = l
        .token(Some(("billing", &secret)), &[("grant_type", "password")])
        .await;
    assert_eq!(
        (s, b["error"].as_str()),
        (400, Some("unsupported_grant_type")),
        "{b}"
    );
    let (s, b, _) = l.token(Some(("billing", &secret)), &[]).await;
    assert_eq!(
        (s, b["error"].as_str()),
        (400, Some("invalid_request")),
        "{b}"
    );

    // Rotation with overlap: the previous secret keeps working.
    let newer = new_secret(&mut a, &id, "1").await;
    for s in [&secret, &newer] {
        let (status, body, _) = l
            .token(
                Some(("billing", s)),
                &[("grant_type", "client_credentials")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    // The console's authentication events hold the real reasons; metrics count the outcomes.
    let events = keyward_store::auth_events::recent(
        &l.app.keyward.state.ctx.db,
        &keyward_store::clients::get_by_client_id(
            &l.app.keyward.state.ctx.db,
            &keyward_store::realms::get_by_name(&l.app.keyward.state.ctx.db, "master")
                .await
                .unwrap()
                .realm_id,
            "billing",
        )
        .await
        .unwrap()
        .client_row_id,
        50,
    )
    .await
    .unwrap();
    assert!(events.iter().any(|e| !e.success
        && e.reason
            .as_deref()
            .unwrap_or_default()
            .contains("does not match")));
    // Successes are recorded at most every 10 s per client: the first one (Basic) is there.
    assert!(events
        .iter()
        .any(|e| e.success && e.method == "client_secret_basic"));
    for e in &events {
        assert!(!e.reason.clone().unwrap_or_default().contains(&secret));
    }
    let metrics = l
        .http
        .get(format!("{}/metrics", l.base))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("keyward_token_requests_total{realm=\"master\",method=\"client_secret_basic\",outcome=\"success\"}"), "{metrics}");
    assert!(metrics.contains("outcome=\"failure\""), "{metrics}");
}

#[tokio::test(flavor = "multi_thread")]
async fn private_key_jwt_rules_and_replay() {
    let l = live().await;
    let mut a = admin(&l.app).await;
    let (_, key) = jwt_client(&mut a, "signer").await;
    let issuer = format!("{}/realms/master", l.base);
    let send = |assertion: String| {
        let l = &l;
        async move {
            l.token(
                None,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_assertion_type", JWT_BEARER),
                    ("client_assertion", &assertion),
                ],
            )
            .await
        }
    };
    let header = json!({ "alg": "ES256", "kid": "k1" });
    let ok = key.sign(header.clone(), assertion_claims("signer", &issuer, "jti-1"));
    let (status, body, _) = send(ok.clone()).await;
    assert_eq!(status, 200, "{body}");
    // Replay: refused.
    let (status, body, _) = send(ok).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );
    // The token endpoint URL is accepted as aud (realm not strict).
    let (status, body, _) = send(key.sign(
        header.clone(),
        assertion_claims("signer", &l.token_url(), "jti-2"),
    ))
    .await;
    assert_eq!(status, 200, "{body}");

    // Failures, each invalid_client (the reason only in the log and events).
    let t = now();
    let other = EcKey::new();
    let cases: Vec<(&str, String)> = vec![
        ("expired", key.sign(header.clone(), json!({"iss":"signer","sub":"signer","aud":issuer,"jti":"e1","exp":t-60}))),
        ("nbf in the future", key.sign(header.clone(), json!({"iss":"signer","sub":"signer","aud":issuer,"jti":"e2","exp":t+30,"nbf":t+120}))),
        ("too long without iat", key.sign(header.clone(), json!({"iss":"signer","sub":"signer","aud":issuer,"jti":"e3","exp":t+600}))),
        ("wrong audience", key.sign(header.clone(), assertion_claims("signer", "https://elsewhere.example.com", "e4"))),
        ("several audiences", key.sign(header.clone(), json!({"iss":"signer","sub":"signer","aud":[issuer, l.token_url()],"jti":"e5","exp":t+30}))),
        ("another key", other.sign(header.clone(), assertion_claims("signer", &issuer, "e6"))),
        ("unknown kid", key.sign(json!({"alg":"ES256","kid":"nope"}), assertion_claims("signer", &issuer, "e7"))),
        ("no jti", key.sign(header.clone(), json!({"iss":"signer","sub":"signer","aud":issuer,"exp":t+30}))),
        ("alg none", format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#), URL_SAFE_NO_PAD.encode(assertion_claims("signer", &issuer, "e8").to_string()))),
        ("iss differs from sub", key.sign(header.clone(), json!({"iss":"x","sub":"signer","aud":issuer,"jti":"e9","exp":t+30}))),
    ];
    // Each from an address of its own: failures are throttled per (address, client), and these
    // are more than one address gets before its failures are answered 429.
    for (i, (what, assertion)) in cases.into_iter().enumerate() {
        let from = http_from(&format!("127.0.0.{}", 20 + i));
        let res = from
            .post(l.token_url())
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &assertion),
            ])
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 401, "{what}: {body}");
        assert_eq!(body["error"], "invalid_client", "{what}: {body}");
        assert_eq!(
            body["error_description"], "Invalid client or Invalid client credentials",
            "{what}"
        );
    }
    // A client_id field that differs from sub, and a wrong assertion type.
    let (status, _, _) = l
        .token(
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "billing"),
                ("client_assertion_type", JWT_BEARER),
                (
                    "client_assertion",
                    &key.sign(header.clone(), assertion_claims("signer", &issuer, "e10")),
                ),
            ],
        )
        .await;
    assert_eq!(status, 401);
    let (status, body, _) = l
        .token(
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", "urn:other"),
                (
                    "client_assertion",
                    &key.sign(header.clone(), assertion_claims("signer", &issuer, "e11")),
                ),
            ],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    // The wrong method: a secret for a client-jwt client.
    let (status, _, _) = l
        .token(
            Some(("signer", "some-secret")),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(status, 401);

    // Discovery names the endpoints and methods.
    let d: Value = l
        .http
        .get(format!(
            "{}/realms/master/.well-known/openid-configuration",
            l.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["issuer"], issuer);
    assert_eq!(d["token_endpoint"], l.token_url());
    assert!(d["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("private_key_jwt")));
    let missing = l
        .http
        .get(format!(
            "{}/realms/nope/.well-known/openid-configuration",
            l.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn realm_token_policy_key_rotation_and_rate_limits() {
    let l = live().await;
    let mut a = admin(&l.app).await;
    let id = new_client(&mut a, "rotating").await;
    let secret = new_secret(&mut a, &id, "0").await;
    let introspect = |token: String| {
        let (http, base, secret) = (l.http.clone(), l.base.clone(), secret.clone());
        async move {
            http.post(format!(
                "{base}/realms/master/protocol/openid-connect/token/introspect"
            ))
            .basic_auth("rotating", Some(&secret))
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["active"]
                .clone()
        }
    };
    let certs = || async {
        l.http
            .get(format!(
                "{}/realms/master/protocol/openid-connect/certs",
                l.base
            ))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["keys"]
            .as_array()
            .unwrap()
            .len()
    };
    let (_, first, _) = l
        .token(
            Some(("rotating", &secret)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    let first = first["access_token"].as_str().unwrap().to_string();

    // RS256 and a shorter lifetime: the next token is RS256 from a new key; the ES256 key stays
    // in certs (passive) and its token still verifies.
    let r = a
        .change(
            "update_token_policy",
            &[
                ("realm", "master"),
                ("token_signing_alg", "RS256"),
                ("access_token_lifetime_s", "120"),
                ("strict_audience", "false"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (status, body, _) = l
        .token(
            Some(("rotating", &secret)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expires_in"], 120);
    let second = body["access_token"].as_str().unwrap().to_string();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(second.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "RS256");
    assert_eq!(certs().await, 2);
    assert_eq!(introspect(first.clone()).await, true);
    assert_eq!(introspect(second.clone()).await, true);

    // Rotate from the console, then retire the passive keys: their tokens stop verifying.
    let r = a.change("rotate_realm_key", &[("realm", "master")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let settings = a
        .call("get_token_settings", &[("realm", "master")])
        .await
        .json();
    let keys = settings["keys"].as_array().unwrap();
    assert_eq!(keys.iter().filter(|k| k["status"] == "active").count(), 1);
    for k in keys.iter().filter(|k| k["status"] == "passive") {
        let r = a
            .change(
                "retire_realm_key",
                &[("realm", "master"), ("key_id", k["id"].as_str().unwrap())],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    assert_eq!(certs().await, 1);
    assert_eq!(introspect(first).await, false);
    assert_eq!(introspect(second).await, false);
    let (status, _, _) = l
        .token(
            Some(("rotating", &secret)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(status, 200);
    // Bad input changes nothing; a viewer cannot rotate.
    let r = a
        .change(
            "update_token_policy",
            &[
                ("realm", "master"),
                ("token_signing_alg", "HS256"),
                ("access_token_lifetime_s", "120"),
                ("strict_audience", "false"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let mut viewer = operator(&l.app, "tviewer", "viewer").await;
    let r = viewer
        .change("rotate_realm_key", &[("realm", "master")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // Repeated failures for one client: 429 with Retry-After, and the right secret waits too.
    let mut limited = None;
    for _ in 0..40 {
        let (status, body, headers) = l
            .token(
                Some(("rotating", "wrong")),
                &[("grant_type", "client_credentials")],
            )
            .await;
        if status == 429 {
            limited = Some((body, headers));
            break;
        }
        assert_eq!(status, 401);
    }
    let (body, headers) = limited.expect("rate limited within 40 failures");
    assert!(
        headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1,
        "{body}"
    );
    // The right secret from the same address is answered on its merits: a stranger's failures
    // never lock a service out.
    let (status, _, _) = l
        .token(
            Some(("rotating", &secret)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn revoked_secrets_disabled_clients_pinned_algs_and_lifetimes() {
    let l = live().await;
    let mut a = admin(&l.app).await;
    let id = new_client(&mut a, "lifecycle").await;
    let secret = new_secret(&mut a, &id, "0").await;
    let cc = [("grant_type", "client_credentials")];
    assert_eq!(l.token(Some(("lifecycle", &secret)), &cc).await.0, 200);
    // Revoked: refused.
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
    assert_eq!(l.token(Some(("lifecycle", &secret)), &cc).await.0, 401);
    // Regenerated without overlap: only the new one works.
    let fresh = new_secret(&mut a, &id, "0").await;
    assert_eq!(l.token(Some(("lifecycle", &fresh)), &cc).await.0, 200);
    // Disabled: refused with the same answer.
    let c = a
        .call("get_client", &[("realm", "master"), ("id", &id)])
        .await
        .json();
    let r = a
        .change(
            "update_client",
            &[
                ("realm", "master"),
                ("id", &id),
                ("version", &c["version"].to_string()),
                ("name", ""),
                ("description", ""),
                ("access_type", "confidential"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (status, body, _) = l.token(Some(("lifecycle", &fresh)), &cc).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );

    // A pinned algorithm refuses another one; a lifetime over max-exp is refused with iat too.
    let id = new_client(&mut a, "pinned").await;
    set_method(&mut a, &id, "client-jwt", "ES384").await;
    let key = EcKey::new();
    let r = a
        .import_keys(&id, "jwk", key.jwk("k1").as_bytes(), "", "")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let issuer = format!("{}/realms/master", l.base);
    let send = |assertion: String| {
        let l = &l;
        async move {
            l.token(
                None,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_assertion_type", JWT_BEARER),
                    ("client_assertion", &assertion),
                ],
            )
            .await
            .0
        }
    };
    let header = json!({ "alg": "ES256", "kid": "k1" });
    assert_eq!(
        send(key.sign(header.clone(), assertion_claims("pinned", &issuer, "p1"))).await,
        401,
        "ES256 while ES384 is pinned"
    );
    set_method(&mut a, &id, "client-jwt", "").await;
    assert_eq!(
        send(key.sign(header.clone(), assertion_claims("pinned", &issuer, "p2"))).await,
        200
    );
    let t = now();
    let stale_iat =
        json!({"iss":"pinned","sub":"pinned","aud":issuer,"jti":"p3","iat":t-120,"exp":t+30});
    assert_eq!(
        send(key.sign(header.clone(), stale_iat)).await,
        401,
        "iat older than max-exp"
    );
    let future_iat =
        json!({"iss":"pinned","sub":"pinned","aud":issuer,"jti":"p4","iat":t+120,"exp":t+150});
    assert_eq!(
        send(key.sign(header.clone(), future_iat)).await,
        401,
        "iat in the future"
    );
    // Strict audience: the token endpoint URL is no longer accepted, the issuer is.
    let r = a
        .change(
            "update_token_policy",
            &[
                ("realm", "master"),
                ("token_signing_alg", "ES256"),
                ("access_token_lifetime_s", "300"),
                ("strict_audience", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        send(key.sign(
            header.clone(),
            assertion_claims("pinned", &l.token_url(), "p5")
        ))
        .await,
        401
    );
    assert_eq!(
        send(key.sign(header.clone(), assertion_claims("pinned", &issuer, "p6"))).await,
        200
    );
}
