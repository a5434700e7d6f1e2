//! The `client_secret` and `server_secret` tables: client secrets at rest (verifier, optional
//! sealed value with its master-key id), rotation with overlap, revocation, and the re-sealing
//! walk of a master-key rotation. Values never reach this crate in clear.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::FirstRow;
use crate::{Db, Result, StoreError};

/// A stored client secret (no clear value).
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret {
    /// UUID v4.
    pub secret_id: String,
    /// The client it belongs to.
    pub client_row_id: String,
    /// Operator-chosen label.
    pub label: String,
    /// HMAC-SHA256(pepper, value).
    pub verifier: Vec<u8>,
    /// AES-256-GCM of the value and the master key that sealed it, when kept.
    pub sealed: Option<(Vec<u8>, String)>,
    /// Epoch seconds.
    pub created_at: i64,
    /// Epoch seconds; `None` = no expiry.
    pub expires_at: Option<i64>,
    /// Epoch seconds; `None` = not revoked.
    pub revoked_at: Option<i64>,
    /// Username of the operator who created it.
    pub created_by: String,
    /// When a verified leak report named it, and where it was found.
    pub leaked: Option<(i64, String)>,
    /// Its last successful use (epoch seconds, at most a minute old) and the address it came
    /// from.
    pub last_used: Option<(i64, Option<String>)>,
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSecret")
            .field("secret_id", &self.secret_id)
            .field("label", &self.label)
            .field("sealed", &self.sealed.as_ref().map(|(_, k)| k))
            .field("expires_at", &self.expires_at)
            .field("revoked_at", &self.revoked_at)
            .field("leaked", &self.leaked)
            .field("last_used", &self.last_used)
            .finish_non_exhaustive()
    }
}

/// A secret to store.
#[derive(Clone, Copy)]
pub struct NewSecret<'a> {
    /// Label (validated by the caller).
    pub label: &'a str,
    /// HMAC-SHA256(pepper, value).
    pub verifier: &'a [u8],
    /// Sealed value and master-key id, when the server must hold the value.
    pub sealed: Option<(&'a [u8], &'a str)>,
    /// Explicit expiry, if any.
    pub expires_at: Option<i64>,
    /// Operator username.
    pub created_by: &'a str,
}

/// What a rotation did.
#[derive(Clone, Debug)]
pub struct Rotation {
    /// The new (primary) secret.
    pub created: ClientSecret,
    /// Ids of the previous secrets whose validity the rotation shortened or ended.
    pub previous: Vec<String>,
}

const COLUMNS: &str = "secret_id, client_row_id, label, verifier, sealed_value, master_key_id, \
                       created_at, expires_at, revoked_at, created_by, leaked_at, leaked_url, \
                       last_used_at, last_used_ip";

/// The next per-client creation counter (inside the inserting statement).
const NEXT_SEQ: &str =
    "(SELECT COALESCE(MAX(created_seq), 0) + 1 FROM client_secret WHERE client_row_id = $2)";

fn from_row(row: &AnyRow) -> std::result::Result<ClientSecret, sqlx::Error> {
    let sealed: Option<Vec<u8>> = row.try_get("sealed_value")?;
    let key: Option<String> = row.try_get("master_key_id")?;
    Ok(ClientSecret {
        secret_id: row.try_get("secret_id")?,
        client_row_id: row.try_get("client_row_id")?,
        label: row.try_get("label")?,
        verifier: row.try_get("verifier")?,
        sealed: sealed.zip(key),
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
        created_by: row.try_get("created_by")?,
        leaked: {
            let at: Option<i64> = row.try_get("leaked_at")?;
            let url: Option<String> = row.try_get("leaked_url")?;
            at.map(|at| (at, url.unwrap_or_default()))
        },
        last_used: {
            let at: Option<i64> = row.try_get("last_used_at")?;
            let ip: Option<String> = row.try_get("last_used_ip")?;
            at.map(|at| (at, ip))
        },
    })
}

/// A client's secrets, newest first.
pub async fn list(db: &Db, client_row_id: &str) -> Result<Vec<ClientSecret>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM client_secret WHERE client_row_id = $1 \
         ORDER BY created_at DESC, created_seq DESC, secret_id"
    ))
    .bind(client_row_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(from_row)
        .collect::<std::result::Result<_, _>>()?)
}

/// The secrets of several clients in one query, each client's in [`list`]'s order; clients
/// without secrets are absent.
pub async fn list_for_clients(
    db: &Db,
    client_row_ids: &[String],
) -> Result<std::collections::HashMap<String, Vec<ClientSecret>>> {
    crate::db::by_client(
        db,
        &format!(
            "SELECT {COLUMNS} FROM client_secret WHERE client_row_id IN ({{ids}}) \
             ORDER BY client_row_id, created_at DESC, created_seq DESC, secret_id"
        ),
        client_row_ids,
        from_row,
        |s| &s.client_row_id,
    )
    .await
}

