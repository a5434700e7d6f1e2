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
    pub methods: Vec<MethodView>,
    pub secrets: Vec<SecretView>,
    pub overlap_default_s: i64,
    pub overlap_max_s: i64,
    /// The realm allows reveal and the caller is an admin.
    pub can_reveal: bool,
    /// The client's latest authentications at the token endpoint, newest first.
    pub recent: Vec<AuthEventView>,
    pub now: i64,
}

/// What the Credentials tab loads: the method form's data, and the secrets and recent
/// authentications as a panel rendered on the server (see `crate::panel`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialsTabView {
    pub public_client: bool,
    pub version: i64,
    pub authenticator: String,
    pub signing_alg: Option<String>,
    pub assertion_max_exp_s: i64,
    pub methods: Vec<MethodView>,
    pub can_reveal: bool,
    /// The secrets card (for a method that uses secrets) and the recent authentications.
    pub panel: String,
    /// The regenerate dialog's form (empty unless the caller is a manager).
    pub regenerate_form: String,
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

/// Longest client-assertion lifetime an operator may set, in seconds.
pub const MAX_ASSERTION_LIFETIME_S: i64 = 3600;

#[cfg(feature = "ssr")]
pub mod server {
    use super::*;
    use crate::ssr::*;
    use keyward_credentials::authenticator::{
        self, AdapterValues, Authenticator, ClientAuthConfig,
    };
    use keyward_credentials::client_secret::SecretState;
    use keyward_store::clients::Client;
    use keyward_store::secrets::ClientSecret;

