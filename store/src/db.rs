//! The database handle: URL parsing, pools, per-connection SQLite settings and migrations.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::AnyPool;
use tokio::sync::OnceCell;

use crate::error::one_line;
use crate::sessions::AnySessionStore;
use crate::{Result, StoreError};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// Per-connection SQLite settings (the sessions pool sets the same through its options).
/// Run one by one with `fetch_all` on every new SQLite connection: `journal_mode` answers with a
/// row, and a statement left un-stepped would hold a read transaction (an old WAL snapshot) open
/// on the connection for its whole life.
/// `synchronous = NORMAL` is SQLite's recommendation with WAL: no fsync per commit (the WAL is
/// synced at checkpoints), still safe against a crash of Keyward; a power loss may lose the last
/// commits. Token requests write (assertion ids), so FULL would cap them at the disk's fsync rate.
/// `wal_autocheckpoint` is only a backstop: the WAL is checkpointed from a connection of its
/// own (see [`checkpoint_wal`]), so no request waits behind the copy and the fsyncs of a
/// checkpoint run inside its commit.
const SQLITE_PRAGMAS: [&str; 5] = [
    "PRAGMA foreign_keys = ON",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA busy_timeout = 5000",
    "PRAGMA wal_autocheckpoint = 8000",
];

/// How often the SQLite WAL is checkpointed in the background.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Which database engine a [`Db`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A connected, migrated database. Cheap to clone (shared pools).
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    pool: AnyPool,
    backend: Backend,
    /// The normalised URL (for the typed session pool); may hold a password: never printed.
    url: String,
    sessions: OnceCell<(AnySessionStore, SessionPool)>,
    /// See [`Db::generation`].
    generation: Arc<Generation>,
    /// The replay store's writer (see [`crate::jti::accept_once`]), started on first use.
    jti_writer: std::sync::OnceLock<tokio::sync::mpsc::Sender<crate::jti::Pending>>,
    /// The background task, stopped with the handle: on PostgreSQL the change listener (see
    /// [`Db::generation`]), on SQLite the WAL checkpointer.
    listener: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// SQLite: how many background checkpoints have copied the whole WAL into the database.
    checkpoints: Arc<AtomicU64>,
    /// SQLite file: what this process's handles on the file share.
    sqlite: Option<Arc<SqliteShared>>,
}

/// The change counter and whether it sees every replica's changes.
struct Generation {
    n: AtomicU64,
    /// False while a PostgreSQL listener is not connected: changes made by other replicas could
    /// go unseen, so nothing read may be cached.
    complete: AtomicBool,
}

impl Generation {
    fn bump(&self) {
        self.n.fetch_add(1, Ordering::SeqCst);
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = self
            .listener
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            task.abort();
        }
    }
}

/// What every handle of this process on one SQLite file shares: the claim on the file and the
/// replay set of [`crate::jti::accept_once`].
pub(crate) struct SqliteShared {
    lock_path: PathBuf,
    /// An exclusive lock on `<database>.keyward-lock`, held while a handle of this process on
    /// the file lives; `None` when another process holds it.
    lock: Option<std::fs::File>,
    replay: crate::jti::MemoryReplay,
}

/// The SQLite files this process has open, by canonical path.
static SQLITE_FILES: Mutex<Option<HashMap<PathBuf, Weak<SqliteShared>>>> = Mutex::new(None);

