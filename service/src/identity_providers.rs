//! A realm's identity providers (issue 21 §1): the issuers whose tokens `federated-jwt` clients
//! present (see [`crate::federation`]); a provider still bound to a client is not deleted.
//! Keycloak's model and names: an alias, a provider id, enabled, a display name and a config
//! map.
//!
//! Kinds and the config keys Keyward keeps (any other key is dropped: Keycloak's OIDC broker
//! settings such as `clientSecret` have no use here and must not be stored):
//! - `oidc`: `issuer` (required), `jwksUrl` (else the issuer's discovery document says);
//! - `kubernetes`: `issuer` (default [`KUBERNETES_DEFAULT_ISSUER`]), `jwksUrl`;
//! - `spiffe`: `trustDomain` and `bundleEndpoint` (both required);
//! - every kind: `supportsClientAssertions` (default `true`), `supportsClientAssertionReuse`
//!   (default `true` for kubernetes, whose projected tokens are reused until they expire, else
//!   `false`), `allowClientIdAsAudience` (default `false`),
//!   `federatedClientAssertionMaxExpiration` (seconds, 1 to 86,400, default 3,600).
//!
//! Invariant: every URL is checked by the one fetcher's rules (https, nothing internal unless
//! `KEYWARD_FETCH_ALLOW` allows it); a host name that only resolves inside a cluster passes the
//! check but will be refused when fetched unless allowed, which [`Validated::notes`] says.

use std::collections::BTreeMap;

use keyward_credentials::operator::Role;
use keyward_store::identity_providers::{self as store, IdentityProvider, ProviderFields};
use keyward_store::realms::Realm;
use keyward_store::StoreError;
use serde_json::json;

use crate::context::{audit, now, Actor, Services};
use crate::error::{not_found, Result, ServiceError};

/// The provider kinds.
pub const KINDS: &[&str] = &["oidc", "kubernetes", "spiffe"];
/// The service-account issuer of a cluster that sets none of its own.
pub const KUBERNETES_DEFAULT_ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
/// Longest accepted `federatedClientAssertionMaxExpiration`, in seconds.
pub const MAX_ASSERTION_EXPIRATION_S: i64 = 86_400;

const BOOLEANS: &[&str] = &[
    "supportsClientAssertions",
    "supportsClientAssertionReuse",
    "allowClientIdAsAudience",
];

/// What a create or an update asks for; `None`: the current value (update) or the default.
#[derive(Clone, Debug, Default)]
pub struct ProviderInput {
    pub provider_id: Option<String>,
    pub enabled: Option<bool>,
    pub display_name: Option<String>,
    pub config: Option<BTreeMap<String, String>>,
}

/// A validated provider, as it will be stored, with what the operator should know about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validated {
    pub provider_id: String,
    pub enabled: bool,
    pub display_name: String,
    pub config: BTreeMap<String, String>,
    /// Warnings that do not refuse the provider (an issuer only reachable inside a cluster).
    pub notes: Vec<String>,
}

/// The audit path of a provider (Keycloak's resource path).
pub fn provider_path(alias: &str) -> String {
    format!("identity-provider/instances/{alias}")
}

/// Checks an alias: 1 to 255 characters of letters, digits, `.`, `_` and `-`.
pub fn alias(input: &str) -> Result<String> {
    let a = input.trim();
    let ok = !a.is_empty()
        && a.len() <= 255
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(a.to_owned())
    } else {
        Err(ServiceError::Invalid(
            "an identity provider's alias has 1 to 255 letters, digits, '.', '_' or '-'".into(),
        ))
    }
}

fn url(ctx: &Services, key: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.len() > 2048 {
        return Err(ServiceError::Invalid(format!(
            "{key} is longer than 2048 characters"
        )));
    }
    ctx.jwks
        .check_url(value)
        .map_err(|e| ServiceError::Invalid(format!("{key}: {e}")))?;
    Ok(value.trim_end_matches('/').to_owned())
}

