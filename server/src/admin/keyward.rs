//! Keyward's own model: several secrets, keys and federated bindings per client (`secrets`,
//! `secrets/{id}`, `keys`, `keys/{id}`, `federated-bindings`, `federated-bindings/{id}`),
//! beside Keycloak's one secret, one certificate and one `jwt.credential.issuer`/`sub` pair.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use keyward_credentials::operator::Role;
use keyward_store::{keys, secrets};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{client_to_change, realm_and_client, ApiResult, Body, Caller};
use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    let client = "/admin/realms/{realm}/clients/{id}";
    Router::new()
        .route(
            &format!("{client}/secrets"),
            get(list_secrets).post(add_secret),
        )
        .route(
            &format!("{client}/secrets/{{secret_id}}"),
            axum::routing::delete(revoke_secret),
        )
        .route(
            &format!("{client}/federated-bindings"),
            get(list_bindings).post(add_binding),
        )
        .route(
            &format!("{client}/federated-bindings/{{binding_id}}"),
            axum::routing::delete(delete_binding),
        )
        .route(&format!("{client}/keys"), get(list_keys))
        .route(
            "/admin/realms/{realm}/secret-lifecycle",
            get(get_lifecycle).put(put_lifecycle),
        )
        .route(
            &format!("{client}/keys/{{key_id}}"),
            axum::routing::put(set_key_active).delete(delete_key),
        )
}

fn secret_item(s: &secrets::ClientSecret, now: i64) -> Value {
    json!({
        "id": s.secret_id,
        "label": s.label,
        "state": keyward_credentials::client_secret::SecretState::at(now, s.expires_at, s.revoked_at).as_str(),
        "createdAt": s.created_at,
        "createdBy": s.created_by,
        "expiresAt": s.expires_at,
        "revokedAt": s.revoked_at,
        "leakedAt": s.leaked.as_ref().map(|l| l.0),
        "leakedUrl": s.leaked.as_ref().map(|l| &l.1),
        "lastUsedAt": s.last_used.as_ref().map(|u| u.0),
        "lastUsedFrom": s.last_used.as_ref().and_then(|u| u.1.as_deref()),
    })
}

async fn get_lifecycle(
    State(state): State<AppState>,
    caller: Caller,
    Path(realm): Path<String>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let r = super::realm_named(&state, &realm).await?;
    Ok(Json(keyward_service::secrets::lifecycle_json(&r.lifecycle)).into_response())
}

/// The realm's lifecycle policy (Keyward's own model; every field required, `null` for
/// "none"/"unlimited").
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LifecycleRep {
    secret_prefix_segment: Option<String>,
    secret_max_lifetime_seconds: Option<i64>,
    secrets_must_expire: bool,
    keystore_max_validity_years: Option<i64>,
    leak_action: String,
    leak_grace_seconds: i64,
}

async fn put_lifecycle(
    State(state): State<AppState>,
    caller: Caller,
    Path(realm): Path<String>,
    Body(rep): Body<LifecycleRep>,
) -> ApiResult {
    let leak_action = keyward_store::realms::LeakAction::parse(&rep.leak_action)
        .ok_or_else(|| super::ApiError::bad_request("leakAction is \"revoke\" or \"grace\""))?;
    let r = keyward_service::secrets::update_lifecycle(
        &state.ctx,
        &caller.actor,
        &realm,
        &keyward_store::realms::LifecyclePolicy {
            secret_prefix_segment: rep.secret_prefix_segment,
            secret_max_lifetime_s: rep.secret_max_lifetime_seconds,
            secret_must_expire: rep.secrets_must_expire,
            keystore_max_validity_years: rep.keystore_max_validity_years,
            leak_action,
            leak_grace_s: rep.leak_grace_seconds,
        },
    )
    .await?;
    Ok(Json(keyward_service::secrets::lifecycle_json(&r.lifecycle)).into_response())
}

