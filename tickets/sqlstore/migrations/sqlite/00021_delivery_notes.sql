-- +goose Up
-- Delivery notes (tickets.DeliveryNotes) live in the PostgreSQL table of
-- this name. On SQLite they are in a file beside the database (the
-- database's name with "-delivered"), which a writer of the database
-- never holds up; this table stays empty, and keeps the two schemas, and
-- `helpdesk db copy`, alike.
CREATE TABLE delivery_notes (
    outbox_id INTEGER PRIMARY KEY,
    at        TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE delivery_notes;
