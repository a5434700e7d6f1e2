//! Server functions of the session: who is signed in (and the CSRF token of its forms), and
//! whether the first-admin setup link is still open.

use keyward_credentials::operator::Role;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub operator_id: String,
    pub username: String,
    pub role: Role,
}

/// What the browser knows of its session: the CSRF token for forms and who is signed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub csrf: String,
    pub me: Option<Me>,
}

#[server(endpoint = "session_info")]
pub async fn session_info() -> Result<SessionView, AppError> {
    use crate::ssr::*;
    let ctx = context()?;
    let session = session().await?;
    let csrf = session_csrf(&session).await?;
    let me = signed_in(&ctx, &session).await?.map(|op| Me {
        operator_id: op.operator_id,
        username: op.username,
        role: op.role,
    });
    Ok(SessionView { csrf, me })
}

/// Whether the one-time setup link can still create the first admin (no operator yet).
#[server(endpoint = "setup_open")]
pub async fn setup_open() -> Result<bool, AppError> {
    let ctx = crate::ssr::context()?;
    let pending = ctx
        .setup_token
        .lock()
        .map_err(|_| crate::ssr::internal("the setup token lock is poisoned"))?
        .is_some();
    Ok(pending)
}
