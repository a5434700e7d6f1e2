//! Keycloak's Admin REST API, the subset of DESIGN.md §3, for automation that already speaks it
//! (python-keycloak, scripts, CI): realms, clients as ClientRepresentation, the client secret and
//! its rotated predecessor, `certificates/jwt.credential`, the keycloak.json installation and
//! admin events. Callers are master-realm clients holding an API role, with a bearer token from
//! the master realm's token endpoint, or operators signed in to the console (their session
//! cookie, and the session's CSRF token in `X-CSRF-Token` for changes). Errors are Keycloak's JSON (`error`, `errorMessage`); the
//! real cause of a 500 goes only to the log.
//!
//! One module per resource, each with its own `router()`; this module holds what they share
//! (the error, the extractors, the caller, the realm and client look-ups) and merges them:
//! `realms`, `clients` (ClientRepresentation, the installation provider and the bootstrap
//! client), `secrets` (`client-secret` and its rotated predecessor), `certificates`, `events`,
//! `keyward` (Keyward's own model: several secrets and keys per client) and `scopes` (client
//! scopes).

mod certificates;
mod clients;
mod events;
mod identity_providers;
mod keyward;
mod realms;
mod scopes;
mod secrets;
mod webhooks;

pub use clients::bootstrap_client;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use keyward_credentials::operator::Role;
use keyward_service::{Actor, ServiceError};
use keyward_store::clients::Client;
use keyward_store::realms::{Realm, MASTER};
use keyward_store::StoreError;
use serde_json::json;

use crate::auth::ClientIp;
use crate::AppState;

/// Largest Admin REST body (JSON or multipart upload).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(realms::router())
        .merge(clients::router())
        .merge(secrets::router())
        .merge(certificates::router())
        .merge(events::router())
        .merge(keyward::router())
        .merge(scopes::router())
        .merge(identity_providers::router())
        .merge(webhooks::router())
        .route("/admin/openapi.json", get(openapi))
        // Nothing under /admin/ answers the console's HTML: an unknown path is Keycloak's 404.
        .route("/admin/{*rest}", axum::routing::any(unknown_path))
        // Last, so it covers every route above: 405 in Keycloak's JSON (axum keeps `Allow`).
        .method_not_allowed_fallback(method_not_allowed)
}

async fn method_not_allowed() -> ApiError {
    ApiError::thrown(
        StatusCode::METHOD_NOT_ALLOWED,
        "HTTP 405 Method Not Allowed",
    )
}

async fn unknown_path() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "Unable to find matching target resource method",
    )
}

/// An Admin REST error: Keycloak's JSON body.
pub struct ApiError {
    status: StatusCode,
    message: String,
    /// Keycloak answers this case with the message itself as `error` (an exception's text, as
    /// `KeycloakErrorHandler` writes it) rather than the HTTP status line.
    message_is_error: bool,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            message_is_error: false,
        }
    }
    /// An error Keycloak answers as `{"error": message}` (e.g. 404 "Realm not found."); the
    /// body carries `errorMessage` too, as every Keyward error does.
    fn thrown(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            message_is_error: true,
            ..Self::new(status, message)
        }
    }
    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }
    fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "HTTP 401 Unauthorized")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error = match self.status {
            StatusCode::UNAUTHORIZED => "HTTP 401 Unauthorized",
            StatusCode::FORBIDDEN => "HTTP 403 Forbidden",
            StatusCode::NOT_FOUND => "HTTP 404 Not Found",
            StatusCode::METHOD_NOT_ALLOWED => "HTTP 405 Method Not Allowed",
            StatusCode::NOT_ACCEPTABLE => "HTTP 406 Not Acceptable",
            StatusCode::PAYLOAD_TOO_LARGE => "HTTP 413 Payload Too Large",
            s if s.is_server_error() => "unknown_error",
            _ => "HTTP 400 Bad Request",
        };
        let error = if self.message_is_error {
            self.message.as_str()
        } else {
            error
        };
        // A conflict is Keycloak's `ErrorResponse.exists`: `errorMessage` alone (python-keycloak
        // compares the whole body to recognise "already exists").
        let body = if self.status == StatusCode::CONFLICT {
            json!({ "errorMessage": self.message })
        } else {
            json!({ "error": error, "errorMessage": self.message })
        };
        let mut res = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

/// A use case's refusal in Keycloak's words where Keycloak has them (an unknown realm or
/// client, a role too low); the use case's own message otherwise.
impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match &e {
            ServiceError::NotFound(what) if what == "Client" => {
                ApiError::thrown(StatusCode::NOT_FOUND, "Could not find client")
            }
            ServiceError::NotFound(what) if what.starts_with("Realm") => {
                ApiError::thrown(StatusCode::NOT_FOUND, "Realm not found.")
            }
            ServiceError::Forbidden => ApiError::new(StatusCode::FORBIDDEN, "HTTP 403 Forbidden"),
            _ => {
                let status =
                    StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                ApiError::new(status, e.to_string())
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("Resource"),
            StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, m),
            StoreError::Stale => ApiError::new(StatusCode::CONFLICT, e.to_string()),
            other => internal(other),
        }
    }
}

/// The answer to a body over 1 MiB (declared by Content-Length, or found while reading).
pub fn too_large() -> Response {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "the request body is larger than 1 MiB",
    )
    .into_response()
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "admin API failure");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on the server. It has been logged.",
    )
}

type ApiResult<T = Response> = Result<T, ApiError>;

