//! Clients as Keycloak's ClientRepresentation: list, create, read, update and delete, and the
//! keycloak.json installation provider.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use keyward_credentials::operator::Role;
use keyward_credentials::secret::SecretString;
use keyward_service::clients::keycloak_json;
use keyward_service::keys::apply_jwks_url;
use keyward_service::{audit as audit_as, Actor};
use keyward_store::clients::{self, Client, ClientUpdate, NewClient};
use keyward_store::realms::{self, Realm, MASTER};
use keyward_store::{keys, secrets, StoreError};
use serde::Deserialize;
use serde_json::{json, Value};

use super::secrets::current_value;
use super::{
    base, client_to_change, created, internal, realm_and_client, realm_named, ApiError, ApiQuery,
    ApiResult, Body, Caller,
};
use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    let client = "/admin/realms/{realm}/clients/{id}";
    Router::new()
        .route(
            "/admin/realms/{realm}/clients",
            get(list_clients).post(create_client),
        )
        .route(
            client,
            get(get_client).put(update_client).delete(delete_client),
        )
        .route(
            &format!("{client}/installation/providers/{{provider}}"),
            get(installation),
        )
}

/// The current secret of a client: the newest valid one. `secrets::list` is newest first, with
/// the store's per-client creation counter ordering secrets made within the same second.
pub(super) fn current_secret(
    all: &[secrets::ClientSecret],
    now: i64,
) -> Option<&secrets::ClientSecret> {
    all.iter()
        .find(|s| s.revoked_at.is_none() && s.expires_at.is_none_or(|t| t > now))
}

/// ClientRepresentations of `found`, in its order, read with four queries whatever their
/// number (keys, JWKS settings, secrets and client scopes of all of them at once).
async fn client_reps(state: &AppState, caller: &Caller, found: &[Client]) -> ApiResult<Vec<Value>> {
    let db = &state.ctx.db;
    let ids: Vec<String> = found.iter().map(|c| c.client_row_id.clone()).collect();
    let mut all_jwks = keys::jwks_for_clients(db, &ids).await?;
    let mut all_keys = keys::list_for_clients(db, &ids).await?;
    let mut all_secrets = secrets::list_for_clients(db, &ids).await?;
    let mut all_scopes = super::scopes::names_for_clients(state, &ids).await?;
    // Keycloak's federated attributes, read only for the clients that use the method.
    let mut federated = std::collections::HashMap::new();
    for c in found.iter().filter(|c| c.authenticator == "federated-jwt") {
        if let Some(first) = keyward_service::federation::keycloak_attributes(db, c).await? {
            federated.insert(c.client_row_id.clone(), first);
        }
    }
    let now = crate::now();
    Ok(found
        .iter()
        .map(|c| {
            let mut rep = client_rep_of(
                c,
                all_jwks.remove(&c.client_row_id),
                &all_keys.remove(&c.client_row_id).unwrap_or_default(),
                &all_secrets.remove(&c.client_row_id).unwrap_or_default(),
                now,
            );
            super::scopes::add_to_rep(&mut rep, all_scopes.remove(&c.client_row_id));
            if let Some((alias, sub)) = federated.remove(&c.client_row_id) {
                rep["attributes"][FEDERATED_ISSUER_ATTRIBUTE] = json!(alias);
                if let Some(sub) = sub {
                    rep["attributes"][FEDERATED_SUB_ATTRIBUTE] = json!(sub);
                }
            }
            // What the caller may do with it, as Keycloak's `access`: changing it follows the
            // one privilege rule (a client holding a higher API role is read-only).
            let manage = caller.role.allows(Role::Manager)
                && keyward_credentials::operator::may_change_client(
                    caller.role,
                    c.api_role.as_deref(),
                )
                .is_ok();
            rep["access"] = json!({ "view": true, "configure": manage, "manage": manage });
            rep
        })
        .collect())
}

async fn client_rep(state: &AppState, caller: &Caller, c: &Client) -> ApiResult<Value> {
    let mut reps = client_reps(state, caller, std::slice::from_ref(c)).await?;
    Ok(reps.pop().unwrap_or_default())
}

