//! The Credentials tab of a client: authentication method picker, secrets with regenerate /
//! revoke / reveal, and the shown-once dialog with copy buttons and keycloak.json.

use keyward_credentials::operator::Role;
use leptos::prelude::*;

use crate::components::*;
use crate::credentials_api::*;
use crate::form_action::{FormAction, SubmitForm};
use crate::panel::{Confirm, Panel};

fn can(role: Role) -> bool {
    current_session().me.is_some_and(|m| m.role.allows(role))
}

#[component]
pub fn CredentialsTab(#[prop(into)] realm: String, #[prop(into)] id: String) -> impl IntoView {
    let set_auth = FormAction::<SetAuthenticator>::new();
    let regenerate = FormAction::<RegenerateSecret>::new();
    let revoke = FormAction::<RevokeSecret>::new();
    let reveal = FormAction::<RevealSecret>::new();
    let realm = StoredValue::new(realm);
    let id = StoredValue::new(id);
    // Loaded by the browser after hydration (an effect, which never runs on the server), into a
    // plain signal: a resource read here would register with the client page's suspense, whose
    // hydration then expected its fallback and broke in release builds.
    let view_data = RwSignal::new(None::<Result<CredentialsTabView, crate::error::AppError>>);
    // After a change by this tab, the client page's expiry banner reads again.
    Effect::new(move |previous: Option<()>| {
        set_auth.version().track();
        regenerate.version().track();
        revoke.version().track();
        if previous.is_some() {
            crate::oversight::ClientChanged::bump();
        }
    });
    Effect::new(move |_| {
        set_auth.version().track();
        regenerate.version().track();
        revoke.version().track();
        let (r, i) = (realm.get_value(), id.get_value());
        leptos::task::spawn_local(async move {
            let loaded = credentials_tab(r, i).await;
            // The tab may have been left meanwhile: then there is nothing to update.
            let _ = view_data.try_set(Some(loaded));
        });
    });
    // Dialog state lives here, above the body that is rebuilt on every reload, so a result is
    // shown when it arrives and never again (a rebuilt body must not reopen "shown once").
    let dialogs = Dialogs {
        regenerate: RwSignal::new(false),
        shown: RwSignal::new(false),
        revealed: RwSignal::new(false),
    };
    Effect::new(move |_| {
        if regenerate.succeeded() {
            dialogs.regenerate.set(false);
            dialogs.shown.set(true);
        }
    });
    Effect::new(move |_| {
        if reveal.succeeded() {
            dialogs.revealed.set(true);
        }
    });
    view! {
        {move || match view_data.get() {
            None => view! { <p class="loading" aria-live="polite">"Loading…"</p> }.into_any(),
            Some(Ok(v)) => view! {
                <CredentialsBody v realm=realm.get_value() id=id.get_value()
                    set_auth regenerate revoke reveal dialogs/>
            }.into_any(),
            Some(Err(e)) => view! { <div class="alert alert-danger" role="alert">{e.to_string()}</div> }.into_any(),
        }}
    }
}

/// Open/closed state of the tab's dialogs.
#[derive(Clone, Copy)]
struct Dialogs {
    regenerate: RwSignal<bool>,
    shown: RwSignal<bool>,
    revealed: RwSignal<bool>,
}

