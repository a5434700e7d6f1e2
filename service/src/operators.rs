//! Console operators (admins manage them): create, change role, disable or enable, reset a
//! password.
//!
//! Invariants: there is always an enabled admin (the last one cannot be demoted or disabled);
//! an operator never demotes or disables itself (another admin must), so a slip of the hand
//! cannot lock the person out who is making it; passwords are stored only as argon2 hashes,
//! computed off the async runtime.

use keyward_credentials::operator::Role;
use keyward_credentials::secret::SecretString;
use keyward_store::operators::{self, Operator};

use crate::context::{audit, now, Actor, Services};
use crate::error::{internal, not_found, Result, ServiceError};

/// A new password and its confirmation, checked against the password policy.
pub fn new_password(password: String, confirm: String) -> Result<SecretString> {
    let password = SecretString::new(password);
    let confirm = SecretString::new(confirm);
    keyward_credentials::password::check_policy(&password).map_err(ServiceError::Invalid)?;
    if !password.ct_eq(confirm.expose()) {
        return Err(ServiceError::Invalid("the two passwords differ".into()));
    }
    Ok(password)
}

async fn hash_off_runtime(password: SecretString) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        keyward_credentials::password::hash(&password, &mut rand::rngs::OsRng)
    })
    .await
    .map_err(internal)
}

/// Use case: a new operator (admin).
pub async fn create(
    svc: &Services,
    actor: &Actor,
    username: &str,
    role: Role,
    password: SecretString,
) -> Result<Operator> {
    actor.require(Role::Admin)?;
    let username = keyward_credentials::names::username(username)?;
    let hash = hash_off_runtime(password).await?;
    let created = operators::create(&svc.db, &username, &hash, role, now()).await?;
    audit(
        svc,
        actor,
        None,
        None,
        "CREATE",
        &format!("operators/{}", created.operator_id),
        serde_json::json!({ "username": username, "role": role.as_str() }),
    )
    .await?;
    Ok(created)
}

/// The operator an admin is about to change: it exists, and it is not the admin itself when
/// the change would take power away (`what` names the change for the message).
async fn target(svc: &Services, actor: &Actor, operator_id: &str, what: &str) -> Result<Operator> {
    actor.require(Role::Admin)?;
    let t = operators::get(&svc.db, operator_id)
        .await
        .map_err(not_found("Operator"))?;
    if !what.is_empty() && t.username == actor.name {
        return Err(ServiceError::Denied(format!(
            "You cannot {what} yourself: another admin must do it."
        )));
    }
    Ok(t)
}

/// Refuses a change that would leave no enabled admin.
async fn keep_an_admin(svc: &Services, target: &Operator) -> Result<()> {
    if target.role == Role::Admin && !target.disabled {
        let admins = operators::count_active_admins(&svc.db).await?;
        if admins <= 1 {
            return Err(ServiceError::Conflict(
                "This is the last enabled admin: make another operator admin first.".into(),
            ));
        }
    }
    Ok(())
}

/// Use case: changes an operator's role (admin; not one's own; never the last admin away).
pub async fn set_role(
    svc: &Services,
    actor: &Actor,
    operator_id: &str,
    role: Role,
) -> Result<Operator> {
    let t = target(svc, actor, operator_id, "change the role of").await?;
    if role == t.role {
        return Ok(t);
    }
    if role != Role::Admin {
        keep_an_admin(svc, &t).await?;
    }
    let updated = operators::set_role(&svc.db, operator_id, role).await?;
    audit(
        svc,
        actor,
        None,
        None,
        "UPDATE",
        &format!("operators/{operator_id}"),
        serde_json::json!({ "role": role.as_str(), "previousRole": t.role.as_str() }),
    )
    .await?;
    Ok(updated)
}

/// Use case: disables or enables an operator (admin; not oneself; never the last admin).
pub async fn set_disabled(
    svc: &Services,
    actor: &Actor,
    operator_id: &str,
    disabled: bool,
) -> Result<Operator> {
    let t = target(svc, actor, operator_id, "disable or enable").await?;
    if disabled == t.disabled {
        return Ok(t);
    }
    if disabled {
        keep_an_admin(svc, &t).await?;
    }
    let updated = operators::set_disabled(&svc.db, operator_id, disabled).await?;
    audit(
        svc,
        actor,
        None,
        None,
        "UPDATE",
        &format!("operators/{operator_id}"),
        serde_json::json!({ "disabled": disabled }),
    )
    .await?;
    Ok(updated)
}

/// Use case: sets an operator's password (admin; its sessions end).
pub async fn reset_password(
    svc: &Services,
    actor: &Actor,
    operator_id: &str,
    password: SecretString,
) -> Result<Operator> {
    target(svc, actor, operator_id, "").await?;
    let hash = hash_off_runtime(password).await?;
    let updated = operators::set_password(&svc.db, operator_id, &hash).await?;
    audit(
        svc,
        actor,
        None,
        None,
        "ACTION",
        &format!("operators/{operator_id}/reset-password"),
        serde_json::json!({}),
    )
    .await?;
    Ok(updated)
}
