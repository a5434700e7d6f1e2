//! The `realm_key` table: a realm's access-token signing keys (private keys sealed under the
//! master key, public JWKs in clear), their rotation (active → passive → retired).

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::FirstRow;
use crate::{Db, Result};

/// A realm signing key (the private key only sealed).
#[derive(Clone, PartialEq, Eq)]
pub struct RealmKey {
    pub realm_key_id: String,
    pub realm_id: String,
    pub kid: String,
    /// ES256 or RS256.
    pub alg: String,
    /// AES-256-GCM of the PKCS#8 DER, and the master key that sealed it.
    pub sealed_private_key: Vec<u8>,
    pub master_key_id: String,
    /// The public JWK, JSON text.
    pub public_jwk: String,
    /// active, passive or retired.
    pub status: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

impl std::fmt::Debug for RealmKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealmKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("status", &self.status)
            .field("master_key_id", &self.master_key_id)
            .finish_non_exhaustive()
    }
}

/// A key to add.
#[derive(Clone, Copy)]
pub struct NewRealmKey<'a> {
    pub kid: &'a str,
    pub alg: &'a str,
    pub sealed_private_key: &'a [u8],
    pub master_key_id: &'a str,
    pub public_jwk: &'a str,
}

const COLUMNS: &str = "realm_key_id, realm_id, kid, alg, sealed_private_key, master_key_id, \
                       public_jwk, status, created_at, retired_at";

fn from_row(row: &AnyRow) -> std::result::Result<RealmKey, sqlx::Error> {
    Ok(RealmKey {
        realm_key_id: row.try_get("realm_key_id")?,
        realm_id: row.try_get("realm_id")?,
        kid: row.try_get("kid")?,
        alg: row.try_get("alg")?,
        sealed_private_key: row.try_get("sealed_private_key")?,
        master_key_id: row.try_get("master_key_id")?,
        public_jwk: row.try_get("public_jwk")?,
        status: row.try_get("status")?,
        created_at: row.try_get("created_at")?,
        retired_at: row.try_get("retired_at")?,
    })
}

/// A realm's keys, newest first (retired ones included).
pub async fn list(db: &Db, realm_id: &str) -> Result<Vec<RealmKey>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM realm_key WHERE realm_id = $1 \
         ORDER BY created_at DESC, realm_key_id"
    ))
    .bind(realm_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(from_row)
        .collect::<std::result::Result<_, _>>()?)
}

/// The key that signs new tokens, if the realm has one.
pub async fn active(db: &Db, realm_id: &str) -> Result<Option<RealmKey>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM realm_key WHERE realm_id = $1 AND status = 'active' \
         ORDER BY created_at DESC, realm_key_id"
    ))
    .bind(realm_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.first().map(from_row).transpose()?)
}

/// Adds a key as the active one, in one transaction: the previous active key becomes passive
/// (it stays in `certs` and keeps verifying the tokens it signed until it is retired).
pub async fn rotate_in(
    db: &Db,
    realm_id: &str,
    new: &NewRealmKey<'_>,
    now: i64,
) -> Result<RealmKey> {
    let mut tx = db.pool().begin().await?;
    // Serialises concurrent rotations of one realm (row lock on PostgreSQL).
    sqlx::query("UPDATE realm SET name = name WHERE realm_id = $1")
        .bind(realm_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE realm_key SET status = 'passive' WHERE realm_id = $1 AND status = 'active'",
    )
    .bind(realm_id)
    .execute(&mut *tx)
    .await?;
    let row = sqlx::query(&format!(
        "INSERT INTO realm_key (realm_key_id, realm_id, kid, alg, sealed_private_key, \
         master_key_id, public_jwk, status, created_at, retired_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, NULL) RETURNING {COLUMNS}"
    ))
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(realm_id)
    .bind(new.kid)
    .bind(new.alg)
    .bind(new.sealed_private_key)
    .bind(new.master_key_id)
    .bind(new.public_jwk)
    .bind(now)
    .fetch_all(&mut *tx)
    .await?
    .first_row()?;
    tx.commit().await?;
    db.changed().await;
    Ok(from_row(&row)?)
}

/// Retires a passive key: it leaves `certs`. The active key cannot be retired
/// ([`crate::StoreError::NotFound`] for it, or for a key of another realm).
pub async fn retire(db: &Db, realm_id: &str, realm_key_id: &str, now: i64) -> Result<RealmKey> {
    let row = sqlx::query(&format!(
        "UPDATE realm_key SET status = 'retired', retired_at = $3 \
         WHERE realm_id = $1 AND realm_key_id = $2 AND status = 'passive' RETURNING {COLUMNS}"
    ))
    .bind(realm_id)
    .bind(realm_key_id)
    .bind(now)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    db.changed().await;
    Ok(from_row(&row)?)
}
