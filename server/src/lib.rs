//! Keyward's server: start-up, the router, sessions, sign-in and health.
#![forbid(unsafe_code)]
#![recursion_limit = "256"]

pub mod admin;
pub mod admin_scopes;
pub mod auth;
pub mod config;
pub mod guard;
pub mod health;
pub mod limiter;
pub mod metrics;
pub mod oidc;
pub mod oidc_cache;
pub mod render;
pub mod rotate;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::FromRef;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use keyward_app::error::AppError;
use keyward_app::ssr::{AppContext, ConsoleSettings};
use keyward_app::vault::{KeySource, Vault};
use keyward_app::{shell, App};
use keyward_credentials::secret::SecretString;
use keyward_store::{operators, realms, Db};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_sessions::cookie::time::Duration as CookieDuration;
use tower_sessions::cookie::SameSite;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::{Expiry, SessionManagerLayer};

pub use config::Config;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Everything the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// Shared: the state is cloned for every request (middleware, extractors).
    pub leptos_options: Arc<LeptosOptions>,
    pub ctx: AppContext,
    pub limiter: Arc<limiter::FailureLimiter>,
    pub https: bool,
    /// The token endpoint's limiters, key cache and metrics.
    pub oidc: Arc<oidc::OidcState>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        LeptosOptions::clone(&state.leptos_options)
    }
}

/// Why Keyward could not start, in one line.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("database: {0}")]
    Database(String),
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
}

/// A built server: the router plus what start-up should tell the operator.
pub struct Keyward {
    pub router: Router,
    pub state: AppState,
    pub public_url: String,
    /// The one-time link that creates the first admin, when no operator exists.
    pub setup_link: Option<String>,
    pub master_key_created: Option<std::path::PathBuf>,
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Connects the database, runs migrations, creates `master` and the first operator or the
/// setup link, and builds the router.
pub async fn build(config: &Config) -> Result<Keyward, StartError> {
    let public_url = config.public_url().map_err(StartError::Config)?;
    // The data directory holds the master key file, and the SQLite file by default.
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        StartError::Config(format!(
            "cannot create the data directory {}: {e}",
            config.data_dir.display()
        ))
    })?;
    let db = Db::connect(&config.database_url())
        .await
        .map_err(|e| StartError::Database(e.to_string()))?;
    // One Keyward process serves a SQLite file: its caches and its replay set see only its own
    // writes (PostgreSQL is the backend for several replicas).
    if let Some(Err(lock)) = db.owns_sqlite_file() {
        db.close().await;
        return Err(StartError::Database(format!(
            "another Keyward process is serving this SQLite database (it holds {}); stop it, or use PostgreSQL for several replicas",
            lock.display()
        )));
    }
    realms::ensure_master(&db, now())
        .await
        .map_err(|e| StartError::Database(e.to_string()))?;
    let opened = Vault::open_at_start(
        KeySource::new(config.master_key.as_deref(), &config.data_dir),
        &db,
        now(),
    )
    .await
    .map_err(StartError::Config)?;
    let master_key_created = opened.created_key_file;
    let setup_token = bootstrap_admin(&db, config).await?;
    let setup_link = setup_token
        .as_ref()
        .map(|t| format!("{public_url}/setup?token={}", t.expose()));

    let session_store = db
        .session_store()
        .await
        .map_err(|e| StartError::Database(e.to_string()))?;
    tokio::spawn(
        session_store
            .clone()
            .continuously_delete_expired(Duration::from_secs(300)),
    );

    let https = public_url.starts_with("https://");
    let session_layer = SessionManagerLayer::new(session_store)
        .with_name(if https {
            "__Host-keyward_session"
        } else {
            "keyward_session"
        })
        .with_secure(https)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(CookieDuration::seconds(
            config.session_idle_secs,
        )));

    let jwks_allow =
        keyward_app::jwks::AllowList::parse(&config.jwks_allow).map_err(StartError::Config)?;
    let jwks = keyward_app::jwks::JwksFetcher::new(jwks_allow).map_err(StartError::Config)?;

    let leptos_options = LeptosOptions::builder()
        .output_name(option_env!("LEPTOS_OUTPUT_NAME").unwrap_or("keyward"))
        .site_root(config.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.bind)
        .build();
    let state = AppState {
        leptos_options: Arc::new(leptos_options),
        ctx: AppContext {
            db,
            settings: Arc::new(ConsoleSettings {
                public_url: public_url.clone(),
                session_absolute_secs: config.session_absolute_secs,
            }),
            setup_token: Arc::new(Mutex::new(setup_token)),
            vault: Arc::new(opened.vault),
            jwks: Arc::new(jwks),
        },
        limiter: Arc::new(limiter::FailureLimiter::new(
            limiter::IP_MAX_FAILURES,
            Duration::from_secs(limiter::IP_WINDOW_SECS),
        )),
        https,
        oidc: Arc::new(oidc::OidcState::default()),
    };
    admin::bootstrap_client(&state.ctx, config)
        .await
        .map_err(StartError::Config)?;
    let console =
        router(state.clone())
            .layer(session_layer)
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                guard::origin_check,
            ));
    // The OIDC endpoints serve services, not operators: no session, no console guard.
    let router = oidc::router()
        .with_state(state.clone())
        .merge(console)
        .layer(axum::middleware::from_fn(body_limit))
        .layer(CompressionLayer::new());
    Ok(Keyward {
        router,
        state,
        public_url,
        setup_link,
        master_key_created,
    })
}

