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
        {error_of::<RevokeSecret>()}
        {done::<RevokeSecret>("Secret revoked.")}
        <Secrets v=v.clone() realm id manager/>
        <RecentAuthentications v/>
    }
    .into_any()
}

/// The X.509 settings (RFC 8705) inside the method form. Server-rendered, no island: the
/// subject DN block shows only while "X509 Certificate" is chosen in the picker (CSS `:has()`),
/// and its fields are always posted, so switching methods back and forth loses nothing.
#[component]
fn CertificateSettings(v: CredentialsView, disabled: bool) -> impl IntoView {
    let endpoint = match &v.mtls_token_endpoint {
        Some(url) => format!("Clients present their certificate at {url} (the mTLS listener), or through a proxy that forwards it."),
        None => "Keyward has no mTLS listener here (KEYWARD_MTLS_BIND): clients present their certificate through a proxy that forwards it, if one is configured.".to_string(),
    };
    view! {
        <div class="x509-only" data-testid="x509-settings">
            <label for="x509-dn">"Subject DN"</label>
            <input id="x509-dn" name="x509_subject_dn" value=v.x509_subject_dn.clone() disabled=disabled
                placeholder="CN=billing,O=Acme" maxlength="1024" autocomplete="off"/>
            <p class="help">"As RFC 4514 writes it (most specific first). Compared ignoring case, spaces and the order inside a multi-valued RDN; the order of the RDNs matters. Paste a certificate below to read its DN."</p>
            <label class="checkbox">
                <input type="checkbox" name="x509_regex" value="true" checked=v.x509_regex disabled=disabled/>
                "The subject DN is a regular expression (the whole DN must match)"
            </label>
            <label for="x509-san">"Required subject alternative name (optional)"</label>
            <input id="x509-san" name="x509_san" value=v.x509_san.clone() disabled=disabled
                placeholder="dns:billing.acme.test" maxlength="520" autocomplete="off"/>
            <p class="help">"dns:…, uri:…, ip:… or email:… (RFC 8705 §2.1.2)."</p>
        </div>
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
                        <thead><tr><th>"Label"</th><th>"State"</th><th>"Created"</th><th>"Expires"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
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
                                        <td><span class=format!("badge badge-{}", s.state)>{state}</span></td>
                                        <td>{format_time(s.created_at)}" by "{s.created_by.clone()}</td>
                                        <td>{match (s.revoked_at, s.expires_at) {
                                            (Some(r), _) => format!("revoked {}", format_time(r)),
                                            (None, Some(e)) => format_time(e),
                                            (None, None) => "never".into(),
                                        }}</td>
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
