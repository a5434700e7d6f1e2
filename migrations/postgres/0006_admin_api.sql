-- 0006_admin_api.sql (PostgreSQL) — the Admin REST API: which master-realm clients may call it.
-- Keep in step with migrations/sqlite/0006_admin_api.sql.

-- The API role of a master-realm client (view | manage | admin), given by an admin in the
-- console or by KEYWARD_BOOTSTRAP_ADMIN_CLIENT_ID at first start. NULL: no API access. A bearer
-- token of this client is accepted by /admin/... with this role.
ALTER TABLE client ADD COLUMN api_role TEXT;
