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

/// A modal dialog (a form, or a confirmation), rendered only while open; Escape closes it.
#[component]
pub fn FormDialog(
    open: RwSignal<bool>,
    #[prop(into)] title: String,
    children: ChildrenFn,
) -> impl IntoView {
    let title = StoredValue::new(title);
    view! {
        <Show when=move || open.get()>
            <div
                class="modal-backdrop"
                on:keydown=move |ev| {
                    if ev.key() == "Escape" {
                        open.set(false);
                    }
                }
            >
                <div class="modal" role="dialog" aria-modal="true" aria-label=title.get_value()>
                    <h2 class="modal-title">{title.get_value()}</h2>
                    {children()}
                </div>
            </div>
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
