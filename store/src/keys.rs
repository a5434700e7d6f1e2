//! The `client_key` and `client_jwks` tables: a client's registered public keys (public material
//! only) and its JWKS URL with the last fetch, good or failed.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::FirstRow;
use crate::{Db, Result};

/// A registered public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientKey {
    /// UUID v4.
    pub key_id: String,
    /// The client it belongs to.
    pub client_row_id: String,
    /// The kid the upload carried (`None`: Keycloak's kid applies).
    pub kid: Option<String>,
    /// RSA, EC or OKP.
    pub kty: String,
    /// The one algorithm the key may verify, if fixed.
    pub alg: Option<String>,
    /// SubjectPublicKeyInfo DER.
    pub spki_der: Vec<u8>,
    /// X.509 certificate DER, when uploaded.
    pub certificate_der: Option<Vec<u8>>,
    /// RFC 7638 thumbprint, base64url.
    pub thumbprint_s256: String,
    /// cert, pem, jwk, jwks, jks, pkcs12 or generated.
    pub source: String,
    /// Certificate validity, epoch seconds.
    pub not_before: Option<i64>,
    /// Certificate validity, epoch seconds.
    pub not_after: Option<i64>,
    /// Whether it verifies assertions.
    pub active: bool,
    /// Epoch seconds.
    pub created_at: i64,
    /// The client's keys in the order they were made (1, 2, …): orders keys made within the
    /// same second, so "the newest key" is one key.
    pub created_seq: i64,
    /// Operator username.
    pub created_by: String,
    /// Its last successful use (epoch seconds, at most a minute old) and the address it came
    /// from.
    pub last_used: Option<(i64, Option<String>)>,
}

/// A key to register.
#[derive(Clone, Copy, Debug)]
pub struct NewKey<'a> {
    pub kid: Option<&'a str>,
    pub kty: &'a str,
    pub alg: Option<&'a str>,
    pub spki_der: &'a [u8],
    pub certificate_der: Option<&'a [u8]>,
    pub thumbprint_s256: &'a str,
    pub source: &'a str,
    pub not_before: Option<i64>,
    pub not_after: Option<i64>,
}

const COLUMNS: &str = "key_id, client_row_id, kid, kty, alg, public_key_spki, certificate, \
                       thumbprint_s256, source, not_before, not_after, status, created_at, \
                       created_by, created_seq, last_used_at, last_used_ip";

fn from_row(row: &AnyRow) -> std::result::Result<ClientKey, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(ClientKey {
        key_id: row.try_get("key_id")?,
        client_row_id: row.try_get("client_row_id")?,
        kid: row.try_get("kid")?,
        kty: row.try_get("kty")?,
        alg: row.try_get("alg")?,
        spki_der: row.try_get("public_key_spki")?,
        certificate_der: row.try_get("certificate")?,
        thumbprint_s256: row.try_get("thumbprint_s256")?,
        source: row.try_get("source")?,
        not_before: row.try_get("not_before")?,
        not_after: row.try_get("not_after")?,
        active: status == "active",
        created_at: row.try_get("created_at")?,
        created_seq: row.try_get("created_seq")?,
        created_by: row.try_get("created_by")?,
        last_used: {
            let at: Option<i64> = row.try_get("last_used_at")?;
            let ip: Option<String> = row.try_get("last_used_ip")?;
            at.map(|at| (at, ip))
        },
    })
}

/// Records a successful use of a key at `at` from `ip`, unless one at most `interval_s` old is
/// already recorded (see `secrets::record_use`). `true` when it wrote.
pub async fn record_use(
    db: &Db,
    key_id: &str,
    at: i64,
    ip: Option<&str>,
    interval_s: i64,
) -> Result<bool> {
    crate::db::record_use(db, "client_key", "key_id", key_id, at, ip, interval_s).await
}

