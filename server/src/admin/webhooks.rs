//! Keyward's own Admin REST resources for notifications (issue 22 §5):
//! `webhooks` (GET list, POST 201 with the signing key, once), `webhooks/{id}` (DELETE) and
//! `webhook-deliveries` (GET, newest first, `?max=` up to 1,000). Viewers read, admins change;
//! every change goes through `keyward_service::webhooks` (validation, audit).

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::{ApiResult, Body, Caller};
use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/realms/{realm}/webhooks",
            get(list_webhooks).post(create_webhook),
        )
        .route(
            "/admin/realms/{realm}/webhooks/{id}",
            delete(delete_webhook),
        )
        .route(
            "/admin/realms/{realm}/webhook-deliveries",
            get(list_deliveries),
        )
}

fn webhook_json(w: &keyward_service::webhooks::WebhookView) -> serde_json::Value {
    json!({
        "id": w.id,
        "url": w.url,
        "events": w.events,
        "createdAt": w.created_at,
        "createdBy": w.created_by,
    })
}

async fn list_webhooks(
    State(state): State<AppState>,
    caller: Caller,
    Path(realm): Path<String>,
) -> ApiResult {
    let all = keyward_service::webhooks::list(&state.ctx, &caller.actor, &realm).await?;
    Ok(Json(all.iter().map(webhook_json).collect::<Vec<_>>()).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewWebhookRep {
    url: String,
    events: Vec<String>,
}

async fn create_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Path(realm): Path<String>,
    Body(rep): Body<NewWebhookRep>,
) -> ApiResult {
    let (w, secret) =
        keyward_service::webhooks::create(&state.ctx, &caller.actor, &realm, &rep.url, &rep.events)
            .await?;
    let mut body = webhook_json(&w);
    body["secret"] = json!(secret.expose());
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response())
}

async fn delete_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult {
    keyward_service::webhooks::delete(&state.ctx, &caller.actor, &realm, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct DeliveriesQuery {
    max: Option<i64>,
}

async fn list_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path(realm): Path<String>,
    Query(q): Query<DeliveriesQuery>,
) -> ApiResult {
    let max = q.max.unwrap_or(100).clamp(1, 1000);
    let all = keyward_service::webhooks::deliveries(&state.ctx, &caller.actor, &realm, max).await?;
    Ok(Json(
        all.iter()
            .map(|d| {
                json!({
                    "id": d.delivery_id,
                    "webhookId": d.webhook_id,
                    "type": d.event_type,
                    "subject": d.subject,
                    "sequence": d.seq,
                    "status": d.status,
                    "attempts": d.attempts,
                    "nextAttemptAt": d.next_attempt_at,
                    "lastStatus": d.last_status,
                    "lastError": d.last_error,
                    "createdAt": d.created_at,
                    "deliveredAt": d.delivered_at,
                    "event": serde_json::from_str::<serde_json::Value>(&d.payload).unwrap_or_default(),
                })
            })
            .collect::<Vec<_>>(),
    )
    .into_response())
}
