//! A client's secret as Keycloak models it: `client-secret` (read, regenerate) and
//! `client-secret/rotated` (the previous secret in its overlap: read, invalidate).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use keyward_credentials::operator::Role;
use keyward_credentials::secret::SecretString;
use keyward_service::audit as audit_as;
use keyward_store::clients::Client;
use keyward_store::realms::Realm;
use keyward_store::secrets;
use serde_json::json;

use super::clients::current_secret;
use super::{client_to_change, realm_and_client, ApiError, ApiResult, Caller};
use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    let client = "/admin/realms/{realm}/clients/{id}";
    Router::new()
        .route(
            &format!("{client}/client-secret"),
            get(get_secret).post(regenerate_secret),
        )
        .route(
            &format!("{client}/client-secret/rotated"),
            get(get_rotated).delete(invalidate_rotated),
        )
}

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
pub(super) async fn revealable(
    state: &AppState,
    caller: &Caller,
    r: &Realm,
    c: &Client,
    s: &secrets::ClientSecret,
) -> ApiResult<Option<SecretString>> {
    let path = format!("clients/{}/client-secret", c.client_row_id);
    Ok(keyward_service::secrets::revealable(&state.ctx, &caller.actor, r, c, s, &path).await?)
}

/// The client's current secret's value, when it may be shown (see [`revealable`]).
pub(super) async fn current_value(
    state: &AppState,
    caller: &Caller,
    r: &Realm,
    c: &Client,
) -> ApiResult<Option<SecretString>> {
    let all = secrets::list(&state.ctx.db, &c.client_row_id).await?;
    match current_secret(&all, crate::now()) {
        Some(s) => revealable(state, caller, r, c, s).await,
        None => Ok(None),
    }
}

async fn get_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let (r, c) = realm_and_client(&state, &realm, &id).await?;
    Ok(secret_rep(current_value(&state, &caller, &r, &c).await?))
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
