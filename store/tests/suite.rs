//! The store suite: every rule group is a test of its own on each backend, `<group>_sqlite` and
//! `<group>_postgres`, on a database of its own, so a failure names its group and backend and
//! the other groups still run.
//!
//! SQLite: a fresh file per test. PostgreSQL: one throw-away cluster per test binary (started by
//! the first PostgreSQL test, stopped when the last one ends or, whatever ends the binary, by a
//! watchdog), with a database of its own per test.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use keyward_credentials::operator::Role;
use keyward_store::clients::{self, ClientUpdate, NewClient};
use keyward_store::events::{self, NewEvent};
use keyward_store::keys::{self, FetchRecord, NewKey};
use keyward_store::secrets::{self, NewSecret, SealedKind, ServerSecret};
use keyward_store::testing::PgCluster;
use keyward_store::{expiry, operators, realms, Backend, Db, StoreError};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{ExpiredDeletion, SessionStore};

const NOW: i64 = 1_700_000_000;

/// One `#[tokio::test]` per rule group and backend: `group => group_sqlite, group_postgres;`
/// runs `group(db)`, `group(url) => …` runs `group(db, url)` (the URL of the test's database).
macro_rules! rule_groups {
    ($($group:ident $(($url:ident))? => $sqlite:ident, $postgres:ident;)*) => {
        /// How many PostgreSQL tests this binary holds (the last one to end stops the cluster).
        const POSTGRES_TESTS: usize = [$(stringify!($postgres)),*].len();
        $(rule_groups!(@group $group $(($url))? => $sqlite, $postgres);)*
    };
    (@group $group:ident => $sqlite:ident, $postgres:ident) => {
        rule_groups!(@tests $sqlite, $postgres, |db, _url| $group(db));
    };
    (@group $group:ident (url) => $sqlite:ident, $postgres:ident) => {
        rule_groups!(@tests $sqlite, $postgres, |db, url| $group(db, url));
    };
    (@tests $sqlite:ident, $postgres:ident, |$db:ident, $url:ident| $run:expr) => {
        #[tokio::test(flavor = "multi_thread")]
        async fn $sqlite() {
            let test = SqliteTest::start().await;
            let ($db, $url) = (&test.db, test.url.as_str());
            $run.await;
            test.finish().await;
        }

        #[tokio::test(flavor = "multi_thread")]
        async fn $postgres() {
            let test = PostgresTest::start(stringify!($postgres)).await;
            let ($db, $url) = (&test.db, test.url.as_str());
            $run.await;
            test.finish().await;
        }
    };
}

rule_groups! {
    reconnect_is_idempotent(url) =>
        reconnect_is_idempotent_sqlite, reconnect_is_idempotent_postgres;
    realm_rules => realm_rules_sqlite, realm_rules_postgres;
    client_rules => client_rules_sqlite, client_rules_postgres;
    client_list => client_list_sqlite, client_list_postgres;
    operator_rules => operator_rules_sqlite, operator_rules_postgres;
    event_log => event_log_sqlite, event_log_postgres;
    session_round_trip => session_round_trip_sqlite, session_round_trip_postgres;
    secret_rules => secret_rules_sqlite, secret_rules_postgres;
    authentication_rules => authentication_rules_sqlite, authentication_rules_postgres;
    key_rules => key_rules_sqlite, key_rules_postgres;
    jwks_rules => jwks_rules_sqlite, jwks_rules_postgres;
    client_scope_rules => client_scope_rules_sqlite, client_scope_rules_postgres;
    identity_provider_rules => identity_provider_rules_sqlite, identity_provider_rules_postgres;
    federation_rules => federation_rules_sqlite, federation_rules_postgres;
    token_endpoint_rules(url) => token_endpoint_rules_sqlite, token_endpoint_rules_postgres;
    generation_follows_changes(url) =>
        generation_follows_changes_sqlite, generation_follows_changes_postgres;
    expiry_rules => expiry_rules_sqlite, expiry_rules_postgres;
    secret_lifecycle_rules => secret_lifecycle_rules_sqlite, secret_lifecycle_rules_postgres;
    webhook_rules => webhook_rules_sqlite, webhook_rules_postgres;
}

/// A SQLite test's database: a fresh file in a temporary directory of its own.
struct SqliteTest {
    dir: tempfile::TempDir,
    db: Db,
    url: String,
}

impl SqliteTest {
    async fn start() -> SqliteTest {
        let dir = tempfile::tempdir().unwrap();
        // A missing sub-directory: connect must create it and the file.
        let url = format!("sqlite://{}", dir.path().join("sub/keyward.db").display());
        let db = Db::connect(&url)
            .await
            .expect("connect to a fresh SQLite file");
        assert_eq!(db.backend(), Backend::Sqlite);
        SqliteTest { dir, db, url }
    }

    /// After the group: WAL mode is set on the store's connections, and the WAL is checkpointed
    /// in the background (not inside a request's commit), wholly.
    async fn finish(self) {
        assert!(self.dir.path().join("sub/keyward.db-wal").exists());
        eventually("a background checkpoint", || self.db.wal_checkpoints() > 0).await;
        self.db.close().await;
    }
}

/// A PostgreSQL test's database: `CREATE DATABASE <test name>` on the binary's shared cluster.
/// Fields drop in order: the test's handle, its slot, then its use of the cluster.
struct PostgresTest {
    db: Db,
    url: String,
    _slot: tokio::sync::SemaphorePermit<'static>,
    _cluster: ClusterUse,
}

impl PostgresTest {
    async fn start(name: &str) -> PostgresTest {
        // First, so that this test counts as ended (and may stop the cluster) however it ends.
        let cluster = ClusterUse;
        let slot = POSTGRES_SLOTS.acquire().await.unwrap();
        let admin_url = match SHARED_CLUSTER.get_or_init(start_shared_cluster).await {
            Ok(url) => url,
            Err(e) => {
                panic!("PostgreSQL 15 is required for this test (see keyward_store::testing): {e}")
            }
        };
        let url = create_database(admin_url, name).await;
        let db = Db::connect(&url).await.expect("connect to PostgreSQL");
        assert_eq!(db.backend(), Backend::Postgres);
        PostgresTest {
            db,
            url,
            _slot: slot,
            _cluster: cluster,
        }
    }

    async fn finish(self) {
        self.db.close().await;
    }
}

/// At most this many PostgreSQL tests at once: the cluster has PostgreSQL's default of 100
/// connections, and a test may use a few dozen (two pools of 16 in `token_endpoint_rules`).
static POSTGRES_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(8);

/// The shared cluster's URL (its `keyward` database), or why it could not be started.
static SHARED_CLUSTER: tokio::sync::OnceCell<Result<String, String>> =
    tokio::sync::OnceCell::const_new();

/// The shared cluster (statics are never dropped: see [`ClusterUse`]).
static CLUSTER: Mutex<Option<PgCluster>> = Mutex::new(None);

/// The cluster's watchdog: a shell that waits for the end of its stdin, a pipe from this process.
static WATCHDOG: Mutex<Option<std::process::Child>> = Mutex::new(None);

/// PostgreSQL tests not yet ended.
static POSTGRES_LEFT: AtomicUsize = AtomicUsize::new(POSTGRES_TESTS);

/// Held by a PostgreSQL test from its start: when the last of this binary's PostgreSQL tests
/// ends (passed or failed), the cluster is stopped (`pg_ctl stop -m immediate`, the directory
/// removed: [`PgCluster`]'s drop). When fewer run (a filter) or the binary dies (a panic that
/// aborts, a signal, a kill), the watchdog does it once the binary is gone.
struct ClusterUse;

impl Drop for ClusterUse {
    fn drop(&mut self) {
        if POSTGRES_LEFT.fetch_sub(1, Ordering::SeqCst) != 1 {
            return;
        }
        let cluster = CLUSTER
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(cluster);
        let watchdog = WATCHDOG
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(mut watchdog) = watchdog {
            // End of its input: it finds the cluster stopped and removed, and exits.
            drop(watchdog.stdin.take());
            let _ = watchdog.wait();
        }
    }
}

/// Waits for the end of its stdin (the test binary is gone, however it ended), then stops the
/// cluster as `pg_ctl stop -m immediate -w` does: SIGQUIT to the postmaster, then waits (up to
/// 30 s) for its pid file to go (not `kill -0`: an exited postmaster stays a zombie until init
/// reaps it), and removes the cluster's directory. `$1` is the data directory, `$2` the cluster's
/// directory. Terminal signals (Ctrl-C) do not reach it: it has a process group of its own and
/// ignores them.
const WATCHDOG_SCRIPT: &str = r#"
trap '' HUP INT
while read -r line; do :; done
if pid=$(head -n 1 "$1/postmaster.pid" 2>/dev/null) && [ -n "$pid" ]; then
    kill -QUIT "$pid" 2>/dev/null
    n=0
    while [ -f "$1/postmaster.pid" ] && [ "$n" -lt 300 ]; do
        sleep 0.1
        n=$((n + 1))
    done
fi
rm -rf "$2"
"#;

/// Starts the shared cluster and its watchdog; answers the cluster's URL.
async fn start_shared_cluster() -> Result<String, String> {
    use sqlx::Connection;
    use std::os::unix::process::CommandExt;
    let cluster = tokio::task::spawn_blocking(PgCluster::start)
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let url = cluster.url();
    // From here on, the last PostgreSQL test stops it, whatever fails below.
    *CLUSTER.lock().unwrap_or_else(PoisonError::into_inner) = Some(cluster);
    let watchdog_failed = |e: &dyn std::fmt::Display| format!("starting the watchdog: {e}");
    let mut conn = sqlx::PgConnection::connect(&url)
        .await
        .map_err(|e| watchdog_failed(&e))?;
    let (data,): (String,) = sqlx::query_as("SHOW data_directory")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| watchdog_failed(&e))?;
    conn.close().await.map_err(|e| watchdog_failed(&e))?;
    let data = std::path::PathBuf::from(data);
    let dir = data
        .parent()
        .filter(|d| {
            d.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("keyward-pg-"))
        })
        .ok_or_else(|| watchdog_failed(&format!("unexpected data directory {}", data.display())))?
        .to_path_buf();
    let watchdog = std::process::Command::new("sh")
        .args(["-c", WATCHDOG_SCRIPT, "keyward-pg-watchdog"])
        .arg(&data)
        .arg(&dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| watchdog_failed(&e))?;
    *WATCHDOG.lock().unwrap_or_else(PoisonError::into_inner) = Some(watchdog);
    Ok(url)
}

/// Creates the database `name` on the shared cluster; answers its URL.
async fn create_database(cluster_url: &str, name: &str) -> String {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(cluster_url)
        .await
        .expect("connect to the shared PostgreSQL cluster");
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
    conn.close().await.unwrap();
    let (server, _) = cluster_url.rsplit_once('/').unwrap();
    format!("{server}/{name}")
}

/// What most groups work in, as `realm_rules` makes them: the master realm and `demo`.
async fn given_master_and_demo(db: &Db) {
    realms::ensure_master(db, NOW).await.unwrap();
    realms::create(db, "demo", "Demo realm", NOW).await.unwrap();
}

