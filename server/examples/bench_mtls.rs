//! The TLS / mTLS token-endpoint benchmark (`bench/mtls.sh`, issue 20), one binary with two
//! roles:
//!
//! - `serve DIR TLS_PORT PLAIN_PORT MTLS_PORT`: Keyward on SQLite with https on TLS_PORT (the
//!   certificate `DIR/server.pem`), the same router over plain http on PLAIN_PORT (nginx's
//!   upstream; 127.0.0.1 is a trusted proxy forwarding `ssl-client-cert`), and the mTLS listener
//!   on MTLS_PORT. Seeds `cc-basic` (client_secret_basic, secret in `DIR/secret`) and
//!   `cc-self` (self_signed_tls_client_auth, the key of `DIR/client.pem` registered), then writes
//!   `DIR/ready`.
//! - `load PORT MODE AUTH SECONDS CONNECTIONS DIR`: a tokio-rustls HTTP/1.1 load generator.
//!   MODE `keepalive` reuses each connection; `new` makes a full handshake per request (no
//!   session resumption). AUTH `basic` sends cc-basic's secret, `cert` presents `DIR/client.pem`
//!   as cc-self. Prints one JSON line: req/s, p50/p99 ms, handshakes/s, non-200 answers, errors.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use keyward_server::{build, now, Config};
use keyward_store::{clients, keys, realms, secrets};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    match args.get(1).map(String::as_str) {
        Some("serve") => rt.block_on(serve(&args[2..])),
        Some("load") => rt.block_on(load(&args[2..])),
        _ => eprintln!("usage: bench_mtls serve DIR TLS PLAIN MTLS | load PORT MODE AUTH SECONDS CONNECTIONS DIR"),
    }
}

async fn serve(args: &[String]) {
    let dir = PathBuf::from(&args[0]);
    let port = |i: usize| -> u16 { args[i].parse().unwrap() };
    let (tls_port, plain_port, mtls_port) = (port(1), port(2), port(3));
    let data = tempfile::tempdir().unwrap();
    let bind: SocketAddr = format!("127.0.0.1:{tls_port}").parse().unwrap();
    let mut config = Config::for_tests(bind, data.path().to_path_buf());
    config.public_url = Some(format!("https://127.0.0.1:{tls_port}"));
    config.bootstrap_admin_username = Some("bench".into());
    config.bootstrap_admin_password = Some("bench-password-123".into());
    config.tls_cert = Some(dir.join("server.pem"));
    config.tls_key = Some(dir.join("server.key"));
    config.mtls_bind = Some(format!("127.0.0.1:{mtls_port}").parse().unwrap());
    config.trusted_proxies = "127.0.0.1/32".into();
    config.mtls_cert_header = Some("ssl-client-cert".into());
    let keyward = build(&config).await.unwrap();
    let ctx = keyward.state.ctx.clone();
    let master = realms::get_by_name(&ctx.db, "master").await.unwrap();
    let t = now();
    let new = |client_id: &'static str| clients::NewClient {
        client_id,
        name: "",
        description: "",
        enabled: true,
        public_client: false,
    };
    let basic = clients::create(&ctx.db, &master.realm_id, &new("cc-basic"), t)
        .await
        .unwrap();
    let secret = "cc-basic-secret-0123456789abcdef-keyward-bench";
    let verifier = ctx.vault.verifier(secret);
    secrets::insert_many(
        &ctx.db,
        &basic.client_row_id,
        &[secrets::NewSecret {
            label: "bench",
            verifier: &verifier.0,
            sealed: None,
            expires_at: None,
            created_by: "bench",
        }],
        t,
    )
    .await
    .unwrap();
    let me = clients::create(&ctx.db, &master.realm_id, &new("cc-self"), t)
        .await
        .unwrap();
    clients::set_authentication(
        &ctx.db,
        &master.realm_id,
        &me.client_row_id,
        me.version,
        &clients::AuthenticationUpdate {
            authenticator: "self-signed-tls-client-auth",
            signing_alg: None,
            assertion_max_exp_s: 60,
            auth_attributes: &Default::default(),
            tls_bound_tokens: false,
        },
        t,
    )
    .await
    .unwrap();
    let pem = std::fs::read(dir.join("client.pem")).unwrap();
    let imported = keyward_credentials::keys::import(&keyward_credentials::keys::ImportRequest {
        format: None,
        bytes: &pem,
        store_password: None,
        alias: None,
    })
    .unwrap();
    let facts = keyward_credentials::keys::facts(&imported[0].spki_der, None).unwrap();
    keys::insert_many(
        &ctx.db,
        &me.client_row_id,
        &[keys::NewKey {
            kid: None,
            kty: &facts.kty,
            alg: None,
            spki_der: &imported[0].spki_der,
            certificate_der: None,
            thumbprint_s256: &facts.jwk_thumbprint,
            source: "certificate",
            not_before: None,
            not_after: None,
        }],
        "bench",
        t,
    )
    .await
    .unwrap();
    std::fs::write(dir.join("secret"), secret).unwrap();

    let cert =
        keyward_server::tls::ReloadingCert::load(&dir.join("server.pem"), &dir.join("server.key"))
            .unwrap();
    let tls = tokio::net::TcpListener::bind(bind).await.unwrap();
    let plain = tokio::net::TcpListener::bind(("127.0.0.1", plain_port))
        .await
        .unwrap();
    let mtls = tokio::net::TcpListener::bind(("127.0.0.1", mtls_port))
        .await
        .unwrap();
    let router = keyward.router.clone();
    tokio::spawn(async move {
        axum::serve(
            plain,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    tokio::spawn(keyward_server::tls::serve(
        mtls,
        cert.mtls_server_config().unwrap(),
        keyward.mtls_router.clone(),
        std::future::pending(),
    ));
    std::fs::write(dir.join("ready"), "").unwrap();
    keyward_server::tls::serve(
        tls,
        cert.server_config().unwrap(),
        keyward.router,
        std::future::pending(),
    )
    .await;
}

/// What one request needs: the TLS client configuration, the request bytes.
struct Target {
    config: Arc<rustls::ClientConfig>,
    port: u16,
    request: Vec<u8>,
}

fn target(dir: &Path, port: u16, auth: &str) -> Target {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(dir.join("ca.pem")).unwrap())
        .unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let mut config = if auth == "cert" {
        builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_file(dir.join("client.pem")).unwrap()],
                PrivateKeyDer::from_pem_file(dir.join("client.key")).unwrap(),
            )
            .unwrap()
    } else {
        builder.with_no_client_auth()
    };
    // Every new connection is a full handshake.
    config.resumption = rustls::client::Resumption::disabled();
    let (body, header) = if auth == "cert" {
        (
            "grant_type=client_credentials&client_id=cc-self".to_string(),
            String::new(),
        )
    } else {
        let secret = std::fs::read_to_string(dir.join("secret")).unwrap();
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("cc-basic:{secret}"));
        (
            "grant_type=client_credentials".to_string(),
            format!("Authorization: Basic {basic}\r\n"),
        )
    };
    let request = format!(
        "POST /realms/master/protocol/openid-connect/token HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         {header}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes();
    Target {
        config: Arc::new(config),
        port,
        request,
    }
}

