//! Keycloak's OIDC endpoints for services: discovery, the token endpoint (client credentials,
//! every client authentication method of the registry), the realm's public keys and token
//! introspection. Errors are RFC 6749 §5.2 JSON with no internal detail; the real reason goes to
//! the log and to the client's authentication events.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use keyward_credentials::access_token::{self, RealmPrivateKey, SigningAlg};
use keyward_credentials::assertion;
use keyward_credentials::authenticator::{
    self, federated, AuthContext, AuthError, ClientMaterial, ClientPublicKey, StoredSecret,
};
use keyward_credentials::client_auth::{self, Presented};
use keyward_credentials::scannable;
use keyward_credentials::seal::{context, Sealed};
use keyward_store::clients::Client;
use keyward_store::realms::Realm;
use keyward_store::{auth_events, jti, realm_keys, StoreError};
use serde_json::json;

use crate::auth::ClientIp;
use crate::mtls::ClientCertificate;
use crate::oidc_cache::{ClientEntry, CredentialCache};
use crate::throttle::FailureCost;
use crate::AppState;
use keyward_credentials::mtls::PresentedCertificate;

/// Keycloak's answer to a certificate-bound client that presented no certificate.
pub const BINDING_WITHOUT_CERTIFICATE: &str =
    "Client Certification missing for MTLS HoK Token Binding";
/// The metrics label of every token request to a realm that does not exist.
pub const UNKNOWN_REALM_LABEL: &str = "(unknown)";
/// Largest token-request body (a form with an assertion).
const MAX_FORM_BYTES: usize = 64 * 1024;
/// A client's successful authentications are recorded at most this often.
pub const SUCCESS_EVENT_INTERVAL_S: i64 = 10;
/// A credential's last use is written at most this often (per process, and per database
/// through the write's own condition).
pub const LAST_USE_INTERVAL_S: i64 = 60;
/// Skew allowed on a client assertion's exp (DESIGN.md §3): its jti is kept this long after exp.
const JTI_SKEW_S: i64 = 15;
/// Assertion ids this process remembers in memory (the database remains the authority).
const MAX_USED_JTIS: usize = 200_000;
/// kind → id → kid ("" for a secret) → when its last use was written.
type LastUses = HashMap<&'static str, HashMap<String, HashMap<String, i64>>>;
/// (client row id, jti) → until when, and when expired ones may next be swept out.
type UsedJtis = (HashMap<(String, String), i64>, Instant);
/// How often a full set of used assertion ids is swept of expired ones at most.
const USED_JTI_SWEEP: Duration = Duration::from_secs(10);

/// What the token endpoint keeps between requests.
pub struct OidcState {
    /// Failures per (address, client): how much a failure costs (see [`crate::throttle`]).
    pub failures: crate::throttle::TokenFailures,
    /// Unsealed realm signing keys by realm key id.
    keys: Mutex<HashMap<String, Arc<RealmPrivateKey>>>,
    /// When each client's last success was recorded: successes are recorded at most every
    /// [`SUCCESS_EVENT_INTERVAL_S`] per client (failures always), so a busy client does not cost
    /// a database write per token.
    last_success: Mutex<HashMap<String, i64>>,
    /// Whether last use is recorded (`KEYWARD_TRACK_LAST_USE`).
    track_last_use: bool,
    /// When each credential's last use was written by this process (by kind, then secret id
    /// or client row id, then "" or the kid): at most every [`LAST_USE_INTERVAL_S`].
    last_use: Mutex<LastUses>,
    /// Assertion ids accepted by this process, (client row id, jti) → until when: a replay is
    /// refused from memory, before its signature is verified and without a database write.
    /// With the next time expired ids are swept out.
    used_jtis: Mutex<UsedJtis>,
    /// Realms, clients with their material and signing keys between requests.
    pub cache: CredentialCache,
    pub metrics: crate::metrics::Metrics,
}

impl Default for OidcState {
    fn default() -> Self {
        OidcState {
            failures: crate::throttle::TokenFailures::default(),
            keys: Mutex::new(HashMap::new()),
            last_success: Mutex::new(HashMap::new()),
            track_last_use: true,
            last_use: Mutex::new(HashMap::new()),
            used_jtis: Mutex::new((HashMap::new(), Instant::now())),
            cache: CredentialCache::default(),
            metrics: crate::metrics::Metrics::default(),
        }
    }
}

impl OidcState {
    /// The state of a new process; `track_last_use`: `KEYWARD_TRACK_LAST_USE`.
    pub fn new(track_last_use: bool) -> Self {
        OidcState {
            track_last_use,
            ..OidcState::default()
        }
    }

    /// Whether the last use of a credential (`kind` "s" a secret id, "k" a client row id and
    /// kid) is due to be written at `now`, and if so, notes it. A use that is not due costs a
    /// lookup with the borrowed id: no allocation on the token endpoint's hot path.
    fn last_use_due(&self, kind: &'static str, id: &str, kid: Option<&str>, now: i64) -> bool {
        let mut last = self.last_use.lock().unwrap_or_else(|p| p.into_inner());
        let of_kind = last.entry(kind).or_default();
        if of_kind.len() > 100_000 {
            of_kind.clear();
        }
        let recent = match kid {
            None => of_kind.get(id).and_then(|m| m.get("")),
            Some(k) => of_kind.get(id).and_then(|m| m.get(k)),
        };
        if recent.is_some_and(|at| now - at < LAST_USE_INTERVAL_S) {
            return false;
        }
        of_kind
            .entry(id.to_owned())
            .or_default()
            .insert(kid.unwrap_or("").to_owned(), now);
        true
    }

    fn jti_used(&self, client_row_id: &str, jti: &str, now: i64) -> bool {
        let used = self.used_jtis.lock().unwrap_or_else(|p| p.into_inner());
        used.0
            .get(&(client_row_id.to_owned(), jti.to_owned()))
            .is_some_and(|until| *until > now)
    }

