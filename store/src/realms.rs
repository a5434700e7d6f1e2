//! The `realm` table: realms and the always-present "master" realm.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::FirstRow;
use crate::{Db, Result, StoreError};

/// A realm: an isolated namespace of clients.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Realm {
    /// Internal id (UUID v4).
    pub realm_id: String,
    /// URL name, unique.
    pub name: String,
    /// Title shown in the console.
    pub display_name: String,
    /// Epoch seconds.
    pub created_at: i64,
    /// Overlap offered when a client secret is regenerated, in seconds.
    pub secret_overlap_default_s: i64,
    /// Longest overlap an operator may choose, in seconds.
    pub secret_overlap_max_s: i64,
    /// Whether admins may reveal stored client secrets again (new secrets are then sealed).
    pub allow_secret_reveal: bool,
    /// A client assertion's `aud` must be exactly the issuer (the token endpoint URL is refused).
    pub strict_audience: bool,
    /// Lifetime of the access tokens the realm issues, in seconds.
    pub access_token_lifetime_s: i64,
    /// The algorithm new access tokens are signed with (ES256 or RS256).
    pub token_signing_alg: String,
    /// How the realm's secrets live and die (issue 22).
    pub lifecycle: LifecyclePolicy,
}

/// What a verified leak report does to a live secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LeakAction {
    /// Revoked at once.
    Revoke,
    /// Marked leaked, working for the realm's grace period more (then expired).
    Grace,
}

impl LeakAction {
    pub fn as_str(self) -> &'static str {
        match self {
            LeakAction::Revoke => "revoke",
            LeakAction::Grace => "grace",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "revoke" => Some(LeakAction::Revoke),
            "grace" => Some(LeakAction::Grace),
            _ => None,
        }
    }
}

/// The realm's lifetime and leak policies for its credentials (validated by the service).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LifecyclePolicy {
    /// The segment after `kw_` in new secrets; `None`: none.
    pub secret_prefix_segment: Option<String>,
    /// The longest life of a new secret, in seconds; `None`: unlimited.
    pub secret_max_lifetime_s: Option<i64>,
    /// New secrets must have an expiry.
    pub secret_must_expire: bool,
    /// The longest validity of a generated keystore's certificate, in years; `None`: unlimited.
    pub keystore_max_validity_years: Option<i64>,
    /// What a verified leak report does.
    pub leak_action: LeakAction,
    /// How long a leaked secret keeps working under [`LeakAction::Grace`], in seconds.
    pub leak_grace_s: i64,
}

impl Default for LifecyclePolicy {
    fn default() -> Self {
        LifecyclePolicy {
            secret_prefix_segment: None,
            secret_max_lifetime_s: None,
            secret_must_expire: false,
            keystore_max_validity_years: None,
            leak_action: LeakAction::Revoke,
            leak_grace_s: 86_400,
        }
    }
}

/// The realm's token-endpoint policy.
#[derive(Clone, Debug)]
pub struct TokenPolicy<'a> {
    pub strict_audience: bool,
    pub access_token_lifetime_s: i64,
    pub token_signing_alg: &'a str,
}

/// The realm's client-secret policy.
#[derive(Clone, Copy, Debug)]
pub struct SecretPolicy {
    /// Overlap offered when a secret is regenerated, in seconds.
    pub overlap_default_s: i64,
    /// Longest overlap an operator may choose, in seconds.
    pub overlap_max_s: i64,
    /// Whether admins may reveal stored secrets.
    pub allow_reveal: bool,
}

/// Name of the realm that always exists.
pub const MASTER: &str = "master";

const COLUMNS: &str = "realm_id, name, display_name, created_at, secret_overlap_default_s, \
                       secret_overlap_max_s, allow_secret_reveal, strict_audience, \
                       access_token_lifetime_s, token_signing_alg, secret_prefix_segment, \
                       secret_max_lifetime_s, secret_must_expire, keystore_max_validity_years, \
                       leak_action, leak_grace_s";

fn from_row(row: &AnyRow) -> std::result::Result<Realm, sqlx::Error> {
    Ok(Realm {
        realm_id: row.try_get("realm_id")?,
        name: row.try_get("name")?,
        display_name: row.try_get("display_name")?,
        created_at: row.try_get("created_at")?,
        secret_overlap_default_s: row.try_get("secret_overlap_default_s")?,
        secret_overlap_max_s: row.try_get("secret_overlap_max_s")?,
        allow_secret_reveal: row.try_get::<i64, _>("allow_secret_reveal")? != 0,
        strict_audience: row.try_get::<i64, _>("strict_audience")? != 0,
        access_token_lifetime_s: row.try_get("access_token_lifetime_s")?,
        token_signing_alg: row.try_get("token_signing_alg")?,
        lifecycle: LifecyclePolicy {
            secret_prefix_segment: row.try_get("secret_prefix_segment")?,
            secret_max_lifetime_s: row.try_get("secret_max_lifetime_s")?,
            secret_must_expire: row.try_get::<i64, _>("secret_must_expire")? != 0,
            keystore_max_validity_years: row.try_get("keystore_max_validity_years")?,
            leak_action: {
                let raw: String = row.try_get("leak_action")?;
                LeakAction::parse(&raw).ok_or_else(|| sqlx::Error::ColumnDecode {
                    index: "leak_action".into(),
                    source: format!("unknown leak action {raw}").into(),
                })?
            },
            leak_grace_s: row.try_get("leak_grace_s")?,
        },
    })
}

