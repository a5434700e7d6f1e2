//! Server functions of a client's Credentials tab: the authentication method, and secrets
//! (regenerate with overlap, revoke, reveal), with the views they return.

#[cfg(feature = "ssr")]
use keyward_credentials::operator::Role;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A client authentication method of the registry, as the method picker shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodView {
    pub id: String,
    pub name: String,
    pub help: String,
    pub algorithms: Vec<String>,
    pub uses_secrets: bool,
    pub needs_plaintext_secret: bool,
}

/// A method's declared setting (`credentials::authenticator::ConfigProperty`), as the method
/// form renders it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyView {
    /// The attribute name, posted as the field's name.
    pub name: String,
    /// A checkbox (`true`) or one line of text.
    pub boolean: bool,
    pub label: String,
    pub help: String,
    pub placeholder: String,
    pub max_len: usize,
}

/// A stored secret, without its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretView {
    pub id: String,
    pub label: String,
    pub created_at: i64,
    pub created_by: String,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// active, expired or revoked.
    pub state: String,
    /// The server keeps a sealed copy (client-secret-jwt, or a realm that allows reveal).
    pub sealed: bool,
    /// Last successful use (at most a minute old) and the address it came from.
    pub last_used: Option<(i64, Option<String>)>,
    /// When a verified leak report named it, and where it was found.
    pub leaked: Option<(i64, String)>,
}

/// Everything the Credentials tab shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialsView {
    pub client_id: String,
    pub public_client: bool,
    pub version: i64,
    pub authenticator: String,
    pub signing_alg: Option<String>,
    pub assertion_max_exp_s: i64,
    /// The client's values of the methods' declared settings, by attribute name.
    pub attributes: std::collections::BTreeMap<String, String>,
    /// Each method's declared settings (method id, settings), for the method form. Kept out of
    /// [`MethodView`], which the method picker island receives: its wasm need not decode them.
    pub properties: Vec<(String, Vec<PropertyView>)>,
    /// Certificate-bound access tokens.
    pub tls_bound_tokens: bool,
    /// Where clients with a certificate reach the token endpoint: the mTLS listener's URL, or
    /// `None` (then only through a proxy that forwards the certificate, if one is configured).
    pub mtls_token_endpoint: Option<String>,
    /// What a pasted certificate says (`?inspect=` on the page), or why it cannot be read.
    pub inspected: Option<Result<CertificateFacts, String>>,
    pub methods: Vec<MethodView>,
    pub secrets: Vec<SecretView>,
    pub overlap_default_s: i64,
    pub overlap_max_s: i64,
    /// The realm allows reveal and the caller is an admin.
    pub can_reveal: bool,
    /// The client's latest authentications at the token endpoint, newest first.
    pub recent: Vec<AuthEventView>,
    /// Its federated bindings, oldest first.
    pub bindings: Vec<BindingView>,
    /// The realm's identity providers, by alias.
    pub providers: Vec<String>,
    /// The report of the token tested last on this tab, shown once (kept in the operator's
    /// session between the form's post and this page, never the token itself).
    pub token_test: Option<Vec<RuleView>>,
    pub now: i64,
}

/// What the Credentials tab shows of a pasted certificate, to copy its subject DN from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateFacts {
    /// RFC 4514, as `x509.subjectdn` compares it.
    pub subject_dn: String,
    pub issuer_dn: String,
    pub not_after: i64,
    /// Subject alternative names as `dns:…`, `uri:…`, `ip:…`, `email:…`.
    pub sans: Vec<String>,
    /// RFC 8705 `x5t#S256` (what a bound token's `cnf` holds).
    pub x5t_s256: String,
    /// Subject and issuer are the same (a self-signed certificate).
    pub self_signed: bool,
}

/// One authentication at the token endpoint, as the Credentials tab lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthEventView {
    pub at: i64,
    pub method: String,
    pub success: bool,
    /// Why it failed (the precise reason; the client itself only got invalid_client).
    pub reason: String,
    pub ip: String,
}

