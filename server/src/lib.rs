//! Keyward's server: start-up, the router, sessions, sign-in and health.
#![forbid(unsafe_code)]
#![recursion_limit = "256"]

pub mod admin;
pub mod auth;
pub mod client_addr;
pub mod config;
pub mod guard;
pub mod health;
pub mod leaks;
pub mod metrics;
pub mod mtls;
pub mod oidc;
pub mod oidc_cache;
pub mod render;
pub mod rotate;
pub mod throttle;
pub mod tls;
pub mod webhooks;

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
use keyward_app::{shell, App};
use keyward_credentials::secret::SecretString;
use keyward_service::vault::{KeySource, Vault};
use keyward_service::{Services, Settings};
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
    pub ctx: Services,
    /// Console sign-in throttle per (address, username).
    pub sign_in: Arc<throttle::SignInThrottle>,
    /// Password hash checks running at once: at most one per core.
    pub password_checks: Arc<tokio::sync::Semaphore>,
    /// Proxies whose `Forwarded` / `X-Forwarded-For` headers name the caller.
    pub trusted_proxies: Arc<client_addr::TrustedProxies>,
    pub https: bool,
    /// Opens `/metrics` on the public listener (`KEYWARD_METRICS_TOKEN`).
    pub metrics_token: Option<Arc<SecretString>>,
    /// The token endpoint's failure accounting, key cache and metrics.
    pub oidc: Arc<oidc::OidcState>,
    /// RFC 8705: the CAs of `client-x509`, the forwarded-certificate header, the mTLS URL.
    pub mtls: Arc<mtls::MtlsSettings>,
    /// How leak reports are verified.
    pub leaks: Arc<leaks::LeakSettings>,
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
    Config(#[from] config::ConfigError),
    #[error("database: {0}")]
    Database(String),
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
}

/// A built server: the router plus what start-up should tell the operator.
pub struct Keyward {
    pub router: Router,
    /// What the mTLS listener serves: the OIDC endpoints only (no console, no Admin REST API).
    pub mtls_router: Router,
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
    let public_url = config.public_url()?;
    // The data directory holds the master key file, and the SQLite file by default.
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        config::ConfigError::new(
            "KEYWARD_DATA_DIR",
            format!(
                "cannot create the data directory {}: {e}",
                config.data_dir.display()
            ),
        )
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
    .map_err(config::ConfigError::of(
        keyward_service::vault::MASTER_KEY_VAR,
    ))?;
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

    let fetch_allow = keyward_service::jwks::AllowList::parse(&config.fetch_allow()?)
        .map_err(config::ConfigError::of("KEYWARD_FETCH_ALLOW"))?;
    let jwks = keyward_service::jwks::JwksFetcher::new(fetch_allow)
        .map_err(config::ConfigError::of("KEYWARD_FETCH_ALLOW"))?;

