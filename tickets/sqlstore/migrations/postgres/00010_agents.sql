-- +goose Up
-- The agent who wrote an agent's mail, an internal note or a relayed
-- answer; '' for every other message.
ALTER TABLE messages ADD COLUMN author TEXT NOT NULL DEFAULT '';

-- The round robin of each queue: the agent it chose last.
CREATE TABLE queue_rotation (
    queue      TEXT COLLATE "C" PRIMARY KEY,
    last_agent TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- The open tickets of each agent, for capacity and least_open.
CREATE INDEX tickets_assignee ON tickets(assignee, status) WHERE assignee <> '';

-- +goose Down
DROP INDEX tickets_assignee;
DROP TABLE queue_rotation;
ALTER TABLE messages DROP COLUMN author;
