//! The Keys tab's server functions through the router (import in every format, refusals that
//! change nothing, activate/deactivate/delete, roles, audit), and the JWKS URL against a real
//! HTTP server on 127.0.0.1: cache, unknown-kid refetch interval, failures keeping the last keys,
//! redirects, oversize and slow answers refused, and the same URL refused when not allow-listed.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use base64::Engine;
use common::*;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../credentials/tests/fixtures/keys"
);
const STORE_PASSWORD: &str = "storepass1";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

async fn import(
    a: &mut Client,
    id: &str,
    format: &str,
    bytes: &[u8],
    password: &str,
    alias: &str,
) -> Reply {
    a.import_keys(id, format, bytes, password, alias).await
}

async fn keys(a: &mut Client, id: &str) -> serde_json::Value {
    let r = a.call("get_keys", &[("realm", "master"), ("id", id)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

fn kids(v: &serde_json::Value) -> Vec<String> {
    let mut k: Vec<String> = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect();
    k.sort();
    k
}

fn error_of(r: &Reply) -> String {
    r.json()
        .as_object()
        .and_then(|o| o.values().next())
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn import_every_format_and_refuse_bad_files() {
    let app = app().await;
    let mut a = admin(&app).await;
    let id = new_client(&mut a, "keys-client").await;
    assert!(kids(&keys(&mut a, &id).await).is_empty());

    // A certificate PEM, recognised from the file: Keycloak's kid, the certificate's facts.
    let r = import(&mut a, &id, "", &fixture("rsa2048-cert.pem"), "", "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let added = r.json();
    let cert = &added[0];
    assert_eq!(cert["kid_from_upload"], false);
    assert_eq!(cert["kty"], "RSA");
    assert_eq!(cert["size"], "2048 bits");
    assert_eq!(cert["source"], "cert");
    assert!(cert["subject"].as_str().unwrap().contains("CN="));
    assert!(cert["x5t_s256"].as_str().unwrap().len() == 43);
    assert!(cert["pem"]
        .as_str()
        .unwrap()
        .contains("-----BEGIN CERTIFICATE-----"));
    assert!(!cert["pem"].as_str().unwrap().contains("PRIVATE"));
    // Keycloak's kid is base64url(SHA-256(SPKI DER)): compare with openssl's SPKI of the cert.
    let spki = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl x509 -in {FIXTURES}/rsa2048-cert.pem -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | basenc --base64url | tr -d '=\\n'"
        ))
        .output()
        .expect("openssl");
    assert_eq!(
        cert["kid"].as_str().unwrap(),
        String::from_utf8_lossy(&spki.stdout)
    );

    // A JWK set: every key, with the kids it carries.
    let r = import(&mut a, &id, "jwks", &fixture("all.jwks"), "", "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json().as_array().unwrap().len(), 5);
    // A PKCS12 with its password: the private-key entry's certificate and the trusted one.
    let r = import(
        &mut a,
        &id,
        "pkcs12",
        &fixture("keytool.p12"),
        STORE_PASSWORD,
        "billing",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()[0]["source"], "pkcs12");
    let before = kids(&keys(&mut a, &id).await);
    assert_eq!(before.len(), 7);

    // Bad input: a specific message, and the key list is unchanged.
    let cases: Vec<(&str, Vec<u8>, &str, &str, &str)> = vec![
        (
            "",
            fixture("p256-private-pkcs8.pem"),
            "",
            "",
            "this is a private key: upload the public key",
        ),
        (
            "pem",
            b"-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n".to_vec(),
            "",
            "",
            "",
        ),
        (
            "cert",
            b"hello".to_vec(),
            "",
            "",
            "not a PEM certificate or public key",
        ),
        (
            "",
            fixture("rsa1024-pub.pem"),
            "",
            "",
            "RSA key of 1024 bits: at least 2048 are required",
        ),
        (
            "jwk",
            br#"{"kty":"oct","k":"c2VjcmV0"}"#.to_vec(),
            "",
            "",
            "",
        ),
        (
            "jwk",
            br#"{"kty":"EC","crv":"P-256","x":"a","y":"b","d":"c"}"#.to_vec(),
            "",
            "",
            "this is a private key: upload the public key",
        ),
        (
            "pkcs12",
            fixture("keytool.p12"),
            "wrong-password",
            "",
            "wrong keystore password",
        ),
        (
            "jks",
            fixture("rsa2048.jks"),
            "wrong-password",
            "",
            "wrong keystore password",
        ),
        (
            "jks",
            fixture("rsa2048.jks"),
            STORE_PASSWORD,
            "nobody",
            "it holds: billing, partner",
        ),
        (
            "",
            vec![b'x'; 1024 * 1024 + 1],
            "",
            "",
            "the file is larger than 1 MiB",
        ),
        ("", b"\x00\x01garbage".to_vec(), "", "", ""),
        // The same key again.
        (
            "cert",
            fixture("rsa2048-cert.pem"),
            "",
            "",
            "already registered",
        ),
    ];
    for (format, bytes, password, alias, expected) in cases {
        let r = import(&mut a, &id, format, &bytes, password, alias).await;
        assert!(
            r.status == StatusCode::BAD_REQUEST || r.status == StatusCode::CONFLICT,
            "{format} {expected}: {} {}",
            r.status,
            r.body
        );
        let msg = error_of(&r);
        assert!(!msg.is_empty(), "{}", r.body);
        assert!(msg.contains(expected), "expected {expected:?}, got {msg:?}");
        assert!(!msg.to_lowercase().contains("panic"));
    }
    assert_eq!(kids(&keys(&mut a, &id).await), before);

    // A JKS with the right password and alias. Its "partner" entry is the P-256 certificate
    // whose key the JWK set already registered: a conflict.
    let r = import(
        &mut a,
        &id,
        "",
        &fixture("rsa2048.jks"),
        STORE_PASSWORD,
        "partner",
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = import(
        &mut a,
        &id,
        "",
        &fixture("rsa2048.jks"),
        STORE_PASSWORD,
        "billing",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()[0]["source"], "jks");
}

#[tokio::test(flavor = "multi_thread")]
async fn activate_deactivate_delete_roles_and_audit() {
    let app = app().await;
    let mut a = admin(&app).await;
    let id = new_client(&mut a, "keys-life").await;
    let r = import(&mut a, &id, "jwk", &fixture("p256.jwk"), "", "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let key = r.json()[0].clone();
    let key_id = key["id"].as_str().unwrap().to_string();
    assert_eq!(key["kid"], "p256-kid");
    assert_eq!(key["kid_from_upload"], true);
    let jwk: serde_json::Value = serde_json::from_str(key["jwk"].as_str().unwrap()).unwrap();
    assert_eq!(jwk["kid"], "p256-kid");
    assert_eq!(jwk["crv"], "P-256");
    assert!(jwk.get("d").is_none());

    // A viewer reads but cannot change.
    let mut viewer = operator(&app, "kviewer", "viewer").await;
    assert_eq!(kids(&keys(&mut viewer, &id).await), vec!["p256-kid"]);
    let r = import(&mut viewer, &id, "jwk", &fixture("p384.jwk"), "", "").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = viewer
        .change(
            "delete_key",
            &[("realm", "master"), ("id", &id), ("key_id", &key_id)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    let r = a
        .change(
            "set_key_active",
            &[
                ("realm", "master"),
                ("id", &id),
                ("key_id", &key_id),
                ("active", "false"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(keys(&mut a, &id).await["keys"][0]["active"], false);
    let r = a
        .change(
            "set_key_active",
            &[
                ("realm", "master"),
                ("id", &id),
                ("key_id", &key_id),
                ("active", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(keys(&mut a, &id).await["keys"][0]["active"], true);
    let r = a
        .change(
            "delete_key",
            &[("realm", "master"), ("id", &id), ("key_id", &key_id)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(kids(&keys(&mut a, &id).await).is_empty());
    let r = a
        .change(
            "delete_key",
            &[("realm", "master"), ("id", &id), ("key_id", &key_id)],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // Every change is an admin event naming the kid and the thumbprint.
    let events = keyward_store::events::list(&app.keyward.state.ctx.db, None, 0, 100)
        .await
        .unwrap();
    let on_key: Vec<_> = events
        .iter()
        .filter(|e| e.resource_path.contains(&key_id))
        .collect();
    let ops: Vec<&str> = on_key.iter().map(|e| e.operation.as_str()).collect();
    assert_eq!(ops.iter().filter(|o| **o == "CREATE").count(), 1, "{ops:?}");
    assert_eq!(ops.iter().filter(|o| **o == "UPDATE").count(), 2, "{ops:?}");
    assert_eq!(ops.iter().filter(|o| **o == "DELETE").count(), 1, "{ops:?}");
    for e in on_key {
        assert!(e.details.contains("p256-kid"), "{}", e.details);
        assert!(
            e.details.contains(key["jwk_thumbprint"].as_str().unwrap()),
            "{}",
            e.details
        );
    }
}

/// A JWKS server on 127.0.0.1 whose answer the test changes.
#[derive(Clone)]
struct JwksServer {
    base: String,
    hits: Arc<AtomicUsize>,
    body: Arc<Mutex<(u16, Vec<u8>)>>,
}

async fn jwks_server() -> JwksServer {
    use axum::response::IntoResponse;
    use axum::routing::get;
    let hits = Arc::new(AtomicUsize::new(0));
    let body = Arc::new(Mutex::new((200u16, fixture("all.jwks"))));
    let (h, b) = (hits.clone(), body.clone());
    let (h2, b2) = (hits.clone(), body.clone());
    let router = axum::Router::new()
        .route(
            "/slow-jwks",
            get(move || {
                let (h, b) = (h2.clone(), b2.clone());
                async move {
                    h.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(400)).await;
                    let (status, body) = b.lock().unwrap().clone();
                    (StatusCode::from_u16(status).unwrap(), body).into_response()
                }
            }),
        )
        .route(
            "/jwks",
            get(move || {
                let (h, b) = (h.clone(), b.clone());
                async move {
                    h.fetch_add(1, Ordering::SeqCst);
                    let (status, body) = b.lock().unwrap().clone();
                    (
                        StatusCode::from_u16(status).unwrap(),
                        [("cache-control", "max-age=120")],
                        body,
                    )
                        .into_response()
                }
            }),
        )
        .route(
            "/redirect",
            get(|| async { axum::response::Redirect::temporary("/jwks") }),
        )
        .route("/big", get(|| async { vec![b' '; 600 * 1024] }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(8)).await;
                "{}"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    JwksServer {
        base: format!("http://127.0.0.1:{}", addr.port()),
        hits,
        body,
    }
}

async fn set_url(a: &mut Client, id: &str, url: &str) -> Reply {
    a.change(
        "set_jwks_url",
        &[
            ("realm", "master"),
            ("id", id),
            ("use_jwks_url", "true"),
            ("url", url),
        ],
    )
    .await
}

async fn fetch_now(a: &mut Client, id: &str) -> serde_json::Value {
    let r = a
        .change("fetch_jwks_now", &[("realm", "master"), ("id", id)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

/// Concurrent first requests of a client whose JWKS URL was never fetched (a slow server): one
/// fetches, the others wait for that fetch; none is refused for lack of keys.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_first_requests_wait_for_the_jwks_fetch() {
    let server = jwks_server().await;
    let app = app_with(|c| c.fetch_allow = "127.0.0.1".into()).await;
    let mut a = admin(&app).await;
    let id = new_client(&mut a, "jwks-slow").await;
    let r = set_url(&mut a, &id, &format!("{}/slow-jwks", server.base)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let row = app_client_row(&app, &id).await;
    let now = keyward_server::now();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (ctx, row) = (app.keyward.state.ctx.clone(), row.clone());
            tokio::spawn(async move {
                keyward_service::jwks::client_keys(&ctx.db, &ctx.jwks, &row, false, now)
                    .await
                    .map(|k| k.len())
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), Ok(5));
    }
    assert_eq!(server.hits.load(Ordering::SeqCst), 1, "one fetch for all");
}

#[tokio::test(flavor = "multi_thread")]
async fn jwks_url_fetch_cache_refetch_and_failures() {
    let server = jwks_server().await;
    let app = app_with(|c| c.jwks_allow = "127.0.0.1".into()).await;
    let mut a = admin(&app).await;
    let id = new_client(&mut a, "jwks-client").await;
    let url = format!("{}/jwks", server.base);
    let r = set_url(&mut a, &id, &url).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Fetch now: the keys found, the status of the fetch.
    let j = fetch_now(&mut a, &id).await;
    assert_eq!(j["last_status"], 200);
    assert_eq!(j["key_count"], 5);
    assert_eq!(j["last_error"], serde_json::Value::Null);
    assert_eq!(j["keys"].as_array().unwrap().len(), 5);
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);

    // The token endpoint's path: cached within max-age, an unknown kid refetches at most every
    // 10 s per client.
    let ctx = &app.keyward.state.ctx;
    let row = app_client_row(&app, &id).await;
    let t0 = keyward_store::keys::jwks(&ctx.db, &row)
        .await
        .unwrap()
        .unwrap()
        .last_attempt_at
        .unwrap();
    let got = keyward_service::jwks::client_keys(&ctx.db, &ctx.jwks, &row, false, t0 + 1)
        .await
        .unwrap();
    assert_eq!(got.len(), 5);
    assert_eq!(
        server.hits.load(Ordering::SeqCst),
        1,
        "fresh cache: no fetch"
    );
    keyward_service::jwks::client_keys(&ctx.db, &ctx.jwks, &row, true, t0 + 5)
        .await
        .unwrap();
    assert_eq!(
        server.hits.load(Ordering::SeqCst),
        1,
        "unknown kid within 10 s: no fetch"
    );
    // The set changes (a key rotated in); an unknown kid after 10 s finds it.
    let set = format!(
        "{{\"keys\":[{}]}}",
        String::from_utf8(fixture("p256.jwk")).unwrap()
    );
    *server.body.lock().unwrap() = (200, set.into_bytes());
    let got = keyward_service::jwks::client_keys(&ctx.db, &ctx.jwks, &row, true, t0 + 10)
        .await
        .unwrap();
    assert_eq!(server.hits.load(Ordering::SeqCst), 2);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].kid.as_deref(), Some("p256-kid"));

    // The server fails: the last good keys stay, the failure is recorded; after max-age too.
    *server.body.lock().unwrap() = (500, b"oops".to_vec());
    let got = keyward_service::jwks::client_keys(&ctx.db, &ctx.jwks, &row, false, t0 + 500)
        .await
        .unwrap();
    assert_eq!(server.hits.load(Ordering::SeqCst), 3);
    assert_eq!(got.len(), 1, "last good keys kept");
    let j = keys(&mut a, &id).await["jwks"].clone();
    assert_eq!(j["last_status"], 500);
    assert_eq!(j["last_error"], "HTTP 500");
    assert_eq!(j["keys"].as_array().unwrap().len(), 1);
    // Not JSON at all: also kept.
    *server.body.lock().unwrap() = (200, b"<html>".to_vec());
    let j = fetch_now(&mut a, &id).await;
    assert!(j["last_error"].as_str().unwrap().len() > 3, "{j}");
    assert_eq!(j["keys"].as_array().unwrap().len(), 1);

    // A redirect is not followed, an oversized set is refused, a slow server times out.
    for (path, expected) in [
        ("/redirect", "redirects are not followed (HTTP 307)"),
        ("/big", "larger than 512 KiB"),
        ("/slow", "no answer within 5 s"),
    ] {
        let r = set_url(&mut a, &id, &format!("{}{path}", server.base)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let j = fetch_now(&mut a, &id).await;
        assert!(
            j["last_error"]
                .as_str()
                .unwrap_or_default()
                .contains(expected),
            "{path}: {j}"
        );
        assert!(j["keys"].as_array().unwrap().is_empty());
    }
}

async fn app_client_row(app: &TestApp, id: &str) -> String {
    // The console's client id is the row id.
    let ctx = &app.keyward.state.ctx;
    let realm = keyward_store::realms::get_by_name(&ctx.db, "master")
        .await
        .unwrap();
    keyward_store::clients::get(&ctx.db, &realm.realm_id, id)
        .await
        .unwrap()
        .client_row_id
}

#[tokio::test(flavor = "multi_thread")]
async fn jwks_url_refused_when_not_allowed() {
    let server = jwks_server().await;
    let app = app().await;
    let mut a = admin(&app).await;
    let id = new_client(&mut a, "jwks-refused").await;
    for (url, expected) in [
        (format!("{}/jwks", server.base), "only https"),
        (
            format!(
                "https://127.0.0.1:{}/jwks",
                server.base.rsplit(':').next().unwrap()
            ),
            "internal address",
        ),
        ("https://10.1.2.3/jwks".to_string(), "internal address"),
        ("https://[::1]/jwks".to_string(), "internal address"),
        ("not a url".to_string(), "not a valid URL"),
    ] {
        let r = set_url(&mut a, &id, &url).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{url}: {}", r.body);
        assert!(error_of(&r).contains(expected), "{url}: {}", r.body);
    }
    // A host name that resolves to loopback is refused by the resolver, at fetch time.
    let port = server.base.rsplit(':').next().unwrap().to_string();
    let r = set_url(&mut a, &id, &format!("https://localhost:{port}/jwks")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = fetch_now(&mut a, &id).await;
    assert!(
        j["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("resolves to an internal address"),
        "{j}"
    );
    assert_eq!(server.hits.load(Ordering::SeqCst), 0);
}

async fn generate(
    a: &mut Client,
    id: &str,
    format: &str,
    algorithm: &str,
    passwords: (&str, &str, &str, &str),
    validity: &str,
    include: bool,
) -> Reply {
    a.change(
        "generate_keystore",
        &[
            ("realm", "master"),
            ("id", id),
            ("format", format),
            ("algorithm", algorithm),
            ("alias", "billing-key"),
            ("store_password", passwords.0),
            ("store_password_confirm", passwords.1),
            ("key_password", passwords.2),
            ("key_password_confirm", passwords.3),
            ("validity_years", validity),
            ("include_passwords", if include { "true" } else { "false" }),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn generate_keystores_register_the_certificate_and_never_keep_the_private_key() {
    use base64::engine::general_purpose::STANDARD;
    let app = app().await;
    let mut a = admin(&app).await;
    let id = new_client(&mut a, "billing").await;

    let d = a
        .call("keystore_defaults", &[("realm", "master"), ("id", &id)])
        .await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    let d = d.json();
    assert_eq!(d["alias"], "billing");
    let (sp, kp) = (
        d["store_password"].as_str().unwrap().to_string(),
        d["key_password"].as_str().unwrap().to_string(),
    );
    assert!(sp.len() >= 20 && sp != kp);

    // PKCS12: one password (an empty key password means the store password).
    let r = generate(
        &mut a,
        &id,
        "PKCS12",
        "EC-P256",
        (&sp, &sp, "", ""),
        "3",
        false,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let g = r.json();
    assert_eq!(g["file_name"], "billing.p12");
    let json: serde_json::Value =
        serde_json::from_str(g["keycloak_json"].as_str().unwrap()).unwrap();
    let jwt = &json["credentials"]["jwt"];
    assert_eq!(jwt["client-keystore-type"], "PKCS12");
    assert_eq!(jwt["client-key-alias"], "billing-key");
    assert_eq!(jwt["client-keystore-file"], "classpath:billing.p12");
    assert_eq!(
        jwt["client-keystore-password"],
        "REPLACE WITH THE KEYSTORE PASSWORD"
    );
    // The keystore holds the registered certificate under the alias.
    let keystore = STANDARD.decode(g["keystore"].as_str().unwrap()).unwrap();
    let back = keyward_credentials::keys::import(&keyward_credentials::keys::ImportRequest {
        format: None,
        bytes: &keystore,
        store_password: Some(&sp),
        alias: Some("billing-key"),
    })
    .unwrap();
    let listed = keys(&mut a, &id).await;
    assert_eq!(listed["keys"].as_array().unwrap().len(), 1);
    assert_eq!(g["kid"], listed["keys"][0]["kid"]);
    assert_eq!(listed["keys"][0]["source"], "generated");
    assert_eq!(listed["keys"][0]["subject"], "CN=billing");
    assert_eq!(
        listed["keys"][0]["kid"],
        keyward_credentials::authenticator::client_jwt::keycloak_kid(&back[0].spki_der)
    );

    // JKS with the passwords in the snippet.
    let r = generate(
        &mut a,
        &id,
        "JKS",
        "RSA-2048",
        (&sp, &sp, &kp, &kp),
        "1",
        true,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let g = r.json();
    assert_eq!(g["file_name"], "billing.jks");
    let json: serde_json::Value =
        serde_json::from_str(g["keycloak_json"].as_str().unwrap()).unwrap();
    assert_eq!(json["credentials"]["jwt"]["client-keystore-type"], "JKS");
    assert_eq!(
        json["credentials"]["jwt"]["client-keystore-password"],
        sp.as_str()
    );
    assert_eq!(
        json["credentials"]["jwt"]["client-key-password"],
        kp.as_str()
    );
    // JKS with the key password left empty (the dialog's default): the store password, as
    // keytool does.
    let r = generate(&mut a, &id, "JKS", "EC-P256", (&sp, &sp, "", ""), "1", true).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let json: serde_json::Value =
        serde_json::from_str(r.json()["keycloak_json"].as_str().unwrap()).unwrap();
    assert_eq!(
        json["credentials"]["jwt"]["client-key-password"],
        sp.as_str()
    );

    // Bad input: a specific error, nothing stored.
    for (format, alg, pw, validity, expected) in [
        (
            "PKCS12",
            "RSA-2048",
            (sp.as_str(), "other", "", ""),
            "3",
            "confirmation differ",
        ),
        (
            "JKS",
            "RSA-2048",
            (sp.as_str(), sp.as_str(), kp.as_str(), "x"),
            "3",
            "confirmation differ",
        ),
        (
            "JKS",
            "RSA-2048",
            ("", "", kp.as_str(), kp.as_str()),
            "3",
            "must not be empty",
        ),
        (
            "PKCS12",
            "EC-P256",
            ("pässwörd", "pässwörd", "", ""),
            "3",
            "ASCII",
        ),
        (
            "PKCS12",
            "EC-P256",
            (sp.as_str(), sp.as_str(), kp.as_str(), kp.as_str()),
            "3",
            "one password",
        ),
        (
            "PKCS12",
            "RSA-2048",
            (sp.as_str(), sp.as_str(), "", ""),
            "11",
            "1 to 10 years",
        ),
        (
            "JKS",
            "RSA-2048",
            (sp.as_str(), sp.as_str(), kp.as_str(), kp.as_str()),
            "0",
            "1 to 10 years",
        ),
        (
            "PEM",
            "RSA-2048",
            (sp.as_str(), sp.as_str(), kp.as_str(), kp.as_str()),
            "3",
            "unsupported keystore format",
        ),
        (
            "JKS",
            "DSA-1024",
            (sp.as_str(), sp.as_str(), kp.as_str(), kp.as_str()),
            "3",
            "unsupported key algorithm",
        ),
    ] {
        let r = generate(&mut a, &id, format, alg, pw, validity, false).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{expected}: {}", r.body);
        assert!(error_of(&r).contains(expected), "{expected}: {}", r.body);
    }
    assert_eq!(keys(&mut a, &id).await["keys"].as_array().unwrap().len(), 3);

    // A viewer can read the installation but not generate.
    let mut viewer = operator(&app, "gviewer", "viewer").await;
    let r = generate(
        &mut viewer,
        &id,
        "PKCS12",
        "EC-P256",
        (&sp, &sp, "", ""),
        "3",
        false,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = viewer
        .call("keystore_defaults", &[("realm", "master"), ("id", &id)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // The passwords reach neither the database nor the audit log.
    let events = keyward_store::events::list(&app.keyward.state.ctx.db, None, 0, 100)
        .await
        .unwrap();
    assert!(events.iter().any(|e| e.details.contains("\"generated\"")));
    for e in &events {
        assert!(
            !e.details.contains(&sp) && !e.details.contains(&kp),
            "{}",
            e.details
        );
    }
    app.keyward.state.ctx.db.close().await;
    let db_bytes = common::db_bytes(&app);
    for secret in [&sp, &kp] {
        assert!(
            !db_bytes
                .windows(secret.len())
                .any(|w| w == secret.as_bytes()),
            "a keystore password is in the database file"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn installation_snippets_follow_the_method() {
    let app = app().await;
    let mut a = admin(&app).await;
    let id = new_client(&mut a, "billing").await;
    let mut viewer = operator(&app, "iviewer", "viewer").await;
    let r = viewer
        .call("get_installation", &[("realm", "master"), ("id", &id)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!(v["method"], "client_secret_basic");
    let snippets = v["snippets"].as_array().unwrap();
    assert_eq!(snippets.len(), 3);
    let json: serde_json::Value =
        serde_json::from_str(snippets[0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(json["resource"], "billing");
    assert_eq!(json["realm"], "master");
    assert_eq!(
        json["credentials"]["secret"],
        "REPLACE WITH THE CLIENT SECRET"
    );
    assert!(snippets[1]["text"]
        .as_str()
        .unwrap()
        .contains("client-authentication-method: client_secret_basic"));
    assert!(snippets[2]["text"]
        .as_str()
        .unwrap()
        .contains("OIDC_CLIENT_ID='billing'"));

    // Signed JWT with a pinned alg.
    set_method(&mut a, &id, "client-jwt", "ES256").await;
    let v = a
        .call("get_installation", &[("realm", "master"), ("id", &id)])
        .await
        .json();
    assert_eq!(v["method"], "private_key_jwt");
    let json: serde_json::Value =
        serde_json::from_str(v["snippets"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(json["credentials"]["jwt"]["algorithm"], "ES256");
    assert_eq!(
        json["credentials"]["jwt"]["client-keystore-password"],
        "REPLACE WITH THE KEYSTORE PASSWORD"
    );
    let unknown = a
        .call("get_installation", &[("realm", "master"), ("id", "nope")])
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
}

/// The Keys tab's panels as the server renders them: `[keys, jwks]` HTML.
/// The Keys tab as the server renders it for `a`: the keys card, and the JWKS URL card (""
/// when there is none).
async fn panels(a: &mut Client, id: &str) -> (String, String) {
    let tab = common::tab(a, &format!("/console/master/clients/{id}/keys")).await;
    match tab.split_once("<h2>JWKS URL</h2>") {
        Some((keys, jwks)) => (keys.to_string(), jwks.to_string()),
        None => (tab, String::new()),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_panels_render_escaped_keys_and_forms_for_managers_only() {
    let server = jwks_server().await;
    let app = app_with(|c| c.jwks_allow = "127.0.0.1".into()).await;
    let mut a = admin(&app).await;
    let id = new_client(&mut a, "panels").await;

    // A kid that is markup shows as text.
    let mut jwk: serde_json::Value = serde_json::from_slice(&fixture("p256.jwk")).unwrap();
    jwk["kid"] = "<b>bold</b>".into();
    let r = import(&mut a, &id, "jwk", jwk.to_string().as_bytes(), "", "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (keys_html, jwks) = panels(&mut a, &id).await;
    assert!(keys_html.contains("&lt;b&gt;bold&lt;/b&gt;"), "{keys_html}");
    assert!(!keys_html.contains("<b>"), "{keys_html}");
    // A manager's tab: the generate island, the import form (multipart, in the browser's own
    // dialog: no island), and one form per change, each with this session's CSRF token;
    // deleting asks first.
    assert!(!keys_html.contains("ImportKey"), "{keys_html}");
    common::island(&keys_html, "KeystoreGenerator");
    assert!(
        keys_html.contains(
            r#"<form method="post" enctype="multipart/form-data" action="/api/import_keys""#
        ),
        "{keys_html}"
    );
    assert!(
        keys_html.contains(r#"commandfor="import-dialog" command="show-modal""#),
        "{keys_html}"
    );
    assert!(
        keys_html.contains(r#"action="/api/set_key_active""#),
        "{keys_html}"
    );
    assert!(
        keys_html.contains(r#"name="active" value="false""#),
        "{keys_html}"
    );
    assert!(
        keys_html.contains(r#"action="/api/delete_key""#),
        "{keys_html}"
    );
    assert!(
        keys_html.contains(r#"command="show-modal""#),
        "delete asks first: {keys_html}"
    );
    assert!(
        keys_html.contains(&format!(r#"name="csrf" value="{}""#, a.csrf)),
        "{keys_html}"
    );
    assert!(jwks.contains(r#"action="/api/set_jwks_url""#), "{jwks}");
    assert!(
        !jwks.contains("fetch_jwks_now"),
        "no URL yet, no Fetch now: {jwks}"
    );

    // With a URL: Fetch now posts the same form to fetch_jwks_now; the last fetch is shown.
    let url = format!("{}/jwks", server.base);
    let r = set_url(&mut a, &id, &url).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Fetch now posts the JWKS form's fields (the URL and the checkbox too) to fetch_jwks_now.
    let r = a
        .change(
            "fetch_jwks_now",
            &[
                ("realm", "master"),
                ("id", &id),
                ("use_jwks_url", "true"),
                ("url", &url),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["key_count"], 5);
    let (_, jwks) = panels(&mut a, &id).await;
    assert!(jwks.contains(r#"action="/api/fetch_jwks_now""#), "{jwks}");
    assert!(jwks.contains("HTTP 200, 5 keys."), "{jwks}");
    assert!(
        jwks.contains(r#"name="use_jwks_url" value="true" checked"#),
        "{jwks}"
    );

    // The form posts the checkbox only when ticked: without it, the URL is kept but not used.
    let r = a
        .change(
            "set_jwks_url",
            &[
                ("realm", "master"),
                ("id", &id),
                ("url", &format!("{}/jwks", server.base)),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(keys(&mut a, &id).await["jwks"]["use_jwks_url"], false);

    // A viewer sees the same keys and the JWKS URL (its fields disabled), and no button that
    // changes anything, and no token.
    let mut viewer = operator(&app, "pviewer", "viewer").await;
    let (keys_html, jwks) = panels(&mut viewer, &id).await;
    assert!(keys_html.contains("&lt;b&gt;bold&lt;/b&gt;"), "{keys_html}");
    assert!(!keys_html.contains("<form"), "{keys_html}");
    for input in [r#"id="use-jwks-url""#, r#"id="jwks-url""#] {
        let tag = jwks
            .split(input)
            .nth(1)
            .and_then(|rest| rest.split('>').next())
            .unwrap_or_else(|| panic!("no {input}: {jwks}"));
        assert!(tag.contains(" disabled"), "{input} not disabled: {tag}");
    }
    for html in [&keys_html, &jwks] {
        assert!(!html.contains("<button"), "{html}");
        assert!(!html.contains("leptos-island"), "{html}");
        assert!(!html.contains(r#"name="csrf""#), "{html}");
    }

    // A public client has no keys: an empty state, no JWKS panel.
    let r = a
        .change(
            "create_client",
            &[
                ("realm", "master"),
                ("client_id", "panels-public"),
                ("name", ""),
                ("description", ""),
                ("access_type", "public"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let public = r.json()["id"].as_str().unwrap().to_string();
    let (keys_html, jwks) = panels(&mut a, &public).await;
    assert!(keys_html.contains("Public client"), "{keys_html}");
    assert!(!keys_html.contains("<form"), "{keys_html}");
    assert_eq!(jwks, "");
}

#[tokio::test(flavor = "multi_thread")]
async fn generate_form_is_for_managers_and_posts_what_generate_keystore_reads() {
    let app = app().await;
    let mut a = admin(&app).await;
    let id = new_client(&mut a, "gen-form").await;
    let path = format!("/console/master/clients/{id}/keys");
    let mut viewer = operator(&app, "gfviewer", "viewer").await;
    let viewer_tab = common::tab(&mut viewer, &path).await;
    assert!(!viewer_tab.contains("KeystoreGenerator"), "{viewer_tab}");
    assert!(!viewer_tab.contains("generate_keystore"), "{viewer_tab}");

    let tab = common::tab(&mut a, &path).await;
    let form = common::island(&tab, "KeystoreGenerator");
    assert!(
        form.contains(r#"action="/api/generate_keystore""#),
        "{form}"
    );
    assert!(form.contains(&format!(r#"name="csrf" value="{}""#, a.csrf)));
    for field in [
        "realm",
        "id",
        "format",
        "algorithm",
        "alias",
        "store_password",
        "store_password_confirm",
        "key_password",
        "key_password_confirm",
        "validity_years",
        "include_passwords",
    ] {
        assert!(
            form.contains(&format!(r#"name="{field}""#)),
            "{field}: {form}"
        );
    }
    assert!(form.contains(r#"name="alias" value="gen-form""#), "{form}");
    // The island's props carry the suggested store password (shown in the form), never a key
    // password the operator does not see.
    assert!(form.contains("&quot;store_password&quot;"), "{form}");
    assert!(!form.contains("&quot;key_password&quot;"), "{form}");
    // Fresh passwords each time the tab is shown.
    let again = common::tab(&mut a, &path).await;
    assert_ne!(common::island(&again, "KeystoreGenerator"), form);
}

/// The import dialog posts natively (`multipart/form-data`, no wasm): the browser comes back to
/// the Keys tab with how many keys were added, or with the import's error and nothing changed.
/// A post without the session's CSRF token, a malformed body and an unknown field change
/// nothing either; the count travels only in the redirect, never as a header.
#[tokio::test]
async fn the_import_form_posts_natively_and_comes_back_with_its_outcome() {
    use axum::body::Body;
    use axum::http::{header, Request};
    let app = app().await;
    let mut a = admin(&app).await;
    let id = new_client(&mut a, "native-import").await;
    let tab = format!("http://127.0.0.1:3000/console/master/clients/{id}/keys");
    let csrf = a.csrf.clone();
    let native = |fields: &[(&str, &str)], file: &[u8]| {
        let (content_type, body) = multipart(fields, Some(file));
        Request::post("/api/import_keys")
            .header(header::CONTENT_TYPE, content_type)
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::REFERER, format!("{tab}?__ok=/api/delete_key"))
            .body(Body::from(body))
            .unwrap()
    };
    let jwks = [
        ("csrf", csrf.as_str()),
        ("realm", "master"),
        ("id", id.as_str()),
        ("format", "jwks"),
        ("store_password", ""),
        ("alias", ""),
    ];
    let mut recognise = jwks;
    recognise[3] = ("format", "");
    let pairs = jwks;
    let r = a.send(native(&pairs, &fixture("all.jwks"))).await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    assert_eq!(
        r.location(),
        format!("{tab}?__ok=/api/import_keys&__count=5")
    );
    assert!(r.headers.get("x-keyward-count").is_none());
    let shown = a
        .get(&format!(
            "/console/master/clients/{id}/keys?__ok=/api/import_keys&__count=5"
        ))
        .await;
    assert!(shown.body.contains("Imported 5 keys."), "{}", shown.body);
    assert_eq!(keys(&mut a, &id).await["keys"].as_array().unwrap().len(), 5);

    // A private key: back with the error, shown on the tab; nothing added.
    let r = a
        .send(native(&recognise, &fixture("p256-private-pkcs8.pem")))
        .await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    let back = r.location().to_string();
    assert!(back.starts_with(&format!("{tab}?")), "{back}");
    assert!(back.contains("__path=%2Fapi%2Fimport_keys"), "{back}");
    assert!(!back.contains("__ok="), "{back}");
    let shown = a
        .get(back.trim_start_matches("http://127.0.0.1:3000"))
        .await;
    assert!(
        shown
            .body
            .contains("this is a private key: upload the public key"),
        "{}",
        shown.body
    );
    assert_eq!(keys(&mut a, &id).await["keys"].as_array().unwrap().len(), 5);

    // The JSON answer (a script's upload) carries the keys, and no count header.
    let r = a
        .import_keys(&id, "", &fixture("rsa2048-cert.pem"), "", "")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    assert!(r.headers.get("x-keyward-count").is_none());

    // A forged post (no session token), a body that is not multipart, a form with a field the
    // dialog does not have: refused, nothing added.
    let session_csrf = std::mem::replace(&mut a.csrf, "forged".into());
    let r = a
        .upload(
            "import_keys",
            &[("realm", "master"), ("id", &id), ("format", "jwk")],
            fixture("p256.jwk").as_slice(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    a.csrf = session_csrf;
    let r = a
        .send(
            Request::post("/api/import_keys")
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
                .header(header::ACCEPT, "application/json")
                .body(Body::from("not a multipart body"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("multipart"), "{}", r.body);
    // Not multipart at all (a form as the other server functions take, the file base64url as
    // the import took it before), or multipart without a boundary: 415, said in the functions'
    // error shape.
    for content_type in [
        "application/x-www-form-urlencoded",
        "application/json",
        "multipart/form-data",
    ] {
        let r = a
            .send(
                Request::post("/api/import_keys")
                    .header(header::CONTENT_TYPE, content_type)
                    .header(header::ACCEPT, "application/json")
                    .body(Body::from("csrf=x&realm=master&format=jwk&file=eyJ9"))
                    .unwrap(),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}: {}",
            r.body
        );
        assert!(
            r.json()["Request"]
                .as_str()
                .unwrap()
                .contains("multipart/form-data"),
            "{}",
            r.body
        );
    }
    let r = a
        .upload(
            "import_keys",
            &[
                ("realm", "master"),
                ("id", &id),
                ("format", "jwk"),
                ("owner", "x"),
            ],
            fixture("p256.jwk").as_slice(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.json()["Request"], "unknown field \"owner\"", "{}", r.body);
    assert_eq!(keys(&mut a, &id).await["keys"].as_array().unwrap().len(), 6);
}

/// A file too large for any request (over the upload limit, refused before it is read) sends a
/// natively posted import back to the Keys tab with the refusal, like any failed import; a
/// page of another site is not sent anywhere (a bare 413), and nothing is added either way.
#[tokio::test]
async fn an_oversized_native_upload_goes_back_to_the_tab_with_the_refusal() {
    use axum::body::Body;
    use axum::http::{header, Request};
    let app = app().await;
    let mut a = admin(&app).await;
    let id = new_client(&mut a, "big-upload").await;
    let csrf = a.csrf.clone();
    let tab = format!("http://127.0.0.1:3000/console/master/clients/{id}/keys");
    let big = vec![b'x'; 3 * 1024 * 1024];
    let post = |referer: &str| {
        let (content_type, body) = multipart(
            &[
                ("csrf", &csrf),
                ("realm", "master"),
                ("id", &id),
                ("format", ""),
            ],
            Some(&big),
        );
        Request::post("/api/import_keys")
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CONTENT_LENGTH, body.len())
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::REFERER, referer)
            .body(Body::from(body))
            .unwrap()
    };
    // The tab as an earlier import left it: its marks do not come back with the refusal.
    let r = a
        .send(post(&format!("{tab}?__ok=/api/import_keys&__count=5")))
        .await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    let back = r.location().to_string();
    assert!(back.starts_with(&format!("{tab}?__path=")), "{back}");
    assert!(
        !back.contains("__ok") && !back.contains("__count"),
        "{back}"
    );
    let shown = a
        .get(back.trim_start_matches("http://127.0.0.1:3000"))
        .await;
    assert!(
        shown.body.contains("the file is larger than 1 MiB"),
        "{}",
        shown.body
    );
    let r = a.send(post("https://elsewhere.example/form")).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(keys(&mut a, &id).await["keys"]
        .as_array()
        .unwrap()
        .is_empty());
}
