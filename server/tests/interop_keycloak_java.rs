//! Keycloak's own Java client libraries against a live Keyward, unchanged (issue 18):
//!
//! - `org.keycloak:keycloak-admin-client` runs the full automation flow of the Admin REST API
//!   (`end2end/interop/java/admin-client`, `AdminFlow`);
//! - `org.keycloak:keycloak-authz-client` (the client-side authenticator that reads
//!   `keycloak.json`, providers from `keycloak-client-common-synced`) reads a `keycloak.json`
//!   and a keystore Keyward generated, as downloaded, and obtains a token
//!   (`end2end/interop/java/authz-client`, `AuthzToken`).
//!
//! The Maven project is built once per run (`mvn -q -B package`; `scripts/test` pre-fetches its
//! dependencies with `dependency:go-offline`, so nothing is downloaded here). Needs `mvn` and a
//! JDK 17 on PATH; without them the tests fail rather than skip.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use axum::http::StatusCode;
use base64::Engine as _;
use common::*;
use serde_json::Value;

const ADMIN_ID: &str = "java-ci-admin";
const ADMIN_SECRET: &str = "java-ci-admin-secret-0123456789";

fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../end2end/interop/java")
}

fn text(o: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The class path of each module (`admin-client`, `authz-client`): its jar and its
/// dependencies, from one `mvn package` of the project per test run.
fn classpath(module: &str) -> String {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        // Offline: scripts/test has run `mvn -q -B package` once, which fetched everything.
        let o = Command::new("mvn")
            .args(["-o", "-q", "-B", "package", "-f"])
            .arg(project().join("pom.xml"))
            .output()
            .map_err(|e| {
                format!("cannot run mvn ({e}): install Maven and a JDK 17 (scripts/test does)")
            })?;
        if o.status.success() {
            Ok(())
        } else {
            Err(format!(
                "mvn -o package failed (to fetch the dependencies once, run \
                 `mvn -q -B package -f end2end/interop/java/pom.xml`, as scripts/test does): {}",
                text(&o)
            ))
        }
    });
    if let Err(e) = built {
        panic!("{e}");
    }
    let target = project().join(module).join("target");
    let deps = std::fs::read_to_string(target.join("classpath.txt"))
        .unwrap_or_else(|e| panic!("{module}/target/classpath.txt ({e})"));
    format!(
        "{}:{}",
        target.join(format!("{module}.jar")).display(),
        deps.trim()
    )
}

/// `java -cp CLASSPATH MAIN ARGS…` off the async runtime; the output.
async fn java(classpath: String, main: &'static str, args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new("java")
            .arg("-cp")
            .arg(classpath)
            .arg(main)
            .args(args)
            .env("LC_ALL", "C.UTF-8")
            .output()
            .unwrap_or_else(|e| panic!("cannot run java ({e}): install a JDK 17"))
    })
    .await
    .unwrap()
}

fn json_line(o: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&o.stdout);
    let line = stdout.lines().last().unwrap_or("");
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not one JSON line ({e}): {}", text(o)))
}

#[tokio::test(flavor = "multi_thread")]
async fn keycloak_admin_client_runs_the_full_flow() {
    let l = live_with(|c| {
        c.bootstrap_admin_client_id = Some(ADMIN_ID.into());
        c.bootstrap_admin_client_secret = Some(ADMIN_SECRET.into());
    })
    .await;
    let cert = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../credentials/tests/fixtures/keys/billing-cert.pem");
    let cp = tokio::task::spawn_blocking(|| classpath("admin-client"))
        .await
        .unwrap();
    let mut args = vec![
        l.base.clone(),
        ADMIN_ID.into(),
        ADMIN_SECRET.into(),
        cert.display().to_string(),
    ];
    // KEYWARD_INTEROP_KEEP_GOING=1 runs every step and lists every failure (for diagnosis).
    if std::env::var_os("KEYWARD_INTEROP_KEEP_GOING").is_some() {
        args.push("--keep-going".into());
    }
    let o = java(cp, "dev.keyward.interop.AdminFlow", args).await;
    assert!(
        o.status.success(),
        "keycloak-admin-client flow: {}",
        text(&o)
    );
    let r = json_line(&o);
    assert!(r.get("failed").is_none(), "{r}");
    assert_eq!(
        r["wrong_credentials_401"]["exception"],
        "NotAuthorizedException"
    );
    assert_eq!(r["wrong_credentials_401"]["status"], 401);
    assert_eq!(r["wrong_credentials_resource_call_401"]["status"], 401);
    assert_eq!(r["realm_create_duplicate_409"]["status"], 409);
    assert_eq!(r["client_create_duplicate_409"]["status"], 409);
    assert_eq!(r["client_unknown_id_404"]["status"], 404);
    assert_eq!(r["clients_find_by_client_id"], r["client_create"]);
    assert_eq!(r["token_with_new_secret_200"], 200);
    assert_eq!(r["token_with_invalidated_secret_401"], 401);
    assert_eq!(r["installation_keycloak_json"]["resource"], "java-client");
    assert_eq!(r["client_switch_to_client_jwt"], "client-jwt");
    // The private key of a generated pair never leaves Keyward by `generate` or key info.
    assert_eq!(r["cert_key_info_after_generate"]["has_private_key"], false);
}

