//! The console's islands: the only components the browser's wasm hydrates (Leptos' `islands`
//! mode). Everything else is rendered on the server, and its forms post natively.
//!
//! An island is here because the page needs the browser for it: a value shown once that a
//! redirect would lose (a new secret, a revealed one, a generated keystore), the clipboard, a
//! choice that changes the form as it is made (the method picker), and a confirmation that
//! depends on the choice (demoting an operator). Buttons that need the wasm are disabled until
//! it has hydrated them, so nothing is posted before it can show its result.
//!
//! Props cross from the server to the browser as JSON in the page: they never carry a secret
//! the operator did not ask to see (the keystore form's suggested store password is the only
//! such value, and it is shown in the form anyway).

use leptos::html;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::credentials::{MethodView, RegenerateSecret, RevealSecret};
use crate::error::AppError;
use crate::keys::{GenerateKeystore, KeystoreForm};

/// True once the island has hydrated (effects run only in the browser).
fn hydrated() -> ReadSignal<bool> {
    let (ready, set_ready) = signal(false);
    Effect::new(move |_| set_ready.set(true));
    ready
}

/// Opens (`true`) or closes the modal `<dialog>` behind `dialog`.
fn show(dialog: NodeRef<html::Dialog>, open: bool) {
    if let Some(d) = dialog.get_untracked() {
        if open && !d.open() {
            let _ = d.show_modal();
        } else if !open && d.open() {
            d.close();
        }
    }
}

