//! Issue 19: one rulebook. Every validation case runs through the console's server function and
//! through the Admin REST API (the same operator session, which the API also takes), and both
//! must give the same decision (status), the same message and, when they change something, the
//! same admin event (operation, path, details). The use cases live once, in `keyward-service`;
//! a case that forks again fails here, naming itself.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::{json, Value};

/// The message of an error answer: the Admin REST API's `errorMessage`, or the console's
/// `AppError` (a one-field JSON object).
fn message(r: &Reply) -> String {
    let v: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
    if let Some(m) = v.get("errorMessage").and_then(Value::as_str) {
        return m.to_string();
    }
    v.as_object()
        .and_then(|o| o.values().find_map(Value::as_str))
        .unwrap_or(&r.body)
        .to_string()
}

/// The newest admin event: (operation, resource path, details).
async fn last_event(l: &TestApp) -> (String, String, Value) {
    let e = keyward_store::events::list(&l.keyward.state.ctx.db, None, 0, 1)
        .await
        .unwrap()
        .remove(0);
    (
        e.operation,
        e.resource_path,
        serde_json::from_str(&e.details).unwrap(),
    )
}

async fn version(a: &mut Client, id: &str) -> String {
    let c = a
        .call("get_credentials", &[("realm", "master"), ("id", id)])
        .await;
    c.json()["version"].to_string()
}

