//! Keycloak's Admin REST API for client scopes: the realm's `client-scopes`
//! (ClientScopeRepresentation `{id, name, description, protocol, attributes}`), a client's
//! `default-client-scopes` and `optional-client-scopes`, and the `defaultClientScopes` /
//! `optionalClientScopes` name lists of a ClientRepresentation (read, and written on POST and
//! PUT of a client: the list given becomes exactly the client's scopes of that kind; absent, they
//! stay unchanged; an unknown name is a 400 and nothing is written).
//!
//! Viewers read, managers write. Every change goes through `keyward_service::scopes`,
//! the use cases the console runs too (same name rule, same admin events).
//!
//! As Keycloak: a duplicate name answers 409 `Client Scope {name} already exists`, a name that is
//! not a scope token (RFC 6749 §3.3) 400, an unknown scope 404, `PUT` of an assignment twice and
//! `DELETE` of one the client does not have 204, the client's lists hold only ids and names.
//! Differences (see the module docs of `keyward_service::scopes`): `PUT` moves a scope the
//! client has as the other kind, `DELETE` leaves the other kind alone, `protocol` is always
//! `openid-connect`, and attributes are not stored (`include.in.token.scope` is always true).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, put};
use axum::{Json, Router};
use keyward_credentials::operator::Role;
use keyward_service::scopes as use_case;
use keyward_store::client_scopes::{self, ClientScope, Kind};
use keyward_store::clients::Client;
use keyward_store::realms::Realm;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    base, client_to_change, created, realm_and_client, realm_named, ApiError, ApiResult, Body,
    Caller,
};
use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    let scopes = "/admin/realms/{realm}/client-scopes";
    let client = "/admin/realms/{realm}/clients/{id}";
    Router::new()
        .route(scopes, get(list_scopes).post(create_scope))
        .route(
            &format!("{scopes}/{{scope_id}}"),
            get(get_scope).put(update_scope).delete(delete_scope),
        )
        .route(
            &format!("{client}/default-client-scopes"),
            get(list_default),
        )
        .route(
            &format!("{client}/default-client-scopes/{{scope_id}}"),
            put(add_default).delete(remove_default),
        )
        .route(
            &format!("{client}/optional-client-scopes"),
            get(list_optional),
        )
        .route(
            &format!("{client}/optional-client-scopes/{{scope_id}}"),
            put(add_optional).delete(remove_optional),
        )
}

/// Keycloak's ClientScopeRepresentation.
fn scope_rep(s: &ClientScope) -> Value {
    json!({
        "id": s.client_scope_id,
        "name": s.name,
        "description": s.description,
        "protocol": s.protocol,
        "attributes": { "include.in.token.scope": "true" },
    })
}

/// ClientScopeRepresentation as Keyward reads it: absent fields take their defaults (POST) or
/// stay unchanged (PUT); fields Keyward does not model (attributes, protocol mappers) are
/// ignored, wrong types refused.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScopeRep {
    id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    protocol: Option<String>,
}

impl ScopeRep {
    fn check_protocol(&self) -> ApiResult<()> {
        match self.protocol.as_deref() {
            None | Some("openid-connect") => Ok(()),
            Some(_) => Err(ApiError::bad_request(
                "Unexpected protocol: Keyward's client scopes are openid-connect",
            )),
        }
    }
}

async fn scope_of(state: &AppState, r: &Realm, id: &str) -> ApiResult<ClientScope> {
    Ok(use_case::get(&state.ctx, r, id).await?)
}

async fn list_scopes(
    State(state): State<AppState>,
    caller: Caller,
    Path(realm): Path<String>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let r = realm_named(&state, &realm).await?;
    let all = client_scopes::list(&state.ctx.db, &r.realm_id).await?;
    Ok(Json(all.iter().map(scope_rep).collect::<Vec<_>>()).into_response())
}

async fn create_scope(
    State(state): State<AppState>,
    caller: Caller,
    Path(realm): Path<String>,
    Body(rep): Body<ScopeRep>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    let r = realm_named(&state, &realm).await?;
    rep.check_protocol()?;
    let s = use_case::create(
        &state.ctx,
        &caller.actor,
        &r,
        rep.name.as_deref().unwrap_or(""),
        rep.description.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(created(format!(
        "{}/admin/realms/{}/client-scopes/{}",
        base(&state),
        r.name,
        s.client_scope_id
    )))
}

async fn get_scope(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, scope_id)): Path<(String, String)>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let r = realm_named(&state, &realm).await?;
    Ok(Json(scope_rep(&scope_of(&state, &r, &scope_id).await?)).into_response())
}

async fn update_scope(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, scope_id)): Path<(String, String)>,
    Body(rep): Body<ScopeRep>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    let r = realm_named(&state, &realm).await?;
    let s = scope_of(&state, &r, &scope_id).await?;
    if rep.id.as_deref().is_some_and(|i| i != s.client_scope_id) {
        return Err(ApiError::bad_request(
            "a client scope's id cannot be changed",
        ));
    }
    rep.check_protocol()?;
    use_case::update(
        &state.ctx,
        &caller.actor,
        &r,
        &s,
        rep.name.as_deref(),
        rep.description.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete_scope(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, scope_id)): Path<(String, String)>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    let r = realm_named(&state, &realm).await?;
    let s = scope_of(&state, &r, &scope_id).await?;
    use_case::delete(&state.ctx, &caller.actor, &r, &s).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---------------------------------------------------------------------------------------------
