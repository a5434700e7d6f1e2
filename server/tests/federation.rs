//! Issue 21 §2: `federated-jwt` clients authenticate with a token their platform issued, against
//! real issuers on loopback started here: a Kubernetes-shaped service-account issuer (discovery +
//! JWKS, RS256, the projected token's exact claim layout), a GitHub-Actions-shaped OIDC issuer
//! (its real claim set, a claims expression binding) and a SPIFFE bundle endpoint with JWT-SVIDs
//! (`jwt-spiffe`). Keys come only through the safe fetcher (allowed here for 127.0.0.1), are
//! cached, refetched for an unknown kid, and kept when the issuer fails. Every bad token gets
//! `invalid_client` and the operator its exact reason. Two replicas on one PostgreSQL database
//! share the replay state.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::*;
use serde_json::{json, Value};

/// An RS256 key of an issuer.
struct RsaKey {
    pair: RsaKeyPair,
    kid: String,
}

impl RsaKey {
    fn new(kid: &str) -> RsaKey {
        RsaKey {
            pair: RsaKeyPair::generate(KeySize::Rsa2048).unwrap(),
            kid: kid.into(),
        }
    }

    fn jwk(&self) -> Value {
        let spki = self.pair.public_key().as_der().unwrap();
        keyward_credentials::keys::public_jwk(spki.as_ref(), &self.kid, Some("RS256"), None)
            .unwrap()
    }

    fn sign(&self, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "kid": self.kid}).to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut sig = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                input.as_bytes(),
                &mut sig,
            )
            .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}

/// What the issuers serve, changeable by the test.
struct Issuers {
    base: String,
    k8s_keys: Mutex<Vec<Value>>,
    github_keys: Mutex<Vec<Value>>,
    spiffe_keys: Mutex<Vec<Value>>,
    /// Key-set requests served (discovery documents not counted).
    fetches: AtomicUsize,
    /// The key sets answer 500 while set.
    failing: AtomicBool,
    /// The key sets answer after this many milliseconds.
    delay_ms: AtomicUsize,
}

