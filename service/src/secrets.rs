//! Client secrets: generate (with an overlap for the previous ones), revoke, reveal, and the
//! realm's secret policy. One function per use case, used by the console and the Admin REST API
//! alike, so both refuse the same input with the same message and write the same audit record.
//!
//! Invariants: a secret's value leaves these functions only to the caller that created it, or
//! through [`revealable`] (an admin, in a realm that allows reveal; audited as a reveal); audit
//! details never hold a value.

use keyward_credentials::client_secret;
use keyward_credentials::operator::Role;
use keyward_credentials::secret::SecretString;
use keyward_store::clients::Client;
use keyward_store::realms::{self, Realm};
use keyward_store::secrets::{self, ClientSecret};

use crate::context::{audit, client_to_change, now, Actor, Services};
use crate::error::{internal, not_found, Result, ServiceError};

/// What a new secret is asked to be.
#[derive(Clone, Debug, Default)]
pub struct NewSecret<'a> {
    /// Free text naming it ("" = none).
    pub label: &'a str,
    /// How long the client's earlier secrets stay valid, in seconds; `None`: the realm's
    /// default overlap.
    pub overlap_s: Option<i64>,
    /// Epoch seconds; `None`: never.
    pub expires_at: Option<i64>,
}

/// A secret just made: the only time its value is handed out (unless the realm allows reveal).
pub struct Created {
    pub realm: Realm,
    pub client: Client,
    pub secret: ClientSecret,
    pub value: SecretString,
}

/// Use case: a new secret for a confidential client (manager). The earlier secrets stay valid
/// for the overlap (0 = revoked now). Checked: the gate, a confidential client, the label, the
/// overlap against the realm's maximum, an expiry in the future.
pub async fn generate(
    svc: &Services,
    actor: &Actor,
    realm: &str,
    id: &str,
    req: &NewSecret<'_>,
) -> Result<Created> {
    let (r, c) = confidential_client_to_change(svc, actor, realm, id).await?;
    let now = now();
    let label = client_secret::label(req.label).map_err(ServiceError::Invalid)?;
    let overlap = req.overlap_s.unwrap_or(r.secret_overlap_default_s);
    client_secret::check_overlap(overlap, r.secret_overlap_max_s).map_err(ServiceError::Invalid)?;
    client_secret::check_expiry(now, req.expires_at).map_err(ServiceError::Invalid)?;
    check_lifetime(&r, now, req.expires_at)?;
    // Every generated secret is long enough for every HMAC algorithm (HS512: 64 bytes), so
    // pinning or changing a client-secret-jwt client's algorithm later never makes it unusable.
    let value = client_secret::generate(
        &mut rand::rngs::OsRng,
        r.lifecycle.secret_prefix_segment.as_deref(),
    );
    let (secret, value) = rotate(
        svc,
        actor,
        &r,
        &c,
        &label,
        overlap,
        req.expires_at,
        value,
        "regenerate",
    )
    .await?;
    Ok(Created {
        realm: r,
        client: c,
        secret,
        value,
    })
}

/// The gate of every secret-making use case: a manager's change to a confidential client.
async fn confidential_client_to_change(
    svc: &Services,
    actor: &Actor,
    realm: &str,
    id: &str,
) -> Result<(Realm, Client)> {
    let (r, c) = client_to_change(svc, actor, Role::Manager, realm, id).await?;
    if c.public_client {
        return Err(ServiceError::Invalid(
            "a public client has no secret; make it confidential first".into(),
        ));
    }
    Ok((r, c))
}

/// Checks a new secret's expiry against the realm's lifetime policies.
pub fn check_lifetime(r: &Realm, now: i64, expires_at: Option<i64>) -> Result<()> {
    client_secret::check_lifetime(
        now,
        expires_at,
        r.lifecycle.secret_max_lifetime_s,
        r.lifecycle.secret_must_expire,
    )
    .map_err(ServiceError::Invalid)
}

/// What a secret brought from elsewhere is (Keycloak's `secret` on a client representation).
pub struct Imported<'a> {
    pub value: &'a SecretString,
    pub label: &'a str,
    pub expires_at: Option<i64>,
}

