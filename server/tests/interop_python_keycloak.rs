//! python-keycloak (PyPI `python-keycloak`, the Python library automation scripts use for
//! Keycloak's Admin REST API) against a live Keyward, unchanged: the automation flow of
//! `end2end/interop/python_keycloak_admin.py`, the same as the TypeScript suite's
//! (`interop_keycloak_js.rs`): auth with client_credentials from master; realm; client; lookup
//! by clientId; regenerate the secret and use it at the token endpoint with `KeycloakOpenID`
//! (the token verified with the realm's JWKS by the library); rotated secret read and
//! invalidated; installation provider; switch to client-jwt; generate a key, upload a
//! certificate twice, key info, generate-and-download a PKCS12 whose key signs a
//! private_key_jwt assertion; admin events filtered by operation type; delete. And its errors:
//! wrong credentials 401, duplicate realm and client 409, an unknown client, a client of another
//! realm and an unknown realm 404 in JSON, a body that is not JSON 400 in JSON (nothing
//! created), unknown fields ignored, a trailing slash accepted. `scripts/tools.sh` installs the
//! library in end2end/.venv from `end2end/interop/requirements.txt`, which pins its version.

mod common;

use std::path::PathBuf;
use std::process::Command;

use base64::Engine as _;
use common::*;
use serde_json::Value;

const ADMIN_ID: &str = "py-ci-admin";
const ADMIN_SECRET: &str = "py-ci-admin-secret-0123456789";

/// Every step of the script, in order (the script prints those it completed).
const STEPS: &[&str] = &[
    "auth with a wrong secret → 401",
    "auth (client_credentials, master)",
    "get_realms",
    "create_realm (with an unknown field) → 201; get_realm",
    "create_realm the same realm again → 409",
    "create_client (with an unknown field) → 201",
    "create_client the same clientId again → 409 (skip_exists=True: the existing id)",
    "get_client_id (search by clientId)",
    "get_client",
    "generate_client_secrets; the secret at the token endpoint (KeycloakOpenID.token)",
    "get_client_secrets",
    "rotated secret read (raw_get client-secret/rotated) and invalidated (raw_delete)",
    "get_client_installation_provider keycloak-oidc-keycloak-json",
    "update_client → client-jwt (the representation read back, changed, sent)",
    "generate a key (raw_post certificates/jwt.credential/generate)",
    "upload_certificate (Certificate PEM)",
    "upload_certificate the same certificate again → 200, one key registered",
    "get_client_certificate_key_info",
    "generate-and-download a PKCS12 (raw_post); its key signs a private_key_jwt → token",
    "get_admin_events (operationTypes)",
    "get_client of an unknown id → 404 JSON",
    "a client id from another realm (master's admin client) → 404",
    "an unknown realm → 404 JSON",
    "a body that is not JSON (raw_post) → 400 JSON, nothing created",
    "a trailing slash on a path (raw_get …/clients/) → 200 list",
    "delete_client → get_client 404",
    "delete_realm → get_realm 404",
];

fn end2end() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../end2end")
}

