//! Keyward behind a real nginx (Debian's package, started on loopback by the test): with
//! `KEYWARD_TRUSTED_PROXIES` naming nginx, the caller is the address nginx saw, for limits and
//! authentication events; a forwarding header the client wrote itself proves nothing.

mod common;

use std::process::{Child, Command};

use common::*;
use serde_json::Value;

/// nginx in the foreground with its own prefix, killed on drop.
struct Nginx {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM: the master stops its worker and exits (SIGKILL would leave the worker
        // running, orphaned, still listening).
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn nginx_binary() -> &'static str {
    for p in ["/usr/sbin/nginx", "/usr/bin/nginx"] {
        if std::path::Path::new(p).exists() {
            return p;
        }
    }
    panic!("nginx is required for this test (scripts/test installs Debian's nginx-light)");
}

async fn nginx_in_front_of(upstream: &str) -> Nginx {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let prefix = dir.path().display();
    let conf = format!(
        "daemon off;\nworker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {prefix}/body;\n  proxy_temp_path {prefix}/proxy;\n\
           fastcgi_temp_path {prefix}/fastcgi;\n  uwsgi_temp_path {prefix}/uwsgi;\n  scgi_temp_path {prefix}/scgi;\n\
           server {{\n    listen 127.0.0.1:{port};\n    location / {{\n\
               proxy_pass {upstream};\n\
               proxy_set_header Host $host:$server_port;\n\
               proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
               proxy_set_header X-Forwarded-Proto $scheme;\n    }}\n  }}\n}}\n"
    );
    let path = dir.path().join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    let mut child = Command::new(nginx_binary())
        .arg("-p")
        .arg(dir.path())
        .arg("-c")
        .arg(&path)
        .arg("-e")
        .arg(dir.path().join("error.log"))
        .spawn()
        .expect("nginx starts");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Nginx {
                child,
                port,
                _dir: dir,
            };
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
    panic!("nginx did not start: {log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_nginx_the_caller_is_the_address_nginx_saw() {
    let l = live_with(|c| c.trusted_proxies = "127.0.0.1/32".into()).await;
    let nginx = nginx_in_front_of(&l.base).await;
    let mut a = admin(&l.app).await;
    let id = new_client(&mut a, "svc").await;
    let secret = new_secret(&mut a, &id, "0").await;
    let url = format!(
        "http://127.0.0.1:{}/realms/master/protocol/openid-connect/token",
        nginx.port
    );
    let send = |http: reqwest::Client, secret: String, spoof: Option<&'static str>| {
        let url = url.clone();
        async move {
            let mut req = http
                .post(url)
                .basic_auth("svc", Some(secret))
                .form(&[("grant_type", "client_credentials")]);
            if let Some(s) = spoof {
                req = req.header("x-forwarded-for", s);
            }
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let attacker = http_from("127.0.0.66");
    let service = http_from("127.0.0.10");
    // The attacker writes its own X-Forwarded-For; nginx appends the address it saw.
    for i in 0..15 {
        let (status, _) = send(attacker.clone(), "wrong".into(), Some("192.0.2.1")).await;
        assert_eq!(status, if i < 10 { 401 } else { 429 }, "attempt {i}");
        let (status, body) = send(service.clone(), secret.clone(), None).await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = send(attacker.clone(), secret.clone(), None).await;
        assert_eq!(status, 200, "valid secret behind the same proxy: {body}");
    }
    let (status, _) = send(service.clone(), "wrong".into(), None).await;
    assert_eq!(status, 401, "the service's own address is not throttled");
    let events = keyward_store::auth_events::recent(&l.app.keyward.state.ctx.db, &id, 100)
        .await
        .unwrap();
    let failed_from = |ip: &str| {
        events
            .iter()
            .filter(|e| !e.success && e.ip.as_deref() == Some(ip))
            .count()
    };
    assert_eq!(failed_from("127.0.0.66"), 11, "{events:?}");
    assert_eq!(failed_from("127.0.0.10"), 1, "{events:?}");
    assert_eq!(
        failed_from("192.0.2.1"),
        0,
        "a spoofed hop is never the caller"
    );
    assert_eq!(
        failed_from("127.0.0.1"),
        0,
        "nginx itself is never the caller"
    );
}
