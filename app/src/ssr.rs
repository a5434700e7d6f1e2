//! Server-side plumbing of the console: shared context, session keys, authorisation and audit.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use keyward_credentials::operator::Role;
use keyward_credentials::secret::SecretString;
use keyward_store::operators::{self, Operator};
use keyward_store::{events, Db, StoreError};
use leptos::prelude::*;
use tower_sessions::Session;

use crate::error::{AppError, STALE};

/// Everything a server function needs, provided as Leptos context by the server.
#[derive(Clone)]
pub struct AppContext {
    pub db: Db,
    pub settings: Arc<ConsoleSettings>,
    /// The one-time setup token printed at start-up while no operator exists.
    pub setup_token: Arc<Mutex<Option<SecretString>>>,
    /// Master keys and pepper: seals client secrets, derives their verifiers.
    pub vault: Arc<crate::vault::Vault>,
    /// The safe fetcher of clients' JWKS URLs.
    pub jwks: Arc<crate::jwks::JwksFetcher>,
}

/// Console settings derived from the server's configuration.
#[derive(Clone, Debug)]
pub struct ConsoleSettings {
    /// Base URL operators and clients use, without a trailing slash.
    pub public_url: String,
    /// A session ends this many seconds after sign-in, however active.
    pub session_absolute_secs: i64,
}

/// Keys of the values Keyward keeps in an operator's session.
pub mod keys {
    pub const OPERATOR: &str = "operator_id";
    pub const CSRF: &str = "csrf";
    pub const SIGNED_IN_AT: &str = "signed_in_at";
    /// The operator's session epoch at sign-in: once it moves on (password reset, role change,
    /// disabled), the session is over.
    pub const SESSION_EPOCH: &str = "session_epoch";
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Logs an internal failure and hides it from the caller.
pub fn internal(e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "internal error in a server function");
    AppError::Internal
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound("The requested item".into()),
            StoreError::Conflict(msg) => AppError::Conflict(msg.to_string()),
            StoreError::Stale => AppError::Conflict(STALE.into()),
            other => internal(other),
        }
    }
}

/// Maps a store `NotFound` to a message naming what was missing.
pub fn not_found(what: impl Into<String>) -> impl FnOnce(StoreError) -> AppError {
    let what = what.into();
    move |e| match e {
        StoreError::NotFound => AppError::NotFound(what),
        other => other.into(),
    }
}

pub fn context() -> Result<AppContext, AppError> {
    use_context::<AppContext>().ok_or_else(|| internal("AppContext is not provided"))
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|e| internal(format!("session layer missing: {e:?}")))
}

