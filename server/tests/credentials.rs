//! The Credentials tab's server functions through the router: method choice, secrets
//! (regenerate with overlap, revoke, reveal), roles, bad input, and that no secret value ever
//! reaches the database in clear, the audit log or the server log.

mod common;

use axum::http::StatusCode;
use common::*;
use keyward_server::rotate::rotate_master_key;

async fn regenerate(
    a: &mut Client,
    id: &str,
    label: &str,
    overlap: &str,
    expiry: &str,
) -> common::Reply {
    a.change(
        "regenerate_secret",
        &[
            ("realm", "master"),
            ("id", id),
            ("label", label),
            ("overlap_hours", overlap),
            ("expires_in_days", expiry),
        ],
    )
    .await
}

async fn credentials(a: &mut Client, id: &str) -> serde_json::Value {
    let r = a
        .call("get_credentials", &[("realm", "master"), ("id", id)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

fn states(v: &serde_json::Value) -> Vec<(String, String)> {
    v["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["label"].as_str().unwrap().into(),
                s["state"].as_str().unwrap().into(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_rotate_with_overlap_and_revoke() {
    log();
    let app = app().await;
    let mut a = admin(&app).await;
    let id = new_client_with(&mut a, "billing", "confidential").await;
    let v = credentials(&mut a, &id).await;
    assert_eq!(v["authenticator"], "client-secret", "Keycloak's default");
    assert_eq!(v["secrets"].as_array().unwrap().len(), 0);
    let methods: Vec<&str> = v["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        methods,
        [
            "client-secret",
            "client-jwt",
            "client-secret-jwt",
            "client-x509",
            "self-signed-tls-client-auth",
            "federated-jwt"
        ]
    );

    let r = regenerate(&mut a, &id, "first", "", "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let first = r.json();
    let value1 = first["value"].as_str().unwrap().to_string();
    assert!(value1.len() >= 43, "≥ 256 bits: {value1}");
    assert!(value1
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    let json: serde_json::Value =
        serde_json::from_str(first["keycloak_json"].as_str().unwrap()).unwrap();
    assert_eq!(json["credentials"]["secret"], value1.as_str());
    assert_eq!(json["resource"], "billing");
    assert_eq!(json["realm"], "master");

    // Rotation with a 1-hour overlap: both work, the old one expires in an hour.
    let r = regenerate(&mut a, &id, "second", "1", "30").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let second = r.json();
    let value2 = second["value"].as_str().unwrap().to_string();
    assert_ne!(value1, value2);
    assert!(
        second["secret"]["expires_at"].as_i64().unwrap() > v["now"].as_i64().unwrap() + 29 * 86_400
    );
    let v = credentials(&mut a, &id).await;
    assert_eq!(
        states(&v),
        [
            ("second".into(), "active".into()),
            ("first".into(), "active".into())
        ]
    );
    let old = &v["secrets"][1];
    let until = old["expires_at"].as_i64().unwrap() - v["now"].as_i64().unwrap();
    assert!(
        (3590..=3600).contains(&until),
        "overlap of one hour, got {until}"
    );

    // Overlap 0 revokes the current secrets at once.
    let r = regenerate(&mut a, &id, "third", "0", "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = credentials(&mut a, &id).await;
    assert_eq!(
        states(&v),
        [
            ("third".into(), "active".into()),
            ("second".into(), "revoked".into()),
            ("first".into(), "revoked".into())
        ]
    );
    // Revoke one secret; twice is a conflict; an unknown one is 404.
    let third_id = v["secrets"][0]["id"].as_str().unwrap().to_string();
    let revoke = |sid: String| {
        vec![
            ("realm", "master".to_string()),
            ("id", id.clone()),
            ("secret_id", sid),
        ]
    };
    let args = revoke(third_id.clone());
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = a.change("revoke_secret", &args).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "revoked");
    assert_eq!(
        a.change("revoke_secret", &args).await.status,
        StatusCode::CONFLICT
    );
    let args = revoke("missing".into());
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        a.change("revoke_secret", &args).await.status,
        StatusCode::NOT_FOUND
    );

    // Every change is audited, without any value.
    // (The admin-events page is a later issue: read the audit rows from the database file.)
    let bytes = db_bytes(&app);
    for value in [&value1, &value2] {
        assert!(
            !contains(&bytes, value),
            "a secret value is in the database file"
        );
        assert!(
            !contains(&log().lock().unwrap(), value),
            "a secret value is in the server log"
        );
    }
    assert!(
        contains(&bytes, "\"action\":\"regenerate\""),
        "regenerations are audited"
    );
    assert!(
        contains(&bytes, "\"action\":\"revoke\""),
        "revocations are audited"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_secret_input_is_refused_and_changes_nothing() {
    log();
    let app = app().await;
    let mut a = admin(&app).await;
    let id = new_client_with(&mut a, "svc", "confidential").await;
    let public = new_client_with(&mut a, "spa", "public").await;
    let long = "x".repeat(101);
    for (label, overlap, expiry, want) in [
        (long.as_str(), "", "", "longer than 100"),
        ("ok", "", "0", "the expiry lies in the past"),
        ("ok", "", "-2", "the expiry lies in the past"),
        ("ok", "", "soon", "whole number of days"),
        ("ok", "721", "", "longer than this realm allows"),
        ("ok", "-1", "", "cannot be negative"),
        ("ok", "many", "", "whole number of hours"),
    ] {
        let r = regenerate(&mut a, &id, label, overlap, expiry).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{label} {overlap} {expiry}: {}",
            r.body
        );
        assert!(r.body.contains(want), "{want}: {}", r.body);
    }
    let r = regenerate(&mut a, &public, "x", "", "").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("public client has no secret"), "{}", r.body);
    assert_eq!(
        credentials(&mut a, &id).await["secrets"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // Method choice: unknown method, an algorithm of another method, a lifetime out of range,
    // a stale version.
    let v = credentials(&mut a, &id).await;
    let version = v["version"].as_i64().unwrap().to_string();
    let set = |m: &'static str, alg: &'static str, exp: &'static str, ver: String| {
        vec![
            ("realm", "master".to_string()),
            ("id", id.clone()),
            ("version", ver),
            ("authenticator", m.to_string()),
            ("signing_alg", alg.to_string()),
            ("assertion_max_exp_s", exp.to_string()),
        ]
    };
    for (m, alg, exp, want) in [
        ("client-x509-v2", "", "60", "unknown authentication method"),
        ("client-x509", "", "60", "needs the subject DN"),
        (
            "client-jwt",
            "HS256",
            "60",
            "not an algorithm of Signed JWT",
        ),
        ("client-secret-jwt", "RS256", "60", "not an algorithm of"),
        (
            "client-secret",
            "HS256",
            "60",
            "takes no signature algorithm",
        ),
        ("client-jwt", "RS256", "0", "between 1 and 3600"),
        ("client-jwt", "RS256", "x", "whole number of seconds"),
    ] {
        let args = set(m, alg, exp, version.clone());
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = a.change("set_authenticator", &args).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{m} {alg} {exp}: {}",
            r.body
        );
        assert!(r.body.contains(want), "{want}: {}", r.body);
    }
    let args = set("client-jwt", "ES256", "30", "999".into());
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        a.change("set_authenticator", &args).await.status,
        StatusCode::CONFLICT
    );
    let unchanged = credentials(&mut a, &id).await;
    assert_eq!(unchanged["authenticator"], "client-secret");
    assert_eq!(unchanged["version"], v["version"]);

    // A valid change: client-secret-jwt pinned to HS512 makes secrets ≥ 64 bytes, kept sealed.
    let args = set("client-secret-jwt", "HS512", "30", version.clone());
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = a.change("set_authenticator", &args).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = credentials(&mut a, &id).await;
    assert_eq!(v["authenticator"], "client-secret-jwt");
    assert_eq!(v["signing_alg"], "HS512");
    assert_eq!(v["assertion_max_exp_s"], 30);
    let r = regenerate(&mut a, &id, "hmac", "", "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let n = r.json();
    assert!(n["value"].as_str().unwrap().len() >= 64);
    assert_eq!(
        n["secret"]["sealed"], true,
        "client-secret-jwt keeps the value sealed"
    );
    let json: serde_json::Value =
        serde_json::from_str(n["keycloak_json"].as_str().unwrap()).unwrap();
    assert_eq!(json["credentials"]["secret-jwt"]["secret"], n["value"]);
    assert_eq!(json["credentials"]["secret-jwt"]["algorithm"], "HS512");
    let bytes = db_bytes(&app);
    assert!(
        !contains(&bytes, n["value"].as_str().unwrap()),
        "sealed, not in clear"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_and_reveal() {
    log();
    let app = app().await;
    let mut a = admin(&app).await;
    let id = new_client_with(&mut a, "api", "confidential").await;
    let mut viewer = operator(&app, "vera", "viewer").await;
    let mut manager = operator(&app, "mona", "manager").await;
    // A viewer reads the tab but cannot change it, and is never given a value.
    let r = regenerate(&mut viewer, &id, "v", "", "").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = regenerate(&mut manager, &id, "by manager", "", "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let value = r.json()["value"].as_str().unwrap().to_string();
    let sid = r.json()["secret"]["id"].as_str().unwrap().to_string();
    let seen = viewer
        .call("get_credentials", &[("realm", "master"), ("id", &id)])
        .await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(!seen.body.contains(&value), "a viewer never sees a value");
    assert_eq!(seen.json()["can_reveal"], false);
    // Reveal: realm does not allow it (and this secret was not sealed).
    let reveal = [
        ("realm", "master"),
        ("id", id.as_str()),
        ("secret_id", sid.as_str()),
    ];
    assert_eq!(
        manager.change("reveal_secret", &reveal).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        a.change("reveal_secret", &reveal).await.status,
        StatusCode::FORBIDDEN
    );
    // Only an admin may change the policy.
    let policy = [
        ("realm", "master"),
        ("overlap_default_hours", "48"),
        ("overlap_max_hours", "720"),
        ("allow_reveal", "true"),
    ];
    assert_eq!(
        manager.change("update_secret_policy", &policy).await.status,
        StatusCode::FORBIDDEN
    );
    let bad = [
        ("realm", "master"),
        ("overlap_default_hours", "100"),
        ("overlap_max_hours", "10"),
    ];
    assert_eq!(
        a.change("update_secret_policy", &bad).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        a.change("update_secret_policy", &policy).await.status,
        StatusCode::OK
    );
    // The old secret has no sealed value: a clear conflict.
    let r = a.change("reveal_secret", &reveal).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // A secret created now is sealed and can be revealed by an admin, never by a manager.
    let r = regenerate(&mut manager, &id, "revealable", "1", "").await;
    let value = r.json()["value"].as_str().unwrap().to_string();
    let sid = r.json()["secret"]["id"].as_str().unwrap().to_string();
    let reveal = [
        ("realm", "master"),
        ("id", id.as_str()),
        ("secret_id", sid.as_str()),
    ];
    assert_eq!(
        manager.change("reveal_secret", &reveal).await.status,
        StatusCode::FORBIDDEN
    );
    let r = a.change("reveal_secret", &reveal).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json(), serde_json::json!(value));
    assert!(
        contains(&db_bytes(&app), "\"action\":\"reveal\""),
        "reveals are audited"
    );
    assert!(!contains(&db_bytes(&app), &value));
    // With a forged CSRF token nothing is revealed.
    let forged = [
        ("csrf", "forged"),
        ("realm", "master"),
        ("id", id.as_str()),
        ("secret_id", sid.as_str()),
    ];
    let r = a.call("reveal_secret", &forged).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!r.body.contains(&value));

    // The tab as the server renders it: an admin may revoke (after confirming) and reveal the
    // sealed secret, a manager only revoke (and regenerate), a viewer neither; no value in any.
    let r = regenerate(&mut manager, &id, "<i>markup</i>", "1", "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let newest = r.json()["value"].as_str().unwrap().to_string();
    let path = format!("/console/master/clients/{id}/credentials");
    let admin_panel = common::tab(&mut a, &path).await;
    let manager_panel = common::tab(&mut manager, &path).await;
    let viewer_panel = common::tab(&mut viewer, &path).await;
    // Regenerate is an island (the new value is shown once, so it needs the browser): its form
    // posts what regenerate_secret reads, with the session's CSRF token.
    let issuer = common::island(&manager_panel, "SecretIssuer");
    assert!(
        issuer.contains(r#"action="/api/regenerate_secret""#),
        "{issuer}"
    );
    for field in ["label", "overlap_hours", "expires_in_days"] {
        assert!(
            issuer.contains(&format!(r#"name="{field}""#)),
            "{field}: {issuer}"
        );
    }
    assert!(issuer.contains(&format!(r#"name="csrf" value="{}""#, manager.csrf)));
    assert!(
        !viewer_panel.contains("SecretIssuer"),
        "no regenerate for a viewer"
    );
    // (Every active sealed secret has its reveal button; this one is the secret revealed above.)
    let reveals: Vec<&str> = admin_panel
        .split("data-component=\"")
        .filter(|rest| rest.starts_with("RevealButton"))
        .collect();
    assert!(
        reveals
            .iter()
            .any(|r| r.contains(&format!("&quot;secret_id&quot;:&quot;{sid}&quot;"))),
        "no reveal for {sid}: {admin_panel}"
    );
    assert!(!manager_panel.contains("RevealButton"), "{manager_panel}");
    for panel in [&admin_panel, &manager_panel] {
        assert!(panel.contains(r#"action="/api/revoke_secret""#), "{panel}");
        assert!(
            panel.contains(r#"command="show-modal""#),
            "revoke asks first: {panel}"
        );
    }
    let viewer_secrets = viewer_panel
        .split(r#"data-testid="secrets""#)
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .unwrap_or_else(|| panic!("no secrets table: {viewer_panel}"));
    assert!(viewer_secrets.contains(&format!(r#"data-secret-id="{sid}""#)));
    assert!(!viewer_secrets.contains("<form"), "{viewer_secrets}");
    assert!(!viewer_secrets.contains("<button"), "{viewer_secrets}");
    for panel in [&admin_panel, &manager_panel, &viewer_panel] {
        assert!(panel.contains("&lt;i&gt;markup&lt;/i&gt;"), "{panel}");
        assert!(!panel.contains("<i>"), "{panel}");
        assert!(!panel.contains(&value) && !panel.contains(&newest));
        assert!(panel.contains("Recent authentications"), "{panel}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn master_key_is_checked_at_start_and_rotates_without_losing_secrets() {
    log();
    let dir = tempfile::tempdir().unwrap();
    let config = common::config(&dir);
    // First start creates the key file; a secret is sealed under it.
    let keyward = keyward_server::build(&config).await.unwrap();
    assert!(keyward.master_key_created.is_some());
    let app = TestApp { keyward, dir };
    let mut a = admin(&app).await;
    let id = new_client_with(&mut a, "sealed", "confidential").await;
    let policy = [
        ("realm", "master"),
        ("overlap_default_hours", "1"),
        ("overlap_max_hours", "2"),
        ("allow_reveal", "true"),
    ];
    assert_eq!(
        a.change("update_secret_policy", &policy).await.status,
        StatusCode::OK
    );
    let r = regenerate(&mut a, &id, "s", "", "").await;
    let value = r.json()["value"].as_str().unwrap().to_string();
    let sid = r.json()["secret"]["id"].as_str().unwrap().to_string();
    // A webhook's signing key is sealed too.
    let r = rest(
        &mut a,
        "POST",
        "/admin/realms/master/webhooks",
        Some(serde_json::json!({ "url": "https://93.184.215.14/hook", "events": ["credential.revoked"] })),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let webhook_key = r.json()["secret"].as_str().unwrap().to_string();
    let webhook_id = r.json()["id"].as_str().unwrap().to_string();
    let key_file = app.dir.path().join("master.key");
    let original = std::fs::read_to_string(&key_file).unwrap();

    // A wrong configured key is refused, naming the variable; so is a missing key file.
    let mut wrong = config.clone();
    wrong.master_key = Some(base64_key(9));
    let err = keyward_server::build(&wrong).await.err().expect("refused");
    assert!(
        err.to_string()
            .contains("KEYWARD_MASTER_KEY does not hold master key mk-"),
        "{err}"
    );
    std::fs::rename(&key_file, app.dir.path().join("moved.key")).unwrap();
    let err = keyward_server::build(&config).await.err().expect("refused");
    assert!(
        err.to_string().contains("KEYWARD_MASTER_KEY is not set"),
        "{err}"
    );
    assert!(
        !key_file.exists(),
        "no new key was created over sealed data"
    );
    std::fs::rename(app.dir.path().join("moved.key"), &key_file).unwrap();

    // Rotation: a new key first in the file, every value re-sealed; the running server
    // (which loaded the old file) reloads and still reveals the secret.
    let done = rotate_master_key(&config, false).await.unwrap();
    assert!(
        done.resealed >= 3,
        "the pepper, the secret and the webhook key: {}",
        done.resealed
    );
    let lines: Vec<String> = std::fs::read_to_string(&key_file)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1], original.trim());
    let reveal = [
        ("realm", "master"),
        ("id", id.as_str()),
        ("secret_id", sid.as_str()),
    ];
    let r = a.change("reveal_secret", &reveal).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json(), serde_json::json!(value));
    // Retiring the old key, then starting with the new key alone, still opens everything.
    let done = rotate_master_key(&config, true).await.unwrap();
    assert_eq!(done.retired.len(), 2, "both earlier keys leave the file");
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap().lines().count(),
        1
    );
    let restarted = keyward_server::build(&config).await.unwrap();
    let app2 = TestApp {
        keyward: restarted,
        dir: tempfile::tempdir().unwrap(),
    };
    let mut a2 = admin(&app2).await;
    let r = a2.change("reveal_secret", &reveal).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json(), serde_json::json!(value));
    let page = a2
        .get(&format!("/console/master/webhooks?reveal={webhook_id}"))
        .await
        .body;
    assert!(
        page.contains(&webhook_key),
        "the webhook key opens under the new key alone"
    );
    // The old key alone no longer opens the database.
    let mut old_only = config.clone();
    old_only.master_key = Some(original.trim().to_string());
    assert!(keyward_server::build(&old_only).await.is_err());
}

fn base64_key(byte: u8) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode([byte; 32])
}
