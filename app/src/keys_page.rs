//! The Keys tab of a client: the registered public keys (import dialog, activate, deactivate,
//! delete, download as PEM or JWK) and the JWKS URL with "Fetch now" and the last fetch.

use keyward_credentials::operator::Role;
use leptos::prelude::*;

use crate::components::*;
use crate::form_action::{FormAction, SubmitForm};
use crate::format_time;
use crate::installation::data_url;
use crate::keys_api::*;

/// The largest file the import accepts (the server checks it again).
#[cfg(feature = "hydrate")]
const MAX_FILE_BYTES: f64 = 1_048_576.0;

fn can(role: Role) -> bool {
    current_session().me.is_some_and(|m| m.role.allows(role))
}

/// A file name made from a kid (kids may hold any character).
fn file_stem(kid: &str) -> String {
    let stem: String = kid
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if stem.is_empty() {
        "key".into()
    } else {
        stem
    }
}

#[component]
pub fn KeysTab(#[prop(into)] realm: String, #[prop(into)] id: String) -> impl IntoView {
    let import = FormAction::<ImportKeys>::new();
    let set_active = FormAction::<SetKeyActive>::new();
    let delete = FormAction::<DeleteKey>::new();
    let set_url = FormAction::<SetJwksUrl>::new();
    let fetch = FormAction::<FetchJwksNow>::new();
    let generate = FormAction::<GenerateKeystore>::new();
    let realm = StoredValue::new(realm);
    let id = StoredValue::new(id);
    // Loaded after hydration into a plain signal, like the Credentials tab (a resource here would
    // join the client page's suspense and break release hydration).
    let data = RwSignal::new(None::<Result<KeysView, crate::error::AppError>>);
    Effect::new(move |_| {
        import.version().track();
        set_active.version().track();
        delete.version().track();
        set_url.version().track();
        fetch.version().track();
        generate.version().track();
        let (r, i) = (realm.get_value(), id.get_value());
        leptos::task::spawn_local(async move {
            let loaded = get_keys(r, i).await;
            let _ = data.try_set(Some(loaded));
        });
    });
    let import_open = RwSignal::new(false);
    Effect::new(move |_| {
        if import.succeeded() {
            import_open.set(false);
        }
    });
    let generate_open = RwSignal::new(false);
    let generated_open = RwSignal::new(false);
    Effect::new(move |_| {
        if generate.succeeded() {
            generate_open.set(false);
            generated_open.set(true);
        }
    });
    let actions = KeyActions {
        import,
        set_active,
        delete,
        set_url,
        fetch,
        import_open,
        generate_open,
    };
    view! {
        {move || match data.get() {
            None => view! { <p class="loading" aria-live="polite">"Loading…"</p> }.into_any(),
            Some(Ok(v)) => view! { <KeysBody v realm=realm.get_value() id=id.get_value() actions/> }.into_any(),
            Some(Err(e)) => view! { <div class="alert alert-danger" role="alert">{e.to_string()}</div> }.into_any(),
        }}
        {can(Role::Manager).then(|| view! {
            <ImportDialog realm=realm.get_value() id=id.get_value() import open=import_open/>
            <GenerateDialog realm=realm.get_value() id=id.get_value() generate open=generate_open/>
            <GeneratedDialog generate open=generated_open/>
        })}
    }
}

#[derive(Clone, Copy)]
struct KeyActions {
    import: FormAction<ImportKeys>,
    set_active: FormAction<SetKeyActive>,
    delete: FormAction<DeleteKey>,
    set_url: FormAction<SetJwksUrl>,
    fetch: FormAction<FetchJwksNow>,
    import_open: RwSignal<bool>,
    generate_open: RwSignal<bool>,
}

