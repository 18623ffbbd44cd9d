-- +goose Up
CREATE TABLE tickets (
    id                INTEGER PRIMARY KEY,
    subject           TEXT NOT NULL,
    status            TEXT NOT NULL,
    priority          TEXT NOT NULL DEFAULT 'P3',
    queue             TEXT NOT NULL,
    mailbox           TEXT NOT NULL,
    category          TEXT NOT NULL DEFAULT '',
    requester_email   TEXT NOT NULL,
    requester_name    TEXT NOT NULL DEFAULT '',
    assignee          TEXT NOT NULL DEFAULT '',
    merged_into       INTEGER REFERENCES tickets(id),
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    first_response_at TIMESTAMP,
    resolved_at       TIMESTAMP,
    closed_at         TIMESTAMP
);
CREATE INDEX tickets_status ON tickets(status, queue);
CREATE INDEX tickets_requester ON tickets(requester_email);

CREATE TABLE ticket_tags (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    tag       TEXT NOT NULL,
    PRIMARY KEY (ticket_id, tag)
);

CREATE TABLE participants (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    email     TEXT NOT NULL,
    name      TEXT NOT NULL DEFAULT '',
    role      TEXT NOT NULL,
    PRIMARY KEY (ticket_id, email)
);

CREATE TABLE messages (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    direction   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    mailbox     TEXT NOT NULL DEFAULT '',
    msg_key     TEXT NOT NULL UNIQUE,
    message_id  TEXT NOT NULL DEFAULT '',
    in_reply_to TEXT NOT NULL DEFAULT '',
    refs        TEXT NOT NULL DEFAULT '',
    from_email  TEXT NOT NULL,
    from_name   TEXT NOT NULL DEFAULT '',
    to_addrs    TEXT NOT NULL DEFAULT '[]',
    cc_addrs    TEXT NOT NULL DEFAULT '[]',
    reply_to    TEXT NOT NULL DEFAULT '',
    subject     TEXT NOT NULL DEFAULT '',
    body_text   TEXT NOT NULL DEFAULT '',
    body_html   TEXT NOT NULL DEFAULT '',
    headers     TEXT NOT NULL DEFAULT '{}',
    auto_reason TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX messages_ticket ON messages(ticket_id, id);
CREATE INDEX messages_message_id ON messages(message_id) WHERE message_id <> '';

-- The mail exactly as it arrived, apart from the parsed message so that
-- listing messages does not read megabytes.
CREATE TABLE raw_mails (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id),
    raw        BLOB NOT NULL
);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER NOT NULL REFERENCES messages(id),
    filename     TEXT NOT NULL DEFAULT '',
    content_type TEXT NOT NULL DEFAULT '',
    size         INTEGER NOT NULL,
    content      BLOB NOT NULL
);
CREATE INDEX attachments_message ON attachments(message_id);

CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    kind       TEXT NOT NULL,
    actor      TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX events_ticket ON events(ticket_id, id);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    message_id      INTEGER NOT NULL UNIQUE REFERENCES messages(id),
    ticket_id       INTEGER NOT NULL REFERENCES tickets(id),
    status          TEXT NOT NULL DEFAULT 'queued',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_until     TIMESTAMP,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

CREATE TABLE quarantine (
    id          INTEGER PRIMARY KEY,
    mailbox     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    raw         BLOB NOT NULL,
    size        INTEGER NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    released_at TIMESTAMP,
    ticket_id   INTEGER REFERENCES tickets(id)
);

CREATE TABLE mailbox_state (
    mailbox      TEXT PRIMARY KEY,
    uid_validity INTEGER NOT NULL,
    last_uid     INTEGER NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE mailbox_state;
DROP TABLE quarantine;
DROP TABLE outbox;
DROP TABLE events;
DROP TABLE attachments;
DROP TABLE raw_mails;
DROP TABLE messages;
DROP TABLE participants;
DROP TABLE ticket_tags;
DROP TABLE tickets;
