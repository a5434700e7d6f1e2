//! Server functions of a client's Keys tab: the registered public keys (import, activate,
//! deactivate, delete) and the JWKS URL with "Fetch now", with the views they return.

#[cfg(feature = "ssr")]
use keyward_credentials::operator::Role;
use leptos::prelude::*;
use leptos::server_fn::codec::MultipartData;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Certificates expiring within this many seconds are flagged.
pub const EXPIRY_WARNING_S: i64 = 30 * 86_400;

/// One public key, as the key list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyView {
    /// Row id (empty for keys fetched from a JWKS URL).
    pub id: String,
    /// The kid assertions must carry: the upload's, else Keycloak's.
    pub kid: String,
    /// The upload carried its own kid.
    pub kid_from_upload: bool,
    /// RFC 7638 thumbprint (also accepted as a kid when the upload had none).
    pub jwk_thumbprint: String,
    pub kty: String,
    pub size: String,
    pub alg: Option<String>,
    pub x5t_s256: Option<String>,
    pub subject: Option<String>,
    pub issuer: Option<String>,
    pub not_before: Option<i64>,
    pub not_after: Option<i64>,
    /// "expired", "expiring" (within 30 days) or "" for a valid or certificate-less key.
    pub expiry: String,
    pub source: String,
    pub active: bool,
    pub created_at: i64,
    pub created_by: String,
    /// Last successful use (at most a minute old) and the address it came from (stored keys).
    pub last_used: Option<(i64, Option<String>)>,
    /// The public key (and certificate, if any) as PEM, for download.
    pub pem: String,
    /// The public JWK, for download.
    pub jwk: String,
}

/// The JWKS URL settings and the last fetch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwksView {
    pub use_jwks_url: bool,
    pub url: String,
    pub fetched_at: Option<i64>,
    pub key_count: Option<i64>,
    pub last_attempt_at: Option<i64>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    /// The keys of the last good fetch.
    pub keys: Vec<KeyView>,
    /// Keys of the last good fetch that cannot verify signatures, with the reason.
    pub skipped: Vec<String>,
}

/// An import format the dialog offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormatView {
    pub id: String,
    pub label: String,
    pub keystore: bool,
}

/// Everything the Keys tab shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysView {
    pub client_id: String,
    pub public_client: bool,
    pub authenticator: String,
    pub keys: Vec<KeyView>,
    pub jwks: JwksView,
    pub formats: Vec<FormatView>,
    pub now: i64,
}

#[cfg(feature = "ssr")]
pub mod server {
    use super::*;
    use crate::ssr::{now, Services};
    use keyward_credentials::keys;
    use keyward_store::keys::{ClientJwks, ClientKey};

    fn expiry(not_after: Option<i64>, now: i64) -> String {
        match not_after {
            Some(t) if t <= now => "expired".into(),
            Some(t) if t - now <= EXPIRY_WARNING_S => "expiring".into(),
            _ => String::new(),
        }
    }

    /// The view of a key from its stored or fetched parts. `None` for material that no longer
    /// parses (never expected for stored keys: they were checked on import).
    #[allow(clippy::too_many_arguments)]
    fn key_view(
        id: &str,
        kid: Option<&str>,
        alg: Option<&str>,
        spki: &[u8],
        cert: Option<&[u8]>,
        source: &str,
        active: bool,
        created_at: i64,
        created_by: &str,
        now: i64,
    ) -> Option<KeyView> {
        let facts = keys::facts(spki, cert).ok()?;
        let shown_kid = kid.unwrap_or(&facts.keycloak_kid).to_owned();
        let mut pem = keys::public_key_pem(spki);
        if let Some(c) = cert {
            pem.push_str(&keys::certificate_pem(c));
        }
        let jwk = keys::public_jwk(spki, &shown_kid, alg, cert)
            .ok()
            .and_then(|j| serde_json::to_string_pretty(&j).ok())
            .unwrap_or_default();
        let c = facts.certificate.as_ref();
        Some(KeyView {
            id: id.to_owned(),
            kid: shown_kid,
            kid_from_upload: kid.is_some(),
            jwk_thumbprint: facts.jwk_thumbprint.clone(),
            kty: facts.kty.clone(),
            size: facts.size.clone(),
            alg: alg.map(str::to_owned),
            x5t_s256: c.map(|c| c.x5t_s256.clone()),
            subject: c.map(|c| c.subject.clone()),
            issuer: c.map(|c| c.issuer.clone()),
            not_before: c.map(|c| c.not_before),
            not_after: c.map(|c| c.not_after),
            expiry: expiry(c.map(|c| c.not_after), now),
            source: source.to_owned(),
            active,
            created_at,
            created_by: created_by.to_owned(),
            last_used: None,
            pem,
            jwk,
        })
    }

