-- 0005_token_endpoint.sql (PostgreSQL) — what the token endpoint needs: realm signing keys, the
-- client-assertion replay store, and the log of client authentications.
-- Keep in step with migrations/sqlite/0005_token_endpoint.sql.

-- The algorithm new access tokens of the realm are signed with (ES256, or RS256 for consumers
-- that only know Keycloak's default).
ALTER TABLE realm ADD COLUMN token_signing_alg TEXT NOT NULL DEFAULT 'ES256';

-- realm_key: a realm's access-token signing keys. The private key (PKCS#8) is sealed under the
-- master key whose id sits beside it; the public JWK is served at .../certs.
CREATE TABLE realm_key (
    realm_key_id       TEXT PRIMARY KEY NOT NULL,
    realm_id           TEXT NOT NULL REFERENCES realm (realm_id) ON DELETE CASCADE,
    kid                TEXT NOT NULL,
    -- ES256 | RS256.
    alg                TEXT NOT NULL,
    -- AES-256-GCM of the PKCS#8 DER (credentials::seal, context REALM_KEY).
    sealed_private_key BYTEA NOT NULL,
    master_key_id      TEXT NOT NULL,
    -- the public JWK, JSON text.
    public_jwk         TEXT NOT NULL,
    -- active: signs new tokens (one per realm); passive: still in certs, verifies tokens it
    -- signed; retired: removed from certs.
    status             TEXT NOT NULL CHECK (status IN ('active', 'passive', 'retired')),
    created_at         BIGINT NOT NULL,
    retired_at         BIGINT
);
CREATE UNIQUE INDEX realm_key_kid_key ON realm_key (realm_id, kid);
CREATE INDEX realm_key_realm_idx ON realm_key (realm_id, created_at);
-- master-key rotation walks the keys not yet sealed under the new key.
CREATE INDEX realm_key_master_key_idx ON realm_key (master_key_id);

-- assertion_jti: client-assertion ids already accepted (RFC 7523 §3 item 7). The primary key
-- makes "accept once" one atomic insert, shared by every replica on the same database.
CREATE TABLE assertion_jti (
    realm_id      TEXT NOT NULL,
    client_row_id TEXT NOT NULL,
    jti           TEXT NOT NULL,
    -- the assertion cannot be replayed after this instant (exp + skew): the row may go.
    expires_at    BIGINT NOT NULL,
    PRIMARY KEY (realm_id, client_row_id, jti)
);
CREATE INDEX assertion_jti_expiry_idx ON assertion_jti (expires_at);

-- client_auth_event: recent authentications at the token endpoint, for the console (why does a
-- service fail?). Never holds a secret or an assertion.
CREATE TABLE client_auth_event (
    event_id      BIGSERIAL PRIMARY KEY,
    realm_id      TEXT NOT NULL,
    -- NULL when the client id named no client.
    client_row_id TEXT,
    client_id     TEXT NOT NULL,
    at            BIGINT NOT NULL,
    -- client_secret_basic | client_secret_post | client_secret_jwt | private_key_jwt | none.
    method        TEXT NOT NULL,
    -- success | failure.
    outcome       TEXT NOT NULL,
    -- why it failed (the real reason, kept server-side).
    reason        TEXT,
    ip            TEXT
);
CREATE INDEX client_auth_event_client_idx ON client_auth_event (client_row_id, event_id);
CREATE INDEX client_auth_event_at_idx ON client_auth_event (at);
