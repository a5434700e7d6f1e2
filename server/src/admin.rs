//! Keycloak's Admin REST API, the subset of DESIGN.md §3, for automation that already speaks it
//! (python-keycloak, scripts, CI): realms, clients as ClientRepresentation, the client secret and
//! its rotated predecessor, `certificates/jwt.credential`, the keycloak.json installation and
//! admin events. Callers are master-realm clients holding an API role, with a bearer token from
//! the master realm's token endpoint, or operators signed in to the console (their session
//! cookie, and the session's CSRF token in `X-CSRF-Token` for changes). Errors are Keycloak's JSON (`error`, `errorMessage`); the
//! real cause of a 500 goes only to the log.

use std::collections::BTreeMap;

use axum::extract::{FromRequestParts, Multipart, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use keyward_credentials::keys::generate::{KeyAlgorithm, KeystoreFormat};
use keyward_credentials::keys::KeyFormat;
use keyward_credentials::operator::Role;
use keyward_credentials::secret::SecretString;
use keyward_service::clients::keycloak_json;
use keyward_service::keys::{
    apply_jwks_url, generate_and_register, import, AlreadyRegistered, KeystoreSpec,
};
use keyward_service::{audit as audit_as, Actor, ServiceError};
use keyward_store::clients::{self, Client, ClientUpdate, NewClient};
use keyward_store::realms::{self, Realm, MASTER};
use keyward_store::{events, keys, secrets, StoreError};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::ClientIp;
use crate::AppState;

/// Largest Admin REST body (JSON or multipart upload).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub fn router() -> Router<AppState> {
    let client = "/admin/realms/{realm}/clients/{id}";
    let cert = "/admin/realms/{realm}/clients/{id}/certificates/{attr}";
    Router::new()
        .route("/admin/realms", get(list_realms).post(create_realm))
        .route(
            "/admin/realms/{realm}",
            get(get_realm).put(update_realm).delete(delete_realm),
        )
        .route(
            "/admin/realms/{realm}/clients",
            get(list_clients).post(create_client),
        )
        .route(
            client,
            get(get_client).put(update_client).delete(delete_client),
        )
        .route(
            &format!("{client}/client-secret"),
            get(get_secret).post(regenerate_secret),
        )
        .route(
            &format!("{client}/client-secret/rotated"),
            get(get_rotated).delete(invalidate_rotated),
        )
        .route(cert, get(get_certificate))
        .route(&format!("{cert}/generate"), post(generate_certificate))
        .route(
            &format!("{cert}/generate-and-download"),
            post(generate_and_download),
        )
        .route(&format!("{cert}/download"), post(download))
        .route(&format!("{cert}/upload"), post(upload))
        .route(&format!("{cert}/upload-certificate"), post(upload))
        .route(
            &format!("{client}/installation/providers/{{provider}}"),
            get(installation),
        )
        .route("/admin/realms/{realm}/admin-events", get(admin_events))
        .route(
            &format!("{client}/secrets"),
            get(list_secrets).post(add_secret),
        )
        .route(
            &format!("{client}/secrets/{{secret_id}}"),
            axum::routing::delete(revoke_secret),
        )
        .route(&format!("{client}/keys"), get(list_keys))
        .route(
            &format!("{client}/keys/{{key_id}}"),
            axum::routing::put(set_key_active).delete(delete_key),
        )
        .route("/admin/openapi.json", get(openapi))
        // Nothing under /admin/ answers the console's HTML: an unknown path is Keycloak's 404.
        .route("/admin/{*rest}", axum::routing::any(unknown_path))
        .merge(crate::admin_scopes::router())
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
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            message_is_error: false,
        }
    }
    /// An error Keycloak answers as `{"error": message}` (e.g. 404 "Realm not found."); the
    /// body carries `errorMessage` too, as every Keyward error does.
    pub(crate) fn thrown(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            message_is_error: true,
            ..Self::new(status, message)
        }
    }
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
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

pub(crate) type ApiResult<T = Response> = Result<T, ApiError>;

/// A query string parsed with a clear 400 in Keycloak's JSON error shape (axum's own rejection
/// is plain text).
pub(crate) struct ApiQuery<T>(pub T);

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
pub(crate) struct Body<T>(pub(crate) T);

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
    pub(crate) role: Role,
    pub(crate) actor: Actor,
}

