//! The Credentials tab of a client: the authentication method (the picker is an island), the
//! secrets with regenerate (an island: the new value is shown once), revoke (a confirmed form)
//! and reveal (an island), and the recent authentications.

use keyward_credentials::client_secret::human_duration;
use keyward_credentials::operator::Role;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::components::*;
use crate::credentials::*;
use crate::format_time;
use crate::islands::{CopyButton, MethodPicker, RevealButton, SecretIssuer};

#[component]
pub fn CredentialsTab(#[prop(into)] realm: String, #[prop(into)] id: String) -> impl IntoView {
    view! {
        <Suspense fallback=loading>
            {Suspend::new(async move {
                let inspect = Some(query("inspect")).filter(|t| !t.is_empty());
                match get_credentials(realm.clone(), id.clone(), inspect).await {
                    Ok(v) => view! { <CredentialsBody v realm id/> }.into_any(),
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CredentialsBody(v: CredentialsView, realm: String, id: String) -> impl IntoView {
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
    let set_auth = ServerAction::<SetAuthenticator>::new();
    let (methods, saved, signing_alg) = (
        v.methods.clone(),
        v.authenticator.clone(),
        v.signing_alg.clone().unwrap_or_default(),
    );
    let (max_exp, version) = (v.assertion_max_exp_s, v.version);
    let (realm_form, id_form) = (realm.clone(), id.clone());
    let (settings, inspector) = (v.clone(), v.clone());
    view! {
        <section class="card">
            <h2>"Client authentication"</h2>
            {(!manager).then(|| view! {
                <div class="alert alert-info" role="status">"Your role can read these credentials but not change them. Secret values are never shown to it."</div>
            })}
            <ActionForm action=set_auth attr:class="form">
                <ClientFields realm=realm_form id=id_form/>
                <input type="hidden" name="version" value=version.to_string()/>
                <MethodPicker methods saved signing_alg assertion_max_exp_s=max_exp disabled=!manager/>
                <CertificateSettings v=settings disabled=!manager/>
                {error_of::<SetAuthenticator>()}
                {done::<SetAuthenticator>("Saved.")}
                {manager.then(|| view! {
                    <div class="form-actions"><button type="submit" class="btn btn-primary">"Save"</button></div>
                })}
            </ActionForm>
        </section>
        <CertificateInspector v=inspector/>
        <FederatedBindings v=v.clone() realm=realm.clone() id=id.clone() manager/>
        {error_of::<RevokeSecret>()}
        {done::<RevokeSecret>("Secret revoked.")}
        <Secrets v=v.clone() realm id manager/>
        <RecentAuthentications v/>
    }
    .into_any()
}

/// The methods' declared settings inside the method form, generated from the registry's
/// declarations (`ConfigProperty`): no code here knows a method. Server-rendered, no island:
/// each method's fields show only while it is chosen in the picker (CSS `:has()`, from a rule
/// per method written here), and every field is always posted, so switching methods back and
/// forth loses nothing. Then the certificate-bound tokens switch (any method).
#[component]
fn CertificateSettings(v: CredentialsView, disabled: bool) -> impl IntoView {
    let endpoint = match &v.mtls_token_endpoint {
        Some(url) => format!("Clients present their certificate at {url} (the mTLS listener), or through a proxy that forwards it."),
        None => "Keyward has no mTLS listener here (KEYWARD_MTLS_BIND): clients present their certificate through a proxy that forwards it, if one is configured.".to_string(),
    };
    // One rule per method with settings; ids are the registry's (letters, digits, '-'), so
    // the selector needs no quotes.
    let css: String = v
        .properties
        .iter()
        .map(|(id, _)| format!(".method-props-{id} {{ display: none; }} form:has(#auth-method option[value={id}]:checked) .method-props-{id} {{ display: block; }} "))
        .collect();
    let blocks = v.properties.iter().map(|(id, properties)| {
        let fields = properties.iter().map(|p| {
            let field_id = format!("prop-{}", p.name.replace('.', "-"));
            let value = v.attributes.get(&p.name).cloned().unwrap_or_default();
            if p.boolean {
                view! {
                    <label class="checkbox">
                        <input type="checkbox" name=p.name.clone() value="true" checked=value == "true" disabled=disabled/>
                        {p.label.clone()}
                    </label>
                    <p class="help">{p.help.clone()}</p>
                }.into_any()
            } else {
                view! {
                    <label for=field_id.clone()>{p.label.clone()}</label>
                    <input id=field_id name=p.name.clone() value=value disabled=disabled
                        placeholder=p.placeholder.clone() maxlength=p.max_len.to_string() autocomplete="off"/>
                    <p class="help">{p.help.clone()}</p>
                }.into_any()
            }
        }).collect_view();
        view! {
            <div class=format!("method-props method-props-{id}") data-testid=format!("{id}-settings")>{fields}</div>
        }
    }).collect_view();
    view! {
        <style>{css}</style>
        {blocks}
        <p class="help cert-only">{endpoint}</p>
        <label class="checkbox">
            <input type="checkbox" name="tls_bound_tokens" value="true" checked=v.tls_bound_tokens disabled=disabled/>
            "Certificate-bound access tokens (RFC 8705): tokens carry the client certificate's thumbprint (cnf), and a request without a certificate gets no token"
        </label>
    }
}

/// Paste a certificate, read its subject DN (a GET form: works without the wasm, and the
/// certificate, which is public, is never stored).
#[component]
fn CertificateInspector(v: CredentialsView) -> impl IntoView {
    view! {
        <section class="card" data-testid="certificate-inspector">
            <h2>"Read a certificate's subject DN"</h2>
            <form method="get" class="form">
                <label for="inspect-cert">"PEM certificate"</label>
                <textarea id="inspect-cert" name="inspect" rows="4" spellcheck="false"
                    placeholder="-----BEGIN CERTIFICATE-----"></textarea>
                <div class="form-actions"><button type="submit" class="btn btn-secondary">"Read"</button></div>
            </form>
            {v.inspected.map(|r| match r {
                Ok(f) => view! {
                    <dl class="details" data-testid="certificate-facts">
                        <dt>"Subject DN"</dt>
                        <dd><code data-testid="inspected-dn">{f.subject_dn.clone()}</code>" "<CopyButton text=f.subject_dn.clone() label="Copy DN".to_string()/></dd>
                        <dt>"Issuer"</dt><dd><code>{f.issuer_dn}</code>{f.self_signed.then_some(" (self-signed)")}</dd>
                        <dt>"Valid until"</dt><dd>{crate::format_time(f.not_after)}</dd>
                        <dt>"Subject alternative names"</dt><dd>{if f.sans.is_empty() { "none".to_string() } else { f.sans.join(", ") }}</dd>
                        <dt>"x5t#S256"</dt><dd><code>{f.x5t_s256}</code></dd>
                    </dl>
                }.into_any(),
                Err(e) => view! { <div class="alert alert-danger" role="alert">{e}</div> }.into_any(),
            })}
        </section>
    }
}

/// A federated client's bindings to identity providers (shown for Signed JWT - Federated, or
/// while bindings remain), an add form, and the token tester.
#[component]
fn FederatedBindings(
    v: CredentialsView,
    realm: String,
    id: String,
    manager: bool,
) -> impl IntoView {
    let federated = v.authenticator == "federated-jwt";
    let add = ServerAction::<AddFederatedBinding>::new();
    let (realm_tester, id_tester) = (realm.clone(), id.clone());
    let report = v.token_test.clone();
    (federated || !v.bindings.is_empty()).then(move || view! {
        <section class="card" data-testid="federated-bindings">
            <h2>"Federated bindings"</h2>
            {(!federated).then(|| view! {
                <div class="alert alert-info" role="status">"The client's method is not Signed JWT - Federated: these bindings are not used. Remove them when no service needs them any more."</div>
            })}
            <p class="help">
                "The client sends a token of one of the realm's "
                <a href=format!("/console/{realm}/identity-providers")>"identity providers"</a>
                " as its client assertion; a binding says which tokens are this client's. Add the new binding before removing the old one to move a service without downtime."
            </p>
            {error_of::<DeleteFederatedBinding>()}
            {done::<DeleteFederatedBinding>("Binding removed.")}
            {done::<AddFederatedBinding>("Binding added.")}
            {if v.bindings.is_empty() {
                view! { <EmptyState title="No binding yet" help="Until the client has one, every token it presents is refused."/> }.into_any()
            } else {
                view! {
                    <table class="table" data-testid="bindings">
                        <thead><tr><th>"Label"</th><th>"Identity provider"</th><th>"Subject"</th><th>"Claims expression"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                        <tbody>
                            {v.bindings.iter().map(|b| {
                                let (realm, id, bid) = (realm.clone(), id.clone(), b.id.clone());
                                view! {
                                    <tr>
                                        <td>{b.label.clone()}</td>
                                        <td><code>{b.provider.clone()}</code></td>
                                        <td class="wrap"><code>{b.subject.clone()}</code></td>
                                        <td class="wrap"><code>{b.expression.clone()}</code></td>
                                        <td class="actions">
                                            {manager.then(|| view! {
                                                <Confirm id=format!("delete-binding-{bid}") action=DeleteFederatedBinding::PATH
                                                    button="Remove" button_label=Some(format!("Remove binding {}", b.label))
                                                    title="Remove binding?"
                                                    message="Tokens that only this binding accepts are refused at once."
                                                    confirm="Remove">
                                                    <ClientFields realm=realm.clone() id=id.clone()/>
                                                    <input type="hidden" name="binding_id" value=bid.clone()/>
                                                </Confirm>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            {(manager && v.providers.is_empty()).then(|| view! {
                <div class="alert alert-info" role="status">"This realm has no identity provider yet: add one first."</div>
            })}
            {(manager && !v.providers.is_empty()).then({
                let (realm, id) = (realm.clone(), id.clone());
                move || view! {
                <h3>"Add binding"</h3>
                <ActionForm action=add attr:class="form">
                    <ClientFields realm=realm.clone() id=id.clone()/>
                    <label for="binding-label">"Label"</label>
                    <input id="binding-label" name="label" required maxlength="64" placeholder="main"/>
                    <label for="binding-provider">"Identity provider"</label>
                    <select id="binding-provider" name="provider">
                        {v.providers.iter().map(|p| view! { <option value=p.clone()>{p.clone()}</option> }).collect_view()}
                    </select>
                    <label for="binding-subject">"Subject (the token's sub, exactly)"</label>
                    <input id="binding-subject" name="subject" maxlength="512" autocomplete="off"
                        placeholder="system:serviceaccount:billing:worker"/>
                    <label for="binding-expression">"Claims expression (optional)"</label>
                    <input id="binding-expression" name="expression" maxlength="2048" autocomplete="off"
                        placeholder="claims['sub'] matches 'repo:acme/*:ref:refs/heads/main'"/>
                    <p class="help">"Terms joined by and: claims['name'] eq 'value' (exact) or matches 'glob' (* any run, ? one character). A subject, an expression, or both."</p>
                    {error_of::<AddFederatedBinding>()}
                    <div class="form-actions"><button type="submit" class="btn btn-primary">"Add binding"</button></div>
                </ActionForm>
            }})}
            <h3>"Test a token"</h3>
            <p class="help">"Paste a token to see which rule it passes or fails for this client. It is not stored or logged, and a token that passes still works once at the token endpoint."</p>
            <form class="form" method="post" action=TestFederatedToken::PATH>
                <ClientFields realm=realm_tester.clone() id=id_tester.clone()/>
                <label for="test-token">"Token"</label>
                <textarea id="test-token" name="token" rows="4" spellcheck="false" autocomplete="off"
                    placeholder="eyJhbGciOi…"></textarea>
                <div class="form-actions"><button type="submit" class="btn btn-secondary">"Test"</button></div>
            </form>
            {error_of::<TestFederatedToken>()}
            {report.clone().map(|rules| view! {
                <table class="table" data-testid="token-test">
                    <thead><tr><th>"Rule"</th><th>"Outcome"</th><th>"Detail"</th></tr></thead>
                    <tbody>
                        {rules.into_iter().map(|r| {
                            let (class, text) = match r.passed {
                                Some(true) => ("badge badge-active", "passes"),
                                Some(false) => ("badge badge-revoked", "fails"),
                                None => ("badge badge-muted", "not reached"),
                            };
                            view! {
                                <tr><td>{r.rule}</td><td><span class=class>{text}</span></td><td class="wrap">{r.detail}</td></tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    })
}

/// The secrets card (when the method uses secrets, or secrets remain).
#[component]
fn Secrets(v: CredentialsView, realm: String, id: String, manager: bool) -> impl IntoView {
    let method = v.methods.iter().find(|m| m.id == v.authenticator);
    let uses_secrets = method.is_some_and(|m| m.uses_secrets);
    let needs_plaintext = method.is_some_and(|m| m.needs_plaintext_secret);
    let has_usable_sealed = v.secrets.iter().any(|s| s.state == "active" && s.sealed);
    let has_active = v.secrets.iter().any(|s| s.state == "active");
    // The primary secret: the newest active one (the list is newest first). The other active
    // ones are in their overlap until they expire.
    let primary = v
        .secrets
        .iter()
        .find(|s| s.state == "active")
        .map(|s| s.id.clone());
    let method_name = method.map(|m| m.name.clone()).unwrap_or_default();
    let csrf = current_session().csrf;
    // Secrets stay listed (and revocable) when the method no longer uses them.
    let secrets = v.secrets.clone();
    let can_reveal = v.can_reveal;
    (uses_secrets || !v.secrets.is_empty()).then(move || view! {
        <section class="card">
            <div class="card-header">
                <h2>"Client secrets"</h2>
                {(manager && uses_secrets).then(|| view! {
                    <SecretIssuer realm=realm.clone() id=id.clone() csrf=csrf.clone() first=!has_active
                        overlap_default_hours=v.overlap_default_s / 3600
                        overlap_help=format!("At most {} in this realm.", human_duration(v.overlap_max_s))/>
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
            {if secrets.is_empty() {
                view! { <EmptyState title="No secret yet" help="Generate a secret to let this client authenticate with its client id and secret."/> }.into_any()
            } else {
                view! {
                    <table class="table" data-testid="secrets">
                        <thead><tr><th>"Label"</th><th>"State"</th><th>"Created"</th><th>"Expires"</th><th>"Last used"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                        <tbody>
                            {secrets.into_iter().map(|s| {
                                let (realm, id, sid) = (realm.clone(), id.clone(), s.id.clone());
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
                                        <td>
                                            <span class=format!("badge badge-{}", s.state)>{state}</span>
                                            {s.leaked.clone().map(|(at, url)| view! {
                                                " "<span class="badge badge-revoked" title=format!("reported {} at {url}", format_time(at))>"leaked"</span>
                                            })}
                                        </td>
                                        <td>{format_time(s.created_at)}" by "{s.created_by.clone()}</td>
                                        <td>{match (s.revoked_at, s.expires_at) {
                                            (Some(r), _) => format!("revoked {}", format_time(r)),
                                            (None, Some(e)) => format_time(e),
                                            (None, None) => "never".into(),
                                        }}</td>
                                        <td data-testid="last-used">{last_used_text(s.last_used.as_ref())}</td>
                                        <td class="actions">
                                            {(manager && active).then({
                                                let (realm, id, sid) = (realm.clone(), id.clone(), sid.clone());
                                                move || view! {
                                                <Confirm id=format!("revoke-{sid}") action=RevokeSecret::PATH
                                                    button="Revoke" title="Revoke secret"
                                                    message="Revoke this secret? Services that still use it are refused at once."
                                                    confirm="Revoke">
                                                    <ClientFields realm=realm.clone() id=id.clone()/>
                                                    <input type="hidden" name="secret_id" value=sid.clone()/>
                                                </Confirm>
                                            }})}
                                            {(can_reveal && s.sealed && active).then(|| view! {
                                                <RevealButton realm=realm.clone() id=id.clone() csrf=csrf.clone() secret_id=sid.clone()/>
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
    })
}

/// "2026-12-05 10:20 from 10.0.0.7", or "not used yet" (uses are recorded at most once a minute).
pub fn last_used_text(used: Option<&(i64, Option<String>)>) -> String {
    match used {
        Some((at, Some(ip))) => format!("{} from {ip}", format_time(*at)),
        Some((at, None)) => format_time(*at),
        None => "not used yet".into(),
    }
}

/// The client's latest authentications at the token endpoint, with the reason of each failure.
#[component]
fn RecentAuthentications(v: CredentialsView) -> impl IntoView {
    view! {
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
    }
}
