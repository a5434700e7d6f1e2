//! Small building blocks of the console's server-rendered pages: forms' errors and success
//! notes, dialogs, confirmations, empty states.
//!
//! None of them runs in the browser. A form posts natively to its server function; the server
//! sends the browser back to the page (Post/Redirect/Get), with the error in the URL when it
//! failed (`__path`, `__err`: Leptos' own convention, read by `ServerAction::new`) or a success
//! mark when it worked (`__ok`, added by the server next to it). Dialogs are the browser's own
//! modal `<dialog>`, opened and closed by HTML invoker commands (`commandfor` /
//! `command="show-modal"`), so they need no script: focus moves in, Tab stays in, Escape
//! closes and focus returns where it was. The wasm only hydrates `crate::islands`.

use keyward_credentials::operator::Role;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

use crate::error::AppError;
use crate::session::SessionView;

/// The session the console layout loaded; every page below it reads it from context.
pub fn current_session() -> SessionView {
    use_context::<SessionView>().unwrap_or(SessionView {
        csrf: String::new(),
        me: None,
    })
}

/// Whether the signed-in operator's role allows what `role` may do.
pub fn can(role: Role) -> bool {
    current_session().me.is_some_and(|m| m.role.allows(role))
}

/// The hidden CSRF field every state-changing form carries.
#[component]
pub fn CsrfField() -> impl IntoView {
    let csrf = current_session().csrf;
    view! { <input type="hidden" name="csrf" value=csrf/> }
}

/// The hidden fields of a form about one client: CSRF token, realm and client.
#[component]
pub fn ClientFields(#[prop(into)] realm: String, #[prop(into)] id: String) -> impl IntoView {
    view! {
        <CsrfField/>
        <input type="hidden" name="realm" value=realm/>
        <input type="hidden" name="id" value=id/>
    }
}

/// The error the server function `S` answered this page's form with, if its last post failed.
pub fn failure_of<S>() -> Option<AppError>
where
    S: ServerFn<Error = AppError>,
{
    use_context::<leptos::server::ServerActionError>()
        .filter(|e| e.path() == S::PATH)
        .map(|e| leptos::server_fn::error::ServerFnUrlError::<AppError>::decode_err(e.err()))
}

/// Whether the last post of this page's form to the server function `S` succeeded.
pub fn succeeded<S: ServerFn>() -> bool {
    use_query_map()
        .read_untracked()
        .get("__ok")
        .is_some_and(|p| p == S::PATH)
}

/// The error of the last post to `S`, as an alert, if it failed.
pub fn error_of<S>() -> impl IntoView
where
    S: ServerFn<Error = AppError>,
{
    failure_of::<S>().map(|error| view! { <ErrorAlert error/> })
}

/// An error as an alert; "sign in again" leads back here.
#[component]
pub fn ErrorAlert(error: AppError) -> impl IntoView {
    let signed_out = error == AppError::Unauthenticated;
    view! {
        <div class="alert alert-danger" role="alert">
            {error.to_string()}
            {signed_out.then(|| view! { " " <a href=sign_in_here()>"Sign in again"</a> })}
        </div>
    }
}

/// A success note, shown after the last post to `S` succeeded.
pub fn done<S: ServerFn>(text: &'static str) -> impl IntoView {
    succeeded::<S>().then(|| view! { <div class="alert alert-success" role="status">{text}</div> })
}

/// The sign-in page with a way back to the page the operator is on.
pub fn sign_in_here() -> String {
    let here = use_location();
    let pathname = here.pathname.get_untracked();
    let search = here.search.get_untracked();
    let search = search.trim_start_matches('?');
    let path = match (pathname.is_empty(), search.is_empty()) {
        (true, _) => "/console".to_string(),
        (false, true) => pathname,
        (false, false) => format!("{pathname}?{search}"),
    };
    format!("/login?next={}", encode_query(&path))
}

/// A modal dialog, closed until a [`DialogButton`] opens it.
#[component]
pub fn Modal(
    #[prop(into)] id: String,
    #[prop(into)] title: String,
    children: Children,
) -> impl IntoView {
    let label = title.clone();
    view! {
        <dialog id=id class="modal" aria-label=label>
            <h2 class="modal-title">{title}</h2>
            {children()}
        </dialog>
    }
}

/// A button that opens the modal dialog `dialog` (the browser does it: no script).
#[component]
pub fn DialogButton(
    #[prop(into)] dialog: String,
    #[prop(into, optional)] class: Option<String>,
    #[prop(default = None)] label: Option<String>,
    children: Children,
) -> impl IntoView {
    view! {
        <button type="button" class=class.unwrap_or_else(|| "btn btn-primary".into())
            aria-label=label commandfor=dialog command="show-modal">
            {children()}
        </button>
    }
}

/// The Cancel button of the dialog `dialog`.
#[component]
pub fn CancelButton(#[prop(into)] dialog: String) -> impl IntoView {
    view! {
        <button type="button" class="btn btn-link" commandfor=dialog command="close">"Cancel"</button>
    }
}

/// A change that asks first: a button opening a dialog that says what will happen, whose
/// confirm button posts the form (`children` are its hidden fields) to the server function at
/// `action`. The confirm button has the focus when the dialog opens.
#[allow(clippy::too_many_arguments)]
#[component]
pub fn Confirm(
    /// The dialog's element id (unique on the page).
    #[prop(into)]
    id: String,
    action: &'static str,
    #[prop(into)] button: String,
    #[prop(into, optional)] button_class: Option<String>,
    /// The opener's accessible name, when its text alone is ambiguous (a row's "Delete").
    #[prop(default = None)]
    button_label: Option<String>,
    #[prop(into)] title: String,
    #[prop(into)] message: String,
    #[prop(into)] confirm: String,
    children: Children,
) -> impl IntoView {
    view! {
        <DialogButton dialog=id.clone() class=button_class.unwrap_or_else(|| "btn btn-link btn-danger-text".into())
            label=button_label>
            {button}
        </DialogButton>
        <Modal id=id.clone() title>
            <p>{message}</p>
            <form method="post" action=action class="modal-actions">
                {children()}
                <button type="submit" class="btn btn-danger" autofocus>{confirm}</button>
                <CancelButton dialog=id/>
            </form>
        </Modal>
    }
}

/// An empty state: a title and a line of help.
#[component]
pub fn EmptyState(#[prop(into)] title: String, #[prop(into)] help: String) -> impl IntoView {
    view! {
        <div class="empty-state">
            <p class="empty-state-title">{title}</p>
            <p>{help}</p>
        </div>
    }
}

/// "Loading…", while a page's data is read (only seen if the page is streamed).
pub fn loading() -> impl IntoView {
    view! { <p class="loading" aria-live="polite">"Loading…"</p> }
}

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
