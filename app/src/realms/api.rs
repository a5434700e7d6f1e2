//! Server functions of realms: list, read, create, rename, delete, with the view they return.

#[cfg(feature = "ssr")]
use keyward_credentials::operator::Role;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealmView {
    pub name: String,
    pub display_name: String,
    pub created_at: i64,
    pub secret_overlap_default_s: i64,
    pub secret_overlap_max_s: i64,
    pub allow_secret_reveal: bool,
    /// The segment after `kw_` in new secrets ("" = none).
    pub secret_prefix_segment: String,
    pub secret_max_lifetime_s: Option<i64>,
    pub secret_must_expire: bool,
    pub keystore_max_validity_years: Option<i64>,
    /// "revoke" or "grace".
    pub leak_action: String,
    pub leak_grace_s: i64,
}

#[cfg(feature = "ssr")]
mod convert {
    use super::*;
    use keyward_store::realms::Realm;

    impl From<Realm> for RealmView {
        fn from(r: Realm) -> Self {
            RealmView {
                name: r.name,
                display_name: r.display_name,
                created_at: r.created_at,
                secret_overlap_default_s: r.secret_overlap_default_s,
                secret_overlap_max_s: r.secret_overlap_max_s,
                allow_secret_reveal: r.allow_secret_reveal,
                secret_prefix_segment: r
                    .lifecycle
                    .secret_prefix_segment
                    .clone()
                    .unwrap_or_default(),
                secret_max_lifetime_s: r.lifecycle.secret_max_lifetime_s,
                secret_must_expire: r.lifecycle.secret_must_expire,
                keystore_max_validity_years: r.lifecycle.keystore_max_validity_years,
                leak_action: r.lifecycle.leak_action.as_str().into(),
                leak_grace_s: r.lifecycle.leak_grace_s,
            }
        }
    }
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
