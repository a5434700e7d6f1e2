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
    let lifecycle = ServerAction::<crate::credentials::UpdateSecretLifecycle>::new();
    let manager = can(Role::Manager);
    let admin = can(Role::Admin);
    view! {
        <Suspense fallback=loading>
            {Suspend::new(async move {
                match get_realm(realm).await {
                    Ok(r) => {
                        let (name_update, name_policy, name_tokens) = (r.name.clone(), r.name.clone(), r.name.clone());
                        let name_lifecycle = r.name.clone();
                        let lifetime = r.secret_max_lifetime_s.map(|s| (s / 86_400).to_string()).unwrap_or_default();
                        let keystore_years = r.keystore_max_validity_years.map(|y| y.to_string()).unwrap_or_default();
                        let option = |value: &str, label: &str, current: &str| {
                            let selected = value == current;
                            view! { <option value=value.to_string() selected=selected>{label.to_string()}</option> }
                        };
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
                        <section class="card" data-testid="lifecycle">
                            <h2>"Secret lifecycle"</h2>
                            <ActionForm action=lifecycle attr:class="form">
                                <CsrfField/>
                                <input type="hidden" name="realm" value=name_lifecycle/>
                                <label for="prefix-segment">"Secret prefix segment"</label>
                                <input id="prefix-segment" name="prefix_segment" maxlength="16" pattern="[a-z0-9]{1,16}"
                                    value=r.secret_prefix_segment.clone() disabled=!admin aria-describedby="prefix-help"/>
                                <p class="help" id="prefix-help">"New secrets start with kw_ and this segment (1–16 lower-case letters and digits), so a scanner can tell this realm's secrets apart. Empty: kw_ only."</p>
                                <label for="max-lifetime">"Longest secret lifetime"</label>
                                <select id="max-lifetime" name="max_lifetime_days" disabled=!admin>
                                    {option("", "Unlimited", &lifetime)}
                                    {option("30", "30 days", &lifetime)}
                                    {option("90", "90 days", &lifetime)}
                                    {option("180", "180 days", &lifetime)}
                                    {option("365", "1 year", &lifetime)}
                                    {option("730", "2 years", &lifetime)}
                                </select>
                                <label class="checkbox">
                                    <input type="checkbox" name="must_expire" value="true" checked=r.secret_must_expire disabled=!admin/>
                                    " New secrets must have an expiry"
                                </label>
                                <label for="keystore-max">"Longest certificate validity of a generated keystore"</label>
                                <select id="keystore-max" name="keystore_max_years" disabled=!admin>
                                    {option("", "Unlimited (10 years)", &keystore_years)}
                                    {option("1", "1 year", &keystore_years)}
                                    {option("2", "2 years", &keystore_years)}
                                    {option("3", "3 years", &keystore_years)}
                                    {option("5", "5 years", &keystore_years)}
                                </select>
                                <label for="leak-action">"When a verified leak report names a secret"</label>
                                <select id="leak-action" name="leak_action" disabled=!admin>
                                    {option("revoke", "Revoke it at once", &r.leak_action)}
                                    {option("grace", "Mark it leaked; it works for the grace period", &r.leak_action)}
                                </select>
                                <label for="leak-grace">"Grace period after a leak report (hours)"</label>
                                <input id="leak-grace" name="leak_grace_hours" type="number" min="0" max="168"
                                    value=(r.leak_grace_s / 3600).to_string() disabled=!admin/>
                                {admin.then(|| view! { <button type="submit" class="btn btn-primary">"Save secret lifecycle"</button> })}
                            </ActionForm>
                            {error_of::<crate::credentials::UpdateSecretLifecycle>()}
                            {done::<crate::credentials::UpdateSecretLifecycle>("Secret lifecycle saved.")}
                        </section>
                        <crate::realms::tokens::TokenSettings realm=name_tokens/>
                    }.into_any() }
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
