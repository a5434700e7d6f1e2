-- 0001_foundation.sql (PostgreSQL) — Keyward's first schema: realms, clients, operators, audit log.
--
-- Conventions shared with migrations/sqlite/0001_foundation.sql (keep the two in step):
--   * every integer column is BIGINT, so the store decodes all of them as i64 on both backends;
--   * times are Unix epoch seconds (sqlx's Any driver has no date/time type);
--   * flags are BIGINT 0/1, like SQLite's INTEGER 0/1 (sqlx's Any driver cannot read SQLite BOOLEAN);
--   * sorted text columns use COLLATE "C" so lists order bytewise, exactly like SQLite;
--   * row ids are UUID v4 strings in TEXT columns;
--   * unique indexes carry explicit names; the store maps violations of them to
--     StoreError::Conflict (store/src/error.rs).

-- realm: an isolated namespace of clients, operators' unit of administration (Keycloak's realm).
CREATE TABLE realm (
    realm_id                TEXT PRIMARY KEY NOT NULL,
    -- URL name (/realms/{name}); unique, see realm_name_key.
    name                    TEXT COLLATE "C" NOT NULL,
    -- human-readable title shown in the console.
    display_name            TEXT NOT NULL,
    -- base URL the issuer hangs from; NULL = the server's configured public URL.
    public_base_url         TEXT,
    -- 1 = a client assertion's aud must be exactly the issuer (token endpoint URL refused).
    strict_audience         BIGINT NOT NULL DEFAULT 0,
    access_token_lifetime_s BIGINT NOT NULL DEFAULT 300,
    created_at              BIGINT NOT NULL
);
CREATE UNIQUE INDEX realm_name_key ON realm (name);

-- client: an OAuth client of a realm; deleted with its realm.
CREATE TABLE client (
    -- internal id (Keycloak's "id"), stable across client id renames.
    client_row_id       TEXT PRIMARY KEY NOT NULL,
    realm_id            TEXT NOT NULL REFERENCES realm (realm_id) ON DELETE CASCADE,
    -- the OAuth client_id; unique per realm, see client_realm_client_id_key.
    client_id           TEXT COLLATE "C" NOT NULL,
    name                TEXT NOT NULL DEFAULT '',
    description         TEXT NOT NULL DEFAULT '',
    enabled             BIGINT NOT NULL DEFAULT 1,
    public_client       BIGINT NOT NULL DEFAULT 0,
    -- id of the client authentication method (client-secret, client-jwt, client-secret-jwt).
    authenticator       TEXT NOT NULL DEFAULT 'client-secret',
    -- JWS alg pinned for client assertions; NULL = any alg the method allows.
    signing_alg         TEXT,
    -- longest accepted lifetime of a client assertion, in seconds.
    assertion_max_exp_s BIGINT NOT NULL DEFAULT 60,
    -- 1 = verification keys come from jwks_url instead of registered keys.
    use_jwks_url        BIGINT NOT NULL DEFAULT 0,
    jwks_url            TEXT,
    -- lower(client_id) || ' ' || lower(name), maintained by the store; the console's
    -- case-insensitive substring search runs LIKE over it.
    search_text         TEXT NOT NULL,
    -- optimistic-concurrency counter: starts at 1, +1 on every update.
    version             BIGINT NOT NULL DEFAULT 1,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE UNIQUE INDEX client_realm_client_id_key ON client (realm_id, client_id);
-- Covers the client list: walks a realm in client_id order and filters on search_text
-- from the index (index-only scan once vacuumed).
CREATE INDEX client_realm_list_idx ON client (realm_id, client_id) INCLUDE (search_text);
-- Trigram index for the console's substring search (search_text LIKE '%term%'): turns a scan of
-- every client of the realm into an index lookup for selective terms. pg_trgm is a trusted
-- extension (PostgreSQL >= 13: any role with CREATE on the database may install it); where it
-- is unavailable the search still works, as a scan, and this block only logs a notice.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX client_search_trgm_idx ON client USING gin (search_text gin_trgm_ops);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm unavailable (%); client search will scan', SQLERRM;
END
$$;

-- operator: a person who signs in to the console.
CREATE TABLE operator (
    operator_id   TEXT PRIMARY KEY NOT NULL,
    -- sign-in name; unique, see operator_username_key.
    username      TEXT COLLATE "C" NOT NULL,
    -- argon2id PHC string; never logged.
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'manager', 'admin')),
    -- consecutive failed sign-ins since the last success or lock.
    failed_logins BIGINT NOT NULL DEFAULT 0,
    -- epoch seconds until which sign-in is refused; NULL = not locked.
    locked_until  BIGINT,
    disabled      BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX operator_username_key ON operator (username);

-- admin_event: append-only audit log of console and admin REST changes.
-- realm_id and client_row_id have no foreign key on purpose: events outlive what they describe.
CREATE TABLE admin_event (
    -- increasing id; "newest first" orders by it.
    event_id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            BIGINT NOT NULL,
    -- username of the operator (or "system") who made the change.
    actor         TEXT NOT NULL,
    realm_id      TEXT,
    client_row_id TEXT,
    operation     TEXT NOT NULL CHECK (operation IN ('CREATE', 'UPDATE', 'DELETE', 'ACTION')),
    resource_path TEXT NOT NULL,
    -- JSON text describing the change; never holds secret values.
    details       TEXT NOT NULL DEFAULT '{}',
    ip            TEXT
);
CREATE INDEX admin_event_realm_idx ON admin_event (realm_id, event_id);
