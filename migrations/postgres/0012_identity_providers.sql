-- 0012_identity_providers.sql (postgres) — a realm's identity providers, the trust relationships of
-- federated client authentication (issue 21): Keycloak's IdentityProviderRepresentation (alias,
-- providerId, enabled, displayName, config). Keep in step with
-- migrations/sqlite/0012_identity_providers.sql.

CREATE TABLE identity_provider (
    -- Keycloak's "internalId" (UUID v4).
    idp_row_id   TEXT PRIMARY KEY NOT NULL,
    realm_id     TEXT NOT NULL REFERENCES realm (realm_id) ON DELETE CASCADE,
    -- what clients and the Admin REST paths name it by; unique per realm, see
    -- identity_provider_realm_alias_key.
    alias        TEXT COLLATE "C" NOT NULL,
    -- oidc, kubernetes or spiffe (checked by the service layer, which knows the kinds).
    provider_id  TEXT NOT NULL,
    enabled      BIGINT NOT NULL DEFAULT 1,
    display_name TEXT NOT NULL DEFAULT '',
    -- Keycloak's config map (issuer, jwksUrl, trustDomain, bundleEndpoint, …) as a JSON object
    -- of strings; nothing secret is kept here.
    config       TEXT NOT NULL DEFAULT '{}',
    -- optimistic concurrency: 1 on creation, +1 per update.
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX identity_provider_realm_alias_key ON identity_provider (realm_id, alias);
