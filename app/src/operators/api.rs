//! Server functions of operators (admins only): list, add, role, disable, reset password.

use keyward_credentials::operator::Role;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorView {
    pub operator_id: String,
    pub username: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: i64,
}

#[cfg(feature = "ssr")]
mod convert {
    use super::*;
    use keyward_store::operators::Operator;

    pub fn operator_view(o: Operator) -> OperatorView {
        OperatorView {
            operator_id: o.operator_id,
            username: o.username,
            role: o.role,
            disabled: o.disabled,
            created_at: o.created_at,
        }
    }
}

#[cfg(feature = "ssr")]
fn parse_role(value: &str) -> Result<Role, AppError> {
    Role::parse(value).ok_or_else(|| {
        AppError::Invalid(format!(
            "role must be viewer, manager or admin, not {value:?}"
        ))
    })
}

#[server(endpoint = "list_operators")]
pub async fn list_operators() -> Result<Vec<OperatorView>, AppError> {
    use crate::ssr::*;
    let (ctx, _) = authorize(Role::Admin, None).await?;
    Ok(keyward_store::operators::list(&ctx.db)
        .await?
        .into_iter()
        .map(convert::operator_view)
        .collect())
}

#[server(endpoint = "create_operator")]
pub async fn create_operator(
    csrf: String,
    username: String,
    password: String,
    confirm: String,
    role: String,
) -> Result<OperatorView, AppError> {
    use crate::ssr::*;
    use keyward_service::operators;
    let (ctx, op) = authorize(Role::Admin, Some(&csrf)).await?;
    let role = parse_role(&role)?;
    let password = operators::new_password(password, confirm)?;
    let actor = console_actor(&op).await;
    let created = operators::create(&ctx, &actor, &username, role, password).await?;
    Ok(convert::operator_view(created))
}

#[server(endpoint = "set_operator_role")]
pub async fn set_operator_role(
    csrf: String,
    operator_id: String,
    role: String,
) -> Result<OperatorView, AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Admin, Some(&csrf)).await?;
    let role = parse_role(&role)?;
    let actor = console_actor(&op).await;
    let updated = keyward_service::operators::set_role(&ctx, &actor, &operator_id, role).await?;
    Ok(convert::operator_view(updated))
}

#[server(endpoint = "set_operator_disabled")]
pub async fn set_operator_disabled(
    csrf: String,
    operator_id: String,
    disabled: bool,
) -> Result<OperatorView, AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Admin, Some(&csrf)).await?;
    let actor = console_actor(&op).await;
    let updated =
        keyward_service::operators::set_disabled(&ctx, &actor, &operator_id, disabled).await?;
    Ok(convert::operator_view(updated))
}

#[server(endpoint = "reset_operator_password")]
pub async fn reset_operator_password(
    csrf: String,
    operator_id: String,
    password: String,
    confirm: String,
) -> Result<OperatorView, AppError> {
    use crate::ssr::*;
    use keyward_service::operators;
    let (ctx, op) = authorize(Role::Admin, Some(&csrf)).await?;
    let password = operators::new_password(password, confirm)?;
    let actor = console_actor(&op).await;
    let updated = operators::reset_password(&ctx, &actor, &operator_id, password).await?;
    Ok(convert::operator_view(updated))
}
