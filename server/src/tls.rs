//! HTTPS on `KEYWARD_BIND` (issue 20 §1, first part): when `KEYWARD_TLS_CERT` and
//! `KEYWARD_TLS_KEY` name PEM files, Keyward serves TLS itself with rustls (aws-lc-rs), and
//! reloads the pair when either file changes, without a restart.
//!
//! Invariants:
//! - The certificate served is always a pair that parsed and whose key matches: a replacement
//!   that does not (half-written, wrong key, not PEM) is refused with a warning and the previous
//!   pair stays in service.
//! - Files are looked at again at most once a second, on a handshake: no watcher task.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::config::ConfigError;

/// The certificate and key files, and the pair loaded from them.
#[derive(Debug)]
pub struct ReloadingCert {
    cert_path: PathBuf,
    key_path: PathBuf,
    provider: Arc<rustls::crypto::CryptoProvider>,
    state: Mutex<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    key: Arc<CertifiedKey>,
    /// The files' modification times when `key` was loaded.
    stamps: (Option<SystemTime>, Option<SystemTime>),
    checked: Instant,
}

/// How often the files are looked at again, at most.
const RECHECK: Duration = Duration::from_secs(1);

impl ReloadingCert {
    /// Loads the pair; an error names the setting at fault.
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<Arc<Self>, ConfigError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let key = load_pair(&provider, cert_path, key_path)?;
        Ok(Arc::new(ReloadingCert {
            cert_path: cert_path.to_owned(),
            key_path: key_path.to_owned(),
            provider,
            state: Mutex::new(Loaded {
                key: Arc::new(key),
                stamps: stamps(cert_path, key_path),
                checked: Instant::now(),
            }),
        }))
    }

    /// The rustls server configuration that serves this pair (HTTP/1.1 and HTTP/2).
    pub fn server_config(self: &Arc<Self>) -> Result<rustls::ServerConfig, ConfigError> {
        let mut config = rustls::ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(ConfigError::of("KEYWARD_TLS_CERT"))?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }

    /// The rustls configuration of the mTLS listener: this pair, and a client certificate asked
    /// for (not required) and accepted when it parses, its handshake signature verified
    /// ([`crate::mtls::AnyClientCertificate`]).
    pub fn mtls_server_config(self: &Arc<Self>) -> Result<rustls::ServerConfig, ConfigError> {
        let verifier = Arc::new(crate::mtls::AnyClientCertificate::new(
            self.provider.clone(),
        ));
        let mut config = rustls::ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(ConfigError::of("KEYWARD_TLS_CERT"))?
            .with_client_cert_verifier(verifier)
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }

    /// The pair to serve: reloaded first when a file changed since it was loaded.
    fn current(&self) -> Arc<CertifiedKey> {
        let mut state = match self.state.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        if state.checked.elapsed() >= RECHECK {
            state.checked = Instant::now();
            let now = stamps(&self.cert_path, &self.key_path);
            if now != state.stamps {
                match load_pair(&self.provider, &self.cert_path, &self.key_path) {
                    Ok(key) => {
                        state.key = Arc::new(key);
                        state.stamps = now;
                        tracing::info!(cert = %self.cert_path.display(), "reloaded the TLS certificate");
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the changed TLS certificate or key is unusable; still serving the previous one");
                    }
                }
            }
        }
        state.key.clone()
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

fn stamps(cert: &Path, key: &Path) -> (Option<SystemTime>, Option<SystemTime>) {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    (modified(cert), modified(key))
}

/// Reads the certificate chain and private key, and checks that the key is the certificate's.
fn load_pair(
    provider: &rustls::crypto::CryptoProvider,
    cert_path: &Path,
    key_path: &Path,
) -> Result<CertifiedKey, ConfigError> {
    use rustls::pki_types::pem::PemObject;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_path)
        .map_err(|e| ConfigError::new("KEYWARD_TLS_CERT", format!("{}: {e}", cert_path.display())))?
        .collect::<Result<_, _>>()
        .map_err(|e| {
            ConfigError::new("KEYWARD_TLS_CERT", format!("{}: {e}", cert_path.display()))
        })?;
    if chain.is_empty() {
        return Err(ConfigError::new(
            "KEYWARD_TLS_CERT",
            format!("{} holds no PEM certificate", cert_path.display()),
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key_path)
        .map_err(|e| ConfigError::new("KEYWARD_TLS_KEY", format!("{}: {e}", key_path.display())))?;
    let certified = CertifiedKey::from_der(chain, key, provider).map_err(|e| {
        ConfigError::new(
            "KEYWARD_TLS_KEY",
            format!(
                "{} does not fit {}: {e}",
                key_path.display(),
                cert_path.display()
            ),
        )
    })?;
    Ok(certified)
}

/// Serves `app` over TLS on `listener` until `shutdown` completes: each connection's handshake
/// with `config`, then HTTP/1.1 or HTTP/2 as negotiated, with the peer address available to
/// handlers as `ConnectInfo<SocketAddr>` (as with plain HTTP) and, when the client presented a
/// certificate in the handshake, its chain as [`crate::mtls::PeerCertificates`].
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: rustls::ServerConfig,
    app: axum::Router,
    shutdown: impl std::future::Future<Output = ()>,
) {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::server::conn::auto::Builder;
    use hyper_util::service::TowerToHyperService;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => return,
        };
        // Without TCP_NODELAY the handshake's small writes wait on the peer's delayed ACK
        // (~40 ms per new connection; BENCHMARKS.md, "Token requests over TLS").
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(%peer, error = %e, "cannot set TCP_NODELAY");
        }
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            // A handshake that does not finish in 10 s is dropped (slowloris on TLS).
            let tls =
                match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => {
                        tracing::debug!(%peer, error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => return,
                };
            let mut app = app.layer(axum::Extension(axum::extract::ConnectInfo(peer)));
            if let Some(chain) = tls.get_ref().1.peer_certificates() {
                let chain: Vec<Vec<u8>> = chain.iter().map(|c| c.to_vec()).collect();
                app = app.layer(axum::Extension(crate::mtls::PeerCertificates(Arc::new(
                    chain,
                ))));
            }
            let service = TowerToHyperService::new(app);
            if let Err(e) = Builder::new(TokioExecutor::new())
                .serve_connection_with_upgrades(TokioIo::new(tls), service)
                .await
            {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
}
