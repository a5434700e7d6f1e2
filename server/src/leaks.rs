//! Leak-report endpoints (issue 22 §2): `POST /leaks/github`, GitHub's secret-scanning partner
//! endpoint, and `POST /leaks/report`, the same report signed with a shared HMAC key for other
//! scanners. No session and no console guard: the signature is the only authority.
//!
//! Invariants: a report whose signature does not hold under a configured key is refused before
//! its body is read as JSON, and changes nothing; the answer names tokens by their SHA-256,
//! never repeats one; GitHub's key file is read at each report, so replacing it (an operator's
//! refresh of GitHub's published list) takes effect at once.

use std::path::PathBuf;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use keyward_credentials::leak_report::{self, GithubKeys, ReportError};
use keyward_credentials::secret::SecretString;
use serde_json::json;

use crate::AppState;

/// Where reports are verified from (`KEYWARD_GITHUB_LEAK_KEYS`, `KEYWARD_LEAK_REPORT_KEY`).
#[derive(Default)]
pub struct LeakSettings {
    pub github_keys: Option<PathBuf>,
    pub report_key: Option<SecretString>,
}

/// The shortest shared key accepted for generic reports.
pub const MIN_REPORT_KEY: usize = 32;

impl LeakSettings {
    /// Checks the configuration at start-up: the key file parses, the shared key is long enough.
    pub fn from_config(config: &crate::Config) -> Result<Self, crate::config::ConfigError> {
        use crate::config::ConfigError;
        if let Some(path) = &config.github_leak_keys {
            read_keys(path).map_err(ConfigError::of("KEYWARD_GITHUB_LEAK_KEYS"))?;
        }
        let report_key = match &config.leak_report_key {
            Some(k) if k.len() < MIN_REPORT_KEY => {
                return Err(ConfigError::new(
                    "KEYWARD_LEAK_REPORT_KEY",
                    format!("must be at least {MIN_REPORT_KEY} characters"),
                ))
            }
            k => k.clone().map(SecretString::new),
        };
        Ok(LeakSettings {
            github_keys: config.github_leak_keys.clone(),
            report_key,
        })
    }
}

fn read_keys(path: &std::path::Path) -> Result<GithubKeys, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    GithubKeys::parse(&bytes)
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/leaks/github", post(github))
        .route("/leaks/report", post(generic))
}

fn refused(status: StatusCode, e: impl std::fmt::Display) -> Response {
    (status, Json(json!({ "error": e.to_string() }))).into_response()
}

fn refusal(e: ReportError) -> Response {
    tracing::warn!(reason = %e, "a leak report was refused");
    let status = match e {
        ReportError::Malformed(_) | ReportError::TooMany => StatusCode::BAD_REQUEST,
        ReportError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNAUTHORIZED,
    };
    refused(status, e)
}

async fn github(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(path) = &state.leaks.github_keys else {
        return refused(StatusCode::NOT_FOUND, "GitHub leak reports are not enabled");
    };
    let keys = match read_keys(path) {
        Ok(k) => k,
        Err(e) => {
            tracing::error!(error = %e, "GitHub's secret-scanning keys cannot be read");
            return refused(
                StatusCode::SERVICE_UNAVAILABLE,
                "the report cannot be verified now",
            );
        }
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Err(e) = leak_report::verify_github(
        &keys,
        header("github-public-key-identifier"),
        header("github-public-key-signature"),
        &body,
    ) {
        return refusal(e);
    }
    act(&state, "github", &body).await
}

async fn generic(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(key) = &state.leaks.report_key else {
        return refused(StatusCode::NOT_FOUND, "signed leak reports are not enabled");
    };
    let header = headers
        .get("keyward-signature")
        .and_then(|v| v.to_str().ok());
    if let Err(e) = leak_report::verify_hmac(key.expose().as_bytes(), header, &body) {
        return refusal(e);
    }
    act(&state, "hmac", &body).await
}

/// Acts on a verified report and answers as GitHub's program expects: per token, its hash, its
/// type and whether it was one of Keyward's (`true_positive`) or not (`false_positive`).
async fn act(state: &AppState, reporter: &str, body: &[u8]) -> Response {
    let tokens = match leak_report::parse(body) {
        Ok(t) => t,
        Err(e) => return refusal(e),
    };
    match keyward_service::leaks::act_on(&state.ctx, reporter, &tokens).await {
        Ok(outcomes) => Json(
            outcomes
                .iter()
                .map(|o| {
                    json!({
                        "token_hash": o.token_hash,
                        "token_type": o.token_type,
                        "label": if o.keyward_secret { "true_positive" } else { "false_positive" },
                    })
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a verified leak report could not be acted on");
            refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the report could not be processed; send it again",
            )
        }
    }
}
