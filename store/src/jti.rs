//! The `assertion_jti` table: client-assertion ids already accepted, so each is accepted once
//! (one atomic insert, shared by every replica on the same database; concurrent ones written
//! together), and purged once expired. On SQLite, the process that owns the file answers from
//! memory and writes the ids behind.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use sqlx::sqlite::SqliteConnection;
use sqlx::{AnyPool, Row as _};
use tokio::sync::{mpsc, oneshot};

use crate::error::one_line;
use crate::{Db, Result, StoreError};

/// Records `jti` for the client, keeping it until `expires_at`. Returns `false` when it was
/// already there and has not expired: a replay. An expired row with the same id is replaced.
///
/// PostgreSQL (and a SQLite file this process does not own): concurrent calls are written
/// together (group commit): one writer task per database handle takes every waiting id into
/// one multi-row statement, so a burst of assertions costs one round trip and one commit
/// instead of one each. Each caller gets its answer only after the commit, and the primary key
/// decides between replicas.
///
/// SQLite owned by this process (see [`Db::owns_sqlite_file`]): the answer comes from the
/// process's set of ids (loaded from the table on first use, shared by every handle of the
/// process on that file), and the id is written within [`WRITE_BEHIND`]. No other process
/// serves the file, so the set is the whole truth; a crash loses at most the ids of the last
/// few milliseconds, as a power loss can with `synchronous = NORMAL` (see [`flush`]).
pub async fn accept_once(
    db: &Db,
    realm_id: &str,
    client_row_id: &str,
    jti: &str,
    expires_at: i64,
    now: i64,
) -> Result<bool> {
    if let Some(memory) = db.memory_replay() {
        return memory
            .accept(db, realm_id, client_row_id, jti, expires_at, now)
            .await;
    }
    let (reply, answer) = oneshot::channel();
    let pending = Pending {
        row: IdRow::new(realm_id, client_row_id, jti, expires_at, now),
        reply,
    };
    db.jti_writer().send(pending).await.map_err(|_| stopped())?;
    answer.await.map_err(|_| stopped())?
}

fn stopped() -> StoreError {
    StoreError::Unavailable("the replay store has stopped".into())
}

/// Ids written in one statement at most (4 parameters each, far under both engines' limits).
const MAX_BATCH: usize = 256;

/// One id to write: (realm id, client row id, jti), until when it is kept, and the caller's time.
pub(crate) struct IdRow {
    id: (String, String, String),
    expires_at: i64,
    now: i64,
}

impl IdRow {
    fn new(realm_id: &str, client_row_id: &str, jti: &str, expires_at: i64, now: i64) -> Self {
        IdRow {
            id: (
                realm_id.to_owned(),
                client_row_id.to_owned(),
                jti.to_owned(),
            ),
            expires_at,
            now,
        }
    }
}

/// An id waiting for the group-commit writer, and where its caller waits for the answer.
pub(crate) struct Pending {
    row: IdRow,
    reply: oneshot::Sender<Result<bool>>,
}

impl AsRef<IdRow> for Pending {
    fn as_ref(&self) -> &IdRow {
        &self.row
    }
}

impl AsRef<IdRow> for IdRow {
    fn as_ref(&self) -> &IdRow {
        self
    }
}

/// Starts the writer task of a database handle (PostgreSQL, or a SQLite database this process
/// does not own); it ends when the handle is dropped.
pub(crate) fn spawn_writer(pool: AnyPool) -> mpsc::Sender<Pending> {
    let (tx, mut rx) = mpsc::channel::<Pending>(4 * MAX_BATCH);
    tokio::spawn(async move {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
            if batch.len() > 1 {
                // Under load (more than one id was waiting), let the requests already running
                // on the other workers reach this queue too: a yield costs no timer, and each
                // id that joins saves a commit.
                tokio::task::yield_now().await;
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(p) => batch.push(p),
                        Err(_) => break,
                    }
                }
            }
            let (unique, now) = dedupe(std::mem::take(&mut batch));
            let sql = batch_sql(unique.len(), true);
            let query = bind_rows(sqlx::query(&sql), &unique, now);
            let written = query.fetch_all(&pool).await.and_then(|rows| {
                rows.iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                    .collect()
            });
            answer(unique, written);
        }
    });
    tx
}

/// Answers ids repeated within a batch "already used" (accepted at most once) and returns the
/// rest, sorted, with the batch's time: the earliest "now" decides which old rows have expired
/// (never later than any caller's own time).
fn dedupe(batch: Vec<Pending>) -> (Vec<Pending>, i64) {
    let mut seen = HashSet::with_capacity(batch.len());
    let mut unique = Vec::with_capacity(batch.len());
    for p in batch {
        if seen.insert(p.row.id.clone()) {
            unique.push(p);
        } else {
            let _ = p.reply.send(Ok(false));
        }
    }
    // In key order: two replicas writing overlapping ids then take their row locks in the same
    // order, so neither waits for the other in a cycle (PostgreSQL saw "deadlock detected").
    unique.sort_unstable_by(|a, b| a.row.id.cmp(&b.row.id));
    let now = unique.iter().map(|p| p.row.now).min().unwrap_or_default();
    (unique, now)
}