/// The shared state of the SQLite file at `path` (URL `url`), claiming the file when no other
/// process has.
fn sqlite_shared(path: &Path, url: &str) -> Result<Arc<SqliteShared>> {
    let path = std::fs::canonicalize(path)
        .map_err(|e| StoreError::Unavailable(format!("cannot resolve {}: {e}", path.display())))?;
    let mut files = SQLITE_FILES.lock().unwrap_or_else(|p| p.into_inner());
    let files = files.get_or_insert_with(HashMap::new);
    files.retain(|_, f| f.strong_count() > 0);
    if let Some(shared) = files.get(&path).and_then(Weak::upgrade) {
        return Ok(shared);
    }
    let mut lock_path = path.clone().into_os_string();
    lock_path.push(".keyward-lock");
    let lock_path = PathBuf::from(lock_path);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| {
            StoreError::Unavailable(format!("cannot open {}: {e}", lock_path.display()))
        })?;
    let lock = match file.try_lock() {
        Ok(()) => Some(file),
        Err(std::fs::TryLockError::WouldBlock) => None,
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(StoreError::Unavailable(format!(
                "cannot lock {}: {e}",
                lock_path.display()
            )))
        }
    };
    let shared = Arc::new(SqliteShared {
        lock_path,
        lock,
        replay: crate::jti::MemoryReplay::new(url.to_owned()),
    });
    files.insert(path, Arc::downgrade(&shared));
    Ok(shared)
}

/// `$1, $2, …, $n`: the placeholders of an `IN (…)` list of `n` values.
/// Records a credential's successful use (`last_used_at`, `last_used_ip` of `table`'s row
/// `id_column` = `id`) unless one at most `interval_s` old is recorded: the condition makes
/// replicas write at most once per interval between them. `true` when it wrote.
pub(crate) async fn record_use(
    db: &Db,
    table: &'static str,
    id_column: &'static str,
    id: &str,
    at: i64,
    ip: Option<&str>,
    interval_s: i64,
) -> Result<bool> {
    let done = sqlx::query(&format!(
        "UPDATE {table} SET last_used_at = $2, last_used_ip = $3 \
         WHERE {id_column} = $1 AND (last_used_at IS NULL OR last_used_at <= $4)"
    ))
    .bind(id)
    .bind(at)
    .bind(ip)
    .bind(at - interval_s)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(crate) fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows of several clients, read in one query (`sql` holds `{ids}` where the placeholders of
/// `client_row_ids` go), grouped by client in the order the query returns them.
pub(crate) async fn by_client<T>(
    db: &Db,
    sql: &str,
    client_row_ids: &[String],
    from_row: fn(&sqlx::any::AnyRow) -> std::result::Result<T, sqlx::Error>,
    client_of: fn(&T) -> &str,
) -> Result<HashMap<String, Vec<T>>> {
    let mut out: HashMap<String, Vec<T>> = HashMap::new();
    // Bounded binds per statement (SQLite allows 32,766, PostgreSQL 65,535).
    for ids in client_row_ids.chunks(1000) {
        let sql = sql.replace("{ids}", &placeholders(ids.len()));
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(id.as_str());
        }
        for row in q.fetch_all(db.pool()).await? {
            let item = from_row(&row)?;
            out.entry(client_of(&item).to_owned())
                .or_default()
                .push(item);
        }
    }
    Ok(out)
}

/// The PostgreSQL channel on which every replica announces a change of credential data.
const CHANGED_CHANNEL: &str = "keyward_changed";

/// The typed pool behind the session store (tower-sessions-sqlx-store needs one), kept so
/// [`Db::close`] can close it.
enum SessionPool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.inner.backend)
            .finish_non_exhaustive()
    }
}

