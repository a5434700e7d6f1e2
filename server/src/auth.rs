//! Operator sign-in, sign-out and first-admin setup: plain HTML form posts with a CSRF token.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use keyward_app::ssr::check_csrf;
use keyward_credentials::names;
use keyward_credentials::password;
use keyward_credentials::secret::SecretString;
use keyward_credentials::token::random_token;
use keyward_service::session::keys;
use keyward_service::ClientAddr;
use keyward_store::{operators, StoreError};
use serde::Deserialize;
use tower_sessions::Session;

use crate::{now, AppState};

/// Where an operator lands after signing in.
pub const HOME: &str = "/console/master/clients";

/// The caller's IP address ([`ClientAddr`], which honours trusted proxies), or the TCP peer's
/// when the middleware did not run; absent in `oneshot` tests without connect info.
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(match parts.extensions.get::<ClientAddr>() {
            Some(ClientAddr(ip)) => Some(*ip),
            None => parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        }))
    }
}

/// Escapes text for HTML text and double-quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A small HTML page for answers that are not redirects. `message` and `link` are escaped
/// (the link of a refused setup form carries the token the browser sent).
fn page(status: StatusCode, message: &str, link: &str) -> Response {
    let (message, link) = (escape_html(message), escape_html(link));
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Keyward</title>\
         <link rel=\"stylesheet\" href=\"/pkg/keyward.css\"></head><body><div class=\"login-page\">\
         <div class=\"login-card\"><h1 class=\"brand\">Keyward</h1><p role=\"alert\">{message}</p>\
         <a href=\"{link}\">Back</a></div></div></body></html>"
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn csrf_refused(link: &str) -> Response {
    page(
        StatusCode::FORBIDDEN,
        "The form's security token is missing or stale. Go back, reload the page and try again.",
        link,
    )
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "sign-in failed internally");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on the server. It has been logged.",
        "/login",
    )
}

/// Starts a fresh authenticated session for `op`: new session id, new CSRF token.
async fn start_session(session: &Session, op: &operators::Operator) -> Result<(), Response> {
    session.cycle_id().await.map_err(internal)?;
    session
        .insert(keys::OPERATOR, &op.operator_id)
        .await
        .map_err(internal)?;
    session
        .insert(keys::SESSION_EPOCH, op.session_epoch)
        .await
        .map_err(internal)?;
    session
        .insert(keys::SIGNED_IN_AT, now())
        .await
        .map_err(internal)?;
    session
        .insert(
            keys::CSRF,
            random_token(&mut rand::rngs::OsRng, 32).expose(),
        )
        .await
        .map_err(internal)?;
    Ok(())
}

/// Checks a password against its argon2 hash off the async runtime, at most as many at once as
/// the machine has cores (more would only queue inside the blocking pool and hold memory).
async fn verify_off_runtime(state: &AppState, password: SecretString, hash: String) -> bool {
    let Ok(_permit) = state.password_checks.clone().acquire_owned().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || password::verify(&password, &hash))
        .await
        .unwrap_or(false)
}

fn too_many(wait: std::time::Duration) -> Response {
    let mut res = page(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many failed sign-ins for this account from your address. Wait a little and try again.",
        "/login",
    );
    res.headers_mut().insert(
        header::RETRY_AFTER,
        (wait.as_secs().max(1))
            .to_string()
            .parse()
            .expect("digits are a valid header"),
    );
    res
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    /// The console page to return to (from `/login?next=`).
    #[serde(default)]
    next: String,
}

/// Where a signed-in operator lands: `next` when it is a console page of this server (a path
/// under `/console`, never another origin), else the realm it last worked in (when that realm
/// still exists), else [`HOME`].
async fn landing(state: &AppState, next: &str, headers: &axum::http::HeaderMap) -> String {
    let safe = (next == "/console" || next.starts_with("/console/"))
        && !next.contains("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace());
    if safe {
        return next.to_string();
    }
    let remembered = headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == crate::guard::LAST_REALM_COOKIE)
        .and_then(|(_, v)| {
            url::form_urlencoded::parse(format!("r={v}").as_bytes())
                .map(|(_, v)| v.into_owned())
                .next()
        });
    if let Some(realm) = remembered {
        if keyward_store::realms::get_by_name(&state.ctx.db, &realm)
            .await
            .is_ok()
        {
            let enc = url::form_urlencoded::byte_serialize(realm.as_bytes()).collect::<String>();
            return format!("/console/{enc}/clients");
        }
    }
    HOME.to_string()
}