fn first(rows: Vec<AnyRow>) -> Result<ClientKey> {
    Ok(from_row(&rows.first_row()?)?)
}

/// A client's keys, newest first.
pub async fn list(db: &Db, client_row_id: &str) -> Result<Vec<ClientKey>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM client_key WHERE client_row_id = $1 \
         ORDER BY created_at DESC, created_seq DESC, key_id"
    ))
    .bind(client_row_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(from_row)
        .collect::<std::result::Result<_, _>>()?)
}

/// The keys of several clients in one query, each client's newest first (as [`list`]);
/// clients without keys are absent.
pub async fn list_for_clients(
    db: &Db,
    client_row_ids: &[String],
) -> Result<std::collections::HashMap<String, Vec<ClientKey>>> {
    crate::db::by_client(
        db,
        &format!(
            "SELECT {COLUMNS} FROM client_key WHERE client_row_id IN ({{ids}}) \
             ORDER BY client_row_id, created_at DESC, created_seq DESC, key_id"
        ),
        client_row_ids,
        from_row,
        |k| &k.client_row_id,
    )
    .await
}

/// One key of a client, or [`crate::StoreError::NotFound`].
pub async fn get(db: &Db, client_row_id: &str, key_id: &str) -> Result<ClientKey> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM client_key WHERE client_row_id = $1 AND key_id = $2"
    ))
    .bind(client_row_id)
    .bind(key_id)
    .fetch_all(db.pool())
    .await?;
    first(rows)
}

/// Registers keys, all or none (one upload may hold several), active.
/// [`crate::StoreError::Conflict`] when a key or a (kid, alg) is already registered for the client.
pub async fn insert_many(
    db: &Db,
    client_row_id: &str,
    keys: &[NewKey<'_>],
    created_by: &str,
    now: i64,
) -> Result<Vec<ClientKey>> {
    let mut tx = db.pool().begin().await?;
    let mut created = Vec::with_capacity(keys.len());
    for k in keys {
        let rows = sqlx::query(&format!(
            "INSERT INTO client_key (key_id, client_row_id, kid, kty, alg, public_key_spki, \
             certificate, thumbprint_s256, source, not_before, not_after, status, created_at, \
             created_by, created_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
             'active', $12, $13, \
             (SELECT COALESCE(MAX(created_seq), 0) + 1 FROM client_key WHERE client_row_id = $2)) \
             RETURNING {COLUMNS}"
        ))
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(client_row_id)
        .bind(k.kid)
        .bind(k.kty)
        .bind(k.alg)
        .bind(k.spki_der)
        .bind(k.certificate_der)
        .bind(k.thumbprint_s256)
        .bind(k.source)
        .bind(k.not_before)
        .bind(k.not_after)
        .bind(now)
        .bind(created_by)
        .fetch_all(&mut *tx)
        .await?;
        created.push(first(rows)?);
    }
    tx.commit().await?;
    db.changed().await;
    Ok(created)
}

/// Activates or deactivates a key; returns it as it is now.
pub async fn set_active(
    db: &Db,
    client_row_id: &str,
    key_id: &str,
    active: bool,
) -> Result<ClientKey> {
    let rows = sqlx::query(&format!(
        "UPDATE client_key SET status = $3 WHERE client_row_id = $1 AND key_id = $2 \
         RETURNING {COLUMNS}"
    ))
    .bind(client_row_id)
    .bind(key_id)
    .bind(if active { "active" } else { "inactive" })
    .fetch_all(db.pool())
    .await?;
    db.changed().await;
    first(rows)
}

/// Deletes a key; returns what was deleted.
pub async fn delete(db: &Db, client_row_id: &str, key_id: &str) -> Result<ClientKey> {
    let rows = sqlx::query(&format!(
        "DELETE FROM client_key WHERE client_row_id = $1 AND key_id = $2 RETURNING {COLUMNS}"
    ))
    .bind(client_row_id)
    .bind(key_id)
    .fetch_all(db.pool())
    .await?;
    db.changed().await;
    first(rows)
}

