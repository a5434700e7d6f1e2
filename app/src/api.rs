//! The console's server functions (each a public URL under `/api/`) and the views they return.
//!
//! Every function follows the same steps: authorise (session, CSRF token for changes, role) →
//! parse the input into domain values → call the store → answer with a view.

use keyward_credentials::operator::Role;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Clients shown per page of the client list.
pub const PAGE_SIZE: i64 = 20;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub operator_id: String,
    pub username: String,
    pub role: Role,
}

/// What the browser knows of its session: the CSRF token for forms and who is signed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub csrf: String,
    pub me: Option<Me>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealmView {
    pub name: String,
    pub display_name: String,
    pub created_at: i64,
    pub secret_overlap_default_s: i64,
    pub secret_overlap_max_s: i64,
    pub allow_secret_reveal: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientView {
    /// The client's internal id (Keycloak's `id`), used in URLs.
    pub id: String,
    pub client_id: String,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    pub public_client: bool,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Admin REST API role (master realm): `view`, `manage`, `admin`, or none.
    pub api_role: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientListView {
    pub items: Vec<ClientView>,
    pub first: i64,
    pub has_more: bool,
}

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
    use keyward_store::{clients::Client, operators::Operator, realms::Realm};

    impl From<Realm> for RealmView {
        fn from(r: Realm) -> Self {
            RealmView {
                name: r.name,
                display_name: r.display_name,
                created_at: r.created_at,
                secret_overlap_default_s: r.secret_overlap_default_s,
                secret_overlap_max_s: r.secret_overlap_max_s,
                allow_secret_reveal: r.allow_secret_reveal,
            }
        }
    }

    impl From<Client> for ClientView {
        fn from(c: Client) -> Self {
            ClientView {
                id: c.client_row_id,
                client_id: c.client_id,
                name: c.name,
                description: c.description,
                enabled: c.enabled,
                public_client: c.public_client,
                version: c.version,
                created_at: c.created_at,
                updated_at: c.updated_at,
                api_role: c.api_role,
            }
        }
    }

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

/// Parses the access type a form sends: `confidential` (the default in the form) or `public`.
pub fn parse_access_type(value: &str) -> Result<bool, AppError> {
    match value {
        "confidential" => Ok(false),
        "public" => Ok(true),
        other => Err(AppError::Invalid(format!(
            "access type must be \"confidential\" or \"public\", not {other:?}"
        ))),
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

#[server(endpoint = "session_info")]
pub async fn session_info() -> Result<SessionView, AppError> {
    use crate::ssr::*;
    let ctx = context()?;
    let session = session().await?;
    let csrf = session_csrf(&session).await?;
    let me = signed_in(&ctx, &session).await?.map(|op| Me {
        operator_id: op.operator_id,
        username: op.username,
        role: op.role,
    });
    Ok(SessionView { csrf, me })
}

// ---- realms -------------------------------------------------------------------------------

/// Whether the one-time setup link can still create the first admin (no operator yet).
#[server(endpoint = "setup_open")]
pub async fn setup_open() -> Result<bool, AppError> {
    let ctx = crate::ssr::context()?;
    let pending = ctx
        .setup_token
        .lock()
        .map_err(|_| crate::ssr::internal("the setup token lock is poisoned"))?
        .is_some();
    Ok(pending)
}

#[server(endpoint = "list_realms")]
pub async fn list_realms() -> Result<Vec<RealmView>, AppError> {
    use crate::ssr::*;
    let (ctx, _) = authorize(Role::Viewer, None).await?;
    let realms = keyward_store::realms::list(&ctx.db).await?;
    Ok(realms.into_iter().map(Into::into).collect())
}

#[server(endpoint = "get_realm")]
pub async fn get_realm(realm: String) -> Result<RealmView, AppError> {
    use crate::ssr::*;
    let (ctx, _) = authorize(Role::Viewer, None).await?;
    let r = keyward_store::realms::get_by_name(&ctx.db, &realm)
        .await
        .map_err(not_found(format!("Realm {realm:?}")))?;
    Ok(r.into())
}

#[server(endpoint = "create_realm")]
pub async fn create_realm(
    csrf: String,
    name: String,
    display_name: String,
) -> Result<RealmView, AppError> {
    use crate::ssr::*;
    use keyward_credentials::names;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let name = names::realm_name(&name)?;
    let display_name = names::text("display name", &display_name, 255, false)?;
    let display_name = if display_name.is_empty() {
        name.clone()
    } else {
        display_name
    };
    let realm = keyward_store::realms::create(&ctx.db, &name, &display_name, now()).await?;
    audit(
        &ctx,
        &op,
        Some(&realm.realm_id),
        None,
        "CREATE",
        &format!("realms/{name}"),
        serde_json::json!({ "displayName": display_name }),
    )
    .await?;
    Ok(realm.into())
}

#[server(endpoint = "update_realm")]
pub async fn update_realm(
    csrf: String,
    realm: String,
    display_name: String,
) -> Result<RealmView, AppError> {
    use crate::ssr::*;
    use keyward_credentials::names;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let display_name = names::text("display name", &display_name, 255, true)?;
    let updated = keyward_store::realms::update_display_name(&ctx.db, &realm, &display_name)
        .await
        .map_err(not_found(format!("Realm {realm:?}")))?;
    audit(
        &ctx,
        &op,
        Some(&updated.realm_id),
        None,
        "UPDATE",
        &format!("realms/{realm}"),
        serde_json::json!({ "displayName": display_name }),
    )
    .await?;
    Ok(updated.into())
}

#[server(endpoint = "delete_realm")]
pub async fn delete_realm(csrf: String, realm: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Admin, Some(&csrf)).await?;
    if realm == "master" {
        return Err(AppError::Invalid(
            "The master realm cannot be deleted.".into(),
        ));
    }
    let r = keyward_store::realms::get_by_name(&ctx.db, &realm)
        .await
        .map_err(not_found(format!("Realm {realm:?}")))?;
    keyward_store::realms::delete(&ctx.db, &realm)
        .await
        .map_err(not_found(format!("Realm {realm:?}")))?;
    audit(
        &ctx,
        &op,
        Some(&r.realm_id),
        None,
        "DELETE",
        &format!("realms/{realm}"),
        serde_json::json!({}),
    )
    .await?;
    Ok(())
}

// ---- clients ------------------------------------------------------------------------------

#[server(endpoint = "list_clients")]
pub async fn list_clients(
    realm: String,
    search: String,
    first: i64,
) -> Result<ClientListView, AppError> {
    use crate::ssr::*;
    let (ctx, _) = authorize(Role::Viewer, None).await?;
    let r = realm_of(&ctx, &realm).await?;
    let search = search.trim();
    if search.chars().count() > 255 {
        return Err(AppError::Invalid(
            "search is longer than 255 characters".into(),
        ));
    }
    let first = first.max(0);
    let page = keyward_store::clients::list(
        &ctx.db,
        &r.realm_id,
        (!search.is_empty()).then_some(search),
        first,
        PAGE_SIZE,
    )
    .await?;
    Ok(ClientListView {
        items: page.items.into_iter().map(Into::into).collect(),
        first,
        has_more: page.has_more,
    })
}

#[server(endpoint = "get_client")]
pub async fn get_client(realm: String, id: String) -> Result<ClientView, AppError> {
    use crate::ssr::*;
    let (ctx, _) = authorize(Role::Viewer, None).await?;
    let (_, c) = realm_and_client(&ctx, &realm, &id).await?;
    Ok(c.into())
}

#[server(endpoint = "create_client")]
pub async fn create_client(
    csrf: String,
    realm: String,
    client_id: String,
    name: String,
    description: String,
    access_type: String,
) -> Result<ClientView, AppError> {
    use crate::ssr::*;
    use keyward_credentials::names;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let r = realm_of(&ctx, &realm).await?;
    let client_id = names::client_id(&client_id)?;
    let name = names::text("name", &name, 255, false)?;
    let description = names::text("description", &description, 1000, false)?;
    let public_client = parse_access_type(&access_type)?;
    let c = keyward_store::clients::create(
        &ctx.db,
        &r.realm_id,
        &keyward_store::clients::NewClient {
            client_id: &client_id,
            name: &name,
            description: &description,
            enabled: true,
            public_client,
        },
        now(),
    )
    .await?;
    audit(
        &ctx,
        &op,
        Some(&r.realm_id),
        Some(&c.client_row_id),
        "CREATE",
        &format!("clients/{}", c.client_row_id),
        serde_json::json!({ "clientId": client_id, "publicClient": public_client }),
    )
    .await?;
    // A form posted by the browser itself continues on the new client's page.
    leptos_axum::redirect(&format!(
        "/console/{}/clients/{}/settings",
        r.name, c.client_row_id
    ));
    Ok(c.into())
}

#[allow(clippy::too_many_arguments)]
#[server(endpoint = "update_client")]
pub async fn update_client(
    csrf: String,
    realm: String,
    id: String,
    version: i64,
    name: String,
    description: String,
    access_type: String,
    enabled: Option<String>,
) -> Result<ClientView, AppError> {
    use crate::ssr::*;
    use keyward_credentials::names;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let (r, _) = client_to_change(&ctx, &op, &realm, &id).await?;
    let name = names::text("name", &name, 255, false)?;
    let description = names::text("description", &description, 1000, false)?;
    let public_client = parse_access_type(&access_type)?;
    let enabled = enabled.is_some();
    let c = keyward_store::clients::update(
        &ctx.db,
        &r.realm_id,
        &id,
        version,
        &keyward_store::clients::ClientUpdate {
            name: &name,
            description: &description,
            enabled,
            public_client,
        },
        now(),
    )
    .await
    .map_err(not_found("Client"))?;
    audit(
        &ctx,
        &op,
        Some(&r.realm_id),
        Some(&c.client_row_id),
        "UPDATE",
        &format!("clients/{}", c.client_row_id),
        serde_json::json!({ "enabled": enabled, "publicClient": public_client, "version": c.version }),
    )
    .await?;
    Ok(c.into())
}

#[server(endpoint = "delete_client")]
pub async fn delete_client(csrf: String, realm: String, id: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let (r, c) = client_to_change(&ctx, &op, &realm, &id).await?;
    keyward_store::clients::delete(&ctx.db, &r.realm_id, &id)
        .await
        .map_err(not_found("Client"))?;
    audit(
        &ctx,
        &op,
        Some(&r.realm_id),
        Some(&id),
        "DELETE",
        &format!("clients/{id}"),
        serde_json::json!({ "clientId": c.client_id }),
    )
    .await?;
    // The client's page is gone: a form posted by the browser itself continues on the list.
    leptos_axum::redirect(&format!("/console/{}/clients", r.name));
    Ok(())
}

/// Gives a master-realm client an Admin REST API role (`view`, `manage`, `admin`; empty takes it
/// away). Admins only: an API role is as strong as an operator's.
#[server(endpoint = "set_api_role")]
pub async fn set_api_role(
    csrf: String,
    realm: String,
    id: String,
    api_role: String,
) -> Result<ClientView, AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Admin, Some(&csrf)).await?;
    let (r, c) = client_to_change(&ctx, &op, &realm, &id).await?;
    if r.name != keyward_store::realms::MASTER {
        return Err(AppError::Invalid(
            "only clients of the master realm can call the Admin REST API".into(),
        ));
    }
    let role = match api_role.trim() {
        "" => None,
        r @ ("view" | "manage" | "admin") => Some(r),
        other => {
            return Err(AppError::Invalid(format!(
                "unknown API role {other:?}: choose view, manage or admin (or none)"
            )))
        }
    };
    if role.is_some() && c.public_client {
        return Err(AppError::Invalid(
            "a public client cannot authenticate, so it cannot call the API".into(),
        ));
    }
    let updated =
        keyward_store::clients::set_api_role(&ctx.db, &r.realm_id, &c.client_row_id, role).await?;
    audit(
        &ctx,
        &op,
        Some(&r.realm_id),
        Some(&c.client_row_id),
        "UPDATE",
        &format!("clients/{}", c.client_row_id),
        serde_json::json!({ "apiRole": role }),
    )
    .await?;
    Ok(updated.into())
}

// ---- operators ----------------------------------------------------------------------------

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