impl Db {
    /// Connects to `sqlite://path`, `sqlite:path`, `postgres://…` or `postgresql://…` and runs
    /// the migrations of that backend. A missing SQLite file (and its directory) is created.
    pub async fn connect(url: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let (backend, url) = normalise(url)?;
        let pool = match backend {
            Backend::Sqlite => {
                // One connection: SQLite has one writer anyway, and with several pooled `Any`
                // connections a connection was seen (under load, in CI) reading from an old WAL
                // snapshot: a client just created on another connection was "not found", and
                // its next write failed with SQLITE_BUSY_SNAPSHOT. Root cause in sqlx not yet
                // found; PostgreSQL is the backend for concurrency.
                AnyPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(10))
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            for pragma in SQLITE_PRAGMAS {
                                sqlx::query(pragma).fetch_all(&mut *conn).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(&url)
                    .await
            }
        }
        .map_err(|e| StoreError::Unavailable(one_line(&e.to_string())))?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        if let Err(e) = migrator.run(&pool).await {
            pool.close().await;
            return Err(StoreError::Migrate(one_line(&e.to_string())));
        }
        let generation = Arc::new(Generation {
            n: AtomicU64::new(0),
            complete: AtomicBool::new(backend == Backend::Sqlite),
        });
        let checkpoints = Arc::new(AtomicU64::new(0));
        let sqlite = match (backend, sqlite_file(&url)) {
            (Backend::Sqlite, Some(path)) => Some(sqlite_shared(&path, &url)?),
            _ => None,
        };
        let listener = match backend {
            Backend::Sqlite => Some(tokio::spawn(checkpoint_wal(
                url.clone(),
                checkpoints.clone(),
            ))),
            Backend::Postgres => Some(tokio::spawn(listen_for_changes(
                url.clone(),
                generation.clone(),
            ))),
        };
        Ok(Db {
            inner: Arc::new(Inner {
                pool,
                backend,
                url,
                sessions: OnceCell::new(),
                generation,
                jti_writer: std::sync::OnceLock::new(),
                listener: Mutex::new(listener),
                checkpoints,
                sqlite,
            }),
        })
    }

    /// A counter that moves after every committed change of realms, clients, secrets, keys and
    /// realm keys, made through this handle or (on PostgreSQL, through `LISTEN`) by any other
    /// Keyward process on the same database. `None` when changes elsewhere could go unseen (the
    /// listener is not connected): nothing may be cached then.
    ///
    /// A cache reads the generation *before* it reads the data and keeps the entry only while
    /// the generation is unchanged, so a revocation is seen by the next request.
    pub fn generation(&self) -> Option<u64> {
        let g = &self.inner.generation;
        g.complete
            .load(Ordering::SeqCst)
            .then(|| g.n.load(Ordering::SeqCst))
    }

    /// Announces a committed change: moves this process's generation and, on PostgreSQL,
    /// notifies every other replica.
    pub(crate) async fn changed(&self) {
        self.inner.generation.bump();
        if self.inner.backend == Backend::Postgres {
            if let Err(e) = sqlx::query(&format!("NOTIFY {CHANGED_CHANNEL}"))
                .execute(&self.inner.pool)
                .await
            {
                // The other replicas' caches expire on their own (a few seconds).
                tracing::warn!(error = %one_line(&e.to_string()), "cannot notify other replicas of a change");
            }
        }
    }

    /// The engine behind this handle.
    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// `SELECT 1`: succeeds when the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.inner.pool)
            .await
            .map_err(|e| StoreError::Unavailable(one_line(&e.to_string())))?;
        Ok(())
    }

    /// The tower-sessions store on the same database (its own small typed pool, table
    /// created on first call). Repeated calls return clones of the same store.
    pub async fn session_store(&self) -> Result<AnySessionStore> {
        self.inner
            .sessions
            .get_or_try_init(|| open_session_store(self.inner.backend, &self.inner.url))
            .await
            .map(|(store, _)| store.clone())
    }

    /// Whether this process owns the SQLite file (no other process has it open through
    /// Keyward): then every handle of the process shares one replay set, and Keyward may serve.
    /// `None` for PostgreSQL and in-memory SQLite; `Some(Err(lock file))` when another process
    /// holds the file.
    pub fn owns_sqlite_file(&self) -> Option<std::result::Result<(), PathBuf>> {
        self.inner.sqlite.as_ref().map(|s| match s.lock {
            Some(_) => Ok(()),
            None => Err(s.lock_path.clone()),
        })
    }

    pub(crate) fn memory_replay(&self) -> Option<&crate::jti::MemoryReplay> {
        self.inner
            .sqlite
            .as_ref()
            .filter(|s| s.lock.is_some())
            .map(|s| &s.replay)
    }

    /// Writes what is pending (see [`crate::jti::flush`]), then closes the pools (waits for
    /// connections in use to be returned).
    pub async fn close(&self) {
        if let Err(e) = crate::jti::flush(self).await {
            tracing::warn!(error = %e, "assertion ids not written at close");
        }
        match self.inner.sessions.get() {
            Some((_, SessionPool::Sqlite(pool))) => pool.close().await,
            Some((_, SessionPool::Postgres(pool))) => pool.close().await,
            None => {}
        }
        if let Some(task) = self
            .inner
            .listener
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            task.abort();
        }
        self.inner.pool.close().await;
    }

    pub(crate) fn jti_writer(&self) -> &tokio::sync::mpsc::Sender<crate::jti::Pending> {
        self.inner
            .jti_writer
            .get_or_init(|| crate::jti::spawn_writer(self.inner.pool.clone()))
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.inner.pool
    }

    /// SQLite: how many background checkpoints have found the whole WAL copied into the
    /// database (always 0 on PostgreSQL).
    pub fn wal_checkpoints(&self) -> u64 {
        self.inner.checkpoints.load(Ordering::SeqCst)
    }
}

