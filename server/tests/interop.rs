//! Interop with OAuth client libraries Keyward did not write, against the real server:
//! `openid-client` (npm) with client_secret_basic, client_secret_post, client_secret_jwt and
//! private_key_jwt through the discovery document, and Authlib (PyPI) with client_secret_basic
//! and private_key_jwt. The private key comes from a keystore Keyward generated itself.
//! `scripts/tools.sh` installs both libraries (end2end/node_modules, end2end/.venv).

mod common;

use std::path::PathBuf;
use std::process::Command;

use axum::http::StatusCode;
use base64::Engine;
use common::*;

fn end2end() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../end2end")
}

fn run(program: &str, args: &[&str]) -> serde_json::Value {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}); run `source scripts/tools.sh` to install the interop clients"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{program}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

async fn client(a: &mut Client, client_id: &str, method: &str, alg: &str) -> String {
    let id = new_client(a, client_id).await;
    set_method(a, &id, method, alg).await;
    id
}

/// Generates an RSA-2048 PKCS12 for the client in the console and returns its private key as
/// PKCS#8 PEM (extracted by openssl, as an operator would).
async fn keystore_private_key(a: &mut Client, id: &str, dir: &std::path::Path) -> PathBuf {
    let password = "interop-store-password";
    let r = a
        .change(
            "generate_keystore",
            &[
                ("realm", "master"),
                ("id", id),
                ("format", "PKCS12"),
                ("algorithm", "RSA-2048"),
                ("alias", "interop"),
                ("store_password", password),
                ("store_password_confirm", password),
                ("key_password", ""),
                ("key_password_confirm", ""),
                ("validity_years", "1"),
                ("include_passwords", "false"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let p12 = base64::engine::general_purpose::STANDARD
        .decode(r.json()["keystore"].as_str().unwrap())
        .unwrap();
    let p12_path = dir.join("client.p12");
    std::fs::write(&p12_path, p12).unwrap();
    let pem_path = dir.join("client-key.pem");
    let out = Command::new("openssl")
        .args(["pkcs12", "-in"])
        .arg(&p12_path)
        .args(["-nocerts", "-nodes", "-passin"])
        .arg(format!("pass:{password}"))
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let start = text
        .find("-----BEGIN PRIVATE KEY-----")
        .expect("a PKCS#8 key");
    std::fs::write(&pem_path, &text[start..]).unwrap();
    pem_path
}

#[tokio::test(flavor = "multi_thread")]
async fn openid_client_and_authlib_get_tokens() {
    let l = live().await;
    let mut a = admin(&l.app).await;
    let dir = tempfile::tempdir().unwrap();
    let basic = client(&mut a, "oc-basic", "client-secret", "").await;
    let basic_secret = new_secret(&mut a, &basic, "0").await;
    let sjwt = client(&mut a, "oc-secret-jwt", "client-secret-jwt", "HS256").await;
    let sjwt_secret = new_secret(&mut a, &sjwt, "0").await;
    let pk = client(&mut a, "oc-private-key-jwt", "client-jwt", "RS256").await;
    let key = keystore_private_key(&mut a, &pk, dir.path()).await;
    let key = key.to_str().unwrap();
    let issuer = format!("{}/realms/master", l.base);

    let script = end2end().join("interop/openid_client.mjs");
    let script = script.to_str().unwrap();
    for (method, client_id, credential) in [
        ("client_secret_basic", "oc-basic", basic_secret.as_str()),
        ("client_secret_post", "oc-basic", basic_secret.as_str()),
        ("client_secret_jwt", "oc-secret-jwt", sjwt_secret.as_str()),
        ("private_key_jwt", "oc-private-key-jwt", key),
    ] {
        // client_secret_post needs a client configured for it: client-secret accepts both.
        let out = tokio::task::spawn_blocking({
            let (script, issuer, method, client_id, credential) = (
                script.to_string(),
                issuer.clone(),
                method.to_string(),
                client_id.to_string(),
                credential.to_string(),
            );
            move || {
                run(
                    "node",
                    &[&script, &issuer, &method, &client_id, &credential, "RS256"],
                )
            }
        })
        .await
        .unwrap();
        assert_eq!(
            out["token_type"].as_str().map(str::to_lowercase).as_deref(),
            Some("bearer"),
            "{method}: {out}"
        );
        assert!(
            out["access_token"].as_str().unwrap().split('.').count() == 3,
            "{method}: {out}"
        );
    }

    let python = end2end().join(".venv/bin/python");
    let python = python.to_str().unwrap();
    let script = end2end().join("interop/authlib_client.py");
    let script = script.to_str().unwrap();
    let token_endpoint = l.token_url();
    for (method, client_id, credential) in [
        ("client_secret_basic", "oc-basic", basic_secret.as_str()),
        ("private_key_jwt", "oc-private-key-jwt", key),
        // A second assertion from the same library: a fresh jti, accepted.
        ("private_key_jwt", "oc-private-key-jwt", key),
    ] {
        let out = tokio::task::spawn_blocking({
            let (python, script, te, method, client_id, credential) = (
                python.to_string(),
                script.to_string(),
                token_endpoint.clone(),
                method.to_string(),
                client_id.to_string(),
                credential.to_string(),
            );
            move || {
                run(
                    &python,
                    &[&script, &te, &method, &client_id, &credential, "RS256"],
                )
            }
        })
        .await
        .unwrap();
        assert_eq!(
            out["token_type"].as_str().map(str::to_lowercase).as_deref(),
            Some("bearer"),
            "{method}: {out}"
        );
    }
}
