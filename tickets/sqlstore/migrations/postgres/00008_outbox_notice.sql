-- +goose Up
-- A notice (acknowledgement, reopened) is queued without its text, with
-- what renders it, so that no template runs inside the write transaction
-- (see the sqlite twin of this migration).
ALTER TABLE outbox ADD COLUMN notice_template TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN notice_trigger_id BIGINT;
ALTER TABLE outbox ADD COLUMN notice_unverified BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE outbox DROP COLUMN notice_unverified;
ALTER TABLE outbox DROP COLUMN notice_trigger_id;
ALTER TABLE outbox DROP COLUMN notice_template;
