//! The `admin_event` table: the append-only audit log (details never hold secret values).

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Db, Result};

/// An event to record.
#[derive(Clone, Copy, Debug)]
pub struct NewEvent<'a> {
    /// Epoch seconds.
    pub at: i64,
    /// Username of the operator (or "system").
    pub actor: &'a str,
    /// Realm concerned, if any.
    pub realm_id: Option<&'a str>,
    /// Client concerned, if any.
    pub client_row_id: Option<&'a str>,
    /// CREATE, UPDATE, DELETE or ACTION.
    pub operation: &'a str,
    /// e.g. `clients/{id}`.
    pub resource_path: &'a str,
    /// JSON text without secret values.
    pub details: &'a str,
    /// Client IP address, if known.
    pub ip: Option<&'a str>,
}

/// A recorded event.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AdminEvent {
    /// Increasing id.
    pub event_id: i64,
    /// Epoch seconds.
    pub at: i64,
    /// Who made the change.
    pub actor: String,
    /// Realm concerned, if any (the realm may since have been deleted).
    pub realm_id: Option<String>,
    /// Client concerned, if any.
    pub client_row_id: Option<String>,
    /// CREATE, UPDATE, DELETE or ACTION.
    pub operation: String,
    /// Path of the resource.
    pub resource_path: String,
    /// JSON text.
    pub details: String,
    /// Client IP address, if known.
    pub ip: Option<String>,
}

const COLUMNS: &str =
    "event_id, at, actor, realm_id, client_row_id, operation, resource_path, details, ip";

fn from_row(row: &AnyRow) -> std::result::Result<AdminEvent, sqlx::Error> {
    Ok(AdminEvent {
        event_id: row.try_get("event_id")?,
        at: row.try_get("at")?,
        actor: row.try_get("actor")?,
        realm_id: row.try_get("realm_id")?,
        client_row_id: row.try_get("client_row_id")?,
        operation: row.try_get("operation")?,
        resource_path: row.try_get("resource_path")?,
        details: row.try_get("details")?,
        ip: row.try_get("ip")?,
    })
}

/// Appends an event.
pub async fn record(db: &Db, e: &NewEvent<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO admin_event (at, actor, realm_id, client_row_id, operation, resource_path, \
         details, ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(e.at)
    .bind(e.actor)
    .bind(e.realm_id)
    .bind(e.client_row_id)
    .bind(e.operation)
    .bind(e.resource_path)
    .bind(e.details)
    .bind(e.ip)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Events newest first, of one realm or of all, skipping `first`, at most `max`.
pub async fn list(
    db: &Db,
    realm_id: Option<&str>,
    first: i64,
    max: i64,
) -> Result<Vec<AdminEvent>> {
    let (first, max) = (first.max(0), max.max(0));
    let rows = match realm_id {
        Some(realm_id) => {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM admin_event WHERE realm_id = $1 \
                 ORDER BY event_id DESC LIMIT $2 OFFSET $3"
            ))
            .bind(realm_id)
            .bind(max)
            .bind(first)
            .fetch_all(db.pool())
            .await?
        }
        None => {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM admin_event ORDER BY event_id DESC LIMIT $1 OFFSET $2"
            ))
            .bind(max)
            .bind(first)
            .fetch_all(db.pool())
            .await?
        }
    };
    Ok(rows
        .iter()
        .map(from_row)
        .collect::<std::result::Result<_, _>>()?)
}

/// Which events [`search`] returns (every set field must match).
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub realm_id: Option<String>,
    pub client_row_id: Option<String>,
    pub actor: Option<String>,
    /// Any of these operations (`CREATE`, `UPDATE`, `DELETE`, `ACTION`); empty: all.
    pub operations: Vec<String>,
    /// Keycloak's `resourcePath`: exact, or with `*` matching any run of characters.
    pub resource_path: Option<String>,
    /// Epoch seconds, inclusive.
    pub from: Option<i64>,
    /// Epoch seconds, inclusive.
    pub to: Option<i64>,
    /// The caller's address, exact.
    pub ip: Option<String>,
    /// Any of these Keycloak resource types ([`resource_type`]); empty: all.
    pub resource_types: Vec<String>,
    /// Oldest first (Keycloak's `direction=asc`); newest first otherwise.
    pub ascending: bool,
}

