//! How a client authenticates: its method from the authenticator registry, a pinned signature
//! algorithm, the longest client-assertion lifetime; and the `keycloak.json` that goes with it.
//! One use case, [`set_authentication`], serves the console's method picker and the Admin REST
//! API's ClientRepresentation (`clientAuthenticatorType` and the
//! `token.endpoint.auth.signing.*` attributes), so both accept and refuse the same changes with
//! the same messages and write the same audit record.

use std::collections::BTreeMap;

use keyward_credentials::authenticator::{
    self, AdapterValues, Authenticator, ClientAuthConfig, PropertyType,
};
use keyward_credentials::operator::Role;
use keyward_store::clients::{self, Client};

use crate::context::{audit, client_to_change, now, Actor, Services};
use crate::error::{not_found, Result, ServiceError};

/// Longest client-assertion lifetime an operator may set, in seconds.
pub const MAX_ASSERTION_LIFETIME_S: i64 = 3600;

/// The registry's method with this id, or a 400 listing the ids.
pub fn method(id: &str) -> Result<&'static dyn Authenticator> {
    authenticator::by_id(id).ok_or_else(|| {
        ServiceError::Invalid(format!(
            "unknown authentication method {id:?}; choose one of {}",
            authenticator::REGISTRY
                .iter()
                .map(|a| a.id())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// What the authenticators check a request against.
pub fn auth_config(c: &Client) -> ClientAuthConfig {
    ClientAuthConfig {
        client_id: c.client_id.clone(),
        enabled: c.enabled,
        public_client: c.public_client,
        authenticator: c.authenticator.clone(),
        signing_alg: c.signing_alg.clone(),
        assertion_max_exp_s: c.assertion_max_exp_s,
        attributes: c.auth_attributes.clone(),
    }
}

/// keycloak.json for the client with `secret` filled in (placeholders elsewhere).
pub fn keycloak_json(svc: &Services, realm: &str, c: &Client, secret: Option<&str>) -> String {
    let credentials = authenticator::by_id(&c.authenticator).map(|a| {
        a.adapter_credentials(
            &auth_config(c),
            &AdapterValues {
                secret: secret.map(str::to_string),
                keystore_file: None,
                keystore_type: None,
                store_password: None,
                key_password: None,
                key_alias: None,
                key_algorithm: None,
            },
        )
    });
    keyward_credentials::snippet::keycloak_json(
        realm,
        &svc.settings.public_url,
        &c.client_id,
        c.public_client,
        credentials,
    )
}

/// A change of how a client authenticates; `None` fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthenticationChange {
    /// A registry id (`client-secret`, `client-jwt`, `client-secret-jwt`, `client-x509`,
    /// `self-signed-tls-client-auth`).
    pub method: Option<String>,
    /// `Some(None)`: any algorithm the method allows; `Some(Some(alg))`: pinned.
    pub signing_alg: Option<Option<String>>,
    pub assertion_max_exp_s: Option<i64>,
    /// Values of the methods' declared settings (`x509.subjectdn`, …) by attribute name; a
    /// name not given keeps its value, an empty value clears it.
    pub attributes: Option<BTreeMap<String, String>>,
    /// `tls.client.certificate.bound.access.tokens`.
    pub tls_bound_tokens: Option<bool>,
    /// The version the caller last saw (optimistic concurrency); `None`: the current one.
    pub expected_version: Option<i64>,
}

/// A validated [`AuthenticationChange`]: everything about how the client authenticates, as it
/// will be stored.
#[derive(Clone)]
pub struct Authentication {
    pub method: &'static dyn Authenticator,
    pub signing_alg: Option<String>,
    pub assertion_max_exp_s: i64,
    /// The declared settings, as they will be stored.
    pub attributes: BTreeMap<String, String>,
    pub tls_bound_tokens: bool,
}

impl std::fmt::Debug for Authentication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authentication")
            .field("method", &self.method.id())
            .field("signing_alg", &self.signing_alg)
            .field("assertion_max_exp_s", &self.assertion_max_exp_s)
            .field("attributes", &self.attributes)
            .field("tls_bound_tokens", &self.tls_bound_tokens)
            .finish()
    }
}

/// The longest assertion lifetime from text (a form field, a Keycloak attribute).
pub fn parse_assertion_lifetime(raw: &str) -> Result<i64> {
    raw.trim().parse().map_err(|_| {
        ServiceError::Invalid(
            "the maximum assertion lifetime (token.endpoint.auth.signing.max.exp) must be a whole number of seconds"
                .into(),
        )
    })
}

/// A true/false form or attribute value (`"true"`, `"false"`, `""` = false).
pub fn parse_flag(name: &str, raw: &str) -> Result<bool> {
    match raw.trim() {
        "true" => Ok(true),
        "false" | "" => Ok(false),
        other => Err(ServiceError::Invalid(format!(
            "{name} must be \"true\" or \"false\", not {other:?}"
        ))),
    }
}

/// Checks `change` against client `c` without writing: the method is in the registry; a pinned algorithm is one of the method's (an algorithm pinned
/// before and not named again is dropped when the new method does not allow it); the lifetime
/// is 1 to [`MAX_ASSERTION_LIFETIME_S`]; the declared settings pass [`declared_attributes`]
/// (a `client-x509` client has a subject DN that is a valid DN, or as a pattern compiles, and a
/// SAN that parses). `None` when nothing changes (a
/// representation read back and sent unchanged is accepted, also for a public client); a change
/// on a public client is refused (it has no authentication method).
pub fn validate_authentication(
    c: &Client,
    change: &AuthenticationChange,
) -> Result<Option<Authentication>> {
    let m = method(change.method.as_deref().unwrap_or(&c.authenticator))?;
    let signing_alg = match &change.signing_alg {
        None => c
            .signing_alg
            .clone()
            .filter(|a| m.algorithms().contains(&a.as_str())),
        Some(None) => None,
        Some(Some(a)) if a.trim().is_empty() => None,
        Some(Some(a)) => {
            let a = a.trim();
            if !m.algorithms().contains(&a) {
                return Err(ServiceError::Invalid(if m.algorithms().is_empty() {
                    format!("{} takes no signature algorithm", m.display_name())
                } else {
                    format!(
                        "{a:?} is not an algorithm of {}; choose one of {}",
                        m.display_name(),
                        m.algorithms().join(", ")
                    )
                }));
            }
            Some(a.to_owned())
        }
    };
    let max_exp = change.assertion_max_exp_s.unwrap_or(c.assertion_max_exp_s);
    if !(1..=MAX_ASSERTION_LIFETIME_S).contains(&max_exp) {
        return Err(ServiceError::Invalid(format!(
            "the maximum assertion lifetime (token.endpoint.auth.signing.max.exp) must be between 1 and {MAX_ASSERTION_LIFETIME_S} seconds"
        )));
    }
    let tls_bound_tokens = change.tls_bound_tokens.unwrap_or(c.tls_bound_tokens);
    let attributes = declared_attributes(m, c, change.attributes.as_ref())?;
    let unchanged = m.id() == c.authenticator
        && signing_alg == c.signing_alg
        && max_exp == c.assertion_max_exp_s
        && attributes == c.auth_attributes
        && tls_bound_tokens == c.tls_bound_tokens;
    if unchanged {
        return Ok(None);
    }
    if c.public_client {
        return Err(ServiceError::Invalid(
            "a public client has no authentication method; make it confidential first".into(),
        ));
    }
    Ok(Some(Authentication {
        method: m,
        signing_alg,
        assertion_max_exp_s: max_exp,
        attributes,
        tls_bound_tokens,
    }))
}

/// The client's declared settings after `given` (attribute name → raw value; names not given
/// keep their stored value): each value passes its property's type check (an empty String and a
/// false Boolean are removed: absent reads as unset), a name no method declares is refused, and
/// the chosen method checks its own settings together
/// ([`Authenticator::validate_config`]). The settings of other methods are kept, so switching
/// methods back and forth loses nothing.
pub fn declared_attributes(
    m: &dyn Authenticator,
    c: &Client,
    given: Option<&BTreeMap<String, String>>,
) -> Result<BTreeMap<String, String>> {
    let mut attributes = c.auth_attributes.clone();
    for (name, raw) in given.into_iter().flatten() {
        let p = authenticator::property(name).ok_or_else(|| {
            ServiceError::Invalid(format!(
                "{name} is not a setting of any client authentication method"
            ))
        })?;
        let value = p.check(raw).map_err(ServiceError::Invalid)?;
        if value.is_empty() || (p.property_type == PropertyType::Boolean && value == "false") {
            attributes.remove(name);
        } else {
            attributes.insert(name.clone(), value);
        }
    }
    let mut seen = attributes.clone();
    for p in m.config_properties() {
        seen.entry(p.name.to_string())
            .or_insert_with(|| match p.property_type {
                PropertyType::Boolean => "false".into(),
                PropertyType::String => String::new(),
            });
    }
    m.validate_config(&seen).map_err(ServiceError::Invalid)?;
    Ok(attributes)
}

/// Use case: changes how a client authenticates (manager; the gate of
/// [`client_to_change`]), checked by [`validate_authentication`], written with the caller's
/// expected version, audited with the previous method. Returns the client as it now is.
pub async fn set_authentication(
    svc: &Services,
    actor: &Actor,
    realm: &str,
    id: &str,
    change: &AuthenticationChange,
) -> Result<Client> {
    let (r, c) = client_to_change(svc, actor, Role::Manager, realm, id).await?;
    let Some(a) = validate_authentication(&c, change)? else {
        return Ok(c);
    };
    let updated = clients::set_authentication(
        &svc.db,
        &r.realm_id,
        &c.client_row_id,
        change.expected_version.unwrap_or(c.version),
        &clients::AuthenticationUpdate {
            authenticator: a.method.id(),
            signing_alg: a.signing_alg.as_deref(),
            assertion_max_exp_s: a.assertion_max_exp_s,
            auth_attributes: &a.attributes,
            tls_bound_tokens: a.tls_bound_tokens,
        },
        now(),
    )
    .await
    .map_err(not_found("Client"))?;
    audit(
        svc,
        actor,
        Some(&r.realm_id),
        Some(&c.client_row_id),
        "UPDATE",
        &format!("clients/{}", c.client_row_id),
        serde_json::json!({
            "clientAuthenticatorType": a.method.id(),
            "previousClientAuthenticatorType": c.authenticator,
            "signingAlg": a.signing_alg,
            "assertionMaxExpSeconds": a.assertion_max_exp_s,
            "attributes": a.attributes,
            "certificateBoundAccessTokens": a.tls_bound_tokens,
            "version": updated.version,
        }),
    )
    .await?;
    if c.authenticator != a.method.id() {
        crate::webhooks::emit(
            svc,
            &r,
            crate::webhooks::EventType::MethodChanged,
            &format!("client:{}", c.client_row_id),
            serde_json::json!({
                "realm": r.name,
                "clientId": c.client_id,
                "clientRowId": c.client_row_id,
                "clientAuthenticatorType": a.method.id(),
                "previousClientAuthenticatorType": c.authenticator,
            }),
        )
        .await;
    }
    Ok(updated)
}
