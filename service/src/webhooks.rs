//! Notifications (issue 22 §5): webhooks per realm receive CloudEvents 1.0 (JSON) when a
//! credential is about to expire (once per threshold), expired, leaked, revoked or rotated, and
//! when a client's authentication method changed. Each delivery is signed
//! `Keyward-Signature: sha256=<hex HMAC-SHA256 of the body>` with the webhook's own key (made by
//! Keyward, shown once, kept sealed), queued in the database (so it survives a restart), sent
//! through the safe fetcher's address rules, and retried with back-off.
//!
//! Invariants: events never carry a secret value or a private key; a delivery for one
//! credential is sent only after the earlier ones for it (the store's `due`); a failed
//! delivery never blocks or fails the change that caused it.

use keyward_credentials::operator::Role;
use keyward_credentials::secret::SecretString;
use keyward_store::realms::Realm;
use keyward_store::webhooks::{self, Delivery, Webhook};
use serde_json::{json, Value};

use crate::context::{audit, now, realm_of, Actor, Services};
use crate::error::{internal, not_found, Result, ServiceError};

/// What a webhook can be told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Expiring,
    Expired,
    Leaked,
    Revoked,
    Rotated,
    MethodChanged,
}

impl EventType {
    pub const ALL: [EventType; 6] = [
        EventType::Expiring,
        EventType::Expired,
        EventType::Leaked,
        EventType::Revoked,
        EventType::Rotated,
        EventType::MethodChanged,
    ];

    /// The name a webhook subscribes with (and the CloudEvent `type` after `dev.keyward.`).
    pub fn name(self) -> &'static str {
        match self {
            EventType::Expiring => "credential.expiring",
            EventType::Expired => "credential.expired",
            EventType::Leaked => "credential.leaked",
            EventType::Revoked => "credential.revoked",
            EventType::Rotated => "credential.rotated",
            EventType::MethodChanged => "client.method_changed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == raw.trim())
    }
}

/// Days before an expiry at which "expiring" is announced (each once).
pub const EXPIRY_THRESHOLDS_DAYS: [i64; 3] = [30, 7, 1];
/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a replica holds a delivery it is sending.
const LEASE_S: i64 = 60;
/// Most webhooks per realm.
pub const MAX_WEBHOOKS: usize = 20;

/// Seconds until the next attempt after `attempts` failed ones: 10 s, 20 s, 40 s, … at most an
/// hour.
pub fn backoff(attempts: i64) -> i64 {
    (10i64 << attempts.clamp(0, 12)).min(3600)
}

/// A webhook as shown (never its key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: i64,
    pub created_by: String,
}

fn view(w: &Webhook) -> WebhookView {
    WebhookView {
        id: w.webhook_id.clone(),
        url: w.url.clone(),
        events: w.events.clone(),
        created_at: w.created_at,
        created_by: w.created_by.clone(),
    }
}

/// Use case: a realm's webhooks (viewer).
pub async fn list(svc: &Services, actor: &Actor, realm: &str) -> Result<Vec<WebhookView>> {
    actor.require(Role::Viewer)?;
    let r = realm_of(svc, realm).await?;
    Ok(webhooks::list(&svc.db, &r.realm_id)
        .await?
        .iter()
        .map(view)
        .collect())
}

/// Use case: a new webhook (admin: it sends the realm's events out). Checked: the URL under the
/// safe fetcher's rules (https, no internal address unless the administrator allowed it), at
/// least one known event. Its signing key is made here and returned once.
pub async fn create(
    svc: &Services,
    actor: &Actor,
    realm: &str,
    url: &str,
    events: &[String],
) -> Result<(WebhookView, SecretString)> {
    actor.require(Role::Admin)?;
    let r = realm_of(svc, realm).await?;
    let url = url.trim();
    svc.jwks
        .check_destination(url)
        .await
        .map_err(|e| ServiceError::Invalid(url_refusal(&e)))?;
    let mut names = Vec::new();
    for e in events {
        let t = EventType::parse(e)
            .ok_or_else(|| ServiceError::Invalid(format!("unknown event type {e:?}")))?;
        if !names.contains(&t.name()) {
            names.push(t.name());
        }
    }
    if names.is_empty() {
        return Err(ServiceError::Invalid(
            "choose at least one event for the webhook".into(),
        ));
    }
    if webhooks::list(&svc.db, &r.realm_id).await?.len() >= MAX_WEBHOOKS {
        return Err(ServiceError::Conflict(format!(
            "a realm has at most {MAX_WEBHOOKS} webhooks"
        )));
    }
    let secret = keyward_credentials::token::random_token(&mut rand::rngs::OsRng, 32);
    let sealed = svc.vault.seal(
        keyward_credentials::seal::context::WEBHOOK_SECRET,
        secret.expose().as_bytes(),
    );
    let w = webhooks::create(
        &svc.db,
        &webhooks::NewWebhook {
            realm_id: &r.realm_id,
            url,
            events: &names,
            sealed_secret: (&sealed.bytes, &sealed.key_id),
            created_by: &actor.name,
        },
        now(),
    )
    .await?;
    audit(
        svc,
        actor,
        Some(&r.realm_id),
        None,
        "CREATE",
        &format!("webhooks/{}", w.webhook_id),
        json!({ "url": w.url, "events": w.events }),
    )
    .await?;
    Ok((view(&w), secret))
}

