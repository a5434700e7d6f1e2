//! Keyward's use cases, between the pure credential logic (`keyward-credentials`) and the
//! database (`keyward-store`) below, and the console (`keyward-app`) and HTTP server
//! (`keyward-server`) above. A use case is one function: it authorises the [`Actor`], validates
//! the request into domain types, writes, and audits, answering a typed [`ServiceError`]. The
//! console's server functions and the Admin REST API's handlers are thin adapters over these
//! functions, so the same request gets the same decision, message and audit record from both.
//!
//! The shared services ([`Services`]: database, vault, JWKS fetcher, settings; the clock
//! [`now`]) live here too. Nothing in this crate depends on Leptos or axum.

#![forbid(unsafe_code)]

pub mod clients;
pub mod context;
pub mod error;
pub mod federation;
pub mod identity_providers;
pub mod jwks;
pub mod keys;
pub mod leaks;
pub mod operators;
pub mod realms;
pub mod scopes;
pub mod secrets;
pub mod session;
pub mod vault;
pub mod webhooks;

pub use context::{
    audit, client_to_change, guard_client, now, realm_and_client, realm_of, Actor, ClientAddr,
    Services, Settings,
};
pub use error::{internal, not_found, ServiceError, STALE};