impl Caller {
    pub(crate) fn require(&self, role: Role) -> ApiResult<()> {
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
        let client =
            match clients::get_by_client_id(&state.ctx.db, &master.realm_id, &claims.azp).await {
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

pub(crate) async fn realm_named(state: &AppState, name: &str) -> ApiResult<Realm> {
    realms::get_by_name(&state.ctx.db, name)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::thrown(StatusCode::NOT_FOUND, "Realm not found."),
            other => other.into(),
        })
}

pub(crate) async fn realm_and_client(
    state: &AppState,
    realm: &str,
    id: &str,
) -> ApiResult<(Realm, Client)> {
    let r = realm_named(state, realm).await?;
    let c = clients::get(&state.ctx.db, &r.realm_id, id)
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
pub(crate) async fn client_to_change(
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

pub(crate) fn created(location: String) -> Response {
    let mut res = StatusCode::CREATED.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

pub(crate) fn base(state: &AppState) -> &str {
    &state.ctx.settings.public_url
}

// ---------------------------------------------------------------------------------------------
// Realms

fn realm_rep(r: &Realm) -> Value {
    json!({
        "id": r.realm_id,
        "realm": r.name,
        "displayName": r.display_name,
        "notBefore": 0,
        "defaultSignatureAlgorithm": r.token_signing_alg,
        "accessTokenLifespan": r.access_token_lifetime_s,
        "enabled": true,
        "sslRequired": "external",
        // Keyward always records admin events, with their representations.
        "adminEventsEnabled": true,
        "adminEventsDetailsEnabled": true,
        "attributes": {},
    })
}

async fn list_realms(State(state): State<AppState>, caller: Caller) -> ApiResult {
    caller.require(Role::Viewer)?;
    let all = realms::list(&state.ctx.db).await?;
    Ok(Json(all.iter().map(realm_rep).collect::<Vec<_>>()).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RealmRep {
    id: Option<String>,
    realm: Option<String>,
    display_name: Option<String>,
    enabled: Option<bool>,
    access_token_lifespan: Option<i64>,
    default_signature_algorithm: Option<String>,
}

impl RealmRep {
    /// The token-policy change the representation asks for (Keycloak's names).
    fn token_policy(&self) -> keyward_service::realms::TokenPolicyChange {
        keyward_service::realms::TokenPolicyChange {
            signing_alg: self.default_signature_algorithm.clone(),
            access_token_lifetime_s: self.access_token_lifespan,
            strict_audience: None,
        }
    }
}

async fn create_realm(
    State(state): State<AppState>,
    caller: Caller,
    Body(rep): Body<RealmRep>,
) -> ApiResult {
    caller.require(Role::Admin)?;
    let name = keyward_credentials::names::realm_name(rep.realm.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    if rep.enabled == Some(false) {
        return Err(ApiError::bad_request(
            "Keyward realms are always enabled: leave enabled out or true",
        ));
    }
    let display = rep.display_name.clone().unwrap_or_default();
    let display = keyward_credentials::names::text("displayName", &display, 255, false)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    // Checked before anything is written (against master: only the values' ranges matter).
    keyward_service::realms::validate_token_policy(
        &realm_named(&state, MASTER).await?,
        &rep.token_policy(),
    )?;
    let r = realms::create(&state.ctx.db, &name, &display, crate::now())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                ApiError::new(StatusCode::CONFLICT, format!("Realm {name} already exists"))
            }
            other => other.into(),
        })?;
    audit_as(
        &state.ctx,
        &caller.actor,
        Some(&r.realm_id),
        None,
        "CREATE",
        &format!("realms/{}", r.name),
        json!({ "realm": r.name, "displayName": r.display_name }),
    )
    .await?;
    keyward_service::realms::update_token_policy(
        &state.ctx,
        &caller.actor,
        &r.name,
        &rep.token_policy(),
    )
    .await?;
    Ok(created(format!("{}/admin/realms/{}", base(&state), r.name)))
}

async fn get_realm(
    State(state): State<AppState>,
    caller: Caller,
    Path(realm): Path<String>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    Ok(Json(realm_rep(&realm_named(&state, &realm).await?)).into_response())
}

async fn update_realm(
    State(state): State<AppState>,
    caller: Caller,
    Path(realm): Path<String>,
    Body(rep): Body<RealmRep>,
) -> ApiResult {
    caller.require(Role::Admin)?;
    let r = realm_named(&state, &realm).await?;
    if rep.realm.as_deref().is_some_and(|n| n != r.name)
        || rep.id.as_deref().is_some_and(|i| i != r.realm_id)
    {
        return Err(ApiError::bad_request(
            "a realm's name and id cannot be changed",
        ));
    }
    if rep.enabled == Some(false) {
        return Err(ApiError::bad_request("Keyward realms cannot be disabled"));
    }
    keyward_service::realms::validate_token_policy(&r, &rep.token_policy())?;
    if let Some(display) = &rep.display_name {
        let display = keyward_credentials::names::text("displayName", display, 255, false)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        realms::update_display_name(&state.ctx.db, &r.name, &display).await?;
        audit_as(
            &state.ctx,
            &caller.actor,
            Some(&r.realm_id),
            None,
            "UPDATE",
            &format!("realms/{}", r.name),
            json!({ "displayName": display }),
        )
        .await?;
    }
    keyward_service::realms::update_token_policy(
        &state.ctx,
        &caller.actor,
        &r.name,
        &rep.token_policy(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete_realm(
    State(state): State<AppState>,
    caller: Caller,
    Path(realm): Path<String>,
) -> ApiResult {
    caller.require(Role::Admin)?;
    let r = realm_named(&state, &realm).await?;
    if r.name == MASTER {
        return Err(ApiError::bad_request(
            "Can't remove master realm: the master realm cannot be deleted",
        ));
    }
    realms::delete(&state.ctx.db, &r.name).await?;
    audit_as(
        &state.ctx,
        &caller.actor,
        None,
        None,
        "DELETE",
        &format!("realms/{}", r.name),
        json!({ "realm": r.name }),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---------------------------------------------------------------------------------------------
// Clients

/// The current secret of a client: the newest valid one. `secrets::list` is newest first, with
/// the store's per-client creation counter ordering secrets made within the same second.
fn current_secret(all: &[secrets::ClientSecret], now: i64) -> Option<&secrets::ClientSecret> {
    all.iter()
        .find(|s| s.revoked_at.is_none() && s.expires_at.is_none_or(|t| t > now))
}

/// ClientRepresentations of `found`, in its order, read with four queries whatever their
/// number (keys, JWKS settings, secrets and client scopes of all of them at once).
async fn client_reps(state: &AppState, caller: &Caller, found: &[Client]) -> ApiResult<Vec<Value>> {
    let db = &state.ctx.db;
    let ids: Vec<String> = found.iter().map(|c| c.client_row_id.clone()).collect();
    let mut all_jwks = keys::jwks_for_clients(db, &ids).await?;
    let mut all_keys = keys::list_for_clients(db, &ids).await?;
    let mut all_secrets = secrets::list_for_clients(db, &ids).await?;
    let mut all_scopes = crate::admin_scopes::names_for_clients(state, &ids).await?;
    let now = crate::now();
    Ok(found
        .iter()
        .map(|c| {
            let mut rep = client_rep_of(
                c,
                all_jwks.remove(&c.client_row_id),
                &all_keys.remove(&c.client_row_id).unwrap_or_default(),
                &all_secrets.remove(&c.client_row_id).unwrap_or_default(),
                now,
            );
            crate::admin_scopes::add_to_rep(&mut rep, all_scopes.remove(&c.client_row_id));
            // What the caller may do with it, as Keycloak's `access`: changing it follows the
            // one privilege rule (a client holding a higher API role is read-only).
            let manage = caller.role.allows(Role::Manager)
                && keyward_credentials::operator::may_change_client(
                    caller.role,
                    c.api_role.as_deref(),
                )
                .is_ok();
            rep["access"] = json!({ "view": true, "configure": manage, "manage": manage });
            rep
        })
        .collect())
}

async fn client_rep(state: &AppState, caller: &Caller, c: &Client) -> ApiResult<Value> {
    let mut reps = client_reps(state, caller, std::slice::from_ref(c)).await?;
    Ok(reps.pop().unwrap_or_default())
}

/// A client's ClientRepresentation from what the store holds for it.
fn client_rep_of(
    c: &Client,
    jwks: Option<keys::ClientJwks>,
    keys: &[keys::ClientKey],
    secrets: &[secrets::ClientSecret],
    now: i64,
) -> Value {
    let mut attributes = BTreeMap::<&str, String>::new();
    if let Some(alg) = &c.signing_alg {
        attributes.insert("token.endpoint.auth.signing.alg", alg.clone());
    }
    attributes.insert(
        "token.endpoint.auth.signing.max.exp",
        c.assertion_max_exp_s.to_string(),
    );
    let use_url = jwks.as_ref().is_some_and(|j| j.use_jwks_url);
    attributes.insert("use.jwks.url", use_url.to_string());
    if let Some(url) = jwks.map(|j| j.jwks_url).filter(|u| !u.is_empty()) {
        attributes.insert("jwks.url", url);
    }
    if let Some(cert) = active_certificate(keys) {
        attributes.insert("jwt.credential.certificate", STANDARD.encode(cert));
    }
    // A newest key registered without a certificate (public key PEM, JWK): Keycloak's
    // attributes for a bare public key.
    if let Some(k) = newest_active(keys).filter(|k| k.certificate_der.is_none()) {
        attributes.insert("jwt.credential.public.key", STANDARD.encode(&k.spki_der));
        if let Some(kid) = &k.kid {
            attributes.insert("jwt.credential.kid", kid.clone());
        }
    }
    if let Some(s) = current_secret(secrets, now) {
        attributes.insert("client.secret.creation.time", s.created_at.to_string());
        if let Some(t) = s.expires_at {
            attributes.insert("client.secret.expiration.time", t.to_string());
        }
    }
    attributes.insert(RFC9068_ATTRIBUTE, c.rfc9068_header.to_string());
    attributes.insert("realm_client", "false".into());
    // Keycloak's fields for what Keyward does not model, with the values that describe a
    // Keyward client (scripts read e.g. `redirectUris` without checking it is there).
    let mut rep = json!({
        "id": c.client_row_id,
        "clientId": c.client_id,
        "surrogateAuthRequired": false,
        "enabled": c.enabled,
        "alwaysDisplayInConsole": false,
        "clientAuthenticatorType": c.authenticator,
        "redirectUris": [],
        "webOrigins": [],
        "notBefore": 0,
        "bearerOnly": false,
        "consentRequired": false,
        "standardFlowEnabled": false,
        "implicitFlowEnabled": false,
        "directAccessGrantsEnabled": false,
        "serviceAccountsEnabled": !c.public_client,
        "publicClient": c.public_client,
        "frontchannelLogout": false,
        "protocol": "openid-connect",
        "attributes": attributes,
        "authenticationFlowBindingOverrides": {},
        "fullScopeAllowed": true,
        "nodeReRegistrationTimeout": -1,
    });
    // As Keycloak: a name or description that is not set is left out.
    if !c.name.is_empty() {
        rep["name"] = json!(c.name);
    }
    if !c.description.is_empty() {
        rep["description"] = json!(c.description);
    }
    rep
}

/// The client's newest active key (the one Keycloak's single-key model would hold).
fn newest_active(all: &[keys::ClientKey]) -> Option<&keys::ClientKey> {
    all.iter()
        .filter(|k| k.active)
        .max_by_key(|k| (k.created_at, k.created_seq))
}

/// The newest active certificate among a client's registered keys (DER).
fn active_certificate(all: &[keys::ClientKey]) -> Option<&[u8]> {
    all.iter()
        .filter(|k| k.active)
        .filter_map(|k| k.certificate_der.as_deref().map(|d| (k.created_at, d)))
        .max_by_key(|(at, _)| *at)
        .map(|(_, d)| d)
}

#[derive(Deserialize)]
struct ClientQuery {
    #[serde(rename = "clientId")]
    client_id: Option<String>,
    first: Option<i64>,
    max: Option<i64>,
    search: Option<bool>,
}

async fn list_clients(
    State(state): State<AppState>,
    caller: Caller,
    Path(realm): Path<String>,
    ApiQuery(q): ApiQuery<ClientQuery>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let r = realm_named(&state, &realm).await?;
    // As Keycloak: without `max`, every client (its tooling lists them all that way).
    let (first, max) = (q.first.unwrap_or(0), q.max.unwrap_or(i64::MAX).max(0));
    let found: Vec<Client> = match (&q.client_id, q.search.unwrap_or(false)) {
        (Some(id), false) => {
            match clients::get_by_client_id(&state.ctx.db, &r.realm_id, id).await {
                Ok(c) if first == 0 && max > 0 => vec![c],
                Ok(_) | Err(StoreError::NotFound) => Vec::new(),
                Err(e) => return Err(e.into()),
            }
        }
        (term, _) => {
            clients::list(&state.ctx.db, &r.realm_id, term.as_deref(), first, max)
                .await?
                .items
        }
    };
    Ok(Json(client_reps(&state, &caller, &found).await?).into_response())
}

/// ClientRepresentation as Keyward reads it: fields absent stay unchanged (PUT) or take their
/// defaults (POST); fields Keyward does not model are ignored, wrong types are refused.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClientRep {
    id: Option<String>,
    client_id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
    public_client: Option<bool>,
    client_authenticator_type: Option<String>,
    secret: Option<String>,
    attributes: Option<BTreeMap<String, String>>,
    service_accounts_enabled: Option<bool>,
    bearer_only: Option<bool>,
    /// Names of the client's default and optional client scopes (see `admin_scopes`).
    default_client_scopes: Option<Vec<String>>,
    optional_client_scopes: Option<Vec<String>>,
}

impl ClientRep {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.as_ref()?.get(name).map(String::as_str)
    }

    /// Refuses what Keyward cannot honour and must not silently ignore: a client meant to be
    /// unable to get tokens (`bearerOnly`, or a confidential client without a service account)
    /// would otherwise stay a token-issuing client.
    fn check_flows(&self, public_client: bool) -> ApiResult<()> {
        if self.bearer_only == Some(true) {
            return Err(ApiError::bad_request(
                "bearerOnly clients are not supported: every Keyward client gets tokens with its credentials (make it public to take that away)",
            ));
        }
        if self.service_accounts_enabled == Some(false) && !public_client {
            return Err(ApiError::bad_request(
                "serviceAccountsEnabled cannot be false for a confidential client: Keyward clients get tokens by client_credentials (make it public instead)",
            ));
        }
        if self.service_accounts_enabled == Some(true) && public_client {
            return Err(ApiError::bad_request(
                "a public client has no service account: serviceAccountsEnabled must be false or left out",
            ));
        }
        Ok(())
    }
}

async fn create_client(
    State(state): State<AppState>,
    caller: Caller,
    Path(realm): Path<String>,
    Body(rep): Body<ClientRep>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    let r = realm_named(&state, &realm).await?;
    let client_id = keyward_credentials::names::client_id(rep.client_id.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let name = text("name", rep.name.as_deref().unwrap_or(""), 255)?;
    let description = text(
        "description",
        rep.description.as_deref().unwrap_or(""),
        1000,
    )?;
    if rep.secret.is_some() {
        return Err(ApiError::bad_request(
            "Keyward generates client secrets: leave secret out and POST .../client-secret",
        ));
    }
    rep.check_flows(rep.public_client.unwrap_or(false))?;
    let scopes = crate::admin_scopes::plan(
        &state,
        &r,
        rep.default_client_scopes.as_deref(),
        rep.optional_client_scopes.as_deref(),
    )
    .await?;
    let c = clients::create(
        &state.ctx.db,
        &r.realm_id,
        &NewClient {
            client_id: &client_id,
            name: &name,
            description: &description,
            enabled: rep.enabled.unwrap_or(true),
            public_client: rep.public_client.unwrap_or(false),
        },
        crate::now(),
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => ApiError::new(
            StatusCode::CONFLICT,
            format!("Client {client_id} already exists"),
        ),
        other => other.into(),
    })?;
    // The attributes are checked against the new client; a refusal removes it again.
    let planned = match plan(&state, &c, &rep, c.public_client).await {
        Ok(p) => p,
        Err(e) => {
            clients::delete(&state.ctx.db, &r.realm_id, &c.client_row_id).await?;
            return Err(e);
        }
    };
    audit_as(
        &state.ctx,
        &caller.actor,
        Some(&r.realm_id),
        Some(&c.client_row_id),
        "CREATE",
        &format!("clients/{}", c.client_row_id),
        json!({ "clientId": c.client_id, "publicClient": c.public_client }),
    )
    .await?;
    let c = apply(&state, &caller, &r, c, planned).await?;
    crate::admin_scopes::apply(&state, &caller, &r, &c, scopes).await?;
    Ok(created(format!(
        "{}/admin/realms/{}/clients/{}",
        base(&state),
        r.name,
        c.client_row_id
    )))
}

fn text(field: &str, value: &str, max: usize) -> ApiResult<String> {
    keyward_credentials::names::text(field, value, max, false)
        .map_err(|e| ApiError::bad_request(e.to_string()))
}

/// What a representation asks to change about a client's authentication and key source,
/// validated before anything is written.
struct Plan {
    /// The authentication change, validated.
    authentication: Option<keyward_service::clients::AuthenticationChange>,
    /// (use the JWKS URL, the URL).
    jwks: Option<(bool, String)>,
    /// Access tokens with header `typ: at+jwt` (`access.token.header.type.rfc9068`).
    rfc9068_header: Option<bool>,
}

/// The name of Keycloak's client attribute that switches the access-token header to RFC 9068's.
const RFC9068_ATTRIBUTE: &str = "access.token.header.type.rfc9068";

/// Validates what `rep` asks of client `c` (as it will be: `public_client` after the update)
/// with the same rules and messages as the console (`keyward_service::clients`).
async fn plan(
    state: &AppState,
    c: &Client,
    rep: &ClientRep,
    public_client: bool,
) -> ApiResult<Plan> {
    use keyward_service::clients::{
        parse_assertion_lifetime, validate_authentication, AuthenticationChange,
    };
    let change = AuthenticationChange {
        method: rep.client_authenticator_type.clone(),
        signing_alg: rep
            .attribute("token.endpoint.auth.signing.alg")
            .map(|a| Some(a.to_owned()).filter(|a| !a.is_empty())),
        assertion_max_exp_s: rep
            .attribute("token.endpoint.auth.signing.max.exp")
            .map(parse_assertion_lifetime)
            .transpose()?,
        expected_version: None,
    };
    let as_it_will_be = Client {
        public_client,
        ..c.clone()
    };
    let authentication = validate_authentication(&as_it_will_be, &change)?.map(|_| change);
    let use_url = rep.attribute("use.jwks.url");
    let url = rep.attribute("jwks.url");
    let jwks = if use_url.is_none() && url.is_none() {
        None
    } else {
        let current = keys::jwks(&state.ctx.db, &c.client_row_id).await?;
        let use_url = match use_url {
            None => current.as_ref().is_some_and(|j| j.use_jwks_url),
            Some("true") => true,
            Some("false") => false,
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "use.jwks.url must be \"true\" or \"false\", not {other:?}"
                )))
            }
        };
        let url = match url {
            Some(u) => u.trim().to_owned(),
            None => current.map(|j| j.jwks_url).unwrap_or_default(),
        };
        let url = keyward_service::keys::validate_jwks_url(&state.ctx, use_url, &url)?;
        Some((use_url, url))
    };
    let rfc9068_header = match rep.attribute(RFC9068_ATTRIBUTE) {
        None => None,
        Some("true") => Some(true),
        Some("false") | Some("") => Some(false),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "{RFC9068_ATTRIBUTE} must be \"true\" or \"false\", not {other:?}"
            )))
        }
    };
    Ok(Plan {
        authentication,
        jwks,
        rfc9068_header,
    })
}

