//! Keyward's console: the Leptos application (pages, components) and its server functions.
#![forbid(unsafe_code)]
#![recursion_limit = "256"]
// In the browser build, `#[server]` makes a client function with the server function's own
// arguments; the `allow` on a server function with many form fields does not reach it.
#![cfg_attr(feature = "hydrate", allow(clippy::too_many_arguments))]

// One module per feature of the console, each with its page(s) and its server functions side
// by side (`page`, `api`); `components` and `islands` are shared.
pub mod client_scopes;
pub mod clients;
pub mod components;
pub mod credentials;
pub mod error;
pub mod identity_providers;
pub mod installation;
pub mod islands;
pub mod keys;
pub mod operators;
pub mod oversight;
pub mod realms;
pub mod session;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod webhooks;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::clients::{
    unknown_tab, ClientPage, ClientsPage, CredentialsTabRoute, InstallationTabRoute, KeysTabRoute,
    SettingsTab,
};
use crate::operators::OperatorsPage;
use crate::realms::{RealmSettingsPage, RealmsPage};
use crate::session::{ConsoleLayout, LoginPage, NotFoundPage, SetupPage};

/// The console's icon: a key on Keyward's blue, inline (no extra request).
const FAVICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='6' fill='%230066cc'/%3E%3Ccircle cx='12' cy='16' r='5' fill='none' stroke='%23fff' stroke-width='3'/%3E%3Cpath d='M17 16h10m-3 0v4m-3-4v3' stroke='%23fff' stroke-width='3' fill='none'/%3E%3C/svg%3E";

/// The HTML document around the application, rendered on the server. The console is built
/// with Leptos islands: pages are rendered on the server only, and the browser's wasm hydrates
/// just the `#[island]` components (see `crate::islands`).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href=FAVICON/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The console's routes. Every page is rendered whole before it is sent (`SsrMode::Async`):
/// complete HTML, readable and usable before (and without) the wasm.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="keyward" href="/pkg/keyward.css"/>
        <Title text="Keyward"/>
        <Router>
            <Routes fallback=|| view! { <NotFoundPage/> }>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/setup") view=SetupPage ssr=SsrMode::Async/>
                <ParentRoute path=path!("/console") view=ConsoleLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=RealmsPage ssr=SsrMode::Async/>
                    <Route path=path!("realms") view=RealmsPage ssr=SsrMode::Async/>
                    <Route path=path!("operators") view=OperatorsPage ssr=SsrMode::Async/>
                    <Route path=path!(":realm/clients") view=ClientsPage ssr=SsrMode::Async/>
                    <ParentRoute path=path!(":realm/clients/:id") view=ClientPage ssr=SsrMode::Async>
                        <Route path=path!("settings") view=SettingsTab ssr=SsrMode::Async/>
                        <Route path=path!("credentials") view=CredentialsTabRoute ssr=SsrMode::Async/>
                        <Route path=path!("keys") view=KeysTabRoute ssr=SsrMode::Async/>
                        <Route path=path!("installation") view=InstallationTabRoute ssr=SsrMode::Async/>
                        <Route path=path!(":tab") view=unknown_tab ssr=SsrMode::Async/>
                    </ParentRoute>
                    <Route path=path!(":realm/settings") view=RealmSettingsPage ssr=SsrMode::Async/>
                    <Route path=path!(":realm/events") view=crate::oversight::EventsPage ssr=SsrMode::Async/>
                    <Route path=path!(":realm/expiry") view=crate::oversight::ExpiryPage ssr=SsrMode::Async/>
                    <Route path=path!(":realm/client-scopes") view=crate::client_scopes::ClientScopesPage ssr=SsrMode::Async/>
                    <Route path=path!(":realm/identity-providers") view=crate::identity_providers::IdentityProvidersPage ssr=SsrMode::Async/>
                    <Route path=path!(":realm/webhooks") view=crate::webhooks::WebhooksPage ssr=SsrMode::Async/>
                    <Route path=path!(":realm/deliveries") view=crate::webhooks::DeliveriesPage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Formats epoch seconds as `YYYY-MM-DD HH:MM UTC` without a date library.
pub fn format_time(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant), proleptic Gregorian calendar.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        secs / 3600,
        (secs % 3600) / 60
    )
}

#[cfg(test)]
mod tests {
    use super::format_time;

    #[test]
    fn formats_epoch_seconds() {
        assert_eq!(format_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_time(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(
            format_time(1_795_910_400 + 3_600 * 19 + 60 * 12),
            "2026-11-29 19:12 UTC"
        );
    }

    /// The console shows limits in its forms (compiled for the browser too); the use cases in
    /// `keyward-service` decide. They must be the same numbers.
    #[cfg(feature = "ssr")]
    #[test]
    fn the_forms_limits_are_the_use_cases() {
        assert_eq!(
            crate::realms::tokens::MAX_TOKEN_LIFETIME_S,
            keyward_service::realms::MAX_TOKEN_LIFETIME_S
        );
        assert_eq!(
            crate::credentials::MAX_ASSERTION_LIFETIME_S,
            keyward_service::clients::MAX_ASSERTION_LIFETIME_S
        );
        assert_eq!(
            crate::client_scopes::MAX_DESCRIPTION_CHARS,
            keyward_service::scopes::MAX_DESCRIPTION_CHARS
        );
    }
}