    /// The generate dialog's choices for client `c`, with fresh random passwords.
    pub fn keystore_choices(c: keyward_store::clients::Client) -> KeystoreChoices {
        use keyward_credentials::keys::generate::{default_password, KeyAlgorithm};
        KeystoreChoices {
            algorithms: KeyAlgorithm::ALL
                .iter()
                .map(|a| (a.id().to_owned(), a.label().to_owned()))
                .collect(),
            alias: c.client_id,
            store_password: default_password().to_string(),
            key_password: default_password().to_string(),
        }
    }

    /// The client's keys and JWKS URL state, as the Keys tab and `get_keys` show them.
    pub async fn keys_view(
        ctx: &Services,
        c: keyward_store::clients::Client,
    ) -> Result<KeysView, AppError> {
        let now = now();
        let stored = keyward_store::keys::list(&ctx.db, &c.client_row_id).await?;
        let jwks = keyward_store::keys::jwks(&ctx.db, &c.client_row_id).await?;
        Ok(KeysView {
            client_id: c.client_id,
            public_client: c.public_client,
            authenticator: c.authenticator,
            keys: stored
                .iter()
                .filter_map(|k| stored_key_view(k, now))
                .collect(),
            jwks: jwks_view(jwks.as_ref(), now),
            formats: keyward_credentials::keys::KeyFormat::ALL
                .iter()
                .map(|f| FormatView {
                    id: f.id().into(),
                    label: f.label().into(),
                    keystore: f.is_keystore(),
                })
                .collect(),
            now,
        })
    }

    pub fn stored_key_view(k: &ClientKey, now: i64) -> Option<KeyView> {
        key_view(
            &k.key_id,
            k.kid.as_deref(),
            k.alg.as_deref(),
            &k.spki_der,
            k.certificate_der.as_deref(),
            &k.source,
            k.active,
            k.created_at,
            &k.created_by,
            now,
        )
        .map(|v| KeyView {
            last_used: k.last_used.clone(),
            ..v
        })
    }

