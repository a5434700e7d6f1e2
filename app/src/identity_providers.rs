//! A realm's **Identity providers** page (issue 21 §3): the issuers whose tokens `federated-jwt`
//! clients present (Kubernetes clusters, SPIFFE trust domains, CI systems, other IdPs). List
//! with the keys' last fetch, add (with presets for GitHub Actions and GitLab CI), fetch keys
//! now, delete. Viewers read; managers change.
//!
//! The use cases live in `keyward_service::identity_providers` and `keyward_service::federation`,
//! shared with the Admin REST API (`identity-provider/instances`), so both validate, refuse and
//! audit alike. A provider whose keys come from a host only reachable inside a cluster (or a
//! private network) carries a note saying the fetcher refuses it unless the server allows it.

#[cfg(feature = "ssr")]
use keyward_credentials::operator::Role;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use serde::{Deserialize, Serialize};

use crate::components::*;
use crate::error::AppError;
use crate::format_time;

/// GitHub Actions' OIDC issuer.
pub const GITHUB_ACTIONS_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// GitLab.com's CI issuer (a self-managed GitLab's is its own URL).
pub const GITLAB_CI_ISSUER: &str = "https://gitlab.com";

/// One provider as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderView {
    pub alias: String,
    pub kind: String,
    pub display_name: String,
    pub enabled: bool,
    /// The issuer (oidc, kubernetes) or the trust domain (spiffe).
    pub trusts: String,
    /// Where its keys come from, as configured ("" = the discovery document).
    pub keys_from: String,
    pub reuse: bool,
    pub max_exp_s: String,
    /// The last fetch: when a good set was fetched, how many keys, the last error.
    pub fetched_at: Option<i64>,
    pub key_count: Option<i64>,
    pub fetched_url: Option<String>,
    pub last_attempt_at: Option<i64>,
    pub last_error: Option<String>,
    /// Warnings (a host only reachable inside a cluster).
    pub notes: Vec<String>,
}

// ---- server functions ---------------------------------------------------------------------

/// The realm's identity providers with their keys' status.
#[server(endpoint = "list_identity_providers")]
pub async fn list_identity_providers(realm: String) -> Result<Vec<ProviderView>, AppError> {
    use crate::ssr::*;
    use keyward_service::identity_providers::{validate, ProviderInput};
    let (ctx, _) = authorize(Role::Viewer, None).await?;
    let r = realm_of(&ctx, &realm).await?;
    let mut out = Vec::new();
    for p in keyward_store::identity_providers::list(&ctx.db, &r.realm_id).await? {
        let keys = keyward_store::federation::keys(&ctx.db, &p.idp_row_id).await?;
        let notes = validate(&ctx, Some(&p), &ProviderInput::default())
            .map(|v| v.notes)
            .unwrap_or_default();
        let get = |k: &str| p.config.get(k).cloned().unwrap_or_default();
        let spiffe = p.provider_id == "spiffe";
        out.push(ProviderView {
            trusts: get(if spiffe { "trustDomain" } else { "issuer" }),
            keys_from: get(if spiffe { "bundleEndpoint" } else { "jwksUrl" }),
            reuse: get("supportsClientAssertionReuse") == "true",
            max_exp_s: get("federatedClientAssertionMaxExpiration"),
            fetched_at: keys.as_ref().and_then(|k| k.fetched_at),
            key_count: keys.as_ref().and_then(|k| k.key_count),
            fetched_url: keys.as_ref().and_then(|k| k.jwks_url.clone()),
            last_attempt_at: keys.as_ref().and_then(|k| k.last_attempt_at),
            last_error: keys.and_then(|k| k.last_error),
            alias: p.alias,
            kind: p.provider_id,
            display_name: p.display_name,
            enabled: p.enabled,
            notes,
        });
    }
    Ok(out)
}

/// The add form's fields, as the browser posts them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderForm {
    pub alias: String,
    /// `oidc`, `kubernetes`, `spiffe`, or a preset: `github-actions`, `gitlab-ci`.
    pub kind: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub issuer: String,
    #[serde(default)]
    pub jwks_url: String,
    #[serde(default)]
    pub trust_domain: String,
    #[serde(default)]
    pub bundle_endpoint: String,
    /// A checkbox: tokens may be presented again until they expire.
    #[serde(default)]
    pub reuse: String,
    #[serde(default)]
    pub max_exp_s: String,
}

