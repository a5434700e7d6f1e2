//! Federated client authentication (issue 21 §1–2): the keys of identity providers, fetched
//! only through the one safe fetcher, and a client's bindings to providers.
//!
//! Keys: an `oidc` or `kubernetes` provider's keys come from its `jwksUrl` or, without one, from
//! the `jwks_uri` of its discovery document (`{issuer}/.well-known/openid-configuration`, whose
//! `issuer` must be the provider's); a `spiffe` provider's from its bundle endpoint (a JWKS whose
//! `jwt-svid` keys verify JWT-SVIDs; `spiffe_refresh_hint` sets the refresh). Every URL passes
//! the fetcher's address rules. The last good set is kept when a fetch fails, with the failure
//! recorded for the console; a kid the set lacks refetches at most once per
//! [`REFETCH_INTERVAL_S`] per provider, whichever replica asks.
//!
//! Bindings: a binding names a provider of the client's realm and the token's exact subject, a
//! claims expression, or both; (provider, subject) is unique per realm, so a token without
//! `client_id` names at most one client by subject. An expression that does not parse is refused
//! with its position; nothing is stored then.

use keyward_credentials::authenticator::federated::{self, Origin};
use keyward_credentials::authenticator::{
    ClientPublicKey, FederatedBinding, FederatedProvider, ProviderKind,
};
use keyward_credentials::operator::Role;
use keyward_store::clients::Client;
use keyward_store::federation::{self as store, Binding, KeysFetch, NewBinding, ProviderKeys};
use keyward_store::identity_providers::IdentityProvider;
use keyward_store::realms::Realm;
use keyward_store::{Db, StoreError};
use serde_json::{json, Value};

use crate::context::{audit, guard_client, now, Actor, Services};
use crate::error::{not_found, Result, ServiceError};
use crate::jwks::{JwksFetcher, KeySourceError, MAX_MAX_AGE_S, MIN_MAX_AGE_S};

/// An unknown kid refetches a provider's keys at most this often.
pub const REFETCH_INTERVAL_S: i64 = crate::jwks::REFETCH_INTERVAL_S;
/// The label Keycloak's attributes (`jwt.credential.issuer`, `jwt.credential.sub`) write.
pub const KEYCLOAK_LABEL: &str = "default";
/// Longest binding label and subject.
pub const MAX_LABEL_LEN: usize = 64;
pub const MAX_SUBJECT_LEN: usize = 512;

fn flag(p: &IdentityProvider, key: &str, default: bool) -> bool {
    p.config.get(key).map_or(default, |v| v == "true")
}

/// The provider as the `federated-jwt` method sees it (`None` for an unknown kind).
pub fn provider_of(p: &IdentityProvider) -> Option<FederatedProvider> {
    let kind = ProviderKind::parse(&p.provider_id)?;
    let issuer = match kind {
        ProviderKind::Spiffe => p.config.get("trustDomain")?.clone(),
        _ => p.config.get("issuer")?.clone(),
    };
    Some(FederatedProvider {
        alias: p.alias.clone(),
        kind,
        enabled: p.enabled,
        supports_client_assertions: flag(p, "supportsClientAssertions", true),
        issuer,
        allow_reuse: flag(
            p,
            "supportsClientAssertionReuse",
            kind == ProviderKind::Kubernetes,
        ),
        allow_client_id_audience: flag(p, "allowClientIdAsAudience", false),
        max_exp_s: p
            .config
            .get("federatedClientAssertionMaxExpiration")
            .and_then(|v| v.parse().ok())
            .unwrap_or(3600),
    })
}

