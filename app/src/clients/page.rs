//! The clients list, a client's page with its tabs, and the Settings tab.

use keyward_credentials::operator::Role;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::use_location;

use crate::components::*;
use crate::format_time;

use super::api::*;

#[component]
pub fn ClientsPage() -> impl IntoView {
    let realm = param("realm");
    let search = query("search");
    let first = query("first").parse::<i64>().unwrap_or(0).max(0);
    let create = ServerAction::<CreateClient>::new();
    let manager = can(Role::Manager);
    let page_link = {
        let (realm, search) = (realm.clone(), search.clone());
        move |first: i64| {
            if search.is_empty() {
                format!("/console/{realm}/clients?first={first}")
            } else {
                format!(
                    "/console/{realm}/clients?search={}&first={first}",
                    encode_query(&search)
                )
            }
        }
    };
    let realm_for_list = realm.clone();
    let searched = !search.is_empty();
    view! {
        <h1>"Clients"</h1>
        <p class="lead">"Clients are the services that authenticate to this realm with their credentials."</p>
        {error_of::<CreateClient>()}
        <div class="toolbar">
            <form method="get" class="search" role="search">
                <label class="sr-only" for="client-search">"Search by client id or name"</label>
                <input id="client-search" type="search" name="search" placeholder="Search by client id or name"
                    value=search.clone()/>
                <button type="submit" class="btn btn-secondary">"Search"</button>
            </form>
            {manager.then(|| view! { <DialogButton dialog="create-client">"Create client"</DialogButton> })}
        </div>
        <Suspense fallback=loading>
            {Suspend::new(async move {
                match list_clients(realm_for_list.clone(), search, first).await {
                    Ok(page) if page.items.is_empty() && page.first == 0 => {
                        if searched {
                            view! { <EmptyState title="No matching clients" help="No client id or name contains this text."/> }.into_any()
                        } else {
                            view! { <EmptyState title="No clients yet" help="Create a client to give a service its credentials."/> }.into_any()
                        }
                    }
                    Ok(page) => {
                        let prev = (page.first > 0).then(|| (page.first - PAGE_SIZE).max(0));
                        let next = page.has_more.then_some(page.first + PAGE_SIZE);
                        let shown = page.items.len() as i64;
                        view! {
                            <table class="table" aria-label="Clients">
                                <thead><tr><th>"Client ID"</th><th>"Name"</th><th>"Type"</th><th>"Enabled"</th><th>"Updated"</th></tr></thead>
                                <tbody>
                                    {page.items.into_iter().map(|c| view! {
                                        <tr>
                                            <td><A href=format!("/console/{}/clients/{}/settings", realm_for_list, c.id)>{c.client_id.clone()}</A></td>
                                            <td>{c.name.clone()}</td>
                                            <td>{if c.public_client { "public" } else { "confidential" }}</td>
                                            <td>{if c.enabled { "yes" } else { "no" }}</td>
                                            <td>{format_time(c.updated_at)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <nav class="pagination" aria-label="Pages">
                                <span>{format!("{} – {}", page.first + 1, page.first + shown)}</span>
                                {prev.map(|p| view! { <a class="btn btn-secondary" href=page_link(p)>"‹ Previous"</a> })}
                                {next.map(|n| view! { <a class="btn btn-secondary" href=page_link(n)>"Next ›"</a> })}
                            </nav>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                }
            })}
        </Suspense>
        {manager.then(|| view! {
            <Modal id="create-client" title="Create client">
                <ActionForm action=create attr:class="form">
                    <CsrfField/>
                    <input type="hidden" name="realm" value=realm.clone()/>
                    <label for="new-client-id">"Client ID"</label>
                    <input id="new-client-id" name="client_id" required maxlength="255" autofocus/>
                    <label for="new-client-name">"Name"</label>
                    <input id="new-client-name" name="name" maxlength="255"/>
                    <label for="new-client-description">"Description"</label>
                    <textarea id="new-client-description" name="description" maxlength="1000"></textarea>
                    <label for="new-client-type">"Access type"</label>
                    <select id="new-client-type" name="access_type">
                        <option value="confidential" selected=true>"Confidential (the client authenticates)"</option>
                        <option value="public">"Public (no client authentication)"</option>
                    </select>
                    <div class="modal-actions">
                        <button type="submit" class="btn btn-primary">"Create"</button>
                        <CancelButton dialog="create-client"/>
                    </div>
                </ActionForm>
            </Modal>
        })}
    }
}

const TABS: [(&str, &str); 4] = [
    ("settings", "Settings"),
    ("credentials", "Credentials"),
    ("keys", "Keys"),
    ("installation", "Installation"),
];

/// What the client page hands to its tab (a nested route): the realm's name and the client
/// as just read.
#[derive(Clone)]
pub struct ClientTabContext {
    pub realm: String,
    pub client: ClientView,
}

/// The client page: its header and tab bar around the current tab, each tab a nested route.
#[component]
pub fn ClientPage() -> impl IntoView {
    let realm = param("realm");
    let id = param("id");
    let path = use_location().pathname.get_untracked();
    let tab = path.rsplit('/').next().unwrap_or("settings").to_string();
    view! {
        <Suspense fallback=loading>
            {Suspend::new(async move {
                match crate::oversight::get_client_page(realm.clone(), id).await {
                    Ok(crate::oversight::ClientPageView { client: c, expiring }) => {
                        provide_context(ClientTabContext { realm: realm.clone(), client: c.clone() });
                        view! {
                            <p class="breadcrumb">
                                <A href=format!("/console/{realm}/clients")>"Clients"</A>
                                " › " {c.client_id.clone()}
                            </p>
                            <h1>{c.client_id.clone()}
                                {(!c.enabled).then(|| view! { <span class="badge badge-muted">"disabled"</span> })}
                            </h1>
                            <crate::oversight::ExpiryBanner items=expiring/>
                            <nav class="tabs" aria-label="Client">
                                {TABS.iter().map(|(slug, label)| {
                                    let href = format!("/console/{realm}/clients/{}/{slug}", c.id);
                                    let class = if tab == *slug { "tab tab-active" } else { "tab" };
                                    view! { <A href=href attr:class=class>{*label}</A> }
                                }).collect_view()}
                            </nav>
                            <Outlet/>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn tab_context() -> Option<ClientTabContext> {
    use_context::<ClientTabContext>()
}

#[component]
pub fn SettingsTab() -> impl IntoView {
    tab_context().map(|ClientTabContext { realm, client }| view! { <ClientSettings client realm/> })
}

#[component]
pub fn CredentialsTabRoute() -> impl IntoView {
    tab_context().map(|ClientTabContext { realm, client }| {
        view! { <crate::credentials::page::CredentialsTab realm id=client.id/> }
    })
}

#[component]
pub fn KeysTabRoute() -> impl IntoView {
    tab_context().map(|ClientTabContext { realm, client }| {
        view! { <crate::keys::page::KeysTab realm id=client.id/> }
    })
}

#[component]
pub fn InstallationTabRoute() -> impl IntoView {
    tab_context().map(|ClientTabContext { realm, client }| {
        view! { <crate::installation::InstallationTab realm id=client.id/> }
    })
}

pub fn unknown_tab() -> impl IntoView {
    view! { <EmptyState title="No such tab" help="Choose one of the tabs above."/> }
}

#[component]
fn ClientSettings(client: ClientView, realm: String) -> impl IntoView {
    let update = ServerAction::<UpdateClient>::new();
    let manager = can(Role::Manager);
    let api_role_form = (realm == "master" && can(Role::Admin)).then(|| {
        view! { <ApiRoleForm client=client.clone() realm=realm.clone()/> }
    });
    let scopes_card = view! {
        <crate::client_scopes::ClientScopesCard realm=realm.clone() id=client.id.clone()/>
    };
    let (realm_del, id_del) = (realm.clone(), client.id.clone());
    view! {
        <section class="card">
            {(!manager).then(|| view! {
                <div class="alert alert-info" role="status">"Your role can read this client but not change it."</div>
            })}
            <ActionForm action=update attr:class="form">
                <ClientFields realm=realm.clone() id=client.id.clone()/>
                <input type="hidden" name="version" value=client.version.to_string()/>
                <label>"Client ID"</label>
                <p class="readonly">{client.client_id.clone()}</p>
                <label for="client-name">"Name"</label>
                <input id="client-name" name="name" value=client.name.clone() maxlength="255" disabled=!manager/>
                <label for="client-description">"Description"</label>
                <textarea id="client-description" name="description" maxlength="1000" disabled=!manager>{client.description.clone()}</textarea>
                <label for="client-access-type">"Access type"</label>
                <select id="client-access-type" name="access_type" disabled=!manager>
                    <option value="confidential" selected=!client.public_client>"Confidential"</option>
                    <option value="public" selected=client.public_client>"Public"</option>
                </select>
                <label class="checkbox" for="client-enabled">
                    <input id="client-enabled" type="checkbox" name="enabled" checked=client.enabled disabled=!manager/>
                    " Enabled"
                </label>
                <p class="help">"Created " {format_time(client.created_at)} " · internal id " <code>{client.id.clone()}</code></p>
                {manager.then(|| view! {
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary">"Save"</button>
                    </div>
                })}
            </ActionForm>
            {error_of::<UpdateClient>()}
            {error_of::<DeleteClient>()}
            {done::<UpdateClient>("Saved.")}
            {manager.then(|| view! {
                <div class="form-actions">
                    <Confirm id="delete-client" action=DeleteClient::PATH button="Delete client"
                        button_class="btn btn-danger-outline"
                        title="Delete client?"
                        message="The client and all its credentials will be deleted. Services using it will no longer authenticate."
                        confirm="Delete">
                        <ClientFields realm=realm_del id=id_del/>
                    </Confirm>
                </div>
            })}
        </section>
        {scopes_card}
        {api_role_form}
    }
}

/// The Admin REST API role of a master-realm client (admins only).
#[component]
fn ApiRoleForm(client: ClientView, realm: String) -> impl IntoView {
    let set_role = ServerAction::<SetApiRole>::new();
    let current = client.api_role.clone().unwrap_or_default();
    view! {
        <section class="card">
            <h2>"Admin REST API"</h2>
            <p class="help">
                "A role lets this client call " <code>"/admin/realms/…"</code>
                " (Keycloak's Admin REST API) with a bearer token from this realm's token endpoint: "
                "view reads, manage changes clients and credentials, admin also manages realms."
            </p>
            <ActionForm action=set_role attr:class="form">
                <ClientFields realm=realm id=client.id.clone()/>
                <label for="client-api-role">"API role"</label>
                <select id="client-api-role" name="api_role">
                    {[("", "None"), ("view", "view"), ("manage", "manage"), ("admin", "admin")]
                        .into_iter()
                        .map(|(v, l)| view! { <option value=v selected=current == v>{l}</option> })
                        .collect_view()}
                </select>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary">"Set API role"</button>
                </div>
            </ActionForm>
            {error_of::<SetApiRole>()}
            {done::<SetApiRole>("API role updated.")}
        </section>
    }
}
