//! Keycloak's Admin REST API for a realm's identity providers (issue 21 §1; `federated-jwt`
//! clients trust their tokens): `identity-provider/instances`
//! (GET list, POST 201 + Location) and `identity-provider/instances/{alias}` (GET, PUT, DELETE)
//! with IdentityProviderRepresentation `{alias, internalId, providerId, enabled, displayName,
//! config}`. Viewers read, managers write; every change goes through
//! `keyward_service::identity_providers` (validation, audit).
//!
//! As Keycloak: a taken alias answers 409 `Identity Provider {alias} already exists`, an unknown
//! one 404. Differences: the kinds are Keyward's (`oidc`, `kubernetes`, `spiffe`), only the
//! config keys those use are kept (a broker's `clientSecret` is never stored), and the alias of
//! an existing provider cannot be changed (400), and a provider still bound to a client is not
//! deleted (409).
//!
//! Keyward's own: `identity-provider/instances/{alias}/keys` (GET: where the keys came from, when,
//! how many, the last error; POST: fetch them now, manager).

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use keyward_credentials::operator::Role;
use keyward_service::identity_providers::{self as use_case, ProviderInput};
use keyward_store::identity_providers::{self as store, IdentityProvider};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{base, created, realm_named, ApiError, ApiResult, Body, Caller};
use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    let list = "/admin/realms/{realm}/identity-provider/instances";
    Router::new()
        .route(list, get(list_providers).post(create_provider))
        .route(
            &format!("{list}/{{alias}}"),
            get(get_provider)
                .put(update_provider)
                .delete(delete_provider),
        )
        .route(
            &format!("{list}/{{alias}}/keys"),
            get(provider_keys).post(fetch_provider_keys),
        )
}

fn keys_rep(k: Option<keyward_store::federation::ProviderKeys>) -> Value {
    match k {
        None => json!({ "fetched": false }),
        Some(k) => json!({
            "fetched": k.body.is_some(),
            "jwksUrl": k.jwks_url,
            "fetchedAt": k.fetched_at,
            "keyCount": k.key_count,
            "nextRefreshAt": k.next_refresh_at,
            "lastAttemptAt": k.last_attempt_at,
            "lastStatus": k.last_status,
            "lastError": k.last_error,
        }),
    }
}

async fn provider_keys(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, alias)): Path<(String, String)>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let r = realm_named(&state, &realm).await?;
    let p = use_case::get(&state.ctx, &r, &alias).await?;
    let k = keyward_store::federation::keys(&state.ctx.db, &p.idp_row_id).await?;
    Ok(Json(keys_rep(k)).into_response())
}

async fn fetch_provider_keys(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, alias)): Path<(String, String)>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    let r = realm_named(&state, &realm).await?;
    let p = use_case::get(&state.ctx, &r, &alias).await?;
    let k = keyward_service::federation::fetch_keys_now(&state.ctx, &caller.actor, &p).await?;
    Ok(Json(keys_rep(k)).into_response())
}

/// Keycloak's IdentityProviderRepresentation (the broker-login fields with the values that
/// describe a provider used only for client assertions).
fn provider_rep(p: &IdentityProvider) -> Value {
    json!({
        "alias": p.alias,
        "displayName": p.display_name,
        "internalId": p.idp_row_id,
        "providerId": p.provider_id,
        "enabled": p.enabled,
        "trustEmail": false,
        "storeToken": false,
        "addReadTokenRoleOnCreate": false,
        "authenticateByDefault": false,
        "linkOnly": true,
        "hideOnLogin": true,
        "config": p.config,
    })
}

/// IdentityProviderRepresentation as Keyward reads it: absent fields take their defaults (POST)
/// or stay unchanged (PUT); fields Keyward does not model are ignored, wrong types refused.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProviderRep {
    alias: Option<String>,
    provider_id: Option<String>,
    enabled: Option<bool>,
    display_name: Option<String>,
    config: Option<BTreeMap<String, String>>,
}

impl ProviderRep {
    fn input(self) -> ProviderInput {
        ProviderInput {
            provider_id: self.provider_id,
            enabled: self.enabled,
            display_name: self.display_name,
            config: self.config,
        }
    }
}

async fn list_providers(
    State(state): State<AppState>,
    caller: Caller,
    Path(realm): Path<String>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let r = realm_named(&state, &realm).await?;
    let all = store::list(&state.ctx.db, &r.realm_id).await?;
    Ok(Json(all.iter().map(provider_rep).collect::<Vec<_>>()).into_response())
}

async fn create_provider(
    State(state): State<AppState>,
    caller: Caller,
    Path(realm): Path<String>,
    Body(rep): Body<ProviderRep>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    let r = realm_named(&state, &realm).await?;
    let alias = rep.alias.clone().unwrap_or_default();
    let (p, _notes) = use_case::create(&state.ctx, &caller.actor, &r, &alias, &rep.input()).await?;
    Ok(created(format!(
        "{}/admin/realms/{}/identity-provider/instances/{}",
        base(&state),
        r.name,
        p.alias
    )))
}

async fn get_provider(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, alias)): Path<(String, String)>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let r = realm_named(&state, &realm).await?;
    let p = use_case::get(&state.ctx, &r, &alias).await?;
    Ok(Json(provider_rep(&p)).into_response())
}

async fn update_provider(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, alias)): Path<(String, String)>,
    Body(rep): Body<ProviderRep>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    let r = realm_named(&state, &realm).await?;
    let p = use_case::get(&state.ctx, &r, &alias).await?;
    if rep.alias.as_deref().is_some_and(|a| a != p.alias) {
        return Err(ApiError::bad_request(
            "an identity provider's alias cannot be changed",
        ));
    }
    use_case::update(&state.ctx, &caller.actor, &r, &p, &rep.input()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete_provider(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, alias)): Path<(String, String)>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    let r = realm_named(&state, &realm).await?;
    let p = use_case::get(&state.ctx, &r, &alias).await?;
    use_case::delete(&state.ctx, &caller.actor, &r, &p).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
