-- 0014_client_auth_attributes.sql (postgres) — a client's settings of its authentication method
-- as the methods declare them (credentials::authenticator::ConfigProperty, issue 21 §4): one
-- JSON object of Keycloak attribute names to string values, read and written whole with the
-- client row (and its version). The X.509 columns of 0011 move into it and go. Keep in step
-- with migrations/sqlite/0014_client_auth_attributes.sql.

ALTER TABLE client ADD COLUMN auth_attributes TEXT NOT NULL DEFAULT '{}';

-- A Boolean setting is stored only when true (absent reads as "false").
UPDATE client SET auth_attributes = jsonb_build_object('x509.subjectdn', x509_subject_dn)::text
    WHERE x509_subject_dn IS NOT NULL;
UPDATE client SET auth_attributes =
        (auth_attributes::jsonb || jsonb_build_object('x509.allow.regex.pattern.comparison', 'true'))::text
    WHERE x509_regex <> 0;
UPDATE client SET auth_attributes =
        (auth_attributes::jsonb || jsonb_build_object('x509.san', x509_san))::text
    WHERE x509_san IS NOT NULL;

ALTER TABLE client DROP COLUMN x509_subject_dn;
ALTER TABLE client DROP COLUMN x509_regex;
ALTER TABLE client DROP COLUMN x509_san;
