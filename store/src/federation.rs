//! Federated client authentication in the store (migration 0013): the `federated_binding` table
//! (which tokens of which identity provider a `federated-jwt` client accepts) and the
//! `identity_provider_keys` table (the keys last fetched from each provider).
//!
//! Invariants: (provider, subject) is unique per realm, and so is (provider, expression) among
//! expression-only bindings: a token names at most one client through an exact subject. A
//! binding's label is unique per client. Every binding write moves the change generation, so
//! the token endpoint's cache of a client follows it on every replica. Writes to the key cache
//! do not: what was fetched is read fresh by the fetch path itself.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::FirstRow;
use crate::{Db, Result, StoreError};

/// One binding of a client to an identity provider.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Binding {
    pub binding_id: String,
    pub realm_id: String,
    pub client_row_id: String,
    /// The client's client id (joined in).
    pub client_id: String,
    pub idp_row_id: String,
    /// The provider's alias (joined in; Keycloak's `jwt.credential.issuer`).
    pub provider_alias: String,
    pub label: String,
    /// The token's exact `sub` (Keycloak's `jwt.credential.sub`).
    pub subject: Option<String>,
    /// A normalized claims expression.
    pub claims_expr: Option<String>,
    pub created_at: i64,
    pub created_by: String,
}

/// The fields of a new binding.
#[derive(Clone, Copy, Debug)]
pub struct NewBinding<'a> {
    pub realm_id: &'a str,
    pub client_row_id: &'a str,
    pub idp_row_id: &'a str,
    pub label: &'a str,
    pub subject: Option<&'a str>,
    pub claims_expr: Option<&'a str>,
    pub created_by: &'a str,
}

const COLUMNS: &str = "b.binding_id, b.realm_id, b.client_row_id, c.client_id, b.idp_row_id, \
                       p.alias AS provider_alias, b.label, b.subject, b.claims_expr, \
                       b.created_at, b.created_by";
const FROM: &str = "federated_binding b JOIN identity_provider p ON p.idp_row_id = b.idp_row_id \
                    JOIN client c ON c.client_row_id = b.client_row_id";

fn from_row(row: &AnyRow) -> std::result::Result<Binding, sqlx::Error> {
    Ok(Binding {
        binding_id: row.try_get("binding_id")?,
        realm_id: row.try_get("realm_id")?,
        client_row_id: row.try_get("client_row_id")?,
        client_id: row.try_get("client_id")?,
        idp_row_id: row.try_get("idp_row_id")?,
        provider_alias: row.try_get("provider_alias")?,
        label: row.try_get("label")?,
        subject: row.try_get("subject")?,
        claims_expr: row.try_get("claims_expr")?,
        created_at: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
    })
}

fn all(rows: &[AnyRow]) -> Result<Vec<Binding>> {
    Ok(rows
        .iter()
        .map(from_row)
        .collect::<std::result::Result<_, _>>()?)
}

/// Adds a binding; [`StoreError::Conflict`] when the label is taken on this client or another
/// binding of the realm already accepts the same (provider, subject) or (provider, expression).
pub async fn create(db: &Db, b: &NewBinding<'_>, now: i64) -> Result<Binding> {
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO federated_binding (binding_id, realm_id, client_row_id, idp_row_id, label, \
         subject, claims_expr, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(b.realm_id)
    .bind(b.client_row_id)
    .bind(b.idp_row_id)
    .bind(b.label)
    .bind(b.subject)
    .bind(b.claims_expr)
    .bind(now)
    .bind(b.created_by)
    .execute(db.pool())
    .await?;
    db.changed().await;
    get(db, b.client_row_id, &id).await
}

/// A client's bindings, oldest first (the first is the one Keycloak's attributes show).
pub async fn of_client(db: &Db, client_row_id: &str) -> Result<Vec<Binding>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE b.client_row_id = $1 ORDER BY b.created_at, b.label"
    ))
    .bind(client_row_id)
    .fetch_all(db.pool())
    .await?;
    all(&rows)
}

/// One binding of a client, or [`StoreError::NotFound`].
pub async fn get(db: &Db, client_row_id: &str, binding_id: &str) -> Result<Binding> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE b.client_row_id = $1 AND b.binding_id = $2"
    ))
    .bind(client_row_id)
    .bind(binding_id)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    Ok(from_row(&row)?)
}

/// The bindings of a provider that could accept a token with this subject: the one with this
/// exact subject, and every expression-only binding of the provider.
pub async fn candidates(db: &Db, idp_row_id: &str, subject: &str) -> Result<Vec<Binding>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE b.idp_row_id = $1 \
         AND (b.subject = $2 OR b.subject IS NULL) ORDER BY b.created_at, b.label"
    ))
    .bind(idp_row_id)
    .bind(subject)
    .fetch_all(db.pool())
    .await?;
    all(&rows)
}

