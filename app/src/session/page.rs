//! The signed-out pages (sign-in, first-admin setup, not found) and the console's frame
//! (masthead, sidebar with the realm picker, the page's outlet).

use keyward_credentials::operator::Role;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::use_location;

use crate::components::*;
use crate::realms::{list_realms, RealmView};

use super::api::*;

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
                    <RealmMenu realms=choices current=current_realm.clone()/>
                    {current_realm.map(|realm| view! {
                        <ul class="nav-list">
                            <li><A href=format!("/console/{realm}/clients")>"Clients"</A></li>
                            <li><A href=format!("/console/{realm}/client-scopes")>"Client scopes"</A></li>
                            <li><A href=format!("/console/{realm}/identity-providers")>"Identity providers"</A></li>
                            <li><A href=format!("/console/{realm}/expiry")>"Expiry"</A></li>
                            <li><A href=format!("/console/{realm}/webhooks")>"Webhooks"</A></li>
                            <li><A href=format!("/console/{realm}/deliveries")>"Deliveries"</A></li>
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

/// The sidebar's realm menu: the browser's own disclosure (`<details>`), its summary naming the
/// realm of the page, opening onto a link to each realm's clients. Plain links: it needs no
/// script, and Back and a new tab work as anywhere else.
#[component]
fn RealmMenu(
    /// (name, display name) of every realm the operator may open.
    realms: Vec<(String, String)>,
    /// The realm of the page, if it is a realm's page.
    current: Option<String>,
) -> impl IntoView {
    let label = |name: &str, display: &str| {
        if display.is_empty() || display == name {
            name.to_string()
        } else {
            format!("{display} ({name})")
        }
    };
    let shown = current
        .as_deref()
        .and_then(|c| realms.iter().find(|(n, _)| n == c))
        .map(|(n, d)| label(n, d))
        .unwrap_or_else(|| "Choose a realm…".into());
    view! {
        <details class="realm-menu" data-testid="realm-menu">
            <summary>
                <span class="sidebar-label">"Realm"</span>
                <span class="realm-current">{shown}</span>
            </summary>
            <ul class="realm-list">
                {realms.iter().map(|(name, display)| {
                    let here = current.as_deref() == Some(name.as_str());
                    view! {
                        <li>
                            <a href=format!("/console/{name}/clients") aria-current=here.then_some("true")>
                                {label(name, display)}
                            </a>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </details>
    }
}