#[allow(clippy::too_many_arguments)]
#[component]
fn CredentialsBody(
    v: CredentialsTabView,
    realm: String,
    id: String,
    set_auth: FormAction<SetAuthenticator>,
    regenerate: FormAction<RegenerateSecret>,
    revoke: FormAction<RevokeSecret>,
    reveal: FormAction<RevealSecret>,
    dialogs: Dialogs,
) -> impl IntoView {
    let manager = can(Role::Manager);
    if v.public_client {
        return view! {
            <section class="card">
                <EmptyState title="Public client"
                    help="A public client does not authenticate at the token endpoint: it has no method, secret or key. Make it confidential in Settings to give it credentials."/>
            </section>
        }
        .into_any();
    }
    let methods = StoredValue::new(v.methods.clone());
    let chosen = RwSignal::new(v.authenticator.clone());
    let saved_method = v.authenticator.clone();
    let chosen_method =
        move || methods.with_value(|ms| ms.iter().find(|m| m.id == chosen.get()).cloned());
    let current_alg = v.signing_alg.clone().unwrap_or_default();
    let regenerate_open = dialogs.regenerate;
    let shown_open = dialogs.shown;
    let revealed_open = dialogs.revealed;
    let can_reveal = v.can_reveal;
    view! {
        <section class="card">
            <h2>"Client authentication"</h2>
            {(!manager).then(|| view! {
                <div class="alert alert-info" role="status">"Your role can read these credentials but not change them. Secret values are never shown to it."</div>
            })}
            <SubmitForm action=set_auth attr:class="form">
                <CsrfField/>
                <input type="hidden" name="realm" value=realm.clone()/>
                <input type="hidden" name="id" value=id.clone()/>
                <input type="hidden" name="version" value=v.version.to_string()/>
                <label for="auth-method">"Client authenticator"</label>
                <select id="auth-method" name="authenticator" disabled=!manager
                    on:change=move |ev| chosen.set(event_target_value(&ev))>
                    {v.methods.iter().map(|m| view! {
                        <option value=m.id.clone() selected=m.id == v.authenticator>{m.name.clone()}</option>
                    }).collect_view()}
                </select>
                <p class="help" data-testid="method-help">{move || chosen_method().map(|m| m.help).unwrap_or_default()}</p>
                {move || (chosen.get() != saved_method).then(|| view! {
                    <div class="alert alert-warning" role="status">
                        "After saving, the client must authenticate this way; requests that use the old method are refused."
                    </div>
                })}
                {move || {
                    let m = chosen_method()?;
                    if m.algorithms.is_empty() {
                        return None;
                    }
                    let current = current_alg.clone();
                    Some(view! {
                        <label for="auth-alg">"Signature algorithm"</label>
                        <select id="auth-alg" name="signing_alg" disabled=!manager>
                            <option value="" selected=current.is_empty()>"Any allowed by the method"</option>
                            {m.algorithms.iter().map(|a| view! {
                                <option value=a.clone() selected=*a == current>{a.clone()}</option>
                            }).collect_view()}
                        </select>
                        <label for="auth-max-exp">"Maximum assertion lifetime (seconds)"</label>
                        <input id="auth-max-exp" name="assertion_max_exp_s" type="number" min="1" max="3600"
                            value=v.assertion_max_exp_s.to_string() disabled=!manager/>
                    }.into_any())
                }}
                {move || chosen_method().is_some_and(|m| m.algorithms.is_empty()).then(|| view! {
                    <input type="hidden" name="signing_alg" value=""/>
                    <input type="hidden" name="assertion_max_exp_s" value=v.assertion_max_exp_s.to_string()/>
                })}
                <ActionError value=set_auth/>
                {manager.then(|| view! {
                    <div class="form-actions"><button type="submit" class="btn btn-primary">"Save"</button></div>
                })}
            </SubmitForm>
        </section>
        <ActionError value=revoke/>
        <ActionError value=reveal/>
        <Panel html=v.panel.clone() targets=vec![revoke.into(), reveal.into()]
            on_do=Callback::new(move |dialog: String| if dialog == "regenerate" { regenerate_open.set(true) })
            confirm=Confirm {
                title: "Revoke secret",
                message: "Revoke this secret? Services that still use it are refused at once.",
                label: "Revoke",
            }/>
        {manager.then(|| view! {
            <FormDialog open=regenerate_open title=if v.has_active_secret { "Regenerate secret" } else { "Generate secret" }>
                <Panel html=v.regenerate_form.clone() targets=vec![regenerate.into()]
                    on_do=Callback::new(move |_| regenerate_open.set(false))/>
                <ActionError value=regenerate/>
            </FormDialog>
            <FormDialog open=shown_open title="New client secret">
                {move || regenerate.value().and_then(Result::ok).map(|n| {
                    let value = n.value.clone();
                    let json = n.keycloak_json.clone();
                    view! {
                        <div class="alert alert-warning" role="status">
                            "Copy the secret now: this is the only time Keyward shows it."
                        </div>
                        <label for="new-secret-value">"Secret"</label>
                        <div class="copy-row">
                            <input id="new-secret-value" readonly value=n.value.clone() data-testid="new-secret-value"/>
                            <CopyButton text=Signal::derive(move || value.clone()) label="Copy secret"/>
                        </div>
                        <label>"keycloak.json"</label>
                        <pre class="snippet" data-testid="new-secret-json">{n.keycloak_json.clone()}</pre>
                        <CopyButton text=Signal::derive(move || json.clone()) label="Copy keycloak.json"/>
                    }
                })}
                <div class="modal-actions">
                    <button type="button" class="btn btn-primary" on:click=move |_| shown_open.set(false)>"Done"</button>
                </div>
            </FormDialog>
        })}
        {can_reveal.then(|| view! {
            <FormDialog open=revealed_open title="Secret">
                {move || reveal.value().and_then(Result::ok).map(|value| {
                    let copy = value.clone();
                    view! {
                        <p>"This reveal has been recorded in the admin events."</p>
                        <div class="copy-row">
                            <input readonly value=value data-testid="revealed-secret"/>
                            <CopyButton text=Signal::derive(move || copy.clone()) label="Copy secret"/>
                        </div>
                    }
                })}
                <div class="modal-actions">
                    <button type="button" class="btn btn-primary" on:click=move |_| revealed_open.set(false)>"Done"</button>
                </div>
            </FormDialog>
        })}
    }
    .into_any()
}

