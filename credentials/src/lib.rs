//! Keyward's pure credential logic: secrets, passwords, names and tokens, with no IO and no clock.
#![forbid(unsafe_code)]

pub mod names;
pub mod operator;
pub mod password;
pub mod secret;
pub mod token;
