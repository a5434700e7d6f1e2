//! Credentials that expire: client secrets with an expiry and active registered certificates,
//! for the console's expiry dashboard, the client page's banner and the Prometheus gauge.

use sqlx::Row;

use crate::{Db, Result};

/// One secret or certificate with an end of life.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Expiring {
    pub realm: String,
    pub client_row_id: String,
    pub client_id: String,
    /// `secret` or `certificate`.
    pub kind: String,
    /// The secret id or the key id.
    pub id: String,
    /// The secret's label, or the key's kid (may be empty).
    pub label: String,
    /// Epoch seconds.
    pub expires_at: i64,
}

/// Unrevoked secrets and active certificates that expire before `until`, soonest first, at most
/// `limit`; `realm` (a realm name) narrows to one realm, `client_row_id` to one client.
pub async fn list(
    db: &Db,
    realm: Option<&str>,
    client_row_id: Option<&str>,
    until: i64,
    limit: i64,
) -> Result<Vec<Expiring>> {
    let rows = sqlx::query(
        "SELECT r.name AS realm, c.client_row_id, c.client_id, 'secret' AS kind, \
                s.secret_id AS id, s.label AS label, s.expires_at AS expires_at \
           FROM client_secret s JOIN client c ON c.client_row_id = s.client_row_id \
           JOIN realm r ON r.realm_id = c.realm_id \
          WHERE s.revoked_at IS NULL AND s.expires_at IS NOT NULL AND s.expires_at < $1 \
            AND ($2 = '' OR r.name = $2) AND ($3 = '' OR c.client_row_id = $3) \
         UNION ALL \
         SELECT r.name, c.client_row_id, c.client_id, 'certificate', \
                k.key_id, COALESCE(k.kid, ''), k.not_after \
           FROM client_key k JOIN client c ON c.client_row_id = k.client_row_id \
           JOIN realm r ON r.realm_id = c.realm_id \
          WHERE k.status = 'active' AND k.not_after IS NOT NULL AND k.not_after < $1 \
            AND ($2 = '' OR r.name = $2) AND ($3 = '' OR c.client_row_id = $3) \
         ORDER BY expires_at, client_id, id LIMIT $4",
    )
    .bind(until)
    .bind(realm.unwrap_or(""))
    .bind(client_row_id.unwrap_or(""))
    .bind(limit.clamp(0, 100_000))
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Expiring {
                realm: r.try_get("realm")?,
                client_row_id: r.try_get("client_row_id")?,
                client_id: r.try_get("client_id")?,
                kind: r.try_get("kind")?,
                id: r.try_get("id")?,
                label: r.try_get("label")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .collect::<std::result::Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// A live secret or active key that has not been used since a given time.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Unused {
    pub client_row_id: String,
    pub client_id: String,
    /// `secret` or `key`.
    pub kind: String,
    /// The secret id or the key id.
    pub id: String,
    /// The secret's label, or the key's kid (may be empty).
    pub label: String,
    pub created_at: i64,
    /// `None`: never used since last use was recorded.
    pub last_used_at: Option<i64>,
}

/// A realm's live secrets (not revoked, not expired at `now`) and active keys that are older
/// than `before` and were not used since then (never, or last before it), longest unused first,
/// at most `limit`.
pub async fn unused(
    db: &Db,
    realm: &str,
    before: i64,
    now: i64,
    limit: i64,
) -> Result<Vec<Unused>> {
    let rows = sqlx::query(
        "SELECT c.client_row_id, c.client_id, 'secret' AS kind, s.secret_id AS id, \
                s.label AS label, s.created_at AS created_at, s.last_used_at AS last_used_at \
           FROM client_secret s JOIN client c ON c.client_row_id = s.client_row_id \
           JOIN realm r ON r.realm_id = c.realm_id \
          WHERE r.name = $1 AND s.revoked_at IS NULL \
            AND (s.expires_at IS NULL OR s.expires_at > $3) AND s.created_at < $2 \
            AND (s.last_used_at IS NULL OR s.last_used_at < $2) \
         UNION ALL \
         SELECT c.client_row_id, c.client_id, 'key', k.key_id, COALESCE(k.kid, ''), \
                k.created_at, k.last_used_at \
           FROM client_key k JOIN client c ON c.client_row_id = k.client_row_id \
           JOIN realm r ON r.realm_id = c.realm_id \
          WHERE r.name = $1 AND k.status = 'active' AND k.created_at < $2 \
            AND (k.last_used_at IS NULL OR k.last_used_at < $2) \
         ORDER BY last_used_at NULLS FIRST, created_at, client_id, id LIMIT $4",
    )
    .bind(realm)
    .bind(before)
    .bind(now)
    .bind(limit.clamp(0, 100_000))
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Unused {
                client_row_id: r.try_get("client_row_id")?,
                client_id: r.try_get("client_id")?,
                kind: r.try_get("kind")?,
                id: r.try_get("id")?,
                label: r.try_get("label")?,
                created_at: r.try_get("created_at")?,
                last_used_at: r.try_get("last_used_at")?,
            })
        })
        .collect::<std::result::Result<_, sqlx::Error>>()
        .map_err(Into::into)
}