    /// Remembers an accepted jti. Expired ids are swept out at most every
    /// [`USED_JTI_SWEEP`]; a set still full after a sweep is emptied (the store stays the
    /// authority, so forgetting costs a replay only its signature check and the store's answer),
    /// which keeps the cost of a full set amortised O(1) instead of a sweep per request.
    fn remember_jti(&self, client_row_id: &str, jti: &str, until: i64, now: i64) {
        let mut guard = self.used_jtis.lock().unwrap_or_else(|p| p.into_inner());
        let (used, next_sweep) = &mut *guard;
        if used.len() >= MAX_USED_JTIS {
            let at = Instant::now();
            if at >= *next_sweep {
                used.retain(|_, t| *t > now);
                *next_sweep = at + USED_JTI_SWEEP;
            }
            if used.len() >= MAX_USED_JTIS {
                used.clear();
            }
        }
        used.insert((client_row_id.to_owned(), jti.to_owned()), until);
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/realms/{realm}/.well-known/openid-configuration",
            get(discovery),
        )
        .route("/realms/{realm}/protocol/openid-connect/certs", get(certs))
        .route("/realms/{realm}/protocol/openid-connect/token", post(token))
        .route(
            "/realms/{realm}/protocol/openid-connect/token/introspect",
            post(introspect),
        )
        .route(
            "/realms/{realm}/.well-known/uma2-configuration",
            get(uma2_configuration),
        )
        // Nothing under /realms/ answers the console's HTML: an unknown path is a JSON 404.
        .route("/realms/{realm}", get(public_realm))
        .route("/realms/{realm}/{*rest}", axum::routing::any(unknown_path))
        // Last, so it covers every route above.
        .method_not_allowed_fallback(method_not_allowed)
}

async fn unknown_path() -> OAuthError {
    OAuthError::thrown(StatusCode::NOT_FOUND, "HTTP 404 Not Found")
}

/// Keycloak's public realm document (`PublicRealmResource`): the realm's active signing key as
/// base64 SubjectPublicKeyInfo (`public_key`, which python-keycloak's `public_key()` reads), and
/// its service URLs. The key is made on first use, as for a token.
async fn public_realm(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, OAuthError> {
    let r = realm(&state, &name).await?;
    let key = signing_key(&state, &r).await?;
    let der = key.public_key_der().map_err(internal)?;
    let iss = issuer(&state, &r.name);
    Ok((
        [(header::CACHE_CONTROL, "public, max-age=60")],
        axum::Json(json!({
            "realm": r.name,
            "public_key": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, der),
            "token-service": format!("{iss}/protocol/openid-connect"),
            "account-service": format!("{iss}/account"),
            "tokens-not-before": 0,
        })),
    )
        .into_response())
}

/// The UMA 2.0 discovery document Keycloak serves beside the OpenID one: Keycloak's Java
/// client (`AuthzClient`, which reads `keycloak.json`) takes the token endpoint from it.
/// Keyward has no UMA resource server; the document names the endpoints a client-credentials
/// client needs.
async fn uma2_configuration(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, OAuthError> {
    let r = realm(&state, &name).await?;
    let iss = issuer(&state, &r.name);
    Ok((
        [(header::CACHE_CONTROL, "public, max-age=60")],
        axum::Json(json!({
            "issuer": iss,
            "token_endpoint": format!("{iss}/protocol/openid-connect/token"),
            "jwks_uri": format!("{iss}/protocol/openid-connect/certs"),
            "introspection_endpoint": format!("{iss}/protocol/openid-connect/token/introspect"),
            "grant_types_supported": ["client_credentials"],
            "response_types_supported": ["none"],
            "token_endpoint_auth_methods_supported": authenticator::token_endpoint_auth_methods(),
            "token_endpoint_auth_signing_alg_values_supported": signing_algs(),
            "scopes_supported": ["openid"],
        })),
    )
        .into_response())
}

/// An RFC 6749 §5.2 error answer.
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    /// `WWW-Authenticate: Basic` (the client used Basic).
    basic: bool,
    retry_after: Option<Duration>,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status,
            error,
            description: description.into(),
            basic: false,
            retry_after: None,
        }
    }

    /// 400 invalid_request.
    fn invalid_request(description: impl Into<String>) -> Self {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// The one answer for every client-authentication failure (unknown client, wrong secret,
    /// bad assertion...): 401 invalid_client, as Keycloak does.
    fn invalid_client(basic: bool) -> Self {
        OAuthError {
            basic,
            ..OAuthError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Invalid client or Invalid client credentials",
            )
        }
    }
}

impl OAuthError {
    /// An error Keycloak's REST layer answers with its message as `error` (an unknown realm or
    /// path, a wrong method); `error_description` repeats it.
    fn thrown(status: StatusCode, message: &'static str) -> Self {
        OAuthError::new(status, message, message)
    }
}

/// Keycloak's answer to a method a path does not take: 405 in JSON (axum keeps `Allow`).
pub(crate) async fn method_not_allowed() -> Response {
    let message = "HTTP 405 Method Not Allowed";
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(json!({ "error": message, "error_description": message })),
    )
        .into_response()
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut res = (
            self.status,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(json!({ "error": self.error, "error_description": self.description })),
        )
            .into_response();
        if self.basic {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"keyward\""),
            );
        }
        if let Some(wait) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}

fn issuer(state: &AppState, realm: &str) -> String {
    format!("{}/realms/{realm}", state.ctx.settings.public_url)
}

async fn realm(state: &AppState, name: &str) -> Result<Arc<Realm>, OAuthError> {
    let db = &state.ctx.db;
    state
        .oidc
        .cache
        .realm(db, name, keyward_store::realms::get_by_name(db, name))
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                OAuthError::thrown(StatusCode::NOT_FOUND, "Realm does not exist")
            }
            other => internal(other),
        })
}

fn internal(e: impl std::fmt::Display) -> OAuthError {
    tracing::error!(error = %e, "token endpoint failure");
    OAuthError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "internal error",
    )
}

