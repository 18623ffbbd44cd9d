-- +goose Up
-- The same bytes quarantined twice (an MTA that offers a mail again, an
-- IMAP mail fetched again after a crash) are kept once: sha256 is the hex
-- SHA-256 of raw, and a held row is unique by it and its size. Rows from
-- before this migration have none and are never matched.
ALTER TABLE quarantine ADD COLUMN sha256 TEXT;
-- truncated: raw is only the head of a mail over the size limit.
ALTER TABLE quarantine ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX quarantine_content ON quarantine(sha256, size)
    WHERE sha256 IS NOT NULL AND released_at IS NULL;

-- What duplicate detection keeps of a mail that opened a ticket, so that
-- it never reads whole messages (triage.Fingerprint): the sender, the
-- normalised subject, a hash of the text the sender wrote, the number of
-- its shingles, the text itself when short and a bottom-k sketch of its
-- shingles (big-endian uint64s). A ticket's fingerprint is that of its
-- oldest message here; the rows move with their messages when tickets are
-- merged. A ticket opened before this migration gets one when duplicate
-- detection first looks at it.
CREATE TABLE message_fingerprints (
    message_id  INTEGER PRIMARY KEY REFERENCES messages(id),
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    from_email  TEXT NOT NULL,
    subject     TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    shingles    INTEGER NOT NULL,
    text        TEXT NOT NULL,
    sketch      BLOB NOT NULL
);
CREATE INDEX message_fingerprints_ticket ON message_fingerprints(ticket_id, message_id);
-- The recent tickets of a requester, without reading the others.
CREATE INDEX tickets_requester_created ON tickets(requester_email, created_at);

-- +goose Down
DROP INDEX tickets_requester_created;
DROP TABLE message_fingerprints;
DROP INDEX quarantine_content;
ALTER TABLE quarantine DROP COLUMN truncated;
ALTER TABLE quarantine DROP COLUMN sha256;
