//! Keyward's configuration: command-line flags, each also read from a `KEYWARD_*` variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// A setting Keyward refuses to start with: which one, and why (typed, so a caller or test
/// can tell the settings apart without reading the message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting}: {reason}")]
pub struct ConfigError {
    /// The environment variable (or flag) at fault, e.g. `KEYWARD_PUBLIC_URL`.
    pub setting: &'static str,
    pub reason: String,
}

impl ConfigError {
    pub fn new(setting: &'static str, reason: impl Into<String>) -> Self {
        ConfigError {
            setting,
            reason: reason.into(),
        }
    }

    /// A function that makes a `ConfigError` of `setting` from an error message (for
    /// `map_err`).
    pub fn of<E: std::fmt::Display>(setting: &'static str) -> impl FnOnce(E) -> ConfigError {
        move |e| ConfigError::new(setting, e.to_string())
    }
}

#[derive(Parser, Clone)]
#[command(
    name = "keyward",
    version,
    about = "Keyward: a Keycloak-compatible console and service for OAuth2/OIDC client credentials"
)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "KEYWARD_BIND", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,
    /// Directory for the SQLite database and the master key file.
    #[arg(long, env = "KEYWARD_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default: a SQLite file in the data directory.
    #[arg(long, env = "KEYWARD_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Base URL operators and clients use (e.g. https://sso.example.com); default: from the bind address.
    #[arg(long, env = "KEYWARD_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Base64 of 32 random bytes that seal stored secrets; default: a key file in the data directory.
    #[arg(long, env = "KEYWARD_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<String>,
    /// Username of the first admin, created when no operator exists.
    #[arg(long, env = "KEYWARD_BOOTSTRAP_ADMIN_USERNAME")]
    pub bootstrap_admin_username: Option<String>,
    /// Password of the first admin (at least 12 characters).
    #[arg(long, env = "KEYWARD_BOOTSTRAP_ADMIN_PASSWORD", hide_env_values = true)]
    pub bootstrap_admin_password: Option<String>,
    /// Client id of the first Admin REST API client (master realm, role admin), created at
    /// start when no client has it, like Keycloak's bootstrap admin client.
    #[arg(long, env = "KEYWARD_BOOTSTRAP_ADMIN_CLIENT_ID")]
    pub bootstrap_admin_client_id: Option<String>,
    /// Its secret (at least 16 characters); only its verifier is stored.
    #[arg(
        long,
        env = "KEYWARD_BOOTSTRAP_ADMIN_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub bootstrap_admin_client_secret: Option<String>,
    /// Directory with the console's compiled assets (cargo-leptos' site root).
    #[arg(long, env = "KEYWARD_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
    /// A console session ends after this many idle seconds.
    #[arg(long, env = "KEYWARD_SESSION_IDLE_SECS", default_value_t = 1800, value_parser = clap::value_parser!(i64).range(1..))]
    pub session_idle_secs: i64,
    /// A console session ends this many seconds after sign-in.
    #[arg(long, env = "KEYWARD_SESSION_ABSOLUTE_SECS", default_value_t = 43200, value_parser = clap::value_parser!(i64).range(1..))]
    pub session_absolute_secs: i64,
    /// Destinations Keyward's fetcher (JWKS URLs; next, identity providers and webhooks) may
    /// reach although they are internal (loopback, private, link-local…): CIDRs, addresses or
    /// host names, comma-separated. These may also use http.
    #[arg(long, env = "KEYWARD_FETCH_ALLOW", default_value = "")]
    pub fetch_allow: String,
    /// The former name of `KEYWARD_FETCH_ALLOW`, still read.
    #[arg(long, env = "KEYWARD_JWKS_ALLOW", default_value = "", hide = true)]
    pub jwks_allow: String,
    /// Proxies (CIDRs or addresses, comma-separated) whose `Forwarded` / `X-Forwarded-For`
    /// headers name the caller; from any other peer those headers are ignored.
    #[arg(long, env = "KEYWARD_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// PEM certificate chain to serve https on `KEYWARD_BIND` (with `KEYWARD_TLS_KEY`); reloaded
    /// when the file changes.
    #[arg(long, env = "KEYWARD_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `KEYWARD_TLS_CERT`.
    #[arg(long, env = "KEYWARD_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// A second https listener that asks clients for a TLS certificate (RFC 8705) and serves
    /// only the OIDC endpoints; needs KEYWARD_TLS_CERT/KEYWARD_TLS_KEY.
    #[arg(long, env = "KEYWARD_MTLS_BIND")]
    pub mtls_bind: Option<SocketAddr>,
    /// Base URL clients reach the mTLS listener at (discovery's `mtls_endpoint_aliases`);
    /// default: the public URL's host with KEYWARD_MTLS_BIND's port.
    #[arg(long, env = "KEYWARD_MTLS_PUBLIC_URL")]
    pub mtls_public_url: Option<String>,
    /// PEM bundle of the CAs `client-x509` (tls_client_auth) certificates must chain to.
    #[arg(long, env = "KEYWARD_MTLS_CA")]
    pub mtls_ca: Option<PathBuf>,
    /// The header a trusted proxy (KEYWARD_TRUSTED_PROXIES) forwards the client certificate in,
    /// e.g. `ssl-client-cert` (nginx) or `x-forwarded-client-cert` (Envoy); unset: none.
    #[arg(long, env = "KEYWARD_MTLS_CERT_HEADER")]
    pub mtls_cert_header: Option<String>,
    /// The header's format: `nginx` (URL-encoded PEM), `pem` (HAProxy/Apache), `der` (base64
    /// DER) or `envoy` (X-Forwarded-Client-Cert).
    #[arg(long, env = "KEYWARD_MTLS_CERT_HEADER_FORMAT", default_value = "nginx")]
    pub mtls_cert_header_format: String,
    /// Where `/metrics` (and the health probes) are served for scrapers, apart from the public
    /// listener (Keycloak's management port); `off` serves none there.
    #[arg(long, env = "KEYWARD_METRICS_BIND", default_value = "127.0.0.1:9000")]
    pub metrics_bind: String,
    /// A bearer token that also opens `/metrics` on the public listener (at least 16
    /// characters); without it the public `/metrics` answers 404.
    #[arg(long, env = "KEYWARD_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Record when and from where each secret and key was last used (at most one write per
    /// credential per minute); `false` records nothing (for the benchmark's comparison).
    #[arg(long, env = "KEYWARD_TRACK_LAST_USE", default_value_t = true, action = clap::ArgAction::Set)]
    pub track_last_use: bool,
    /// A file of GitHub's secret-scanning public keys (its published key-list format,
    /// `{"public_keys":[{"key_identifier","key","is_current"}]}`): enables `POST /leaks/github`.
    #[arg(long, env = "KEYWARD_GITHUB_LEAK_KEYS")]
    pub github_leak_keys: Option<PathBuf>,
    /// A shared key (at least 32 characters) other scanners sign leak reports with
    /// (HMAC-SHA256 of the body): enables `POST /leaks/report`.
    #[arg(long, env = "KEYWARD_LEAK_REPORT_KEY", hide_env_values = true)]
    pub leak_report_key: Option<String>,
    /// What to do; default: serve.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Maintenance commands.