/// A client's JWKS URL and its last fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientJwks {
    pub client_row_id: String,
    /// The client's keys come from the URL.
    pub use_jwks_url: bool,
    pub jwks_url: String,
    /// The last good key set (kept when later fetches fail).
    pub body: Option<Vec<u8>>,
    /// When `body` was fetched, epoch seconds.
    pub fetched_at: Option<i64>,
    /// Usable keys in `body`.
    pub key_count: Option<i64>,
    /// When the cached set goes stale.
    pub next_refresh_at: Option<i64>,
    /// The last attempt, good or not.
    pub last_attempt_at: Option<i64>,
    /// HTTP status of the last attempt, if it got an answer.
    pub last_status: Option<i64>,
    /// Why the last attempt failed; `None` when it succeeded.
    pub last_error: Option<String>,
    pub updated_at: i64,
    pub updated_by: String,
}

const JWKS_COLUMNS: &str = "client_row_id, use_jwks_url, jwks_url, body, fetched_at, key_count, \
                            next_refresh_at, last_attempt_at, last_status, last_error, \
                            updated_at, updated_by";

fn jwks_from_row(row: &AnyRow) -> std::result::Result<ClientJwks, sqlx::Error> {
    let use_jwks_url: i64 = row.try_get("use_jwks_url")?;
    Ok(ClientJwks {
        client_row_id: row.try_get("client_row_id")?,
        use_jwks_url: use_jwks_url != 0,
        jwks_url: row.try_get("jwks_url")?,
        body: row.try_get("body")?,
        fetched_at: row.try_get("fetched_at")?,
        key_count: row.try_get("key_count")?,
        next_refresh_at: row.try_get("next_refresh_at")?,
        last_attempt_at: row.try_get("last_attempt_at")?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
        updated_at: row.try_get("updated_at")?,
        updated_by: row.try_get("updated_by")?,
    })
}

/// The client's JWKS settings, if it ever had a URL.
pub async fn jwks(db: &Db, client_row_id: &str) -> Result<Option<ClientJwks>> {
    let rows = sqlx::query(&format!(
        "SELECT {JWKS_COLUMNS} FROM client_jwks WHERE client_row_id = $1"
    ))
    .bind(client_row_id)
    .fetch_all(db.pool())
    .await?;
    rows.first()
        .map(jwks_from_row)
        .transpose()
        .map_err(Into::into)
}

/// The JWKS settings of several clients in one query (as [`jwks`]); clients without are absent.
pub async fn jwks_for_clients(
    db: &Db,
    client_row_ids: &[String],
) -> Result<std::collections::HashMap<String, ClientJwks>> {
    let rows = crate::db::by_client(
        db,
        &format!("SELECT {JWKS_COLUMNS} FROM client_jwks WHERE client_row_id IN ({{ids}})"),
        client_row_ids,
        jwks_from_row,
        |j| &j.client_row_id,
    )
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, mut v)| v.pop().map(|j| (id, j)))
        .collect())
}

