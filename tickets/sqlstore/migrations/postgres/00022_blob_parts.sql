-- +goose Up
-- The rest of a raw mail, of an attachment's content or of a quarantined
-- mail, past its first part (see blobPart). Written a part at a time, a mail of 25 MB costs
-- SQLite a megabyte or two of memory, not two copies of it.
CREATE TABLE raw_mail_parts (
    message_id BIGINT NOT NULL REFERENCES raw_mails(message_id),
    part       INTEGER NOT NULL,
    data       BYTEA NOT NULL,
    PRIMARY KEY (message_id, part)
);

CREATE TABLE attachment_parts (
    attachment_id BIGINT NOT NULL REFERENCES attachments(id),
    part          INTEGER NOT NULL,
    data          BYTEA NOT NULL,
    PRIMARY KEY (attachment_id, part)
);

CREATE TABLE quarantine_parts (
    quarantine_id BIGINT NOT NULL REFERENCES quarantine(id),
    part          INTEGER NOT NULL,
    data          BYTEA NOT NULL,
    PRIMARY KEY (quarantine_id, part)
);

-- +goose Down
DROP TABLE quarantine_parts;
DROP TABLE attachment_parts;
DROP TABLE raw_mail_parts;
