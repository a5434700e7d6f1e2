//! Issue 20: RFC 8705 with real parts. Certificates and CAs are made by `openssl`; clients are
//! `curl --cert`, Python `requests` with a client certificate, and a rustls client that presents
//! a certificate without its key; nginx from Debian's packages terminates mTLS in front of
//! Keyward and forwards the certificate (`$ssl_client_escaped_cert`). Both methods
//! (`client-x509`, `self-signed-tls-client-auth`), with and without certificate-bound tokens, on
//! SQLite and on PostgreSQL. Every refusal is checked in the client's recent authentications
//! with its reason.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::*;
use keyward_store::testing::PgCluster;
use serde_json::Value;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The test PKI: a CA for clients and Keyward's server certificate (both in `dir`).
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        for name in ["ca", "other-ca"] {
            openssl(&[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "2",
                "-subj",
                &format!("/CN=Keyward test {name}"),
                "-keyout",
                s(&p.join(format!("{name}.key"))),
                "-out",
                s(&p.join(format!("{name}.pem"))),
            ]);
        }
        let pki = Pki { dir };
        pki.issue(
            "server",
            "/CN=127.0.0.1",
            "ca",
            "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
            "1",
            "ec",
        );
        pki
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `{name}.pem` / `{name}.key` with `subject`, signed by `ca` for `days` (negative: expired).
    fn issue(&self, name: &str, subject: &str, ca: &str, ext: &str, days: &str, kind: &str) {
        let (key, csr, cert, extfile) = (
            self.path(&format!("{name}.key")),
            self.path(&format!("{name}.csr")),
            self.path(&format!("{name}.pem")),
            self.path(&format!("{name}.ext")),
        );
        std::fs::write(&extfile, ext).unwrap();
        let mut args = vec!["req", "-newkey"];
        match kind {
            "rsa1024" => args.extend(["rsa:1024"]),
            _ => args.extend(["ec", "-pkeyopt", "ec_paramgen_curve:P-256"]),
        }
        args.extend([
            "-nodes",
            "-subj",
            subject,
            "-keyout",
            s(&key),
            "-out",
            s(&csr),
        ]);
        openssl(&args);
        openssl(&[
            "x509",
            "-req",
            "-in",
            s(&csr),
            "-days",
            days,
            "-CA",
            s(&self.path(&format!("{ca}.pem"))),
            "-CAkey",
            s(&self.path(&format!("{ca}.key"))),
            "-CAcreateserial",
            "-extfile",
            s(&extfile),
            "-out",
            s(&cert),
        ]);
    }

    /// A client certificate for TLS client authentication.
    fn client(&self, name: &str, subject: &str, ca: &str) {
        self.issue(
            name,
            subject,
            ca,
            "extendedKeyUsage=clientAuth\nsubjectAltName=DNS:billing.acme.test\n",
            "1",
            "ec",
        );
    }

    /// A self-signed certificate (no CA at all).
    fn self_signed(&self, name: &str, subject: &str) {
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
            subject,
            "-keyout",
            s(&self.path(&format!("{name}.key"))),
            "-out",
            s(&self.path(&format!("{name}.pem"))),
        ]);
    }

    /// The certificate's DER.
    fn der(&self, name: &str) -> Vec<u8> {
        let pem = std::fs::read_to_string(self.path(&format!("{name}.pem"))).unwrap();
        pem::parse(pem).unwrap().contents().to_vec()
    }

    /// RFC 8705 §3.1: base64url(SHA-256(DER)).
    fn x5t(&self, name: &str) -> String {
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &self.der(name));
        URL_SAFE_NO_PAD.encode(d.as_ref())
    }
}

