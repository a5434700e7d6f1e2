//! The console's session: what Keyward keeps in it, and whether it still stands for a signed-in
//! operator. Shared by the console's server functions and the Admin REST API, which also takes
//! an operator's session (with its CSRF token for changes).

use keyward_credentials::secret::SecretString;
use keyward_store::operators::{self, Operator};
use keyward_store::StoreError;
use tower_sessions::Session;

use crate::context::{now, Services};
use crate::error::{internal, Result};

/// Keys of the values Keyward keeps in an operator's session.
pub mod keys {
    pub const OPERATOR: &str = "operator_id";
    pub const CSRF: &str = "csrf";
    pub const SIGNED_IN_AT: &str = "signed_in_at";
    /// The operator's session epoch at sign-in: once it moves on (password reset, role change,
    /// disabled), the session is over.
    pub const SESSION_EPOCH: &str = "session_epoch";
}

/// The operator signed in to `session`, if the session is still valid: not past its absolute
/// lifetime, the operator still exists and is enabled, and its password, role and enabled
/// state have not changed since the sign-in (its session epoch). An invalid session is emptied.
pub async fn signed_in(svc: &Services, session: &Session) -> Result<Option<Operator>> {
    let Some(id) = session
        .get::<String>(keys::OPERATOR)
        .await
        .map_err(internal)?
    else {
        return Ok(None);
    };
    let at = session
        .get::<i64>(keys::SIGNED_IN_AT)
        .await
        .map_err(internal)?
        .unwrap_or(0);
    if now() - at >= svc.settings.session_absolute_secs {
        session.flush().await.map_err(internal)?;
        return Ok(None);
    }
    let epoch = session
        .get::<i64>(keys::SESSION_EPOCH)
        .await
        .map_err(internal)?
        .unwrap_or(0);
    match operators::get(&svc.db, &id).await {
        Ok(op) if !op.disabled && op.session_epoch == epoch => Ok(Some(op)),
        Ok(_) | Err(StoreError::NotFound) => {
            session.flush().await.map_err(internal)?;
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// This session's CSRF token (empty before sign-in), for the forms a page carries.
pub async fn csrf(session: &Session) -> Result<String> {
    Ok(session
        .get::<String>(keys::CSRF)
        .await
        .map_err(internal)?
        .unwrap_or_default())
}

/// Whether `token` is this session's CSRF token (compared in constant time).
pub async fn csrf_matches(session: &Session, token: &str) -> Result<bool> {
    let expected = session.get::<String>(keys::CSRF).await.map_err(internal)?;
    Ok(
        matches!(expected.map(SecretString::new), Some(expected) if !token.is_empty() && expected.ct_eq(token)),
    )
}