/// Adds an identity provider (managers).
#[server(endpoint = "create_identity_provider")]
pub async fn create_identity_provider(
    csrf: String,
    realm: String,
    #[server(flatten)] form: ProviderForm,
) -> Result<(), AppError> {
    use crate::ssr::*;
    use keyward_service::identity_providers::{create, ProviderInput};
    use std::collections::BTreeMap;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let r = realm_of(&ctx, &realm).await?;
    let (kind, preset_issuer) = match form.kind.as_str() {
        "github-actions" => ("oidc", Some(GITHUB_ACTIONS_ISSUER)),
        "gitlab-ci" => ("oidc", Some(GITLAB_CI_ISSUER)),
        other => (other, None),
    };
    let mut config = BTreeMap::new();
    let mut put = |k: &str, v: &str| {
        if !v.trim().is_empty() {
            config.insert(k.to_string(), v.trim().to_string());
        }
    };
    put(
        "issuer",
        if form.issuer.trim().is_empty() {
            preset_issuer.unwrap_or("")
        } else {
            &form.issuer
        },
    );
    put("jwksUrl", &form.jwks_url);
    put("trustDomain", &form.trust_domain);
    put("bundleEndpoint", &form.bundle_endpoint);
    put("federatedClientAssertionMaxExpiration", &form.max_exp_s);
    if !form.reuse.is_empty() {
        config.insert("supportsClientAssertionReuse".into(), "true".into());
    } else if kind != "kubernetes" {
        config.insert("supportsClientAssertionReuse".into(), "false".into());
    }
    let actor = console_actor(&op).await;
    create(
        &ctx,
        &actor,
        &r,
        &form.alias,
        &ProviderInput {
            provider_id: Some(kind.to_string()),
            enabled: Some(true),
            display_name: Some(form.display_name),
            config: Some(config),
        },
    )
    .await?;
    Ok(())
}

/// Fetches a provider's keys now (managers).
#[server(endpoint = "fetch_identity_provider_keys")]
pub async fn fetch_identity_provider_keys(
    csrf: String,
    realm: String,
    alias: String,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let r = realm_of(&ctx, &realm).await?;
    let p = keyward_service::identity_providers::get(&ctx, &r, &alias).await?;
    let actor = console_actor(&op).await;
    keyward_service::federation::fetch_keys_now(&ctx, &actor, &p).await?;
    Ok(())
}

/// Deletes a provider no client binding uses (managers).
#[server(endpoint = "delete_identity_provider")]
pub async fn delete_identity_provider(
    csrf: String,
    realm: String,
    alias: String,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let r = realm_of(&ctx, &realm).await?;
    let p = keyward_service::identity_providers::get(&ctx, &r, &alias).await?;
    let actor = console_actor(&op).await;
    keyward_service::identity_providers::delete(&ctx, &actor, &r, &p).await?;
    Ok(())
}

// ---- views --------------------------------------------------------------------------------

/// The realm's Identity providers page.
#[component]
pub fn IdentityProvidersPage() -> impl IntoView {
    let realm = param("realm");
    let create = ServerAction::<CreateIdentityProvider>::new();
    let manager = can(keyward_credentials::operator::Role::Manager);
    let realm_list = realm.clone();
    view! {
        <h1>"Identity providers"</h1>
        <p class="lead">
            "Issuers whose tokens a client may present instead of a secret or a key (method "
            <em>"Signed JWT - Federated"</em>"): a Kubernetes cluster's service-account tokens, SPIFFE JWT-SVIDs, "
            "a CI job's OIDC token, another IdP's tokens. Bind clients to them on their Credentials tab."
        </p>
        {error_of::<FetchIdentityProviderKeys>()}
        {done::<FetchIdentityProviderKeys>("Keys fetched; the table shows the outcome.")}
        {error_of::<DeleteIdentityProvider>()}
        {done::<DeleteIdentityProvider>("Identity provider deleted.")}
        {done::<CreateIdentityProvider>("Identity provider added.")}
        <Suspense fallback=loading>
            {Suspend::new(async move {
                match list_identity_providers(realm_list.clone()).await {
                    Ok(list) if list.is_empty() => view! {
                        <EmptyState title="No identity provider yet"
                            help="Add the issuer whose tokens your services already have: your cluster, your CI system, your SPIFFE trust domain."/>
                    }.into_any(),
                    Ok(list) => view! {
                        <table class="table" aria-label="Identity providers" data-testid="identity-providers">
                            <thead><tr><th>"Alias"</th><th>"Kind"</th><th>"Trusts"</th><th>"Keys"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|p| provider_row(p, realm_list.clone(), manager)).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                }
            })}
        </Suspense>
        {(!manager).then(|| view! {
            <div class="alert alert-info" role="status">"Your role can read the identity providers but not change them."</div>
        })}
        {manager.then(|| view! {
            <section class="card">
                <h2>"Add identity provider"</h2>
                <ActionForm action=create attr:class="form">
                    <CsrfField/>
                    <input type="hidden" name="realm" value=realm.clone()/>
                    <label for="idp-alias">"Alias"</label>
                    <input id="idp-alias" name="alias" required maxlength="255" pattern="[A-Za-z0-9._\\-]+"
                        title="letters, digits, '.', '_' or '-'" placeholder="cluster"/>
                    <label for="idp-kind">"Kind"</label>
                    <select id="idp-kind" name="kind">
                        <option value="kubernetes">"Kubernetes service accounts"</option>
                        <option value="oidc">"OpenID Connect issuer"</option>
                        <option value="github-actions">"GitHub Actions (OIDC preset)"</option>
                        <option value="gitlab-ci">"GitLab CI on gitlab.com (OIDC preset)"</option>
                        <option value="spiffe">"SPIFFE trust domain"</option>
                    </select>
                    <label for="idp-name">"Display name (optional)"</label>
                    <input id="idp-name" name="display_name" maxlength="255"/>
                    <div class="issuer-only">
                        <label for="idp-issuer">"Issuer"</label>
                        <input id="idp-issuer" name="issuer" maxlength="2048" placeholder="https://kubernetes.default.svc.cluster.local"/>
                        <p class="help">"Tokens' iss must equal it. Empty: the cluster's default issuer, or the preset's."</p>
                        <label for="idp-jwks">"JWKS URL (optional)"</label>
                        <input id="idp-jwks" name="jwks_url" maxlength="2048" placeholder="https://…/openid/v1/jwks"/>
                        <p class="help">"Empty: the jwks_uri of the issuer's discovery document (/.well-known/openid-configuration)."</p>
                    </div>
                    <div class="spiffe-only">
                        <label for="idp-domain">"Trust domain"</label>
                        <input id="idp-domain" name="trust_domain" maxlength="255" placeholder="example.org"/>
                        <label for="idp-bundle">"Bundle endpoint"</label>
                        <input id="idp-bundle" name="bundle_endpoint" maxlength="2048" placeholder="https://spire.example.org/bundle"/>
                    </div>
                    <label class="checkbox">
                        <input type="checkbox" name="reuse" value="true"/>
                        "A token may be presented again until it expires (always on for Kubernetes: projected tokens are reused)"
                    </label>
                    <label for="idp-max-exp">"Longest token lifetime accepted (seconds)"</label>
                    <input id="idp-max-exp" name="max_exp_s" type="number" min="1" max="86400" placeholder="3600"/>
                    {error_of::<CreateIdentityProvider>()}
                    <div class="form-actions"><button type="submit" class="btn btn-primary">"Add"</button></div>
                </ActionForm>
            </section>
        })}
    }
}

