//! Keyward's storage layer: every SQL statement, one module per table family, one set of
//! functions for both SQLite and PostgreSQL (through sqlx's `Any` driver).
#![forbid(unsafe_code)]

pub mod clients;
mod db;
pub mod error;
pub mod events;
pub mod operators;
pub mod realms;
pub mod sessions;
pub mod testing;

pub use db::{Backend, Db};
pub use error::StoreError;

/// Result of every store function.
pub type Result<T> = std::result::Result<T, StoreError>;
