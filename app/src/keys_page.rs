//! The Keys tab of a client: the registered public keys (import dialog, activate, deactivate,
//! delete, download as PEM or JWK) and the JWKS URL with "Fetch now" and the last fetch.

use keyward_credentials::operator::Role;
use leptos::lazy;
use leptos::prelude::*;

use crate::components::*;
use crate::form_action::FormAction;
use crate::keys_api::*;
use crate::panel::{Confirm, Panel};

/// The largest file the import accepts (the server checks it again).
#[cfg(feature = "hydrate")]
const MAX_FILE_BYTES: f64 = 1_048_576.0;

fn can(role: Role) -> bool {
    current_session().me.is_some_and(|m| m.role.allows(role))
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
    // join the client page's suspense and break release hydration). The two panels (keys, JWKS
    // URL) come rendered from the server (see `crate::panel`).
    let data = RwSignal::new(None::<Result<(String, String), crate::error::AppError>>);
    // After a change by this tab, the client page's expiry banner reads again.
    Effect::new(move |previous: Option<()>| {
        import.version().track();
        set_active.version().track();
        delete.version().track();
        set_url.version().track();
        fetch.version().track();
        generate.version().track();
        if previous.is_some() {
            crate::oversight::ClientChanged::bump();
        }
    });
    Effect::new(move |_| {
        import.version().track();
        set_active.version().track();
        delete.version().track();
        set_url.version().track();
        fetch.version().track();
        generate.version().track();
        let (r, i) = (realm.get_value(), id.get_value());
        leptos::task::spawn_local(async move {
            let loaded = keys_panels(r, i).await;
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
    // The dialogs' code is loaded when one is first opened (`key_dialogs`).
    let dialogs_wanted = RwSignal::new(false);
    let on_open = Callback::new(move |dialog: String| {
        match dialog.as_str() {
            "import" => import_open.set(true),
            "generate" => generate_open.set(true),
            _ => return,
        }
        // Once: setting it again would rebuild the dialogs (and fetch a second Generate form).
        if !dialogs_wanted.get_untracked() {
            dialogs_wanted.set(true);
        }
    });
    let dialogs = KeyDialogs {
        realm,
        id,
        import,
        generate,
        import_open,
        generate_open,
        generated_open,
    };
    view! {
        {move || import.value_as::<Vec<serde::de::IgnoredAny>>().and_then(Result::ok).map(|added| added.len()).map(|added| view! {
            <div class="alert alert-success" role="status" data-testid="import-result">
                {format!("Imported {} key{}.", added, if added == 1 { "" } else { "s" })}
            </div>
        })}
        <ActionError value=set_active/>
        <ActionError value=delete/>
        {move || match data.get() {
            None => view! { <p class="loading" aria-live="polite">"Loading…"</p> }.into_any(),
            Some(Ok((keys, jwks))) => view! {
                <Panel html=keys targets=vec![set_active.into(), delete.into()] on_do=on_open
                    confirm=Confirm {
                        title: "Delete key",
                        message: "Delete this key? Assertions signed with it are refused at once. Deactivate it instead to keep it for later.",
                        label: "Delete",
                    }/>
                <ActionError value=set_url/>
                <ActionError value=fetch/>
                <Panel html=jwks targets=vec![set_url.into(), fetch.into()]/>
            }.into_any(),
            Some(Err(e)) => view! { <div class="alert alert-danger" role="alert">{e.to_string()}</div> }.into_any(),
        }}
        {move || (dialogs_wanted.get() && can(Role::Manager)).then(|| Suspend::new(key_dialogs(dialogs)))}
    }
}

/// What the Keys tab's dialogs share with the tab.
#[derive(Clone, Copy)]
pub struct KeyDialogs {
    realm: StoredValue<String>,
    id: StoredValue<String>,
    import: FormAction<ImportKeys>,
    generate: FormAction<GenerateKeystore>,
    import_open: RwSignal<bool>,
    generate_open: RwSignal<bool>,
    generated_open: RwSignal<bool>,
}

/// The import, generate and generated dialogs: a wasm chunk of their own, loaded the first time
/// the operator opens one (most visits to the Keys tab open none).
#[lazy]
fn key_dialogs(d: KeyDialogs) -> AnyView {
    view! {
        <ImportDialog realm=d.realm.get_value() id=d.id.get_value() import=d.import open=d.import_open/>
        <GenerateDialog realm=d.realm.get_value() id=d.id.get_value() generate=d.generate open=d.generate_open/>
        <GeneratedDialog generate=d.generate open=d.generated_open/>
    }
    .into_any()
}

/// The Keys tab's panels, rendered on the server: the registered keys, and the JWKS URL.
#[cfg(feature = "ssr")]
pub mod ssr {
    use leptos::prelude::*;

    use crate::components::EmptyState;
    use crate::format_time;
    use crate::installation::data_url;
    use crate::keys_api::*;
    use crate::panel::{hidden_fields, render, PanelContext};
    use leptos::server_fn::ServerFn;

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

    /// The keys panel and the JWKS URL panel (empty for a public client).
    pub fn panels(v: &KeysView, cx: &PanelContext) -> (String, String) {
        if v.public_client {
            let empty = view! {
                <section class="card">
                    <EmptyState title="Public client"
                        help="A public client does not authenticate at the token endpoint, so it has no keys. Make it confidential in Settings to register keys."/>
                </section>
            };
            return (render(empty), String::new());
        }
        (render(keys_card(v, cx)), render(jwks_card(&v.jwks, cx)))
    }

    fn keys_card(v: &KeysView, cx: &PanelContext) -> impl IntoView {
        let uses_keys = v.authenticator == "client-jwt";
        let jwks_on = v.jwks.use_jwks_url;
        view! {
            <section class="card">
                <div class="card-header">
                    <h2>"Public keys"</h2>
                    {cx.manager.then(|| view! {
                        <div class="form-actions">
                            <button type="button" class="btn btn-secondary" data-do="generate">"Generate new keys"</button>
                            <button type="button" class="btn btn-primary" data-do="import">"Import key"</button>
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
                {if v.keys.is_empty() {
                    view! { <EmptyState title="No key registered"
                        help="Import the client's public key or certificate (PEM, JWK, JWKS, JKS or PKCS12), or use a JWKS URL."/> }.into_any()
                } else {
                    key_table(&v.keys, cx).into_any()
                }}
            </section>
        }
    }

    fn key_table(keys: &[KeyView], cx: &PanelContext) -> impl IntoView {
        view! {
            <table class="table" data-testid="keys">
                <thead><tr>
                    <th>"Kid"</th><th>"Key"</th><th>"Certificate"</th><th>"Source"</th>
                    <th>"Status"</th><th>"Added"</th><th><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {keys.iter().map(|k| key_row(k, cx)).collect_view()}
                </tbody>
            </table>
        }
    }

    fn key_row(k: &KeyView, cx: &PanelContext) -> impl IntoView {
        let active = k.active;
        let stem = file_stem(&k.kid);
        let certificate = match (&k.subject, k.not_before, k.not_after) {
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
            }
            .into_any(),
            _ => view! { <span class="help">"none"</span> }.into_any(),
        };
        view! {
            <tr data-key-id=k.id.clone() data-kid=k.kid.clone()>
                <td>
                    <code class="kid" title=k.kid.clone()>{k.kid.clone()}</code>
                    {(!k.kid_from_upload).then(|| view! { <div class="help">"Keycloak's kid (SHA-256 of the key)"</div> })}
                    <div class="help">"RFC 7638 thumbprint: "<code title=k.jwk_thumbprint.clone()>{k.jwk_thumbprint.clone()}</code></div>
                </td>
                <td>{format!("{} {}", k.kty, k.size)}{k.alg.clone().map(|a| view! { <div class="help">{format!("alg {a}")}</div> })}</td>
                <td>{certificate}</td>
                <td>{k.source.clone()}</td>
                <td><span class=if active { "badge badge-active" } else { "badge badge-expired" }>
                    {if active { "active" } else { "inactive" }}
                </span></td>
                <td>{format_time(k.created_at)}" by "{k.created_by.clone()}</td>
                <td class="actions">
                    <a class="btn btn-link" download=format!("{stem}.pem") href=data_url("application/x-pem-file", &k.pem)>"PEM"</a>
                    <a class="btn btn-link" download=format!("{stem}.jwk.json") href=data_url("application/json", &k.jwk)>"JWK"</a>
                    {cx.manager.then(|| view! {
                        <form class="inline" method="post" action=SetKeyActive::PATH>
                            {hidden_fields(cx)}
                            <input type="hidden" name="key_id" value=k.id.clone()/>
                            <input type="hidden" name="active" value=(!active).to_string()/>
                            <button type="submit" class="btn btn-link">{if active { "Deactivate" } else { "Activate" }}</button>
                        </form>
                        <form class="inline" method="post" action=DeleteKey::PATH data-confirm="">
                            {hidden_fields(cx)}
                            <input type="hidden" name="key_id" value=k.id.clone()/>
                            <button type="submit" class="btn btn-link btn-danger-text">"Delete"</button>
                        </form>
                    })}
                </td>
            </tr>
        }
    }

    /// The generate dialog's form, with `choices`' defaults (fresh passwords).
    pub fn generate_form(choices: &KeystoreChoices, cx: &PanelContext) -> String {
        render(view! {
            <form class="form" method="post" action=GenerateKeystore::PATH data-once="">
                {hidden_fields(cx)}
                <p class="help">"Keyward makes a key pair and a self-signed certificate (CN = the client id), sends you the keystore and registers the certificate. The private key is never stored: keep the file."</p>
                <label for="gen-format">"Keystore format"</label>
                <select id="gen-format" name="format">
                    <option value="PKCS12" selected>"PKCS12"</option>
                    <option value="JKS">"JKS"</option>
                </select>
                <label for="gen-alg">"Key algorithm"</label>
                <select id="gen-alg" name="algorithm">
                    {choices.algorithms.iter().enumerate().map(|(i, (value, label))| view! {
                        <option value=value.clone() selected=i == 0>{label.clone()}</option>
                    }).collect_view()}
                </select>
                <label for="gen-alias">"Key alias"</label>
                <input id="gen-alias" name="alias" value=choices.alias.clone() autocomplete="off"/>
                <label for="gen-store-password">"Store password"</label>
                <input id="gen-store-password" name="store_password" value=choices.store_password.clone() autocomplete="off"/>
                <label for="gen-store-password2">"Confirm store password"</label>
                <input id="gen-store-password2" name="store_password_confirm" value=choices.store_password.clone() autocomplete="off"/>
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
                <div class="modal-actions">
                    <button type="submit" class="btn btn-primary">"Generate and download"</button>
                    <button type="button" class="btn btn-link" data-do="cancel">"Cancel"</button>
                </div>
            </form>
        })
    }

    fn jwks_card(j: &JwksView, cx: &PanelContext) -> impl IntoView {
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
        let manager = cx.manager;
        view! {
            <section class="card">
                <h2>"JWKS URL"</h2>
                <p class="help">"Keyward fetches the client's key set from this https URL, honours its Cache-Control, and fetches again when an assertion names an unknown kid (at most every 10 seconds)."</p>
                <form class="form" method="post" action=SetJwksUrl::PATH>
                    {manager.then(|| hidden_fields(cx))}
                    <label class="checkbox">
                        <input type="checkbox" id="use-jwks-url" name="use_jwks_url" value="true"
                            checked=j.use_jwks_url disabled=!manager/>
                        " Use JWKS URL"
                    </label>
                    <label for="jwks-url">"JWKS URL"</label>
                    <input id="jwks-url" name="url" type="url" value=j.url.clone() disabled=!manager
                        placeholder="https://service.example.com/.well-known/jwks.json"/>
                    {manager.then(|| view! {
                        <div class="form-actions">
                            <button type="submit" class="btn btn-primary">"Save"</button>
                            {has_url.then(|| view! {
                                <button type="submit" class="btn btn-secondary" formaction=FetchJwksNow::PATH
                                    data-testid="fetch-now">"Fetch now"</button>
                            })}
                        </div>
                    })}
                </form>
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
/// validity. The form comes rendered from the server with fresh passwords each time the dialog
/// opens (`generate_form`). The key pair is made on the server off the async runtime; the page
/// stays usable and says it is working (RSA 4096 takes seconds).
#[component]
fn GenerateDialog(
    realm: String,
    id: String,
    generate: FormAction<GenerateKeystore>,
    open: RwSignal<bool>,
) -> impl IntoView {
    let realm = StoredValue::new(realm);
    let id = StoredValue::new(id);
    let form = RwSignal::new(None::<Result<String, crate::error::AppError>>);
    Effect::new(move |_| {
        if open.get() {
            form.set(None);
            let (r, i) = (realm.get_value(), id.get_value());
            leptos::task::spawn_local(async move {
                let loaded = generate_form(r, i).await;
                let _ = form.try_set(Some(loaded));
            });
        }
    });
    view! {
        <FormDialog open title="Generate new keys">
            {move || match form.get() {
                None => view! { <p class="loading" aria-live="polite">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <div class="alert alert-danger" role="alert">{e.to_string()}</div> }.into_any(),
                Some(Ok(html)) => view! {
                    <Panel html targets=vec![generate.into()] on_do=Callback::new(move |_| open.set(false))/>
                }.into_any(),
            }}
            <ActionError value=generate/>
            {move || generate.pending().get().then(|| view! {
                <p class="help" role="status" aria-live="polite" data-testid="generating">
                    "Generating the key pair… RSA 4096 can take a few seconds."
                </p>
            })}
        </FormDialog>
    }
}

/// What the dialog below shows of a [`GeneratedKeystore`] (decoded without the rest of its key).
#[derive(serde::Deserialize)]
struct Generated {
    file_name: String,
    mime: String,
    /// The keystore file, base64.
    keystore: String,
    key: GeneratedKid,
    keycloak_json: String,
}

#[derive(serde::Deserialize)]
struct GeneratedKid {
    kid: String,
}

/// After generation: the download starts by itself; the dialog offers it again and shows the
/// matching keycloak.json.
#[component]
fn GeneratedDialog(generate: FormAction<GenerateKeystore>, open: RwSignal<bool>) -> impl IntoView {
    let link = NodeRef::<leptos::html::A>::new();
    // Start the download once per result (the link is in the dialog opened with the result).
    Effect::new(move |previous: Option<usize>| {
        let version = generate.version().get();
        if previous.is_some_and(|p| p != version) && untrack(|| generate.succeeded()) {
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
            {move || generate.value_as::<Generated>().and_then(Result::ok).map(|g| {
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
