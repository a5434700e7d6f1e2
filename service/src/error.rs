//! `ServiceError`: what a use case answers when it refuses or fails. Messages are written for
//! the person who asked (operator or script) and never carry internal detail: an internal
//! failure is logged here and answered as [`ServiceError::Internal`].

use keyward_store::StoreError;

/// The message shown when an optimistic version check fails.
pub const STALE: &str = "This was changed by someone else since you opened it. Reload to see their changes, then edit again.";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// The actor's role is below what the use case needs.
    #[error("Your role does not allow this.")]
    Forbidden,
    /// Refused by a privilege rule that says why (e.g. the client's API role is above yours).
    #[error("{0}")]
    Denied(String),
    /// The named thing does not exist ("Client", "Realm \"x\"").
    #[error("{0} not found.")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// Refused input, with the reason.
    #[error("{0}")]
    Invalid(String),
    #[error("Something went wrong on the server. It has been logged.")]
    Internal,
}

impl ServiceError {
    /// The HTTP status that goes with the error.
    pub fn status(&self) -> u16 {
        match self {
            ServiceError::Forbidden | ServiceError::Denied(_) => 403,
            ServiceError::NotFound(_) => 404,
            ServiceError::Conflict(_) => 409,
            ServiceError::Invalid(_) => 400,
            ServiceError::Internal => 500,
        }
    }
}

/// Logs an internal failure and hides it from the caller.
pub fn internal(e: impl std::fmt::Display) -> ServiceError {
    tracing::error!(error = %e, "internal error in a use case");
    ServiceError::Internal
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::NotFound("The requested item".into()),
            StoreError::Conflict(msg) => ServiceError::Conflict(msg.to_string()),
            StoreError::Stale => ServiceError::Conflict(STALE.into()),
            other => internal(other),
        }
    }
}

impl From<keyward_credentials::names::InvalidName> for ServiceError {
    fn from(e: keyward_credentials::names::InvalidName) -> Self {
        ServiceError::Invalid(e.0)
    }
}

/// Maps a store `NotFound` to a message naming what was missing.
pub fn not_found(what: impl Into<String>) -> impl FnOnce(StoreError) -> ServiceError {
    let what = what.into();
    move |e| match e {
        StoreError::NotFound => ServiceError::NotFound(what),
        other => other.into(),
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(ServiceError::Forbidden.status(), 403);
        assert_eq!(ServiceError::Denied("x".into()).status(), 403);
        assert_eq!(ServiceError::NotFound("Realm".into()).status(), 404);
        assert_eq!(ServiceError::Conflict(STALE.into()).status(), 409);
        assert_eq!(ServiceError::Invalid("x".into()).status(), 400);
        assert_eq!(ServiceError::Internal.status(), 500);
        assert_eq!(
            ServiceError::from(StoreError::Stale),
            ServiceError::Conflict(STALE.into())
        );
    }
}