/// The version `end2end/interop/requirements.txt` pins (`python-keycloak==X`), which
/// `scripts/tools.sh` installs.
fn pinned_version() -> String {
    let path = end2end().join("interop/requirements.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .find_map(|l| l.trim().strip_prefix("python-keycloak=="))
        .unwrap_or_else(|| panic!("{} pins no python-keycloak version", path.display()))
        .trim()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn python_keycloak_runs_the_automation_flow_unchanged() {
    let pinned = pinned_version();
    let l = live_with(|c| {
        c.bootstrap_admin_client_id = Some(ADMIN_ID.into());
        c.bootstrap_admin_client_secret = Some(ADMIN_SECRET.into());
    })
    .await;
    let python = end2end().join(".venv/bin/python");
    let script = end2end().join("interop/python_keycloak_admin.py");
    let cert = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../credentials/tests/fixtures/keys/billing-cert.pem");
    let base = l.base.clone();
    let out = tokio::task::spawn_blocking({
        let cert = cert.clone();
        move || {
            Command::new(&python)
                .arg(&script)
                .args([&base, ADMIN_ID, ADMIN_SECRET])
                .arg(&cert)
                .output()
                .unwrap_or_else(|e| {
                    panic!("cannot run {python:?} ({e}); run `source scripts/tools.sh`")
                })
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "python-keycloak failed (stderr: each step, and every request the library sent with \
         Keyward's status):\n{stderr}\n{stdout}"
    );
    let o: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));

    assert_eq!(o["library"], "python-keycloak");
    assert_eq!(
        o["version"],
        pinned.as_str(),
        "end2end/.venv holds another python-keycloak than requirements.txt pins: \
         run `source scripts/tools.sh` (or pip install -r end2end/interop/requirements.txt)"
    );
    let steps: Vec<&str> = o["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(steps, STEPS, "{o}");

    // Errors: wrong credentials at auth, the same realm and the same clientId twice.
    assert_eq!(o["wrong_credentials"], 401, "{o}");
    assert_eq!(o["wrong_credentials_error"], "KeycloakAuthenticationError");
    assert_eq!(o["authenticated"], true);
    assert_eq!(o["realm_duplicate"], 409, "{o}");
    assert_eq!(o["duplicate"], 409, "{o}");
    // create_client(skip_exists=True) looks the clientId up first: the existing client.
    assert_eq!(o["skip_exists_id"], o["client_uuid"]);
    // KeycloakOpenID.public_key(): Keycloak's public realm document, the key that signs.
    assert_eq!(o["realm_public_key"], true);

    // Realm and client, found by clientId; unknown fields were ignored (the script checks that
    // they are absent from what is read back).
    assert!(o["realms_listed"]
        .as_array()
        .unwrap()
        .contains(&Value::from("master")));
    assert_eq!(o["realm"]["realm"], "pk-realm");
    assert_eq!(o["realm"]["displayName"], "From python-keycloak");
    assert_eq!(o["client_id_lookup"], o["client_uuid"]);
    assert_eq!(o["client"]["clientId"], "pk-client");
    assert_eq!(o["client"]["clientAuthenticatorType"], "client-secret");
    assert_eq!(o["client"]["publicClient"], false);

    // Secrets: the regenerated one works at the token endpoint (KeycloakOpenID.token, the
    // secret in the body) and the library verifies the token with the realm's JWKS; the rotated
    // one overlaps until invalidated; GET client-secret shows no value (no reveal in the realm).
    assert!(o["regenerated_len"].as_u64().unwrap() >= 32, "{o}");
    assert_eq!(o["token_status"], 200);
    assert_eq!(o["token_type"], "Bearer");
    assert_eq!(o["token_verified"], true);
    assert_eq!(
        o["token_issuer"],
        format!("{}/realms/pk-realm", l.base).as_str()
    );
    assert_eq!(o["secret_type"], "secret");
    assert_eq!(o["secret_value_shown"], false);
    assert_eq!(o["previous_secret_after_regenerate"], 200);
    assert_eq!(o["rotated_before"], 200);
    assert_eq!(o["invalidated"], true);
    assert_eq!(o["rotated_after"], 404);
    assert_eq!(o["previous_secret_after_invalidate"], 401);

    // keycloak.json from the installation provider.
    let inst = &o["installation"];
    assert_eq!(inst["resource"], "pk-client");
    assert_eq!(inst["realm"], "pk-realm");
    assert_eq!(inst["auth-server-url"], format!("{}/", l.base));

    // client-jwt: the secret no longer authenticates the client.
    assert_eq!(o["after_update"]["clientAuthenticatorType"], "client-jwt");
    assert_eq!(o["after_update"]["alg"], "RS256");
    assert_eq!(o["secret_after_client_jwt"], 401, "{o}");

    // Keys and certificates: generate (no private key returned), the fixture uploaded twice
    // (one key, the only active one), key info shows it.
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
    assert_eq!(o["uploaded_keys"], 1);
    assert_eq!(o["active_keys"], 1);
    assert_eq!(o["key_info_is_uploaded"], true);

    // generate-and-download: a PKCS12 (DER SEQUENCE) whose key, signing a private_key_jwt
    // assertion as Keycloak's adapter does (RS256, kid of the SPKI), obtains a token; the same
    // assertion again is a replay, refused.
    assert_eq!(o["keystore_status"], 200);
    assert_eq!(o["keystore_head"], "3082");
    assert_eq!(o["keystore_token_status"], 200, "{o}");
    assert_eq!(o["keystore_token_type"], "Bearer");
    let replay = o["replayed_assertion"].as_u64().unwrap();
    assert!(
        replay == 400 || replay == 401,
        "replayed assertion: {replay}"
    );

    // openssl opens the keystore with the password the script sent; its certificate is the one
    // key info showed, and it holds the private key.
    let dir = tempfile::tempdir().unwrap();
    let p12 = dir.path().join("pk-client.p12");
    std::fs::write(
        &p12,
        base64::engine::general_purpose::STANDARD
            .decode(o["keystore_b64"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let openssl = |args: &[&str]| {
        let r = Command::new("openssl")
            .args(["pkcs12", "-in"])
            .arg(&p12)
            .args(["-passin", "pass:changeit-pk"])
            .args(args)
            .output()
            .expect("openssl");
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        String::from_utf8_lossy(&r.stdout).into_owned()
    };
    let certs = openssl(&["-nokeys", "-clcerts"]);
    let in_store: String = certs
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END CERTIFICATE"))
        .collect::<Vec<_>>()
        .concat();
    assert_eq!(o["keystore_certificate"], in_store.as_str(), "{certs}");
    assert!(openssl(&["-nocerts", "-nodes"]).contains("BEGIN PRIVATE KEY"));

    // Admin events filtered by operation type (one value, then a repeated parameter), with the
    // client's creation and Keycloak's fields; an unknown type is a 400.
    assert!(o["events"].as_u64().unwrap() > 0);
    assert_eq!(o["client_created_event"], true);
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
    assert_eq!(
        o["event_operations_several"],
        serde_json::json!(["CREATE", "UPDATE"])
    );
    assert_eq!(o["events_bad_type"], 400);

    // Not found, in JSON: an unknown client, a client of another realm, an unknown realm.
    assert_eq!(o["unknown_client"], 404);
    assert!(o["unknown_client_body"].is_object(), "{o}");
    assert_eq!(o["other_realm_client"], 404);
    assert_eq!(o["unknown_realm"], 404);
    assert!(o["unknown_realm_body"].is_object(), "{o}");
    // A body that is not JSON: 400 in JSON (the script checks that nothing was created).
    assert_eq!(o["not_json"], 400);
    assert!(o["not_json_body"].is_object(), "{o}");
    assert_eq!(o["trailing_slash"], 200);

    // Deleted: the client (its secret no longer works) and the realm.
    assert_eq!(o["after_delete"], 404);
    assert_eq!(o["secret_after_delete"], 401);
    assert_eq!(o["realm_after_delete"], 404);
}
