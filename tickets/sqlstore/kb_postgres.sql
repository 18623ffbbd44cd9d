-- Queries of the knowledge base that PostgreSQL writes its own way.

-- name: kb-search
-- The argument is a tsquery: the terms, quoted, joined by |. The
-- expression is the one of the index kb_articles_terms.
SELECT a.id, a.slug, a.title, a.language, a.queue, a.status, a.terms FROM kb_articles a
WHERE to_tsvector('simple', a.terms) @@ to_tsquery('simple', ?) AND a.status = 'published'
    AND (a.language = ? OR a.language = '' OR ? = '') AND (a.queue = ? OR a.queue = '' OR ? = '')
ORDER BY a.id;
