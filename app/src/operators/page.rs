//! The Operators page (admins): the list with role, enable/disable and password reset, and the
//! add form.

use keyward_credentials::operator::Role;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::components::*;
use crate::format_time;

use super::api::*;

#[component]
pub fn OperatorsPage() -> impl IntoView {
    let create = ServerAction::<CreateOperator>::new();
    let session = current_session();
    let me = session.me.clone();
    let is_admin = me.as_ref().is_some_and(|m| m.role == Role::Admin);
    let my_id = me.map(|m| m.operator_id).unwrap_or_default();
    let csrf = session.csrf;
    let roles: Vec<String> = Role::ALL.iter().map(|r| r.as_str().to_string()).collect();
    view! {
        <h1>"Operators"</h1>
        <p class="lead">"People who use this console. Viewers read, managers change credentials, admins also manage operators."</p>
        {(!is_admin).then(|| view! {
            <div class="alert alert-info" role="status">"Only admins manage operators."</div>
        })}
        {error_of::<SetOperatorRole>()}
        {error_of::<SetOperatorDisabled>()}
        {error_of::<ResetOperatorPassword>()}
        {done::<SetOperatorRole>("Role changed.")}
        {done::<SetOperatorDisabled>("Saved.")}
        {done::<ResetOperatorPassword>("Password set.")}
        {is_admin.then(|| view! {
        <Suspense fallback=loading>
            {Suspend::new(async move {
                match list_operators().await {
                    Ok(list) => view! {
                        <table class="table" aria-label="Operators">
                            <thead><tr><th>"Username"</th><th>"Role"</th><th>"State"</th><th>"Created"</th><th>"Actions"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|o| {
                                    let is_me = o.operator_id == my_id;
                                    let state = if o.disabled { "disabled" } else { "active" };
                                    let name = o.username.clone();
                                    let oid = o.operator_id.clone();
                                    view! {
                                        <tr>
                                            <td>{o.username.clone()}{is_me.then_some(" (you)")}</td>
                                            <td>
                                                {if is_me {
                                                    view! { <span>{o.role.as_str()}</span> }.into_any()
                                                } else {
                                                    view! {
                                                        <crate::islands::RoleSelect action=SetOperatorRole::PATH.to_string()
                                                            csrf=csrf.clone() operator_id=oid.clone() username=name.clone()
                                                            current=o.role.as_str().to_string() roles=roles.clone()/>
                                                    }.into_any()
                                                }}
                                            </td>
                                            <td>{state}</td>
                                            <td>{format_time(o.created_at)}</td>
                                            <td class="actions">
                                                {(!is_me && o.disabled).then(|| view! {
                                                    <form method="post" action=SetOperatorDisabled::PATH class="inline">
                                                        <CsrfField/>
                                                        <input type="hidden" name="operator_id" value=oid.clone()/>
                                                        <input type="hidden" name="disabled" value="false"/>
                                                        <button type="submit" class="btn btn-link">"Enable"</button>
                                                    </form>
                                                })}
                                                {(!is_me && !o.disabled).then({
                                                    let (oid, name) = (oid.clone(), name.clone());
                                                    move || view! {
                                                    <Confirm id=format!("disable-{oid}") action=SetOperatorDisabled::PATH
                                                        button="Disable" button_class="btn btn-link"
                                                        title="Confirm the change"
                                                        message=format!("Disable {name}? They are signed out at once and cannot sign in until enabled again.")
                                                        confirm="Confirm">
                                                        <CsrfField/>
                                                        <input type="hidden" name="operator_id" value=oid.clone()/>
                                                        <input type="hidden" name="disabled" value="true"/>
                                                    </Confirm>
                                                }})}
                                                <DialogButton dialog=format!("reset-{oid}") class="btn btn-link">"Reset password"</DialogButton>
                                                <Modal id=format!("reset-{oid}") title="Reset password">
                                                    <p>"New password for " <strong>{name.clone()}</strong></p>
                                                    <form method="post" action=ResetOperatorPassword::PATH class="form">
                                                        <CsrfField/>
                                                        <input type="hidden" name="operator_id" value=oid.clone()/>
                                                        <label for=format!("reset-password-{oid}")>"New password"</label>
                                                        <input id=format!("reset-password-{oid}") name="password" type="password" required minlength="12" autocomplete="new-password"/>
                                                        <label for=format!("reset-confirm-{oid}")>"Repeat the new password"</label>
                                                        <input id=format!("reset-confirm-{oid}") name="confirm" type="password" required autocomplete="new-password"/>
                                                        <div class="modal-actions">
                                                            <button type="submit" class="btn btn-primary">"Set password"</button>
                                                            <CancelButton dialog=format!("reset-{oid}")/>
                                                        </div>
                                                    </form>
                                                </Modal>
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
        <section class="card">
            <h2>"Add operator"</h2>
            <ActionForm action=create attr:class="form">
                <CsrfField/>
                <label for="op-username">"Username"</label>
                <input id="op-username" name="username" required maxlength="64" autocomplete="off"/>
                <label for="op-role">"Role"</label>
                <select id="op-role" name="role">
                    <option value="viewer">"viewer"</option>
                    <option value="manager" selected=true>"manager"</option>
                    <option value="admin">"admin"</option>
                </select>
                <label for="op-password">"Password (at least 12 characters)"</label>
                <input id="op-password" name="password" type="password" required minlength="12" autocomplete="new-password"/>
                <label for="op-confirm">"Repeat the password"</label>
                <input id="op-confirm" name="confirm" type="password" required autocomplete="new-password"/>
                <button type="submit" class="btn btn-primary">"Add operator"</button>
            </ActionForm>
            {error_of::<CreateOperator>()}
            {done::<CreateOperator>("Operator added.")}
        </section>
        })}
    }
}