/// Writes a validated [`Plan`] and audits it.
async fn apply(
    state: &AppState,
    caller: &Caller,
    r: &Realm,
    c: Client,
    plan: Plan,
) -> ApiResult<Client> {
    let mut c = c;
    if let Some(change) = plan.authentication {
        c = keyward_service::clients::set_authentication(
            &state.ctx,
            &caller.actor,
            &r.name,
            &c.client_row_id,
            &change,
        )
        .await?;
    }
    if let Some((use_url, url)) = plan.jwks {
        apply_jwks_url(&state.ctx, &caller.actor, r, &c, use_url, &url).await?;
    }
    if let Some(on) = plan.rfc9068_header.filter(|on| *on != c.rfc9068_header) {
        c = clients::set_rfc9068_header(
            &state.ctx.db,
            &r.realm_id,
            &c.client_row_id,
            on,
            crate::now(),
        )
        .await?;
        audit_as(
            &state.ctx,
            &caller.actor,
            Some(&r.realm_id),
            Some(&c.client_row_id),
            "UPDATE",
            &format!("clients/{}", c.client_row_id),
            json!({ RFC9068_ATTRIBUTE: on.to_string() }),
        )
        .await?;
    }
    Ok(c)
}

async fn get_client(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let (_, c) = realm_and_client(&state, &realm, &id).await?;
    Ok(Json(client_rep(&state, &caller, &c).await?).into_response())
}