/// The provider of the realm that issued a token: a SPIFFE provider by the trust domain of its
/// `sub` (JWT-SVIDs, sent as `jwt-spiffe`), any other by its `iss`.
pub fn issuer_of<'a>(
    providers: &'a [IdentityProvider],
    origin: &Origin,
    spiffe: bool,
) -> Option<&'a IdentityProvider> {
    providers
        .iter()
        .find(|p| match (spiffe, p.provider_id.as_str()) {
            (true, "spiffe") => {
                origin.trust_domain.is_some()
                    && p.config.get("trustDomain") == origin.trust_domain.as_ref()
            }
            (false, "oidc" | "kubernetes") => match (&origin.issuer, p.config.get("issuer")) {
                (Some(iss), Some(configured)) => federated::same_issuer(iss, configured),
                _ => false,
            },
            _ => false,
        })
}

/// Why the issuer of a token names no provider, for the operator.
pub fn no_provider_reason(origin: &Origin, spiffe: bool) -> String {
    if spiffe {
        match &origin.trust_domain {
            Some(d) => {
                format!("no SPIFFE identity provider of this realm has the trust domain {d}")
            }
            None => "the JWT-SVID's sub is not a SPIFFE ID".into(),
        }
    } else {
        match &origin.issuer {
            Some(i) => format!(
                "no identity provider of this realm has the issuer {}",
                i.chars().take(100).collect::<String>()
            ),
            None => "the token has no iss, and it was not sent as a SPIFFE JWT-SVID".into(),
        }
    }
}

/// A binding ready to be checked (`None`, logged, when its stored expression no longer parses).
pub fn compile(b: &Binding) -> Option<FederatedBinding> {
    let expression = match &b.claims_expr {
        None => None,
        Some(text) => match keyward_credentials::claims_expr::parse(text) {
            Ok(e) => Some(e),
            Err(e) => {
                tracing::error!(binding_id = %b.binding_id, error = %e, "a stored claims expression does not parse");
                return None;
            }
        },
    };
    Some(FederatedBinding {
        label: b.label.clone(),
        subject: b.subject.clone(),
        expression,
    })
}

/// The client a token without `client_id` names (and whether an exact subject binding named
/// it, which depends on nothing else of the token): the binding of `provider` with the token's
/// exact subject or, failing that, the one client whose expression-only bindings hold on the
/// (not yet verified) claims. `Err` is the reason for the operator.
pub async fn client_for_token(
    db: &Db,
    provider: &IdentityProvider,
    origin: &Origin,
) -> Result<std::result::Result<(String, bool), String>, StoreError> {
    let candidates = store::candidates(db, &provider.idp_row_id, &origin.subject).await?;
    if let Some(b) = candidates
        .iter()
        .find(|b| b.subject.as_deref() == Some(origin.subject.as_str()))
    {
        return Ok(Ok((b.client_id.clone(), true)));
    }
    let mut clients: Vec<&str> = candidates
        .iter()
        .filter(|b| b.subject.is_none())
        .filter(|b| {
            compile(b)
                .and_then(|c| c.expression)
                .is_some_and(|e| e.check(&origin.claims).is_ok())
        })
        .map(|b| b.client_id.as_str())
        .collect();
    clients.sort_unstable();
    clients.dedup();
    Ok(match clients.as_slice() {
        [one] => Ok(((*one).to_owned(), false)),
        [] => Err(format!(
            "no binding to the identity provider {} accepts sub {}",
            provider.alias,
            origin.subject.chars().take(100).collect::<String>()
        )),
        many => Err(format!(
            "the token matches bindings of several clients ({}): the request must name its client_id",
            many.join(", ")
        )),
    })
}