async fn discovery(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, OAuthError> {
    let r = realm(&state, &name).await?;
    let iss = issuer(&state, &r.name);
    // What the registry's methods declare they serve, each once.
    let methods = authenticator::token_endpoint_auth_methods();
    let algs = signing_algs();
    let mut document = json!({
            "issuer": iss,
            "token_endpoint": format!("{iss}/protocol/openid-connect/token"),
            "jwks_uri": format!("{iss}/protocol/openid-connect/certs"),
            "introspection_endpoint": format!("{iss}/protocol/openid-connect/token/introspect"),
            "grant_types_supported": ["client_credentials"],
            // No authorization endpoint: no response type issues anything (OIDC Discovery
            // requires the field).
            "response_types_supported": ["none"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256", "RS256"],
            "token_endpoint_auth_methods_supported": methods,
            "token_endpoint_auth_signing_alg_values_supported": algs,
            "introspection_endpoint_auth_methods_supported": methods,
            "introspection_endpoint_auth_signing_alg_values_supported": algs,
            // Only the scope every client may ask for: Keycloak also lists the realm's client
            // scopes here, Keyward does not show them to anonymous callers.
            "scopes_supported": ["openid"],
            "claims_supported": CLAIMS,
            "claim_types_supported": ["normal"],
            "tls_client_certificate_bound_access_tokens": true,
    });
    // RFC 8705 §5: where clients with a certificate reach the token and introspection
    // endpoints.
    if let Some(base) = &state.mtls.base_url {
        let mtls_iss = format!("{base}/realms/{}", r.name);
        document["mtls_endpoint_aliases"] = json!({
            "token_endpoint": format!("{mtls_iss}/protocol/openid-connect/token"),
            "introspection_endpoint": format!("{mtls_iss}/protocol/openid-connect/token/introspect"),
        });
    }
    Ok((
        [(header::CACHE_CONTROL, "public, max-age=60")],
        axum::Json(document),
    )
        .into_response())
}

/// The claims of Keyward's access tokens (and introspection answers).
const CLAIMS: [&str; 12] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "jti",
    "typ",
    "azp",
    "client_id",
    "scope",
    "preferred_username",
    "cnf",
];

/// The algorithms a client assertion may be signed with (private_key_jwt, then
/// client_secret_jwt).
fn signing_algs() -> Vec<&'static str> {
    let mut algs: Vec<&str> = authenticator::CLIENT_JWT_ALGS.to_vec();
    algs.extend_from_slice(authenticator::CLIENT_SECRET_JWT_ALGS);
    algs
}

/// The realm's signing key, created (or replaced, when the realm's algorithm changed) on first
/// use: the new key signs, the previous one stays in `certs` as passive.
async fn signing_key(state: &AppState, r: &Realm) -> Result<Arc<RealmPrivateKey>, OAuthError> {
    state
        .oidc
        .cache
        .signing_key(&state.ctx.db, &r.realm_id, load_signing_key(state, r))
        .await
}

async fn load_signing_key(state: &AppState, r: &Realm) -> Result<Arc<RealmPrivateKey>, OAuthError> {
    let wanted = SigningAlg::parse(&r.token_signing_alg).unwrap_or(SigningAlg::Es256);
    let active = realm_keys::active(&state.ctx.db, &r.realm_id)
        .await
        .map_err(internal)?;
    let cache = || state.oidc.keys.lock().unwrap_or_else(|p| p.into_inner());
    let (row_id, key) = match active {
        Some(row) if row.alg == wanted.as_str() => {
            if let Some(k) = cache().get(&row.realm_key_id) {
                return Ok(k.clone());
            }
            let sealed = Sealed {
                key_id: row.master_key_id.clone(),
                bytes: row.sealed_private_key.clone(),
            };
            let pkcs8 = state
                .ctx
                .vault
                .open(context::REALM_KEY, &sealed)
                .map_err(internal)?;
            let key = RealmPrivateKey::from_pkcs8(wanted, &row.kid, &pkcs8).map_err(internal)?;
            (row.realm_key_id, key)
        }
        _ => {
            let (row, key) = keyward_service::realms::create_realm_key(
                &state.ctx,
                &r.realm_id,
                &r.name,
                wanted,
                crate::now(),
            )
            .await
            .map_err(internal)?;
            tracing::info!(realm = %r.name, kid = key.kid(), alg = wanted.as_str(), "realm signing key created");
            (row.realm_key_id, key)
        }
    };
    let key = Arc::new(key);
    cache().insert(row_id, key.clone());
    Ok(key)
}

/// The public JWKs of the realm's active and passive keys.
async fn public_jwks(state: &AppState, r: &Realm) -> Result<Vec<serde_json::Value>, OAuthError> {
    signing_key(state, r).await?;
    let keys = realm_keys::list(&state.ctx.db, &r.realm_id)
        .await
        .map_err(internal)?;
    Ok(keys
        .iter()
        .filter(|k| k.status != "retired")
        .filter_map(|k| serde_json::from_str(&k.public_jwk).ok())
        .collect())
}

/// Verifies an access token the realm issued (signature by one of its keys, issuer, expiry)
/// and returns the realm (as the token endpoint caches it) with the claims;
/// the error is a reason for the log.
pub async fn verify_access_token(
    state: &AppState,
    realm_name: &str,
    token: &str,
) -> Result<(Arc<Realm>, access_token::AccessTokenClaims), String> {
    let r = realm(state, realm_name)
        .await
        .map_err(|e| e.description.clone())?;
    let jwks = public_jwks(state, &r)
        .await
        .map_err(|e| e.description.clone())?;
    let claims = access_token::verify(token, &jwks, &issuer(state, &r.name), crate::now())
        .map_err(|e| e.to_string())?;
    Ok((r, claims))
}

async fn certs(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, OAuthError> {
    let r = realm(&state, &name).await?;
    let jwks = public_jwks(&state, &r).await?;
    Ok((
        [(header::CACHE_CONTROL, "public, max-age=60")],
        axum::Json(access_token::jwks(&jwks)),
    )
        .into_response())
}

/// The form fields of a request body, each decoded.
fn form_fields(headers: &HeaderMap, body: &[u8]) -> Result<Vec<(String, String)>, OAuthError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return Err(OAuthError::invalid_request(
            "the request must be application/x-www-form-urlencoded",
        ));
    }
    if body.len() > MAX_FORM_BYTES {
        return Err(OAuthError::invalid_request("the request is too large"));
    }
    Ok(url::form_urlencoded::parse(body).into_owned().collect())
}

