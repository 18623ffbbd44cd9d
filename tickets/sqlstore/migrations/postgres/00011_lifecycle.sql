-- +goose Up
-- The resolution note (root cause and fix) an agent or admin gave when
-- resolving the ticket; '' when none was given.
ALTER TABLE tickets ADD COLUMN resolution TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE tickets DROP COLUMN resolution;
