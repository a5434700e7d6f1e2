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

/// Master's introspection of `token`, authenticated as the bootstrap admin client.
async fn introspect(l: &Live, token: &str) -> Value {
    l.http
        .post(format!(
            "{}/realms/master/protocol/openid-connect/token/introspect",
            l.base
        ))
        .basic_auth(ADMIN_ID, Some(ADMIN_SECRET))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
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
    let (_, claims) = jws_parts(&t);
    assert_eq!(claims["typ"], "Bearer");
    assert_eq!(
        claims["preferred_username"],
        format!("service-account-{ADMIN_ID}")
    );
    let answer = introspect(&l, &t).await;
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

/// The payload of a compact JWS, and its header.
fn jws_parts(token: &str) -> (Value, Value) {
    let part = |i: usize| -> Value {
        serde_json::from_slice(
            &base64::Engine::decode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                token.split('.').nth(i).unwrap(),
            )
            .unwrap(),
        )
        .unwrap()
    };
    (part(0), part(1))
}

/// The field-by-field comparison with Keycloak 26 (README "Differences from Keycloak"): every
/// difference that was not a deliberate choice, as Keycloak answers it.
#[tokio::test(flavor = "multi_thread")]
async fn answers_match_keycloak_field_by_field() {
    let l = live_admin().await;
    let t = bearer(&l).await;
    use reqwest::Method as M;

    // Access tokens: header typ "JWT" as Keycloak's; "at+jwt" for a client that asks for RFC
    // 9068's header with Keycloak's attribute. Both introspect as active.
    let (header, _) = jws_parts(&t);
    assert_eq!(header["typ"], "JWT");
    let (s, _, _) = send(
        &l,
        M::POST,
        "/admin/realms/master/clients",
        Some(&t),
        Some(json!({"clientId": "typed", "attributes": {"access.token.header.type.rfc9068": "true"}})),
    )
    .await;
    assert_eq!(s, 201);
    let (_, found, _) = send(
        &l,
        M::GET,
        "/admin/realms/master/clients?clientId=typed",
        Some(&t),
        None,
    )
    .await;
    let rep = &found[0];
    let id = rep["id"].as_str().unwrap().to_string();
    assert_eq!(
        rep["attributes"]["access.token.header.type.rfc9068"],
        "true"
    );
    // Keycloak's constant fields, and no name or description when unset.
    for (field, value) in [
        ("redirectUris", json!([])),
        ("webOrigins", json!([])),
        ("bearerOnly", json!(false)),
        ("consentRequired", json!(false)),
        ("implicitFlowEnabled", json!(false)),
        ("frontchannelLogout", json!(false)),
        ("fullScopeAllowed", json!(true)),
        ("notBefore", json!(0)),
        ("surrogateAuthRequired", json!(false)),
        ("alwaysDisplayInConsole", json!(false)),
        ("nodeReRegistrationTimeout", json!(-1)),
        ("authenticationFlowBindingOverrides", json!({})),
        (
            "access",
            json!({"view": true, "configure": true, "manage": true}),
        ),
    ] {
        assert_eq!(rep[field], value, "{field}");
    }
    assert_eq!(rep["attributes"]["realm_client"], "false");
    assert!(
        rep.get("name").is_none() && rep.get("description").is_none(),
        "{rep}"
    );
    let (s, regenerated, _) = send(
        &l,
        M::POST,
        &format!("/admin/realms/master/clients/{id}/client-secret"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let secret = regenerated["value"].as_str().unwrap().to_string();
    let (s, body, _) = l
        .token(
            Some(("typed", &secret)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(s, 200, "{body}");
    // `scope` is always in the token response, as Keycloak's.
    assert_eq!(body["scope"], "");
    let typed = body["access_token"].as_str().unwrap().to_string();
    assert_eq!(jws_parts(&typed).0["typ"], "at+jwt");
    for token in [&t, &typed] {
        let answer = introspect(&l, token).await;
        assert_eq!(answer["active"], true, "{answer}");
    }
    // Switched off again: the next token has Keycloak's header.
    let (s, _, _) = send(
        &l,
        M::PUT,
        &format!("/admin/realms/master/clients/{id}"),
        Some(&t),
        Some(json!({"attributes": {"access.token.header.type.rfc9068": "false"}})),
    )
    .await;
    assert_eq!(s, 204);
    let (_, body, _) = l
        .token(
            Some(("typed", &secret)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(
        jws_parts(body["access_token"].as_str().unwrap()).0["typ"],
        "JWT"
    );
    let (s, body, _) = send(
        &l,
        M::PUT,
        &format!("/admin/realms/master/clients/{id}"),
        Some(&t),
        Some(json!({"attributes": {"access.token.header.type.rfc9068": "yes"}})),
    )
    .await;
    assert_eq!(s, 400, "{body}");

    // Realm token settings through the Admin REST API: accessTokenLifespan and
    // defaultSignatureAlgorithm are read and written (bad values: 400, nothing changed).
    let (s, _, _) = send(
        &l,
        M::POST,
        "/admin/realms",
        Some(&t),
        Some(json!({"realm": "rsa", "accessTokenLifespan": 900, "defaultSignatureAlgorithm": "RS256"})),
    )
    .await;
    assert_eq!(s, 201);
    let (_, realm, _) = send(&l, M::GET, "/admin/realms/rsa", Some(&t), None).await;
    assert_eq!(realm["accessTokenLifespan"], 900);
    assert_eq!(realm["defaultSignatureAlgorithm"], "RS256");
    for (field, value) in [
        ("notBefore", json!(0)),
        ("sslRequired", json!("external")),
        ("adminEventsEnabled", json!(true)),
        ("adminEventsDetailsEnabled", json!(true)),
        ("attributes", json!({})),
    ] {
        assert_eq!(realm[field], value, "{field}");
    }
    for bad in [
        json!({"accessTokenLifespan": 5}),
        json!({"accessTokenLifespan": 86_401}),
        json!({"defaultSignatureAlgorithm": "HS256"}),
        json!({"displayName": "changed", "defaultSignatureAlgorithm": "none"}),
    ] {
        let (s, body, _) = send(&l, M::PUT, "/admin/realms/rsa", Some(&t), Some(bad.clone())).await;
        assert_eq!(s, 400, "{bad}");
        assert!(body["errorMessage"].is_string(), "{body}");
    }
    let (s, body, _) = send(
        &l,
        M::POST,
        "/admin/realms",
        Some(&t),
        Some(json!({"realm": "never", "accessTokenLifespan": 1})),
    )
    .await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(
        send(&l, M::GET, "/admin/realms/never", Some(&t), None)
            .await
            .0,
        404
    );
    let (_, unchanged, _) = send(&l, M::GET, "/admin/realms/rsa", Some(&t), None).await;
    assert_eq!(unchanged, realm);
    let (s, _, _) = send(
        &l,
        M::POST,
        "/admin/realms/rsa/clients",
        Some(&t),
        Some(json!({"clientId": "svc"})),
    )
    .await;
    assert_eq!(s, 201);
    let (_, found, _) = send(
        &l,
        M::GET,
        "/admin/realms/rsa/clients?clientId=svc",
        Some(&t),
        None,
    )
    .await;
    let svc = found[0]["id"].as_str().unwrap().to_string();
    let (_, regenerated, _) = send(
        &l,
        M::POST,
        &format!("/admin/realms/rsa/clients/{svc}/client-secret"),
        Some(&t),
        None,
    )
    .await;
    let svc_secret = regenerated["value"].as_str().unwrap().to_string();
    let res = l
        .http
        .post(format!(
            "{}/realms/rsa/protocol/openid-connect/token",
            l.base
        ))
        .basic_auth("svc", Some(&svc_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["expires_in"], 900);
    let token = body["access_token"].as_str().unwrap();
    let (header, claims) = jws_parts(token);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        900
    );
    // The RS256 realm key is published with a self-signed certificate naming the realm, as
    // Keycloak's (x5c, x5t, x5t#S256); openssl reads it and finds the JWK's modulus in it.
    let certs: Value = l
        .http
        .get(format!(
            "{}/realms/rsa/protocol/openid-connect/certs",
            l.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = certs["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .unwrap()
        .clone();
    assert!(
        jwk["x5t"].is_string() && jwk["x5t#S256"].is_string(),
        "{jwk}"
    );
    let x5c = jwk["x5c"][0].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("realm.pem");
    std::fs::write(
        &pem,
        format!("-----BEGIN CERTIFICATE-----\n{x5c}\n-----END CERTIFICATE-----\n"),
    )
    .unwrap();
    let out = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-subject", "-modulus", "-in"])
        .arg(&pem)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("CN = rsa") || text.contains("CN=rsa"),
        "{text}"
    );
    let n = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        jwk["n"].as_str().unwrap(),
    )
    .unwrap();
    let hex: String = n.iter().map(|b| format!("{b:02X}")).collect();
    assert!(text.contains(&format!("Modulus={hex}")), "{text}");

    // generate without keySize: RSA 4096, as Keycloak's.
    let (s, generated, _) = send(
        &l,
        M::POST,
        &format!("/admin/realms/rsa/clients/{svc}/certificates/jwt.credential/generate"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(s, 200, "{generated}");
    std::fs::write(
        &pem,
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            generated["certificate"].as_str().unwrap()
        ),
    )
    .unwrap();
    let out = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(&pem)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("(4096 bit)"));

    // The installation carries the real secret when the caller may see it (an admin, in a
    // realm that allows reveal), as Keycloak's; the placeholder otherwise.
    let install = format!(
        "/admin/realms/rsa/clients/{svc}/installation/providers/keycloak-oidc-keycloak-json"
    );
    let (_, json_file, _) = send(&l, M::GET, &install, Some(&t), None).await;
    assert_eq!(
        json_file["credentials"]["secret"],
        "REPLACE WITH THE CLIENT SECRET"
    );
    keyward_store::realms::update_secret_policy(
        &l.app.keyward.state.ctx.db,
        "rsa",
        &keyward_store::realms::SecretPolicy {
            overlap_default_s: 3600,
            overlap_max_s: 86_400,
            allow_reveal: true,
        },
    )
    .await
    .unwrap();
    let (_, regenerated, _) = send(
        &l,
        M::POST,
        &format!("/admin/realms/rsa/clients/{svc}/client-secret"),
        Some(&t),
        None,
    )
    .await;
    let sealed = regenerated["value"].as_str().unwrap();
    let (_, json_file, _) = send(&l, M::GET, &install, Some(&t), None).await;
    assert_eq!(json_file["credentials"]["secret"], sealed);

    // Errors as Keycloak words them, in JSON, 405s included (with Allow).
    for (method, path, status, error) in [
        (
            M::GET,
            "/admin/realms/nope".to_string(),
            404,
            "Realm not found.",
        ),
        (
            M::GET,
            "/admin/realms/rsa/clients/nope".to_string(),
            404,
            "Could not find client",
        ),
        (
            M::GET,
            format!("/admin/realms/rsa/clients/{svc}/client-secret/rotated"),
            200,
            "",
        ),
        (
            M::GET,
            format!("/admin/realms/rsa/clients/{svc}/installation/providers/nope"),
            404,
            "Unknown Provider",
        ),
        (
            M::PATCH,
            "/admin/realms/rsa".to_string(),
            405,
            "HTTP 405 Method Not Allowed",
        ),
        (
            M::GET,
            "/realms/rsa/protocol/openid-connect/token".to_string(),
            405,
            "HTTP 405 Method Not Allowed",
        ),
        (
            M::GET,
            "/realms/nope/protocol/openid-connect/certs".to_string(),
            404,
            "Realm does not exist",
        ),
        (
            M::GET,
            "/realms/rsa/nothing-here".to_string(),
            404,
            "HTTP 404 Not Found",
        ),
    ] {
        let (s, body, ct) = send(&l, method.clone(), &path, Some(&t), None).await;
        assert_eq!(s, status, "{method} {path}: {body}");
        assert!(ct.starts_with("application/json"), "{method} {path}: {ct}");
        if !error.is_empty() {
            assert_eq!(body["error"], error, "{method} {path}");
        }
    }
    let res = l
        .http
        .delete(format!("{}/admin/realms/rsa/clients", l.base))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    let allow = res.headers()["allow"].to_str().unwrap().to_string();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    // The rotated secret invalidated: Keycloak's 404 text.
    let (s, _, _) = send(
        &l,
        M::DELETE,
        &format!("/admin/realms/rsa/clients/{svc}/client-secret/rotated"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(s, 204);
    let (s, body, _) = send(
        &l,
        M::GET,
        &format!("/admin/realms/rsa/clients/{svc}/client-secret/rotated"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(
        (s, &body["error"]),
        (404, &json!("Client does not have a rotated secret"))
    );
    let (s, body, _) = send(&l, M::DELETE, "/admin/realms/master", Some(&t), None).await;
    assert_eq!(s, 400);
    assert!(body["errorMessage"]
        .as_str()
        .unwrap()
        .starts_with("Can't remove master realm"));
    // Discovery: no implicit response type; the claims Keyward's tokens carry.
    let doc: Value = l
        .http
        .get(format!(
            "{}/realms/rsa/.well-known/openid-configuration",
            l.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["response_types_supported"], json!(["none"]));
    for claim in claims.as_object().unwrap().keys() {
        assert!(
            doc["claims_supported"]
                .as_array()
                .unwrap()
                .contains(&json!(claim)),
            "{claim}"
        );
    }
}