/// Loads the current page again (the server renders it with the change just made), with
/// `query` instead of the URL's own: an earlier form's outcome (`__ok`, `__err`) is not shown
/// again.
fn reload(query: &str) {
    #[cfg(feature = "hydrate")]
    {
        let location = window().location();
        if let Ok(path) = location.pathname() {
            let _ = if query.is_empty() {
                location.set_href(&path)
            } else {
                location.set_href(&format!("{path}?{query}"))
            };
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = query;
}

/// An error of a server function called from an island.
fn error_view(e: Option<AppError>) -> impl IntoView {
    e.map(|e| view! { <div class="alert alert-danger" role="alert">{e.to_string()}</div> })
}

/// The fields of a submitted form, read by name (an island's form builds its server function's
/// arguments from them and dispatches the action: one small reader for every form, instead of a
/// query-string decoder compiled per argument type).
struct Fields(#[cfg(feature = "hydrate")] Option<web_sys::FormData>);

impl Fields {
    fn of(ev: &leptos::ev::SubmitEvent) -> Self {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let form = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok());
            Fields(form.and_then(|f| web_sys::FormData::new_with_form(&f).ok()))
        }
        #[cfg(not(feature = "hydrate"))]
        Fields()
    }

    /// The field's value ("" when absent, as for an unticked checkbox).
    fn get(&self, name: &str) -> String {
        #[cfg(feature = "hydrate")]
        {
            self.0
                .as_ref()
                .and_then(|d| d.get(name).as_string())
                .unwrap_or_default()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = name;
            String::new()
        }
    }
}

/// A button that copies `text` to the clipboard and says "Copied" once the browser confirms.
#[island]
pub fn CopyButton(text: String, label: String) -> impl IntoView {
    view! { <Copy text label/> }
}

/// [`CopyButton`]'s view, for use inside other islands.
#[component]
fn Copy(#[prop(into)] text: String, #[prop(into)] label: String) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let ready = hydrated();
    let text = StoredValue::new(text);
    let on_click = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let promise = window()
                .navigator()
                .clipboard()
                .write_text(&text.get_value());
            leptos::task::spawn_local(async move {
                let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
                copied.set(Some(ok));
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = text;
    };
    view! {
        <button type="button" class="btn btn-secondary btn-small" on:click=on_click disabled=move || !ready.get()>
            {move || match copied.get() {
                Some(true) => "Copied".to_string(),
                Some(false) => "Copy failed: select and copy by hand".to_string(),
                None => label.clone(),
            }}
        </button>
    }
}

/// The authentication method picker (inside the method form): the help of the chosen method,
/// a warning when it differs from the saved one, and the JWT methods' algorithm and lifetime.
#[island]
pub fn MethodPicker(
    methods: Vec<MethodView>,
    saved: String,
    signing_alg: String,
    assertion_max_exp_s: i64,
    disabled: bool,
) -> impl IntoView {
    let methods = StoredValue::new(methods);
    let chosen = RwSignal::new(saved.clone());
    let chosen_method =
        move || methods.with_value(|ms| ms.iter().find(|m| m.id == chosen.get()).cloned());
    let max_exp = assertion_max_exp_s.to_string();
    view! {
        <label for="auth-method">"Client authenticator"</label>
        <select id="auth-method" name="authenticator" disabled=disabled
            on:change=move |ev| chosen.set(event_target_value(&ev))>
            {methods.with_value(|ms| ms.iter().map(|m| view! {
                <option value=m.id.clone() selected=m.id == saved>{m.name.clone()}</option>
            }).collect_view())}
        </select>
        <p class="help" data-testid="method-help">{move || chosen_method().map(|m| m.help).unwrap_or_default()}</p>
        {move || (chosen.get() != saved).then(|| view! {
            <div class="alert alert-warning" role="status">
                "After saving, the client must authenticate this way; requests that use the old method are refused."
            </div>
        })}
        {move || {
            let m = chosen_method()?;
            let current = signing_alg.clone();
            let max_exp = max_exp.clone();
            Some(if m.algorithms.is_empty() {
                view! {
                    <input type="hidden" name="signing_alg" value=""/>
                    <input type="hidden" name="assertion_max_exp_s" value=max_exp/>
                }.into_any()
            } else {
                view! {
                    <label for="auth-alg">"Signature algorithm"</label>
                    <select id="auth-alg" name="signing_alg" disabled=disabled>
                        <option value="" selected=current.is_empty()>"Any allowed by the method"</option>
                        {m.algorithms.iter().map(|a| view! {
                            <option value=a.clone() selected=*a == current>{a.clone()}</option>
                        }).collect_view()}
                    </select>
                    <label for="auth-max-exp">"Maximum assertion lifetime (seconds)"</label>
                    <input id="auth-max-exp" name="assertion_max_exp_s" type="number" min="1" max="3600"
                        value=max_exp disabled=disabled/>
                }.into_any()
            })
        }}
    }
}

/// "Generate secret" / "Regenerate secret": the dialog with the form, then the new secret,
/// shown this once with copy buttons and the matching keycloak.json. Done reloads the page,
/// which lists the new secret.
#[island]
pub fn SecretIssuer(
    realm: String,
    id: String,
    csrf: String,
    /// The client has no active secret: "Generate", else "Regenerate".
    first: bool,
    overlap_default_hours: i64,
    overlap_help: String,
) -> impl IntoView {
    let regenerate = ServerAction::<RegenerateSecret>::new();
    let ready = hydrated();
    let form_dialog = NodeRef::<html::Dialog>::new();
    let shown_dialog = NodeRef::<html::Dialog>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = regenerate.value().get() {
            show(form_dialog, false);
            show(shown_dialog, true);
        }
    });
    let title = if first {
        "Generate secret"
    } else {
        "Regenerate secret"
    };
    view! {
        <button type="button" class="btn btn-primary" disabled=move || !ready.get()
            on:click=move |_| show(form_dialog, true)>
            {title}
        </button>
        <dialog node_ref=form_dialog class="modal" aria-label=title>
            <h2 class="modal-title">{title}</h2>
            <form class="form" method="post" action=RegenerateSecret::PATH on:submit=move |ev| {
                let f = Fields::of(&ev);
                regenerate.dispatch(RegenerateSecret {
                    csrf: f.get("csrf"),
                    realm: f.get("realm"),
                    id: f.get("id"),
                    label: f.get("label"),
                    overlap_hours: f.get("overlap_hours"),
                    expires_in_days: f.get("expires_in_days"),
                });
            }>
                <input type="hidden" name="csrf" value=csrf/>
                <input type="hidden" name="realm" value=realm/>
                <input type="hidden" name="id" value=id/>
                <p>{if first {
                    "The client's first secret: it is shown once, then only its verifier is kept (unless the realm allows reveal)."
                } else {
                    "A new secret becomes the client's primary secret. The current ones keep working for the overlap, then expire on their own."
                }}</p>
                <label for="secret-label">"Label"</label>
                <input id="secret-label" name="label" maxlength="100" placeholder="Secret"/>
                <label for="secret-overlap">"Overlap for the current secrets (hours; 0 revokes them now)"</label>
                <input id="secret-overlap" name="overlap_hours" type="number" min="0"
                    value=overlap_default_hours.to_string()/>
                <p class="help">{overlap_help}</p>
                <label for="secret-expiry">"New secret expires in (days; empty for never)"</label>
                <input id="secret-expiry" name="expires_in_days" type="number" min="1"/>
                {move || error_view(regenerate.value().get().and_then(Result::err))}
                <div class="modal-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || regenerate.pending().get()>
                        {if first { "Generate" } else { "Regenerate" }}
                    </button>
                    <button type="button" class="btn btn-link" on:click=move |_| show(form_dialog, false)>"Cancel"</button>
                </div>
            </form>
        </dialog>
        <dialog node_ref=shown_dialog class="modal" aria-label="New client secret"
            on:close=move |_| reload("")>
            <h2 class="modal-title">"New client secret"</h2>
            {move || regenerate.value().get().and_then(Result::ok).map(|n| view! {
                <div class="alert alert-warning" role="status">
                    "Copy the secret now: this is the only time Keyward shows it."
                </div>
                <label for="new-secret-value">"Secret"</label>
                <div class="copy-row">
                    <input id="new-secret-value" readonly value=n.value.clone() data-testid="new-secret-value"/>
                    <Copy text=n.value.clone() label="Copy secret"/>
                </div>
                <label>"keycloak.json"</label>
                <pre class="snippet" data-testid="new-secret-json">{n.keycloak_json.clone()}</pre>
                <Copy text=n.keycloak_json label="Copy keycloak.json"/>
            })}
            <div class="modal-actions">
                <button type="button" class="btn btn-primary" on:click=move |_| show(shown_dialog, false)>"Done"</button>
            </div>
        </dialog>
    }
}