/// A SQLite connection of its own (outside the pool) on the file at `url`, with the pool's
/// settings.
pub(crate) async fn open_sqlite(
    url: &str,
) -> std::result::Result<sqlx::SqliteConnection, sqlx::Error> {
    use sqlx::ConnectOptions as _;
    let mut conn = SqliteConnectOptions::from_str(url)?.connect().await?;
    for pragma in SQLITE_PRAGMAS {
        sqlx::query(pragma).fetch_all(&mut conn).await?;
    }
    Ok(conn)
}

/// Checkpoints the SQLite WAL every [`CHECKPOINT_EVERY`] from a connection of its own, off the
/// request path: `PASSIVE` never blocks the writer, so commits (every token request's assertion
/// id) no longer stall for a checkpoint's copy and fsyncs once the WAL reaches
/// `wal_autocheckpoint`. The connection reads no table, so it holds no snapshot.
async fn checkpoint_wal(url: String, checkpoints: Arc<AtomicU64>) {
    let mut warned = false;
    let mut conn = None;
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if conn.is_none() {
            match open_sqlite(&url).await {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    if !std::mem::replace(&mut warned, true) {
                        tracing::warn!(error = %one_line(&e.to_string()), "cannot open the WAL checkpoint connection");
                    }
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&mut *c)
            .await
        {
            Ok((_busy, frames, copied)) => {
                warned = false;
                if frames > 0 && copied == frames {
                    checkpoints.fetch_add(1, Ordering::SeqCst);
                }
            }
            Err(e) => {
                if !std::mem::replace(&mut warned, true) {
                    tracing::warn!(error = %one_line(&e.to_string()), "WAL checkpoint failed");
                }
                conn = None;
            }
        }
    }
}