#[component]
fn KeysBody(v: KeysView, realm: String, id: String, actions: KeyActions) -> impl IntoView {
    let manager = can(Role::Manager);
    if v.public_client {
        return view! {
            <section class="card">
                <EmptyState title="Public client"
                    help="A public client does not authenticate at the token endpoint, so it has no keys. Make it confidential in Settings to register keys."/>
            </section>
        }
        .into_any();
    }
    let csrf = StoredValue::new(current_session().csrf);
    let realm = StoredValue::new(realm);
    let id = StoredValue::new(id);
    let delete_open = RwSignal::new(false);
    let delete_target = RwSignal::new(String::new());
    let uses_keys = v.authenticator == "client-jwt";
    let jwks_on = v.jwks.use_jwks_url;
    let keys = v.keys.clone();
    let now = v.now;
    view! {
        <section class="card">
            <div class="card-header">
                <h2>"Public keys"</h2>
                {manager.then(|| view! {
                    <div class="form-actions">
                        <button type="button" class="btn btn-secondary" on:click=move |_| actions.generate_open.set(true)>
                            "Generate new keys"
                        </button>
                        <button type="button" class="btn btn-primary" on:click=move |_| actions.import_open.set(true)>
                            "Import key"
                        </button>
                    </div>
                })}
            </div>
            {(!uses_keys).then(|| view! {
                <div class="alert alert-info" role="status">
                    "These keys verify Signed JWT (private_key_jwt) assertions. This client uses another method: choose Signed JWT in Credentials for them to be used."
                </div>
            })}
            {jwks_on.then(|| view! {
                <div class="alert alert-info" role="status">
                    "The client's keys come from its JWKS URL (below); the keys registered here are not used while it is on."
                </div>
            })}
            {move || actions.import.value().and_then(Result::ok).map(|added| view! {
                <div class="alert alert-success" role="status" data-testid="import-result">
                    {format!("Imported {} key{}.", added.len(), if added.len() == 1 { "" } else { "s" })}
                </div>
            })}
            <ActionError value=actions.set_active/>
            <ActionError value=actions.delete/>
            {if keys.is_empty() {
                view! { <EmptyState title="No key registered"
                    help="Import the client's public key or certificate (PEM, JWK, JWKS, JKS or PKCS12), or use a JWKS URL."/> }.into_any()
            } else {
                view! { <KeyTable keys manager now csrf realm id delete_open delete_target actions/> }.into_any()
            }}
        </section>
        <JwksSection j=v.jwks.clone() manager realm=realm.get_value() id=id.get_value() actions/>
        {manager.then(|| view! {
            <ConfirmDialog open=delete_open title="Delete key"
                message="Delete this key? Assertions signed with it are refused at once. Deactivate it instead to keep it for later."
                confirm_label="Delete"
                on_confirm=Callback::new(move |_| {
                    actions.delete.dispatch(DeleteKey {
                        csrf: csrf.get_value(),
                        realm: realm.get_value(),
                        id: id.get_value(),
                        key_id: delete_target.get_untracked(),
                    });
                })/>
        })}
    }
    .into_any()
}

