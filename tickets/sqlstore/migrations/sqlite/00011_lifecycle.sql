-- +goose Up
-- The resolution note (root cause and fix) an agent or admin gave when
-- resolving the ticket; '' when none was given.
ALTER TABLE tickets ADD COLUMN resolution TEXT NOT NULL DEFAULT '';

-- The closed ticket a customer wrote about after its reopen window: this
-- ticket is its follow-up. NULL for any other ticket.
ALTER TABLE tickets ADD COLUMN follow_up_of INTEGER;

-- The customer's satisfaction rating (1-5, 0 for none), its comment and
-- when it was given; a second rating replaces the first.
ALTER TABLE tickets ADD COLUMN csat_rating INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN csat_comment TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN csat_at TIMESTAMP;

-- The life cycle's timed work: one row per ticket and kind (pending
-- reminder, pending resolve, auto-close), due at due_at. A daemon claims a
-- job by deleting its row in the transaction that does the work, so each
-- job runs once however many daemons share the database.
CREATE TABLE scheduled_jobs (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    kind      TEXT NOT NULL,
    due_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (ticket_id, kind)
);
CREATE INDEX scheduled_jobs_due ON scheduled_jobs(due_at);

-- +goose Down
DROP TABLE scheduled_jobs;
ALTER TABLE tickets DROP COLUMN csat_at;
ALTER TABLE tickets DROP COLUMN csat_comment;
ALTER TABLE tickets DROP COLUMN csat_rating;
ALTER TABLE tickets DROP COLUMN follow_up_of;
ALTER TABLE tickets DROP COLUMN resolution;
