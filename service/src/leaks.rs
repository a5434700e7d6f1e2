//! Leak reports (issue 22 §2): a verified report's tokens are looked up by their peppered
//! verifier (never by decrypting anything) and every live Keyward secret among them is ended
//! as its realm's policy says: revoked at once, or marked leaked and kept working for the
//! realm's grace period. Each is audited with where the report found it.
//!
//! Invariant: [`act_on`] is called only with tokens from a report whose signature held (see
//! `keyward_credentials::leak_report`); a report that does not verify changes nothing.

use keyward_credentials::leak_report::{token_hash, ReportedToken};
use keyward_credentials::operator::Role;
use keyward_store::realms::{self, LeakAction};
use keyward_store::secrets;

use crate::context::{audit, now, Actor, Services};
use crate::error::Result;

/// What became of one reported token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Hex SHA-256 of the token (the answer never repeats a token).
    pub token_hash: String,
    pub token_type: String,
    /// A Keyward secret (live or not): GitHub's `true_positive`.
    pub keyward_secret: bool,
    /// Secrets this report ended now (revoked, or set to expire after the grace period).
    pub ended: usize,
}

/// Acts on a verified report from `reporter` (`github`, or `hmac` for the generic variant).
pub async fn act_on(
    svc: &Services,
    reporter: &str,
    tokens: &[ReportedToken],
) -> Result<Vec<Outcome>> {
    let actor = Actor {
        name: format!("leak-report:{reporter}"),
        ip: None,
        role: Role::Admin,
    };
    let now = now();
    let mut outcomes = Vec::with_capacity(tokens.len());
    for t in tokens {
        let verifier = svc.vault.verifier(&t.token);
        let found = secrets::by_verifier(&svc.db, &verifier.0).await?;
        let mut ended = 0;
        for located in &found {
            let s = &located.secret;
            if s.revoked_at.is_some() || s.expires_at.is_some_and(|e| e <= now) {
                continue;
            }
            let realm = realms::get_by_id(&svc.db, &located.realm_id).await?;
            let policy = &realm.lifecycle;
            let until = match policy.leak_action {
                LeakAction::Revoke => None,
                LeakAction::Grace => Some(now + policy.leak_grace_s),
            };
            let marked = secrets::mark_leaked(&svc.db, &s.secret_id, &t.url, now, until).await?;
            ended += 1;
            audit(
                svc,
                &actor,
                Some(&located.realm_id),
                Some(&s.client_row_id),
                "ACTION",
                &format!("clients/{}/secrets/{}", s.client_row_id, s.secret_id),
                serde_json::json!({
                    "action": "leaked",
                    "secretId": s.secret_id,
                    "label": s.label,
                    "clientId": located.client_id,
                    "policy": policy.leak_action.as_str(),
                    "revokedAt": marked.revoked_at,
                    "expiresAt": marked.expires_at,
                    "reporter": reporter,
                    "url": t.url,
                    "source": t.source,
                    "type": t.token_type,
                }),
            )
            .await?;
            crate::webhooks::emit(
                svc,
                &realm,
                crate::webhooks::EventType::Leaked,
                &format!("secret:{}", s.secret_id),
                serde_json::json!({
                    "realm": realm.name,
                    "clientId": located.client_id,
                    "clientRowId": s.client_row_id,
                    "secretId": s.secret_id,
                    "label": s.label,
                    "policy": policy.leak_action.as_str(),
                    "revokedAt": marked.revoked_at,
                    "expiresAt": marked.expires_at,
                    "url": t.url,
                    "source": t.source,
                }),
            )
            .await;
            tracing::warn!(
                client_id = %located.client_id,
                secret_id = %s.secret_id,
                url = %t.url,
                policy = policy.leak_action.as_str(),
                "a leak report named a live client secret"
            );
        }
        outcomes.push(Outcome {
            token_hash: token_hash(&t.token),
            token_type: t.token_type.clone(),
            keyward_secret: !found.is_empty(),
            ended,
        });
    }
    Ok(outcomes)
}
