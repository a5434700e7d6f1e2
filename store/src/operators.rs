//! The `operator` table: console accounts and their roles. Sign-in failures are throttled in
//! the server per (address, username), never by locking the account (so a stranger cannot
//! lock anybody out); the old `failed_logins` / `locked_until` columns are no longer read.

use keyward_credentials::operator::Role;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::FirstRow;
use crate::{Backend, Db, Result, StoreError};

/// A console operator. `Debug` never shows the password hash.
#[derive(Clone, PartialEq, Eq)]
pub struct Operator {
    /// Internal id (UUID v4).
    pub operator_id: String,
    /// Sign-in name, unique.
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// What the operator may do.
    pub role: Role,
    /// Moves on every change of password, role or enabled state: a console session started
    /// under another epoch has ended.
    pub session_epoch: i64,
    /// Disabled operators cannot sign in.
    pub disabled: bool,
    /// Epoch seconds.
    pub created_at: i64,
}

impl std::fmt::Debug for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operator")
            .field("operator_id", &self.operator_id)
            .field("username", &self.username)
            .field("password_hash", &"<redacted>")
            .field("role", &self.role)
            .field("session_epoch", &self.session_epoch)
            .field("disabled", &self.disabled)
            .field("created_at", &self.created_at)
            .finish()
    }
}

const COLUMNS: &str =
    "operator_id, username, password_hash, role, session_epoch, disabled, created_at";

fn from_row(row: &AnyRow) -> std::result::Result<Operator, sqlx::Error> {
    let role: String = row.try_get("role")?;
    let role = Role::parse(&role).ok_or_else(|| sqlx::Error::ColumnDecode {
        index: "role".into(),
        source: format!("unknown operator role {role:?}").into(),
    })?;
    Ok(Operator {
        operator_id: row.try_get("operator_id")?,
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        role,
        session_epoch: row.try_get("session_epoch")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        created_at: row.try_get("created_at")?,
    })
}

fn one(row: Option<AnyRow>) -> Result<Operator> {
    Ok(from_row(&row.ok_or(StoreError::NotFound)?)?)
}

/// Number of operators.
pub async fn count(db: &Db) -> Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM operator")
        .fetch_all(db.pool())
        .await?
        .first_row()
}

/// Creates an operator; [`StoreError::Conflict`] when the username is taken.
pub async fn create(
    db: &Db,
    username: &str,
    password_hash: &str,
    role: Role,
    now: i64,
) -> Result<Operator> {
    let row = sqlx::query(&format!(
        "INSERT INTO operator (operator_id, username, password_hash, role, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
    ))
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(username)
    .bind(password_hash)
    .bind(role.as_str())
    .bind(now)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    Ok(from_row(&row)?)
}

/// Creates an admin only while there is no operator at all; `None` when one exists.
/// Atomic: concurrent callers (several replicas) create at most one.
pub async fn create_first_admin(
    db: &Db,
    username: &str,
    password_hash: &str,
    now: i64,
) -> Result<Option<Operator>> {
    let mut tx = db.pool().begin().await?;
    if db.backend() == Backend::Postgres {
        // READ COMMITTED would let two inserts both see an empty table; this lock mode
        // conflicts with itself, so the second waits and then sees the first row.
        // (SQLite serialises writers, so the single statement below is enough there.)
        sqlx::query("LOCK TABLE operator IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
    }
    let row = sqlx::query(&format!(
        "INSERT INTO operator (operator_id, username, password_hash, role, created_at) \
         SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM operator) \
         RETURNING {COLUMNS}"
    ))
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(username)
    .bind(password_hash)
    .bind(Role::Admin.as_str())
    .bind(now)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .next();
    tx.commit().await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The operator with this id, or [`StoreError::NotFound`].
pub async fn get(db: &Db, operator_id: &str) -> Result<Operator> {
    one(sqlx::query(&format!(
        "SELECT {COLUMNS} FROM operator WHERE operator_id = $1"
    ))
    .bind(operator_id)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .next())
}

/// The operator with this username, or [`StoreError::NotFound`].
pub async fn get_by_username(db: &Db, username: &str) -> Result<Operator> {
    one(sqlx::query(&format!(
        "SELECT {COLUMNS} FROM operator WHERE username = $1"
    ))
    .bind(username)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .next())
}

/// All operators, ordered by username.
pub async fn list(db: &Db) -> Result<Vec<Operator>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM operator ORDER BY username"))
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .iter()
        .map(from_row)
        .collect::<std::result::Result<_, _>>()?)
}

/// Changes an operator's role (which ends its sessions: see [`Operator::session_epoch`]).
pub async fn set_role(db: &Db, operator_id: &str, role: Role) -> Result<Operator> {
    one(sqlx::query(&format!(
        "UPDATE operator SET role = $2, session_epoch = session_epoch + 1 \
             WHERE operator_id = $1 RETURNING {COLUMNS}"
    ))
    .bind(operator_id)
    .bind(role.as_str())
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .next())
}

/// Disables or re-enables an operator (which ends its sessions).
pub async fn set_disabled(db: &Db, operator_id: &str, disabled: bool) -> Result<Operator> {
    one(sqlx::query(&format!(
        "UPDATE operator SET disabled = $2, session_epoch = session_epoch + 1 \
             WHERE operator_id = $1 RETURNING {COLUMNS}"
    ))
    .bind(operator_id)
    .bind(i64::from(disabled))
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .next())
}

/// Replaces the password hash.
pub async fn set_password(db: &Db, operator_id: &str, password_hash: &str) -> Result<Operator> {
    one(sqlx::query(&format!(
        "UPDATE operator SET password_hash = $2, session_epoch = session_epoch + 1 \
             WHERE operator_id = $1 RETURNING {COLUMNS}"
    ))
    .bind(operator_id)
    .bind(password_hash)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .next())
}

/// Number of admins who are not disabled (the app keeps at least one).
pub async fn count_active_admins(db: &Db) -> Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM operator WHERE role = $1 AND disabled = 0")
        .bind(Role::Admin.as_str())
        .fetch_all(db.pool())
        .await?
        .first_row()
}
