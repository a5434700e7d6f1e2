//! A realm's **Webhooks** and **Deliveries** pages (issue 22 §5). Webhooks receive CloudEvents
//! about the realm's credentials (expiring, expired, leaked, revoked, rotated, method changed),
//! signed with a key Keyward makes; admins add, delete and show a webhook's signing key (each
//! reveal audited; the link is a plain GET, so no island and no script is needed). Deliveries
//! lists what was sent, is waiting or was given up, with the receiver's last answer.
//!
//! The use cases live in `keyward_service::webhooks`, shared with the Admin REST API.

#[cfg(feature = "ssr")]
use keyward_credentials::operator::Role;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use serde::{Deserialize, Serialize};

use crate::components::*;
use crate::error::AppError;
use crate::format_time;

/// The event types a webhook may receive, with their labels (the service's names).
pub const EVENTS: [(&str, &str, &str); 6] = [
    (
        "ev_expiring",
        "credential.expiring",
        "A secret or certificate expires within 30, 7 or 1 days",
    ),
    (
        "ev_expired",
        "credential.expired",
        "A secret or certificate expired",
    ),
    (
        "ev_leaked",
        "credential.leaked",
        "A leak report named a secret",
    ),
    ("ev_revoked", "credential.revoked", "A secret was revoked"),
    (
        "ev_rotated",
        "credential.rotated",
        "A client's secret was regenerated or imported",
    ),
    (
        "ev_method",
        "client.method_changed",
        "A client's authentication method changed",
    ),
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRow {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: i64,
    pub created_by: String,
}

/// The Webhooks page: the realm's webhooks, and the signing key asked for (admins).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhooksView {
    pub hooks: Vec<WebhookRow>,
    /// (webhook id, its signing key) when an admin asked to see it.
    pub revealed: Option<(String, String)>,
}

/// The realm's webhooks; with `reveal` (a webhook id, admins only) also its signing key,
/// audited.
#[server(endpoint = "list_webhooks")]
pub async fn list_webhooks(realm: String, reveal: String) -> Result<WebhooksView, AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Viewer, None).await?;
    let actor = console_actor(&op).await;
    let hooks = keyward_service::webhooks::list(&ctx, &actor, &realm)
        .await?
        .into_iter()
        .map(|w| WebhookRow {
            id: w.id,
            url: w.url,
            events: w.events,
            created_at: w.created_at,
            created_by: w.created_by,
        })
        .collect();
    let revealed = if reveal.is_empty() {
        None
    } else {
        let key = keyward_service::webhooks::reveal(&ctx, &actor, &realm, &reveal).await?;
        Some((reveal, key.expose().to_owned()))
    };
    Ok(WebhooksView { hooks, revealed })
}

/// The add form's fields, as the browser posts them (each event a checkbox, "true" or absent).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookForm {
    pub url: String,
    #[serde(default)]
    pub ev_expiring: String,
    #[serde(default)]
    pub ev_expired: String,
    #[serde(default)]
    pub ev_leaked: String,
    #[serde(default)]
    pub ev_revoked: String,
    #[serde(default)]
    pub ev_rotated: String,
    #[serde(default)]
    pub ev_method: String,
}

/// Adds a webhook (admins). Its signing key is shown from its row ("Show signing key").
#[server(endpoint = "create_webhook")]
pub async fn create_webhook(
    csrf: String,
    realm: String,
    #[server(flatten)] form: WebhookForm,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Admin, Some(&csrf)).await?;
    let ticked = [
        &form.ev_expiring,
        &form.ev_expired,
        &form.ev_leaked,
        &form.ev_revoked,
        &form.ev_rotated,
        &form.ev_method,
    ];
    let events: Vec<String> = EVENTS
        .iter()
        .zip(ticked)
        .filter(|(_, on)| on.as_str() == "true")
        .map(|((_, name, _), _)| (*name).to_owned())
        .collect();
    let actor = console_actor(&op).await;
    keyward_service::webhooks::create(&ctx, &actor, &realm, &form.url, &events).await?;
    Ok(())
}

/// Deletes a webhook and its deliveries (admins).
#[server(endpoint = "delete_webhook")]
pub async fn delete_webhook(csrf: String, realm: String, id: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Admin, Some(&csrf)).await?;
    let actor = console_actor(&op).await;
    keyward_service::webhooks::delete(&ctx, &actor, &realm, &id).await?;
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub event_type: String,
    pub subject: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
    pub url: String,
}

