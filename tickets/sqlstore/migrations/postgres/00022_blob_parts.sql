-- +goose Up
-- The rest of a raw mail, or of an attachment's content, past its first
-- part (see blobPart). Written a part at a time, a mail of 25 MB costs
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

-- +goose Down
DROP TABLE attachment_parts;
DROP TABLE raw_mail_parts;