    /// Everything the Credentials tab shows of client `c`, for operator `op`.
    pub async fn credentials_view(
        ctx: &AppContext,
        op: &keyward_store::operators::Operator,
        r: &keyward_store::realms::Realm,
        c: Client,
    ) -> Result<CredentialsView, AppError> {
        let now = now();
        let secrets = keyward_store::secrets::list(&ctx.db, &c.client_row_id).await?;
        let recent = keyward_store::auth_events::recent(&ctx.db, &c.client_row_id, 20).await?;
        Ok(CredentialsView {
            client_id: c.client_id,
            public_client: c.public_client,
            version: c.version,
            authenticator: c.authenticator,
            signing_alg: c.signing_alg,
            assertion_max_exp_s: c.assertion_max_exp_s,
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
        }
    }

    /// A stored secret's value, unsealed for an operator or API caller who asked to see it,
    /// and audited as a reveal of `resource_path`; `None` when Keyward does not hold the value
    /// (it was created before reveal was allowed). The caller checks role and realm policy.
    pub async fn reveal(
        ctx: &AppContext,
        actor: &Actor,
        realm: &keyward_store::realms::Realm,
        client: &Client,
        s: &ClientSecret,
        resource_path: &str,
    ) -> Result<Option<keyward_credentials::secret::SecretString>, AppError> {
        use keyward_credentials::seal::{context, Sealed};
        let Some((bytes, key_id)) = s.sealed.clone() else {
            return Ok(None);
        };
        let plain = ctx
            .vault
            .open(context::CLIENT_SECRET, &Sealed { key_id, bytes })
            .map_err(internal)?;
        let value = String::from_utf8(plain.to_vec()).map_err(internal)?;
        audit_as(
            ctx,
            actor,
            Some(&realm.realm_id),
            Some(&client.client_row_id),
            "ACTION",
            resource_path,
            serde_json::json!({ "action": "reveal", "secretId": s.secret_id, "label": s.label }),
        )
        .await?;
        Ok(Some(keyward_credentials::secret::SecretString::new(value)))
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

    pub fn method(id: &str) -> Result<&'static dyn Authenticator, AppError> {
        authenticator::by_id(id).ok_or_else(|| {
            AppError::Invalid(format!(
                "unknown authentication method {id:?}; choose one of {}",
                authenticator::REGISTRY
                    .iter()
                    .map(|a| a.id())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }

    pub fn auth_config(c: &Client) -> ClientAuthConfig {
        ClientAuthConfig {
            client_id: c.client_id.clone(),
            enabled: c.enabled,
            public_client: c.public_client,
            authenticator: c.authenticator.clone(),
            signing_alg: c.signing_alg.clone(),
            assertion_max_exp_s: c.assertion_max_exp_s,
        }
    }

    /// keycloak.json for the client with `secret` filled in (placeholders elsewhere).
    pub fn keycloak_json(
        ctx: &AppContext,
        realm: &str,
        c: &Client,
        secret: Option<&str>,
    ) -> String {
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
            &ctx.settings.public_url,
            &c.client_id,
            c.public_client,
            credentials,
        )
    }

    /// Generates a new secret for a confidential client, as the client's method needs it
    /// (sealed for client-secret-jwt or when the realm allows reveal), keeps earlier ones valid
    /// for `overlap` seconds, and audits it without the value. Returns the new row and value.
    pub async fn regenerate(
        ctx: &AppContext,
        actor: &Actor,
        r: &keyward_store::realms::Realm,
        c: &Client,
        label: &str,
        overlap: i64,
        expires_at: Option<i64>,
    ) -> Result<(ClientSecret, keyward_credentials::secret::SecretString), AppError> {
        use keyward_credentials::client_secret;
        use keyward_credentials::seal::context;
        let now = now();
        let m = method(&c.authenticator)?;
        // A client-secret-jwt secret is long enough for every HMAC algorithm (HS512: 64 bytes), so
        // pinning or changing the algorithm later never makes it unusable.
        let hmac_alg = m.needs_plaintext_secret().then_some("HS512");
        let value = client_secret::generate(&mut rand::rngs::OsRng, hmac_alg);
        let verifier = ctx.vault.verifier(value.expose());
        let sealed = (m.needs_plaintext_secret() || r.allow_secret_reveal).then(|| {
            ctx.vault
                .seal(context::CLIENT_SECRET, value.expose().as_bytes())
        });
        let rotation = keyward_store::secrets::rotate(
            &ctx.db,
            &c.client_row_id,
            &keyward_store::secrets::NewSecret {
                label,
                verifier: &verifier.0,
                sealed: sealed
                    .as_ref()
                    .map(|s| (s.bytes.as_slice(), s.key_id.as_str())),
                expires_at,
                created_by: &actor.name,
            },
            now + overlap,
            now,
        )
        .await?;
        audit_as(
            ctx,
            actor,
            Some(&r.realm_id),
            Some(&c.client_row_id),
            "ACTION",
            &format!("clients/{}/client-secret", c.client_row_id),
            serde_json::json!({
                "action": "regenerate",
                "secretId": rotation.created.secret_id,
                "label": label,
                "expiresAt": expires_at,
                "overlapSeconds": overlap,
                "previousSecretIds": rotation.previous,
                "sealed": sealed.is_some(),
            }),
        )
        .await?;
        Ok((rotation.created, value))
    }
}

#[server(endpoint = "get_credentials", output = crate::codec::StrJson)]
pub async fn get_credentials(realm: String, id: String) -> Result<CredentialsView, AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Viewer, None).await?;
    let (r, c) = realm_and_client(&ctx, &realm, &id).await?;
    self::server::credentials_view(&ctx, &op, &r, c).await
}

/// The Credentials tab: the method form's data and the rendered panel of secrets and recent
/// authentications (a viewer's panel has no forms).
#[server(endpoint = "credentials_tab", output = crate::codec::StrJson)]
pub async fn credentials_tab(realm: String, id: String) -> Result<CredentialsTabView, AppError> {
    use crate::credentials_page::ssr::{panel, regenerate_form};
    use crate::panel::PanelContext;
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Viewer, None).await?;
    let (r, c) = realm_and_client(&ctx, &realm, &id).await?;
    let v = self::server::credentials_view(&ctx, &op, &r, c).await?;
    let csrf = session_csrf(&session().await?).await?;
    let cx = PanelContext {
        manager: op.role.allows(Role::Manager),
        csrf: &csrf,
        realm: &realm,
        id: &id,
    };
    let panel = panel(&v, &cx);
    let regenerate_form = if cx.manager {
        regenerate_form(&v, &cx)
    } else {
        String::new()
    };
    Ok(CredentialsTabView {
        public_client: v.public_client,
        version: v.version,
        authenticator: v.authenticator,
        signing_alg: v.signing_alg,
        assertion_max_exp_s: v.assertion_max_exp_s,
        methods: v.methods,
        can_reveal: v.can_reveal,
        panel,
        regenerate_form,
    })
}

/// Sets how the client authenticates. `signing_alg` "" = any algorithm the method allows.
#[allow(clippy::too_many_arguments)]
#[server(endpoint = "set_authenticator", output = crate::codec::StrJson)]
pub async fn set_authenticator(
    csrf: String,
    realm: String,
    id: String,
    version: i64,
    authenticator: String,
    signing_alg: String,
    assertion_max_exp_s: String,
) -> Result<i64, AppError> {
    use self::server::*;
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let (r, c) = client_to_change(&ctx, &op, &realm, &id).await?;
    if c.public_client {
        return Err(AppError::Invalid(
            "a public client has no authentication method; make it confidential in Settings first"
                .into(),
        ));
    }
    let m = method(&authenticator)?;
    let signing_alg = Some(signing_alg.trim()).filter(|s| !s.is_empty());
    if let Some(alg) = signing_alg {
        if !m.algorithms().contains(&alg) {
            return Err(AppError::Invalid(if m.algorithms().is_empty() {
                format!("{} takes no signature algorithm", m.display_name())
            } else {
                format!(
                    "{alg:?} is not an algorithm of {}; choose one of {}",
                    m.display_name(),
                    m.algorithms().join(", ")
                )
            }));
        }
    }
    let max_exp: i64 = assertion_max_exp_s.trim().parse().map_err(|_| {
        AppError::Invalid("the maximum assertion lifetime must be a whole number of seconds".into())
    })?;
    if !(1..=MAX_ASSERTION_LIFETIME_S).contains(&max_exp) {
        return Err(AppError::Invalid(format!(
            "the maximum assertion lifetime must be between 1 and {MAX_ASSERTION_LIFETIME_S} seconds"
        )));
    }
    let updated = keyward_store::clients::set_authentication(
        &ctx.db,
        &r.realm_id,
        &c.client_row_id,
        version,
        &keyward_store::clients::AuthenticationUpdate {
            authenticator: m.id(),
            signing_alg,
            assertion_max_exp_s: max_exp,
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
        serde_json::json!({
            "clientAuthenticatorType": m.id(),
            "previousClientAuthenticatorType": c.authenticator,
            "signingAlg": signing_alg,
            "assertionMaxExpSeconds": max_exp,
            "version": updated.version,
        }),
    )
    .await?;
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
#[server(endpoint = "regenerate_secret", output = crate::codec::StrJson)]
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
    use keyward_credentials::client_secret;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let (r, c) = client_to_change(&ctx, &op, &realm, &id).await?;
    if c.public_client {
        return Err(AppError::Invalid(
            "a public client has no secret; make it confidential in Settings first".into(),
        ));
    }
    let now = now();
    let label = client_secret::label(&label).map_err(AppError::Invalid)?;
    let overlap = parse_overlap_hours(&overlap_hours, r.secret_overlap_default_s)?;
    client_secret::check_overlap(overlap, r.secret_overlap_max_s).map_err(AppError::Invalid)?;
    let expires_at = parse_expiry_days(&expires_in_days, now)?;
    client_secret::check_expiry(now, expires_at).map_err(AppError::Invalid)?;

    let actor = console_actor(&op).await;
    let (created, value) = regenerate(&ctx, &actor, &r, &c, &label, overlap, expires_at).await?;
    let keycloak_json = keycloak_json(&ctx, &realm, &c, Some(value.expose()));
    Ok(NewSecretView {
        secret: secret_view(&created, now),
        value: value.expose().to_string(),
        keycloak_json,
    })
}

/// Revokes one secret at once.
#[server(endpoint = "revoke_secret", output = crate::codec::StrJson)]
pub async fn revoke_secret(
    csrf: String,
    realm: String,
    id: String,
    secret_id: String,
) -> Result<SecretView, AppError> {
    use self::server::*;
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let (r, c) = client_to_change(&ctx, &op, &realm, &id).await?;
    let now = now();
    let before = keyward_store::secrets::get(&ctx.db, &c.client_row_id, &secret_id)
        .await
        .map_err(not_found("Secret"))?;
    if before.revoked_at.is_some() {
        return Err(AppError::Conflict("this secret is already revoked".into()));
    }
    let s = keyward_store::secrets::revoke(&ctx.db, &c.client_row_id, &secret_id, now)
        .await
        .map_err(not_found("Secret"))?;
    audit(
        &ctx,
        &op,
        Some(&r.realm_id),
        Some(&c.client_row_id),
        "ACTION",
        &format!("clients/{}/secrets/{}", c.client_row_id, s.secret_id),
        serde_json::json!({ "action": "revoke", "secretId": s.secret_id, "label": s.label }),
    )
    .await?;
    Ok(secret_view(&s, now))
}

/// Shows a stored secret again: only for admins, only where the realm allows it; audited.
#[server(endpoint = "reveal_secret", output = crate::codec::StrJson)]
pub async fn reveal_secret(
    csrf: String,
    realm: String,
    id: String,
    secret_id: String,
) -> Result<String, AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Admin, Some(&csrf)).await?;
    let (r, c) = client_to_change(&ctx, &op, &realm, &id).await?;
    if !r.allow_secret_reveal {
        return Err(AppError::Forbidden);
    }
    let s = keyward_store::secrets::get(&ctx.db, &c.client_row_id, &secret_id)
        .await
        .map_err(not_found("Secret"))?;
    let path = format!("clients/{}/secrets/{}", c.client_row_id, s.secret_id);
    match server::reveal(&ctx, &console_actor(&op).await, &r, &c, &s, &path).await? {
        Some(value) => Ok(value.expose().to_owned()),
        None => Err(AppError::Conflict(
            "Keyward does not hold this secret's value (it was created before reveal was allowed)"
                .into(),
        )),
    }
}

