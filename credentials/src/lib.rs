//! Keyward's pure credential logic: secrets, passwords, names and tokens, with no IO and no clock.
#![forbid(unsafe_code)]

pub mod client_secret;
pub mod names;
pub mod operator;
pub mod password;
pub mod secret;
pub mod token;
#[cfg(feature = "crypto")]
pub mod seal;
#[cfg(feature = "crypto")]
pub mod assertion;
#[cfg(feature = "crypto")]
pub mod authenticator;
#[cfg(feature = "crypto")]
pub mod client_auth;
#[cfg(feature = "crypto")]
pub mod snippet;
