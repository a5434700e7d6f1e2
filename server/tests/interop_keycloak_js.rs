//! Keycloak's own TypeScript admin client (npm `@keycloak/keycloak-admin-client`, the library
//! Keycloak's admin console is built on) against a live Keyward, unchanged (issue 18): the
//! automation flow of `end2end/interop/keycloak_admin_client.mjs` (auth with client_credentials
//! from master; realm; client; search by clientId; regenerate the secret and use it at the token
//! endpoint; rotated secret read and invalidated; installation provider; switch to client-jwt;
//! generate key, upload a certificate twice, key info, generate-and-download a PKCS12; admin
//! events; delete) and its errors (duplicate 409, unknown client and realm 404 in JSON, wrong
//! credentials 401, unknown fields ignored). The library sends `/admin/realms/` and
//! `/admin/realms/{realm}/clients/` with a trailing slash. `scripts/tools.sh` installs it
//! (end2end/node_modules; the exact version is in end2end/package.json).

mod common;

use std::path::PathBuf;
use std::process::Command;

use base64::Engine as _;
use common::*;
use serde_json::Value;

const ADMIN_ID: &str = "js-ci-admin";
const ADMIN_SECRET: &str = "js-ci-admin-secret-0123456789";

fn end2end() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../end2end")
}

