//! How a client authenticates: its method from the authenticator registry, a pinned signature
//! algorithm, the longest client-assertion lifetime; and the `keycloak.json` that goes with it.
//! One use case, [`set_authentication`], serves the console's method picker and the Admin REST
//! API's ClientRepresentation (`clientAuthenticatorType` and the
//! `token.endpoint.auth.signing.*` attributes), so both accept and refuse the same changes with
//! the same messages and write the same audit record.

use keyward_credentials::authenticator::{self, AdapterValues, Authenticator, ClientAuthConfig};
use keyward_credentials::mtls::{San, X509Expectation};
use keyward_credentials::operator::Role;
use keyward_store::clients::{self, Client};

use crate::context::{audit, client_to_change, now, Actor, Services};
use crate::error::{not_found, Result, ServiceError};

/// Longest client-assertion lifetime an operator may set, in seconds.
pub const MAX_ASSERTION_LIFETIME_S: i64 = 3600;

/// The registry's method with this id, or a 400 listing the ids.
pub fn method(id: &str) -> Result<&'static dyn Authenticator> {
    authenticator::by_id(id).ok_or_else(|| {
        ServiceError::Invalid(format!(
            "unknown authentication method {id:?}; choose one of {}",
            authenticator::REGISTRY
                .iter()
                .map(|a| a.id())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// What the authenticators check a request against.
pub fn auth_config(c: &Client) -> ClientAuthConfig {
    ClientAuthConfig {
        client_id: c.client_id.clone(),
        enabled: c.enabled,
        public_client: c.public_client,
        authenticator: c.authenticator.clone(),
        signing_alg: c.signing_alg.clone(),
        assertion_max_exp_s: c.assertion_max_exp_s,
        x509: x509_expectation(c),
    }
}

/// What a `client-x509` client's certificate must carry, from its stored attributes (`None`
/// without a subject DN; a stored SAN that no longer parses requires a SAN nothing carries, so
/// it can never widen what is accepted).
pub fn x509_expectation(c: &Client) -> Option<X509Expectation> {
    let subject_dn = c.x509_subject_dn.clone()?;
    let san = c.x509_san.as_deref().map(|s| {
        San::parse(s).unwrap_or_else(|_| San::Uri(format!("unparsable stored SAN {s:?}")))
    });
    Some(X509Expectation {
        subject_dn,
        regex: c.x509_regex,
        san,
    })
}

/// keycloak.json for the client with `secret` filled in (placeholders elsewhere).
pub fn keycloak_json(svc: &Services, realm: &str, c: &Client, secret: Option<&str>) -> String {
    let credentials = authenticator::by_id(&c.authenticator).map(|a| {
        a.adapter_credentials(
            &auth_config(c),
            &AdapterValues {
                secret: secret.map(str::to_string),
                keystore_file: None,
                keystore_type: None,
                store_password: None,
                key_password: None,
                key_alias: None,
                key_algorithm: None,
            },
        )
    });
    keyward_credentials::snippet::keycloak_json(
        realm,
        &svc.settings.public_url,
        &c.client_id,
        c.public_client,
        credentials,
    )
}

/// A change of how a client authenticates; `None` fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthenticationChange {
    /// A registry id (`client-secret`, `client-jwt`, `client-secret-jwt`, `client-x509`,
    /// `self-signed-tls-client-auth`).
    pub method: Option<String>,
    /// `Some(None)`: any algorithm the method allows; `Some(Some(alg))`: pinned.
    pub signing_alg: Option<Option<String>>,
    pub assertion_max_exp_s: Option<i64>,
    /// `x509.subjectdn`; `Some(None)` (or an empty value) clears it.
    pub x509_subject_dn: Option<Option<String>>,
    /// `x509.allow.regex.pattern.comparison`.
    pub x509_regex: Option<bool>,
    /// The SAN the certificate must carry (`dns:…`, `uri:…`, `ip:…`, `email:…`); `Some(None)`
    /// clears it.
    pub x509_san: Option<Option<String>>,
    /// `tls.client.certificate.bound.access.tokens`.
    pub tls_bound_tokens: Option<bool>,
    /// The version the caller last saw (optimistic concurrency); `None`: the current one.
    pub expected_version: Option<i64>,
}

/// A validated [`AuthenticationChange`]: everything about how the client authenticates, as it
/// will be stored.
#[derive(Clone)]
pub struct Authentication {
    pub method: &'static dyn Authenticator,
    pub signing_alg: Option<String>,
    pub assertion_max_exp_s: i64,
    pub x509_subject_dn: Option<String>,
    pub x509_regex: bool,
    pub x509_san: Option<String>,
    pub tls_bound_tokens: bool,
}

impl std::fmt::Debug for Authentication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authentication")
            .field("method", &self.method.id())
            .field("signing_alg", &self.signing_alg)
            .field("assertion_max_exp_s", &self.assertion_max_exp_s)
            .field("x509_subject_dn", &self.x509_subject_dn)
            .field("x509_regex", &self.x509_regex)
            .field("x509_san", &self.x509_san)
            .field("tls_bound_tokens", &self.tls_bound_tokens)
            .finish()
    }
}

/// The longest assertion lifetime from text (a form field, a Keycloak attribute).
pub fn parse_assertion_lifetime(raw: &str) -> Result<i64> {
    raw.trim().parse().map_err(|_| {
        ServiceError::Invalid(
            "the maximum assertion lifetime (token.endpoint.auth.signing.max.exp) must be a whole number of seconds"
                .into(),
        )
    })
}

/// A true/false form or attribute value (`"true"`, `"false"`, `""` = false).
pub fn parse_flag(name: &str, raw: &str) -> Result<bool> {
    match raw.trim() {
        "true" => Ok(true),
        "false" | "" => Ok(false),
        other => Err(ServiceError::Invalid(format!(
            "{name} must be \"true\" or \"false\", not {other:?}"
        ))),
    }
}

/// Longest subject DN or pattern accepted, in bytes.
pub const MAX_SUBJECT_DN_LEN: usize = 1024;

/// Checks `change` against client `c` without writing: the method is in the registry; a pinned algorithm is one of the method's (an algorithm pinned
/// before and not named again is dropped when the new method does not allow it); the lifetime
/// is 1 to [`MAX_ASSERTION_LIFETIME_S`]; a `client-x509` client has a subject DN that is a
/// valid DN (or, as a pattern, compiles) and a SAN that parses. `None` when nothing changes (a
/// representation read back and sent unchanged is accepted, also for a public client); a change
/// on a public client is refused (it has no authentication method).
pub fn validate_authentication(
    c: &Client,
    change: &AuthenticationChange,
) -> Result<Option<Authentication>> {
    let m = method(change.method.as_deref().unwrap_or(&c.authenticator))?;
    let signing_alg = match &change.signing_alg {
        None => c
            .signing_alg
            .clone()
            .filter(|a| m.algorithms().contains(&a.as_str())),
        Some(None) => None,
        Some(Some(a)) if a.trim().is_empty() => None,
        Some(Some(a)) => {
            let a = a.trim();
            if !m.algorithms().contains(&a) {
                return Err(ServiceError::Invalid(if m.algorithms().is_empty() {
                    format!("{} takes no signature algorithm", m.display_name())
                } else {
                    format!(
                        "{a:?} is not an algorithm of {}; choose one of {}",
                        m.display_name(),
                        m.algorithms().join(", ")
                    )
                }));
            }
            Some(a.to_owned())
        }
    };
    let max_exp = change.assertion_max_exp_s.unwrap_or(c.assertion_max_exp_s);
    if !(1..=MAX_ASSERTION_LIFETIME_S).contains(&max_exp) {
        return Err(ServiceError::Invalid(format!(
            "the maximum assertion lifetime (token.endpoint.auth.signing.max.exp) must be between 1 and {MAX_ASSERTION_LIFETIME_S} seconds"
        )));
    }
    let x509_subject_dn = match &change.x509_subject_dn {
        None => c.x509_subject_dn.clone(),
        Some(v) => v
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned),
    };
    let x509_regex = change.x509_regex.unwrap_or(c.x509_regex);
    let x509_san = match &change.x509_san {
        None => c.x509_san.clone(),
        Some(v) => v
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned),
    };
    let tls_bound_tokens = change.tls_bound_tokens.unwrap_or(c.tls_bound_tokens);
    if let Some(dn) = &x509_subject_dn {
        if dn.len() > MAX_SUBJECT_DN_LEN {
            return Err(ServiceError::Invalid(format!(
                "the subject DN (x509.subjectdn) is longer than {MAX_SUBJECT_DN_LEN} bytes"
            )));
        }
        keyward_credentials::mtls::check_expected_dn(dn, x509_regex).map_err(|e| {
            ServiceError::Invalid(format!("the subject DN (x509.subjectdn) is refused: {e}"))
        })?;
    }
    let x509_san = match x509_san {
        Some(s) => Some(
            San::parse(&s)
                .map_err(|e| {
                    ServiceError::Invalid(format!("the subject alternative name is refused: {e}"))
                })?
                .to_string(),
        ),
        None => None,
    };
    if m.id() == "client-x509" && x509_subject_dn.is_none() {
        return Err(ServiceError::Invalid(
            "X509 Certificate needs the subject DN its certificates carry (x509.subjectdn), e.g. CN=billing,O=Acme"
                .into(),
        ));
    }
    let unchanged = m.id() == c.authenticator
        && signing_alg == c.signing_alg
        && max_exp == c.assertion_max_exp_s
        && x509_subject_dn == c.x509_subject_dn
        && x509_regex == c.x509_regex
        && x509_san == c.x509_san
        && tls_bound_tokens == c.tls_bound_tokens;
    if unchanged {
        return Ok(None);
    }
    if c.public_client {
        return Err(ServiceError::Invalid(
            "a public client has no authentication method; make it confidential first".into(),
        ));
    }
    Ok(Some(Authentication {
        method: m,
        signing_alg,
        assertion_max_exp_s: max_exp,
        x509_subject_dn,
        x509_regex,
        x509_san,
        tls_bound_tokens,
    }))
}