/// How many bindings use a provider.
pub async fn count_for_provider(db: &Db, idp_row_id: &str) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM federated_binding WHERE idp_row_id = $1")
        .bind(idp_row_id)
        .fetch_one(db.pool())
        .await?;
    Ok(row.try_get("n")?)
}

/// Deletes a binding of a client; [`StoreError::NotFound`] when absent.
pub async fn delete(db: &Db, client_row_id: &str, binding_id: &str) -> Result<()> {
    let done =
        sqlx::query("DELETE FROM federated_binding WHERE client_row_id = $1 AND binding_id = $2")
            .bind(client_row_id)
            .bind(binding_id)
            .execute(db.pool())
            .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    db.changed().await;
    Ok(())
}

/// What was last fetched from a provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderKeys {
    pub idp_row_id: String,
    pub jwks_url: Option<String>,
    pub body: Option<Vec<u8>>,
    pub fetched_at: Option<i64>,
    pub key_count: Option<i64>,
    pub next_refresh_at: Option<i64>,
    pub last_attempt_at: Option<i64>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
}

/// The outcome of one fetch.
#[derive(Clone, Copy, Debug)]
pub struct KeysFetch<'a> {
    pub jwks_url: Option<&'a str>,
    pub attempt_at: i64,
    pub status: Option<i64>,
    /// A good key set: (body, key count, next refresh).
    pub good: Option<(&'a [u8], i64, i64)>,
    pub error: Option<&'a str>,
}

/// What was last fetched from a provider, if anything.
pub async fn keys(db: &Db, idp_row_id: &str) -> Result<Option<ProviderKeys>> {
    let row = sqlx::query(
        "SELECT idp_row_id, jwks_url, body, fetched_at, key_count, next_refresh_at, \
         last_attempt_at, last_status, last_error FROM identity_provider_keys WHERE idp_row_id = $1",
    )
    .bind(idp_row_id)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(ProviderKeys {
        idp_row_id: row.try_get("idp_row_id")?,
        jwks_url: row.try_get("jwks_url")?,
        body: row.try_get("body")?,
        fetched_at: row.try_get("fetched_at")?,
        key_count: row.try_get("key_count")?,
        next_refresh_at: row.try_get("next_refresh_at")?,
        last_attempt_at: row.try_get("last_attempt_at")?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
    }))
}

/// Records a fetch: a good key set replaces the kept one; a failure keeps it and says why.
pub async fn record_fetch(db: &Db, idp_row_id: &str, f: &KeysFetch<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO identity_provider_keys (idp_row_id) VALUES ($1) ON CONFLICT (idp_row_id) DO NOTHING",
    )
    .bind(idp_row_id)
    .execute(db.pool())
    .await?;
    match f.good {
        Some((body, count, next)) => {
            sqlx::query(
                "UPDATE identity_provider_keys SET jwks_url = $2, body = $3, fetched_at = $4, \
                 key_count = $5, next_refresh_at = $6, last_attempt_at = $4, last_status = $7, \
                 last_error = NULL WHERE idp_row_id = $1",
            )
            .bind(idp_row_id)
            .bind(f.jwks_url)
            .bind(body)
            .bind(f.attempt_at)
            .bind(count)
            .bind(next)
            .bind(f.status)
            .execute(db.pool())
            .await?;
        }
        None => {
            sqlx::query(
                "UPDATE identity_provider_keys SET last_attempt_at = $2, last_status = $3, \
                 last_error = $4 WHERE idp_row_id = $1",
            )
            .bind(idp_row_id)
            .bind(f.attempt_at)
            .bind(f.status)
            .bind(f.error)
            .execute(db.pool())
            .await?;
        }
    }
    Ok(())
}

/// Claims the right to fetch a provider's keys now: true for exactly one caller (on any
/// replica) per `min_interval` seconds.
pub async fn claim_fetch(db: &Db, idp_row_id: &str, min_interval: i64, now: i64) -> Result<bool> {
    sqlx::query(
        "INSERT INTO identity_provider_keys (idp_row_id) VALUES ($1) ON CONFLICT (idp_row_id) DO NOTHING",
    )
    .bind(idp_row_id)
    .execute(db.pool())
    .await?;
    let done = sqlx::query(
        "UPDATE identity_provider_keys SET last_attempt_at = $2 WHERE idp_row_id = $1 \
         AND (last_attempt_at IS NULL OR last_attempt_at <= $3)",
    )
    .bind(idp_row_id)
    .bind(now)
    .bind(now - min_interval)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Forgets what was fetched from a provider (its configuration changed).
pub async fn forget_keys(db: &Db, idp_row_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM identity_provider_keys WHERE idp_row_id = $1")
        .bind(idp_row_id)
        .execute(db.pool())
        .await?;
    Ok(())
}
