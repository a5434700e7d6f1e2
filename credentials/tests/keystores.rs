//! Generated keystores against the real tools: keytool lists them, OpenSSL 3 reads the PKCS12
//! files, and a Java program does what Keycloak's adapter does (load the keystore, `getKey`,
//! sign a client assertion), whose JWT Keyward's `client-jwt` authenticator then accepts.
//!
//! Needs `keytool`, `javac`, `java` (JDK 17) and `openssl` (3.x) on PATH (`.ci/run` installs
//! them where missing); without them the test fails rather than skips.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use keyward_credentials::authenticator::{
    AuthContext, Authenticator, ClientAuthConfig, ClientJwt, ClientMaterial, ClientPublicKey,
};
use keyward_credentials::client_auth::Presented;
use keyward_credentials::keys::generate::{
    generate, GenerateRequest, Generated, KeyAlgorithm, KeystoreFormat,
};

const ISSUER: &str = "https://sso.example.com/realms/demo";

/// A scratch directory, removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("keyward-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A tool run with a UTF-8 locale (Java decodes its arguments with the locale's charset).
fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .env("LC_ALL", "C.UTF-8")
        .env("LANG", "C.UTF-8")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}): install JDK 17 and OpenSSL 3"))
}

fn text(o: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// KeystoreCheck.java compiled once per run into Cargo's scratch directory for tests.
fn java_classes() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("keystore-check");
        std::fs::create_dir_all(&dir).unwrap();
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/java/KeystoreCheck.java");
        let o = run("javac", &["-d", dir.to_str().unwrap(), src]);
        assert!(o.status.success(), "javac failed: {}", text(&o));
        dir
    })
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

struct Case<'a> {
    format: KeystoreFormat,
    algorithm: KeyAlgorithm,
    alias: &'a str,
    store_password: &'a str,
    key_password: &'a str,
    client_id: &'a str,
}

impl Case<'_> {
    fn generate(&self) -> Generated {
        generate(&GenerateRequest {
            algorithm: self.algorithm,
            format: self.format,
            alias: self.alias,
            store_password: self.store_password,
            key_password: self.key_password,
            validity_years: 2,
            common_name: self.client_id,
            now: now(),
        })
        .unwrap_or_else(|e| panic!("{} {}: {e}", self.format, self.algorithm))
    }

    fn write(&self, dir: &Path, g: &Generated) -> PathBuf {
        let file = dir.join(format!(
            "{}-{}.{}",
            self.client_id,
            self.algorithm.id(),
            self.format.file_extension()
        ));
        std::fs::write(&file, &*g.keystore).unwrap();
        file
    }

    /// `java KeystoreCheck` with these passwords.
    fn java(&self, file: &Path, store_password: &str, key_password: &str) -> Output {
        run(
            "java",
            &[
                "-cp",
                java_classes().to_str().unwrap(),
                "KeystoreCheck",
                file.to_str().unwrap(),
                self.format.id(),
                store_password,
                self.alias,
                key_password,
                self.algorithm.jws_alg(),
                self.client_id,
                ISSUER,
            ],
        )
    }
}

/// Keyward's client-jwt authenticator, as the token endpoint runs it.
fn authenticate(client_id: &str, g: &Generated, jwt: &str) -> Result<(), String> {
    let client = ClientAuthConfig {
        client_id: client_id.into(),
        enabled: true,
        public_client: false,
        authenticator: "client-jwt".into(),
        signing_alg: None,
        assertion_max_exp_s: 0,
        attributes: Default::default(),
    };
    let keys = [ClientPublicKey {
        kid: None,
        alg: None,
        spki_der: g.spki_der.clone(),
        active: true,
    }];
    let material = ClientMaterial {
        secrets: &[],
        pepper: None,
        keys: &keys,
        ..ClientMaterial::default()
    };
    let ctx = AuthContext {
        issuer: ISSUER.into(),
        token_endpoint: format!("{ISSUER}/protocol/openid-connect/token"),
        strict_audience: false,
    };
    let presented = Presented::Assertion {
        client_id: Some(client_id.into()),
        assertion: jwt.into(),
        spiffe: false,
    };
    let ok = ClientJwt
        .authenticate(&presented, &client, &material, &ctx, now())
        .map_err(|e| format!("{e:?}"))?;
    assert_eq!(ok.client_id, client_id);
    assert_eq!(ok.presented, "private_key_jwt");
    assert!(ok.jti.is_some());
    Ok(())
}

