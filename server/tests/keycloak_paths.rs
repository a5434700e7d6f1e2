//! Issue 18: details Keycloak's own client libraries depend on, against the real server:
//! trailing slashes under /admin/ and /realms/ (every method, no redirect), JSON for unknown
//! paths there, client ids with any visible character, an idempotent upload-certificate, and
//! the UMA 2 discovery document Keycloak's Java `AuthzClient` reads first.

mod common;

use std::path::PathBuf;

use axum::http::StatusCode;
use common::*;
use serde_json::{json, Value};

const ADMIN_ID: &str = "ci-admin";
const ADMIN_SECRET: &str = "ci-admin-secret-0123456789";

async fn live_admin() -> Live {
    live_with(|c| {
        c.bootstrap_admin_client_id = Some(ADMIN_ID.into());
        c.bootstrap_admin_client_secret = Some(ADMIN_SECRET.into());
    })
    .await
}

async fn bearer(l: &Live) -> String {
    let (status, body, _) = l
        .token(
            Some((ADMIN_ID, ADMIN_SECRET)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

/// Sends a request without following redirects; (status, JSON body or null, content type).
async fn send(
    l: &Live,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value, String) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut req = http.request(method, format!("{}{path}", l.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        ct,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn every_admin_and_oidc_route_answers_the_same_with_a_trailing_slash() {
    let l = live_admin().await;
    let t = bearer(&l).await;
    use reqwest::Method as M;
    // Created with the slash, as Keycloak's admin client sends it.
    let (s, _, _) = send(
        &l,
        M::POST,
        "/admin/realms/",
        Some(&t),
        Some(json!({"realm": "slashes"})),
    )
    .await;
    assert_eq!(s, 201);
    let (s, _, _) = send(
        &l,
        M::POST,
        "/admin/realms/slashes/clients/",
        Some(&t),
        Some(json!({"clientId": "svc"})),
    )
    .await;
    assert_eq!(s, 201);
    let (s, found, _) = send(
        &l,
        M::GET,
        "/admin/realms/slashes/clients/?clientId=svc",
        Some(&t),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let id = found[0]["id"]
        .as_str()
        .expect("found by clientId with a slash")
        .to_string();
    let c = format!("/admin/realms/slashes/clients/{id}");
    let cases: Vec<(M, String, Option<Value>)> = vec![
        (M::GET, "/admin/realms".into(), None),
        (M::GET, "/admin/realms/slashes".into(), None),
        (
            M::PUT,
            "/admin/realms/slashes".into(),
            Some(json!({"displayName": "Slashes"})),
        ),
        (M::GET, "/admin/realms/slashes/clients".into(), None),
        (M::GET, c.clone(), None),
        (M::PUT, c.clone(), Some(json!({"description": "x"}))),
        (M::GET, format!("{c}/client-secret"), None),
        (M::POST, format!("{c}/client-secret"), None),
        (M::GET, format!("{c}/certificates/jwt.credential"), None),
        (
            M::GET,
            format!("{c}/installation/providers/keycloak-oidc-keycloak-json"),
            None,
        ),
        (M::GET, "/admin/realms/slashes/admin-events".into(), None),
        (
            M::GET,
            "/realms/slashes/.well-known/openid-configuration".into(),
            None,
        ),
        (
            M::GET,
            "/realms/slashes/.well-known/uma2-configuration".into(),
            None,
        ),
        (
            M::GET,
            "/realms/slashes/protocol/openid-connect/certs".into(),
            None,
        ),
    ];
    for (method, path, body) in cases {
        let (plain, _, ct) = send(&l, method.clone(), &path, Some(&t), body.clone()).await;
        let (slashed, _, ct2) = send(&l, method.clone(), &format!("{path}/"), Some(&t), body).await;
        assert!(plain < 300, "{method} {path}: {plain}");
        assert_eq!(slashed, plain, "{method} {path}/ answers like {path}");
        assert_eq!(ct, ct2, "{method} {path}/");
    }
    // The token endpoint, with a body, through a slash (no redirect a client would have to follow).
    let res = l
        .http
        .post(format!(
            "{}/realms/master/protocol/openid-connect/token/",
            l.base
        ))
        .basic_auth(ADMIN_ID, Some(ADMIN_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let (s, _, _) = send(&l, M::DELETE, &format!("{c}/"), Some(&t), None).await;
    assert_eq!(s, 204);
    let (s, _, _) = send(&l, M::DELETE, "/admin/realms/slashes/", Some(&t), None).await;
    assert_eq!(s, 204);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_paths_under_admin_and_realms_answer_json() {
    let l = live_admin().await;
    let t = bearer(&l).await;
    for (method, path) in [
        (reqwest::Method::GET, "/admin/realms/master/no-such-thing"),
        (reqwest::Method::POST, "/admin/realms/master/clients/x/y/z"),
        (reqwest::Method::GET, "/admin/nothing"),
    ] {
        let (s, body, ct) = send(&l, method.clone(), path, Some(&t), None).await;
        assert_eq!(s, 404, "{method} {path}");
        assert!(ct.starts_with("application/json"), "{method} {path}: {ct}");
        assert!(
            body["error"].is_string() && body["errorMessage"].is_string(),
            "{body}"
        );
    }
    for path in [
        "/realms/master/protocol/openid-connect/userinfo-nope",
        "/realms/master/whatever",
        "/realms/no-such-realm/protocol/openid-connect/certs",
    ] {
        let (s, body, ct) = send(&l, reqwest::Method::GET, path, None, None).await;
        assert_eq!(s, 404, "{path}");
        assert!(ct.starts_with("application/json"), "{path}: {ct}");
        assert!(body["error"].is_string(), "{path}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn client_ids_with_any_visible_character_work_everywhere() {
    let l = live_admin().await;
    let t = bearer(&l).await;
    let odd = "svc \"100%\" #1?<b>&'x'";
    let (s, _, _) = send(
        &l,
        reqwest::Method::POST,
        "/admin/realms/master/clients",
        Some(&t),
        Some(json!({"clientId": odd})),
    )
    .await;
    assert_eq!(s, 201);
    // Found by clientId (percent-encoded in the query).
    let q: String = url::form_urlencoded::byte_serialize(odd.as_bytes()).collect();
    let (s, found, _) = send(
        &l,
        reqwest::Method::GET,
        &format!("/admin/realms/master/clients?clientId={q}"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(found[0]["clientId"], odd);
    let id = found[0]["id"].as_str().unwrap().to_string();
    // A secret, used with Basic (RFC 6749 §2.3.1: the id form-encoded first) and with post.
    let (s, secret, _) = send(
        &l,
        reqwest::Method::POST,
        &format!("/admin/realms/master/clients/{id}/client-secret"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let secret = secret["value"].as_str().unwrap().to_string();
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let res = l
        .http
        .post(l.token_url())
        .basic_auth(enc(odd), Some(enc(&secret)))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let (status, body, _) = l
        .token(
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", odd),
                ("client_secret", &secret),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // keycloak.json is JSON: the id comes back exactly.
    let res = l
        .http
        .get(format!(
            "{}/admin/realms/master/clients/{id}/installation/providers/keycloak-oidc-keycloak-json",
            l.base
        ))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    let installation: Value = res.json().await.unwrap();
    assert_eq!(installation["resource"], odd);
    // The console escapes it in HTML.
    let mut a = Client::live(&l, "127.0.0.10");
    a.sign_in(ADMIN, ADMIN_PASSWORD).await;
    let page = a.get("/console/master/clients").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("<b>&'x'"), "raw markup in the page");
    assert!(page.body.contains("&lt;b&gt;"), "escaped in the page");
    // Control characters are refused with a clear message, and nothing is created.
    for bad in ["tab\there", "line\nbreak", " padded"] {
        let (s, body, _) = send(
            &l,
            reqwest::Method::POST,
            "/admin/realms/master/clients",
            Some(&t),
            Some(json!({"clientId": bad})),
        )
        .await;
        assert_eq!(s, 400, "{bad:?}");
        assert!(
            body["errorMessage"].as_str().unwrap().contains("client id"),
            "{body}"
        );
    }
    let (_, all, _) = send(
        &l,
        reqwest::Method::GET,
        "/admin/realms/master/clients",
        Some(&t),
        None,
    )
    .await;
    assert!(all
        .as_array()
        .unwrap()
        .iter()
        .all(|c| !c["clientId"].as_str().unwrap().contains('\t')));
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../credentials/tests/fixtures/keys")
        .join(name)
}

#[tokio::test(flavor = "multi_thread")]
async fn uploading_the_same_certificate_twice_keeps_one_copy() {
    let l = live_admin().await;
    let t = bearer(&l).await;
    let (s, _, _) = send(
        &l,
        reqwest::Method::POST,
        "/admin/realms/master/clients",
        Some(&t),
        Some(json!({"clientId": "provisioned", "clientAuthenticatorType": "client-jwt"})),
    )
    .await;
    assert_eq!(s, 201);
    let (_, found, _) = send(
        &l,
        reqwest::Method::GET,
        "/admin/realms/master/clients?clientId=provisioned",
        Some(&t),
        None,
    )
    .await;
    let id = found[0]["id"].as_str().unwrap().to_string();
    let pem = std::fs::read(fixture("billing-cert.pem")).unwrap();
    let mut first = None;
    for path in ["upload-certificate", "upload", "upload-certificate"] {
        let form = reqwest::multipart::Form::new()
            .text("keystoreFormat", "Certificate PEM")
            .part(
                "file",
                reqwest::multipart::Part::bytes(pem.clone()).file_name("cert.pem"),
            );
        let res = l
            .http
            .post(format!(
                "{}/admin/realms/master/clients/{id}/certificates/jwt.credential/{path}",
                l.base
            ))
            .bearer_auth(&t)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "{path}");
        let rep: Value = res.json().await.unwrap();
        assert!(rep["certificate"].is_string(), "{rep}");
        match &first {
            None => first = Some(rep),
            Some(f) => assert_eq!(&rep, f, "the same certificate answers the same"),
        }
    }
    let (_, keys, _) = send(
        &l,
        reqwest::Method::GET,
        &format!("/admin/realms/master/clients/{id}/keys"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(keys.as_array().unwrap().len(), 1, "one copy: {keys}");
    // Only one CREATE event.
    let (_, events, _) = send(
        &l,
        reqwest::Method::GET,
        "/admin/realms/master/admin-events",
        Some(&t),
        None,
    )
    .await;
    let creates = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["operationType"] == "CREATE"
                && e["resourcePath"].as_str().unwrap_or("").contains("/keys/")
        })
        .count();
    assert_eq!(creates, 1, "{events}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_uma2_configuration_names_the_token_endpoint() {
    let l = live().await;
    let doc: Value = l
        .http
        .get(format!(
            "{}/realms/master/.well-known/uma2-configuration",
            l.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let iss = format!("{}/realms/master", l.base);
    assert_eq!(doc["issuer"], iss);
    assert_eq!(
        doc["token_endpoint"],
        format!("{iss}/protocol/openid-connect/token")
    );
    assert_eq!(
        doc["jwks_uri"],
        format!("{iss}/protocol/openid-connect/certs")
    );
    assert_eq!(
        doc["introspection_endpoint"],
        format!("{iss}/protocol/openid-connect/token/introspect")
    );
    assert_eq!(doc["grant_types_supported"], json!(["client_credentials"]));
    let missing = l
        .http
        .get(format!(
            "{}/realms/nope/.well-known/uma2-configuration",
            l.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn representations_and_tokens_say_what_keycloak_tooling_reads() {
    let l = live_admin().await;
    let t = bearer(&l).await;
    use reqwest::Method as M;
    // A client meant to be unable to get tokens is refused, not silently made a token client.
    for rep in [
        json!({"clientId": "api-only", "bearerOnly": true}),
        json!({"clientId": "no-sa", "serviceAccountsEnabled": false}),
        json!({"clientId": "pub-sa", "publicClient": true, "serviceAccountsEnabled": true}),
    ] {
        let (s, body, _) = send(
            &l,
            M::POST,
            "/admin/realms/master/clients",
            Some(&t),
            Some(rep.clone()),
        )
        .await;
        assert_eq!(s, 400, "{rep}: {body}");
    }
    let (s, _, _) = send(
        &l,
        M::POST,
        "/admin/realms/master/clients",
        Some(&t),
        Some(json!({"clientId": "pub-ok", "publicClient": true, "serviceAccountsEnabled": false})),
    )
    .await;
    assert_eq!(s, 201);
    // Without max, every client (Keycloak's tooling lists them all that way).
    for i in 0..105 {
        let (s, _, _) = send(
            &l,
            M::POST,
            "/admin/realms/master/clients",
            Some(&t),
            Some(json!({"clientId": format!("bulk-{i:03}")})),
        )
        .await;
        assert_eq!(s, 201);
    }
    let (_, all, _) = send(&l, M::GET, "/admin/realms/master/clients", Some(&t), None).await;
    assert!(
        all.as_array().unwrap().len() > 105,
        "{}",
        all.as_array().unwrap().len()
    );
    let (_, page, _) = send(
        &l,
        M::GET,
        "/admin/realms/master/clients?first=0&max=10",
        Some(&t),
        None,
    )
    .await;
    assert_eq!(page.as_array().unwrap().len(), 10);
    // A malformed query answers Keycloak's JSON error, not text.
    let (s, body, ct) = send(
        &l,
        M::GET,
        "/admin/realms/master/clients?first=abc",
        Some(&t),
        None,
    )
    .await;
    assert_eq!(s, 400);
    assert!(
        ct.starts_with("application/json") && body["errorMessage"].is_string(),
        "{ct} {body}"
    );
    // Tokens carry Keycloak's typ and preferred_username; introspection names the user.
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            t.split('.').nth(1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["typ"], "Bearer");
    assert_eq!(
        claims["preferred_username"],
        format!("service-account-{ADMIN_ID}")
    );
    let answer: Value = l
        .http
        .post(format!(
            "{}/realms/master/protocol/openid-connect/token/introspect",
            l.base
        ))
        .basic_auth(ADMIN_ID, Some(ADMIN_SECRET))
        .form(&[("token", t.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["active"], true);
    assert_eq!(answer["username"], format!("service-account-{ADMIN_ID}"));
    // Repeated operationTypes, as Keycloak's admin client sends them.
    let (s, events, _) = send(
        &l,
        M::GET,
        "/admin/realms/master/admin-events?operationTypes=CREATE&operationTypes=DELETE&max=500",
        Some(&t),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert!(events
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["operationType"] == "CREATE" || e["operationType"] == "DELETE"));
    assert!(!events.as_array().unwrap().is_empty());
}