#[derive(Subcommand, Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Re-seal every stored ciphertext under a new master key while servers keep running.
    ///
    /// With the key file: generates a new key, puts it first in the file (running servers pick
    /// it up at their next seal or open), and re-seals everything. With KEYWARD_MASTER_KEY, in
    /// three rolling steps: "old,new" on every replica (all can open under new), then "new,old"
    /// everywhere and run this command, then "new".
    RotateMasterKey {
        /// Afterwards, remove the previous keys from the key file (only when nothing is sealed
        /// under them any more).
        #[arg(long)]
        retire_old: bool,
    },
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_ref().map(|_| "<set>"))
            .field("public_url", &self.public_url)
            .field(
                "master_key",
                &self.master_key.as_ref().map(|_| "<redacted>"),
            )
            .field("bootstrap_admin_username", &self.bootstrap_admin_username)
            .field(
                "bootstrap_admin_password",
                &self.bootstrap_admin_password.as_ref().map(|_| "<redacted>"),
            )
            .field("bootstrap_admin_client_id", &self.bootstrap_admin_client_id)
            .field(
                "bootstrap_admin_client_secret",
                &self
                    .bootstrap_admin_client_secret
                    .as_ref()
                    .map(|_| "<redacted>"),
            )
            .field("site_root", &self.site_root)
            .field("session_idle_secs", &self.session_idle_secs)
            .field("session_absolute_secs", &self.session_absolute_secs)
            .field("fetch_allow", &self.fetch_allow)
            .field("jwks_allow", &self.jwks_allow)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("tls_cert", &self.tls_cert)
            .field("tls_key", &self.tls_key)
            .field("mtls_bind", &self.mtls_bind)
            .field("mtls_public_url", &self.mtls_public_url)
            .field("mtls_ca", &self.mtls_ca)
            .field("mtls_cert_header", &self.mtls_cert_header)
            .field("mtls_cert_header_format", &self.mtls_cert_header_format)
            .field("metrics_bind", &self.metrics_bind)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "<redacted>"),
            )
            .field("command", &self.command)
            .finish()
    }
}

