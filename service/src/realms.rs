//! A realm's token policy (signing algorithm, access-token lifetime, strict assertion audience)
//! and its signing keys. The console's Realm settings and the Admin REST API's
//! RealmRepresentation (`accessTokenLifespan`, `defaultSignatureAlgorithm`) change the policy
//! through one use case, [`update_token_policy`].
//!
//! Invariant: a realm key's private half is stored only sealed under the master key.

use keyward_credentials::access_token::{RealmPrivateKey, SigningAlg};
use keyward_credentials::operator::Role;
use keyward_credentials::seal::context;
use keyward_store::realm_keys::{self, NewRealmKey, RealmKey};
use keyward_store::realms::{self, Realm};

use crate::context::{audit, realm_of, Actor, Services};
use crate::error::{internal, Result, ServiceError};

/// Shortest access-token lifetime an admin may set, in seconds.
pub const MIN_TOKEN_LIFETIME_S: i64 = 10;
/// Longest access-token lifetime an admin may set (1 day).
pub const MAX_TOKEN_LIFETIME_S: i64 = 86_400;

/// Generates a realm signing key, seals it under the master key and makes it the active one
/// (the previous active key turns passive: still in certs). The one way realm keys are made,
/// by the console and by the token endpoint on first use. An RS256 key is published with a
/// self-signed certificate naming the realm (`x5c`), as Keycloak's.
pub async fn create_realm_key(
    svc: &Services,
    realm_id: &str,
    realm_name: &str,
    alg: SigningAlg,
    now: i64,
) -> Result<(RealmKey, RealmPrivateKey)> {
    let cn = realm_name.to_owned();
    let key = tokio::task::spawn_blocking(move || {
        RealmPrivateKey::generate(alg)?.with_certificate(&cn, now)
    })
    .await
    .map_err(internal)?
    .map_err(internal)?;
    let sealed = svc.vault.seal(context::REALM_KEY, key.pkcs8_der());
    let jwk = key.public_jwk().to_string();
    let row = realm_keys::rotate_in(
        &svc.db,
        realm_id,
        &NewRealmKey {
            kid: key.kid(),
            alg: alg.as_str(),
            sealed_private_key: &sealed.bytes,
            master_key_id: &sealed.key_id,
            public_jwk: &jwk,
        },
        now,
    )
    .await?;
    Ok((row, key))
}

/// A change of a realm's token policy; `None` fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenPolicyChange {
    /// A JWS name: `ES256` or `RS256`.
    pub signing_alg: Option<String>,
    pub access_token_lifetime_s: Option<i64>,
    pub strict_audience: Option<bool>,
}

/// The algorithm and lifetime `change` names, checked (no realm needed: a new realm's are
/// checked before it is created).
pub fn check_token_policy(change: &TokenPolicyChange) -> Result<(Option<SigningAlg>, Option<i64>)> {
    let alg = match change.signing_alg.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(a) => Some(SigningAlg::parse(a).ok_or_else(|| {
            ServiceError::Invalid(format!(
                "the signing algorithm (defaultSignatureAlgorithm) must be ES256 or RS256, not {a:?}"
            ))
        })?),
    };
    if let Some(lifetime) = change.access_token_lifetime_s {
        if !(MIN_TOKEN_LIFETIME_S..=MAX_TOKEN_LIFETIME_S).contains(&lifetime) {
            return Err(ServiceError::Invalid(format!(
                "the access-token lifetime (accessTokenLifespan) must be {MIN_TOKEN_LIFETIME_S} to {MAX_TOKEN_LIFETIME_S} seconds"
            )));
        }
    }
    Ok((alg, change.access_token_lifetime_s))
}

/// Checks `change` against realm `r` without writing; `None` when it changes nothing.
pub fn validate_token_policy(
    r: &Realm,
    change: &TokenPolicyChange,
) -> Result<Option<(SigningAlg, i64, bool)>> {
    let (alg, lifetime) = check_token_policy(change)?;
    let current = SigningAlg::parse(&r.token_signing_alg).unwrap_or_default();
    let alg = alg.unwrap_or(current);
    let lifetime = lifetime.unwrap_or(r.access_token_lifetime_s);
    let strict = change.strict_audience.unwrap_or(r.strict_audience);
    if alg == current && lifetime == r.access_token_lifetime_s && strict == r.strict_audience {
        return Ok(None);
    }
    Ok(Some((alg, lifetime, strict)))
}

/// Use case: changes a realm's token policy (admin). A new algorithm takes effect with the
/// next token, which makes a key of it. Audited with the whole new policy.
pub async fn update_token_policy(
    svc: &Services,
    actor: &Actor,
    realm: &str,
    change: &TokenPolicyChange,
) -> Result<Realm> {
    actor.require(Role::Admin)?;
    let r = realm_of(svc, realm).await?;
    let Some((alg, lifetime, strict)) = validate_token_policy(&r, change)? else {
        return Ok(r);
    };
    let updated = realms::update_token_policy(
        &svc.db,
        &r.name,
        &realms::TokenPolicy {
            strict_audience: strict,
            access_token_lifetime_s: lifetime,
            token_signing_alg: alg.as_str(),
        },
    )
    .await?;
    audit(
        svc,
        actor,
        Some(&r.realm_id),
        None,
        "UPDATE",
        "realm/token-policy",
        serde_json::json!({
            "tokenSigningAlg": alg.as_str(),
            "accessTokenLifetimeSeconds": lifetime,
            "strictAudience": strict,
        }),
    )
    .await?;
    Ok(updated)
}
