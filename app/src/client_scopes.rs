//! Client scopes (Keycloak's model, its smallest useful form): a realm's **Client scopes** page
//! (list, create, delete) and, on a client's Settings tab, the client's default and optional
//! scopes (add, remove). A token carries the client's default scopes plus the optional ones its
//! request asks for; any other requested scope is refused with `invalid_scope`
//! (`credentials::scope`).
//!
//! The use cases (validate → write → audit) live in [`server`], shared by these server functions
//! and the Admin REST API (`server/src/admin/scopes.rs`), so both check names and record events
//! the same way. Viewers read; managers change realm scopes and client assignments. Events name
//! scopes by id and name; there is no secret here to leak.
//!
//! Design notes (differences from Keycloak, on purpose): assigning a scope a client has as the
//! other kind moves it (Keycloak keeps the first assignment and ignores the second); removing
//! a scope through `default-client-scopes` leaves an *optional* assignment alone (Keycloak
//! removes either kind); no scope is created with a realm (Keycloak's `profile`, `email`,
//! `roles`… are about users); `openid` is not a client scope and may not be made one.

#[cfg(feature = "ssr")]
use keyward_credentials::operator::Role;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::components::*;
use crate::error::AppError;
use crate::form_action::{FormAction, SubmitForm};

/// Longest client-scope description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;

/// One client scope of a realm.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientScopeView {
    pub id: String,
    pub name: String,
    pub description: String,
}

/// A client's scopes, and the realm's scopes it does not have yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientScopeAssignmentsView {
    pub default: Vec<ClientScopeView>,
    pub optional: Vec<ClientScopeView>,
    pub available: Vec<ClientScopeView>,
}

#[cfg(feature = "ssr")]
impl From<keyward_store::client_scopes::ClientScope> for ClientScopeView {
    fn from(s: keyward_store::client_scopes::ClientScope) -> Self {
        ClientScopeView {
            id: s.client_scope_id,
            name: s.name,
            description: s.description,
        }
    }
}

/// The use cases, shared by the console and the Admin REST API (`keyward_service::scopes`):
/// each validates, writes and records its admin event.
#[cfg(feature = "ssr")]
pub mod server {
    pub use keyward_service::scopes::*;
}

// ---- server functions ---------------------------------------------------------------------

