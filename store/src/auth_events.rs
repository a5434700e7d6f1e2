//! The `client_auth_event` table: recent client authentications at the token endpoint (time,
//! method, outcome, the real reason of a failure), for the console. Never a secret or assertion.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Db, Result};

/// An authentication to record.
#[derive(Clone, Copy, Debug)]
pub struct NewAuthEvent<'a> {
    pub realm_id: &'a str,
    pub client_row_id: Option<&'a str>,
    pub client_id: &'a str,
    pub at: i64,
    pub method: &'a str,
    pub success: bool,
    pub reason: Option<&'a str>,
    pub ip: Option<&'a str>,
}

/// A recorded authentication.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AuthEvent {
    pub event_id: i64,
    pub client_id: String,
    pub at: i64,
    pub method: String,
    pub success: bool,
    pub reason: Option<String>,
    pub ip: Option<String>,
}

fn from_row(row: &AnyRow) -> std::result::Result<AuthEvent, sqlx::Error> {
    let outcome: String = row.try_get("outcome")?;
    Ok(AuthEvent {
        event_id: row.try_get("event_id")?,
        client_id: row.try_get("client_id")?,
        at: row.try_get("at")?,
        method: row.try_get("method")?,
        success: outcome == "success",
        reason: row.try_get("reason")?,
        ip: row.try_get("ip")?,
    })
}

/// Appends an authentication.
pub async fn record(db: &Db, e: &NewAuthEvent<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO client_auth_event (realm_id, client_row_id, client_id, at, method, outcome, \
         reason, ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(e.realm_id)
    .bind(e.client_row_id)
    .bind(e.client_id)
    .bind(e.at)
    .bind(e.method)
    .bind(if e.success { "success" } else { "failure" })
    .bind(e.reason)
    .bind(e.ip)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// A client's most recent authentications, newest first.
pub async fn recent(db: &Db, client_row_id: &str, limit: i64) -> Result<Vec<AuthEvent>> {
    let rows = sqlx::query(
        "SELECT event_id, client_id, at, method, outcome, reason, ip FROM client_auth_event \
         WHERE client_row_id = $1 ORDER BY event_id DESC LIMIT $2",
    )
    .bind(client_row_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(from_row)
        .collect::<std::result::Result<_, _>>()?)
}

/// Deletes events older than `before` (retention); returns how many went.
pub async fn purge_before(db: &Db, before: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM client_auth_event WHERE at < $1")
        .bind(before)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}
