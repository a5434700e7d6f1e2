//! `AppError`: the one error type of every server function, with its HTTP status and a safe message.

use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What a server function tells the browser when it fails. Messages are written for the
/// operator and never carry internal detail (that goes to the server log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("You are not signed in, or your session has expired. Sign in again.")]
    Unauthenticated,
    #[error("Your role does not allow this.")]
    Forbidden,
    /// Refused by a privilege rule that says why (e.g. the client's API role is above yours).
    #[error("{0}")]
    Denied(String),
    #[error("The security token of this page is missing or stale. Reload the page and try again.")]
    Csrf,
    #[error("{0} not found.")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("Something went wrong on the server. It has been logged.")]
    Internal,
    #[error("The request could not be understood: {0}")]
    Request(String),
}

/// The message shown when an optimistic version check fails.
pub const STALE: &str = "This was changed by someone else since you opened it. Reload to see their changes, then edit again.";

impl AppError {
    /// The HTTP status that goes with the error.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden | AppError::Denied(_) | AppError::Csrf => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::Invalid(_) | AppError::Request(_) => 400,
            AppError::Internal => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::Deserialization(m) => {
                AppError::Request(m)
            }
            ServerFnErrorErr::Request(m) => AppError::Request(m),
            other => AppError::Request(other.to_string()),
        }
    }
}

impl From<keyward_credentials::names::InvalidName> for AppError {
    fn from(e: keyward_credentials::names::InvalidName) -> Self {
        AppError::Invalid(e.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(AppError::Unauthenticated.status(), 401);
        assert_eq!(AppError::Csrf.status(), 403);
        assert_eq!(AppError::Forbidden.status(), 403);
        assert_eq!(AppError::NotFound("Realm".into()).status(), 404);
        assert_eq!(AppError::Conflict(STALE.into()).status(), 409);
        assert_eq!(AppError::Invalid("x".into()).status(), 400);
        assert_eq!(AppError::Internal.status(), 500);
    }

    #[test]
    fn malformed_arguments_are_bad_requests() {
        let e =
            AppError::from_server_fn_error(ServerFnErrorErr::Args("missing field `csrf`".into()));
        assert_eq!(e.status(), 400);
        assert!(e.to_string().contains("missing field"));
    }
}