/// The Credentials tab's panel, rendered on the server: the secrets (for a method that uses
/// them) and the recent authentications.
#[cfg(feature = "ssr")]
pub mod ssr {
    use leptos::prelude::*;
    use leptos::server_fn::ServerFn;

    use keyward_credentials::client_secret::human_duration;

    use crate::components::EmptyState;
    use crate::credentials_api::*;
    use crate::format_time;
    use crate::panel::{hidden_fields, render, PanelContext};

    /// The regenerate dialog's form (the realm's overlap default and maximum).
    pub fn regenerate_form(v: &CredentialsView, cx: &PanelContext) -> String {
        let first = !v.secrets.iter().any(|s| s.state == "active");
        render(view! {
            <form class="form" method="post" action=RegenerateSecret::PATH data-once="">
                {hidden_fields(cx)}
                <p>{if first {
                    "The client's first secret: it is shown once, then only its verifier is kept (unless the realm allows reveal)."
                } else {
                    "A new secret becomes the client's primary secret. The current ones keep working for the overlap, then expire on their own."
                }}</p>
                <label for="secret-label">"Label"</label>
                <input id="secret-label" name="label" maxlength="100" placeholder="Secret"/>
                <label for="secret-overlap">"Overlap for the current secrets (hours; 0 revokes them now)"</label>
                <input id="secret-overlap" name="overlap_hours" type="number" min="0"
                    value=(v.overlap_default_s / 3600).to_string()/>
                <p class="help">{format!("At most {} in this realm.", human_duration(v.overlap_max_s))}</p>
                <label for="secret-expiry">"New secret expires in (days; empty for never)"</label>
                <input id="secret-expiry" name="expires_in_days" type="number" min="1"/>
                <div class="modal-actions">
                    <button type="submit" class="btn btn-primary">{if first { "Generate" } else { "Regenerate" }}</button>
                    <button type="button" class="btn btn-link" data-do="cancel">"Cancel"</button>
                </div>
            </form>
        })
    }

