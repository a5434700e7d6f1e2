//! What operators watch: the admin-events log of a realm (filtered by client, operator,
//! operation and day) and credential expiry (the realm's dashboard and the client page's
//! banner). Events never hold a secret or a private key: `ssr::audit` only ever records ids,
//! labels and facts.

use leptos::prelude::*;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

use crate::components::{loading, ErrorAlert};
use crate::components::{param, query};
use crate::error::AppError;
use crate::format_time;

/// Days without use after which the expiry dashboard lists a credential, by default.
pub const DEFAULT_UNUSED_DAYS: i64 = 30;
/// Days ahead the expiry dashboard and banner look by default.
pub const DEFAULT_WINDOW_DAYS: i64 = 30;
/// Events per page.
const EVENTS_PAGE: i64 = 50;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub client_row_id: Option<String>,
    /// The client's id (`clientId`) when the event concerns a client that still exists.
    pub client_id: Option<String>,
    pub operation: String,
    pub resource_path: String,
    /// The resource path with the client's internal id replaced by its client id.
    pub resource: String,
    pub details: String,
    /// The details as (field, value) pairs, values as text (the JSON when not a string).
    pub fields: Vec<(String, String)>,
    pub ip: Option<String>,
}

/// An event's details (a JSON object) as readable (field, value) pairs, in their order.
pub fn detail_fields(details: &str) -> Vec<(String, String)> {
    match serde_json::from_str::<serde_json::Value>(details) {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .map(|(k, v)| {
                let text = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => "none".into(),
                    other => other.to_string(),
                };
                (k, text)
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `clients/{row id}/…` with the row id replaced by the client id.
pub fn readable_path(path: &str, row_id: Option<&str>, client_id: Option<&str>) -> String {
    match (row_id, client_id) {
        (Some(row), Some(id)) => {
            path.replacen(&format!("clients/{row}"), &format!("clients/{id}"), 1)
        }
        _ => path.to_string(),
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiringView {
    pub client_row_id: String,
    pub client_id: String,
    /// `secret` or `certificate`.
    pub kind: String,
    pub id: String,
    pub label: String,
    pub expires_at: i64,
    /// `expired` or `expiring`.
    pub state: String,
}

/// A realm's admin events, newest first. `client` is a client id, `from`/`to` are
/// `yyyy-MM-dd` (UTC, inclusive); empty means any.
#[allow(clippy::too_many_arguments)]
#[server(endpoint = "list_events")]
pub async fn list_events(
    realm: String,
    client: String,
    actor: String,
    operation: String,
    from: String,
    to: String,
    first: i64,
) -> Result<Vec<EventView>, AppError> {
    use crate::ssr::*;
    use keyward_store::events::{self, EventFilter};
    let (ctx, _) = authorize(keyward_credentials::operator::Role::Viewer, None).await?;
    let r = realm_of(&ctx, &realm).await?;
    let client_row_id = match client.trim() {
        "" => None,
        id => Some(
            keyward_store::clients::get_by_client_id(&ctx.db, &r.realm_id, id)
                .await
                .map_err(not_found(format!("Client {id:?}")))?
                .client_row_id,
        ),
    };
    let operation = operation.trim().to_ascii_uppercase();
    if !["", "CREATE", "UPDATE", "DELETE", "ACTION"].contains(&operation.as_str()) {
        return Err(AppError::Invalid(format!(
            "unknown operation {operation:?}: choose CREATE, UPDATE, DELETE or ACTION"
        )));
    }
    let day = |v: &str, end: bool| match v.trim() {
        "" => Ok(None),
        d => keyward_credentials::dates::day(d, end)
            .map(Some)
            .ok_or_else(|| AppError::Invalid(format!("{d:?} is not a date (yyyy-mm-dd)"))),
    };
    let filter = EventFilter {
        realm_id: Some(r.realm_id.clone()),
        client_row_id,
        actor: Some(actor.trim().to_owned()).filter(|a| !a.is_empty()),
        operations: if operation.is_empty() {
            Vec::new()
        } else {
            vec![operation]
        },
        resource_path: None,
        from: day(&from, false)?,
        to: day(&to, true)?,
        ..Default::default()
    };
    let found = events::search(&ctx.db, &filter, first, EVENTS_PAGE).await?;
    // The client ids of the clients the page names (each looked up once).
    let mut names = std::collections::BTreeMap::<String, Option<String>>::new();
    for row in found.iter().filter_map(|e| e.client_row_id.clone()) {
        if let std::collections::btree_map::Entry::Vacant(slot) = names.entry(row) {
            let name = keyward_store::clients::get(&ctx.db, &r.realm_id, slot.key())
                .await
                .ok()
                .map(|c| c.client_id);
            slot.insert(name);
        }
    }
    Ok(found
        .into_iter()
        .map(|e| {
            let client_id = e
                .client_row_id
                .as_ref()
                .and_then(|row| names.get(row).cloned().flatten());
            EventView {
                id: e.event_id,
                at: e.at,
                actor: e.actor,
                resource: readable_path(
                    &e.resource_path,
                    e.client_row_id.as_deref(),
                    client_id.as_deref(),
                ),
                fields: detail_fields(&e.details),
                client_id,
                client_row_id: e.client_row_id,
                operation: e.operation,
                resource_path: e.resource_path,
                details: e.details,
                ip: e.ip,
            }
        })
        .collect())
}

/// Secrets and certificates of the realm (or of one client, `id` non-empty) that have expired
/// or expire within `days`, soonest first.
#[server(endpoint = "list_expiring")]
pub async fn list_expiring(
    realm: String,
    id: String,
    days: i64,
) -> Result<Vec<ExpiringView>, AppError> {
    use crate::ssr::*;
    let (ctx, _) = authorize(keyward_credentials::operator::Role::Viewer, None).await?;
    let r = realm_of(&ctx, &realm).await?;
    if !(1..=3650).contains(&days) {
        return Err(AppError::Invalid(
            "the window must be 1 to 3650 days".into(),
        ));
    }
    let client = Some(id.as_str()).filter(|i| !i.is_empty());
    ssr::expiring(&ctx, &r.name, client, days).await
}

/// A live secret or active key not used for a while.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnusedView {
    pub client_row_id: String,
    pub client_id: String,
    /// `secret` or `key`.
    pub kind: String,
    pub label: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// The Expiry page, read in one request: what expires within `days` days, and the live secrets
/// and active keys not used for `unused_days` days (older than that and not used since),
/// longest unused first (at most 1,000 of each).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiryView {
    pub expiring: Vec<ExpiringView>,
    pub unused: Vec<UnusedView>,
}

#[server(endpoint = "expiry_dashboard")]
pub async fn expiry_dashboard(
    realm: String,
    days: i64,
    unused_days: i64,
) -> Result<ExpiryView, AppError> {
    use crate::ssr::*;
    let (ctx, _) = authorize(keyward_credentials::operator::Role::Viewer, None).await?;
    let r = realm_of(&ctx, &realm).await?;
    if !(1..=3650).contains(&days) || !(1..=3650).contains(&unused_days) {
        return Err(AppError::Invalid(
            "the window must be 1 to 3650 days".into(),
        ));
    }
    let expiring = ssr::expiring(&ctx, &r.name, None, days).await?;
    let now = now();
    let found =
        keyward_store::expiry::unused(&ctx.db, &r.name, now - unused_days * 86_400, now, 1000)
            .await?;
    let unused = found
        .into_iter()
        .map(|u| UnusedView {
            client_row_id: u.client_row_id,
            client_id: u.client_id,
            kind: u.kind,
            label: u.label,
            created_at: u.created_at,
            last_used_at: u.last_used_at,
        })
        .collect();
    Ok(ExpiryView { expiring, unused })
}

/// What the client page shows around its tabs, read in one request: the client, and its
/// secrets and certificates that have expired or expire within [`DEFAULT_WINDOW_DAYS`] (the
/// banner). Read again on every tab switch, so the banner follows what a tab changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientPageView {
    pub client: crate::clients::ClientView,
    pub expiring: Vec<ExpiringView>,
}

#[server(endpoint = "get_client_page")]
pub async fn get_client_page(realm: String, id: String) -> Result<ClientPageView, AppError> {
    use crate::ssr::*;
    let (ctx, _) = authorize(keyward_credentials::operator::Role::Viewer, None).await?;
    let (r, client) = realm_and_client(&ctx, &realm, &id).await?;
    // The banner is an aside: if it cannot be read, the page still shows the client.
    let expiring = ssr::expiring(
        &ctx,
        &r.name,
        Some(&client.client_row_id),
        DEFAULT_WINDOW_DAYS,
    )
    .await
    .unwrap_or_else(|e| {
        tracing::warn!(error = %e, "client page: the expiry banner could not be read");
        Vec::new()
    });
    Ok(ClientPageView {
        client: client.into(),
        expiring,
    })
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::ExpiringView;
    use crate::error::AppError;
    use crate::ssr::{now, Services};

    /// Credentials of the realm (or of one client) that have expired or expire within `days`,
    /// soonest first (at most 1,000).
    pub async fn expiring(
        ctx: &Services,
        realm_name: &str,
        client: Option<&str>,
        days: i64,
    ) -> Result<Vec<ExpiringView>, AppError> {
        let now = now();
        let found = keyward_store::expiry::list(
            &ctx.db,
            Some(realm_name),
            client,
            now + days * 86_400,
            1000,
        )
        .await?;
        Ok(found
            .into_iter()
            .map(|e| ExpiringView {
                state: if e.expires_at <= now {
                    "expired"
                } else {
                    "expiring"
                }
                .into(),
                client_row_id: e.client_row_id,
                client_id: e.client_id,
                kind: e.kind,
                id: e.id,
                label: e.label,
                expires_at: e.expires_at,
            })
            .collect())
    }
}

#[component]
pub fn EventsPage() -> impl IntoView {
    let realm = param("realm");
    let (client, actor, operation, from, to) = (
        query("client"),
        query("actor"),
        query("operation"),
        query("from"),
        query("to"),
    );
    let first = query("first").parse::<i64>().unwrap_or(0).max(0);
    let realm_name = realm.clone();
    let events = list_events(
        realm,
        client.clone(),
        actor.clone(),
        operation.clone(),
        from.clone(),
        to.clone(),
        first,
    );
    view! {
        <h1>"Admin events"</h1>
        <p class="lead">"Every change made in this realm, by operators in the console and by Admin REST API clients. Secret values and private keys are never recorded."</p>
        <form method="get" class="filters" role="search" aria-label="Filter events">
            <div class="filter">
                <label for="ev-client">"Client ID"</label>
                <input id="ev-client" name="client" value=client/>
            </div>
            <div class="filter">
                <label for="ev-actor">"Operator or API client"</label>
                <input id="ev-actor" name="actor" value=actor placeholder="alice or client:ci-bot"/>
            </div>
            <div class="filter">
                <label for="ev-operation">"Operation"</label>
                <select id="ev-operation" name="operation">
                    {["", "CREATE", "UPDATE", "DELETE", "ACTION"].into_iter().map(|o| view! {
                        <option value=o selected=operation == o>{if o.is_empty() { "Any" } else { o }}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="filter">
                <label for="ev-from">"From"</label>
                <input id="ev-from" type="date" name="from" value=from/>
            </div>
            <div class="filter">
                <label for="ev-to">"To"</label>
                <input id="ev-to" type="date" name="to" value=to/>
            </div>
            <button type="submit" class="btn btn-secondary">"Filter"</button>
        </form>
        <Suspense fallback=loading>
            {Suspend::new(async move {
                match events.await {
                    Ok(list) if list.is_empty() => view! {
                        <crate::components::EmptyState title="No events" help="No change matches these filters."/>
                    }.into_any(),
                    Ok(list) => {
                        let more = list.len() as i64 == EVENTS_PAGE;
                        view! {
                            <table class="table" aria-label="Admin events">
                                <thead><tr><th>"Time (UTC)"</th><th>"Who"</th><th>"Operation"</th><th>"Resource"</th><th>"Details"</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|e| {
                                        let resource = match (&e.client_row_id, &e.client_id) {
                                            (Some(id), Some(_)) => view! { <A href=format!("/console/{realm_name}/clients/{id}/settings") attr:title=e.resource_path.clone()>{e.resource.clone()}</A> }.into_any(),
                                            _ => view! { <span title=e.resource_path.clone()>{e.resource.clone()}</span> }.into_any(),
                                        };
                                        let details = if e.fields.is_empty() {
                                            view! { <code class="details">{e.details.clone()}</code> }.into_any()
                                        } else {
                                            view! {
                                                <dl class="details">
                                                    {e.fields.iter().map(|(k, v)| view! { <dt>{k.clone()}</dt><dd>{v.clone()}</dd> }).collect_view()}
                                                </dl>
                                            }.into_any()
                                        };
                                        view! {
                                            <tr data-testid="event-row">
                                                <td>{format_time(e.at)}</td>
                                                <td>{e.actor.clone()}{e.ip.clone().map(|ip| view! { <span class="help">" · " {ip}</span> })}</td>
                                                <td>{e.operation.clone()}</td>
                                                <td>{resource}</td>
                                                <td>{details}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            {more.then(|| view! {
                                <p class="help">"Showing " {EVENTS_PAGE} " events; narrow the filters to see older ones."</p>
                            })}
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn expiry_text(e: &ExpiringView) -> String {
    let what = if e.kind == "secret" {
        format!("Secret {:?}", e.label)
    } else if e.label.is_empty() {
        "A certificate".to_string()
    } else {
        format!("Certificate {}", e.label)
    };
    if e.state == "expired" {
        format!("{what} expired on {}", format_time(e.expires_at))
    } else {
        format!("{what} expires on {}", format_time(e.expires_at))
    }
}

#[component]
pub fn ExpiryPage() -> impl IntoView {
    let realm = param("realm");
    let days = query("days")
        .parse::<i64>()
        .ok()
        .filter(|d| (1..=3650).contains(d))
        .unwrap_or(DEFAULT_WINDOW_DAYS);
    let unused_days = query("unused")
        .parse::<i64>()
        .ok()
        .filter(|d| (1..=3650).contains(d))
        .unwrap_or(DEFAULT_UNUSED_DAYS);
    let realm_name = realm.clone();
    let dashboard = expiry_dashboard(realm, days, unused_days);
    view! {
        <h1>"Expiring credentials"</h1>
        <p class="lead">"Secrets and certificates of this realm that have expired or expire soon. Alerting can use the Prometheus gauge keyward_credential_expiry_seconds at /metrics."</p>
        <form method="get" class="filters" aria-label="Window">
            <input type="hidden" name="unused" value=unused_days.to_string()/>
            <label for="expiry-days">"Within (days)"</label>
            <input id="expiry-days" type="number" min="1" max="3650" name="days" value=days.to_string()/>
            <button type="submit" class="btn btn-secondary">"Show"</button>
        </form>
        <Suspense fallback=loading>
            {Suspend::new(async move {
                match dashboard.await {
                    Ok(d) => view! {
                        <ExpiringTable realm=realm_name.clone() items=d.expiring/>
                        <h2 id="unused">"Unused credentials"</h2>
                        <p class="lead">"Live secrets and active keys that no token request has used for this long: candidates to revoke. Uses are recorded at most once a minute per credential."</p>
                        <form method="get" class="filters" aria-label="Unused window">
                            <input type="hidden" name="days" value=days.to_string()/>
                            <label for="unused-days">"Unused for (days)"</label>
                            <input id="unused-days" type="number" min="1" max="3650" name="unused" value=unused_days.to_string()/>
                            <button type="submit" class="btn btn-secondary">"Show"</button>
                        </form>
                        <UnusedTable realm=realm_name.clone() items=d.unused/>
                    }.into_any(),
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ExpiringTable(realm: String, items: Vec<ExpiringView>) -> impl IntoView {
    if items.is_empty() {
        return view! {
            <crate::components::EmptyState title="Nothing expires soon" help="No secret or certificate of this realm expires within this window."/>
        }
        .into_any();
    }
    view! {
        <table class="table" aria-label="Expiring credentials">
            <thead><tr><th>"Client"</th><th>"Credential"</th><th>"Expires (UTC)"</th><th>"State"</th></tr></thead>
            <tbody>
                {items.into_iter().map(|e| {
                    let tab = if e.kind == "secret" { "credentials" } else { "keys" };
                    view! {
                        <tr data-testid="expiring-row">
                            <td><A href=format!("/console/{realm}/clients/{}/{tab}", e.client_row_id)>{e.client_id.clone()}</A></td>
                            <td>{e.kind.clone()} " " <span class="help">{e.label.clone()}</span></td>
                            <td>{format_time(e.expires_at)}</td>
                            <td><span class=if e.state == "expired" { "badge badge-danger" } else { "badge badge-warning" }>{e.state.clone()}</span></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn UnusedTable(realm: String, items: Vec<UnusedView>) -> impl IntoView {
    if items.is_empty() {
        return view! {
            <crate::components::EmptyState title="Every credential is in use" help="Each live secret and active key of this realm was used within this window, or is newer than it."/>
        }
        .into_any();
    }
    view! {
        <table class="table" aria-label="Unused credentials">
            <thead><tr><th>"Client"</th><th>"Credential"</th><th>"Created (UTC)"</th><th>"Last used (UTC)"</th></tr></thead>
            <tbody>
                {items.into_iter().map(|u| {
                    let tab = if u.kind == "secret" { "credentials" } else { "keys" };
                    view! {
                        <tr data-testid="unused-row">
                            <td><A href=format!("/console/{realm}/clients/{}/{tab}", u.client_row_id)>{u.client_id.clone()}</A></td>
                            <td>{u.kind.clone()} " " <span class="help">{u.label.clone()}</span></td>
                            <td>{format_time(u.created_at)}</td>
                            <td>{u.last_used_at.map(format_time).unwrap_or_else(|| "never".into())}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// The banner on a client's page when one of its credentials has expired or expires within
/// [`DEFAULT_WINDOW_DAYS`] (read with the client, see [`ClientPageView`]: a page rendered after a
/// secret is revoked no longer shows it).
#[component]
pub fn ExpiryBanner(items: Vec<ExpiringView>) -> impl IntoView {
    (!items.is_empty()).then(|| {
        view! {
            <div class="alert alert-warning" role="status" data-testid="expiry-banner">
                <ul>{items.iter().map(|e| view! { <li>{expiry_text(e)}</li> }).collect_view()}</ul>
            </div>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_read_as_fields() {
        assert_eq!(
            detail_fields(
                r#"{"action":"regenerate","label":"daily","overlapSeconds":3600,"expiresAt":null,"previousSecretIds":["a","b"]}"#
            ),
            vec![
                ("action".to_string(), "regenerate".to_string()),
                ("label".into(), "daily".into()),
                ("overlapSeconds".into(), "3600".into()),
                ("expiresAt".into(), "none".into()),
                ("previousSecretIds".into(), r#"["a","b"]"#.into()),
            ]
        );
        assert!(detail_fields("not json").is_empty());
        assert!(detail_fields("[1,2]").is_empty());
    }

    #[test]
    fn paths_name_the_client() {
        assert_eq!(
            readable_path("clients/9f1c/client-secret", Some("9f1c"), Some("billing")),
            "clients/billing/client-secret"
        );
        assert_eq!(
            readable_path("clients/9f1c", Some("9f1c"), None),
            "clients/9f1c"
        );
        assert_eq!(
            readable_path("realm/token-policy", None, None),
            "realm/token-policy"
        );
    }
}