/// One secret of a client, or [`StoreError::NotFound`].
pub async fn get(db: &Db, client_row_id: &str, secret_id: &str) -> Result<ClientSecret> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM client_secret WHERE client_row_id = $1 AND secret_id = $2"
    ))
    .bind(client_row_id)
    .bind(secret_id)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    Ok(from_row(&row)?)
}

/// Records a successful use of a secret at `at` from `ip`, unless one at most `interval_s`
/// old is already recorded (so busy clients on many replicas cost at most one write per secret
/// per interval). Does not move the cache generation: the use changes nothing that
/// authenticates. `true` when it wrote.
pub async fn record_use(
    db: &Db,
    secret_id: &str,
    at: i64,
    ip: Option<&str>,
    interval_s: i64,
) -> Result<bool> {
    crate::db::record_use(
        db,
        "client_secret",
        "secret_id",
        secret_id,
        at,
        ip,
        interval_s,
    )
    .await
}

/// A secret found by its verifier, with the realm and client it belongs to.
#[derive(Clone, Debug)]
pub struct Located {
    pub secret: ClientSecret,
    pub realm_id: String,
    pub client_id: String,
}

/// Every stored secret with this verifier (a leak report names a value, not a client), through
/// the verifier index.
pub async fn by_verifier(db: &Db, verifier: &[u8]) -> Result<Vec<Located>> {
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("s.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(&format!(
        "SELECT {cols}, c.realm_id AS owner_realm_id, c.client_id AS owner_client_id \
         FROM client_secret s JOIN client c ON c.client_row_id = s.client_row_id \
         WHERE s.verifier = $1"
    ))
    .bind(verifier)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Located {
                secret: from_row(row)?,
                realm_id: row.try_get("owner_realm_id")?,
                client_id: row.try_get("owner_client_id")?,
            })
        })
        .collect::<std::result::Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Marks a secret leaked (found at `url`) at `now` and ends it: revoked at once, or expiring
/// at `until` (never later than it already would). A secret already revoked is left as it is
/// (its leak mark is still set).
pub async fn mark_leaked(
    db: &Db,
    secret_id: &str,
    url: &str,
    now: i64,
    until: Option<i64>,
) -> Result<ClientSecret> {
    // Without a grace period the secret is revoked; with one it expires at `until` at the latest.
    let sql = format!(
        "UPDATE client_secret SET leaked_at = COALESCE(leaked_at, $2), leaked_url = $3, \
         revoked_at = CASE WHEN $4 IS NULL THEN COALESCE(revoked_at, $2) ELSE revoked_at END, \
         expires_at = CASE WHEN $4 IS NULL OR (expires_at IS NOT NULL AND expires_at <= $4) \
         THEN expires_at ELSE $4 END WHERE secret_id = $1 RETURNING {COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(secret_id)
        .bind(now)
        .bind(url)
        .bind(until)
        .fetch_all(db.pool())
        .await?
        .first_row()?;
    db.changed().await;
    Ok(from_row(&row)?)
}

/// Regenerates (Keycloak's rotation), in one transaction: every secret still valid at `now`
/// stops working at `previous_until` (or earlier, if it already would; `previous_until <= now`
/// revokes them at once), and `new` becomes the primary secret. Two concurrent rotations both
/// keep their new secret: the client row is locked first, so they run one after the other and
/// the later one shortens the earlier one's secret to the overlap. Nothing is lost.
pub async fn rotate(
    db: &Db,
    client_row_id: &str,
    new: &NewSecret<'_>,
    previous_until: i64,
    now: i64,
) -> Result<Rotation> {
    let mut tx = db.pool().begin().await?;
    // Row lock on PostgreSQL (write lock on SQLite): concurrent rotations of one client serialise.
    sqlx::query("UPDATE client SET version = version WHERE client_row_id = $1")
        .bind(client_row_id)
        .execute(&mut *tx)
        .await?;
    let previous: Vec<String> = sqlx::query(
        "SELECT secret_id FROM client_secret WHERE client_row_id = $1 AND revoked_at IS NULL \
         AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(client_row_id)
    .bind(now)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| r.try_get("secret_id"))
    .collect::<std::result::Result<_, _>>()?;
    if previous_until <= now {
        sqlx::query(
            "UPDATE client_secret SET revoked_at = $2 WHERE client_row_id = $1 \
             AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(client_row_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query(
            "UPDATE client_secret SET expires_at = $3 WHERE client_row_id = $1 \
             AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $3)",
        )
        .bind(client_row_id)
        .bind(now)
        .bind(previous_until)
        .execute(&mut *tx)
        .await?;
    }
    let created = insert(&mut tx, client_row_id, new, now).await?;
    tx.commit().await?;
    db.changed().await;
    Ok(Rotation { created, previous })
}

/// Inserts one secret (new id, next creation counter) on a transaction's connection.
async fn insert(
    conn: &mut sqlx::AnyConnection,
    client_row_id: &str,
    new: &NewSecret<'_>,
    now: i64,
) -> Result<ClientSecret> {
    let row = sqlx::query(&format!(
        "INSERT INTO client_secret (secret_id, client_row_id, label, verifier, sealed_value, \
         master_key_id, created_at, created_seq, expires_at, revoked_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, {NEXT_SEQ}, $8, NULL, $9) RETURNING {COLUMNS}"
    ))
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(client_row_id)
    .bind(new.label)
    .bind(new.verifier)
    .bind(new.sealed.map(|(v, _)| v))
    .bind(new.sealed.map(|(_, k)| k))
    .bind(now)
    .bind(new.expires_at)
    .bind(new.created_by)
    .fetch_all(&mut *conn)
    .await?
    .first_row()?;
    Ok(from_row(&row)?)
}

/// Revokes one secret at `now` (idempotent: a revoked secret keeps its first revocation time).
pub async fn revoke(
    db: &Db,
    client_row_id: &str,
    secret_id: &str,
    now: i64,
) -> Result<ClientSecret> {
    sqlx::query(
        "UPDATE client_secret SET revoked_at = $3 \
         WHERE client_row_id = $1 AND secret_id = $2 AND revoked_at IS NULL",
    )
    .bind(client_row_id)
    .bind(secret_id)
    .bind(now)
    .execute(db.pool())
    .await?;
    db.changed().await;
    get(db, client_row_id, secret_id).await
}

/// A server-held key (the pepper), sealed.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ServerSecret {
    /// AES-256-GCM nonce || ciphertext || tag.
    pub sealed_value: Vec<u8>,
    /// Master key that sealed it.
    pub master_key_id: String,
}