async fn update_client(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id)): Path<(String, String)>,
    Body(rep): Body<ClientRep>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    let (r, c) = client_to_change(&state, &caller, &realm, &id).await?;
    if rep.id.as_deref().is_some_and(|i| i != c.client_row_id) {
        return Err(ApiError::bad_request("a client's id cannot be changed"));
    }
    if rep.client_id.as_deref().is_some_and(|i| i != c.client_id) {
        return Err(ApiError::bad_request(
            "Keyward does not rename clients: clientId must stay the same",
        ));
    }
    if rep.secret.is_some() {
        return Err(ApiError::bad_request(
            "Keyward generates client secrets: POST .../client-secret",
        ));
    }
    let name = match &rep.name {
        Some(n) => text("name", n, 255)?,
        None => c.name.clone(),
    };
    let description = match &rep.description {
        Some(d) => text("description", d, 1000)?,
        None => c.description.clone(),
    };
    let update = ClientUpdate {
        name: &name,
        description: &description,
        enabled: rep.enabled.unwrap_or(c.enabled),
        public_client: rep.public_client.unwrap_or(c.public_client),
    };
    rep.check_flows(update.public_client)?;
    let planned = plan(&state, &c, &rep, update.public_client).await?;
    let scopes = crate::admin_scopes::plan(
        &state,
        &r,
        rep.default_client_scopes.as_deref(),
        rep.optional_client_scopes.as_deref(),
    )
    .await?;
    let changed = update.name != c.name
        || update.description != c.description
        || update.enabled != c.enabled
        || update.public_client != c.public_client;
    let c = if changed {
        let updated = clients::update(
            &state.ctx.db,
            &r.realm_id,
            &c.client_row_id,
            c.version,
            &update,
            crate::now(),
        )
        .await?;
        audit_as(
            &state.ctx,
            &caller.actor,
            Some(&r.realm_id),
            Some(&c.client_row_id),
            "UPDATE",
            &format!("clients/{}", c.client_row_id),
            json!({
                "name": update.name,
                "description": update.description,
                "enabled": update.enabled,
                "publicClient": update.public_client,
            }),
        )
        .await?;
        updated
    } else {
        c
    };
    let c = apply(&state, &caller, &r, c, planned).await?;
    crate::admin_scopes::apply(&state, &caller, &r, &c, scopes).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete_client(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    let (r, c) = client_to_change(&state, &caller, &realm, &id).await?;
    clients::delete(&state.ctx.db, &r.realm_id, &c.client_row_id).await?;
    audit_as(
        &state.ctx,
        &caller.actor,
        Some(&r.realm_id),
        Some(&c.client_row_id),
        "DELETE",
        &format!("clients/{}", c.client_row_id),
        json!({ "clientId": c.client_id }),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---------------------------------------------------------------------------------------------
// Client secret

/// `{"type":"secret","value":…}`; the value only when it may be shown (see [`revealable`]).
fn secret_rep(value: Option<SecretString>) -> Response {
    let mut body = json!({ "type": "secret" });
    if let Some(v) = value {
        body["value"] = json!(v.expose());
    }
    ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// A stored secret's value, when the caller is an admin, the realm allows reveal and the value
/// was sealed; every reveal is audited.
async fn revealable(
    state: &AppState,
    caller: &Caller,
    r: &Realm,
    c: &Client,
    s: &secrets::ClientSecret,
) -> ApiResult<Option<SecretString>> {
    let path = format!("clients/{}/client-secret", c.client_row_id);
    Ok(keyward_service::secrets::revealable(&state.ctx, &caller.actor, r, c, s, &path).await?)
}

async fn get_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let (r, c) = realm_and_client(&state, &realm, &id).await?;
    let all = secrets::list(&state.ctx.db, &c.client_row_id).await?;
    let value = match current_secret(&all, crate::now()) {
        Some(s) => revealable(&state, &caller, &r, &c, s).await?,
        None => None,
    };
    Ok(secret_rep(value))
}

async fn regenerate_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult {
    // As Keycloak's regenerate: the new secret replaces the current one; the realm's default
    // overlap keeps the previous one valid (Keycloak's "rotated secret") meanwhile.
    let created = keyward_service::secrets::generate(
        &state.ctx,
        &caller.actor,
        &realm,
        &id,
        &keyward_service::secrets::NewSecret {
            label: "api",
            overlap_s: None,
            expires_at: None,
        },
    )
    .await?;
    Ok(secret_rep(Some(created.value)))
}

/// The previous secret still valid in its overlap (Keycloak's rotated secret).
fn rotated_secret(all: &[secrets::ClientSecret], now: i64) -> Option<&secrets::ClientSecret> {
    let current = current_secret(all, now)?;
    all.iter()
        .filter(|s| s.secret_id != current.secret_id)
        .filter(|s| s.revoked_at.is_none() && s.expires_at.is_some_and(|t| t > now))
        .max_by_key(|s| s.created_at)
}

async fn get_rotated(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let (r, c) = realm_and_client(&state, &realm, &id).await?;
    let all = secrets::list(&state.ctx.db, &c.client_row_id).await?;
    let Some(s) = rotated_secret(&all, crate::now()) else {
        return Err(ApiError::thrown(
            StatusCode::NOT_FOUND,
            "Client does not have a rotated secret",
        ));
    };
    Ok(secret_rep(revealable(&state, &caller, &r, &c, s).await?))
}

async fn invalidate_rotated(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    let (r, c) = client_to_change(&state, &caller, &realm, &id).await?;
    let now = crate::now();
    let all = secrets::list(&state.ctx.db, &c.client_row_id).await?;
    let current = current_secret(&all, now).map(|s| s.secret_id.clone());
    for s in all.iter().filter(|s| {
        Some(&s.secret_id) != current.as_ref()
            && s.revoked_at.is_none()
            && s.expires_at.is_some_and(|t| t > now)
    }) {
        secrets::revoke(&state.ctx.db, &c.client_row_id, &s.secret_id, now).await?;
        audit_as(
            &state.ctx,
            &caller.actor,
            Some(&r.realm_id),
            Some(&c.client_row_id),
            "DELETE",
            &format!("clients/{}/client-secret/rotated", c.client_row_id),
            json!({ "secretId": s.secret_id, "label": s.label }),
        )
        .await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---------------------------------------------------------------------------------------------
// certificates/jwt.credential

fn check_attr(attr: &str) -> ApiResult<()> {
    if attr == "jwt.credential" {
        Ok(())
    } else {
        Err(ApiError::not_found("Certificate attribute"))
    }
}

/// CertificateRepresentation of the client's newest active key (with a certificate first).
async fn certificate_rep(state: &AppState, c: &Client) -> ApiResult<Value> {
    let all = keys::list(&state.ctx.db, &c.client_row_id).await?;
    let newest = all
        .iter()
        .filter(|k| k.active)
        .max_by_key(|k| (k.certificate_der.is_some(), k.created_at, k.created_seq));
    Ok(newest.map(key_certificate_rep).unwrap_or_else(|| json!({})))
}

/// CertificateRepresentation of one key.
fn key_certificate_rep(k: &keys::ClientKey) -> Value {
    json!({
        "certificate": k.certificate_der.as_deref().map(|d| STANDARD.encode(d)),
        "publicKey": STANDARD.encode(&k.spki_der),
        "kid": k.kid,
    })
}

/// Keycloak's `certificates/jwt.credential` holds one certificate, and `generate`, `upload`
/// and `upload-certificate` replace it: through the Admin REST API the keys just written become
/// the client's only active keys (the others are deactivated, audited, not deleted; the console
/// keeps its own overlap of several active keys).
async fn make_only_active(
    state: &AppState,
    caller: &Caller,
    r: &Realm,
    c: &Client,
    keep: &[keys::ClientKey],
) -> ApiResult<()> {
    let keep_ids: Vec<&str> = keep.iter().map(|k| k.key_id.as_str()).collect();
    for k in keys::list(&state.ctx.db, &c.client_row_id).await? {
        let wanted = keep_ids.contains(&k.key_id.as_str());
        if k.active != wanted {
            keyward_service::keys::set_active(&state.ctx, &caller.actor, r, c, &k.key_id, wanted)
                .await?;
        }
    }
    Ok(())
}

async fn get_certificate(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id, attr)): Path<(String, String, String)>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    check_attr(&attr)?;
    let (_, c) = realm_and_client(&state, &realm, &id).await?;
    Ok(Json(certificate_rep(&state, &c).await?).into_response())
}

/// Keycloak's KeyStoreConfig.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct KeyStoreConfig {
    format: Option<String>,
    key_alias: Option<String>,
    key_password: Option<String>,
    store_password: Option<String>,
    key_size: Option<u32>,
    validity: Option<u32>,
}

impl Drop for KeyStoreConfig {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.key_password.zeroize();
        self.store_password.zeroize();
    }
}

