//! Clients: the list, a client's page and tabs, its settings.

pub mod api;
pub mod page;

pub use api::*;
pub use page::*;
