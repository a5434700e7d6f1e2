//! A client's Credentials tab: the authentication method and the secrets.

pub mod api;
pub mod page;

pub use api::*;
pub use page::*;
