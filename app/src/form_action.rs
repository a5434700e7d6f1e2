//! `FormAction` and `SubmitForm`: a server function run by posting URL-encoded fields, either
//! its form's fields as the browser would send them without JavaScript, or its arguments.
//!
//! Leptos's `ActionForm` first parses a form's fields into the server function's argument type
//! in the browser (serde_qs), then encodes that value again for the request. The parser,
//! compiled once per form, was about a tenth of the console's wasm. The server parses and checks
//! the fields in any case, so the browser now posts them as they are and only decodes the answer.
//! Without the wasm, the same `<form>` posts natively to the same URL.
//!
//! Every action runs on the encoded fields (a `String`) and keeps the answer as the JSON text it
//! came in, so the action machinery is compiled once for all server functions (a `ServerAction`
//! compiles it once per server function); only decoding the answer is compiled per result type.

use std::marker::PhantomData;

use leptos::prelude::*;
use leptos::server_fn::error::ServerFnUrlError;
use leptos::server_fn::ServerFn;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// A server function run by posting its form, or by [`FormAction::dispatch`] (see the module
/// documentation). It offers what the pages use of a `ServerAction`: `dispatch`, `value`,
/// `version` and `pending`.
pub struct FormAction<S: ServerFn>
where
    S::Output: Send + Sync + 'static,
{
    /// Runs on the encoded fields; a success is kept as the answer's JSON text, decoded as the
    /// server function's result type only where a page reads it ([`FormAction::value`]).
    action: Action<String, Result<String, AppError>>,
    server_fn: PhantomData<fn() -> S>,
}