/// A host that only resolves inside a cluster (or a private network's DNS).
fn in_cluster_host(u: &str) -> Option<String> {
    let host = url::Url::parse(u).ok()?.host_str()?.to_ascii_lowercase();
    (host.ends_with(".svc")
        || host.ends_with(".cluster.local")
        || host.ends_with(".internal")
        || !host.contains('.'))
    .then_some(host)
}

/// Validates `input` over the provider as it is (`current`; `None` for a new one).
pub fn validate(
    ctx: &Services,
    current: Option<&IdentityProvider>,
    input: &ProviderInput,
) -> Result<Validated> {
    let provider_id = input
        .provider_id
        .clone()
        .or_else(|| current.map(|c| c.provider_id.clone()))
        .unwrap_or_default();
    if !KINDS.contains(&provider_id.as_str()) {
        return Err(ServiceError::Invalid(format!(
            "providerId {provider_id:?} is not a kind Keyward knows; use one of {}",
            KINDS.join(", ")
        )));
    }
    let display_name = input
        .display_name
        .clone()
        .or_else(|| current.map(|c| c.display_name.clone()))
        .unwrap_or_default();
    let display_name = keyward_credentials::names::text("displayName", &display_name, 255, false)?;
    let enabled = input.enabled.or(current.map(|c| c.enabled)).unwrap_or(true);
    let given = input
        .config
        .clone()
        .or_else(|| current.map(|c| c.config.clone()))
        .unwrap_or_default();
    let get = |k: &str| {
        given
            .get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let mut config = BTreeMap::new();
    let mut notes = Vec::new();
    match provider_id.as_str() {
        "spiffe" => {
            let domain = get("trustDomain").ok_or_else(|| {
                ServiceError::Invalid(
                    "a spiffe provider needs its trustDomain (e.g. example.org)".into(),
                )
            })?;
            let domain_ok = domain.len() <= 255
                && domain.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_')
                });
            if !domain_ok {
                return Err(ServiceError::Invalid(
                    "trustDomain holds only lower-case letters, digits, '.', '-' and '_' (SPIFFE ID spec)".into(),
                ));
            }
            let endpoint = get("bundleEndpoint").ok_or_else(|| {
                ServiceError::Invalid(
                    "a spiffe provider needs its bundleEndpoint (an https URL)".into(),
                )
            })?;
            config.insert("trustDomain".into(), domain);
            config.insert(
                "bundleEndpoint".into(),
                url(ctx, "bundleEndpoint", &endpoint)?,
            );
        }
        kind => {
            let issuer = match (get("issuer"), kind) {
                (Some(i), _) => i,
                (None, "kubernetes") => KUBERNETES_DEFAULT_ISSUER.to_owned(),
                (None, _) => {
                    return Err(ServiceError::Invalid(
                        "an oidc provider needs its issuer (an https URL)".into(),
                    ))
                }
            };
            let issuer = url(ctx, "issuer", &issuer)?;
            let jwks = get("jwksUrl")
                .map(|u| url(ctx, "jwksUrl", &u))
                .transpose()?;
            let fetched = jwks.clone().unwrap_or_else(|| issuer.clone());
            if let Some(host) = in_cluster_host(&fetched) {
                notes.push(format!(
                    "{host} resolves only inside the cluster or a private network: Keyward fetches keys from it only if KEYWARD_FETCH_ALLOW names it (or its addresses)"
                ));
            }
            config.insert("issuer".into(), issuer);
            if let Some(j) = jwks {
                config.insert("jwksUrl".into(), j);
            }
        }
    }
    for key in BOOLEANS {
        let default = *key == "supportsClientAssertions"
            || (*key == "supportsClientAssertionReuse" && provider_id == "kubernetes");
        let value = match get(key).as_deref() {
            None => default,
            Some("true") => true,
            Some("false") => false,
            Some(other) => {
                return Err(ServiceError::Invalid(format!(
                    "{key} must be \"true\" or \"false\", not {other:?}"
                )))
            }
        };
        config.insert((*key).into(), value.to_string());
    }
    let max_exp = match get("federatedClientAssertionMaxExpiration") {
        None => 3600,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|s| (1..=MAX_ASSERTION_EXPIRATION_S).contains(s))
            .ok_or_else(|| {
                ServiceError::Invalid(format!(
                    "federatedClientAssertionMaxExpiration is a number of seconds from 1 to {MAX_ASSERTION_EXPIRATION_S}, not {v:?}"
                ))
            })?,
    };
    config.insert(
        "federatedClientAssertionMaxExpiration".into(),
        max_exp.to_string(),
    );
    Ok(Validated {
        provider_id,
        enabled,
        display_name,
        config,
        notes,
    })
}

