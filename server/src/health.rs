//! Liveness and readiness probes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use crate::AppState;

/// `GET /health/live`: the process answers.
pub async fn live() -> Json<Value> {
    Json(json!({ "status": "UP" }))
}

/// `GET /health/ready`: the database answers too.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.ctx.db.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "UP", "checks": [{ "name": "database", "status": "UP" }] })),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    json!({ "status": "DOWN", "checks": [{ "name": "database", "status": "DOWN" }] }),
                ),
            )
        }
    }
}