/// A federated binding of the client (Signed JWT - Federated).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindingView {
    pub id: String,
    pub label: String,
    pub provider: String,
    pub subject: String,
    pub expression: String,
    pub created_at: i64,
    pub created_by: String,
}

/// One rule of the token tester: `passed` is `Some(true)`, `Some(false)`, or `None` (not
/// reached).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleView {
    pub rule: String,
    pub passed: Option<bool>,
    pub detail: String,
}

/// A secret just created: the only time its value is shown (unless the realm allows reveal).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSecretView {
    pub secret: SecretView,
    pub value: String,
    /// The client's keycloak.json with this secret.
    pub keycloak_json: String,
}

impl std::fmt::Debug for NewSecretView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSecretView")
            .field("secret", &self.secret)
            .field("value", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Longest client-assertion lifetime an operator may set, in seconds (the console's copy of
/// `keyward_service::clients::MAX_ASSERTION_LIFETIME_S`, which decides; a test keeps them equal).
pub const MAX_ASSERTION_LIFETIME_S: i64 = 3600;

#[cfg(feature = "ssr")]
pub mod server {
    use super::*;
    use crate::ssr::*;
    use keyward_credentials::authenticator;
    use keyward_credentials::client_secret::SecretState;
    use keyward_store::clients::Client;
    use keyward_store::secrets::ClientSecret;

    /// Everything the Credentials tab shows of client `c`, for operator `op`.
    pub async fn credentials_view(
        ctx: &Services,
        op: &keyward_store::operators::Operator,
        r: &keyward_store::realms::Realm,
        c: Client,
        inspect: Option<String>,
    ) -> Result<CredentialsView, AppError> {
        let now = now();
        let inspected = inspect.map(|text| {
            keyward_credentials::mtls::describe_certificate(&text).map(|f| CertificateFacts {
                subject_dn: f.subject_dn,
                issuer_dn: f.issuer_dn,
                not_after: f.not_after,
                sans: f.sans,
                x5t_s256: f.x5t_s256,
                self_signed: f.self_signed,
            })
        });
        let mtls_token_endpoint = ctx
            .settings
            .mtls_public_url
            .as_ref()
            .map(|base| format!("{base}/realms/{}/protocol/openid-connect/token", r.name));
        let secrets = keyward_store::secrets::list(&ctx.db, &c.client_row_id).await?;
        let recent = keyward_store::auth_events::recent(&ctx.db, &c.client_row_id, 20).await?;
        let bindings = keyward_store::federation::of_client(&ctx.db, &c.client_row_id)
            .await?
            .into_iter()
            .map(|b| BindingView {
                id: b.binding_id,
                label: b.label,
                provider: b.provider_alias,
                subject: b.subject.unwrap_or_default(),
                expression: b.claims_expr.unwrap_or_default(),
                created_at: b.created_at,
                created_by: b.created_by,
            })
            .collect();
        let providers = keyward_store::identity_providers::list(&ctx.db, &r.realm_id)
            .await?
            .into_iter()
            .map(|p| p.alias)
            .collect();
        Ok(CredentialsView {
            client_id: c.client_id,
            public_client: c.public_client,
            version: c.version,
            authenticator: c.authenticator,
            signing_alg: c.signing_alg,
            assertion_max_exp_s: c.assertion_max_exp_s,
            attributes: c.auth_attributes,
            properties: properties(),
            tls_bound_tokens: c.tls_bound_tokens,
            mtls_token_endpoint,
            inspected,
            methods: methods(),
            secrets: secrets.iter().map(|s| secret_view(s, now)).collect(),
            overlap_default_s: r.secret_overlap_default_s,
            overlap_max_s: r.secret_overlap_max_s,
            can_reveal: r.allow_secret_reveal && op.role.allows(Role::Admin),
            recent: recent
                .into_iter()
                .map(|e| AuthEventView {
                    at: e.at,
                    method: e.method,
                    success: e.success,
                    reason: e.reason.unwrap_or_default(),
                    ip: e.ip.unwrap_or_default(),
                })
                .collect(),
            bindings,
            providers,
            token_test: None,
            now,
        })
    }

    pub fn secret_view(s: &ClientSecret, now: i64) -> SecretView {
        SecretView {
            id: s.secret_id.clone(),
            label: s.label.clone(),
            created_at: s.created_at,
            created_by: s.created_by.clone(),
            expires_at: s.expires_at,
            revoked_at: s.revoked_at,
            state: SecretState::at(now, s.expires_at, s.revoked_at)
                .as_str()
                .into(),
            sealed: s.sealed.is_some(),
            last_used: s.last_used.clone(),
            leaked: s.leaked.clone(),
        }
    }

    pub fn methods() -> Vec<MethodView> {
        authenticator::REGISTRY
            .iter()
            .map(|a| MethodView {
                id: a.id().into(),
                name: a.display_name().into(),
                help: a.help().into(),
                algorithms: a.algorithms().iter().map(|s| s.to_string()).collect(),
                uses_secrets: a.uses_secrets(),
                needs_plaintext_secret: a.needs_plaintext_secret(),
            })
            .collect()
    }

    /// Each method's declared settings, in registry order (methods without any left out).
    pub fn properties() -> Vec<(String, Vec<PropertyView>)> {
        authenticator::REGISTRY
            .iter()
            .filter(|a| !a.config_properties().is_empty())
            .map(|a| {
                let props = a
                    .config_properties()
                    .iter()
                    .map(|p| PropertyView {
                        name: p.name.into(),
                        boolean: p.property_type == authenticator::PropertyType::Boolean,
                        label: p.label.into(),
                        help: p.help.into(),
                        placeholder: p.placeholder.into(),
                        max_len: p.max_len,
                    })
                    .collect();
                (a.id().to_string(), props)
            })
            .collect()
    }

    pub use keyward_service::clients::{auth_config, keycloak_json, method};
}

/// The Credentials tab; `inspect` is a pasted PEM certificate to describe (never stored).
#[server(endpoint = "get_credentials")]
pub async fn get_credentials(
    realm: String,
    id: String,
    #[server(default)] inspect: Option<String>,
) -> Result<CredentialsView, AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Viewer, None).await?;
    let (r, c) = realm_and_client(&ctx, &realm, &id).await?;
    let inspect = inspect.filter(|t| !t.trim().is_empty());
    let key = token_test_key(&c.client_row_id);
    let mut view = self::server::credentials_view(&ctx, &op, &r, c, inspect).await?;
    view.token_test = session()
        .await?
        .remove::<Vec<RuleView>>(&key)
        .await
        .map_err(internal)?;
    Ok(view)
}