/// The realm's client scopes, by name.
#[server(endpoint = "list_client_scopes", output = crate::codec::StrJson)]
pub async fn list_client_scopes(realm: String) -> Result<Vec<ClientScopeView>, AppError> {
    use crate::ssr::*;
    let (ctx, _) = authorize(Role::Viewer, None).await?;
    let r = realm_of(&ctx, &realm).await?;
    Ok(keyward_store::client_scopes::list(&ctx.db, &r.realm_id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

#[server(endpoint = "create_client_scope", output = crate::codec::StrJson)]
pub async fn create_client_scope(
    csrf: String,
    realm: String,
    name: String,
    description: String,
) -> Result<ClientScopeView, AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let r = realm_of(&ctx, &realm).await?;
    let actor = console_actor(&op).await;
    Ok(server::create(&ctx, &actor, &r, &name, &description)
        .await?
        .into())
}

#[server(endpoint = "delete_client_scope", output = crate::codec::StrJson)]
pub async fn delete_client_scope(csrf: String, realm: String, id: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let r = realm_of(&ctx, &realm).await?;
    let s = server::get(&ctx, &r, &id).await?;
    let actor = console_actor(&op).await;
    Ok(server::delete(&ctx, &actor, &r, &s).await?)
}

/// A client's default and optional scopes, and the realm's others.
#[server(endpoint = "get_client_scope_assignments", output = crate::codec::StrJson)]
pub async fn get_client_scope_assignments(
    realm: String,
    id: String,
) -> Result<ClientScopeAssignmentsView, AppError> {
    use crate::ssr::*;
    use keyward_store::client_scopes::{self, Kind};
    let (ctx, _) = authorize(Role::Viewer, None).await?;
    let (r, c) = realm_and_client(&ctx, &realm, &id).await?;
    let assigned = client_scopes::of_client(&ctx.db, &c.client_row_id).await?;
    let mut view = ClientScopeAssignmentsView {
        default: Vec::new(),
        optional: Vec::new(),
        available: Vec::new(),
    };
    for s in client_scopes::list(&ctx.db, &r.realm_id).await? {
        match assigned
            .iter()
            .find(|a| a.scope.client_scope_id == s.client_scope_id)
        {
            Some(a) if a.kind == Kind::Default => view.default.push(s.into()),
            Some(_) => view.optional.push(s.into()),
            None => view.available.push(s.into()),
        }
    }
    Ok(view)
}

/// Gives the client a realm scope as `kind` (`default` or `optional`).
#[server(endpoint = "assign_client_scope", output = crate::codec::StrJson)]
pub async fn assign_client_scope(
    csrf: String,
    realm: String,
    id: String,
    scope_id: String,
    kind: String,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let kind = server::kind(&kind)?;
    let (r, c) = client_to_change(&ctx, &op, &realm, &id).await?;
    let s = server::get(&ctx, &r, &scope_id).await?;
    let actor = console_actor(&op).await;
    server::assign(&ctx, &actor, &r, &c, &s, kind).await?;
    Ok(())
}

/// Takes a scope of this `kind` from the client.
#[server(endpoint = "unassign_client_scope", output = crate::codec::StrJson)]
pub async fn unassign_client_scope(
    csrf: String,
    realm: String,
    id: String,
    scope_id: String,
    kind: String,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let kind = server::kind(&kind)?;
    let (r, c) = client_to_change(&ctx, &op, &realm, &id).await?;
    let s = server::get(&ctx, &r, &scope_id).await?;
    let actor = console_actor(&op).await;
    server::unassign(&ctx, &actor, &r, &c, &s, kind).await?;
    Ok(())
}

// ---- views --------------------------------------------------------------------------------

fn can_manage() -> bool {
    current_session()
        .me
        .is_some_and(|m| m.role.allows(keyward_credentials::operator::Role::Manager))
}

/// The realm's Client scopes page: the list, a create form and delete buttons (managers).
#[component]
pub fn ClientScopesPage() -> impl IntoView {
    let params = use_params_map();
    let realm = Memo::new(move |_| params.read().get("realm").unwrap_or_default());
    let create = FormAction::<CreateClientScope>::new();
    let delete = FormAction::<DeleteClientScope>::new();
    let scopes = Resource::new(
        move || (realm.get(), create.version().get(), delete.version().get()),
        |(r, _, _)| list_client_scopes(r),
    );
    let to_delete = RwSignal::new((String::new(), String::new()));
    let confirm_open = RwSignal::new(false);
    let csrf = StoredValue::new(current_session().csrf);
    let manager = can_manage();
    view! {
        <h1>"Client scopes"</h1>
        <p class="lead">
            "Scopes the realm's clients may be given, as in Keycloak. A client's token carries its "
            <em>"default"</em> " scopes, and its " <em>"optional"</em>
            " scopes when the token request asks for them (" <code>"scope=…"</code>
            "). Any other requested scope is refused with " <code>"invalid_scope"</code>
            "; " <code>"openid"</code> " is always accepted. Give clients their scopes on their Settings tab."
        </p>
        <ActionError value=delete/>
        <Transition fallback=|| view! { <p class="loading" aria-live="polite">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match scopes.await {
                    Ok(list) if list.is_empty() => view! {
                        <EmptyState title="No client scopes yet" help="Every token request may ask for openid only. Create a scope to give clients more."/>
                    }.into_any(),
                    Ok(list) => view! {
                        <table class="table" aria-label="Client scopes" data-testid="client-scopes">
                            <thead><tr><th>"Name"</th><th>"Description"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|s| {
                                    let (id, name) = (s.id.clone(), s.name.clone());
                                    view! {
                                        <tr>
                                            <td><code>{s.name.clone()}</code></td>
                                            <td>{s.description.clone()}</td>
                                            <td class="actions">
                                                {manager.then(|| view! {
                                                    <button type="button" class="btn btn-link danger"
                                                        aria-label=format!("Delete client scope {name}")
                                                        on:click=move |_| { to_delete.set((id.clone(), name.clone())); confirm_open.set(true); }>
                                                        "Delete"
                                                    </button>
                                                })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <div class="alert alert-danger" role="alert">{e.to_string()}</div> }.into_any(),
                }
            })}
        </Transition>
        {(!manager).then(|| view! {
            <div class="alert alert-info" role="status">"Your role can read the client scopes but not change them."</div>
        })}
        {manager.then(|| view! {
            <section class="card">
                <h2>"Create client scope"</h2>
                <SubmitForm action=create attr:class="form form-inline">
                    <CsrfField/>
                    <input type="hidden" name="realm" value=move || realm.get()/>
                    <label for="scope-name">"Name"</label>
                    <input id="scope-name" name="name" required maxlength="255" pattern="[\\x21\\x23-\\x5B\\x5D-\\x7E]+"
                        title="visible ASCII characters, without spaces, quotes or backslashes"/>
                    <label for="scope-description">"Description"</label>
                    <input id="scope-description" name="description" maxlength="1000"/>
                    <button type="submit" class="btn btn-primary">"Create"</button>
                </SubmitForm>
                <ActionError value=create/>
                {move || create.value().and_then(|r| r.ok()).map(|s| view! {
                    <div class="alert alert-success" role="status">"Client scope " <code>{s.name.clone()}</code> " created."</div>
                })}
            </section>
        })}
        <ConfirmDialog
            open=confirm_open
            title="Delete client scope?"
            message="Every client that has this scope loses it: their next tokens no longer carry it, and requests that ask for it are refused."
            confirm_label="Delete"
            on_confirm=Callback::new(move |_| {
                delete.dispatch(DeleteClientScope { csrf: csrf.get_value(), realm: realm.get_untracked(), id: to_delete.get_untracked().0 });
            })
        />
    }
}

/// A client's default and optional scopes, on its Settings tab: remove buttons and an add form
/// for managers.
#[component]
pub fn ClientScopesCard(#[prop(into)] realm: String, #[prop(into)] id: String) -> impl IntoView {
    let assign = FormAction::<AssignClientScope>::new();
    let unassign = FormAction::<UnassignClientScope>::new();
    let (realm, id) = (StoredValue::new(realm), StoredValue::new(id));
    // Loaded after hydration into a plain signal, like the client's other tabs: a resource read
    // here registers with the client page's suspense, whose hydration then breaks in release
    // builds (see credentials_page.rs).
    let data = RwSignal::new(None::<Result<ClientScopeAssignmentsView, AppError>>);
    Effect::new(move |_| {
        assign.version().track();
        unassign.version().track();
        let (r, i) = (realm.get_value(), id.get_value());
        leptos::task::spawn_local(async move {
            let loaded = get_client_scope_assignments(r, i).await;
            let _ = data.try_set(Some(loaded));
        });
    });
    let manager = can_manage();
    let rows = move |scopes: Vec<ClientScopeView>, kind: &'static str| {
        if scopes.is_empty() {
            return view! { <p class="help">"None."</p> }.into_any();
        }
        view! {
            <ul class="scope-list" data-testid=format!("{kind}-client-scopes")>
                {scopes.into_iter().map(|s| view! {
                    <li>
                        <code>{s.name.clone()}</code>
                        {(!s.description.is_empty()).then(|| view! { " " <span class="help">{s.description.clone()}</span> })}
                        {manager.then(|| view! {
                            <SubmitForm action=unassign attr:class="inline">
                                <CsrfField/>
                                <input type="hidden" name="realm" value=realm.get_value()/>
                                <input type="hidden" name="id" value=id.get_value()/>
                                <input type="hidden" name="scope_id" value=s.id.clone()/>
                                <input type="hidden" name="kind" value=kind/>
                                <button type="submit" class="btn btn-link danger"
                                    aria-label=format!("Remove {kind} scope {}", s.name)>"Remove"</button>
                            </SubmitForm>
                        })}
                    </li>
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section class="card">
            <h2>"Client scopes"</h2>
            <p class="help">
                "The client's tokens carry its default scopes, and its optional scopes when the request asks for them; "
                "any other requested scope is refused (" <code>"invalid_scope"</code> ")."
            </p>
            {move || match data.get() {
                        None => view! { <p class="loading" aria-live="polite">"Loading…"</p> }.into_any(),
                        Some(Ok(v)) => {
                            let available = v.available.clone();
                            view! {
                                <h3>"Default"</h3>
                                {rows(v.default, "default")}
                                <h3>"Optional"</h3>
                                {rows(v.optional, "optional")}
                                {(manager && !available.is_empty()).then(|| view! {
                                    <SubmitForm action=assign attr:class="form form-inline">
                                        <CsrfField/>
                                        <input type="hidden" name="realm" value=realm.get_value()/>
                                        <input type="hidden" name="id" value=id.get_value()/>
                                        <label for="assign-scope">"Add scope"</label>
                                        <select id="assign-scope" name="scope_id">
                                            {available.into_iter().map(|s| view! { <option value=s.id.clone()>{s.name.clone()}</option> }).collect_view()}
                                        </select>
                                        <label for="assign-kind">"as"</label>
                                        <select id="assign-kind" name="kind">
                                            <option value="default">"Default"</option>
                                            <option value="optional">"Optional"</option>
                                        </select>
                                        <button type="submit" class="btn btn-secondary">"Add"</button>
                                    </SubmitForm>
                                })}
                            }.into_any()
                        }
                        Some(Err(e)) => view! { <div class="alert alert-danger" role="alert">{e.to_string()}</div> }.into_any(),
            }}
            <ActionError value=assign/>
            <ActionError value=unassign/>
        </section>
    }
}
