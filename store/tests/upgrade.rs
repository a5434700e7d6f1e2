//! Upgrading a database keeps what it holds: migration 0014 moves an X.509 client's settings
//! (0011's columns) into the declared-settings object `auth_attributes`, on SQLite and
//! PostgreSQL, and leaves every other client with none.

use std::collections::BTreeMap;

use keyward_store::{clients, Db};

/// Applies the migrations up to and including `last` only.
async fn migrate_to(url: &str, backend: &str, last: i64) {
    sqlx::any::install_default_drivers();
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../migrations/{backend}"));
    let mut m = sqlx::migrate::Migrator::new(dir).await.unwrap();
    m.migrations = m
        .migrations
        .iter()
        .filter(|x| x.version <= last)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    m.run(&pool).await.unwrap();
    for sql in [
        "INSERT INTO realm (realm_id, name, display_name, created_at) VALUES ('r1', 'up', 'Up', 1)",
        "INSERT INTO client (client_row_id, realm_id, client_id, search_text, created_at, updated_at, \
         authenticator, x509_subject_dn, x509_regex, x509_san) VALUES ('gw', 'r1', 'gw', 'gw', 1, 1, \
         'client-x509', 'CN=gw,O=Acme', 1, 'dns:gw.acme.test')",
        "INSERT INTO client (client_row_id, realm_id, client_id, search_text, created_at, updated_at, \
         authenticator, x509_subject_dn) VALUES ('plain-dn', 'r1', 'plain-dn', 'plain-dn', 1, 1, \
         'client-x509', 'CN=plain')",
        "INSERT INTO client (client_row_id, realm_id, client_id, search_text, created_at, updated_at) \
         VALUES ('other', 'r1', 'other', 'other', 1, 1)",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
}

async fn check(db: &Db) {
    let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let gw = clients::get(db, "r1", "gw").await.unwrap();
    assert_eq!(
        gw.auth_attributes,
        map(&[
            ("x509.subjectdn", "CN=gw,O=Acme"),
            ("x509.allow.regex.pattern.comparison", "true"),
            ("x509.san", "dns:gw.acme.test"),
        ])
    );
    let plain = clients::get(db, "r1", "plain-dn").await.unwrap();
    assert_eq!(
        plain.auth_attributes,
        map(&[("x509.subjectdn", "CN=plain")]),
        "a Boolean setting is kept only when true"
    );
    let other = clients::get(db, "r1", "other").await.unwrap();
    assert!(other.auth_attributes.is_empty());
    assert_eq!(other.authenticator, "client-secret");
}

#[tokio::test(flavor = "multi_thread")]
async fn x509_settings_move_into_auth_attributes_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    migrate_to(&url, "sqlite", 13).await;
    let db = Db::connect(&format!("sqlite://{}", dir.path().join("old.db").display()))
        .await
        .unwrap();
    check(&db).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn x509_settings_move_into_auth_attributes_postgres() {
    let pg = keyward_store::testing::PgCluster::start()
        .expect("PostgreSQL 15 is required for this test");
    migrate_to(&pg.url(), "postgres", 13).await;
    let db = Db::connect(&pg.url()).await.unwrap();
    check(&db).await;
}