/// Creates the bootstrap admin from the configuration, or returns a one-time setup token
/// when no operator exists and none is configured.
async fn bootstrap_admin(db: &Db, config: &Config) -> Result<Option<SecretString>, StartError> {
    let count = operators::count(db)
        .await
        .map_err(|e| StartError::Database(e.to_string()))?;
    match (
        &config.bootstrap_admin_username,
        &config.bootstrap_admin_password,
    ) {
        (Some(_), None) | (None, Some(_)) => Err(StartError::Config(
            "set both KEYWARD_BOOTSTRAP_ADMIN_USERNAME and KEYWARD_BOOTSTRAP_ADMIN_PASSWORD, or neither".into(),
        )),
        (Some(user), Some(password)) => {
            if count > 0 {
                return Ok(None);
            }
            let user = keyward_credentials::names::username(user)
                .map_err(|e| StartError::Config(format!("KEYWARD_BOOTSTRAP_ADMIN_USERNAME: {e}")))?;
            let password = SecretString::new(password.clone());
            keyward_credentials::password::check_policy(&password)
                .map_err(|e| StartError::Config(format!("KEYWARD_BOOTSTRAP_ADMIN_PASSWORD: {e}")))?;
            let hash = tokio::task::spawn_blocking(move || {
                keyward_credentials::password::hash(&password, &mut rand::rngs::OsRng)
            })
            .await
            .map_err(|e| StartError::Config(e.to_string()))?;
            let created = operators::create_first_admin(db, &user, &hash, now())
                .await
                .map_err(|e| StartError::Database(e.to_string()))?;
            if created.is_some() {
                tracing::info!(username = %user, "created the bootstrap admin");
            }
            Ok(None)
        }
        (None, None) if count == 0 => Ok(Some(keyward_credentials::token::random_token(
            &mut rand::rngs::OsRng,
            32,
        ))),
        (None, None) => Ok(None),
    }
}

/// The console's routes, without the session, origin and body-limit layers `build` adds (and
/// without the OIDC endpoints, which `build` serves beside them).
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let ctx = state.ctx.clone();
    let ctx_fallback = state.ctx.clone();
    let options = LeptosOptions::clone(&state.leptos_options);
    Router::new()
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/setup", post(auth::setup))
        .route("/metrics", get(metrics))
        .merge(admin::router())
        .route(
            "/",
            get(|| async { axum::response::Redirect::to("/console/master/clients") }),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(ctx.clone()),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            move || provide_context(ctx_fallback.clone()), shell
        ))
        .layer(axum::middleware::from_fn_with_state(
            render::RENDER_DEADLINE,
            render::whole_pages,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::console_guard,
        ))
        .layer(axum::middleware::from_fn(server_fn_status))
        .with_state(state)
}

