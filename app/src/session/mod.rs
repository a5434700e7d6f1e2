//! The session: sign-in, first-admin setup, and the console's frame.

pub mod api;
pub mod page;

pub use api::*;
pub use page::*;
