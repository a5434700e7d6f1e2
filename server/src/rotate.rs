//! `keyward-server rotate-master-key`: re-seals every stored ciphertext under a new master key
//! while servers keep running.

use keyward_credentials::seal::{KeyRing, MasterKey};
use keyward_service::vault::{self, KeySource, MASTER_KEY_VAR};

use crate::config::ConfigError;

/// The master key file in the data directory (the setting is the data directory's).
const MASTER_KEY_FILE: &str = "KEYWARD_DATA_DIR/master.key";
use keyward_store::{secrets, Db};
use zeroize::Zeroizing;

use crate::{Config, StartError};

/// How long `--retire-old` waits for requests that sealed under the old key to commit.
const RETIRE_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// What the rotation did, for the operator.
pub struct Outcome {
    pub new_key_id: String,
    pub resealed: u64,
    pub retired: Vec<String>,
}

pub async fn rotate_master_key(config: &Config, retire_old: bool) -> Result<Outcome, StartError> {
    let db = Db::connect(&config.database_url())
        .await
        .map_err(|e| StartError::Database(e.to_string()))?;
    let result = rotate(config, &db, retire_old).await;
    db.close().await;
    result
}

async fn rotate(config: &Config, db: &Db, retire_old: bool) -> Result<Outcome, StartError> {
    let source = KeySource::new(config.master_key.as_deref(), &config.data_dir);
    let (ring, file) = match &source {
        KeySource::Configured(text) => {
            if retire_old {
                return Err(ConfigError::new(
                    MASTER_KEY_VAR,
                    "--retire-old works on the key file; with the variable, remove the old key \
                     from it yourself",
                )
                .into());
            }
            (
                KeyRing::parse(text, MASTER_KEY_VAR).map_err(ConfigError::of(MASTER_KEY_VAR))?,
                None,
            )
        }
        KeySource::File(path) => {
            let mut lines =
                vault::read_key_file_lines(path).map_err(ConfigError::of(MASTER_KEY_FILE))?;
            let (_, text) = MasterKey::generate(&mut rand::rngs::OsRng);
            lines.insert(0, text);
            let refs: Vec<&str> = lines.iter().map(|l| l.as_str()).collect();
            let joined = Zeroizing::new(refs.join("\n"));
            let ring = KeyRing::parse(&joined, &path.display().to_string())
                .map_err(ConfigError::of(MASTER_KEY_FILE))?;
            // The new key goes first in the file before anything is sealed with it, so a
            // running server that meets a value under it can reload and open it.
            vault::write_key_file(path, &refs).map_err(ConfigError::of(MASTER_KEY_FILE))?;
            (ring, Some((path.clone(), lines)))
        }
    };
    for id in secrets::sealing_key_ids(db)
        .await
        .map_err(|e| StartError::Database(e.to_string()))?
    {
        if !ring.knows(&id) {
            let (setting, holder) = match &source {
                KeySource::Configured(_) => (MASTER_KEY_VAR, MASTER_KEY_VAR.to_string()),
                KeySource::File(p) => (MASTER_KEY_FILE, p.display().to_string()),
            };
            return Err(ConfigError::new(
                setting,
                format!("values in the database are sealed by master key {id}, which {holder} does not hold"),
            )
            .into());
        }
    }
    let mut report = vault::reseal_all(db, &ring)
        .await
        .map_err(StartError::Database)?;
    let mut retired = Vec::new();
    if let (true, Some((path, lines))) = (retire_old, file) {
        // A request that sealed under the old key just before servers picked up the new file
        // may commit after the walk above: wait longer than any request, walk again, and only
        // then drop the old keys.
        tokio::time::sleep(RETIRE_GRACE).await;
        report.resealed += vault::reseal_all(db, &ring)
            .await
            .map_err(StartError::Database)?
            .resealed;
        let left = secrets::sealed_not_under(db, &report.new_key_id, true, "", 1)
            .await
            .map_err(|e| StartError::Database(e.to_string()))?;
        if !left.is_empty() {
            return Err(ConfigError::new(
                MASTER_KEY_FILE,
                "a value was sealed under an old key during the rotation; run the rotation again",
            )
            .into());
        }
        retired = ring.ids().skip(1).map(str::to_string).collect();
        vault::write_key_file(&path, &[lines[0].as_str()])
            .map_err(ConfigError::of(MASTER_KEY_FILE))?;
    }
    Ok(Outcome {
        new_key_id: report.new_key_id,
        resealed: report.resealed,
        retired,
    })
}