/// Where a provider's key set is fetched from (the discovery document is fetched for it when
/// the provider names no jwksUrl).
async fn keys_url(
    fetcher: &JwksFetcher,
    p: &IdentityProvider,
) -> Result<String, (Option<u16>, String)> {
    if p.provider_id == "spiffe" {
        return p
            .config
            .get("bundleEndpoint")
            .cloned()
            .ok_or((None, "no bundleEndpoint is set".into()));
    }
    if let Some(u) = p.config.get("jwksUrl") {
        return Ok(u.clone());
    }
    let issuer = p
        .config
        .get("issuer")
        .ok_or((None, "no issuer is set".to_string()))?;
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let f = fetcher
        .fetch(&url)
        .await
        .map_err(|e| (e.status(), format!("discovery document {url}: {e}")))?;
    let doc: Value = serde_json::from_slice(&f.body).map_err(|_| {
        (
            Some(f.status),
            format!("discovery document {url}: not JSON"),
        )
    })?;
    match doc.get("issuer").and_then(Value::as_str) {
        Some(i) if federated::same_issuer(i, issuer) => {}
        Some(i) => {
            return Err((
                Some(f.status),
                format!(
                    "discovery document {url} names the issuer {}, not {issuer}",
                    i.chars().take(100).collect::<String>()
                ),
            ))
        }
        None => {
            return Err((
                Some(f.status),
                format!("discovery document {url} has no issuer"),
            ))
        }
    }
    doc.get("jwks_uri")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or((
            Some(f.status),
            format!("discovery document {url} has no jwks_uri"),
        ))
}

/// A SPIFFE bundle made a plain JWKS of its `jwt-svid` keys (`use` rewritten to `sig`), with its
/// refresh hint.
fn spiffe_jwks(body: &[u8]) -> std::result::Result<(Vec<u8>, Option<i64>), String> {
    let mut doc: Value =
        serde_json::from_slice(body).map_err(|_| "the trust bundle is not JSON".to_string())?;
    let hint = doc.get("spiffe_refresh_hint").and_then(Value::as_i64);
    let keys = doc
        .get_mut("keys")
        .and_then(Value::as_array_mut)
        .ok_or("the trust bundle has no keys array")?;
    keys.retain(|k| k.get("use").and_then(Value::as_str) == Some("jwt-svid"));
    for k in keys.iter_mut() {
        k["use"] = json!("sig");
    }
    Ok((json!({ "keys": keys }).to_string().into_bytes(), hint))
}

/// A good key set: where from, the HTTP status, the JWKS, its usable keys, its lifetime (s).
struct GoodSet {
    url: String,
    status: u16,
    body: Vec<u8>,
    count: usize,
    max_age_s: i64,
}

/// A failed fetch: the URL when it got that far, the HTTP status when one came, why.
struct FailedSet {
    url: Option<String>,
    status: Option<u16>,
    error: String,
}

/// Fetches a provider's key set (through its discovery document when it names no jwksUrl).
async fn fetch_set(fetcher: &JwksFetcher, p: &IdentityProvider) -> Result<GoodSet, FailedSet> {
    let url = keys_url(fetcher, p)
        .await
        .map_err(|(status, error)| FailedSet {
            url: None,
            status,
            error,
        })?;
    let failed = |status: Option<u16>, error: String| FailedSet {
        url: Some(url.clone()),
        status,
        error,
    };
    let f = fetcher
        .fetch(&url)
        .await
        .map_err(|e| failed(e.status(), e.to_string()))?;
    let (body, max_age_s) = if p.provider_id == "spiffe" {
        let (b, hint) = spiffe_jwks(&f.body).map_err(|e| failed(Some(f.status), e))?;
        (
            b,
            hint.map_or(f.max_age_s, |h| h.clamp(MIN_MAX_AGE_S, MAX_MAX_AGE_S)),
        )
    } else {
        (f.body.clone(), f.max_age_s)
    };
    let count = crate::jwks::usable_keys(&body).map_err(|e| failed(Some(f.status), e))?;
    Ok(GoodSet {
        count,
        url,
        status: f.status,
        body,
        max_age_s,
    })
}