/// Creates realm "master" (display name "Keyward") if it is missing and returns it.
/// Idempotent and safe when several replicas start at once.
pub async fn ensure_master(db: &Db, now: i64) -> Result<Realm> {
    sqlx::query(
        "INSERT INTO realm (realm_id, name, display_name, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(MASTER)
    .bind("Keyward")
    .bind(now)
    .execute(db.pool())
    .await?;
    get_by_name(db, MASTER).await
}

/// All realms, ordered by name.
pub async fn list(db: &Db) -> Result<Vec<Realm>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM realm ORDER BY name"))
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .iter()
        .map(from_row)
        .collect::<std::result::Result<_, _>>()?)
}

/// The realm with this name, or [`StoreError::NotFound`].
pub async fn get_by_name(db: &Db, name: &str) -> Result<Realm> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM realm WHERE name = $1"))
        .bind(name)
        .fetch_all(db.pool())
        .await?
        .first_row()?;
    Ok(from_row(&row)?)
}

/// The realm with this id, or [`StoreError::NotFound`].
pub async fn get_by_id(db: &Db, realm_id: &str) -> Result<Realm> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM realm WHERE realm_id = $1"))
        .bind(realm_id)
        .fetch_all(db.pool())
        .await?
        .first_row()?;
    Ok(from_row(&row)?)
}

/// Creates a realm with a new UUID; [`StoreError::Conflict`] when the name is taken.
pub async fn create(db: &Db, name: &str, display_name: &str, now: i64) -> Result<Realm> {
    let row = sqlx::query(&format!(
        "INSERT INTO realm (realm_id, name, display_name, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING {COLUMNS}"
    ))
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(name)
    .bind(display_name)
    .bind(now)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    db.changed().await;
    Ok(from_row(&row)?)
}

/// Changes a realm's display name; [`StoreError::NotFound`] when there is no such realm.
pub async fn update_display_name(db: &Db, name: &str, display_name: &str) -> Result<Realm> {
    let row = sqlx::query(&format!(
        "UPDATE realm SET display_name = $2 WHERE name = $1 RETURNING {COLUMNS}"
    ))
    .bind(name)
    .bind(display_name)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    db.changed().await;
    Ok(from_row(&row)?)
}

/// Replaces a realm's token-endpoint policy; [`StoreError::NotFound`] when there is no such realm.
pub async fn update_token_policy(db: &Db, name: &str, policy: &TokenPolicy<'_>) -> Result<Realm> {
    let row = sqlx::query(&format!(
        "UPDATE realm SET strict_audience = $2, access_token_lifetime_s = $3, \
         token_signing_alg = $4 WHERE name = $1 RETURNING {COLUMNS}"
    ))
    .bind(name)
    .bind(i64::from(policy.strict_audience))
    .bind(policy.access_token_lifetime_s)
    .bind(policy.token_signing_alg)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    db.changed().await;
    Ok(from_row(&row)?)
}

/// Replaces a realm's client-secret policy; [`StoreError::NotFound`] when there is no such realm.
pub async fn update_secret_policy(db: &Db, name: &str, policy: &SecretPolicy) -> Result<Realm> {
    let row = sqlx::query(&format!(
        "UPDATE realm SET secret_overlap_default_s = $2, secret_overlap_max_s = $3, \
         allow_secret_reveal = $4 WHERE name = $1 RETURNING {COLUMNS}"
    ))
    .bind(name)
    .bind(policy.overlap_default_s)
    .bind(policy.overlap_max_s)
    .bind(i64::from(policy.allow_reveal))
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    db.changed().await;
    Ok(from_row(&row)?)
}

/// Replaces a realm's lifecycle policy; [`StoreError::NotFound`] when there is no such realm.
pub async fn update_lifecycle_policy(
    db: &Db,
    name: &str,
    policy: &LifecyclePolicy,
) -> Result<Realm> {
    let row = sqlx::query(&format!(
        "UPDATE realm SET secret_prefix_segment = $2, secret_max_lifetime_s = $3, \
         secret_must_expire = $4, keystore_max_validity_years = $5, leak_action = $6, \
         leak_grace_s = $7 WHERE name = $1 RETURNING {COLUMNS}"
    ))
    .bind(name)
    .bind(policy.secret_prefix_segment.as_deref())
    .bind(policy.secret_max_lifetime_s)
    .bind(i64::from(policy.secret_must_expire))
    .bind(policy.keystore_max_validity_years)
    .bind(policy.leak_action.as_str())
    .bind(policy.leak_grace_s)
    .fetch_all(db.pool())
    .await?
    .first_row()?;
    db.changed().await;
    Ok(from_row(&row)?)
}

/// Deletes a realm and (by cascade) its clients; [`StoreError::NotFound`] when absent.
/// The caller refuses to delete [`MASTER`].
pub async fn delete(db: &Db, name: &str) -> Result<()> {
    let done = sqlx::query("DELETE FROM realm WHERE name = $1")
        .bind(name)
        .execute(db.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    db.changed().await;
    Ok(())
}