/// A client's ClientRepresentation from what the store holds for it.
fn client_rep_of(
    c: &Client,
    jwks: Option<keys::ClientJwks>,
    keys: &[keys::ClientKey],
    secrets: &[secrets::ClientSecret],
    now: i64,
) -> Value {
    let mut attributes = BTreeMap::<&str, String>::new();
    if let Some(alg) = &c.signing_alg {
        attributes.insert("token.endpoint.auth.signing.alg", alg.clone());
    }
    attributes.insert(
        "token.endpoint.auth.signing.max.exp",
        c.assertion_max_exp_s.to_string(),
    );
    let use_url = jwks.as_ref().is_some_and(|j| j.use_jwks_url);
    attributes.insert("use.jwks.url", use_url.to_string());
    if let Some(url) = jwks.map(|j| j.jwks_url).filter(|u| !u.is_empty()) {
        attributes.insert("jwks.url", url);
    }
    if let Some(cert) = active_certificate(keys) {
        attributes.insert("jwt.credential.certificate", STANDARD.encode(cert));
    }
    // A newest key registered without a certificate (public key PEM, JWK): Keycloak's
    // attributes for a bare public key.
    if let Some(k) = newest_active(keys).filter(|k| k.certificate_der.is_none()) {
        attributes.insert("jwt.credential.public.key", STANDARD.encode(&k.spki_der));
        if let Some(kid) = &k.kid {
            attributes.insert("jwt.credential.kid", kid.clone());
        }
    }
    if let Some(s) = current_secret(secrets, now) {
        attributes.insert("client.secret.creation.time", s.created_at.to_string());
        if let Some(t) = s.expires_at {
            attributes.insert("client.secret.expiration.time", t.to_string());
        }
    }
    attributes.insert(RFC9068_ATTRIBUTE, c.rfc9068_header.to_string());
    // The methods' declared settings: as stored, a Boolean that is not set as "false".
    for (_, p) in keyward_credentials::authenticator::declared_properties() {
        match c.auth_attributes.get(p.name) {
            Some(v) => {
                attributes.insert(p.name, v.clone());
            }
            None if p.property_type
                == keyward_credentials::authenticator::PropertyType::Boolean =>
            {
                attributes.insert(p.name, "false".into());
            }
            None => {}
        }
    }
    attributes.insert(BOUND_TOKENS_ATTRIBUTE, c.tls_bound_tokens.to_string());
    attributes.insert("realm_client", "false".into());
    // Keycloak's fields for what Keyward does not model, with the values that describe a
    // Keyward client (scripts read e.g. `redirectUris` without checking it is there).
    let mut rep = json!({
        "id": c.client_row_id,
        "clientId": c.client_id,
        "surrogateAuthRequired": false,
        "enabled": c.enabled,
        "alwaysDisplayInConsole": false,
        "clientAuthenticatorType": c.authenticator,
        "redirectUris": [],
        "webOrigins": [],
        "notBefore": 0,
        "bearerOnly": false,
        "consentRequired": false,
        "standardFlowEnabled": false,
        "implicitFlowEnabled": false,
        "directAccessGrantsEnabled": false,
        "serviceAccountsEnabled": !c.public_client,
        "publicClient": c.public_client,
        "frontchannelLogout": false,
        "protocol": "openid-connect",
        "attributes": attributes,
        "authenticationFlowBindingOverrides": {},
        "fullScopeAllowed": true,
        "nodeReRegistrationTimeout": -1,
    });
    // As Keycloak: a name or description that is not set is left out.
    if !c.name.is_empty() {
        rep["name"] = json!(c.name);
    }
    if !c.description.is_empty() {
        rep["description"] = json!(c.description);
    }
    rep
}

/// The client's newest active key (the one Keycloak's single-key model would hold).
fn newest_active(all: &[keys::ClientKey]) -> Option<&keys::ClientKey> {
    all.iter()
        .filter(|k| k.active)
        .max_by_key(|k| (k.created_at, k.created_seq))
}

/// The newest active certificate among a client's registered keys (DER).
fn active_certificate(all: &[keys::ClientKey]) -> Option<&[u8]> {
    all.iter()
        .filter(|k| k.active)
        .filter_map(|k| k.certificate_der.as_deref().map(|d| (k.created_at, d)))
        .max_by_key(|(at, _)| *at)
        .map(|(_, d)| d)
}