impl Config {
    /// A configuration with every default, listening on `bind`, keeping data in `data_dir`.
    pub fn for_tests(bind: SocketAddr, data_dir: PathBuf) -> Config {
        let mut c = Config::parse_from(["keyward"]);
        c.bind = bind;
        c.data_dir = data_dir;
        c.database_url = None;
        c.public_url = None;
        c.master_key = None;
        c.bootstrap_admin_username = None;
        c.bootstrap_admin_password = None;
        c.bootstrap_admin_client_id = None;
        c.bootstrap_admin_client_secret = None;
        c.metrics_bind = "off".into();
        c.metrics_token = None;
        c.trusted_proxies = String::new();
        c.fetch_allow = String::new();
        c.jwks_allow = String::new();
        c.tls_cert = None;
        c.tls_key = None;
        c.mtls_bind = None;
        c.mtls_public_url = None;
        c.mtls_ca = None;
        c.mtls_cert_header = None;
        c.mtls_cert_header_format = "nginx".into();
        c.track_last_use = true;
        c.github_leak_keys = None;
        c.leak_report_key = None;
        c
    }

    /// The mTLS listener's public base URL (no trailing slash), when it runs.
    pub fn mtls_public_url(&self) -> Result<Option<String>, ConfigError> {
        const SETTING: &str = "KEYWARD_MTLS_PUBLIC_URL";
        let Some(bind) = self.mtls_bind else {
            if self.mtls_public_url.is_some() {
                return Err(ConfigError::new(
                    SETTING,
                    "is set but KEYWARD_MTLS_BIND is not",
                ));
            }
            return Ok(None);
        };
        if self.tls_cert.is_none() {
            return Err(ConfigError::new(
                "KEYWARD_MTLS_BIND",
                "the mTLS listener serves https: set KEYWARD_TLS_CERT and KEYWARD_TLS_KEY too",
            ));
        }
        let raw = match &self.mtls_public_url {
            Some(u) => u.clone(),
            None => {
                let public = url::Url::parse(&self.public_url()?)
                    .map_err(|e| ConfigError::new(SETTING, e.to_string()))?;
                let host = public.host_str().unwrap_or("localhost");
                format!("https://{host}:{}", bind.port())
            }
        };
        let parsed = url::Url::parse(&raw)
            .map_err(|e| ConfigError::new(SETTING, format!("{raw:?} is not a URL: {e}")))?;
        if parsed.scheme() != "https"
            || parsed.host().is_none()
            || parsed.query().is_some()
            || parsed.fragment().is_some()
        {
            return Err(ConfigError::new(
                SETTING,
                format!("{raw:?} must be an https:// URL with a host and no query"),
            ));
        }
        Ok(Some(raw.trim_end_matches('/').to_string()))
    }

