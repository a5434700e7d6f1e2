//! A client's Keys tab: registered public keys, keystore generation and the JWKS URL.

pub mod api;
pub mod page;

pub use api::*;
pub use page::*;
