//! Start-up: the setup link when no operator exists, configuration and database failures as
//! one-line errors, and the real binary serving on a port.

mod common;

use std::process::Command;
use std::time::Duration;

use axum::http::StatusCode;
use common::*;
use keyward_server::{build, Config};

#[tokio::test]
async fn without_a_bootstrap_admin_a_one_time_setup_link_creates_the_first_admin() {
    let app = app_with(|c| {
        c.bootstrap_admin_username = None;
        c.bootstrap_admin_password = None;
    })
    .await;
    let link = app.keyward.setup_link.clone().expect("a setup link");
    let token = link.split("token=").nth(1).unwrap().to_string();
    assert!(token.len() >= 43, "at least 256 bits");
    let mut c = Client::new(&app);
    let page = c.get(&format!("/setup?token={token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Create administrator"), "{}", page.body);
    c.refresh_csrf().await;
    assert_eq!(c.call("setup_open", &[]).await.json(), true);
    let csrf = c.csrf.clone();
    let r = c
        .post_form(
            "/auth/setup",
            form(&[
                ("csrf", &csrf),
                ("token", "wrong"),
                ("username", "root"),
                ("password", "root-password-123"),
                ("confirm", "root-password-123"),
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c
        .post_form(
            "/auth/setup",
            form(&[
                ("csrf", &csrf),
                ("token", &token),
                ("username", "root"),
                ("password", "short"),
                ("confirm", "short"),
            ]),
        )
        .await;
    assert!(
        r.location().starts_with("/setup?token="),
        "{}",
        r.location()
    );
    assert!(r.location().contains("at+least+12"), "{}", r.location());
    let r = c
        .post_form(
            "/auth/setup",
            form(&[
                ("csrf", &csrf),
                ("token", &token),
                ("username", "root"),
                ("password", "root-password-123"),
                ("confirm", "root-password-123"),
            ]),
        )
        .await;
    assert_eq!(r.location(), "/console/master/clients");
    c.refresh_csrf().await;
    assert_eq!(
        c.call("session_info", &[]).await.json()["me"]["username"],
        "root"
    );
    // The link dies once used, and its page says so at once (no form to fill in first).
    assert_eq!(c.call("setup_open", &[]).await.json(), false);
    let page = Client::new(&app)
        .get(&format!("/setup?token={token}"))
        .await;
    assert!(
        page.body.contains("This setup link has already been used"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Create administrator"));
    let mut d = Client::new(&app);
    d.open().await;
    let csrf = d.csrf.clone();
    let r = d
        .post_form(
            "/auth/setup",
            form(&[
                ("csrf", &csrf),
                ("token", &token),
                ("username", "second"),
                ("password", "root-password-123"),
                ("confirm", "root-password-123"),
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        keyward_store::operators::get_by_username(&app.keyward.state.ctx.db, "second")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn bad_configuration_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(&dir);
    c.bootstrap_admin_password = None;
    let e = build(&c).await.err().expect("refused");
    assert!(e.to_string().contains("set both"), "{e}");
    let mut c = config(&dir);
    c.bootstrap_admin_password = Some("short".into());
    let e = build(&c).await.err().expect("refused");
    assert!(e.to_string().contains("at least 12"), "{e}");
    let mut c = config(&dir);
    c.master_key = Some("not-base64!".into());
    let e = build(&c).await.err().expect("refused");
    assert!(e.to_string().contains("KEYWARD_MASTER_KEY"), "{e}");
    // Each refusal names its setting as a field, not only in the text.
    let setting = |e: keyward_server::StartError| match e {
        keyward_server::StartError::Config(c) => c.setting,
        other => panic!("not a configuration error: {other}"),
    };
    let mut c = config(&dir);
    c.master_key = Some("not-base64!".into());
    assert_eq!(
        setting(build(&c).await.err().unwrap()),
        "KEYWARD_MASTER_KEY"
    );
    let mut c = config(&dir);
    c.bootstrap_admin_password = Some("short".into());
    assert_eq!(
        setting(build(&c).await.err().unwrap()),
        "KEYWARD_BOOTSTRAP_ADMIN_PASSWORD"
    );
    let mut c = config(&dir);
    c.public_url = Some("ftp://example.com".into());
    assert_eq!(
        setting(build(&c).await.err().unwrap()),
        "KEYWARD_PUBLIC_URL"
    );
    let mut c = config(&dir);
    c.metrics_bind = "nowhere".into();
    assert_eq!(
        setting(build(&c).await.err().unwrap()),
        "KEYWARD_METRICS_BIND"
    );
    let mut c = config(&dir);
    c.trusted_proxies = "not-a-network".into();
    assert_eq!(
        setting(build(&c).await.err().unwrap()),
        "KEYWARD_TRUSTED_PROXIES"
    );
    let mut c = config(&dir);
    c.mtls_ca = Some(dir.path().join("no-such-ca.pem"));
    assert_eq!(setting(build(&c).await.err().unwrap()), "KEYWARD_MTLS_CA");
    let mut c = config(&dir);
    c.mtls_cert_header = Some("ssl-client-cert".into());
    assert_eq!(
        setting(build(&c).await.err().unwrap()),
        "KEYWARD_MTLS_CERT_HEADER",
        "a forwarded certificate needs trusted proxies"
    );
}

/// The fetcher's allow-list under its new name and its former one, read from the environment
/// by the real binary: a bad list is refused naming KEYWARD_FETCH_ALLOW either way.
#[test]
fn the_fetch_allow_list_is_read_under_both_names() {
    for name in ["KEYWARD_FETCH_ALLOW", "KEYWARD_JWKS_ALLOW"] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_keyward-server"))
            .env(name, "10.0.0.0/99")
            .env("KEYWARD_DATA_DIR", dir.path())
            .env("KEYWARD_BIND", "127.0.0.1:0")
            .env("KEYWARD_METRICS_BIND", "off")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // A list that were accepted would leave the server running: stop it and fail.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{name}: the server started with a bad allow-list");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        assert_eq!(status.code(), Some(1), "{name}: {stderr}");
        let last = stderr.lines().last().unwrap_or("");
        assert!(
            last.starts_with("keyward: configuration: KEYWARD_FETCH_ALLOW: ")
                && last.contains("\"10.0.0.0/99\" is neither a network"),
            "{name}: {stderr}"
        );
    }
}

/// One Keyward process serves a SQLite file: a second one (here: the lock taken as another
/// process would) is refused with the reason, and starts once the file is free.
#[tokio::test]
async fn a_sqlite_file_served_by_another_process_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(&dir);
    let first = build(&c).await.expect("first start");
    // Another start in the same process shares the claim (tests and restarts do this).
    drop(build(&c).await.expect("same process"));
    first.state.ctx.db.close().await;
    drop(first);
    let lock = std::fs::File::open(c.data_dir.join("keyward.db.keyward-lock")).expect("lock file");
    lock.try_lock()
        .expect("free once the first process's handles are gone");
    let e = build(&c).await.err().expect("refused");
    let e = e.to_string();
    assert!(
        e.contains("another Keyward process is serving this SQLite database"),
        "{e}"
    );
    assert!(!e.contains('\n'), "{e}");
    lock.unlock().unwrap();
    build(&c).await.expect("starts once the file is free");
}

#[test]
fn an_unreachable_database_stops_start_up_with_one_line_and_no_panic() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_keyward-server"))
        .env(
            "KEYWARD_DATABASE_URL",
            "postgres://keyward@127.0.0.1:1/keyward",
        )
        .env("KEYWARD_DATA_DIR", dir.path())
        .env("KEYWARD_BIND", "127.0.0.1:0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or("");
    assert!(last.starts_with("keyward: database:"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("RUST_BACKTRACE"), "{stderr}");
}

#[test]
fn the_binary_serves_on_a_port_and_prints_the_url_and_the_setup_link() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyward-server"))
        .env("KEYWARD_DATA_DIR", dir.path())
        .env("KEYWARD_BIND", format!("127.0.0.1:{port}"))
        .env("KEYWARD_METRICS_BIND", format!("127.0.0.1:{metrics_port}"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ready = rt.block_on(async {
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if let Ok(r) = client
                .get(format!("http://127.0.0.1:{port}/health/ready"))
                .send()
                .await
            {
                // The management listener serves metrics; the public one does not (no token).
                let private = client
                    .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(private.status(), 200);
                assert!(private
                    .text()
                    .await
                    .unwrap()
                    .contains("keyward_token_requests_total"));
                let public = client
                    .get(format!("http://127.0.0.1:{port}/metrics"))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(public.status(), 404);
                return Some(r.status());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        None
    });
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    assert_eq!(ready, Some(reqwest::StatusCode::OK));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("Keyward is running at http://127.0.0.1:{port}/")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("http://127.0.0.1:{port}/setup?token=")),
        "{stdout}"
    );
    assert!(dir.path().join("keyward.db").exists());
    assert!(dir.path().join("master.key").exists());
}

#[tokio::test]
async fn a_real_server_on_port_0_signs_in_and_changes_data() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut c: Config = config(&dir);
    c.bind = addr;
    let keyward = build(&c).await.unwrap();
    let router = keyward.router.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap()
    });
    let base = format!("http://{addr}");
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login_page = http.get(format!("{base}/login")).send().await.unwrap();
    assert_eq!(login_page.status(), 200);
    let info: serde_json::Value = http
        .post(format!("{base}/api/session_info"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let csrf = info["csrf"].as_str().unwrap().to_string();
    let r = http
        .post(format!("{base}/auth/login"))
        .header("origin", &base)
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", ADMIN),
            ("password", ADMIN_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let info: serde_json::Value = http
        .post(format!("{base}/api/session_info"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["me"]["username"], ADMIN);
    let csrf = info["csrf"].as_str().unwrap().to_string();
    let r = http
        .post(format!("{base}/api/create_realm"))
        .header("origin", &base)
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "ops"),
            ("display_name", "Operations"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = http
        .get(format!("{base}/console/ops/clients"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("No clients yet"),
        "empty state rendered on the server"
    );
    assert!(html.contains("/pkg/keyward.js"), "hydration script linked");
}

/// `keyward-server rotate-master-key`, the real binary: re-seals under a new key put first in
/// the key file; with a key that did not seal the database it stops with one line naming it.
#[tokio::test(flavor = "multi_thread")]
async fn the_binary_rotates_the_master_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::config(&dir);
    let keyward = build(&config).await.expect("first start seals the pepper");
    keyward.state.ctx.db.close().await;
    let key_file = dir.path().join("master.key");
    let before = std::fs::read_to_string(&key_file).unwrap();
    let run = |key: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyward-server"));
        cmd.arg("rotate-master-key")
            .env("KEYWARD_DATA_DIR", dir.path())
            .env_remove("KEYWARD_MASTER_KEY");
        if let Some(k) = key {
            cmd.env("KEYWARD_MASTER_KEY", k);
        }
        cmd.output().unwrap()
    };
    let out = run(None);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with("Re-sealed 1 value(s) under master key mk-"),
        "{stdout}"
    );
    let after = std::fs::read_to_string(&key_file).unwrap();
    let lines: Vec<&str> = after.lines().collect();
    assert_eq!(lines.len(), 2, "new key first, old key kept");
    assert_eq!(lines[1], before.trim());
    assert!(
        !stdout.contains(lines[0]) && !stdout.contains(lines[1]),
        "keys are never printed"
    );

    use base64::Engine;
    let wrong = base64::engine::general_purpose::STANDARD.encode([3u8; 32]);
    let out = run(Some(&wrong));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or("");
    assert!(
        last.starts_with("keyward: ") && last.contains("KEYWARD_MASTER_KEY does not hold"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
