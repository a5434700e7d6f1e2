//! Request guards: the Origin check on state-changing requests, the console's sign-in
//! redirect, CSRF tokens for pages, and 404 for unknown realms and clients in console URLs.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use keyward_credentials::token::random_token;
use keyward_service::session::keys;
use keyward_store::{clients, realms};
use tower_sessions::Session;

use crate::AppState;

/// Refuses a state-changing request whose `Origin` is neither the public URL's origin nor the
/// origin of the `Host` it was sent to, and a cross-site one without `Origin`.
pub async fn origin_check(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Services calling the OIDC endpoints authenticate with their own credentials, never with
    // the console's cookie: no cross-site request forgery to guard against there.
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || req.uri().path().starts_with("/realms/")
    {
        return next.run(req).await;
    }
    let headers = req.headers();
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let allowed = match origin {
        Some(origin) => is_own_origin(&state, headers, origin),
        None => headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_none_or(|site| site != "cross-site"),
    };
    if !allowed {
        tracing::warn!(origin = ?origin, path = %req.uri().path(), "refused a cross-origin request");
        return (StatusCode::FORBIDDEN, "cross-origin request refused").into_response();
    }
    next.run(req).await
}

/// Whether `origin` is this server's: its public URL, or the origin the request itself was sent
/// to (its Host, with the listener's scheme).
pub fn is_own_origin(state: &AppState, headers: &http::HeaderMap, origin: &str) -> bool {
    let scheme = if state.https { "https" } else { "http" };
    let host_origin = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(|h| format!("{scheme}://{h}"));
    origin == state.ctx.settings.public_url.as_str() || host_origin.as_deref() == Some(origin)
}

/// Whether `path` is a console page (rendered by Leptos), as opposed to an API or asset.
pub fn is_page(path: &str) -> bool {
    path == "/login" || path == "/setup" || path == "/console" || path.starts_with("/console/")
}

/// For page requests: make sure the session carries a CSRF token; send signed-out visitors of
/// the console to the sign-in page; answer 404 for a realm or client that does not exist.
pub async fn console_guard(
    State(state): State<AppState>,
    session: Session,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    // HEAD is guarded as GET: it answers with the header fields GET would (RFC 9110 §9.3.2).
    if !matches!(*req.method(), Method::GET | Method::HEAD) || !is_page(&path) {
        return next.run(req).await;
    }
    // The console's routes have no trailing slash; a typed or pasted `…/keys/` is the same page.
    if path.len() > 1 && path.ends_with('/') {
        let mut to = path.trim_end_matches('/').to_string();
        if let Some(q) = req.uri().query() {
            to = format!("{to}?{q}");
        }
        return Redirect::permanent(&to).into_response();
    }
    match session.get::<String>(keys::CSRF).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            let token = random_token(&mut rand::rngs::OsRng, 32);
            if let Err(e) = session.insert(keys::CSRF, token.expose()).await {
                tracing::error!(error = %e, "cannot store the CSRF token");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot read the session");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    if !path.starts_with("/console") {
        return next.run(req).await;
    }
    let signed_in = matches!(session.get::<String>(keys::OPERATOR).await, Ok(Some(_)));
    if !signed_in {
        // Back to this page after signing in (`next`, checked by the sign-in handler).
        let here = match req.uri().query() {
            Some(q) => format!("{path}?{q}"),
            None => path.clone(),
        };
        let next = url::form_urlencoded::byte_serialize(here.as_bytes()).collect::<String>();
        return Redirect::to(&format!("/login?next={next}")).into_response();
    }
    let missing = match missing_resource(&state, &path).await {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "cannot look up the console path");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut res: Response<Body> = next.run(req).await;
    if missing {
        *res.status_mut() = StatusCode::NOT_FOUND;
    } else if let Some(realm) = realm_in(&path) {
        // The realm the operator works in: the next sign-in lands there.
        let value = url::form_urlencoded::byte_serialize(realm.as_bytes()).collect::<String>();
        if let Ok(v) = header::HeaderValue::from_str(&format!(
            "{LAST_REALM_COOKIE}={value}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax"
        )) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// The cookie that remembers the realm an operator last worked in (a realm name, nothing
/// secret), so the next sign-in lands there.
pub const LAST_REALM_COOKIE: &str = "keyward_realm";

/// The realm of a console path `/console/{realm}/…` (not the realm-independent pages).
fn realm_in(path: &str) -> Option<&str> {
    let realm = path.strip_prefix("/console/")?.split('/').next()?;
    (!realm.is_empty() && !matches!(realm, "realms" | "operators")).then_some(realm)
}

/// Whether `/console/{realm}/…` names an unknown realm, or `/console/{realm}/clients/{id}/…` an
/// unknown client.
async fn missing_resource(state: &AppState, path: &str) -> Result<bool, keyward_store::StoreError> {
    let Some(realm) = realm_in(path) else {
        return Ok(false);
    };
    let segments: Vec<&str> = path.trim_start_matches("/console/").split('/').collect();
    let realm = match realms::get_by_name(&state.ctx.db, realm).await {
        Ok(r) => r,
        Err(keyward_store::StoreError::NotFound) => return Ok(true),
        Err(e) => return Err(e),
    };
    if let (Some(&"clients"), Some(id)) = (segments.get(1), segments.get(2)) {
        return match clients::get(&state.ctx.db, &realm.realm_id, id).await {
            Ok(_) => Ok(false),
            Err(keyward_store::StoreError::NotFound) => Ok(true),
            Err(e) => Err(e),
        };
    }
    Ok(false)
}
