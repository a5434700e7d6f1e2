-- 0009_client_key_order.sql (sqlite) — a client's keys in the order they were made.
-- Keep in step with migrations/postgres/0009_client_key_order.sql.

-- 1, 2, … per client, set by the inserting statement: keys made within the same second (a
-- provisioning script's generate then upload) are still ordered, so "the client's newest key",
-- which Keycloak's certificates/jwt.credential answers with, is one key. Keys made before this
-- migration keep 0 and are ordered among themselves by created_at as before.
ALTER TABLE client_key ADD COLUMN created_seq INTEGER NOT NULL DEFAULT 0;