#[derive(Deserialize)]
struct ClientQuery {
    #[serde(rename = "clientId")]
    client_id: Option<String>,
    first: Option<i64>,
    max: Option<i64>,
    search: Option<bool>,
}

async fn list_clients(
    State(state): State<AppState>,
    caller: Caller,
    Path(realm): Path<String>,
    ApiQuery(q): ApiQuery<ClientQuery>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let r = realm_named(&state, &realm).await?;
    // As Keycloak: without `max`, every client (its tooling lists them all that way).
    let (first, max) = (q.first.unwrap_or(0), q.max.unwrap_or(i64::MAX).max(0));
    let found: Vec<Client> = match (&q.client_id, q.search.unwrap_or(false)) {
        (Some(id), false) => {
            match clients::get_by_client_id(&state.ctx.db, &r.realm_id, id).await {
                Ok(c) if first == 0 && max > 0 => vec![c],
                Ok(_) | Err(StoreError::NotFound) => Vec::new(),
                Err(e) => return Err(e.into()),
            }
        }
        (term, _) => {
            clients::list(&state.ctx.db, &r.realm_id, term.as_deref(), first, max)
                .await?
                .items
        }
    };
    Ok(Json(client_reps(&state, &caller, &found).await?).into_response())
}

/// ClientRepresentation as Keyward reads it: fields absent stay unchanged (PUT) or take their
/// defaults (POST); fields Keyward does not model are ignored, wrong types are refused.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClientRep {
    id: Option<String>,
    client_id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
    public_client: Option<bool>,
    client_authenticator_type: Option<String>,
    secret: Option<String>,
    attributes: Option<BTreeMap<String, String>>,
    service_accounts_enabled: Option<bool>,
    bearer_only: Option<bool>,
    /// Names of the client's default and optional client scopes (see `scopes`).
    default_client_scopes: Option<Vec<String>>,
    optional_client_scopes: Option<Vec<String>>,
}

impl ClientRep {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.as_ref()?.get(name).map(String::as_str)
    }

    /// Refuses what Keyward cannot honour and must not silently ignore: a client meant to be
    /// unable to get tokens (`bearerOnly`, or a confidential client without a service account)
    /// would otherwise stay a token-issuing client.
    fn check_flows(&self, public_client: bool) -> ApiResult<()> {
        if self.bearer_only == Some(true) {
            return Err(ApiError::bad_request(
                "bearerOnly clients are not supported: every Keyward client gets tokens with its credentials (make it public to take that away)",
            ));
        }
        if self.service_accounts_enabled == Some(false) && !public_client {
            return Err(ApiError::bad_request(
                "serviceAccountsEnabled cannot be false for a confidential client: Keyward clients get tokens by client_credentials (make it public instead)",
            ));
        }
        if self.service_accounts_enabled == Some(true) && public_client {
            return Err(ApiError::bad_request(
                "a public client has no service account: serviceAccountsEnabled must be false or left out",
            ));
        }
        Ok(())
    }
}

async fn create_client(
    State(state): State<AppState>,
    caller: Caller,
    Path(realm): Path<String>,
    Body(rep): Body<ClientRep>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    let r = realm_named(&state, &realm).await?;
    let client_id = keyward_credentials::names::client_id(rep.client_id.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let name = text("name", rep.name.as_deref().unwrap_or(""), 255)?;
    let description = text(
        "description",
        rep.description.as_deref().unwrap_or(""),
        1000,
    )?;
    let imported = secret_to_import(
        &rep,
        &r,
        rep.client_authenticator_type
            .as_deref()
            .unwrap_or("client-secret"),
        rep.public_client.unwrap_or(false),
    )?;
    rep.check_flows(rep.public_client.unwrap_or(false))?;
    let scopes = super::scopes::plan(
        &state,
        &r,
        rep.default_client_scopes.as_deref(),
        rep.optional_client_scopes.as_deref(),
    )
    .await?;
    let c = clients::create(
        &state.ctx.db,
        &r.realm_id,
        &NewClient {
            client_id: &client_id,
            name: &name,
            description: &description,
            enabled: rep.enabled.unwrap_or(true),
            public_client: rep.public_client.unwrap_or(false),
        },
        crate::now(),
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => ApiError::new(
            StatusCode::CONFLICT,
            format!("Client {client_id} already exists"),
        ),
        other => other.into(),
    })?;
    // The attributes are checked against the new client; a refusal removes it again.
    let planned = match plan(&state, &c, &rep, c.public_client).await {
        Ok(p) => p,
        Err(e) => {
            clients::delete(&state.ctx.db, &r.realm_id, &c.client_row_id).await?;
            return Err(e);
        }
    };
    audit_as(
        &state.ctx,
        &caller.actor,
        Some(&r.realm_id),
        Some(&c.client_row_id),
        "CREATE",
        &format!("clients/{}", c.client_row_id),
        json!({ "clientId": c.client_id, "publicClient": c.public_client }),
    )
    .await?;
    let c = apply(&state, &caller, &r, c, planned).await?;
    super::scopes::apply(&state, &caller, &r, &c, scopes).await?;
    import_secret(&state, &caller, &r, &c, imported).await?;
    Ok(created(format!(
        "{}/admin/realms/{}/clients/{}",
        base(&state),
        r.name,
        c.client_row_id
    )))
}