    pub fn jwks_view(j: Option<&ClientJwks>, now: i64) -> JwksView {
        let Some(j) = j else {
            return JwksView::default();
        };
        let fetched = j
            .body
            .as_deref()
            .and_then(|b| keys::parse_fetched_jwks(b).ok());
        let keys = fetched
            .as_ref()
            .map(|f| {
                f.keys
                    .iter()
                    .filter_map(|k| {
                        key_view(
                            "",
                            k.kid.as_deref(),
                            k.alg.as_deref(),
                            &k.spki_der,
                            k.certificate_der.as_deref(),
                            "jwks-url",
                            true,
                            j.fetched_at.unwrap_or_default(),
                            "",
                            now,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        JwksView {
            use_jwks_url: j.use_jwks_url,
            url: j.jwks_url.clone(),
            fetched_at: j.fetched_at,
            key_count: j.key_count,
            last_attempt_at: j.last_attempt_at,
            last_status: j.last_status,
            last_error: j.last_error.clone(),
            keys,
            skipped: fetched.map(|f| f.skipped).unwrap_or_default(),
        }
    }

    pub use keyward_service::keys::*;
}

#[server(endpoint = "get_keys")]
pub async fn get_keys(realm: String, id: String) -> Result<KeysView, AppError> {
    use crate::ssr::*;
    let (ctx, _op) = authorize(Role::Viewer, None).await?;
    let (_r, c) = realm_and_client(&ctx, &realm, &id).await?;
    self::server::keys_view(&ctx, c).await
}

/// The import form's fields, read from its multipart body: `format` ("" = recognise it),
/// `file` (the file itself), and for keystores `store_password` and `alias`, besides the
/// request's `csrf`, `realm` and `id`. Unknown fields are refused. The server bounds the whole
/// body (2 MiB for this path) and answers 415 to a body that is not multipart before this runs;
/// the file is bounded here by [`keyward_credentials::keys::MAX_UPLOAD_BYTES`].
#[cfg(feature = "ssr")]
#[derive(Default)]
struct ImportFields {
    csrf: String,
    realm: String,
    id: String,
    format: String,
    file: Vec<u8>,
    store_password: zeroize::Zeroizing<String>,
    alias: String,
}

#[cfg(feature = "ssr")]
impl ImportFields {
    async fn read(data: MultipartData) -> Result<Self, AppError> {
        let malformed =
            || AppError::Request("the upload is not a well-formed multipart form".into());
        let mut data = data.into_inner().ok_or_else(malformed)?;
        let mut fields = ImportFields::default();
        while let Some(field) = data.next_field().await.map_err(|_| malformed())? {
            let name = field.name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(|_| malformed())?;
            if name == "file" {
                fields.file = bytes.to_vec();
                continue;
            }
            let text = String::from_utf8(bytes.to_vec())
                .map_err(|_| AppError::Request(format!("the field {name:?} is not UTF-8 text")))?;
            match name.as_str() {
                "csrf" => fields.csrf = text,
                "realm" => fields.realm = text,
                "id" => fields.id = text,
                "format" => fields.format = text,
                "store_password" => fields.store_password = zeroize::Zeroizing::new(text),
                "alias" => fields.alias = text,
                other => {
                    return Err(AppError::Request(format!("unknown field {other:?}")));
                }
            }
        }
        Ok(fields)
    }
}

/// Imports the public keys of an uploaded file (a multipart form: the dialog posts it natively,
/// so it works without the wasm). All keys or none are added. A native post is sent back to the
/// Keys tab with how many were added (`__count`).
#[server(endpoint = "import_keys", input = leptos::server_fn::codec::MultipartFormData)]
pub async fn import_keys(data: MultipartData) -> Result<Vec<KeyView>, AppError> {
    use self::server::*;
    use crate::ssr::*;
    use keyward_credentials::keys::{self, KeyFormat};
    let ImportFields {
        csrf,
        realm,
        id,
        format,
        file,
        store_password,
        alias,
    } = ImportFields::read(data).await?;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let (r, c) = client_to_change(&ctx, &op, &realm, &id).await?;
    let format = match format.trim() {
        "" => None,
        f => Some(KeyFormat::parse(f).ok_or_else(|| {
            AppError::Invalid(format!(
                "unknown key format {f:?}; choose one of {}",
                KeyFormat::ALL.map(|f| f.label()).join(", ")
            ))
        })?),
    };
    if file.len() > keys::MAX_UPLOAD_BYTES {
        return Err(AppError::Invalid("the file is larger than 1 MiB".into()));
    }
    if file.is_empty() {
        return Err(AppError::Invalid("choose a file to import".into()));
    }
    let store_password = Some(store_password.as_str()).filter(|p| !p.is_empty());
    let alias = Some(alias.trim()).filter(|a| !a.is_empty());
    let actor = console_actor(&op).await;
    let created = import(
        &ctx,
        &actor,
        &r,
        &c,
        format,
        file,
        store_password,
        alias,
        AlreadyRegistered::Conflict,
    )
    .await?;
    let now = now();
    count_for_the_page(created.len());
    Ok(created
        .iter()
        .filter_map(|k| stored_key_view(k, now))
        .collect())
}

/// Activates or deactivates a key.
#[server(endpoint = "set_key_active")]
pub async fn set_key_active(
    csrf: String,
    realm: String,
    id: String,
    key_id: String,
    active: bool,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let (r, c) = client_to_change(&ctx, &op, &realm, &id).await?;
    let actor = console_actor(&op).await;
    Ok(self::server::set_active(&ctx, &actor, &r, &c, &key_id, active).await?)
}

/// Deletes a key.
#[server(endpoint = "delete_key")]
pub async fn delete_key(
    csrf: String,
    realm: String,
    id: String,
    key_id: String,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let (r, c) = client_to_change(&ctx, &op, &realm, &id).await?;
    let actor = console_actor(&op).await;
    Ok(self::server::delete(&ctx, &actor, &r, &c, &key_id).await?)
}

/// Sets the JWKS URL and whether the client's keys come from it. The URL is checked (https,
/// no internal address unless allowed) but not fetched.
#[server(endpoint = "set_jwks_url")]
pub async fn set_jwks_url(
    csrf: String,
    realm: String,
    id: String,
    /// A checkbox: absent when unticked.
    #[server(default)]
    use_jwks_url: bool,
    url: String,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let (r, c) = client_to_change(&ctx, &op, &realm, &id).await?;
    let actor = console_actor(&op).await;
    Ok(self::server::apply_jwks_url(&ctx, &actor, &r, &c, use_jwks_url, &url).await?)
}

/// Fetches the client's JWKS URL now (through the safe fetcher) and records the outcome.
#[server(endpoint = "fetch_jwks_now")]
pub async fn fetch_jwks_now(csrf: String, realm: String, id: String) -> Result<JwksView, AppError> {
    use self::server::*;
    use crate::ssr::*;
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let (r, c) = client_to_change(&ctx, &op, &realm, &id).await?;
    let Some(j) = keyward_store::keys::jwks(&ctx.db, &c.client_row_id).await? else {
        return Err(AppError::Invalid("save a JWKS URL first".into()));
    };
    if j.jwks_url.is_empty() {
        return Err(AppError::Invalid("save a JWKS URL first".into()));
    }
    let now = now();
    let after =
        keyward_service::jwks::refresh(&ctx.db, &ctx.jwks, &c.client_row_id, &j.jwks_url, now)
            .await?;
    let view = jwks_view(after.as_ref(), now);
    audit(
        &ctx,
        &op,
        Some(&r.realm_id),
        Some(&c.client_row_id),
        "ACTION",
        &format!("clients/{}/jwks-url/fetch", c.client_row_id),
        serde_json::json!({
            "jwks.url": j.jwks_url,
            "status": view.last_status,
            "error": view.last_error,
            "kids": view.keys.iter().map(|k| (&k.kid, &k.jwk_thumbprint)).collect::<Vec<_>>(),
        }),
    )
    .await?;
    Ok(view)
}

/// A keystore just generated: the only time its bytes exist (the private key is never stored).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratedKeystore {
    pub file_name: String,
    pub mime: String,
    /// The keystore file, base64.
    pub keystore: String,
    /// The kid of the certificate, now registered as one of the client's keys (the Keys tab
    /// lists it; the browser needs no more of it).
    pub kid: String,
    /// keycloak.json with this keystore's type, alias and file name.
    pub keycloak_json: String,
}

impl std::fmt::Debug for GeneratedKeystore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKeystore")
            .field("file_name", &self.file_name)
            .field("keystore", &"<redacted>")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The generate dialog's choices and defaults.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeystoreChoices {
    /// (id, label) of each algorithm; the first is the default.
    pub algorithms: Vec<(String, String)>,
    pub alias: String,
    /// Strong generated passwords the operator may change.
    pub store_password: String,
    pub key_password: String,
}

impl std::fmt::Debug for KeystoreChoices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeystoreChoices")
            .field("alias", &self.alias)
            .finish_non_exhaustive()
    }
}

/// Fresh defaults for the generate dialog (new random passwords each time).
#[server(endpoint = "keystore_defaults")]
pub async fn keystore_defaults(realm: String, id: String) -> Result<KeystoreChoices, AppError> {
    use crate::ssr::*;
    let (ctx, _op) = authorize(Role::Manager, None).await?;
    let (_r, c) = realm_and_client(&ctx, &realm, &id).await?;
    Ok(self::server::keystore_choices(c))
}

/// The keystore generator's fields, as the browser posts them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeystoreForm {
    /// `PKCS12` or `JKS`.
    pub format: String,
    pub algorithm: String,
    pub alias: String,
    pub store_password: String,
    pub store_password_confirm: String,
    /// "" = the store password (the only choice for PKCS12).
    pub key_password: String,
    pub key_password_confirm: String,
    pub validity_years: String,
    /// A checkbox: "true" writes the passwords into the returned keycloak.json; absent when
    /// unticked.
    #[serde(default)]
    pub include_passwords: String,
}

