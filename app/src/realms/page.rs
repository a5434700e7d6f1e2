//! The Realms page and a realm's settings (display name, secret policy, token settings).

use keyward_credentials::operator::Role;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::A;

use crate::components::*;
use crate::format_time;

use super::api::*;

#[component]
pub fn RealmsPage() -> impl IntoView {
    let create = ServerAction::<CreateRealm>::new();
    let manager = can(Role::Manager);
    let admin = can(Role::Admin);
    view! {
        <h1>"Realms"</h1>
        <p class="lead">"A realm holds a set of clients and their credentials, like a Keycloak realm."</p>
        {error_of::<DeleteRealm>()}
        {done::<DeleteRealm>("Realm deleted.")}
        <Suspense fallback=loading>
            {Suspend::new(async move {
                match list_realms().await {
                    Ok(list) => view! {
                        <table class="table" aria-label="Realms">
                            <thead><tr><th>"Name"</th><th>"Display name"</th><th>"Created"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|r| {
                                    let deletable = admin && r.name != "master";
                                    let name = r.name.clone();
                                    view! {
                                        <tr>
                                            <td><A href=format!("/console/{}/clients", r.name)>{r.name.clone()}</A></td>
                                            <td>{r.display_name.clone()}</td>
                                            <td>{format_time(r.created_at)}</td>
                                            <td class="actions">
                                                {deletable.then(|| view! {
                                                    <Confirm id=format!("delete-realm-{name}") action=DeleteRealm::PATH
                                                        button="Delete" button_label=Some(format!("Delete realm {name}"))
                                                        title="Delete realm?"
                                                        message="The realm and every client in it will be deleted. This cannot be undone."
                                                        confirm="Delete">
                                                        <CsrfField/>
                                                        <input type="hidden" name="realm" value=name.clone()/>
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
        {manager.then(|| view! {
            <section class="card">
                <h2>"Create realm"</h2>
                <ActionForm action=create attr:class="form form-inline">
                    <CsrfField/>
                    <label for="realm-name">"Realm name"</label>
                    <input id="realm-name" name="name" required maxlength="100" pattern="[A-Za-z0-9._\\-]+"
                        title="letters, digits, '-', '_' and '.'"/>
                    <label for="realm-display">"Display name"</label>
                    <input id="realm-display" name="display_name" maxlength="255"/>
                    <button type="submit" class="btn btn-primary">"Create"</button>
                </ActionForm>
                {error_of::<CreateRealm>()}
                {done::<CreateRealm>("Realm created.")}
            </section>
        })}
    }
}

#[component]
pub fn RealmSettingsPage() -> impl IntoView {
    let realm = param("realm");
    let update = ServerAction::<UpdateRealm>::new();
    let policy = ServerAction::<crate::credentials::UpdateSecretPolicy>::new();
    let manager = can(Role::Manager);
    let admin = can(Role::Admin);
    view! {
        <Suspense fallback=loading>
            {Suspend::new(async move {
                match get_realm(realm).await {
                    Ok(r) => {
                        let (name_update, name_policy, name_tokens) = (r.name.clone(), r.name.clone(), r.name.clone());
                        view! {
                        <h1>"Realm settings: " {r.name.clone()}</h1>
                        <section class="card">
                            <ActionForm action=update attr:class="form">
                                <CsrfField/>
                                <input type="hidden" name="realm" value=name_update/>
                                <label for="display-name">"Display name"</label>
                                <input id="display-name" name="display_name" value=r.display_name.clone() required maxlength="255" disabled=!manager/>
                                <p class="help">"Created " {format_time(r.created_at)}</p>
                                {manager.then(|| view! { <button type="submit" class="btn btn-primary">"Save"</button> })}
                            </ActionForm>
                            {error_of::<UpdateRealm>()}
                            {done::<UpdateRealm>("Saved.")}
                        </section>
                        <section class="card">
                            <h2>"Client secrets"</h2>
                            <ActionForm action=policy attr:class="form">
                                <CsrfField/>
                                <input type="hidden" name="realm" value=name_policy/>
                                <label for="overlap-default">"Default overlap when a secret is regenerated (hours)"</label>
                                <input id="overlap-default" name="overlap_default_hours" type="number" min="0" max="8760"
                                    value=(r.secret_overlap_default_s / 3600).to_string() disabled=!admin/>
                                <label for="overlap-max">"Longest overlap an operator may choose (hours)"</label>
                                <input id="overlap-max" name="overlap_max_hours" type="number" min="0" max="8760"
                                    value=(r.secret_overlap_max_s / 3600).to_string() disabled=!admin/>
                                <label class="checkbox">
                                    <input type="checkbox" name="allow_reveal" value="true" checked=r.allow_secret_reveal disabled=!admin/>
                                    " Admins may reveal stored secrets again (each reveal is audited; new secrets are then kept sealed)"
                                </label>
                                {admin.then(|| view! { <button type="submit" class="btn btn-primary">"Save secret policy"</button> })}
                            </ActionForm>
                            {error_of::<crate::credentials::UpdateSecretPolicy>()}
                            {done::<crate::credentials::UpdateSecretPolicy>("Secret policy saved.")}
                        </section>
                        <crate::realms::tokens::TokenSettings realm=name_tokens/>
                    }.into_any() }
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