// A client's default and optional scopes

/// The client's scopes of one kind, as Keycloak lists them: id and name only.
async fn list_kind(state: &AppState, c: &Client, kind: Kind) -> ApiResult {
    let all = client_scopes::of_client(&state.ctx.db, &c.client_row_id).await?;
    let out: Vec<Value> = all
        .iter()
        .filter(|a| a.kind == kind)
        .map(|a| json!({ "id": a.scope.client_scope_id, "name": a.scope.name }))
        .collect();
    Ok(Json(out).into_response())
}

async fn change_kind(
    state: &AppState,
    caller: &Caller,
    (realm, id, scope_id): (String, String, String),
    kind: Kind,
    add: bool,
) -> ApiResult {
    caller.require(Role::Manager)?;
    let (r, c) = client_to_change(state, caller, &realm, &id).await?;
    let s = scope_of(state, &r, &scope_id).await?;
    if add {
        use_case::assign(&state.ctx, &caller.actor, &r, &c, &s, kind).await?;
    } else {
        use_case::unassign(&state.ctx, &caller.actor, &r, &c, &s, kind).await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_default(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let (_, c) = realm_and_client(&state, &realm, &id).await?;
    list_kind(&state, &c, Kind::Default).await
}

async fn list_optional(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let (_, c) = realm_and_client(&state, &realm, &id).await?;
    list_kind(&state, &c, Kind::Optional).await
}

async fn add_default(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<(String, String, String)>,
) -> ApiResult {
    change_kind(&state, &caller, p, Kind::Default, true).await
}

async fn remove_default(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<(String, String, String)>,
) -> ApiResult {
    change_kind(&state, &caller, p, Kind::Default, false).await
}

async fn add_optional(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<(String, String, String)>,
) -> ApiResult {
    change_kind(&state, &caller, p, Kind::Optional, true).await
}

async fn remove_optional(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<(String, String, String)>,
) -> ApiResult {
    change_kind(&state, &caller, p, Kind::Optional, false).await
}

// ---------------------------------------------------------------------------------------------
// defaultClientScopes / optionalClientScopes in a ClientRepresentation

/// What a ClientRepresentation asks of the client's scopes, resolved before anything is
/// written (`None`: that list was absent, the client's scopes of that kind stay).
pub(super) struct ScopePlan {
    default: Option<Vec<ClientScope>>,
    optional: Option<Vec<ClientScope>>,
}

/// Resolves the representation's `defaultClientScopes` and `optionalClientScopes` (names) in
/// the realm: 400 for an unknown name or a name in both lists.
pub(super) async fn plan(
    state: &AppState,
    r: &Realm,
    default: Option<&[String]>,
    optional: Option<&[String]>,
) -> ApiResult<ScopePlan> {
    if let (Some(d), Some(o)) = (default, optional) {
        if let Some(both) = d.iter().find(|n| o.contains(n)) {
            return Err(ApiError::bad_request(format!(
                "client scope {both:?} is in both defaultClientScopes and optionalClientScopes"
            )));
        }
    }
    let default = match default {
        Some(n) => Some(use_case::resolve(&state.ctx, r, "defaultClientScopes", n).await?),
        None => None,
    };
    let optional = match optional {
        Some(n) => Some(use_case::resolve(&state.ctx, r, "optionalClientScopes", n).await?),
        None => None,
    };
    Ok(ScopePlan { default, optional })
}

/// Writes a [`ScopePlan`] (each kind given becomes exactly the client's scopes of that kind).
pub(super) async fn apply(
    state: &AppState,
    caller: &Caller,
    r: &Realm,
    c: &Client,
    plan: ScopePlan,
) -> ApiResult<()> {
    for (kind, scopes) in [
        (Kind::Default, plan.default),
        (Kind::Optional, plan.optional),
    ] {
        if let Some(scopes) = scopes {
            use_case::set_kind(&state.ctx, &caller.actor, r, c, kind, &scopes).await?;
        }
    }
    Ok(())
}

/// The names of several clients' default and optional scopes, by client row id (one query).
pub(super) async fn names_for_clients(
    state: &AppState,
    client_row_ids: &[String],
) -> ApiResult<HashMap<String, Vec<client_scopes::Assigned>>> {
    Ok(client_scopes::of_clients(&state.ctx.db, client_row_ids).await?)
}

/// Adds `defaultClientScopes` and `optionalClientScopes` (names, in name order) to a
/// ClientRepresentation.
pub(super) fn add_to_rep(rep: &mut Value, assigned: Option<Vec<client_scopes::Assigned>>) {
    let assigned = assigned.unwrap_or_default();
    let names = |kind: Kind| -> Vec<&str> {
        assigned
            .iter()
            .filter(|a| a.kind == kind)
            .map(|a| a.scope.name.as_str())
            .collect()
    };
    rep["defaultClientScopes"] = json!(names(Kind::Default));
    rep["optionalClientScopes"] = json!(names(Kind::Optional));
}
