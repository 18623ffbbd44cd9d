-- +goose Up
-- The knowledge base: articles in Markdown that answer recurring problems,
-- drafted from resolved tickets. slug names an article in its link
-- (base_url/kb/SLUG); tags are space-separated; language and queue ''
-- fit every ticket. status is draft, published or retired: only a
-- published article is suggested and served. terms are the words the
-- desk searches (title, tags and text, as tickets.SearchTerms makes them),
-- words how many they are.
CREATE TABLE kb_articles (
    id           INTEGER PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL DEFAULT '',
    tags         TEXT NOT NULL DEFAULT '',
    language     TEXT NOT NULL DEFAULT '',
    queue        TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'draft',
    terms        TEXT NOT NULL DEFAULT '',
    words        INTEGER NOT NULL DEFAULT 0,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    published_at TIMESTAMP
);
CREATE INDEX kb_articles_status ON kb_articles(status, language, queue);

-- The tickets an article came from.
CREATE TABLE kb_article_tickets (
    article_id INTEGER NOT NULL REFERENCES kb_articles(id),
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    PRIMARY KEY (article_id, ticket_id)
);

-- The articles a new ticket's acknowledgement suggested, best first (rank 1).
CREATE TABLE kb_suggestions (
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    article_id INTEGER NOT NULL REFERENCES kb_articles(id),
    rank       INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, article_id)
);

-- The full-text index of the articles' terms (FTS4, built into
-- mattn/go-sqlite3), one row per article with docid = kb_articles.id. An
-- index, not data: `helpdesk db copy` leaves it, PostgreSQL has its own.
CREATE VIRTUAL TABLE kb_fts USING fts4(terms);

-- The report counts the deflected tickets (a suggested article solved
-- them), as it counts reopens: from a partial index (see 00016).
CREATE INDEX events_deflected ON events(ticket_id, created_at) WHERE kind = 'deflected';

-- +goose Down
DROP INDEX events_deflected;
DROP TABLE kb_fts;
DROP TABLE kb_suggestions;
DROP TABLE kb_article_tickets;
DROP TABLE kb_articles;