/// The library's version as installed (what this run tested).
fn library_version() -> String {
    let path = end2end().join("node_modules/@keycloak/keycloak-admin-client/package.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{} ({e}): run `source scripts/tools.sh` to install it",
            path.display()
        )
    });
    let package: Value = serde_json::from_str(&text).unwrap();
    package["version"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn keycloak_admin_client_runs_unchanged() {
    let version = library_version();
    let pinned: Value =
        serde_json::from_str(&std::fs::read_to_string(end2end().join("package.json")).unwrap())
            .unwrap();
    assert_eq!(
        pinned["devDependencies"]["@keycloak/keycloak-admin-client"].as_str(),
        Some(version.as_str()),
        "end2end/node_modules holds another version than package.json pins: run `npm ci` in end2end/"
    );
    assert!(version.starts_with("26."), "the 26.x line: {version}");

    let l = live_with(|c| {
        c.bootstrap_admin_client_id = Some(ADMIN_ID.into());
        c.bootstrap_admin_client_secret = Some(ADMIN_SECRET.into());
    })
    .await;
    let script = end2end().join("interop/keycloak_admin_client.mjs");
    let cert = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../credentials/tests/fixtures/keys/billing-cert.pem");
    let base = l.base.clone();
    let out = tokio::task::spawn_blocking({
        let cert = cert.clone();
        move || {
            Command::new("node")
                .arg(&script)
                .args([&base, ADMIN_ID, ADMIN_SECRET])
                .arg(&cert)
                .current_dir(end2end())
                .output()
                .unwrap_or_else(|e| panic!("cannot run node ({e}); run `source scripts/tools.sh`"))
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "@keycloak/keycloak-admin-client {version} failed (stderr: each step, and every request \
         the library sent with Keyward's status):\n{stderr}\n{stdout}"
    );
    let o: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));

    assert_eq!(o["version"], version.as_str());
    // Errors: wrong credentials at auth, the same clientId twice.
    assert_eq!(o["wrong_credentials"], 401, "{o}");
    assert_eq!(o["authenticated"], true);
    assert_eq!(o["duplicate"], 409, "{o}");

    // Realm and client, found by clientId; unknown fields were ignored (the script checks that
    // they are absent from what is read back).
    assert!(o["realms_listed"]
        .as_array()
        .unwrap()
        .contains(&Value::from("master")));
    assert_eq!(o["realm"]["realm"], "kjs-realm");
    assert_eq!(o["realm"]["displayName"], "From keycloak-admin-client");
    assert_eq!(o["found_id"], o["client_uuid"]);
    assert_eq!(o["client"]["clientId"], "kjs-client");
    assert_eq!(o["client"]["clientAuthenticatorType"], "client-secret");

    // Secrets: the regenerated one works at the token endpoint; the rotated one overlaps until
    // invalidated; GET client-secret does not show a value (the realm does not allow reveal).
    assert!(o["regenerated_len"].as_u64().unwrap() >= 32, "{o}");
    assert_eq!(o["token_status"], 200);
    assert_eq!(o["token_type"], "Bearer");
    assert_eq!(o["secret_type"], "secret");
    assert_eq!(o["secret_value_shown"], false);
    assert_eq!(o["previous_secret_after_regenerate"], 200);
    assert_eq!(o["rotated_before"], 200);
    assert_eq!(o["invalidated"], true);
    assert_eq!(o["rotated_after"], 404);
    assert_eq!(o["previous_secret_after_invalidate"], 401);

    // keycloak.json from the installation provider.
    let inst = &o["installation"];
    assert_eq!(inst["resource"], "kjs-client");
    assert_eq!(inst["realm"], "kjs-realm");
    assert_eq!(inst["auth-server-url"], format!("{}/", l.base));

    // client-jwt, keys and certificates.
    assert_eq!(o["after_update"]["clientAuthenticatorType"], "client-jwt");
    assert_eq!(o["after_update"]["alg"], "RS256");
    assert!(o["generated_certificate_len"].as_u64().unwrap() > 100);
    assert_eq!(
        o["generated_private_key"], false,
        "Keyward never returns a private key"
    );
    let pem = std::fs::read_to_string(&cert).unwrap();
    let der_b64: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    assert_eq!(o["uploaded_certificate"], der_b64.as_str());
    assert_eq!(o["uploaded_twice"], true);
    assert_eq!(o["key_info_is_uploaded"], true);
    // The downloaded keystore's key authenticates the client (signed as Keycloak's adapter
    // signs, with its kid) until a certificate is uploaded: in Keycloak, generate,
    // generate-and-download and upload-certificate each replace the client's one
    // jwt.credential certificate, so the previous key no longer authenticates it.
    assert_eq!(o["keystore_token_status"], 200, "{o}");
    assert_eq!(
        o["replaced_key_token_status"], 401,
        "the key replaced by upload-certificate still authenticates the client: {o}"
    );

    // The PKCS12 from generate-and-download: openssl opens it with the password the library
    // sent, and its certificate is the one getKeyInfo shows.
    let dir = tempfile::tempdir().unwrap();
    let p12 = dir.path().join("kjs-client.p12");
    std::fs::write(
        &p12,
        base64::engine::general_purpose::STANDARD
            .decode(o["keystore_b64"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let check = Command::new("openssl")
        .args(["pkcs12", "-in"])
        .arg(&p12)
        .args(["-passin", "pass:changeit-kjs", "-nokeys", "-clcerts"])
        .output()
        .expect("openssl");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let certs = String::from_utf8_lossy(&check.stdout);
    let in_store: String = certs
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END CERTIFICATE"))
        .collect::<Vec<_>>()
        .concat();
    assert_eq!(o["keystore_certificate"], in_store.as_str(), "{certs}");
    let keys = Command::new("openssl")
        .args(["pkcs12", "-in"])
        .arg(&p12)
        .args(["-passin", "pass:changeit-kjs", "-nocerts", "-nodes"])
        .output()
        .expect("openssl");
    assert!(String::from_utf8_lossy(&keys.stdout).contains("BEGIN PRIVATE KEY"));

    // Admin events, with Keycloak's fields.
    assert!(o["events"].as_u64().unwrap() > 0);
    let ops = o["event_operations"].as_array().unwrap();
    for op in ["CREATE", "UPDATE", "DELETE", "ACTION"] {
        assert!(ops.contains(&Value::from(op)), "{op} in {ops:?}");
    }
    let fields = o["event_fields"].as_array().unwrap();
    for f in [
        "time",
        "realmId",
        "authDetails",
        "operationType",
        "resourceType",
        "resourcePath",
    ] {
        assert!(fields.contains(&Value::from(f)), "{f} in {fields:?}");
    }
    assert!(o["events_several_types"].as_u64().unwrap() > 0);

    // Not found: an unknown client (findOne null, others 404 JSON), an unknown realm.
    assert_eq!(o["unknown_client"], 404);
    assert!(o["unknown_client_body"].is_object(), "{o}");
    assert_eq!(o["unknown_realm"], 404);
    assert!(o["unknown_realm_body"].is_object(), "{o}");

    // Deleted: the client (its secret no longer works) and the realm.
    assert_eq!(o["after_delete"], 404);
    assert_eq!(o["realm_after_delete"], 404);
}
