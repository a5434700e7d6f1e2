//! The `identity_provider` table (migration 0012): a realm's identity providers, the trust
//! relationships of federated client authentication (issue 21; the `federated-jwt` method
//! trusts their tokens). Keycloak's model: an alias unique per realm, a provider id, enabled, a display name
//! and a config map of strings (stored as one JSON object).
//!
//! Every write moves the change generation ([`Db::generation`]), as the writes of clients do,
//! so what the token endpoint caches of a provider follows a change on every replica.

use std::collections::BTreeMap;

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::FirstRow;
use crate::{Db, Result, StoreError};

/// A realm's identity provider.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct IdentityProvider {
    /// Internal id (UUID v4), Keycloak's `internalId`.
    pub idp_row_id: String,
    pub realm_id: String,
    /// Unique per realm.
    pub alias: String,
    /// `oidc`, `kubernetes` or `spiffe`.
    pub provider_id: String,
    pub enabled: bool,
    pub display_name: String,
    /// Keycloak's config map.
    pub config: BTreeMap<String, String>,
    /// Optimistic-concurrency counter: 1 on creation, +1 per update.
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The fields of a provider that a create or an update writes.
#[derive(Clone, Copy, Debug)]
pub struct ProviderFields<'a> {
    pub provider_id: &'a str,
    pub enabled: bool,
    pub display_name: &'a str,
    pub config: &'a BTreeMap<String, String>,
}

const COLUMNS: &str = "idp_row_id, realm_id, alias, provider_id, enabled, display_name, config, \
                       version, created_at, updated_at";

fn from_row(row: &AnyRow) -> std::result::Result<IdentityProvider, sqlx::Error> {
    let config: String = row.try_get("config")?;
    Ok(IdentityProvider {
        idp_row_id: row.try_get("idp_row_id")?,
        realm_id: row.try_get("realm_id")?,
        alias: row.try_get("alias")?,
        provider_id: row.try_get("provider_id")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        display_name: row.try_get("display_name")?,
        config: serde_json::from_str(&config).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn config_json(config: &BTreeMap<String, String>) -> String {
    serde_json::to_string(config).unwrap_or_else(|_| "{}".into())
}

/// Creates a provider; [`StoreError::Conflict`] when the alias is taken in this realm.
pub async fn create(
    db: &Db,
    realm_id: &str,
    alias: &str,
    fields: &ProviderFields<'_>,
    now: i64,
) -> Result<IdentityProvider> {
    let row = sqlx::query(&format!(
        "INSERT INTO identity_provider (idp_row_id, realm_id, alias, provider_id, enabled, \
         display_name, config, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8) RETURNING {COLUMNS}"
    ))
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(realm_id)
    .bind(alias)
    .bind(fields.provider_id)
    .bind(i64::from(fields.enabled))
    .bind(fields.display_name)
    .bind(config_json(fields.config))
    .bind(now)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    db.changed().await;
    Ok(from_row(&row)?)
}

/// The realm's providers, ordered by alias.
pub async fn list(db: &Db, realm_id: &str) -> Result<Vec<IdentityProvider>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM identity_provider WHERE realm_id = $1 ORDER BY alias"
    ))
    .bind(realm_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(from_row)
        .collect::<std::result::Result<_, _>>()?)
}

/// The provider with this alias in this realm, or [`StoreError::NotFound`].
pub async fn get(db: &Db, realm_id: &str, alias: &str) -> Result<IdentityProvider> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM identity_provider WHERE realm_id = $1 AND alias = $2"
    ))
    .bind(realm_id)
    .bind(alias)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    Ok(from_row(&row)?)
}

/// Replaces a provider's fields when its stored version is `expected_version`, bumping it;
/// [`StoreError::Stale`] when another write came first, [`StoreError::NotFound`] when absent.
pub async fn update(
    db: &Db,
    realm_id: &str,
    alias: &str,
    expected_version: i64,
    fields: &ProviderFields<'_>,
    now: i64,
) -> Result<IdentityProvider> {
    let row = sqlx::query(&format!(
        "UPDATE identity_provider SET provider_id = $4, enabled = $5, display_name = $6, \
         config = $7, version = version + 1, updated_at = $8 \
         WHERE realm_id = $1 AND alias = $2 AND version = $3 RETURNING {COLUMNS}"
    ))
    .bind(realm_id)
    .bind(alias)
    .bind(expected_version)
    .bind(fields.provider_id)
    .bind(i64::from(fields.enabled))
    .bind(fields.display_name)
    .bind(config_json(fields.config))
    .bind(now)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .next();
    db.changed().await;
    match row {
        Some(row) => {
            let p = from_row(&row)?;
            // Keys fetched under the old configuration may come from another issuer.
            crate::federation::forget_keys(db, &p.idp_row_id).await?;
            Ok(p)
        }
        None => {
            get(db, realm_id, alias).await?;
            Err(StoreError::Stale)
        }
    }
}

/// Deletes a provider; [`StoreError::NotFound`] when absent.
pub async fn delete(db: &Db, realm_id: &str, alias: &str) -> Result<()> {
    let done = sqlx::query("DELETE FROM identity_provider WHERE realm_id = $1 AND alias = $2")
        .bind(realm_id)
        .bind(alias)
        .execute(db.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    db.changed().await;
    Ok(())
}