    let trusted_proxies = client_addr::TrustedProxies::parse(&config.trusted_proxies)
        .map_err(config::ConfigError::of("KEYWARD_TRUSTED_PROXIES"))?;
    config.metrics_bind()?;
    let mtls_settings = mtls::MtlsSettings {
        trust_anchors: match &config.mtls_ca {
            Some(path) => mtls::load_trust_anchors(path)?,
            None => Vec::new(),
        },
        header: config.mtls_cert_header()?,
        base_url: config.mtls_public_url()?,
    };
    if mtls_settings.header.is_some() && trusted_proxies.is_empty() {
        return Err(config::ConfigError::new(
            "KEYWARD_MTLS_CERT_HEADER",
            "a forwarded client certificate is only read from a trusted proxy: set KEYWARD_TRUSTED_PROXIES too",
        )
        .into());
    }
    if config.metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
        return Err(config::ConfigError::new(
            "KEYWARD_METRICS_TOKEN",
            "must be at least 16 characters",
        )
        .into());
    }
    let leptos_options = LeptosOptions::builder()
        .output_name(option_env!("LEPTOS_OUTPUT_NAME").unwrap_or("keyward"))
        .site_root(config.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.bind)
        .build();
    let state = AppState {
        leptos_options: Arc::new(leptos_options),
        ctx: Services {
            db,
            settings: Arc::new(Settings {
                public_url: public_url.clone(),
                session_absolute_secs: config.session_absolute_secs,
                mtls_public_url: mtls_settings.base_url.clone(),
            }),
            setup_token: Arc::new(Mutex::new(setup_token)),
            vault: Arc::new(opened.vault),
            jwks: Arc::new(jwks),
        },
        sign_in: Arc::new(throttle::SignInThrottle::default()),
        password_checks: Arc::new(tokio::sync::Semaphore::new(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
        )),
        trusted_proxies: Arc::new(trusted_proxies),
        metrics_token: config
            .metrics_token
            .clone()
            .map(|t| Arc::new(SecretString::new(t))),
        https,
        oidc: Arc::new(oidc::OidcState::new(config.track_last_use)),
        mtls: Arc::new(mtls_settings),
        leaks: Arc::new(leaks::LeakSettings::from_config(config)?),
    };
    admin::bootstrap_client(&state.ctx, config).await?;
    let console =
        router(state.clone())
            .layer(session_layer)
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                guard::origin_check,
            ));
    // The OIDC endpoints serve services, not operators: no session, no console guard.
    let router = oidc::router()
        .merge(leaks::router())
        .with_state(state.clone())
        .merge(console)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            body_limit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            client_addr::resolve,
        ))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(CompressionLayer::new());
    // Paths are made canonical *before* routing: a layer on `router` itself would run after its
    // route was chosen. The outer router has no routes; everything reaches `router` through its
    // fallback, behind the rewrite.
    let router = Router::new()
        .fallback_service(router)
        .layer(axum::middleware::map_request(canonical_path));
    let mtls_router = Router::new()
        .fallback_service(
            oidc::router()
                .with_state(state.clone())
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    body_limit,
                ))
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    client_addr::resolve,
                ))
                .layer(axum::middleware::from_fn(security_headers)),
        )
        .layer(axum::middleware::map_request(canonical_path));
    Ok(Keyward {
        router,
        mtls_router,
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
        (Some(_), None) | (None, Some(_)) => Err(config::ConfigError::new(
            "KEYWARD_BOOTSTRAP_ADMIN_USERNAME",
            "set both KEYWARD_BOOTSTRAP_ADMIN_USERNAME and KEYWARD_BOOTSTRAP_ADMIN_PASSWORD, or neither",
        )
        .into()),
        (Some(user), Some(password)) => {
            if count > 0 {
                return Ok(None);
            }
            let user = keyward_credentials::names::username(user)
                .map_err(config::ConfigError::of("KEYWARD_BOOTSTRAP_ADMIN_USERNAME"))?;
            let password = SecretString::new(password.clone());
            keyward_credentials::password::check_policy(&password)
                .map_err(config::ConfigError::of("KEYWARD_BOOTSTRAP_ADMIN_PASSWORD"))?;
            let hash = tokio::task::spawn_blocking(move || {
                keyward_credentials::password::hash(&password, &mut rand::rngs::OsRng)
            })
            .await
            .map_err(config::ConfigError::of("KEYWARD_BOOTSTRAP_ADMIN_PASSWORD"))?;
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
        .route("/metrics", get(public_metrics))
        .merge(admin::router())
        .route(
            "/",
            get(|| async { axum::response::Redirect::to("/console/master/clients") }),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            move || page_context(&ctx),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(move || page_context(&ctx_fallback), shell))
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

/// What every rendered page gets: the server's context, and a Content-Security-Policy whose
/// script nonce is the one Leptos puts on its hydration and streaming scripts.
fn page_context(ctx: &Services) {
    provide_context(ctx.clone());
    if let (Some(nonce), Some(res)) = (
        leptos::nonce::use_nonce(),
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
    ) {
        if let Ok(v) = http::HeaderValue::from_str(&content_security_policy(Some(&nonce))) {
            res.insert_header(http::header::CONTENT_SECURITY_POLICY, v);
        }
    }
}

/// The console's Content-Security-Policy: scripts only from Keyward itself (and, on a rendered
/// page, its inline scripts carrying this response's nonce); `wasm-unsafe-eval` lets the
/// browser compile the console's wasm; no plugins, no `<base>`, forms post only to Keyward,
/// and no other site may frame it.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let scripts = match nonce {
        Some(n) => format!("'self' 'nonce-{n}' 'wasm-unsafe-eval'"),
        None => "'self' 'wasm-unsafe-eval'".to_string(),
    };
    format!(
        "script-src {scripts}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Headers on every answer: no MIME sniffing, no referrer outside Keyward, no framing, a CSP
/// (the page's own, with its nonce, when Leptos rendered it), and `Cache-Control: no-store`
/// unless the handler chose a policy (static assets and the OIDC key set do), so a signed-out
/// browser's Back button shows nothing an operator saw.
async fn security_headers(req: Request<Body>, next: axum::middleware::Next) -> Response {
    let assets = req.uri().path().starts_with("/pkg/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        http::header::X_CONTENT_TYPE_OPTIONS,
        http::HeaderValue::from_static("nosniff"),
    );
    h.insert(
        http::header::REFERRER_POLICY,
        http::HeaderValue::from_static("same-origin"),
    );
    h.insert(
        http::header::X_FRAME_OPTIONS,
        http::HeaderValue::from_static("DENY"),
    );
    if !h.contains_key(http::header::CONTENT_SECURITY_POLICY) {
        if let Ok(v) = http::HeaderValue::from_str(&content_security_policy(None)) {
            h.insert(http::header::CONTENT_SECURITY_POLICY, v);
        }
    }
    if !assets && !h.contains_key(http::header::CACHE_CONTROL) {
        h.insert(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
    }
    res
}

/// `/metrics` on the public listener: only with `Authorization: Bearer $KEYWARD_METRICS_TOKEN`
/// (compared in constant time); otherwise 404, so anonymous callers learn no client ids.
async fn public_metrics(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: http::HeaderMap,
) -> Response {
    let presented = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    match (&state.metrics_token, presented) {
        (Some(expected), Some(t)) if expected.ct_eq(t) => {
            metrics(axum::extract::State(state)).await
        }
        _ => axum::response::IntoResponse::into_response((StatusCode::NOT_FOUND, "not found")),
    }
}

/// The management listener (`KEYWARD_METRICS_BIND`, loopback by default): metrics and health
/// probes, no console, no OIDC, no authentication (keep it on a private address).
pub fn management_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .with_state(state)
}

/// Prometheus text metrics: the token endpoint's counters and histograms, and the seconds left
/// before each expiring secret and certificate (negative once expired).
async fn metrics(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    let mut text = state.oidc.metrics.render();
    text.push_str(&format!(
        "# HELP keyward_auth_failures_unrecorded_total Failed client authentications counted but not logged or recorded one by one (throttled pairs, or over the failure-event budget).\n\
         # TYPE keyward_auth_failures_unrecorded_total counter\n\
         keyward_auth_failures_unrecorded_total {}\n",
        state
            .oidc
            .failures
            .unrecorded
            .load(std::sync::atomic::Ordering::Relaxed)
    ));
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

/// Keycloak's REST layer answers `/admin/realms/` as `/admin/realms` and
/// `/realms/{realm}/protocol/openid-connect/token/` as its path without the slash, for every
/// method, and Keycloak's own admin client sends such paths: under `/admin/` and `/realms/`,
/// trailing slashes are dropped before routing (no redirect: a client need not follow a 308 for
/// a POST with a body). Console paths keep their own rule (a redirect, in the console guard).
async fn canonical_path(mut req: Request<Body>) -> Request<Body> {
    let path = req.uri().path();
    if (path.starts_with("/admin/") || path.starts_with("/realms/")) && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        let rebuilt = match req.uri().query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_owned(),
        };
        if let Ok(pq) = rebuilt.parse::<http::uri::PathAndQuery>() {
            let mut parts = req.uri().clone().into_parts();
            parts.path_and_query = Some(pq);
            if let Ok(uri) = http::Uri::from_parts(parts) {
                *req.uri_mut() = uri;
            }
        }
    }
    req
}

/// The largest request body: 1 MiB, except key uploads (a multipart form with a file of up to
/// 1 MiB), whose limit leaves room for a somewhat larger file so that it gets the import's own
/// clear error.
const BODY_LIMIT: usize = 1024 * 1024;
const UPLOAD_BODY_LIMIT: usize = 2 * 1024 * 1024;
const UPLOAD_PATHS: &[&str] = &["/api/import_keys"];

/// How much of an oversized native form post is read (and dropped) before the browser is sent
/// back to its page: answering while a browser is still sending can reset the connection and
/// lose the answer. A larger body is answered at once, the connection closed.
const DRAIN_LIMIT: usize = 8 * 1024 * 1024;

async fn body_limit(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request<Body>,
    next: axum::middleware::Next,
) -> Response {
    let upload = UPLOAD_PATHS.contains(&req.uri().path());
    let limit = if upload {
        UPLOAD_BODY_LIMIT
    } else {
        BODY_LIMIT
    };
    if upload && !is_multipart(&req) {
        return closing(not_multipart());
    }
    let declared = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(declared) = declared.filter(|n| *n > limit as u64) {
        if req.uri().path().starts_with("/admin/") {
            return closing(admin::too_large());
        }
        if let Some(back) = too_large_for_the_page(&state, &req, limit) {
            if declared <= DRAIN_LIMIT as u64 && drain(req.into_body(), DRAIN_LIMIT).await {
                return back;
            }
            return closing(back);
        }
        return closing(axum::response::IntoResponse::into_response((
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large",
        )));
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

/// Whether an upload is `multipart/form-data` with a boundary, read as the server functions'
/// multipart decoder reads it (which cannot answer anything else: it would panic).
fn is_multipart(req: &Request<Body>) -> bool {
    req.headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| multer::parse_boundary(ct).is_ok())
}

/// 415 for an upload that is not a multipart form, in the server functions' error shape.
fn not_multipart() -> Response {
    let error = keyward_app::error::AppError::Request(
        "send the file as multipart/form-data (fields csrf, realm, id, format, file, store_password, alias)"
            .into(),
    );
    let mut res = axum::response::IntoResponse::into_response((
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        serde_json::to_string(&error).unwrap_or_default(),
    ));
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    res
}

/// Reads a body to its end and drops it; false if it is longer than `cap` or breaks off.
async fn drain(body: Body, cap: usize) -> bool {
    use http_body_util::BodyExt;
    let mut body = http_body_util::Limited::new(body, cap);
    loop {
        match body.frame().await {
            None => return true,
            Some(Ok(_)) => {}
            Some(Err(_)) => return false,
        }
    }
}

/// A form the browser posted itself (no wasm) whose body is over the limit goes back to its page
/// with the refusal, as a failed server function does (Leptos' `__path`/`__err`), instead of a
/// bare 413 page: the operator who chose a 5 MiB file for the import sees why on the Keys tab.
/// Only a page of this server is a way back ([`guard::is_own_origin`], the rule of
/// [`guard::origin_check`]), and an earlier post's marks are dropped from it.
fn too_large_for_the_page(state: &AppState, req: &Request<Body>, limit: usize) -> Option<Response> {
    let path = req.uri().path();
    if !is_native_form(req) {
        return None;
    }
    let referer = req
        .headers()
        .get(http::header::REFERER)
        .and_then(|v| v.to_str().ok())?;
    let mut page = url::Url::parse(referer).ok()?;
    if !guard::is_own_origin(state, req.headers(), &page.origin().ascii_serialization()) {
        return None;
    }
    let kept: Vec<(String, String)> = page
        .query_pairs()
        .filter(|(k, _)| !matches!(k.as_ref(), "__ok" | "__count" | "__path" | "__err"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    page.set_query(None);
    if !kept.is_empty() {
        page.query_pairs_mut().extend_pairs(kept);
    }
    let message = if UPLOAD_PATHS.contains(&path) {
        "the file is larger than 1 MiB".to_string()
    } else {
        format!("the form is larger than {} KiB", limit / 1024)
    };
    let back = leptos::server_fn::error::ServerFnUrlError::new(
        path,
        keyward_app::error::AppError::Invalid(message),
    )
    .to_url(page.as_str())
    .ok()?;
    let location = http::HeaderValue::from_str(back.as_str()).ok()?;
    let mut res = axum::response::IntoResponse::into_response(StatusCode::FOUND);
    res.headers_mut().insert(http::header::LOCATION, location);
    Some(res)
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

/// A form the browser posted itself to a server function (no wasm involved: it asks for HTML),
/// which Leptos answers with a redirect back to the page.
fn is_native_form(req: &Request<Body>) -> bool {
    req.uri().path().starts_with("/api/")
        && req
            .headers()
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
}

/// Gives a failed server function (leptos answers 500 for every error) the status its
/// `AppError` names, and marks a native form post that succeeded (see [`success_mark`]).
async fn server_fn_status(req: Request<Body>, next: axum::middleware::Next) -> Response {
    let is_server_fn = req.uri().path().starts_with("/api/");
    let native_form = is_native_form(&req);
    let path = req.uri().path().to_owned();
    let referer = req
        .headers()
        .get(http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .map(|r| r.split('?').next().unwrap_or_default().to_owned());
    let mut res = next.run(req).await;
    // How many items the function made (an import's keys), for the page; never sent on.
    let count = res
        .headers_mut()
        .remove(keyward_app::ssr::COUNT_HEADER)
        .and_then(|v| v.to_str().ok().and_then(|v| v.parse::<usize>().ok()));
    if native_form && res.status().is_redirection() {
        // Only the way back to the page is marked; a function that sends the browser on to
        // another page (a new client's) leaves its URL as it chose.
        let marked = res
            .headers()
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .filter(|l| referer.as_deref() == Some(l.split('?').next().unwrap_or_default()))
            .map(|location| success_mark(location, &path, count))
            .and_then(|l| http::HeaderValue::from_str(&l).ok());
        if let Some(location) = marked {
            res.headers_mut().insert(http::header::LOCATION, location);
        }
        return res;
    }
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

/// Where the browser goes after a native post to the server function at `path`: Leptos sends it
/// back to `location` (the page), with `__path` and `__err` when the function failed. When it
/// succeeded, `__ok=<path>` is added, so the page can say so (the success twin of Leptos'
/// error convention), with `__count=<n>` when the function said how many items it made; an
/// `__ok` (and its `__count`) left from an earlier post is dropped either way.
pub fn success_mark(location: &str, path: &str, count: Option<usize>) -> String {
    let (base, query) = location.split_once('?').unwrap_or((location, ""));
    let mut pairs: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("__ok=") && !p.starts_with("__count="))
        .collect();
    let failed = pairs.iter().any(|p| p.starts_with("__err="));
    let mark = format!("__ok={}", path.replace('&', "%26").replace('#', "%23"));
    let count = count.map(|n| format!("__count={n}"));
    if !failed {
        pairs.push(&mark);
        pairs.extend(count.as_deref());
    }
    if pairs.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", pairs.join("&"))
    }
}

/// Builds Keyward, listens on the configured address and serves until Ctrl-C or SIGTERM.
pub async fn run(config: Config) -> Result<(), StartError> {
    let keyward = build(&config).await?;
    let cert = match config.tls()? {
        Some((cert, key)) => Some(tls::ReloadingCert::load(&cert, &key)?),
        None => None,
    };
    let tls = cert.as_ref().map(|c| c.server_config()).transpose()?;
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
    if let Some(addr) = config.metrics_bind()? {
        let management = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| StartError::Listen(addr, e))?;
        println!("Metrics and health probes at http://{addr}/metrics");
        let router = management_router(keyward.state.clone());
        tokio::spawn(async move { axum::serve(management, router).await });
    }
    if let (Some(addr), Some(cert)) = (config.mtls_bind, &cert) {
        let mtls_config = cert.mtls_server_config()?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| StartError::Listen(addr, e))?;
        println!(
            "OIDC endpoints with client certificates (RFC 8705) at {}/",
            keyward.state.mtls.base_url.as_deref().unwrap_or_default()
        );
        let router = keyward.mtls_router.clone();
        tokio::spawn(tls::serve(listener, mtls_config, router, shutdown_signal()));
    }
    let housekeeping = tokio::spawn(housekeeping(keyward.state.ctx.db.clone()));
    let notifications = tokio::spawn(webhooks::worker(keyward.state.ctx.clone()));
    match tls {
        Some(tls) => tls::serve(listener, tls, keyward.router, shutdown_signal()).await,
        None => axum::serve(
            listener,
            keyward
                .router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| StartError::Listen(config.bind, e))?,
    }
    housekeeping.abort();
    notifications.abort();
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

#[cfg(test)]
mod tests {
    use super::success_mark;

    #[test]
    fn a_native_post_that_succeeded_is_marked_and_a_failed_one_is_not() {
        assert_eq!(
            success_mark("http://h/console/realms", "/api/create_realm", None),
            "http://h/console/realms?__ok=/api/create_realm"
        );
        // An earlier mark goes; the page's own query stays.
        assert_eq!(
            success_mark("http://h/c?search=a&__ok=/api/x&__count=2", "/api/y", None),
            "http://h/c?search=a&__ok=/api/y"
        );
        // A count the function gave comes with its mark, never with a failure.
        assert_eq!(
            success_mark(
                "http://h/c?__ok=/api/x&__count=2",
                "/api/import_keys",
                Some(3)
            ),
            "http://h/c?__ok=/api/import_keys&__count=3"
        );
        assert_eq!(
            success_mark("http://h/c?__path=/api/y&__err=abc", "/api/y", Some(3)),
            "http://h/c?__path=/api/y&__err=abc"
        );
        assert_eq!(
            success_mark(
                "http://h/c?__ok=/api/x&__path=/api/y&__err=abc",
                "/api/y",
                None
            ),
            "http://h/c?__path=/api/y&__err=abc"
        );
    }
}