/// A client of realm master with this authentication method (and pinned alg, "" for any).
async fn jwt_client(a: &mut Client, client_id: &str, alg: &str) -> String {
    let id = new_client(a, client_id).await;
    set_method(a, &id, "client-jwt", alg).await;
    id
}

/// Generates a keystore for the client in the console with the passwords in the snippet, and
/// writes the download and its `keycloak.json`, as given, into `dir`. Returns the snippet.
async fn download_keystore(
    a: &mut Client,
    id: &str,
    format: &str,
    algorithm: &str,
    passwords: Option<(&str, &str)>,
    dir: &Path,
) -> Value {
    let d = a
        .call("keystore_defaults", &[("realm", "master"), ("id", id)])
        .await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    let d = d.json();
    // The dialog's generated passwords, or the operator's own. PKCS12: one password (Java
    // opens the key with the store password); JKS: two.
    let (store, key) = match passwords {
        Some((store, key)) => (store.to_string(), key.to_string()),
        None => (
            d["store_password"].as_str().unwrap().to_string(),
            if format == "JKS" {
                d["key_password"].as_str().unwrap().to_string()
            } else {
                String::new()
            },
        ),
    };
    let alias = d["alias"].as_str().unwrap().to_string();
    let r = a
        .change(
            "generate_keystore",
            &[
                ("realm", "master"),
                ("id", id),
                ("format", format),
                ("algorithm", algorithm),
                ("alias", &alias),
                ("store_password", &store),
                ("store_password_confirm", &store),
                ("key_password", &key),
                ("key_password_confirm", &key),
                ("validity_years", "1"),
                ("include_passwords", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let g = r.json();
    let keystore = base64::engine::general_purpose::STANDARD
        .decode(g["keystore"].as_str().unwrap())
        .unwrap();
    std::fs::write(dir.join(g["file_name"].as_str().unwrap()), keystore).unwrap();
    let snippet = g["keycloak_json"].as_str().unwrap();
    std::fs::write(dir.join("keycloak.json"), snippet).unwrap();
    serde_json::from_str(snippet).unwrap()
}

/// `AuthzClient.create(keycloak.json).obtainAccessToken()` with `dir` on the class path (the
/// snippet names the keystore `classpath:<file>`).
async fn authz_token(dir: &Path) -> Output {
    let cp = tokio::task::spawn_blocking(|| classpath("authz-client"))
        .await
        .unwrap();
    java(
        format!("{cp}:{}", dir.display()),
        "dev.keyward.interop.AuthzToken",
        vec![dir.join("keycloak.json").display().to_string()],
    )
    .await
}

/// After the unchanged snippet failed: which change to it makes the library succeed, to point
/// at what Keyward must generate differently. Tries an `auth-server-url` without its trailing
/// slash (the provider signs `aud` = auth-server-url + "/realms/" + realm, so "…//realms/…"),
/// then also the key's `algorithm`. Rewrites `keycloak.json` in `dir`.
async fn diagnose(dir: &Path, snippet: &str, alg: Option<&str>) -> String {
    let original: Value = serde_json::from_str(snippet).unwrap();
    let mut tried = Vec::new();
    let mut edited = original.clone();
    if let Some(url) = original["auth-server-url"].as_str() {
        if url.ends_with('/') {
            edited["auth-server-url"] = Value::from(url.trim_end_matches('/'));
            tried.push(("auth-server-url without its trailing slash", edited.clone()));
        }
    }
    if let Some(alg) = alg {
        if edited["credentials"]["jwt"].get("algorithm").is_none() {
            edited["credentials"]["jwt"]["algorithm"] = Value::from(alg);
            tried.push(("that, and \"algorithm\" of the key", edited.clone()));
        }
    }
    for (change, json) in tried {
        std::fs::write(dir.join("keycloak.json"), json.to_string()).unwrap();
        let o = authz_token(dir).await;
        if o.status.success() {
            return format!("\nDIAGNOSIS: the library gets a token once the snippet has {change}.");
        }
    }
    "\nDIAGNOSIS: no tried change to the snippet helps.".into()
}

#[tokio::test(flavor = "multi_thread")]
async fn keycloak_authz_client_gets_tokens_with_the_generated_keycloak_json() {
    let l = live().await;
    let mut a = admin(&l.app).await;
    let mut failures = Vec::new();

    // A client secret: the keycloak.json shown with a regenerated secret.
    {
        let dir = tempfile::tempdir().unwrap();
        let id = new_client(&mut a, "authz-secret").await;
        let r = a
            .change(
                "regenerate_secret",
                &[
                    ("realm", "master"),
                    ("id", &id),
                    ("label", "authz"),
                    ("overlap_hours", "0"),
                    ("expires_in_days", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let snippet = r.json()["keycloak_json"].as_str().unwrap().to_string();
        std::fs::write(dir.path().join("keycloak.json"), &snippet).unwrap();
        let o = authz_token(dir.path()).await;
        if o.status.success() {
            let t = json_line(&o);
            assert_eq!(
                t["token_type"].as_str().map(str::to_lowercase).as_deref(),
                Some("bearer"),
                "{t}"
            );
            assert_eq!(t["claims"]["azp"], "authz-secret", "{t}");
        } else {
            let hint = diagnose(dir.path(), &snippet, None).await;
            failures.push(format!(
                "client secret:\nkeycloak.json: {snippet}\n{}{hint}",
                text(&o)
            ));
        }
    }

    // Signed JWT with a keystore Keyward generated: PKCS12 and JKS, RSA and EC; with and
    // without an algorithm pinned on the client (the EC snippet must still name it: the
    // provider defaults to RS256).
    // The last: non-ASCII passwords the operator typed (JKS keeps them as UTF-16; the snippet
    // carries them as JSON).
    for (client_id, format, algorithm, pinned, expected_alg, passwords) in [
        ("authz-p12-rsa", "PKCS12", "RSA-2048", "", "RS256", None),
        ("authz-p12-ec", "PKCS12", "EC-P256", "ES256", "ES256", None),
        ("authz-jks-rsa", "JKS", "RSA-3072", "RS256", "RS256", None),
        ("authz-jks-ec", "JKS", "EC-P384", "", "ES384", None),
        (
            "authz-jks-nonascii",
            "JKS",
            "EC-P256",
            "ES256",
            "ES256",
            Some(("pässwörd€-store-1", "ключ€-key-2")),
        ),
    ] {
        let what = format!("{client_id}: {format} {algorithm} (pinned alg {pinned:?})");
        let dir = tempfile::tempdir().unwrap();
        let id = jwt_client(&mut a, client_id, pinned).await;
        let snippet =
            download_keystore(&mut a, &id, format, algorithm, passwords, dir.path()).await;
        let jwt = &snippet["credentials"]["jwt"];
        assert_eq!(jwt["client-keystore-type"], format, "{what}: {snippet}");
        assert!(jwt["token-timeout"].is_number(), "{what}: {snippet}");
        let signs = jwt
            .get("algorithm")
            .and_then(Value::as_str)
            .unwrap_or("RS256");
        if signs != expected_alg {
            failures.push(format!(
                "{what}: the snippet makes the provider sign {signs}, the key needs {expected_alg}: {snippet}"
            ));
        }
        let o = authz_token(dir.path()).await;
        if o.status.success() {
            let t = json_line(&o);
            assert_eq!(t["claims"]["azp"], client_id, "{what}: {t}");
            assert_eq!(
                t["token_type"].as_str().map(str::to_lowercase).as_deref(),
                Some("bearer"),
                "{what}: {t}"
            );
        } else {
            let hint = diagnose(dir.path(), &snippet.to_string(), Some(expected_alg)).await;
            failures.push(format!(
                "{what}:\nkeycloak.json: {snippet}\n{}{hint}",
                text(&o)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "keycloak-authz-client failed in {} case(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
