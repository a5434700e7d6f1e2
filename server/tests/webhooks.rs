//! Issue 22 §5: webhooks deliver CloudEvents 1.0 about a realm's credentials to a real receiver
//! on loopback, which checks every signature, answers 500 to the first attempts and sees the
//! retries in order per credential; deliveries survive a restart, a hanging receiver times out,
//! URLs follow the safe fetcher's rules, the queue is bounded, and expiry is announced once per
//! threshold.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::*;
use serde_json::{json, Value};

/// A webhook receiver on loopback: records every request, answers 500 to the first `fail`.
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    fail: Arc<AtomicUsize>,
    hang: bool,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    r.seen.lock().unwrap().push((headers, body));
    if r.hang {
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    }
    let left = r.fail.load(Ordering::SeqCst);
    if left > 0 {
        r.fail.store(left - 1, Ordering::SeqCst);
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    StatusCode::NO_CONTENT
}

async fn start_receiver(r: Receiver) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new()
        .route("/hook", post(receive))
        .with_state(r);
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://127.0.0.1:{port}/hook")
}

async fn add_webhook(a: &mut Client, url: &str, events: &[&str]) -> common::Reply {
    rest(
        a,
        "POST",
        "/admin/realms/master/webhooks",
        Some(json!({ "url": url, "events": events })),
    )
    .await
}

fn verify(secret: &str, headers: &HeaderMap, body: &[u8]) -> Value {
    let sent = headers
        .get("keyward-signature")
        .and_then(|v| v.to_str().ok())
        .expect("signed");
    assert_eq!(
        keyward_credentials::leak_report::verify_hmac(secret.as_bytes(), Some(sent), body),
        Ok(()),
        "the signature holds"
    );
    assert_eq!(
        headers.get("content-type").unwrap(),
        "application/cloudevents+json"
    );
    serde_json::from_slice(body).unwrap()
}

