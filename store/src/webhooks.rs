//! The `webhook`, `webhook_delivery` and `credential_notice` tables (issue 22 §5): a realm's
//! webhooks (the signing key sealed), the queue of deliveries (kept across restarts, retried,
//! bounded per webhook), and the expiry notices already made.
//!
//! Invariants: a delivery is sent only when no earlier delivery for the same (webhook, subject)
//! is still pending ([`due`]), so a receiver sees one credential's events in order; a replica
//! claims a delivery by moving its `next_attempt_at` forward in one conditional write, so two
//! replicas do not send it at once; at most [`MAX_PENDING`] deliveries wait per webhook, later
//! ones are recorded as `dropped`.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::FirstRow;
use crate::{Db, Result, StoreError};

/// Deliveries that may wait per webhook; beyond it new ones are recorded as dropped.
pub const MAX_PENDING: i64 = 1000;

/// A realm's webhook (its signing key sealed).
#[derive(Clone)]
pub struct Webhook {
    pub webhook_id: String,
    pub realm_id: String,
    pub url: String,
    /// Event type names.
    pub events: Vec<String>,
    /// The sealed signing key and its master key id.
    pub sealed_secret: (Vec<u8>, String),
    pub created_at: i64,
    pub created_by: String,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("webhook_id", &self.webhook_id)
            .field("url", &self.url)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

const WEBHOOK_COLUMNS: &str =
    "webhook_id, realm_id, url, events, sealed_secret, master_key_id, created_at, created_by";

fn webhook_from_row(row: &AnyRow) -> std::result::Result<Webhook, sqlx::Error> {
    let events: String = row.try_get("events")?;
    Ok(Webhook {
        webhook_id: row.try_get("webhook_id")?,
        realm_id: row.try_get("realm_id")?,
        url: row.try_get("url")?,
        events: events
            .split(',')
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .collect(),
        sealed_secret: (row.try_get("sealed_secret")?, row.try_get("master_key_id")?),
        created_at: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
    })
}

/// A webhook to store (checked by the caller).
pub struct NewWebhook<'a> {
    pub realm_id: &'a str,
    pub url: &'a str,
    pub events: &'a [&'a str],
    pub sealed_secret: (&'a [u8], &'a str),
    pub created_by: &'a str,
}

pub async fn create(db: &Db, w: &NewWebhook<'_>, now: i64) -> Result<Webhook> {
    let row = sqlx::query(&format!(
        "INSERT INTO webhook ({WEBHOOK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         RETURNING {WEBHOOK_COLUMNS}"
    ))
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(w.realm_id)
    .bind(w.url)
    .bind(w.events.join(","))
    .bind(w.sealed_secret.0)
    .bind(w.sealed_secret.1)
    .bind(now)
    .bind(w.created_by)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    Ok(webhook_from_row(&row)?)
}

/// A realm's webhooks, oldest first.
pub async fn list(db: &Db, realm_id: &str) -> Result<Vec<Webhook>> {
    let rows = sqlx::query(&format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhook WHERE realm_id = $1 ORDER BY created_at, webhook_id"
    ))
    .bind(realm_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(webhook_from_row)
        .collect::<std::result::Result<_, _>>()?)
}