/// Generates a key pair and certificate for the client, registers the certificate as the
/// client's one active key (Keycloak's replace) and returns it with the keystore.
async fn generate_keystore_for(
    state: &AppState,
    caller: &Caller,
    realm: &str,
    id: &str,
    config: &KeyStoreConfig,
) -> ApiResult<(
    keys::ClientKey,
    keyward_credentials::keys::generate::Generated,
    KeystoreFormat,
)> {
    let (r, c) = client_to_change(state, caller, realm, id).await?;
    if c.public_client {
        return Err(ApiError::bad_request("a public client has no keys"));
    }
    let format = KeystoreFormat::parse(config.format.as_deref().unwrap_or("PKCS12"))
        .ok_or_else(|| ApiError::bad_request("format must be JKS or PKCS12"))?;
    // Keycloak's default (KeycloakModelUtils.DEFAULT_RSA_KEY_SIZE).
    let algorithm = match config.key_size.unwrap_or(4096) {
        2048 => KeyAlgorithm::Rsa2048,
        3072 => KeyAlgorithm::Rsa3072,
        4096 => KeyAlgorithm::Rsa4096,
        n => {
            return Err(ApiError::bad_request(format!(
                "keySize {n} is not supported: choose 2048, 3072 or 4096"
            )))
        }
    };
    let store_password = config.store_password.as_deref().unwrap_or("");
    if store_password.is_empty() {
        return Err(ApiError::bad_request("storePassword is required"));
    }
    let key_password = match (format, config.key_password.as_deref()) {
        (_, Some(p)) if !p.is_empty() => p,
        _ => store_password,
    };
    let alias = config
        .key_alias
        .clone()
        .unwrap_or_else(|| c.client_id.clone());
    let (key, generated) = generate_and_register(
        &state.ctx,
        &caller.actor,
        &r,
        &c,
        &KeystoreSpec {
            algorithm,
            format,
            alias: &alias,
            store_password,
            key_password,
            validity_years: config.validity.unwrap_or(3),
        },
    )
    .await?;
    make_only_active(state, caller, &r, &c, std::slice::from_ref(&key)).await?;
    Ok((key, generated, format))
}

