-- 0002_client_search_index.sql (SQLite) — a trigram index for the client list's substring search.
--
-- PostgreSQL needs no counterpart: its 0001 already has a pg_trgm index on client.search_text.
-- Without an index, SQLite answers `search_text LIKE '%term%'` by walking the whole realm, which
-- costs tens of milliseconds at 100k clients when the term is rare. The store
-- (clients::list) asks this index first for terms of 3 or more characters and falls back to
-- the ordered walk when the term is common (1000 or more candidates) — see store/src/clients.rs.
--
-- Notes:
--   * FTS5 (bundled SQLite ≥ 3.34) with the trigram tokenizer: a quoted phrase query
--     `client_search MATCH '"term"'` matches the rows whose search_text contains term as a
--     substring. Case folding (case_sensitive 0) only widens the candidates; the store re-checks
--     every candidate with the exact LIKE … ESCAPE on client. The index cannot serve
--     `LIKE … ESCAPE` itself (SQLite passes only two-argument LIKE to virtual tables).
--   * detail=full is required for phrase queries; columnsize=0 drops the per-row size table
--     (no ranking is done).
--   * External content: the index stores no copy of search_text, only trigrams keyed by the
--     rowid of client. client has no INTEGER PRIMARY KEY, so that rowid is implicit; SQLite's
--     VACUUM keeps the rowids of tables that have indexes (client does), and
--     `INSERT INTO client_search (client_search) VALUES ('rebuild')` re-derives the whole index
--     from client should it ever drift.
--   * The triggers keep the index in step with every INSERT, DELETE (including the cascade from
--     a deleted realm) and change of search_text, in the same transaction as the change.

CREATE VIRTUAL TABLE client_search USING fts5 (
    search_text,
    content = 'client',
    content_rowid = 'rowid',
    tokenize = 'trigram',
    detail = full,
    columnsize = 0
);

CREATE TRIGGER client_search_insert AFTER INSERT ON client BEGIN
    INSERT INTO client_search (rowid, search_text) VALUES (new.rowid, new.search_text);
END;

CREATE TRIGGER client_search_delete AFTER DELETE ON client BEGIN
    INSERT INTO client_search (client_search, rowid, search_text)
        VALUES ('delete', old.rowid, old.search_text);
END;

CREATE TRIGGER client_search_update AFTER UPDATE OF search_text ON client
    WHEN old.search_text IS NOT new.search_text
BEGIN
    INSERT INTO client_search (client_search, rowid, search_text)
        VALUES ('delete', old.rowid, old.search_text);
    INSERT INTO client_search (rowid, search_text) VALUES (new.rowid, new.search_text);
END;

-- Backfill: index the clients that exist already.
INSERT INTO client_search (client_search) VALUES ('rebuild');