impl std::fmt::Debug for KeystoreForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeystoreForm")
            .field("format", &self.format)
            .field("algorithm", &self.algorithm)
            .field("alias", &self.alias)
            .finish_non_exhaustive()
    }
}

/// Generates a key pair and self-signed certificate (CN = client id), packages it as a PKCS12 or
/// JKS keystore for download, and registers the certificate as one of the client's keys. The
/// private key is never stored, logged or audited.
#[server(endpoint = "generate_keystore")]
pub async fn generate_keystore(
    csrf: String,
    realm: String,
    id: String,
    #[server(flatten)] form: KeystoreForm,
) -> Result<GeneratedKeystore, AppError> {
    let KeystoreForm {
        format,
        algorithm,
        alias,
        store_password,
        store_password_confirm,
        key_password,
        key_password_confirm,
        validity_years,
        include_passwords,
    } = form;
    use self::server::*;
    use crate::credentials::api::server::auth_config;
    use crate::ssr::*;
    use base64::Engine;
    use keyward_credentials::authenticator::{self, AdapterValues};
    use keyward_credentials::keys::generate::{KeyAlgorithm, KeystoreFormat};
    use zeroize::Zeroizing;
    let store_password = Zeroizing::new(store_password);
    let store_password_confirm = Zeroizing::new(store_password_confirm);
    let key_password = Zeroizing::new(key_password);
    let key_password_confirm = Zeroizing::new(key_password_confirm);
    let (ctx, op) = authorize(Role::Manager, Some(&csrf)).await?;
    let (r, c) = client_to_change(&ctx, &op, &realm, &id).await?;
    if c.public_client {
        return Err(AppError::Invalid(
            "a public client has no keys; make it confidential in Settings first".into(),
        ));
    }
    let format = KeystoreFormat::parse(format.trim()).ok_or_else(|| {
        AppError::Invalid(format!(
            "unsupported keystore format {:?}: choose PKCS12 or JKS",
            format.trim()
        ))
    })?;
    let algorithm = KeyAlgorithm::parse(algorithm.trim()).ok_or_else(|| {
        AppError::Invalid(format!(
            "unsupported key algorithm {:?}: choose one of {}",
            algorithm.trim(),
            KeyAlgorithm::ALL.map(|a| a.id()).join(", ")
        ))
    })?;
    // An empty key password means "the store password", as with keytool: the only choice for a
    // PKCS12 file (Java and keytool use the store password for its key), the default for JKS.
    let (key_password, key_password_confirm) =
        if key_password.is_empty() && key_password_confirm.is_empty() {
            (store_password.clone(), store_password_confirm.clone())
        } else {
            (key_password, key_password_confirm)
        };
    if *store_password != *store_password_confirm {
        return Err(AppError::Invalid(
            "the store password and its confirmation differ".into(),
        ));
    }
    if *key_password != *key_password_confirm {
        return Err(AppError::Invalid(
            "the key password and its confirmation differ".into(),
        ));
    }
    let validity_years: u32 = validity_years
        .trim()
        .parse()
        .map_err(|_| AppError::Invalid("the certificate validity must be 1 to 10 years".into()))?;
    let alias = alias.trim().to_owned();
    let now = now();
    let actor = console_actor(&op).await;
    let (key, generated) = generate_and_register(
        &ctx,
        &actor,
        &r,
        &c,
        &KeystoreSpec {
            algorithm,
            format,
            alias: &alias,
            store_password: &store_password,
            key_password: &key_password,
            validity_years,
        },
    )
    .await?;
    let file_name = format!(
        "{}.{}",
        c.client_id
            .chars()
            .map(
                |ch| if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' || ch == '.' {
                    ch
                } else {
                    '_'
                }
            )
            .collect::<String>(),
        format.file_extension()
    );
    let include = include_passwords.trim() == "true";
    let credentials = authenticator::by_id("client-jwt").map(|a| {
        a.adapter_credentials(
            &auth_config(&c),
            &AdapterValues {
                secret: None,
                keystore_file: Some(format!("classpath:{file_name}")),
                keystore_type: Some(format.id().to_owned()),
                store_password: include.then(|| store_password.to_string()),
                // A PKCS12 file has one password (its key is protected with the store
                // password): its keycloak.json names no separate key password.
                key_password: (include && format == KeystoreFormat::Jks)
                    .then(|| key_password.to_string()),
                key_alias: Some(alias.clone()),
                key_algorithm: Some(algorithm.jws_alg().to_owned()),
            },
        )
    });
    let keycloak_json = keyward_credentials::snippet::keycloak_json(
        &r.name,
        &ctx.settings.public_url,
        &c.client_id,
        false,
        credentials,
    );
    Ok(GeneratedKeystore {
        file_name,
        mime: format.mime().to_owned(),
        keystore: base64::engine::general_purpose::STANDARD.encode(&*generated.keystore),
        kid: stored_key_view(&key, now).ok_or(AppError::Internal)?.kid,
        keycloak_json,
    })
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::server::*;

    #[test]
    fn certificates_are_flagged_before_they_expire() {
        let now = 1_700_000_000;
        let fixture = |name: &str| {
            std::fs::read(format!(
                "{}/../credentials/tests/fixtures/keys/{name}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap()
        };
        let imported =
            keyward_credentials::keys::import(&keyward_credentials::keys::ImportRequest {
                format: None,
                bytes: &fixture("p256-cert.pem"),
                store_password: None,
                alias: None,
            })
            .unwrap();
        let k = &imported[0];
        let facts = facts_of(k).unwrap();
        let not_after = facts.certificate.unwrap().not_after;
        let stored = keyward_store::keys::ClientKey {
            key_id: "k".into(),
            client_row_id: "c".into(),
            kid: None,
            kty: "EC".into(),
            alg: None,
            spki_der: k.spki_der.clone(),
            certificate_der: k.certificate_der.clone(),
            thumbprint_s256: facts.jwk_thumbprint,
            source: "cert".into(),
            not_before: None,
            not_after: Some(not_after),
            active: true,
            created_at: now,
            created_by: "alice".into(),
            created_seq: 1,
            last_used: None,
        };
        let at = |t: i64| stored_key_view(&stored, t).unwrap().expiry;
        assert_eq!(at(not_after - 31 * 86_400), "");
        assert_eq!(at(not_after - 30 * 86_400), "expiring");
        assert_eq!(at(not_after - 1), "expiring");
        assert_eq!(at(not_after), "expired");
        let v = stored_key_view(&stored, now).unwrap();
        assert_eq!(
            v.kid,
            keyward_credentials::authenticator::client_jwt::keycloak_kid(&k.spki_der)
        );
        assert!(!v.kid_from_upload);
        assert!(v.pem.contains("BEGIN PUBLIC KEY") && v.pem.contains("BEGIN CERTIFICATE"));
        assert!(v.jwk.contains("\"x5c\""));
    }
}
