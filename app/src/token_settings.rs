//! The realm's token settings in Realm settings: access-token signing algorithm and lifetime,
//! strict client-assertion audience, and the realm's signing keys (rotate, retire).

#[cfg(feature = "ssr")]
use keyward_credentials::operator::Role;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::*;
use crate::error::AppError;
use crate::form_action::{FormAction, SubmitForm};
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

/// Longest access-token lifetime an admin may set (1 day).
pub const MAX_TOKEN_LIFETIME_S: i64 = 86_400;

#[cfg(feature = "ssr")]
pub mod server {
    use crate::error::AppError;
    use crate::ssr::*;
    use keyward_credentials::access_token::{RealmPrivateKey, SigningAlg};
    use keyward_credentials::seal::context;
    use keyward_store::realm_keys::{self, NewRealmKey, RealmKey};

    /// Generates a realm signing key, seals it under the master key and makes it the active one
    /// (the previous active key turns passive: still in certs). The one way realm keys are made,
    /// by the console and by the token endpoint on first use. An RS256 key is published with a
    /// self-signed certificate naming the realm (`x5c`), as Keycloak's.
    pub async fn create_realm_key(
        ctx: &AppContext,
        realm_id: &str,
        realm_name: &str,
        alg: SigningAlg,
        now: i64,
    ) -> Result<(RealmKey, RealmPrivateKey), AppError> {
        let cn = realm_name.to_owned();
        let key = tokio::task::spawn_blocking(move || {
            RealmPrivateKey::generate(alg)?.with_certificate(&cn, now)
        })
        .await
        .map_err(internal)?
        .map_err(internal)?;
        let sealed = ctx.vault.seal(context::REALM_KEY, key.pkcs8_der());
        let jwk = key.public_jwk().to_string();
        let row = realm_keys::rotate_in(
            &ctx.db,
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
}

#[server(endpoint = "get_token_settings", output = crate::codec::StrJson)]
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

/// Changes the realm's token policy (admin). `strict_audience` is "true" or "false".
#[server(endpoint = "update_token_policy", output = crate::codec::StrJson)]
pub async fn update_token_policy(
    csrf: String,
    realm: String,
    token_signing_alg: String,
    access_token_lifetime_s: String,
    strict_audience: String,
) -> Result<(), AppError> {
    use crate::ssr::*;
    use keyward_credentials::access_token::SigningAlg;
    let (ctx, op) = authorize(Role::Admin, Some(&csrf)).await?;
    let r = realm_of(&ctx, &realm).await?;
    let alg = SigningAlg::parse(token_signing_alg.trim())
        .ok_or_else(|| AppError::Invalid("the signing algorithm must be ES256 or RS256".into()))?;
    let lifetime: i64 = access_token_lifetime_s
        .trim()
        .parse()
        .ok()
        .filter(|s| (10..=MAX_TOKEN_LIFETIME_S).contains(s))
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "the access-token lifetime must be 10 to {MAX_TOKEN_LIFETIME_S} seconds"
            ))
        })?;
    let strict = strict_audience.trim() == "true";
    keyward_store::realms::update_token_policy(
        &ctx.db,
        &realm,
        &keyward_store::realms::TokenPolicy {
            strict_audience: strict,
            access_token_lifetime_s: lifetime,
            token_signing_alg: alg.as_str(),
        },
    )
    .await?;
    audit(
        &ctx,
        &op,
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
    .await
}

