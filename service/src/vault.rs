//! The vault: where the server's master keys come from (`KEYWARD_MASTER_KEY` or the 0600 key
//! file), the start-up checks against what the database was sealed with, the pepper, and
//! sealing/opening with a reload when another process rotated the key file.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use keyward_credentials::seal::{context, KeyRing, MasterKey, Pepper, SealError, Sealed, Verifier};
use keyward_store::{secrets, Db};
use zeroize::Zeroizing;

/// The environment variable that holds the master key(s).
pub const MASTER_KEY_VAR: &str = "KEYWARD_MASTER_KEY";
/// Name of the key file in the data directory.
pub const KEY_FILE: &str = "master.key";
const PEPPER: &str = "pepper";

/// Where the master keys come from.
#[derive(Clone)]
pub enum KeySource {
    /// `KEYWARD_MASTER_KEY`: base64 keys, comma-separated, primary first.
    Configured(Zeroizing<String>),
    /// The key file: one base64 key per line, primary first.
    File(PathBuf),
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Configured(_) => f.write_str("KeySource::Configured(<redacted>)"),
            KeySource::File(p) => write!(f, "KeySource::File({})", p.display()),
        }
    }
}

impl KeySource {
    pub fn new(configured: Option<&str>, data_dir: &Path) -> Self {
        match configured {
            Some(text) => KeySource::Configured(Zeroizing::new(text.to_string())),
            None => KeySource::File(data_dir.join(KEY_FILE)),
        }
    }

    fn name(&self) -> String {
        match self {
            KeySource::Configured(_) => MASTER_KEY_VAR.to_string(),
            KeySource::File(p) => format!("the key file {}", p.display()),
        }
    }

    /// Reads the ring; `Ok(None)` when the key file does not exist.
    fn read(&self) -> Result<Option<(KeyRing, Option<SystemTime>)>, String> {
        match self {
            KeySource::Configured(text) => KeyRing::parse(text, MASTER_KEY_VAR)
                .map(|r| Some((r, None)))
                .map_err(|e| e.to_string()),
            KeySource::File(path) => match std::fs::read_to_string(path) {
                Ok(text) => {
                    let text = Zeroizing::new(text);
                    let mtime = std::fs::metadata(path).and_then(|m| m.modified()).ok();
                    KeyRing::parse(&text, &path.display().to_string())
                        .map(|r| Some((r, mtime)))
                        .map_err(|e| e.to_string())
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(format!(
                    "cannot read the master key file {}: {e}",
                    path.display()
                )),
            },
        }
    }

    fn mtime(&self) -> Option<SystemTime> {
        match self {
            KeySource::Configured(_) => None,
            KeySource::File(p) => std::fs::metadata(p).and_then(|m| m.modified()).ok(),
        }
    }
}

/// Writes a key file (mode 0600) atomically: a temporary file renamed over the old one.
pub fn write_key_file(path: &Path, keys_base64: &[&str]) -> Result<(), String> {
    let tmp = path.with_extension("key.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| format!("cannot create the master key file {}: {e}", tmp.display()))?;
    let text = Zeroizing::new(keys_base64.join("\n") + "\n");
    file.write_all(text.as_bytes())
        .and_then(|_| file.sync_all())
        .map_err(|e| format!("cannot write the master key file {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .map_err(|e| format!("cannot replace the master key file {}: {e}", path.display()))
}

/// Reads the base64 lines of a key file (for rotation, which prepends a key).
pub fn read_key_file_lines(path: &Path) -> Result<Vec<Zeroizing<String>>, String> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the master key file {}: {e}", path.display()))?,
    );
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| Zeroizing::new(l.to_string()))
        .collect())
}

struct Current {
    ring: Arc<KeyRing>,
    mtime: Option<SystemTime>,
}

/// The master keys and the pepper of a running server.
pub struct Vault {
    source: KeySource,
    current: RwLock<Current>,
    pepper: Pepper,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(<redacted>)")
    }
}

/// What [`Vault::open_at_start`] did.
pub struct Opened {
    pub vault: Vault,
    /// The key file, when start-up created it.
    pub created_key_file: Option<PathBuf>,
}

impl Vault {
    /// Loads the master keys, checks them against every key id the database was sealed with,
    /// and unseals (or creates) the pepper. Never creates a key file when the database already
    /// holds sealed values: that would orphan them.
    pub async fn open_at_start(source: KeySource, db: &Db, now: i64) -> Result<Opened, String> {
        let used = secrets::sealing_key_ids(db)
            .await
            .map_err(|e| e.to_string())?;
        let (ring, mtime, created_key_file) = match source.read()? {
            Some((ring, mtime)) => (ring, mtime, None),
            None => {
                let KeySource::File(path) = &source else {
                    unreachable!("a configured key always reads")
                };
                if let Some(id) = used.first() {
                    return Err(format!(
                        "{MASTER_KEY_VAR} is not set and {} does not exist, but the database \
                         holds values sealed by master key {id}: set {MASTER_KEY_VAR} to that key \
                         or restore the key file",
                        path.display()
                    ));
                }
                let (_, text) = MasterKey::generate(&mut rand::rngs::OsRng);
                write_key_file(path, &[text.as_str()])?;
                let (ring, mtime) = source
                    .read()?
                    .ok_or_else(|| format!("{} vanished after creation", path.display()))?;
                (ring, mtime, Some(path.clone()))
            }
        };
        if let Some(missing) = used.iter().find(|id| !ring.knows(id)) {
            return Err(format!(
                "{} does not hold master key {missing}, which sealed values in the database \
                 (it holds {}): configure the key the database was sealed with",
                source.name(),
                ring.ids().collect::<Vec<_>>().join(", ")
            ));
        }
        let sealed = secrets::server_secret_get_or_insert(
            db,
            PEPPER,
            || {
                let bytes = Pepper::generate_bytes(&mut rand::rngs::OsRng);
                let s = ring.seal(&mut rand::rngs::OsRng, context::PEPPER, &bytes);
                secrets::ServerSecret {
                    sealed_value: s.bytes,
                    master_key_id: s.key_id,
                }
            },
            now,
        )
        .await
        .map_err(|e| e.to_string())?;
        let pepper_bytes = ring
            .open(
                context::PEPPER,
                &Sealed {
                    key_id: sealed.master_key_id,
                    bytes: sealed.sealed_value,
                },
            )
            .map_err(|e| format!("cannot unseal the pepper with {}: {e}", source.name()))?;
        let pepper = Pepper::from_bytes(&pepper_bytes).map_err(|e| e.to_string())?;
        Ok(Opened {
            vault: Vault {
                source,
                current: RwLock::new(Current {
                    ring: Arc::new(ring),
                    mtime,
                }),
                pepper,
            },
            created_key_file,
        })
    }

