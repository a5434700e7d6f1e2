//! A client's public keys: import (PEM, JWK, JWKS, JKS, PKCS12), generation of a keystore whose
//! private key is never stored, the JWKS URL, turning keys on and off, deleting them. The console
//! and the Admin REST API (Keycloak's `certificates/jwt.credential` and Keyward's `keys`) change
//! keys only through these functions.
//!
//! Callers pass the client through the gate ([`crate::context::client_to_change`]) first; these
//! functions validate, write and audit (audit details name public identifiers only).

use keyward_credentials::keys::{self, ImportError, ImportedKey};
use keyward_store::keys::ClientKey;

use crate::context::{audit, now, Actor, Services};
use crate::error::{internal, not_found, ServiceError};

pub fn import_error(e: ImportError) -> ServiceError {
    ServiceError::Invalid(e.to_string())
}

/// What an audit event says about a key: never more than public identifiers.
pub fn key_details(k: &ClientKey) -> serde_json::Value {
    serde_json::json!({
        "keyId": k.key_id,
        "kid": k.kid.clone().unwrap_or_else(|| keyward_credentials::authenticator::client_jwt::keycloak_kid(&k.spki_der)),
        "thumbprint": k.thumbprint_s256,
        "source": k.source,
        "active": k.active,
    })
}

/// Turns a registered key on or off, audited (console and Admin API).
pub async fn set_active(
    ctx: &Services,
    actor: &Actor,
    realm: &keyward_store::realms::Realm,
    client: &keyward_store::clients::Client,
    key_id: &str,
    active: bool,
) -> Result<(), ServiceError> {
    let k = keyward_store::keys::set_active(&ctx.db, &client.client_row_id, key_id, active)
        .await
        .map_err(not_found("Key"))?;
    audit_key(ctx, actor, realm, client, "UPDATE", &k).await
}

/// Deletes a registered key, audited (console and Admin API).
pub async fn delete(
    ctx: &Services,
    actor: &Actor,
    realm: &keyward_store::realms::Realm,
    client: &keyward_store::clients::Client,
    key_id: &str,
) -> Result<(), ServiceError> {
    let k = keyward_store::keys::delete(&ctx.db, &client.client_row_id, key_id)
        .await
        .map_err(not_found("Key"))?;
    audit_key(ctx, actor, realm, client, "DELETE", &k).await
}

/// Audits `operation` on a client's key, with [`key_details`].
async fn audit_key(
    ctx: &Services,
    actor: &Actor,
    realm: &keyward_store::realms::Realm,
    client: &keyward_store::clients::Client,
    operation: &str,
    k: &ClientKey,
) -> Result<(), ServiceError> {
    let path = format!("clients/{}/keys/{}", client.client_row_id, k.key_id);
    let (realm, client) = (
        Some(realm.realm_id.as_str()),
        Some(client.client_row_id.as_str()),
    );
    audit(ctx, actor, realm, client, operation, &path, key_details(k)).await
}

/// The store row for an imported key.
pub fn facts_of(k: &ImportedKey) -> Result<keys::KeyFacts, ServiceError> {
    keys::facts(&k.spki_der, k.certificate_der.as_deref()).map_err(import_error)
}

/// What an import does with a key the client already has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlreadyRegistered {
    /// Refuse the import with a 409 (the console: the operator learns it is there).
    Conflict,
    /// Keep the one copy and answer as if it was uploaded (Keycloak's `upload-certificate`,
    /// so a provisioning script can be run again).
    Keep,
}