/// Where the token tester's last report waits in the session for the page to show it.
#[cfg(feature = "ssr")]
fn token_test_key(client_row_id: &str) -> String {
    format!("token_test:{client_row_id}")
}

/// The method form's fields, as the browser posts them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodForm {
    /// The authenticator's id in the registry (`client-secret`, `client-jwt`, …).
    pub authenticator: String,
    /// "" = any algorithm the method allows.
    pub signing_alg: String,
    pub assertion_max_exp_s: String,
    /// A checkbox: certificate-bound access tokens.
    #[serde(default)]
    pub tls_bound_tokens: String,
    /// The methods' declared settings, each posted under its attribute name
    /// (`x509.subjectdn`, …); an unticked Boolean's checkbox posts nothing.
    #[serde(flatten)]
    pub attributes: std::collections::HashMap<String, String>,
}

/// The declared settings among a posted method form's fields. The form shows every method's
/// settings, so a Boolean that was not posted is an unticked checkbox: "false".
#[cfg(feature = "ssr")]
fn posted_properties(
    fields: std::collections::HashMap<String, String>,
) -> std::collections::BTreeMap<String, String> {
    use keyward_credentials::authenticator::{declared_properties, PropertyType};
    declared_properties()
        .filter_map(|(_, p)| match fields.get(p.name) {
            Some(v) => Some((p.name.to_string(), v.clone())),
            None if p.property_type == PropertyType::Boolean => {
                Some((p.name.to_string(), "false".into()))
            }
            None => None,
        })
        .collect()
}