/// SQLite: the process owns the file (a lock beside it), answers assertion ids from one set
/// shared by all its handles, writes them behind, and finds them again after a restart.
#[tokio::test(flavor = "multi_thread")]
async fn sqlite_owner_keeps_assertion_ids_in_memory_and_on_disk() {
    use keyward_store::jti;
    use std::fs::TryLockError;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keyward.db");
    let url = format!("sqlite://{}", file.display());
    let db = Db::connect(&url).await.unwrap();
    assert!(matches!(db.owns_sqlite_file(), Some(Ok(()))));
    // Another open of the lock file (as another process would) cannot take it.
    let lock = std::fs::File::open(dir.path().join("keyward.db.keyward-lock")).unwrap();
    assert!(matches!(lock.try_lock(), Err(TryLockError::WouldBlock)));
    // A second handle of this process shares the claim and the set.
    let second = Db::connect(&url).await.unwrap();
    assert!(matches!(second.owns_sqlite_file(), Some(Ok(()))));
    let accept = |d: &Db, jti: &'static str, until: i64, now: i64| {
        let d = d.clone();
        async move {
            jti::accept_once(&d, "realm", "client", jti, until, now)
                .await
                .unwrap()
        }
    };
    assert!(accept(&db, "a", NOW + 60, NOW).await);
    assert!(!accept(&second, "a", NOW + 60, NOW + 1).await);
    assert!(accept(&second, "b", NOW + 60, NOW).await);
    assert!(accept(&db, "short", NOW + 5, NOW).await);
    // The ids are written behind: flushed at close, found again after a restart.
    second.close().await;
    db.close().await;
    drop((db, second));
    // The last handle gone, the file is free again.
    lock.try_lock().expect("released with the last handle");
    lock.unlock().unwrap();
    let db = Db::connect(&url).await.unwrap();
    assert!(!accept(&db, "a", NOW + 60, NOW + 2).await);
    assert!(!accept(&db, "b", NOW + 60, NOW + 2).await);
    assert!(accept(&db, "c", NOW + 60, NOW + 2).await);
    // Loaded at NOW + 10 (the first call after this restart is at NOW + 2, so "short" was
    // loaded too): after its time it may be used again.
    assert!(!accept(&db, "short", NOW + 60, NOW + 3).await);
    // Written in one batch with an id accepted earlier ("e" at NOW + 3): the table still takes
    // the new acceptance of "short" (until NOW + 60), checked by the table-only handle below.
    assert!(accept(&db, "e", NOW + 60, NOW + 3).await);
    assert!(accept(&db, "short", NOW + 60, NOW + 5).await);
    jti::flush(&db).await.unwrap();
    // While this process holds the file, a handle that cannot claim it says who does (here:
    // the test's own lock, held after this process's handles are gone).
    db.close().await;
    drop(db);
    lock.try_lock().unwrap();
    let other = Db::connect(&url).await.unwrap();
    assert!(
        matches!(other.owns_sqlite_file(), Some(Err(p)) if p.ends_with("keyward.db.keyward-lock"))
    );
    // Without the claim, ids are decided by the table (written before the answer).
    assert!(
        !jti::accept_once(&other, "realm", "client", "c", NOW + 60, NOW + 4)
            .await
            .unwrap()
    );
    assert!(
        jti::accept_once(&other, "realm", "client", "d", NOW + 60, NOW + 4)
            .await
            .unwrap()
    );
    assert!(
        !jti::accept_once(&other, "realm", "client", "short", NOW + 60, NOW + 10)
            .await
            .unwrap()
    );
    other.close().await;
    lock.unlock().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_failures_are_one_line() {
    let err = Db::connect("postgres://postgres@127.0.0.1:1/keyward")
        .await
        .unwrap_err();
    let StoreError::Unavailable(msg) = err else {
        panic!("expected Unavailable, got {err:?}")
    };
    assert!(!msg.contains('\n'));
    assert!(matches!(
        Db::connect("mysql://x/y").await,
        Err(StoreError::Unavailable(_))
    ));
}

/// Expiring secrets and certificates: soonest first, revoked and inactive ones left out.
async fn expiry_rules(db: &Db) {
    let realm = realms::create(db, "exp", "", NOW).await.unwrap();
    let new = |client_id: &'static str| NewClient {
        client_id,
        name: "",
        description: "",
        enabled: true,
        public_client: false,
    };
    let a = clients::create(db, &realm.realm_id, &new("exp-a"), NOW)
        .await
        .unwrap();
    let b = clients::create(db, &realm.realm_id, &new("exp-b"), NOW)
        .await
        .unwrap();
    let secret = |label: &'static str, expires_at: Option<i64>| NewSecret {
        label,
        verifier: &[7u8; 32],
        sealed: None,
        expires_at,
        created_by: "t",
    };
    secrets::insert_many(
        db,
        &a.client_row_id,
        &[
            secret("soon", Some(NOW + 100)),
            secret("never", None),
            secret("later", Some(NOW + 10_000)),
        ],
        NOW,
    )
    .await
    .unwrap();
    let key = |thumb: &'static str, not_after: i64| NewKey {
        kid: Some(thumb),
        kty: "EC",
        alg: None,
        spki_der: thumb.as_bytes(),
        certificate_der: None,
        thumbprint_s256: thumb,
        source: "cert",
        not_before: Some(NOW),
        not_after: Some(not_after),
    };
    let created = keys::insert_many(
        db,
        &b.client_row_id,
        &[key("k-first", NOW + 50), key("k-off", NOW + 10)],
        "t",
        NOW,
    )
    .await
    .unwrap();
    keys::set_active(db, &b.client_row_id, &created[1].key_id, false)
        .await
        .unwrap();
    let found = expiry::list(db, Some("exp"), None, NOW + 1000, 100)
        .await
        .unwrap();
    let seen: Vec<(&str, &str, &str)> = found
        .iter()
        .map(|e| (e.client_id.as_str(), e.kind.as_str(), e.label.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("exp-b", "certificate", "k-first"),
            ("exp-a", "secret", "soon")
        ]
    );
    assert_eq!(found[0].expires_at, NOW + 50);
    assert_eq!(found[0].realm, "exp");
    let only_a = expiry::list(db, None, Some(&a.client_row_id), NOW + 100_000, 100)
        .await
        .unwrap();
    assert_eq!(only_a.len(), 2, "{only_a:?}");
    assert!(expiry::list(db, Some("nowhere"), None, NOW + 100_000, 100)
        .await
        .unwrap()
        .is_empty());
}

