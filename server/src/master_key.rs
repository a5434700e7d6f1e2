//! The master key that seals stored secrets: from `KEYWARD_MASTER_KEY`, or a 0600 key file
//! created in the data directory on first start.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;
use zeroize::Zeroizing;

/// 32 bytes of key material; wiped from memory when dropped, never printed.
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

fn decode(text: &str, source: &str) -> Result<MasterKey, String> {
    let raw = Zeroizing::new(
        STANDARD
            .decode(text.trim())
            .map_err(|_| format!("{source} is not base64"))?,
    );
    let bytes: [u8; 32] = raw
        .as_slice()
        .try_into()
        .map_err(|_| format!("{source} must be 32 bytes (base64), not {}", raw.len()))?;
    Ok(MasterKey(Zeroizing::new(bytes)))
}

/// Loads the master key: the configured value, else `data_dir/master.key`, creating it
/// (mode 0600) when missing. Returns the key and whether a new file was created.
pub fn load_or_create(
    configured: Option<&str>,
    data_dir: &Path,
) -> Result<(MasterKey, bool), String> {
    if let Some(text) = configured {
        return decode(text, "KEYWARD_MASTER_KEY").map(|k| (k, false));
    }
    let path = data_dir.join("master.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => decode(&text, &path.display().to_string()).map(|k| (k, false)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = Zeroizing::new([0u8; 32]);
            rand::rngs::OsRng.fill_bytes(bytes.as_mut());
            let encoded = Zeroizing::new(STANDARD.encode(bytes.as_ref()));
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| {
                    format!("cannot create the master key file {}: {e}", path.display())
                })?;
            file.write_all(encoded.as_bytes())
                .and_then(|_| file.sync_all())
                .map_err(|e| format!("cannot write the master key file {}: {e}", path.display()))?;
            Ok((MasterKey(bytes), true))
        }
        Err(e) => Err(format!(
            "cannot read the master key file {}: {e}",
            path.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn creates_a_private_key_file_once() {
        let dir = tempfile::tempdir().unwrap();
        let (k1, created) = load_or_create(None, dir.path()).unwrap();
        assert!(created);
        let mode = std::fs::metadata(dir.path().join("master.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let (k2, created) = load_or_create(None, dir.path()).unwrap();
        assert!(!created);
        assert_eq!(k1.bytes(), k2.bytes());
        assert!(!format!("{k1:?}").contains(&format!("{:?}", &k1.bytes()[..4])));
    }

    #[test]
    fn configured_key_is_validated() {
        let dir = tempfile::tempdir().unwrap();
        let good = STANDARD.encode([7u8; 32]);
        let (k, created) = load_or_create(Some(&good), dir.path()).unwrap();
        assert!(!created);
        assert_eq!(k.bytes(), &[7u8; 32]);
        assert!(load_or_create(Some("!!"), dir.path())
            .unwrap_err()
            .contains("base64"));
        let short = STANDARD.encode([7u8; 16]);
        assert!(load_or_create(Some(&short), dir.path())
            .unwrap_err()
            .contains("32 bytes"));
        assert!(
            !dir.path().join("master.key").exists(),
            "no file when configured"
        );
    }
}
