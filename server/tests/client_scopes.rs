//! Client scopes against the real server on a port: the Admin REST API (Keycloak's paths and
//! JSON: realm `client-scopes`, a client's `default-client-scopes` / `optional-client-scopes`,
//! `defaultClientScopes` / `optionalClientScopes` in the ClientRepresentation) with its 400, 403,
//! 404 and 409 answers, and the token endpoint granting exactly the default scopes plus the
//! requested optional ones (`invalid_scope` for anything else, at the very next request after a
//! scope is taken away).

mod common;

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
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value, String) {
        let mut req = self
            .l
            .http
            .request(method, format!("{}/admin/realms{path}", self.l.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::Null),
            location,
        )
    }
    async fn get(&self, path: &str) -> (u16, Value) {
        let (s, b, _) = self.send(reqwest::Method::GET, path, None).await;
        (s, b)
    }
    async fn post(&self, path: &str, body: Value) -> (u16, Value, String) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }
    async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        let (s, b, _) = self.send(reqwest::Method::PUT, path, Some(body)).await;
        (s, b)
    }
    async fn delete(&self, path: &str) -> (u16, Value) {
        let (s, b, _) = self.send(reqwest::Method::DELETE, path, None).await;
        (s, b)
    }
    /// Creates a scope in realm master; its id.
    async fn scope(&self, name: &str) -> String {
        let (status, body, location) = self
            .post("/master/client-scopes", json!({ "name": name }))
            .await;
        assert_eq!(status, 201, "{body}");
        location.rsplit('/').next().unwrap().to_string()
    }
    /// The names in a client's default or optional list.
    async fn names(&self, client: &str, kind: &str) -> Vec<String> {
        let (status, body) = self
            .get(&format!("/master/clients/{client}/{kind}-client-scopes"))
            .await;
        assert_eq!(status, 200, "{body}");
        body.as_array()
            .unwrap()
            .iter()
            .map(|s| {
                assert_eq!(
                    s.as_object().unwrap().len(),
                    2,
                    "only id and name, as Keycloak: {s}"
                );
                s["name"].as_str().unwrap().to_string()
            })
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_rest_client_scopes_and_assignments() {
    let l = live_admin().await;
    let api = Api {
        l: &l,
        token: bearer(&l, ADMIN_ID, ADMIN_SECRET).await,
    };

    // A realm has no client scope until one is made.
    let (status, body) = api.get("/master/client-scopes").await;
    assert_eq!((status, body), (200, json!([])));

    // Create: 201 + Location, Keycloak's representation.
    let (status, body, location) = api
        .post(
            "/master/client-scopes",
            json!({ "name": "payments", "description": "Payments API", "protocol": "openid-connect" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let payments = location.rsplit('/').next().unwrap().to_string();
    assert_eq!(
        location,
        format!("{}/admin/realms/master/client-scopes/{payments}", l.base)
    );
    let (status, rep) = api.get(&format!("/master/client-scopes/{payments}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        rep,
        json!({
            "id": payments,
            "name": "payments",
            "description": "Payments API",
            "protocol": "openid-connect",
            "attributes": { "include.in.token.scope": "true" },
        })
    );
    // A taken name: 409 as Keycloak words it; nothing else is created.
    let (status, body, _) = api
        .post("/master/client-scopes", json!({ "name": "payments" }))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["errorMessage"], "Client Scope payments already exists");
    // Names that are not scope tokens, openid, another protocol, wrong types: 400.
    for bad in [
        json!({}),
        json!({ "name": "" }),
        json!({ "name": "pay ments" }),
        json!({ "name": " payments" }),
        json!({ "name": "quote\"d" }),
        json!({ "name": "back\\slash" }),
        json!({ "name": "bell\u{7}" }),
        json!({ "name": "x".repeat(256) }),
        json!({ "name": "openid" }),
        json!({ "name": "saml-scope", "protocol": "saml" }),
        json!({ "name": 7 }),
        json!({ "name": "long-description", "description": "d".repeat(1001) }),
    ] {
        let (status, body, _) = api.post("/master/client-scopes", bad.clone()).await;
        assert_eq!(status, 400, "{bad} → {body}");
        assert!(body["errorMessage"].as_str().is_some(), "{body}");
    }
    let reports = api.scope("reports").await;
    let audit = api.scope("audit").await;
    let (_, list) = api.get("/master/client-scopes").await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["audit", "payments", "reports"]);

    // Update: absent fields stay; a taken name 409, a bad one 400, a changed id 400.
    let path = format!("/master/client-scopes/{payments}");
    assert_eq!(api.put(&path, json!({ "description": "Pay" })).await.0, 204);
    let (_, rep) = api.get(&path).await;
    assert_eq!(
        (rep["name"].as_str(), rep["description"].as_str()),
        (Some("payments"), Some("Pay"))
    );
    let (status, body) = api.put(&path, json!({ "name": "reports" })).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(api.put(&path, json!({ "name": "bad name" })).await.0, 400);
    assert_eq!(api.put(&path, json!({ "id": audit })).await.0, 400);
    assert_eq!(api.get(&path).await.1["name"], "payments");
    // Unknown scopes: 404.
    for (status, _) in [
        api.get("/master/client-scopes/no-such-id").await,
        api.put("/master/client-scopes/no-such-id", json!({})).await,
        api.delete("/master/client-scopes/no-such-id").await,
    ] {
        assert_eq!(status, 404);
    }

    // A client created with scopes, by name.
    let (status, body, location) = api
        .post(
            "/master/clients",
            json!({
                "clientId": "svc",
                "defaultClientScopes": ["payments"],
                "optionalClientScopes": ["reports"],
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let svc = location.rsplit('/').next().unwrap().to_string();
    let (_, rep) = api.get(&format!("/master/clients/{svc}")).await;
    assert_eq!(rep["defaultClientScopes"], json!(["payments"]));
    assert_eq!(rep["optionalClientScopes"], json!(["reports"]));
    let (_, all) = api.get("/master/clients?clientId=svc").await;
    assert_eq!(all[0]["defaultClientScopes"], json!(["payments"]));
    // An unknown name is a 400 and creates nothing; a name in both lists too.
    for body in [
        json!({ "clientId": "ghost", "defaultClientScopes": ["nope"] }),
        json!({ "clientId": "ghost", "optionalClientScopes": ["payments", "nope"] }),
        json!({ "clientId": "ghost", "defaultClientScopes": ["audit"], "optionalClientScopes": ["audit"] }),
        json!({ "clientId": "ghost", "defaultClientScopes": "payments" }),
    ] {
        let (status, answer, _) = api.post("/master/clients", body.clone()).await;
        assert_eq!(status, 400, "{body} → {answer}");
    }
    let (status, body, _) = api
        .post(
            "/master/clients",
            json!({ "clientId": "ghost", "defaultClientScopes": ["nope"] }),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["errorMessage"].as_str().unwrap().contains("\"nope\""),
        "{body}"
    );
    assert_eq!(api.get("/master/clients?clientId=ghost").await.1, json!([]));
    // PUT: an unknown name changes nothing; absent lists stay; a given list is exactly the set.
    let client = format!("/master/clients/{svc}");
    let (status, _) = api
        .put(
            &client,
            json!({ "name": "Renamed", "optionalClientScopes": ["nope"] }),
        )
        .await;
    assert_eq!(status, 400);
    let (_, rep) = api.get(&client).await;
    // Unchanged: still no name (left out of the representation, as Keycloak).
    assert!(rep.get("name").is_none(), "{rep}");
    assert_eq!(rep["optionalClientScopes"], json!(["reports"]));
    assert_eq!(api.put(&client, json!({ "name": "Renamed" })).await.0, 204);
    assert_eq!(api.names(&svc, "default").await, ["payments"]);
    assert_eq!(
        api.put(
            &client,
            json!({ "defaultClientScopes": ["audit", "payments"] })
        )
        .await
        .0,
        204
    );
    assert_eq!(api.names(&svc, "default").await, ["audit", "payments"]);
    assert_eq!(api.names(&svc, "optional").await, ["reports"]);

    // The sub-resources: PUT is idempotent and moves a scope of the other kind; DELETE of a
    // scope the client does not have (as that kind) is 204 and changes nothing.
    let default = |scope: &str| format!("/master/clients/{svc}/default-client-scopes/{scope}");
    let optional = |scope: &str| format!("/master/clients/{svc}/optional-client-scopes/{scope}");
    assert_eq!(api.put(&default(&reports), json!({})).await.0, 204);
    assert_eq!(api.put(&default(&reports), json!({})).await.0, 204);
    assert_eq!(
        api.names(&svc, "default").await,
        ["audit", "payments", "reports"]
    );
    assert!(api.names(&svc, "optional").await.is_empty());
    assert_eq!(api.put(&optional(&audit), json!({})).await.0, 204);
    assert_eq!(api.names(&svc, "optional").await, ["audit"]);
    assert_eq!(api.delete(&optional(&payments)).await.0, 204);
    assert_eq!(api.names(&svc, "default").await, ["payments", "reports"]);
    assert_eq!(api.delete(&default(&reports)).await.0, 204);
    assert_eq!(api.delete(&default(&reports)).await.0, 204);
    assert_eq!(api.names(&svc, "default").await, ["payments"]);
    // Unknown scopes and clients, and another realm's scope: 404.
    let (status, _, _) = api
        .send(reqwest::Method::POST, "", Some(json!({ "realm": "other" })))
        .await;
    assert_eq!(status, 201);
    let (status, body, location) = api
        .post("/other/client-scopes", json!({ "name": "payments" }))
        .await;
    assert_eq!(status, 201, "same name, another realm: {body}");
    let foreign = location.rsplit('/').next().unwrap().to_string();
    for (status, _) in [
        api.put(&default("no-such-id"), json!({})).await,
        api.delete(&optional("no-such-id")).await,
        api.put(&default(&foreign), json!({})).await,
        api.put(
            &format!("/master/clients/no-such-client/default-client-scopes/{payments}"),
            json!({}),
        )
        .await,
        api.get("/master/clients/no-such-client/optional-client-scopes")
            .await,
    ] {
        assert_eq!(status, 404);
    }
    assert_eq!(api.names(&svc, "default").await, ["payments"]);

    // A viewer reads everything and changes nothing.
    let mut console = admin(&l.app).await;
    let bot = new_client(&mut console, "viewer-bot").await;
    let r = console
        .change(
            "set_api_role",
            &[("realm", "master"), ("id", &bot), ("api_role", "view")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let secret = new_secret(&mut console, &bot, "0").await;
    let viewer = Api {
        l: &l,
        token: bearer(&l, "viewer-bot", &secret).await,
    };
    assert_eq!(viewer.get("/master/client-scopes").await.0, 200);
    assert_eq!(viewer.get(&path).await.0, 200);
    assert_eq!(viewer.names(&svc, "default").await, ["payments"]);
    for (status, _) in [
        {
            let (s, b, _) = viewer
                .post("/master/client-scopes", json!({ "name": "viewer-made" }))
                .await;
            (s, b)
        },
        viewer.put(&path, json!({ "description": "x" })).await,
        viewer.delete(&path).await,
        viewer.put(&default(&audit), json!({})).await,
        viewer.delete(&default(&payments)).await,
        viewer
            .put(&client, json!({ "defaultClientScopes": [] }))
            .await,
    ] {
        assert_eq!(status, 403);
    }
    assert_eq!(api.names(&svc, "default").await, ["payments"]);
    assert_eq!(api.get(&path).await.1["description"], "Pay");

    // Deleting a scope takes it from every client.
    assert_eq!(api.delete(&path).await.0, 204);
    assert_eq!(api.get(&path).await.0, 404);
    assert!(api.names(&svc, "default").await.is_empty());
    assert_eq!(api.get(&client).await.1["defaultClientScopes"], json!([]));

    // Every change is an admin event of Keycloak's resource types.
    let (_, events) = api.get("/master/admin-events?max=200").await;
    let events = events.as_array().unwrap();
    let of = |t: &str| {
        events
            .iter()
            .filter(|e| e["resourceType"] == t)
            .map(|e| {
                (
                    e["operationType"].as_str().unwrap(),
                    e["resourcePath"].as_str().unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    let scope_events = of("CLIENT_SCOPE");
    assert!(scope_events.contains(&("CREATE", &*format!("client-scopes/{payments}"))));
    assert!(scope_events.contains(&("UPDATE", &*format!("client-scopes/{payments}"))));
    assert!(scope_events.contains(&("DELETE", &*format!("client-scopes/{payments}"))));
    let mappings = of("CLIENT_SCOPE_CLIENT_MAPPING");
    assert!(mappings.contains(&(
        "CREATE",
        &*format!("clients/{svc}/default-client-scopes/{reports}")
    )));
    assert!(mappings.contains(&(
        "DELETE",
        &*format!("clients/{svc}/default-client-scopes/{reports}")
    )));
    assert!(mappings.contains(&("UPDATE", &*format!("clients/{svc}/default-client-scopes"))));
    // The idempotent repeats recorded nothing: one CREATE of reports as default.
    assert_eq!(
        mappings
            .iter()
            .filter(|m| **m
                == (
                    "CREATE",
                    &*format!("clients/{svc}/default-client-scopes/{reports}")
                ))
            .count(),
        1
    );
}

/// Creates a client scope in realm master through the console; its id.
async fn create_scope(a: &mut Client, name: &str) -> String {
    let r = a
        .change(
            "create_client_scope",
            &[("realm", "master"), ("name", name), ("description", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["id"].as_str().unwrap().to_string()
}

/// The token endpoint's answer and the signed token's scope claim.
async fn token_scope(l: &Live, secret: &str, scope: Option<&str>) -> (u16, Value, Option<String>) {
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    let (status, body, _) = l.token(Some(("billing", secret)), &form).await;
    let claim = body["access_token"].as_str().map(|t| {
        let payload = t.split('.').nth(1).unwrap();
        let claims: Value = serde_json::from_slice(
            &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
                .unwrap(),
        )
        .unwrap();
        claims["scope"].as_str().unwrap_or("").to_string()
    });
    (status, body, claim)
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_carry_default_and_requested_optional_scopes_only() {
    let l = live().await;
    let mut a = admin(&l.app).await;
    let id = new_client(&mut a, "billing").await;
    let secret = new_secret(&mut a, &id, "0").await;

    // Without client scopes: openid is accepted and echoed, nothing else is granted.
    let (status, body, claim) = token_scope(&l, &secret, None).await;
    assert_eq!(status, 200, "{body}");
    // Keycloak always sends `scope`, empty when nothing was granted.
    assert_eq!(body["scope"], "", "{body}");
    assert_eq!(claim.as_deref(), Some(""));
    let (status, body, claim) = token_scope(&l, &secret, Some("openid")).await;
    assert_eq!((status, body["scope"].as_str()), (200, Some("openid")));
    assert_eq!(claim.as_deref(), Some("openid"));
    let (status, body, _) = token_scope(&l, &secret, Some("openid payments")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_scope");
    assert_eq!(body["error_description"], "Invalid scopes: payments");

    // Scopes made and given in the console.
    let payments = create_scope(&mut a, "payments").await;
    let reports = create_scope(&mut a, "reports").await;
    create_scope(&mut a, "audit").await;
    for (scope_id, kind) in [(&payments, "default"), (&reports, "optional")] {
        let r = a
            .change(
                "assign_client_scope",
                &[
                    ("realm", "master"),
                    ("id", &id),
                    ("scope_id", scope_id),
                    ("kind", kind),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }

    // No scope asked: the default scopes, in the answer and in the signed token.
    let (status, body, claim) = token_scope(&l, &secret, None).await;
    assert_eq!(
        (status, body["scope"].as_str()),
        (200, Some("payments")),
        "{body}"
    );
    assert_eq!(claim.as_deref(), Some("payments"));
    // An optional scope asked for joins them; openid is echoed first.
    let (status, body, claim) = token_scope(&l, &secret, Some("reports")).await;
    assert_eq!(
        (status, body["scope"].as_str()),
        (200, Some("payments reports"))
    );
    assert_eq!(claim.as_deref(), Some("payments reports"));
    let (status, body, _) = token_scope(&l, &secret, Some("openid reports payments")).await;
    assert_eq!(
        (status, body["scope"].as_str()),
        (200, Some("openid payments reports"))
    );
    // Introspection echoes the token's scope.
    let token = body["access_token"].as_str().unwrap().to_string();
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
    assert_eq!(introspected["scope"], "openid payments reports");

    // A scope of the realm the client does not have, and an unknown one: invalid_scope, named.
    for (asked, named) in [
        ("audit", "Invalid scopes: audit"),
        ("openid nope reports", "Invalid scopes: nope"),
        ("Reports", "Invalid scopes: Reports"),
    ] {
        let (status, body, _) = token_scope(&l, &secret, Some(asked)).await;
        assert_eq!(status, 400, "{asked}: {body}");
        assert_eq!(body["error"], "invalid_scope", "{asked}");
        assert_eq!(body["error_description"], named, "{asked}");
        assert!(body.get("access_token").is_none());
    }

    // Taken from the client: refused by the very next request (the cache follows the change).
    let r = a
        .change(
            "unassign_client_scope",
            &[
                ("realm", "master"),
                ("id", &id),
                ("scope_id", &reports),
                ("kind", "optional"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (status, body, _) = token_scope(&l, &secret, Some("reports")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_scope");
    // A deleted scope leaves every token at once.
    let r = a
        .change(
            "delete_client_scope",
            &[("realm", "master"), ("id", &payments)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (status, body, claim) = token_scope(&l, &secret, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "", "{body}");
    assert_eq!(claim.as_deref(), Some(""));
}

/// PostgreSQL, two replicas: a scope taken from a client through one replica is refused by the
/// other, which had the client cached, as soon as the change reaches it (NOTIFY), and by the
/// first at once.
#[tokio::test(flavor = "multi_thread")]
async fn a_scope_taken_away_on_one_replica_is_refused_by_the_other() {
    use base64::Engine as _;
    let pg = keyward_store::testing::PgCluster::start()
        .expect("PostgreSQL 15 is required for this test");
    let master_key = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
    let config = |url: String, key: String| {
        move |c: &mut keyward_server::Config| {
            c.database_url = Some(url);
            c.master_key = Some(key);
        }
    };
    let one = live_with(config(pg.url(), master_key.clone())).await;
    let two = live_with(config(pg.url(), master_key.clone())).await;
    let mut a = admin(&one.app).await;
    let id = new_client(&mut a, "billing").await;
    let secret = new_secret(&mut a, &id, "0").await;
    let reports = create_scope(&mut a, "reports").await;
    let args = |kind: &'static str| {
        [
            ("realm", "master"),
            ("id", id.as_str()),
            ("scope_id", reports.as_str()),
            ("kind", kind),
        ]
    };
    let r = a.change("assign_client_scope", &args("optional")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let ask = [("grant_type", "client_credentials"), ("scope", "reports")];
    for l in [&one, &two, &two] {
        let (status, body, _) = l.token(Some(("billing", &secret)), &ask).await;
        assert_eq!(
            (status, body["scope"].as_str()),
            (200, Some("reports")),
            "{body}"
        );
    }
    let r = a.change("unassign_client_scope", &args("optional")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (status, body, _) = one.token(Some(("billing", &secret)), &ask).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    let taken = std::time::Instant::now();
    loop {
        let (status, body, _) = two.token(Some(("billing", &secret)), &ask).await;
        if status == 400 {
            assert_eq!(body["error"], "invalid_scope");
            break;
        }
        assert_eq!(status, 200, "{body}");
        assert!(
            taken.elapsed() < keyward_server::oidc_cache::TTL / 5,
            "replica two still grants a scope taken away on replica one"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    one.app.keyward.state.ctx.db.close().await;
    two.app.keyward.state.ctx.db.close().await;
}