/// Back to the sign-in form after a refusal, keeping where the operator was going.
fn invalid(next: &str) -> Response {
    if next.is_empty() {
        return Redirect::to("/login?error=invalid").into_response();
    }
    let next = url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>();
    Redirect::to(&format!("/login?error=invalid&next={next}")).into_response()
}

/// `POST /auth/login`.
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: Session,
    headers: axum::http::HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if check_csrf(&session, &form.csrf).await.is_err() {
        return csrf_refused("/login");
    }
    // Counted as a failure before the hash is checked; refunded below when the password is
    // right. Only this (address, username) pair is slowed down, never the account itself.
    let attempt = match state.sign_in.begin(ip, &form.username, Instant::now()) {
        Ok(a) => a,
        Err(wait) => {
            tracing::info!(ip = ?ip, "sign-in refused: this address is failing for this username");
            return too_many(wait);
        }
    };
    let pw = SecretString::new(form.password);
    let db = &state.ctx.db;
    let operator = match names::username(&form.username) {
        Ok(u) => match operators::get_by_username(db, &u).await {
            Ok(op) => Some(op),
            Err(StoreError::NotFound) => None,
            Err(e) => return internal(e),
        },
        Err(_) => None,
    };
    let Some(op) = operator else {
        // Same cost as a wrong password, so usernames cannot be probed by timing.
        verify_off_runtime(&state, pw, password::DUMMY_HASH.to_string()).await;
        attempt.failed(Instant::now());
        tracing::info!(ip = ?ip, "sign-in refused: unknown username");
        return invalid(&form.next);
    };
    let ok = verify_off_runtime(&state, pw, op.password_hash.clone()).await;
    if !ok || op.disabled {
        attempt.failed(Instant::now());
        if op.disabled {
            tracing::info!(username = %op.username, "sign-in refused: operator disabled");
        } else {
            tracing::info!(username = %op.username, ip = ?ip, "sign-in refused: wrong password");
        }
        return invalid(&form.next);
    }
    attempt.succeeded();
    if let Err(res) = start_session(&session, &op).await {
        return res;
    }
    tracing::info!(username = %op.username, "operator signed in");
    Redirect::to(&landing(&state, &form.next, &headers).await).into_response()
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /auth/logout`.
pub async fn logout(session: Session, Form(form): Form<LogoutForm>) -> Response {
    if check_csrf(&session, &form.csrf).await.is_err() {
        return csrf_refused("/console");
    }
    if let Err(e) = session.flush().await {
        return internal(e);
    }
    Redirect::to("/login?signed_out=1").into_response()
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

fn setup_error(token: &str, message: &str) -> Response {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    Redirect::to(&format!(
        "/setup?token={}&error={}",
        enc(token),
        enc(message)
    ))
    .into_response()
}

/// `POST /auth/setup`: creates the first admin with the one-time token printed at start-up.
pub async fn setup(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<SetupForm>,
) -> Response {
    if check_csrf(&session, &form.csrf).await.is_err() {
        let token = url::form_urlencoded::byte_serialize(form.token.as_bytes()).collect::<String>();
        return csrf_refused(&format!("/setup?token={token}"));
    }
    let token_ok = {
        let guard = state
            .ctx
            .setup_token
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        guard
            .as_ref()
            .is_some_and(|t| !form.token.is_empty() && t.ct_eq(&form.token))
    };
    if !token_ok {
        return page(
            StatusCode::FORBIDDEN,
            "This setup link is invalid or has already been used.",
            "/login",
        );
    }
    let username = match names::username(&form.username) {
        Ok(u) => u,
        Err(e) => return setup_error(&form.token, &e.0),
    };
    let pw = SecretString::new(form.password);
    if let Err(e) = password::check_policy(&pw) {
        return setup_error(&form.token, &e);
    }
    if !pw.ct_eq(&form.confirm) {
        return setup_error(&form.token, "the two passwords differ");
    }
    let hash = match tokio::task::spawn_blocking(move || {
        password::hash(&pw, &mut rand::rngs::OsRng)
    })
    .await
    {
        Ok(h) => h,
        Err(e) => return internal(e),
    };
    let created = match operators::create_first_admin(&state.ctx.db, &username, &hash, now()).await
    {
        Ok(c) => c,
        Err(e) => return internal(e),
    };
    // The link dies once used, and also when someone else already set Keyward up.
    *state
        .ctx
        .setup_token
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = None;
    let Some(op) = created else {
        return page(
            StatusCode::CONFLICT,
            "Keyward already has an operator; sign in instead.",
            "/login",
        );
    };
    tracing::info!(username = %op.username, "first admin created through the setup link");
    if let Err(res) = start_session(&session, &op).await {
        return res;
    }
    Redirect::to(HOME).into_response()
}
