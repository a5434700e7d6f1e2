-- 0004_client_keys.sql (SQLite) — a client's registered public keys, and its JWKS URL with the
-- last fetch. Keep in step with migrations/postgres/0004_client_keys.sql.

-- client_key: public keys a client-jwt client signs its assertions with; several at once for
-- rotation. Only public material: the SubjectPublicKeyInfo and, when uploaded, the certificate.
CREATE TABLE client_key (
    key_id          TEXT PRIMARY KEY NOT NULL,
    client_row_id   TEXT NOT NULL REFERENCES client (client_row_id) ON DELETE CASCADE,
    -- the kid the upload carried; NULL = none, the key then answers to Keycloak's kid
    -- (base64url SHA-256 of the SPKI) and to its RFC 7638 thumbprint.
    kid             TEXT,
    -- RSA | EC | OKP.
    kty             TEXT NOT NULL,
    -- the one algorithm the key may verify, when the upload fixed it.
    alg             TEXT,
    -- SubjectPublicKeyInfo, DER.
    public_key_spki BLOB NOT NULL,
    -- X.509 certificate, DER, when the upload had one.
    certificate     BLOB,
    -- RFC 7638 JWK SHA-256 thumbprint, base64url.
    thumbprint_s256 TEXT NOT NULL,
    -- cert | pem | jwk | jwks | jks | pkcs12 | generated.
    source          TEXT NOT NULL,
    -- certificate validity, epoch seconds (NULL without a certificate).
    not_before      INTEGER,
    not_after       INTEGER,
    status          TEXT NOT NULL CHECK (status IN ('active', 'inactive')),
    created_at      INTEGER NOT NULL,
    -- username of the operator who added it.
    created_by      TEXT NOT NULL
);
CREATE INDEX client_key_client_idx ON client_key (client_row_id, created_at);
-- the same key twice for one alg is a mistake; the same kid for two keys is ambiguous (a kid may
-- repeat with different algs, as in Keycloak's lookup by kid and alg).
CREATE UNIQUE INDEX client_key_thumbprint_key
    ON client_key (client_row_id, thumbprint_s256, COALESCE(alg, ''));
CREATE UNIQUE INDEX client_key_kid_key ON client_key (client_row_id, kid, COALESCE(alg, ''));

-- client_jwks: a client's JWKS URL (Keycloak's use.jwks.url / jwks.url) and its last fetch.
-- One row per client that ever had a URL set.
CREATE TABLE client_jwks (
    client_row_id   TEXT PRIMARY KEY NOT NULL REFERENCES client (client_row_id) ON DELETE CASCADE,
    -- 1 = the client's keys come from the URL (registered keys are then not used).
    use_jwks_url    INTEGER NOT NULL DEFAULT 0,
    jwks_url        TEXT NOT NULL,
    -- the last good key set fetched from jwks_url (kept when later fetches fail).
    body            BLOB,
    fetched_at      INTEGER,
    key_count       INTEGER,
    -- from Cache-Control max-age, clamped to [1 min, 24 h].
    next_refresh_at INTEGER,
    -- the last attempt, good or not.
    last_attempt_at INTEGER,
    last_status     INTEGER,
    last_error      TEXT,
    updated_at      INTEGER NOT NULL,
    updated_by      TEXT NOT NULL
);
