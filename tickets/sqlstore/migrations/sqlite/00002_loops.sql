-- +goose Up
-- The first recipient of an outbound mail, lowercased, to count the
-- automatic mail each address got (the loop governor's rate limit).
ALTER TABLE messages ADD COLUMN rcpt TEXT NOT NULL DEFAULT '';
CREATE INDEX messages_rcpt ON messages(rcpt, created_at) WHERE rcpt <> '';

-- What the desk knows of an address: whether its mail bounces.
CREATE TABLE address_state (
    email          TEXT PRIMARY KEY,
    bouncing_until TIMESTAMP,
    bounce_reason  TEXT NOT NULL DEFAULT '',
    updated_at     TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE address_state;
DROP INDEX messages_rcpt;
ALTER TABLE messages DROP COLUMN rcpt;