/// Use case: deletes a webhook and its deliveries (admin).
pub async fn delete(svc: &Services, actor: &Actor, realm: &str, id: &str) -> Result<()> {
    actor.require(Role::Admin)?;
    let r = realm_of(svc, realm).await?;
    let w = realm_webhook(svc, &r, id).await?;
    webhooks::delete(&svc.db, &r.realm_id, id)
        .await
        .map_err(not_found("Webhook"))?;
    audit(
        svc,
        actor,
        Some(&r.realm_id),
        None,
        "DELETE",
        &format!("webhooks/{id}"),
        json!({ "url": w.url }),
    )
    .await?;
    Ok(())
}

/// Use case: a realm's latest deliveries (viewer), newest first.
pub async fn deliveries(
    svc: &Services,
    actor: &Actor,
    realm: &str,
    limit: i64,
) -> Result<Vec<Delivery>> {
    actor.require(Role::Viewer)?;
    let r = realm_of(svc, realm).await?;
    Ok(webhooks::list_deliveries(&svc.db, &r.realm_id, limit).await?)
}

/// Webhook `id` of realm `r` (a webhook of another realm is not found).
async fn realm_webhook(svc: &Services, r: &Realm, id: &str) -> Result<Webhook> {
    let w = webhooks::get(&svc.db, id)
        .await
        .map_err(not_found("Webhook"))?;
    if w.realm_id != r.realm_id {
        return Err(ServiceError::NotFound("Webhook".into()));
    }
    Ok(w)
}

/// A webhook's signing key, unsealed.
fn signing_key(svc: &Services, w: &Webhook) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    svc.vault
        .open(
            keyward_credentials::seal::context::WEBHOOK_SECRET,
            &keyward_credentials::seal::Sealed {
                key_id: w.sealed_secret.1.clone(),
                bytes: w.sealed_secret.0.clone(),
            },
        )
        .map_err(internal)
}

/// The operator-facing refusal of a webhook URL.
fn url_refusal(e: &crate::jwks::FetchError) -> String {
    use crate::jwks::FetchError;
    match e {
        FetchError::NotHttps => "a webhook URL must be https".into(),
        FetchError::InternalAddress(ip) => format!(
            "{ip} is an internal address (loopback or a private network): Keyward does not \
             deliver there unless the server's administrator allowed it"
        ),
        FetchError::InternalName { host, ip } => format!(
            "{host} resolves to an internal address ({ip}): Keyward does not deliver there \
             unless the server's administrator allowed it"
        ),
        other => other.to_string(),
    }
}

/// Queues `event` about `subject` ("secret:<id>", "key:<id>", "client:<id>") for every webhook
/// of the realm that receives it, as a CloudEvent. Never fails the caller: a queueing error is
/// logged.
pub async fn emit(svc: &Services, realm: &Realm, event: EventType, subject: &str, data: Value) {
    if let Err(e) = try_emit(svc, realm, event, subject, data).await {
        tracing::warn!(error = %e, event = event.name(), "could not queue a webhook event");
    }
}

async fn try_emit(
    svc: &Services,
    realm: &Realm,
    event: EventType,
    subject: &str,
    data: Value,
) -> Result<()> {
    let hooks = webhooks::list(&svc.db, &realm.realm_id).await?;
    let targets: Vec<&Webhook> = hooks
        .iter()
        .filter(|w| w.events.iter().any(|e| e == event.name()))
        .collect();
    if targets.is_empty() {
        return Ok(());
    }
    let now = now();
    for w in targets {
        let cloud_event = json!({
            "specversion": "1.0",
            "id": uuid::Uuid::new_v4().to_string(),
            "source": format!("{}/realms/{}", svc.settings.public_url, realm.name),
            "type": format!("dev.keyward.{}", event.name()),
            "subject": subject,
            "time": rfc3339(now),
            "datacontenttype": "application/json",
            "data": data,
        });
        let d = webhooks::enqueue(
            &svc.db,
            w,
            event.name(),
            subject,
            &cloud_event.to_string(),
            now,
        )
        .await?;
        if d.status == "dropped" {
            tracing::warn!(webhook = %w.webhook_id, "a webhook's queue is full: event dropped");
        }
    }
    Ok(())
}

/// Sends what is due (at most `limit`), each claimed first so replicas do not send one twice.
/// Returns how many were attempted.
pub async fn deliver_due(svc: &Services, limit: i64) -> Result<usize> {
    deliver_due_at(svc, now(), limit).await
}

