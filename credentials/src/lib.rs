//! Keyward's pure credential logic: secrets, passwords, names and tokens, with no IO and no clock.
#![forbid(unsafe_code)]

#[cfg(feature = "crypto")]
pub mod access_token;
#[cfg(feature = "crypto")]
pub mod assertion;
#[cfg(feature = "crypto")]
pub mod authenticator;
#[cfg(feature = "crypto")]
pub mod claims_expr;
#[cfg(feature = "crypto")]
pub mod client_auth;
pub mod client_secret;
pub mod dates;
#[cfg(feature = "crypto")]
pub mod keys;
#[cfg(feature = "crypto")]
pub mod leak_report;
#[cfg(feature = "crypto")]
pub mod mtls;
pub mod names;
pub mod operator;
pub mod password;
pub mod scannable;
pub mod scope;
#[cfg(feature = "crypto")]
pub mod seal;
pub mod secret;
#[cfg(feature = "crypto")]
pub mod snippet;
pub mod token;