/// Sets how the client authenticates.
#[server(endpoint = "set_authenticator")]
pub async fn set_authenticator(
    csrf: String,
    realm: String,
    id: String,
    version: i64,
    #[server(flatten)] form: MethodForm,
) -> Result<i64, AppError> {
    let MethodForm {
        authenticator,
        signing_alg,
        assertion_max_exp_s,
        tls_bound_tokens,
        attributes,
    } = form;
    use crate::ssr::*;
    use keyward_service::clients::{
        parse_assertion_lifetime, parse_flag, set_authentication, AuthenticationChange,
    };
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let change = AuthenticationChange {
        method: Some(authenticator),
        signing_alg: Some(Some(signing_alg.trim().to_owned()).filter(|s| !s.is_empty())),
        assertion_max_exp_s: Some(parse_assertion_lifetime(&assertion_max_exp_s)?),
        attributes: Some(posted_properties(attributes)),
        tls_bound_tokens: Some(parse_flag("tls_bound_tokens", &tls_bound_tokens)?),
        expected_version: Some(version),
    };
    let actor = console_actor(&op).await;
    let updated = set_authentication(&ctx, &actor, &realm, &id, &change).await?;
    Ok(updated.version)
}

/// Parses "expires in N days" ("" = never).
pub fn parse_expiry_days(raw: &str, now: i64) -> Result<Option<i64>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let days: i64 = raw.parse().map_err(|_| {
        AppError::Invalid("the expiry must be a whole number of days, or empty for none".into())
    })?;
    if days <= 0 {
        return Err(AppError::Invalid("the expiry lies in the past".into()));
    }
    if days > 3650 {
        return Err(AppError::Invalid(
            "the expiry must be within 10 years".into(),
        ));
    }
    Ok(Some(now + days * 86_400))
}

/// Parses the overlap in hours ("" = the realm default).
pub fn parse_overlap_hours(raw: &str, default_s: i64) -> Result<i64, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(default_s);
    }
    let hours: i64 = raw.parse().map_err(|_| {
        AppError::Invalid("the overlap must be a whole number of hours (0 = revoke now)".into())
    })?;
    hours
        .checked_mul(3600)
        .ok_or_else(|| AppError::Invalid("the overlap is too long".into()))
}

/// Regenerates the client's secret: a new primary secret, the previous ones valid for
/// `overlap_hours` more (0 = revoked now). Returns the value, shown once.
#[server(endpoint = "regenerate_secret")]
pub async fn regenerate_secret(
    csrf: String,
    realm: String,
    id: String,
    label: String,
    overlap_hours: String,
    expires_in_days: String,
) -> Result<NewSecretView, AppError> {
    use self::server::*;
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let (r, _) = realm_and_client(&ctx, &realm, &id).await?;
    let now = now();
    let overlap = parse_overlap_hours(&overlap_hours, r.secret_overlap_default_s)?;
    let expires_at = parse_expiry_days(&expires_in_days, now)?;
    let actor = console_actor(&op).await;
    let created = keyward_service::secrets::generate(
        &ctx,
        &actor,
        &realm,
        &id,
        &keyward_service::secrets::NewSecret {
            label: &label,
            overlap_s: Some(overlap),
            expires_at,
        },
    )
    .await?;
    let keycloak_json = keycloak_json(&ctx, &realm, &created.client, Some(created.value.expose()));
    Ok(NewSecretView {
        secret: secret_view(&created.secret, now),
        value: created.value.expose().to_string(),
        keycloak_json,
    })
}

