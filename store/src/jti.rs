//! The `assertion_jti` table: client-assertion ids already accepted, so each is accepted once
//! (one atomic insert, shared by every replica on the same database; concurrent ones written
//! together), and purged once expired.

use std::collections::HashSet;
use std::fmt::Write as _;

use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

use crate::error::one_line;
use crate::{Db, Result, StoreError};

/// Records `jti` for the client, keeping it until `expires_at`. Returns `false` when it was
/// already there and has not expired: a replay. An expired row with the same id is replaced.
///
/// Concurrent calls are written together (group commit): one writer task per database handle
/// takes every waiting id into one multi-row statement, so a burst of assertions costs one
/// round trip and one commit instead of one each. Each caller still gets its answer only after
/// the commit.
pub async fn accept_once(
    db: &Db,
    realm_id: &str,
    client_row_id: &str,
    jti: &str,
    expires_at: i64,
    now: i64,
) -> Result<bool> {
    let stopped = || StoreError::Unavailable("the replay store has stopped".into());
    let (reply, answer) = oneshot::channel();
    db.jti_writer()
        .send(Pending {
            id: (
                realm_id.to_owned(),
                client_row_id.to_owned(),
                jti.to_owned(),
            ),
            expires_at,
            now,
            reply,
        })
        .await
        .map_err(|_| stopped())?;
    answer.await.map_err(|_| stopped())?
}

/// Ids written in one statement at most (4 parameters each, far under both engines' limits).
const MAX_BATCH: usize = 256;

/// One id waiting for the writer: (realm id, client row id, jti).
pub(crate) struct Pending {
    id: (String, String, String),
    expires_at: i64,
    now: i64,
    reply: oneshot::Sender<Result<bool>>,
}

/// Starts the writer task of a database handle; it ends when the handle is dropped.
pub(crate) fn spawn_writer(pool: AnyPool) -> mpsc::Sender<Pending> {
    let (tx, mut rx) = mpsc::channel::<Pending>(4 * MAX_BATCH);
    tokio::spawn(async move {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
            write_batch(&pool, std::mem::take(&mut batch)).await;
        }
    });
    tx
}

/// Inserts a batch in one atomic statement (insert-if-absent, or take over a row whose time
/// has passed: a primary-key conflict on both backends, so two replicas can never both accept
/// one jti). An id repeated within the batch is accepted at most once.
async fn write_batch(pool: &AnyPool, batch: Vec<Pending>) {
    let mut seen = HashSet::with_capacity(batch.len());
    let mut unique = Vec::with_capacity(batch.len());
    for p in batch {
        if seen.insert(p.id.clone()) {
            unique.push(p);
        } else {
            let _ = p.reply.send(Ok(false));
        }
    }
    // The earliest "now" of the batch decides which old rows have expired (never later than
    // any caller's own time).
    let now = unique.iter().map(|p| p.now).min().unwrap_or_default();
    let mut sql = String::from(
        "INSERT INTO assertion_jti (realm_id, client_row_id, jti, expires_at) VALUES ",
    );
    for i in 0..unique.len() {
        let b = 4 * i;
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(sql, "{sep}(${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4);
    }
    let _ = write!(
        sql,
        " ON CONFLICT (realm_id, client_row_id, jti) DO UPDATE SET expires_at = excluded.expires_at \
         WHERE assertion_jti.expires_at <= ${} RETURNING realm_id, client_row_id, jti",
        4 * unique.len() + 1
    );
    let mut query = sqlx::query(&sql);
    for p in &unique {
        query = query
            .bind(p.id.0.as_str())
            .bind(p.id.1.as_str())
            .bind(p.id.2.as_str())
            .bind(p.expires_at);
    }
    let written = query.bind(now).fetch_all(pool).await.and_then(|rows| {
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect::<std::result::Result<HashSet<(String, String, String)>, sqlx::Error>>()
    });
    match written {
        Ok(accepted) => {
            for p in unique {
                let fresh = accepted.contains(&p.id);
                let _ = p.reply.send(Ok(fresh));
            }
        }
        Err(e) => {
            let message = one_line(&e.to_string());
            for p in unique {
                let _ = p.reply.send(Err(StoreError::Unavailable(message.clone())));
            }
        }
    }
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
