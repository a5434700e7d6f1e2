//! The shared services every use case works with, who is acting, and the audit log.
//!
//! Invariants:
//! - Every change a use case makes is recorded by [`audit`] with the acting [`Actor`] and never
//!   with a secret value in its details.
//! - [`client_to_change`] is the one gate before a client is changed, from the console and from
//!   the Admin REST API alike: the actor's role must reach `required`, and a client that holds
//!   an Admin REST API role above the actor's own is refused
//!   ([`keyward_credentials::operator::may_change_client`]).

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use keyward_credentials::operator::Role;
use keyward_credentials::secret::SecretString;
use keyward_store::clients::Client;
use keyward_store::realms::Realm;
use keyward_store::{events, Db};

use crate::error::{not_found, Result, ServiceError};

/// The shared services: database, vault, JWKS fetcher, settings (and the clock, [`now`]).
#[derive(Clone)]
pub struct Services {
    pub db: Db,
    pub settings: Arc<Settings>,
    /// The one-time setup token printed at start-up while no operator exists.
    pub setup_token: Arc<Mutex<Option<SecretString>>>,
    /// Master keys and pepper: seals client secrets, derives their verifiers.
    pub vault: Arc<crate::vault::Vault>,
    /// The safe fetcher of clients' JWKS URLs.
    pub jwks: Arc<crate::jwks::JwksFetcher>,
}

/// Settings derived from the server's configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Base URL operators and clients use, without a trailing slash.
    pub public_url: String,
    /// A console session ends this many seconds after sign-in, however active.
    pub session_absolute_secs: i64,
    /// The mTLS listener's base URL (RFC 8705), when it runs.
    pub mtls_public_url: Option<String>,
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Who is acting: an operator in the console, or an Admin REST API client.
#[derive(Clone, Debug)]
pub struct Actor {
    /// The operator's username, or `client:{client_id}` for an Admin REST API client.
    pub name: String,
    /// The caller's address, when known.
    pub ip: Option<String>,
    /// The operator's role, or the API client's API role.
    pub role: Role,
}

impl Actor {
    /// The first step of a use case: the actor holds at least `required`.
    pub fn require(&self, required: Role) -> Result<()> {
        if self.role.allows(required) {
            Ok(())
        } else {
            tracing::warn!(actor = %self.name, role = self.role.as_str(), required = required.as_str(), "refused: role too low");
            Err(ServiceError::Forbidden)
        }
    }
}

/// The caller's address, put in every request's extensions by the server: the TCP peer, or,
/// behind a trusted proxy, the address its forwarding header names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);

/// Records an admin event. `details` must never hold a secret value.
pub async fn audit(
    svc: &Services,
    actor: &Actor,
    realm_id: Option<&str>,
    client_row_id: Option<&str>,
    operation: &str,
    resource_path: &str,
    details: serde_json::Value,
) -> Result<()> {
    let details = details.to_string();
    events::record(
        &svc.db,
        &events::NewEvent {
            at: now(),
            actor: &actor.name,
            realm_id,
            client_row_id,
            operation,
            resource_path,
            details: &details,
            ip: actor.ip.as_deref(),
        },
    )
    .await?;
    Ok(())
}

/// The realm with this name, or a 404 naming it.
pub async fn realm_of(svc: &Services, realm: &str) -> Result<Realm> {
    keyward_store::realms::get_by_name(&svc.db, realm)
        .await
        .map_err(not_found(format!("Realm {realm:?}")))
}

/// The realm and one of its clients (by row id), or a 404.
pub async fn realm_and_client(svc: &Services, realm: &str, id: &str) -> Result<(Realm, Client)> {
    let r = realm_of(svc, realm).await?;
    let c = keyward_store::clients::get(&svc.db, &r.realm_id, id)
        .await
        .map_err(not_found("Client"))?;
    Ok((r, c))
}

/// The gate before a client is changed: the actor holds `required`, the client exists (404),
/// and it does not hold an Admin REST API role above the actor's (403, saying why).
pub async fn client_to_change(
    svc: &Services,
    actor: &Actor,
    required: Role,
    realm: &str,
    id: &str,
) -> Result<(Realm, Client)> {
    actor.require(required)?;
    let (r, c) = realm_and_client(svc, realm, id).await?;
    guard_client(actor, &c)?;
    Ok((r, c))
}

/// [`keyward_credentials::operator::may_change_client`] for an actor.
pub fn guard_client(actor: &Actor, c: &Client) -> Result<()> {
    keyward_credentials::operator::may_change_client(actor.role, c.api_role.as_deref()).map_err(
        |e| {
            tracing::warn!(actor = %actor.name, client_id = %c.client_id, "refused: {e}");
            ServiceError::Denied(e.to_string())
        },
    )
}
