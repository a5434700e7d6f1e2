-- 0015_secret_lifecycle.sql (sqlite) — secrets that can be found and killed (issue 22): the
-- realm's scannable-secret segment, leak policy and lifetime policies; a secret's leak mark;
-- when and from where each secret and key was last used; the verifier index a leak report
-- finds a secret by. Keep in step with migrations/postgres/0015_secret_lifecycle.sql.

-- The segment after "kw_" in the realm's new secrets (1-16 of [a-z0-9]); NULL: none.
ALTER TABLE realm ADD COLUMN secret_prefix_segment TEXT;
-- The longest life a new secret may have, in seconds; NULL: unlimited.
ALTER TABLE realm ADD COLUMN secret_max_lifetime_s INTEGER;
-- 1: a new secret must have an expiry.
ALTER TABLE realm ADD COLUMN secret_must_expire INTEGER NOT NULL DEFAULT 0;
-- The longest validity of a generated keystore's certificate, in years; NULL: unlimited.
ALTER TABLE realm ADD COLUMN keystore_max_validity_years INTEGER;
-- What a verified leak report does to a live secret: revoke it at once, or mark it leaked and
-- let it work for leak_grace_s more seconds.
ALTER TABLE realm ADD COLUMN leak_action TEXT NOT NULL DEFAULT 'revoke'
    CHECK (leak_action IN ('revoke', 'grace'));
ALTER TABLE realm ADD COLUMN leak_grace_s INTEGER NOT NULL DEFAULT 86400;

-- When a verified report said the secret was leaked; NULL: never reported.
ALTER TABLE client_secret ADD COLUMN leaked_at INTEGER;
-- Where the report found it (the report's url), for the console.
ALTER TABLE client_secret ADD COLUMN leaked_url TEXT;
-- The last successful use and its address (written at most once a minute per secret).
ALTER TABLE client_secret ADD COLUMN last_used_at INTEGER;
ALTER TABLE client_secret ADD COLUMN last_used_ip TEXT;
-- A leak report names a value, never a client: it is found by its verifier.
CREATE INDEX client_secret_verifier_idx ON client_secret (verifier);

ALTER TABLE client_key ADD COLUMN last_used_at INTEGER;
ALTER TABLE client_key ADD COLUMN last_used_ip TEXT;
