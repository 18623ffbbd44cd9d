-- Queries of the knowledge base that only SQLite has, or writes its own way.

-- name: kb-search
-- The argument is an FTS4 query: the terms, quoted, joined by OR.
SELECT a.id, a.slug, a.title, a.language, a.queue, a.status, a.terms FROM kb_fts
JOIN kb_articles a ON a.id = kb_fts.docid
WHERE kb_fts MATCH ? AND a.status = 'published' AND (a.language = ? OR a.language = '' OR ? = '') AND (a.queue = ? OR a.queue = '' OR ? = '')
ORDER BY a.id;

-- name: kb-fts-delete
DELETE FROM kb_fts WHERE docid = ?;

-- name: kb-fts-insert
INSERT INTO kb_fts (docid, terms) VALUES (?, ?);
