//! `certificates/jwt.credential`: the client's certificate (Keycloak holds one), generate,
//! generate-and-download, download (refused: Keyward keeps no private key), upload and
//! upload-certificate.

use std::collections::BTreeMap;

use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use keyward_credentials::keys::generate::{KeyAlgorithm, KeystoreFormat};
use keyward_credentials::keys::KeyFormat;
use keyward_credentials::operator::Role;
use keyward_service::keys::{generate_and_register, import, AlreadyRegistered, KeystoreSpec};
use keyward_store::clients::Client;
use keyward_store::keys;
use keyward_store::realms::Realm;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{client_to_change, realm_and_client, ApiError, ApiResult, Body, Caller};
use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    let cert = "/admin/realms/{realm}/clients/{id}/certificates/{attr}";
    Router::new()
        .route(cert, get(get_certificate))
        .route(&format!("{cert}/generate"), post(generate_certificate))
        .route(
            &format!("{cert}/generate-and-download"),
            post(generate_and_download),
        )
        .route(&format!("{cert}/download"), post(download))
        .route(&format!("{cert}/upload"), post(upload))
        .route(&format!("{cert}/upload-certificate"), post(upload))
}

fn check_attr(attr: &str) -> ApiResult<()> {
    if attr == "jwt.credential" {
        Ok(())
    } else {
        Err(ApiError::not_found("Certificate attribute"))
    }
}

/// CertificateRepresentation of the client's newest active key (with a certificate first).
async fn certificate_rep(state: &AppState, c: &Client) -> ApiResult<Value> {
    let all = keys::list(&state.ctx.db, &c.client_row_id).await?;
    let newest = all
        .iter()
        .filter(|k| k.active)
        .max_by_key(|k| (k.certificate_der.is_some(), k.created_at, k.created_seq));
    Ok(newest.map(key_certificate_rep).unwrap_or_else(|| json!({})))
}

/// CertificateRepresentation of one key.
fn key_certificate_rep(k: &keys::ClientKey) -> Value {
    json!({
        "certificate": k.certificate_der.as_deref().map(|d| STANDARD.encode(d)),
        "publicKey": STANDARD.encode(&k.spki_der),
        "kid": k.kid,
    })
}

/// Keycloak's `certificates/jwt.credential` holds one certificate, and `generate`, `upload`
/// and `upload-certificate` replace it: through the Admin REST API the keys just written become
/// the client's only active keys (the others are deactivated, audited, not deleted; the console
/// keeps its own overlap of several active keys).
async fn make_only_active(
    state: &AppState,
    caller: &Caller,
    r: &Realm,
    c: &Client,
    keep: &[keys::ClientKey],
) -> ApiResult<()> {
    let keep_ids: Vec<&str> = keep.iter().map(|k| k.key_id.as_str()).collect();
    for k in keys::list(&state.ctx.db, &c.client_row_id).await? {
        let wanted = keep_ids.contains(&k.key_id.as_str());
        if k.active != wanted {
            keyward_service::keys::set_active(&state.ctx, &caller.actor, r, c, &k.key_id, wanted)
                .await?;
        }
    }
    Ok(())
}

async fn get_certificate(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id, attr)): Path<(String, String, String)>,
) -> ApiResult {
    caller.require(Role::Viewer)?;
    check_attr(&attr)?;
    let (_, c) = realm_and_client(&state, &realm, &id).await?;
    Ok(Json(certificate_rep(&state, &c).await?).into_response())
}

/// Keycloak's KeyStoreConfig.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct KeyStoreConfig {
    format: Option<String>,
    key_alias: Option<String>,
    key_password: Option<String>,
    store_password: Option<String>,
    key_size: Option<u32>,
    validity: Option<u32>,
}

impl Drop for KeyStoreConfig {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.key_password.zeroize();
        self.store_password.zeroize();
    }
}

