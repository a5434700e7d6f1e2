//! Issue 17: no protection of Keyward's may be turned against the people it protects. Every test
//! here plays the attacker against a legitimate user on the real server on a port, from distinct
//! loopback addresses (127.0.0.x), on SQLite and on a throw-away PostgreSQL cluster where the
//! database is involved.

mod common;

use axum::http::{header, StatusCode};
use common::*;
use keyward_store::testing::PgCluster;
use serde_json::{json, Value};

const ATTACKER: &str = "127.0.0.66";
const SERVICE: &str = "127.0.0.10";

async fn token(
    l: &Live,
    http: &reqwest::Client,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut req = http.post(l.token_url()).form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let h = res.headers().clone();
    (status, res.json().await.unwrap_or(Value::Null), h)
}

const GRANT: &[(&str, &str)] = &[("grant_type", "client_credentials")];

async fn pg_live() -> (PgCluster, Live) {
    let pg = PgCluster::start().expect("PostgreSQL 15 is required for this test");
    let url = pg.url();
    let l = live_with(move |c| c.database_url = Some(url)).await;
    (pg, l)
}

/// A confidential client with a fresh secret; (row id, secret).
async fn secret_client(a: &mut Client, client_id: &str) -> (String, String) {
    let id = new_client(a, client_id).await;
    let secret = new_secret(a, &id, "0").await;
    (id, secret)
}

