-- +goose Up
-- Whether the mail that opened a ticket passed the sender checks of a
-- trusted mail server: 1 or 0, NULL when the desk checks none.
ALTER TABLE tickets ADD COLUMN sender_verified BOOLEAN;

-- The loop governor's rate limits. rcpt_key: the first recipient of an
-- outbound mail, normalised (no plus-tag; Gmail without dots), so that
-- victim+1@ and victim+2@ count as one address. rcpt_domain: for automatic
-- mail to an address that is not verified, its organizational domain.
-- source: for an inbound mail, the host that handed it to the receiving
-- mail system; for automatic mail to an unverified address, the source of
-- the mail it answers.
ALTER TABLE messages ADD COLUMN rcpt_key TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN rcpt_domain TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN source TEXT NOT NULL DEFAULT '';
-- Mail sent before: counted by its lowercased address, near enough for
-- a rate window of hours.
UPDATE messages SET rcpt_key = rcpt WHERE rcpt <> '';
CREATE INDEX messages_rcpt_key ON messages(rcpt_key, created_at) WHERE rcpt_key <> '';
CREATE INDEX messages_rcpt_domain ON messages(rcpt_domain, created_at) WHERE rcpt_domain <> '';
CREATE INDEX messages_source ON messages(source, created_at) WHERE source <> '' AND direction = 'out';

-- +goose Down
DROP INDEX messages_source;
DROP INDEX messages_rcpt_domain;
DROP INDEX messages_rcpt_key;
ALTER TABLE messages DROP COLUMN source;
ALTER TABLE messages DROP COLUMN rcpt_domain;
ALTER TABLE messages DROP COLUMN rcpt_key;
ALTER TABLE tickets DROP COLUMN sender_verified;