/// Prometheus text metrics: the token endpoint's counters and histograms, and the seconds left
/// before each expiring secret and certificate (negative once expired).
async fn metrics(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    let mut text = state.oidc.metrics.render();
    match keyward_store::expiry::list(&state.ctx.db, None, None, i64::MAX, 100_000).await {
        Ok(expiring) => text.push_str(&metrics::render_expiry(&expiring, now())),
        Err(e) => tracing::error!(error = %e, "cannot read credential expiry for /metrics"),
    }
    axum::response::IntoResponse::into_response((
        [(
            http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    ))
}

/// The largest request body: 1 MiB, except key uploads (a 1 MiB file, base64url-encoded, plus
/// the form), so an oversized key file gets the import's own clear error.
const BODY_LIMIT: usize = 1024 * 1024;
const UPLOAD_BODY_LIMIT: usize = 2 * 1024 * 1024;
const UPLOAD_PATHS: &[&str] = &["/api/import_keys"];

async fn body_limit(req: Request<Body>, next: axum::middleware::Next) -> Response {
    let limit = if UPLOAD_PATHS.contains(&req.uri().path()) {
        UPLOAD_BODY_LIMIT
    } else {
        BODY_LIMIT
    };
    let declared = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        let res = if req.uri().path().starts_with("/admin/") {
            admin::too_large()
        } else {
            axum::response::IntoResponse::into_response((
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large",
            ))
        };
        return closing(res);
    }
    let (parts, body) = req.into_parts();
    let read = Arc::new(AtomicBool::new(http_body::Body::is_end_stream(&body)));
    let body = Body::new(ReadToEnd {
        inner: http_body_util::Limited::new(body, limit),
        read: read.clone(),
    });
    let res = next.run(Request::from_parts(parts, body)).await;
    if !read.load(Ordering::Relaxed) {
        // Refused before its body was read (401, 403, 413, …).
        return closing(res);
    }
    res
}

/// A request body that notes when it has been read to its end.
struct ReadToEnd<B> {
    inner: B,
    read: Arc<AtomicBool>,
}

impl<B: http_body::Body + Unpin> http_body::Body for ReadToEnd<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        let polled = std::pin::Pin::new(&mut this.inner).poll_frame(cx);
        let ended = match &polled {
            std::task::Poll::Ready(None) => true,
            std::task::Poll::Ready(Some(Ok(_))) => this.inner.is_end_stream(),
            _ => false,
        };
        if ended {
            this.read.store(true, Ordering::Relaxed);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Marks an answer `Connection: close` when its request's body was not read to the end: the
/// server then drops the connection after answering, and without the header a client puts the
/// connection back in its pool and its next request fails on the closed socket (RFC 9112 §9.6).
fn closing(mut res: Response) -> Response {
    res.headers_mut().insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    res
}

/// Gives a failed server function (leptos answers 500 for every error) the status its
/// `AppError` names.
async fn server_fn_status(req: Request<Body>, next: axum::middleware::Next) -> Response {
    let is_server_fn = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !is_server_fn || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 1024 * 1024)
        .await
        .unwrap_or_default();
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Builds Keyward, listens on the configured address and serves until Ctrl-C or SIGTERM.
pub async fn run(config: Config) -> Result<(), StartError> {
    let keyward = build(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|e| StartError::Listen(config.bind, e))?;
    if let Some(path) = &keyward.master_key_created {
        tracing::warn!(path = %path.display(), "created a new master key file (mode 0600); back it up");
    }
    println!("Keyward is running at {}/", keyward.public_url);
    match (&keyward.setup_link, &config.bootstrap_admin_username) {
        (Some(link), _) => println!(
            "No operator exists yet. Open this one-time link to create the first admin:\n  {link}"
        ),
        (None, Some(user)) => println!("Sign in as {user:?} with the bootstrap admin password."),
        (None, None) => println!("Sign in with your operator account."),
    }
    let housekeeping = tokio::spawn(housekeeping(keyward.state.ctx.db.clone()));
    axum::serve(
        listener,
        keyward
            .router
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| StartError::Listen(config.bind, e))?;
    housekeeping.abort();
    keyward.state.ctx.db.close().await;
    Ok(())
}

/// How long client authentication events are kept.
pub const AUTH_EVENT_RETENTION_S: i64 = 30 * 86_400;

/// Every minute: forgets assertion ids that can no longer be replayed, and authentication
/// events past their retention. Every replica does it; the deletes are idempotent.
async fn housekeeping(db: keyward_store::Db) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        let now = now();
        match keyward_store::jti::purge_expired(&db, now, 10_000).await {
            Ok(n) if n > 0 => tracing::debug!(purged = n, "expired assertion ids purged"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot purge expired assertion ids"),
        }
        if let Err(e) =
            keyward_store::auth_events::purge_before(&db, now - AUTH_EVENT_RETENTION_S).await
        {
            tracing::warn!(error = %e, "cannot purge old authentication events");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
