-- +goose Up
-- The resolution note (root cause and fix) an agent or admin gave when
-- resolving the ticket; '' when none was given.
ALTER TABLE tickets ADD COLUMN resolution TEXT NOT NULL DEFAULT '';

-- The closed ticket a customer wrote about after its reopen window: this
-- ticket is its follow-up. NULL for any other ticket.
ALTER TABLE tickets ADD COLUMN follow_up_of BIGINT;

-- +goose Down
ALTER TABLE tickets DROP COLUMN follow_up_of;
ALTER TABLE tickets DROP COLUMN resolution;