impl<S: ServerFn> Clone for FormAction<S>
where
    S::Output: Send + Sync + 'static,
{
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: ServerFn> Copy for FormAction<S> where S::Output: Send + Sync + 'static {}

impl<S> FormAction<S>
where
    S: ServerFn<Error = AppError>,
    S::Output: DeserializeOwned + Send + Sync + 'static,
{
    pub fn new() -> Self {
        FormAction {
            action: raw_action(S::PATH),
            server_fn: PhantomData,
        }
    }

    /// Runs the server function with these arguments, encoded as its form would post them.
    pub fn dispatch(&self, input: S)
    where
        S: serde::Serialize,
    {
        #[cfg(feature = "hydrate")]
        match serde_qs::to_string(&input) {
            Ok(body) => {
                self.action.dispatch(body);
            }
            Err(e) => {
                let failed = Err(AppError::Request(format!("cannot encode the request: {e}")));
                self.action.value().set(Some(failed));
                self.action.version().update(|n| *n += 1);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = input;
    }

    /// The result of the last run, once it has finished, decoded when read (a plain read of
    /// the one answer signal, tracked like `get`: no signal per result type).
    pub fn value(&self) -> Option<Result<S::Output, AppError>> {
        self.value_as()
    }

    /// The result of the last run decoded as `T`: a type that reads only what the page shows
    /// of it (serde skips the other fields), so the full result type needs no decoder here.
    pub fn value_as<T: DeserializeOwned>(&self) -> Option<Result<T, AppError>> {
        self.action.value().with(decode)
    }

    /// Whether the last run succeeded (its answer is not decoded: for actions whose result
    /// the page does not show).
    pub fn succeeded(&self) -> bool {
        succeeded(self.action)
    }

    /// How many runs have finished.
    pub fn version(&self) -> RwSignal<usize> {
        self.action.version()
    }

    /// Whether a run is under way.
    pub fn pending(&self) -> Memo<bool> {
        self.action.pending()
    }
}

impl<S> Default for FormAction<S>
where
    S: ServerFn<Error = AppError>,
    S::Output: DeserializeOwned + Send + Sync + 'static,
{
    fn default() -> Self {
        Self::new()
    }
}

/// The action behind every [`FormAction`]: posts the encoded fields to `path` and keeps the
/// answer's text. (Not generic: compiled once.)
fn raw_action(path: &'static str) -> Action<String, Result<String, AppError>> {
    Action::new_with_value(failed_post(path).map(Err), move |body: &String| {
        post_form(path, body.clone())
    })
}

/// The last answer, decoded as `O` (compiled once per result type: the only generic code).
fn decode<O: DeserializeOwned>(
    last: &Option<Result<String, AppError>>,
) -> Option<Result<O, AppError>> {
    last.as_ref().map(|answer| match answer {
        Ok(text) => serde_json::from_str(text).map_err(unreadable),
        Err(e) => Err(e.clone()),
    })
}

/// (Not generic: compiled once.)
fn succeeded(action: Action<String, Result<String, AppError>>) -> bool {
    action.value().with(|last| matches!(last, Some(Ok(_))))
}

/// The error of the last run, if it failed, as [`crate::components::ActionError`] shows it.
/// (Not generic: compiled once.)
pub(crate) fn failure(
    action: Action<String, Result<String, AppError>>,
) -> Signal<Option<AppError>> {
    let last = action.value();
    Signal::derive(move || {
        last.with(|last| match last {
            Some(Err(e)) => Some(e.clone()),
            _ => None,
        })
    })
}

impl<S> From<FormAction<S>> for crate::components::Failure
where
    S: ServerFn<Error = AppError>,
    S::Output: Send + Sync + 'static,
{
    fn from(action: FormAction<S>) -> Self {
        crate::components::Failure(failure(action.action))
    }
}

/// A success answer that is not the result type's JSON.
fn unreadable(e: serde_json::Error) -> AppError {
    AppError::Request(format!("unreadable answer: {e}"))
}

/// The error of a native post to `path` that failed: the server sent the browser back to this
/// page with it in the URL (`__path`, `__err`), and the router offers it as `ServerActionError`.
/// A `FormAction` starts with it, as a `ServerAction` does. (Not generic: compiled once.)
fn failed_post(path: &str) -> Option<AppError> {
    use_context::<leptos::server::ServerActionError>()
        .filter(|e| e.path() == path)
        .map(|e| ServerFnUrlError::<AppError>::decode_err(e.err()))
}

/// Where a [`SubmitForm`] posts, and what runs its action: the same for every server function,
/// so the form's view is compiled once.
pub struct FormTarget {
    pub(crate) path: &'static str,
    pub(crate) dispatch: Callback<String>,
    /// Whether a run is under way (a panel does not post the form again meanwhile).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub(crate) busy: Memo<bool>,
}

impl<S> From<FormAction<S>> for FormTarget
where
    S: ServerFn<Error = AppError>,
    S::Output: DeserializeOwned + Send + Sync + 'static,
{
    fn from(action: FormAction<S>) -> Self {
        form_target(S::PATH, action.action)
    }
}

/// (Not generic: compiled once.)
fn form_target(path: &'static str, action: Action<String, Result<String, AppError>>) -> FormTarget {
    FormTarget {
        path,
        busy: action.pending(),
        dispatch: Callback::new(move |body: String| {
            action.dispatch(body);
        }),
    }
}

/// A `<form method="post">` to the action's server function; in the browser, a submit runs
/// the action with the form's fields (the pressed submit button's name and value included).
#[component]
pub fn SubmitForm(#[prop(into)] action: FormTarget, children: Children) -> impl IntoView {
    let FormTarget { path, dispatch, .. } = action;
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if ev.default_prevented() {
            return;
        }
        // If the fields cannot be read, the browser posts the form itself.
        if let Some(body) = form_body(&ev) {
            ev.prevent_default();
            dispatch.run(body);
        }
    };
    view! {
        <form action=path method="post" on:submit=on_submit>
            {children()}
        </form>
    }
}

/// The submitted form's fields, URL-encoded.
#[cfg(feature = "hydrate")]
pub(crate) fn form_body(ev: &leptos::ev::SubmitEvent) -> Option<String> {
    let data = leptos::form::form_data_from_event(ev).ok()?;
    let params = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data).ok()?;
    Some(params.to_string().into())
}

#[cfg(not(feature = "hydrate"))]
pub(crate) fn form_body(_: &leptos::ev::SubmitEvent) -> Option<String> {
    None
}

/// Posts `body` to the server function at `path` as its form would, and reads the answer as
/// the server function's own client does: an error status carries an `AppError`, a success
/// the result's JSON (returned as text, decoded by [`decoded`]). Keyward's server functions
/// never answer with a redirect, so none is followed here.
#[cfg(feature = "hydrate")]
async fn post_form(path: &'static str, body: String) -> Result<String, AppError> {
    use leptos::server_fn::client::{browser::BrowserClient, Client};
    use leptos::server_fn::codec::PostUrl;
    use leptos::server_fn::request::{browser::BrowserRequest, ClientReq};
    use leptos::server_fn::response::ClientRes;
    use leptos::server_fn::{ContentType, Decodes};

    use crate::codec::StrJsonEncoding;

    let req = <BrowserRequest as ClientReq<AppError>>::try_new_post(
        path,
        PostUrl::CONTENT_TYPE,
        StrJsonEncoding::CONTENT_TYPE,
        body,
    )?;
    let res = <BrowserClient as Client<AppError>>::send(req).await?;
    let status = <_ as ClientRes<AppError>>::status(&res);
    let bytes = <_ as ClientRes<AppError>>::try_into_bytes(res).await?;
    if (400..=599).contains(&status) {
        Err(StrJsonEncoding::decode(bytes).map_err(unreadable)?)
    } else {
        String::from_utf8(bytes.to_vec())
            .map_err(|_| AppError::Request("unreadable answer: not UTF-8".into()))
    }
}

/// Forms are only submitted in the browser.
#[cfg(not(feature = "hydrate"))]
async fn post_form(_: &'static str, _: String) -> Result<String, AppError> {
    Err(AppError::Internal)
}