/// Fetches a provider's keys now and records the outcome (a failure keeps the last good set).
/// Returns what is kept afterwards. The one fetch path of the console's "Fetch keys" and the
/// token endpoint.
pub async fn refresh_keys(
    db: &Db,
    fetcher: &JwksFetcher,
    p: &IdentityProvider,
    now: i64,
) -> Result<Option<ProviderKeys>, StoreError> {
    let outcome = fetch_set(fetcher, p).await;
    let record = match &outcome {
        Ok(g) => KeysFetch {
            jwks_url: Some(&g.url),
            attempt_at: now,
            status: Some(i64::from(g.status)),
            good: Some((&g.body, g.count as i64, now + g.max_age_s)),
            error: None,
        },
        Err(f) => {
            tracing::info!(provider = %p.alias, error = %f.error, "identity provider key fetch failed");
            KeysFetch {
                jwks_url: f.url.as_deref(),
                attempt_at: now,
                status: f.status.map(i64::from),
                good: None,
                error: Some(&f.error),
            }
        }
    };
    store::record_fetch(db, &p.idp_row_id, &record).await?;
    store::keys(db, &p.idp_row_id).await
}

/// The keys that verify a provider's tokens: the kept set, fetched when missing or stale, and
/// again when `unknown_kid` (at most once per [`REFETCH_INTERVAL_S`] per provider).
pub async fn provider_keys(
    db: &Db,
    fetcher: &JwksFetcher,
    p: &IdentityProvider,
    unknown_kid: bool,
    now: i64,
) -> Result<Vec<ClientPublicKey>, KeySourceError> {
    let mut kept = store::keys(db, &p.idp_row_id).await?;
    let stale = kept
        .as_ref()
        .is_none_or(|k| k.body.is_none() || k.next_refresh_at.is_none_or(|t| now >= t));
    if (stale || unknown_kid)
        && store::claim_fetch(db, &p.idp_row_id, REFETCH_INTERVAL_S, now).await?
    {
        kept = refresh_keys(db, fetcher, p, now).await?;
    } else if kept
        .as_ref()
        .is_none_or(|k| k.body.is_none() && k.last_error.is_none())
    {
        // Another request is making the first fetch: wait for it rather than refuse.
        kept = crate::jwks::await_first_fetch(
            || store::keys(db, &p.idp_row_id),
            |k: &ProviderKeys| k.body.is_some() || k.last_error.is_some(),
        )
        .await?;
    }
    let Some(body) = kept.as_ref().and_then(|k| k.body.as_deref()) else {
        return Err(KeySourceError::ProviderKeys {
            provider: p.alias.clone(),
            reason: kept
                .and_then(|k| k.last_error)
                .unwrap_or_else(|| "no fetch yet".into()),
        });
    };
    Ok(crate::jwks::fetched_keys(body))
}

/// Use case: fetches a provider's keys now (manager; the console's "Fetch keys").
pub async fn fetch_keys_now(
    ctx: &Services,
    actor: &Actor,
    p: &IdentityProvider,
) -> Result<Option<ProviderKeys>> {
    actor.require(Role::Manager)?;
    Ok(refresh_keys(&ctx.db, &ctx.jwks, p, now()).await?)
}

/// What a new binding asks for.
#[derive(Clone, Debug, Default)]
pub struct BindingInput {
    pub label: String,
    /// The provider's alias.
    pub provider: String,
    pub subject: Option<String>,
    pub expression: Option<String>,
}

/// A binding validated into what is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidBinding {
    pub label: String,
    pub provider: IdentityProvider,
    pub subject: Option<String>,
    pub expression: Option<String>,
}