/// Keycloak's `secret` on a client representation, checked before anything is written: a
/// confidential client, a value Keyward accepts (a mistyped `kw_` value is refused), an expiry
/// the realm's lifetime policies allow (an imported secret has none).
fn secret_to_import(
    rep: &ClientRep,
    r: &keyward_store::realms::Realm,
    method: &str,
    public_client: bool,
) -> ApiResult<Option<SecretString>> {
    let Some(value) = rep.secret.as_deref() else {
        return Ok(None);
    };
    if public_client {
        return Err(ApiError::bad_request(
            "a public client has no secret: leave secret out",
        ));
    }
    let hmac = (method == "client-secret-jwt").then_some("HS256");
    keyward_credentials::client_secret::check_imported(value, hmac)
        .map_err(|e| ApiError::bad_request(format!("secret: {e}")))?;
    keyward_service::secrets::check_lifetime(r, crate::now(), None)?;
    Ok(Some(SecretString::new(value.to_owned())))
}

/// Makes a checked `secret` the client's secret (its earlier secrets end at once, as in
/// Keycloak); audited as an import, without the value.
async fn import_secret(
    state: &AppState,
    caller: &Caller,
    r: &keyward_store::realms::Realm,
    c: &Client,
    value: Option<SecretString>,
) -> ApiResult<()> {
    if let Some(value) = value {
        keyward_service::secrets::import(
            &state.ctx,
            &caller.actor,
            &r.name,
            &c.client_row_id,
            &keyward_service::secrets::Imported {
                value: &value,
                label: "imported",
                expires_at: None,
            },
        )
        .await?;
    }
    Ok(())
}

fn text(field: &str, value: &str, max: usize) -> ApiResult<String> {
    keyward_credentials::names::text(field, value, max, false)
        .map_err(|e| ApiError::bad_request(e.to_string()))
}

/// What a representation asks to change about a client's authentication and key source,
/// validated before anything is written.
struct Plan {
    /// The authentication change, validated.
    authentication: Option<keyward_service::clients::AuthenticationChange>,
    /// (use the JWKS URL, the URL).
    jwks: Option<(bool, String)>,
    /// Access tokens with header `typ: at+jwt` (`access.token.header.type.rfc9068`).
    rfc9068_header: Option<bool>,
    /// Keycloak's federated binding (`jwt.credential.issuer`, `jwt.credential.sub`).
    federated: Option<(String, String)>,
}

/// The name of Keycloak's client attribute that switches the access-token header to RFC 9068's.
const RFC9068_ATTRIBUTE: &str = "access.token.header.type.rfc9068";
/// Keycloak's attributes of a Signed JWT - Federated (`federated-jwt`) client: the identity
/// provider's alias and the token's subject (the client's first binding).
const FEDERATED_ISSUER_ATTRIBUTE: &str = "jwt.credential.issuer";
const FEDERATED_SUB_ATTRIBUTE: &str = "jwt.credential.sub";
/// Keycloak's attribute for certificate-bound access tokens (RFC 8705 §3).
const BOUND_TOKENS_ATTRIBUTE: &str = "tls.client.certificate.bound.access.tokens";