/// Revokes one secret at once.
#[server(endpoint = "revoke_secret")]
pub async fn revoke_secret(
    csrf: String,
    realm: String,
    id: String,
    secret_id: String,
) -> Result<SecretView, AppError> {
    use self::server::*;
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let actor = console_actor(&op).await;
    let s = keyward_service::secrets::revoke(&ctx, &actor, &realm, &id, &secret_id).await?;
    Ok(secret_view(&s, now()))
}

/// Binds the client to an identity provider (managers): the token's exact subject, a claims
/// expression, or both.
#[server(endpoint = "add_federated_binding")]
pub async fn add_federated_binding(
    csrf: String,
    realm: String,
    id: String,
    label: String,
    provider: String,
    #[server(default)] subject: String,
    #[server(default)] expression: String,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let (r, c) = client_to_change(&ctx, &op, &realm, &id).await?;
    let actor = console_actor(&op).await;
    keyward_service::federation::add_binding(
        &ctx,
        &actor,
        &r,
        &c,
        &keyward_service::federation::BindingInput {
            label,
            provider,
            subject: Some(subject),
            expression: Some(expression),
        },
    )
    .await?;
    Ok(())
}

/// Removes a federated binding (managers).
#[server(endpoint = "delete_federated_binding")]
pub async fn delete_federated_binding(
    csrf: String,
    realm: String,
    id: String,
    binding_id: String,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let (r, c) = client_to_change(&ctx, &op, &realm, &id).await?;
    let actor = console_actor(&op).await;
    keyward_service::federation::delete_binding(&ctx, &actor, &r, &c, &binding_id).await?;
    Ok(())
}

/// Which rules a pasted token passes for this client (viewers too). The token is neither
/// stored nor logged, and its jti is not spent. The report is returned, and kept in the
/// operator's session for the Credentials tab to show once after a plain form post (so the
/// tester works without the wasm and without an island).
#[server(endpoint = "test_federated_token")]
pub async fn test_federated_token(
    csrf: String,
    realm: String,
    id: String,
    token: String,
) -> Result<Vec<RuleView>, AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Viewer, Some(&csrf)).await?;
    let (r, c) = realm_and_client(&ctx, &realm, &id).await?;
    let actor = console_actor(&op).await;
    let rules: Vec<RuleView> = keyward_service::federation::explain(&ctx, &actor, &r, &c, &token)
        .await?
        .into_iter()
        .map(|c| RuleView {
            rule: c.rule,
            passed: c.passed,
            detail: c.detail,
        })
        .collect();
    session()
        .await?
        .insert(&token_test_key(&c.client_row_id), &rules)
        .await
        .map_err(internal)?;
    Ok(rules)
}

/// Shows a stored secret again: only for admins, only where the realm allows it; audited.
#[server(endpoint = "reveal_secret")]
pub async fn reveal_secret(
    csrf: String,
    realm: String,
    id: String,
    secret_id: String,
) -> Result<String, AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Admin, Some(&csrf)).await?;
    let actor = console_actor(&op).await;
    let value = keyward_service::secrets::reveal(&ctx, &actor, &realm, &id, &secret_id).await?;
    Ok(value.expose().to_owned())
}

/// Changes the realm's secret policy (admin: reveal is a security decision).
#[server(endpoint = "update_secret_policy")]
pub async fn update_secret_policy(
    csrf: String,
    realm: String,
    overlap_default_hours: String,
    overlap_max_hours: String,
    /// A checkbox (`value="true"`): absent when unticked.
    #[server(default)]
    allow_reveal: bool,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Admin, Some(&csrf)).await?;
    let hours = |name: &str, raw: &str| -> Result<i64, AppError> {
        raw.trim()
            .parse::<i64>()
            .ok()
            .filter(|h| (0..=24 * 365).contains(h))
            .map(|h| h * 3600)
            .ok_or_else(|| AppError::Invalid(format!("{name} must be 0 to 8760 hours")))
    };
    let change = keyward_service::secrets::PolicyChange {
        overlap_default_s: hours("the default overlap", &overlap_default_hours)?,
        overlap_max_s: hours("the maximum overlap", &overlap_max_hours)?,
        allow_reveal,
    };
    let actor = console_actor(&op).await;
    keyward_service::secrets::update_policy(&ctx, &actor, &realm, change).await?;
    Ok(())
}

