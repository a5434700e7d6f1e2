//! The Admin REST API against the real server: the bootstrap admin client, bearer tokens from
//! the master realm only, role boundaries, Keycloak's representations and error shapes, bad
//! input that changes nothing. python-keycloak drives it in `interop_python_keycloak.rs`.

mod common;

use std::path::PathBuf;
use std::process::Command;

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

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../credentials/tests/fixtures/keys")
        .join(name)
}

/// A master-realm access token for a client, by client_secret_basic.
async fn bearer(l: &Live, id: &str, secret: &str) -> String {
    let (status, body, _) = l
        .token(Some((id, secret)), &[("grant_type", "client_credentials")])
        .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

struct Api<'a> {
    l: &'a Live,
    token: String,
}

impl Api<'_> {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .l
            .http
            .request(method, format!("{}{path}", self.l.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }
    async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }
    async fn delete(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::DELETE, path, None).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn endpoints_roles_and_bad_input() {
    let l = live_admin().await;
    let api = Api {
        l: &l,
        token: bearer(&l, ADMIN_ID, ADMIN_SECRET).await,
    };

    // No token, a garbage token: 401 with Keycloak's shape and WWW-Authenticate.
    let res = l
        .http
        .get(format!("{}/admin/realms", l.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "HTTP 401 Unauthorized");
    let garbage = Api {
        l: &l,
        token: "not.a.token".into(),
    };
    assert_eq!(garbage.get("/admin/realms").await.0, 401);

    // Realms.
    let (status, _) = api
        .post(
            "/admin/realms",
            json!({"realm": "ops", "displayName": "Ops"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, body) = api.post("/admin/realms", json!({"realm": "ops"})).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["errorMessage"].as_str().is_some(), "{body}");
    let (status, body) = api.get("/admin/realms/ops").await;
    assert_eq!((status, body["displayName"].as_str()), (200, Some("Ops")));
    let (status, _) = api
        .put("/admin/realms/ops", json!({"displayName": "Operations"}))
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        api.get("/admin/realms/ops").await.1["displayName"],
        "Operations"
    );
    let (status, _) = api
        .put("/admin/realms/ops", json!({"realm": "renamed"}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(api.get("/admin/realms/nowhere").await.0, 404);
    assert_eq!(api.delete("/admin/realms/master").await.0, 400);
    let (_, realms) = api.get("/admin/realms").await;
    let names: Vec<&str> = realms
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["realm"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"master") && names.contains(&"ops"),
        "{names:?}"
    );

    // Clients: create (201 + Location), a duplicate (409), read, PUT keeps absent fields.
    let res = l
        .http
        .post(format!("{}/admin/realms/ops/clients", l.base))
        .bearer_auth(&api.token)
        .json(
            &json!({"clientId": "svc", "name": "Service", "redirectUris": ["ignored"],
                      "clientAuthenticatorType": "client-jwt",
                      "attributes": {"token.endpoint.auth.signing.alg": "ES256"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let id = location.rsplit('/').next().unwrap().to_string();
    assert_eq!(
        location,
        format!("{}/admin/realms/ops/clients/{id}", l.base)
    );
    let (status, body) = api
        .post("/admin/realms/ops/clients", json!({"clientId": "svc"}))
        .await;
    assert_eq!(
        (status, body["errorMessage"].as_str()),
        (409, Some("Client svc already exists"))
    );
    let path = format!("/admin/realms/ops/clients/{id}");
    let (status, c) = api.get(&path).await;
    assert_eq!(status, 200);
    assert_eq!(c["clientId"], "svc");
    assert_eq!(c["clientAuthenticatorType"], "client-jwt");
    assert_eq!(c["attributes"]["token.endpoint.auth.signing.alg"], "ES256");
    assert_eq!(c["publicClient"], false);
    let (status, _) = api.put(&path, json!({"description": "billing"})).await;
    assert_eq!(status, 204);
    let (_, c) = api.get(&path).await;
    assert_eq!(
        (c["name"].as_str(), c["description"].as_str()),
        (Some("Service"), Some("billing"))
    );
    // Bad input: id change, wrong type, malformed JSON, an alg of another method; nothing changes.
    assert_eq!(api.put(&path, json!({"id": "other"})).await.0, 400);
    assert_eq!(api.put(&path, json!({"enabled": "yes"})).await.0, 400);
    let res = l
        .http
        .put(format!("{}{path}", l.base))
        .bearer_auth(&api.token)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .contains("malformed JSON"),
        "{body}"
    );
    let (status, body) = api
        .put(
            &path,
            json!({"attributes": {"token.endpoint.auth.signing.alg": "HS256"}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        api.get(&path).await.1,
        c,
        "refused changes left the client as it was"
    );
    assert_eq!(api.get("/admin/realms/ops/clients/nope").await.0, 404);
    // Lookup by clientId, as Keycloak tooling does.
    let (_, found) = api.get("/admin/realms/ops/clients?clientId=svc").await;
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["id"], id.as_str());
    assert_eq!(
        api.get("/admin/realms/ops/clients?clientId=none").await.1,
        json!([])
    );

    // The JWKS URL through attributes: checked by the fetcher's rules before anything changes.
    let (status, body) = api
        .put(&path, json!({"name": "Renamed?", "attributes": {"use.jwks.url": "true", "jwks.url": "http://127.0.0.1:1/jwks"}}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        api.put(&path, json!({"attributes": {"use.jwks.url": "maybe"}}))
            .await
            .0,
        400
    );
    assert_eq!(
        api.get(&path).await.1,
        c,
        "refused attributes changed nothing"
    );
    let (status, _) = api
        .put(&path, json!({"attributes": {"use.jwks.url": "true", "jwks.url": "https://keys.example.com/jwks"}}))
        .await;
    assert_eq!(status, 204);
    let (_, with_url) = api.get(&path).await;
    assert_eq!(with_url["attributes"]["use.jwks.url"], "true");
    assert_eq!(
        with_url["attributes"]["jwks.url"],
        "https://keys.example.com/jwks"
    );
    assert_eq!(
        api.put(&path, json!({"attributes": {"use.jwks.url": "false"}}))
            .await
            .0,
        204
    );
    assert_eq!(
        api.get(&path).await.1["attributes"]["use.jwks.url"],
        "false"
    );
    // A create whose attributes are refused leaves no client behind.
    let (status, _) = api
        .post(
            "/admin/realms/ops/clients",
            json!({"clientId": "half", "clientAuthenticatorType": "client-jwt",
              "attributes": {"token.endpoint.auth.signing.alg": "HS256"}}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        api.get("/admin/realms/ops/clients?clientId=half").await.1,
        json!([])
    );

    // Secrets: a client-secret client; regenerate shows the value once; GET hides it (the
    // realm does not allow reveal); rotated is the previous one while it overlaps.
    let (_, _) = api
        .put(&path, json!({"clientAuthenticatorType": "client-secret"}))
        .await;
    let (status, first) = api.post(&format!("{path}/client-secret"), json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(first["type"], "secret");
    let first = first["value"].as_str().unwrap().to_string();
    let (status, shown) = api.get(&format!("{path}/client-secret")).await;
    assert_eq!((status, shown.get("value")), (200, None), "{shown}");
    let (_, second) = api.post(&format!("{path}/client-secret"), json!({})).await;
    let second = second["value"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    let token_url = format!("{}/realms/ops/protocol/openid-connect/token", l.base);
    let token_with = |secret: String| {
        let (http, url) = (l.http.clone(), token_url.clone());
        async move {
            http.post(url)
                .basic_auth("svc", Some(secret))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(token_with(second.clone()).await, 200);
    assert_eq!(
        token_with(first.clone()).await,
        200,
        "the rotated secret overlaps"
    );
    assert_eq!(
        api.get(&format!("{path}/client-secret/rotated")).await.0,
        200
    );
    assert_eq!(
        api.delete(&format!("{path}/client-secret/rotated")).await.0,
        204
    );
    assert_eq!(
        token_with(first.clone()).await,
        401,
        "the rotated secret is gone"
    );
    assert_eq!(token_with(second.clone()).await, 200);
    assert_eq!(
        api.get(&format!("{path}/client-secret/rotated")).await.0,
        404
    );

    // Certificates: upload-certificate (multipart, Keycloak's field names), a wrong format
    // (406), a file that is not what it claims (400) — nothing registered by the refusals.
    let cert_pem = std::fs::read(fixture("p256-cert.pem")).unwrap();
    let upload = |format: &str, file: Vec<u8>| {
        let form = reqwest::multipart::Form::new()
            .text("keystoreFormat", format.to_string())
            .part("file", reqwest::multipart::Part::bytes(file).file_name("f"));
        l.http
            .post(format!(
                "{}{path}/certificates/jwt.credential/upload-certificate",
                l.base
            ))
            .bearer_auth(&api.token)
            .multipart(form)
            .send()
    };
    let res = upload("Certificate PEM", cert_pem.clone()).await.unwrap();
    assert_eq!(res.status(), 200);
    let cert: Value = res.json().await.unwrap();
    assert!(cert["certificate"].as_str().unwrap().len() > 100, "{cert}");
    let res = upload("X.509 DER", cert_pem.clone()).await.unwrap();
    assert_eq!(res.status(), 406);
    let res = upload("JSON Web Key Set", b"-----BEGIN nothing".to_vec())
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let (_, again) = api
        .get(&format!("{path}/certificates/jwt.credential"))
        .await;
    assert_eq!(again, cert);
    let (_, c) = api.get(&path).await;
    assert_eq!(
        c["attributes"]["jwt.credential.certificate"],
        cert["certificate"]
    );
    assert_eq!(
        api.post(
            &format!("{path}/certificates/jwt.credential/download"),
            json!({})
        )
        .await
        .0,
        400
    );

    // A token from another realm, and a master client without an API role, are refused.
    let (status, _) = api
        .post(
            "/admin/realms/ops/clients",
            json!({"clientId": "other-realm"}),
        )
        .await;
    assert_eq!(status, 201);
    let mut a = admin(&l.app).await;
    let plain = new_client(&mut a, "no-role").await;
    let plain_secret = new_secret(&mut a, &plain, "0").await;
    let no_role = Api {
        l: &l,
        token: bearer(&l, "no-role", &plain_secret).await,
    };
    let (status, body) = no_role.get("/admin/realms").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("HTTP 403 Forbidden"))
    );

    // A view client reads but cannot change; the role is read on every request.
    let viewer_id = new_client(&mut a, "viewer").await;
    let viewer_secret = new_secret(&mut a, &viewer_id, "0").await;
    set_api_role(&mut a, &viewer_id, "view").await;
    let viewer = Api {
        l: &l,
        token: bearer(&l, "viewer", &viewer_secret).await,
    };
    assert_eq!(viewer.get("/admin/realms/ops").await.0, 200);
    assert_eq!(viewer.get(&path).await.0, 200);
    assert_eq!(
        viewer
            .post(&format!("{path}/client-secret"), json!({}))
            .await
            .0,
        403
    );
    assert_eq!(viewer.delete(&path).await.0, 403);
    assert_eq!(
        viewer.post("/admin/realms", json!({"realm": "v"})).await.0,
        403
    );
    set_api_role(&mut a, &viewer_id, "").await;
    assert_eq!(viewer.get("/admin/realms/ops").await.0, 403);

    // A manage client changes clients and credentials but not realms; an admin's API role
    // cannot be given to a client of another realm, and only admins may give one.
    let manager_id = new_client(&mut a, "manager").await;
    let manager_secret = new_secret(&mut a, &manager_id, "0").await;
    set_api_role(&mut a, &manager_id, "manage").await;
    let manager = Api {
        l: &l,
        token: bearer(&l, "manager", &manager_secret).await,
    };
    let (status, _) = manager
        .post(
            "/admin/realms/ops/clients",
            json!({"clientId": "by-manager"}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        manager
            .post(&format!("{path}/client-secret"), json!({}))
            .await
            .0,
        200
    );
    assert_eq!(
        manager.post("/admin/realms", json!({"realm": "m"})).await.0,
        403
    );
    assert_eq!(
        manager
            .put("/admin/realms/ops", json!({"displayName": "x"}))
            .await
            .0,
        403
    );
    assert_eq!(manager.delete("/admin/realms/ops").await.0, 403);
    let r = a
        .change(
            "set_api_role",
            &[("realm", "ops"), ("id", &id), ("api_role", "admin")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let mut mgr_operator = operator(&l.app, "mona", "manager").await;
    let r = mgr_operator
        .change(
            "set_api_role",
            &[
                ("realm", "master"),
                ("id", &manager_id),
                ("api_role", "admin"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // upload (Keycloak's other upload path) with a JWKS file.
    // (A key already registered would be refused with 409: p256 came as a certificate above.)
    let p384: Value = serde_json::from_slice(&std::fs::read(fixture("p384.jwk")).unwrap()).unwrap();
    let jwks = serde_json::to_vec(&json!({ "keys": [p384] })).unwrap();
    let form = reqwest::multipart::Form::new()
        .text("keystoreFormat", "JSON Web Key Set")
        .part(
            "file",
            reqwest::multipart::Part::bytes(jwks).file_name("keys.jwks"),
        );
    let res = l
        .http
        .post(format!(
            "{}{path}/certificates/jwt.credential/upload",
            l.base
        ))
        .bearer_auth(&api.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let (_, registered) = api.get(&format!("{path}/keys")).await;
    assert_eq!(registered.as_array().unwrap().len(), 2, "{registered}");

    // Admin events of the realm, filtered as Keycloak's query parameters; no secret in them.
    let (status, events) = api
        .get("/admin/realms/ops/admin-events?operationTypes=ACTION&max=50")
        .await;
    assert_eq!(status, 200);
    let events = events.as_array().unwrap();
    assert!(events.len() >= 2, "{events:?}");
    assert!(events.iter().all(|e| e["operationType"] == "ACTION"));
    // authDetails as Keycloak's: the caller's realm (master), the calling client's internal id,
    // its service-account user.
    let (_, master) = api.get("/admin/realms/master").await;
    let (_, found) = api
        .get("/admin/realms/master/clients?clientId=manager")
        .await;
    let manager_uuid = found[0]["id"].as_str().unwrap().to_string();
    assert_eq!(events[0]["authDetails"]["realmId"], master["id"]);
    assert_eq!(events[0]["authDetails"]["clientId"], manager_uuid.as_str());
    assert_eq!(
        events[0]["authDetails"]["userId"],
        "service-account-manager"
    );
    assert_eq!(events[0]["authDetails"]["ipAddress"], "127.0.0.1");
    assert!(events
        .iter()
        .any(|e| e["authDetails"]["userId"] == format!("service-account-{ADMIN_ID}")));
    assert!(events.iter().all(|e| e["resourceType"] == "CLIENT"
        || e["resourceType"] == "REALM"
        || e["resourceType"] == "CLIENT_SCOPE_CLIENT_MAPPING"));
    // Keycloak's filters, each applied (none silently ignored).
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect()
    };
    let by_manager: Vec<Value> = events
        .iter()
        .filter(|e| e["authDetails"]["userId"] == "service-account-manager")
        .cloned()
        .collect();
    for query in [
        format!("authClient={manager_uuid}"),
        "authClient=manager".to_string(),
        "authUser=service-account-manager".to_string(),
        format!(
            "authClient=manager&authUser=service-account-manager&authRealm={}",
            master["id"].as_str().unwrap()
        ),
    ] {
        let (status, got) = api
            .get(&format!(
                "/admin/realms/ops/admin-events?operationTypes=ACTION&max=50&{query}"
            ))
            .await;
        assert_eq!(status, 200, "{query}");
        assert_eq!(ids(&got), ids(&json!(by_manager)), "{query}");
    }
    for query in [
        "authRealm=some-other-realm-id",
        "authClient=manager&authUser=service-account-someone-else",
        "authIpAddress=10.9.9.9",
        "resourceTypes=CLIENT_SCOPE",
    ] {
        let (status, got) = api
            .get(&format!(
                "/admin/realms/ops/admin-events?operationTypes=ACTION&{query}"
            ))
            .await;
        assert_eq!((status, got), (200, json!([])), "{query}");
    }
    let (_, from_here) = api
        .get("/admin/realms/ops/admin-events?operationTypes=ACTION&max=50&authIpAddress=127.0.0.1")
        .await;
    assert_eq!(ids(&from_here), ids(&json!(events)));
    let (_, realms_only) = api
        .get("/admin/realms/ops/admin-events?resourceTypes=REALM&max=50")
        .await;
    let realms_only = realms_only.as_array().unwrap();
    assert!(!realms_only.is_empty());
    assert!(realms_only.iter().all(|e| e["resourceType"] == "REALM"));
    let (_, oldest_first) = api
        .get("/admin/realms/ops/admin-events?operationTypes=ACTION&max=50&direction=asc")
        .await;
    let mut reversed = ids(&json!(events));
    reversed.reverse();
    assert_eq!(ids(&oldest_first), reversed);
    assert_eq!(
        api.get("/admin/realms/ops/admin-events?direction=sideways")
            .await
            .0,
        400
    );
    let text = serde_json::to_string(events).unwrap();
    assert!(!text.contains(&first) && !text.contains(&second));
    let (_, deleted) = api
        .get("/admin/realms/ops/admin-events?operationTypes=DELETE&resourcePath=clients/*")
        .await;
    assert!(!deleted.as_array().unwrap().is_empty());
    let (status, _) = api
        .get("/admin/realms/ops/admin-events?operationTypes=EXPLODE")
        .await;
    assert_eq!(status, 400);
    let (_, none) = api
        .get("/admin/realms/ops/admin-events?dateFrom=2001-01-01&dateTo=2001-01-02")
        .await;
    assert_eq!(none, json!([]));

    // Delete.
    assert_eq!(api.delete(&path).await.0, 204);
    assert_eq!(api.get(&path).await.0, 404);
    assert_eq!(api.delete("/admin/realms/ops").await.0, 204);
    assert_eq!(api.get("/admin/realms/ops").await.0, 404);
}

/// Gives a master client an API role through the console ("" takes it away).
async fn set_api_role(a: &mut Client, id: &str, role: &str) {
    let r = a
        .change(
            "set_api_role",
            &[("realm", "master"), ("id", id), ("api_role", role)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn expiry_gauge_dashboard_and_event_filters() {
    let l = live().await;
    let mut a = admin(&l.app).await;
    let id = new_client(&mut a, "expiring").await;
    let r = a
        .change(
            "regenerate_secret",
            &[
                ("realm", "master"),
                ("id", &id),
                ("label", "daily"),
                ("overlap_hours", "0"),
                ("expires_in_days", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let value = r.json()["value"].as_str().unwrap().to_string();

    // The Prometheus gauge: about one day left for that secret.
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
    assert!(text.contains("# TYPE keyward_credential_expiry_seconds gauge"));
    let line = text
        .lines()
        .find(|l| l.starts_with("keyward_credential_expiry_seconds{realm=\"master\",client=\"expiring\",kind=\"secret\""))
        .unwrap_or_else(|| panic!("no gauge line in:\n{text}"));
    let left: i64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!((86_000..=86_400).contains(&left), "{line}");
    assert!(!text.contains(&value));

    // The dashboard's server function, for the realm and for the client; bad windows refused.
    let list = a
        .call(
            "list_expiring",
            &[("realm", "master"), ("id", ""), ("days", "30")],
        )
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let items = list.json();
    assert_eq!(items.as_array().unwrap().len(), 1, "{items}");
    assert_eq!(items[0]["client_id"], "expiring");
    assert_eq!(items[0]["label"], "daily");
    assert_eq!(items[0]["state"], "expiring");
    let none = a
        .call(
            "list_expiring",
            &[("realm", "master"), ("id", &id), ("days", "0")],
        )
        .await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);

    // The client page reads the client and its banner's items in one request; another client
    // of the realm has nothing expiring, and an unknown client is a 404.
    let page = a
        .call("get_client_page", &[("realm", "master"), ("id", &id)])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let page = page.json();
    assert_eq!(page["client"]["id"], id.as_str());
    assert_eq!(page["client"]["client_id"], "expiring");
    let banner = page["expiring"].as_array().unwrap();
    assert_eq!(banner.len(), 1, "{page}");
    assert_eq!(banner[0]["label"], "daily");
    assert_eq!(banner[0]["kind"], "secret");
    assert!(!page.to_string().contains(&value));
    let quiet = new_client(&mut a, "quiet").await;
    let page = a
        .call("get_client_page", &[("realm", "master"), ("id", &quiet)])
        .await
        .json();
    assert_eq!(page["client"]["client_id"], "quiet");
    assert_eq!(page["expiring"], serde_json::json!([]));
    let missing = a
        .call(
            "get_client_page",
            &[("realm", "master"), ("id", "no-such-id")],
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let missing = a
        .call(
            "get_client_page",
            &[("realm", "no-such-realm"), ("id", &id)],
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // Signed out: refused; a viewer reads it (the banner shows no secret value).
    let mut anonymous = Client::new(&l.app);
    anonymous.open().await;
    let r = anonymous
        .call("get_client_page", &[("realm", "master"), ("id", &id)])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    let mut reader = operator(&l.app, "page-reader", "viewer").await;
    let r = reader
        .call("get_client_page", &[("realm", "master"), ("id", &id)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["expiring"][0]["label"], "daily");
    assert!(!r.body.contains(&value));

    // The events page's server function: filtered by client and operation; a viewer reads it.
    let viewer = {
        let mut v = operator(&l.app, "watcher", "viewer").await;
        let r = v
            .call(
                "list_events",
                &[
                    ("realm", "master"),
                    ("client", "expiring"),
                    ("actor", ""),
                    ("operation", "action"),
                    ("from", ""),
                    ("to", ""),
                    ("first", "0"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()
    };
    let events = viewer.as_array().unwrap();
    assert_eq!(events.len(), 1, "{viewer}");
    assert!(events[0]["details"].as_str().unwrap().contains("daily"));
    assert!(!viewer.to_string().contains(&value));
    for (field, bad, status) in [
        ("operation", "EXPLODE", StatusCode::BAD_REQUEST),
        ("from", "30/11/2026", StatusCode::BAD_REQUEST),
        ("client", "nobody", StatusCode::NOT_FOUND),
    ] {
        let mut args = vec![
            ("realm", "master"),
            ("client", ""),
            ("actor", ""),
            ("operation", ""),
            ("from", ""),
            ("to", ""),
            ("first", "0"),
        ];
        args.iter_mut().find(|(k, _)| *k == field).unwrap().1 = bad;
        let r = a.call("list_events", &args).await;
        assert_eq!(r.status, status, "{field}={bad}: {}", r.body);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_secrets_keys_openapi_and_limits() {
    let l = live_admin().await;
    let mut a = admin(&l.app).await;
    let id = new_client(&mut a, "rich").await;
    let base = format!("/admin/realms/master/clients/{id}");

    // A console session reads without more; a change needs the session's CSRF token.
    let r = a.get(&format!("{base}/secrets")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json(), json!([]));
    let post = |csrf: Option<&str>, body: &str| {
        let mut req = axum::http::Request::post(format!("{base}/secrets"))
            .header("content-type", "application/json");
        if let Some(t) = csrf {
            req = req.header("x-csrf-token", t);
        }
        req.body(axum::body::Body::from(body.to_string())).unwrap()
    };
    let r = a.send(post(None, "{}")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let csrf = a.csrf.clone();
    let r = a
        .send(post(Some(&csrf), r#"{"label":"ci","overlapSeconds":0}"#))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let created = r.json();
    let value = created["value"].as_str().unwrap().to_string();
    assert_eq!(created["label"], "ci");
    // Unknown fields and a past expiry are refused.
    let r = a.send(post(Some(&csrf), r#"{"lable":"typo"}"#)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = a.send(post(Some(&csrf), r#"{"expiresAt":1}"#)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    // Without a session or token: 401.
    let anonymous = l
        .http
        .get(format!("{}{base}/secrets", l.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    // The bearer API: list (no values), revoke one, keys.
    let api = Api {
        l: &l,
        token: bearer(&l, ADMIN_ID, ADMIN_SECRET).await,
    };
    let (status, list) = api.get(&format!("{base}/secrets")).await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(&value));
    assert_eq!(list[0]["state"], "active");
    let secret_id = list[0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        l.token(
            Some(("rich", &value)),
            &[("grant_type", "client_credentials")]
        )
        .await
        .0,
        200
    );
    assert_eq!(
        api.delete(&format!("{base}/secrets/{secret_id}")).await.0,
        204
    );
    assert_eq!(
        l.token(
            Some(("rich", &value)),
            &[("grant_type", "client_credentials")]
        )
        .await
        .0,
        401
    );
    assert_eq!(api.delete(&format!("{base}/secrets/nope")).await.0, 404);

    let (status, _) = api
        .post(
            &format!("{base}/certificates/jwt.credential/generate"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, keys) = api.get(&format!("{base}/keys")).await;
    assert_eq!(keys.as_array().unwrap().len(), 1, "{keys}");
    assert_eq!(keys[0]["source"], "generated");
    assert!(!keys.to_string().contains("PRIVATE"));
    // The client list reads every client's keys, JWKS settings and secrets at once; each
    // representation in it is the one the client's own URL gives.
    let (status, all) = api.get("/admin/realms/master/clients").await;
    assert_eq!(status, 200);
    let all = all.as_array().unwrap().clone();
    assert!(all.len() >= 2, "{all:?}");
    let has = |attr: &str| {
        all.iter()
            .filter(|c| c["attributes"].get(attr).is_some())
            .count()
    };
    assert_eq!(has("jwt.credential.certificate"), 1, "{all:?}");
    assert!(has("client.secret.creation.time") >= 1, "{all:?}");
    for c in &all {
        let (_, one) = api
            .get(&format!(
                "/admin/realms/master/clients/{}",
                c["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(&one, c);
    }
    let key_id = keys[0]["id"].as_str().unwrap().to_string();
    let (status, _) = api
        .put(&format!("{base}/keys/{key_id}"), json!({"active": false}))
        .await;
    assert_eq!(status, 204);
    assert_eq!(api.get(&format!("{base}/keys")).await.1[0]["active"], false);
    assert_eq!(
        api.put(&format!("{base}/keys/{key_id}"), json!({"active": "no"}))
            .await
            .0,
        400
    );
    assert_eq!(api.delete(&format!("{base}/keys/{key_id}")).await.0, 204);
    assert_eq!(api.get(&format!("{base}/keys")).await.1, json!([]));

    // Bodies over 1 MiB: 413 with the JSON error shape; nothing created.
    let big = json!({"clientId": "big", "description": "x".repeat(1024 * 1024 + 10)});
    let (status, body) = api.post("/admin/realms/master/clients", big).await;
    assert_eq!(status, 413, "{body}");
    assert!(body["errorMessage"].as_str().unwrap().contains("1 MiB"));
    assert_eq!(
        api.get("/admin/realms/master/clients?clientId=big").await.1,
        json!([])
    );
    // A 413 leaves the body unread, so the server closes that connection and says so: a client
    // must not reuse it for its next request. Declared by Content-Length, and found while
    // reading a chunked body.
    let url = format!("{}/admin/realms/master/clients", l.base);
    let huge = vec![b'x'; 1024 * 1024 + 10];
    let declared = l
        .http
        .post(&url)
        .bearer_auth(&api.token)
        .header("content-type", "application/json")
        .body(huge.clone())
        .send()
        .await
        .unwrap();
    let chunked = l
        .http
        .post(&url)
        .bearer_auth(&api.token)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter([
            Ok::<_, std::io::Error>(huge),
        ])))
        .send()
        .await
        .unwrap();
    // Refused before its body is read (a token that is not valid): closed the same way.
    let refused = l
        .http
        .post(&url)
        .bearer_auth("not-a-token")
        .header("content-type", "application/json")
        .body(vec![b' '; 900 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.headers()["connection"], "close");
    for res in [declared, chunked] {
        assert_eq!(res.status(), 413);
        assert_eq!(res.headers()["connection"], "close");
    }
    // A body read to its end, and a request without one, keep the connection open.
    let read = l
        .http
        .post(&url)
        .bearer_auth(&api.token)
        .json(&json!({"clientId": "read-to-end"}))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 201);
    assert!(read.headers().get("connection").is_none());
    let get = l
        .http
        .get(&url)
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 200);
    assert!(get.headers().get("connection").is_none());

    // The OpenAPI document names every path.
    let doc: Value = l
        .http
        .get(format!("{}/admin/openapi.json", l.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/admin/realms",
        "/admin/realms/{realm}/clients/{id}/client-secret/rotated",
        "/admin/realms/{realm}/clients/{id}/secrets",
        "/admin/realms/{realm}/clients/{id}/keys/{key_id}",
        "/admin/realms/{realm}/admin-events",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
}

/// Runs every credential operation of the API, then searches the admin events, the database
/// file and the server log for each secret value, keystore password and private key it produced:
/// none is there in clear.
#[tokio::test(flavor = "multi_thread")]
async fn no_secret_or_private_key_in_events_database_or_log() {
    use base64::Engine;
    log();
    let l = live_admin().await;
    let api = Api {
        l: &l,
        token: bearer(&l, ADMIN_ID, ADMIN_SECRET).await,
    };
    let (status, _) = api
        .post(
            "/admin/realms/master/clients",
            json!({"clientId": "scanned"}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, found) = api
        .get("/admin/realms/master/clients?clientId=scanned")
        .await;
    let base = format!(
        "/admin/realms/master/clients/{}",
        found[0]["id"].as_str().unwrap()
    );
    let mut secrets = vec![ADMIN_SECRET.to_string()];
    for _ in 0..2 {
        let (_, s) = api.post(&format!("{base}/client-secret"), json!({})).await;
        secrets.push(s["value"].as_str().unwrap().to_string());
    }
    let (_, s) = api
        .post(&format!("{base}/secrets"), json!({"label": "extra"}))
        .await;
    secrets.push(s["value"].as_str().unwrap().to_string());
    assert_eq!(
        api.delete(&format!("{base}/client-secret/rotated")).await.0,
        204
    );
    let password = "scan-store-password-7Q";
    secrets.push(password.to_string());
    let keystore = l
        .http
        .post(format!(
            "{}{base}/certificates/jwt.credential/generate-and-download",
            l.base
        ))
        .bearer_auth(&api.token)
        .json(&json!({"format": "PKCS12", "storePassword": password, "keySize": 2048}))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        api.post(
            &format!("{base}/certificates/jwt.credential/generate"),
            json!({})
        )
        .await
        .0,
        200
    );
    // The private key of the downloaded keystore, as openssl reads it (PKCS#8 DER).
    let dir = tempfile::tempdir().unwrap();
    let p12 = dir.path().join("k.p12");
    std::fs::write(&p12, &keystore).unwrap();
    let out = Command::new("openssl")
        .args(["pkcs12", "-in"])
        .arg(&p12)
        .args(["-passin", &format!("pass:{password}"), "-nocerts", "-nodes"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pem = String::from_utf8(out.stdout).unwrap();
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN PRIVATE KEY"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    let private_der = base64::engine::general_purpose::STANDARD
        .decode(&body)
        .unwrap();
    assert!(private_der.len() > 1000);

    let (_, events) = api.get("/admin/realms/master/admin-events?max=1000").await;
    let events = serde_json::to_vec(&events).unwrap();
    assert!(events.len() > 500, "events were recorded");
    let db = db_bytes(&l.app);
    let logged = log().lock().unwrap().clone();
    assert!(!logged.is_empty(), "the log was captured");
    for (place, hay) in [
        ("admin events", &events),
        ("database", &db),
        ("log", &logged),
    ] {
        for s in &secrets {
            assert!(!contains(hay, s), "a secret or password is in the {place}");
        }
        assert!(
            !contains_bytes(hay, &private_der),
            "the private key is in the {place}"
        );
        assert!(
            !contains(hay, &body[..64]),
            "the private key (base64) is in the {place}"
        );
    }
}

/// Only master-realm tokens open the API: a token another realm issued is refused, even to a
/// client with the same client id, and so is an expired one.
#[tokio::test(flavor = "multi_thread")]
async fn tokens_of_other_realms_and_expired_tokens_are_refused() {
    let l = live_admin().await;
    let api = Api {
        l: &l,
        token: bearer(&l, ADMIN_ID, ADMIN_SECRET).await,
    };
    // A realm with a client named like the bootstrap admin client, and its token.
    assert_eq!(
        api.post("/admin/realms", json!({"realm": "other"})).await.0,
        201
    );
    let (_, _) = api
        .post("/admin/realms/other/clients", json!({"clientId": ADMIN_ID}))
        .await;
    let (_, found) = api
        .get(&format!("/admin/realms/other/clients?clientId={ADMIN_ID}"))
        .await;
    let other_id = found[0]["id"].as_str().unwrap().to_string();
    let (_, s) = api
        .post(
            &format!("/admin/realms/other/clients/{other_id}/client-secret"),
            json!({}),
        )
        .await;
    let secret = s["value"].as_str().unwrap().to_string();
    let res = l
        .http
        .post(format!(
            "{}/realms/other/protocol/openid-connect/token",
            l.base
        ))
        .basic_auth(ADMIN_ID, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let other_token = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let other = Api {
        l: &l,
        token: other_token,
    };
    let (status, body) = other.get("/admin/realms").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("HTTP 401 Unauthorized"))
    );

    // Master tokens that live 10 s: refused once expired.
    let mut a = admin(&l.app).await;
    let r = a
        .change(
            "update_token_policy",
            &[
                ("realm", "master"),
                ("token_signing_alg", "ES256"),
                ("access_token_lifetime_s", "10"),
                ("strict_audience", "false"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let short = Api {
        l: &l,
        token: bearer(&l, ADMIN_ID, ADMIN_SECRET).await,
    };
    assert_eq!(short.get("/admin/realms").await.0, 200);
    tokio::time::sleep(std::time::Duration::from_secs(11)).await;
    assert_eq!(short.get("/admin/realms").await.0, 401);
}