/// Validates what `rep` asks of client `c` (as it will be: `public_client` after the update)
/// with the same rules and messages as the console (`keyward_service::clients`).
async fn plan(
    state: &AppState,
    c: &Client,
    rep: &ClientRep,
    public_client: bool,
) -> ApiResult<Plan> {
    use keyward_service::clients::{
        parse_assertion_lifetime, parse_flag, validate_authentication, AuthenticationChange,
    };
    let flag = |name: &str| rep.attribute(name).map(|v| parse_flag(name, v)).transpose();
    // The methods' declared settings, checked by their declarations (the same use case as
    // the console's method form).
    let declared: BTreeMap<String, String> =
        keyward_credentials::authenticator::declared_properties()
            .filter_map(|(_, p)| {
                rep.attribute(p.name)
                    .map(|v| (p.name.to_string(), v.to_owned()))
            })
            .collect();
    let change = AuthenticationChange {
        attributes: (!declared.is_empty()).then_some(declared),
        tls_bound_tokens: flag(BOUND_TOKENS_ATTRIBUTE)?,
        method: rep.client_authenticator_type.clone(),
        signing_alg: rep
            .attribute("token.endpoint.auth.signing.alg")
            .map(|a| Some(a.to_owned()).filter(|a| !a.is_empty())),
        assertion_max_exp_s: rep
            .attribute("token.endpoint.auth.signing.max.exp")
            .map(parse_assertion_lifetime)
            .transpose()?,
        expected_version: None,
    };
    let as_it_will_be = Client {
        public_client,
        ..c.clone()
    };
    let authentication = validate_authentication(&as_it_will_be, &change)?.map(|_| change);
    let use_url = rep.attribute("use.jwks.url");
    let url = rep.attribute("jwks.url");
    let jwks = if use_url.is_none() && url.is_none() {
        None
    } else {
        let current = keys::jwks(&state.ctx.db, &c.client_row_id).await?;
        let use_url = match use_url {
            None => current.as_ref().is_some_and(|j| j.use_jwks_url),
            Some("true") => true,
            Some("false") => false,
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "use.jwks.url must be \"true\" or \"false\", not {other:?}"
                )))
            }
        };
        let url = match url {
            Some(u) => u.trim().to_owned(),
            None => current.map(|j| j.jwks_url).unwrap_or_default(),
        };
        let url = keyward_service::keys::validate_jwks_url(&state.ctx, use_url, &url)?;
        Some((use_url, url))
    };
    let rfc9068_header = match rep.attribute(RFC9068_ATTRIBUTE) {
        None => None,
        Some("true") => Some(true),
        Some("false") | Some("") => Some(false),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "{RFC9068_ATTRIBUTE} must be \"true\" or \"false\", not {other:?}"
            )))
        }
    };
    let issuer = rep
        .attribute(FEDERATED_ISSUER_ATTRIBUTE)
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let sub = rep
        .attribute(FEDERATED_SUB_ATTRIBUTE)
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let federated = match (issuer, sub) {
        (None, None) => None,
        (Some(i), Some(s)) => {
            keyward_service::federation::validate_binding(
                &state.ctx,
                &c.realm_id,
                &keyward_service::federation::BindingInput {
                    label: keyward_service::federation::KEYCLOAK_LABEL.into(),
                    provider: i.to_owned(),
                    subject: Some(s.to_owned()),
                    expression: None,
                },
            )
            .await?;
            Some((i.to_owned(), s.to_owned()))
        }
        _ => {
            return Err(ApiError::bad_request(format!(
                "{FEDERATED_ISSUER_ATTRIBUTE} (an identity provider's alias) and {FEDERATED_SUB_ATTRIBUTE} (the token's subject) go together"
            )))
        }
    };
    Ok(Plan {
        authentication,
        jwks,
        rfc9068_header,
        federated,
    })
}