/// One refusal through both doors: same status, same message, nothing recorded.
async fn refused_alike(
    app: &TestApp,
    a: &mut Client,
    case: &str,
    console: (&str, Vec<(&str, String)>),
    api: (&str, String, Option<Value>),
) {
    let before = last_event(app).await;
    let args: Vec<(&str, &str)> = console.1.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let c = a.change(console.0, &args).await;
    let r = rest(a, api.0, &api.1, api.2).await;
    assert!(
        c.status.is_client_error(),
        "{case}: the console accepted it ({}): {}",
        c.status,
        c.body
    );
    assert_eq!(
        c.status, r.status,
        "{case}: console {} / API {}",
        c.body, r.body
    );
    assert_eq!(message(&c), message(&r), "{case}");
    assert_eq!(
        last_event(app).await,
        before,
        "{case}: a refusal recorded an event"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn console_and_admin_api_decide_alike() {
    let app = app().await;
    let mut a = admin(&app).await;
    let conf = new_client(&mut a, "rules-conf").await;
    let public = new_client_with(&mut a, "rules-public", "public").await;
    let client = |id: &str| format!("/admin/realms/master/clients/{id}");
    let method = |id: &str, m: &str, alg: &str, max: &str, v: String| {
        (
            "set_authenticator",
            vec![
                ("realm", "master".to_string()),
                ("id", id.to_string()),
                ("version", v),
                ("authenticator", m.to_string()),
                ("signing_alg", alg.to_string()),
                ("assertion_max_exp_s", max.to_string()),
            ],
        )
    };

    // Authentication method, algorithm and lifetime.
    let v = version(&mut a, &public).await;
    refused_alike(
        &app,
        &mut a,
        "a method for a public client",
        method(&public, "client-jwt", "", "60", v),
        (
            "PUT",
            client(&public),
            Some(json!({"clientAuthenticatorType": "client-jwt"})),
        ),
    )
    .await;
    for (case, m, alg, max, attributes) in [
        ("an unknown method", "client-magic", "", "60", json!({})),
        (
            "an algorithm the method does not have",
            "client-jwt",
            "HS256",
            "60",
            json!({"token.endpoint.auth.signing.alg": "HS256"}),
        ),
        (
            "an algorithm for client-secret",
            "client-secret",
            "RS256",
            "60",
            json!({"token.endpoint.auth.signing.alg": "RS256"}),
        ),
        (
            "a lifetime of 0",
            "client-jwt",
            "",
            "0",
            json!({"token.endpoint.auth.signing.max.exp": "0"}),
        ),
        (
            "a lifetime above the maximum",
            "client-jwt",
            "",
            "7200",
            json!({"token.endpoint.auth.signing.max.exp": "7200"}),
        ),
        (
            "a lifetime that is not a number",
            "client-jwt",
            "",
            "soon",
            json!({"token.endpoint.auth.signing.max.exp": "soon"}),
        ),
    ] {
        let v = version(&mut a, &conf).await;
        let mut rep = json!({ "clientAuthenticatorType": m, "attributes": attributes });
        if m == "client-secret" || m == "client-magic" {
            rep["clientAuthenticatorType"] = json!(m);
        }
        refused_alike(
            &app,
            &mut a,
            case,
            method(&conf, m, alg, max, v),
            ("PUT", client(&conf), Some(rep)),
        )
        .await;
    }

    // Secrets: a public client has none; the overlap, expiry and label rules.
    refused_alike(
        &app,
        &mut a,
        "a secret for a public client",
        (
            "regenerate_secret",
            vec![
                ("realm", "master".into()),
                ("id", public.clone()),
                ("label", "x".into()),
                ("overlap_hours", "".into()),
                ("expires_in_days", "".into()),
            ],
        ),
        (
            "POST",
            format!("{}/secrets", client(&public)),
            Some(json!({"label": "x"})),
        ),
    )
    .await;
    for (case, label, hours, rest_body) in [
        (
            "an overlap above the realm's maximum",
            "x",
            "100000",
            json!({"label": "x", "overlapSeconds": 100_000i64 * 3600}),
        ),
        (
            "a negative overlap",
            "x",
            "-1",
            json!({"label": "x", "overlapSeconds": -3600}),
        ),
        (
            "a label too long",
            &*"l".repeat(200),
            "",
            json!({"label": "l".repeat(200)}),
        ),
    ] {
        refused_alike(
            &app,
            &mut a,
            case,
            (
                "regenerate_secret",
                vec![
                    ("realm", "master".into()),
                    ("id", conf.clone()),
                    ("label", label.to_string()),
                    ("overlap_hours", hours.to_string()),
                    ("expires_in_days", "".into()),
                ],
            ),
            (
                "POST",
                format!("{}/secrets", client(&conf)),
                Some(rest_body),
            ),
        )
        .await;
    }

    // The realm's token policy.
    for (case, alg, lifetime) in [
        ("a lifetime of 5 s", "ES256", 5i64),
        ("a lifetime above a day", "ES256", 86_401),
        ("an algorithm Keyward does not sign with", "HS256", 300),
    ] {
        refused_alike(
            &app,
            &mut a,
            case,
            (
                "update_token_policy",
                vec![
                    ("realm", "master".into()),
                    ("token_signing_alg", alg.into()),
                    ("access_token_lifetime_s", lifetime.to_string()),
                    ("strict_audience", "false".into()),
                ],
            ),
            (
                "PUT",
                "/admin/realms/master".into(),
                Some(json!({"defaultSignatureAlgorithm": alg, "accessTokenLifespan": lifetime})),
            ),
        )
        .await;
    }

    // The JWKS URL.
    for (case, use_url, url) in [
        ("a JWKS URL on loopback", true, "https://127.0.0.1/jwks"),
        ("plain http", true, "http://keys.example.com/jwks"),
        ("using a JWKS URL without one", true, ""),
    ] {
        let mut args = vec![
            ("realm", "master".to_string()),
            ("id", conf.clone()),
            ("url", url.to_string()),
        ];
        if use_url {
            args.push(("use_jwks_url", "true".into()));
        }
        refused_alike(
            &app,
            &mut a,
            case,
            ("set_jwks_url", args),
            (
                "PUT",
                client(&conf),
                Some(json!({"attributes": {"use.jwks.url": use_url.to_string(), "jwks.url": url}})),
            ),
        )
        .await;
    }

    // Accepted changes write the same admin event through both doors.
    let other = new_client(&mut a, "rules-other").await;
    let v = version(&mut a, &conf).await;
    let (name, args) = method(&conf, "client-jwt", "ES256", "120", v);
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let c = a.change(name, &args).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    let (op1, path1, mut details1) = last_event(&app).await;
    let r = rest(
        &mut a,
        "PUT",
        &client(&other),
        Some(json!({
            "clientAuthenticatorType": "client-jwt",
            "attributes": {
                "token.endpoint.auth.signing.alg": "ES256",
                "token.endpoint.auth.signing.max.exp": "120"
            }
        })),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let (op2, path2, mut details2) = last_event(&app).await;
    assert_eq!(op1, op2);
    assert_eq!(path1.replace(&conf, "{id}"), path2.replace(&other, "{id}"));
    for d in [&mut details1, &mut details2] {
        d.as_object_mut().unwrap().remove("version");
    }
    assert_eq!(details1, details2);

    fn policy(lifetime: &str) -> Vec<(&str, &str)> {
        vec![
            ("realm", "master"),
            ("token_signing_alg", "ES256"),
            ("access_token_lifetime_s", lifetime),
            ("strict_audience", "false"),
        ]
    }
    let c = a.change("update_token_policy", &policy("600")).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    let console_event = last_event(&app).await;
    let c = a.change("update_token_policy", &policy("300")).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    let r = rest(
        &mut a,
        "PUT",
        "/admin/realms/master",
        Some(json!({"accessTokenLifespan": 600})),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(last_event(&app).await, console_event);

    // Revoking twice: a conflict through both doors.
    let secret_of = |r: &Reply| r.json()["secret"]["id"].as_str().unwrap().to_string();
    let regenerate = |label: &'static str| {
        vec![
            ("realm", "master"),
            ("label", label),
            ("overlap_hours", "1"),
            ("expires_in_days", ""),
        ]
    };
    let mut args = regenerate("one");
    args.push(("id", &other));
    let one = secret_of(&a.change("regenerate_secret", &args).await);
    let revoke = |s: &str| {
        vec![
            ("realm", "master".to_string()),
            ("id", other.clone()),
            ("secret_id", s.to_string()),
        ]
    };
    let args = revoke(&one);
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        a.change("revoke_secret", &args).await.status,
        StatusCode::OK
    );
    refused_alike(
        &app,
        &mut a,
        "a secret revoked twice",
        ("revoke_secret", revoke(&one)),
        ("DELETE", format!("{}/secrets/{one}", client(&other)), None),
    )
    .await;
}
