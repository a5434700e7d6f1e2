-- 0010_access_token_header.sql (sqlite) — the access-token header type per client.
-- Keep in step with migrations/postgres/0010_access_token_header.sql.

-- Keycloak's client attribute access.token.header.type.rfc9068: 1 signs the client's access
-- tokens with header typ "at+jwt" (RFC 9068); 0, the default as in Keycloak, with "JWT",
-- which every resource-server library accepts (Spring Security's default decoder refuses at+jwt).
ALTER TABLE client ADD COLUMN rfc9068_header INTEGER NOT NULL DEFAULT 0;
