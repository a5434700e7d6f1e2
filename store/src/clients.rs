//! The `client` table: OAuth clients of a realm, their paged/searchable list and optimistic
//! concurrency (`version`).

use sqlx::any::AnyRow;
use sqlx::Row;

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
    /// Optimistic-concurrency counter: 1 on creation, +1 per update.
    pub version: i64,
    /// Epoch seconds.
    pub created_at: i64,
    /// Epoch seconds.
    pub updated_at: i64,
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
                       public_client, version, created_at, updated_at";

fn from_row(row: &AnyRow) -> std::result::Result<Client, sqlx::Error> {
    Ok(Client {
        client_row_id: row.try_get("client_row_id")?,
        realm_id: row.try_get("realm_id")?,
        client_id: row.try_get("client_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        public_client: row.try_get::<i64, _>("public_client")? != 0,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
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
    .fetch_one(db.pool())
    .await?;
    Ok(from_row(&row)?)
}

/// The client with this row id in this realm, or [`StoreError::NotFound`].
pub async fn get(db: &Db, realm_id: &str, client_row_id: &str) -> Result<Client> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM client WHERE client_row_id = $1 AND realm_id = $2"
    ))
    .bind(client_row_id)
    .bind(realm_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(from_row(&row)?)
}

/// A page of a realm's clients ordered by client id, skipping `first` and returning at most
/// `max`. `search` is a case-insensitive substring match on client id or name (`%` and `_`
/// are literal). No COUNT: one extra row tells whether more follow.
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
    let rows = query.fetch_all(db.pool()).await?;
    let has_more = rows.len() as i64 > max;
    let items = rows
        .iter()
        .take(max as usize)
        .map(from_row)
        .collect::<std::result::Result<_, _>>()?;
    Ok(ClientPage { items, has_more })
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
    .fetch_optional(db.pool())
    .await?
    .ok_or(StoreError::NotFound)?;
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
    .fetch_optional(db.pool())
    .await?;
    match row {
        Some(row) => Ok(from_row(&row)?),
        // Changed (or deleted) between the read and the update.
        None => Err(StoreError::Stale),
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_escapes_wildcards() {
        assert_eq!(contains_pattern("A%b_c\\"), "%a\\%b\\_c\\\\%");
        assert_eq!(
            search_text("Billing-API", "Ünïcode X"),
            "billing-api ünïcode x"
        );
    }
}
