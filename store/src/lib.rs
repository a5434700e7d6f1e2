//! Keyward's storage layer: every SQL statement, one module per table family, one set of
//! functions for both SQLite and PostgreSQL (through sqlx's `Any` driver).
//!
//! Rule: a write with `RETURNING` is read with `fetch_all`, never `fetch_one`/`fetch_optional`.
//! Those stop stepping the statement after the first row, and on SQLite the write's implicit
//! transaction can then stay open on the pooled connection, so another connection does not see
//! the row yet (sqlx issues #2099, #3430; seen here as a flaky "created client not found").
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