#[tokio::test]
async fn webhook_urls_roles_and_events_are_checked() {
    let app = app().await;
    let mut a = admin(&app).await;
    for private in [
        "https://127.0.0.1:9/hook",
        "https://10.1.2.3/hook",
        "https://[::1]/hook",
        "https://localhost/hook",
    ] {
        let r = add_webhook(&mut a, private, &["credential.revoked"]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{private}: {}", r.body);
        assert!(r.body.contains("internal address"), "{private}: {}", r.body);
        // Worded for a webhook, not for a key set.
        assert!(
            r.body.contains("does not deliver there") && !r.body.contains("fetch keys"),
            "{private}: {}",
            r.body
        );
        if private.contains("localhost") {
            assert!(
                r.body.contains("localhost resolves to an internal address"),
                "{}",
                r.body
            );
        }
        assert!(
            !r.body.contains("KEYWARD_"),
            "speaks to the operator: {}",
            r.body
        );
    }
    let r = add_webhook(
        &mut a,
        "http://hooks.example.com/x",
        &["credential.revoked"],
    )
    .await;
    assert!(r.body.contains("must be https"), "{}", r.body);
    let r = add_webhook(
        &mut a,
        "https://93.184.215.14/hook",
        &["credential.sneezed"],
    )
    .await;
    assert!(r.body.contains("unknown event type"), "{}", r.body);
    let r = add_webhook(&mut a, "https://93.184.215.14/hook", &[]).await;
    assert!(r.body.contains("at least one event"), "{}", r.body);
    // A manager cannot send the realm's events somewhere (console or REST).
    let mut m = operator(&app, "mo", "manager").await;
    let r = add_webhook(
        &mut m,
        "https://93.184.215.14/hook",
        &["credential.revoked"],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = m
        .change(
            "create_webhook",
            &[
                ("realm", "master"),
                ("url", "https://93.184.215.14/hook"),
                ("ev_revoked", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = rest(&mut a, "GET", "/admin/realms/master/webhooks", None).await;
    assert_eq!(r.json(), json!([]), "nothing refused was stored");
    // The console form makes one; its key is shown to an admin only on asking (audited).
    let r = a
        .change(
            "create_webhook",
            &[
                ("realm", "master"),
                ("url", "https://93.184.215.14/hook"),
                ("ev_revoked", "true"),
                ("ev_leaked", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let listed = rest(&mut a, "GET", "/admin/realms/master/webhooks", None)
        .await
        .json();
    assert_eq!(
        listed[0]["events"],
        json!(["credential.leaked", "credential.revoked"])
    );
    assert!(listed[0].get("secret").is_none());
    let id = listed[0]["id"].as_str().unwrap().to_string();
    let page = a.get("/console/master/webhooks").await.body;
    assert!(!page.contains("data-testid=\"webhook-key\""));
    let page = a
        .get(&format!("/console/master/webhooks?reveal={id}"))
        .await
        .body;
    assert!(page.contains("data-testid=\"webhook-key\""), "{page}");
    let mut v = operator(&app, "vi", "viewer").await;
    let r = v
        .get(&format!("/console/master/webhooks?reveal={id}"))
        .await;
    assert!(
        !r.body.contains("data-testid=\"webhook-key\""),
        "a viewer never sees it"
    );
}

#[tokio::test]
async fn deliveries_are_signed_retried_and_ordered_per_credential() {
    let receiver = Receiver::default();
    receiver.fail.store(2, Ordering::SeqCst);
    let url = start_receiver(receiver.clone()).await;
    let l = live_with(|c| c.fetch_allow = "127.0.0.1".into()).await;
    let svc = l.app.keyward.state.ctx.clone();
    let mut a = admin(&l.app).await;
    let r = add_webhook(
        &mut a,
        &url,
        &[
            "credential.rotated",
            "client.method_changed",
            "credential.revoked",
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let key = r.json()["secret"].as_str().unwrap().to_string();

    // Two events about one client: a rotation, then a method change.
    let id = new_client(&mut a, "notified").await;
    let value = new_secret(&mut a, &id, "0").await;
    set_method(&mut a, &id, "client-jwt", "").await;
    let t0 = keyward_service::context::now();
    let send = |at: i64| {
        let svc = svc.clone();
        async move {
            keyward_service::webhooks::deliver_due_at(&svc, at, 20)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        send(t0).await,
        1,
        "only the first event for the client goes out"
    );
    assert_eq!(
        send(t0 + 5).await,
        0,
        "its retry waits; the second waits behind it"
    );
    assert_eq!(send(t0 + 11).await, 1, "retried after 10 s (500 again)");
    assert_eq!(send(t0 + 100).await, 1, "retried again: delivered");
    assert_eq!(
        send(t0 + 101).await,
        1,
        "then the next event for the client"
    );
    assert_eq!(send(t0 + 102).await, 0);

    let seen = receiver.seen.lock().unwrap().clone();
    let events: Vec<Value> = seen.iter().map(|(h, b)| verify(&key, h, b)).collect();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "dev.keyward.credential.rotated",
            "dev.keyward.credential.rotated",
            "dev.keyward.credential.rotated",
            "dev.keyward.client.method_changed",
        ]
    );
    let e = &events[0];
    assert_eq!(e["specversion"], "1.0");
    assert_eq!(e["subject"], format!("client:{id}"));
    assert_eq!(e["source"], format!("{}/realms/master", l.base));
    assert!(e["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(e["data"]["clientId"], "notified");
    assert_eq!(events[3]["data"]["clientAuthenticatorType"], "client-jwt");
    for (_, body) in &seen {
        assert!(
            !String::from_utf8_lossy(body).contains(&value),
            "no secret value in an event"
        );
    }
    // Each retry is the same event (same id), so a receiver can drop duplicates.
    assert_eq!(events[0]["id"], events[2]["id"]);

    let listed = rest(
        &mut a,
        "GET",
        "/admin/realms/master/webhook-deliveries",
        None,
    )
    .await
    .json();
    let statuses: Vec<(String, i64)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["status"].as_str().unwrap().into(),
                d["attempts"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [("delivered".into(), 1), ("delivered".into(), 3)],
        "{listed}"
    );
    let page = a.get("/console/master/deliveries").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body.matches("data-testid=\"delivery-row\"").count(), 2);

    // A secret revoked: its own subject, delivered at once by the worker.
    let worker = tokio::spawn(keyward_server::webhooks::worker(svc.clone()));
    let secrets = rest(
        &mut a,
        "GET",
        &format!("/admin/realms/master/clients/{id}/secrets"),
        None,
    )
    .await
    .json();
    let sid = secrets[0]["id"].as_str().unwrap().to_string();
    let r = rest(
        &mut a,
        "DELETE",
        &format!("/admin/realms/master/clients/{id}/secrets/{sid}"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let mut waited = 0;
    while receiver.seen.lock().unwrap().len() < 5 && waited < 50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    }
    worker.abort();
    let seen = receiver.seen.lock().unwrap().clone();
    let last = verify(&key, &seen[4].0, &seen[4].1);
    assert_eq!(last["type"], "dev.keyward.credential.revoked");
    assert_eq!(last["subject"], format!("secret:{sid}"));
}

#[tokio::test]
async fn deliveries_survive_a_restart() {
    let receiver = Receiver::default();
    let url = start_receiver(receiver.clone()).await;
    let data = tempfile::tempdir().unwrap();
    let path = data.path().to_path_buf();
    let first = app_with({
        let path = path.clone();
        move |c| {
            c.data_dir = path;
            c.fetch_allow = "127.0.0.1".into();
        }
    })
    .await;
    let mut a = admin(&first).await;
    let r = add_webhook(&mut a, &url, &["credential.rotated"]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = new_client(&mut a, "restarted").await;
    new_secret(&mut a, &id, "0").await;
    // Queued, not yet sent; the server stops.
    first.keyward.state.ctx.db.close().await;
    drop(a);
    drop(first);
    assert!(receiver.seen.lock().unwrap().is_empty());
    let second = app_with(move |c| {
        c.data_dir = path;
        c.fetch_allow = "127.0.0.1".into();
    })
    .await;
    let sent = keyward_service::webhooks::deliver_due(&second.keyward.state.ctx, 20)
        .await
        .unwrap();
    assert_eq!(sent, 1);
    let seen = receiver.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let event: Value = serde_json::from_slice(&seen[0].1).unwrap();
    assert_eq!(event["data"]["clientId"], "restarted");
}

#[tokio::test]
async fn a_hanging_receiver_times_out_and_the_queue_is_bounded() {
    let receiver = Receiver {
        hang: true,
        ..Receiver::default()
    };
    let url = start_receiver(receiver.clone()).await;
    let app = app_with(|c| c.fetch_allow = "127.0.0.1".into()).await;
    let svc = app.keyward.state.ctx.clone();
    let mut a = admin(&app).await;
    let r = add_webhook(&mut a, &url, &["credential.rotated"]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = new_client(&mut a, "patient").await;
    new_secret(&mut a, &id, "0").await;
    let started = std::time::Instant::now();
    assert_eq!(
        keyward_service::webhooks::deliver_due(&svc, 20)
            .await
            .unwrap(),
        1
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    let listed = rest(
        &mut a,
        "GET",
        "/admin/realms/master/webhook-deliveries",
        None,
    )
    .await
    .json();
    assert_eq!(listed[0]["status"], "pending", "{listed}");
    assert!(
        listed[0]["lastError"]
            .as_str()
            .unwrap()
            .contains("no answer"),
        "{listed}"
    );

    // The queue: at most MAX_PENDING wait per webhook; later events are recorded as dropped.
    let realm = keyward_store::realms::get_by_name(&svc.db, "master")
        .await
        .unwrap();
    let hook = keyward_store::webhooks::list(&svc.db, &realm.realm_id)
        .await
        .unwrap()
        .remove(0);
    let now = keyward_service::context::now();
    for i in 1..keyward_store::webhooks::MAX_PENDING {
        keyward_store::webhooks::enqueue(
            &svc.db,
            &hook,
            "credential.rotated",
            &format!("client:{i}"),
            "{}",
            now,
        )
        .await
        .unwrap();
    }
    let over = keyward_store::webhooks::enqueue(
        &svc.db,
        &hook,
        "credential.rotated",
        "client:x",
        "{}",
        now,
    )
    .await
    .unwrap();
    assert_eq!(over.status, "dropped");
    assert_eq!(
        over.last_error.as_deref(),
        Some("the webhook's queue is full")
    );
}

#[tokio::test]
async fn expiry_is_announced_once_per_threshold() {
    let receiver = Receiver::default();
    let url = start_receiver(receiver.clone()).await;
    let app = app_with(|c| c.fetch_allow = "127.0.0.1".into()).await;
    let svc = app.keyward.state.ctx.clone();
    let mut a = admin(&app).await;
    let r = add_webhook(&mut a, &url, &["credential.expiring", "credential.expired"]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = new_client(&mut a, "expiring").await;
    let in_five_days = keyward_service::context::now() + 5 * 86_400;
    let r = rest(
        &mut a,
        "POST",
        &format!("/admin/realms/master/clients/{id}/secrets"),
        Some(json!({ "label": "soon", "expiresAt": in_five_days })),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let sid = r.json()["id"].as_str().unwrap().to_string();
    // Within 7 days (and so within 30): one event, for the nearest threshold; then none.
    assert_eq!(
        keyward_service::webhooks::announce_expiry(&svc)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        keyward_service::webhooks::announce_expiry(&svc)
            .await
            .unwrap(),
        0
    );
    keyward_service::webhooks::deliver_due(&svc, 20)
        .await
        .unwrap();
    let seen = receiver.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let event: Value = serde_json::from_slice(&seen[0].1).unwrap();
    assert_eq!(event["type"], "dev.keyward.credential.expiring");
    assert_eq!(event["subject"], format!("secret:{sid}"));
    assert_eq!(event["data"]["thresholdDays"], 7);
    assert_eq!(event["data"]["expiresAt"], in_five_days);
}