/// Follows the other replicas' changes: one `LISTEN` connection, re-opened after any error. While
/// it is down the generation is marked incomplete, and each (re)connection moves it, so nothing
/// read before a missed notification stays cached.
async fn listen_for_changes(url: String, generation: Arc<Generation>) {
    let mut backoff = Duration::from_millis(200);
    loop {
        let listener = async {
            let mut l = sqlx::postgres::PgListener::connect(&url).await?;
            l.listen(CHANGED_CHANNEL).await?;
            Ok::<_, sqlx::Error>(l)
        }
        .await;
        match listener {
            Ok(mut l) => {
                generation.bump();
                generation.complete.store(true, Ordering::SeqCst);
                backoff = Duration::from_millis(200);
                loop {
                    match l.try_recv().await {
                        Ok(Some(_)) => generation.bump(),
                        Ok(None) => break,
                        Err(e) => {
                            tracing::warn!(error = %one_line(&e.to_string()), "change listener lost");
                            break;
                        }
                    }
                }
                generation.complete.store(false, Ordering::SeqCst);
                generation.bump();
            }
            Err(e) => {
                tracing::warn!(error = %one_line(&e.to_string()), "cannot listen for changes of other replicas");
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

/// Recognises the backend; for SQLite, creates the file's directory and asks for the file to
/// be created when missing (`mode=rwc`).
/// The file behind a normalised SQLite URL (`None` in memory).
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://")?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    (path != ":memory:" && !query.split('&').any(|kv| kv == "mode=memory"))
        .then(|| PathBuf::from(path))
}

fn normalise(url: &str) -> Result<(Backend, String)> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Backend::Postgres, url.to_owned()));
    }
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        return Err(StoreError::Unavailable(
            "unsupported database URL: expected sqlite://PATH or postgres://…".into(),
        ));
    };
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    if path.is_empty() {
        return Err(StoreError::Unavailable(
            "the SQLite URL has no file path".into(),
        ));
    }
    let in_memory = path == ":memory:" || query.is_some_and(|q| q.contains("mode=memory"));
    if !in_memory {
        if let Some(parent) = Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    StoreError::Unavailable(format!(
                        "cannot create the database directory {}: {e}",
                        parent.display()
                    ))
                })?;
            }
        }
    }
    let query = match query {
        Some(q) if q.split('&').any(|kv| kv.starts_with("mode=")) => q.to_owned(),
        Some(q) => format!("{q}&mode=rwc"),
        None => "mode=rwc".to_owned(),
    };
    Ok((Backend::Sqlite, format!("sqlite://{path}?{query}")))
}

async fn open_session_store(backend: Backend, url: &str) -> Result<(AnySessionStore, SessionPool)> {
    let unavailable = |e: sqlx::Error| StoreError::Unavailable(one_line(&e.to_string()));
    let migrate = |e: sqlx::Error| StoreError::Migrate(one_line(&e.to_string()));
    match backend {
        Backend::Sqlite => {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(unavailable)?
                .create_if_missing(true)
                .foreign_keys(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5));
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .map_err(unavailable)?;
            let store = tower_sessions_sqlx_store::SqliteStore::new(pool.clone());
            store.migrate().await.map_err(migrate)?;
            Ok((AnySessionStore::Sqlite(store), SessionPool::Sqlite(pool)))
        }
        Backend::Postgres => {
            let pool = PgPoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .map_err(unavailable)?;
            let store = tower_sessions_sqlx_store::PostgresStore::new(pool.clone());
            store.migrate().await.map_err(migrate)?;
            Ok((
                AnySessionStore::Postgres(store),
                SessionPool::Postgres(pool),
            ))
        }
    }
}

/// The first row of a `fetch_all` (the store never uses `fetch_one`: see the crate docs).
pub(crate) trait FirstRow<T> {
    /// The first row, or [`StoreError::NotFound`](crate::StoreError::NotFound).
    fn first_row(self) -> crate::Result<T>;
}

impl<T> FirstRow<T> for Vec<T> {
    fn first_row(self) -> crate::Result<T> {
        self.into_iter().next().ok_or(crate::StoreError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_urls() {
        let (b, u) = normalise("postgresql://u@h/db").unwrap();
        assert_eq!((b, u.as_str()), (Backend::Postgres, "postgresql://u@h/db"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/k.db");
        let (b, u) = normalise(&format!("sqlite:{}", path.display())).unwrap();
        assert_eq!(b, Backend::Sqlite);
        assert_eq!(u, format!("sqlite://{}?mode=rwc", path.display()));
        assert!(path.parent().unwrap().is_dir());
        let (_, u) = normalise("sqlite://:memory:?cache=shared").unwrap();
        assert_eq!(u, "sqlite://:memory:?cache=shared&mode=rwc");
        let (_, u) = normalise("sqlite://x.db?mode=ro").unwrap();
        assert_eq!(u, "sqlite://x.db?mode=ro");
        assert!(matches!(
            normalise("mysql://x"),
            Err(StoreError::Unavailable(_))
        ));
    }
}
