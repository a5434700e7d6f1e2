//! The `client` table: OAuth clients of a realm, their paged/searchable list and optimistic
//! concurrency (`version`).

use std::collections::BTreeMap;

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::FirstRow;
use crate::{Db, Result, StoreError};

/// An OAuth client of a realm.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Client {
    /// Internal id (UUID v4), Keycloak's `id`.
    pub client_row_id: String,
    /// The realm the client belongs to.
    pub realm_id: String,
    /// The OAuth `client_id`, unique per realm.
    pub client_id: String,
    /// Display name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Disabled clients cannot obtain tokens.
    pub enabled: bool,
    /// Public clients have no credentials.
    pub public_client: bool,
    /// Id of the client authentication method (`client-secret`, `client-jwt`, `client-secret-jwt`).
    pub authenticator: String,
    /// JWS alg pinned for client assertions; `None` = any the method allows.
    pub signing_alg: Option<String>,
    /// Longest accepted client-assertion lifetime, in seconds.
    pub assertion_max_exp_s: i64,
    /// Optimistic-concurrency counter: 1 on creation, +1 per update.
    pub version: i64,
    /// Epoch seconds.
    pub created_at: i64,
    /// Epoch seconds.
    pub updated_at: i64,
    /// Admin REST API role of a master-realm client (`view`, `manage`, `admin`); `None`: none.
    pub api_role: Option<String>,
    /// Access tokens carry header `typ: at+jwt` (RFC 9068) instead of `JWT` (Keycloak's
    /// `access.token.header.type.rfc9068`).
    pub rfc9068_header: bool,
    /// The client's values of the authentication methods' declared settings (Keycloak
    /// attribute names, e.g. `x509.subjectdn`), validated by the caller (migration 0014).
    pub auth_attributes: BTreeMap<String, String>,
    /// Access tokens are bound to the client's certificate (`cnf`, RFC 8705 §3; Keycloak's
    /// `tls.client.certificate.bound.access.tokens`).
    pub tls_bound_tokens: bool,
}

/// Fields of a new client.
#[derive(Clone, Copy, Debug)]
pub struct NewClient<'a> {
    /// The OAuth `client_id`.
    pub client_id: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Free text.
    pub description: &'a str,
    /// Whether the client may obtain tokens.
    pub enabled: bool,
    /// Whether the client is public (no credentials).
    pub public_client: bool,
}

/// The editable fields of a client (all replaced by [`update`]).
#[derive(Clone, Copy, Debug)]
pub struct ClientUpdate<'a> {
    /// Display name.
    pub name: &'a str,
    /// Free text.
    pub description: &'a str,
    /// Whether the client may obtain tokens.
    pub enabled: bool,
    /// Whether the client is public (no credentials).
    pub public_client: bool,
}

/// One page of the client list.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ClientPage {
    /// At most `max` clients, ordered by client id.
    pub items: Vec<Client>,
    /// Whether more clients follow this page.
    pub has_more: bool,
}

const COLUMNS: &str = "client_row_id, realm_id, client_id, name, description, enabled, \
                       public_client, authenticator, signing_alg, assertion_max_exp_s, version, \
                       created_at, updated_at, api_role, rfc9068_header, auth_attributes, \
                       tls_bound_tokens";

