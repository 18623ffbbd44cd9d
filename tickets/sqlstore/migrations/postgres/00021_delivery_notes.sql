-- +goose Up
-- Delivery notes (tickets.DeliveryNotes) on PostgreSQL: the outbox items
-- an SMTP server took, each noted the moment it said 250 by one INSERT
-- committed without waiting for the disk (synchronous_commit off: in the
-- server's hands at once, which is what outlives a killed daemon), so
-- that a daemon killed before it recorded a delivery does not send the
-- mail again. A note goes once the delivery is recorded. On SQLite the
-- notes are in a file beside the database, and this table stays empty.
CREATE TABLE delivery_notes (
    outbox_id BIGINT PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE delivery_notes;
