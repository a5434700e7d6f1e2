//! Client scopes (Keycloak's model): a realm's named scopes, given to its clients as default
//! (always in the token) or optional (on request). The console and the Admin REST API both
//! change them only through these functions, so validation, messages and audit records are one.
//!
//! Callers check the actor's role and the client gate ([`crate::context::client_to_change`])
//! before an assignment; these functions validate, write and audit.

use keyward_store::client_scopes::{self, ClientScope, Kind};
use keyward_store::clients::Client;
use keyward_store::realms::Realm;
use keyward_store::StoreError;
use serde_json::json;

use crate::context::{audit, now, Actor, Services};
use crate::error::{not_found, ServiceError};

/// Longest description of a client scope, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;

/// The audit path of a realm scope (Keycloak's resource path).
pub fn scope_path(s: &ClientScope) -> String {
    format!("client-scopes/{}", s.client_scope_id)
}

/// The audit path of a client's scope of one kind (Keycloak's resource path).
pub fn assignment_path(c: &Client, kind: Kind, s: &ClientScope) -> String {
    format!(
        "clients/{}/{}-client-scopes/{}",
        c.client_row_id,
        kind.as_str(),
        s.client_scope_id
    )
}

/// A checked client-scope name.
pub fn name(input: &str) -> Result<String, ServiceError> {
    Ok(keyward_credentials::scope::client_scope_name(input)?)
}

/// A checked description (trimmed, no control characters).
pub fn description(input: &str) -> Result<String, ServiceError> {
    Ok(keyward_credentials::names::text(
        "description",
        input,
        MAX_DESCRIPTION_CHARS,
        false,
    )?)
}

/// `default` or `optional`.
pub fn kind(input: &str) -> Result<Kind, ServiceError> {
    Kind::parse(input.trim()).ok_or_else(|| {
        ServiceError::Invalid(format!(
            "a client scope is \"default\" or \"optional\", not {input:?}"
        ))
    })
}

/// Keycloak's answer to a name that is taken.
fn exists(name: &str) -> impl FnOnce(StoreError) -> ServiceError + '_ {
    move |e| match e {
        StoreError::Conflict(_) => {
            ServiceError::Conflict(format!("Client Scope {name} already exists"))
        }
        other => other.into(),
    }
}

/// The realm's scope with this id, or a 404 "Client scope not found".
pub async fn get(ctx: &Services, r: &Realm, id: &str) -> Result<ClientScope, ServiceError> {
    client_scopes::get(&ctx.db, &r.realm_id, id)
        .await
        .map_err(not_found("Client scope"))
}

/// Creates a realm scope (`name` and `description` unchecked yet).
pub async fn create(
    ctx: &Services,
    actor: &Actor,
    r: &Realm,
    name: &str,
    description: &str,
) -> Result<ClientScope, ServiceError> {
    let name = self::name(name)?;
    let description = self::description(description)?;
    let s = client_scopes::create(&ctx.db, &r.realm_id, &name, &description, now())
        .await
        .map_err(exists(&name))?;
    audit(
        ctx,
        actor,
        Some(&r.realm_id),
        None,
        "CREATE",
        &scope_path(&s),
        json!({ "id": s.client_scope_id, "name": s.name, "description": s.description }),
    )
    .await?;
    Ok(s)
}

/// Renames a scope and/or changes its description (`None`: unchanged). A rename changes
/// what the next tokens of its clients carry.
pub async fn update(
    ctx: &Services,
    actor: &Actor,
    r: &Realm,
    s: &ClientScope,
    name: Option<&str>,
    description: Option<&str>,
) -> Result<ClientScope, ServiceError> {
    let name = match name {
        Some(n) => self::name(n)?,
        None => s.name.clone(),
    };
    let description = match description {
        Some(d) => self::description(d)?,
        None => s.description.clone(),
    };
    if name == s.name && description == s.description {
        return Ok(s.clone());
    }
    let updated = client_scopes::update(
        &ctx.db,
        &r.realm_id,
        &s.client_scope_id,
        &name,
        &description,
    )
    .await
    .map_err(exists(&name))?;
    audit(
        ctx,
        actor,
        Some(&r.realm_id),
        None,
        "UPDATE",
        &scope_path(s),
        json!({ "name": updated.name, "previousName": s.name, "description": updated.description }),
    )
    .await?;
    Ok(updated)
}

