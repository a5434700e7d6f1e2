-- 0008_client_scopes.sql (PostgreSQL) — Keycloak's client scopes, in their smallest useful form:
-- a realm's scopes and each client's default and optional ones. The token endpoint grants a
-- client its default scopes plus the optional ones a request asks for, and refuses any other.
-- Keep in step with migrations/sqlite/0008_client_scopes.sql.

-- client_scope: a scope a realm's clients may be given (Keycloak's ClientScopeRepresentation);
-- deleted with its realm. No scope exists by default (Keycloak's profile, email, roles… are
-- about users; `openid` is not a client scope and is always accepted).
CREATE TABLE client_scope (
    -- Keycloak's "id" (UUID v4).
    client_scope_id TEXT PRIMARY KEY NOT NULL,
    realm_id        TEXT NOT NULL REFERENCES realm (realm_id) ON DELETE CASCADE,
    -- the scope token clients ask for and find in their tokens (RFC 6749 §3.3 NQCHARs, checked
    -- by credentials::scope); unique per realm, see client_scope_realm_name_key. COLLATE "C":
    -- lists order bytewise, as on SQLite.
    name            TEXT COLLATE "C" NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    -- always openid-connect (Keyward speaks no other protocol).
    protocol        TEXT NOT NULL DEFAULT 'openid-connect' CHECK (protocol = 'openid-connect'),
    created_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX client_scope_realm_name_key ON client_scope (realm_id, name);

-- client_scope_assignment: a client's scopes. default: in every token of the client; optional:
-- in a token when the request asks for it. One kind per (client, scope); removed with the client
-- or with the scope.
CREATE TABLE client_scope_assignment (
    client_row_id   TEXT NOT NULL REFERENCES client (client_row_id) ON DELETE CASCADE,
    client_scope_id TEXT NOT NULL REFERENCES client_scope (client_scope_id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('default', 'optional')),
    PRIMARY KEY (client_row_id, client_scope_id)
);
-- deleting a scope finds its assignments without a scan.
CREATE INDEX client_scope_assignment_scope_idx ON client_scope_assignment (client_scope_id);
