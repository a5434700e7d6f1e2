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
use leptos::server_fn::ServerFn;
use serde::{Deserialize, Serialize};

use crate::components::*;
use crate::error::AppError;

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
#[server(endpoint = "list_client_scopes")]
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

#[server(endpoint = "create_client_scope")]
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

#[server(endpoint = "delete_client_scope")]
pub async fn delete_client_scope(csrf: String, realm: String, id: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let r = realm_of(&ctx, &realm).await?;
    let s = server::get(&ctx, &r, &id).await?;
    let actor = console_actor(&op).await;
    Ok(server::delete(&ctx, &actor, &r, &s).await?)
}

/// A client's default and optional scopes, and the realm's others.
#[server(endpoint = "get_client_scope_assignments")]
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
#[server(endpoint = "assign_client_scope")]
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
#[server(endpoint = "unassign_client_scope")]
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
    can(keyward_credentials::operator::Role::Manager)
}

/// The realm's Client scopes page: the list, a create form and delete buttons (managers).
#[component]
pub fn ClientScopesPage() -> impl IntoView {
    let realm = crate::components::param("realm");
    let create = ServerAction::<CreateClientScope>::new();
    let manager = can_manage();
    let realm_list = realm.clone();
    view! {
        <h1>"Client scopes"</h1>
        <p class="lead">
            "Scopes the realm's clients may be given, as in Keycloak. A client's token carries its "
            <em>"default"</em> " scopes, and its " <em>"optional"</em>
            " scopes when the token request asks for them (" <code>"scope=…"</code>
            "). Any other requested scope is refused with " <code>"invalid_scope"</code>
            "; " <code>"openid"</code> " is always accepted. Give clients their scopes on their Settings tab."
        </p>
        {error_of::<DeleteClientScope>()}
        {done::<DeleteClientScope>("Client scope deleted.")}
        <Suspense fallback=loading>
            {Suspend::new(async move {
                match list_client_scopes(realm_list.clone()).await {
                    Ok(list) if list.is_empty() => view! {
                        <EmptyState title="No client scopes yet" help="Every token request may ask for openid only. Create a scope to give clients more."/>
                    }.into_any(),
                    Ok(list) => view! {
                        <table class="table" aria-label="Client scopes" data-testid="client-scopes">
                            <thead><tr><th>"Name"</th><th>"Description"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|s| {
                                    let (realm, sid) = (realm_list.clone(), s.id.clone());
                                    view! {
                                        <tr>
                                            <td><code>{s.name.clone()}</code></td>
                                            <td>{s.description.clone()}</td>
                                            <td class="actions">
                                                {manager.then(|| view! {
                                                    <Confirm id=format!("delete-scope-{sid}") action=DeleteClientScope::PATH
                                                        button="Delete" button_label=Some(format!("Delete client scope {}", s.name))
                                                        title="Delete client scope?"
                                                        message="Every client that has this scope loses it: their next tokens no longer carry it, and requests that ask for it are refused."
                                                        confirm="Delete">
                                                        <CsrfField/>
                                                        <input type="hidden" name="realm" value=realm.clone()/>
                                                        <input type="hidden" name="id" value=sid.clone()/>
                                                    </Confirm>
                                                })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                }
            })}
        </Suspense>
        {(!manager).then(|| view! {
            <div class="alert alert-info" role="status">"Your role can read the client scopes but not change them."</div>
        })}
        {manager.then(|| view! {
            <section class="card">
                <h2>"Create client scope"</h2>
                <ActionForm action=create attr:class="form form-inline">
                    <CsrfField/>
                    <input type="hidden" name="realm" value=realm.clone()/>
                    <label for="scope-name">"Name"</label>
                    <input id="scope-name" name="name" required maxlength="255" pattern="[\\x21\\x23-\\x5B\\x5D-\\x7E]+"
                        title="visible ASCII characters, without spaces, quotes or backslashes"/>
                    <label for="scope-description">"Description"</label>
                    <input id="scope-description" name="description" maxlength="1000"/>
                    <button type="submit" class="btn btn-primary">"Create"</button>
                </ActionForm>
                {error_of::<CreateClientScope>()}
                {done::<CreateClientScope>("Client scope created.")}
            </section>
        })}
    }
}

/// A client's default and optional scopes, on its Settings tab: remove buttons and an add form
/// for managers.
#[component]
pub fn ClientScopesCard(#[prop(into)] realm: String, #[prop(into)] id: String) -> impl IntoView {
    let assign = ServerAction::<AssignClientScope>::new();
    let manager = can_manage();
    let rows = {
        let (realm, id) = (realm.clone(), id.clone());
        move |scopes: Vec<ClientScopeView>, kind: &'static str| {
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
                                <form method="post" action=UnassignClientScope::PATH class="inline">
                                    <ClientFields realm=realm.clone() id=id.clone()/>
                                    <input type="hidden" name="scope_id" value=s.id.clone()/>
                                    <input type="hidden" name="kind" value=kind/>
                                    <button type="submit" class="btn btn-link danger"
                                        aria-label=format!("Remove {kind} scope {}", s.name)>"Remove"</button>
                                </form>
                            })}
                        </li>
                    }).collect_view()}
                </ul>
            }
            .into_any()
        }
    };
    view! {
        <section class="card">
            <h2>"Client scopes"</h2>
            <p class="help">
                "The client's tokens carry its default scopes, and its optional scopes when the request asks for them; "
                "any other requested scope is refused (" <code>"invalid_scope"</code> ")."
            </p>
            <Suspense fallback=loading>
                {Suspend::new(async move {
                    match get_client_scope_assignments(realm.clone(), id.clone()).await {
                        Ok(v) => {
                            let available = v.available.clone();
                            view! {
                                <h3>"Default"</h3>
                                {rows(v.default, "default")}
                                <h3>"Optional"</h3>
                                {rows(v.optional, "optional")}
                                {(manager && !available.is_empty()).then(|| view! {
                                    <ActionForm action=assign attr:class="form form-inline">
                                        <ClientFields realm=realm.clone() id=id.clone()/>
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
                                    </ActionForm>
                                })}
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorAlert error/> }.into_any(),
                    }
                })}
            </Suspense>
            {error_of::<AssignClientScope>()}
            {error_of::<UnassignClientScope>()}
        </section>
    }
}
