//! Server-rendered panels: the read-only bulk of a tab (the tables of keys and of recent
//! authentications, the secrets, the JWKS URL state) rendered to HTML by the server function that
//! loads it, and shown in the browser as it came.
//!
//! A panel's buttons are plain `<form method="post">`s to server functions (a button may post to
//! another one with `formaction`), so the page compiles no view code and no decoder for that
//! data: about a third of the Keys tab's wasm was its tables' views and their data's types. In the
//! browser, one submit handler runs a form through the tab's [`FormAction`] for its URL, so the tab
//! shows the result and reloads as with any other form; a form marked `data-confirm` asks first,
//! one marked `data-once` is not posted again while its action runs,
//! and a button with `data-do="name"` calls the page's `on_do` with that name (to open a dialog,
//! or close the one the panel is in).
//!
//! The HTML is rendered by Leptos on the server, escaped like every other page, from the same
//! data the server functions return; the role decides which forms are in it.
//!
//! [`FormAction`]: crate::form_action::FormAction

use leptos::prelude::*;

use crate::components::ConfirmDialog;
use crate::form_action::FormTarget;

/// The question a panel asks before it posts a form marked `data-confirm`.
#[derive(Clone, Copy)]
pub struct Confirm {
    pub title: &'static str,
    pub message: &'static str,
    pub label: &'static str,
}

/// Shows server-rendered HTML and runs its forms through `targets` (a form whose URL is not
/// among them is posted by the browser itself).
#[component]
pub fn Panel(
    html: String,
    targets: Vec<FormTarget>,
    #[prop(optional)] confirm: Option<Confirm>,
    #[prop(optional, into)] on_do: Option<Callback<String>>,
) -> impl IntoView {
    let targets = StoredValue::new(targets);
    // A form waiting for its confirmation: what runs it, and its fields.
    let pending = StoredValue::new(None::<(Callback<String>, String)>);
    let confirm_open = RwSignal::new(false);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if ev.default_prevented() {
            return;
        }
        let Some(Submission {
            dispatch,
            busy,
            body,
            confirm: ask,
            once,
        }) = submission(&ev, targets)
        else {
            return;
        };
        ev.prevent_default();
        if once && busy.get_untracked() {
            // A `data-once` form whose action is still running (a second click on Generate):
            // nothing more is sent. Other forms (Deactivate on two keys) may overlap.
            return;
        }
        if ask && confirm.is_some() {
            pending.set_value(Some((dispatch, body)));
            confirm_open.set(true);
        } else {
            dispatch.run(body);
        }
    };
    let on_click = move |ev: leptos::ev::MouseEvent| {
        if let (Some(on_do), Some(name)) = (on_do, clicked_do(&ev)) {
            on_do.run(name);
        }
    };
    view! {
        <div class="panel" inner_html=html on:submit=on_submit on:click=on_click></div>
        {confirm.map(|c| view! {
            <ConfirmDialog open=confirm_open title=c.title message=c.message confirm_label=c.label
                on_confirm=Callback::new(move |_| {
                    if let Some((dispatch, body)) = pending.get_value() {
                        dispatch.run(body);
                    }
                })/>
        })}
    }
}

/// A submitted panel form, ready to run.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
struct Submission {
    /// Runs the form's action: the pressed button's `formaction`, else the form's `action`.
    dispatch: Callback<String>,
    /// Whether that action is running.
    busy: Memo<bool>,
    /// The form's fields, URL-encoded.
    body: String,
    /// The form is marked `data-confirm`: ask first.
    confirm: bool,
    /// The form is marked `data-once`: not posted again while its action runs.
    once: bool,
}

/// The submitted form; `None` when it posts to no known target or its fields cannot be read
/// (the browser then posts it itself).
#[cfg(feature = "hydrate")]
fn submission(
    ev: &leptos::ev::SubmitEvent,
    targets: StoredValue<Vec<FormTarget>>,
) -> Option<Submission> {
    use wasm_bindgen::JsCast;
    let form: web_sys::Element = ev.target()?.dyn_into().ok()?;
    let path = ev
        .submitter()
        .and_then(|button| button.get_attribute("formaction"))
        .or_else(|| form.get_attribute("action"))?;
    let (dispatch, busy) = targets.with_value(|ts| {
        ts.iter()
            .find(|t| t.path == path)
            .map(|t| (t.dispatch, t.busy))
    })?;
    let body = crate::form_action::form_body(ev)?;
    Some(Submission {
        dispatch,
        busy,
        body,
        confirm: form.has_attribute("data-confirm"),
        once: form.has_attribute("data-once"),
    })
}

#[cfg(not(feature = "hydrate"))]
fn submission(_: &leptos::ev::SubmitEvent, _: StoredValue<Vec<FormTarget>>) -> Option<Submission> {
    None
}

/// The `data-do` name of the clicked button, if it has one.
#[cfg(feature = "hydrate")]
fn clicked_do(ev: &leptos::ev::MouseEvent) -> Option<String> {
    use wasm_bindgen::JsCast;
    let target: web_sys::Element = ev.target()?.dyn_into().ok()?;
    target.closest("[data-do]").ok()??.get_attribute("data-do")
}

#[cfg(not(feature = "hydrate"))]
fn clicked_do(_: &leptos::ev::MouseEvent) -> Option<String> {
    None
}

/// What a panel's forms need besides their own fields: whether the caller may change anything,
/// and the fields every form carries.
#[cfg(feature = "ssr")]
pub struct PanelContext<'a> {
    pub manager: bool,
    pub csrf: &'a str,
    pub realm: &'a str,
    pub id: &'a str,
}

/// The hidden fields every form of a panel carries: the CSRF token, the realm and the client.
#[cfg(feature = "ssr")]
pub fn hidden_fields(cx: &PanelContext) -> impl IntoView {
    view! {
        <input type="hidden" name="csrf" value=cx.csrf.to_string()/>
        <input type="hidden" name="realm" value=cx.realm.to_string()/>
        <input type="hidden" name="id" value=cx.id.to_string()/>
    }
}

/// Renders a panel's view to the HTML a [`Panel`] shows (on the server, in the server function
/// that loads the panel's data).
#[cfg(feature = "ssr")]
pub fn render(view: impl IntoView) -> String {
    use leptos::tachys::view::RenderHtml;
    view.into_view().to_html()
}
