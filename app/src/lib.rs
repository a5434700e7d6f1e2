//! Keyward's console: the Leptos application (pages, components) and its server functions.
#![forbid(unsafe_code)]
#![recursion_limit = "256"]

pub mod api;
pub mod client_scopes;
pub mod codec;
pub mod components;
pub mod credentials_api;
pub mod credentials_page;
pub mod error;
pub mod form_action;
pub mod installation;
pub mod keys_api;
pub mod keys_page;
pub mod oversight;
pub mod pages;
pub mod panel;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod token_settings;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{lazy_route, path, Lazy, LazyRoute};

use crate::pages::*;

/// The console's icon: a key on Keyward's blue, inline (no extra request).
const FAVICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='6' fill='%230066cc'/%3E%3Ccircle cx='12' cy='16' r='5' fill='none' stroke='%23fff' stroke-width='3'/%3E%3Cpath d='M17 16h10m-3 0v4m-3-4v3' stroke='%23fff' stroke-width='3' fill='none'/%3E%3C/svg%3E";

/// The HTML document around the application, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href=FAVICON/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="keyward" href="/pkg/keyward.css"/>
        <Title text="Keyward"/>
        <Router>
            <Routes fallback=|| view! { <NotFoundPage/> }>
                <Route path=path!("/login") view={Lazy::<LoginRoute>::new()}/>
                <Route path=path!("/setup") view={Lazy::<SetupRoute>::new()}/>
                <ParentRoute path=path!("/console") view=ConsoleLayout>
                    <Route path=path!("") view={Lazy::<RealmsRoute>::new()}/>
                    <Route path=path!("realms") view={Lazy::<RealmsRoute>::new()}/>
                    <Route path=path!("operators") view={Lazy::<OperatorsRoute>::new()}/>
                    <Route path=path!(":realm/clients") view={Lazy::<ClientsRoute>::new()}/>
                    <ParentRoute path=path!(":realm/clients/:id") view={Lazy::<ClientRoute>::new()}>
                        <Route path=path!("settings") view={Lazy::<SettingsTabRoute>::new()}/>
                        <Route path=path!("credentials") view={Lazy::<CredentialsTabRoute>::new()}/>
                        <Route path=path!("keys") view={Lazy::<KeysTabRoute>::new()}/>
                        <Route path=path!("installation") view={Lazy::<InstallationTabRoute>::new()}/>
                        <Route path=path!(":tab") view=unknown_tab/>
                    </ParentRoute>
                    <Route path=path!(":realm/settings") view={Lazy::<RealmSettingsRoute>::new()}/>
                    <Route path=path!(":realm/events") view={Lazy::<EventsRoute>::new()}/>
                    <Route path=path!(":realm/expiry") view={Lazy::<ExpiryRoute>::new()}/>
                    <Route path=path!(":realm/client-scopes") view={Lazy::<ClientScopesRoute>::new()}/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// A page whose code the browser loads when it is first shown (`cargo leptos build --split`
/// puts each in its own wasm chunk), so the first download holds only the console's frame.
macro_rules! lazy_page {
    ($($route:ident => $page:expr),* $(,)?) => {$(
        #[derive(Clone, Copy)]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(this: Self) -> AnyView {
                let _ = this;
                $page.into_any()
            }
        }
    )*};
}

lazy_page! {
    LoginRoute => LoginPage(),
    SetupRoute => SetupPage(),
    RealmsRoute => RealmsPage(),
    OperatorsRoute => OperatorsPage(),
    ClientsRoute => ClientsPage(),
    ClientRoute => ClientPage(),
    SettingsTabRoute => settings_tab(),
    CredentialsTabRoute => credentials_tab(),
    KeysTabRoute => keys_tab(),
    InstallationTabRoute => installation_tab(),
    RealmSettingsRoute => RealmSettingsPage(),
    EventsRoute => crate::oversight::EventsPage(),
    ExpiryRoute => crate::oversight::ExpiryPage(),
    ClientScopesRoute => crate::client_scopes::ClientScopesPage(),
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
            crate::token_settings::MAX_TOKEN_LIFETIME_S,
            keyward_service::realms::MAX_TOKEN_LIFETIME_S
        );
        assert_eq!(
            crate::credentials_api::MAX_ASSERTION_LIFETIME_S,
            keyward_service::clients::MAX_ASSERTION_LIFETIME_S
        );
        assert_eq!(
            crate::client_scopes::MAX_DESCRIPTION_CHARS,
            keyward_service::scopes::MAX_DESCRIPTION_CHARS
        );
    }
}
