-- Queries of the SQL store whose PostgreSQL SQL differs from queries.sql,
-- under the same names.

-- name: next-ticket-id
-- Ticket numbers come from the sequence ticket_number, which several
-- daemons share without waiting for each other (a rolled back ticket
-- leaves a gap). A number below the first one (a new database, a raised
-- tickets.first_ticket_id) moves the sequence up to it; two writers that
-- both did so at once get the same number, and the second one's insert
-- finds it taken and asks again (see CreateTicket).
SELECT CASE WHEN s.n >= s.first THEN s.n ELSE setval('ticket_number', s.first) END
FROM (SELECT nextval('ticket_number') AS n, CAST(? AS BIGINT) AS first) s;

-- name: due-outbox
-- Rows another sender is claiming right now are skipped, not waited for:
-- daemons sharing the outbox never block each other or take a row twice.
SELECT id FROM outbox WHERE status = 'queued' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
ORDER BY next_attempt_at, id LIMIT ?
FOR UPDATE SKIP LOCKED;

-- name: duplicate-candidates
-- (as in queries.sql but for the empty bytea; no "::" casts here, which
-- sqlx would read as a named parameter)
SELECT t.id AS ticket_id, COALESCE(f.message_id, 0) AS message_id, COALESCE(f.from_email, '') AS from_email,
    COALESCE(f.subject, '') AS subject, COALESCE(f.text_sha256, '') AS text_sha256, COALESCE(f.shingles, 0) AS shingles,
    COALESCE(f.text, '') AS text, COALESCE(f.sketch, CAST('' AS BYTEA)) AS sketch
FROM tickets t
LEFT JOIN message_fingerprints f ON f.message_id = (SELECT MIN(message_id) FROM message_fingerprints WHERE ticket_id = t.id)
WHERE t.requester_email = ? AND t.created_at >= ? AND t.status IN ('new', 'open', 'pending', 'pending_vendor')
    AND (f.message_id IS NULL OR (f.from_email = ? AND f.subject = ?))
ORDER BY t.id DESC LIMIT ?;

-- name: last-assigned
-- Daemons assigning tickets of one queue at once take turns: the second
-- waits for the first one's commit and continues its round.
SELECT last_agent FROM queue_rotation WHERE queue = ? FOR UPDATE;