/// "Reveal" on a kept secret (admins, where the realm allows it): the value in a dialog; the
/// server records the reveal in the admin events.
#[island]
pub fn RevealButton(realm: String, id: String, csrf: String, secret_id: String) -> impl IntoView {
    let reveal = ServerAction::<RevealSecret>::new();
    let ready = hydrated();
    let dialog = NodeRef::<html::Dialog>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = reveal.value().get() {
            show(dialog, true);
        }
    });
    let request = RevealSecret {
        csrf,
        realm,
        id,
        secret_id,
    };
    view! {
        <button type="button" class="btn btn-link" disabled=move || !ready.get()
            on:click=move |_| { reveal.dispatch(request.clone()); }>
            "Reveal"
        </button>
        {move || error_view(reveal.value().get().and_then(Result::err))}
        <dialog node_ref=dialog class="modal" aria-label="Secret">
            <h2 class="modal-title">"Secret"</h2>
            {move || reveal.value().get().and_then(Result::ok).map(|value| view! {
                <p>"This reveal has been recorded in the admin events."</p>
                <div class="copy-row">
                    <input readonly value=value.clone() data-testid="revealed-secret"/>
                    <Copy text=value label="Copy secret"/>
                </div>
            })}
            <div class="modal-actions">
                <button type="button" class="btn btn-primary" on:click=move |_| show(dialog, false)>"Done"</button>
            </div>
        </dialog>
    }
}

