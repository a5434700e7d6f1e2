//! The realm's token settings in Realm settings: access-token signing algorithm and lifetime,
//! strict client-assertion audience, and the realm's signing keys (rotate, retire).

#[cfg(feature = "ssr")]
use keyward_credentials::operator::Role;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use serde::{Deserialize, Serialize};

use crate::components::*;
use crate::error::AppError;
use crate::format_time;

/// One realm signing key (public facts only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealmKeyView {
    pub id: String,
    pub kid: String,
    pub alg: String,
    /// active, passive or retired.
    pub status: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSettingsView {
    pub token_signing_alg: String,
    pub access_token_lifetime_s: i64,
    pub strict_audience: bool,
    pub keys: Vec<RealmKeyView>,
}

/// Longest access-token lifetime an admin may set (1 day): the console's copy of
/// `keyward_service::realms::MAX_TOKEN_LIFETIME_S`, which decides (a test keeps them equal).
pub const MAX_TOKEN_LIFETIME_S: i64 = 86_400;

#[cfg(feature = "ssr")]
pub mod server {
    //! The use cases live in `keyward_service::realms` (shared with the Admin REST API and the
    //! token endpoint).
    pub use keyward_service::realms::create_realm_key;
}

#[server(endpoint = "get_token_settings")]
pub async fn get_token_settings(realm: String) -> Result<TokenSettingsView, AppError> {
    use crate::ssr::*;
    let (ctx, _op) = authorize(Role::Viewer, None).await?;
    let r = realm_of(&ctx, &realm).await?;
    let keys = keyward_store::realm_keys::list(&ctx.db, &r.realm_id).await?;
    Ok(TokenSettingsView {
        token_signing_alg: r.token_signing_alg,
        access_token_lifetime_s: r.access_token_lifetime_s,
        strict_audience: r.strict_audience,
        keys: keys
            .into_iter()
            .map(|k| RealmKeyView {
                id: k.realm_key_id,
                kid: k.kid,
                alg: k.alg,
                status: k.status,
                created_at: k.created_at,
            })
            .collect(),
    })
}

/// Changes the realm's token policy (admin). `strict_audience` is a checkbox
/// (`value="true"`): absent when unticked.
#[server(endpoint = "update_token_policy")]
pub async fn update_token_policy(
    csrf: String,
    realm: String,
    token_signing_alg: String,
    access_token_lifetime_s: String,
    #[server(default)] strict_audience: bool,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Admin, Some(&csrf)).await?;
    let lifetime: i64 = access_token_lifetime_s.trim().parse().map_err(|_| {
        AppError::Invalid(format!(
            "the access-token lifetime must be 10 to {MAX_TOKEN_LIFETIME_S} seconds"
        ))
    })?;
    let change = keyward_service::realms::TokenPolicyChange {
        signing_alg: Some(token_signing_alg),
        access_token_lifetime_s: Some(lifetime),
        strict_audience: Some(strict_audience),
    };
    let actor = console_actor(&op).await;
    keyward_service::realms::update_token_policy(&ctx, &actor, &realm, &change).await?;
    Ok(())
}

/// Rotates the realm's signing key: a new key (the realm's algorithm) signs from now on; the
/// previous one stays in certs, verifying the tokens it signed, until it is retired.
#[server(endpoint = "rotate_realm_key")]
pub async fn rotate_realm_key(csrf: String, realm: String) -> Result<(), AppError> {
    use crate::ssr::*;
    use keyward_credentials::access_token::SigningAlg;
    let (ctx, op) = authorize(Role::Admin, Some(&csrf)).await?;
    let r = realm_of(&ctx, &realm).await?;
    let alg = SigningAlg::parse(&r.token_signing_alg).unwrap_or_default();
    let (row, _) = server::create_realm_key(&ctx, &r.realm_id, &r.name, alg, now()).await?;
    audit(
        &ctx,
        &op,
        Some(&r.realm_id),
        None,
        "CREATE",
        &format!("realm/keys/{}", row.realm_key_id),
        serde_json::json!({ "kid": row.kid, "alg": row.alg }),
    )
    .await
}