/// The write-behind's batch: memory has already accepted every row, so the table must end up
/// with each id's latest acceptance (an id can come twice when it expired and was accepted
/// again), and the batch's time is the latest "now", by which every old row of these ids had
/// expired (memory accepted each only then).
fn latest_per_id(rows: Vec<IdRow>) -> (Vec<IdRow>, i64) {
    let now = rows.iter().map(|r| r.now).max().unwrap_or_default();
    let mut latest: HashMap<(String, String, String), IdRow> = HashMap::with_capacity(rows.len());
    for r in rows {
        match latest.get(&r.id) {
            Some(kept) if kept.expires_at >= r.expires_at => {}
            _ => {
                latest.insert(r.id.clone(), r);
            }
        }
    }
    let mut unique: Vec<IdRow> = latest.into_values().collect();
    unique.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    (unique, now)
}

/// Binds the parameters of [`batch_sql`]: four per id, then the batch's time.
fn bind_rows<'q, DB, T>(
    mut query: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>,
    rows: &'q [T],
    now: i64,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    DB: sqlx::Database,
    T: AsRef<IdRow>,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    for r in rows {
        let r = r.as_ref();
        query = query
            .bind(r.id.0.as_str())
            .bind(r.id.1.as_str())
            .bind(r.id.2.as_str())
            .bind(r.expires_at);
    }
    query.bind(now)
}