async fn serve_issuers() -> Arc<Issuers> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let issuers = Arc::new(Issuers {
        base,
        k8s_keys: Mutex::new(Vec::new()),
        github_keys: Mutex::new(Vec::new()),
        spiffe_keys: Mutex::new(Vec::new()),
        fetches: AtomicUsize::new(0),
        failing: AtomicBool::new(false),
        delay_ms: AtomicUsize::new(0),
    });
    type S = State<Arc<Issuers>>;
    async fn keys(s: &Issuers, set: &Mutex<Vec<Value>>) -> Result<Json<Value>, StatusCode> {
        s.fetches.fetch_add(1, Ordering::SeqCst);
        let delay = s.delay_ms.load(Ordering::SeqCst) as u64;
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
        if s.failing.load(Ordering::SeqCst) {
            return Err(StatusCode::INTERNAL_SERVER_ERROR);
        }
        Ok(Json(json!({ "keys": set.lock().unwrap().clone() })))
    }
    let router = Router::new()
        // The API server's service-account issuer discovery (KEP-1393), field for field.
        .route(
            "/k8s/.well-known/openid-configuration",
            get(|State(s): S| async move {
                Json(json!({
                    "issuer": format!("{}/k8s", s.base),
                    "jwks_uri": format!("{}/k8s/openid/v1/jwks", s.base),
                    "response_types_supported": ["id_token"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"]
                }))
            }),
        )
        .route(
            "/k8s/openid/v1/jwks",
            get(|State(s): S| async move { keys(&s, &s.k8s_keys).await }),
        )
        .route(
            "/github/.well-known/openid-configuration",
            get(|State(s): S| async move {
                Json(json!({
                    "issuer": format!("{}/github", s.base),
                    "jwks_uri": format!("{}/github/.well-known/jwks", s.base),
                    "subject_types_supported": ["public", "pairwise"],
                    "response_types_supported": ["id_token"],
                    "claims_supported": ["sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "repository", "repository_owner", "run_id", "workflow", "job_workflow_ref", "environment"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "scopes_supported": ["openid"]
                }))
            }),
        )
        .route(
            "/github/.well-known/jwks",
            get(|State(s): S| async move { keys(&s, &s.github_keys).await }),
        )
        // A SPIFFE bundle endpoint (SPIFFE Trust Domain and Bundle §4): a JWKS with the
        // sequence and refresh hint, X509-SVID roots beside JWT-SVID keys.
        .route(
            "/spiffe/bundle",
            get(|State(s): S| async move {
                keys(&s, &s.spiffe_keys).await.map(|Json(mut v)| {
                    v["spiffe_sequence"] = json!(7);
                    v["spiffe_refresh_hint"] = json!(300);
                    Json(v)
                })
            }),
        )
        .with_state(issuers.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    issuers
}

const IDP: &str = "/admin/realms/master/identity-provider/instances";
const BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const SPIFFE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-spiffe";
const WORKER: &str = "system:serviceaccount:billing:worker";

/// The claims of a projected service-account token (Kubernetes 1.29+), audience Keyward.
fn k8s_claims(issuer: &str, aud: &str, now: i64) -> Value {
    json!({
        "aud": [aud],
        "exp": now + 600,
        "iat": now,
        "iss": issuer,
        "jti": "0f0e4b6c-3c3e-4bfc-9f7a-2d0b6a1c9e11",
        "kubernetes.io": {
            "namespace": "billing",
            "node": {"name": "node-1", "uid": "5d2d8e5e-7c1f-4c59-9a4e-0d6d8f0f2a11"},
            "pod": {"name": "worker-7d9c7b8f6-x2x9z", "uid": "8b3c0d9e-2f7a-4b1e-9c6d-1a2b3c4d5e6f"},
            "serviceaccount": {"name": "worker", "uid": "3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"},
            "warnafter": now + 480
        },
        "nbf": now,
        "sub": WORKER
    })
}

/// The claims of a GitHub Actions OIDC token for a deployment from main.
fn github_claims(issuer: &str, aud: &str, now: i64, run: u64) -> Value {
    json!({
        "jti": format!("6a3e8e0a-run-{run}"),
        "sub": "repo:acme/billing:ref:refs/heads/main",
        "aud": aud,
        "ref": "refs/heads/main",
        "sha": "d6f2c2d3f8c4b1e0a9f8e7d6c5b4a3f2e1d0c9b8",
        "repository": "acme/billing",
        "repository_owner": "acme",
        "repository_owner_id": "1234567",
        "run_id": run.to_string(),
        "run_number": "42",
        "run_attempt": "1",
        "repository_visibility": "private",
        "repository_id": "7654321",
        "actor_id": "111",
        "actor": "octocat",
        "workflow": "deploy",
        "head_ref": "",
        "base_ref": "",
        "event_name": "push",
        "ref_type": "branch",
        "workflow_ref": "acme/billing/.github/workflows/deploy.yml@refs/heads/main",
        "workflow_sha": "d6f2c2d3f8c4b1e0a9f8e7d6c5b4a3f2e1d0c9b8",
        "job_workflow_ref": "acme/ci/.github/workflows/deploy.yml@refs/heads/main",
        "job_workflow_sha": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
        "runner_environment": "github-hosted",
        "iss": issuer,
        "nbf": now - 5,
        "exp": now + 300,
        "iat": now - 5
    })
}

async fn token(l: &Live, form: &[(&str, &str)]) -> (u16, Value) {
    let mut all = vec![("grant_type", "client_credentials")];
    all.extend_from_slice(form);
    let (status, body, _) = l.token(None, &all).await;
    (status, body)
}

/// A token request whose client assertion is `assertion` of `kind` (BEARER or SPIFFE), with or
/// without `client_id`; the status and body.
async fn present(l: &Live, client_id: Option<&str>, kind: &str, assertion: &str) -> (u16, Value) {
    let mut form = vec![
        ("client_assertion_type", kind),
        ("client_assertion", assertion),
    ];
    if let Some(id) = client_id {
        form.push(("client_id", id));
    }
    token(l, &form).await
}

async fn newest_reason(app: &TestApp, client_row_id: &str) -> String {
    reasons(app, client_row_id)
        .await
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// A federated-jwt client through Keycloak's representation (clientAuthenticatorType and the
/// jwt.credential.* attributes); its row id.
async fn federated_client(a: &mut Client, client_id: &str, attributes: Value) -> String {
    let r = rest(
        a,
        "POST",
        "/admin/realms/master/clients",
        Some(json!({
            "clientId": client_id,
            "clientAuthenticatorType": "federated-jwt",
            "serviceAccountsEnabled": true,
            "attributes": attributes
        })),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{} {}", r.body, {
        let l = log().lock().unwrap();
        String::from_utf8_lossy(&l)
            .lines()
            .filter(|l| l.contains("ERROR"))
            .collect::<Vec<_>>()
            .join("\n")
    });
    r.location().rsplit('/').next().unwrap().to_string()
}

struct Setup {
    live: Live,
    issuers: Arc<Issuers>,
    k8s: RsaKey,
    github: RsaKey,
    spiffe: EcKey,
    admin: Client,
}

async fn setup(edit: impl FnOnce(&mut keyward_server::Config) + Send + 'static) -> Setup {
    let _ = log();
    let issuers = serve_issuers().await;
    let live = live_with(|c| {
        c.fetch_allow = "127.0.0.1".into();
        edit(c);
    })
    .await;
    let k8s = RsaKey::new("k8s-1");
    let github = RsaKey::new("gh-1");
    let spiffe = EcKey::new();
    *issuers.k8s_keys.lock().unwrap() = vec![k8s.jwk()];
    *issuers.github_keys.lock().unwrap() = vec![github.jwk()];
    let mut svid_key: Value = serde_json::from_str(&spiffe.jwk("svid-1")).unwrap();
    svid_key["use"] = json!("jwt-svid");
    // An X509-SVID root (no x5c here: it must be skipped for its use, whatever it holds).
    let mut x509_root: Value = serde_json::from_str(&EcKey::new().jwk("x509-root")).unwrap();
    x509_root["use"] = json!("x509-svid");
    *issuers.spiffe_keys.lock().unwrap() = vec![x509_root, svid_key];
    let mut admin = admin(&live.app).await;
    let base = issuers.base.clone();
    for (alias, provider_id, config) in [
        (
            "cluster",
            "kubernetes",
            json!({"issuer": format!("{base}/k8s")}),
        ),
        (
            "github",
            "oidc",
            json!({"issuer": format!("{base}/github")}),
        ),
        (
            "mesh",
            "spiffe",
            json!({"trustDomain": "example.org", "bundleEndpoint": format!("{base}/spiffe/bundle")}),
        ),
    ] {
        let r = rest(
            &mut admin,
            "POST",
            IDP,
            Some(json!({"alias": alias, "providerId": provider_id, "config": config})),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{alias}: {}", r.body);
    }
    Setup {
        live,
        issuers,
        k8s,
        github,
        spiffe,
        admin,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kubernetes_service_account_token_authenticates_its_bound_client() {
    let Setup {
        live: l,
        issuers,
        k8s,
        mut admin,
        ..
    } = setup(|_| {}).await;
    let issuer = format!("{}/k8s", issuers.base);
    let realm = format!("{}/realms/master", l.base);
    let id = federated_client(
        &mut admin,
        "billing-worker",
        json!({"jwt.credential.issuer": "cluster", "jwt.credential.sub": WORKER}),
    )
    .await;
    // Keycloak's representation reads back what was written.
    let rep = admin
        .get(&format!("/admin/realms/master/clients/{id}"))
        .await
        .json();
    assert_eq!(rep["clientAuthenticatorType"], "federated-jwt");
    assert_eq!(rep["attributes"]["jwt.credential.issuer"], "cluster");
    assert_eq!(rep["attributes"]["jwt.credential.sub"], WORKER);

    let now = keyward_server::now();
    let sa_token = k8s.sign(&k8s_claims(&issuer, &realm, now));
    // Without client_id: the binding (issuer, subject) finds the client.
    let (status, body) = present(&l, None, BEARER, &sa_token).await;
    assert_eq!(status, 200, "{body} / {:?}", reasons(&l.app, &id).await);
    assert!(body["access_token"].is_string());
    let fetched = issuers.fetches.load(Ordering::SeqCst);
    assert_eq!(fetched, 1, "the keys were fetched once, through discovery");
    // A projected token is presented again until it expires (reuse on for kubernetes), and
    // with its client_id too; the cached keys serve.
    let (status, body) = present(&l, Some("billing-worker"), BEARER, &sa_token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(issuers.fetches.load(Ordering::SeqCst), fetched);

    // Bad tokens: invalid_client for the caller, the exact reason for the operator.
    let other_realm = format!("{}/realms/other", l.base);
    let wrong_key = RsaKey::new("k8s-1");
    let with = |changes: Value| {
        let mut c = k8s_claims(&issuer, &realm, now);
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };
    let bad: Vec<(String, &str)> = vec![
        (
            k8s.sign(&with(json!({"aud": [other_realm]}))),
            "names neither this realm's issuer",
        ),
        (k8s.sign(&with(json!({"exp": now - 120}))), "expired"),
        (
            k8s.sign(&with(json!({"exp": now + 7200}))),
            "more than the 3600 s",
        ),
        (
            wrong_key.sign(&with(json!({}))),
            "signature does not verify",
        ),
        (
            {
                // HMAC signed with the provider's public key as the secret (alg confusion).
                let input = format!(
                    "{}.{}",
                    URL_SAFE_NO_PAD.encode(json!({"alg": "HS256", "kid": "k8s-1"}).to_string()),
                    URL_SAFE_NO_PAD.encode(with(json!({})).to_string())
                );
                let key = aws_lc_rs::hmac::Key::new(
                    aws_lc_rs::hmac::HMAC_SHA256,
                    k8s.jwk().to_string().as_bytes(),
                );
                let sig = aws_lc_rs::hmac::sign(&key, input.as_bytes());
                format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
            },
            "alg HS256 is not allowed",
        ),
    ];
    for (t, want) in &bad {
        let (status, body) = present(&l, Some("billing-worker"), BEARER, t).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client")),
            "{want}"
        );
        let got = newest_reason(&l.app, &id).await;
        assert!(
            got.starts_with("federated_jwt: ") && got.contains(want),
            "{got} (want {want})"
        );
    }
    // A subject bound to no client: refused before any client is found.
    let stranger = k8s.sign(&with(json!({"sub": "system:serviceaccount:billing:other"})));
    let (status, _) = present(&l, None, BEARER, &stranger).await;
    assert_eq!(status, 401);
    // The same token naming the client: the reason names the binding it misses.
    let (status, _) = present(&l, Some("billing-worker"), BEARER, &stranger).await;
    assert_eq!(status, 401);
    assert!(newest_reason(&l.app, &id)
        .await
        .contains("matches no binding"));
    // A token of an issuer the realm does not trust.
    let unknown = k8s.sign(&with(json!({"iss": "https://evil.example"})));
    let (status, _) = present(&l, Some("billing-worker"), BEARER, &unknown).await;
    assert_eq!(status, 401);
    assert!(newest_reason(&l.app, &id)
        .await
        .contains("no identity provider of this realm has the issuer https://evil.example"));

    // The cluster rotates its signing key. An unknown kid refetches the set, at most once per
    // 10 s per provider: made-up kids cannot make Keyward hammer the issuer.
    let next = RsaKey::new("k8s-2");
    issuers.k8s_keys.lock().unwrap().push(next.jwk());
    let before = issuers.fetches.load(Ordering::SeqCst);
    for n in 0..3 {
        let made_up = RsaKey::new(&format!("made-up-{n}"));
        let (status, _) = present(
            &l,
            None,
            BEARER,
            &made_up.sign(&k8s_claims(&issuer, &realm, now)),
        )
        .await;
        assert_eq!(status, 401);
    }
    assert_eq!(
        issuers.fetches.load(Ordering::SeqCst),
        before,
        "within 10 s of the last fetch"
    );
    tokio::time::sleep(std::time::Duration::from_secs(
        keyward_service::federation::REFETCH_INTERVAL_S as u64 + 1,
    ))
    .await;
    let (status, body) = present(
        &l,
        None,
        BEARER,
        &next.sign(&k8s_claims(&issuer, &realm, now)),
    )
    .await;
    assert_eq!(status, 200, "{body} / {:?}", reasons(&l.app, &id).await);
    assert_eq!(issuers.fetches.load(Ordering::SeqCst), before + 1);

    // The issuer fails: the last good keys still verify, and the console's status says why.
    issuers.failing.store(true, Ordering::SeqCst);
    let r = rest(&mut admin, "POST", &format!("{IDP}/cluster/keys"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let status_now = r.json();
    assert_eq!(status_now["fetched"], true, "{status_now}");
    assert_eq!(status_now["keyCount"], 2);
    assert_eq!(status_now["lastError"], "HTTP 500", "{status_now}");
    let (status, _) = present(&l, None, BEARER, &sa_token).await;
    assert_eq!(status, 200);
    issuers.failing.store(false, Ordering::SeqCst);

    // A provider still bound to a client is not deleted.
    let r = rest(&mut admin, "DELETE", &format!("{IDP}/cluster"), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("used by 1 client binding"), "{}", r.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_github_actions_token_matches_a_claims_expression_once() {
    let Setup {
        live: l,
        issuers,
        github,
        mut admin,
        ..
    } = setup(|_| {}).await;
    let issuer = format!("{}/github", issuers.base);
    let realm = format!("{}/realms/master", l.base);
    let id = federated_client(&mut admin, "deployer", json!({})).await;
    let bindings = format!("/admin/realms/master/clients/{id}/federated-bindings");

    // Bad bindings are refused with their reason and store nothing.
    for (body, status, want) in [
        (
            json!({"label": "main", "identityProvider": "github", "claimsExpression": "claims['sub'] matches 'repo:acme/*"}),
            StatusCode::BAD_REQUEST,
            "the claims expression does not parse at character",
        ),
        (
            json!({"label": "main", "identityProvider": "nowhere", "subject": "x"}),
            StatusCode::BAD_REQUEST,
            "this realm has no identity provider",
        ),
        (
            json!({"label": "main", "identityProvider": "github"}),
            StatusCode::BAD_REQUEST,
            "needs the token's subject",
        ),
        (
            json!({"label": "svid", "identityProvider": "mesh", "subject": "spiffe://other.org/x"}),
            StatusCode::BAD_REQUEST,
            "SPIFFE ID of its trust domain",
        ),
    ] {
        let r = rest(&mut admin, "POST", &bindings, Some(body)).await;
        assert_eq!(r.status, status, "{}", r.body);
        assert!(r.body.contains(want), "{} (want {want})", r.body);
    }
    assert_eq!(admin.get(&bindings).await.json(), json!([]));

    // Entra's flexible credential: any repository of acme, from main, through the shared
    // deployment workflow.
    let expr = "claims['sub'] matches 'repo:acme/*:ref:refs/heads/main' and claims['job_workflow_ref'] eq 'acme/ci/.github/workflows/deploy.yml@refs/heads/main'";
    let r = rest(
        &mut admin,
        "POST",
        &bindings,
        Some(json!({"label": "deploy-from-main", "identityProvider": "github", "claimsExpression": expr})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // The same expression again (on another client) would accept the same tokens.
    let other = federated_client(&mut admin, "deployer-2", json!({})).await;
    let r = rest(
        &mut admin,
        "POST",
        &format!("/admin/realms/master/clients/{other}/federated-bindings"),
        Some(json!({"label": "x", "identityProvider": "github", "claimsExpression": expr})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    let now = keyward_server::now();
    let t = github.sign(&github_claims(&issuer, &realm, now, 1));
    let (status, body) = present(&l, None, BEARER, &t).await;
    assert_eq!(status, 200, "{body} / {:?}", reasons(&l.app, &id).await);
    // GitHub's tokens are not reusable here (reuse off for oidc): the jti is spent.
    let (status, _) = present(&l, Some("deployer"), BEARER, &t).await;
    assert_eq!(status, 401);
    assert!(newest_reason(&l.app, &id)
        .await
        .contains("already used (replay)"));
    // Another branch fails the expression, and the reason says which term.
    let mut dev = github_claims(&issuer, &realm, now, 2);
    dev["sub"] = json!("repo:acme/billing:ref:refs/heads/dev");
    let (status, _) = present(&l, Some("deployer"), BEARER, &github.sign(&dev)).await;
    assert_eq!(status, 401);
    let got = newest_reason(&l.app, &id).await;
    assert!(
        got.contains("deploy-from-main: claims['sub'] matches 'repo:acme/*:ref:refs/heads/main' does not hold"),
        "{got}"
    );
    // A second binding (rotation of the trust): both work, and the first can go.
    let r = rest(
        &mut admin,
        "POST",
        &bindings,
        Some(json!({"label": "billing-only", "identityProvider": "github", "subject": "repo:acme/billing:ref:refs/heads/main"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let list = admin.get(&bindings).await.json();
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    let first = list[0]["id"].as_str().unwrap().to_string();
    let r = rest(&mut admin, "DELETE", &format!("{bindings}/{first}"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let (status, body) = present(
        &l,
        None,
        BEARER,
        &github.sign(&github_claims(&issuer, &realm, now, 3)),
    )
    .await;
    assert_eq!(status, 200, "{body} / {:?}", reasons(&l.app, &id).await);
    // Every change is an admin event; no token was ever stored.
    let events = admin
        .get("/admin/realms/master/admin-events?max=50")
        .await
        .body;
    assert!(events.contains("federated-bindings"), "{events}");
    assert!(!contains(&db_bytes(&l.app), &t[t.len() - 40..]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spiffe_jwt_svid_authenticates_with_its_own_assertion_type() {
    let Setup {
        live: l,
        spiffe,
        mut admin,
        ..
    } = setup(|_| {}).await;
    let realm = format!("{}/realms/master", l.base);
    let svid_id = "spiffe://example.org/ns/billing/sa/worker";
    let id = federated_client(
        &mut admin,
        "mesh-worker",
        json!({"jwt.credential.issuer": "mesh", "jwt.credential.sub": svid_id}),
    )
    .await;
    let now = keyward_server::now();
    // A JWT-SVID (SPIFFE JWT-SVID §3): sub, aud, exp; no iss needed.
    let svid = spiffe.sign(
        json!({"alg": "ES256", "kid": "svid-1", "typ": "JWT"}),
        json!({"sub": svid_id, "aud": [realm], "exp": now + 300, "iat": now, "jti": "svid-once"}),
    );
    let (status, body) = present(&l, None, SPIFFE, &svid).await;
    assert_eq!(status, 200, "{body} / {:?}", reasons(&l.app, &id).await);
    // Sent as a plain jwt-bearer assertion, it is not a SPIFFE token.
    let again = spiffe.sign(
        json!({"alg": "ES256", "kid": "svid-1"}),
        json!({"sub": svid_id, "aud": [realm], "exp": now + 300, "jti": "svid-two"}),
    );
    let (status, _) = present(&l, Some("mesh-worker"), BEARER, &again).await;
    assert_eq!(status, 401);
    // Something that is not a JWT, named for the client: the reason says what is wrong with it.
    let (status, _) = present(&l, Some("mesh-worker"), SPIFFE, "not.a-jwt").await;
    assert_eq!(status, 401);
    let got = newest_reason(&l.app, &id).await;
    assert!(
        got.starts_with("jwt_spiffe: ") && got.contains("bad client assertion"),
        "{got}"
    );
    // The X509-SVID root of the bundle never verifies a JWT.
    let status_now = admin.get(&format!("{IDP}/mesh/keys")).await.json();
    assert_eq!(status_now["keyCount"], 1, "{status_now}");
    // Another trust domain is not trusted.
    let foreign = spiffe.sign(
        json!({"alg": "ES256", "kid": "svid-1"}),
        json!({"sub": "spiffe://evil.org/ns/billing/sa/worker", "aud": [realm], "exp": now + 300, "jti": "svid-3"}),
    );
    let (status, _) = present(&l, Some("mesh-worker"), SPIFFE, &foreign).await;
    assert_eq!(status, 401);
    assert!(newest_reason(&l.app, &id)
        .await
        .contains("no SPIFFE identity provider of this realm has the trust domain evil.org"));
}

/// Two replicas on one PostgreSQL database: a GitHub token spent at one is refused at the
/// other, and a Kubernetes token (reuse allowed) works at both.
#[tokio::test(flavor = "multi_thread")]
async fn two_replicas_share_replay_state_on_postgresql() {
    use base64::engine::general_purpose::STANDARD;
    let pg = keyward_store::testing::PgCluster::start()
        .expect("PostgreSQL 15 is required for this test");
    let url = pg.url();
    let master_key = STANDARD.encode([9u8; 32]);
    let (u1, k1) = (url.clone(), master_key.clone());
    let one = setup(move |c| {
        c.database_url = Some(u1);
        c.master_key = Some(k1);
    })
    .await;
    let two = live_with(move |c| {
        c.database_url = Some(url);
        c.master_key = Some(master_key);
        c.fetch_allow = "127.0.0.1".into();
    })
    .await;
    let mut admin = one.admin;
    let gh_issuer = format!("{}/github", one.issuers.base);
    federated_client(
        &mut admin,
        "deployer",
        json!({"jwt.credential.issuer": "github", "jwt.credential.sub": "repo:acme/billing:ref:refs/heads/main"}),
    )
    .await;
    federated_client(
        &mut admin,
        "billing-worker",
        json!({"jwt.credential.issuer": "cluster", "jwt.credential.sub": WORKER}),
    )
    .await;
    let now = keyward_server::now();
    // Each replica checks aud against its own public URL: one token per audience, one jti.
    let gh = |l: &Live| {
        one.github.sign(&github_claims(
            &gh_issuer,
            &format!("{}/realms/master", l.base),
            now,
            9,
        ))
    };
    let (status, body) = present(&one.live, None, BEARER, &gh(&one.live)).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = present(&two, None, BEARER, &gh(&two)).await;
    assert_eq!(status, 401, "the jti was spent at replica one");
    let k8s_issuer = format!("{}/k8s", one.issuers.base);
    for l in [&one.live, &two] {
        let t = one.k8s.sign(&k8s_claims(
            &k8s_issuer,
            &format!("{}/realms/master", l.base),
            now,
        ));
        for _ in 0..2 {
            let (status, body) = present(l, None, BEARER, &t).await;
            assert_eq!(status, 200, "{body}");
        }
    }
}

/// The next line of the script's output that is JSON (oidc-provider prints its warnings there
/// too); `None` at the end.
async fn json_line(
    out: &mut tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
) -> Option<String> {
    while let Some(line) = out.next_line().await.unwrap() {
        if line.starts_with('{') {
            return Some(line);
        }
    }
    None
}

/// node-oidc-provider (another organisation's IdP, started here on loopback) issues its client a
/// JWT access token for this realm with openid-client, and openid-client presents that token at
/// Keyward's token endpoint: the federated client stores no secret and no key.
#[tokio::test(flavor = "multi_thread")]
async fn node_oidc_provider_tokens_authenticate_through_openid_client() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let l = live_with(|c| c.fetch_allow = "127.0.0.1".into()).await;
    let mut admin = admin(&l.app).await;
    let script = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../end2end/interop/oidc_provider_federated.mjs");
    let run = |client_id: &'static str| {
        let script = script.clone();
        let realm = format!("{}/realms/master", l.base);
        async move {
            let mut child = tokio::process::Command::new("node")
                .arg(&script)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .expect("node runs; `source scripts/tools.sh` installs end2end/node_modules");
            let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
            let first =
                tokio::time::timeout(std::time::Duration::from_secs(30), json_line(&mut out))
                    .await
                    .expect("the IdP starts within 30 s")
                    .expect("the IdP prints its issuer");
            let issuer = serde_json::from_str::<Value>(&first).unwrap()["issuer"]
                .as_str()
                .unwrap()
                .to_string();
            (child, out, issuer, realm, client_id)
        }
    };
    let finish = |(mut child, mut out, _issuer, realm, client_id): (
        tokio::process::Child,
        tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
        String,
        String,
        &'static str,
    )| async move {
        let mut stdin = child.stdin.take().unwrap();
        let line = json!({"keyward": realm, "clientId": client_id}).to_string() + "\n";
        stdin.write_all(line.as_bytes()).await.unwrap();
        stdin.flush().await.unwrap();
        let answer = tokio::time::timeout(std::time::Duration::from_secs(60), json_line(&mut out))
            .await
            .expect("the exchange ends within 60 s");
        let status = child.wait().await.unwrap();
        let mut err = String::new();
        tokio::io::AsyncReadExt::read_to_string(child.stderr.as_mut().unwrap(), &mut err)
            .await
            .unwrap();
        (answer, status.success(), err)
    };

    let started = run("").await;
    let issuer = started.2.clone();
    let r = rest(
        &mut admin,
        "POST",
        IDP,
        Some(json!({"alias": "partner-idp", "providerId": "oidc", "config": {"issuer": issuer}})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = federated_client(
        &mut admin,
        "partner-ci",
        json!({"jwt.credential.issuer": "partner-idp", "jwt.credential.sub": "ci-runner"}),
    )
    .await;
    // Without client_id: the binding finds the client.
    let (answer, ok, err) = finish(started).await;
    assert!(ok, "{err} / {:?}", reasons(&l.app, &id).await);
    let got: Value = serde_json::from_str(&answer.unwrap()).unwrap();
    assert_eq!(got["upstream"]["iss"], issuer.as_str());
    assert_eq!(got["upstream"]["sub"], "ci-runner");
    let at = got["access_token"].as_str().unwrap();
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(at.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["azp"], "partner-ci", "{claims}");
    assert_eq!(claims["iss"], format!("{}/realms/master", l.base));

    // A second IdP process has other keys and its own issuer (another port): the realm does
    // not trust it, and its token gets the same client nothing.
    let stranger = run("partner-ci").await;
    let (_, ok, err) = finish(stranger).await;
    assert!(!ok, "an untrusted IdP's token must be refused");
    assert!(err.contains("invalid_client"), "{err}");
    assert!(newest_reason(&l.app, &id)
        .await
        .contains("no identity provider of this realm has the issuer http://127.0.0.1:"));
}

/// The console's token tester for a client.
async fn test_token(admin: &mut Client, id: &str, token: &str) -> Value {
    let r = admin
        .change(
            "test_federated_token",
            &[("realm", "master"), ("id", id), ("token", token)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

/// The console: an identity provider added from its page (with the in-cluster note), a client
/// bound on its Credentials tab, and the token tester saying which rule a token passes or fails
/// without spending it.
#[tokio::test(flavor = "multi_thread")]
async fn the_console_binds_clients_and_tests_tokens() {
    let Setup {
        live: l,
        issuers,
        github,
        mut admin,
        ..
    } = setup(|_| {}).await;
    let gh_issuer = format!("{}/github", issuers.base);
    let realm = format!("{}/realms/master", l.base);

    // A Kubernetes provider with the in-cluster default issuer: added, with the note.
    let r = admin
        .change(
            "create_identity_provider",
            &[
                ("realm", "master"),
                ("alias", "in-cluster"),
                ("kind", "kubernetes"),
                ("display_name", "Production cluster"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The GitHub Actions preset fills in GitHub's issuer.
    let r = admin
        .change(
            "create_identity_provider",
            &[
                ("realm", "master"),
                ("alias", "gha"),
                ("kind", "github-actions"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = admin.get("/console/master/identity-providers").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("kubernetes.default.svc.cluster.local resolves only inside the cluster"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("https://token.actions.githubusercontent.com"));
    assert!(page.body.contains("Production cluster"));
    // A bad one is refused with its reason.
    let r = admin
        .change(
            "create_identity_provider",
            &[
                ("realm", "master"),
                ("alias", "mesh2"),
                ("kind", "spiffe"),
                ("trust_domain", "Example.org"),
                ("bundle_endpoint", "https://spire.example.org/bundle"),
            ],
        )
        .await;
    assert_ne!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("trustDomain holds only lower-case"),
        "{}",
        r.body
    );

    // Fetch keys now: the table says how many and from where.
    let r = admin
        .change(
            "fetch_identity_provider_keys",
            &[("realm", "master"), ("alias", "github")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = admin.get("/console/master/identity-providers").await.body;
    assert!(page.contains("1 key(s), fetched"), "{page}");
    assert!(
        page.contains(&format!("{gh_issuer}/.well-known/jwks")),
        "{page}"
    );

    // A client bound on its Credentials tab.
    let id = new_client(&mut admin, "deployer").await;
    set_method(&mut admin, &id, "federated-jwt", "").await;
    let bind = |expression: &'static str| {
        vec![
            ("realm", "master"),
            ("label", "deploy"),
            ("provider", "github"),
            ("subject", ""),
            ("expression", expression),
        ]
    };
    let mut args = bind("claims['sub'] matches 'repo:acme/*");
    args.push(("id", &id));
    let r = admin.change("add_federated_binding", &args).await;
    assert_ne!(r.status, StatusCode::OK);
    assert!(r.body.contains("does not parse at character"), "{}", r.body);
    let mut args = bind("claims['sub'] matches 'repo:acme/*:ref:refs/heads/main'");
    args.push(("id", &id));
    let r = admin.change("add_federated_binding", &args).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let tab = admin
        .get(&format!("/console/master/clients/{id}/credentials"))
        .await
        .body;
    assert!(
        tab.contains("Federated bindings") && tab.contains("repo:acme/*:ref:refs/heads/main"),
        "{tab}"
    );

    // The tester: a good token passes every rule, and is not spent by the test.
    let now = keyward_server::now();
    let good = github.sign(&github_claims(&gh_issuer, &realm, now, 77));
    let rules = test_token(&mut admin, &id, &good).await;
    let all: Vec<(String, Value)> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["rule"].as_str().unwrap().to_string(), r["passed"].clone()))
        .collect();
    assert!(all.iter().all(|(_, p)| *p == json!(true)), "{rules}");
    assert!(rules.to_string().contains("binding deploy"), "{rules}");
    let (status, body) = present(&l, Some("deployer"), BEARER, &good).await;
    assert_eq!(status, 200, "the tester did not spend the jti: {body}");
    // Another realm's audience: the audience rule fails, the later ones are not reached.
    let mut other = github_claims(&gh_issuer, &format!("{}/realms/other", l.base), now, 78);
    other["jti"] = json!("tester-2");
    let rules = test_token(&mut admin, &id, &github.sign(&other)).await;
    let outcome = |rules: &Value, rule: &str| {
        rules
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == rule)
            .map(|r| r["passed"].clone())
            .unwrap_or_else(|| panic!("{rule} missing in {rules}"))
    };
    assert_eq!(
        outcome(&rules, "Signed by a key of the provider"),
        json!(true),
        "{rules}"
    );
    assert_eq!(
        outcome(&rules, "Audience is this realm"),
        json!(false),
        "{rules}"
    );
    assert_eq!(
        outcome(&rules, "A binding of the client holds"),
        Value::Null,
        "{rules}"
    );
    // Not a JWT at all.
    let rules = test_token(&mut admin, &id, "not-a-token").await;
    assert_eq!(outcome(&rules, "A signed JWT"), json!(false), "{rules}");
    // After a plain form post (no wasm), the Credentials tab shows the last report once.
    let tab = admin
        .get(&format!("/console/master/clients/{id}/credentials"))
        .await
        .body;
    assert!(tab.contains(r#"data-testid="token-test""#), "{tab}");
    assert!(
        tab.contains("A signed JWT") && tab.contains("fails"),
        "{tab}"
    );
    let again = admin
        .get(&format!("/console/master/clients/{id}/credentials"))
        .await
        .body;
    assert!(!again.contains(r#"data-testid="token-test""#), "shown once");
    // The tester never stores or logs a token.
    assert!(!contains(&db_bytes(&l.app), &good[good.len() - 40..]));
    let logged = String::from_utf8_lossy(&log().lock().unwrap()).to_string();
    assert!(!logged.contains(&good[good.len() - 40..]));
}

/// Concurrent first requests on a provider whose keys were never fetched (a slow issuer): one
/// fetches, the others wait for it; none is refused (the refetch limit must not refuse valid
/// tokens).
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_first_requests_wait_for_the_one_fetch() {
    let Setup {
        live: l,
        issuers,
        github,
        mut admin,
        ..
    } = setup(|_| {}).await;
    let issuer = format!("{}/github", issuers.base);
    let realm = format!("{}/realms/master", l.base);
    federated_client(
        &mut admin,
        "deployer",
        json!({"jwt.credential.issuer": "github", "jwt.credential.sub": "repo:acme/billing:ref:refs/heads/main"}),
    )
    .await;
    issuers.delay_ms.store(400, Ordering::SeqCst);
    let now = keyward_server::now();
    let tasks: Vec<_> = (0..16u64)
        .map(|n| {
            let t = github.sign(&github_claims(&issuer, &realm, now, 100 + n));
            let (http, url) = (l.http.clone(), l.token_url());
            tokio::spawn(async move {
                http.post(url)
                    .form(&[
                        ("grant_type", "client_credentials"),
                        ("client_assertion_type", BEARER),
                        ("client_assertion", &t),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses, vec![200; 16]);
    // Discovery and the JWKS: one fetch of the key set for all sixteen.
    assert_eq!(issuers.fetches.load(Ordering::SeqCst), 1);
}