    /// The verifier stored for a client secret.
    pub fn verifier(&self, secret: &str) -> Verifier {
        self.pepper.verifier(secret)
    }

    pub fn pepper(&self) -> &Pepper {
        &self.pepper
    }

    fn ring(&self) -> Arc<KeyRing> {
        self.current.read().expect("vault lock").ring.clone()
    }

    /// Re-reads the key file if it changed (another process rotated it). Errors keep the
    /// current keys and are logged.
    /// `force` re-reads even when the modification time looks unchanged (file times are
    /// coarse: two quick rewrites can share one).
    fn refresh(&self, force: bool) {
        let mtime = self.source.mtime();
        if mtime.is_none() || (!force && mtime == self.current.read().expect("vault lock").mtime) {
            return;
        }
        match self.source.read() {
            Ok(Some((ring, mtime))) => {
                tracing::info!(keys = ?ring.ids().collect::<Vec<_>>(), "master key file changed: reloaded");
                *self.current.write().expect("vault lock") = Current {
                    ring: Arc::new(ring),
                    mtime,
                };
            }
            Ok(None) => tracing::error!("the master key file disappeared; keeping the loaded keys"),
            Err(e) => {
                tracing::error!(error = %e, "cannot reload the master key file; keeping the loaded keys")
            }
        }
    }

    /// Seals under the current primary key (after picking up a rotated key file).
    pub fn seal(&self, context: &str, plain: &[u8]) -> Sealed {
        self.refresh(false);
        self.ring().seal(&mut rand::rngs::OsRng, context, plain)
    }

    /// Opens a sealed value, reloading the key file once when the key is unknown.
    pub fn open(&self, context: &str, sealed: &Sealed) -> Result<Zeroizing<Vec<u8>>, SealError> {
        match self.ring().open(context, sealed) {
            Err(SealError::UnknownKey(_)) => {
                self.refresh(true);
                self.ring().open(context, sealed)
            }
            other => other,
        }
    }
}

/// Result of a master-key rotation.
#[derive(Debug)]
pub struct RotationReport {
    pub new_key_id: String,
    pub resealed: u64,
}

/// Re-seals every sealed value in the database under `ring`'s primary key, in batches of 500
/// walked in id order, while servers keep running (each value is replaced by compare-and-set).
/// Passes repeat from the start until one finds nothing left, so values sealed under an old
/// key meanwhile, or changed under a batch, are caught too.
pub async fn reseal_all(db: &Db, ring: &KeyRing) -> Result<RotationReport, String> {
    let primary = ring.primary().id().to_string();
    let mut resealed = 0;
    for _pass in 0..100 {
        let mut include_server = true;
        let mut after = String::new();
        let mut seen = 0usize;
        loop {
            let batch = secrets::sealed_not_under(db, &primary, include_server, &after, 500)
                .await
                .map_err(|e| e.to_string())?;
            include_server = false;
            if batch.is_empty() {
                break;
            }
            seen += batch.len();
            if let Some(last) = batch
                .iter()
                .rev()
                .find(|i| i.kind == secrets::SealedKind::ClientSecret)
            {
                after = last.id.clone();
            }
            let mut new = Vec::with_capacity(batch.len());
            for item in batch {
                let ctx = match item.kind {
                    secrets::SealedKind::Server => context::PEPPER,
                    secrets::SealedKind::ClientSecret => context::CLIENT_SECRET,
                    secrets::SealedKind::RealmKey => context::REALM_KEY,
                    secrets::SealedKind::Webhook => context::WEBHOOK_SECRET,
                };
                let sealed = Sealed {
                    key_id: item.master_key_id.clone(),
                    bytes: item.sealed_value.clone(),
                };
                let fresh = ring
                    .reseal(&mut rand::rngs::OsRng, ctx, &sealed)
                    .map_err(|e| format!("cannot re-seal {:?} {}: {e}", item.kind, item.id))?
                    .expect("items are not under the primary");
                new.push((item, fresh.bytes));
            }
            resealed += secrets::reseal(db, &new, &primary)
                .await
                .map_err(|e| e.to_string())?;
        }
        if seen == 0 {
            return Ok(RotationReport {
                new_key_id: primary,
                resealed,
            });
        }
    }
    Err("master-key rotation did not converge".into())
}