/// Changes the realm's secret policy (admin: reveal is a security decision).
#[server(endpoint = "update_secret_policy", output = crate::codec::StrJson)]
pub async fn update_secret_policy(
    csrf: String,
    realm: String,
    overlap_default_hours: String,
    overlap_max_hours: String,
    allow_reveal: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Admin, Some(&csrf)).await?;
    let r = keyward_store::realms::get_by_name(&ctx.db, &realm)
        .await
        .map_err(not_found(format!("Realm {realm:?}")))?;
    let hours = |name: &str, raw: &str| -> Result<i64, AppError> {
        raw.trim()
            .parse::<i64>()
            .ok()
            .filter(|h| (0..=24 * 365).contains(h))
            .map(|h| h * 3600)
            .ok_or_else(|| AppError::Invalid(format!("{name} must be 0 to 8760 hours")))
    };
    let default_s = hours("the default overlap", &overlap_default_hours)?;
    let max_s = hours("the maximum overlap", &overlap_max_hours)?;
    if default_s > max_s {
        return Err(AppError::Invalid(
            "the default overlap cannot exceed the maximum".into(),
        ));
    }
    let policy = keyward_store::realms::SecretPolicy {
        overlap_default_s: default_s,
        overlap_max_s: max_s,
        allow_reveal: allow_reveal.is_some(),
    };
    keyward_store::realms::update_secret_policy(&ctx.db, &realm, &policy).await?;
    audit(
        &ctx,
        &op,
        Some(&r.realm_id),
        None,
        "UPDATE",
        "realm/secret-policy",
        serde_json::json!({
            "secretOverlapDefaultSeconds": default_s,
            "secretOverlapMaxSeconds": max_s,
            "allowSecretReveal": policy.allow_reveal,
        }),
    )
    .await?;
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