/// The server secret `name`, creating it from `make()` if absent. Replicas starting together
/// agree: the first insert wins and everyone reads it back.
pub async fn server_secret_get_or_insert(
    db: &Db,
    name: &str,
    make: impl FnOnce() -> ServerSecret,
    now: i64,
) -> Result<ServerSecret> {
    if let Some(s) = server_secret(db, name).await? {
        return Ok(s);
    }
    let new = make();
    sqlx::query(
        "INSERT INTO server_secret (name, sealed_value, master_key_id, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(&new.sealed_value)
    .bind(&new.master_key_id)
    .bind(now)
    .execute(db.pool())
    .await?;
    server_secret(db, name).await?.ok_or(StoreError::NotFound)
}

/// The server secret `name`, if it exists.
pub async fn server_secret(db: &Db, name: &str) -> Result<Option<ServerSecret>> {
    let row = sqlx::query("SELECT sealed_value, master_key_id FROM server_secret WHERE name = $1")
        .bind(name)
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .next();
    Ok(match row {
        Some(r) => Some(ServerSecret {
            sealed_value: r.try_get("sealed_value")?,
            master_key_id: r.try_get("master_key_id")?,
        }),
        None => None,
    })
}

/// Every master-key id that sealed something in the database (start-up checks the configured
/// keys against it, so a wrong key is reported before any request fails).
pub async fn sealing_key_ids(db: &Db) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT master_key_id FROM server_secret UNION \
         SELECT master_key_id FROM realm_key UNION \
         SELECT master_key_id FROM client_secret WHERE master_key_id IS NOT NULL",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get("master_key_id"))
        .collect::<std::result::Result<_, _>>()?)
}

/// Which table a sealed value lives in (for master-key rotation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealedKind {
    /// `server_secret` (the pepper); `id` is the name.
    Server,
    /// `client_secret`; `id` is the secret id.
    ClientSecret,
    /// `realm_key` (a realm's token-signing private key); `id` is the realm key id.
    RealmKey,
    /// `webhook` (a webhook's signing key); `id` is the webhook id.
    Webhook,
}

/// A sealed value not yet under the new master key.
#[derive(Clone, Debug)]
pub struct SealedItem {
    /// Table.
    pub kind: SealedKind,
    /// Row key.
    pub id: String,
    /// The ciphertext.
    pub sealed_value: Vec<u8>,
    /// The key that sealed it.
    pub master_key_id: String,
}