/// Generates a key pair and certificate for the client, registers the certificate as the
/// client's one active key (Keycloak's replace) and returns it with the keystore.
async fn generate_keystore_for(
    state: &AppState,
    caller: &Caller,
    realm: &str,
    id: &str,
    config: &KeyStoreConfig,
) -> ApiResult<(
    keys::ClientKey,
    keyward_credentials::keys::generate::Generated,
    KeystoreFormat,
)> {
    let (r, c) = client_to_change(state, caller, realm, id).await?;
    if c.public_client {
        return Err(ApiError::bad_request("a public client has no keys"));
    }
    let format = KeystoreFormat::parse(config.format.as_deref().unwrap_or("PKCS12"))
        .ok_or_else(|| ApiError::bad_request("format must be JKS or PKCS12"))?;
    // Keycloak's default (KeycloakModelUtils.DEFAULT_RSA_KEY_SIZE).
    let algorithm = match config.key_size.unwrap_or(4096) {
        2048 => KeyAlgorithm::Rsa2048,
        3072 => KeyAlgorithm::Rsa3072,
        4096 => KeyAlgorithm::Rsa4096,
        n => {
            return Err(ApiError::bad_request(format!(
                "keySize {n} is not supported: choose 2048, 3072 or 4096"
            )))
        }
    };
    let store_password = config.store_password.as_deref().unwrap_or("");
    if store_password.is_empty() {
        return Err(ApiError::bad_request("storePassword is required"));
    }
    let key_password = match (format, config.key_password.as_deref()) {
        (_, Some(p)) if !p.is_empty() => p,
        _ => store_password,
    };
    let alias = config
        .key_alias
        .clone()
        .unwrap_or_else(|| c.client_id.clone());
    let (key, generated) = generate_and_register(
        &state.ctx,
        &caller.actor,
        &r,
        &c,
        &KeystoreSpec {
            algorithm,
            format,
            alias: &alias,
            store_password,
            key_password,
            validity_years: config.validity.unwrap_or(3),
        },
    )
    .await?;
    make_only_active(state, caller, &r, &c, std::slice::from_ref(&key)).await?;
    Ok((key, generated, format))
}

/// Keyward never returns a private key from `generate`: the certificate is registered and the
/// key pair is discarded (use generate-and-download to get the key in a keystore).
async fn generate_certificate(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id, attr)): Path<(String, String, String)>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    check_attr(&attr)?;
    let mut config = KeyStoreConfig::default();
    config.store_password =
        Some(keyward_credentials::keys::generate::default_password().to_string());
    let (key, _, _) = generate_keystore_for(&state, &caller, &realm, &id, &config).await?;
    Ok(Json(key_certificate_rep(&key)).into_response())
}

async fn generate_and_download(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id, attr)): Path<(String, String, String)>,
    Body(config): Body<KeyStoreConfig>,
) -> ApiResult {
    caller.require(Role::Manager)?;
    check_attr(&attr)?;
    let (_, generated, format) =
        generate_keystore_for(&state, &caller, &realm, &id, &config).await?;
    let extension = match format {
        KeystoreFormat::Pkcs12 => "p12",
        KeystoreFormat::Jks => "jks",
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"keystore.{extension}\""),
            ),
        ],
        generated.keystore.to_vec(),
    )
        .into_response())
}

async fn download(caller: Caller, Path((_, _, attr)): Path<(String, String, String)>) -> ApiResult {
    caller.require(Role::Manager)?;
    check_attr(&attr)?;
    Err(ApiError::bad_request(
        "Keyward never keeps a client's private key, so there is nothing to download: \
         use generate-and-download",
    ))
}

async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path((realm, id, attr)): Path<(String, String, String)>,
    mut form: Multipart,
) -> ApiResult {
    caller.require(Role::Manager)?;
    check_attr(&attr)?;
    let (r, c) = client_to_change(&state, &caller, &realm, &id).await?;
    let mut fields = BTreeMap::<String, Vec<u8>>::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(format!("malformed multipart body: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::bad_request(format!("malformed multipart body: {e}")))?;
        fields.insert(name, bytes.to_vec());
    }
    let field = |name: &str| {
        fields
            .get(name)
            .map(|v| String::from_utf8_lossy(v).trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let format_name = field("keystoreFormat").unwrap_or_default();
    let format = KeyFormat::parse(&format_name).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            format!(
                "keystoreFormat {format_name:?} is not supported: choose one of {}",
                KeyFormat::ALL.map(|f| f.keycloak_name()).join(", ")
            ),
        )
    })?;
    let Some(bytes) = fields.get("file").filter(|b| !b.is_empty()).cloned() else {
        return Err(ApiError::bad_request("the multipart field file is missing"));
    };
    let store_password = field("storePassword").map(zeroize::Zeroizing::new);
    let alias = field("keyAlias");
    let uploaded = import(
        &state.ctx,
        &caller.actor,
        &r,
        &c,
        Some(format),
        bytes,
        store_password.as_ref().map(|p| p.as_str()),
        alias.as_deref(),
        AlreadyRegistered::Keep,
    )
    .await?;
    make_only_active(&state, &caller, &r, &c, &uploaded).await?;
    let shown = uploaded
        .iter()
        .find(|k| k.certificate_der.is_some())
        .or(uploaded.first());
    Ok(Json(shown.map(key_certificate_rep).unwrap_or_else(|| json!({}))).into_response())
}