/// Keycloak's `ResourceType` of an event, from its resource path: `REALM` (`realms/…`,
/// `realm/…`), `CLIENT_SCOPE_CLIENT_MAPPING` (a client's `…-client-scopes/…`), `CLIENT`
/// (`clients/…`: the client, its secrets, keys and certificates, as Keycloak types them),
/// `CLIENT_SCOPE` (`client-scopes/…`), `IDENTITY_PROVIDER` (`identity-provider/…`), `CUSTOM`
/// (anything else: operators). The same rule as
/// [`RESOURCE_TYPE_SQL`], which filters by it.
pub fn resource_type(path: &str) -> &'static str {
    if path.starts_with("realms/") || path.starts_with("realm/") {
        "REALM"
    } else if path.starts_with("clients/") && path.contains("-client-scopes") {
        "CLIENT_SCOPE_CLIENT_MAPPING"
    } else if path.starts_with("clients/") {
        "CLIENT"
    } else if path.starts_with("client-scopes/") {
        "CLIENT_SCOPE"
    } else if path.starts_with("identity-provider/") {
        "IDENTITY_PROVIDER"
    } else {
        "CUSTOM"
    }
}

/// [`resource_type`] as an SQL expression over `resource_path` (the same on both backends).
pub const RESOURCE_TYPE_SQL: &str = "CASE \
    WHEN resource_path LIKE 'realms/%' OR resource_path LIKE 'realm/%' THEN 'REALM' \
    WHEN resource_path LIKE 'clients/%' AND resource_path LIKE '%-client-scopes%' \
        THEN 'CLIENT_SCOPE_CLIENT_MAPPING' \
    WHEN resource_path LIKE 'clients/%' THEN 'CLIENT' \
    WHEN resource_path LIKE 'client-scopes/%' THEN 'CLIENT_SCOPE' \
    WHEN resource_path LIKE 'identity-provider/%' THEN 'IDENTITY_PROVIDER' \
    ELSE 'CUSTOM' END";

/// Events matching `filter`, newest first, `max` from offset `first`.
pub async fn search(
    db: &Db,
    filter: &EventFilter,
    first: i64,
    max: i64,
) -> Result<Vec<AdminEvent>> {
    let mut clauses: Vec<String> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut n = 0;
    let mut text = |clauses: &mut Vec<String>, sql: &str, value: String| {
        n += 1;
        clauses.push(sql.replace('?', &format!("${n}")));
        texts.push(value);
    };
    if let Some(v) = &filter.realm_id {
        text(&mut clauses, "realm_id = ?", v.clone());
    }
    if let Some(v) = &filter.client_row_id {
        text(&mut clauses, "client_row_id = ?", v.clone());
    }
    if let Some(v) = &filter.actor {
        text(&mut clauses, "actor = ?", v.clone());
    }
    if let Some(v) = &filter.resource_path {
        // LIKE with `\` as the escape character: `*` is the only wildcard the caller has.
        let pattern = v
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
            .replace('*', "%");
        text(&mut clauses, "resource_path LIKE ? ESCAPE '\\'", pattern);
    }
    if !filter.operations.is_empty() {
        let mut alternatives = Vec::new();
        for op in &filter.operations {
            text(&mut alternatives, "operation = ?", op.clone());
        }
        clauses.push(format!("({})", alternatives.join(" OR ")));
    }
    if let Some(v) = &filter.ip {
        text(&mut clauses, "ip = ?", v.clone());
    }
    if !filter.resource_types.is_empty() {
        let mut alternatives = Vec::new();
        for t in &filter.resource_types {
            text(
                &mut alternatives,
                &format!("({RESOURCE_TYPE_SQL}) = ?"),
                t.clone(),
            );
        }
        clauses.push(format!("({})", alternatives.join(" OR ")));
    }
    let mut numbers: Vec<i64> = Vec::new();
    for (sql, value) in [("at >= ", filter.from), ("at <= ", filter.to)] {
        if let Some(v) = value {
            clauses.push(format!("{sql}${}", n + numbers.len() + 1));
            numbers.push(v);
        }
    }
    let next = n + numbers.len();
    let filter_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM admin_event {filter_sql} ORDER BY event_id {} LIMIT ${} OFFSET ${}",
        if filter.ascending { "ASC" } else { "DESC" },
        next + 1,
        next + 2
    );
    let mut query = sqlx::query(&sql);
    for t in &texts {
        query = query.bind(t.as_str());
    }
    for v in &numbers {
        query = query.bind(*v);
    }
    let rows = query
        .bind(max.clamp(0, 1000))
        .bind(first.max(0))
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .iter()
        .map(from_row)
        .collect::<std::result::Result<_, _>>()?)
}