/// Use case: a secret brought from elsewhere becomes the client's secret (manager), as
/// Keycloak's `secret` on a client does: earlier secrets end at once. Checked: the gate, a
/// confidential client, the value ([`client_secret::check_imported`]: a `kw_` value with a bad
/// checksum is refused, so the token endpoint's pre-check never refuses an accepted value),
/// the label, the expiry and the realm's lifetime policies.
pub async fn import(
    svc: &Services,
    actor: &Actor,
    realm: &str,
    id: &str,
    req: &Imported<'_>,
) -> Result<ClientSecret> {
    let (r, c) = confidential_client_to_change(svc, actor, realm, id).await?;
    let m = crate::clients::method(&c.authenticator)?;
    let hmac = m.needs_plaintext_secret().then_some("HS256");
    client_secret::check_imported(req.value.expose(), hmac).map_err(ServiceError::Invalid)?;
    let now = now();
    let label = client_secret::label(req.label).map_err(ServiceError::Invalid)?;
    client_secret::check_expiry(now, req.expires_at).map_err(ServiceError::Invalid)?;
    check_lifetime(&r, now, req.expires_at)?;
    let (secret, _) = rotate(
        svc,
        actor,
        &r,
        &c,
        &label,
        0,
        req.expires_at,
        req.value.clone(),
        "import",
    )
    .await?;
    Ok(secret)
}