/// One atomic statement for `n` ids (insert-if-absent, or take over a row whose time has
/// passed: a primary-key conflict on both backends, so two replicas can never both accept one
/// jti), returning the ids it wrote when asked to.
fn batch_sql(n: usize, returning: bool) -> String {
    let mut sql = String::from(
        "INSERT INTO assertion_jti (realm_id, client_row_id, jti, expires_at) VALUES ",
    );
    for i in 0..n {
        let b = 4 * i;
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(sql, "{sep}(${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4);
    }
    let _ = write!(
        sql,
        " ON CONFLICT (realm_id, client_row_id, jti) DO UPDATE SET expires_at = excluded.expires_at \
         WHERE assertion_jti.expires_at <= ${}",
        4 * n + 1
    );
    if returning {
        sql.push_str(" RETURNING realm_id, client_row_id, jti");
    }
    sql
}

type Written = std::result::Result<HashSet<(String, String, String)>, sqlx::Error>;

/// Writes a batch on the write-behind's own SQLite connection (opened on first use and after
/// an error). Through the single-connection pool every batch also paid the pool's liveness
/// pings and waited behind every other query. It reads nothing but this table, and an INSERT
/// takes the write lock before it reads, so it never writes from an old snapshot.
async fn write_sqlite(
    conn: &mut Option<SqliteConnection>,
    url: &str,
    unique: &[IdRow],
    now: i64,
) -> std::result::Result<(), sqlx::Error> {
    if conn.is_none() {
        *conn = Some(crate::db::open_sqlite(url).await?);
    }
    let Some(c) = conn.as_mut() else {
        unreachable!("opened above")
    };
    let sql = batch_sql(unique.len(), false);
    bind_rows(sqlx::query(&sql), unique, now)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Tells each caller whether its id was written (fresh) or already there (a replay).
fn answer(unique: Vec<Pending>, written: Written) {
    match written {
        Ok(accepted) => {
            for p in unique {
                let fresh = accepted.contains(&p.row.id);
                let _ = p.reply.send(Ok(fresh));
            }
        }
        Err(e) => {
            let message = one_line(&e.to_string());
            tracing::warn!(error = %message, "cannot write assertion ids");
            for p in unique {
                let _ = p.reply.send(Err(StoreError::Unavailable(message.clone())));
            }
        }
    }
}

/// Returns once every id accepted so far is written (SQLite owned by this process; at once
/// otherwise, where ids are written before they are accepted). [`Db::close`] calls it.
pub async fn flush(db: &Db) -> Result<()> {
    match db.memory_replay() {
        Some(memory) => memory.flush().await,
        None => Ok(()),
    }
}

/// How long the SQLite write-behind waits to gather ids into one commit.
pub const WRITE_BEHIND: Duration = Duration::from_millis(5);

/// The ids accepted on a SQLite file this process owns, shared by every handle on it.
pub(crate) struct MemoryReplay {
    url: String,
    seen: tokio::sync::OnceCell<std::sync::Mutex<Seen>>,
    writer: std::sync::OnceLock<mpsc::Sender<Persist>>,
}

/// Accepted ids by a 128-bit keyed hash of (realm id, client row id, jti), with the instant
/// each may be forgotten. Two ids sharing a hash (odds about 2^-128 per pair) would only make
/// the second look like a replay.
struct Seen {
    ids: HashMap<u128, i64>,
    keys: (RandomState, RandomState),
    next_sweep: i64,
}

impl Seen {
    fn key(&self, realm_id: &str, client_row_id: &str, jti: &str) -> u128 {
        let id = (realm_id, client_row_id, jti);
        (u128::from(self.keys.0.hash_one(id)) << 64) | u128::from(self.keys.1.hash_one(id))
    }
}

/// What the write-behind task is asked.
enum Persist {
    Row(IdRow),
    Flush(oneshot::Sender<Result<()>>),
}

impl MemoryReplay {
    pub(crate) fn new(url: String) -> Self {
        MemoryReplay {
            url,
            seen: tokio::sync::OnceCell::new(),
            writer: std::sync::OnceLock::new(),
        }
    }

    async fn accept(
        &self,
        db: &Db,
        realm_id: &str,
        client_row_id: &str,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool> {
        let seen = self.seen.get_or_try_init(|| load(db, now)).await?;
        {
            let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
            if now >= seen.next_sweep {
                seen.ids.retain(|_, until| *until > now);
                seen.next_sweep = now + 10;
            }
            let key = seen.key(realm_id, client_row_id, jti);
            match seen.ids.get(&key) {
                Some(until) if *until > now => return Ok(false),
                _ => {
                    seen.ids.insert(key, expires_at);
                }
            }
        }
        let row = IdRow::new(realm_id, client_row_id, jti, expires_at, now);
        self.writer()
            .send(Persist::Row(row))
            .await
            .map_err(|_| stopped())?;
        Ok(true)
    }

    async fn flush(&self) -> Result<()> {
        let Some(writer) = self.writer.get() else {
            return Ok(());
        };
        let (done, wait) = oneshot::channel();
        writer
            .send(Persist::Flush(done))
            .await
            .map_err(|_| stopped())?;
        wait.await.map_err(|_| stopped())?
    }

    fn writer(&self) -> &mpsc::Sender<Persist> {
        self.writer
            .get_or_init(|| spawn_write_behind(self.url.clone()))
    }
}

/// The ids that may not be accepted again yet, from the table.
async fn load(db: &Db, now: i64) -> Result<std::sync::Mutex<Seen>> {
    let mut seen = Seen {
        ids: HashMap::new(),
        keys: (RandomState::new(), RandomState::new()),
        next_sweep: now + 10,
    };
    let rows = sqlx::query(
        "SELECT realm_id, client_row_id, jti, expires_at FROM assertion_jti WHERE expires_at > $1",
    )
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    for r in rows {
        let (realm_id, client_row_id, jti): (String, String, String) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        let key = seen.key(&realm_id, &client_row_id, &jti);
        seen.ids.insert(key, r.try_get(3)?);
    }
    Ok(std::sync::Mutex::new(seen))
}

/// The SQLite write-behind: gathers ids for [`WRITE_BEHIND`], then writes them in one
/// statement on a connection of its own. It ends, after writing what is left, when the last
/// handle of the process on the file is dropped.
fn spawn_write_behind(url: String) -> mpsc::Sender<Persist> {
    let (tx, mut rx) = mpsc::channel::<Persist>(16 * MAX_BATCH);
    tokio::spawn(async move {
        let mut conn: Option<SqliteConnection> = None;
        let mut got = Vec::with_capacity(MAX_BATCH);
        let mut open = true;
        while open {
            if rx.recv_many(&mut got, MAX_BATCH).await == 0 {
                break;
            }
            if !got.iter().any(|p| matches!(p, Persist::Flush(_))) {
                tokio::time::sleep(WRITE_BEHIND).await;
            }
            while got.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(p) => got.push(p),
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        open = false;
                        break;
                    }
                }
            }
            let mut rows = Vec::with_capacity(got.len());
            let mut flushes = Vec::new();
            for p in got.drain(..) {
                match p {
                    Persist::Row(row) => rows.push(row),
                    Persist::Flush(done) => flushes.push(done),
                }
            }
            let mut result: std::result::Result<(), String> = Ok(());
            if !rows.is_empty() {
                let (unique, now) = latest_per_id(rows);
                if let Err(e) = write_sqlite(&mut conn, &url, &unique, now).await {
                    conn = None;
                    let message = one_line(&e.to_string());
                    // The ids stay in memory: this process still refuses their replays.
                    tracing::warn!(error = %message, ids = unique.len(), "cannot write assertion ids");
                    result = Err(message);
                }
            }
            for done in flushes {
                let _ = done.send(result.clone().map_err(StoreError::Unavailable));
            }
        }
    });
    tx
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

#[cfg(test)]
mod tests {
    use super::{latest_per_id, IdRow};

    #[test]
    fn the_write_behind_keeps_each_ids_latest_acceptance_and_the_latest_time() {
        let rows = vec![
            IdRow::new("r", "c", "x", 110, 100),
            IdRow::new("r", "c", "a", 300, 101),
            IdRow::new("r", "c", "x", 400, 120),
        ];
        let (unique, now) = latest_per_id(rows);
        let got: Vec<(&str, i64)> = unique
            .iter()
            .map(|r| (r.id.2.as_str(), r.expires_at))
            .collect();
        assert_eq!(got, [("a", 300), ("x", 400)]);
        assert_eq!(now, 120);
    }
}
