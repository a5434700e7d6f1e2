//! Server functions of clients: list (search, pages), read, create, edit, delete, and a
//! master-realm client's Admin REST API role, with the views they return.

#[cfg(feature = "ssr")]
use keyward_credentials::operator::Role;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Clients shown per page of the client list.
pub const PAGE_SIZE: i64 = 20;

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

#[cfg(feature = "ssr")]
mod convert {
    use super::*;
    use keyward_store::clients::Client;

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

/// The client form's fields, as the browser posts them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientForm {
    pub name: String,
    pub description: String,
    /// `confidential` or `public`.
    pub access_type: String,
    /// A checkbox: present (any value) when ticked.
    #[serde(default)]
    pub enabled: Option<String>,
}

/// Saves a client's settings against the version the form was read at.
#[server(endpoint = "update_client")]
pub async fn update_client(
    csrf: String,
    realm: String,
    id: String,
    version: i64,
    #[server(flatten)] form: ClientForm,
) -> Result<ClientView, AppError> {
    let ClientForm {
        name,
        description,
        access_type,
        enabled,
    } = form;
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
