//! The notification worker (issue 22 §5), one per replica: every second it sends the webhook
//! deliveries that are due (`keyward_service::webhooks::deliver_due`; replicas claim each one,
//! so none is sent twice at once), every minute it announces what expires and forgets finished
//! deliveries older than [`DELIVERY_RETENTION_S`]. Errors are logged; the loop goes on.

use std::time::Duration;

use keyward_service::Services;

/// How long delivered, failed and dropped deliveries are listed.
pub const DELIVERY_RETENTION_S: i64 = 30 * 86_400;

/// Runs until aborted.
pub async fn worker(svc: Services) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut seconds = 0u64;
    loop {
        tick.tick().await;
        if seconds.is_multiple_of(60) {
            if let Err(e) = keyward_service::webhooks::announce_expiry(&svc).await {
                tracing::warn!(error = %e, "cannot announce expiring credentials");
            }
            let before = keyward_service::context::now() - DELIVERY_RETENTION_S;
            if let Err(e) = keyward_store::webhooks::purge_finished(&svc.db, before).await {
                tracing::warn!(error = %e, "cannot purge old webhook deliveries");
            }
        }
        seconds += 1;
        // Drain what is due, 20 at a time.
        loop {
            match keyward_service::webhooks::deliver_due(&svc, 20).await {
                Ok(20) => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot deliver webhook events");
                    break;
                }
            }
        }
    }
}