/// Retires a passive realm key: it leaves certs, and tokens it signed no longer verify.
#[server(endpoint = "retire_realm_key")]
pub async fn retire_realm_key(csrf: String, realm: String, key_id: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Admin, Some(&csrf)).await?;
    let r = realm_of(&ctx, &realm).await?;
    let row = keyward_store::realm_keys::retire(&ctx.db, &r.realm_id, &key_id, now())
        .await
        .map_err(not_found("Passive key"))?;
    audit(
        &ctx,
        &op,
        Some(&r.realm_id),
        None,
        "UPDATE",
        &format!("realm/keys/{}", row.realm_key_id),
        serde_json::json!({ "kid": row.kid, "status": "retired" }),
    )
    .await
}

#[component]
pub fn TokenSettings(#[prop(into)] realm: String) -> impl IntoView {
    let update = ServerAction::<UpdateTokenPolicy>::new();
    let admin = can(keyward_credentials::operator::Role::Admin);
    view! {
        <Suspense fallback=loading>
            {Suspend::new(async move {
                match get_token_settings(realm.clone()).await {
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                    Ok(t) => { let (realm_form, realm_rotate) = (realm.clone(), realm.clone()); view! {
                        <section class="card">
                            <h2>"Tokens"</h2>
                            <ActionForm action=update attr:class="form">
                                <CsrfField/>
                                <input type="hidden" name="realm" value=realm_form/>
                                <label for="token-alg">"Access-token signature algorithm"</label>
                                <select id="token-alg" name="token_signing_alg" disabled=!admin>
                                    <option value="ES256" selected=t.token_signing_alg == "ES256">"ES256"</option>
                                    <option value="RS256" selected=t.token_signing_alg == "RS256">"RS256 (for consumers that only know Keycloak's default)"</option>
                                </select>
                                <label for="token-lifetime">"Access-token lifetime (seconds)"</label>
                                <input id="token-lifetime" name="access_token_lifetime_s" type="number" min="10" max="86400"
                                    value=t.access_token_lifetime_s.to_string() disabled=!admin/>
                                <label class="checkbox">
                                    <input type="checkbox" name="strict_audience" value="true" checked=t.strict_audience disabled=!admin/>
                                    " Strict audience: a client assertion's aud must be the issuer (the token endpoint URL is refused)"
                                </label>
                                {error_of::<UpdateTokenPolicy>()}
                                {admin.then(|| view! { <button type="submit" class="btn btn-primary">"Save token settings"</button> })}
                            </ActionForm>
                            {done::<UpdateTokenPolicy>("Token settings saved.")}
                            <h3>"Signing keys"</h3>
                            <p class="help">"The active key signs new access tokens; passive keys stay in the realm's certs so tokens they signed keep verifying, until retired. A key is created on first use."</p>
                            {if t.keys.is_empty() {
                                view! { <EmptyState title="No signing key yet"
                                    help="The realm's first access token creates its key (the realm's algorithm); Rotate creates one now."/> }.into_any()
                            } else {
                                view! {
                                    <table class="table" data-testid="realm-keys">
                                        <thead><tr><th>"Kid"</th><th>"Alg"</th><th>"Status"</th><th>"Created"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                                        <tbody>
                                            {t.keys.iter().map(|k| {
                                                let (realm, key_id) = (realm.clone(), k.id.clone());
                                                let passive = k.status == "passive";
                                                view! {
                                                    <tr>
                                                        <td><code>{k.kid.clone()}</code></td>
                                                        <td>{k.alg.clone()}</td>
                                                        <td>{k.status.clone()}</td>
                                                        <td>{format_time(k.created_at)}</td>
                                                        <td>{(admin && passive).then(|| view! {
                                                            <Confirm id=format!("retire-{key_id}") action=RetireRealmKey::PATH button="Retire"
                                                                title="Retire signing key?"
                                                                message="Tokens this key signed no longer verify once it is retired."
                                                                confirm="Retire">
                                                                <CsrfField/>
                                                                <input type="hidden" name="realm" value=realm.clone()/>
                                                                <input type="hidden" name="key_id" value=key_id.clone()/>
                                                            </Confirm>
                                                        })}</td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }}
                            {error_of::<RotateRealmKey>()}
                            {error_of::<RetireRealmKey>()}
                            {done::<RotateRealmKey>("A new signing key is active.")}
                            {done::<RetireRealmKey>("Key retired.")}
                            {admin.then(|| view! {
                                <form method="post" action=RotateRealmKey::PATH>
                                    <CsrfField/>
                                    <input type="hidden" name="realm" value=realm_rotate.clone()/>
                                    <button type="submit" class="btn btn-secondary">"Rotate signing key"</button>
                                </form>
                            })}
                        </section>
                    }.into_any() }
                }
            })}
        </Suspense>
    }
}