/// The realm's latest 200 deliveries, newest first.
#[server(endpoint = "list_deliveries")]
pub async fn list_deliveries(realm: String) -> Result<Vec<DeliveryRow>, AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Viewer, None).await?;
    let actor = console_actor(&op).await;
    let hooks = keyward_service::webhooks::list(&ctx, &actor, &realm).await?;
    let url_of = |id: &str| {
        hooks
            .iter()
            .find(|w| w.id == id)
            .map(|w| w.url.clone())
            .unwrap_or_default()
    };
    Ok(
        keyward_service::webhooks::deliveries(&ctx, &actor, &realm, 200)
            .await?
            .into_iter()
            .map(|d| DeliveryRow {
                url: url_of(&d.webhook_id),
                event_type: d.event_type,
                subject: d.subject,
                status: d.status,
                attempts: d.attempts,
                next_attempt_at: d.next_attempt_at,
                last_status: d.last_status,
                last_error: d.last_error,
                created_at: d.created_at,
                delivered_at: d.delivered_at,
            })
            .collect(),
    )
}

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let realm = param("realm");
    let reveal = query("reveal");
    let create = ServerAction::<CreateWebhook>::new();
    let admin = can(keyward_credentials::operator::Role::Admin);
    let realm_list = realm.clone();
    view! {
        <h1>"Webhooks"</h1>
        <p class="lead">
            "Endpoints told about this realm's credentials as CloudEvents 1.0 (JSON), each POST signed "
            <code>"Keyward-Signature: sha256=<hex HMAC-SHA256 of the body>"</code>
            " with the webhook's own key. Failed deliveries are retried with back-off; see "
            <a href=format!("/console/{realm}/deliveries")>"Deliveries"</a>"."
        </p>
        {error_of::<DeleteWebhook>()}
        {done::<DeleteWebhook>("Webhook deleted.")}
        {done::<CreateWebhook>("Webhook added. Use “Show signing key” on its row to configure the receiver.")}
        <Suspense fallback=loading>
            {Suspend::new(async move {
                match list_webhooks(realm_list.clone(), reveal.clone()).await {
                    Ok(v) => view! {
                        {v.revealed.map(|(id, key)| view! {
                            <div class="alert alert-warning" role="status" data-testid="webhook-key">
                                "Signing key of webhook " <code>{id}</code> ": " <code class="secret">{key}</code>
                                " (this reveal is audited)"
                            </div>
                        })}
                        {if v.hooks.is_empty() {
                            view! { <EmptyState title="No webhook yet" help="Add an endpoint to hear about expiring, leaked or revoked credentials."/> }.into_any()
                        } else {
                            view! {
                                <table class="table" aria-label="Webhooks" data-testid="webhooks">
                                    <thead><tr><th>"URL"</th><th>"Events"</th><th>"Added"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                                    <tbody>
                                        {v.hooks.into_iter().map(|w| {
                                            let realm = realm_list.clone();
                                            view! {
                                                <tr>
                                                    <td><code class="kid">{w.url.clone()}</code></td>
                                                    <td>{w.events.join(", ")}</td>
                                                    <td>{format_time(w.created_at)}" by "{w.created_by.clone()}</td>
                                                    <td class="actions">
                                                        {admin.then(|| view! {
                                                            <a class="btn btn-link" href=format!("/console/{realm}/webhooks?reveal={}", w.id)>"Show signing key"</a>
                                                            <Confirm id=format!("delete-webhook-{}", w.id) action=DeleteWebhook::PATH
                                                                button="Delete" title="Delete webhook"
                                                                message="Delete this webhook? Its waiting deliveries are dropped."
                                                                confirm="Delete">
                                                                <input type="hidden" name="realm" value=realm.clone()/>
                                                                <input type="hidden" name="id" value=w.id.clone()/>
                                                            </Confirm>
                                                        })}
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        }}
                    }.into_any(),
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                }
            })}
        </Suspense>
        {(!admin).then(|| view! {
            <div class="alert alert-info" role="status">"Only admins add and delete webhooks."</div>
        })}
        {admin.then(|| view! {
            <section class="card">
                <h2>"Add webhook"</h2>
                <ActionForm action=create attr:class="form">
                    <CsrfField/>
                    <input type="hidden" name="realm" value=realm.clone()/>
                    <label for="webhook-url">"URL"</label>
                    <input id="webhook-url" name="url" type="url" required maxlength="2048" placeholder="https://hooks.example.com/keyward"/>
                    <fieldset>
                        <legend>"Events"</legend>
                        {EVENTS.iter().map(|(field, name, label)| view! {
                            <label class="checkbox">
                                <input type="checkbox" name=*field value="true" checked=true/>
                                " " {*label} " " <code>{*name}</code>
                            </label>
                        }).collect_view()}
                    </fieldset>
                    {error_of::<CreateWebhook>()}
                    <div class="form-actions"><button type="submit" class="btn btn-primary">"Add"</button></div>
                </ActionForm>
            </section>
        })}
    }
}

#[component]
pub fn DeliveriesPage() -> impl IntoView {
    let realm = param("realm");
    view! {
        <h1>"Deliveries"</h1>
        <p class="lead">"Events sent to this realm's webhooks, newest first: delivered, waiting for their next attempt, or given up after 8 attempts."</p>
        <Suspense fallback=loading>
            {Suspend::new(async move {
                match list_deliveries(realm.clone()).await {
                    Ok(list) if list.is_empty() => view! {
                        <EmptyState title="Nothing delivered yet" help="Deliveries appear here when a webhook's events happen."/>
                    }.into_any(),
                    Ok(list) => view! {
                        <table class="table" aria-label="Deliveries" data-testid="deliveries">
                            <thead><tr><th>"Made (UTC)"</th><th>"Event"</th><th>"About"</th><th>"Status"</th><th>"Attempts"</th><th>"Last answer"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|d| {
                                    let badge = match d.status.as_str() {
                                        "delivered" => "badge badge-active",
                                        "pending" => "badge badge-warning",
                                        _ => "badge badge-danger",
                                    };
                                    let state = match (d.status.as_str(), d.delivered_at) {
                                        ("delivered", Some(at)) => format!("delivered {}", format_time(at)),
                                        ("pending", _) => format!("next attempt {}", format_time(d.next_attempt_at)),
                                        (s, _) => s.to_string(),
                                    };
                                    view! {
                                        <tr data-testid="delivery-row">
                                            <td>{format_time(d.created_at)}</td>
                                            <td>{d.event_type.clone()}<div class="help"><code class="kid">{d.url.clone()}</code></div></td>
                                            <td><code class="kid">{d.subject.clone()}</code></td>
                                            <td><span class=badge>{state}</span></td>
                                            <td>{d.attempts}</td>
                                            <td>{d.last_error.clone().or_else(|| d.last_status.map(|s| format!("HTTP {s}"))).unwrap_or_default()}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