/// A query string parsed with a clear 400 in Keycloak's JSON error shape (axum's own rejection
/// is plain text).
struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| ApiQuery(q))
            .map_err(|e| ApiError::bad_request(format!("malformed query: {}", e.body_text())))
    }
}

/// A JSON body parsed with a clear 400 for malformed JSON or a wrong field type.
struct Body<T>(T);

impl<T: serde::de::DeserializeOwned> axum::extract::FromRequest<AppState> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> ApiResult<Self> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "the request body is larger than 1 MiB",
                )
            })?;
        serde_json::from_slice(&bytes)
            .map(Body)
            .map_err(|e| ApiError::bad_request(format!("malformed JSON body: {e}")))
    }
}

/// The caller of the API: a master-realm client with an API role, authenticated by a bearer
/// access token the master realm issued to it (or an operator's console session). Its role is
/// read on every request, so taking the role away (or disabling the client) takes effect at
/// once. `actor` carries the same role to the use cases.
pub struct Caller {
    role: Role,
    actor: Actor,
}

impl Caller {
    fn require(&self, role: Role) -> ApiResult<()> {
        if self.role.allows(role) {
            Ok(())
        } else {
            tracing::warn!(caller = %self.actor.name, required = role.as_str(), "admin API: role too low");
            Err(ApiError::new(StatusCode::FORBIDDEN, "HTTP 403 Forbidden"))
        }
    }
}

pub use keyward_credentials::operator::api_role;

/// The header a console session sends its CSRF token in for state-changing API calls.
pub const CSRF_HEADER: &str = "x-csrf-token";

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state)
            .await
            .unwrap_or(ClientIp(None));
        let ip = ip.map(|i| i.to_string());
        let authorization = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let Some(authorization) = authorization else {
            return session_caller(parts, state, ip).await;
        };
        let token = authorization
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, rest)| rest.trim())
            .ok_or_else(ApiError::unauthorized)?;
        let (master, claims) = crate::oidc::verify_access_token(state, MASTER, token)
            .await
            .map_err(|reason| {
                tracing::info!(reason, "admin API: bearer token refused");
                ApiError::unauthorized()
            })?;
        let client = match keyward_store::clients::get_by_client_id(
            &state.ctx.db,
            &master.realm_id,
            &claims.azp,
        )
        .await
        {
            Ok(c) => c,
            Err(StoreError::NotFound) => return Err(ApiError::unauthorized()),
            Err(e) => return Err(e.into()),
        };
        if !client.enabled {
            return Err(ApiError::unauthorized());
        }
        let role = client.api_role.as_deref().and_then(api_role).ok_or_else(|| {
            tracing::warn!(client_id = %client.client_id, "admin API: the client has no API role");
            ApiError::new(StatusCode::FORBIDDEN, "HTTP 403 Forbidden")
        })?;
        Ok(Caller {
            role,
            actor: Actor {
                name: format!("client:{}", client.client_id),
                ip,
                role,
            },
        })
    }
}

/// An operator's console session (no Authorization header): the operator's role; a
/// state-changing call must also carry the session's CSRF token in [`CSRF_HEADER`].
async fn session_caller(
    parts: &mut Parts,
    state: &AppState,
    ip: Option<String>,
) -> ApiResult<Caller> {
    let session = tower_sessions::Session::from_request_parts(parts, state)
        .await
        .map_err(|_| ApiError::unauthorized())?;
    let op = keyward_service::session::signed_in(&state.ctx, &session)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let safe = matches!(
        parts.method,
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    if !safe {
        let token = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !keyward_service::session::csrf_matches(&session, token).await? {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "The security token of this page is missing or stale. Reload the page and try again.",
            ));
        }
    }
    Ok(Caller {
        role: op.role,
        actor: Actor {
            name: op.username,
            ip,
            role: op.role,
        },
    })
}

async fn realm_named(state: &AppState, name: &str) -> ApiResult<Realm> {
    keyward_store::realms::get_by_name(&state.ctx.db, name)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::thrown(StatusCode::NOT_FOUND, "Realm not found."),
            other => other.into(),
        })
}

async fn realm_and_client(state: &AppState, realm: &str, id: &str) -> ApiResult<(Realm, Client)> {
    let r = realm_named(state, realm).await?;
    let c = keyward_store::clients::get(&state.ctx.db, &r.realm_id, id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                ApiError::thrown(StatusCode::NOT_FOUND, "Could not find client")
            }
            other => other.into(),
        })?;
    Ok((r, c))
}

/// A client the caller is about to change: 404 as [`realm_and_client`], and 403 when the client
/// holds an Admin REST API role above the caller's own (the shared rule,
/// [`keyward_credentials::operator::may_change_client`], as in the console).
async fn client_to_change(
    state: &AppState,
    caller: &Caller,
    realm: &str,
    id: &str,
) -> ApiResult<(Realm, Client)> {
    let (r, c) = realm_and_client(state, realm, id).await?;
    keyward_credentials::operator::may_change_client(caller.role, c.api_role.as_deref()).map_err(
        |e| {
            tracing::warn!(caller = %caller.actor.name, client_id = %c.client_id, "admin API: {e}");
            ApiError::new(StatusCode::FORBIDDEN, e.to_string())
        },
    )?;
    Ok((r, c))
}

fn created(location: String) -> Response {
    let mut res = StatusCode::CREATED.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

fn base(state: &AppState) -> &str {
    &state.ctx.settings.public_url
}

/// The OpenAPI 3.1 description of this API (`/admin/openapi.json`, no authentication).
async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../admin_openapi.json"),
    )
        .into_response()
}
