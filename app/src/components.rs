//! Small building blocks of the console: confirmation dialog, alerts, empty states.

use leptos::html;
use leptos::prelude::*;

use crate::api::SessionView;
use crate::error::AppError;

/// The session the console layout loaded; every page below it reads it from context.
pub fn current_session() -> SessionView {
    use_context::<SessionView>().unwrap_or(SessionView {
        csrf: String::new(),
        me: None,
    })
}

/// Marks the page as interactive once it has hydrated (`<body data-hydrated="true">`); the
/// end-to-end tests wait for it before they click.
pub fn mark_hydrated() {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

/// The hidden CSRF field every state-changing form carries.
#[component]
pub fn CsrfField() -> impl IntoView {
    let csrf = current_session().csrf;
    view! { <input type="hidden" name="csrf" value=csrf/> }
}

/// The error of an action's last run, if it failed: what [`ActionError`] shows. Made from a
/// `FormAction` from its undecoded answer, so this and the view below are compiled once, not once
/// per action result type.
#[derive(Clone, Copy)]
pub struct Failure(pub(crate) Signal<Option<AppError>>);

/// Shows the error of the last run of an action, if it failed.
#[component]
pub fn ActionError(#[prop(into)] value: Failure) -> impl IntoView {
    move || {
        value.0.get().map(|e| {
            let signed_out = e == crate::error::AppError::Unauthenticated;
            view! {
                <div class="alert alert-danger" role="alert">
                    {e.to_string()}
                    {signed_out.then(|| view! { " " <a href=sign_in_here()>"Sign in again"</a> })}
                </div>
            }
        })
    }
}

/// The sign-in page with a way back to the page the operator is on.
pub fn sign_in_here() -> String {
    let here = leptos_router::hooks::use_location();
    let pathname = here.pathname.get_untracked();
    let search = here.search.get_untracked();
    let search = search.trim_start_matches('?');
    let path = match (pathname.is_empty(), search.is_empty()) {
        (true, _) => "/console".to_string(),
        (false, true) => pathname,
        (false, false) => format!("{pathname}?{search}"),
    };
    format!("/login?next={}", crate::pages::encode_query(&path))
}

/// A modal confirmation dialog: Escape or Cancel closes it, the confirm button gets the focus.
#[component]
pub fn ConfirmDialog(
    open: RwSignal<bool>,
    #[prop(into)] title: String,
    #[prop(into)] message: String,
    #[prop(into)] confirm_label: String,
    on_confirm: Callback<()>,
) -> impl IntoView {
    let confirm_ref = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if open.get() {
            if let Some(button) = confirm_ref.get() {
                let _ = button.focus();
            }
        }
    });
    let message = StoredValue::new(message);
    let confirm_label = StoredValue::new(confirm_label);
    view! {
        <FormDialog open title>
            <p>{message.get_value()}</p>
            <div class="modal-actions">
                <button
                    type="button"
                    class="btn btn-danger"
                    node_ref=confirm_ref
                    on:click=move |_| {
                        open.set(false);
                        on_confirm.run(());
                    }
                >
                    {confirm_label.get_value()}
                </button>
                <button type="button" class="btn btn-link" on:click=move |_| open.set(false)>
                    "Cancel"
                </button>
            </div>
        </FormDialog>
    }
}

/// A modal dialog (a form, or a confirmation), rendered only while open: the browser's own
/// `<dialog>` opened with `showModal()`, so focus moves into it, Tab stays in it, the page
/// behind is inert, Escape closes it and focus returns where it was.
#[component]
pub fn FormDialog(
    open: RwSignal<bool>,
    #[prop(into)] title: String,
    children: ChildrenFn,
) -> impl IntoView {
    let title = StoredValue::new(title);
    let dialog = NodeRef::<html::Dialog>::new();
    // The element that had the focus when the dialog opened gets it back when it closes
    // (however it closes: Escape, Cancel, a form's success). Browser only: a dialog is never
    // open on the server, dialogs open on a click.
    #[cfg(feature = "hydrate")]
    let opener = StoredValue::new_local(None::<web_sys::HtmlElement>);
    Effect::new(move |was_open: Option<bool>| {
        let is_open = open.get();
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if is_open && was_open != Some(true) {
                let focused = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.active_element())
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
                opener.set_value(focused);
            }
            if !is_open && was_open == Some(true) {
                if let Some(el) = opener.get_value() {
                    let _ = el.focus();
                }
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = was_open;
        is_open
    });
    // Opened as a modal once it is in the page: the page behind turns inert.
    Effect::new(move |_| {
        if let Some(d) = dialog.get() {
            if !d.open() {
                let _ = d.show_modal();
            }
        }
    });
    view! {
        <Show when=move || open.get()>
            <dialog
                node_ref=dialog
                class="modal"
                aria-label=title.get_value()
                // Escape: the browser cancels the dialog; the signal closes it here too.
                on:cancel=move |ev: leptos::ev::Event| {
                    ev.prevent_default();
                    open.set(false);
                }
            >
                <h2 class="modal-title">{title.get_value()}</h2>
                {children()}
            </dialog>
        </Show>
    }
}

/// Bumped whenever realms are created or deleted, so the realm selector reloads.
#[derive(Clone, Copy)]
pub struct RealmsChanged(pub RwSignal<u32>);

impl RealmsChanged {
    pub fn bump() {
        if let Some(c) = use_context::<RealmsChanged>() {
            c.0.update(|n| *n += 1);
        }
    }
}

/// An empty state: a title, a line of help, and an optional action.
#[component]
pub fn EmptyState(#[prop(into)] title: String, #[prop(into)] help: String) -> impl IntoView {
    view! {
        <div class="empty-state">
            <p class="empty-state-title">{title}</p>
            <p>{help}</p>
        </div>
    }
}

/// A button that copies `text` to the clipboard and says "Copied" once the browser confirms.
#[component]
pub fn CopyButton(
    #[prop(into)] text: Signal<String>,
    #[prop(into)] label: String,
) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let label = StoredValue::new(label);
    let on_click = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let value = text.get_untracked();
            let promise = window().navigator().clipboard().write_text(&value);
            leptos::task::spawn_local(async move {
                let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
                copied.set(Some(ok));
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = text;
    };
    view! {
        <button type="button" class="btn btn-secondary btn-small" on:click=on_click>
            {move || match copied.get() {
                Some(true) => "Copied".to_string(),
                Some(false) => "Copy failed: select and copy by hand".to_string(),
                None => label.get_value(),
            }}
        </button>
    }
}