/// Writes a validated [`Plan`] and audits it.
async fn apply(
    state: &AppState,
    caller: &Caller,
    r: &Realm,
    c: Client,
    plan: Plan,
) -> ApiResult<Client> {
    let mut c = c;
    if let Some(change) = plan.authentication {
        c = keyward_service::clients::set_authentication(
            &state.ctx,
            &caller.actor,
            &r.name,
            &c.client_row_id,
            &change,
        )
        .await?;
    }
    if let Some((use_url, url)) = plan.jwks {
        apply_jwks_url(&state.ctx, &caller.actor, r, &c, use_url, &url).await?;
    }
    if let Some((provider, sub)) = &plan.federated {
        keyward_service::federation::set_keycloak_attributes(
            &state.ctx,
            &caller.actor,
            r,
            &c,
            provider,
            sub,
        )
        .await?;
    }
    if let Some(on) = plan.rfc9068_header.filter(|on| *on != c.rfc9068_header) {
        c = clients::set_rfc9068_header(
            &state.ctx.db,
            &r.realm_id,
            &c.client_row_id,
            on,
            crate::now(),
        )
        .await?;
        audit_as(
            &state.ctx,
            &caller.actor,
            Some(&r.realm_id),
            Some(&c.client_row_id),
            "UPDATE",
            &format!("clients/{}", c.client_row_id),
            json!({ RFC9068_ATTRIBUTE: on.to_string() }),
        )
        .await?;
    }
    Ok(c)
}

async fn get_client(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let (_, c) = realm_and_client(&state, &realm, &id).await?;
    Ok(Json(client_rep(&state, &caller, &c).await?).into_response())
}