fn provider_row(p: ProviderView, realm: String, manager: bool) -> impl IntoView {
    let alias = p.alias.clone();
    let keys = match (&p.fetched_at, &p.last_error) {
        (Some(at), None) => format!(
            "{} key(s), fetched {}",
            p.key_count.unwrap_or(0),
            format_time(*at)
        ),
        (Some(at), Some(e)) => format!(
            "{} key(s) from {} kept; the last fetch failed: {e}",
            p.key_count.unwrap_or(0),
            format_time(*at)
        ),
        (None, Some(e)) => format!("never fetched: {e}"),
        (None, None) => "fetched on the first token, or now with Fetch keys".to_string(),
    };
    let (badge, state) = match (&p.fetched_at, &p.last_error) {
        (_, Some(_)) => ("badge badge-danger", "fetch failing"),
        (Some(_), None) => ("badge badge-active", "ok"),
        (None, None) => ("badge badge-muted", "not fetched"),
    };
    view! {
        <tr data-alias=alias.clone()>
            <td class="nowrap"><code>{alias.clone()}</code>{(!p.display_name.is_empty()).then(|| view! { <br/><span class="help">{p.display_name.clone()}</span> })}
                {(!p.enabled).then(|| view! { " " <span class="badge badge-revoked">"disabled"</span> })}</td>
            <td>{p.kind.clone()}{p.reuse.then_some(", tokens reusable")}</td>
            <td class="wrap"><code>{p.trusts.clone()}</code>
                {p.notes.iter().map(|n| view! { <p class="alert alert-warning" role="status">{n.clone()}</p> }).collect_view()}
            </td>
            <td class="wrap" data-testid="provider-keys">
                <span class=badge>{state}</span>
                " "{keys}
                {p.fetched_url.clone().map(|u| view! { <br/><span class="help">"from "<code>{u}</code></span> })}
            </td>
            <td class="actions">
                {manager.then({
                    let alias = alias.clone();
                    move || view! {
                    <form method="post" action=FetchIdentityProviderKeys::PATH class="inline">
                        <CsrfField/>
                        <input type="hidden" name="realm" value=realm.clone()/>
                        <input type="hidden" name="alias" value=alias.clone()/>
                        <button type="submit" class="btn btn-secondary" aria-label=format!("Fetch the keys of {alias}")>"Fetch keys"</button>
                    </form>
                    <Confirm id=format!("delete-idp-{alias}") action=DeleteIdentityProvider::PATH
                        button="Delete" button_label=Some(format!("Delete identity provider {alias}"))
                        title="Delete identity provider?"
                        message="Its tokens are no longer accepted. A provider that clients are still bound to is not deleted: remove their bindings first."
                        confirm="Delete">
                        <CsrfField/>
                        <input type="hidden" name="realm" value=realm.clone()/>
                        <input type="hidden" name="alias" value=alias.clone()/>
                    </Confirm>
                }})}
            </td>
        </tr>
    }
}