/// Sets the JWKS URL and whether it is used. A different URL forgets the cached key set and the
/// last fetch (they belonged to the old URL).
pub async fn set_jwks_url(
    db: &Db,
    client_row_id: &str,
    use_jwks_url: bool,
    jwks_url: &str,
    updated_by: &str,
    now: i64,
) -> Result<ClientJwks> {
    let rows = sqlx::query(&format!(
        "INSERT INTO client_jwks (client_row_id, use_jwks_url, jwks_url, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (client_row_id) DO UPDATE SET use_jwks_url = excluded.use_jwks_url, \
         jwks_url = excluded.jwks_url, updated_at = excluded.updated_at, \
         updated_by = excluded.updated_by, \
         body = CASE WHEN client_jwks.jwks_url = excluded.jwks_url THEN client_jwks.body END, \
         fetched_at = CASE WHEN client_jwks.jwks_url = excluded.jwks_url \
             THEN client_jwks.fetched_at END, \
         key_count = CASE WHEN client_jwks.jwks_url = excluded.jwks_url \
             THEN client_jwks.key_count END, \
         next_refresh_at = CASE WHEN client_jwks.jwks_url = excluded.jwks_url \
             THEN client_jwks.next_refresh_at END, \
         last_attempt_at = CASE WHEN client_jwks.jwks_url = excluded.jwks_url \
             THEN client_jwks.last_attempt_at END, \
         last_status = CASE WHEN client_jwks.jwks_url = excluded.jwks_url \
             THEN client_jwks.last_status END, \
         last_error = CASE WHEN client_jwks.jwks_url = excluded.jwks_url \
             THEN client_jwks.last_error END \
         RETURNING {JWKS_COLUMNS}"
    ))
    .bind(client_row_id)
    .bind(i64::from(use_jwks_url))
    .bind(jwks_url)
    .bind(now)
    .bind(updated_by)
    .fetch_all(db.pool())
    .await?;
    db.changed().await;
    Ok(jwks_from_row(&rows.first_row()?)?)
}

/// The outcome of one fetch of a client's JWKS URL.
#[derive(Clone, Copy, Debug)]
pub struct FetchRecord<'a> {
    /// The URL that was fetched (the record is dropped if the URL changed meanwhile).
    pub jwks_url: &'a str,
    pub attempt_at: i64,
    /// HTTP status, if an answer came.
    pub status: Option<i64>,
    /// A good key set: body, usable key count, next refresh. `None`: the fetch failed and the
    /// last good set stays.
    pub good: Option<(&'a [u8], i64, i64)>,
    /// Why it failed.
    pub error: Option<&'a str>,
}

/// Records a fetch. Returns `false` (nothing written) when the client's URL is no longer
/// `record.jwks_url`.
pub async fn record_fetch(db: &Db, client_row_id: &str, record: &FetchRecord<'_>) -> Result<bool> {
    let done =
        match record.good {
            Some((body, key_count, next_refresh_at)) => {
                sqlx::query(
                    "UPDATE client_jwks SET body = $3, fetched_at = $4, key_count = $5, \
                 next_refresh_at = $6, last_attempt_at = $4, last_status = $7, last_error = $8 \
                 WHERE client_row_id = $1 AND jwks_url = $2",
                )
                .bind(client_row_id)
                .bind(record.jwks_url)
                .bind(body)
                .bind(record.attempt_at)
                .bind(key_count)
                .bind(next_refresh_at)
                .bind(record.status)
                .bind(record.error)
                .execute(db.pool())
                .await?
            }
            None => sqlx::query(
                "UPDATE client_jwks SET last_attempt_at = $3, last_status = $4, last_error = $5 \
                 WHERE client_row_id = $1 AND jwks_url = $2",
            )
            .bind(client_row_id)
            .bind(record.jwks_url)
            .bind(record.attempt_at)
            .bind(record.status)
            .bind(record.error)
            .execute(db.pool())
            .await?,
        };
    db.changed().await;
    Ok(done.rows_affected() > 0)
}

/// Claims the right to refetch: sets `last_attempt_at = now` only if the last attempt is at least
/// `min_interval` seconds old (or there was none), so replicas and concurrent requests refetch
/// at most once per interval. Returns whether this caller may fetch.
pub async fn claim_refetch(
    db: &Db,
    client_row_id: &str,
    jwks_url: &str,
    min_interval: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE client_jwks SET last_attempt_at = $3 WHERE client_row_id = $1 AND jwks_url = $2 \
         AND (last_attempt_at IS NULL OR last_attempt_at <= $4)",
    )
    .bind(client_row_id)
    .bind(jwks_url)
    .bind(now)
    .bind(now - min_interval)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}
