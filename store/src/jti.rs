//! The `assertion_jti` table: client-assertion ids already accepted, so each is accepted once
//! (one atomic insert, shared by every replica on the same database), and purged once expired.

use crate::{Db, Result};

/// Records `jti` for the client, keeping it until `expires_at`. Returns `false` when it was
/// already there and has not expired: a replay. An expired row with the same id is replaced.
pub async fn accept_once(
    db: &Db,
    realm_id: &str,
    client_row_id: &str,
    jti: &str,
    expires_at: i64,
    now: i64,
) -> Result<bool> {
    // Insert-if-absent, or take over a row whose time has passed: the statement is atomic on
    // both backends (primary-key conflict), so two replicas can never both accept one jti.
    let done = sqlx::query(
        "INSERT INTO assertion_jti (realm_id, client_row_id, jti, expires_at) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (realm_id, client_row_id, jti) DO UPDATE SET expires_at = excluded.expires_at \
         WHERE assertion_jti.expires_at <= $5",
    )
    .bind(realm_id)
    .bind(client_row_id)
    .bind(jti)
    .bind(expires_at)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes up to `limit` rows that expired before `now`; returns how many went.
pub async fn purge_expired(db: &Db, now: i64, limit: i64) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM assertion_jti WHERE (realm_id, client_row_id, jti) IN \
         (SELECT realm_id, client_row_id, jti FROM assertion_jti WHERE expires_at <= $1 LIMIT $2)",
    )
    .bind(now)
    .bind(limit)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}