/// Validates a binding against the realm's providers (no write).
pub async fn validate_binding(
    ctx: &Services,
    realm_id: &str,
    input: &BindingInput,
) -> Result<ValidBinding> {
    let label = keyward_credentials::names::text("label", &input.label, MAX_LABEL_LEN, true)?;
    let alias = input.provider.trim();
    if alias.is_empty() {
        return Err(ServiceError::Invalid(
            "choose the identity provider whose tokens the client sends".into(),
        ));
    }
    let provider = keyward_store::identity_providers::get(&ctx.db, realm_id, alias)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                ServiceError::Invalid(format!("this realm has no identity provider {alias:?}"))
            }
            other => other.into(),
        })?;
    let subject = input
        .subject
        .as_deref()
        .map(|s| keyward_credentials::names::text("subject", s, MAX_SUBJECT_LEN, false))
        .transpose()?
        .filter(|s| !s.is_empty());
    if let (Some(s), "spiffe") = (&subject, provider.provider_id.as_str()) {
        let domain = provider.config.get("trustDomain").map(String::as_str);
        if federated::spiffe_trust_domain(s) != domain {
            return Err(ServiceError::Invalid(format!(
                "the subject of a SPIFFE provider's token is a SPIFFE ID of its trust domain, e.g. spiffe://{}/ns/billing/sa/worker",
                domain.unwrap_or("example.org")
            )));
        }
    }
    let expression = match input.expression.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            keyward_credentials::claims_expr::parse(text)
                .map_err(|e| {
                    ServiceError::Invalid(format!("the claims expression does not parse {e}"))
                })?
                .normalized(),
        ),
    };
    if subject.is_none() && expression.is_none() {
        return Err(ServiceError::Invalid(
            "a binding needs the token's subject (sub), a claims expression, or both".into(),
        ));
    }
    Ok(ValidBinding {
        label,
        provider,
        subject,
        expression,
    })
}

fn binding_path(c: &Client, b: &Binding) -> String {
    format!(
        "clients/{}/federated-bindings/{}",
        c.client_row_id, b.binding_id
    )
}

fn binding_details(b: &Binding) -> Value {
    json!({
        "clientId": b.client_id,
        "label": b.label,
        "identityProvider": b.provider_alias,
        "subject": b.subject,
        "claimsExpression": b.claims_expr,
    })
}

/// Use case: adds a binding to a client (manager). 409 when the label is taken on the client
/// or another binding of the realm accepts the same (provider, subject).
pub async fn add_binding(
    ctx: &Services,
    actor: &Actor,
    r: &Realm,
    c: &Client,
    input: &BindingInput,
) -> Result<Binding> {
    actor.require(Role::Manager)?;
    guard_client(actor, c)?;
    let v = validate_binding(ctx, &r.realm_id, input).await?;
    let b = store::create(
        &ctx.db,
        &NewBinding {
            realm_id: &r.realm_id,
            client_row_id: &c.client_row_id,
            idp_row_id: &v.provider.idp_row_id,
            label: &v.label,
            subject: v.subject.as_deref(),
            claims_expr: v.expression.as_deref(),
            created_by: &actor.name,
        },
        now(),
    )
    .await?;
    audit(
        ctx,
        actor,
        Some(&r.realm_id),
        Some(&c.client_row_id),
        "CREATE",
        &binding_path(c, &b),
        binding_details(&b),
    )
    .await?;
    Ok(b)
}

/// Use case: removes a binding of a client (manager).
pub async fn delete_binding(
    ctx: &Services,
    actor: &Actor,
    r: &Realm,
    c: &Client,
    binding_id: &str,
) -> Result<()> {
    actor.require(Role::Manager)?;
    guard_client(actor, c)?;
    let b = store::get(&ctx.db, &c.client_row_id, binding_id)
        .await
        .map_err(not_found("Binding"))?;
    store::delete(&ctx.db, &c.client_row_id, binding_id)
        .await
        .map_err(not_found("Binding"))?;
    audit(
        ctx,
        actor,
        Some(&r.realm_id),
        Some(&c.client_row_id),
        "DELETE",
        &binding_path(c, &b),
        binding_details(&b),
    )
    .await
}

/// A client's bindings, oldest first.
pub async fn bindings(ctx: &Services, c: &Client) -> Result<Vec<Binding>> {
    Ok(store::of_client(&ctx.db, &c.client_row_id).await?)
}

/// Keycloak's attributes `jwt.credential.issuer` (a provider alias) and `jwt.credential.sub` as
/// they read: the client's first binding.
pub async fn keycloak_attributes(db: &Db, c: &Client) -> Result<Option<(String, Option<String>)>> {
    Ok(store::of_client(db, &c.client_row_id)
        .await?
        .into_iter()
        .next()
        .map(|b| (b.provider_alias, b.subject)))
}