/// The operator signed in to `session`, if the session is still valid: not past its absolute
/// lifetime, the operator still exists and is enabled, and its password, role and enabled
/// state have not changed since the sign-in (its session epoch). An invalid session is emptied.
pub async fn signed_in(ctx: &AppContext, session: &Session) -> Result<Option<Operator>, AppError> {
    let Some(id) = session
        .get::<String>(keys::OPERATOR)
        .await
        .map_err(internal)?
    else {
        return Ok(None);
    };
    let at = session
        .get::<i64>(keys::SIGNED_IN_AT)
        .await
        .map_err(internal)?
        .unwrap_or(0);
    if now() - at >= ctx.settings.session_absolute_secs {
        session.flush().await.map_err(internal)?;
        return Ok(None);
    }
    let epoch = session
        .get::<i64>(keys::SESSION_EPOCH)
        .await
        .map_err(internal)?
        .unwrap_or(0);
    match operators::get(&ctx.db, &id).await {
        Ok(op) if !op.disabled && op.session_epoch == epoch => Ok(Some(op)),
        Ok(_) | Err(StoreError::NotFound) => {
            session.flush().await.map_err(internal)?;
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// This session's CSRF token (empty before sign-in), for the forms a page carries.
pub async fn session_csrf(session: &Session) -> Result<String, AppError> {
    Ok(session
        .get::<String>(keys::CSRF)
        .await
        .map_err(internal)?
        .unwrap_or_default())
}

/// Checks the CSRF token of a state-changing call against the session's.
pub async fn check_csrf(session: &Session, token: &str) -> Result<(), AppError> {
    let expected = session.get::<String>(keys::CSRF).await.map_err(internal)?;
    match expected.map(SecretString::new) {
        Some(expected) if !token.is_empty() && expected.ct_eq(token) => Ok(()),
        _ => Err(AppError::Csrf),
    }
}

/// The first step of every server function: the caller is signed in, sent this session's CSRF
/// token (for state-changing calls: `csrf` is `Some`), and holds at least `required`.
pub async fn authorize(
    required: Role,
    csrf: Option<&str>,
) -> Result<(AppContext, Operator), AppError> {
    let ctx = context()?;
    let session = session().await?;
    let op = signed_in(&ctx, &session)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if let Some(token) = csrf {
        check_csrf(&session, token).await?;
    }
    if !op.role.allows(required) {
        tracing::warn!(operator = %op.username, role = op.role.as_str(), required = required.as_str(), "refused: role too low");
        return Err(AppError::Forbidden);
    }
    Ok((ctx, op))
}

/// Who made a change, for the audit log: an operator in the console, or an API client.
#[derive(Clone, Debug)]
pub struct Actor {
    /// The operator's username, or `client:{client_id}` for an Admin REST API client.
    pub name: String,
    /// The caller's address, when known.
    pub ip: Option<String>,
}

/// The caller's address, put in every request's extensions by the server: the TCP peer, or,
/// behind a trusted proxy, the address its forwarding header names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);

/// The operator of the current console request, with its address.
pub async fn console_actor(op: &Operator) -> Actor {
    let ip = match leptos_axum::extract::<axum::Extension<ClientAddr>>().await {
        Ok(axum::Extension(ClientAddr(ip))) => Some(ip.to_string()),
        Err(_) => leptos_axum::extract::<axum::extract::ConnectInfo<SocketAddr>>()
            .await
            .ok()
            .map(|c| c.0.ip().to_string()),
    };
    Actor {
        name: op.username.clone(),
        ip,
    }
}

/// Records an admin event made by an operator in the console. `details` must never hold a
/// secret value.
pub async fn audit(
    ctx: &AppContext,
    actor: &Operator,
    realm_id: Option<&str>,
    client_row_id: Option<&str>,
    operation: &str,
    resource_path: &str,
    details: serde_json::Value,
) -> Result<(), AppError> {
    let actor = console_actor(actor).await;
    audit_as(
        ctx,
        &actor,
        realm_id,
        client_row_id,
        operation,
        resource_path,
        details,
    )
    .await
}

/// Records an admin event. `details` must never hold a secret value.
pub async fn audit_as(
    ctx: &AppContext,
    actor: &Actor,
    realm_id: Option<&str>,
    client_row_id: Option<&str>,
    operation: &str,
    resource_path: &str,
    details: serde_json::Value,
) -> Result<(), AppError> {
    let details = details.to_string();
    events::record(
        &ctx.db,
        &events::NewEvent {
            at: now(),
            actor: &actor.name,
            realm_id,
            client_row_id,
            operation,
            resource_path,
            details: &details,
            ip: actor.ip.as_deref(),
        },
    )
    .await?;
    Ok(())
}

/// The realm named in a console URL, or a 404 naming it.
pub async fn realm_of(
    ctx: &AppContext,
    realm: &str,
) -> Result<keyward_store::realms::Realm, AppError> {
    keyward_store::realms::get_by_name(&ctx.db, realm)
        .await
        .map_err(not_found(format!("Realm {realm:?}")))
}

/// The realm and one of its clients (by row id), or a 404.
pub async fn realm_and_client(
    ctx: &AppContext,
    realm: &str,
    id: &str,
) -> Result<(keyward_store::realms::Realm, keyward_store::clients::Client), AppError> {
    let r = realm_of(ctx, realm).await?;
    let c = keyward_store::clients::get(&ctx.db, &r.realm_id, id)
        .await
        .map_err(not_found("Client"))?;
    Ok((r, c))
}

/// A client the operator is about to change: the realm and the client, or a 404; a 403 when the
/// client holds an Admin REST API role above the operator's own (the shared rule,
/// [`keyward_credentials::operator::may_change_client`]).
pub async fn client_to_change(
    ctx: &AppContext,
    op: &Operator,
    realm: &str,
    id: &str,
) -> Result<(keyward_store::realms::Realm, keyward_store::clients::Client), AppError> {
    let (r, c) = realm_and_client(ctx, realm, id).await?;
    guard_client(op, &c)?;
    Ok((r, c))
}

/// [`keyward_credentials::operator::may_change_client`] for an operator, as an [`AppError`].
pub fn guard_client(op: &Operator, c: &keyward_store::clients::Client) -> Result<(), AppError> {
    keyward_credentials::operator::may_change_client(op.role, c.api_role.as_deref()).map_err(|e| {
        tracing::warn!(operator = %op.username, client_id = %c.client_id, "refused: {e}");
        AppError::Denied(e.to_string())
    })
}