/// Terminates every backend on this URL's database whose last statement was a LISTEN (the other
/// tests' databases on the shared cluster are left alone); answers how many.
async fn kill_listeners(url: &str) -> usize {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let rows: Vec<(bool,)> = sqlx::query_as(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid() \
         AND datname = current_database()",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    rows.iter().filter(|(ok,)| *ok).count()
}

/// Polls `f` every 20 ms for up to 10 s.
async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..500 {
        if f() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// The change generation moves on every credential change, here and (PostgreSQL) in every other
/// process on the database; a lost listener makes it incomplete until it reconnects.
async fn generation_follows_changes(db: &Db, url: &str) {
    let g0 = db.generation();
    if db.backend() == Backend::Postgres {
        eventually("the listener connects", || db.generation().is_some()).await;
    }
    let g0 = db.generation().or(g0).expect("complete generation");
    realms::create(db, "gen-a", "A", NOW).await.unwrap();
    let g1 = db.generation().unwrap();
    assert!(g1 > g0, "a change made here moves the generation at once");
    // A read changes nothing (on PostgreSQL, once this process has heard its own NOTIFY).
    if db.backend() == Backend::Postgres {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let g1 = db.generation().unwrap();
    realms::get_by_name(db, "gen-a").await.unwrap();
    assert_eq!(db.generation(), Some(g1));
    // A failed change (conflict) need not move it, a revocation must.
    let realm = realms::get_by_name(db, "gen-a").await.unwrap();
    let client = clients::create(
        db,
        &realm.realm_id,
        &NewClient {
            client_id: "gen-client",
            name: "",
            description: "",
            enabled: true,
            public_client: false,
        },
        NOW,
    )
    .await
    .unwrap();
    let g2 = db.generation().unwrap();
    assert!(g2 > g1);
    clients::delete(db, &realm.realm_id, &client.client_row_id)
        .await
        .unwrap();
    assert!(db.generation().unwrap() > g2);

    if db.backend() != Backend::Postgres {
        return;
    }
    // Another replica's change reaches this process through LISTEN/NOTIFY.
    let other = Db::connect(url).await.unwrap();
    let before = db.generation().unwrap();
    realms::update_display_name(&other, "gen-a", "Renamed")
        .await
        .unwrap();
    eventually("another replica's change is seen", || {
        db.generation().is_some_and(|g| g > before)
    })
    .await;
    // The listener's connection is killed: the generation moves (and is incomplete until the
    // listener is back), so nothing cached before can be trusted afterwards.
    let before = db.generation().unwrap();
    let killed = kill_listeners(url).await;
    assert!(killed >= 1, "a LISTEN connection was found and killed");
    eventually("the listener reconnects with a new generation", || {
        db.generation().is_some_and(|g| g > before)
    })
    .await;
    realms::update_display_name(&other, "gen-a", "Again")
        .await
        .unwrap();
    let before = db.generation().unwrap();
    realms::update_display_name(&other, "gen-a", "Once more")
        .await
        .unwrap();
    eventually("changes are seen after the reconnection", || {
        db.generation().is_some_and(|g| g > before)
    })
    .await;
    other.close().await;
}

async fn reconnect_is_idempotent(db: &Db, url: &str) {
    db.ping().await.unwrap();
    let again = Db::connect(url)
        .await
        .expect("second connect re-runs migrations");
    again.ping().await.unwrap();
    again.close().await;
}

async fn realm_rules(db: &Db) {
    let master = realms::ensure_master(db, NOW).await.unwrap();
    assert_eq!(master.name, "master");
    assert_eq!(master.display_name, "Keyward");
    let again = realms::ensure_master(db, NOW + 5).await.unwrap();
    assert_eq!(again, master, "ensure_master is idempotent");
    // Concurrent ensure_master calls agree on one realm.
    let (a, b) = tokio::join!(
        realms::ensure_master(db, NOW),
        realms::ensure_master(db, NOW)
    );
    assert_eq!(a.unwrap(), master);
    assert_eq!(b.unwrap(), master);

    let demo = realms::create(db, "demo", "Demo", NOW).await.unwrap();
    assert_eq!(demo.realm_id.len(), 36);
    assert_ne!(demo.realm_id, master.realm_id);
    assert!(matches!(
        realms::create(db, "demo", "Other", NOW).await,
        Err(StoreError::Conflict(
            "a realm with this name already exists"
        ))
    ));
    let renamed = realms::update_display_name(db, "demo", "Demo realm")
        .await
        .unwrap();
    assert_eq!(renamed.display_name, "Demo realm");
    assert_eq!(renamed.realm_id, demo.realm_id);
    assert_eq!(
        realms::get_by_name(db, "demo").await.unwrap().display_name,
        "Demo realm"
    );
    assert!(matches!(
        realms::get_by_name(db, "nope").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        realms::update_display_name(db, "nope", "x").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        realms::delete(db, "nope").await,
        Err(StoreError::NotFound)
    ));
    let names: Vec<String> = realms::list(db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["demo", "master"]);

    // Deleting a realm deletes its clients.
    let doomed = realms::create(db, "doomed", "Doomed", NOW).await.unwrap();
    let c = clients::create(db, &doomed.realm_id, &new_client("app"), NOW)
        .await
        .unwrap();
    realms::delete(db, "doomed").await.unwrap();
    assert!(matches!(
        realms::get_by_name(db, "doomed").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        clients::get(db, &doomed.realm_id, &c.client_row_id).await,
        Err(StoreError::NotFound)
    ));
    let page = clients::list(db, &doomed.realm_id, None, 0, 10)
        .await
        .unwrap();
    assert!(page.items.is_empty());
    // Foreign keys are enforced: no client in a realm that does not exist.
    assert!(matches!(
        clients::create(db, &doomed.realm_id, &new_client("ghost"), NOW).await,
        Err(StoreError::Db(_))
    ));
}

/// Client scopes: unique names per realm, idempotent assignments of one kind per client that
/// never cross realms, replacement of a kind, cascades, and a moving generation.
async fn identity_provider_rules(db: &Db) {
    use keyward_store::identity_providers::{self as idps, ProviderFields};
    use std::collections::BTreeMap;
    given_master_and_demo(db).await;
    let demo = realms::get_by_name(db, "demo").await.unwrap();
    let master = realms::get_by_name(db, "master").await.unwrap();
    let r = &demo.realm_id;
    assert!(idps::list(db, r).await.unwrap().is_empty());
    let config: BTreeMap<String, String> = [
        ("issuer", "https://kubernetes.default.svc.cluster.local"),
        ("jwksUrl", "https://10.0.0.1/openid/v1/jwks"),
        ("supportsClientAssertionReuse", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let fields = ProviderFields {
        provider_id: "kubernetes",
        enabled: true,
        display_name: "Cluster",
        config: &config,
    };
    let k8s = idps::create(db, r, "cluster", &fields, NOW).await.unwrap();
    assert_eq!((k8s.alias.as_str(), k8s.version), ("cluster", 1));
    assert_eq!(k8s.config, config, "the config map comes back as written");
    // The alias is unique per realm, not across realms.
    assert!(matches!(
        idps::create(db, r, "cluster", &fields, NOW).await,
        Err(StoreError::Conflict(_))
    ));
    idps::create(db, &master.realm_id, "cluster", &fields, NOW)
        .await
        .unwrap();
    let empty = BTreeMap::new();
    idps::create(
        db,
        r,
        "another",
        &ProviderFields {
            provider_id: "oidc",
            enabled: false,
            display_name: "",
            config: &empty,
        },
        NOW,
    )
    .await
    .unwrap();
    let listed: Vec<String> = idps::list(db, r)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.alias)
        .collect();
    assert_eq!(listed, ["another", "cluster"]);
    // Updates check the version.
    let mut changed = config.clone();
    changed.insert("supportsClientAssertionReuse".into(), "false".into());
    let upd = ProviderFields {
        config: &changed,
        enabled: false,
        ..fields
    };
    let after = idps::update(db, r, "cluster", 1, &upd, NOW + 1)
        .await
        .unwrap();
    assert_eq!(after.version, 2);
    assert!(!after.enabled);
    assert_eq!(after.config["supportsClientAssertionReuse"], "false");
    assert!(matches!(
        idps::update(db, r, "cluster", 1, &upd, NOW + 2).await,
        Err(StoreError::Stale)
    ));
    assert!(matches!(
        idps::update(db, r, "missing", 1, &upd, NOW + 2).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(idps::get(db, r, "cluster").await.unwrap(), after);
    idps::delete(db, r, "cluster").await.unwrap();
    assert!(matches!(
        idps::delete(db, r, "cluster").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        idps::get(db, r, "cluster").await,
        Err(StoreError::NotFound)
    ));
    // Master's provider of the same alias is untouched.
    assert_eq!(idps::list(db, &master.realm_id).await.unwrap().len(), 1);
    idps::delete(db, &master.realm_id, "cluster").await.unwrap();
    idps::delete(db, r, "another").await.unwrap();
}

/// A new federated binding.
fn nb<'a>(
    realm_id: &'a str,
    client_row_id: &'a str,
    idp_row_id: &'a str,
    label: &'a str,
    subject: Option<&'a str>,
    claims_expr: Option<&'a str>,
) -> keyward_store::federation::NewBinding<'a> {
    keyward_store::federation::NewBinding {
        realm_id,
        client_row_id,
        idp_row_id,
        label,
        subject,
        claims_expr,
        created_by: "admin",
    }
}

async fn federation_rules(db: &Db) {
    use keyward_store::federation::{self as fed, KeysFetch};
    use keyward_store::identity_providers::{self as idps, ProviderFields};
    use std::collections::BTreeMap;
    given_master_and_demo(db).await;
    let demo = realms::get_by_name(db, "demo").await.unwrap();
    let master = realms::get_by_name(db, "master").await.unwrap();
    let r = &demo.realm_id;
    let config: BTreeMap<String, String> =
        [("issuer".to_string(), "https://issuer.example".to_string())].into();
    let fields = ProviderFields {
        provider_id: "oidc",
        enabled: true,
        display_name: "",
        config: &config,
    };
    let gh = idps::create(db, r, "github", &fields, NOW).await.unwrap();
    let other = idps::create(db, &master.realm_id, "github", &fields, NOW)
        .await
        .unwrap();
    let a = clients::create(db, r, &new_client("deployer"), NOW)
        .await
        .unwrap();
    let b = clients::create(db, r, &new_client("deployer-2"), NOW)
        .await
        .unwrap();
    let m = clients::create(db, &master.realm_id, &new_client("deployer"), NOW)
        .await
        .unwrap();
    let (a_id, b_id, m_id) = (&a.client_row_id, &b.client_row_id, &m.client_row_id);
    let (gh_id, other_id) = (&gh.idp_row_id, &other.idp_row_id);
    let (demo_id, master_id) = (r, &master.realm_id);
    let main = fed::create(
        db,
        &nb(
            demo_id,
            a_id,
            gh_id,
            "main",
            Some("repo:acme/a:ref:refs/heads/main"),
            None,
        ),
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(
        (
            main.client_id.as_str(),
            main.provider_alias.as_str(),
            main.label.as_str()
        ),
        ("deployer", "github", "main")
    );
    // (provider, subject) names one client per realm: not a second time, not on another client.
    let again = fed::create(
        db,
        &nb(
            demo_id,
            b_id,
            gh_id,
            "x",
            Some("repo:acme/a:ref:refs/heads/main"),
            None,
        ),
        NOW,
    )
    .await;
    assert!(
        matches!(again, Err(StoreError::Conflict(t)) if t.contains("with this subject")),
        "{again:?}"
    );
    // The same subject in another realm (its own provider) is another binding.
    fed::create(
        db,
        &nb(
            master_id,
            m_id,
            other_id,
            "main",
            Some("repo:acme/a:ref:refs/heads/main"),
            None,
        ),
        NOW,
    )
    .await
    .unwrap();
    // A label is unique per client.
    let label = fed::create(
        db,
        &nb(
            demo_id,
            a_id,
            gh_id,
            "main",
            Some("repo:acme/b:ref:refs/heads/main"),
            None,
        ),
        NOW,
    )
    .await;
    assert!(
        matches!(label, Err(StoreError::Conflict(t)) if t.contains("label")),
        "{label:?}"
    );
    // Expression-only bindings: the same expression once per provider.
    let expr = "claims['sub'] matches 'repo:acme/*'";
    let e1 = fed::create(
        db,
        &nb(demo_id, b_id, gh_id, "any", None, Some(expr)),
        NOW + 1,
    )
    .await
    .unwrap();
    let e2 = fed::create(
        db,
        &nb(demo_id, a_id, gh_id, "any", None, Some(expr)),
        NOW + 1,
    )
    .await;
    assert!(
        matches!(e2, Err(StoreError::Conflict(t)) if t.contains("expression")),
        "{e2:?}"
    );
    // Candidates of a token: its exact subject and every expression-only binding.
    let c: Vec<String> = fed::candidates(db, gh_id, "repo:acme/a:ref:refs/heads/main")
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.label)
        .collect();
    assert_eq!(c, ["main", "any"]);
    let c: Vec<String> = fed::candidates(db, gh_id, "repo:acme/z")
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.label)
        .collect();
    assert_eq!(c, ["any"]);
    assert_eq!(fed::count_for_provider(db, gh_id).await.unwrap(), 2);
    assert_eq!(fed::of_client(db, b_id).await.unwrap(), vec![e1.clone()]);
    fed::delete(db, b_id, &e1.binding_id).await.unwrap();
    assert!(matches!(
        fed::delete(db, b_id, &e1.binding_id).await,
        Err(StoreError::NotFound)
    ));
    // A deleted client takes its bindings along.
    clients::delete(db, r, a_id).await.unwrap();
    assert_eq!(fed::count_for_provider(db, gh_id).await.unwrap(), 0);

    // The key cache: one claim per interval, a failure keeps the good set, a provider update
    // forgets it.
    assert_eq!(fed::keys(db, gh_id).await.unwrap(), None);
    assert!(fed::claim_fetch(db, gh_id, 10, NOW).await.unwrap());
    assert!(!fed::claim_fetch(db, gh_id, 10, NOW + 5).await.unwrap());
    let good = br#"{"keys":[]}"#;
    fed::record_fetch(
        db,
        gh_id,
        &KeysFetch {
            jwks_url: Some("https://issuer.example/jwks"),
            attempt_at: NOW,
            status: Some(200),
            good: Some((good, 1, NOW + 600)),
            error: None,
        },
    )
    .await
    .unwrap();
    fed::record_fetch(
        db,
        gh_id,
        &KeysFetch {
            jwks_url: None,
            attempt_at: NOW + 11,
            status: Some(500),
            good: None,
            error: Some("HTTP 500"),
        },
    )
    .await
    .unwrap();
    let kept = fed::keys(db, gh_id).await.unwrap().unwrap();
    assert_eq!(kept.body.as_deref(), Some(&good[..]));
    assert_eq!(
        (kept.last_status, kept.last_error.as_deref(), kept.key_count),
        (Some(500), Some("HTTP 500"), Some(1))
    );
    assert_eq!(
        kept.jwks_url.as_deref(),
        Some("https://issuer.example/jwks")
    );
    assert!(fed::claim_fetch(db, gh_id, 10, NOW + 30).await.unwrap());
    idps::update(db, r, "github", gh.version, &fields, NOW + 40)
        .await
        .unwrap();
    assert_eq!(
        fed::keys(db, gh_id).await.unwrap(),
        None,
        "a changed provider forgets its keys"
    );
    idps::delete(db, r, "github").await.unwrap();
    idps::delete(db, &master.realm_id, "github").await.unwrap();
}

async fn client_scope_rules(db: &Db) {
    use keyward_store::client_scopes::{self, Kind};
    let realm = realms::create(db, "scoped", "", NOW).await.unwrap();
    let other = realms::create(db, "scoped-other", "", NOW).await.unwrap();
    let r = realm.realm_id.as_str();
    // No scope exists by default.
    assert!(client_scopes::list(db, r).await.unwrap().is_empty());
    let payments = client_scopes::create(db, r, "payments", "Pay", NOW)
        .await
        .unwrap();
    assert_eq!(payments.client_scope_id.len(), 36);
    assert_eq!(
        (
            payments.name.as_str(),
            payments.description.as_str(),
            payments.protocol.as_str(),
            payments.created_at
        ),
        ("payments", "Pay", "openid-connect", NOW)
    );
    let reports = client_scopes::create(db, r, "reports", "", NOW)
        .await
        .unwrap();
    let audit = client_scopes::create(db, r, "Audit", "", NOW)
        .await
        .unwrap();
    // Names are unique per realm, case-sensitive, and may repeat in another realm.
    assert!(matches!(
        client_scopes::create(db, r, "payments", "again", NOW).await,
        Err(StoreError::Conflict(
            "a client scope with this name already exists in this realm"
        ))
    ));
    client_scopes::create(db, r, "PAYMENTS", "", NOW)
        .await
        .unwrap();
    let foreign = client_scopes::create(db, &other.realm_id, "payments", "", NOW)
        .await
        .unwrap();
    let names = |list: Vec<client_scopes::ClientScope>| {
        list.into_iter().map(|s| s.name).collect::<Vec<_>>()
    };
    // Bytewise name order on both backends.
    assert_eq!(
        names(client_scopes::list(db, r).await.unwrap()),
        ["Audit", "PAYMENTS", "payments", "reports"]
    );
    assert_eq!(
        client_scopes::get(db, r, &payments.client_scope_id)
            .await
            .unwrap(),
        payments
    );
    assert_eq!(
        client_scopes::get_by_name(db, r, "payments").await.unwrap(),
        payments
    );
    // Another realm's scope is not found through this realm.
    for found in [
        client_scopes::get(db, r, &foreign.client_scope_id).await,
        client_scopes::get_by_name(db, r, "nope").await,
        client_scopes::get(db, r, "no-such-id").await,
    ] {
        assert!(matches!(found, Err(StoreError::NotFound)), "{found:?}");
    }
    // Update: rename and describe; a taken name conflicts; unknown ids are not found.
    let renamed = client_scopes::update(db, r, &reports.client_scope_id, "reporting", "Reports")
        .await
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.description.as_str()),
        ("reporting", "Reports")
    );
    assert!(matches!(
        client_scopes::update(db, r, &reports.client_scope_id, "payments", "").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        client_scopes::update(db, r, &foreign.client_scope_id, "x", "").await,
        Err(StoreError::NotFound)
    ));

    // Assignments.
    if db.backend() == Backend::Postgres {
        eventually("the listener connects", || db.generation().is_some()).await;
    }
    let c = clients::create(db, r, &new_client("scoped-client"), NOW)
        .await
        .unwrap();
    let id = c.client_row_id.as_str();
    let kinds = |list: Vec<client_scopes::Assigned>| {
        list.into_iter()
            .map(|a| {
                assert_eq!(a.client_row_id, id);
                (a.kind, a.scope.name)
            })
            .collect::<Vec<_>>()
    };
    assert!(client_scopes::of_client(db, id).await.unwrap().is_empty());
    let g = db.generation().unwrap();
    assert!(
        client_scopes::assign(db, r, id, &payments.client_scope_id, Kind::Default)
            .await
            .unwrap()
    );
    let g2 = db.generation().unwrap();
    assert!(g2 > g, "an assignment moves the generation");
    // Again: nothing changes (Keycloak's PUT twice).
    assert!(
        !client_scopes::assign(db, r, id, &payments.client_scope_id, Kind::Default)
            .await
            .unwrap()
    );
    assert!(
        client_scopes::assign(db, r, id, &renamed.client_scope_id, Kind::Optional)
            .await
            .unwrap()
    );
    assert!(
        client_scopes::assign(db, r, id, &audit.client_scope_id, Kind::Optional)
            .await
            .unwrap()
    );
    assert_eq!(
        kinds(client_scopes::of_client(db, id).await.unwrap()),
        [
            (Kind::Default, "payments".to_string()),
            (Kind::Optional, "Audit".to_string()),
            (Kind::Optional, "reporting".to_string()),
        ]
    );
    // One kind per (client, scope): assigning the other kind moves it.
    assert!(
        client_scopes::assign(db, r, id, &payments.client_scope_id, Kind::Optional)
            .await
            .unwrap()
    );
    assert_eq!(
        kinds(client_scopes::of_client(db, id).await.unwrap())[0],
        (Kind::Optional, "Audit".to_string())
    );
    // Unassigning the kind it does not have changes nothing; the right kind removes it.
    assert!(
        !client_scopes::unassign(db, r, id, &payments.client_scope_id, Kind::Default)
            .await
            .unwrap()
    );
    let g = db.generation().unwrap();
    assert!(
        client_scopes::unassign(db, r, id, &payments.client_scope_id, Kind::Optional)
            .await
            .unwrap()
    );
    assert!(
        db.generation().unwrap() > g,
        "a removal moves the generation"
    );
    assert!(
        !client_scopes::unassign(db, r, id, &payments.client_scope_id, Kind::Optional)
            .await
            .unwrap()
    );
    // Never across realms; unknown clients and scopes are not found.
    let stranger = clients::create(db, &other.realm_id, &new_client("stranger"), NOW)
        .await
        .unwrap();
    for (client, scope) in [
        (id, foreign.client_scope_id.as_str()),
        (
            stranger.client_row_id.as_str(),
            payments.client_scope_id.as_str(),
        ),
        ("no-such-client", payments.client_scope_id.as_str()),
        (id, "no-such-scope"),
    ] {
        for kind in [Kind::Default, Kind::Optional] {
            assert!(matches!(
                client_scopes::assign(db, r, client, scope, kind).await,
                Err(StoreError::NotFound)
            ));
            assert!(matches!(
                client_scopes::unassign(db, r, client, scope, kind).await,
                Err(StoreError::NotFound)
            ));
        }
    }
    assert!(client_scopes::of_client(db, &stranger.client_row_id)
        .await
        .unwrap()
        .is_empty());

    // Replacing a kind: exactly these, the others of that kind go, the other kind stays
    // unless named (then it moves).
    let ids = |list: &[&client_scopes::ClientScope]| {
        list.iter()
            .map(|s| s.client_scope_id.clone())
            .collect::<Vec<_>>()
    };
    assert!(
        client_scopes::set_kind(db, r, id, Kind::Default, &ids(&[&payments, &audit]))
            .await
            .unwrap()
    );
    assert_eq!(
        kinds(client_scopes::of_client(db, id).await.unwrap()),
        [
            (Kind::Default, "Audit".to_string()),
            (Kind::Default, "payments".to_string()),
            (Kind::Optional, "reporting".to_string()),
        ]
    );
    assert!(
        !client_scopes::set_kind(db, r, id, Kind::Default, &ids(&[&audit, &payments]))
            .await
            .unwrap()
    );
    assert!(
        client_scopes::set_kind(db, r, id, Kind::Default, &ids(&[&payments]))
            .await
            .unwrap()
    );
    // Another realm's scope is skipped.
    assert!(
        !client_scopes::set_kind(db, r, id, Kind::Default, &ids(&[&payments, &foreign]))
            .await
            .unwrap()
    );
    assert!(client_scopes::set_kind(db, r, id, Kind::Optional, &[])
        .await
        .unwrap());
    assert_eq!(
        kinds(client_scopes::of_client(db, id).await.unwrap()),
        [(Kind::Default, "payments".to_string())]
    );
    assert!(matches!(
        client_scopes::set_kind(db, r, &stranger.client_row_id, Kind::Default, &[]).await,
        Err(StoreError::NotFound)
    ));

    // Several clients at once.
    let second = clients::create(db, r, &new_client("scoped-second"), NOW)
        .await
        .unwrap();
    client_scopes::assign(
        db,
        r,
        &second.client_row_id,
        &renamed.client_scope_id,
        Kind::Optional,
    )
    .await
    .unwrap();
    let all = client_scopes::of_clients(
        db,
        &[
            c.client_row_id.clone(),
            second.client_row_id.clone(),
            stranger.client_row_id.clone(),
        ],
    )
    .await
    .unwrap();
    assert_eq!(all.len(), 2, "clients without scopes are absent");
    assert_eq!(all[id][0].scope.name, "payments");
    assert_eq!(all[&second.client_row_id][0].kind, Kind::Optional);

    // Deleting a scope removes its assignments; deleting a client removes its own.
    let g = db.generation().unwrap();
    client_scopes::delete(db, r, &payments.client_scope_id)
        .await
        .unwrap();
    assert!(db.generation().unwrap() > g);
    assert!(client_scopes::of_client(db, id).await.unwrap().is_empty());
    assert!(matches!(
        client_scopes::delete(db, r, &payments.client_scope_id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        client_scopes::delete(db, r, &foreign.client_scope_id).await,
        Err(StoreError::NotFound)
    ));
    clients::delete(db, r, &second.client_row_id).await.unwrap();
    assert!(client_scopes::of_client(db, &second.client_row_id)
        .await
        .unwrap()
        .is_empty());
    // Deleting a realm deletes its scopes.
    realms::delete(db, "scoped-other").await.unwrap();
    assert!(client_scopes::list(db, &other.realm_id)
        .await
        .unwrap()
        .is_empty());
    realms::delete(db, "scoped").await.unwrap();
    assert!(client_scopes::list(db, r).await.unwrap().is_empty());
}

fn new_client(client_id: &str) -> NewClient<'_> {
    NewClient {
        client_id,
        name: "",
        description: "",
        enabled: true,
        public_client: false,
    }
}

async fn client_rules(db: &Db) {
    given_master_and_demo(db).await;
    let demo = realms::get_by_name(db, "demo").await.unwrap();
    let master = realms::get_by_name(db, "master").await.unwrap();
    let created = clients::create(
        db,
        &demo.realm_id,
        &NewClient {
            client_id: "billing",
            name: "Billing",
            description: "pays",
            enabled: true,
            public_client: true,
        },
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(created.version, 1);
    assert_eq!(created.client_row_id.len(), 36);
    assert_eq!(created.realm_id, demo.realm_id);
    assert!(created.enabled && created.public_client);
    assert_eq!((created.created_at, created.updated_at), (NOW, NOW));
    assert_eq!(
        clients::get(db, &demo.realm_id, &created.client_row_id)
            .await
            .unwrap(),
        created
    );
    match clients::create(db, &demo.realm_id, &new_client("billing"), NOW).await {
        Err(StoreError::Conflict(msg)) => assert_eq!(
            msg,
            "a client with this client id already exists in this realm"
        ),
        other => panic!("a duplicate client id must conflict, got {other:?}"),
    }
    // Same client id in another realm is fine.
    let other = clients::create(db, &master.realm_id, &new_client("billing"), NOW)
        .await
        .unwrap();
    assert_ne!(other.client_row_id, created.client_row_id);
    // Wrong realm → NotFound for get, update and delete.
    assert!(matches!(
        clients::get(db, &master.realm_id, &created.client_row_id).await,
        Err(StoreError::NotFound)
    ));
    let upd = ClientUpdate {
        name: "Billing Service",
        description: "pays bills",
        enabled: false,
        public_client: false,
    };
    assert!(matches!(
        clients::update(db, &master.realm_id, &created.client_row_id, 1, &upd, NOW).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        clients::delete(db, &master.realm_id, &created.client_row_id).await,
        Err(StoreError::NotFound)
    ));

    let updated = clients::update(
        db,
        &demo.realm_id,
        &created.client_row_id,
        1,
        &upd,
        NOW + 10,
    )
    .await
    .unwrap();
    assert_eq!(updated.version, 2);
    assert_eq!(updated.name, "Billing Service");
    assert_eq!(updated.description, "pays bills");
    assert!(!updated.enabled && !updated.public_client);
    assert_eq!((updated.created_at, updated.updated_at), (NOW, NOW + 10));
    assert_eq!(updated.client_id, "billing");
    // The new name is searchable, the old-only term no longer matches it.
    let found = clients::list(db, &demo.realm_id, Some("SERVICE"), 0, 10)
        .await
        .unwrap();
    assert_eq!(found.items, vec![updated.clone()]);

    // A stale version changes nothing.
    let stale = ClientUpdate {
        name: "Overwritten",
        description: "",
        enabled: true,
        public_client: true,
    };
    assert!(matches!(
        clients::update(
            db,
            &demo.realm_id,
            &created.client_row_id,
            1,
            &stale,
            NOW + 20
        )
        .await,
        Err(StoreError::Stale)
    ));
    assert_eq!(
        clients::get(db, &demo.realm_id, &created.client_row_id)
            .await
            .unwrap(),
        updated
    );
    assert!(matches!(
        clients::update(db, &demo.realm_id, "no-such-row", 1, &stale, NOW).await,
        Err(StoreError::NotFound)
    ));

    clients::delete(db, &demo.realm_id, &created.client_row_id)
        .await
        .unwrap();
    assert!(matches!(
        clients::get(db, &demo.realm_id, &created.client_row_id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        clients::delete(db, &demo.realm_id, &created.client_row_id).await,
        Err(StoreError::NotFound)
    ));
    clients::delete(db, &master.realm_id, &other.client_row_id)
        .await
        .unwrap();
}

fn ids(page: &clients::ClientPage) -> Vec<&str> {
    page.items.iter().map(|c| c.client_id.as_str()).collect()
}

async fn client_list(db: &Db) {
    let realm = realms::create(db, "listing", "Listing", NOW).await.unwrap();
    let r = realm.realm_id.as_str();
    for (client_id, name) in [
        ("zeta", "Last one"),
        ("Alpha", "Upper case first"),
        ("beta", "Payments Gateway"),
        ("100%_done", "percent"),
        ("100x-done", "no percent"),
        ("back\\slash", "escape"),
        ("gamma", "Gamma ray"),
    ] {
        clients::create(
            db,
            r,
            &NewClient {
                client_id,
                name,
                description: "",
                enabled: true,
                public_client: false,
            },
            NOW,
        )
        .await
        .unwrap();
    }
    // Byte order on both backends (upper case before lower case).
    let all = clients::list(db, r, None, 0, 100).await.unwrap();
    assert_eq!(
        ids(&all),
        [
            "100%_done",
            "100x-done",
            "Alpha",
            "back\\slash",
            "beta",
            "gamma",
            "zeta"
        ]
    );
    assert!(!all.has_more);

    let p1 = clients::list(db, r, None, 0, 3).await.unwrap();
    assert_eq!(ids(&p1), ["100%_done", "100x-done", "Alpha"]);
    assert!(p1.has_more);
    let p3 = clients::list(db, r, None, 6, 3).await.unwrap();
    assert_eq!(ids(&p3), ["zeta"]);
    assert!(!p3.has_more);
    let exact = clients::list(db, r, None, 4, 3).await.unwrap();
    assert_eq!(ids(&exact), ["beta", "gamma", "zeta"]);
    assert!(!exact.has_more, "a full last page has no more");
    let past = clients::list(db, r, None, 50, 3).await.unwrap();
    assert!(past.items.is_empty() && !past.has_more);

    // Case-insensitive, on client id or name, substring.
    let s = clients::list(db, r, Some("ALP"), 0, 10).await.unwrap();
    assert_eq!(ids(&s), ["Alpha"]);
    let s = clients::list(db, r, Some("gateway"), 0, 10).await.unwrap();
    assert_eq!(ids(&s), ["beta"]);
    let s = clients::list(db, r, Some("AmM"), 0, 10).await.unwrap();
    assert_eq!(ids(&s), ["gamma"]);
    let s = clients::list(db, r, Some("a"), 1, 2).await.unwrap();
    assert_eq!(ids(&s), ["back\\slash", "beta"]);
    assert!(s.has_more);
    // Wildcards are literal.
    let s = clients::list(db, r, Some("%_"), 0, 10).await.unwrap();
    assert_eq!(ids(&s), ["100%_done"]);
    let s = clients::list(db, r, Some("x_done"), 0, 10).await.unwrap();
    assert!(s.items.is_empty(), "_ must not match any character");
    let s = clients::list(db, r, Some("100%"), 0, 10).await.unwrap();
    assert_eq!(ids(&s), ["100%_done"]);
    let s = clients::list(db, r, Some("k\\s"), 0, 10).await.unwrap();
    assert_eq!(ids(&s), ["back\\slash"]);
    let s = clients::list(db, r, Some("%"), 0, 10).await.unwrap();
    assert_eq!(ids(&s), ["100%_done"]);
    let s = clients::list(db, r, Some("nothing"), 0, 10).await.unwrap();
    assert!(s.items.is_empty() && !s.has_more);
    // An empty search lists everything.
    let s = clients::list(db, r, Some(""), 0, 100).await.unwrap();
    assert_eq!(s.items.len(), 7);

    // Seed 1,000 and list them.
    let bulk = realms::create(db, "bulk", "Bulk", NOW).await.unwrap();
    clients::seed(db, &bulk.realm_id, "svc", 1000, NOW)
        .await
        .unwrap();
    let first = clients::list(db, &bulk.realm_id, None, 0, 20)
        .await
        .unwrap();
    assert_eq!(first.items.len(), 20);
    assert!(first.has_more);
    assert_eq!(first.items[0].client_id, "svc-000001");
    assert_eq!(first.items[0].name, "Service 1");
    assert_eq!(first.items[0].version, 1);
    assert!(first.items[0].enabled);
    let last = clients::list(db, &bulk.realm_id, None, 990, 20)
        .await
        .unwrap();
    assert_eq!(last.items.len(), 10);
    assert!(!last.has_more);
    assert_eq!(last.items[9].client_id, "svc-001000");
    let s = clients::list(db, &bulk.realm_id, Some("SERVICE 99"), 0, 20)
        .await
        .unwrap();
    assert_eq!(
        ids(&s),
        [
            "svc-000099",
            "svc-000990",
            "svc-000991",
            "svc-000992",
            "svc-000993",
            "svc-000994",
            "svc-000995",
            "svc-000996",
            "svc-000997",
            "svc-000998",
            "svc-000999"
        ]
    );
    // Seeding again with the same prefix is a conflict and leaves nothing half-done.
    assert!(matches!(
        clients::seed(db, &bulk.realm_id, "svc", 10, NOW).await,
        Err(StoreError::Conflict(_))
    ));
    let seeded = clients::list(db, &bulk.realm_id, None, 0, 2000)
        .await
        .unwrap();
    assert_eq!(seeded.items.len(), 1000);
}

async fn operator_rules(db: &Db) {
    assert_eq!(operators::count(db).await.unwrap(), 0);
    // Concurrent first-admin creation makes exactly one.
    let (a, b) = tokio::join!(
        operators::create_first_admin(db, "root", "hash-root", NOW),
        operators::create_first_admin(db, "root2", "hash-root2", NOW)
    );
    let made: Vec<_> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
    assert_eq!(made.len(), 1, "exactly one first admin");
    let root = made.into_iter().next().unwrap();
    assert_eq!(root.role, Role::Admin);
    assert!(operators::create_first_admin(db, "late", "h", NOW)
        .await
        .unwrap()
        .is_none());
    assert_eq!(operators::count(db).await.unwrap(), 1);

    let alice = operators::create(db, "alice", "$argon2id$secret-hash", Role::Viewer, NOW)
        .await
        .unwrap();
    assert_eq!(alice.role, Role::Viewer);
    assert_eq!((alice.session_epoch, alice.disabled), (0, false));
    let dbg = format!("{alice:?}");
    assert!(
        dbg.contains("<redacted>") && !dbg.contains("secret-hash"),
        "{dbg}"
    );
    assert!(matches!(
        operators::create(db, "alice", "h", Role::Admin, NOW).await,
        Err(StoreError::Conflict(
            "an operator with this username already exists"
        ))
    ));
    assert_eq!(
        operators::get_by_username(db, "alice").await.unwrap(),
        alice
    );
    assert_eq!(operators::get(db, &alice.operator_id).await.unwrap(), alice);
    assert!(matches!(
        operators::get_by_username(db, "bob").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        operators::get(db, "nope").await,
        Err(StoreError::NotFound)
    ));
    let names: Vec<String> = operators::list(db)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.username)
        .collect();
    let mut expected = vec!["alice".to_owned(), root.username.clone()];
    expected.sort();
    assert_eq!(names, expected);

    // Every change of password, role or enabled state moves the session epoch (which ends the
    // operator's console sessions); nothing else does.
    let id = alice.operator_id.as_str();
    assert_eq!(alice.session_epoch, 0);
    let o = operators::set_password(db, id, "new-hash").await.unwrap();
    assert_eq!(o.password_hash, "new-hash");
    assert_eq!(o.session_epoch, 1);
    let o = operators::set_role(db, id, Role::Manager).await.unwrap();
    assert_eq!(o.session_epoch, 2);
    let o = operators::set_disabled(db, id, true).await.unwrap();
    assert_eq!(o.session_epoch, 3);
    let o = operators::set_disabled(db, id, false).await.unwrap();
    assert_eq!(o.session_epoch, 4);
    assert_eq!(operators::get(db, id).await.unwrap().session_epoch, 4);
    let o = operators::set_role(db, id, Role::Viewer).await.unwrap();
    assert_eq!(o.session_epoch, 5);
    assert!(matches!(
        operators::set_password(db, "nope", "h").await,
        Err(StoreError::NotFound)
    ));

    // Roles, disabling and the active admin count.
    assert_eq!(operators::count_active_admins(db).await.unwrap(), 1);
    let o = operators::set_role(db, id, Role::Admin).await.unwrap();
    assert_eq!(o.role, Role::Admin);
    assert_eq!(operators::get(db, id).await.unwrap().role, Role::Admin);
    assert_eq!(operators::count_active_admins(db).await.unwrap(), 2);
    let o = operators::set_disabled(db, id, true).await.unwrap();
    assert!(o.disabled);
    assert_eq!(operators::count_active_admins(db).await.unwrap(), 1);
    let o = operators::set_disabled(db, id, false).await.unwrap();
    assert!(!o.disabled);
    let o = operators::set_role(db, id, Role::Manager).await.unwrap();
    assert_eq!(o.role, Role::Manager);
    assert_eq!(operators::count_active_admins(db).await.unwrap(), 1);
    assert!(matches!(
        operators::set_role(db, "nope", Role::Admin).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(operators::count(db).await.unwrap(), 2);
}

async fn event_log(db: &Db) {
    given_master_and_demo(db).await;
    let demo = realms::get_by_name(db, "demo").await.unwrap();
    for (i, realm) in [
        (1, Some(demo.realm_id.as_str())),
        (2, None),
        (3, Some(demo.realm_id.as_str())),
    ] {
        events::record(
            db,
            &NewEvent {
                at: NOW + i,
                actor: "alice",
                realm_id: realm,
                client_row_id: if i == 3 { Some("row-1") } else { None },
                operation: "CREATE",
                resource_path: &format!("clients/{i}"),
                details: r#"{"clientId":"x"}"#,
                ip: if i == 1 { Some("127.0.0.1") } else { None },
            },
        )
        .await
        .unwrap();
    }
    let all = events::list(db, None, 0, 10).await.unwrap();
    let paths: Vec<&str> = all.iter().map(|e| e.resource_path.as_str()).collect();
    assert_eq!(paths, ["clients/3", "clients/2", "clients/1"]);
    assert!(all[0].event_id > all[1].event_id);
    assert_eq!(all[0].client_row_id.as_deref(), Some("row-1"));
    assert_eq!(all[2].ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(all[2].at, NOW + 1);
    assert_eq!(all[1].realm_id, None);
    // Filtered search (the Admin REST API's admin-events and the console's events page).
    let search = |f: events::EventFilter| async move {
        events::search(db, &f, 0, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.resource_path)
            .collect::<Vec<_>>()
    };
    let in_demo = events::EventFilter {
        realm_id: Some(demo.realm_id.clone()),
        ..Default::default()
    };
    assert_eq!(search(in_demo.clone()).await, ["clients/3", "clients/1"]);
    assert_eq!(
        search(events::EventFilter {
            from: Some(NOW + 2),
            to: Some(NOW + 3),
            ..in_demo.clone()
        })
        .await,
        ["clients/3"]
    );
    assert_eq!(
        search(events::EventFilter {
            resource_path: Some("clients/*".into()),
            operations: vec!["UPDATE".into(), "CREATE".into()],
            actor: Some("alice".into()),
            ..Default::default()
        })
        .await,
        ["clients/3", "clients/2", "clients/1"]
    );
    assert!(search(events::EventFilter {
        operations: vec!["DELETE".into()],
        ..Default::default()
    })
    .await
    .is_empty());
    // `_` and `%` are not wildcards: only `*` is.
    assert!(search(events::EventFilter {
        resource_path: Some("clients_1".into()),
        ..Default::default()
    })
    .await
    .is_empty());
    assert_eq!(
        search(events::EventFilter {
            client_row_id: Some("row-1".into()),
            ..Default::default()
        })
        .await,
        ["clients/3"]
    );
    // Keycloak's filters: the caller's address, resource types (the SQL rule agrees with
    // `resource_type` on every path recorded here), oldest first.
    assert_eq!(
        search(events::EventFilter {
            resource_types: vec!["CLIENT".into()],
            ascending: true,
            ..in_demo.clone()
        })
        .await,
        ["clients/1", "clients/3"]
    );
    assert!(search(events::EventFilter {
        resource_types: vec!["REALM".into(), "CUSTOM".into()],
        ..in_demo.clone()
    })
    .await
    .is_empty());
    assert_eq!(all[0].details, r#"{"clientId":"x"}"#);
    let realm_only = events::list(db, Some(&demo.realm_id), 0, 10).await.unwrap();
    let paths: Vec<&str> = realm_only
        .iter()
        .map(|e| e.resource_path.as_str())
        .collect();
    assert_eq!(paths, ["clients/3", "clients/1"]);
    let paged = events::list(db, None, 1, 1).await.unwrap();
    assert_eq!(paged.len(), 1);
    assert_eq!(paged[0].resource_path, "clients/2");
    for (path, kind) in [
        ("realms/demo", "REALM"),
        ("realm/token-policy", "REALM"),
        ("clients/1", "CLIENT"),
        ("clients/1/client-secret", "CLIENT"),
        ("clients/1/keys/k", "CLIENT"),
        (
            "clients/1/default-client-scopes/s",
            "CLIENT_SCOPE_CLIENT_MAPPING",
        ),
        ("client-scopes/s", "CLIENT_SCOPE"),
        ("operators/o", "CUSTOM"),
    ] {
        assert_eq!(events::resource_type(path), kind, "{path}");
        events::record(
            db,
            &NewEvent {
                at: NOW,
                actor: "typing",
                realm_id: None,
                client_row_id: None,
                operation: "UPDATE",
                resource_path: path,
                details: "{}",
                ip: None,
            },
        )
        .await
        .unwrap();
    }
    for kind in [
        "REALM",
        "CLIENT",
        "CLIENT_SCOPE_CLIENT_MAPPING",
        "CLIENT_SCOPE",
        "CUSTOM",
    ] {
        let found = search(events::EventFilter {
            actor: Some("typing".into()),
            resource_types: vec![kind.into()],
            ..Default::default()
        })
        .await;
        assert!(!found.is_empty(), "{kind}");
        for path in found {
            assert_eq!(events::resource_type(&path), kind, "{path}");
        }
    }
    assert_eq!(
        search(events::EventFilter {
            ip: Some("127.0.0.1".into()),
            ..Default::default()
        })
        .await,
        ["clients/1"]
    );
}

async fn session_round_trip(db: &Db) {
    let store = db.session_store().await.unwrap();
    let again = db.session_store().await.unwrap();
    let mut data = HashMap::new();
    data.insert("operator".to_owned(), serde_json::json!("alice"));
    let mut record = Record {
        id: Id::default(),
        data,
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    store.create(&mut record).await.unwrap();
    let loaded = again
        .load(&record.id)
        .await
        .unwrap()
        .expect("session saved");
    assert_eq!(loaded.data, record.data);
    assert_eq!(loaded.id, record.id);
    record
        .data
        .insert("csrf".to_owned(), serde_json::json!("token"));
    store.save(&record).await.unwrap();
    assert_eq!(store.load(&record.id).await.unwrap().unwrap().data.len(), 2);
    store.delete(&record.id).await.unwrap();
    assert!(store.load(&record.id).await.unwrap().is_none());
    // Expired sessions are not loaded and are purged.
    let mut old = Record {
        id: Id::default(),
        data: HashMap::new(),
        expiry_date: time::OffsetDateTime::now_utc() - time::Duration::hours(1),
    };
    store.create(&mut old).await.unwrap();
    assert!(store.load(&old.id).await.unwrap().is_none());
    store.delete_expired().await.unwrap();
}

fn secret<'a>(
    label: &'a str,
    verifier: &'a [u8],
    sealed: Option<(&'a [u8], &'a str)>,
) -> NewSecret<'a> {
    NewSecret {
        label,
        verifier,
        sealed,
        expires_at: None,
        created_by: "alice",
    }
}

async fn secret_rules(db: &Db) {
    let realm = realms::create(db, "secrets", "Secrets", NOW).await.unwrap();
    assert_eq!(realm.secret_overlap_default_s, 172_800, "2 days by default");
    assert_eq!(realm.secret_overlap_max_s, 2_592_000);
    assert!(!realm.allow_secret_reveal);
    let policy = realms::SecretPolicy {
        overlap_default_s: 3600,
        overlap_max_s: 7200,
        allow_reveal: true,
    };
    let updated = realms::update_secret_policy(db, "secrets", &policy)
        .await
        .unwrap();
    assert_eq!(
        (
            updated.secret_overlap_default_s,
            updated.secret_overlap_max_s,
            updated.allow_secret_reveal
        ),
        (3600, 7200, true)
    );
    assert!(matches!(
        realms::update_secret_policy(db, "nope", &policy).await,
        Err(StoreError::NotFound)
    ));

    let c = clients::create(db, &realm.realm_id, &new_client("svc"), NOW)
        .await
        .unwrap();
    // First secret: nothing to rotate.
    let first = secrets::rotate(
        db,
        &c.client_row_id,
        &secret("one", &[1; 32], None),
        NOW + 3600,
        NOW,
    )
    .await
    .unwrap();
    assert!(first.previous.is_empty());
    assert_eq!(first.created.label, "one");
    assert_eq!(first.created.verifier, vec![1; 32]);
    assert_eq!(first.created.sealed, None);
    assert_eq!(first.created.expires_at, None);
    // Rotation with a 1 h overlap: the first secret expires in 1 h, the new one is primary.
    let second = secrets::rotate(
        db,
        &c.client_row_id,
        &secret("two", &[2; 32], Some((&[9, 9, 9], "mk-a"))),
        NOW + 10 + 3600,
        NOW + 10,
    )
    .await
    .unwrap();
    assert_eq!(second.previous, vec![first.created.secret_id.clone()]);
    assert_eq!(
        second.created.sealed,
        Some((vec![9, 9, 9], "mk-a".to_string()))
    );
    let listed = secrets::list(db, &c.client_row_id).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(
        listed[0].secret_id, second.created.secret_id,
        "newest first"
    );
    assert_eq!(listed[1].expires_at, Some(NOW + 10 + 3600));
    assert_eq!(listed[1].revoked_at, None);
    // A later rotation never extends an earlier expiry.
    let third = secrets::rotate(
        db,
        &c.client_row_id,
        &secret("three", &[3; 32], None),
        NOW + 20 + 86_400,
        NOW + 20,
    )
    .await
    .unwrap();
    assert_eq!(third.previous.len(), 2);
    let one = secrets::get(db, &c.client_row_id, &first.created.secret_id)
        .await
        .unwrap();
    assert_eq!(
        one.expires_at,
        Some(NOW + 10 + 3600),
        "kept the earlier expiry"
    );
    let two = secrets::get(db, &c.client_row_id, &second.created.secret_id)
        .await
        .unwrap();
    assert_eq!(two.expires_at, Some(NOW + 20 + 86_400));
    // Overlap 0 revokes every valid secret at once; expired ones stay as they were.
    let later = NOW + 20 + 3600 + 100; // "one" has expired by now
    let fourth = secrets::rotate(
        db,
        &c.client_row_id,
        &secret("four", &[4; 32], None),
        later,
        later,
    )
    .await
    .unwrap();
    let mut prev = fourth.previous.clone();
    prev.sort();
    let mut expect = vec![
        second.created.secret_id.clone(),
        third.created.secret_id.clone(),
    ];
    expect.sort();
    assert_eq!(prev, expect);
    let all = secrets::list(db, &c.client_row_id).await.unwrap();
    let by_label: HashMap<&str, &secrets::ClientSecret> =
        all.iter().map(|s| (s.label.as_str(), s)).collect();
    assert_eq!(
        by_label["one"].revoked_at, None,
        "already expired: not revoked"
    );
    assert_eq!(by_label["two"].revoked_at, Some(later));
    assert_eq!(by_label["three"].revoked_at, Some(later));
    assert_eq!(by_label["four"].revoked_at, None);
    // Revoke: idempotent, keeps the first time; unknown ids and other clients' ids are NotFound.
    let r = secrets::revoke(db, &c.client_row_id, &fourth.created.secret_id, later + 5)
        .await
        .unwrap();
    assert_eq!(r.revoked_at, Some(later + 5));
    let r = secrets::revoke(db, &c.client_row_id, &fourth.created.secret_id, later + 9)
        .await
        .unwrap();
    assert_eq!(r.revoked_at, Some(later + 5));
    let other = clients::create(db, &realm.realm_id, &new_client("other"), NOW)
        .await
        .unwrap();
    assert!(matches!(
        secrets::revoke(db, &other.client_row_id, &fourth.created.secret_id, later).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        secrets::get(db, &c.client_row_id, "missing").await,
        Err(StoreError::NotFound)
    ));
    // Two rotations at the same moment: both new secrets exist afterwards.
    let (sa, sb) = (secret("a", &[5; 32], None), secret("b", &[6; 32], None));
    let (a, b) = tokio::join!(
        secrets::rotate(db, &other.client_row_id, &sa, later + 60, later),
        secrets::rotate(db, &other.client_row_id, &sb, later + 60, later),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let both = secrets::list(db, &other.client_row_id).await.unwrap();
    assert_eq!(both.len(), 2);
    assert!(both.iter().any(|s| s.secret_id == a.created.secret_id));
    assert!(both.iter().any(|s| s.secret_id == b.created.secret_id));
    assert!(both.iter().all(|s| s.revoked_at.is_none()));
    assert_eq!(
        both.iter()
            .filter(|s| s.expires_at == Some(later + 60))
            .count(),
        1,
        "the rotations ran one after the other: exactly one primary remains"
    );

    // Server secrets: the first insert wins, a second "make" is never used.
    let p = secrets::server_secret_get_or_insert(
        db,
        "pepper-test",
        || ServerSecret {
            sealed_value: vec![1, 2, 3],
            master_key_id: "mk-a".into(),
        },
        NOW,
    )
    .await
    .unwrap();
    let again = secrets::server_secret_get_or_insert(
        db,
        "pepper-test",
        || ServerSecret {
            sealed_value: vec![7],
            master_key_id: "mk-z".into(),
        },
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(p, again);
    let mut ids = secrets::sealing_key_ids(db).await.unwrap();
    ids.sort();
    assert!(ids.contains(&"mk-a".to_string()), "{ids:?}");

    // Re-sealing walks everything not under the new key and compares-and-sets.
    let todo = secrets::sealed_not_under(db, "mk-b", true, "", 100)
        .await
        .unwrap();
    assert!(todo
        .iter()
        .any(|i| i.kind == SealedKind::Server && i.id == "pepper-test"));
    assert!(todo
        .iter()
        .any(|i| i.kind == SealedKind::ClientSecret && i.id == second.created.secret_id));
    assert!(todo.iter().all(|i| i.master_key_id != "mk-b"));
    let limited = secrets::sealed_not_under(db, "mk-b", true, "", 1)
        .await
        .unwrap();
    assert_eq!(limited.len(), 1);
    // Keyset pages: client secrets after a given id, without the server secrets.
    let clients_only = secrets::sealed_not_under(db, "mk-b", false, "", 100)
        .await
        .unwrap();
    assert!(clients_only
        .iter()
        .all(|i| i.kind == SealedKind::ClientSecret));
    assert!(!clients_only.is_empty());
    let last = clients_only.last().unwrap().id.clone();
    assert!(secrets::sealed_not_under(db, "mk-b", false, &last, 100)
        .await
        .unwrap()
        .is_empty());
    let mut stale = todo[0].clone();
    stale.sealed_value = vec![0xde, 0xad];
    let replaced = secrets::reseal(db, &[(stale, vec![4, 4])], "mk-b")
        .await
        .unwrap();
    assert_eq!(replaced, 0, "a changed value is not overwritten");
    let new: Vec<_> = todo.iter().map(|i| (i.clone(), vec![8, 8])).collect();
    let replaced = secrets::reseal(db, &new, "mk-b").await.unwrap();
    assert_eq!(replaced as usize, todo.len());
    assert!(secrets::sealed_not_under(db, "mk-b", true, "", 100)
        .await
        .unwrap()
        .is_empty());
    let two = secrets::get(db, &c.client_row_id, &second.created.secret_id)
        .await
        .unwrap();
    assert_eq!(two.sealed, Some((vec![8, 8], "mk-b".to_string())));
    // Several clients in one query: each one's secrets in `list`'s order (newest first).
    let ids = [c.client_row_id.clone(), "no-such-client".to_string()];
    let many = secrets::list_for_clients(db, &ids).await.unwrap();
    assert_eq!(many.len(), 1);
    let listed = secrets::list(db, &c.client_row_id).await.unwrap();
    assert!(listed.len() >= 2, "the client has several secrets");
    assert!(many[&c.client_row_id] == listed, "same secrets, same order");
    // Deleting the client deletes its secrets.
    clients::delete(db, &realm.realm_id, &c.client_row_id)
        .await
        .unwrap();
    assert!(secrets::list(db, &c.client_row_id)
        .await
        .unwrap()
        .is_empty());
    realms::delete(db, "secrets").await.unwrap();
}

async fn authentication_rules(db: &Db) {
    given_master_and_demo(db).await;
    let demo = realms::get_by_name(db, "demo").await.unwrap();
    let c = clients::create(db, &demo.realm_id, &new_client("auth-method"), NOW)
        .await
        .unwrap();
    assert_eq!(c.authenticator, "client-secret");
    assert_eq!(c.signing_alg, None);
    assert_eq!(c.assertion_max_exp_s, 60);
    let upd = clients::AuthenticationUpdate {
        authenticator: "client-secret-jwt",
        signing_alg: Some("HS512"),
        assertion_max_exp_s: 30,
        auth_attributes: &Default::default(),
        tls_bound_tokens: true,
    };
    let changed = clients::set_authentication(
        db,
        &demo.realm_id,
        &c.client_row_id,
        c.version,
        &upd,
        NOW + 1,
    )
    .await
    .unwrap();
    assert_eq!(changed.authenticator, "client-secret-jwt");
    assert_eq!(changed.signing_alg.as_deref(), Some("HS512"));
    assert_eq!(changed.assertion_max_exp_s, 30);
    assert!(changed.tls_bound_tokens);
    assert_eq!(changed.version, c.version + 1);
    // A method's declared settings (X.509's subject DN, its comparison and the SAN) are stored
    // as given and read back, whole.
    let attributes: std::collections::BTreeMap<String, String> = [
        ("x509.subjectdn", "CN=billing,O=Acme"),
        ("x509.allow.regex.pattern.comparison", "true"),
        ("x509.san", "dns:billing.acme.test"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let x509 = clients::AuthenticationUpdate {
        authenticator: "client-x509",
        signing_alg: None,
        assertion_max_exp_s: 60,
        auth_attributes: &attributes,
        tls_bound_tokens: false,
    };
    let changed = clients::set_authentication(
        db,
        &demo.realm_id,
        &c.client_row_id,
        changed.version,
        &x509,
        NOW + 1,
    )
    .await
    .unwrap();
    assert_eq!(changed.auth_attributes, attributes);
    assert!(!changed.tls_bound_tokens);
    let again = clients::get(db, &demo.realm_id, &c.client_row_id)
        .await
        .unwrap();
    assert_eq!(again, changed);
    assert!(matches!(
        clients::set_authentication(
            db,
            &demo.realm_id,
            &c.client_row_id,
            c.version,
            &upd,
            NOW + 2
        )
        .await,
        Err(StoreError::Stale)
    ));
    assert!(matches!(
        clients::set_authentication(db, &demo.realm_id, "missing", 1, &upd, NOW + 2).await,
        Err(StoreError::NotFound)
    ));
    clients::delete(db, &demo.realm_id, &c.client_row_id)
        .await
        .unwrap();
}

fn key<'a>(
    kid: Option<&'a str>,
    alg: Option<&'a str>,
    spki: &'a [u8],
    thumb: &'a str,
) -> NewKey<'a> {
    NewKey {
        kid,
        kty: "EC",
        alg,
        spki_der: spki,
        certificate_der: None,
        thumbprint_s256: thumb,
        source: "jwk",
        not_before: None,
        not_after: None,
    }
}

async fn key_rules(db: &Db) {
    given_master_and_demo(db).await;
    let demo = realms::get_by_name(db, "demo").await.unwrap();
    let c = clients::create(db, &demo.realm_id, &new_client("keys-owner"), NOW)
        .await
        .unwrap();
    let id = &c.client_row_id;
    assert!(keys::list(db, id).await.unwrap().is_empty());

    let added = keys::insert_many(
        db,
        id,
        &[
            key(Some("k1"), Some("ES256"), b"spki-1", "t1"),
            key(None, None, b"spki-2", "t2"),
        ],
        "alice",
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(added.len(), 2);
    assert!(added.iter().all(|k| k.active && k.created_by == "alice"));
    assert_eq!(added[0].kid.as_deref(), Some("k1"));
    assert_eq!(added[0].spki_der, b"spki-1");
    assert_eq!(added[1].kid, None);

    // The same key again (same thumbprint and alg): a conflict, and nothing of the batch stays.
    let err = keys::insert_many(
        db,
        id,
        &[
            key(Some("k3"), None, b"spki-3", "t3"),
            key(Some("k9"), Some("ES256"), b"spki-1", "t1"),
        ],
        "alice",
        NOW + 1,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(m) if m.contains("already registered")),
        "{err:?}"
    );
    // A second key under a kid already taken for that alg: a conflict.
    let err = keys::insert_many(
        db,
        id,
        &[key(Some("k1"), Some("ES256"), b"x", "t4")],
        "a",
        NOW,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(m) if m.contains("kid")),
        "{err:?}"
    );
    // The same kid with another alg is allowed (lookup is by kid and alg).
    keys::insert_many(
        db,
        id,
        &[key(Some("k1"), Some("ES384"), b"y", "t5")],
        "a",
        NOW + 2,
    )
    .await
    .unwrap();
    let all = keys::list(db, id).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].thumbprint_s256, "t5", "newest first");

    let off = keys::set_active(db, id, &added[0].key_id, false)
        .await
        .unwrap();
    assert!(!off.active);
    assert!(!keys::get(db, id, &added[0].key_id).await.unwrap().active);
    let on = keys::set_active(db, id, &added[0].key_id, true)
        .await
        .unwrap();
    assert!(on.active);

    // Another client's key ids are not reachable through this client.
    let other = clients::create(db, &demo.realm_id, &new_client("keys-other"), NOW)
        .await
        .unwrap();
    assert!(matches!(
        keys::get(db, &other.client_row_id, &added[0].key_id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        keys::delete(db, &other.client_row_id, &added[0].key_id).await,
        Err(StoreError::NotFound)
    ));
    let gone = keys::delete(db, id, &added[0].key_id).await.unwrap();
    assert_eq!(gone.kid.as_deref(), Some("k1"));
    assert_eq!(keys::list(db, id).await.unwrap().len(), 2);

    // Several clients in one query: each one's keys as `list` gives them, in its order; a
    // client without keys is absent, and no ids ask nothing.
    let keyless = clients::create(db, &demo.realm_id, &new_client("keys-none"), NOW)
        .await
        .unwrap();
    keys::insert_many(
        db,
        &other.client_row_id,
        &[key(Some("o1"), None, b"spki-o", "to")],
        "bob",
        NOW,
    )
    .await
    .unwrap();
    let ids = [
        id.clone(),
        other.client_row_id.clone(),
        keyless.client_row_id.clone(),
    ];
    let many = keys::list_for_clients(db, &ids).await.unwrap();
    assert_eq!(many.len(), 2);
    assert_eq!(many[id], keys::list(db, id).await.unwrap());
    assert_eq!(
        many[&other.client_row_id],
        keys::list(db, &other.client_row_id).await.unwrap()
    );
    assert!(keys::list_for_clients(db, &[]).await.unwrap().is_empty());
    clients::delete(db, &demo.realm_id, &keyless.client_row_id)
        .await
        .unwrap();

    // Deleting the client deletes its keys.
    clients::delete(db, &demo.realm_id, id).await.unwrap();
    assert!(keys::list(db, id).await.unwrap().is_empty());
}

async fn jwks_rules(db: &Db) {
    given_master_and_demo(db).await;
    let demo = realms::get_by_name(db, "demo").await.unwrap();
    let c = clients::create(db, &demo.realm_id, &new_client("jwks-owner"), NOW)
        .await
        .unwrap();
    let id = &c.client_row_id;
    assert_eq!(keys::jwks(db, id).await.unwrap(), None);
    let url = "https://keys.example.com/jwks";
    let set = keys::set_jwks_url(db, id, true, url, "alice", NOW)
        .await
        .unwrap();
    assert!(set.use_jwks_url);
    assert_eq!(set.body, None);

    // The first claim wins; a second one within the interval is refused.
    assert!(keys::claim_refetch(db, id, url, 10, NOW).await.unwrap());
    assert!(!keys::claim_refetch(db, id, url, 10, NOW + 9).await.unwrap());
    assert!(keys::claim_refetch(db, id, url, 10, NOW + 10)
        .await
        .unwrap());

    let good = FetchRecord {
        jwks_url: url,
        attempt_at: NOW + 10,
        status: Some(200),
        good: Some((b"{\"keys\":[]}", 2, NOW + 310)),
        error: None,
    };
    assert!(keys::record_fetch(db, id, &good).await.unwrap());
    // A failed fetch keeps the last good set.
    let bad = FetchRecord {
        jwks_url: url,
        attempt_at: NOW + 20,
        status: Some(500),
        good: None,
        error: Some("HTTP 500"),
    };
    assert!(keys::record_fetch(db, id, &bad).await.unwrap());
    let j = keys::jwks(db, id).await.unwrap().unwrap();
    assert_eq!(j.body.as_deref(), Some(&b"{\"keys\":[]}"[..]));
    assert_eq!(j.fetched_at, Some(NOW + 10));
    assert_eq!(j.key_count, Some(2));
    assert_eq!(j.last_attempt_at, Some(NOW + 20));
    assert_eq!(j.last_status, Some(500));
    assert_eq!(j.last_error.as_deref(), Some("HTTP 500"));

    // Switching off with the same URL keeps the cache; a new URL forgets it, and a record for the
    // old URL is dropped.
    let off = keys::set_jwks_url(db, id, false, url, "bob", NOW + 30)
        .await
        .unwrap();
    assert!(!off.use_jwks_url);
    assert!(off.body.is_some());
    assert_eq!(off.updated_by, "bob");
    let moved = keys::set_jwks_url(db, id, true, "https://other.example.com/k", "bob", NOW + 40)
        .await
        .unwrap();
    assert_eq!(moved.body, None);
    assert_eq!(moved.last_error, None);
    assert_eq!(moved.last_attempt_at, None);
    assert!(!keys::record_fetch(db, id, &good).await.unwrap());
    assert_eq!(keys::jwks(db, id).await.unwrap().unwrap().body, None);
    // Several clients in one query; a client without JWKS settings is absent.
    let many = keys::jwks_for_clients(db, &[id.clone(), "no-such-client".into()])
        .await
        .unwrap();
    assert_eq!(many.len(), 1);
    assert_eq!(Some(&many[id]), keys::jwks(db, id).await.unwrap().as_ref());
}

async fn token_endpoint_rules(db: &Db, url: &str) {
    use keyward_store::realm_keys::{self, NewRealmKey};
    use keyward_store::{auth_events, jti};
    given_master_and_demo(db).await;
    let demo = realms::get_by_name(db, "demo").await.unwrap();
    assert_eq!(demo.token_signing_alg, "ES256");
    assert_eq!(demo.access_token_lifetime_s, 300);
    assert!(!demo.strict_audience);
    let changed = realms::update_token_policy(
        db,
        "demo",
        &realms::TokenPolicy {
            strict_audience: true,
            access_token_lifetime_s: 120,
            token_signing_alg: "RS256",
        },
    )
    .await
    .unwrap();
    assert!(changed.strict_audience);
    assert_eq!(changed.access_token_lifetime_s, 120);
    assert_eq!(changed.token_signing_alg, "RS256");

    // Realm keys: the newest is active, the previous one passive until retired.
    assert_eq!(realm_keys::active(db, &demo.realm_id).await.unwrap(), None);
    let new = |kid: &'static str| NewRealmKey {
        kid,
        alg: "ES256",
        sealed_private_key: b"sealed",
        master_key_id: "mk-test",
        public_jwk: "{}",
    };
    let k1 = realm_keys::rotate_in(db, &demo.realm_id, &new("kid-1"), NOW)
        .await
        .unwrap();
    assert_eq!(k1.status, "active");
    let k2 = realm_keys::rotate_in(db, &demo.realm_id, &new("kid-2"), NOW + 1)
        .await
        .unwrap();
    let active = realm_keys::active(db, &demo.realm_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(active.kid, "kid-2");
    let all = realm_keys::list(db, &demo.realm_id).await.unwrap();
    assert_eq!(
        all.iter()
            .map(|k| (k.kid.as_str(), k.status.as_str()))
            .collect::<Vec<_>>(),
        [("kid-2", "active"), ("kid-1", "passive")]
    );
    // The active key cannot be retired; the passive one can.
    assert!(matches!(
        realm_keys::retire(db, &demo.realm_id, &k2.realm_key_id, NOW + 2).await,
        Err(StoreError::NotFound)
    ));
    let retired = realm_keys::retire(db, &demo.realm_id, &k1.realm_key_id, NOW + 2)
        .await
        .unwrap();
    assert_eq!(retired.status, "retired");
    assert_eq!(retired.retired_at, Some(NOW + 2));
    // Realm keys are part of the master-key bookkeeping and of the re-sealing walk.
    assert!(secrets::sealing_key_ids(db)
        .await
        .unwrap()
        .contains(&"mk-test".to_string()));
    let walk = secrets::sealed_not_under(db, "mk-other", true, "", 1000)
        .await
        .unwrap();
    assert_eq!(
        walk.iter()
            .filter(|i| i.kind == SealedKind::RealmKey)
            .count(),
        2
    );

    // jti: accepted once, across connections (replicas), and again only after it expired.
    let c = clients::create(db, &demo.realm_id, &new_client("jti-client"), NOW)
        .await
        .unwrap();
    let id = &c.client_row_id;
    assert!(
        jti::accept_once(db, &demo.realm_id, id, "j1", NOW + 60, NOW)
            .await
            .unwrap()
    );
    assert!(
        !jti::accept_once(db, &demo.realm_id, id, "j1", NOW + 70, NOW + 5)
            .await
            .unwrap()
    );
    let replica = Db::connect(url).await.unwrap();
    assert!(
        !jti::accept_once(&replica, &demo.realm_id, id, "j1", NOW + 70, NOW + 5)
            .await
            .unwrap()
    );
    assert!(
        jti::accept_once(&replica, &demo.realm_id, id, "j2", NOW + 60, NOW)
            .await
            .unwrap()
    );
    // Another client may use the same jti.
    assert!(
        jti::accept_once(db, &demo.realm_id, "other-client", "j1", NOW + 60, NOW)
            .await
            .unwrap()
    );
    // Many concurrent attempts at one jti from two pools: exactly one wins.
    let mut tasks = Vec::new();
    for i in 0..16 {
        let d = if i % 2 == 0 {
            db.clone()
        } else {
            replica.clone()
        };
        let (realm_id, id) = (demo.realm_id.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            jti::accept_once(&d, &realm_id, &id, "race", NOW + 60, NOW)
                .await
                .unwrap()
        }));
    }
    let mut wins = 0;
    for t in tasks {
        wins += usize::from(t.await.unwrap());
    }
    assert_eq!(wins, 1);
    // A burst written in batches: 600 attempts at 200 distinct ids (each id three times, some
    // within one batch, some across batches and pools): exactly 200 accepted, one per id.
    let mut tasks = Vec::new();
    for i in 0..600 {
        let d = if i % 3 == 0 {
            replica.clone()
        } else {
            db.clone()
        };
        let (realm_id, id) = (demo.realm_id.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            let jti = format!("burst-{}", i % 200);
            let fresh = jti::accept_once(&d, &realm_id, &id, &jti, NOW + 60, NOW)
                .await
                .unwrap();
            (jti, fresh)
        }));
    }
    let mut accepted = HashMap::<String, usize>::new();
    for t in tasks {
        let (jti, fresh) = t.await.unwrap();
        *accepted.entry(jti).or_default() += usize::from(fresh);
    }
    assert_eq!(accepted.len(), 200);
    assert!(accepted.values().all(|n| *n == 1), "{accepted:?}");
    replica.close().await;
    jti::flush(db).await.unwrap();
    // After expiry the id may be accepted again (the row is taken over), and purging removes
    // expired rows only.
    assert!(
        jti::accept_once(db, &demo.realm_id, id, "j1", NOW + 200, NOW + 60)
            .await
            .unwrap()
    );
    let purged = jti::purge_expired(db, NOW + 100, 1000).await.unwrap();
    assert!(purged >= 3, "{purged}");
    assert!(
        !jti::accept_once(db, &demo.realm_id, id, "j1", NOW + 200, NOW + 100)
            .await
            .unwrap()
    );

    // Authentication events: newest first, per client.
    for (i, ok) in [true, false, true].iter().enumerate() {
        auth_events::record(
            db,
            &auth_events::NewAuthEvent {
                realm_id: &demo.realm_id,
                client_row_id: Some(id),
                client_id: "jti-client",
                at: NOW + i as i64,
                method: "private_key_jwt",
                success: *ok,
                reason: (!ok).then_some("the client assertion has expired"),
                ip: Some("127.0.0.1"),
            },
        )
        .await
        .unwrap();
    }
    let recent = auth_events::recent(db, id, 2).await.unwrap();
    assert_eq!(recent.len(), 2);
    assert!(recent[0].success);
    assert!(!recent[1].success);
    assert_eq!(
        recent[1].reason.as_deref(),
        Some("the client assertion has expired")
    );
    assert_eq!(auth_events::purge_before(db, NOW + 1).await.unwrap(), 1);
    assert_eq!(auth_events::recent(db, id, 10).await.unwrap().len(), 2);
}

/// Issue 22: the lifecycle policy, leak marks, last use (at most once per interval), the
/// verifier lookup, and unused credentials.
async fn secret_lifecycle_rules(db: &Db) {
    let realm = realms::create(db, "life", "Life", NOW).await.unwrap();
    assert_eq!(realm.lifecycle, realms::LifecyclePolicy::default());
    let policy = realms::LifecyclePolicy {
        secret_prefix_segment: Some("acme".into()),
        secret_max_lifetime_s: Some(90 * 86_400),
        secret_must_expire: true,
        keystore_max_validity_years: Some(2),
        leak_action: realms::LeakAction::Grace,
        leak_grace_s: 3600,
    };
    let updated = realms::update_lifecycle_policy(db, "life", &policy)
        .await
        .unwrap();
    assert_eq!(updated.lifecycle, policy);
    assert_eq!(
        realms::get_by_id(db, &realm.realm_id)
            .await
            .unwrap()
            .lifecycle,
        policy
    );
    let c = clients::create(db, &realm.realm_id, &new_client("leaky"), NOW)
        .await
        .unwrap();
    let s = secrets::rotate(
        db,
        &c.client_row_id,
        &NewSecret {
            label: "one",
            verifier: &[7; 32],
            sealed: None,
            expires_at: None,
            created_by: "t",
        },
        NOW,
        NOW,
    )
    .await
    .unwrap()
    .created;
    // Found by its verifier, with its client.
    let found = secrets::by_verifier(db, &[7; 32]).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].client_id, "leaky");
    assert_eq!(found[0].realm_id, realm.realm_id);
    assert!(secrets::by_verifier(db, &[8; 32]).await.unwrap().is_empty());
    // Last use: once per interval.
    assert!(
        secrets::record_use(db, &s.secret_id, NOW + 10, Some("10.0.0.1"), 60)
            .await
            .unwrap()
    );
    assert!(
        !secrets::record_use(db, &s.secret_id, NOW + 30, Some("10.0.0.2"), 60)
            .await
            .unwrap()
    );
    assert!(secrets::record_use(db, &s.secret_id, NOW + 70, None, 60)
        .await
        .unwrap());
    let got = secrets::get(db, &c.client_row_id, &s.secret_id)
        .await
        .unwrap();
    assert_eq!(got.last_used, Some((NOW + 70, None)));
    // Unused for a day: nothing (it was used); a day later, listed.
    assert!(expiry::unused(db, "life", NOW + 60, NOW + 60, 10)
        .await
        .unwrap()
        .is_empty());
    let unused = expiry::unused(db, "life", NOW + 86_400, NOW + 86_400, 10)
        .await
        .unwrap();
    assert_eq!(unused.len(), 1);
    assert_eq!(unused[0].last_used_at, Some(NOW + 70));
    // Leaked with a grace period: expires then, never later than it already would.
    let marked = secrets::mark_leaked(db, &s.secret_id, "https://x/1", NOW + 100, Some(NOW + 3700))
        .await
        .unwrap();
    assert_eq!(marked.leaked, Some((NOW + 100, "https://x/1".to_string())));
    assert_eq!(marked.expires_at, Some(NOW + 3700));
    assert_eq!(marked.revoked_at, None);
    let again = secrets::mark_leaked(db, &s.secret_id, "https://x/2", NOW + 200, Some(NOW + 9000))
        .await
        .unwrap();
    assert_eq!(again.expires_at, Some(NOW + 3700), "never later");
    assert_eq!(
        again.leaked.map(|l| l.0),
        Some(NOW + 100),
        "first report's time kept"
    );
    // Revoked at once.
    let revoked = secrets::mark_leaked(db, &s.secret_id, "https://x/3", NOW + 300, None)
        .await
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(NOW + 300));
}