/// Use case: Keycloak's attributes written (Admin REST): the binding labelled
/// [`KEYCLOAK_LABEL`] becomes (provider, subject). Nothing is written when the client's first
/// binding already says so.
pub async fn set_keycloak_attributes(
    ctx: &Services,
    actor: &Actor,
    r: &Realm,
    c: &Client,
    provider: &str,
    subject: &str,
) -> Result<()> {
    let current = store::of_client(&ctx.db, &c.client_row_id).await?;
    if current.first().is_some_and(|b| {
        b.provider_alias == provider.trim() && b.subject.as_deref() == Some(subject.trim())
    }) {
        return Ok(());
    }
    let input = BindingInput {
        label: KEYCLOAK_LABEL.into(),
        provider: provider.into(),
        subject: Some(subject.into()),
        expression: None,
    };
    // Validate before removing the binding it replaces: a refused value changes nothing.
    let v = validate_binding(ctx, &r.realm_id, &input).await?;
    let taken = store::candidates(&ctx.db, &v.provider.idp_row_id, subject.trim())
        .await?
        .into_iter()
        .any(|b| {
            b.subject.is_some()
                && !(b.client_row_id == c.client_row_id && b.label == KEYCLOAK_LABEL)
        });
    if taken {
        return Err(ServiceError::Conflict(
            "another binding of this realm already accepts this provider's tokens with this subject".into(),
        ));
    }
    if let Some(old) = current.iter().find(|b| b.label == KEYCLOAK_LABEL) {
        delete_binding(ctx, actor, r, c, &old.binding_id).await?;
    }
    add_binding(ctx, actor, r, c, &input).await.map(|_| ())
}

/// One rule of the token tester and how a sample token fared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleCheck {
    pub rule: String,
    /// `Some(true)` passed, `Some(false)` failed, `None` not reached.
    pub passed: Option<bool>,
    pub detail: String,
}

fn check(rule: &str, passed: Option<bool>, detail: impl Into<String>) -> RuleCheck {
    RuleCheck {
        rule: rule.into(),
        passed,
        detail: detail.into(),
    }
}