fn from_row(row: &AnyRow) -> std::result::Result<Client, sqlx::Error> {
    Ok(Client {
        client_row_id: row.try_get("client_row_id")?,
        realm_id: row.try_get("realm_id")?,
        client_id: row.try_get("client_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        public_client: row.try_get::<i64, _>("public_client")? != 0,
        authenticator: row.try_get("authenticator")?,
        signing_alg: row.try_get("signing_alg")?,
        assertion_max_exp_s: row.try_get("assertion_max_exp_s")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        api_role: row.try_get("api_role")?,
        rfc9068_header: row.try_get::<i64, _>("rfc9068_header")? != 0,
        auth_attributes: serde_json::from_str(&row.try_get::<String, _>("auth_attributes")?)
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        tls_bound_tokens: row.try_get::<i64, _>("tls_bound_tokens")? != 0,
    })
}

/// Gives a client an Admin REST API role (`None` takes it away); [`StoreError::NotFound`] when
/// there is no such client in the realm.
pub async fn set_api_role(
    db: &Db,
    realm_id: &str,
    client_row_id: &str,
    role: Option<&str>,
) -> Result<Client> {
    let row = sqlx::query(&format!(
        "UPDATE client SET api_role = $3, version = version + 1 \
         WHERE realm_id = $1 AND client_row_id = $2 RETURNING {COLUMNS}"
    ))
    .bind(realm_id)
    .bind(client_row_id)
    .bind(role)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    db.changed().await;
    Ok(from_row(&row)?)
}

/// Sets whether the client's access tokens carry header `typ: at+jwt` (RFC 9068) rather than
/// `JWT`; [`StoreError::NotFound`] when there is no such client in the realm.
pub async fn set_rfc9068_header(
    db: &Db,
    realm_id: &str,
    client_row_id: &str,
    on: bool,
    now: i64,
) -> Result<Client> {
    let row = sqlx::query(&format!(
        "UPDATE client SET rfc9068_header = $3, version = version + 1, updated_at = $4 \
         WHERE realm_id = $1 AND client_row_id = $2 RETURNING {COLUMNS}"
    ))
    .bind(realm_id)
    .bind(client_row_id)
    .bind(flag(on))
    .bind(now)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    db.changed().await;
    Ok(from_row(&row)?)
}

/// The text the list search matches: lower-cased client id and name.
fn search_text(client_id: &str, name: &str) -> String {
    format!("{} {}", client_id.to_lowercase(), name.to_lowercase())
}

/// A `LIKE` pattern matching `term` literally anywhere (escape character `\`).
fn contains_pattern(term: &str) -> String {
    let mut p = String::with_capacity(term.len() + 2);
    p.push('%');
    for c in term.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

fn flag(b: bool) -> i64 {
    i64::from(b)
}

/// Creates a client (new UUID, version 1); [`StoreError::Conflict`] when the client id is
/// taken in this realm.
pub async fn create(db: &Db, realm_id: &str, new: &NewClient<'_>, now: i64) -> Result<Client> {
    let row = sqlx::query(&format!(
        "INSERT INTO client (client_row_id, realm_id, client_id, name, description, enabled, \
         public_client, search_text, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9) RETURNING {COLUMNS}"
    ))
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(realm_id)
    .bind(new.client_id)
    .bind(new.name)
    .bind(new.description)
    .bind(flag(new.enabled))
    .bind(flag(new.public_client))
    .bind(search_text(new.client_id, new.name))
    .bind(now)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    db.changed().await;
    Ok(from_row(&row)?)
}

/// The client with this row id in this realm, or [`StoreError::NotFound`].
pub async fn get(db: &Db, realm_id: &str, client_row_id: &str) -> Result<Client> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM client WHERE client_row_id = $1 AND realm_id = $2"
    ))
    .bind(client_row_id)
    .bind(realm_id)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    Ok(from_row(&row)?)
}

/// The client with this client id in this realm, or [`StoreError::NotFound`].
pub async fn get_by_client_id(db: &Db, realm_id: &str, client_id: &str) -> Result<Client> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM client WHERE realm_id = $1 AND client_id = $2"
    ))
    .bind(realm_id)
    .bind(client_id)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    Ok(from_row(&row)?)
}

