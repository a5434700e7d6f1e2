//! Realms: list, create, read, update (display name and token policy) and delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use keyward_credentials::operator::Role;
use keyward_service::audit as audit_as;
use keyward_store::realms::{self, Realm, MASTER};
use keyward_store::StoreError;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{base, created, realm_named, ApiError, ApiResult, Body, Caller};
use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/realms", get(list_realms).post(create_realm))
        .route(
            "/admin/realms/{realm}",
            get(get_realm).put(update_realm).delete(delete_realm),
        )
}

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
    // Checked before anything is written.
    keyward_service::realms::check_token_policy(&rep.token_policy())?;
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
