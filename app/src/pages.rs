//! The console's pages: sign-in, first-admin setup, realms, clients, a client's tabs, operators.
//!
//! Every page is rendered on the server with the data it shows; its forms post natively to
//! their server functions and the server sends the browser back (see `crate::components`).
//! The interactive parts are islands (`crate::islands`).

use keyward_credentials::operator::Role;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

use crate::api::*;
use crate::components::*;
use crate::format_time;
use crate::islands::RealmPicker;

/// A query parameter of the current URL ("" when absent).
pub(crate) fn query(name: &str) -> String {
    use_query_map()
        .read_untracked()
        .get(name)
        .unwrap_or_default()
}

/// A path parameter of the current route ("" when absent).
pub(crate) fn param(name: &str) -> String {
    use_params_map()
        .read_untracked()
        .get(name)
        .unwrap_or_default()
}

// ---- signed-out pages ---------------------------------------------------------------------

fn login_error_text(code: &str) -> &'static str {
    match code {
        "invalid" => "Invalid username or password.",
        "rate" => "Too many failed sign-ins from your address. Wait a few minutes and try again.",
        "expired" => "Your session has expired. Sign in again.",
        "csrf" => "The sign-in form was stale. Try again.",
        _ => "Sign-in failed. Try again.",
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let error = Some(query("error"))
        .filter(|c| !c.is_empty())
        .map(|c| login_error_text(&c));
    let next = query("next");
    let notice = if !query("signed_out").is_empty() {
        Some("You have signed out.")
    } else if !next.is_empty() && error.is_none() {
        Some("Sign in to continue where you were.")
    } else {
        None
    };
    view! {
        <main class="login-page">
            <div class="login-card">
                <h1 class="brand">"Keyward"</h1>
                <p class="subtitle">"Sign in to the console"</p>
                {error.map(|e| view! { <div class="alert alert-danger" role="alert">{e}</div> })}
                {notice.map(|n| view! { <div class="alert alert-info" role="status">{n}</div> })}
                <Suspense fallback=loading>
                    {Suspend::new(async move {
                        match session_info().await {
                            Ok(info) => view! {
                                <form method="post" action="/auth/login" class="form">
                                    <input type="hidden" name="csrf" value=info.csrf/>
                                    <input type="hidden" name="next" value=next/>
                                    <label for="username">"Username"</label>
                                    <input id="username" name="username" autocomplete="username" required autofocus/>
                                    <label for="password">"Password"</label>
                                    <input id="password" name="password" type="password" autocomplete="current-password" required/>
                                    <button type="submit" class="btn btn-primary">"Sign in"</button>
                                </form>
                            }.into_any(),
                            Err(error) => view! { <ErrorAlert error/> }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </main>
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let token = query("token");
    let error = Some(query("error")).filter(|e| !e.is_empty());
    view! {
        <main class="login-page">
            <div class="login-card">
                <h1 class="brand">"Keyward"</h1>
                <p class="subtitle">"Create the first administrator"</p>
                {error.map(|e| view! { <div class="alert alert-danger" role="alert">{e}</div> })}
                <Suspense fallback=loading>
                    {Suspend::new(async move {
                        let csrf = session_info().await.map(|i| i.csrf).unwrap_or_default();
                        // A used link says so at once, instead of failing after the form.
                        if setup_open().await == Ok(false) {
                            return view! {
                                <div class="alert alert-info" role="status">
                                    "This setup link has already been used: the first administrator exists. "
                                    <a href="/login">"Sign in"</a>
                                </div>
                            }.into_any();
                        }
                        view! {
                            <form method="post" action="/auth/setup" class="form">
                                <input type="hidden" name="csrf" value=csrf/>
                                <input type="hidden" name="token" value=token/>
                                <label for="username">"Username"</label>
                                <input id="username" name="username" autocomplete="username" required/>
                                <label for="password">"Password (at least 12 characters)"</label>
                                <input id="password" name="password" type="password" autocomplete="new-password" required minlength="12"/>
                                <label for="confirm">"Repeat the password"</label>
                                <input id="confirm" name="confirm" type="password" autocomplete="new-password" required/>
                                <button type="submit" class="btn btn-primary">"Create administrator"</button>
                            </form>
                        }.into_any()
                    })}
                </Suspense>
            </div>
        </main>
    }
}

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="login-page">
            <div class="login-card">
                <h1 class="brand">"Keyward"</h1>
                <p>"This page does not exist."</p>
                <a href="/console">"Go to the console"</a>
            </div>
        </main>
    }
}

// ---- console layout -----------------------------------------------------------------------

#[component]
pub fn ConsoleLayout() -> impl IntoView {
    view! {
        <Suspense fallback=loading>
            {Suspend::new(async move {
                match session_info().await {
                    Ok(info) if info.me.is_some() => {
                        provide_context(info.clone());
                        let realms = list_realms().await.unwrap_or_default();
                        view! { <Console info realms/> }.into_any()
                    }
                    Ok(_) | Err(crate::error::AppError::Unauthenticated) => view! {
                        <main class="login-page"><div class="login-card">
                            <h1 class="brand">"Keyward"</h1>
                            <p>"You are signed out."</p>
                            <a class="btn btn-primary" href="/login" rel="external">"Sign in"</a>
                        </div></main>
                    }.into_any(),
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Console(info: SessionView, realms: Vec<RealmView>) -> impl IntoView {
    let me = info
        .me
        .clone()
        .expect("Console is only shown when signed in");
    // The realm of the page: `/console/{realm}/…` (the layout's own params do not have it).
    let path = use_location().pathname.get_untracked();
    let current_realm = path
        .strip_prefix("/console/")
        .and_then(|rest| rest.split_once('/'))
        .map(|(realm, _)| realm.to_string())
        .filter(|r| !r.is_empty() && realms.iter().any(|x| &x.name == r));
    let is_admin = me.role == Role::Admin;
    let choices: Vec<(String, String)> = realms
        .into_iter()
        .map(|r| (r.name, r.display_name))
        .collect();
    view! {
        <div class="console">
            <header class="masthead">
                <a class="brand" href="/console">"Keyward"</a>
                <span class="masthead-spacer"></span>
                <span class="whoami" data-testid="whoami">
                    {me.username.clone()} " · " <span class="role">{me.role.as_str()}</span>
                </span>
                <form method="post" action="/auth/logout" class="inline">
                    <input type="hidden" name="csrf" value=info.csrf.clone()/>
                    <button type="submit" class="btn btn-link masthead-link">"Sign out"</button>
                </form>
            </header>
            <div class="console-body">
                <nav class="sidebar" aria-label="Console">
                    <label class="sidebar-label" for="realm-select">"Realm"</label>
                    <RealmPicker realms=choices selected=current_realm.clone().unwrap_or_default()/>
                    {current_realm.map(|realm| view! {
                        <ul class="nav-list">
                            <li><A href=format!("/console/{realm}/clients")>"Clients"</A></li>
                            <li><A href=format!("/console/{realm}/client-scopes")>"Client scopes"</A></li>
                            <li><A href=format!("/console/{realm}/expiry")>"Expiry"</A></li>
                            <li><A href=format!("/console/{realm}/events")>"Admin events"</A></li>
                            <li><A href=format!("/console/{realm}/settings")>"Realm settings"</A></li>
                        </ul>
                    })}
                    <ul class="nav-list nav-global">
                        <li><A href="/console/realms">"Manage realms"</A></li>
                        {is_admin.then(|| view! { <li><A href="/console/operators">"Operators"</A></li> })}
                    </ul>
                </nav>
                <main class="page" id="main">
                    <Outlet/>
                </main>
            </div>
        </div>
    }
}

// ---- realms -------------------------------------------------------------------------------

#[component]
pub fn RealmsPage() -> impl IntoView {
    let create = ServerAction::<CreateRealm>::new();
    let manager = can(Role::Manager);
    let admin = can(Role::Admin);
    view! {
        <h1>"Realms"</h1>
        <p class="lead">"A realm holds a set of clients and their credentials, like a Keycloak realm."</p>
        {error_of::<DeleteRealm>()}
        {done::<DeleteRealm>("Realm deleted.")}
        <Suspense fallback=loading>
            {Suspend::new(async move {
                match list_realms().await {
                    Ok(list) => view! {
                        <table class="table" aria-label="Realms">
                            <thead><tr><th>"Name"</th><th>"Display name"</th><th>"Created"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|r| {
                                    let deletable = admin && r.name != "master";
                                    let name = r.name.clone();
                                    view! {
                                        <tr>
                                            <td><A href=format!("/console/{}/clients", r.name)>{r.name.clone()}</A></td>
                                            <td>{r.display_name.clone()}</td>
                                            <td>{format_time(r.created_at)}</td>
                                            <td class="actions">
                                                {deletable.then(|| view! {
                                                    <Confirm id=format!("delete-realm-{name}") action=DeleteRealm::PATH
                                                        button="Delete" button_label=Some(format!("Delete realm {name}"))
                                                        title="Delete realm?"
                                                        message="The realm and every client in it will be deleted. This cannot be undone."
                                                        confirm="Delete">
                                                        <CsrfField/>
                                                        <input type="hidden" name="realm" value=name.clone()/>
                                                    </Confirm>
                                                })}
                                            </td>
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
        {manager.then(|| view! {
            <section class="card">
                <h2>"Create realm"</h2>
                <ActionForm action=create attr:class="form form-inline">
                    <CsrfField/>
                    <label for="realm-name">"Realm name"</label>
                    <input id="realm-name" name="name" required maxlength="100" pattern="[A-Za-z0-9._\\-]+"
                        title="letters, digits, '-', '_' and '.'"/>
                    <label for="realm-display">"Display name"</label>
                    <input id="realm-display" name="display_name" maxlength="255"/>
                    <button type="submit" class="btn btn-primary">"Create"</button>
                </ActionForm>
                {error_of::<CreateRealm>()}
                {done::<CreateRealm>("Realm created.")}
            </section>
        })}
    }
}

#[component]
pub fn RealmSettingsPage() -> impl IntoView {
    let realm = param("realm");
    let update = ServerAction::<UpdateRealm>::new();
    let policy = ServerAction::<crate::credentials_api::UpdateSecretPolicy>::new();
    let manager = can(Role::Manager);
    let admin = can(Role::Admin);
    view! {
        <Suspense fallback=loading>
            {Suspend::new(async move {
                match get_realm(realm).await {
                    Ok(r) => {
                        let (name_update, name_policy, name_tokens) = (r.name.clone(), r.name.clone(), r.name.clone());
                        view! {
                        <h1>"Realm settings: " {r.name.clone()}</h1>
                        <section class="card">
                            <ActionForm action=update attr:class="form">
                                <CsrfField/>
                                <input type="hidden" name="realm" value=name_update/>
                                <label for="display-name">"Display name"</label>
                                <input id="display-name" name="display_name" value=r.display_name.clone() required maxlength="255" disabled=!manager/>
                                <p class="help">"Created " {format_time(r.created_at)}</p>
                                {manager.then(|| view! { <button type="submit" class="btn btn-primary">"Save"</button> })}
                            </ActionForm>
                            {error_of::<UpdateRealm>()}
                            {done::<UpdateRealm>("Saved.")}
                        </section>
                        <section class="card">
                            <h2>"Client secrets"</h2>
                            <ActionForm action=policy attr:class="form">
                                <CsrfField/>
                                <input type="hidden" name="realm" value=name_policy/>
                                <label for="overlap-default">"Default overlap when a secret is regenerated (hours)"</label>
                                <input id="overlap-default" name="overlap_default_hours" type="number" min="0" max="8760"
                                    value=(r.secret_overlap_default_s / 3600).to_string() disabled=!admin/>
                                <label for="overlap-max">"Longest overlap an operator may choose (hours)"</label>
                                <input id="overlap-max" name="overlap_max_hours" type="number" min="0" max="8760"
                                    value=(r.secret_overlap_max_s / 3600).to_string() disabled=!admin/>
                                <label class="checkbox">
                                    <input type="checkbox" name="allow_reveal" checked=r.allow_secret_reveal disabled=!admin/>
                                    " Admins may reveal stored secrets again (each reveal is audited; new secrets are then kept sealed)"
                                </label>
                                {admin.then(|| view! { <button type="submit" class="btn btn-primary">"Save secret policy"</button> })}
                            </ActionForm>
                            {error_of::<crate::credentials_api::UpdateSecretPolicy>()}
                            {done::<crate::credentials_api::UpdateSecretPolicy>("Secret policy saved.")}
                        </section>
                        <crate::token_settings::TokenSettings realm=name_tokens/>
                    }.into_any() }
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

// ---- clients ------------------------------------------------------------------------------

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
        view! { <crate::credentials_page::CredentialsTab realm id=client.id/> }
    })
}

#[component]
pub fn KeysTabRoute() -> impl IntoView {
    tab_context().map(|ClientTabContext { realm, client }| {
        view! { <crate::keys_page::KeysTab realm id=client.id/> }
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

// ---- operators ----------------------------------------------------------------------------

#[component]
pub fn OperatorsPage() -> impl IntoView {
    let create = ServerAction::<CreateOperator>::new();
    let session = current_session();
    let me = session.me.clone();
    let is_admin = me.as_ref().is_some_and(|m| m.role == Role::Admin);
    let my_id = me.map(|m| m.operator_id).unwrap_or_default();
    let csrf = session.csrf;
    let roles: Vec<String> = Role::ALL.iter().map(|r| r.as_str().to_string()).collect();
    view! {
        <h1>"Operators"</h1>
        <p class="lead">"People who use this console. Viewers read, managers change credentials, admins also manage operators."</p>
        {(!is_admin).then(|| view! {
            <div class="alert alert-info" role="status">"Only admins manage operators."</div>
        })}
        {error_of::<SetOperatorRole>()}
        {error_of::<SetOperatorDisabled>()}
        {error_of::<ResetOperatorPassword>()}
        {done::<SetOperatorRole>("Role changed.")}
        {done::<SetOperatorDisabled>("Saved.")}
        {done::<ResetOperatorPassword>("Password set.")}
        {is_admin.then(|| view! {
        <Suspense fallback=loading>
            {Suspend::new(async move {
                match list_operators().await {
                    Ok(list) => view! {
                        <table class="table" aria-label="Operators">
                            <thead><tr><th>"Username"</th><th>"Role"</th><th>"State"</th><th>"Created"</th><th>"Actions"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|o| {
                                    let is_me = o.operator_id == my_id;
                                    let state = if o.disabled { "disabled" } else { "active" };
                                    let name = o.username.clone();
                                    let oid = o.operator_id.clone();
                                    view! {
                                        <tr>
                                            <td>{o.username.clone()}{is_me.then_some(" (you)")}</td>
                                            <td>
                                                {if is_me {
                                                    view! { <span>{o.role.as_str()}</span> }.into_any()
                                                } else {
                                                    view! {
                                                        <crate::islands::RoleSelect action=SetOperatorRole::PATH.to_string()
                                                            csrf=csrf.clone() operator_id=oid.clone() username=name.clone()
                                                            current=o.role.as_str().to_string() roles=roles.clone()/>
                                                    }.into_any()
                                                }}
                                            </td>
                                            <td>{state}</td>
                                            <td>{format_time(o.created_at)}</td>
                                            <td class="actions">
                                                {(!is_me && o.disabled).then(|| view! {
                                                    <form method="post" action=SetOperatorDisabled::PATH class="inline">
                                                        <CsrfField/>
                                                        <input type="hidden" name="operator_id" value=oid.clone()/>
                                                        <input type="hidden" name="disabled" value="false"/>
                                                        <button type="submit" class="btn btn-link">"Enable"</button>
                                                    </form>
                                                })}
                                                {(!is_me && !o.disabled).then({
                                                    let (oid, name) = (oid.clone(), name.clone());
                                                    move || view! {
                                                    <Confirm id=format!("disable-{oid}") action=SetOperatorDisabled::PATH
                                                        button="Disable" button_class="btn btn-link"
                                                        title="Confirm the change"
                                                        message=format!("Disable {name}? They are signed out at once and cannot sign in until enabled again.")
                                                        confirm="Confirm">
                                                        <CsrfField/>
                                                        <input type="hidden" name="operator_id" value=oid.clone()/>
                                                        <input type="hidden" name="disabled" value="true"/>
                                                    </Confirm>
                                                }})}
                                                <DialogButton dialog=format!("reset-{oid}") class="btn btn-link">"Reset password"</DialogButton>
                                                <Modal id=format!("reset-{oid}") title="Reset password">
                                                    <p>"New password for " <strong>{name.clone()}</strong></p>
                                                    <form method="post" action=ResetOperatorPassword::PATH class="form">
                                                        <CsrfField/>
                                                        <input type="hidden" name="operator_id" value=oid.clone()/>
                                                        <label for=format!("reset-password-{oid}")>"New password"</label>
                                                        <input id=format!("reset-password-{oid}") name="password" type="password" required minlength="12" autocomplete="new-password"/>
                                                        <label for=format!("reset-confirm-{oid}")>"Repeat the new password"</label>
                                                        <input id=format!("reset-confirm-{oid}") name="confirm" type="password" required autocomplete="new-password"/>
                                                        <div class="modal-actions">
                                                            <button type="submit" class="btn btn-primary">"Set password"</button>
                                                            <CancelButton dialog=format!("reset-{oid}")/>
                                                        </div>
                                                    </form>
                                                </Modal>
                                            </td>
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
        <section class="card">
            <h2>"Add operator"</h2>
            <ActionForm action=create attr:class="form">
                <CsrfField/>
                <label for="op-username">"Username"</label>
                <input id="op-username" name="username" required maxlength="64" autocomplete="off"/>
                <label for="op-role">"Role"</label>
                <select id="op-role" name="role">
                    <option value="viewer">"viewer"</option>
                    <option value="manager" selected=true>"manager"</option>
                    <option value="admin">"admin"</option>
                </select>
                <label for="op-password">"Password (at least 12 characters)"</label>
                <input id="op-password" name="password" type="password" required minlength="12" autocomplete="new-password"/>
                <label for="op-confirm">"Repeat the password"</label>
                <input id="op-confirm" name="confirm" type="password" required autocomplete="new-password"/>
                <button type="submit" class="btn btn-primary">"Add operator"</button>
            </ActionForm>
            {error_of::<CreateOperator>()}
            {done::<CreateOperator>("Operator added.")}
        </section>
        })}
    }
}

/// Percent-encodes a query-string value.
pub(crate) fn encode_query(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::encode_query;

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode_query("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(encode_query("svc-01_x.y~"), "svc-01_x.y~");
    }
}