/// Use case: changes how a client authenticates (manager; the gate of
/// [`client_to_change`]), checked by [`validate_authentication`], written with the caller's
/// expected version, audited with the previous method. Returns the client as it now is.
pub async fn set_authentication(
    svc: &Services,
    actor: &Actor,
    realm: &str,
    id: &str,
    change: &AuthenticationChange,
) -> Result<Client> {
    let (r, c) = client_to_change(svc, actor, Role::Manager, realm, id).await?;
    let Some(a) = validate_authentication(&c, change)? else {
        return Ok(c);
    };
    let updated = clients::set_authentication(
        &svc.db,
        &r.realm_id,
        &c.client_row_id,
        change.expected_version.unwrap_or(c.version),
        &clients::AuthenticationUpdate {
            authenticator: a.method.id(),
            signing_alg: a.signing_alg.as_deref(),
            assertion_max_exp_s: a.assertion_max_exp_s,
            x509_subject_dn: a.x509_subject_dn.as_deref(),
            x509_regex: a.x509_regex,
            x509_san: a.x509_san.as_deref(),
            tls_bound_tokens: a.tls_bound_tokens,
        },
        now(),
    )
    .await
    .map_err(not_found("Client"))?;
    audit(
        svc,
        actor,
        Some(&r.realm_id),
        Some(&c.client_row_id),
        "UPDATE",
        &format!("clients/{}", c.client_row_id),
        serde_json::json!({
            "clientAuthenticatorType": a.method.id(),
            "previousClientAuthenticatorType": c.authenticator,
            "signingAlg": a.signing_alg,
            "assertionMaxExpSeconds": a.assertion_max_exp_s,
            "x509SubjectDn": a.x509_subject_dn,
            "x509RegexComparison": a.x509_regex,
            "x509San": a.x509_san,
            "certificateBoundAccessTokens": a.tls_bound_tokens,
            "version": updated.version,
        }),
    )
    .await?;
    Ok(updated)
}