/// Keyward never returns a private key from `generate`: the certificate is registered and the
/// key pair is discarded (use generate-and-download to get the key in a keystore).
async fn generate_certificate(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id, attr)): Path<(String, String, String)>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    check_attr(&attr)?;
    let mut config = KeyStoreConfig::default();
    config.store_password =
        Some(keyward_credentials::keys::generate::default_password().to_string());
    let (key, _, _) = generate_keystore_for(&state, &caller, &realm, &id, &config).await?;
    Ok(Json(key_certificate_rep(&key)).into_response())
}

async fn generate_and_download(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id, attr)): Path<(String, String, String)>,
    Body(config): Body<KeyStoreConfig>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    check_attr(&attr)?;
    let (_, generated, format) =
        generate_keystore_for(&state, &caller, &realm, &id, &config).await?;
    let extension = match format {
        KeystoreFormat::Pkcs12 => "p12",
        KeystoreFormat::Jks => "jks",
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"keystore.{extension}\""),
            ),
        ],
        generated.keystore.to_vec(),
    )
        .into_response())
}

async fn download(caller: Caller, Path((_, _, attr)): Path<(String, String, String)>) -> ApiResult {
    caller.require(Role::Manager)?;
    check_attr(&attr)?;
    Err(ApiError::bad_request(
        "Keyward never keeps a client's private key, so there is nothing to download: \
         use generate-and-download",
    ))
}

async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id, attr)): Path<(String, String, String)>,
    mut form: Multipart,
) -> ApiResult {
    caller.require(Role::Manager)?;
    check_attr(&attr)?;
    let (r, c) = client_to_change(&state, &caller, &realm, &id).await?;
    let mut fields = BTreeMap::<String, Vec<u8>>::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(format!("malformed multipart body: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::bad_request(format!("malformed multipart body: {e}")))?;
        fields.insert(name, bytes.to_vec());
    }
    let field = |name: &str| {
        fields
            .get(name)
            .map(|v| String::from_utf8_lossy(v).trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let format_name = field("keystoreFormat").unwrap_or_default();
    let format = KeyFormat::parse(&format_name).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            format!(
                "keystoreFormat {format_name:?} is not supported: choose one of {}",
                KeyFormat::ALL.map(|f| f.keycloak_name()).join(", ")
            ),
        )
    })?;
    let Some(bytes) = fields.get("file").filter(|b| !b.is_empty()).cloned() else {
        return Err(ApiError::bad_request("the multipart field file is missing"));
    };
    let store_password = field("storePassword").map(zeroize::Zeroizing::new);
    let alias = field("keyAlias");
    let uploaded = import(
        &state.ctx,
        &caller.actor,
        &r,
        &c,
        Some(format),
        bytes,
        store_password.as_ref().map(|p| p.as_str()),
        alias.as_deref(),
        AlreadyRegistered::Keep,
    )
    .await?;
    make_only_active(&state, &caller, &r, &c, &uploaded).await?;
    let shown = uploaded
        .iter()
        .find(|k| k.certificate_der.is_some())
        .or(uploaded.first());
    Ok(Json(shown.map(key_certificate_rep).unwrap_or_else(|| json!({}))).into_response())
}

// ---------------------------------------------------------------------------------------------
// Installation and events

