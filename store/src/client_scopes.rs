//! The `client_scope` and `client_scope_assignment` tables (migration 0008): a realm's client
//! scopes and each client's default and optional ones (Keycloak's model, its smallest useful
//! form; `credentials::scope` decides what a token request is granted).
//!
//! Every write moves the change generation ([`Db::generation`]), like the writes of clients and
//! their credentials, so the token endpoint's cache drops what it read and a scope taken from a
//! client is refused by the very next token request, on every replica.
//!
//! Assignments are idempotent: [`assign`] makes the scope one of the client's scopes of that
//! kind (moving it from the other kind if needed), [`unassign`] makes sure it is not one of that
//! kind; both tell whether anything changed. Realm boundaries are checked in the statements: a
//! client is never given a scope of another realm.

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::FirstRow;
use crate::{Db, Result, StoreError};

/// A realm's client scope (Keycloak's ClientScopeRepresentation, less the protocol mappers).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ClientScope {
    /// Internal id (UUID v4), Keycloak's `id`.
    pub client_scope_id: String,
    /// The realm the scope belongs to.
    pub realm_id: String,
    /// The scope token, unique per realm.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Always `openid-connect`.
    pub protocol: String,
    /// Epoch seconds.
    pub created_at: i64,
}

/// How a client has a scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// In every token of the client.
    Default,
    /// In a token when the request asks for it.
    Optional,
}

impl Kind {
    /// `default` or `optional`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Default => "default",
            Kind::Optional => "optional",
        }
    }

    /// The kind named `default` or `optional`.
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "default" => Some(Kind::Default),
            "optional" => Some(Kind::Optional),
            _ => None,
        }
    }
}

/// One of a client's scopes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Assigned {
    /// The client that has the scope.
    pub client_row_id: String,
    pub kind: Kind,
    pub scope: ClientScope,
}

const COLUMNS: &str = "client_scope_id, realm_id, name, description, protocol, created_at";

fn from_row(row: &AnyRow) -> std::result::Result<ClientScope, sqlx::Error> {
    Ok(ClientScope {
        client_scope_id: row.try_get("client_scope_id")?,
        realm_id: row.try_get("realm_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        protocol: row.try_get("protocol")?,
        created_at: row.try_get("created_at")?,
    })
}

/// The scope columns prefixed with `s.`, and the assignment's client and kind.
const ASSIGNED_COLUMNS: &str = "a.client_row_id, a.kind, s.client_scope_id, s.realm_id, s.name, \
                                s.description, s.protocol, s.created_at";

fn assigned_from_row(row: &AnyRow) -> std::result::Result<Assigned, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    Ok(Assigned {
        client_row_id: row.try_get("client_row_id")?,
        kind: Kind::parse(&kind).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown client scope kind {kind:?}").into())
        })?,
        scope: from_row(row)?,
    })
}

/// Creates a client scope (new UUID); [`StoreError::Conflict`] when the realm has a scope of
/// this name. The name is checked by the caller (`credentials::scope::client_scope_name`).
pub async fn create(
    db: &Db,
    realm_id: &str,
    name: &str,
    description: &str,
    now: i64,
) -> Result<ClientScope> {
    let row = sqlx::query(&format!(
        "INSERT INTO client_scope (client_scope_id, realm_id, name, description, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
    ))
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(realm_id)
    .bind(name)
    .bind(description)
    .bind(now)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    db.changed().await;
    Ok(from_row(&row)?)
}

/// The realm's client scopes, ordered by name.
pub async fn list(db: &Db, realm_id: &str) -> Result<Vec<ClientScope>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM client_scope WHERE realm_id = $1 ORDER BY name"
    ))
    .bind(realm_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(from_row)
        .collect::<std::result::Result<_, _>>()?)
}

/// The realm's client scope with this id, or [`StoreError::NotFound`].
pub async fn get(db: &Db, realm_id: &str, client_scope_id: &str) -> Result<ClientScope> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM client_scope WHERE realm_id = $1 AND client_scope_id = $2"
    ))
    .bind(realm_id)
    .bind(client_scope_id)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    Ok(from_row(&row)?)
}