#[test]
fn every_format_and_algorithm_works_with_keytool_openssl_and_java() {
    let dir = TempDir::new("keystores");
    for format in [KeystoreFormat::Pkcs12, KeystoreFormat::Jks] {
        for algorithm in KeyAlgorithm::ALL {
            let case = Case {
                format,
                algorithm,
                alias: "billing",
                store_password: "Store-pass-1",
                key_password: if format == KeystoreFormat::Jks {
                    "Key-pass-2"
                } else {
                    "Store-pass-1"
                },
                client_id: "billing-service",
            };
            let what = format!("{format} {algorithm}");
            let g = case.generate();
            let file = case.write(&dir.0, &g);
            let path = file.to_str().unwrap();

            let o = run(
                "keytool",
                &[
                    "-list",
                    "-v",
                    "-keystore",
                    path,
                    "-storetype",
                    format.id(),
                    "-storepass",
                    case.store_password,
                ],
            );
            let out = text(&o);
            assert!(o.status.success(), "{what}: keytool -list: {out}");
            assert!(out.contains("Alias name: billing"), "{what}: {out}");
            assert!(out.contains("Entry type: PrivateKeyEntry"), "{what}: {out}");
            assert!(out.contains("Owner: CN=billing-service"), "{what}: {out}");

            if format == KeystoreFormat::Pkcs12 {
                let pass = format!("pass:{}", case.store_password);
                let o = run(
                    "openssl",
                    &["pkcs12", "-info", "-nokeys", "-in", path, "-passin", &pass],
                );
                let out = text(&o);
                assert!(o.status.success(), "{what}: openssl pkcs12: {out}");
                assert!(out.contains("MAC: sha256"), "{what}: {out}");
                assert!(out.contains("AES-256-CBC"), "{what}: {out}");
                assert!(
                    out.contains("subject=CN = billing-service"),
                    "{what}: {out}"
                );
            }

            let o = case.java(&file, case.store_password, case.key_password);
            assert!(o.status.success(), "{what}: KeystoreCheck: {}", text(&o));
            let jwt = String::from_utf8(o.stdout).unwrap();
            authenticate(case.client_id, &g, jwt.trim())
                .unwrap_or_else(|e| panic!("{what}: assertion refused: {e}\n{jwt}"));
        }
    }
}

#[test]
fn wrong_passwords_fail_in_java_and_non_ascii_jks_passwords_work() {
    let dir = TempDir::new("passwords");
    let cases = [
        Case {
            format: KeystoreFormat::Pkcs12,
            algorithm: KeyAlgorithm::EcP256,
            alias: "partner",
            store_password: "Store-pass-1",
            key_password: "Store-pass-1",
            client_id: "partner",
        },
        Case {
            format: KeystoreFormat::Jks,
            algorithm: KeyAlgorithm::EcP384,
            alias: "partner",
            store_password: "pässwörd€",
            key_password: "ключ€-2",
            client_id: "partner",
        },
        Case {
            format: KeystoreFormat::Jks,
            algorithm: KeyAlgorithm::Rsa2048,
            alias: "partner",
            store_password: "pässwörd€",
            key_password: "pässwörd€",
            client_id: "partner",
        },
    ];
    for case in &cases {
        let what = format!("{} {}", case.format, case.algorithm);
        let g = case.generate();
        let file = case.write(&dir.0, &g);

        let o = case.java(&file, case.store_password, case.key_password);
        assert!(o.status.success(), "{what}: {}", text(&o));
        let jwt = String::from_utf8(o.stdout).unwrap();
        authenticate(case.client_id, &g, jwt.trim())
            .unwrap_or_else(|e| panic!("{what}: assertion refused: {e}"));

        // keytool with the non-ASCII store password.
        let o = run(
            "keytool",
            &[
                "-list",
                "-keystore",
                file.to_str().unwrap(),
                "-storetype",
                case.format.id(),
                "-storepass",
                case.store_password,
            ],
        );
        assert!(o.status.success(), "{what}: keytool: {}", text(&o));

        // A wrong store password: load fails on the integrity check.
        let o = case.java(&file, "wrong-store-pass", case.key_password);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(2), "{what}: {out}");
        let lower = out.to_lowercase();
        assert!(
            lower.contains("password") || lower.contains("integrity"),
            "{what}: {out}"
        );

        // A wrong key password: the keystore loads, getKey fails.
        let o = case.java(&file, case.store_password, "wrong-key-pass");
        let out = text(&o);
        assert_eq!(o.status.code(), Some(3), "{what}: {out}");
        assert!(out.contains("UnrecoverableKeyException"), "{what}: {out}");
    }
}

/// RFC 8705 groundwork (issue 20): a certificate made by OpenSSL reads with the same subject DN
/// as `openssl x509 -nameopt RFC2253` prints it (what an operator copies), and OpenSSL's PEM
/// forwarded as nginx escapes it gives the same certificate.
#[test]
fn client_certificate_subjects_read_as_openssl_prints_them() {
    use keyward_credentials::mtls;
    let dir = TempDir::new("mtls-subject");
    let key = dir.0.join("key.pem");
    let cert = dir.0.join("cert.pem");
    let o = run(
        "openssl",
        &[
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
            "/C=DE/O=Acme, Inc./OU=Payments+UID=42/CN=billing-service",
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            cert.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = run(
        "openssl",
        &[
            "x509",
            "-in",
            cert.to_str().unwrap(),
            "-noout",
            "-subject",
            "-nameopt",
            "RFC2253",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let printed = String::from_utf8_lossy(&o.stdout)
        .trim()
        .trim_start_matches("subject=")
        .to_string();
    let pem = std::fs::read_to_string(&cert).unwrap();
    let der = mtls::forwarded_certificate(mtls::ForwardedFormat::Pem, &pem).unwrap();
    assert_eq!(
        mtls::canonical_dn(&mtls::subject_dn(&der).unwrap()).unwrap(),
        mtls::canonical_dn(&printed).unwrap(),
        "ours: {}, OpenSSL: {printed}",
        mtls::subject_dn(&der).unwrap()
    );
    let escaped: String = pem
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    assert_eq!(
        mtls::forwarded_certificate(mtls::ForwardedFormat::NginxEscapedPem, &escaped).unwrap(),
        der
    );
}