    /// The forwarded-certificate header and its format, when one is configured.
    pub fn mtls_cert_header(
        &self,
    ) -> Result<
        Option<(
            axum::http::HeaderName,
            keyward_credentials::mtls::ForwardedFormat,
        )>,
        ConfigError,
    > {
        let Some(name) = self.mtls_cert_header.as_deref().map(str::trim) else {
            return Ok(None);
        };
        if name.is_empty() {
            return Ok(None);
        }
        let header = axum::http::HeaderName::try_from(name).map_err(|_| {
            ConfigError::new(
                "KEYWARD_MTLS_CERT_HEADER",
                format!("{name:?} is not a header name"),
            )
        })?;
        let format =
            keyward_credentials::mtls::ForwardedFormat::parse(&self.mtls_cert_header_format)
                .ok_or_else(|| {
                    ConfigError::new(
                        "KEYWARD_MTLS_CERT_HEADER_FORMAT",
                        format!(
                            "{:?} is not a format; use nginx, pem, der or envoy",
                            self.mtls_cert_header_format
                        ),
                    )
                })?;
        Ok(Some((header, format)))
    }

    /// The certificate and key files when Keyward serves https itself: both, or neither.
    pub fn tls(&self) -> Result<Option<(PathBuf, PathBuf)>, ConfigError> {
        match (&self.tls_cert, &self.tls_key) {
            (None, None) => Ok(None),
            (Some(c), Some(k)) => Ok(Some((c.clone(), k.clone()))),
            _ => Err(ConfigError::new(
                "KEYWARD_TLS_CERT",
                "set both KEYWARD_TLS_CERT and KEYWARD_TLS_KEY, or neither",
            )),
        }
    }

    /// The public base URL without a trailing slash, validated.
    pub fn public_url(&self) -> Result<String, ConfigError> {
        const SETTING: &str = "KEYWARD_PUBLIC_URL";
        let raw = match &self.public_url {
            Some(u) => u.clone(),
            None => {
                let host = if self.bind.ip().is_unspecified() {
                    "localhost".to_string()
                } else {
                    match self.bind {
                        SocketAddr::V4(a) => a.ip().to_string(),
                        SocketAddr::V6(a) => format!("[{}]", a.ip()),
                    }
                };
                let scheme = if self.tls_cert.is_some() {
                    "https"
                } else {
                    "http"
                };
                format!("{scheme}://{host}:{}", self.bind.port())
            }
        };
        let parsed = url::Url::parse(&raw)
            .map_err(|e| ConfigError::new(SETTING, format!("{raw:?} is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(ConfigError::new(
                SETTING,
                format!("{raw:?} must be an http:// or https:// URL with a host"),
            ));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(ConfigError::new(
                SETTING,
                format!("{raw:?} must not have a query or fragment"),
            ));
        }
        Ok(raw.trim_end_matches('/').to_string())
    }

    /// The fetcher's allow-list: `KEYWARD_FETCH_ALLOW`, or its former name `KEYWARD_JWKS_ALLOW`;
    /// both set to different lists is refused (which one was meant?).
    pub fn fetch_allow(&self) -> Result<String, ConfigError> {
        let (new, old) = (self.fetch_allow.trim(), self.jwks_allow.trim());
        match (new.is_empty(), old.is_empty()) {
            (_, true) => Ok(new.to_string()),
            (true, false) => Ok(old.to_string()),
            (false, false) if new == old => Ok(new.to_string()),
            (false, false) => Err(ConfigError::new(
                "KEYWARD_FETCH_ALLOW",
                "KEYWARD_JWKS_ALLOW (its former name) is also set, to another list: keep only KEYWARD_FETCH_ALLOW",
            )),
        }
    }

    /// The management listener's address, `None` when `off` (or empty).
    pub fn metrics_bind(&self) -> Result<Option<SocketAddr>, ConfigError> {
        match self.metrics_bind.trim() {
            "" | "off" => Ok(None),
            a => a.parse().map(Some).map_err(|_| {
                ConfigError::new(
                    "KEYWARD_METRICS_BIND",
                    format!("{a:?} is not an address:port (or \"off\")"),
                )
            }),
        }
    }

