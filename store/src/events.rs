//! The `admin_event` table: the append-only audit log (details never hold secret values).

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Db, Result};

/// An event to record.
#[derive(Clone, Copy, Debug)]
pub struct NewEvent<'a> {
    /// Epoch seconds.
    pub at: i64,
    /// Username of the operator (or "system").
    pub actor: &'a str,
    /// Realm concerned, if any.
    pub realm_id: Option<&'a str>,
    /// Client concerned, if any.
    pub client_row_id: Option<&'a str>,
    /// CREATE, UPDATE, DELETE or ACTION.
    pub operation: &'a str,
    /// e.g. `clients/{id}`.
    pub resource_path: &'a str,
    /// JSON text without secret values.
    pub details: &'a str,
    /// Client IP address, if known.
    pub ip: Option<&'a str>,
}

/// A recorded event.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AdminEvent {
    /// Increasing id.
    pub event_id: i64,
    /// Epoch seconds.
    pub at: i64,
    /// Who made the change.
    pub actor: String,
    /// Realm concerned, if any (the realm may since have been deleted).
    pub realm_id: Option<String>,
    /// Client concerned, if any.
    pub client_row_id: Option<String>,
    /// CREATE, UPDATE, DELETE or ACTION.
    pub operation: String,
    /// Path of the resource.
    pub resource_path: String,
    /// JSON text.
    pub details: String,
    /// Client IP address, if known.
    pub ip: Option<String>,
}

const COLUMNS: &str =
    "event_id, at, actor, realm_id, client_row_id, operation, resource_path, details, ip";

fn from_row(row: &AnyRow) -> std::result::Result<AdminEvent, sqlx::Error> {
    Ok(AdminEvent {
        event_id: row.try_get("event_id")?,
        at: row.try_get("at")?,
        actor: row.try_get("actor")?,
        realm_id: row.try_get("realm_id")?,
        client_row_id: row.try_get("client_row_id")?,
        operation: row.try_get("operation")?,
        resource_path: row.try_get("resource_path")?,
        details: row.try_get("details")?,
        ip: row.try_get("ip")?,
    })
}

/// Appends an event.
pub async fn record(db: &Db, e: &NewEvent<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO admin_event (at, actor, realm_id, client_row_id, operation, resource_path, \
         details, ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(e.at)
    .bind(e.actor)
    .bind(e.realm_id)
    .bind(e.client_row_id)
    .bind(e.operation)
    .bind(e.resource_path)
    .bind(e.details)
    .bind(e.ip)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Events newest first, of one realm or of all, skipping `first`, at most `max`.
pub async fn list(
    db: &Db,
    realm_id: Option<&str>,
    first: i64,
    max: i64,
) -> Result<Vec<AdminEvent>> {
    let (first, max) = (first.max(0), max.max(0));
    let rows = match realm_id {
        Some(realm_id) => {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM admin_event WHERE realm_id = $1 \
                 ORDER BY event_id DESC LIMIT $2 OFFSET $3"
            ))
            .bind(realm_id)
            .bind(max)
            .bind(first)
            .fetch_all(db.pool())
            .await?
        }
        None => {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM admin_event ORDER BY event_id DESC LIMIT $1 OFFSET $2"
            ))
            .bind(max)
            .bind(first)
            .fetch_all(db.pool())
            .await?
        }
    };
    Ok(rows
        .iter()
        .map(from_row)
        .collect::<std::result::Result<_, _>>()?)
}