/// A token request with `curl`: `cert` is the client certificate's name in the PKI (None: no
/// certificate); (HTTP status, JSON body).
fn curl_token(pki: &Pki, url: &str, cert: Option<&str>, form: &[&str]) -> (u16, Value) {
    let mut cmd = Command::new("curl");
    cmd.args([
        "-sS",
        "--max-time",
        "10",
        "--cacert",
        s(&pki.path("ca.pem")),
    ]);
    if let Some(c) = cert {
        cmd.args([
            "--cert",
            s(&pki.path(&format!("{c}.pem"))),
            "--key",
            s(&pki.path(&format!("{c}.key"))),
        ]);
    }
    for f in form {
        cmd.args(["-d", f]);
    }
    let o = cmd
        .args(["-w", "\n%{http_code}", url])
        .output()
        .expect("curl");
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let (body, code) = out.rsplit_once('\n').unwrap_or(("", "0"));
    assert!(
        o.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    (
        code.parse().unwrap_or(0),
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

/// A running Keyward with its plain listener (console, OIDC) and its mTLS listener.
struct Mtls {
    app: TestApp,
    /// `http://127.0.0.1:port` (the console and the OIDC endpoints, no certificate).
    base: String,
    /// `https://127.0.0.1:port` (the mTLS listener).
    mtls: String,
}

impl Mtls {
    fn token_url(&self) -> String {
        format!("{}/realms/master/protocol/openid-connect/token", self.mtls)
    }
}

async fn start(pki: &Pki, database_url: Option<String>) -> Mtls {
    let plain = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mtls_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", plain.local_addr().unwrap().port());
    let mtls_addr = mtls_listener.local_addr().unwrap();
    let (cert, key, ca) = (
        pki.path("server.pem"),
        pki.path("server.key"),
        pki.path("ca.pem"),
    );
    let public = base.clone();
    let app = app_with(move |c| {
        c.public_url = Some(public);
        c.tls_cert = Some(cert);
        c.tls_key = Some(key);
        c.mtls_bind = Some(mtls_addr);
        c.mtls_ca = Some(ca);
        c.trusted_proxies = "127.0.0.1/32".into();
        c.mtls_cert_header = Some("ssl-client-cert".into());
        c.mtls_cert_header_format = "nginx".into();
        if let Some(url) = database_url {
            c.database_url = Some(url);
        }
    })
    .await;
    let router = app.keyward.router.clone();
    tokio::spawn(async move {
        axum::serve(
            plain,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    let tls =
        keyward_server::tls::ReloadingCert::load(&pki.path("server.pem"), &pki.path("server.key"))
            .unwrap()
            .mtls_server_config()
            .unwrap();
    tokio::spawn(keyward_server::tls::serve(
        mtls_listener,
        tls,
        app.keyward.mtls_router.clone(),
        std::future::pending(),
    ));
    Mtls {
        app,
        base,
        mtls: format!("https://127.0.0.1:{}", mtls_addr.port()),
    }
}

/// Sets a client's method and X.509 settings through the console; the reply.
async fn set_x509(
    a: &mut Client,
    id: &str,
    method: &str,
    dn: &str,
    regex: bool,
    san: &str,
    bound: bool,
) -> Reply {
    let c = a
        .call("get_credentials", &[("realm", "master"), ("id", id)])
        .await
        .json();
    let mut args = vec![
        ("realm", "master"),
        ("id", id),
        ("authenticator", method),
        ("signing_alg", ""),
        ("assertion_max_exp_s", "60"),
        ("x509.subjectdn", dn),
        ("x509.san", san),
    ];
    let version = c["version"].to_string();
    args.push(("version", &version));
    if regex {
        args.push(("x509.allow.regex.pattern.comparison", "true"));
    }
    if bound {
        args.push(("tls_bound_tokens", "true"));
    }
    a.change("set_authenticator", &args).await
}

/// Client `billing`, `client-x509` expecting `CN=billing,O=Acme`, bound tokens or not; its row id.
async fn billing_x509(a: &mut Client, bound: bool) -> String {
    let id = new_client(a, "billing").await;
    let r = set_x509(a, &id, "client-x509", "CN=billing,O=Acme", false, "", bound).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    id
}

const GRANT: &str = "grant_type=client_credentials";

/// The claims of a JWT, unverified (the tests check what Keyward wrote).
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// Registers the certificate `name` of the PKI as a key of the client (Keys tab import).
async fn import_certificate(a: &mut Client, id: &str, pki: &Pki, name: &str) {
    let file = std::fs::read(pki.path(&format!("{name}.pem"))).unwrap();
    let r = a.import_keys(id, "", &file, "", "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// A token request for `billing` sent straight to Keyward's plain listener from `from` with the
/// forwarded-certificate header set to `value`; the HTTP status.
async fn with_forwarded_header(k: &Mtls, from: &str, value: &str) -> u16 {
    http_from(from)
        .post(format!(
            "{}/realms/master/protocol/openid-connect/token",
            k.base
        ))
        .header("ssl-client-cert", value)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "billing"),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The certificate `name` as nginx's `$ssl_client_escaped_cert` writes it.
fn escaped_pem(pki: &Pki, name: &str) -> String {
    let pem = std::fs::read_to_string(pki.path(&format!("{name}.pem"))).unwrap();
    url::form_urlencoded::byte_serialize(pem.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// Both methods and bound tokens, end to end, on the database `start` was given.
async fn both_methods(pki: &Pki, k: &Mtls) {
    pki.client("billing", "/O=Acme/CN=billing", "ca");
    let mut a = admin(&k.app).await;
    let billing = new_client(&mut a, "billing").await;
    // DN compared canonically: case, spaces and attribute-type case do not matter.
    let r = set_x509(
        &mut a,
        &billing,
        "client-x509",
        "cn=Billing, o=ACME",
        false,
        "",
        false,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let url = k.token_url();
    let (status, body) = curl_token(pki, &url, Some("billing"), &[GRANT, "client_id=billing"]);
    assert_eq!(status, 200, "curl --cert: {body}");
    let token = body["access_token"].as_str().unwrap();
    assert!(claims(token).get("cnf").is_none(), "unbound unless asked");

    // No certificate, over the mTLS listener and over the plain one.
    let (status, body) = curl_token(pki, &url, None, &[GRANT, "client_id=billing"]);
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let plain = format!("{}/realms/master/protocol/openid-connect/token", k.base);
    let (status, _) = curl_token(pki, &plain, None, &[GRANT, "client_id=billing"]);
    assert_eq!(status, 401);
    // A secret instead of the certificate is the wrong method.
    let (status, _) = curl_token(
        pki,
        &url,
        Some("billing"),
        &[GRANT, "client_id=billing", "client_secret=guess"],
    );
    assert_eq!(status, 401);
    let got = reasons(&k.app, &billing).await;
    assert!(
        got.iter()
            .any(|r| r == "tls_client_auth: no client certificate was presented"),
        "{got:?}"
    );
    assert!(
        got.iter()
            .any(|r| r.contains("configured for client-x509, the request used client_secret_post")),
        "{got:?}"
    );

    // Bound tokens: cnf is the presented certificate's thumbprint; introspection returns it.
    let r = set_x509(
        &mut a,
        &billing,
        "client-x509",
        "CN=billing,O=Acme",
        false,
        "dns:billing.acme.test",
        true,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (status, body) = curl_token(pki, &url, Some("billing"), &[GRANT, "client_id=billing"]);
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_string();
    assert_eq!(claims(&token)["cnf"]["x5t#S256"], pki.x5t("billing"));
    let introspect = format!("{url}/introspect");
    let (status, body) = curl_token(
        pki,
        &introspect,
        Some("billing"),
        &["client_id=billing", &format!("token={token}")],
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["active"], true);
    assert_eq!(body["cnf"]["x5t#S256"], pki.x5t("billing"));

    // A client-secret client with bound tokens: any certificate binds, none is refused as
    // Keycloak refuses it (never a silently unbound token).
    let bound = new_client(&mut a, "bound-secret").await;
    let secret = new_secret(&mut a, &bound, "0").await;
    let r = set_x509(&mut a, &bound, "client-secret", "", false, "", true).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    pki.self_signed("anycert", "/CN=any");
    let secret_form = format!("client_secret={secret}");
    let (status, body) = curl_token(
        pki,
        &url,
        Some("anycert"),
        &[GRANT, "client_id=bound-secret", &secret_form],
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["cnf"]["x5t#S256"],
        pki.x5t("anycert")
    );
    let (status, body) = curl_token(
        pki,
        &plain,
        None,
        &[GRANT, "client_id=bound-secret", &secret_form],
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(
        body["error_description"],
        "Client Certification missing for MTLS HoK Token Binding"
    );

    // self_signed_tls_client_auth: the certificate's key registered on the Keys tab.
    pki.self_signed("selfie", "/CN=selfie");
    let selfie = new_client(&mut a, "selfie").await;
    import_certificate(&mut a, &selfie, pki, "selfie").await;
    let r = set_x509(
        &mut a,
        &selfie,
        "self-signed-tls-client-auth",
        "",
        false,
        "",
        true,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (status, body) = curl_token(pki, &url, Some("selfie"), &[GRANT, "client_id=selfie"]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["cnf"]["x5t#S256"],
        pki.x5t("selfie")
    );
    // A certificate whose key is not registered (even one a trusted CA issued).
    let (status, _) = curl_token(pki, &url, Some("billing"), &[GRANT, "client_id=selfie"]);
    assert_eq!(status, 401);
    let got = reasons(&k.app, &selfie).await;
    assert!(
        got.iter().any(|r| r
            == "self_signed_tls_client_auth: the certificate's public key is not one of the client's registered, active keys"),
        "{got:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn both_methods_and_bound_tokens_on_sqlite() {
    let pki = Pki::new();
    let k = start(&pki, None).await;
    both_methods(&pki, &k).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn both_methods_and_bound_tokens_on_postgres() {
    let pg = PgCluster::start().expect("PostgreSQL 15 is required for this test");
    let pki = Pki::new();
    let k = start(&pki, Some(pg.url())).await;
    both_methods(&pki, &k).await;
}

/// Every bad certificate gives the caller invalid_client and the operator the exact reason.
#[tokio::test(flavor = "multi_thread")]
async fn bad_certificates_are_refused_with_their_reason() {
    let pki = Pki::new();
    let k = start(&pki, None).await;
    let mut a = admin(&k.app).await;
    let id = billing_x509(&mut a, false).await;
    pki.issue(
        "expired",
        "/O=Acme/CN=billing",
        "ca",
        "extendedKeyUsage=clientAuth\n",
        "-1",
        "ec",
    );
    pki.client("foreign", "/O=Acme/CN=billing", "other-ca");
    pki.client("reordered", "/CN=billing/O=Acme", "ca");
    pki.client("payroll", "/O=Acme/CN=payroll", "ca");
    pki.issue(
        "weak",
        "/O=Acme/CN=billing",
        "ca",
        "extendedKeyUsage=clientAuth\n",
        "1",
        "rsa1024",
    );
    let url = k.token_url();
    for (cert, reason) in [
        ("expired", "the client certificate expired at"),
        ("foreign", "does not chain to a trusted CA"),
        ("reordered", "does not match the client's"),
        ("payroll", "\"CN=payroll,O=Acme\" does not match"),
    ] {
        let (status, body) = curl_token(&pki, &url, Some(cert), &[GRANT, "client_id=billing"]);
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client")),
            "{cert}: {body}"
        );
        let got = reasons(&k.app, &id).await;
        assert!(
            got.first().is_some_and(|r| r.contains(reason)),
            "{cert}: expected {reason:?} first in {got:?}"
        );
    }
    // An RSA key under 2048 bits: OpenSSL's client will not even present it, a proxy might
    // (here the trusted proxy's forwarded header carries it).
    let status = with_forwarded_header(&k, "127.0.0.1", &escaped_pem(&pki, "weak")).await;
    assert_eq!(status, 401);
    let got = reasons(&k.app, &id).await;
    assert!(
        got.first()
            .is_some_and(|r| r.contains("RSA key has 1024 bits")),
        "{got:?}"
    );

    // A regular expression that does not compile is refused when saved; nothing changes.
    let before = a
        .call("get_credentials", &[("realm", "master"), ("id", &id)])
        .await
        .json();
    let r = set_x509(&mut a, &id, "client-x509", "CN=(billing", true, "", false).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("does not compile"), "{}", r.body);
    for (dn, san, expected) in [
        ("not a dn", "", "subject DN"),
        ("", "", "needs the subject DN"),
        ("CN=billing", "ftp:x", "subject alternative name"),
        ("CN=billing", "ip:999.1.1.1", "not an IP address"),
    ] {
        let r = set_x509(&mut a, &id, "client-x509", dn, false, san, false).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{dn} {san}: {}", r.body);
        assert!(r.body.contains(expected), "{dn} {san}: {}", r.body);
    }
    let after = a
        .call("get_credentials", &[("realm", "master"), ("id", &id)])
        .await
        .json();
    assert_eq!(before["version"], after["version"]);
    assert_eq!(after["attributes"]["x509.subjectdn"], "CN=billing,O=Acme");
    // A regular expression, anchored: the whole subject must match.
    let r = set_x509(
        &mut a,
        &id,
        "client-x509",
        "CN=bill[a-z]+,O=Acme",
        true,
        "",
        false,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    pki.client("billing", "/O=Acme/CN=billing", "ca");
    let (status, body) = curl_token(&pki, &url, Some("billing"), &[GRANT, "client_id=billing"]);
    assert_eq!(status, 200, "{body}");

    // Discovery names the mTLS aliases and the methods.
    let d: Value = reqwest::get(format!(
        "{}/realms/master/.well-known/openid-configuration",
        k.base
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        d["mtls_endpoint_aliases"]["token_endpoint"],
        format!("{}/realms/master/protocol/openid-connect/token", k.mtls)
    );
    assert_eq!(d["tls_client_certificate_bound_access_tokens"], true);
    let methods = d["token_endpoint_auth_methods_supported"].to_string();
    assert!(
        methods.contains("\"tls_client_auth\"")
            && methods.contains("\"self_signed_tls_client_auth\""),
        "{methods}"
    );

    // The mTLS listener serves only the OIDC endpoints.
    let o = Command::new("curl")
        .args([
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--cacert",
            s(&pki.path("ca.pem")),
        ])
        .arg(format!("{}/console/master/clients", k.mtls))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), "404");
}

/// Python `requests` with a client certificate (`cert=(pem, key)`), unchanged.
#[tokio::test(flavor = "multi_thread")]
async fn python_requests_with_a_client_certificate() {
    let pki = Pki::new();
    let k = start(&pki, None).await;
    pki.client("billing", "/O=Acme/CN=billing", "ca");
    let mut a = admin(&k.app).await;
    billing_x509(&mut a, true).await;
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../end2end/.venv/bin/python");
    let script = r#"
import json, sys, requests
url, ca, cert, key = sys.argv[1:5]
r = requests.post(url, data={"grant_type": "client_credentials", "client_id": "billing"},
                  cert=(cert, key), verify=ca, timeout=10)
print(json.dumps({"status": r.status_code, "body": r.json()}))
"#;
    let o = Command::new(&python)
        .args(["-c", script, &k.token_url()])
        .args([
            pki.path("ca.pem"),
            pki.path("billing.pem"),
            pki.path("billing.key"),
        ])
        .output()
        .expect("end2end/.venv/bin/python (scripts/tools.sh installs it)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(out["status"], 200, "{out}");
    let token = out["body"]["access_token"].as_str().unwrap();
    assert_eq!(claims(token)["cnf"]["x5t#S256"], pki.x5t("billing"));
}

/// A client certificate resolver that always offers one fixed certificate and signing key.
#[derive(Debug)]
struct Fixed(Arc<rustls::sign::CertifiedKey>);

impl rustls::client::ResolvesClientCert for Fixed {
    fn resolve(
        &self,
        _: &[&[u8]],
        _: &[rustls::SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// A token request over rustls presenting `cert` with the private key `key` (which need not
/// be the certificate's); the raw HTTP answer, or the error that ended the connection.
async fn rustls_token(pki: &Pki, k: &Mtls, cert: &str, key: &str) -> Result<String, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(pki.path("ca.pem")).unwrap())
        .unwrap();
    let chain = vec![CertificateDer::from_pem_file(pki.path(&format!("{cert}.pem"))).unwrap()];
    let signing = provider
        .key_provider
        .load_private_key(PrivateKeyDer::from_pem_file(pki.path(&format!("{key}.key"))).unwrap())
        .unwrap();
    let certified = Arc::new(rustls::sign::CertifiedKey::new(chain, signing));
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_cert_resolver(Arc::new(Fixed(certified)));
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let port: u16 = k.mtls.rsplit(':').next().unwrap().parse().unwrap();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let io = async move {
        let mut tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| e.to_string())?;
        let body = "grant_type=client_credentials&client_id=billing";
        let req = format!(
            "POST /realms/master/protocol/openid-connect/token HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        );
        tls.write_all(req.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        tls.read_to_end(&mut out).await.map_err(|e| e.to_string())?;
        Ok(String::from_utf8_lossy(&out).to_string())
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), io)
        .await
        .unwrap_or_else(|_| Err("timed out".into()))
}

/// The proof of possession is the handshake: a certificate presented with another key (as a
/// stolen certificate would be) ends the handshake; the same client with the certificate's own
/// key gets its token, so the check can fail.
#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_presented_without_its_key_fails() {
    let pki = Pki::new();
    let k = start(&pki, None).await;
    pki.client("billing", "/O=Acme/CN=billing", "ca");
    pki.client("thief", "/O=Evil/CN=thief", "ca");
    let mut a = admin(&k.app).await;
    billing_x509(&mut a, false).await;
    let ok = rustls_token(&pki, &k, "billing", "billing").await.unwrap();
    assert!(
        ok.starts_with("HTTP/1.1 200") && ok.contains("access_token"),
        "{ok}"
    );
    let stolen = rustls_token(&pki, &k, "billing", "thief").await;
    match stolen {
        Err(e) => assert!(
            e.contains("DecryptError")
                || e.contains("alert")
                || e.contains("reset")
                || e.contains("eof"),
            "{e}"
        ),
        Ok(answer) => assert!(
            !answer.contains("access_token") && !answer.starts_with("HTTP/1.1 200"),
            "a certificate without its key got: {answer}"
        ),
    }
}

/// nginx terminating mTLS on loopback (any client certificate requested, possession proven by
/// the handshake, `optional_no_ca`) and forwarding it to `upstream` in `ssl-client-cert`.
async fn nginx_mtls_in_front_of(pki: &Pki, upstream: &str) -> Nginx {
    let (cert, key) = (pki.path("server.pem"), pki.path("server.key"));
    let upstream = upstream.to_string();
    Nginx::start(move |port| {
        format!(
            "    listen 127.0.0.1:{port} ssl;\n\
             ssl_certificate {cert};\n    ssl_certificate_key {key};\n\
             ssl_verify_client optional_no_ca;\n\
             location / {{\n\
               proxy_pass {upstream};\n\
               proxy_set_header ssl-client-cert $ssl_client_escaped_cert;\n\
               proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n    }}",
            cert = cert.display(),
            key = key.display(),
        )
    })
    .await
}

/// Behind nginx: the forwarded certificate authenticates both methods and binds tokens; the
/// same header sent by anyone but the trusted proxy is ignored, and the operator sees why.
#[tokio::test(flavor = "multi_thread")]
async fn behind_nginx_the_forwarded_certificate_authenticates_and_a_forged_one_does_not() {
    let pki = Pki::new();
    let k = start(&pki, None).await;
    let nginx = nginx_mtls_in_front_of(&pki, &k.base).await;
    pki.client("billing", "/O=Acme/CN=billing", "ca");
    pki.self_signed("selfie", "/CN=selfie");
    let mut a = admin(&k.app).await;
    let billing = new_client(&mut a, "billing").await;
    let r = set_x509(
        &mut a,
        &billing,
        "client-x509",
        "CN=billing,O=Acme",
        false,
        "dns:billing.acme.test",
        true,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let url = format!(
        "https://127.0.0.1:{}/realms/master/protocol/openid-connect/token",
        nginx.port
    );
    let (status, body) = curl_token(&pki, &url, Some("billing"), &[GRANT, "client_id=billing"]);
    assert_eq!(status, 200, "through nginx: {body}");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["cnf"]["x5t#S256"],
        pki.x5t("billing")
    );
    // nginx forwards an empty header when the client sent no certificate.
    let (status, _) = curl_token(&pki, &url, None, &[GRANT, "client_id=billing"]);
    assert_eq!(status, 401);

    // self_signed_tls_client_auth through nginx.
    let selfie = new_client(&mut a, "selfie").await;
    import_certificate(&mut a, &selfie, &pki, "selfie").await;
    let r = set_x509(
        &mut a,
        &selfie,
        "self-signed-tls-client-auth",
        "",
        false,
        "",
        false,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (status, body) = curl_token(&pki, &url, Some("selfie"), &[GRANT, "client_id=selfie"]);
    assert_eq!(status, 200, "{body}");

    // The header straight from a peer that is not the proxy: ignored, logged, and the reason.
    let status = with_forwarded_header(&k, "127.0.0.66", &escaped_pem(&pki, "billing")).await;
    assert_eq!(status, 401);
    let got = reasons(&k.app, &billing).await;
    assert!(
        got.first()
            .is_some_and(|r| r.contains("came from 127.0.0.66, which is not a trusted proxy")),
        "{got:?}"
    );
    // A malformed header from the trusted proxy is refused with its reason (nginx is the only
    // peer on 127.0.0.1 in production; here the test plays it).
    let status = with_forwarded_header(&k, "127.0.0.1", "%ZZnot-a-certificate").await;
    assert_eq!(status, 401);
    let got = reasons(&k.app, &billing).await;
    assert!(
        got.first()
            .is_some_and(|r| r.contains("forwarded certificate header")),
        "{got:?}"
    );
}

/// The Admin REST API reads and writes Keycloak's attribute names, with the console's rules.
#[tokio::test(flavor = "multi_thread")]
async fn admin_rest_uses_keycloaks_attributes() {
    let pki = Pki::new();
    let k = start(&pki, None).await;
    let mut a = admin(&k.app).await;
    let id = new_client(&mut a, "billing").await;
    let path = format!("/admin/realms/master/clients/{id}");
    let put = |body: Value| {
        axum::http::Request::builder()
            .method("PUT")
            .uri(path.clone())
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body.to_string()))
            .unwrap()
    };
    let csrf = a.csrf.clone();
    let mut req = put(serde_json::json!({
        "clientAuthenticatorType": "client-x509",
        "attributes": {
            "x509.subjectdn": "CN=billing,O=Acme",
            "x509.allow.regex.pattern.comparison": "false",
            "tls.client.certificate.bound.access.tokens": "true",
        }
    }));
    req.headers_mut()
        .insert("x-csrf-token", csrf.parse().unwrap());
    let r = a.send(req).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let rep = a.get(&path).await.json();
    assert_eq!(rep["clientAuthenticatorType"], "client-x509");
    assert_eq!(rep["attributes"]["x509.subjectdn"], "CN=billing,O=Acme");
    assert_eq!(
        rep["attributes"]["x509.allow.regex.pattern.comparison"],
        "false"
    );
    assert_eq!(
        rep["attributes"]["tls.client.certificate.bound.access.tokens"],
        "true"
    );
    // The console's refusals, from the API: a regex that does not compile, a bad flag.
    for (attributes, expected) in [
        (
            serde_json::json!({"x509.subjectdn": "CN=(", "x509.allow.regex.pattern.comparison": "true"}),
            "does not compile",
        ),
        (
            serde_json::json!({"tls.client.certificate.bound.access.tokens": "yes"}),
            "must be \\\"true\\\" or \\\"false\\\"",
        ),
    ] {
        let mut req = put(serde_json::json!({ "attributes": attributes }));
        req.headers_mut()
            .insert("x-csrf-token", csrf.parse().unwrap());
        let r = a.send(req).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert!(r.body.contains(expected), "{expected}: {}", r.body);
    }
    let again = a.get(&path).await.json();
    assert_eq!(again["attributes"], rep["attributes"], "nothing changed");
}