    /// The panel of `v`; a manager's has forms (and a reveal form where `v` allows it).
    pub fn panel(v: &CredentialsView, cx: &PanelContext) -> String {
        let manager = cx.manager;
        if v.public_client {
            return String::new();
        }
        let method = v.methods.iter().find(|m| m.id == v.authenticator);
        let uses_secrets = method.is_some_and(|m| m.uses_secrets);
        let needs_plaintext = method.is_some_and(|m| m.needs_plaintext_secret);
        let has_usable_sealed = v.secrets.iter().any(|s| s.state == "active" && s.sealed);
        let hidden = |secret_id: &str| {
            view! {
                {hidden_fields(cx)}
                <input type="hidden" name="secret_id" value=secret_id.to_string()/>
            }
        };
        let has_active = v.secrets.iter().any(|s| s.state == "active");
        // The primary secret: the newest active one (the list is newest first). The other
        // active ones are in their overlap until they expire.
        let primary = v
            .secrets
            .iter()
            .find(|s| s.state == "active")
            .map(|s| s.id.clone());
        let method_name = method.map(|m| m.name.clone()).unwrap_or_default();
        // Secrets stay listed (and revocable) when the method no longer uses them.
        let secrets = (uses_secrets || !v.secrets.is_empty()).then(|| view! {
            <section class="card">
                <div class="card-header">
                    <h2>"Client secrets"</h2>
                    {(manager && uses_secrets).then(|| view! {
                        <button type="button" class="btn btn-primary" data-do="regenerate">
                            {if has_active { "Regenerate secret" } else { "Generate secret" }}
                        </button>
                    })}
                </div>
                {(!uses_secrets).then(|| view! {
                    <div class="alert alert-info" role="status">
                        {format!("{method_name} does not use these secrets: token requests with them are refused. Revoke the ones still active when no service needs them any more.")}
                    </div>
                })}
                {(uses_secrets && needs_plaintext && !has_usable_sealed).then(|| view! {
                    <div class="alert alert-warning" role="status">
                        "Signed JWT with Client Secret needs a secret whose value Keyward keeps (sealed). Secrets created under another method are stored only as a verifier: generate a new one."
                    </div>
                })}
                {if v.secrets.is_empty() {
                    view! { <EmptyState title="No secret yet" help="Generate a secret to let this client authenticate with its client id and secret."/> }.into_any()
                } else {
                    view! {
                        <table class="table" data-testid="secrets">
                            <thead><tr><th>"Label"</th><th>"State"</th><th>"Created"</th><th>"Expires"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                            <tbody>
                                {v.secrets.iter().map(|s| {
                                    let active = s.state == "active";
                                    let is_primary = primary.as_deref() == Some(s.id.as_str());
                                    let state = match (active, is_primary, s.expires_at) {
                                        (true, true, _) => "active, primary".to_string(),
                                        (true, false, Some(e)) => format!("active, in overlap until {}", format_time(e)),
                                        _ => s.state.clone(),
                                    };
                                    view! {
                                        <tr data-secret-id=s.id.clone()>
                                            <td>{s.label.clone()}</td>
                                            <td><span class=format!("badge badge-{}", s.state)>{state}</span></td>
                                            <td>{format_time(s.created_at)}" by "{s.created_by.clone()}</td>
                                            <td>{match (s.revoked_at, s.expires_at) {
                                                (Some(r), _) => format!("revoked {}", format_time(r)),
                                                (None, Some(e)) => format_time(e),
                                                (None, None) => "never".into(),
                                            }}</td>
                                            <td class="actions">
                                                {(manager && active).then(|| view! {
                                                    <form class="inline" method="post" action=RevokeSecret::PATH data-confirm="">
                                                        {hidden(&s.id)}
                                                        <button type="submit" class="btn btn-link btn-danger-text">"Revoke"</button>
                                                    </form>
                                                })}
                                                {(v.can_reveal && s.sealed && active).then(|| view! {
                                                    <form class="inline" method="post" action=RevealSecret::PATH>
                                                        {hidden(&s.id)}
                                                        <button type="submit" class="btn btn-link">"Reveal"</button>
                                                    </form>
                                                })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
            </section>
        });
        let recent = view! {
            <section class="card">
                <h2>"Recent authentications"</h2>
                {if v.recent.is_empty() {
                    view! { <EmptyState title="No authentication yet"
                        help="Token requests of this client show here, with the exact reason of each failure (the client itself only gets invalid_client)."/> }.into_any()
                } else {
                    view! {
                        <table class="table" data-testid="recent-auth">
                            <thead><tr><th>"Time"</th><th>"Method"</th><th>"Outcome"</th><th>"Reason"</th><th>"From"</th></tr></thead>
                            <tbody>
                                {v.recent.iter().map(|e| view! {
                                    <tr>
                                        <td>{format_time(e.at)}</td>
                                        <td>{e.method.clone()}</td>
                                        <td><span class=if e.success { "badge badge-active" } else { "badge badge-revoked" }>
                                            {if e.success { "success" } else { "failure" }}
                                        </span></td>
                                        <td>{e.reason.clone()}</td>
                                        <td>{e.ip.clone()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
            </section>
        };
        render(view! { {secrets} {recent} })
    }
}