/// Writes a new secret `value`, as the client's method needs it (sealed for client-secret-jwt
/// or when the realm allows reveal), keeps earlier ones valid for `overlap` seconds, and audits
/// it (as `action`) without the value. The checks are the caller's.
#[allow(clippy::too_many_arguments)]
async fn rotate(
    svc: &Services,
    actor: &Actor,
    r: &Realm,
    c: &Client,
    label: &str,
    overlap: i64,
    expires_at: Option<i64>,
    value: SecretString,
    action: &str,
) -> Result<(ClientSecret, SecretString)> {
    use keyward_credentials::seal::context;
    let now = now();
    let m = crate::clients::method(&c.authenticator)?;
    let verifier = svc.vault.verifier(value.expose());
    let sealed = (m.needs_plaintext_secret() || r.allow_secret_reveal).then(|| {
        svc.vault
            .seal(context::CLIENT_SECRET, value.expose().as_bytes())
    });
    let rotation = secrets::rotate(
        &svc.db,
        &c.client_row_id,
        &secrets::NewSecret {
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
    audit(
        svc,
        actor,
        Some(&r.realm_id),
        Some(&c.client_row_id),
        "ACTION",
        &format!("clients/{}/client-secret", c.client_row_id),
        serde_json::json!({
            "action": action,
            "secretId": rotation.created.secret_id,
            "label": label,
            "expiresAt": expires_at,
            "overlapSeconds": overlap,
            "previousSecretIds": rotation.previous,
            "sealed": sealed.is_some(),
        }),
    )
    .await?;
    crate::webhooks::emit(
        svc,
        r,
        crate::webhooks::EventType::Rotated,
        &format!("client:{}", c.client_row_id),
        serde_json::json!({
            "realm": r.name,
            "clientId": c.client_id,
            "clientRowId": c.client_row_id,
            "secretId": rotation.created.secret_id,
            "label": label,
            "action": action,
            "expiresAt": expires_at,
            "previousSecretIds": rotation.previous,
            "previousValidUntil": now + overlap,
        }),
    )
    .await;
    Ok((rotation.created, value))
}

/// Use case: revokes one secret at once (manager); a secret already revoked is a conflict.
pub async fn revoke(
    svc: &Services,
    actor: &Actor,
    realm: &str,
    id: &str,
    secret_id: &str,
) -> Result<ClientSecret> {
    let (r, c) = client_to_change(svc, actor, Role::Manager, realm, id).await?;
    let before = secrets::get(&svc.db, &c.client_row_id, secret_id)
        .await
        .map_err(not_found("Secret"))?;
    if before.revoked_at.is_some() {
        return Err(ServiceError::Conflict(
            "this secret is already revoked".into(),
        ));
    }
    let s = secrets::revoke(&svc.db, &c.client_row_id, secret_id, now())
        .await
        .map_err(not_found("Secret"))?;
    audit(
        svc,
        actor,
        Some(&r.realm_id),
        Some(&c.client_row_id),
        "ACTION",
        &format!("clients/{}/secrets/{}", c.client_row_id, s.secret_id),
        serde_json::json!({ "action": "revoke", "secretId": s.secret_id, "label": s.label }),
    )
    .await?;
    crate::webhooks::emit(
        svc,
        &r,
        crate::webhooks::EventType::Revoked,
        &format!("secret:{}", s.secret_id),
        serde_json::json!({
            "realm": r.name,
            "clientId": c.client_id,
            "clientRowId": c.client_row_id,
            "secretId": s.secret_id,
            "label": s.label,
            "revokedAt": s.revoked_at,
        }),
    )
    .await;
    Ok(s)
}

/// A stored secret's value when `actor` may see it: an admin, in a realm that allows reveal, a
/// sealed secret; audited as a reveal of `resource_path`. `None` otherwise (nothing audited).
pub async fn revealable(
    svc: &Services,
    actor: &Actor,
    r: &Realm,
    c: &Client,
    s: &ClientSecret,
    resource_path: &str,
) -> Result<Option<SecretString>> {
    use keyward_credentials::seal::{context, Sealed};
    if !actor.role.allows(Role::Admin) || !r.allow_secret_reveal {
        return Ok(None);
    }
    let Some((bytes, key_id)) = s.sealed.clone() else {
        return Ok(None);
    };
    let plain = svc
        .vault
        .open(context::CLIENT_SECRET, &Sealed { key_id, bytes })
        .map_err(internal)?;
    let value = String::from_utf8(plain.to_vec()).map_err(internal)?;
    audit(
        svc,
        actor,
        Some(&r.realm_id),
        Some(&c.client_row_id),
        "ACTION",
        resource_path,
        serde_json::json!({ "action": "reveal", "secretId": s.secret_id, "label": s.label }),
    )
    .await?;
    Ok(Some(SecretString::new(value)))
}

/// Use case: shows one stored secret again (admin, in a realm that allows reveal; audited).
pub async fn reveal(
    svc: &Services,
    actor: &Actor,
    realm: &str,
    id: &str,
    secret_id: &str,
) -> Result<SecretString> {
    let (r, c) = client_to_change(svc, actor, Role::Admin, realm, id).await?;
    if !r.allow_secret_reveal {
        return Err(ServiceError::Denied(format!(
            "realm {} does not allow secrets to be shown again (Realm settings)",
            r.name
        )));
    }
    let s = secrets::get(&svc.db, &c.client_row_id, secret_id)
        .await
        .map_err(not_found("Secret"))?;
    let path = format!("clients/{}/secrets/{}", c.client_row_id, s.secret_id);
    revealable(svc, actor, &r, &c, &s, &path)
        .await?
        .ok_or_else(|| {
            ServiceError::Conflict(
                "Keyward does not hold this secret's value (it was created before reveal was allowed)"
                    .into(),
            )
        })
}

/// The realm's secret policy, as asked for.
#[derive(Clone, Copy, Debug)]
pub struct PolicyChange {
    pub overlap_default_s: i64,
    pub overlap_max_s: i64,
    pub allow_reveal: bool,
}

/// Longest overlap a realm may allow, in seconds (a year).
pub const MAX_OVERLAP_S: i64 = 365 * 86_400;

/// Use case: changes the realm's secret policy (admin: reveal is a security decision).
pub async fn update_policy(
    svc: &Services,
    actor: &Actor,
    realm: &str,
    change: PolicyChange,
) -> Result<Realm> {
    actor.require(Role::Admin)?;
    let r = crate::context::realm_of(svc, realm).await?;
    for (name, v) in [
        ("the default overlap", change.overlap_default_s),
        ("the maximum overlap", change.overlap_max_s),
    ] {
        if !(0..=MAX_OVERLAP_S).contains(&v) {
            return Err(ServiceError::Invalid(format!(
                "{name} must be 0 to 8760 hours"
            )));
        }
    }
    if change.overlap_default_s > change.overlap_max_s {
        return Err(ServiceError::Invalid(
            "the default overlap cannot exceed the maximum".into(),
        ));
    }
    let policy = realms::SecretPolicy {
        overlap_default_s: change.overlap_default_s,
        overlap_max_s: change.overlap_max_s,
        allow_reveal: change.allow_reveal,
    };
    let updated = realms::update_secret_policy(&svc.db, &r.name, &policy).await?;
    audit(
        svc,
        actor,
        Some(&r.realm_id),
        None,
        "UPDATE",
        "realm/secret-policy",
        serde_json::json!({
            "secretOverlapDefaultSeconds": change.overlap_default_s,
            "secretOverlapMaxSeconds": change.overlap_max_s,
            "allowSecretReveal": change.allow_reveal,
        }),
    )
    .await?;
    Ok(updated)
}

/// Longest secret lifetime a realm may set, in seconds (two years, Entra's cap).
pub const MAX_SECRET_LIFETIME_S: i64 = 2 * 365 * 86_400;
/// Longest certificate validity a realm may cap generated keystores at, in years (the
/// generator's own maximum).
pub const MAX_KEYSTORE_VALIDITY_YEARS: i64 = 10;
/// Longest grace a leaked secret may keep working, in seconds (seven days).
pub const MAX_LEAK_GRACE_S: i64 = 7 * 86_400;

/// Checks a lifecycle policy, naming the field that is wrong.
pub fn check_lifecycle(p: &realms::LifecyclePolicy) -> Result<realms::LifecyclePolicy> {
    let mut p = p.clone();
    p.secret_prefix_segment = match p.secret_prefix_segment.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(keyward_credentials::scannable::segment(s).map_err(ServiceError::Invalid)?),
    };
    if let Some(l) = p.secret_max_lifetime_s {
        if !(86_400..=MAX_SECRET_LIFETIME_S).contains(&l) {
            return Err(ServiceError::Invalid(
                "the maximum secret lifetime is 1 day to 2 years (or unlimited)".into(),
            ));
        }
    }
    if let Some(y) = p.keystore_max_validity_years {
        if !(1..=MAX_KEYSTORE_VALIDITY_YEARS).contains(&y) {
            return Err(ServiceError::Invalid(format!(
                "the maximum keystore certificate validity is 1 to {MAX_KEYSTORE_VALIDITY_YEARS} years (or unlimited)"
            )));
        }
    }
    if !(0..=MAX_LEAK_GRACE_S).contains(&p.leak_grace_s) {
        return Err(ServiceError::Invalid(
            "a leaked secret's grace period is 0 to 168 hours".into(),
        ));
    }
    Ok(p)
}

/// Use case: changes the realm's lifecycle policy (admin): the segment of new secrets, their
/// maximum lifetime, whether they must expire, generated keystores' maximum validity, and what
/// a verified leak report does. Applies to what is made from now on; nothing stored changes.
pub async fn update_lifecycle(
    svc: &Services,
    actor: &Actor,
    realm: &str,
    change: &realms::LifecyclePolicy,
) -> Result<Realm> {
    actor.require(Role::Admin)?;
    let r = crate::context::realm_of(svc, realm).await?;
    let p = check_lifecycle(change)?;
    let updated = realms::update_lifecycle_policy(&svc.db, &r.name, &p).await?;
    audit(
        svc,
        actor,
        Some(&r.realm_id),
        None,
        "UPDATE",
        "realm/secret-lifecycle",
        lifecycle_json(&p),
    )
    .await?;
    Ok(updated)
}

/// A lifecycle policy as the Admin REST API and the audit show it.
pub fn lifecycle_json(p: &realms::LifecyclePolicy) -> serde_json::Value {
    serde_json::json!({
        "secretPrefixSegment": p.secret_prefix_segment,
        "secretMaxLifetimeSeconds": p.secret_max_lifetime_s,
        "secretsMustExpire": p.secret_must_expire,
        "keystoreMaxValidityYears": p.keystore_max_validity_years,
        "leakAction": p.leak_action.as_str(),
        "leakGraceSeconds": p.leak_grace_s,
    })
}
