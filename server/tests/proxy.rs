//! Keyward behind a real nginx (Debian's package, started on loopback by the test): with
//! `KEYWARD_TRUSTED_PROXIES` naming nginx, the caller is the address nginx saw, for limits and
//! authentication events; a forwarding header the client wrote itself proves nothing.

mod common;

use common::*;
use serde_json::Value;

async fn nginx_in_front_of(upstream: &str) -> Nginx {
    let upstream = upstream.to_string();
    Nginx::start(move |port| {
        format!(
            "    listen 127.0.0.1:{port};\n    location / {{\n\
               proxy_pass {upstream};\n\
               proxy_set_header Host $host:$server_port;\n\
               proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
               proxy_set_header X-Forwarded-Proto $scheme;\n    }}"
        )
    })
    .await
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
