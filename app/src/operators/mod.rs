//! Operators: the people who use the console and their roles.

pub mod api;
pub mod page;

pub use api::*;
pub use page::*;