/// A client that authenticated.
struct Caller {
    client: Client,
    authenticated: authenticator::Authenticated,
    /// What the cache held for it when it authenticated (its scopes among the rest).
    entry: Arc<ClientEntry>,
}

/// Authenticates the calling client exactly as configured (token and introspection endpoints).
/// Every failure is recorded with its real reason, and answered with the same invalid_client.
async fn authenticate_client(
    state: &AppState,
    r: &Realm,
    headers: &HeaderMap,
    form: &[(String, String)],
    ip: Option<IpAddr>,
    certificate: &PresentedCertificate,
) -> Result<Caller, OAuthError> {
    let now = crate::now();
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let basic =
        authorization.is_some_and(|a| a.len() >= 6 && a[..6].eq_ignore_ascii_case("basic "));
    let fail = |client: Option<&Client>,
                client_id: &str,
                method: &str,
                reason: String,
                answer: OAuthError| {
        let state = state.clone();
        let realm_id = r.realm_id.clone();
        let client_row_id = client.map(|c| c.client_row_id.clone());
        let (client_id, method) = (client_id.to_owned(), method.to_owned());
        async move {
            let cost = state
                .oidc
                .failures
                .failure(ip, &realm_id, &client_id, Instant::now());
            let (reason, answer) = match cost {
                FailureCost::Recorded => (reason, answer),
                FailureCost::Unrecorded => return answer,
                FailureCost::Throttled { retry_after, first } => {
                    let answer = OAuthError {
                        retry_after: Some(retry_after),
                        basic,
                        ..OAuthError::new(
                            StatusCode::TOO_MANY_REQUESTS,
                            "invalid_client",
                            "too many failed attempts for this client from your address; try again later",
                        )
                    };
                    if !first {
                        return answer;
                    }
                    (
                        format!(
                            "{reason}; further failures for this client from this address are counted, not recorded, for {} s",
                            retry_after.as_secs()
                        ),
                        answer,
                    )
                }
            };
            tracing::info!(
                realm_id,
                client_id,
                method,
                reason,
                "client authentication failed"
            );
            record_refusal(
                &state,
                &realm_id,
                client_row_id.as_deref(),
                &client_id,
                &method,
                &reason,
                ip,
            )
            .await;
            answer
        }
    };
    let presented = match client_auth::presented(authorization, form) {
        Ok(p) => p,
        Err(e) => {
            let answer = match e {
                AuthError::InvalidRequest(_) => {
                    OAuthError::invalid_request("malformed client authentication")
                }
                _ => OAuthError::invalid_client(basic),
            };
            return Err(fail(None, "", "unknown", e.to_string(), answer).await);
        }
    };
    // A value with the exact shape of a Keyward secret and a checksum that does not hold was
    // never issued (nor accepted at import): refused before any lookup, and counted as a
    // failure like any other.
    if let Presented::Basic { secret, .. } | Presented::Post { secret, .. } = &presented {
        if scannable::precheck(secret.expose()) == scannable::Precheck::BadChecksum {
            let client_id = presented.lookup_client_id().unwrap_or_default();
            let answer = OAuthError::invalid_client(basic);
            let reason = "the secret's checksum does not hold (a mistyped or altered Keyward \
                          secret; no lookup made)"
                .to_string();
            return Err(fail(None, &client_id, presented.method_name(), reason, answer).await);
        }
    }
    let mut method_name = match &presented {
        Presented::Assertion { spiffe: true, .. } => "jwt_spiffe",
        Presented::Assertion { .. } => "jwt",
        p => p.method_name(),
    };
    let db = &state.ctx.db;
    // A token from a platform (federated-jwt): where it says it comes from, unverified (or why
    // that cannot be read), read once.
    let origin_read = match &presented {
        Presented::Assertion { assertion, .. } => Some(federated::unverified_origin(assertion)),
        _ => None,
    };
    let origin = origin_read.as_ref().and_then(|o| o.as_ref().ok());
    let federated_lookup = match (&presented, origin) {
        // A client's own assertion has iss = sub = its client id; a platform's token does not.
        (
            Presented::Assertion {
                client_id: None,
                spiffe,
                ..
            },
            Some(o),
        ) => *spiffe || o.issuer.as_deref() != Some(o.subject.as_str()),
        _ => false,
    };
    let client_id = if federated_lookup {
        let (Some(o), Presented::Assertion { spiffe, .. }) = (origin, &presented) else {
            unreachable!("federated_lookup needs an origin and an assertion")
        };
        let providers = realm_providers(state, r).await?;
        match keyward_service::federation::issuer_of(&providers, o, *spiffe) {
            Some(p) => {
                method_name = federated::presentation(*spiffe);
                let cache = &state.oidc.cache;
                match cache.federated_client(db, &p.idp_row_id, &o.subject) {
                    Some(id) => id,
                    None => match keyward_service::federation::client_for_token(db, p, o).await {
                        Ok(Ok((id, exact))) => {
                            if exact {
                                cache.remember_federated_client(db, &p.idp_row_id, &o.subject, &id);
                            }
                            id
                        }
                        Ok(Err(reason)) => {
                            let answer = OAuthError::invalid_client(basic);
                            return Err(fail(None, "", method_name, reason, answer).await);
                        }
                        Err(e) => return Err(internal(e)),
                    },
                }
            }
            None if *spiffe => {
                let answer = OAuthError::invalid_client(basic);
                let reason = keyward_service::federation::no_provider_reason(o, true);
                return Err(fail(None, "", method_name, reason, answer).await);
            }
            None => o.subject.clone(),
        }
    } else {
        match presented.lookup_client_id() {
            Ok(id) => id,
            Err(e) => {
                let answer = OAuthError::invalid_client(basic);
                return Err(fail(None, "", method_name, e.to_string(), answer).await);
            }
        }
    };
    // Known and unknown client ids take the same path: both are cached (an unknown one as
    // absent), and both compute the presented secret's verifier, so neither answers faster.
    let entry = match state
        .oidc
        .cache
        .client(
            db,
            &r.realm_id,
            &client_id,
            load_client(state, &r.realm_id, &client_id),
        )
        .await
    {
        Ok(Some(c)) => c,
        Ok(None) => {
            if let Presented::Basic { secret, .. } | Presented::Post { secret, .. } = &presented {
                std::hint::black_box(state.ctx.vault.pepper().verifier(secret.expose()));
            }
            let answer = OAuthError::invalid_client(basic);
            return Err(fail(
                None,
                &client_id,
                method_name,
                "no such client".into(),
                answer,
            )
            .await);
        }
        Err(e) => return Err(internal(e)),
    };
    let client = &entry.client;
    let config = keyward_service::clients::auth_config(client);
    let Some(method) = authenticator::by_id(&client.authenticator) else {
        return Err(internal(format!(
            "unknown authenticator {}",
            client.authenticator
        )));
    };
    // A federated client's token comes from one of the realm's identity providers. Its jti is
    // the provider's: one token is used once, whichever client it is presented for.
    let provider = if method.uses_federation() {
        if let Presented::Assertion { spiffe, .. } = &presented {
            method_name = federated::presentation(*spiffe);
            let o = match &origin_read {
                Some(Ok(o)) => o,
                Some(Err(e)) => {
                    let answer = OAuthError::invalid_client(basic);
                    let reason = e.to_string();
                    return Err(fail(Some(client), &client_id, method_name, reason, answer).await);
                }
                None => unreachable!("an assertion always has an origin read"),
            };
            let providers = realm_providers(state, r).await?;
            match keyward_service::federation::issuer_of(&providers, o, *spiffe) {
                Some(p) => Some(p.clone()),
                None => {
                    let answer = OAuthError::invalid_client(basic);
                    let reason = keyward_service::federation::no_provider_reason(o, *spiffe);
                    return Err(fail(Some(client), &client_id, method_name, reason, answer).await);
                }
            }
        } else {
            None
        }
    } else {
        None
    };
    let replay_scope = provider
        .as_ref()
        .map_or(client.client_row_id.as_str(), |p| p.idp_row_id.as_str());
    // A replayed assertion is refused from memory, before its signature is verified: a used
    // jti is refused whatever the rest of the assertion says.
    if let Presented::Assertion { assertion, .. } = &presented {
        if let Some(j) = assertion::unverified_jti(assertion) {
            if state.oidc.jti_used(replay_scope, &j, now) {
                let answer = OAuthError::invalid_client(basic);
                let reason = "the client assertion's jti was already used (replay)".to_string();
                return Err(fail(Some(client), &client_id, method_name, reason, answer).await);
            }
        }
    }
    // A client of an RFC 8705 method that sent only its client id is recorded under the
    // method's RFC name (with the certificate's refusal as the reason).
    if method.uses_certificate() && matches!(presented, Presented::None { .. }) {
        method_name = match method.id() {
            "client-x509" => "tls_client_auth",
            _ => "self_signed_tls_client_auth",
        };
    }
    let ctx = AuthContext {
        issuer: issuer(state, &r.name),
        token_endpoint: format!("{}/protocol/openid-connect/token", issuer(state, &r.name)),
        strict_audience: r.strict_audience,
    };
    let mut unknown_kid = false;
    let result = loop {
        let fetched;
        let keys: &[ClientPublicKey] = match &entry.registered_keys {
            _ if !method.uses_keys() => &[],
            Some(registered) => registered,
            None => match keyward_service::jwks::client_keys(
                db,
                &state.ctx.jwks,
                &client.client_row_id,
                unknown_kid,
                now,
            )
            .await
            {
                Ok(k) => {
                    fetched = k;
                    &fetched
                }
                Err(keyward_service::jwks::KeySourceError::Store(e)) => return Err(internal(e)),
                Err(e) => {
                    let answer = OAuthError::invalid_client(basic);
                    return Err(
                        fail(Some(client), &client_id, method_name, e.to_string(), answer).await,
                    );
                }
            },
        };
        let federation = match &provider {
            None => None,
            Some(p) => {
                let keys = match state
                    .oidc
                    .cache
                    .provider_keys(
                        db,
                        &p.idp_row_id,
                        unknown_kid,
                        keyward_service::federation::provider_keys(
                            db,
                            &state.ctx.jwks,
                            p,
                            unknown_kid,
                            now,
                        ),
                    )
                    .await
                {
                    Ok(k) => k,
                    Err(keyward_service::jwks::KeySourceError::Store(e)) => {
                        return Err(internal(e))
                    }
                    Err(e) => {
                        let answer = OAuthError::invalid_client(basic);
                        return Err(fail(
                            Some(client),
                            &client_id,
                            method_name,
                            e.to_string(),
                            answer,
                        )
                        .await);
                    }
                };
                let Some(described) = keyward_service::federation::provider_of(p) else {
                    return Err(internal(format!(
                        "identity provider {} is malformed",
                        p.alias
                    )));
                };
                Some(authenticator::Federation {
                    provider: described,
                    keys: keys.to_vec(),
                    bindings: entry
                        .bindings
                        .iter()
                        .filter(|(idp, _)| *idp == p.idp_row_id)
                        .map(|(_, b)| b.clone())
                        .collect(),
                })
            }
        };
        let material = ClientMaterial {
            secrets: &entry.secrets,
            pepper: Some(state.ctx.vault.pepper()),
            keys,
            certificate,
            trust_anchors: &state.mtls.trust_anchors,
            federation: federation.as_ref(),
        };
        match method.authenticate(&presented, &config, &material, &ctx, now) {
            Err(AuthError::UnknownKid(_))
            | Err(AuthError::Certificate(
                keyward_credentials::mtls::CertificateRefusal::KeyNotRegistered,
            )) if !unknown_kid && entry.registered_keys.is_none() && method.uses_keys() => {
                // One refetch of a JWKS URL (at most every 10 s per client), then one retry.
                unknown_kid = true;
            }
            Err(AuthError::UnknownProviderKid { .. }) if !unknown_kid => {
                // One refetch of the provider's keys (at most every 10 s per provider).
                unknown_kid = true;
            }
            other => break other,
        }
    };
    let authenticated = match result {
        Ok(a) => a,
        Err(e) => {
            let answer = match e {
                AuthError::InvalidRequest(_) => {
                    OAuthError::invalid_request("malformed client authentication")
                }
                _ => OAuthError::invalid_client(basic),
            };
            return Err(fail(Some(client), &client_id, method_name, e.to_string(), answer).await);
        }
    };
    if let Some((jti_value, remember_until)) = &authenticated.jti {
        let until = (*remember_until).max(now + JTI_SKEW_S);
        let fresh = jti::accept_once(
            &state.ctx.db,
            &r.realm_id,
            replay_scope,
            jti_value,
            until,
            now,
        )
        .await
        .map_err(internal)?;
        state.oidc.remember_jti(replay_scope, jti_value, until, now);
        if !fresh {
            let answer = OAuthError::invalid_client(basic);
            let reason = "the client assertion's jti was already used (replay)".to_string();
            return Err(fail(Some(client), &client_id, method_name, reason, answer).await);
        }
    }
    let due = {
        let mut last = state
            .oidc
            .last_success
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if last.len() > 100_000 {
            last.clear();
        }
        match last.get(&client.client_row_id) {
            Some(at) if now - at < SUCCESS_EVENT_INTERVAL_S => false,
            _ => {
                last.insert(client.client_row_id.clone(), now);
                true
            }
        }
    };
    if due {
        let ip_text = ip.map(|i| i.to_string());
        auth_events::record(
            &state.ctx.db,
            &auth_events::NewAuthEvent {
                realm_id: &r.realm_id,
                client_row_id: Some(&client.client_row_id),
                client_id: &client.client_id,
                at: now,
                method: authenticated.presented,
                success: true,
                reason: None,
                ip: ip_text.as_deref(),
            },
        )
        .await
        .map_err(internal)?;
    }
    if state.oidc.track_last_use {
        record_last_use(state, &entry, &authenticated, ip, now).await;
    }
    Ok(Caller {
        client: client.clone(),
        authenticated,
        entry: entry.clone(),
    })
}

