-- 0013_federated_bindings.sql (postgres) — federated client authentication (issue 21 §2): which
-- tokens of which identity provider a `federated-jwt` client accepts, and the keys fetched from
-- each provider. Keep in step with migrations/sqlite/0013_federated_bindings.sql.

-- federated_binding: one trust relationship of a client (Keycloak's jwt.credential.issuer +
-- jwt.credential.sub; Entra's federated identity credential). A client may have several, each
-- with a label, so one can be replaced while another still works.
CREATE TABLE federated_binding (
    binding_id    TEXT PRIMARY KEY NOT NULL,
    realm_id      TEXT NOT NULL REFERENCES realm (realm_id) ON DELETE CASCADE,
    client_row_id TEXT NOT NULL REFERENCES client (client_row_id) ON DELETE CASCADE,
    -- the provider whose tokens this binding accepts (the service refuses to delete a provider
    -- that bindings still use; the cascade only serves a realm's deletion).
    idp_row_id    TEXT NOT NULL REFERENCES identity_provider (idp_row_id) ON DELETE CASCADE,
    label         TEXT COLLATE "C" NOT NULL,
    -- the token's exact `sub`; NULL when the claims expression alone decides.
    subject       TEXT,
    -- a claims expression (credentials::claims_expr), normalized; NULL for none.
    claims_expr   TEXT,
    created_at    BIGINT NOT NULL,
    created_by    TEXT NOT NULL
);
-- (provider, subject) names one client in a realm: a token without client_id finds it.
CREATE UNIQUE INDEX federated_binding_subject_key
    ON federated_binding (realm_id, idp_row_id, subject) WHERE subject IS NOT NULL;
-- two expression-only bindings with the same expression would match the same tokens.
CREATE UNIQUE INDEX federated_binding_expr_key
    ON federated_binding (realm_id, idp_row_id, claims_expr) WHERE subject IS NULL;
CREATE UNIQUE INDEX federated_binding_label_key ON federated_binding (client_row_id, label);
CREATE INDEX federated_binding_provider_idx ON federated_binding (idp_row_id);

-- identity_provider_keys: the keys last fetched from a provider (its discovery document's
-- jwks_uri, its jwksUrl, or its SPIFFE bundle endpoint), kept when later fetches fail. Deleted
-- when the provider's configuration changes.
CREATE TABLE identity_provider_keys (
    idp_row_id      TEXT PRIMARY KEY NOT NULL REFERENCES identity_provider (idp_row_id) ON DELETE CASCADE,
    -- where the key set came from.
    jwks_url        TEXT,
    -- the last good key set (a JWKS; for SPIFFE only the jwt-svid keys).
    body            BYTEA,
    fetched_at      BIGINT,
    key_count       BIGINT,
    -- from Cache-Control max-age or spiffe_refresh_hint, clamped to [1 min, 24 h].
    next_refresh_at BIGINT,
    -- the last attempt, good or not.
    last_attempt_at BIGINT,
    last_status     BIGINT,
    last_error      TEXT
);
