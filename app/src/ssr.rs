//! Server-side plumbing of the console: shared context, session keys, authorisation and audit.

use std::net::SocketAddr;

use keyward_credentials::operator::Role;
use keyward_store::operators::Operator;
use keyward_store::StoreError;
use leptos::prelude::*;
use tower_sessions::Session;

use crate::error::{AppError, STALE};

pub use keyward_service::session::keys;
/// The shared services, provided as Leptos context by the server.
pub use keyward_service::{now, Actor, ClientAddr, Services, Settings};

impl From<keyward_service::ServiceError> for AppError {
    fn from(e: keyward_service::ServiceError) -> Self {
        use keyward_service::ServiceError as E;
        match e {
            E::Forbidden => AppError::Forbidden,
            E::Denied(m) => AppError::Denied(m),
            E::NotFound(m) => AppError::NotFound(m),
            E::Conflict(m) => AppError::Conflict(m),
            E::Invalid(m) => AppError::Invalid(m),
            E::Internal => AppError::Internal,
        }
    }
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

pub fn context() -> Result<Services, AppError> {
    use_context::<Services>().ok_or_else(|| internal("Services are not provided"))
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|e| internal(format!("session layer missing: {e:?}")))
}

/// The operator signed in to `session`, if the session is still valid (see
/// [`keyward_service::session::signed_in`]).
pub async fn signed_in(ctx: &Services, session: &Session) -> Result<Option<Operator>, AppError> {
    Ok(keyward_service::session::signed_in(ctx, session).await?)
}

/// This session's CSRF token (empty before sign-in), for the forms a page carries.
pub async fn session_csrf(session: &Session) -> Result<String, AppError> {
    Ok(keyward_service::session::csrf(session).await?)
}

/// Checks the CSRF token of a state-changing call against the session's.
pub async fn check_csrf(session: &Session, token: &str) -> Result<(), AppError> {
    if keyward_service::session::csrf_matches(session, token).await? {
        Ok(())
    } else {
        Err(AppError::Csrf)
    }
}

/// The first step of every server function: the caller is signed in, sent this session's CSRF
/// token (for state-changing calls: `csrf` is `Some`), and holds at least `required`.
pub async fn authorize(
    required: Role,
    csrf: Option<&str>,
) -> Result<(Services, Operator), AppError> {
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
        role: op.role,
    }
}

/// Records an admin event made by an operator in the console. `details` must never hold a
/// secret value.
pub async fn audit(
    ctx: &Services,
    actor: &Operator,
    realm_id: Option<&str>,
    client_row_id: Option<&str>,
    operation: &str,
    resource_path: &str,
    details: serde_json::Value,
) -> Result<(), AppError> {
    let actor = console_actor(actor).await;
    Ok(keyward_service::audit(
        ctx,
        &actor,
        realm_id,
        client_row_id,
        operation,
        resource_path,
        details,
    )
    .await?)
}

/// The realm named in a console URL, or a 404 naming it.
pub async fn realm_of(
    ctx: &Services,
    realm: &str,
) -> Result<keyward_store::realms::Realm, AppError> {
    keyward_store::realms::get_by_name(&ctx.db, realm)
        .await
        .map_err(not_found(format!("Realm {realm:?}")))
}

/// The realm and one of its clients (by row id), or a 404.
pub async fn realm_and_client(
    ctx: &Services,
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
    ctx: &Services,
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

/// The response header through which a server function tells the server how many items its
/// native form post made; the server turns it into the page's `__count` beside `__ok` and never
/// sends it on.
pub const COUNT_HEADER: &str = "x-keyward-count";

/// Says how many items this server function made, for the page a native form post returns to
/// ("Imported 3 keys.").
pub fn count_for_the_page(n: usize) {
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.insert_header(
            http::HeaderName::from_static(COUNT_HEADER),
            http::HeaderValue::from(n),
        );
    }
}