async fn list_secrets(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let (_, c) = realm_and_client(&state, &realm, &id).await?;
    let now = crate::now();
    let all = secrets::list(&state.ctx.db, &c.client_row_id).await?;
    Ok(Json(all.iter().map(|s| secret_item(s, now)).collect::<Vec<_>>()).into_response())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewSecretRep {
    label: Option<String>,
    /// Seconds the current secrets stay valid; default: the realm's overlap.
    overlap_seconds: Option<i64>,
    /// Epoch seconds; default: never.
    expires_at: Option<i64>,
}

async fn add_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id)): Path<(String, String)>,
    Body(rep): Body<NewSecretRep>,
) -> ApiResult {
    let now = crate::now();
    let keyward_service::secrets::Created {
        secret: created,
        value,
        ..
    } = keyward_service::secrets::generate(
        &state.ctx,
        &caller.actor,
        &realm,
        &id,
        &keyward_service::secrets::NewSecret {
            label: rep.label.as_deref().unwrap_or(""),
            overlap_s: rep.overlap_seconds,
            expires_at: rep.expires_at,
        },
    )
    .await?;
    let mut body = secret_item(&created, now);
    body["value"] = json!(value.expose());
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response())
}

async fn revoke_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id, secret_id)): Path<(String, String, String)>,
) -> ApiResult {
    keyward_service::secrets::revoke(&state.ctx, &caller.actor, &realm, &id, &secret_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn key_item(k: &keys::ClientKey) -> Value {
    json!({
        "id": k.key_id,
        "kid": k.kid,
        "kty": k.kty,
        "alg": k.alg,
        "thumbprintS256": k.thumbprint_s256,
        "source": k.source,
        "notBefore": k.not_before,
        "notAfter": k.not_after,
        "active": k.active,
        "createdAt": k.created_at,
        "createdBy": k.created_by,
        "lastUsedAt": k.last_used.as_ref().map(|u| u.0),
        "lastUsedFrom": k.last_used.as_ref().and_then(|u| u.1.as_deref()),
        "publicKey": STANDARD.encode(&k.spki_der),
        "certificate": k.certificate_der.as_deref().map(|d| STANDARD.encode(d)),
    })
}

async fn list_keys(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let (_, c) = realm_and_client(&state, &realm, &id).await?;
    let all = keys::list(&state.ctx.db, &c.client_row_id).await?;
    Ok(Json(all.iter().map(key_item).collect::<Vec<_>>()).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyChange {
    active: bool,
}

async fn set_key_active(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id, key_id)): Path<(String, String, String)>,
    Body(change): Body<KeyChange>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    let (r, c) = client_to_change(&state, &caller, &realm, &id).await?;
    keyward_service::keys::set_active(&state.ctx, &caller.actor, &r, &c, &key_id, change.active)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete_key(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id, key_id)): Path<(String, String, String)>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    let (r, c) = client_to_change(&state, &caller, &realm, &id).await?;
    keyward_service::keys::delete(&state.ctx, &caller.actor, &r, &c, &key_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn binding_item(b: &keyward_store::federation::Binding) -> Value {
    json!({
        "id": b.binding_id,
        "label": b.label,
        "identityProvider": b.provider_alias,
        "subject": b.subject,
        "claimsExpression": b.claims_expr,
        "createdAt": b.created_at,
        "createdBy": b.created_by,
    })
}

async fn list_bindings(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let (_, c) = realm_and_client(&state, &realm, &id).await?;
    let all = keyward_service::federation::bindings(&state.ctx, &c).await?;
    Ok(Json(all.iter().map(binding_item).collect::<Vec<_>>()).into_response())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewBindingRep {
    label: Option<String>,
    identity_provider: Option<String>,
    subject: Option<String>,
    claims_expression: Option<String>,
}

async fn add_binding(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id)): Path<(String, String)>,
    Body(rep): Body<NewBindingRep>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    let (r, c) = client_to_change(&state, &caller, &realm, &id).await?;
    let b = keyward_service::federation::add_binding(
        &state.ctx,
        &caller.actor,
        &r,
        &c,
        &keyward_service::federation::BindingInput {
            label: rep.label.unwrap_or_default(),
            provider: rep.identity_provider.unwrap_or_default(),
            subject: rep.subject,
            expression: rep.claims_expression,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(binding_item(&b))).into_response())
}

async fn delete_binding(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id, binding_id)): Path<(String, String, String)>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    let (r, c) = client_to_change(&state, &caller, &realm, &id).await?;
    keyward_service::federation::delete_binding(&state.ctx, &caller.actor, &r, &c, &binding_id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