/// Parses an uploaded file (off the async runtime: keystores cost PBKDF work), registers
/// the public keys it holds and audits each. Nothing is stored when the file is refused.
/// Returns the file's keys as registered (with `Keep`, those it already had too).
#[allow(clippy::too_many_arguments)]
pub async fn import(
    ctx: &Services,
    actor: &Actor,
    r: &keyward_store::realms::Realm,
    c: &keyward_store::clients::Client,
    format: Option<keys::KeyFormat>,
    bytes: Vec<u8>,
    store_password: Option<&str>,
    alias: Option<&str>,
    already_registered: AlreadyRegistered,
) -> Result<Vec<ClientKey>, ServiceError> {
    use keys::ImportRequest;
    // Keystores are decrypted off the async runtime (PBKDF work); the request owns the bytes.
    let imported = tokio::task::spawn_blocking({
        let store_password = store_password.map(|p| zeroize::Zeroizing::new(p.to_owned()));
        let alias = alias.map(str::to_owned);
        move || {
            keys::import(&ImportRequest {
                format,
                bytes: &bytes,
                store_password: store_password.as_ref().map(|p| p.as_str()),
                alias: alias.as_deref(),
            })
        }
    })
    .await
    .map_err(internal)?
    .map_err(import_error)?;
    let now = now();
    let mut rows = Vec::with_capacity(imported.len());
    let mut facts = Vec::with_capacity(imported.len());
    for k in &imported {
        facts.push(facts_of(k)?);
    }
    let registered: Vec<ClientKey> = match already_registered {
        AlreadyRegistered::Conflict => Vec::new(),
        AlreadyRegistered::Keep => keyward_store::keys::list(&ctx.db, &c.client_row_id).await?,
    };
    let mut kept = Vec::new();
    for (k, f) in imported.iter().zip(&facts) {
        if let Some(existing) = registered
            .iter()
            .find(|r| r.thumbprint_s256 == f.jwk_thumbprint)
        {
            kept.push(existing.clone());
            continue;
        }
        let cert = f.certificate.as_ref();
        rows.push(keyward_store::keys::NewKey {
            kid: k.kid.as_deref(),
            kty: &f.kty,
            alg: k.alg.as_deref(),
            spki_der: &k.spki_der,
            certificate_der: k.certificate_der.as_deref(),
            thumbprint_s256: &f.jwk_thumbprint,
            source: k.format.id(),
            not_before: cert.map(|c| c.not_before),
            not_after: cert.map(|c| c.not_after),
        });
    }
    let created =
        keyward_store::keys::insert_many(&ctx.db, &c.client_row_id, &rows, &actor.name, now)
            .await?;
    for k in &created {
        audit_key(ctx, actor, r, c, "CREATE", k).await?;
    }
    // The file's keys, in its order: the new ones and (with `Keep`) those already there.
    let mut all = created;
    all.extend(kept);
    Ok(all)
}

/// What a generated keystore is made of.
pub struct KeystoreSpec<'a> {
    pub algorithm: keyward_credentials::keys::generate::KeyAlgorithm,
    pub format: keyward_credentials::keys::generate::KeystoreFormat,
    pub alias: &'a str,
    pub store_password: &'a str,
    pub key_password: &'a str,
    pub validity_years: u32,
}