/// Up to `limit` sealed values whose key is not `primary`: the server secrets first (when
/// `include_server`), then client secrets in secret-id order after `after` (keyset pagination:
/// each batch is an index range, not a scan of every row; `""` starts from the beginning).
pub async fn sealed_not_under(
    db: &Db,
    primary: &str,
    include_server: bool,
    after: &str,
    limit: i64,
) -> Result<Vec<SealedItem>> {
    let mut items = Vec::new();
    if include_server {
        let rows = sqlx::query(
            "SELECT name AS id, sealed_value, master_key_id FROM server_secret \
             WHERE master_key_id <> $1 ORDER BY name LIMIT $2",
        )
        .bind(primary)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
        for r in rows {
            items.push(SealedItem {
                kind: SealedKind::Server,
                id: r.try_get("id")?,
                sealed_value: r.try_get("sealed_value")?,
                master_key_id: r.try_get("master_key_id")?,
            });
        }
    }
    // Realm signing keys, then webhook keys: few, taken with the server secrets.
    for (sql, kind) in [
        (
            "SELECT realm_key_id AS id, sealed_private_key AS sealed_value, master_key_id \
             FROM realm_key WHERE master_key_id <> $1 ORDER BY realm_key_id LIMIT $2",
            SealedKind::RealmKey,
        ),
        (
            "SELECT webhook_id AS id, sealed_secret AS sealed_value, master_key_id \
             FROM webhook WHERE master_key_id <> $1 ORDER BY webhook_id LIMIT $2",
            SealedKind::Webhook,
        ),
    ] {
        if !include_server || items.len() as i64 >= limit {
            break;
        }
        let rows = sqlx::query(sql)
            .bind(primary)
            .bind(limit - items.len() as i64)
            .fetch_all(db.pool())
            .await?;
        for r in rows {
            items.push(SealedItem {
                kind,
                id: r.try_get("id")?,
                sealed_value: r.try_get("sealed_value")?,
                master_key_id: r.try_get("master_key_id")?,
            });
        }
    }
    let left = limit - items.len() as i64;
    if left > 0 {
        let rows = sqlx::query(
            "SELECT secret_id AS id, sealed_value, master_key_id FROM client_secret \
             WHERE secret_id > $2 AND master_key_id IS NOT NULL AND master_key_id <> $1 \
             ORDER BY secret_id LIMIT $3",
        )
        .bind(primary)
        .bind(after)
        .bind(left)
        .fetch_all(db.pool())
        .await?;
        for r in rows {
            items.push(SealedItem {
                kind: SealedKind::ClientSecret,
                id: r.try_get("id")?,
                sealed_value: r.try_get("sealed_value")?,
                master_key_id: r.try_get("master_key_id")?,
            });
        }
    }
    Ok(items)
}

/// Replaces sealed values, in one transaction, where each is still the one read
/// (compare-and-set on the old key id and ciphertext), so a concurrent change is never
/// overwritten. `new` pairs each item with its new ciphertext; all are under `new_key_id`.
/// Returns how many were replaced.
pub async fn reseal(db: &Db, new: &[(SealedItem, Vec<u8>)], new_key_id: &str) -> Result<u64> {
    let mut tx = db.pool().begin().await?;
    let mut replaced = 0;
    for (item, new_value) in new {
        let sql = match item.kind {
            SealedKind::Server => {
                "UPDATE server_secret SET sealed_value = $1, master_key_id = $2 \
                 WHERE name = $3 AND master_key_id = $4 AND sealed_value = $5"
            }
            SealedKind::ClientSecret => {
                "UPDATE client_secret SET sealed_value = $1, master_key_id = $2 \
                 WHERE secret_id = $3 AND master_key_id = $4 AND sealed_value = $5"
            }
            SealedKind::RealmKey => {
                "UPDATE realm_key SET sealed_private_key = $1, master_key_id = $2 \
                 WHERE realm_key_id = $3 AND master_key_id = $4 AND sealed_private_key = $5"
            }
            SealedKind::Webhook => {
                "UPDATE webhook SET sealed_secret = $1, master_key_id = $2 \
                 WHERE webhook_id = $3 AND master_key_id = $4 AND sealed_secret = $5"
            }
        };
        replaced += sqlx::query(sql)
            .bind(new_value.as_slice())
            .bind(new_key_id)
            .bind(&item.id)
            .bind(&item.master_key_id)
            .bind(&item.sealed_value)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    }
    tx.commit().await?;
    db.changed().await;
    Ok(replaced)
}

/// Stores several secrets of one client in one transaction, without touching the others
/// (bulk provisioning and benchmarks; rotation goes through [`rotate`]).
pub async fn insert_many(
    db: &Db,
    client_row_id: &str,
    items: &[NewSecret<'_>],
    now: i64,
) -> Result<()> {
    let mut tx = db.pool().begin().await?;
    for new in items {
        insert(&mut tx, client_row_id, new, now).await?;
    }
    tx.commit().await?;
    db.changed().await;
    Ok(())
}