    /// The database URL: the configured one, or a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(u) => u.clone(),
            None => format!("sqlite://{}", self.data_dir.join("keyward.db").display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_url_defaults_from_bind() {
        let c = Config::for_tests("127.0.0.1:3000".parse().unwrap(), "./d".into());
        assert_eq!(c.public_url().unwrap(), "http://127.0.0.1:3000");
        let c = Config::for_tests("0.0.0.0:8080".parse().unwrap(), "./d".into());
        assert_eq!(c.public_url().unwrap(), "http://localhost:8080");
    }

    #[test]
    fn public_url_is_validated() {
        let mut c = Config::for_tests("127.0.0.1:3000".parse().unwrap(), "./d".into());
        c.public_url = Some("https://sso.example.com/".into());
        assert_eq!(c.public_url().unwrap(), "https://sso.example.com");
        c.public_url = Some("ftp://x".into());
        let e = c.public_url().unwrap_err();
        assert_eq!(e.setting, "KEYWARD_PUBLIC_URL");
        assert!(e.reason.contains("http"), "{e}");
        c.public_url = Some("not a url".into());
        assert!(c.public_url().is_err());
    }

    #[test]
    fn mtls_settings_are_checked() {
        let mut c = Config::for_tests("127.0.0.1:3000".parse().unwrap(), "./d".into());
        assert_eq!(c.mtls_public_url().unwrap(), None);
        c.mtls_bind = Some("127.0.0.1:8443".parse().unwrap());
        assert_eq!(
            c.mtls_public_url().unwrap_err().setting,
            "KEYWARD_MTLS_BIND"
        );
        c.tls_cert = Some("c.pem".into());
        c.tls_key = Some("k.pem".into());
        c.public_url = Some("https://sso.example.com".into());
        assert_eq!(
            c.mtls_public_url().unwrap().as_deref(),
            Some("https://sso.example.com:8443")
        );
        c.mtls_public_url = Some("http://mtls.example.com".into());
        assert_eq!(
            c.mtls_public_url().unwrap_err().setting,
            "KEYWARD_MTLS_PUBLIC_URL"
        );
        c.mtls_public_url = Some("https://mtls.example.com/".into());
        assert_eq!(
            c.mtls_public_url().unwrap().as_deref(),
            Some("https://mtls.example.com")
        );
        assert!(c.mtls_cert_header().unwrap().is_none());
        c.mtls_cert_header = Some("ssl-client-cert".into());
        assert!(c.mtls_cert_header().unwrap().is_some());
        c.mtls_cert_header_format = "jpeg".into();
        assert_eq!(
            c.mtls_cert_header().unwrap_err().setting,
            "KEYWARD_MTLS_CERT_HEADER_FORMAT"
        );
        c.mtls_cert_header = Some("bad header".into());
        assert_eq!(
            c.mtls_cert_header().unwrap_err().setting,
            "KEYWARD_MTLS_CERT_HEADER"
        );
    }

    #[test]
    fn fetch_allow_takes_the_former_name_too() {
        let mut c = Config::for_tests("127.0.0.1:3000".parse().unwrap(), "./d".into());
        assert_eq!(c.fetch_allow().unwrap(), "");
        c.jwks_allow = "10.0.0.0/8".into();
        assert_eq!(c.fetch_allow().unwrap(), "10.0.0.0/8");
        c.fetch_allow = "10.0.0.0/8".into();
        assert_eq!(c.fetch_allow().unwrap(), "10.0.0.0/8");
        c.fetch_allow = "keys.internal".into();
        assert_eq!(c.fetch_allow().unwrap_err().setting, "KEYWARD_FETCH_ALLOW");
        c.jwks_allow = String::new();
        assert_eq!(c.fetch_allow().unwrap(), "keys.internal");
        // Both names are read from the environment.
        let parsed = Config::try_parse_from(["keyward", "--fetch-allow", "a.internal"]).unwrap();
        assert_eq!(parsed.fetch_allow().unwrap(), "a.internal");
    }

    #[test]
    fn debug_hides_secrets() {
        let mut c = Config::for_tests("127.0.0.1:3000".parse().unwrap(), "./d".into());
        c.bootstrap_admin_password = Some("s3cret-password!".into());
        c.master_key = Some("AAAA-key-material".into());
        let printed = format!("{c:?}");
        assert!(!printed.contains("s3cret"));
        assert!(!printed.contains("key-material"));
    }
}
