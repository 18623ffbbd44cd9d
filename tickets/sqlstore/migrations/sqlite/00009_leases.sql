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
    expires_at TIMESTAMP NOT NULL,
    taken_at   TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE leases;
