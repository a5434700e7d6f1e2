//! Issue 22: secrets that can be found and killed. Scannable secrets (issued `kw_…` with a
//! checksum; a mistyped one refused before any lookup, and no way for a stranger to use that
//! against a service), Keycloak's `secret` imported (a bad-checksum `kw_` value refused), the
//! realm's lifetime policies on every path, leak reports signed with real ECDSA P-256 keys made
//! by OpenSSL (GitHub's format) and with HMAC, and the last use of every secret and key.

mod common;

use axum::http::StatusCode;
use common::*;
use keyward_credentials::scannable::{self, Precheck};
use serde_json::{json, Value};

/// The secrets of a client as the Admin REST API lists them.
async fn secrets_of(a: &mut Client, id: &str) -> Vec<Value> {
    let r = rest(
        a,
        "GET",
        &format!("/admin/realms/master/clients/{id}/secrets"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json().as_array().unwrap().clone()
}

/// A new secret through Keyward's REST model; the reply (with `value`).
async fn add_secret(a: &mut Client, id: &str, body: Value) -> common::Reply {
    rest(
        a,
        "POST",
        &format!("/admin/realms/master/clients/{id}/secrets"),
        Some(body),
    )
    .await
}

async fn set_lifecycle(a: &mut Client, policy: Value) -> common::Reply {
    rest(
        a,
        "PUT",
        "/admin/realms/master/secret-lifecycle",
        Some(policy),
    )
    .await
}

fn policy(overrides: Value) -> Value {
    let mut p = json!({
        "secretPrefixSegment": null,
        "secretMaxLifetimeSeconds": null,
        "secretsMustExpire": false,
        "keystoreMaxValidityYears": null,
        "leakAction": "revoke",
        "leakGraceSeconds": 86400,
    });
    for (k, v) in overrides.as_object().unwrap() {
        p[k] = v.clone();
    }
    p
}

/// The value with one character of its random part changed (its checksum no longer holds).
fn mistyped(value: &str) -> String {
    let at = value.len() - 20;
    let mut v = value.to_owned();
    let c = if &v[at..=at] == "a" { "b" } else { "a" };
    v.replace_range(at..=at, c);
    assert_eq!(scannable::precheck(&v), Precheck::BadChecksum);
    v
}

#[tokio::test]
async fn issued_secrets_are_scannable_and_a_mistyped_one_is_refused_without_locking_anyone_out() {
    log();
    let l = live().await;
    let mut a = admin(&l.app).await;
    let id = new_client(&mut a, "scannable").await;
    let value = new_secret(&mut a, &id, "0").await;
    assert!(value.starts_with("kw_") && value.len() == 73, "{value}");
    assert_eq!(scannable::precheck(&value), Precheck::Valid);
    let regex = regex_lite(&value);
    assert!(regex, "the documented regex finds {value}");

    // A realm segment goes into every new secret.
    let r = set_lifecycle(&mut a, policy(json!({ "secretPrefixSegment": "acme" }))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = add_secret(
        &mut a,
        &id,
        json!({ "label": "segmented", "overlapSeconds": 0 }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let value = r.json()["value"].as_str().unwrap().to_string();
    assert!(value.starts_with("kw_acme_"), "{value}");
    assert_eq!(scannable::precheck(&value), Precheck::Valid);
    let r = set_lifecycle(
        &mut a,
        policy(json!({ "secretPrefixSegment": "Not Valid" })),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        r.body.contains("lower-case letters and digits"),
        "{}",
        r.body
    );

    let (status, _, _) = l
        .token(
            Some(("scannable", &value)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(status, 200);

    // A stranger floods the client with mistyped secrets from one address: refused with
    // invalid_client, then throttled — for that address only.
    let bad = mistyped(&value);
    let stranger = http_from("127.0.0.77");
    let mut statuses = Vec::new();
    for _ in 0..14 {
        let res = stranger
            .post(l.token_url())
            .basic_auth("scannable", Some(&bad))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
        if res.status() == 401 {
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"], "invalid_client");
        }
    }
    assert_eq!(statuses[0], 401, "{statuses:?}");
    assert_eq!(
        *statuses.last().unwrap(),
        429,
        "a failure like any other: {statuses:?}"
    );
    let logged = String::from_utf8_lossy(&log().lock().unwrap()).to_string();
    assert!(
        logged.contains("the secret's checksum does not hold"),
        "the operator learns why"
    );
    assert!(
        !logged.contains(&bad) && !logged.contains(&value),
        "no secret in the log"
    );
    // The service itself, from its own address, still gets its token.
    let (status, body, _) = l
        .token(
            Some(("scannable", &value)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// The README's regex, applied the way a scanner does (a word boundary on both sides).
fn regex_lite(value: &str) -> bool {
    let text = format!("config:\n  secret = \"{value}\"\n");
    let re = regex::Regex::new(scannable::REGEX).unwrap();
    re.find(&text).map(|m| m.as_str()) == Some(value)
}

#[tokio::test]
async fn keycloaks_secret_field_imports_a_value_and_refuses_a_mistyped_keyward_one() {
    let l = live().await;
    let mut a = admin(&l.app).await;
    let base = "/admin/realms/master/clients";
    // A Keyward-shaped value with a bad checksum: refused, nothing created.
    let good = {
        let id = new_client(&mut a, "donor").await;
        new_secret(&mut a, &id, "0").await
    };
    let r = rest(
        &mut a,
        "POST",
        base,
        Some(json!({ "clientId": "imported", "secret": mistyped(&good) })),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("checksum does not hold"), "{}", r.body);
    let r = rest(&mut a, "GET", &format!("{base}?clientId=imported"), None).await;
    assert_eq!(r.json(), json!([]), "nothing was created");
    let r = rest(
        &mut a,
        "POST",
        base,
        Some(json!({ "clientId": "imported", "secret": "short" })),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);

    // A legacy Keycloak secret: imported and working.
    let legacy = "6f1d2c0e-legacy-keycloak-secret-value";
    let r = rest(
        &mut a,
        "POST",
        base,
        Some(json!({ "clientId": "imported", "secret": legacy })),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.location().rsplit('/').next().unwrap().to_string();
    let (status, _, _) = l
        .token(
            Some(("imported", legacy)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(status, 200);
    // Sent back unchanged (Keycloak tooling's read-modify-write): no new secret.
    let r = rest(
        &mut a,
        "PUT",
        &format!("{base}/{id}"),
        Some(json!({ "clientId": "imported", "secret": legacy, "name": "renamed" })),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(secrets_of(&mut a, &id).await.len(), 1);
    // Another value replaces it at once, as in Keycloak.
    let r = rest(
        &mut a,
        "PUT",
        &format!("{base}/{id}"),
        Some(json!({ "secret": good })),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let (status, _, _) = l
        .token(
            Some(("imported", legacy)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(status, 401);
    let (status, _, _) = l
        .token(
            Some(("imported", &good)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(status, 200);
    let listed = secrets_of(&mut a, &id).await;
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|s| s.get("value").is_none()));
}

#[tokio::test]
async fn lifetime_policies_apply_on_every_path_and_name_themselves() {
    let app = app().await;
    let mut a = admin(&app).await;
    let id = new_client(&mut a, "policed").await;
    let mut manager = operator(&app, "mia", "manager").await;
    // Only an admin sets the policy, from the console or the REST API.
    let r = set_lifecycle(
        &mut manager,
        policy(json!({ "secretMaxLifetimeSeconds": 86400 })),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = manager
        .change(
            "update_secret_lifecycle",
            &[
                ("realm", "master"),
                ("prefix_segment", ""),
                ("max_lifetime_days", "1"),
                ("keystore_max_years", ""),
                ("leak_action", "revoke"),
                ("leak_grace_hours", "24"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    let r = a
        .change(
            "update_secret_lifecycle",
            &[
                ("realm", "master"),
                ("prefix_segment", ""),
                ("max_lifetime_days", "90"),
                ("keystore_max_years", "2"),
                ("leak_action", "revoke"),
                ("leak_grace_hours", "24"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = rest(&mut a, "GET", "/admin/realms/master/secret-lifecycle", None).await;
    assert_eq!(r.json()["secretMaxLifetimeSeconds"], 90 * 86400);
    assert_eq!(r.json()["keystoreMaxValidityYears"], 2);

    // Console: no expiry, then one too far away.
    let regenerate = |days: &'static str| {
        [
            ("realm", "master"),
            ("label", "s"),
            ("overlap_hours", "0"),
            ("expires_in_days", days),
        ]
    };
    let mut args = regenerate("").to_vec();
    args.push(("id", &id));
    let r = manager.change("regenerate_secret", &args).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        r.body.contains("secrets live at most 90 days"),
        "{}",
        r.body
    );
    let mut args = regenerate("91").to_vec();
    args.push(("id", &id));
    let r = manager.change("regenerate_secret", &args).await;
    assert!(
        r.body.contains("secrets live at most 90 days"),
        "{}",
        r.body
    );
    let mut args = regenerate("90").to_vec();
    args.push(("id", &id));
    let r = manager.change("regenerate_secret", &args).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // REST, Keyward's model and Keycloak's.
    let r = add_secret(&mut manager, &id, json!({ "label": "x" })).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        r.body.contains("secrets live at most 90 days"),
        "{}",
        r.body
    );
    let r = rest(
        &mut manager,
        "POST",
        &format!("/admin/realms/master/clients/{id}/client-secret"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        r.body.contains("secrets live at most 90 days"),
        "{}",
        r.body
    );
    let r = rest(
        &mut manager,
        "PUT",
        &format!("/admin/realms/master/clients/{id}"),
        Some(json!({ "secret": "an-imported-secret-without-expiry" })),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(
        secrets_of(&mut a, &id).await.len(),
        1,
        "nothing refused was stored"
    );

    // "Must expire" alone.
    let r = set_lifecycle(&mut a, policy(json!({ "secretsMustExpire": true }))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = add_secret(&mut a, &id, json!({})).await;
    assert!(r.body.contains("new secrets must expire"), "{}", r.body);
    let in_a_year = keyward_service::context::now() + 365 * 86400;
    let r = add_secret(&mut a, &id, json!({ "expiresAt": in_a_year })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // Out of range.
    let r = set_lifecycle(
        &mut a,
        policy(json!({ "secretMaxLifetimeSeconds": 3 * 365 * 86400 })),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = set_lifecycle(&mut a, policy(json!({ "leakAction": "ignore" }))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);

    // Generated keystores: the certificate's validity.
    let r = set_lifecycle(&mut a, policy(json!({ "keystoreMaxValidityYears": 2 }))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    set_method(&mut a, &id, "client-jwt", "").await;
    let generate = |years: &'static str| {
        vec![
            ("realm", "master"),
            ("format", "PKCS12"),
            ("algorithm", "EC-P256"),
            ("alias", "k"),
            ("store_password", "store-password-1"),
            ("store_password_confirm", "store-password-1"),
            ("key_password", ""),
            ("key_password_confirm", ""),
            ("validity_years", years),
            ("include_passwords", "false"),
        ]
    };
    let mut args = generate("3");
    args.push(("id", &id));
    let r = a.change("generate_keystore", &args).await;
    assert!(
        r.body.contains("valid at most 2 years") && r.body.contains("3-year"),
        "{}",
        r.body
    );
    let r = rest(
        &mut a,
        "POST",
        &format!("/admin/realms/master/clients/{id}/certificates/jwt.credential/generate-and-download"),
        Some(json!({ "format": "PKCS12", "keyAlias": "k", "keyPassword": "pw-123456", "storePassword": "pw-123456", "validity": 3 })),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("valid at most 2 years"), "{}", r.body);
    let mut args = generate("2");
    args.push(("id", &id));
    let r = a.change("generate_keystore", &args).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// A P-256 key made by OpenSSL, GitHub's key list for it, and a signer of bodies.
struct GithubSigner {
    dir: tempfile::TempDir,
}

impl GithubSigner {
    fn new(key_id: &str) -> GithubSigner {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.pem");
        let public = dir.path().join("public.pem");
        openssl(&[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            key.to_str().unwrap(),
        ]);
        openssl(&[
            "ec",
            "-in",
            key.to_str().unwrap(),
            "-pubout",
            "-out",
            public.to_str().unwrap(),
        ]);
        let pem = std::fs::read_to_string(&public).unwrap();
        let list = json!({
            "public_keys": [
                { "key_identifier": "old-key-id", "key": pem, "is_current": false },
                { "key_identifier": key_id, "key": pem, "is_current": true },
            ]
        });
        std::fs::write(dir.path().join("keys.json"), list.to_string()).unwrap();
        GithubSigner { dir }
    }

    fn keys_file(&self) -> std::path::PathBuf {
        self.dir.path().join("keys.json")
    }

    /// Base64 of OpenSSL's DER ECDSA signature (SHA-256) of `body`.
    fn sign(&self, body: &[u8]) -> String {
        use base64::Engine;
        let input = self.dir.path().join("body");
        let sig = self.dir.path().join("sig");
        std::fs::write(&input, body).unwrap();
        openssl(&[
            "dgst",
            "-sha256",
            "-sign",
            self.dir.path().join("key.pem").to_str().unwrap(),
            "-out",
            sig.to_str().unwrap(),
            input.to_str().unwrap(),
        ]);
        base64::engine::general_purpose::STANDARD.encode(std::fs::read(sig).unwrap())
    }
}

const REPORT_KEY: &str = "a shared key for an internal scanner, 32+";

fn report(token: &str) -> Vec<u8> {
    json!([{
        "token": token,
        "type": "keyward_client_secret",
        "url": "https://github.com/octo/leaky/blob/abc123/config.yml",
        "source": "content",
    }])
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn signed_leak_reports_end_a_secret_and_unverified_ones_change_nothing() {
    log();
    let signer = GithubSigner::new("github-key-1");
    let keys = signer.keys_file();
    let l = live_with(move |c| {
        c.github_leak_keys = Some(keys);
        c.leak_report_key = Some(REPORT_KEY.into());
    })
    .await;
    let mut a = admin(&l.app).await;
    let id = new_client(&mut a, "leaky").await;
    let value = new_secret(&mut a, &id, "0").await;
    let post = |path: &str, body: Vec<u8>, headers: Vec<(&'static str, String)>| {
        let mut req = l.http.post(format!("{}{path}", l.base)).body(body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.text().await.unwrap())
        }
    };
    let works = |v: String| {
        let l = &l;
        async move {
            l.token(Some(("leaky", &v)), &[("grant_type", "client_credentials")])
                .await
                .0
        }
    };
    let body = report(&value);
    let good_sig = signer.sign(&body);
    let id_header = ("github-public-key-identifier", "github-key-1".to_string());
    // A report signed by the configured key.
    let github = |body: Vec<u8>| {
        let sig = signer.sign(&body);
        post(
            "/leaks/github",
            body,
            vec![id_header.clone(), ("github-public-key-signature", sig)],
        )
    };

    // Unverified reports: refused, and the secret keeps working.
    let stranger = GithubSigner::new("github-key-1");
    for (headers, expected) in [
        (vec![], 401),
        (vec![id_header.clone()], 401),
        (
            vec![
                ("github-public-key-identifier", "unknown".to_string()),
                ("github-public-key-signature", good_sig.clone()),
            ],
            401,
        ),
        (
            vec![
                id_header.clone(),
                ("github-public-key-signature", stranger.sign(&body)),
            ],
            401,
        ),
        (
            vec![
                id_header.clone(),
                ("github-public-key-signature", signer.sign(b"[]")),
            ],
            401,
        ),
    ] {
        let (status, text) = post("/leaks/github", body.clone(), headers).await;
        assert_eq!(status, expected, "{text}");
        assert!(!text.contains(&value));
    }
    let (status, text) = post(
        "/leaks/report",
        body.clone(),
        vec![("keyward-signature", "sha256=00".into())],
    )
    .await;
    assert_eq!(status, 401, "{text}");
    assert_eq!(works(value.clone()).await, 200, "nothing was revoked");
    // Too large, malformed (but signed), not Keyward's.
    let big = vec![b' '; 1024 * 1024 + 10];
    let (status, _) = github(big).await;
    assert_eq!(status, 413);
    let junk = b"{\"token\":1}".to_vec();
    let (status, text) = github(junk).await;
    assert_eq!(status, 400, "{text}");
    let other = report("ghp_not_a_keyward_token_at_all_000000000000");
    let (status, text) = github(other).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()[0]["label"],
        "false_positive"
    );
    assert_eq!(works(value.clone()).await, 200);

    // A verified GitHub report: revoked at once (the default policy), answered as the program
    // expects, audited with where it was found.
    let (status, text) = post(
        "/leaks/github",
        body.clone(),
        vec![id_header.clone(), ("github-public-key-signature", good_sig)],
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer[0]["label"], "true_positive");
    assert_eq!(answer[0]["token_type"], "keyward_client_secret");
    assert_eq!(
        answer[0]["token_hash"],
        keyward_credentials::leak_report::token_hash(&value)
    );
    assert!(!text.contains(&value), "the answer never repeats a token");
    assert_eq!(works(value.clone()).await, 401);
    let listed = secrets_of(&mut a, &id).await;
    assert_eq!(listed[0]["state"], "revoked");
    assert_eq!(
        listed[0]["leakedUrl"],
        "https://github.com/octo/leaky/blob/abc123/config.yml"
    );
    let events = rest(
        &mut a,
        "GET",
        "/admin/realms/master/admin-events?max=5",
        None,
    )
    .await;
    assert!(events.body.contains("leaky/blob/abc123"), "{}", events.body);
    assert!(
        events.body.contains("leak-report:github") || events.body.contains("leaked"),
        "{}",
        events.body
    );

    // The grace policy: marked leaked, still working until the grace period ends.
    let r = set_lifecycle(
        &mut a,
        policy(json!({ "leakAction": "grace", "leakGraceSeconds": 3600 })),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let second = new_secret(&mut a, &id, "0").await;
    let body = report(&second);
    let sig = keyward_credentials::leak_report::hmac_signature(REPORT_KEY.as_bytes(), &body);
    let (status, text) = post("/leaks/report", body, vec![("keyward-signature", sig)]).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        works(second.clone()).await,
        200,
        "works through the grace period"
    );
    let listed = secrets_of(&mut a, &id).await;
    let now = keyward_service::context::now();
    assert!(listed[0]["leakedAt"].is_i64(), "{listed:?}");
    let expires = listed[0]["expiresAt"].as_i64().unwrap();
    assert!((now + 3500..=now + 3700).contains(&expires), "{listed:?}");
    let page = tab(&mut a, &format!("/console/master/clients/{id}/credentials")).await;
    assert!(page.contains(">leaked<"), "the console marks it");

    let logged = String::from_utf8_lossy(&log().lock().unwrap()).to_string();
    assert!(
        !logged.contains(&value) && !logged.contains(&second),
        "no secret in the log"
    );
}

#[tokio::test]
async fn leak_endpoints_are_off_unless_configured() {
    let l = live().await;
    for path in ["/leaks/github", "/leaks/report"] {
        let res = l
            .http
            .post(format!("{}{path}", l.base))
            .body("[]")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    let err = keyward_server::build(&{
        let dir = tempfile::tempdir().unwrap();
        let mut c = common::config(&dir);
        c.leak_report_key = Some("short".into());
        c
    })
    .await
    .err()
    .expect("a short key is refused");
    assert!(err.to_string().contains("KEYWARD_LEAK_REPORT_KEY"), "{err}");
}

#[tokio::test]
async fn last_use_shows_which_overlapping_secret_and_key_a_service_still_uses() {
    let l = live().await;
    let mut a = admin(&l.app).await;
    let id = new_client(&mut a, "rotating").await;
    let old = new_secret(&mut a, &id, "0").await;
    let _newest = new_secret(&mut a, &id, "24").await;
    let from = http_from("127.0.0.9");
    let use_secret = |v: String| {
        let (from, url) = (from.clone(), l.token_url());
        async move {
            let res = from
                .post(url)
                .basic_auth("rotating", Some(v))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
        }
    };
    use_secret(old.clone()).await;
    let listed = secrets_of(&mut a, &id).await;
    // Newest first: the new secret is unused, the old one was used from 127.0.0.9.
    assert_eq!(listed[0]["lastUsedAt"], Value::Null, "{listed:?}");
    assert!(listed[1]["lastUsedAt"].is_i64(), "{listed:?}");
    assert_eq!(listed[1]["lastUsedFrom"], "127.0.0.9");
    let first = listed[1]["lastUsedAt"].as_i64().unwrap();
    // At most one write a minute: a second use soon after leaves the record as it was.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    use_secret(old.clone()).await;
    assert_eq!(secrets_of(&mut a, &id).await[1]["lastUsedAt"], first);
    let page = tab(&mut a, &format!("/console/master/clients/{id}/credentials")).await;
    assert!(page.contains("from 127.0.0.9"), "the console shows it");
    assert!(page.contains("not used yet"));

    // A key: private_key_jwt.
    let (kid_client, key) = jwt_client(&mut a, "keyed").await;
    let now = keyward_service::context::now();
    let assertion = key.sign(
        json!({ "alg": "ES256", "kid": "k1" }),
        json!({ "iss": "keyed", "sub": "keyed", "aud": format!("{}/realms/master", l.base),
                "exp": now + 60, "iat": now, "jti": "jti-last-use-1" }),
    );
    let (status, body, _) = l
        .token(
            None,
            &[
                ("grant_type", "client_credentials"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", &assertion),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let keys = rest(
        &mut a,
        "GET",
        &format!("/admin/realms/master/clients/{kid_client}/keys"),
        None,
    )
    .await
    .json();
    assert!(keys[0]["lastUsedAt"].is_i64(), "{keys}");
    assert_eq!(keys[0]["lastUsedFrom"], "127.0.0.1");

    // The Expiry page lists what was not used within the window: the unused new secret is
    // too young to be listed; made 2 days old, it is.
    let page = a.get("/console/master/expiry?unused=1").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let page = page.body;
    assert!(
        !page.contains("data-testid=\"unused-row\""),
        "nothing is a day old yet"
    );
    let unused = keyward_store::expiry::unused(
        &l.app.keyward.state.ctx.db,
        "master",
        now + 3 * 86400,
        now,
        100,
    )
    .await
    .unwrap();
    // Seen from three days on: the new secret (never used) before the old one (used now).
    let kinds: Vec<_> = unused
        .iter()
        .map(|u| (u.client_id.as_str(), u.last_used_at.is_some()))
        .collect();
    assert!(
        kinds.contains(&("rotating", false)) && kinds.contains(&("rotating", true)),
        "{kinds:?}"
    );
    assert!(
        unused[0].last_used_at.is_none(),
        "never used comes first: {unused:?}"
    );
}

#[tokio::test]
async fn last_use_tracking_can_be_turned_off() {
    let l = live_with(|c| c.track_last_use = false).await;
    let mut a = admin(&l.app).await;
    let id = new_client(&mut a, "untracked").await;
    let value = new_secret(&mut a, &id, "0").await;
    let (status, _, _) = l
        .token(
            Some(("untracked", &value)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(secrets_of(&mut a, &id).await[0]["lastUsedAt"], Value::Null);
}
