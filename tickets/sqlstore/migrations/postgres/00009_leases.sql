-- +goose Up
-- Named leases that the daemons sharing one database hold in turn: one
-- per IMAP mailbox ("mailbox:NAME", so that one daemon at a time reads
-- it) and one per job that must run once across them ("job:NAME"). A
-- lease is its holder's until expires_at; its holder renews it while it
-- works, and any other may take it once it has run out. taken_at is when
-- the present holder took it.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    taken_at   TIMESTAMPTZ NOT NULL
);

-- Senders LISTEN on helpdesk_outbox: a transaction that queues mail, or
-- hands back items it had claimed and not tried, wakes every daemon at
-- its commit (notices of one transaction are delivered once), on any
-- host, so no sender polls the outbox for them.
-- +goose StatementBegin
CREATE FUNCTION helpdesk_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('helpdesk_outbox', '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER outbox_queued AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION helpdesk_outbox_notify();
CREATE TRIGGER outbox_released AFTER UPDATE OF lease_holder ON outbox
    FOR EACH ROW WHEN (OLD.lease_holder IS NOT NULL AND NEW.lease_holder IS NULL AND NEW.status = 'queued')
    EXECUTE FUNCTION helpdesk_outbox_notify();

-- +goose Down
DROP TRIGGER outbox_released ON outbox;
DROP TRIGGER outbox_queued ON outbox;
DROP FUNCTION helpdesk_outbox_notify();
DROP TABLE leases;