/// Rotates the realm's signing key: a new key (the realm's algorithm) signs from now on; the
/// previous one stays in certs, verifying the tokens it signed, until it is retired.
#[server(endpoint = "rotate_realm_key", output = crate::codec::StrJson)]
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
#[server(endpoint = "retire_realm_key", output = crate::codec::StrJson)]
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
    let update = FormAction::<UpdateTokenPolicy>::new();
    let rotate = FormAction::<RotateRealmKey>::new();
    let retire = FormAction::<RetireRealmKey>::new();
    let realm = StoredValue::new(realm);
    let data = RwSignal::new(None::<Result<TokenSettingsView, AppError>>);
    Effect::new(move |_| {
        update.version().track();
        rotate.version().track();
        retire.version().track();
        let r = realm.get_value();
        leptos::task::spawn_local(async move {
            let loaded = get_token_settings(r).await;
            let _ = data.try_set(Some(loaded));
        });
    });
    let admin = current_session()
        .me
        .is_some_and(|m| m.role.allows(keyward_credentials::operator::Role::Admin));
    let csrf = StoredValue::new(current_session().csrf);
    view! {
        {move || match data.get() {
            None => view! { <p class="loading" aria-live="polite">"Loading…"</p> }.into_any(),
            Some(Err(e)) => view! { <div class="alert alert-danger" role="alert">{e.to_string()}</div> }.into_any(),
            Some(Ok(t)) => {
                let strict = RwSignal::new(t.strict_audience);
                view! {
                    <section class="card">
                        <h2>"Tokens"</h2>
                        <SubmitForm action=update attr:class="form">
                            <CsrfField/>
                            <input type="hidden" name="realm" value=realm.get_value()/>
                            <input type="hidden" name="strict_audience" value=move || strict.get().to_string()/>
                            <label for="token-alg">"Access-token signature algorithm"</label>
                            <select id="token-alg" name="token_signing_alg" disabled=!admin>
                                <option value="ES256" selected=t.token_signing_alg == "ES256">"ES256"</option>
                                <option value="RS256" selected=t.token_signing_alg == "RS256">"RS256 (for consumers that only know Keycloak's default)"</option>
                            </select>
                            <label for="token-lifetime">"Access-token lifetime (seconds)"</label>
                            <input id="token-lifetime" name="access_token_lifetime_s" type="number" min="10" max="86400"
                                value=t.access_token_lifetime_s.to_string() disabled=!admin/>
                            <label class="checkbox">
                                <input type="checkbox" prop:checked=move || strict.get() disabled=!admin
                                    on:change=move |ev| strict.set(event_target_checked(&ev))/>
                                " Strict audience: a client assertion's aud must be the issuer (the token endpoint URL is refused)"
                            </label>
                            <ActionError value=update/>
                            {admin.then(|| view! { <button type="submit" class="btn btn-primary">"Save token settings"</button> })}
                        </SubmitForm>
                        {move || update.succeeded().then(|| view! {
                            <div class="alert alert-success" role="status">"Token settings saved."</div>
                        })}
                        <h3>"Signing keys"</h3>
                        <p class="help">"The active key signs new access tokens; passive keys stay in the realm's certs so tokens they signed keep verifying, until retired. A key is created on first use."</p>
                        <table class="table" data-testid="realm-keys">
                            <thead><tr><th>"Kid"</th><th>"Alg"</th><th>"Status"</th><th>"Created"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                            <tbody>
                                {t.keys.iter().map(|k| {
                                    let id = k.id.clone();
                                    let passive = k.status == "passive";
                                    view! {
                                        <tr>
                                            <td><code>{k.kid.clone()}</code></td>
                                            <td>{k.alg.clone()}</td>
                                            <td>{k.status.clone()}</td>
                                            <td>{format_time(k.created_at)}</td>
                                            <td>{(admin && passive).then(|| view! {
                                                <button type="button" class="btn btn-link btn-danger-text" on:click=move |_| {
                                                    retire.dispatch(RetireRealmKey { csrf: csrf.get_value(), realm: realm.get_value(), key_id: id.clone() });
                                                }>"Retire"</button>
                                            })}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        <ActionError value=rotate/>
                        <ActionError value=retire/>
                        {admin.then(|| view! {
                            <button type="button" class="btn btn-secondary" on:click=move |_| {
                                rotate.dispatch(RotateRealmKey { csrf: csrf.get_value(), realm: realm.get_value() });
                            }>"Rotate signing key"</button>
                        })}
                    </section>
                }.into_any()
            }
        }}
    }
}
