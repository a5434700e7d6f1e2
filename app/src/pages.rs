//! The console's pages: sign-in, first-admin setup, realms, clients, a client's tabs, operators.

use keyward_credentials::operator::Role;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::{use_location, use_navigate, use_params_map, use_query_map};

use crate::api::*;
use crate::components::*;
use crate::form_action::{FormAction, SubmitForm};
use crate::format_time;

fn loading() -> impl IntoView {
    view! { <p class="loading" aria-live="polite">"Loading…"</p> }
}

fn can(role: Role) -> bool {
    current_session().me.is_some_and(|m| m.role.allows(role))
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
    let query = use_query_map();
    let info = Resource::new(|| (), |_| session_info());
    mark_hydrated();
    let error = move || query.read().get("error").map(|c| login_error_text(&c));
    let notice = move || {
        let q = query.read();
        if q.get("signed_out").is_some() {
            Some("You have signed out.")
        } else if q.get("next").is_some() && q.get("error").is_none() {
            Some("Sign in to continue where you were.")
        } else {
            None
        }
    };
    view! {
        <main class="login-page">
            <div class="login-card">
                <h1 class="brand">"Keyward"</h1>
                <p class="subtitle">"Sign in to the console"</p>
                {move || error().map(|e| view! { <div class="alert alert-danger" role="alert">{e}</div> })}
                {move || notice().map(|n| view! { <div class="alert alert-info" role="status">{n}</div> })}
                <Suspense fallback=loading>
                    {move || Suspend::new(async move {
                        match info.await {
                            Ok(info) => view! {
                                <form method="post" action="/auth/login" class="form">
                                    <input type="hidden" name="csrf" value=info.csrf/>
                                    <input type="hidden" name="next" value=move || query.read().get("next").unwrap_or_default()/>
                                    <label for="username">"Username"</label>
                                    <input id="username" name="username" autocomplete="username" required autofocus/>
                                    <label for="password">"Password"</label>
                                    <input id="password" name="password" type="password" autocomplete="current-password" required/>
                                    <button type="submit" class="btn btn-primary">"Sign in"</button>
                                </form>
                            }.into_any(),
                            Err(e) => view! { <div class="alert alert-danger">{e.to_string()}</div> }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </main>
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let error = move || query.read().get("error");
    let info = Resource::new(|| (), |_| session_info());
    let open = Resource::new(|| (), |_| setup_open());
    view! {
        <main class="login-page">
            <div class="login-card">
                <h1 class="brand">"Keyward"</h1>
                <p class="subtitle">"Create the first administrator"</p>
                {move || error().map(|e| view! { <div class="alert alert-danger" role="alert">{e}</div> })}
                <Suspense fallback=loading>
                    {move || Suspend::new(async move {
                        let csrf = info.await.map(|i| i.csrf).unwrap_or_default();
                        // A used link says so at once, instead of failing after the form.
                        if open.await == Ok(false) {
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
    let info = Resource::new(|| (), |_| session_info());
    view! {
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match info.await {
                    Ok(info) if info.me.is_some() => {
                        provide_context(info.clone());
                        view! { <Console info/> }.into_any()
                    }
                    Ok(_) | Err(crate::error::AppError::Unauthenticated) => view! {
                        <main class="login-page"><div class="login-card">
                            <h1 class="brand">"Keyward"</h1>
                            <p>"You are signed out."</p>
                            <a class="btn btn-primary" href="/login" rel="external">"Sign in"</a>
                        </div></main>
                    }.into_any(),
                    Err(e) => view! { <div class="alert alert-danger">{e.to_string()}</div> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Console(info: SessionView) -> impl IntoView {
    let me = info
        .me
        .clone()
        .expect("Console is only shown when signed in");
    let params = use_params_map();
    let current_realm = move || params.read().get("realm");
    let realms_changed = RealmsChanged(RwSignal::new(0));
    provide_context(realms_changed);
    let realms = Resource::new(move || realms_changed.0.get(), |_| list_realms());
    let navigate = use_navigate();
    let is_admin = me.role == Role::Admin;
    mark_hydrated();
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
                    <Transition fallback=loading>
                        {
                            let navigate = navigate.clone();
                            move || {
                                let navigate = navigate.clone();
                                Suspend::new(async move {
                                    let list = realms.await.unwrap_or_default();
                                    let selected = current_realm().unwrap_or_default();
                                    view! {
                                        <select
                                            id="realm-select"
                                            class="realm-select"
                                            on:change=move |ev| {
                                                let realm = event_target_value(&ev);
                                                if !realm.is_empty() {
                                                    navigate(&format!("/console/{realm}/clients"), Default::default());
                                                }
                                            }
                                        >
                                            <option value="" selected=selected.is_empty()>"Choose a realm…"</option>
                                            {list.into_iter().map(|r| {
                                                let is_sel = r.name == selected;
                                                view! { <option value=r.name.clone() selected=is_sel>{r.display_name.clone()} " (" {r.name.clone()} ")"</option> }
                                            }).collect_view()}
                                        </select>
                                    }
                                })
                            }
                        }
                    </Transition>
                    {move || current_realm().map(|realm| view! {
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
    let create = FormAction::<CreateRealm>::new();
    let delete = FormAction::<DeleteRealm>::new();
    let realms = Resource::new(
        move || (create.version().get(), delete.version().get()),
        |_| list_realms(),
    );
    Effect::new(move |_| {
        let created = create.succeeded();
        let deleted = delete.succeeded();
        if created || deleted {
            RealmsChanged::bump();
        }
    });
    let to_delete = RwSignal::new(String::new());
    let confirm_open = RwSignal::new(false);
    let csrf = current_session().csrf;
    let csrf_for_delete = csrf.clone();
    let manager = can(Role::Manager);
    let admin = can(Role::Admin);
    view! {
        <h1>"Realms"</h1>
        <p class="lead">"A realm holds a set of clients and their credentials, like a Keycloak realm."</p>
        <ActionError value=delete/>
        <Transition fallback=loading>
            {move || Suspend::new(async move {
                match realms.await {
                    Ok(list) => view! {
                        <table class="table" aria-label="Realms">
                            <thead><tr><th>"Name"</th><th>"Display name"</th><th>"Created"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|r| {
                                    let name = r.name.clone();
                                    let deletable = admin && r.name != "master";
                                    view! {
                                        <tr>
                                            <td><A href=format!("/console/{}/clients", r.name)>{r.name.clone()}</A></td>
                                            <td>{r.display_name.clone()}</td>
                                            <td>{format_time(r.created_at)}</td>
                                            <td class="actions">
                                                {deletable.then(|| view! {
                                                    <button type="button" class="btn btn-link danger"
                                                        aria-label=format!("Delete realm {name}")
                                                        on:click=move |_| { to_delete.set(name.clone()); confirm_open.set(true); }>
                                                        "Delete"
                                                    </button>
                                                })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <div class="alert alert-danger">{e.to_string()}</div> }.into_any(),
                }
            })}
        </Transition>
        {manager.then(|| view! {
            <section class="card">
                <h2>"Create realm"</h2>
                <SubmitForm action=create attr:class="form form-inline">
                    <CsrfField/>
                    <label for="realm-name">"Realm name"</label>
                    <input id="realm-name" name="name" required maxlength="100" pattern="[A-Za-z0-9._\\-]+"
                        title="letters, digits, '-', '_' and '.'"/>
                    <label for="realm-display">"Display name"</label>
                    <input id="realm-display" name="display_name" maxlength="255"/>
                    <button type="submit" class="btn btn-primary">"Create"</button>
                </SubmitForm>
                <ActionError value=create/>
                {move || create.value().and_then(|r| r.ok()).map(|r| view! {
                    <div class="alert alert-success" role="status">
                        "Realm " <A href=format!("/console/{}/clients", r.name)>{r.name.clone()}</A> " created."
                    </div>
                })}
            </section>
        })}
        <ConfirmDialog
            open=confirm_open
            title="Delete realm?"
            message="The realm and every client in it will be deleted. This cannot be undone."
            confirm_label="Delete"
            on_confirm=Callback::new(move |_| {
                delete.dispatch(DeleteRealm { csrf: csrf_for_delete.clone(), realm: to_delete.get_untracked() });
            })
        />
    }
}

#[component]
pub fn RealmSettingsPage() -> impl IntoView {
    let params = use_params_map();
    let realm = move || params.read().get("realm").unwrap_or_default();
    let update = FormAction::<UpdateRealm>::new();
    let policy = FormAction::<crate::credentials_api::UpdateSecretPolicy>::new();
    let data = Resource::new(
        move || (realm(), update.version().get(), policy.version().get()),
        |(r, _, _)| get_realm(r),
    );
    let manager = can(Role::Manager);
    let admin = can(Role::Admin);
    view! {
        <Transition fallback=loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(r) => { let name_form = r.name.clone(); let name_policy = r.name.clone(); view! {
                        <h1>"Realm settings: " {r.name.clone()}</h1>
                        <section class="card">
                            <SubmitForm action=update attr:class="form">
                                <CsrfField/>
                                <input type="hidden" name="realm" value=name_form/>
                                <label for="display-name">"Display name"</label>
                                <input id="display-name" name="display_name" value=r.display_name.clone() required maxlength="255" disabled=!manager/>
                                <p class="help">"Created " {format_time(r.created_at)}</p>
                                {manager.then(|| view! { <button type="submit" class="btn btn-primary">"Save"</button> })}
                            </SubmitForm>
                            <ActionError value=update/>
                            {move || update.succeeded().then(|| view! {
                                <div class="alert alert-success" role="status">"Saved."</div>
                            })}
                        </section>
                        <section class="card">
                            <h2>"Client secrets"</h2>
                            <SubmitForm action=policy attr:class="form">
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
                            </SubmitForm>
                            <ActionError value=policy/>
                            {move || policy.succeeded().then(|| view! {
                                <div class="alert alert-success" role="status">"Secret policy saved."</div>
                            })}
                        </section>
                        <crate::token_settings::TokenSettings realm=r.name.clone()/>
                    }.into_any() }
                    Err(e) => view! { <div class="alert alert-danger" role="alert">{e.to_string()}</div> }.into_any(),
                }
            })}
        </Transition>
    }
}

// ---- clients ------------------------------------------------------------------------------

#[component]
pub fn ClientsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let realm = Memo::new(move |_| params.read().get("realm").unwrap_or_default());
    let search = Memo::new(move |_| query.read().get("search").unwrap_or_default());
    let first = Memo::new(move |_| {
        query
            .read()
            .get("first")
            .and_then(|f| f.parse::<i64>().ok())
            .unwrap_or(0)
            .max(0)
    });
    let create = FormAction::<CreateClient>::new();
    let clients = Resource::new(
        move || (realm.get(), search.get(), first.get()),
        |(r, s, f)| list_clients(r, s, f),
    );
    let create_open = RwSignal::new(false);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(c)) = create.value() {
            create_open.set(false);
            navigate(
                &format!(
                    "/console/{}/clients/{}/settings",
                    realm.get_untracked(),
                    c.id
                ),
                Default::default(),
            );
        }
    });
    let manager = can(Role::Manager);
    let page_link = move |first: i64| {
        let s = search.get();
        if s.is_empty() {
            format!("/console/{}/clients?first={first}", realm.get())
        } else {
            format!(
                "/console/{}/clients?search={}&first={first}",
                realm.get(),
                encode_query(&s)
            )
        }
    };
    view! {
        <h1>"Clients"</h1>
        <p class="lead">"Clients are the services that authenticate to this realm with their credentials."</p>
        <div class="toolbar">
            <form method="get" class="search" role="search">
                <label class="sr-only" for="client-search">"Search by client id or name"</label>
                <input id="client-search" type="search" name="search" placeholder="Search by client id or name"
                    value=move || search.get()/>
                <button type="submit" class="btn btn-secondary">"Search"</button>
            </form>
            {manager.then(|| view! {
                <button type="button" class="btn btn-primary" on:click=move |_| create_open.set(true)>
                    "Create client"
                </button>
            })}
        </div>
        <Transition fallback=loading>
            {move || Suspend::new(async move {
                match clients.await {
                    Ok(page) if page.items.is_empty() && page.first == 0 => {
                        if search.get_untracked().is_empty() {
                            view! { <EmptyState title="No clients yet" help="Create a client to give a service its credentials."/> }.into_any()
                        } else {
                            view! { <EmptyState title="No matching clients" help="No client id or name contains this text."/> }.into_any()
                        }
                    }
                    Ok(page) => {
                        let realm_name = realm.get_untracked();
                        let prev = (page.first > 0).then(|| (page.first - PAGE_SIZE).max(0));
                        let next = page.has_more.then_some(page.first + PAGE_SIZE);
                        let shown = page.items.len() as i64;
                        view! {
                            <table class="table" aria-label="Clients">
                                <thead><tr><th>"Client ID"</th><th>"Name"</th><th>"Type"</th><th>"Enabled"</th><th>"Updated"</th></tr></thead>
                                <tbody>
                                    {page.items.into_iter().map(|c| view! {
                                        <tr>
                                            <td><A href=format!("/console/{}/clients/{}/settings", realm_name, c.id)>{c.client_id.clone()}</A></td>
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
                    Err(e) => view! { <div class="alert alert-danger" role="alert">{e.to_string()}</div> }.into_any(),
                }
            })}
        </Transition>
        {manager.then(|| view! {
            <FormDialog open=create_open title="Create client">
                <SubmitForm action=create attr:class="form">
                    <CsrfField/>
                    <input type="hidden" name="realm" value=move || realm.get()/>
                    <label for="new-client-id">"Client ID"</label>
                    <input id="new-client-id" name="client_id" required maxlength="255"/>
                    <label for="new-client-name">"Name"</label>
                    <input id="new-client-name" name="name" maxlength="255"/>
                    <label for="new-client-description">"Description"</label>
                    <textarea id="new-client-description" name="description" maxlength="1000"></textarea>
                    <label for="new-client-type">"Access type"</label>
                    <select id="new-client-type" name="access_type">
                        <option value="confidential" selected=true>"Confidential (the client authenticates)"</option>
                        <option value="public">"Public (no client authentication)"</option>
                    </select>
                    <ActionError value=create/>
                    <div class="modal-actions">
                        <button type="submit" class="btn btn-primary">"Create"</button>
                        <button type="button" class="btn btn-link" on:click=move |_| create_open.set(false)>"Cancel"</button>
                    </div>
                </SubmitForm>
            </FormDialog>
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

const TABS: [(&str, &str); 4] = [
    ("settings", "Settings"),
    ("credentials", "Credentials"),
    ("keys", "Keys"),
    ("installation", "Installation"),
];

/// What the client page hands to its tab (a nested route, loaded lazily): the realm's name
/// and the client as just read.
#[derive(Clone)]
pub struct ClientTabContext {
    pub realm: String,
    pub client: ClientView,
}

/// The client page: its header and tab bar around the current tab, each tab a nested route
/// whose code the browser loads when the tab is first shown.
#[component]
pub fn ClientPage() -> impl IntoView {
    let params = use_params_map();
    let realm = Memo::new(move |_| params.read().get("realm").unwrap_or_default());
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let path = use_location().pathname;
    let tab = Memo::new(move |_| {
        path.read()
            .rsplit('/')
            .next()
            .unwrap_or("settings")
            .to_string()
    });
    provide_context(crate::oversight::ClientChanged(RwSignal::new(0)));
    // Re-read on every tab switch: another tab (Credentials) may have changed the client's
    // version, and Settings must save against the current one.
    let client = Resource::new(
        move || (realm.get(), id.get(), tab.get()),
        |(r, i, _)| crate::oversight::get_client_page(r, i),
    );
    view! {
        <Transition fallback=loading>
            {move || Suspend::new(async move {
                match client.await {
                    Ok(crate::oversight::ClientPageView { client: c, expiring }) => {
                        provide_context(ClientTabContext { realm: realm.get_untracked(), client: c.clone() });
                        view! {
                            <p class="breadcrumb">
                                <A href=format!("/console/{}/clients", realm.get_untracked())>"Clients"</A>
                                " › " {c.client_id.clone()}
                            </p>
                            <h1>{c.client_id.clone()}
                                {(!c.enabled).then(|| view! { <span class="badge badge-muted">"disabled"</span> })}
                            </h1>
                            <crate::oversight::ExpiryBanner items=expiring realm=realm.get_untracked() id=c.id.clone()/>
                            <nav class="tabs" aria-label="Client">
                                {TABS.iter().map(|(slug, label)| {
                                    let href = format!("/console/{}/clients/{}/{}", realm.get_untracked(), c.id, slug);
                                    let slug = *slug;
                                    view! { <A href=href attr:class=move || if tab.get() == slug { "tab tab-active" } else { "tab" }>{*label}</A> }
                                }).collect_view()}
                            </nav>
                            <Outlet/>
                        }.into_any()
                    }
                    Err(e) => view! { <div class="alert alert-danger" role="alert">{e.to_string()}</div> }.into_any(),
                }
            })}
        </Transition>
    }
}

// The tabs of the client page (see [`ClientPage`]), one function each so that each tab's
// code lands in its own wasm chunk. Each reads the client its page provided.

fn tab_context() -> Option<ClientTabContext> {
    use_context::<ClientTabContext>()
}

pub fn settings_tab() -> AnyView {
    tab_context()
        .map(|ClientTabContext { realm, client }| {
            view! { <ClientSettings client realm/> }.into_any()
        })
        .unwrap_or_else(|| ().into_any())
}

pub fn credentials_tab() -> AnyView {
    tab_context()
        .map(|ClientTabContext { realm, client }| {
            view! { <crate::credentials_page::CredentialsTab realm id=client.id/> }.into_any()
        })
        .unwrap_or_else(|| ().into_any())
}

pub fn keys_tab() -> AnyView {
    tab_context()
        .map(|ClientTabContext { realm, client }| {
            view! { <crate::keys_page::KeysTab realm id=client.id/> }.into_any()
        })
        .unwrap_or_else(|| ().into_any())
}

pub fn installation_tab() -> AnyView {
    tab_context()
        .map(|ClientTabContext { realm, client }| {
            view! { <crate::installation::InstallationTab realm id=client.id/> }.into_any()
        })
        .unwrap_or_else(|| ().into_any())
}

pub fn unknown_tab() -> AnyView {
    view! { <EmptyState title="No such tab" help="Choose one of the tabs above."/> }.into_any()
}

#[component]
fn ClientSettings(client: ClientView, realm: String) -> impl IntoView {
    let update = FormAction::<UpdateClient>::new();
    let delete = FormAction::<DeleteClient>::new();
    let version = RwSignal::new(client.version);
    let confirm_open = RwSignal::new(false);
    let manager = can(Role::Manager);
    let csrf = current_session().csrf;
    Effect::new(move |_| {
        if let Some(Ok(c)) = update.value() {
            version.set(c.version);
        }
    });
    let navigate = use_navigate();
    let realm_after_delete = realm.clone();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value() {
            navigate(
                &format!("/console/{realm_after_delete}/clients"),
                Default::default(),
            );
        }
    });
    let id = client.id.clone();
    let realm_for_delete = realm.clone();
    let api_role_form = (realm == "master" && can(Role::Admin)).then(|| {
        view! { <ApiRoleForm client=client.clone() realm=realm.clone()/> }
    });
    let scopes_card = view! {
        <crate::client_scopes::ClientScopesCard realm=realm.clone() id=client.id.clone()/>
    };
    view! {
        <section class="card">
            {(!manager).then(|| view! {
                <div class="alert alert-info" role="status">"Your role can read this client but not change it."</div>
            })}
            <SubmitForm action=update attr:class="form">
                <CsrfField/>
                <input type="hidden" name="realm" value=realm.clone()/>
                <input type="hidden" name="id" value=client.id.clone()/>
                <input type="hidden" name="version" value=move || version.get().to_string()/>
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
                        <button type="button" class="btn btn-danger-outline" on:click=move |_| confirm_open.set(true)>"Delete client"</button>
                    </div>
                })}
            </SubmitForm>
            <ActionError value=update/>
            <ActionError value=delete/>
            {move || update.succeeded().then(|| view! {
                <div class="alert alert-success" role="status">"Saved."</div>
            })}
        </section>
        {scopes_card}
        {api_role_form}
        <ConfirmDialog
            open=confirm_open
            title="Delete client?"
            message="The client and all its credentials will be deleted. Services using it will no longer authenticate."
            confirm_label="Delete"
            on_confirm=Callback::new(move |_| {
                delete.dispatch(DeleteClient { csrf: csrf.clone(), realm: realm_for_delete.clone(), id: id.clone() });
            })
        />
    }
}

/// The Admin REST API role of a master-realm client (admins only).
#[component]
fn ApiRoleForm(client: ClientView, realm: String) -> impl IntoView {
    let set_role = FormAction::<SetApiRole>::new();
    let current = client.api_role.clone().unwrap_or_default();
    view! {
        <section class="card">
            <h2>"Admin REST API"</h2>
            <p class="help">
                "A role lets this client call " <code>"/admin/realms/…"</code>
                " (Keycloak's Admin REST API) with a bearer token from this realm's token endpoint: "
                "view reads, manage changes clients and credentials, admin also manages realms."
            </p>
            <SubmitForm action=set_role attr:class="form">
                <CsrfField/>
                <input type="hidden" name="realm" value=realm/>
                <input type="hidden" name="id" value=client.id.clone()/>
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
            </SubmitForm>
            <ActionError value=set_role/>
            {move || set_role.succeeded().then(|| view! {
                <div class="alert alert-success" role="status">"API role updated."</div>
            })}
        </section>
    }
}

// ---- operators ----------------------------------------------------------------------------

#[component]
pub fn OperatorsPage() -> impl IntoView {
    let is_admin_for_fetch = current_session().me.is_some_and(|m| m.role == Role::Admin);
    let create = FormAction::<CreateOperator>::new();
    let set_role = FormAction::<SetOperatorRole>::new();
    let set_disabled = FormAction::<SetOperatorDisabled>::new();
    let reset = FormAction::<ResetOperatorPassword>::new();
    let operators = Resource::new(
        move || {
            (
                create.version().get(),
                set_role.version().get(),
                set_disabled.version().get(),
                reset.version().get(),
            )
        },
        move |_| async move {
            if is_admin_for_fetch {
                list_operators().await
            } else {
                Ok(Vec::new())
            }
        },
    );
    let reset_open = RwSignal::new(false);
    let reset_target = RwSignal::new((String::new(), String::new()));
    // A change that takes power away (demote, disable) waits for a confirmation.
    let confirm_open = RwSignal::new(false);
    let pending = RwSignal::new(None::<(String, PendingChange)>);
    let session = current_session();
    let csrf = session.csrf;
    let me = session.me.clone();
    let is_admin = me.as_ref().is_some_and(|m| m.role == Role::Admin);
    let my_id = StoredValue::new(me.map(|m| m.operator_id).unwrap_or_default());
    Effect::new(move |_| {
        if reset.succeeded() {
            reset_open.set(false);
        }
    });
    let csrf_rows = StoredValue::new(csrf.clone());
    let csrf_confirm = csrf.clone();
    let confirm = move |_| {
        if let Some((id, change)) = pending.get_untracked() {
            match change {
                PendingChange::Role(_, role) => {
                    set_role.dispatch(SetOperatorRole {
                        csrf: csrf_confirm.clone(),
                        operator_id: id,
                        role,
                    });
                }
                PendingChange::Disable(_) => {
                    set_disabled.dispatch(SetOperatorDisabled {
                        csrf: csrf_confirm.clone(),
                        operator_id: id,
                        disabled: true,
                    });
                }
            }
        }
        confirm_open.set(false);
    };
    view! {
        <h1>"Operators"</h1>
        <p class="lead">"People who use this console. Viewers read, managers change credentials, admins also manage operators."</p>
        {(!is_admin).then(|| view! {
            <div class="alert alert-info" role="status">"Only admins manage operators."</div>
        })}
        <ActionError value=set_role/>
        <ActionError value=set_disabled/>
        <Show when=move || is_admin>
        <Transition fallback=loading>
            {move || {
                let csrf = csrf_rows.get_value();
                let my_id = my_id.get_value();
                Suspend::new(async move {
                match operators.await {
                    Ok(list) => view! {
                        <table class="table" aria-label="Operators">
                            <thead><tr><th>"Username"</th><th>"Role"</th><th>"State"</th><th>"Created"</th><th>"Actions"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|o| {
                                    let id_role = o.operator_id.clone();
                                    let id_dis = o.operator_id.clone();
                                    let id_reset = o.operator_id.clone();
                                    let name_reset = o.username.clone();
                                    let name_role = o.username.clone();
                                    let name_dis = o.username.clone();
                                    let csrf_role = csrf.clone();
                                    let csrf_dis = csrf.clone();
                                    let disabled = o.disabled;
                                    let current = o.role;
                                    let state = if o.disabled { "disabled" } else { "active" };
                                    let is_me = o.operator_id == my_id;
                                    view! {
                                        <tr>
                                            <td>{o.username.clone()}{is_me.then_some(" (you)")}</td>
                                            <td>
                                                {if is_me {
                                                    view! { <span>{o.role.as_str()}</span> }.into_any()
                                                } else {
                                                    view! {
                                                        <select aria-label=format!("Role of {}", o.username)
                                                            on:change=move |ev| {
                                                                let role = event_target_value(&ev);
                                                                let lower = Role::ALL.iter().any(|r| r.as_str() == role && *r < current);
                                                                if lower {
                                                                    pending.set(Some((id_role.clone(), PendingChange::Role(name_role.clone(), role))));
                                                                    confirm_open.set(true);
                                                                } else {
                                                                    set_role.dispatch(SetOperatorRole { csrf: csrf_role.clone(), operator_id: id_role.clone(), role });
                                                                }
                                                            }>
                                                            {Role::ALL.iter().map(|r| view! {
                                                                <option value=r.as_str() selected=*r == o.role>{r.as_str()}</option>
                                                            }).collect_view()}
                                                        </select>
                                                    }.into_any()
                                                }}
                                            </td>
                                            <td>{state}</td>
                                            <td>{format_time(o.created_at)}</td>
                                            <td class="actions">
                                                {(!is_me).then(|| view! {
                                                    <button type="button" class="btn btn-link"
                                                        on:click=move |_| {
                                                            if disabled {
                                                                set_disabled.dispatch(SetOperatorDisabled { csrf: csrf_dis.clone(), operator_id: id_dis.clone(), disabled: false });
                                                            } else {
                                                                pending.set(Some((id_dis.clone(), PendingChange::Disable(name_dis.clone()))));
                                                                confirm_open.set(true);
                                                            }
                                                        }>
                                                        {if disabled { "Enable" } else { "Disable" }}
                                                    </button>
                                                })}
                                                <button type="button" class="btn btn-link"
                                                    on:click=move |_| { reset_target.set((id_reset.clone(), name_reset.clone())); reset_open.set(true); }>
                                                    "Reset password"
                                                </button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <div class="alert alert-danger" role="alert">{e.to_string()}</div> }.into_any(),
                }
            })}}
        </Transition>
        <section class="card">
            <h2>"Add operator"</h2>
            <SubmitForm action=create attr:class="form">
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
            </SubmitForm>
            <ActionError value=create/>
            {move || create.value().and_then(|r| r.ok()).map(|o| view! {
                <div class="alert alert-success" role="status">"Operator " {o.username} " added."</div>
            })}
        </section>
        </Show>
        <FormDialog open=confirm_open title="Confirm the change">
            <p>{move || match pending.get() {
                Some((_, PendingChange::Role(name, role))) => format!("Make {name} a {role}? They lose what their current role allows at once; their sessions end."),
                Some((_, PendingChange::Disable(name))) => format!("Disable {name}? They are signed out at once and cannot sign in until enabled again."),
                None => String::new(),
            }}</p>
            <div class="modal-actions">
                <button type="button" class="btn btn-danger" on:click=confirm.clone()>"Confirm"</button>
                <button type="button" class="btn btn-link" on:click=move |_| { pending.set(None); confirm_open.set(false); operators.refetch(); }>"Cancel"</button>
            </div>
        </FormDialog>
        <FormDialog open=reset_open title="Reset password">
            <p>"New password for " <strong>{move || reset_target.get().1}</strong></p>
            <SubmitForm action=reset attr:class="form">
                <CsrfField/>
                <input type="hidden" name="operator_id" value=move || reset_target.get().0/>
                <label for="reset-password">"New password"</label>
                <input id="reset-password" name="password" type="password" required minlength="12" autocomplete="new-password"/>
                <label for="reset-confirm">"Repeat the password"</label>
                <input id="reset-confirm" name="confirm" type="password" required autocomplete="new-password"/>
                <ActionError value=reset/>
                <div class="modal-actions">
                    <button type="submit" class="btn btn-primary">"Set password"</button>
                    <button type="button" class="btn btn-link" on:click=move |_| reset_open.set(false)>"Cancel"</button>
                </div>
            </SubmitForm>
        </FormDialog>
    }
}

/// A change of an operator that waits for the admin's confirmation: (username, new role) or
/// disabling (username).
#[derive(Clone, Debug, PartialEq, Eq)]
enum PendingChange {
    Role(String, String),
    Disable(String),
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
