//! Admin events: the realm's `admin-events`, filtered as Keycloak's query parameters ask.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use keyward_credentials::operator::Role;
use keyward_store::clients;
use keyward_store::realms::MASTER;
use keyward_store::{events, StoreError};
use serde_json::{json, Value};

use super::{realm_named, ApiError, ApiResult, Caller};
use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/admin/realms/{realm}/admin-events", get(admin_events))
}

/// The admin-events query. `operationTypes` is a list in Keycloak (`?operationTypes=CREATE&
/// operationTypes=DELETE`, as Keycloak's admin client sends it); Keyward also takes one value
/// with commas.
#[derive(Default)]
struct EventQuery {
    operation_types: Vec<String>,
    resource_path: Option<String>,
    date_from: Option<String>,
    date_to: Option<String>,
    first: Option<i64>,
    max: Option<i64>,
    auth_client: Option<String>,
    auth_realm: Option<String>,
    auth_user: Option<String>,
    auth_ip_address: Option<String>,
    resource_types: Vec<String>,
    direction: Option<String>,
}

impl EventQuery {
    fn parse(raw: Option<&str>) -> ApiResult<EventQuery> {
        let mut q = EventQuery::default();
        let number = |name: &str, v: &str| {
            v.parse::<i64>().map_err(|_| {
                ApiError::bad_request(format!("{name} must be a whole number, not {v:?}"))
            })
        };
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            match k.as_ref() {
                "operationTypes" => q.operation_types.push(v.into_owned()),
                "resourcePath" => q.resource_path = Some(v.into_owned()),
                "dateFrom" => q.date_from = Some(v.into_owned()),
                "dateTo" => q.date_to = Some(v.into_owned()),
                "first" => q.first = Some(number("first", &v)?),
                "max" => q.max = Some(number("max", &v)?),
                "authClient" => q.auth_client = Some(v.into_owned()),
                "authRealm" => q.auth_realm = Some(v.into_owned()),
                "authUser" => q.auth_user = Some(v.into_owned()),
                "authIpAddress" => q.auth_ip_address = Some(v.into_owned()),
                "resourceTypes" => q.resource_types.push(v.into_owned()),
                "direction" => q.direction = Some(v.into_owned()),
                _ => {}
            }
        }
        Ok(q)
    }
}

/// `yyyy-MM-dd` (Keycloak's format) or epoch milliseconds, as epoch seconds; `end` takes the
/// last second of a day.
fn parse_date(value: &str, end: bool) -> ApiResult<i64> {
    if let Ok(ms) = value.parse::<i64>() {
        return Ok(ms / 1000);
    }
    keyward_credentials::dates::day(value, end)
        .ok_or_else(|| ApiError::bad_request(format!("{value:?} is not a date (yyyy-MM-dd)")))
}

async fn admin_events(
    State(state): State<AppState>,
    caller: Caller,
    Path(realm): Path<String>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let q = EventQuery::parse(raw.as_deref())?;
    let r = realm_named(&state, &realm).await?;
    let operations = q
        .operation_types
        .iter()
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>();
    if let Some(bad) = operations
        .iter()
        .find(|o| !["CREATE", "UPDATE", "DELETE", "ACTION"].contains(&o.as_str()))
    {
        return Err(ApiError::bad_request(format!(
            "unknown operation type {bad}: use CREATE, UPDATE, DELETE or ACTION"
        )));
    }
    let resource_types = q
        .resource_types
        .iter()
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>();
    let ascending = match q
        .direction
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("") | Some("desc") => false,
        Some("asc") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "direction must be asc or desc, not {other:?}"
            )))
        }
    };
    let master = realm_named(&state, MASTER).await?;
    // Every caller signs in to master: another authRealm matches nothing.
    let other_realm = q
        .auth_realm
        .as_deref()
        .is_some_and(|a| a != master.realm_id && a != MASTER);
    // The caller: authClient (the master client's id, or its clientId) and authUser (a client's
    // service-account name, or an operator's username) must name the same actor.
    let mut actors = Vec::new();
    if let Some(c) = q.auth_client.as_deref() {
        let client_id = match clients::get(&state.ctx.db, &master.realm_id, c).await {
            Ok(found) => found.client_id,
            Err(StoreError::NotFound) => c.to_owned(),
            Err(e) => return Err(e.into()),
        };
        actors.push(format!("client:{client_id}"));
    }
    if let Some(u) = q.auth_user.as_deref() {
        actors.push(match u.strip_prefix("service-account-") {
            Some(c) => format!("client:{c}"),
            None => u.to_owned(),
        });
    }
    actors.dedup();
    if other_realm || actors.len() > 1 {
        return Ok(Json(Vec::<Value>::new()).into_response());
    }
    let filter = events::EventFilter {
        realm_id: Some(r.realm_id.clone()),
        client_row_id: None,
        actor: actors.pop(),
        operations,
        resource_path: q.resource_path.clone(),
        from: q
            .date_from
            .as_deref()
            .map(|d| parse_date(d, false))
            .transpose()?,
        to: q
            .date_to
            .as_deref()
            .map(|d| parse_date(d, true))
            .transpose()?,
        ip: q.auth_ip_address.clone(),
        resource_types,
        ascending,
    };
    let found = events::search(
        &state.ctx.db,
        &filter,
        q.first.unwrap_or(0),
        q.max.unwrap_or(100),
    )
    .await?;
    // authDetails as Keycloak writes them: the caller's realm (master), the calling client's
    // internal id, its service-account user (Keyward's `sub`); an operator is the user.
    let mut client_ids: BTreeMap<&str, Option<String>> = BTreeMap::new();
    for e in &found {
        if let Some(c) = e.actor.strip_prefix("client:") {
            if !client_ids.contains_key(c) {
                let id = match clients::get_by_client_id(&state.ctx.db, &master.realm_id, c).await {
                    Ok(found) => Some(found.client_row_id),
                    Err(StoreError::NotFound) => None,
                    Err(e) => return Err(e.into()),
                };
                client_ids.insert(c, id);
            }
        }
    }
    let out: Vec<Value> = found
        .iter()
        .map(|e| {
            let mut auth = json!({ "realmId": master.realm_id });
            match e.actor.strip_prefix("client:") {
                Some(c) => {
                    // A deleted caller keeps its clientId string.
                    auth["clientId"] = json!(client_ids
                        .get(c)
                        .cloned()
                        .flatten()
                        .unwrap_or_else(|| c.to_owned()));
                    auth["userId"] = json!(format!("service-account-{c}"));
                }
                None => auth["userId"] = json!(e.actor),
            }
            if let Some(ip) = &e.ip {
                auth["ipAddress"] = json!(ip);
            }
            json!({
                "id": e.event_id.to_string(),
                "time": e.at * 1000,
                "realmId": e.realm_id,
                "authDetails": auth,
                "operationType": e.operation,
                "resourceType": events::resource_type(&e.resource_path),
                "resourcePath": e.resource_path,
                "representation": e.details,
            })
        })
        .collect();
    Ok(Json(out).into_response())
}