/// A page of a realm's clients ordered by client id, skipping `first` and returning at most
/// `max`. `search` is a case-insensitive substring match on client id or name (`%` and `_`
/// are literal). No COUNT: one extra row tells whether more follow.
///
/// On SQLite, a term of 3 or more characters is first looked up in the trigram index
/// `client_search` (migration 0002); when it has fewer than 1000 candidates the page is
/// built from them, otherwise (a common term, so
/// the ordered walk finds its page quickly) and for shorter terms the realm is walked in
/// client_id order. Both paths return the same rows.
pub async fn list(
    db: &Db,
    realm_id: &str,
    search: Option<&str>,
    first: i64,
    max: i64,
) -> Result<ClientPage> {
    let first = first.max(0);
    let max = max.clamp(0, i64::MAX - 1);
    let search = search.filter(|s| !s.is_empty());
    let rows = match search {
        Some(term) if db.backend() == crate::Backend::Sqlite => match sqlite_index_query(term) {
            Some(phrase) if index_is_selective(db, &phrase).await? => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM client_search CROSS JOIN client \
                         ON client.rowid = client_search.rowid \
                         WHERE client_search MATCH $4 AND client.realm_id = $1 \
                         AND client.search_text LIKE $5 ESCAPE '\\' \
                         ORDER BY client.client_id LIMIT $2 OFFSET $3"
                ))
                .bind(realm_id)
                .bind(max + 1)
                .bind(first)
                .bind(phrase)
                .bind(contains_pattern(term))
                .fetch_all(db.pool())
                .await?
            }
            _ => scan(db, realm_id, search, first, max).await?,
        },
        _ => scan(db, realm_id, search, first, max).await?,
    };
    let has_more = rows.len() as i64 > max;
    let items = rows
        .iter()
        .take(max as usize)
        .map(from_row)
        .collect::<std::result::Result<_, _>>()?;
    Ok(ClientPage { items, has_more })
}

/// Shortest term (in characters, once lower-cased) looked up in SQLite's trigram index:
/// shorter ones have no trigram.
const INDEXED_TERM_CHARS: usize = 3;

/// Candidates from SQLite's trigram index (in all realms) from which a term counts as
/// common and the list walks the realm instead.
const INDEX_CANDIDATES: i64 = 1000;

/// The FTS5 query matching the rows whose search_text contains `term` (a quoted phrase of its
/// trigrams), or `None` when the index cannot answer for this term.
fn sqlite_index_query(term: &str) -> Option<String> {
    let term = term.to_lowercase();
    // SQLite hands FTS5 the query as a C string: a NUL would cut it short.
    if term.chars().count() < INDEXED_TERM_CHARS || term.contains('\0') {
        return None;
    }
    Some(format!("\"{}\"", term.replace('"', "\"\"")))
}

/// Whether the trigram index has fewer than [`INDEX_CANDIDATES`] rows for `phrase`. Only a
/// cost decision: the indexed query re-runs the match itself, so a concurrent change between
/// the two statements cannot change the result.
async fn index_is_selective(db: &Db, phrase: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT 1 FROM client_search WHERE client_search MATCH $1 \
         LIMIT $2)",
    )
    .bind(phrase)
    .bind(INDEX_CANDIDATES)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    Ok(n < INDEX_CANDIDATES)
}

/// The page by an ordered walk of the realm (PostgreSQL always; SQLite for short or common
/// terms and for no term).
async fn scan(
    db: &Db,
    realm_id: &str,
    search: Option<&str>,
    first: i64,
    max: i64,
) -> Result<Vec<AnyRow>> {
    // Deferred join: the page's client ids come from an index-only walk of the realm in
    // client_id order (cheap even at a deep OFFSET), then only those rows are read.
    let filter = if search.is_some() {
        "AND search_text LIKE $4 ESCAPE '\\'"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM client WHERE realm_id = $1 AND client_id IN \
         (SELECT client_id FROM client WHERE realm_id = $1 {filter} \
         ORDER BY client_id LIMIT $2 OFFSET $3) \
         ORDER BY client_id"
    );
    let mut query = sqlx::query(&sql).bind(realm_id).bind(max + 1).bind(first);
    if let Some(term) = search {
        query = query.bind(contains_pattern(term));
    }
    Ok(query.fetch_all(db.pool()).await?)
}

