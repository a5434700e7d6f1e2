//! The Keys tab of a client: the registered public keys (keystore generation is an island;
//! import, in the browser's own dialog, activate, deactivate and a confirmed delete are forms
//! posted natively; PEM and JWK downloads are links) and the JWKS URL with "Fetch now" and the
//! last fetch.

use keyward_credentials::operator::Role;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::components::*;
use crate::format_time;
use crate::installation::data_url;
use crate::islands::{JwksUrlForm, KeystoreGenerator};
use crate::keys::*;

/// What the tab's forms carry besides their own fields, and whether they are shown.
struct Cx {
    manager: bool,
    csrf: String,
    realm: String,
    id: String,
    /// The keystore generator's suggestions (managers only).
    choices: Option<KeystoreChoices>,
}

#[component]
pub fn KeysTab(#[prop(into)] realm: String, #[prop(into)] id: String) -> impl IntoView {
    let manager = can(Role::Manager);
    let csrf = current_session().csrf;
    let imported = succeeded::<ImportKeys>().then(|| crate::components::query("__count"));
    view! {
        {imported.map(|count| {
            let text = match count.parse::<usize>() {
                Ok(1) => "Imported 1 key.".to_string(),
                Ok(n) => format!("Imported {n} keys."),
                Err(_) => "Keys imported.".to_string(),
            };
            view! {
                <div class="alert alert-success" role="status" data-testid="import-result">{text}</div>
            }
        })}
        {error_of::<ImportKeys>()}
        {error_of::<SetKeyActive>()}
        {error_of::<DeleteKey>()}
        {done::<DeleteKey>("Key deleted.")}
        <Suspense fallback=loading>
            {Suspend::new(async move {
                let choices = if manager {
                    keystore_defaults(realm.clone(), id.clone()).await.ok()
                } else {
                    None
                };
                match get_keys(realm.clone(), id.clone()).await {
                    Ok(v) if v.public_client => view! {
                        <section class="card">
                            <EmptyState title="Public client"
                                help="A public client does not authenticate at the token endpoint, so it has no keys. Make it confidential in Settings to register keys."/>
                        </section>
                    }.into_any(),
                    Ok(v) => {
                        let cx = Cx { manager, csrf, realm, id, choices };
                        view! { {keys_card(&v, &cx)} {jwks_card(&v.jwks, &cx)} }.into_any()
                    }
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                }
            })}
        </Suspense>
    }
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

fn keys_card(v: &KeysView, cx: &Cx) -> impl IntoView {
    let uses_keys = v.authenticator == "client-jwt";
    let jwks_on = v.jwks.use_jwks_url;
    view! {
        <section class="card">
            <div class="card-header">
                <h2>"Public keys"</h2>
                {cx.manager.then(|| view! {
                    <div class="form-actions">
                        {cx.choices.clone().map(|choices| view! {
                            <KeystoreGenerator realm=cx.realm.clone() id=cx.id.clone() csrf=cx.csrf.clone()
                                algorithms=choices.algorithms alias=choices.alias store_password=choices.store_password/>
                        })}
                        <ImportKey realm=cx.realm.clone() id=cx.id.clone() formats=v.formats.clone()/>
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

fn key_table(keys: &[KeyView], cx: &Cx) -> impl IntoView {
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

fn key_row(k: &KeyView, cx: &Cx) -> impl IntoView {
    let (realm, id, key_id) = (cx.realm.clone(), cx.id.clone(), k.id.clone());
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
            <td>
                {format_time(k.created_at)}" by "{k.created_by.clone()}
                {(!k.id.is_empty()).then(|| view! {
                    <div class="help" data-testid="key-last-used">"Last used: "{crate::credentials::page::last_used_text(k.last_used.as_ref())}</div>
                })}
            </td>
            <td class="actions">
                <a class="btn btn-link" download=format!("{stem}.pem") href=data_url("application/x-pem-file", &k.pem)>"PEM"</a>
                <a class="btn btn-link" download=format!("{stem}.jwk.json") href=data_url("application/json", &k.jwk)>"JWK"</a>
                {cx.manager.then(move || view! {
                    <form class="inline" method="post" action=SetKeyActive::PATH>
                        <ClientFields realm=realm.clone() id=id.clone()/>
                        <input type="hidden" name="key_id" value=key_id.clone()/>
                        <input type="hidden" name="active" value=(!active).to_string()/>
                        <button type="submit" class="btn btn-link">{if active { "Deactivate" } else { "Activate" }}</button>
                    </form>
                    <Confirm id=format!("delete-key-{key_id}") action=DeleteKey::PATH button="Delete"
                        title="Delete key"
                        message="Delete this key? Assertions signed with it are refused at once. Deactivate it instead to keep it for later."
                        confirm="Delete">
                        <ClientFields realm=realm.clone() id=id.clone()/>
                        <input type="hidden" name="key_id" value=key_id.clone()/>
                    </Confirm>
                })}
            </td>
        </tr>
    }
}

fn jwks_card(j: &JwksView, cx: &Cx) -> impl IntoView {
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
            {if manager {
                view! {
                    <JwksUrlForm realm=cx.realm.clone() id=cx.id.clone() csrf=cx.csrf.clone()
                        use_jwks_url=j.use_jwks_url url=j.url.clone()/>
                }.into_any()
            } else {
                view! {
                    <div class="form">
                        <label class="checkbox">
                            <input type="checkbox" id="use-jwks-url" checked=j.use_jwks_url disabled/>
                            " Use JWKS URL"
                        </label>
                        <label for="jwks-url">"JWKS URL"</label>
                        <input id="jwks-url" type="url" value=j.url.clone() disabled/>
                    </div>
                }.into_any()
            }}
            {(manager && has_url).then(|| view! {
                <form method="post" action=FetchJwksNow::PATH class="form-actions">
                    <ClientFields realm=cx.realm.clone() id=cx.id.clone()/>
                    <button type="submit" class="btn btn-secondary" data-testid="fetch-now">"Fetch now"</button>
                </form>
            })}
            {error_of::<FetchJwksNow>()}
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

/// "Import key": format (or recognised from the file), the file, and for keystores the store
/// password and alias, in the browser's own dialog. The form posts natively as
/// `multipart/form-data` (the file as it is), so it works before and without the wasm; the tab
/// comes back with the keys listed and how many were added, or with the import's error.
#[component]
fn ImportKey(realm: String, id: String, formats: Vec<FormatView>) -> impl IntoView {
    view! {
        <DialogButton dialog="import-dialog">"Import key"</DialogButton>
        <Modal id="import-dialog" title="Import key">
            <form class="form" method="post" enctype="multipart/form-data" action=ImportKeys::PATH
                data-testid="import-form">
                <ClientFields realm id/>
                <label for="import-format">"Format"</label>
                // A format that is not a keystore hides the keystore fields (CSS, no script).
                <select id="import-format" name="format">
                    <option value="">"Recognise from the file"</option>
                    {formats.into_iter().map(|f| view! {
                        <option value=f.id data-plain=(!f.keystore).then_some("")>{f.label}</option>
                    }).collect_view()}
                </select>
                <label for="import-file">"File (at most 1 MiB)"</label>
                <input id="import-file" name="file" type="file" required
                    accept=".pem,.crt,.cer,.der,.json,.jwk,.jwks,.jks,.p12,.pfx,.keystore"/>
                <p class="help">"Only public material is kept: a certificate or public key, never a private key, even when the file holds one."</p>
                <div class="keystore-fields">
                    <label for="import-store-password">"Store password (keystores)"</label>
                    <input id="import-store-password" name="store_password" type="password" autocomplete="new-password"/>
                    <label for="import-alias">"Key alias (keystores; empty: every certificate in the store)"</label>
                    <input id="import-alias" name="alias" autocomplete="off"/>
                </div>
                <div class="modal-actions">
                    <button type="submit" class="btn btn-primary">"Import"</button>
                    <CancelButton dialog="import-dialog"/>
                </div>
            </form>
        </Modal>
    }
}