/// Whether any webhook of any realm receives one of `events`.
pub async fn any_receives(db: &Db, events: &[&str]) -> Result<bool> {
    let rows = sqlx::query("SELECT events FROM webhook")
        .fetch_all(db.pool())
        .await?;
    for row in rows {
        let list: String = row.try_get("events")?;
        if list.split(',').any(|e| events.contains(&e)) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// One webhook, or [`StoreError::NotFound`].
pub async fn get(db: &Db, webhook_id: &str) -> Result<Webhook> {
    let row = sqlx::query(&format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhook WHERE webhook_id = $1"
    ))
    .bind(webhook_id)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    Ok(webhook_from_row(&row)?)
}

/// Deletes a realm's webhook and (by cascade) its deliveries.
pub async fn delete(db: &Db, realm_id: &str, webhook_id: &str) -> Result<()> {
    let done = sqlx::query("DELETE FROM webhook WHERE realm_id = $1 AND webhook_id = $2")
        .bind(realm_id)
        .bind(webhook_id)
        .execute(db.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// A queued, sent or abandoned delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub delivery_id: String,
    pub webhook_id: String,
    pub realm_id: String,
    pub event_type: String,
    pub subject: String,
    pub seq: i64,
    pub payload: String,
    /// pending, delivered, failed (gave up) or dropped (queue full).
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

const DELIVERY_COLUMNS: &str = "delivery_id, webhook_id, realm_id, event_type, subject, seq, \
                                payload, status, attempts, next_attempt_at, last_status, \
                                last_error, created_at, delivered_at";

fn delivery_from_row(row: &AnyRow) -> std::result::Result<Delivery, sqlx::Error> {
    Ok(Delivery {
        delivery_id: row.try_get("delivery_id")?,
        webhook_id: row.try_get("webhook_id")?,
        realm_id: row.try_get("realm_id")?,
        event_type: row.try_get("event_type")?,
        subject: row.try_get("subject")?,
        seq: row.try_get("seq")?,
        payload: row.try_get("payload")?,
        status: row.try_get("status")?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        delivered_at: row.try_get("delivered_at")?,
    })
}

/// Queues a delivery for a webhook (pending, due now), after the subject's earlier ones; when
/// [`MAX_PENDING`] already wait for the webhook, it is recorded as `dropped` instead.
pub async fn enqueue(
    db: &Db,
    webhook: &Webhook,
    event_type: &str,
    subject: &str,
    payload: &str,
    now: i64,
) -> Result<Delivery> {
    let waiting: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM webhook_delivery WHERE webhook_id = $1 AND status = 'pending'",
    )
    .bind(&webhook.webhook_id)
    .fetch_all(db.pool())
    .await?
    .first_row()?
    .try_get("n")?;
    let (status, error) = if waiting >= MAX_PENDING {
        ("dropped", Some("the webhook's queue is full"))
    } else {
        ("pending", None)
    };
    // The subject's next number; two replicas racing for it collide on the unique index, and
    // the loser takes the next one.
    for _ in 0..5 {
        let inserted = sqlx::query(&format!(
            "INSERT INTO webhook_delivery ({DELIVERY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, \
             (SELECT COALESCE(MAX(seq), 0) + 1 FROM webhook_delivery \
              WHERE webhook_id = $2 AND subject = $5), \
             $6, $7, 0, $8, NULL, $9, $8, NULL) RETURNING {DELIVERY_COLUMNS}"
        ))
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(&webhook.webhook_id)
        .bind(&webhook.realm_id)
        .bind(event_type)
        .bind(subject)
        .bind(payload)
        .bind(status)
        .bind(now)
        .bind(error)
        .fetch_all(db.pool())
        .await;
        match inserted.map_err(StoreError::from) {
            Ok(rows) => return Ok(delivery_from_row(&rows.first_row()?)?),
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Conflict("webhook_delivery_subject_key"))
}

/// Pending deliveries due at `now` that are first in line for their (webhook, subject), oldest
/// first, at most `limit`.
pub async fn due(db: &Db, now: i64, limit: i64) -> Result<Vec<Delivery>> {
    let cols = DELIVERY_COLUMNS
        .split(',')
        .map(|c| format!("d.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(&format!(
        "SELECT {cols} FROM webhook_delivery d \
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1 \
           AND NOT EXISTS (SELECT 1 FROM webhook_delivery e \
                           WHERE e.webhook_id = d.webhook_id AND e.subject = d.subject \
                             AND e.status = 'pending' AND e.seq < d.seq) \
         ORDER BY d.created_at, d.seq LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(delivery_from_row)
        .collect::<std::result::Result<_, _>>()?)
}

/// Claims a due delivery for one attempt: moves its next attempt to `lease_until` if nobody
/// else has since. `true` when this caller holds it.
pub async fn claim(db: &Db, d: &Delivery, lease_until: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE webhook_delivery SET next_attempt_at = $3 \
         WHERE delivery_id = $1 AND status = 'pending' AND next_attempt_at = $2",
    )
    .bind(&d.delivery_id)
    .bind(d.next_attempt_at)
    .bind(lease_until)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records an attempt: delivered (a 2xx), retried at `retry_at`, or given up (`retry_at` None).
pub async fn record_attempt(
    db: &Db,
    delivery_id: &str,
    now: i64,
    http_status: Option<u16>,
    error: Option<&str>,
    delivered: bool,
    retry_at: Option<i64>,
) -> Result<()> {
    let status = match (delivered, retry_at) {
        (true, _) => "delivered",
        (false, Some(_)) => "pending",
        (false, None) => "failed",
    };
    sqlx::query(
        "UPDATE webhook_delivery SET attempts = attempts + 1, status = $2, last_status = $3, \
         last_error = $4, next_attempt_at = $5, \
         delivered_at = CASE WHEN $2 = 'delivered' THEN $6 ELSE delivered_at END \
         WHERE delivery_id = $1",
    )
    .bind(delivery_id)
    .bind(status)
    .bind(http_status.map(i64::from))
    .bind(error)
    .bind(retry_at.unwrap_or(now))
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// A realm's deliveries, newest first, at most `limit`.
pub async fn list_deliveries(db: &Db, realm_id: &str, limit: i64) -> Result<Vec<Delivery>> {
    let rows = sqlx::query(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_delivery WHERE realm_id = $1 \
         ORDER BY created_at DESC, seq DESC LIMIT $2"
    ))
    .bind(realm_id)
    .bind(limit.clamp(0, 10_000))
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(delivery_from_row)
        .collect::<std::result::Result<_, _>>()?)
}

/// Records that a notice about `credential` was made; `false` when it already was (so an
/// expiry threshold is announced once, by whichever replica gets there first).
pub async fn notice_once(
    db: &Db,
    credential: &str,
    kind: &str,
    threshold: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO credential_notice (credential, kind, threshold, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(credential)
    .bind(kind)
    .bind(threshold)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes finished deliveries (delivered, failed, dropped) made before `before`.
pub async fn purge_finished(db: &Db, before: i64) -> Result<u64> {
    let done =
        sqlx::query("DELETE FROM webhook_delivery WHERE status <> 'pending' AND created_at < $1")
            .bind(before)
            .execute(db.pool())
            .await?;
    Ok(done.rows_affected())
}