/// Use case (viewer): which rules a sample token passes for client `c`, as if the client sent
/// it with its client id. Nothing is written: the token is not stored or logged, and its `jti`
/// is not spent (a token that passes here still works once at the token endpoint). The keys
/// are fetched as the token endpoint would (same cache, same refetch limit).
pub async fn explain(
    ctx: &Services,
    actor: &Actor,
    r: &Realm,
    c: &Client,
    token: &str,
) -> Result<Vec<RuleCheck>> {
    use keyward_credentials::authenticator::federated::{rule_of, FederatedJwt, RULES};
    use keyward_credentials::authenticator::{
        AuthContext, AuthError, Authenticator, ClientMaterial, Federation,
    };
    actor.require(Role::Viewer)?;
    let token = token.trim();
    if token.is_empty() {
        return Err(ServiceError::Invalid("paste a token to test".into()));
    }
    if token.len() > keyward_credentials::client_auth::MAX_ASSERTION_LEN {
        return Err(ServiceError::Invalid(format!(
            "the token is longer than {} bytes, the most the token endpoint reads",
            keyward_credentials::client_auth::MAX_ASSERTION_LEN
        )));
    }
    let mut out = Vec::new();
    let origin = match federated::unverified_origin(token) {
        Ok(o) => o,
        Err(e) => {
            out.push(check("A signed JWT", Some(false), e.to_string()));
            return Ok(out);
        }
    };
    out.push(check(
        "A signed JWT",
        Some(true),
        format!(
            "iss {}, sub {}",
            origin.issuer.as_deref().unwrap_or("(none)"),
            origin.subject
        ),
    ));
    let providers = keyward_store::identity_providers::list(&ctx.db, &r.realm_id).await?;
    let (p, spiffe) = match issuer_of(&providers, &origin, false) {
        Some(p) => (p, false),
        None => match issuer_of(&providers, &origin, true) {
            Some(p) => (p, true),
            None => {
                let reason = no_provider_reason(&origin, origin.issuer.is_none());
                out.push(check(
                    "Issued by an identity provider of the realm",
                    Some(false),
                    reason,
                ));
                return Ok(out);
            }
        },
    };
    out.push(check(
        "Issued by an identity provider of the realm",
        Some(true),
        format!(
            "{} ({}){}",
            p.alias,
            p.provider_id,
            if spiffe {
                "; send it with client_assertion_type urn:ietf:params:oauth:client-assertion-type:jwt-spiffe"
            } else {
                ""
            }
        ),
    ));
    let Some(described) = provider_of(p) else {
        return Err(crate::error::internal(format!(
            "identity provider {} is malformed",
            p.alias
        )));
    };
    let bindings: Vec<FederatedBinding> = store::of_client(&ctx.db, &c.client_row_id)
        .await?
        .iter()
        .filter(|b| b.idp_row_id == p.idp_row_id)
        .filter_map(compile)
        .collect();
    let now = now();
    let settings = &ctx.settings;
    let issuer = format!("{}/realms/{}", settings.public_url, r.name);
    let auth_ctx = AuthContext {
        token_endpoint: format!("{issuer}/protocol/openid-connect/token"),
        issuer,
        strict_audience: r.strict_audience,
    };
    let mut config = crate::clients::auth_config(c);
    config.authenticator = FederatedJwt.id().into();
    let presented = keyward_credentials::client_auth::Presented::Assertion {
        client_id: Some(c.client_id.clone()),
        assertion: token.to_owned(),
        spiffe,
    };
    let mut unknown_kid = false;
    let result = loop {
        let keys = match provider_keys(&ctx.db, &ctx.jwks, p, unknown_kid, now).await {
            Ok(k) => k,
            Err(KeySourceError::Store(e)) => return Err(e.into()),
            Err(e) => {
                out.push(check(
                    "The provider's keys are available",
                    Some(false),
                    e.to_string(),
                ));
                return Ok(out);
            }
        };
        let fed = Federation {
            provider: described.clone(),
            keys,
            bindings: bindings.clone(),
        };
        let material = ClientMaterial {
            federation: Some(&fed),
            ..ClientMaterial::default()
        };
        match FederatedJwt.authenticate(&presented, &config, &material, &auth_ctx, now) {
            Err(AuthError::UnknownProviderKid { .. }) if !unknown_kid => unknown_kid = true,
            other => break (other, fed.keys.len()),
        }
    };
    out.push(check(
        "The provider's keys are available",
        Some(true),
        format!("{} key(s)", result.1),
    ));
    match result.0 {
        Ok(a) => {
            for rule in RULES {
                out.push(check(rule, Some(true), ""));
            }
            if let Some(last) = out.last_mut() {
                last.detail = format!("binding {}", a.binding.unwrap_or_default());
            }
            let jti_rule = RULES[5];
            if let Some(j) = out.iter_mut().find(|c| c.rule == jti_rule) {
                j.detail = match a.jti {
                    Some(_) => {
                        "present; used once at the token endpoint (this test does not spend it)"
                            .into()
                    }
                    None => format!(
                        "{} allows a token to be presented again until it expires",
                        p.alias
                    ),
                };
            }
        }
        Err(e) => {
            let failed = rule_of(&e);
            for (i, rule) in RULES.iter().enumerate() {
                out.push(match i.cmp(&failed) {
                    std::cmp::Ordering::Less => check(rule, Some(true), ""),
                    std::cmp::Ordering::Equal => check(rule, Some(false), e.to_string()),
                    std::cmp::Ordering::Greater => check(rule, None, "not checked"),
                });
            }
        }
    }
    Ok(out)
}
