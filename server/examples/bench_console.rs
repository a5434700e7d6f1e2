//! Server time of the client list with 100,000 clients, on SQLite and PostgreSQL: the
//! `list_clients` server function (first page, and searches) and the server-rendered page,
//! each through the whole router (session, CSRF, role check, query, serialisation).
//! Run: `cargo run --release -p keyward-server --example bench_console`

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request};
use axum::Router;
use http_body_util::BodyExt;
use keyward_server::{build, Config};
use keyward_store::testing::PgCluster;
use keyward_store::{clients, realms};
use tower::ServiceExt;

const CLIENTS: u32 = 100_000;
const ITERATIONS: usize = 300;

async fn send(
    router: &Router,
    cookie: &Option<String>,
    req: Request<Body>,
) -> (u16, Option<String>, String) {
    let mut req = req;
    if let Some(c) = cookie {
        req.headers_mut().insert(header::COOKIE, c.parse().unwrap());
    }
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let set = res
        .headers()
        .get(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string());
    let body =
        String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
    (status, set, body)
}

fn post(path: &str, body: String) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .body(Body::from(body))
        .unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn bench(backend: &str, database_url: Option<String>) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_tests("127.0.0.1:3000".parse().unwrap(), dir.path().to_path_buf());
    config.database_url = database_url;
    config.bootstrap_admin_username = Some("bench".into());
    config.bootstrap_admin_password = Some("bench-password-123".into());
    let keyward = build(&config).await.unwrap();
    let db = keyward.state.ctx.db.clone();
    let realm = realms::create(&db, "bench", "Bench", 0).await.unwrap();
    let t = Instant::now();
    clients::seed(&db, &realm.realm_id, "svc", CLIENTS, 0)
        .await
        .unwrap();
    eprintln!(
        "{backend}: seeded {CLIENTS} clients in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let router = keyward.router.clone();
    let (_, cookie, _) = send(
        &router,
        &None,
        Request::get("/login").body(Body::empty()).unwrap(),
    )
    .await;
    let (_, _, info) = send(&router, &cookie, post("/api/session_info", String::new())).await;
    let csrf = serde_json::from_str::<serde_json::Value>(&info).unwrap()["csrf"]
        .as_str()
        .unwrap()
        .to_string();
    let form = format!("csrf={csrf}&username=bench&password=bench-password-123");
    let (status, cookie, _) = send(&router, &cookie, post("/auth/login", form)).await;
    assert_eq!(status, 303);

    let mut rows = Vec::new();
    let kinds: [(&str, &str, bool); 5] = [
        ("GET /console/bench/clients (SSR page)", "", true),
        (
            "list_clients, first page",
            "realm=bench&search=&first=0",
            false,
        ),
        (
            "list_clients, search \"-04217\" (client id)",
            "realm=bench&search=-04217&first=0",
            false,
        ),
        (
            "list_clients, search \"service 9999\" (name)",
            "realm=bench&search=service+9999&first=0",
            false,
        ),
        (
            "list_clients, page at first=50000",
            "realm=bench&search=&first=50000",
            false,
        ),
    ];
    for (name, args, page) in kinds {
        let mut times = Vec::with_capacity(ITERATIONS);
        for i in 0..ITERATIONS + 20 {
            let req = if page {
                Request::get("/console/bench/clients")
                    .body(Body::empty())
                    .unwrap()
            } else {
                post("/api/list_clients", args.to_string())
            };
            let t = Instant::now();
            let (status, _, body) = send(&router, &cookie, req).await;
            let elapsed = t.elapsed();
            assert_eq!(status, 200, "{body}");
            if page {
                assert!(body.contains("svc-000001"), "the page lists clients");
            }
            if i >= 20 {
                times.push(elapsed);
            }
        }
        times.sort();
        rows.push(format!(
            "| {backend} | {name} | {:.2} | {:.2} |",
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        ));
    }
    db.close().await;
    rows
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut rows = bench("SQLite", None).await;
    let pg = PgCluster::start().expect("a throw-away PostgreSQL cluster");
    rows.extend(bench("PostgreSQL", Some(pg.url())).await);
    println!("| backend | request | p50 ms | p99 ms |");
    println!("|---|---|---:|---:|");
    for r in rows {
        println!("{r}");
    }
}