type Tls = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

async fn connect(t: &Target) -> std::io::Result<Tls> {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", t.port)).await?;
    tcp.set_nodelay(true)?;
    let connector = tokio_rustls::TlsConnector::from(t.config.clone());
    connector
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
}

/// Sends the request and reads one HTTP/1.1 answer (Content-Length framed); its status.
async fn exchange(tls: &mut Tls, t: &Target, buf: &mut Vec<u8>) -> std::io::Result<u16> {
    tls.write_all(&t.request).await?;
    buf.clear();
    let mut chunk = [0u8; 8192];
    loop {
        let n = tls.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                let status = head
                    .split_whitespace()
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                return Ok(status);
            }
        }
    }
}

async fn load(args: &[String]) {
    let port: u16 = args[0].parse().unwrap();
    let (mode, auth) = (args[1].clone(), args[2].clone());
    let seconds: u64 = args[3].parse().unwrap();
    let connections: usize = args[4].parse().unwrap();
    let t = Arc::new(target(Path::new(&args[5]), port, &auth));
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (t, mode) = (t.clone(), mode.clone());
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut bad, mut errors, mut handshakes) = (Vec::new(), 0u64, 0u64, 0u64);
            let mut buf = Vec::with_capacity(4096);
            let mut conn: Option<Tls> = None;
            while Instant::now() < end {
                let started = Instant::now();
                if conn.is_none() || mode == "new" {
                    match connect(&t).await {
                        Ok(c) => {
                            conn = Some(c);
                            handshakes += 1;
                        }
                        Err(_) => {
                            errors += 1;
                            continue;
                        }
                    }
                }
                let c = conn.as_mut().expect("connected");
                match exchange(c, &t, &mut buf).await {
                    Ok(200) => lat.push(started.elapsed()),
                    Ok(_) => bad += 1,
                    Err(_) => {
                        errors += 1;
                        conn = None;
                    }
                }
                if mode == "new" {
                    if let Some(mut c) = conn.take() {
                        let _ = c.shutdown().await;
                    }
                }
            }
            (lat, bad, errors, handshakes)
        }));
    }
    let (mut lat, mut bad, mut errors, mut handshakes) = (Vec::new(), 0, 0, 0);
    for task in tasks {
        let (l, b, e, h) = task.await.unwrap();
        lat.extend(l);
        bad += b;
        errors += e;
        handshakes += h;
    }
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    println!(
        "{}",
        serde_json::json!({
            "port": port,
            "mode": mode,
            "auth": auth,
            "connections": connections,
            "rps": (lat.len() as f64 / seconds as f64).round(),
            "p50_ms": (pct(0.50) * 100.0).round() / 100.0,
            "p99_ms": (pct(0.99) * 100.0).round() / 100.0,
            "handshakes_per_s": (handshakes as f64 / seconds as f64).round(),
            "non200": bad,
            "errors": errors,
        })
    );
}