/// "Generate new keys": format, algorithm, alias, passwords (strong suggestions from the
/// server), validity. The key pair is made on the server; the keystore downloads at once, and
/// the result dialog shows the passwords this once with the matching keycloak.json. Done
/// reloads the page, which lists the new certificate.
#[island]
pub fn KeystoreGenerator(
    realm: String,
    id: String,
    csrf: String,
    /// (id, label) of each key algorithm; the first is the default.
    algorithms: Vec<(String, String)>,
    alias: String,
    /// A strong suggestion, shown in the form (the operator may change it).
    store_password: String,
) -> impl IntoView {
    let generate = ServerAction::<GenerateKeystore>::new();
    let ready = hydrated();
    let form_dialog = NodeRef::<html::Dialog>::new();
    let result_dialog = NodeRef::<html::Dialog>::new();
    let link = NodeRef::<html::A>::new();
    // The passwords of the last request, kept to show them with its result.
    let passwords = RwSignal::new(None::<(String, String, String)>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        let f = Fields::of(&ev);
        let form = KeystoreForm {
            format: f.get("format"),
            algorithm: f.get("algorithm"),
            alias: f.get("alias"),
            store_password: f.get("store_password"),
            store_password_confirm: f.get("store_password_confirm"),
            key_password: f.get("key_password"),
            key_password_confirm: f.get("key_password_confirm"),
            validity_years: f.get("validity_years"),
            include_passwords: f.get("include_passwords"),
        };
        let key = if form.format == "JKS" {
            form.key_password.clone()
        } else {
            String::new()
        };
        passwords.set(Some((
            form.format.clone(),
            form.store_password.clone(),
            key,
        )));
        let request = GenerateKeystore {
            csrf: f.get("csrf"),
            realm: f.get("realm"),
            id: f.get("id"),
            form,
        };
        generate.dispatch(request);
    };
    Effect::new(move |_| {
        if let Some(Ok(_)) = generate.value().get() {
            show(form_dialog, false);
            show(result_dialog, true);
            #[cfg(feature = "hydrate")]
            leptos::task::spawn_local(async move {
                // One tick: the dialog renders its link first.
                leptos::task::tick().await;
                if let Some(a) = link.get_untracked() {
                    a.click();
                }
            });
        }
    });
    view! {
        <button type="button" class="btn btn-secondary" disabled=move || !ready.get()
            on:click=move |_| show(form_dialog, true)>"Generate new keys"</button>
        <dialog node_ref=form_dialog class="modal" aria-label="Generate new keys">
            <h2 class="modal-title">"Generate new keys"</h2>
            <form class="form" method="post" action=GenerateKeystore::PATH on:submit=on_submit>
                <input type="hidden" name="csrf" value=csrf/>
                <input type="hidden" name="realm" value=realm/>
                <input type="hidden" name="id" value=id/>
                <p class="help">"Keyward makes a key pair and a self-signed certificate (CN = the client id), sends you the keystore and registers the certificate. The private key is never stored: keep the file."</p>
                <label for="gen-format">"Keystore format"</label>
                <select id="gen-format" name="format">
                    <option value="PKCS12" selected>"PKCS12"</option>
                    <option value="JKS">"JKS"</option>
                </select>
                <label for="gen-alg">"Key algorithm"</label>
                <select id="gen-alg" name="algorithm">
                    {algorithms.into_iter().enumerate().map(|(i, (value, label))| view! {
                        <option value=value selected=i == 0>{label}</option>
                    }).collect_view()}
                </select>
                <label for="gen-alias">"Key alias"</label>
                <input id="gen-alias" name="alias" value=alias autocomplete="off"/>
                <label for="gen-store-password">"Store password"</label>
                <input id="gen-store-password" name="store_password" value=store_password.clone() autocomplete="off"/>
                <label for="gen-store-password2">"Confirm store password"</label>
                <input id="gen-store-password2" name="store_password_confirm" value=store_password autocomplete="off"/>
                <div class="jks-only">
                    <label for="gen-key-password">"Key password (JKS; empty: the store password)"</label>
                    <input id="gen-key-password" name="key_password" autocomplete="off"/>
                    <label for="gen-key-password2">"Confirm key password"</label>
                    <input id="gen-key-password2" name="key_password_confirm" autocomplete="off"/>
                </div>
                <p class="help pkcs12-only">"A PKCS12 file has one password: its key is protected with the store password (choose JKS for a separate key password)."</p>
                <label for="gen-validity">"Certificate validity (years)"</label>
                <input id="gen-validity" name="validity_years" type="number" min="1" max="10" value="3"/>
                <label class="checkbox">
                    <input type="checkbox" id="gen-include" name="include_passwords" value="true"/>
                    " Include the passwords in keycloak.json"
                </label>
                {move || error_view(generate.value().get().and_then(Result::err))}
                {move || generate.pending().get().then(|| view! {
                    <p class="help" role="status" aria-live="polite" data-testid="generating">
                        "Generating the key pair… RSA 4096 can take a few seconds."
                    </p>
                })}
                <div class="modal-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || generate.pending().get()>"Generate and download"</button>
                    <button type="button" class="btn btn-link" on:click=move |_| show(form_dialog, false)>"Cancel"</button>
                </div>
            </form>
        </dialog>
        <dialog node_ref=result_dialog class="modal" aria-label="Keystore generated"
            on:close=move |_| reload("")>
            <h2 class="modal-title">"Keystore generated"</h2>
            {move || generate.value().get().and_then(Result::ok).map(|g| {
                let href = format!("data:{};base64,{}", g.mime, g.keystore);
                let (format, store, key) = passwords.get_untracked().unwrap_or_default();
                view! {
                    <div class="alert alert-warning" role="status">
                        {format!("{} is downloading. Keep it safe: Keyward does not keep the private key, so this file cannot be downloaded again later.", g.file_name)}
                    </div>
                    <p>
                        <a node_ref=link class="btn btn-secondary btn-small" download=g.file_name.clone() href=href data-testid="keystore-download">
                            {format!("Download {} again", g.file_name)}
                        </a>
                    </p>
                    <p class="help">{format!("Registered as key {}.", g.kid)}</p>
                    <dl class="fields" data-testid="keystore-passwords">
                        <dt>"Store password"</dt><dd><code>{store}</code></dd>
                        {(format == "JKS").then(|| view! {
                            <dt>"Key password"</dt>
                            <dd>{if key.is_empty() { view! { "the store password" }.into_any() } else { view! { <code>{key}</code> }.into_any() }}</dd>
                        })}
                    </dl>
                    <p class="help">"The passwords are shown this once: Keyward does not keep them."</p>
                    <label>"keycloak.json"</label>
                    <pre class="snippet" data-testid="generated-json">{g.keycloak_json.clone()}</pre>
                    <Copy text=g.keycloak_json label="Copy keycloak.json"/>
                }
            })}
            <div class="modal-actions">
                <button type="button" class="btn btn-primary" on:click=move |_| show(result_dialog, false)>"Done"</button>
            </div>
        </dialog>
    }
}