/// [`deliver_due`] as if the clock read `now` (no earlier than the real one for the times it
/// writes): what the retry tests use instead of waiting out the back-off.
pub async fn deliver_due_at(svc: &Services, now: i64, limit: i64) -> Result<usize> {
    let due = webhooks::due(&svc.db, now, limit).await?;
    let mut attempted = 0;
    let mut hooks: std::collections::HashMap<String, Webhook> = Default::default();
    for d in due {
        if !webhooks::claim(&svc.db, &d, now + LEASE_S).await? {
            continue;
        }
        attempted += 1;
        // Each webhook is read once per batch.
        if !hooks.contains_key(&d.webhook_id) {
            match webhooks::get(&svc.db, &d.webhook_id).await {
                Ok(w) => {
                    hooks.insert(d.webhook_id.clone(), w);
                }
                Err(keyward_store::StoreError::NotFound) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        let w = &hooks[&d.webhook_id];
        let key = signing_key(svc, w)?;
        let body = d.payload.clone().into_bytes();
        let signature = keyward_credentials::leak_report::hmac_signature(&key, &body);
        let headers = [
            ("keyward-signature", signature),
            ("keyward-delivery", d.delivery_id.clone()),
        ];
        let result = svc.jwks.post(&w.url, body, &headers).await;
        let done = now_after(now);
        let (status, error, delivered) = match &result {
            Ok(s) if (200..300).contains(s) => (Some(*s), None, true),
            Ok(s) => (Some(*s), Some(format!("HTTP {s}")), false),
            Err(e) => (e.status(), Some(url_refusal(e)), false),
        };
        let retry_at =
            (!delivered && d.attempts + 1 < MAX_ATTEMPTS).then(|| done + backoff(d.attempts));
        webhooks::record_attempt(
            &svc.db,
            &d.delivery_id,
            done,
            status,
            error.as_deref(),
            delivered,
            retry_at,
        )
        .await?;
    }
    Ok(attempted)
}

/// RFC 3339 UTC time of epoch seconds (the CloudEvent `time`).
fn rfc3339(epoch: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(epoch)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn now_after(at: i64) -> i64 {
    now().max(at)
}

/// Announces what expires: for every secret and active certificate expiring within the largest
/// threshold, "expiring" once per threshold crossed (one event, for the nearest), and
/// "expired" once (within a day of expiring). Does nothing while no webhook receives these
/// events. Returns how many events were queued.
pub async fn announce_expiry(svc: &Services) -> Result<usize> {
    let now = now();
    // Nothing to announce to: no notice is recorded either (a webhook added later hears about
    // the thresholds its credentials have already crossed).
    let names = [EventType::Expiring.name(), EventType::Expired.name()];
    if !webhooks::any_receives(&svc.db, &names).await? {
        return Ok(0);
    }
    let horizon = now + EXPIRY_THRESHOLDS_DAYS[0] * 86_400;
    let items = keyward_store::expiry::list(&svc.db, None, None, horizon, 10_000).await?;
    let mut realms: std::collections::HashMap<String, Realm> = Default::default();
    let mut queued = 0;
    for e in items {
        let credential = format!(
            "{}:{}",
            if e.kind == "secret" { "secret" } else { "key" },
            e.id
        );
        let (event, threshold) = if e.expires_at <= now {
            // Announced within a day of expiring; older expiries are history, not news.
            if e.expires_at <= now - 86_400 {
                continue;
            }
            if !webhooks::notice_once(&svc.db, &credential, "expired", 0, now).await? {
                continue;
            }
            (EventType::Expired, 0)
        } else {
            let days_left = (e.expires_at - now + 86_399) / 86_400;
            let mut nearest = None;
            for t in EXPIRY_THRESHOLDS_DAYS {
                if days_left <= t
                    && webhooks::notice_once(&svc.db, &credential, "expiring", t, now).await?
                {
                    nearest = Some(t);
                }
            }
            match nearest {
                Some(t) => (EventType::Expiring, t),
                None => continue,
            }
        };
        if !realms.contains_key(&e.realm) {
            let r = keyward_store::realms::get_by_name(&svc.db, &e.realm).await?;
            realms.insert(e.realm.clone(), r);
        }
        emit(
            svc,
            &realms[&e.realm],
            event,
            &credential,
            json!({
                "realm": e.realm,
                "clientId": e.client_id,
                "clientRowId": e.client_row_id,
                "kind": e.kind,
                "id": e.id,
                "label": e.label,
                "expiresAt": e.expires_at,
                "thresholdDays": threshold,
            }),
        )
        .await;
        queued += 1;
    }
    Ok(queued)
}

/// Use case: a webhook's signing key again (admin; audited), for the receiver's configuration.
pub async fn reveal(svc: &Services, actor: &Actor, realm: &str, id: &str) -> Result<SecretString> {
    actor.require(Role::Admin)?;
    let r = realm_of(svc, realm).await?;
    let w = realm_webhook(svc, &r, id).await?;
    let key = signing_key(svc, &w)?;
    let value = String::from_utf8(key.to_vec()).map_err(internal)?;
    audit(
        svc,
        actor,
        Some(&r.realm_id),
        None,
        "ACTION",
        &format!("webhooks/{id}"),
        json!({ "action": "reveal", "url": w.url }),
    )
    .await?;
    Ok(SecretString::new(value))
}