fn fields(v: &Validated) -> ProviderFields<'_> {
    ProviderFields {
        provider_id: &v.provider_id,
        enabled: v.enabled,
        display_name: &v.display_name,
        config: &v.config,
    }
}

fn details(p: &IdentityProvider) -> serde_json::Value {
    json!({
        "alias": p.alias,
        "providerId": p.provider_id,
        "enabled": p.enabled,
        "displayName": p.display_name,
        "config": p.config,
    })
}

/// The realm's provider with this alias, or a 404.
pub async fn get(ctx: &Services, r: &Realm, alias: &str) -> Result<IdentityProvider> {
    store::get(&ctx.db, &r.realm_id, alias)
        .await
        .map_err(not_found("Identity provider"))
}

/// Use case: adds a provider (manager); 409 when the alias is taken in the realm.
pub async fn create(
    ctx: &Services,
    actor: &Actor,
    r: &Realm,
    alias_input: &str,
    input: &ProviderInput,
) -> Result<(IdentityProvider, Vec<String>)> {
    actor.require(Role::Manager)?;
    let alias = alias(alias_input)?;
    let v = validate(ctx, None, input)?;
    let p = store::create(&ctx.db, &r.realm_id, &alias, &fields(&v), now())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                ServiceError::Conflict(format!("Identity Provider {alias} already exists"))
            }
            other => other.into(),
        })?;
    audit(
        ctx,
        actor,
        Some(&r.realm_id),
        None,
        "CREATE",
        &provider_path(&p.alias),
        details(&p),
    )
    .await?;
    Ok((p, v.notes))
}

/// Use case: changes a provider (manager); its alias stays. Nothing is written when nothing
/// changes.
pub async fn update(
    ctx: &Services,
    actor: &Actor,
    r: &Realm,
    current: &IdentityProvider,
    input: &ProviderInput,
) -> Result<(IdentityProvider, Vec<String>)> {
    actor.require(Role::Manager)?;
    let v = validate(ctx, Some(current), input)?;
    if v.provider_id == current.provider_id
        && v.enabled == current.enabled
        && v.display_name == current.display_name
        && v.config == current.config
    {
        return Ok((current.clone(), v.notes));
    }
    let p = store::update(
        &ctx.db,
        &r.realm_id,
        &current.alias,
        current.version,
        &fields(&v),
        now(),
    )
    .await
    .map_err(not_found("Identity provider"))?;
    audit(
        ctx,
        actor,
        Some(&r.realm_id),
        None,
        "UPDATE",
        &provider_path(&p.alias),
        details(&p),
    )
    .await?;
    Ok((p, v.notes))
}

/// Use case: removes a provider (manager).
pub async fn delete(ctx: &Services, actor: &Actor, r: &Realm, p: &IdentityProvider) -> Result<()> {
    actor.require(Role::Manager)?;
    let used = keyward_store::federation::count_for_provider(&ctx.db, &p.idp_row_id).await?;
    if used > 0 {
        return Err(ServiceError::Conflict(format!(
            "Identity provider {} is used by {used} client binding(s); remove them first",
            p.alias
        )));
    }
    store::delete(&ctx.db, &r.realm_id, &p.alias)
        .await
        .map_err(not_found("Identity provider"))?;
    audit(
        ctx,
        actor,
        Some(&r.realm_id),
        None,
        "DELETE",
        &provider_path(&p.alias),
        json!({ "alias": p.alias, "providerId": p.provider_id }),
    )
    .await
}