#[allow(clippy::too_many_arguments)]
#[component]
fn KeyTable(
    keys: Vec<KeyView>,
    manager: bool,
    now: i64,
    csrf: StoredValue<String>,
    realm: StoredValue<String>,
    id: StoredValue<String>,
    delete_open: RwSignal<bool>,
    delete_target: RwSignal<String>,
    actions: KeyActions,
) -> impl IntoView {
    let _ = now;
    view! {
        <table class="table" data-testid="keys">
            <thead><tr>
                <th>"Kid"</th><th>"Key"</th><th>"Certificate"</th><th>"Source"</th>
                <th>"Status"</th><th>"Added"</th><th><span class="sr-only">"Actions"</span></th>
            </tr></thead>
            <tbody>
                {keys.into_iter().map(|k| {
                    let key_id = k.id.clone();
                    let key_id2 = k.id.clone();
                    let active = k.active;
                    let stem = file_stem(&k.kid);
                    view! {
                        <tr data-key-id=k.id.clone() data-kid=k.kid.clone()>
                            <td>
                                <code class="kid" title=k.kid.clone()>{k.kid.clone()}</code>
                                {(!k.kid_from_upload).then(|| view! { <div class="help">"Keycloak's kid (SHA-256 of the key)"</div> })}
                                <div class="help">"RFC 7638 thumbprint: "<code title=k.jwk_thumbprint.clone()>{k.jwk_thumbprint.clone()}</code></div>
                            </td>
                            <td>{format!("{} {}", k.kty, k.size)}{k.alg.clone().map(|a| view! { <div class="help">{format!("alg {a}")}</div> })}</td>
                            <td>{match (&k.subject, k.not_before, k.not_after) {
                                (Some(s), Some(nb), Some(na)) => view! {
                                    <div>{s.clone()}</div>
                                    <div class="help">{format!("issued by {}", k.issuer.clone().unwrap_or_default())}</div>
                                    <div class="help">{format!("{} – {}", format_time(nb), format_time(na))}</div>
                                    {match k.expiry.as_str() {
                                        "expired" => Some(view! { <span class="badge badge-revoked" data-testid="cert-expired">"expired"</span> }.into_any()),
                                        "expiring" => Some(view! { <span class="badge badge-expired" data-testid="cert-expiring">"expires within 30 days"</span> }.into_any()),
                                        _ => None,
                                    }}
                                    {k.x5t_s256.clone().map(|t| view! { <div class="help">"x5t#S256: "<code>{t}</code></div> })}
                                }.into_any(),
                                _ => view! { <span class="help">"none"</span> }.into_any(),
                            }}</td>
                            <td>{k.source.clone()}</td>
                            <td><span class=if active { "badge badge-active" } else { "badge badge-expired" }>
                                {if active { "active" } else { "inactive" }}
                            </span></td>
                            <td>{format_time(k.created_at)}" by "{k.created_by.clone()}</td>
                            <td class="actions">
                                <a class="btn btn-link" download=format!("{stem}.pem") href=data_url("application/x-pem-file", &k.pem)>"PEM"</a>
                                <a class="btn btn-link" download=format!("{stem}.jwk.json") href=data_url("application/json", &k.jwk)>"JWK"</a>
                                {manager.then(|| view! {
                                    <button type="button" class="btn btn-link"
                                        on:click=move |_| { actions.set_active.dispatch(SetKeyActive {
                                            csrf: csrf.get_value(),
                                            realm: realm.get_value(),
                                            id: id.get_value(),
                                            key_id: key_id.clone(),
                                            active: !active,
                                        }); }>
                                        {if active { "Deactivate" } else { "Activate" }}
                                    </button>
                                    <button type="button" class="btn btn-link btn-danger-text"
                                        on:click=move |_| { delete_target.set(key_id2.clone()); delete_open.set(true); }>
                                        "Delete"
                                    </button>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn JwksSection(
    j: JwksView,
    manager: bool,
    realm: String,
    id: String,
    actions: KeyActions,
) -> impl IntoView {
    let use_url = RwSignal::new(j.use_jwks_url);
    let csrf = StoredValue::new(current_session().csrf);
    let realm = StoredValue::new(realm);
    let id = StoredValue::new(id);
    let has_url = !j.url.is_empty();
    let status = match (j.last_attempt_at, &j.last_error) {
        (None, _) => "Not fetched yet.".to_string(),
        (Some(at), None) => format!(
            "Last fetch {}: HTTP {}, {} key{}.",
            format_time(at),
            j.last_status.unwrap_or_default(),
            j.key_count.unwrap_or_default(),
            if j.key_count == Some(1) { "" } else { "s" }
        ),
        (Some(at), Some(e)) => format!(
            "Last fetch {} failed{}: {e}.{}",
            format_time(at),
            j.last_status
                .map(|s| format!(" (HTTP {s})"))
                .unwrap_or_default(),
            j.fetched_at
                .map(|f| format!(" The keys fetched {} are kept.", format_time(f)))
                .unwrap_or_default()
        ),
    };
    let failed = j.last_error.is_some();
    view! {
        <section class="card">
            <h2>"JWKS URL"</h2>
            <p class="help">"Keyward fetches the client's key set from this https URL, honours its Cache-Control, and fetches again when an assertion names an unknown kid (at most every 10 seconds)."</p>
            <SubmitForm action=actions.set_url attr:class="form">
                <CsrfField/>
                <input type="hidden" name="realm" value=realm.get_value()/>
                <input type="hidden" name="id" value=id.get_value()/>
                <input type="hidden" name="use_jwks_url" value=move || use_url.get().to_string()/>
                <label class="checkbox">
                    <input type="checkbox" id="use-jwks-url" prop:checked=move || use_url.get() disabled=!manager
                        on:change=move |ev| use_url.set(event_target_checked(&ev))/>
                    " Use JWKS URL"
                </label>
                <label for="jwks-url">"JWKS URL"</label>
                <input id="jwks-url" name="url" type="url" value=j.url.clone() disabled=!manager
                    placeholder="https://service.example.com/.well-known/jwks.json"/>
                <ActionError value=actions.set_url/>
                {manager.then(|| view! {
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary">"Save"</button>
                        {has_url.then(|| view! {
                            <button type="button" class="btn btn-secondary" data-testid="fetch-now"
                                on:click=move |_| { actions.fetch.dispatch(FetchJwksNow {
                                    csrf: csrf.get_value(),
                                    realm: realm.get_value(),
                                    id: id.get_value(),
                                }); }>
                                "Fetch now"
                            </button>
                        })}
                    </div>
                })}
            </SubmitForm>
            <ActionError value=actions.fetch/>
            {has_url.then(|| view! {
                <p class=if failed { "alert alert-warning" } else { "help" } role="status" data-testid="jwks-status">{status}</p>
            })}
            {(!j.keys.is_empty()).then(|| view! {
                <table class="table" data-testid="jwks-keys">
                    <thead><tr><th>"Kid"</th><th>"Key"</th><th>"Alg"</th><th>"Thumbprint"</th></tr></thead>
                    <tbody>
                        {j.keys.iter().map(|k| view! {
                            <tr>
                                <td><code>{k.kid.clone()}</code></td>
                                <td>{format!("{} {}", k.kty, k.size)}</td>
                                <td>{k.alg.clone().unwrap_or_else(|| "any that fits".into())}</td>
                                <td><code>{k.jwk_thumbprint.clone()}</code></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            {(!j.skipped.is_empty()).then(|| view! {
                <div class="alert alert-info" role="status">
                    "Keys in the set that cannot verify signatures: "{j.skipped.join("; ")}
                </div>
            })}
        </section>
    }
}

/// The import dialog: format (or recognised from the file), the file, and for keystores the
/// store password and alias. The file is read in the browser and sent base64url-encoded.
#[component]
fn ImportDialog(
    realm: String,
    id: String,
    import: FormAction<ImportKeys>,
    open: RwSignal<bool>,
) -> impl IntoView {
    let realm = StoredValue::new(realm);
    let id = StoredValue::new(id);
    // Read here, in the component: contexts are not reachable from the task that sends the file.
    let csrf = StoredValue::new(current_session().csrf);
    let format = RwSignal::new(String::new());
    let local_error = RwSignal::new(None::<String>);
    let file_ref = NodeRef::<leptos::html::Input>::new();
    let password_ref = NodeRef::<leptos::html::Input>::new();
    let alias_ref = NodeRef::<leptos::html::Input>::new();
    let show_keystore = move || matches!(format.get().as_str(), "" | "jks" | "pkcs12");
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local_error.set(None);
        #[cfg(feature = "hydrate")]
        {
            let Some(input) = file_ref.get() else { return };
            let password = password_ref.get().map(|i| i.value()).unwrap_or_default();
            let alias = alias_ref.get().map(|i| i.value()).unwrap_or_default();
            let file = input.files().and_then(|f| f.get(0));
            let Some(file) = file else {
                local_error.set(Some("Choose a file to import.".into()));
                return;
            };
            if file.size() > MAX_FILE_BYTES {
                local_error.set(Some("the file is larger than 1 MiB".into()));
                return;
            }
            let promise = file.array_buffer();
            leptos::task::spawn_local(async move {
                use base64::Engine;
                match wasm_bindgen_futures::JsFuture::from(promise).await {
                    Ok(buf) => {
                        let bytes = js_sys::Uint8Array::new(&buf).to_vec();
                        import.dispatch(ImportKeys {
                            csrf: csrf.get_value(),
                            realm: realm.get_value(),
                            id: id.get_value(),
                            format: format.get_untracked(),
                            file: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
                            store_password: password,
                            alias,
                        });
                    }
                    Err(_) => {
                        let _ = local_error
                            .try_set(Some("The browser could not read the file.".into()));
                    }
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (realm, id, csrf, import, file_ref, password_ref, alias_ref);
        }
    };
    view! {
        <FormDialog open title="Import key">
            <form class="form" on:submit=on_submit data-testid="import-form">
                <label for="import-format">"Format"</label>
                <select id="import-format" on:change=move |ev| format.set(event_target_value(&ev))>
                    <option value="">"Recognise from the file"</option>
                    <option value="cert">"Certificate PEM"</option>
                    <option value="pem">"Public Key PEM"</option>
                    <option value="jwk">"JSON Web Key"</option>
                    <option value="jwks">"JSON Web Key Set"</option>
                    <option value="jks">"JKS"</option>
                    <option value="pkcs12">"PKCS12"</option>
                </select>
                <label for="import-file">"File (at most 1 MiB)"</label>
                <input id="import-file" type="file" node_ref=file_ref
                    accept=".pem,.crt,.cer,.der,.json,.jwk,.jwks,.jks,.p12,.pfx,.keystore"/>
                <p class="help">"Only public material is kept: a certificate or public key, never a private key, even when the file holds one."</p>
                <Show when=show_keystore>
                    <label for="import-store-password">"Store password (keystores)"</label>
                    <input id="import-store-password" type="password" autocomplete="off" node_ref=password_ref/>
                    <label for="import-alias">"Key alias (keystores; empty: every certificate in the store)"</label>
                    <input id="import-alias" autocomplete="off" node_ref=alias_ref/>
                </Show>
                {move || local_error.get().map(|e| view! { <div class="alert alert-danger" role="alert">{e}</div> })}
                <ActionError value=import/>
                <div class="modal-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || import.pending().get()>
                        {move || if import.pending().get() { "Importing…" } else { "Import" }}
                    </button>
                    <button type="button" class="btn btn-link" on:click=move |_| open.set(false)>"Cancel"</button>
                </div>
            </form>
        </FormDialog>
    }
}

/// "Generate new keys": format, algorithm, alias, passwords (strong defaults from the server),
/// validity. The key pair is made on the server off the async runtime; the page stays usable and
/// says it is working (RSA 4096 takes seconds).
#[component]
fn GenerateDialog(
    realm: String,
    id: String,
    generate: FormAction<GenerateKeystore>,
    open: RwSignal<bool>,
) -> impl IntoView {
    let realm = StoredValue::new(realm);
    let id = StoredValue::new(id);
    let defaults = RwSignal::new(None::<Result<KeystoreChoices, crate::error::AppError>>);
    let jks = RwSignal::new(false);
    // Fresh passwords every time the dialog opens.
    Effect::new(move |_| {
        if open.get() {
            defaults.set(None);
            jks.set(false);
            let (r, i) = (realm.get_value(), id.get_value());
            leptos::task::spawn_local(async move {
                let loaded = keystore_defaults(r, i).await;
                let _ = defaults.try_set(Some(loaded));
            });
        }
    });
    let include_passwords = RwSignal::new(false);
    view! {
        <FormDialog open title="Generate new keys">
            {move || match defaults.get() {
                None => view! { <p class="loading" aria-live="polite">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <div class="alert alert-danger" role="alert">{e.to_string()}</div> }.into_any(),
                Some(Ok(d)) => {
                    let key_password = StoredValue::new(d.key_password.clone());
                    view! {
                    <SubmitForm action=generate attr:class="form">
                        <CsrfField/>
                        <input type="hidden" name="realm" value=realm.get_value()/>
                        <input type="hidden" name="id" value=id.get_value()/>
                        <input type="hidden" name="include_passwords" value=move || include_passwords.get().to_string()/>
                        <p class="help">"Keyward makes a key pair and a self-signed certificate (CN = the client id), sends you the keystore and registers the certificate. The private key is never stored: keep the file."</p>
                        <label for="gen-format">"Keystore format"</label>
                        <select id="gen-format" name="format" on:change=move |ev| jks.set(event_target_value(&ev) == "JKS")>
                            <option value="PKCS12" selected>"PKCS12"</option>
                            <option value="JKS">"JKS"</option>
                        </select>
                        <label for="gen-alg">"Key algorithm"</label>
                        <select id="gen-alg" name="algorithm">
                            {d.algorithms.iter().enumerate().map(|(i, (value, label))| view! {
                                <option value=value.clone() selected=i == 0>{label.clone()}</option>
                            }).collect_view()}
                        </select>
                        <label for="gen-alias">"Key alias"</label>
                        <input id="gen-alias" name="alias" value=d.alias.clone() autocomplete="off"/>
                        <label for="gen-store-password">"Store password"</label>
                        <input id="gen-store-password" name="store_password" value=d.store_password.clone() autocomplete="off"/>
                        <label for="gen-store-password2">"Confirm store password"</label>
                        <input id="gen-store-password2" name="store_password_confirm" value=d.store_password.clone() autocomplete="off"/>
                        <Show when=move || jks.get() fallback=|| view! {
                            <p class="help">"A PKCS12 file has one password: the key is protected with the store password (choose JKS for a separate key password)."</p>
                            <input type="hidden" name="key_password" value=""/>
                            <input type="hidden" name="key_password_confirm" value=""/>
                        }>
                            <label for="gen-key-password">"Key password"</label>
                            <input id="gen-key-password" name="key_password" value=key_password.get_value() autocomplete="off"/>
                            <label for="gen-key-password2">"Confirm key password"</label>
                            <input id="gen-key-password2" name="key_password_confirm" value=key_password.get_value() autocomplete="off"/>
                        </Show>
                        <label for="gen-validity">"Certificate validity (years)"</label>
                        <input id="gen-validity" name="validity_years" type="number" min="1" max="10" value="3"/>
                        <label class="checkbox">
                            <input type="checkbox" id="gen-include" prop:checked=move || include_passwords.get()
                                on:change=move |ev| include_passwords.set(event_target_checked(&ev))/>
                            " Include the passwords in keycloak.json"
                        </label>
                        <ActionError value=generate/>
                        {move || generate.pending().get().then(|| view! {
                            <p class="help" role="status" aria-live="polite" data-testid="generating">
                                "Generating the key pair… RSA 4096 can take a few seconds."
                            </p>
                        })}
                        <div class="modal-actions">
                            <button type="submit" class="btn btn-primary" disabled=move || generate.pending().get()>
                                {move || if generate.pending().get() { "Generating…" } else { "Generate and download" }}
                            </button>
                            <button type="button" class="btn btn-link" on:click=move |_| open.set(false)>"Cancel"</button>
                        </div>
                    </SubmitForm>
                }.into_any()},
            }}
        </FormDialog>
    }
}

/// After generation: the download starts by itself; the dialog offers it again and shows the
/// matching keycloak.json.
#[component]
fn GeneratedDialog(generate: FormAction<GenerateKeystore>, open: RwSignal<bool>) -> impl IntoView {
    let link = NodeRef::<leptos::html::A>::new();
    // Start the download once per result (the link is in the dialog opened with the result).
    Effect::new(move |previous: Option<usize>| {
        let version = generate.version().get();
        if previous.is_some_and(|p| p != version)
            && matches!(generate.value_untracked(), Some(Ok(_)))
        {
            #[cfg(feature = "hydrate")]
            {
                let link = link;
                leptos::task::spawn_local(async move {
                    // One tick: the dialog renders its link first.
                    leptos::task::tick().await;
                    if let Some(a) = link.get_untracked() {
                        a.click();
                    }
                });
            }
        }
        version
    });
    view! {
        <FormDialog open title="Keystore generated">
            {move || generate.value().and_then(Result::ok).map(|g| {
                let json = g.keycloak_json.clone();
                let href = format!("data:{};base64,{}", g.mime, g.keystore);
                view! {
                    <div class="alert alert-warning" role="status">
                        {format!("{} is downloading. Keep it safe: Keyward does not keep the private key, so this file cannot be downloaded again later.", g.file_name)}
                    </div>
                    <p>
                        <a node_ref=link class="btn btn-secondary btn-small" download=g.file_name.clone() href=href data-testid="keystore-download">
                            {format!("Download {} again", g.file_name)}
                        </a>
                    </p>
                    <p class="help">{format!("Registered as key {}.", g.key.kid)}</p>
                    <label>"keycloak.json"</label>
                    <pre class="snippet" data-testid="generated-json">{g.keycloak_json.clone()}</pre>
                    <CopyButton text=Signal::derive(move || json.clone()) label="Copy keycloak.json"/>
                }
            })}
            <div class="modal-actions">
                <button type="button" class="btn btn-primary" on:click=move |_| open.set(false)>"Done"</button>
            </div>
        </FormDialog>
    }
}
