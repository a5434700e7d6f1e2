//! Realms: the list, create and delete, and a realm's settings (with its token settings in `tokens`).

pub mod api;
pub mod page;
pub mod tokens;

pub use api::*;
pub use page::*;
