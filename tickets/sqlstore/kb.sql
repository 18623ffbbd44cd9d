-- Queries of the knowledge base, one per name, with ? placeholders;
-- kb_<driver>.sql adds those whose SQL differs between drivers.

-- name: kb-insert-article
INSERT INTO kb_articles (slug, title, body, tags, language, queue, status, terms, words, created_at, updated_at, published_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (slug) DO NOTHING RETURNING id;

-- name: kb-update-article
UPDATE kb_articles SET slug = ?, title = ?, body = ?, tags = ?, language = ?, queue = ?, status = ?, terms = ?, words = ?,
    updated_at = ?, published_at = ?
WHERE id = ?;

-- name: kb-slug-owner
SELECT id FROM kb_articles WHERE slug = ?;

-- name: kb-link-ticket
INSERT INTO kb_article_tickets (article_id, ticket_id) VALUES (?, ?) ON CONFLICT DO NOTHING;

-- name: kb-article
SELECT id, slug, title, body, tags, language, queue, status, created_at, updated_at, published_at FROM kb_articles WHERE id = ?;

-- name: kb-article-by-slug
SELECT id, slug, title, body, tags, language, queue, status, created_at, updated_at, published_at FROM kb_articles WHERE slug = ?;

-- name: kb-article-tickets
SELECT ticket_id FROM kb_article_tickets WHERE article_id = ? ORDER BY ticket_id;

-- name: kb-list
SELECT id, slug, title, '' AS body, tags, language, queue, status, created_at, updated_at, published_at FROM kb_articles
WHERE (? = '' OR status = ?) ORDER BY id;

-- name: kb-search-size
SELECT COUNT(*) AS articles, COALESCE(SUM(words), 0) AS words FROM kb_articles
WHERE status = 'published' AND (language = ? OR language = '' OR ? = '') AND (queue = ? OR queue = '' OR ? = '');

-- name: kb-insert-suggestion
INSERT INTO kb_suggestions (ticket_id, article_id, rank) VALUES (?, ?, ?) ON CONFLICT DO NOTHING;

-- name: kb-suggestions
SELECT a.id, a.slug, a.title FROM kb_suggestions s JOIN kb_articles a ON a.id = s.article_id
WHERE s.ticket_id = ? ORDER BY s.rank;

-- name: kb-suggestions-of-tickets
SELECT s.ticket_id, a.id, a.slug, a.title FROM kb_suggestions s JOIN kb_articles a ON a.id = s.article_id
WHERE s.ticket_id IN (?) ORDER BY s.ticket_id, s.rank;