/// Replaces the editable fields when the stored version is `expected_version`, bumping it.
/// [`StoreError::Stale`] when the client exists with another version (nothing changed),
/// [`StoreError::NotFound`] when it does not exist in this realm.
///
/// The compare-and-set is the single `UPDATE … WHERE version = $n`; the read before it only
/// tells NotFound from Stale and fetches the (immutable) client id for `search_text`, which
/// is lower-cased in Rust so both backends lower Unicode the same way.
pub async fn update(
    db: &Db,
    realm_id: &str,
    client_row_id: &str,
    expected_version: i64,
    upd: &ClientUpdate<'_>,
    now: i64,
) -> Result<Client> {
    let current = sqlx::query(
        "SELECT client_id, version FROM client WHERE client_row_id = $1 AND realm_id = $2",
    )
    .bind(client_row_id)
    .bind(realm_id)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    let client_id: String = current.try_get("client_id")?;
    let version: i64 = current.try_get("version")?;
    if version != expected_version {
        return Err(StoreError::Stale);
    }
    let row = sqlx::query(&format!(
        "UPDATE client SET name = $4, description = $5, enabled = $6, public_client = $7, \
         search_text = $8, version = version + 1, updated_at = $9 \
         WHERE client_row_id = $1 AND realm_id = $2 AND version = $3 RETURNING {COLUMNS}"
    ))
    .bind(client_row_id)
    .bind(realm_id)
    .bind(expected_version)
    .bind(upd.name)
    .bind(upd.description)
    .bind(flag(upd.enabled))
    .bind(flag(upd.public_client))
    .bind(search_text(&client_id, upd.name))
    .bind(now)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .next();
    db.changed().await;
    match row {
        Some(row) => Ok(from_row(&row)?),
        // Changed (or deleted) between the read and the update.
        None => Err(StoreError::Stale),
    }
}

/// How a client authenticates (all replaced by [`set_authentication`]).
#[derive(Clone, Copy, Debug)]
pub struct AuthenticationUpdate<'a> {
    /// Authenticator id, validated by the caller against the registry.
    pub authenticator: &'a str,
    /// Pinned JWS alg, validated by the caller.
    pub signing_alg: Option<&'a str>,
    /// Longest accepted client-assertion lifetime, in seconds.
    pub assertion_max_exp_s: i64,
    /// The declared settings' values (`x509.subjectdn`, …), validated by the caller; replaces
    /// the stored ones whole.
    pub auth_attributes: &'a BTreeMap<String, String>,
    /// `tls.client.certificate.bound.access.tokens`.
    pub tls_bound_tokens: bool,
}

/// Sets the authentication method when the stored version is `expected_version`, bumping it.
/// [`StoreError::Stale`] / [`StoreError::NotFound`] as for [`update`].
pub async fn set_authentication(
    db: &Db,
    realm_id: &str,
    client_row_id: &str,
    expected_version: i64,
    upd: &AuthenticationUpdate<'_>,
    now: i64,
) -> Result<Client> {
    let row = sqlx::query(&format!(
        "UPDATE client SET authenticator = $4, signing_alg = $5, assertion_max_exp_s = $6, \
         version = version + 1, updated_at = $7, auth_attributes = $8, tls_bound_tokens = $9 \
         WHERE client_row_id = $1 AND realm_id = $2 AND version = $3 RETURNING {COLUMNS}"
    ))
    .bind(client_row_id)
    .bind(realm_id)
    .bind(expected_version)
    .bind(upd.authenticator)
    .bind(upd.signing_alg)
    .bind(upd.assertion_max_exp_s)
    .bind(now)
    .bind(serde_json::to_string(upd.auth_attributes).unwrap_or_else(|_| "{}".into()))
    .bind(flag(upd.tls_bound_tokens))
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .next();
    db.changed().await;
    match row {
        Some(row) => Ok(from_row(&row)?),
        None => {
            get(db, realm_id, client_row_id).await?;
            Err(StoreError::Stale)
        }
    }
}