/// Generates a key pair and self-signed certificate (off the async runtime), registers the
/// certificate for the client and audits it; the keystore is returned to the caller and the
/// private key is never stored.
pub async fn generate_and_register(
    ctx: &Services,
    actor: &Actor,
    r: &keyward_store::realms::Realm,
    c: &keyward_store::clients::Client,
    spec: &KeystoreSpec<'_>,
) -> Result<(ClientKey, keyward_credentials::keys::generate::Generated), ServiceError> {
    use keyward_credentials::keys::generate::{self, GenerateRequest};
    use zeroize::Zeroizing;
    let now = now();
    if let Some(max) = r.lifecycle.keystore_max_validity_years {
        if i64::from(spec.validity_years) > max {
            return Err(ServiceError::Invalid(format!(
                "this realm's policy \"generated certificates are valid at most {max} year{}\" \
                 refuses a {}-year certificate",
                if max == 1 { "" } else { "s" },
                spec.validity_years
            )));
        }
    }
    let generated = tokio::task::spawn_blocking({
        let (alias, client_id) = (spec.alias.to_owned(), c.client_id.clone());
        let (store_password, key_password) = (
            Zeroizing::new(spec.store_password.to_owned()),
            Zeroizing::new(spec.key_password.to_owned()),
        );
        let (algorithm, format, validity_years) =
            (spec.algorithm, spec.format, spec.validity_years);
        move || {
            generate::generate(&GenerateRequest {
                algorithm,
                format,
                alias: &alias,
                store_password: &store_password,
                key_password: &key_password,
                validity_years,
                common_name: &client_id,
                now,
            })
        }
    })
    .await
    .map_err(internal)?
    .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let facts =
        keyward_credentials::keys::facts(&generated.spki_der, Some(&generated.certificate_der))
            .map_err(import_error)?;
    let cert = facts.certificate.as_ref();
    let created = keyward_store::keys::insert_many(
        &ctx.db,
        &c.client_row_id,
        &[keyward_store::keys::NewKey {
            kid: None,
            kty: &facts.kty,
            alg: None,
            spki_der: &generated.spki_der,
            certificate_der: Some(&generated.certificate_der),
            thumbprint_s256: &facts.jwk_thumbprint,
            source: "generated",
            not_before: cert.map(|c| c.not_before),
            not_after: cert.map(|c| c.not_after),
        }],
        &actor.name,
        now,
    )
    .await?;
    let key = created.into_iter().next().ok_or(ServiceError::Internal)?;
    let mut details = key_details(&key);
    details["generated"] = serde_json::json!({
        "algorithm": spec.algorithm.id(),
        "format": spec.format.id(),
        "alias": spec.alias,
        "validityYears": spec.validity_years,
    });
    audit(
        ctx,
        actor,
        Some(&r.realm_id),
        Some(&c.client_row_id),
        "CREATE",
        &format!("clients/{}/keys/{}", c.client_row_id, key.key_id),
        details,
    )
    .await?;
    Ok((key, generated))
}

/// Checks a JWKS URL setting: a URL is needed to use one; it passes the fetcher's rules
/// (https, not internal unless allowed); at most 2048 characters. The trimmed URL.
pub fn validate_jwks_url(
    ctx: &Services,
    use_jwks_url: bool,
    url: &str,
) -> Result<String, ServiceError> {
    let url = url.trim();
    if url.is_empty() {
        if use_jwks_url {
            return Err(ServiceError::Invalid("enter the JWKS URL to use".into()));
        }
    } else {
        ctx.jwks
            .check_url(url)
            .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    }
    if url.len() > 2048 {
        return Err(ServiceError::Invalid(
            "the URL is longer than 2048 characters".into(),
        ));
    }
    Ok(url.to_owned())
}

/// Sets whether the client's keys come from a JWKS URL, and the URL (checked against the
/// fetcher's rules: https, not internal unless allowed), and audits the change.
pub async fn apply_jwks_url(
    ctx: &Services,
    actor: &Actor,
    r: &keyward_store::realms::Realm,
    c: &keyward_store::clients::Client,
    use_jwks_url: bool,
    url: &str,
) -> Result<(), ServiceError> {
    let url = validate_jwks_url(ctx, use_jwks_url, url)?;
    let url = url.as_str();
    let previous = keyward_store::keys::jwks(&ctx.db, &c.client_row_id).await?;
    keyward_store::keys::set_jwks_url(
        &ctx.db,
        &c.client_row_id,
        use_jwks_url,
        url,
        &actor.name,
        now(),
    )
    .await?;
    audit(
        ctx,
        actor,
        Some(&r.realm_id),
        Some(&c.client_row_id),
        "UPDATE",
        &format!("clients/{}/jwks-url", c.client_row_id),
        serde_json::json!({
            "use.jwks.url": use_jwks_url,
            "jwks.url": url,
            "previous.jwks.url": previous.map(|p| p.jwks_url),
        }),
    )
    .await
}
