-- 0003_client_secrets.sql (PostgreSQL) — client secrets at rest, server-wide sealed keys, and the
-- realm's secret policy. Keep in step with migrations/sqlite/0003_client_secrets.sql.

-- Realm policy for secret rotation and reveal.
-- default overlap offered when a secret is regenerated (2 days).
ALTER TABLE realm ADD COLUMN secret_overlap_default_s BIGINT NOT NULL DEFAULT 172800;
-- longest overlap an operator may choose (30 days).
ALTER TABLE realm ADD COLUMN secret_overlap_max_s BIGINT NOT NULL DEFAULT 2592000;
-- 1 = admins may reveal stored secrets again (each reveal audited); new secrets are then sealed.
ALTER TABLE realm ADD COLUMN allow_secret_reveal BIGINT NOT NULL DEFAULT 0;

-- server_secret: keys the server itself holds (the HMAC pepper), sealed under the master key.
CREATE TABLE server_secret (
    name          TEXT PRIMARY KEY NOT NULL,
    -- AES-256-GCM nonce || ciphertext || tag.
    sealed_value  BYTEA NOT NULL,
    -- id of the master key that sealed it (credentials::seal::MasterKey::id).
    master_key_id TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

-- client_secret: a client's secrets; several at once during a rotation. Deleted with the client.
CREATE TABLE client_secret (
    secret_id     TEXT PRIMARY KEY NOT NULL,
    client_row_id TEXT NOT NULL REFERENCES client (client_row_id) ON DELETE CASCADE,
    label         TEXT NOT NULL,
    -- HMAC-SHA256(pepper, secret): verifies client_secret_basic/post without the value.
    verifier      BYTEA NOT NULL,
    -- AES-256-GCM of the value, only when the server must hold it (client-secret-jwt, reveal).
    sealed_value  BYTEA,
    master_key_id TEXT,
    created_at    BIGINT NOT NULL,
    -- per-client creation counter: orders secrets created within the same second.
    created_seq   BIGINT NOT NULL,
    -- after this instant the secret no longer authenticates; NULL = no expiry.
    expires_at    BIGINT,
    revoked_at    BIGINT,
    -- username of the operator who created it.
    created_by    TEXT NOT NULL,
    CHECK ((sealed_value IS NULL) = (master_key_id IS NULL))
);
CREATE INDEX client_secret_client_idx ON client_secret (client_row_id, created_at);
-- master-key rotation walks the sealed values not yet under the new key.
CREATE INDEX client_secret_master_key_idx ON client_secret (master_key_id)
    WHERE master_key_id IS NOT NULL;