/// Deletes a realm scope: every client loses it, from the next token on.
pub async fn delete(
    ctx: &Services,
    actor: &Actor,
    r: &Realm,
    s: &ClientScope,
) -> Result<(), ServiceError> {
    client_scopes::delete(&ctx.db, &r.realm_id, &s.client_scope_id)
        .await
        .map_err(not_found("Client scope"))?;
    audit(
        ctx,
        actor,
        Some(&r.realm_id),
        None,
        "DELETE",
        &scope_path(s),
        json!({ "name": s.name }),
    )
    .await
}

/// Gives the client the scope as `kind` (moving it from the other kind); audited when
/// something changed. Tells whether it did.
pub async fn assign(
    ctx: &Services,
    actor: &Actor,
    r: &Realm,
    c: &Client,
    s: &ClientScope,
    kind: Kind,
) -> Result<bool, ServiceError> {
    let changed = client_scopes::assign(
        &ctx.db,
        &r.realm_id,
        &c.client_row_id,
        &s.client_scope_id,
        kind,
    )
    .await
    .map_err(not_found("Client scope"))?;
    if changed {
        audit(
            ctx,
            actor,
            Some(&r.realm_id),
            Some(&c.client_row_id),
            "CREATE",
            &assignment_path(c, kind, s),
            json!({ "clientId": c.client_id, "scope": s.name, "kind": kind.as_str() }),
        )
        .await?;
    }
    Ok(changed)
}

/// Takes the scope of this `kind` from the client (an assignment of the other kind stays);
/// audited when something changed. Tells whether it did.
pub async fn unassign(
    ctx: &Services,
    actor: &Actor,
    r: &Realm,
    c: &Client,
    s: &ClientScope,
    kind: Kind,
) -> Result<bool, ServiceError> {
    let changed = client_scopes::unassign(
        &ctx.db,
        &r.realm_id,
        &c.client_row_id,
        &s.client_scope_id,
        kind,
    )
    .await
    .map_err(not_found("Client scope"))?;
    if changed {
        audit(
            ctx,
            actor,
            Some(&r.realm_id),
            Some(&c.client_row_id),
            "DELETE",
            &assignment_path(c, kind, s),
            json!({ "clientId": c.client_id, "scope": s.name, "kind": kind.as_str() }),
        )
        .await?;
    }
    Ok(changed)
}

/// The realm's scopes named in `names`, in that order, each once; an unknown name (or a
/// name given twice in `other`, the list of the other kind) is refused before anything
/// is written, naming it. `field` names the list in messages.
pub async fn resolve(
    ctx: &Services,
    r: &Realm,
    field: &str,
    names: &[String],
) -> Result<Vec<ClientScope>, ServiceError> {
    let all = client_scopes::list(&ctx.db, &r.realm_id).await?;
    let mut out: Vec<ClientScope> = Vec::with_capacity(names.len());
    for n in names {
        match all.iter().find(|s| &s.name == n) {
            Some(s) if !out.contains(s) => out.push(s.clone()),
            Some(_) => {}
            None => {
                return Err(ServiceError::Invalid(format!(
                    "{field}: realm {} has no client scope {n:?}",
                    r.name
                )))
            }
        }
    }
    Ok(out)
}

/// Makes `scopes` exactly the client's scopes of `kind` (checked with [`resolve`]);
/// audited when something changed.
pub async fn set_kind(
    ctx: &Services,
    actor: &Actor,
    r: &Realm,
    c: &Client,
    kind: Kind,
    scopes: &[ClientScope],
) -> Result<(), ServiceError> {
    let ids: Vec<String> = scopes.iter().map(|s| s.client_scope_id.clone()).collect();
    let changed = client_scopes::set_kind(&ctx.db, &r.realm_id, &c.client_row_id, kind, &ids)
        .await
        .map_err(not_found("Client"))?;
    if changed {
        let names: Vec<&str> = scopes.iter().map(|s| s.name.as_str()).collect();
        audit(
            ctx,
            actor,
            Some(&r.realm_id),
            Some(&c.client_row_id),
            "UPDATE",
            &format!(
                "clients/{}/{}-client-scopes",
                c.client_row_id,
                kind.as_str()
            ),
            json!({ "clientId": c.client_id, "kind": kind.as_str(), "scopes": names }),
        )
        .await?;
    }
    Ok(())
}
