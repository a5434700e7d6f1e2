-- 0016_webhooks.sql (postgres) — notifications (issue 22 §5): a realm's webhooks, the deliveries
-- queued for them (retried with back-off, kept across restarts), and the expiry notices already
-- sent. Keep in step with migrations/sqlite/0016_webhooks.sql.

CREATE TABLE webhook (
    webhook_id    TEXT PRIMARY KEY NOT NULL,
    realm_id      TEXT NOT NULL REFERENCES realm (realm_id) ON DELETE CASCADE,
    url           TEXT NOT NULL,
    -- the event types it receives, comma-separated (service::webhooks::EventType).
    events        TEXT NOT NULL,
    -- the HMAC-SHA256 signing key, sealed (AES-256-GCM) under master_key_id.
    sealed_secret BYTEA NOT NULL,
    master_key_id TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    created_by    TEXT NOT NULL
);
CREATE INDEX webhook_realm_idx ON webhook (realm_id);

CREATE TABLE webhook_delivery (
    delivery_id     TEXT PRIMARY KEY NOT NULL,
    webhook_id      TEXT NOT NULL REFERENCES webhook (webhook_id) ON DELETE CASCADE,
    realm_id        TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    -- what the event is about ("secret:<id>", "key:<id>", "client:<id>"): deliveries for one
    -- subject to one webhook go out in the order they were made.
    subject         TEXT NOT NULL,
    -- 1, 2, … per (webhook, subject): the order deliveries for one subject go out in.
    seq             BIGINT NOT NULL,
    -- the CloudEvent, as sent.
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'dropped')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    -- a pending delivery is tried at or after this instant (also a replica's claim on it).
    next_attempt_at BIGINT NOT NULL,
    last_status     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT
);
CREATE INDEX webhook_delivery_due_idx ON webhook_delivery (status, next_attempt_at);
CREATE UNIQUE INDEX webhook_delivery_subject_key ON webhook_delivery (webhook_id, subject, seq);
CREATE INDEX webhook_delivery_realm_idx ON webhook_delivery (realm_id, created_at);

-- An expiry notice already made: "expiring" once per threshold (days), "expired" once.
CREATE TABLE credential_notice (
    credential TEXT NOT NULL,
    kind       TEXT NOT NULL,
    threshold  BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (credential, kind, threshold)
);