/// Writes when and from where the secret or registered key that just authenticated was used,
/// at most once a minute per credential. A failed write is logged, never refuses the client.
async fn record_last_use(
    state: &AppState,
    entry: &ClientEntry,
    authenticated: &authenticator::Authenticated,
    ip: Option<IpAddr>,
    now: i64,
) {
    let db = &state.ctx.db;
    let ip_text = ip.map(|i| i.to_string());
    let result = if let Some(secret_id) = &authenticated.secret_id {
        if !state.oidc.last_use_due("s", secret_id, None, now) {
            return;
        }
        keyward_store::secrets::record_use(
            db,
            secret_id,
            now,
            ip_text.as_deref(),
            LAST_USE_INTERVAL_S,
        )
        .await
    } else if let (Some(kid), Some(registered), "client-jwt") = (
        &authenticated.kid,
        &entry.registered_keys,
        authenticated.method,
    ) {
        if registered.is_empty()
            || !state
                .oidc
                .last_use_due("k", &entry.client.client_row_id, Some(kid), now)
        {
            return;
        }
        // Which row answered to the kid: read only when a write is due.
        let key = match keyward_store::keys::list(db, &entry.client.client_row_id).await {
            Ok(all) => all.into_iter().find(|k| {
                keyward_credentials::authenticator::client_jwt::answers_to(
                    &ClientPublicKey {
                        kid: k.kid.clone(),
                        alg: k.alg.clone(),
                        spki_der: k.spki_der.clone(),
                        active: k.active,
                    },
                    kid,
                )
            }),
            Err(e) => {
                tracing::warn!(error = %e, "could not read a client's keys to record their use");
                return;
            }
        };
        let Some(key) = key else { return };
        keyward_store::keys::record_use(
            db,
            &key.key_id,
            now,
            ip_text.as_deref(),
            LAST_USE_INTERVAL_S,
        )
        .await
    } else {
        return;
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not record a credential's last use");
    }
}