async fn installation(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id, provider)): Path<(String, String, String)>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let (r, c) = realm_and_client(&state, &realm, &id).await?;
    if provider != "keycloak-oidc-keycloak-json" {
        return Err(ApiError::thrown(StatusCode::NOT_FOUND, "Unknown Provider"));
    }
    // As Keycloak, the real secret when the caller may see it (an admin, in a realm that allows
    // reveal, a sealed secret; audited as a reveal); otherwise Keycloak's placeholder.
    let secret = if matches!(
        c.authenticator.as_str(),
        "client-secret" | "client-secret-jwt"
    ) {
        let all = secrets::list(&state.ctx.db, &c.client_row_id).await?;
        match current_secret(&all, crate::now()) {
            Some(s) => revealable(&state, &caller, &r, &c, s).await?,
            None => None,
        }
    } else {
        None
    };
    let text = keycloak_json(&state.ctx, &r.name, &c, secret.as_ref().map(|s| s.expose()));
    let value: Value = serde_json::from_str(&text).map_err(internal)?;
    Ok(Json(value).into_response())
}

/// The admin-events query. `operationTypes` is a list in Keycloak (`?operationTypes=CREATE&
/// operationTypes=DELETE`, as Keycloak's admin client sends it); Keyward also takes one value
/// with commas.
#[derive(Default)]
struct EventQuery {
    operation_types: Vec<String>,
    resource_path: Option<String>,
    date_from: Option<String>,
    date_to: Option<String>,
    first: Option<i64>,
    max: Option<i64>,
    auth_client: Option<String>,
    auth_realm: Option<String>,
    auth_user: Option<String>,
    auth_ip_address: Option<String>,
    resource_types: Vec<String>,
    direction: Option<String>,
}

impl EventQuery {
    fn parse(raw: Option<&str>) -> ApiResult<EventQuery> {
        let mut q = EventQuery::default();
        let number = |name: &str, v: &str| {
            v.parse::<i64>().map_err(|_| {
                ApiError::bad_request(format!("{name} must be a whole number, not {v:?}"))
            })
        };
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            match k.as_ref() {
                "operationTypes" => q.operation_types.push(v.into_owned()),
                "resourcePath" => q.resource_path = Some(v.into_owned()),
                "dateFrom" => q.date_from = Some(v.into_owned()),
                "dateTo" => q.date_to = Some(v.into_owned()),
                "first" => q.first = Some(number("first", &v)?),
                "max" => q.max = Some(number("max", &v)?),
                "authClient" => q.auth_client = Some(v.into_owned()),
                "authRealm" => q.auth_realm = Some(v.into_owned()),
                "authUser" => q.auth_user = Some(v.into_owned()),
                "authIpAddress" => q.auth_ip_address = Some(v.into_owned()),
                "resourceTypes" => q.resource_types.push(v.into_owned()),
                "direction" => q.direction = Some(v.into_owned()),
                _ => {}
            }
        }
        Ok(q)
    }
}

/// `yyyy-MM-dd` (Keycloak's format) or epoch milliseconds, as epoch seconds; `end` takes the
/// last second of a day.
fn parse_date(value: &str, end: bool) -> ApiResult<i64> {
    if let Ok(ms) = value.parse::<i64>() {
        return Ok(ms / 1000);
    }
    keyward_credentials::dates::day(value, end)
        .ok_or_else(|| ApiError::bad_request(format!("{value:?} is not a date (yyyy-MM-dd)")))
}

async fn admin_events(
    State(state): State<AppState>,
    caller: Caller,
    Path(realm): Path<String>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let q = EventQuery::parse(raw.as_deref())?;
    let r = realm_named(&state, &realm).await?;
    let operations = q
        .operation_types
        .iter()
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>();
    if let Some(bad) = operations
        .iter()
        .find(|o| !["CREATE", "UPDATE", "DELETE", "ACTION"].contains(&o.as_str()))
    {
        return Err(ApiError::bad_request(format!(
            "unknown operation type {bad}: use CREATE, UPDATE, DELETE or ACTION"
        )));
    }
    let resource_types = q
        .resource_types
        .iter()
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>();
    let ascending = match q
        .direction
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("") | Some("desc") => false,
        Some("asc") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "direction must be asc or desc, not {other:?}"
            )))
        }
    };
    let master = realm_named(&state, MASTER).await?;
    // Every caller signs in to master: another authRealm matches nothing.
    let other_realm = q
        .auth_realm
        .as_deref()
        .is_some_and(|a| a != master.realm_id && a != MASTER);
    // The caller: authClient (the master client's id, or its clientId) and authUser (a client's
    // service-account name, or an operator's username) must name the same actor.
    let mut actors = Vec::new();
    if let Some(c) = q.auth_client.as_deref() {
        let client_id = match clients::get(&state.ctx.db, &master.realm_id, c).await {
            Ok(found) => found.client_id,
            Err(StoreError::NotFound) => c.to_owned(),
            Err(e) => return Err(e.into()),
        };
        actors.push(format!("client:{client_id}"));
    }
    if let Some(u) = q.auth_user.as_deref() {
        actors.push(match u.strip_prefix("service-account-") {
            Some(c) => format!("client:{c}"),
            None => u.to_owned(),
        });
    }
    actors.dedup();
    if other_realm || actors.len() > 1 {
        return Ok(Json(Vec::<Value>::new()).into_response());
    }
    let filter = events::EventFilter {
        realm_id: Some(r.realm_id.clone()),
        client_row_id: None,
        actor: actors.pop(),
        operations,
        resource_path: q.resource_path.clone(),
        from: q
            .date_from
            .as_deref()
            .map(|d| parse_date(d, false))
            .transpose()?,
        to: q
            .date_to
            .as_deref()
            .map(|d| parse_date(d, true))
            .transpose()?,
        ip: q.auth_ip_address.clone(),
        resource_types,
        ascending,
    };
    let found = events::search(
        &state.ctx.db,
        &filter,
        q.first.unwrap_or(0),
        q.max.unwrap_or(100),
    )
    .await?;
    // authDetails as Keycloak writes them: the caller's realm (master), the calling client's
    // internal id, its service-account user (Keyward's `sub`); an operator is the user.
    let mut client_ids: BTreeMap<&str, Option<String>> = BTreeMap::new();
    for e in &found {
        if let Some(c) = e.actor.strip_prefix("client:") {
            if !client_ids.contains_key(c) {
                let id = match clients::get_by_client_id(&state.ctx.db, &master.realm_id, c).await {
                    Ok(found) => Some(found.client_row_id),
                    Err(StoreError::NotFound) => None,
                    Err(e) => return Err(e.into()),
                };
                client_ids.insert(c, id);
            }
        }
    }
    let out: Vec<Value> = found
        .iter()
        .map(|e| {
            let mut auth = json!({ "realmId": master.realm_id });
            match e.actor.strip_prefix("client:") {
                Some(c) => {
                    // A deleted caller keeps its clientId string.
                    auth["clientId"] = json!(client_ids
                        .get(c)
                        .cloned()
                        .flatten()
                        .unwrap_or_else(|| c.to_owned()));
                    auth["userId"] = json!(format!("service-account-{c}"));
                }
                None => auth["userId"] = json!(e.actor),
            }
            if let Some(ip) = &e.ip {
                auth["ipAddress"] = json!(ip);
            }
            json!({
                "id": e.event_id.to_string(),
                "time": e.at * 1000,
                "realmId": e.realm_id,
                "authDetails": auth,
                "operationType": e.operation,
                "resourceType": events::resource_type(&e.resource_path),
                "resourcePath": e.resource_path,
                "representation": e.details,
            })
        })
        .collect();
    Ok(Json(out).into_response())
}