/// The realm's client scope with this name (case-sensitive), or [`StoreError::NotFound`].
pub async fn get_by_name(db: &Db, realm_id: &str, name: &str) -> Result<ClientScope> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM client_scope WHERE realm_id = $1 AND name = $2"
    ))
    .bind(realm_id)
    .bind(name)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    Ok(from_row(&row)?)
}

/// Renames a scope and replaces its description; [`StoreError::NotFound`] when the realm has
/// no such scope, [`StoreError::Conflict`] when the new name is another scope's. A rename
/// changes what the clients that have the scope find in their next tokens.
pub async fn update(
    db: &Db,
    realm_id: &str,
    client_scope_id: &str,
    name: &str,
    description: &str,
) -> Result<ClientScope> {
    let row = sqlx::query(&format!(
        "UPDATE client_scope SET name = $3, description = $4 \
         WHERE realm_id = $1 AND client_scope_id = $2 RETURNING {COLUMNS}"
    ))
    .bind(realm_id)
    .bind(client_scope_id)
    .bind(name)
    .bind(description)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    db.changed().await;
    Ok(from_row(&row)?)
}

/// Deletes a scope of the realm, and with it every client's assignment of it;
/// [`StoreError::NotFound`] when absent.
pub async fn delete(db: &Db, realm_id: &str, client_scope_id: &str) -> Result<()> {
    let done = sqlx::query("DELETE FROM client_scope WHERE realm_id = $1 AND client_scope_id = $2")
        .bind(realm_id)
        .bind(client_scope_id)
        .execute(db.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    db.changed().await;
    Ok(())
}

/// A client's scopes, default ones first, each kind in name order (none for an unknown client).
pub async fn of_client(db: &Db, client_row_id: &str) -> Result<Vec<Assigned>> {
    let rows = sqlx::query(&format!(
        "SELECT {ASSIGNED_COLUMNS} FROM client_scope_assignment a, client_scope s \
         WHERE a.client_row_id = $1 AND s.client_scope_id = a.client_scope_id \
         ORDER BY a.kind, s.name"
    ))
    .bind(client_row_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(assigned_from_row)
        .collect::<std::result::Result<_, _>>()?)
}

/// The scopes of several clients, read in one query per 1000 clients, by client row id (in
/// the order of [`of_client`]); clients without scopes are absent.
pub async fn of_clients(
    db: &Db,
    client_row_ids: &[String],
) -> Result<HashMap<String, Vec<Assigned>>> {
    crate::db::by_client(
        db,
        &format!(
            "SELECT {ASSIGNED_COLUMNS} FROM client_scope_assignment a, client_scope s \
             WHERE a.client_row_id IN ({{ids}}) AND s.client_scope_id = a.client_scope_id \
             ORDER BY a.client_row_id, a.kind, s.name"
        ),
        client_row_ids,
        assigned_from_row,
        |a| &a.client_row_id,
    )
    .await
}

/// Upserts one assignment when client and scope are both in the realm; a row back means it was
/// added or its kind changed.
const ASSIGN: &str = "INSERT INTO client_scope_assignment (client_row_id, client_scope_id, kind) \
     SELECT c.client_row_id, s.client_scope_id, $4 FROM client c, client_scope s \
     WHERE c.realm_id = $1 AND c.client_row_id = $2 AND s.realm_id = $1 \
     AND s.client_scope_id = $3 \
     ON CONFLICT (client_row_id, client_scope_id) DO UPDATE SET kind = excluded.kind \
     WHERE client_scope_assignment.kind <> excluded.kind \
     RETURNING kind";

/// Makes the realm's scope one of the client's scopes of this `kind` (a scope the client has as
/// the other kind changes kind). Idempotent: `Ok(false)` when it already was.
/// [`StoreError::NotFound`] when the realm has no such client or no such scope.
pub async fn assign(
    db: &Db,
    realm_id: &str,
    client_row_id: &str,
    client_scope_id: &str,
    kind: Kind,
) -> Result<bool> {
    let changed = !sqlx::query(ASSIGN)
        .bind(realm_id)
        .bind(client_row_id)
        .bind(client_scope_id)
        .bind(kind.as_str())
        .fetch_all(db.pool())
        .await?
        .is_empty();
    if changed {
        db.changed().await;
        return Ok(true);
    }
    both_exist(db, realm_id, client_row_id, client_scope_id).await?;
    Ok(false)
}

/// Makes sure the client does not have the realm's scope as this `kind` (an assignment of the
/// other kind stays). Idempotent: `Ok(false)` when it did not.
/// [`StoreError::NotFound`] when the realm has no such client or no such scope.
pub async fn unassign(
    db: &Db,
    realm_id: &str,
    client_row_id: &str,
    client_scope_id: &str,
    kind: Kind,
) -> Result<bool> {
    let done = sqlx::query(
        "DELETE FROM client_scope_assignment \
         WHERE client_row_id = $2 AND client_scope_id = $3 AND kind = $4 \
         AND client_row_id IN (SELECT client_row_id FROM client WHERE realm_id = $1)",
    )
    .bind(realm_id)
    .bind(client_row_id)
    .bind(client_scope_id)
    .bind(kind.as_str())
    .execute(db.pool())
    .await?;
    if done.rows_affected() > 0 {
        db.changed().await;
        return Ok(true);
    }
    both_exist(db, realm_id, client_row_id, client_scope_id).await?;
    Ok(false)
}

/// [`StoreError::NotFound`] unless the realm has this client and this scope.
async fn both_exist(
    db: &Db,
    realm_id: &str,
    client_row_id: &str,
    client_scope_id: &str,
) -> Result<()> {
    let n: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM client WHERE realm_id = $1 AND client_row_id = $2) \
         + (SELECT count(*) FROM client_scope WHERE realm_id = $1 AND client_scope_id = $3)",
    )
    .bind(realm_id)
    .bind(client_row_id)
    .bind(client_scope_id)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    if n == 2 {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

/// Makes `client_scope_ids` exactly the client's scopes of this `kind`, in one transaction:
/// the others of that kind are taken away, these are added (or change kind). Ids of scopes the
/// realm does not have are skipped (the caller resolved them). Tells whether anything changed;
/// [`StoreError::NotFound`] when the realm has no such client.
pub async fn set_kind(
    db: &Db,
    realm_id: &str,
    client_row_id: &str,
    kind: Kind,
    client_scope_ids: &[String],
) -> Result<bool> {
    let mut tx = db.pool().begin().await?;
    let found: Vec<String> = sqlx::query_scalar(
        "SELECT client_row_id FROM client WHERE realm_id = $1 AND client_row_id = $2",
    )
    .bind(realm_id)
    .bind(client_row_id)
    .fetch_all(&mut *tx)
    .await?;
    if found.is_empty() {
        return Err(StoreError::NotFound);
    }
    let keep = if client_scope_ids.is_empty() {
        String::new()
    } else {
        // $1 and $2 are taken; the kept ids follow.
        let list = (3..3 + client_scope_ids.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(" AND client_scope_id NOT IN ({list})")
    };
    let sql =
        format!("DELETE FROM client_scope_assignment WHERE client_row_id = $1 AND kind = $2{keep}");
    let mut q = sqlx::query(&sql).bind(client_row_id).bind(kind.as_str());
    for id in client_scope_ids {
        q = q.bind(id.as_str());
    }
    let mut changed = q.execute(&mut *tx).await?.rows_affected() > 0;
    for id in client_scope_ids {
        let rows = sqlx::query(ASSIGN)
            .bind(realm_id)
            .bind(client_row_id)
            .bind(id.as_str())
            .bind(kind.as_str())
            .fetch_all(&mut *tx)
            .await?;
        changed |= !rows.is_empty();
    }
    tx.commit().await?;
    if changed {
        db.changed().await;
    }
    Ok(changed)
}
