//! Keyward's storage layer: every SQL statement, one module per table family, one set of
//! functions for both SQLite and PostgreSQL (through sqlx's `Any` driver).
//!
//! Rule: every statement is read with `fetch_all` (or `execute`), never `fetch_one` or
//! `fetch_optional`. Through the `Any` driver those stop stepping a SQLite statement after the
//! first row without resetting it, so the pooled connection keeps a transaction open: a write's
//! row stays invisible to other connections (sqlx issues #2099, #3430), and a read keeps an old
//! WAL snapshot, so later reads on that connection miss new rows and its next write fails with
//! SQLITE_BUSY_SNAPSHOT ("database is locked"). Both showed up here as flaky tests under load.
#![forbid(unsafe_code)]

pub mod auth_events;
pub mod client_scopes;
pub mod clients;
mod db;
pub mod error;
pub mod events;
pub mod expiry;
pub mod federation;
pub mod identity_providers;
pub mod jti;
pub mod keys;
pub mod operators;
pub mod realm_keys;
pub mod realms;
pub mod secrets;
pub mod sessions;
pub mod testing;
pub mod webhooks;

pub use db::{Backend, Db};
pub use error::StoreError;

/// Result of every store function.
pub type Result<T> = std::result::Result<T, StoreError>;