/// An operator's role (on the Operators page, admins only): choosing a lower role asks first,
/// as it takes power away at once; a higher one is saved at once. Either posts the form.
#[island]
pub fn RoleSelect(
    action: String,
    csrf: String,
    operator_id: String,
    username: String,
    /// The current role and every role, lowest first.
    current: String,
    roles: Vec<String>,
) -> impl IntoView {
    let form = NodeRef::<html::Form>::new();
    let dialog = NodeRef::<html::Dialog>::new();
    let chosen = RwSignal::new(current.clone());
    let rank = {
        let roles = roles.clone();
        move |r: &str| roles.iter().position(|x| x == r)
    };
    let current_rank = rank(&current);
    let submit = move || {
        if let Some(f) = form.get_untracked() {
            let _ = f.request_submit();
        }
    };
    let name = username.clone();
    view! {
        <form node_ref=form method="post" action=action class="inline">
            <input type="hidden" name="csrf" value=csrf/>
            <input type="hidden" name="operator_id" value=operator_id/>
            <select name="role" aria-label=format!("Role of {username}")
                on:change=move |ev| {
                    let role = event_target_value(&ev);
                    chosen.set(role.clone());
                    if rank(&role) < current_rank {
                        show(dialog, true);
                    } else {
                        submit();
                    }
                }>
                {roles.iter().map(|r| view! {
                    <option value=r.clone() selected=*r == current>{r.clone()}</option>
                }).collect_view()}
            </select>
            <noscript><button type="submit" class="btn btn-link">"Change"</button></noscript>
        </form>
        <dialog node_ref=dialog class="modal" aria-label="Confirm the change">
            <h2 class="modal-title">"Confirm the change"</h2>
            <p>{move || format!("Make {name} a {}? They lose what their current role allows at once; their sessions end.", chosen.get())}</p>
            <div class="modal-actions">
                <button type="button" class="btn btn-danger" on:click=move |_| { show(dialog, false); submit(); }>"Confirm"</button>
                <button type="button" class="btn btn-link" on:click=move |_| {
                    show(dialog, false);
                    reload("");
                }>"Cancel"</button>
            </div>
        </dialog>
    }
}

/// The JWKS URL form (managers): a refused URL stays in the field as typed, with the reason
/// beside it; a saved one reloads the page, which shows the URL's state.
#[island]
pub fn JwksUrlForm(
    realm: String,
    id: String,
    csrf: String,
    use_jwks_url: bool,
    url: String,
) -> impl IntoView {
    use crate::keys::SetJwksUrl;
    let save = ServerAction::<SetJwksUrl>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            reload("");
        }
    });
    let error = move || save.value().get().and_then(Result::err);
    view! {
        <form class="form" method="post" action=SetJwksUrl::PATH on:submit=move |ev| {
            let f = Fields::of(&ev);
            save.dispatch(SetJwksUrl {
                csrf: f.get("csrf"),
                realm: f.get("realm"),
                id: f.get("id"),
                use_jwks_url: f.get("use_jwks_url") == "true",
                url: f.get("url"),
            });
        }>
            <input type="hidden" name="csrf" value=csrf/>
            <input type="hidden" name="realm" value=realm/>
            <input type="hidden" name="id" value=id/>
            <label class="checkbox">
                <input type="checkbox" id="use-jwks-url" name="use_jwks_url" value="true" checked=use_jwks_url/>
                " Use JWKS URL"
            </label>
            <label for="jwks-url">"JWKS URL"</label>
            <input id="jwks-url" name="url" type="url" value=url
                aria-invalid=move || error().is_some().then_some("true")
                aria-describedby=move || error().is_some().then_some("jwks-url-error")
                placeholder="https://service.example.com/.well-known/jwks.json"/>
            {move || error().map(|e| view! {
                <div class="alert alert-danger field-error" role="alert" id="jwks-url-error">{e.to_string()}</div>
            })}
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || save.pending().get()>"Save"</button>
            </div>
        </form>
    }
}