async fn update_client(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id)): Path<(String, String)>,
    Body(rep): Body<ClientRep>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    let (r, c) = client_to_change(&state, &caller, &realm, &id).await?;
    if rep.id.as_deref().is_some_and(|i| i != c.client_row_id) {
        return Err(ApiError::bad_request("a client's id cannot be changed"));
    }
    if rep.client_id.as_deref().is_some_and(|i| i != c.client_id) {
        return Err(ApiError::bad_request(
            "Keyward does not rename clients: clientId must stay the same",
        ));
    }
    let imported = secret_to_import(
        &rep,
        &r,
        rep.client_authenticator_type
            .as_deref()
            .unwrap_or(&c.authenticator),
        rep.public_client.unwrap_or(c.public_client),
    )?;
    // Keycloak's tooling sends a client back as it read it: the current secret's own value
    // changes nothing.
    let imported = match imported {
        Some(v) => {
            let current = secrets::list(&state.ctx.db, &c.client_row_id).await?;
            let verifier = state.ctx.vault.verifier(v.expose());
            let same = current_secret(&current, crate::now())
                .and_then(|s| keyward_credentials::seal::Verifier::from_slice(&s.verifier))
                .is_some_and(|stored| stored.ct_eq(&verifier));
            (!same).then_some(v)
        }
        None => None,
    };
    let name = match &rep.name {
        Some(n) => text("name", n, 255)?,
        None => c.name.clone(),
    };
    let description = match &rep.description {
        Some(d) => text("description", d, 1000)?,
        None => c.description.clone(),
    };
    let update = ClientUpdate {
        name: &name,
        description: &description,
        enabled: rep.enabled.unwrap_or(c.enabled),
        public_client: rep.public_client.unwrap_or(c.public_client),
    };
    rep.check_flows(update.public_client)?;
    let planned = plan(&state, &c, &rep, update.public_client).await?;
    let scopes = super::scopes::plan(
        &state,
        &r,
        rep.default_client_scopes.as_deref(),
        rep.optional_client_scopes.as_deref(),
    )
    .await?;
    let changed = update.name != c.name
        || update.description != c.description
        || update.enabled != c.enabled
        || update.public_client != c.public_client;
    let c = if changed {
        let updated = clients::update(
            &state.ctx.db,
            &r.realm_id,
            &c.client_row_id,
            c.version,
            &update,
            crate::now(),
        )
        .await?;
        audit_as(
            &state.ctx,
            &caller.actor,
            Some(&r.realm_id),
            Some(&c.client_row_id),
            "UPDATE",
            &format!("clients/{}", c.client_row_id),
            json!({
                "name": update.name,
                "description": update.description,
                "enabled": update.enabled,
                "publicClient": update.public_client,
            }),
        )
        .await?;
        updated
    } else {
        c
    };
    let c = apply(&state, &caller, &r, c, planned).await?;
    super::scopes::apply(&state, &caller, &r, &c, scopes).await?;
    import_secret(&state, &caller, &r, &c, imported).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete_client(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    let (r, c) = client_to_change(&state, &caller, &realm, &id).await?;
    clients::delete(&state.ctx.db, &r.realm_id, &c.client_row_id).await?;
    audit_as(
        &state.ctx,
        &caller.actor,
        Some(&r.realm_id),
        Some(&c.client_row_id),
        "DELETE",
        &format!("clients/{}", c.client_row_id),
        json!({ "clientId": c.client_id }),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Creates the bootstrap Admin REST client from the configuration when no master-realm client
/// has its id (like Keycloak's bootstrap admin client): confidential, client-secret, role admin;
/// only the secret's verifier is stored.
pub async fn bootstrap_client(
    ctx: &keyward_service::Services,
    config: &crate::Config,
) -> Result<(), crate::StartError> {
    use crate::config::ConfigError;
    let db_error = |e: StoreError| crate::StartError::Database(e.to_string());
    let (id, secret) = match (
        &config.bootstrap_admin_client_id,
        &config.bootstrap_admin_client_secret,
    ) {
        (None, None) => return Ok(()),
        (Some(id), Some(secret)) => (id, SecretString::new(secret.clone())),
        _ => {
            return Err(ConfigError::new(
                "KEYWARD_BOOTSTRAP_ADMIN_CLIENT_ID",
                "set both KEYWARD_BOOTSTRAP_ADMIN_CLIENT_ID and \
                 KEYWARD_BOOTSTRAP_ADMIN_CLIENT_SECRET, or neither",
            )
            .into())
        }
    };
    let id = keyward_credentials::names::client_id(id)
        .map_err(ConfigError::of("KEYWARD_BOOTSTRAP_ADMIN_CLIENT_ID"))?;
    keyward_credentials::client_secret::check_imported(secret.expose(), None)
        .map_err(ConfigError::of("KEYWARD_BOOTSTRAP_ADMIN_CLIENT_SECRET"))?;
    let db = &ctx.db;
    let master = realms::get_by_name(db, MASTER).await.map_err(db_error)?;
    match clients::get_by_client_id(db, &master.realm_id, &id).await {
        Ok(_) => return Ok(()),
        Err(StoreError::NotFound) => {}
        Err(e) => return Err(db_error(e)),
    }
    let now = crate::now();
    let c = clients::create(
        db,
        &master.realm_id,
        &NewClient {
            client_id: &id,
            name: "Admin REST API (bootstrap)",
            description: "Created from KEYWARD_BOOTSTRAP_ADMIN_CLIENT_ID",
            enabled: true,
            public_client: false,
        },
        now,
    )
    .await
    .map_err(db_error)?;
    let verifier = ctx.vault.verifier(secret.expose());
    secrets::rotate(
        db,
        &c.client_row_id,
        &secrets::NewSecret {
            label: "bootstrap",
            verifier: &verifier.0,
            sealed: None,
            expires_at: None,
            created_by: "bootstrap",
        },
        now,
        now,
    )
    .await
    .map_err(db_error)?;
    clients::set_api_role(db, &master.realm_id, &c.client_row_id, Some("admin"))
        .await
        .map_err(db_error)?;
    audit_as(
        ctx,
        &Actor {
            name: "bootstrap".into(),
            ip: None,
            role: Role::Admin,
        },
        Some(&master.realm_id),
        Some(&c.client_row_id),
        "CREATE",
        &format!("clients/{}", c.client_row_id),
        json!({ "clientId": id, "apiRole": "admin" }),
    )
    .await
    .map_err(|e| crate::StartError::Database(e.to_string()))?;
    tracing::info!(client_id = %id, "created the bootstrap Admin REST API client");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Installation

async fn installation(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id, provider)): Path<(String, String, String)>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    let (r, c) = realm_and_client(&state, &realm, &id).await?;
    if provider != "keycloak-oidc-keycloak-json" {
        return Err(ApiError::thrown(StatusCode::NOT_FOUND, "Unknown Provider"));
    }
    // As Keycloak, the real secret when the caller may see it (an admin, in a realm that allows
    // reveal, a sealed secret; audited as a reveal); otherwise Keycloak's placeholder.
    let secret = if matches!(
        c.authenticator.as_str(),
        "client-secret" | "client-secret-jwt"
    ) {
        current_value(&state, &caller, &r, &c).await?
    } else {
        None
    };
    let text = keycloak_json(&state.ctx, &r.name, &c, secret.as_ref().map(|s| s.expose()));
    let value: Value = serde_json::from_str(&text).map_err(internal)?;
    Ok(Json(value).into_response())
}