/// Deletes a client of this realm; [`StoreError::NotFound`] when absent.
pub async fn delete(db: &Db, realm_id: &str, client_row_id: &str) -> Result<()> {
    let done = sqlx::query("DELETE FROM client WHERE client_row_id = $1 AND realm_id = $2")
        .bind(client_row_id)
        .bind(realm_id)
        .execute(db.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    db.changed().await;
    Ok(())
}

/// Rows per multi-row INSERT in [`seed`] (7 parameters each, far below both backends' limits).
const SEED_BATCH: u32 = 500;
/// Rows per transaction in [`seed`].
const SEED_TX_ROWS: u32 = 20_000;

/// Bulk-inserts `count` clients `"{prefix}-{i:06}"` named `"Service {i}"` (i from 1), for
/// tests and benchmarks. Batched multi-row INSERTs inside transactions.
pub async fn seed(db: &Db, realm_id: &str, prefix: &str, count: u32, now: i64) -> Result<()> {
    let mut i = 1u32;
    while i <= count {
        let tx_end = count.min(i.saturating_add(SEED_TX_ROWS - 1));
        let mut tx = db.pool().begin().await?;
        while i <= tx_end {
            let batch_end = tx_end.min(i + SEED_BATCH - 1);
            let n = (batch_end - i + 1) as usize;
            let mut sql = String::with_capacity(120 + n * 40);
            sql.push_str(
                "INSERT INTO client (client_row_id, realm_id, client_id, name, search_text, \
                 created_at, updated_at) VALUES ",
            );
            for k in 0..n {
                let b = k * 7;
                if k > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7
                ));
            }
            let mut q = sqlx::query(&sql);
            for j in i..=batch_end {
                let client_id = format!("{prefix}-{j:06}");
                let name = format!("Service {j}");
                let text = search_text(&client_id, &name);
                q = q
                    .bind(uuid::Uuid::new_v4().to_string())
                    .bind(realm_id.to_owned())
                    .bind(client_id)
                    .bind(name)
                    .bind(text)
                    .bind(now)
                    .bind(now);
            }
            q.execute(&mut *tx).await?;
            i = batch_end + 1;
        }
        tx.commit().await?;
        if i == 0 {
            break; // wrapped past u32::MAX
        }
    }
    if db.backend() == crate::Backend::Postgres {
        // Fresh statistics and visibility map: the planner sees the new rows at once and the
        // list's index-only scans need no heap fetches.
        sqlx::query("VACUUM ANALYZE client")
            .execute(db.pool())
            .await?;
    }
    db.changed().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page of [`list`] and, on the same data, of the plain ordered walk.
    async fn list_and_scan(
        db: &Db,
        realm_id: &str,
        term: &str,
        first: i64,
        max: i64,
    ) -> (Vec<Client>, bool, Vec<Client>, bool) {
        let page = list(db, realm_id, Some(term), first, max).await.unwrap();
        let rows = scan(db, realm_id, Some(term), first, max).await.unwrap();
        let scan_more = rows.len() as i64 > max;
        let scanned = rows
            .iter()
            .take(max as usize)
            .map(|r| from_row(r).unwrap())
            .collect();
        (page.items, page.has_more, scanned, scan_more)
    }

    async fn assert_same_as_scan(db: &Db, realm_id: &str, terms: &[&str]) {
        for term in terms {
            for (first, max) in [(0, 20), (0, 1000), (3, 2), (100, 50), (0, 0), (5000, 10)] {
                let (items, more, scanned, scan_more) =
                    list_and_scan(db, realm_id, term, first, max).await;
                assert_eq!(items, scanned, "term {term:?} first {first} max {max}");
                assert_eq!(
                    more, scan_more,
                    "has_more of {term:?} first {first} max {max}"
                );
            }
        }
    }

    async fn index_is_consistent(db: &Db) {
        sqlx::query(
            "INSERT INTO client_search (client_search, rank) VALUES ('integrity-check', 1)",
        )
        .execute(db.pool())
        .await
        .expect("client_search agrees with client");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn sqlite_indexed_search_matches_the_scan() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("k.db").display());
        let db = Db::connect(&url).await.unwrap();
        // The bundled SQLite has FTS5 and the trigram tokenizer (3.34+).
        let version: String = sqlx::query_scalar("SELECT sqlite_version()")
            .fetch_one(db.pool())
            .await
            .unwrap();
        let parts: Vec<u32> = version.split('.').map(|p| p.parse().unwrap()).collect();
        assert!(
            parts[0] > 3 || (parts[0] == 3 && parts[1] >= 34),
            "SQLite {version}"
        );
        let options: Vec<String> = sqlx::query_scalar("PRAGMA compile_options")
            .fetch_all(db.pool())
            .await
            .unwrap();
        assert!(options.iter().any(|o| o == "ENABLE_FTS5"), "{options:?}");

        let realm = crate::realms::create(&db, "r", "R", 0).await.unwrap();
        let other = crate::realms::create(&db, "o", "O", 0).await.unwrap();
        let r = realm.realm_id.as_str();
        seed(&db, r, "svc", 1200, 0).await.unwrap();
        // The same names in another realm: its candidates must not leak into r's pages.
        seed(&db, &other.realm_id, "svc", 1200, 0).await.unwrap();
        let mut made = Vec::new();
        for (client_id, name) in [
            ("100%_done", "Percent"),
            ("100x-done", "No percent"),
            ("back\\slash", "Escape"),
            ("quote\"d", "Double quote"),
            ("ÄÖÜ-Client", "Ünïcode Straße"),
            ("MiXeD-Case", "Grüße 01042"),
            ("Kelvin-\u{212A}", "sign"),
        ] {
            let new = NewClient {
                client_id,
                name,
                description: "",
                enabled: true,
                public_client: false,
            };
            made.push(create(&db, r, &new, 0).await.unwrap());
        }
        index_is_consistent(&db).await;

        // Rare terms take the index, common ones the walk.
        for (term, selective) in [
            ("-001042", true),
            ("service 1199", true),
            ("ice 11", true), // 111 per realm
            ("svc-0", false),
            ("service", false),
        ] {
            let phrase = sqlite_index_query(term).unwrap();
            assert_eq!(
                index_is_selective(&db, &phrase).await.unwrap(),
                selective,
                "{term}"
            );
        }
        let terms = [
            "-001042",
            "SERVICE 1199",
            "ice 11",
            "01042",
            "svc-0",
            "service",
            "e 1",
            "%_d",
            "0%_",
            "x_done",
            "0x_",
            "k\\s",
            "\\",
            "e\"d",
            "\"",
            "ünï",
            "ÜNÏCODE",
            "straße",
            "strasse",
            "grüße 0",
            "kelvin-k",
            "nothing at all",
            "%%%",
            "___",
            " ",
            "sv",
        ];
        assert_same_as_scan(&db, r, &terms).await;

        // The index follows updates, deletes and a realm's cascade.
        let upd = ClientUpdate {
            name: "Renamed 77777",
            description: "",
            enabled: true,
            public_client: false,
        };
        let renamed = update(&db, r, &made[0].client_row_id, 1, &upd, 1)
            .await
            .unwrap();
        let found = list(&db, r, Some("d 7777"), 0, 10).await.unwrap();
        assert_eq!(found.items, vec![renamed]);
        assert!(list(&db, r, Some("percent"), 0, 10)
            .await
            .unwrap()
            .items
            .iter()
            .all(|c| c.client_id != "100%_done"));
        delete(&db, r, &made[1].client_row_id).await.unwrap();
        crate::realms::delete(&db, "o").await.unwrap();
        index_is_consistent(&db).await;
        assert_same_as_scan(&db, r, &terms).await;
        assert_same_as_scan(&db, r, &["d 7777", "renamed", "no percent"]).await;
        db.close().await;
    }

    #[test]
    fn pattern_escapes_wildcards() {
        assert_eq!(contains_pattern("A%b_c\\"), "%a\\%b\\_c\\\\%");
        assert_eq!(
            search_text("Billing-API", "Ünïcode X"),
            "billing-api ünïcode x"
        );
    }
}