/// The Secret lifecycle form's fields, as the browser posts them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleForm {
    /// "" = none.
    pub prefix_segment: String,
    /// Days; "" = unlimited.
    pub max_lifetime_days: String,
    /// A checkbox: "true", absent when unticked.
    #[serde(default)]
    pub must_expire: String,
    /// Years; "" = unlimited.
    pub keystore_max_years: String,
    /// "revoke" or "grace".
    pub leak_action: String,
    pub leak_grace_hours: String,
}

/// Changes the realm's secret lifecycle policy (admin): the secret prefix segment, the
/// maximum secret lifetime, whether new secrets must expire, generated keystores' maximum
/// validity, and what a verified leak report does.
#[server(endpoint = "update_secret_lifecycle")]
pub async fn update_secret_lifecycle(
    csrf: String,
    realm: String,
    #[server(flatten)] form: LifecycleForm,
) -> Result<(), AppError> {
    let LifecycleForm {
        prefix_segment,
        max_lifetime_days,
        must_expire,
        keystore_max_years,
        leak_action,
        leak_grace_hours,
    } = form;
    let must_expire = must_expire == "true";
    use crate::ssr::*;
    use keyward_store::realms::{LeakAction, LifecyclePolicy};
    let (ctx, op) = authorize(Role::Admin, Some(&csrf)).await?;
    let optional = |name: &str, raw: &str| -> Result<Option<i64>, AppError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        raw.parse::<i64>()
            .map(Some)
            .map_err(|_| AppError::Invalid(format!("{name} must be a whole number or empty")))
    };
    let grace_hours = leak_grace_hours
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|h| (0..=168).contains(h))
        .ok_or_else(|| AppError::Invalid("the leak grace period must be 0 to 168 hours".into()))?;
    let policy = LifecyclePolicy {
        secret_prefix_segment: Some(prefix_segment),
        secret_max_lifetime_s: optional("the maximum secret lifetime", &max_lifetime_days)?
            .map(|d| d.saturating_mul(86_400)),
        secret_must_expire: must_expire,
        keystore_max_validity_years: optional(
            "the maximum keystore validity",
            &keystore_max_years,
        )?,
        leak_action: LeakAction::parse(&leak_action)
            .ok_or_else(|| AppError::Invalid("choose what a leak report does".into()))?,
        leak_grace_s: grace_hours * 3600,
    };
    let actor = console_actor(&op).await;
    keyward_service::secrets::update_lifecycle(&ctx, &actor, &realm, &policy).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_and_overlap_parsing() {
        assert_eq!(parse_expiry_days("", 100).unwrap(), None);
        assert_eq!(parse_expiry_days(" 2 ", 100).unwrap(), Some(100 + 172_800));
        assert_eq!(
            parse_expiry_days("0", 100).unwrap_err(),
            AppError::Invalid("the expiry lies in the past".into())
        );
        assert!(parse_expiry_days("-3", 100).is_err());
        assert!(parse_expiry_days("soon", 100).is_err());
        assert_eq!(parse_overlap_hours("", 7).unwrap(), 7);
        assert_eq!(parse_overlap_hours("0", 7).unwrap(), 0);
        assert_eq!(parse_overlap_hours("48", 7).unwrap(), 172_800);
        assert!(parse_overlap_hours("x", 7).is_err());
        assert!(parse_overlap_hours(&i64::MAX.to_string(), 7).is_err());
    }
}
