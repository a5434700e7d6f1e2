//! HTTPS on `KEYWARD_BIND` (issue 20 §1): the certificate pair from `KEYWARD_TLS_CERT` /
//! `KEYWARD_TLS_KEY`, served to `curl`, replaced on disk and picked up without a restart; a
//! broken replacement leaves the previous pair in service. Certificates made by OpenSSL.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// A CA in `dir` (`ca.pem`, `ca.key`).
fn make_ca(dir: &Path) {
    let (key, cert) = (dir.join("ca.key"), dir.join("ca.pem"));
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
        "/CN=Keyward test CA",
        "-keyout",
        key.to_str().unwrap(),
        "-out",
        cert.to_str().unwrap(),
    ]);
}

/// A server certificate for 127.0.0.1 named `cn`, signed by the CA, written to `cert` / `key`
/// through temporary files renamed into place (as a certificate manager does).
fn make_server_cert(dir: &Path, cn: &str, cert: &Path, key: &Path) {
    let (tmp_key, csr, tmp_cert, ext) = (
        dir.join("new.key"),
        dir.join("new.csr"),
        dir.join("new.pem"),
        dir.join("ext.cnf"),
    );
    std::fs::write(
        &ext,
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        &format!("/CN={cn}"),
        "-keyout",
        tmp_key.to_str().unwrap(),
        "-out",
        csr.to_str().unwrap(),
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        csr.to_str().unwrap(),
        "-days",
        "1",
        "-CA",
        dir.join("ca.pem").to_str().unwrap(),
        "-CAkey",
        dir.join("ca.key").to_str().unwrap(),
        "-CAcreateserial",
        "-extfile",
        ext.to_str().unwrap(),
        "-out",
        tmp_cert.to_str().unwrap(),
    ]);
    std::fs::rename(&tmp_key, key).unwrap();
    std::fs::rename(&tmp_cert, cert).unwrap();
}

/// `curl -v` of `url` trusting only the test CA: (status line's code, body, verbose output).
fn curl(ca: &Path, url: &str, http2: bool) -> (String, String, String) {
    let mut cmd = Command::new("curl");
    cmd.args([
        "-sS",
        "-v",
        "--max-time",
        "10",
        "--cacert",
        ca.to_str().unwrap(),
    ]);
    if http2 {
        cmd.arg("--http2");
    }
    let o = cmd
        .args(["-w", "\n%{http_code}", url])
        .output()
        .expect("curl");
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let (body, code) = out.rsplit_once('\n').unwrap_or(("", ""));
    (
        code.to_string(),
        body.to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn https_serves_the_configured_pair_and_picks_up_a_replacement() {
    let pki = tempfile::tempdir().unwrap();
    make_ca(pki.path());
    let (cert, key) = (pki.path().join("tls.pem"), pki.path().join("tls.key"));
    make_server_cert(pki.path(), "first", &cert, &key);

    let app = app().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://127.0.0.1:{}/health/live",
        listener.local_addr().unwrap().port()
    );
    let tls = keyward_server::tls::ReloadingCert::load(&cert, &key)
        .unwrap()
        .server_config()
        .unwrap();
    let router = app.keyward.router.clone();
    tokio::spawn(keyward_server::tls::serve(
        listener,
        tls,
        router,
        std::future::pending(),
    ));
    let ca = pki.path().join("ca.pem");

    let ca_for = ca.clone();
    let url_for = url.clone();
    let (code, body, verbose) = tokio::task::spawn_blocking(move || curl(&ca_for, &url_for, false))
        .await
        .unwrap();
    assert_eq!(code, "200", "{verbose}");
    assert!(body.contains("UP"), "{body}");
    assert!(verbose.contains("CN=first"), "{verbose}");
    // HTTP/2 is negotiated by ALPN.
    let (ca_for, url_for) = (ca.clone(), url.clone());
    let (code, _, verbose) = tokio::task::spawn_blocking(move || curl(&ca_for, &url_for, true))
        .await
        .unwrap();
    assert_eq!(code, "200", "{verbose}");
    assert!(verbose.contains("HTTP/2 200"), "{verbose}");

    // A new pair on disk is served after the next check (at most a second), no restart.
    make_server_cert(pki.path(), "second", &cert, &key);
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let (ca_for, url_for) = (ca.clone(), url.clone());
    let (code, _, verbose) = tokio::task::spawn_blocking(move || curl(&ca_for, &url_for, false))
        .await
        .unwrap();
    assert_eq!(code, "200", "{verbose}");
    assert!(verbose.contains("CN=second"), "{verbose}");

    // A broken replacement is refused; the previous pair stays in service.
    std::fs::write(&cert, "not a certificate").unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let (ca_for, url_for) = (ca.clone(), url.clone());
    let (code, _, verbose) = tokio::task::spawn_blocking(move || curl(&ca_for, &url_for, false))
        .await
        .unwrap();
    assert_eq!(code, "200", "{verbose}");
    assert!(verbose.contains("CN=second"), "{verbose}");
}

#[tokio::test]
async fn a_bad_tls_configuration_names_its_setting() {
    let pki = tempfile::tempdir().unwrap();
    make_ca(pki.path());
    let (cert, key) = (pki.path().join("tls.pem"), pki.path().join("tls.key"));
    make_server_cert(pki.path(), "only", &cert, &key);
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(&dir);
    c.tls_cert = Some(cert.clone());
    assert_eq!(c.tls().unwrap_err().setting, "KEYWARD_TLS_CERT");
    // The CA's key does not fit the server certificate.
    let e =
        keyward_server::tls::ReloadingCert::load(&cert, &pki.path().join("ca.key")).unwrap_err();
    assert_eq!(e.setting, "KEYWARD_TLS_KEY", "{e}");
    let e = keyward_server::tls::ReloadingCert::load(&pki.path().join("missing.pem"), &key)
        .unwrap_err();
    assert_eq!(e.setting, "KEYWARD_TLS_CERT", "{e}");
    // With TLS the default public URL is https.
    c.tls_key = Some(key);
    assert!(c.public_url().unwrap().starts_with("https://"));
}
