//! Issue 22 §1: the scanner rules Keyward ships (`scanners/`) find its secrets, run by the real
//! scanners: gitleaks (installed by `scripts/test` with `go install`) and detect-secrets (PyPI,
//! in `end2end/.venv`, installed by `scripts/tools.sh`). A missing scanner fails the test with
//! how to install it; nothing is skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

use keyward_credentials::client_secret;
use keyward_credentials::scannable::{self, Precheck};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tool(relative: &str) -> PathBuf {
    let path = root().join(relative);
    assert!(
        path.exists(),
        "{} is missing: run `source scripts/tools.sh` and scripts/test's installs (README)",
        path.display()
    );
    path
}

/// A file with two generated secrets (one with a realm segment), a mistyped one and an
/// old-style random secret, as a developer might commit them.
fn leaky_file(dir: &Path) -> (PathBuf, [String; 2], String) {
    let plain = client_secret::generate(&mut rand::rngs::OsRng, None)
        .expose()
        .to_owned();
    let segmented = client_secret::generate(&mut rand::rngs::OsRng, Some("acme"))
        .expose()
        .to_owned();
    let mut mistyped = plain.clone();
    let at = 20;
    let c = if &mistyped[at..=at] == "x" { "y" } else { "x" };
    mistyped.replace_range(at..=at, c);
    assert_eq!(scannable::precheck(&mistyped), Precheck::BadChecksum);
    let file = dir.join("application.yml");
    std::fs::write(
        &file,
        format!(
            "keycloak:\n  resource: billing\n  credentials:\n    secret: {plain}\n\
             other:\n  KEYWARD_SECRET=\"{segmented}\"\n# an old typo: {mistyped}\n\
             legacy: 0b4c1c2e-not-a-keyward-secret\n"
        ),
    )
    .unwrap();
    (file, [plain, segmented], mistyped)
}

#[test]
fn gitleaks_finds_generated_secrets_with_the_shipped_rules() {
    let gitleaks = tool("end2end/.tools/bin/gitleaks");
    let dir = tempfile::tempdir().unwrap();
    let (file, secrets, _) = leaky_file(dir.path());
    let report = dir.path().join("report.json");
    let out = Command::new(gitleaks)
        .args(["dir", "--no-banner", "--report-format", "json", "--config"])
        .arg(root().join("scanners/gitleaks.toml"))
        .arg("--report-path")
        .arg(&report)
        .arg(&file)
        .output()
        .unwrap();
    // Exit code 1: leaks found.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let found: serde_json::Value = serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap();
    let ours: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["RuleID"] == "keyward-client-secret")
        .map(|f| f["Secret"].as_str().unwrap())
        .collect();
    for s in &secrets {
        assert!(ours.contains(&s.as_str()), "gitleaks found {s}: {ours:?}");
    }
    assert!(
        !ours.iter().any(|s| s.contains("not-a-keyward")),
        "{ours:?}"
    );
}

#[test]
fn detect_secrets_finds_generated_secrets_and_checks_their_checksum() {
    let scanner = tool("end2end/.venv/bin/detect-secrets");
    let dir = tempfile::tempdir().unwrap();
    let (file, secrets, mistyped) = leaky_file(dir.path());
    let out = Command::new(scanner)
        .current_dir(dir.path())
        .args(["scan", "--plugin"])
        .arg(root().join("scanners/detect_secrets_keyward.py"))
        .arg(file.file_name().unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let baseline: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sha1 = |s: &str| {
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, s.as_bytes())
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let ours: Vec<String> = baseline["results"]["application.yml"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "Keyward client secret")
        .map(|r| r["hashed_secret"].as_str().unwrap().to_owned())
        .collect();
    for s in &secrets {
        assert!(
            ours.contains(&sha1(s)),
            "detect-secrets found {s}: {ours:?}"
        );
    }
    // The plugin checks the checksum: the mistyped value is not reported as Keyward's.
    assert!(!ours.contains(&sha1(&mistyped)), "{ours:?}");
    assert_eq!(ours.len(), 2, "{baseline}");
}