/// Issue 22 §5: webhooks, the delivery queue (order per subject, claims, bound, attempts) and
/// notices made once.
async fn webhook_rules(db: &Db) {
    use keyward_store::webhooks;
    let realm = realms::create(db, "hooks", "Hooks", NOW).await.unwrap();
    let w = webhooks::create(
        db,
        &webhooks::NewWebhook {
            realm_id: &realm.realm_id,
            url: "https://example.org/hook",
            events: &["credential.revoked", "credential.rotated"],
            sealed_secret: (&[1, 2, 3], "mk"),
            created_by: "t",
        },
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(w.events, ["credential.revoked", "credential.rotated"]);
    assert_eq!(webhooks::list(db, &realm.realm_id).await.unwrap().len(), 1);
    let a1 = webhooks::enqueue(db, &w, "credential.rotated", "client:a", "{1}", NOW)
        .await
        .unwrap();
    let a2 = webhooks::enqueue(db, &w, "credential.revoked", "client:a", "{2}", NOW)
        .await
        .unwrap();
    let b1 = webhooks::enqueue(db, &w, "credential.revoked", "client:b", "{3}", NOW)
        .await
        .unwrap();
    assert_eq!((a1.seq, a2.seq, b1.seq), (1, 2, 1));
    // Only the first of each subject is due.
    let mut due: Vec<String> = webhooks::due(db, NOW, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.payload)
        .collect();
    due.sort();
    assert_eq!(due, ["{1}", "{3}"]);
    // A claim is taken once.
    assert!(webhooks::claim(db, &a1, NOW + 60).await.unwrap());
    assert!(!webhooks::claim(db, &a1, NOW + 60).await.unwrap());
    webhooks::record_attempt(
        db,
        &a1.delivery_id,
        NOW,
        Some(500),
        Some("HTTP 500"),
        false,
        Some(NOW + 10),
    )
    .await
    .unwrap();
    assert_eq!(
        webhooks::due(db, NOW + 5, 10).await.unwrap().len(),
        1,
        "a1 waits, a2 behind it; b1 due"
    );
    webhooks::record_attempt(db, &a1.delivery_id, NOW + 10, Some(204), None, true, None)
        .await
        .unwrap();
    let mut due: Vec<String> = webhooks::due(db, NOW + 10, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.payload)
        .collect();
    due.sort();
    assert_eq!(due, ["{2}", "{3}"], "order across subjects is not promised");
    webhooks::record_attempt(
        db,
        &b1.delivery_id,
        NOW + 10,
        None,
        Some("no answer"),
        false,
        None,
    )
    .await
    .unwrap();
    let listed = webhooks::list_deliveries(db, &realm.realm_id, 10)
        .await
        .unwrap();
    let by_payload = |p: &str| listed.iter().find(|d| d.payload == p).unwrap().clone();
    assert_eq!(by_payload("{1}").status, "delivered");
    assert_eq!(by_payload("{1}").attempts, 2);
    assert_eq!(by_payload("{1}").delivered_at, Some(NOW + 10));
    assert_eq!(by_payload("{3}").status, "failed");
    // Notices: once.
    assert!(webhooks::notice_once(db, "secret:s", "expiring", 7, NOW)
        .await
        .unwrap());
    assert!(!webhooks::notice_once(db, "secret:s", "expiring", 7, NOW)
        .await
        .unwrap());
    assert!(webhooks::notice_once(db, "secret:s", "expiring", 1, NOW)
        .await
        .unwrap());
    // Finished deliveries are purged; pending ones stay.
    assert_eq!(webhooks::purge_finished(db, NOW + 1).await.unwrap(), 2);
    assert_eq!(
        webhooks::list_deliveries(db, &realm.realm_id, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    webhooks::delete(db, &realm.realm_id, &w.webhook_id)
        .await
        .unwrap();
    assert!(webhooks::list_deliveries(db, &realm.realm_id, 10)
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        webhooks::delete(db, &realm.realm_id, &w.webhook_id).await,
        Err(StoreError::NotFound)
    ));
}
