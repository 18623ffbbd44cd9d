-- +goose Up
-- A notice (acknowledgement, reopened) is queued without its text, with
-- what renders it, so that no template runs inside the write transaction:
-- the ingest that queued it renders it right after the commit, and the
-- sender renders what is still without text when it comes to send it.
-- notice_template names the template while the item waits for its text
-- ('' once its message holds it, and for every other mail);
-- notice_trigger_id is the message that caused the notice (NULL for none);
-- notice_unverified says the recipient is not verified, so the customer's
-- words are quoted defanged.
ALTER TABLE outbox ADD COLUMN notice_template TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN notice_trigger_id INTEGER;
ALTER TABLE outbox ADD COLUMN notice_unverified BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE outbox DROP COLUMN notice_unverified;
ALTER TABLE outbox DROP COLUMN notice_trigger_id;
ALTER TABLE outbox DROP COLUMN notice_template;