/// The failed authentications of a client (by row id) recorded from `ip`.
async fn failure_events(
    l: &Live,
    client_row_id: &str,
    ip: &str,
) -> Vec<keyward_store::auth_events::AuthEvent> {
    let db = &l.app.keyward.state.ctx.db;
    keyward_store::auth_events::recent(db, client_row_id, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| !e.success && e.ip.as_deref() == Some(ip))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 1. Rate limits never refuse valid credentials

async fn wrong_secrets_never_lock_out_the_service(l: Live) {
    let mut a = admin(&l.app).await;
    let (svc_id, secret) = secret_client(&mut a, "svc").await;
    let (_, other_secret) = secret_client(&mut a, "other").await;
    let attacker = http_from(ATTACKER);
    let service = http_from(SERVICE);
    let mut throttled = 0;
    for i in 0..40 {
        let (status, body, headers) =
            token(&l, &attacker, Some(("svc", "wrong-secret")), GRANT, &[]).await;
        if i < 10 {
            assert_eq!(status, 401, "attempt {i}: {body}");
        } else {
            assert_eq!(status, 429, "attempt {i}: {body}");
            assert!(headers.contains_key(header::RETRY_AFTER));
            throttled += 1;
        }
        // The service itself, from its own address and from the attacker's (one NAT): answered
        // on its merits every time.
        for http in [&service, &attacker] {
            let (status, body, _) = token(&l, http, Some(("svc", &secret)), GRANT, &[]).await;
            assert_eq!(
                status, 200,
                "valid secret refused after {i} attacks: {body}"
            );
        }
    }
    assert_eq!(throttled, 30);
    // Another client from the attacker's address is not throttled by svc's failures.
    let (status, _, _) = token(&l, &attacker, Some(("other", "nope")), GRANT, &[]).await;
    assert_eq!(status, 401);
    let (status, _, _) = token(&l, &attacker, Some(("other", &other_secret)), GRANT, &[]).await;
    assert_eq!(status, 200);
    // A flood of failures costs at most 11 event writes per pair and minute (10, then one that
    // says the rest are counted, not recorded).
    let events = failure_events(&l, &svc_id, ATTACKER).await;
    assert_eq!(events.len(), 11, "{events:?}");
    assert!(events.iter().any(|e| e
        .reason
        .as_deref()
        .unwrap_or("")
        .contains("counted, not recorded")));
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_secrets_never_lock_out_the_service_sqlite() {
    wrong_secrets_never_lock_out_the_service(live().await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_secrets_never_lock_out_the_service_postgres() {
    let (_pg, l) = pg_live().await;
    wrong_secrets_never_lock_out_the_service(l).await;
}

fn assertion(l: &Live, key: &EcKey, client_id: &str, jti: &str, iat: i64, exp: i64) -> String {
    let aud = format!("{}/realms/master", l.base);
    key.sign(
        json!({"alg":"ES256","kid":"k1"}),
        json!({"iss":client_id,"sub":client_id,"aud":aud,"jti":jti,"iat":iat,"exp":exp}),
    )
}

fn jwt_form(assertion: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("grant_type", "client_credentials"),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion),
    ]
}

async fn replays_never_refuse_fresh_assertions(l: Live) {
    let mut a = admin(&l.app).await;
    let (jwt_id, key) = jwt_client(&mut a, "jwt-svc").await;
    let attacker = http_from(ATTACKER);
    let service = http_from(SERVICE);
    let now = keyward_server::now();
    let captured = assertion(&l, &key, "jwt-svc", "captured", now, now + 30);
    let (status, body, _) = token(&l, &service, None, &jwt_form(&captured), &[]).await;
    assert_eq!(status, 200, "{body}");
    for i in 0..30 {
        let (status, _, _) = token(&l, &attacker, None, &jwt_form(&captured), &[]).await;
        assert_eq!(status, if i < 10 { 401 } else { 429 }, "replay {i}");
        for (n, http) in [&service, &attacker].into_iter().enumerate() {
            let fresh = assertion(
                &l,
                &key,
                "jwt-svc",
                &format!("fresh-{i}-{n}"),
                now,
                now + 30,
            );
            let (status, body, _) = token(&l, http, None, &jwt_form(&fresh), &[]).await;
            assert_eq!(
                status, 200,
                "fresh assertion refused after {i} replays: {body}"
            );
        }
    }
    // A far-future exp beside a fresh iat is accepted, as Keycloak does and Authlib needs (it
    // signs exp = iat + 3600); the assertion still dies at iat + max-exp (60 s here).
    let far = assertion(&l, &key, "jwt-svc", "far", now, now + 10 * 365 * 86_400);
    let (status, body, _) = token(&l, &service, None, &jwt_form(&far), &[]).await;
    assert_eq!(status, 200, "{body}");
    let stale = assertion(&l, &key, "jwt-svc", "stale", now - 61, now + 3600);
    let (status, _, _) = token(&l, &service, None, &jwt_form(&stale), &[]).await;
    assert_eq!(status, 401, "issued more than max-exp ago");
    let reasons: Vec<String> = failure_events(&l, &jwt_id, SERVICE)
        .await
        .into_iter()
        .filter_map(|e| e.reason)
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("s ago, more than the 60 s allowed")),
        "{reasons:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn replays_never_refuse_fresh_assertions_sqlite() {
    replays_never_refuse_fresh_assertions(live().await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn replays_never_refuse_fresh_assertions_postgres() {
    let (_pg, l) = pg_live().await;
    replays_never_refuse_fresh_assertions(l).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stranger_cannot_lock_out_the_admin_and_parallel_guesses_gain_nothing() {
    let l = live().await;
    // The stranger fails against the only admin, well past the old five-failure lock.
    let mut stranger = Client::live(&l, ATTACKER);
    for i in 0..keyward_server::throttle::SIGNIN_FREE_ATTEMPTS {
        let r = stranger.sign_in(ADMIN, "not-the-password").await;
        assert_eq!(r.location(), "/login?error=invalid", "attempt {i}");
    }
    let r = stranger.sign_in(ADMIN, "not-the-password").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // The admin, from an address that is not failing, signs in with the right password.
    let mut me = Client::live(&l, SERVICE);
    let r = me.sign_in(ADMIN, ADMIN_PASSWORD).await;
    assert_eq!(r.location(), "/console/master/clients", "{}", r.body);
    assert_eq!(me.call("list_realms", &[]).await.status, StatusCode::OK);

    // 100 guesses at once from one address get exactly the tries sequential ones would.
    let mut guesser = Client::live(&l, "127.0.0.77");
    guesser.open().await;
    let (cookie, csrf) = (guesser.cookie.clone().unwrap(), guesser.csrf.clone());
    let http = http_from("127.0.0.77");
    let url = format!("{}/auth/login", l.base);
    let guesses = (0..100).map(|i| {
        let (http, url, cookie, csrf) = (http.clone(), url.clone(), cookie.clone(), csrf.clone());
        async move {
            http.post(url)
                .header(header::COOKIE, cookie)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("username", ADMIN),
                    ("password", &format!("guess-{i}")),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let tried = statuses.iter().filter(|s| **s == 303).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        (tried, refused),
        (keyward_server::throttle::SIGNIN_FREE_ATTEMPTS as usize, 95),
        "{statuses:?}"
    );
    // And the account is still the admin's.
    let mut again = Client::live(&l, "127.0.0.11");
    let r = again.sign_in(ADMIN, ADMIN_PASSWORD).await;
    assert_eq!(r.location(), "/console/master/clients");
}

// ---------------------------------------------------------------------------------------------
// Trusted proxies

#[tokio::test(flavor = "multi_thread")]
async fn forwarding_headers_count_only_from_trusted_proxies() {
    let l = live_with(|c| c.trusted_proxies = "127.0.0.1/32".into()).await;
    let mut a = admin(&l.app).await;
    let (svc_id, secret) = secret_client(&mut a, "svc").await;
    let proxy = http_from("127.0.0.1");
    let stranger = http_from("127.0.0.2");
    // Through the trusted proxy, the forwarded address is the caller (rightmost untrusted hop).
    let (status, _, _) = token(
        &l,
        &proxy,
        Some(("svc", "wrong")),
        GRANT,
        &[("x-forwarded-for", "6.6.6.6, 203.0.113.9")],
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(failure_events(&l, &svc_id, "203.0.113.9").await.len(), 1);
    // RFC 7239 Forwarded too.
    let (status, _, _) = token(
        &l,
        &proxy,
        Some(("svc", "wrong")),
        GRANT,
        &[("forwarded", "for=\"[2001:db8::7]:443\"")],
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(failure_events(&l, &svc_id, "2001:db8::7").await.len(), 1);
    // From any other peer the header is ignored: the peer is the caller.
    let (status, _, _) = token(
        &l,
        &stranger,
        Some(("svc", "wrong")),
        GRANT,
        &[("x-forwarded-for", "198.51.100.1")],
    )
    .await;
    assert_eq!(status, 401);
    assert!(failure_events(&l, &svc_id, "198.51.100.1").await.is_empty());
    assert_eq!(failure_events(&l, &svc_id, "127.0.0.2").await.len(), 1);
    // Limits follow the forwarded address: one address behind the proxy is throttled, another
    // one behind the same proxy is not, and valid credentials pass for both.
    for _ in 0..12 {
        token(
            &l,
            &proxy,
            Some(("svc", "wrong")),
            GRANT,
            &[("x-forwarded-for", "203.0.113.50")],
        )
        .await;
    }
    let (s1, _, _) = token(
        &l,
        &proxy,
        Some(("svc", "wrong")),
        GRANT,
        &[("x-forwarded-for", "203.0.113.50")],
    )
    .await;
    let (s2, _, _) = token(
        &l,
        &proxy,
        Some(("svc", "wrong")),
        GRANT,
        &[("x-forwarded-for", "203.0.113.51")],
    )
    .await;
    let (s3, _, _) = token(
        &l,
        &proxy,
        Some(("svc", &secret)),
        GRANT,
        &[("x-forwarded-for", "203.0.113.50")],
    )
    .await;
    assert_eq!((s1, s2, s3), (429, 401, 200));
}

// ---------------------------------------------------------------------------------------------
// 2. Privilege boundaries

#[tokio::test(flavor = "multi_thread")]
async fn a_manager_cannot_take_over_a_client_with_a_higher_api_role() {
    let l = live_with(|c| {
        c.bootstrap_admin_client_id = Some("ci-admin".into());
        c.bootstrap_admin_client_secret = Some("ci-admin-secret-0123456789".into());
    })
    .await;
    let mut a = admin(&l.app).await;
    let (target, _) = secret_client(&mut a, "automation").await;
    let r = a
        .change(
            "set_api_role",
            &[("realm", "master"), ("id", &target), ("api_role", "admin")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let key = EcKey::new();
    let jwk = key.jwk("k1");
    let r = a.import_keys(&target, "jwk", jwk.as_bytes(), "", "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let key_id = a
        .call("get_keys", &[("realm", "master"), ("id", &target)])
        .await
        .json()["keys"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let secrets = a
        .call("get_credentials", &[("realm", "master"), ("id", &target)])
        .await
        .json();
    let secret_id = secrets["secrets"][0]["id"].as_str().unwrap().to_string();
    let version = a
        .call("get_client", &[("realm", "master"), ("id", &target)])
        .await
        .json()["version"]
        .to_string();

    // Every console path that changes the client, as a manager.
    let mut m = operator(&l.app, "mallory", "manager").await;
    let base = [("realm", "master"), ("id", target.as_str())];
    let calls: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "regenerate_secret",
            vec![
                ("label", "x"),
                ("overlap_hours", "0"),
                ("expires_in_days", ""),
            ],
        ),
        ("revoke_secret", vec![("secret_id", &secret_id)]),
        (
            "set_authenticator",
            vec![
                ("authenticator", "client-secret"),
                ("signing_alg", ""),
                ("assertion_max_exp_s", "60"),
                ("version", &version),
            ],
        ),
        (
            "set_key_active",
            vec![("key_id", &key_id), ("active", "false")],
        ),
        ("delete_key", vec![("key_id", &key_id)]),
        (
            "set_jwks_url",
            vec![
                ("use_jwks_url", "true"),
                ("url", "https://keys.example.com/jwks"),
            ],
        ),
        ("fetch_jwks_now", vec![]),
        (
            "generate_keystore",
            vec![
                ("format", "PKCS12"),
                ("algorithm", "RS256"),
                ("alias", "k"),
                ("store_password", "store-pass-123"),
                ("store_password_confirm", "store-pass-123"),
                ("key_password", ""),
                ("key_password_confirm", ""),
                ("validity_years", "1"),
            ],
        ),
        (
            "update_client",
            vec![
                ("version", &version),
                ("name", "pwned"),
                ("description", ""),
                ("access_type", "confidential"),
                ("enabled", "on"),
            ],
        ),
        ("delete_client", vec![]),
    ];
    for (name, extra) in &calls {
        let mut args = base.to_vec();
        args.extend(extra.iter().cloned());
        let r = m.change(name, &args).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{name}: {}", r.body);
        assert!(r.body.contains("API role admin"), "{name}: {}", r.body);
    }
    let r = m.import_keys(&target, "jwk", jwk.as_bytes(), "", "").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "import_keys: {}", r.body);
    assert!(r.body.contains("API role admin"), "import_keys: {}", r.body);
    // Nothing changed.
    let after = a
        .call("get_credentials", &[("realm", "master"), ("id", &target)])
        .await
        .json();
    assert_eq!(after["secrets"], secrets["secrets"]);

    // The Admin REST API, as a client holding "manage".
    let (manage_id, manage_secret) = secret_client(&mut a, "ci-manager").await;
    let r = a
        .change(
            "set_api_role",
            &[
                ("realm", "master"),
                ("id", &manage_id),
                ("api_role", "manage"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (status, body, _) = l.token(Some(("ci-manager", &manage_secret)), GRANT).await;
    assert_eq!(status, 200, "{body}");
    let bearer = body["access_token"].as_str().unwrap().to_string();
    let client_path = format!("{}/admin/realms/master/clients/{target}", l.base);
    let rest: Vec<(reqwest::Method, String, Option<Value>)> = vec![
        (
            reqwest::Method::POST,
            format!("{client_path}/client-secret"),
            None,
        ),
        (
            reqwest::Method::DELETE,
            format!("{client_path}/client-secret/rotated"),
            None,
        ),
        (
            reqwest::Method::PUT,
            client_path.clone(),
            Some(json!({"clientAuthenticatorType": "client-jwt"})),
        ),
        (
            reqwest::Method::PUT,
            client_path.clone(),
            Some(json!({"enabled": false})),
        ),
        (reqwest::Method::DELETE, client_path.clone(), None),
        (
            reqwest::Method::POST,
            format!("{client_path}/certificates/jwt.credential/generate"),
            None,
        ),
        (
            reqwest::Method::POST,
            format!("{client_path}/certificates/jwt.credential/generate-and-download"),
            Some(
                json!({"format": "PKCS12", "keyAlias": "k", "keyPassword": "pass-123456", "storePassword": "pass-123456"}),
            ),
        ),
        (
            reqwest::Method::POST,
            format!("{client_path}/secrets"),
            Some(json!({})),
        ),
        (
            reqwest::Method::DELETE,
            format!("{client_path}/secrets/{secret_id}"),
            None,
        ),
        (
            reqwest::Method::PUT,
            format!("{client_path}/keys/{key_id}"),
            Some(json!({"active": false})),
        ),
        (
            reqwest::Method::DELETE,
            format!("{client_path}/keys/{key_id}"),
            None,
        ),
    ];
    for (method, url, body) in rest {
        let mut req = l.http.request(method.clone(), &url).bearer_auth(&bearer);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert_eq!(status, 403, "{method} {url}: {text}");
        assert!(text.contains("API role admin"), "{method} {url}: {text}");
    }
    let after = a
        .call("get_credentials", &[("realm", "master"), ("id", &target)])
        .await
        .json();
    assert_eq!(after["secrets"], secrets["secrets"]);
    // A client whose API role is not above the caller's stays manageable, and an admin may
    // change the admin client.
    let res = l
        .http
        .post(format!(
            "{}/admin/realms/master/clients/{manage_id}/client-secret",
            l.base
        ))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let r = a
        .change(
            "regenerate_secret",
            &[
                ("realm", "master"),
                ("id", &target),
                ("label", "x"),
                ("overlap_hours", "0"),
                ("expires_in_days", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn role_changes_and_disabling_end_the_operators_sessions() {
    let app = app().await;
    let mut a = admin(&app).await;
    let db = app.keyward.state.ctx.db.clone();
    let mut m = operator(&app, "mara", "manager").await;
    let id = keyward_store::operators::get_by_username(&db, "mara")
        .await
        .unwrap()
        .operator_id;
    assert_eq!(m.call("list_realms", &[]).await.status, StatusCode::OK);
    let r = a
        .change(
            "set_operator_role",
            &[("operator_id", &id), ("role", "viewer")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        m.call("list_realms", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut m = Client::new(&app);
    assert_eq!(
        m.sign_in("mara", "operator-password-1").await.location(),
        "/console/master/clients"
    );
    let r = a
        .change(
            "set_operator_disabled",
            &[("operator_id", &id), ("disabled", "true")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = a
        .change(
            "set_operator_disabled",
            &[("operator_id", &id), ("disabled", "false")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Re-enabling does not bring the old session back.
    assert_eq!(
        m.call("list_realms", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Tokens say only what is true

async fn introspection_follows_the_client(l: Live) {
    let mut a = admin(&l.app).await;
    let (_, rs_secret) = secret_client(&mut a, "resource-server").await;
    let (holder, secret) = secret_client(&mut a, "holder").await;
    let (status, body, _) = l.token(Some(("holder", &secret)), GRANT).await;
    assert_eq!(status, 200, "{body}");
    let access = body["access_token"].as_str().unwrap().to_string();
    let introspect = || async {
        l.http
            .post(format!(
                "{}/realms/master/protocol/openid-connect/token/introspect",
                l.base
            ))
            .basic_auth("resource-server", Some(&rs_secret))
            .form(&[("token", access.as_str())])
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["active"]
            .clone()
    };
    assert_eq!(introspect().await, json!(true));
    let version = a
        .call("get_client", &[("realm", "master"), ("id", &holder)])
        .await
        .json()["version"]
        .to_string();
    let update = |enabled: &'static str, version: String| {
        let holder = holder.clone();
        async move {
            let mut args = vec![
                ("realm", "master".to_string()),
                ("id", holder),
                ("version", version),
                ("name", String::new()),
                ("description", String::new()),
                ("access_type", "confidential".to_string()),
            ];
            if !enabled.is_empty() {
                args.push(("enabled", enabled.to_string()));
            }
            args
        }
    };
    let args = update("", version).await;
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = a.change("update_client", &args).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(introspect().await, json!(false), "disabled client");
    let version = r.json()["version"].to_string();
    let args = update("on", version).await;
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = a.change("update_client", &args).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(introspect().await, json!(true), "enabled again");
    let r = a
        .change("delete_client", &[("realm", "master"), ("id", &holder)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(introspect().await, json!(false), "deleted client");
}

#[tokio::test(flavor = "multi_thread")]
async fn introspection_follows_the_client_sqlite() {
    introspection_follows_the_client(live().await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn introspection_follows_the_client_postgres() {
    let (_pg, l) = pg_live().await;
    introspection_follows_the_client(l).await;
}

// ---------------------------------------------------------------------------------------------
// 4. What the server exposes

#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_not_public_and_their_labels_are_bounded() {
    let l = live().await;
    let anonymous = l
        .http
        .get(format!("{}/metrics", l.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 404);
    let wrong = l
        .http
        .get(format!("{}/metrics", l.base))
        .bearer_auth("not-the-metrics-token")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 404);
    // Token requests to realms that do not exist: one fixed label, however many names.
    for i in 0..20 {
        let res = l
            .http
            .post(format!(
                "{}/realms/made-up-{i}/protocol/openid-connect/token",
                l.base
            ))
            .form(GRANT)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 404);
    }
    let text = l
        .http
        .get(format!("{}/metrics", l.base))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains("made-up"), "{text}");
    assert!(text.contains("realm=\"(unknown)\""), "{text}");
    assert!(
        text.contains("keyward_auth_failures_unrecorded_total"),
        "{text}"
    );
    // The management listener's router serves them without a token (it is bound to loopback).
    use tower::ServiceExt;
    let res = keyward_server::management_router(l.app.keyward.state.clone())
        .oneshot(
            axum::http::Request::get("/metrics")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn console_responses_carry_security_headers() {
    let l = live().await;
    let mut me = Client::live(&l, SERVICE);
    let page = me.get("/login").await;
    assert_eq!(page.status, StatusCode::OK);
    let csp = page
        .headers
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("'wasm-unsafe-eval'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .unwrap_or_else(|| panic!("no nonce in {csp}"));
    assert!(
        page.body.contains(&format!("nonce=\"{nonce}\"")),
        "the page's scripts carry the CSP nonce"
    );
    assert!(!page.body.contains(" onclick="), "no inline event handlers");
    assert_eq!(page.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(page.headers.contains_key(header::REFERRER_POLICY));
    // A second page gets another nonce.
    let again = me.get("/login").await;
    assert_ne!(
        again.headers[header::CONTENT_SECURITY_POLICY],
        page.headers[header::CONTENT_SECURITY_POLICY]
    );
    me.sign_in(ADMIN, ADMIN_PASSWORD).await;
    let console = me.get("/console/master/clients").await;
    assert_eq!(console.status, StatusCode::OK);
    assert_eq!(console.headers[header::CACHE_CONTROL], "no-store");
    let api = me.call("list_realms", &[]).await;
    assert_eq!(api.headers[header::CACHE_CONTROL], "no-store");
    // The OIDC key set and discovery are public and briefly cacheable.
    for path in [
        "/realms/master/protocol/openid-connect/certs",
        "/realms/master/.well-known/openid-configuration",
    ] {
        let res = l
            .http
            .get(format!("{}{path}", l.base))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.headers()[header::CACHE_CONTROL],
            "public, max-age=60",
            "{path}"
        );
    }
}

#[tokio::test]
async fn values_reflected_outside_leptos_views_are_escaped() {
    let app = app().await;
    let mut c = Client::new(&app);
    c.open().await;
    let evil = "\"><script>alert(1)</script>";
    // A stale CSRF token on the setup form: the refusal links back with the token it was sent.
    let r = c
        .post_form(
            "/auth/setup",
            form(&[
                ("csrf", "stale"),
                ("token", evil),
                ("username", "x"),
                ("password", "y"),
                ("confirm", "y"),
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!r.body.contains("<script>alert"), "{}", r.body);
    assert!(
        r.body.contains("href=\"/setup?token=%22%3E%3Cscript"),
        "{}",
        r.body
    );
    // A refused sign-in page is static text.
    let r = c
        .post_form(
            "/auth/login",
            form(&[("csrf", "stale"), ("username", evil), ("password", "x")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!r.body.contains("<script>alert"), "{}", r.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_and_known_client_ids_do_the_same_work() {
    let l = live().await;
    let mut a = admin(&l.app).await;
    secret_client(&mut a, "known").await;
    let cache = &l.app.keyward.state.oidc.cache;
    let http = http_from(SERVICE);
    let mut loads = Vec::new();
    for id in ["known", "unknown"] {
        let before = cache.client_loads();
        for _ in 0..5 {
            let (status, body, _) = token(&l, &http, Some((id, "wrong-secret")), GRANT, &[]).await;
            assert_eq!(status, 401, "{body}");
            assert_eq!(body["error"], "invalid_client");
        }
        loads.push(cache.client_loads() - before);
    }
    // Each read from the store once, then from the cache: the same path for both.
    assert_eq!(loads, vec![1, 1]);
}
