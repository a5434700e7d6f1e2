-- 0007_operator_sessions.sql (postgres) — an operator's sessions end when its password, role or
-- enabled state changes. Keep in step with migrations/sqlite/0007_operator_sessions.sql.

-- Moves on every such change; a console session remembers the epoch it was started under and is
-- over once the operator's has moved on. (failed_logins and locked_until are no longer read:
-- sign-in failures are throttled per address and username, never by locking the account.)
ALTER TABLE operator ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
