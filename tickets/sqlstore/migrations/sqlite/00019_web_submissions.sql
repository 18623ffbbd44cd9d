-- +goose Up
-- The tickets opened on the web form (base_url/new): who typed which
-- address from which source (the client's IP), counted by the form's
-- rate limits.
CREATE TABLE web_submissions (
    id         INTEGER PRIMARY KEY,
    email      TEXT NOT NULL,
    source     TEXT NOT NULL DEFAULT '',
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX web_submissions_email ON web_submissions(email, created_at);
CREATE INDEX web_submissions_source ON web_submissions(source, created_at);

-- +goose Down
DROP TABLE web_submissions;