/// The realm's identity providers (cached like clients).
async fn realm_providers(
    state: &AppState,
    r: &Realm,
) -> Result<Arc<Vec<keyward_store::identity_providers::IdentityProvider>>, OAuthError> {
    state
        .oidc
        .cache
        .providers(
            &state.ctx.db,
            &r.realm_id,
            keyward_store::identity_providers::list(&state.ctx.db, &r.realm_id),
        )
        .await
        .map_err(internal)
}

/// A client with what its method verifies: its secrets (values unsealed only for
/// client-secret-jwt) or its registered keys (none read when it uses a JWKS URL); and its
/// client scopes.
async fn load_client(
    state: &AppState,
    realm_id: &str,
    client_id: &str,
) -> Result<Option<ClientEntry>, StoreError> {
    let db = &state.ctx.db;
    let client = match keyward_store::clients::get_by_client_id(db, realm_id, client_id).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => {
            // The reads a known client-secret client costs (its secrets and its scopes), made
            // for nobody: an unknown id is not answered measurably faster on a cache miss.
            keyward_store::secrets::list(db, "").await?;
            keyward_store::client_scopes::of_client(db, "").await?;
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let method = authenticator::by_id(&client.authenticator);
    let secrets = match method {
        Some(m) if m.uses_secrets() => {
            load_secrets(state, &client, m.needs_plaintext_secret()).await?
        }
        _ => Vec::new(),
    };
    let registered_keys = match method {
        Some(m) if m.uses_keys() => {
            match keyward_store::keys::jwks(db, &client.client_row_id).await? {
                Some(j) if j.use_jwks_url => None,
                _ => Some(
                    keyward_store::keys::list(db, &client.client_row_id)
                        .await?
                        .into_iter()
                        .map(keyward_service::jwks::registered_key)
                        .collect(),
                ),
            }
        }
        _ => Some(Vec::new()),
    };
    let mut scopes = keyward_credentials::scope::ClientScopes::default();
    for a in keyward_store::client_scopes::of_client(db, &client.client_row_id).await? {
        match a.kind {
            keyward_store::client_scopes::Kind::Default => scopes.default.insert(a.scope.name),
            keyward_store::client_scopes::Kind::Optional => scopes.optional.insert(a.scope.name),
        };
    }
    let bindings = match method {
        Some(m) if m.uses_federation() => {
            keyward_store::federation::of_client(db, &client.client_row_id)
                .await?
                .iter()
                .filter_map(|b| {
                    keyward_service::federation::compile(b).map(|c| (b.idp_row_id.clone(), c))
                })
                .collect()
        }
        _ => Vec::new(),
    };
    Ok(Some(ClientEntry {
        client,
        secrets,
        registered_keys,
        scopes,
        bindings,
    }))
}

/// The client's secrets as the authenticators need them (values unsealed only for
/// client-secret-jwt).
async fn load_secrets(
    state: &AppState,
    client: &Client,
    plaintext: bool,
) -> Result<Vec<StoredSecret>, StoreError> {
    let rows = keyward_store::secrets::list(&state.ctx.db, &client.client_row_id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for s in rows {
        let value = match (&s.sealed, plaintext) {
            (Some((bytes, key_id)), true) => {
                let sealed = Sealed {
                    key_id: key_id.clone(),
                    bytes: bytes.clone(),
                };
                match state.ctx.vault.open(context::CLIENT_SECRET, &sealed) {
                    Ok(v) => String::from_utf8(v.to_vec())
                        .ok()
                        .map(keyward_credentials::secret::SecretString::new),
                    Err(e) => {
                        tracing::error!(secret_id = %s.secret_id, error = %e, "cannot unseal a client secret");
                        None
                    }
                }
            }
            _ => None,
        };
        out.push(StoredSecret {
            id: s.secret_id.clone(),
            verifier: match keyward_credentials::seal::Verifier::from_slice(&s.verifier) {
                Some(v) => v,
                None => {
                    tracing::error!(secret_id = %s.secret_id, "a stored verifier has the wrong length");
                    continue;
                }
            },
            plaintext: value,
            expires_at: s.expires_at,
            revoked_at: s.revoked_at,
        });
    }
    Ok(out)
}

/// Records a failed authentication or a refused token request (the client's recent
/// authentications show it with the reason); a store error is logged, not answered.
async fn record_refusal(
    state: &AppState,
    realm_id: &str,
    client_row_id: Option<&str>,
    client_id: &str,
    method: &str,
    reason: &str,
    ip: Option<IpAddr>,
) {
    let ip_text = ip.map(|i| i.to_string());
    if let Err(e) = auth_events::record(
        &state.ctx.db,
        &auth_events::NewAuthEvent {
            realm_id,
            client_row_id,
            client_id,
            at: crate::now(),
            method,
            success: false,
            reason: Some(reason),
            ip: ip_text.as_deref(),
        },
    )
    .await
    {
        tracing::warn!(error = %e, "cannot record an authentication event");
    }
}

async fn token(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ClientIp(ip): ClientIp,
    ClientCertificate(certificate): ClientCertificate,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let started = Instant::now();
    let (realm_label, outcome, method, res) =
        match token_inner(&state, &name, ip, &certificate, &headers, &body).await {
            Ok((method, res)) => (name.clone(), "success", method, res),
            Err((method, e)) => {
                let outcome = if e.status == StatusCode::TOO_MANY_REQUESTS {
                    "rate_limited"
                } else if e.status.is_server_error() {
                    "error"
                } else {
                    "failure"
                };
                // Label values come only from known realms: every unknown realm is one series.
                let realm_label = if e.status == StatusCode::NOT_FOUND {
                    UNKNOWN_REALM_LABEL.to_string()
                } else {
                    name.clone()
                };
                (realm_label, outcome, method, e.into_response())
            }
        };
    state
        .oidc
        .metrics
        .observe_token(&realm_label, &method, outcome, started.elapsed());
    res
}

async fn token_inner(
    state: &AppState,
    name: &str,
    ip: Option<IpAddr>,
    certificate: &PresentedCertificate,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(String, Response), (String, OAuthError)> {
    let unknown = || "unknown".to_string();
    let r = realm(state, name).await.map_err(|e| (unknown(), e))?;
    let form = form_fields(headers, body).map_err(|e| (unknown(), e))?;
    let grant_type: Vec<&str> = form
        .iter()
        .filter(|(k, _)| k == "grant_type")
        .map(|(_, v)| v.as_str())
        .collect();
    let caller = authenticate_client(state, &r, headers, &form, ip, certificate)
        .await
        .map_err(|e| (unknown(), e))?;
    let method = caller.authenticated.presented.to_string();
    match grant_type.as_slice() {
        ["client_credentials"] => {}
        [] => {
            return Err((
                method,
                OAuthError::invalid_request("Missing form parameter: grant_type"),
            ))
        }
        [_] => {
            return Err((
                method,
                OAuthError::new(
                    StatusCode::BAD_REQUEST,
                    "unsupported_grant_type",
                    "Unsupported grant_type",
                ),
            ))
        }
        _ => return Err((method, OAuthError::invalid_request("duplicated parameter"))),
    }
    // Scopes (Keycloak's client scopes, credentials::scope): the client's default scopes plus
    // the requested ones among its optional (or default) scopes; "openid", which Keycloak
    // libraries always send, is accepted and echoed; anything else is invalid_scope. The client's
    // scopes come from the cache entry it authenticated with (the same generation, so a scope
    // taken away is refused by the next request); a client deleted meanwhile is invalid_client.
    let requested: Vec<&str> = form
        .iter()
        .filter(|(k, _)| k == "scope")
        .map(|(_, v)| v.as_str())
        .collect();
    let requested = match requested.as_slice() {
        [] => None,
        [s] => Some(*s),
        _ => return Err((method, OAuthError::invalid_request("duplicated parameter"))),
    };
    let client = &caller.client;
    let entry = &caller.entry;
    let scope = match keyward_credentials::scope::grant(requested, &entry.scopes) {
        Ok(granted) => granted.join(" "),
        Err(e) => {
            tracing::info!(realm = %r.name, client_id = %client.client_id, reason = %e, "token request refused: invalid_scope");
            return Err((
                method,
                OAuthError::new(StatusCode::BAD_REQUEST, "invalid_scope", e.to_string()),
            ));
        }
    };
    // RFC 8705 §3: a bound client's token carries its certificate's thumbprint; without a
    // certificate it gets no token (never a silently unbound one).
    let cnf = if client.tls_bound_tokens {
        match certificate.thumbprint() {
            Some(x5t) => Some(access_token::Confirmation { x5t_s256: x5t }),
            None => {
                let reason = match certificate.chain() {
                    Err(refusal) => {
                        format!("certificate-bound tokens need a client certificate: {refusal}")
                    }
                    Ok(_) => "certificate-bound tokens need a client certificate".to_string(),
                };
                tracing::info!(realm = %r.name, client_id = %client.client_id, reason, "token request refused: no certificate to bind the token to");
                record_refusal(
                    state,
                    &r.realm_id,
                    Some(&client.client_row_id),
                    &client.client_id,
                    &method,
                    &reason,
                    ip,
                )
                .await;
                return Err((
                    method,
                    OAuthError::invalid_request(BINDING_WITHOUT_CERTIFICATE),
                ));
            }
        }
    } else {
        None
    };
    let key = signing_key(state, &r)
        .await
        .map_err(|e| (method.clone(), e))?;
    let iss = issuer(state, &r.name);
    let mut claims = access_token::claims_for_client(
        &iss,
        &caller.client.client_id,
        &format!("service-account-{}", caller.client.client_id),
        &iss,
        &scope,
        r.access_token_lifetime_s,
        crate::now(),
    );
    claims.cnf = cnf;
    let token = if caller.client.rfc9068_header {
        access_token::mint_rfc9068(&key, &claims)
    } else {
        access_token::mint(&key, &claims)
    }
    .map_err(|e| (method.clone(), internal(e)))?;
    let mut body = json!({
        "access_token": token,
        "expires_in": r.access_token_lifetime_s,
        "refresh_expires_in": 0,
        "token_type": "Bearer",
        "not-before-policy": 0,
    });
    // Always present, as Keycloak's (empty when nothing was granted).
    body["scope"] = json!(scope);
    Ok((
        method,
        (
            [
                (header::CACHE_CONTROL, "no-store"),
                (header::PRAGMA, "no-cache"),
            ],
            axum::Json(body),
        )
            .into_response(),
    ))
}

async fn introspect(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ClientIp(ip): ClientIp,
    ClientCertificate(certificate): ClientCertificate,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, OAuthError> {
    let r = realm(&state, &name).await?;
    let form = form_fields(&headers, &body)?;
    authenticate_client(&state, &r, &headers, &form, ip, &certificate).await?;
    let tokens: Vec<&str> = form
        .iter()
        .filter(|(k, _)| k == "token")
        .map(|(_, v)| v.as_str())
        .collect();
    let [token] = tokens.as_slice() else {
        return Err(OAuthError::invalid_request("Token not provided."));
    };
    // As Keycloak's introspection: a token signed by a key that is no longer published (retired
    // keys are left out of `public_jwks`), or issued to a client that has since been disabled or
    // deleted, is no longer active.
    let jwks = public_jwks(&state, &r).await?;
    let verified = access_token::verify(token, &jwks, &issuer(&state, &r.name), crate::now());
    let verified = match verified {
        Ok(c) => {
            let holder = state
                .oidc
                .cache
                .client(
                    &state.ctx.db,
                    &r.realm_id,
                    &c.azp,
                    load_client(&state, &r.realm_id, &c.azp),
                )
                .await
                .map_err(internal)?;
            match holder {
                Some(e) if e.client.enabled => Ok(c),
                Some(_) => Err("the client the token was issued to is disabled"),
                None => Err("the client the token was issued to no longer exists"),
            }
        }
        Err(_) => Err("the token does not verify"),
    };
    let answer = match verified {
        Ok(c) => {
            let mut answer = json!({
            "active": true,
            "iss": c.iss,
            "sub": c.sub,
            "aud": c.aud,
            "azp": c.azp,
            "client_id": c.client_id,
            "exp": c.exp,
            "iat": c.iat,
            "jti": c.jti,
            "scope": c.scope,
            "username": c.sub,
            "preferred_username": c.sub,
            "token_type": "Bearer",
            });
            // RFC 8705 §3.2: a resource server compares cnf with the certificate it was shown.
            if let Some(cnf) = &c.cnf {
                answer["cnf"] = json!(cnf);
            }
            answer
        }
        Err(reason) => {
            tracing::debug!(reason, "introspection: inactive token");
            json!({ "active": false })
        }
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(answer)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_set_of_used_jtis_stays_cheap_and_keeps_remembering() {
        let s = OidcState::default();
        let now = 1_000;
        for i in 0..MAX_USED_JTIS {
            s.remember_jti("c", &format!("j{i}"), now + 60, now);
        }
        assert!(s.jti_used("c", "j7", now));
        // Full of live ids: the next one is remembered all the same (the set starts over; the
        // store still refuses replays of the forgotten ones).
        s.remember_jti("c", "newest", now + 60, now);
        assert!(s.jti_used("c", "newest", now));
        let len = s.used_jtis.lock().unwrap().0.len();
        assert!(len < MAX_USED_JTIS, "{len}");
        // Expired ids never answer "used".
        s.remember_jti("c", "old", now - 1, now);
        assert!(!s.jti_used("c", "old", now));
    }
}
