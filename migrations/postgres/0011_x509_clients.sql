-- 0011_x509_clients.sql (postgres) — X.509 client authentication and certificate-bound tokens
-- (RFC 8705). Keep in step with migrations/sqlite/0011_x509_clients.sql.

-- Keycloak's client attribute x509.subjectdn: the subject DN a client-x509 client's certificate
-- must carry (RFC 4514 text); NULL for every other method.
ALTER TABLE client ADD COLUMN x509_subject_dn TEXT;
-- x509.allow.regex.pattern.comparison: 1 compares x509_subject_dn as a regular expression.
ALTER TABLE client ADD COLUMN x509_regex BIGINT NOT NULL DEFAULT 0;
-- One subject alternative name the certificate must also carry (RFC 8705 §2.1.2), as
-- "dns:<name>", "uri:<uri>", "ip:<address>" or "email:<address>"; NULL: none required.
ALTER TABLE client ADD COLUMN x509_san TEXT;
-- tls.client.certificate.bound.access.tokens: 1 binds the client's access tokens to the
-- certificate it presented (cnf x5t#S256, RFC 8705 §3).
ALTER TABLE client ADD COLUMN tls_bound_tokens BIGINT NOT NULL DEFAULT 0;