/// Creates the bootstrap Admin REST client from the configuration when no master-realm client
/// has its id (like Keycloak's bootstrap admin client): confidential, client-secret, role admin;
/// only the secret's verifier is stored.
pub async fn bootstrap_client(
    ctx: &keyward_service::Services,
    config: &crate::Config,
) -> Result<(), String> {
    let (id, secret) = match (
        &config.bootstrap_admin_client_id,
        &config.bootstrap_admin_client_secret,
    ) {
        (None, None) => return Ok(()),
        (Some(id), Some(secret)) => (id, SecretString::new(secret.clone())),
        _ => {
            return Err("set both KEYWARD_BOOTSTRAP_ADMIN_CLIENT_ID and \
                        KEYWARD_BOOTSTRAP_ADMIN_CLIENT_SECRET, or neither"
                .into())
        }
    };
    let id = keyward_credentials::names::client_id(id)
        .map_err(|e| format!("KEYWARD_BOOTSTRAP_ADMIN_CLIENT_ID: {e}"))?;
    if secret.expose().chars().count() < 16 {
        return Err("KEYWARD_BOOTSTRAP_ADMIN_CLIENT_SECRET must be at least 16 characters".into());
    }
    let db = &ctx.db;
    let master = realms::get_by_name(db, MASTER)
        .await
        .map_err(|e| e.to_string())?;
    match clients::get_by_client_id(db, &master.realm_id, &id).await {
        Ok(_) => return Ok(()),
        Err(StoreError::NotFound) => {}
        Err(e) => return Err(e.to_string()),
    }
    let now = crate::now();
    let c = clients::create(
        db,
        &master.realm_id,
        &NewClient {
            client_id: &id,
            name: "Admin REST API (bootstrap)",
            description: "Created from KEYWARD_BOOTSTRAP_ADMIN_CLIENT_ID",
            enabled: true,
            public_client: false,
        },
        now,
    )
    .await
    .map_err(|e| e.to_string())?;
    let verifier = ctx.vault.verifier(secret.expose());
    secrets::rotate(
        db,
        &c.client_row_id,
        &secrets::NewSecret {
            label: "bootstrap",
            verifier: &verifier.0,
            sealed: None,
            expires_at: None,
            created_by: "bootstrap",
        },
        now,
        now,
    )
    .await
    .map_err(|e| e.to_string())?;
    clients::set_api_role(db, &master.realm_id, &c.client_row_id, Some("admin"))
        .await
        .map_err(|e| e.to_string())?;
    audit_as(
        ctx,
        &Actor {
            name: "bootstrap".into(),
            ip: None,
            role: Role::Admin,
        },
        Some(&master.realm_id),
        Some(&c.client_row_id),
        "CREATE",
        &format!("clients/{}", c.client_row_id),
        json!({ "clientId": id, "apiRole": "admin" }),
    )
    .await
    .map_err(|e| e.to_string())?;
    tracing::info!(client_id = %id, "created the bootstrap Admin REST API client");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Keyward's own model: several secrets and several keys per client

fn secret_item(s: &secrets::ClientSecret, now: i64) -> Value {
    json!({
        "id": s.secret_id,
        "label": s.label,
        "state": keyward_credentials::client_secret::SecretState::at(now, s.expires_at, s.revoked_at).as_str(),
        "createdAt": s.created_at,
        "createdBy": s.created_by,
        "expiresAt": s.expires_at,
        "revokedAt": s.revoked_at,
    })
}

async fn list_secrets(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let (_, c) = realm_and_client(&state, &realm, &id).await?;
    let now = crate::now();
    let all = secrets::list(&state.ctx.db, &c.client_row_id).await?;
    Ok(Json(all.iter().map(|s| secret_item(s, now)).collect::<Vec<_>>()).into_response())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewSecretRep {
    label: Option<String>,
    /// Seconds the current secrets stay valid; default: the realm's overlap.
    overlap_seconds: Option<i64>,
    /// Epoch seconds; default: never.
    expires_at: Option<i64>,
}

async fn add_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id)): Path<(String, String)>,
    Body(rep): Body<NewSecretRep>,
) -> ApiResult {
    let now = crate::now();
    let keyward_service::secrets::Created {
        secret: created,
        value,
        ..
    } = keyward_service::secrets::generate(
        &state.ctx,
        &caller.actor,
        &realm,
        &id,
        &keyward_service::secrets::NewSecret {
            label: rep.label.as_deref().unwrap_or(""),
            overlap_s: rep.overlap_seconds,
            expires_at: rep.expires_at,
        },
    )
    .await?;
    let mut body = secret_item(&created, now);
    body["value"] = json!(value.expose());
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response())
}

async fn revoke_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id, secret_id)): Path<(String, String, String)>,
) -> ApiResult {
    keyward_service::secrets::revoke(&state.ctx, &caller.actor, &realm, &id, &secret_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn key_item(k: &keys::ClientKey) -> Value {
    json!({
        "id": k.key_id,
        "kid": k.kid,
        "kty": k.kty,
        "alg": k.alg,
        "thumbprintS256": k.thumbprint_s256,
        "source": k.source,
        "notBefore": k.not_before,
        "notAfter": k.not_after,
        "active": k.active,
        "createdAt": k.created_at,
        "createdBy": k.created_by,
        "publicKey": STANDARD.encode(&k.spki_der),
        "certificate": k.certificate_der.as_deref().map(|d| STANDARD.encode(d)),
    })
}

async fn list_keys(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let (_, c) = realm_and_client(&state, &realm, &id).await?;
    let all = keys::list(&state.ctx.db, &c.client_row_id).await?;
    Ok(Json(all.iter().map(key_item).collect::<Vec<_>>()).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyChange {
    active: bool,
}

async fn set_key_active(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id, key_id)): Path<(String, String, String)>,
    Body(change): Body<KeyChange>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    let (r, c) = client_to_change(&state, &caller, &realm, &id).await?;
    keyward_service::keys::set_active(&state.ctx, &caller.actor, &r, &c, &key_id, change.active)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete_key(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id, key_id)): Path<(String, String, String)>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    let (r, c) = client_to_change(&state, &caller, &realm, &id).await?;
    keyward_service::keys::delete(&state.ctx, &caller.actor, &r, &c, &key_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The OpenAPI 3.1 description of this API (`/admin/openapi.json`, no authentication).
async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("admin_openapi.json"),
    )
        .into_response()
}
