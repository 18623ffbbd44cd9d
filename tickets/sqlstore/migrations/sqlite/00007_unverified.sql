-- +goose Up
-- An inbound mail threaded only by a Message-ID from someone who is not on
-- the ticket: kept for the agent to check, trusted for nothing.
ALTER TABLE messages ADD COLUMN unverified BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE messages DROP COLUMN unverified;
