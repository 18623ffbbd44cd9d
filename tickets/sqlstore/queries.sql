-- Queries of the SQL store, one per name, with ? placeholders (rebound per driver).
-- Those whose SQL differs between drivers are overridden by the same name in
-- queries_<driver>.sql.

-- name: ticket-by-id
SELECT * FROM tickets WHERE id = ?;

-- name: next-ticket-id
SELECT COALESCE(MAX(id) + 1, ?) FROM tickets;

-- name: insert-ticket
INSERT INTO tickets (id, subject, status, priority, queue, mailbox, category, requester_email, requester_name,
    assignee, merged_into, created_at, updated_at, first_response_at, resolved_at, closed_at, sender_verified, resolution, follow_up_of, csat_rating, csat_comment, csat_at,
    language)
VALUES (:id, :subject, :status, :priority, :queue, :mailbox, :category, :requester_email, :requester_name,
    :assignee, :merged_into, :created_at, :updated_at, :first_response_at, :resolved_at, :closed_at, :sender_verified, :resolution, :follow_up_of, :csat_rating, :csat_comment, :csat_at,
    :language)
ON CONFLICT (id) DO NOTHING RETURNING id;

-- name: update-ticket
UPDATE tickets SET subject = :subject, status = :status, priority = :priority, queue = :queue, category = :category,
    requester_email = :requester_email, requester_name = :requester_name, assignee = :assignee,
    merged_into = :merged_into, updated_at = :updated_at, first_response_at = :first_response_at,
    resolved_at = :resolved_at, closed_at = :closed_at, sender_verified = :sender_verified, resolution = :resolution, follow_up_of = :follow_up_of,
    csat_rating = :csat_rating, csat_comment = :csat_comment, csat_at = :csat_at,
    language = :language
WHERE id = :id;

-- name: ticket-tags
SELECT tag FROM ticket_tags WHERE ticket_id = ? ORDER BY tag;

-- name: delete-ticket-tags
DELETE FROM ticket_tags WHERE ticket_id = ?;

-- name: insert-ticket-tag
INSERT INTO ticket_tags (ticket_id, tag) VALUES (?, ?);

-- name: participant-exists
SELECT COUNT(*) FROM participants WHERE ticket_id = ? AND email = ?;

-- name: insert-participant
INSERT INTO participants (ticket_id, email, name, role) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING;

-- name: participants
SELECT email, name, role FROM participants WHERE ticket_id = ? ORDER BY CASE role WHEN 'requester' THEN 0 ELSE 1 END, email;

-- name: message-by-key
SELECT * FROM messages WHERE msg_key = ?;

-- name: ticket-by-message-ids
-- (message_id <> '' lets SQLite use the partial index messages_message_id.
-- msg_key = message_id leaves out a mail that reused another's Message-ID:
-- replies to the original must not follow it.)
SELECT ticket_id FROM messages WHERE message_id IN (?) AND message_id <> '' AND msg_key = message_id
ORDER BY id DESC LIMIT 1;

-- name: insert-message
INSERT INTO messages (ticket_id, direction, kind, mailbox, msg_key, message_id, in_reply_to, refs, from_email,
    from_name, to_addrs, cc_addrs, reply_to, subject, body_text, body_html, headers, auto_reason, rcpt, rcpt_key, rcpt_domain, source, created_at,
    unverified, author)
VALUES (:ticket_id, :direction, :kind, :mailbox, :msg_key, :message_id, :in_reply_to, :refs, :from_email,
    :from_name, :to_addrs, :cc_addrs, :reply_to, :subject, :body_text, :body_html, :headers, :auto_reason, :rcpt, :rcpt_key, :rcpt_domain, :source, :created_at,
    :unverified, :author)
ON CONFLICT (msg_key) DO NOTHING RETURNING id;

-- name: insert-raw-mail
INSERT INTO raw_mails (message_id, raw) VALUES (?, ?);

-- name: insert-raw-mail-part
INSERT INTO raw_mail_parts (message_id, part, data) VALUES (?, ?, ?);

-- name: insert-attachment
INSERT INTO attachments (message_id, filename, content_type, size, content) VALUES (?, ?, ?, ?, ?) RETURNING id;

-- name: insert-attachment-part
INSERT INTO attachment_parts (attachment_id, part, data) VALUES (?, ?, ?);

-- name: messages-of-ticket
SELECT * FROM messages WHERE ticket_id = ? ORDER BY id;

-- name: attachments-of-ticket
SELECT a.id, a.message_id, a.filename, a.content_type, a.size FROM attachments a
JOIN messages m ON m.id = a.message_id WHERE m.ticket_id = ? ORDER BY a.id;

-- name: insert-event
INSERT INTO events (ticket_id, kind, actor, detail, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id;

-- name: events-of-ticket
SELECT * FROM events WHERE ticket_id = ? ORDER BY id;

-- name: enqueue-mail
INSERT INTO outbox (message_id, ticket_id, status, attempts, next_attempt_at, created_at)
VALUES (?, ?, 'queued', 0, ?, ?);

-- name: enqueue-notice
INSERT INTO outbox (message_id, ticket_id, status, attempts, next_attempt_at, created_at,
    notice_template, notice_trigger_id, notice_unverified)
VALUES (?, ?, 'queued', 0, ?, ?, ?, ?, ?) RETURNING id;

-- name: save-rendered
-- (only while the item waits for its text: whoever renders it first wins)
UPDATE messages SET subject = ?, body_text = ?, body_html = ?
WHERE id = (SELECT message_id FROM outbox WHERE id = ? AND notice_template <> '');

-- name: outbox-rendered
UPDATE outbox SET notice_template = '' WHERE id = ?;

-- name: notice-triggers
-- (what a notice's templates read of the messages that caused them)
SELECT id, ticket_id, message_id, from_email, from_name, subject, body_text, created_at FROM messages WHERE id IN (?);

-- name: tickets-by-ids
SELECT * FROM tickets WHERE id IN (?);

-- name: tags-of-tickets
SELECT ticket_id, tag FROM ticket_tags WHERE ticket_id IN (?) ORDER BY tag;

-- name: due-outbox
SELECT id FROM outbox WHERE status = 'queued' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
ORDER BY next_attempt_at, id LIMIT ?;

-- name: lease-outbox
UPDATE outbox SET lease_until = ?, lease_holder = ?, attempts = attempts + 1 WHERE id IN (?);

-- name: renew-outbox
-- (Only the holder's own items: one another sender claimed after this
-- holder's lease ran out carries that sender's name.)
UPDATE outbox SET lease_until = ? WHERE lease_holder = ? AND status = 'queued' RETURNING id;

-- name: release-outbox
-- Items a sender claimed and then did not try (it stopped early) are free
-- again at once, their claim not counted as a try.
UPDATE outbox SET lease_until = NULL, lease_holder = NULL, attempts = attempts - 1
WHERE lease_holder = ? AND status = 'queued';

-- name: outbox-last-id
SELECT COALESCE(MAX(id), 0) FROM outbox;

-- name: outbox-items
SELECT o.id AS o_id, o.ticket_id AS o_ticket_id, o.status AS o_status, o.attempts AS o_attempts,
    o.next_attempt_at AS o_next_attempt_at, o.last_error AS o_last_error, o.created_at AS o_created_at,
    o.sent_at AS o_sent_at, o.notice_template AS o_notice_template, o.notice_trigger_id AS o_notice_trigger_id,
    o.notice_unverified AS o_notice_unverified, m.*
FROM outbox o JOIN messages m ON m.id = o.message_id
WHERE o.id IN (?) ORDER BY o.next_attempt_at, o.id;

-- name: outbox-sent
UPDATE outbox SET status = 'sent', sent_at = ?, lease_until = NULL, lease_holder = NULL, last_error = '' WHERE id = ?;

-- name: outbox-sent-rendered
-- (outbox-sent and outbox-rendered at once, after save-rendered)
UPDATE outbox SET status = 'sent', sent_at = ?, lease_until = NULL, lease_holder = NULL, last_error = '', notice_template = '' WHERE id = ?;

-- name: outbox-retry
UPDATE outbox SET next_attempt_at = ?, lease_until = NULL, lease_holder = NULL, last_error = ? WHERE id = ?;

-- name: outbox-failed
UPDATE outbox SET status = 'failed', lease_until = NULL, lease_holder = NULL, last_error = ?, sent_at = NULL, next_attempt_at = ? WHERE id = ?;

-- name: outbox-next-due
-- When the earliest queued item can be claimed: when it is due, or when
-- the lease on it runs out.
SELECT MIN(CASE WHEN lease_until > next_attempt_at THEN lease_until ELSE next_attempt_at END)
FROM outbox WHERE status = 'queued';

-- name: insert-quarantine
INSERT INTO quarantine (mailbox, reason, raw, size, sha256, truncated, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id;

-- name: insert-quarantine-part
INSERT INTO quarantine_parts (quarantine_id, part, data) VALUES (?, ?, ?);

-- name: quarantine-parts
SELECT quarantine_id, data FROM quarantine_parts WHERE quarantine_id IN (?) ORDER BY quarantine_id, part;

-- name: quarantine-by-content
-- (the same bytes already held; the partial index quarantine_content)
SELECT id, created_at FROM quarantine WHERE sha256 = ? AND size = ? AND sha256 IS NOT NULL AND released_at IS NULL;

-- name: quarantine-list
SELECT id, mailbox, reason, size, truncated, created_at, released_at, ticket_id FROM quarantine ORDER BY id;

-- name: quarantine-get
SELECT * FROM quarantine WHERE id = ?;

-- name: quarantine-released
UPDATE quarantine SET released_at = ?, ticket_id = ? WHERE id = ?;

-- name: mailbox-state
SELECT uid_validity, last_uid FROM mailbox_state WHERE mailbox = ?;

-- name: save-mailbox-state
INSERT INTO mailbox_state (mailbox, uid_validity, last_uid, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT (mailbox) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = excluded.last_uid,
    updated_at = excluded.updated_at;

-- name: take-lease
-- Free, run out, or holder's own (a renewal, which keeps taken_at): one
-- statement, so that of two daemons taking a free lease at once one wins.
-- No row back: another holds it.
INSERT INTO leases (name, holder, expires_at, taken_at) VALUES (?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
    taken_at = CASE WHEN leases.holder = excluded.holder THEN leases.taken_at ELSE excluded.taken_at END
WHERE leases.holder = excluded.holder OR leases.expires_at <= ?
RETURNING name, holder, expires_at, taken_at;

-- name: lease
SELECT name, holder, expires_at, taken_at FROM leases WHERE name = ?;

-- name: release-lease
DELETE FROM leases WHERE name = ? AND holder = ?;

-- name: leases
-- (the names that start with a prefix of the given length in characters)
SELECT name, holder, expires_at, taken_at FROM leases WHERE substr(name, 1, ?) = ? ORDER BY name;

-- name: outbox-counts
SELECT status, COUNT(*) AS items, SUM(CASE WHEN next_attempt_at <= ? THEN 1 ELSE 0 END) AS due
FROM outbox GROUP BY status ORDER BY status;

-- name: outbox-oldest-queued
SELECT MIN(created_at) FROM outbox WHERE status = 'queued';

-- name: outbox-leases
-- The senders holding queued items now, each with its items and when its
-- lease runs out.
SELECT lease_holder AS holder, COUNT(*) AS items, MAX(lease_until) AS expires_at
FROM outbox WHERE status = 'queued' AND lease_holder IS NOT NULL AND lease_until > ?
GROUP BY lease_holder ORDER BY lease_holder;

-- name: duplicate-candidates
-- (a ticket's fingerprint is its oldest message's; a ticket without one was
-- opened before fingerprints were kept, and comes whatever its subject)
SELECT t.id AS ticket_id, COALESCE(f.message_id, 0) AS message_id, COALESCE(f.from_email, '') AS from_email,
    COALESCE(f.subject, '') AS subject, COALESCE(f.text_sha256, '') AS text_sha256, COALESCE(f.shingles, 0) AS shingles,
    COALESCE(f.text, '') AS text, COALESCE(f.sketch, x'') AS sketch
FROM tickets t
LEFT JOIN message_fingerprints f ON f.message_id = (SELECT MIN(message_id) FROM message_fingerprints WHERE ticket_id = t.id)
WHERE t.requester_email = ? AND t.created_at >= ? AND t.status IN ('new', 'open', 'pending', 'pending_vendor')
    AND (f.message_id IS NULL OR (f.from_email = ? AND f.subject = ?))
ORDER BY t.id DESC LIMIT ?;

-- name: insert-fingerprint
INSERT INTO message_fingerprints (message_id, ticket_id, from_email, subject, text_sha256, shingles, text, sketch)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING;

-- name: move-fingerprints
UPDATE message_fingerprints SET ticket_id = ? WHERE ticket_id = ?;

-- name: open-tickets
-- (for the rules' open_tickets, and whether duplicate-candidates, which
-- finds none without a ticket opened since, is worth asking: most mail
-- comes from people without a recent ticket)
SELECT COUNT(*) AS open_tickets, COUNT(CASE WHEN created_at >= ? THEN 1 END) AS opened_since
FROM tickets WHERE requester_email = ? AND status IN ('new', 'open', 'pending', 'pending_vendor');

-- name: auto-mail-counts
-- The automatic mail counted against the rate limits, in one statement: by
-- normalised recipient, by the domain of unverified recipients, by the
-- source answered. A key '' counts nothing, at the cost of one index probe.
-- (rcpt_key <> '' and the like let SQLite use the partial indexes. Agents'
-- answers and the mail to agents, kinds reply, agent_*, and command_error,
-- are not automatic mail to customers and do not count.) The bounce hold is
-- a statement of its own, address-state: joined in here, it made SQLite
-- prepare the statement again for every new recipient, at five times the
-- cost of both.
SELECT
    (SELECT COUNT(*) FROM messages WHERE rcpt_key = ? AND rcpt_key <> '' AND direction = 'out'
        AND kind NOT IN ('reply', 'command_error') AND kind NOT LIKE 'agent_%' AND created_at >= ?) AS to_key,
    (SELECT COUNT(*) FROM messages WHERE rcpt_domain = ? AND rcpt_domain <> '' AND direction = 'out'
        AND kind NOT IN ('reply', 'command_error') AND kind NOT LIKE 'agent_%' AND created_at >= ?) AS to_domain,
    (SELECT COUNT(*) FROM messages WHERE source = ? AND source <> '' AND direction = 'out'
        AND kind NOT IN ('reply', 'command_error') AND kind NOT LIKE 'agent_%' AND created_at >= ?) AS from_source;

-- name: address-state
SELECT bouncing_until, bounce_reason FROM address_state WHERE email = ?;

-- name: mark-bouncing
INSERT INTO address_state (email, bouncing_until, bounce_reason, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT (email) DO UPDATE SET bouncing_until = excluded.bouncing_until, bounce_reason = excluded.bounce_reason,
    updated_at = excluded.updated_at;

-- name: move-messages
UPDATE messages SET ticket_id = ? WHERE ticket_id = ?;

-- name: move-outbox
UPDATE outbox SET ticket_id = ? WHERE ticket_id = ?;

-- name: first-inbound-message
-- (the text cut, and neither HTML nor headers: only what duplicate detection needs)
SELECT id, ticket_id, direction, kind, from_email, from_name, subject, substr(body_text, 1, ?) AS body_text, created_at
FROM messages WHERE ticket_id = ? AND direction = 'in' ORDER BY id LIMIT 1;

-- name: assignee-load
-- (the partial index tickets_assignee)
SELECT assignee, COUNT(*) AS open FROM tickets
WHERE assignee <> '' AND status IN ('new', 'open', 'pending', 'pending_vendor') GROUP BY assignee;

-- name: last-assigned
SELECT last_agent FROM queue_rotation WHERE queue = ?;

-- name: set-last-assigned
INSERT INTO queue_rotation (queue, last_agent, updated_at) VALUES (?, ?, ?)
ON CONFLICT (queue) DO UPDATE SET last_agent = excluded.last_agent, updated_at = excluded.updated_at;

-- name: attachments-of-messages
SELECT id, message_id, filename, content_type, size, content FROM attachments WHERE message_id IN (?) ORDER BY id;

-- name: attachment-parts
SELECT attachment_id, data FROM attachment_parts WHERE attachment_id IN (?) ORDER BY attachment_id, part;

-- name: schedule-job
INSERT INTO scheduled_jobs (ticket_id, kind, due_at) VALUES (?, ?, ?)
ON CONFLICT (ticket_id, kind) DO UPDATE SET due_at = excluded.due_at;

-- name: cancel-jobs
DELETE FROM scheduled_jobs WHERE ticket_id = ?;

-- name: cancel-job
DELETE FROM scheduled_jobs WHERE ticket_id = ? AND kind = ?;

-- name: claim-job
-- (the delete commits with the job's work: a second daemon's delete of
-- the same row waits for it, then finds nothing)
DELETE FROM scheduled_jobs WHERE ticket_id = ? AND kind = ? AND due_at <= ?;

-- name: jobs-until
SELECT ticket_id, kind, due_at FROM scheduled_jobs WHERE due_at <= ? ORDER BY due_at, ticket_id, kind LIMIT ?;

-- name: report-tickets
-- The tickets a report needs: the backlog now, and every ticket that was
-- created, resolved, closed, rated or reopened since the period's start
-- (args: since x5, queue x2, agent x2), with its agents' answers, its
-- reopens and its survey, each counted once for all tickets from its
-- partial index (migration 00016) and joined by hash rather than looked
-- up ticket by ticket.
SELECT t.id, t.status, t.priority, t.queue, t.assignee, t.requester_email, t.created_at,
    t.first_response_at, t.resolved_at, t.closed_at, t.csat_rating, t.csat_at,
    COALESCE(a.n, 0) AS agent_replies, COALESCE(r.n, 0) AS reopens, r.last_at AS last_reopen_at, s.first_at AS survey_at,
    d.last_at AS deflected_at
FROM tickets t
LEFT JOIN (SELECT ticket_id, COUNT(*) AS n FROM messages WHERE kind = 'agent_relay' GROUP BY ticket_id) a
    ON a.ticket_id = t.id
LEFT JOIN (SELECT ticket_id, COUNT(*) AS n, MAX(created_at) AS last_at FROM events
    WHERE kind = 'status' AND (detail LIKE 'resolved -> open%' OR detail LIKE 'closed -> open%') GROUP BY ticket_id) r
    ON r.ticket_id = t.id
LEFT JOIN (SELECT ticket_id, MIN(created_at) AS first_at FROM messages WHERE kind = 'csat_survey' GROUP BY ticket_id) s
    ON s.ticket_id = t.id
LEFT JOIN (SELECT ticket_id, MAX(created_at) AS last_at FROM events WHERE kind = 'deflected' GROUP BY ticket_id) d
    ON d.ticket_id = t.id
WHERE t.status NOT IN ('spam', 'merged')
  AND (t.status IN ('new', 'open', 'pending', 'pending_vendor')
    OR t.created_at >= ? OR t.resolved_at >= ? OR t.closed_at >= ? OR t.csat_at >= ? OR r.last_at >= ?)
  AND (? = '' OR t.queue = ?)
  AND (? = '' OR t.assignee = ?)
ORDER BY t.id;

-- name: report-sla-events
-- The outcomes of SLA clocks in [since, until): their met and breach
-- events (args: since, until, queue x2, agent x2), through the partial
-- index events_sla_outcomes (migration 00016).
SELECT e.ticket_id, e.kind, e.detail, e.created_at FROM events e JOIN tickets t ON t.id = e.ticket_id
WHERE e.kind IN ('sla_met', 'sla_breach') AND e.created_at >= ? AND e.created_at < ?
  AND t.status NOT IN ('spam', 'merged')
  AND (? = '' OR t.queue = ?)
  AND (? = '' OR t.assignee = ?)
ORDER BY e.id;

-- name: report-sla-events-before
-- The met and breach events before the period [since, until) of the
-- tickets whose clock was met late in it, so that a run breached before
-- the period is not missed again at its late answer (args: since, since,
-- until, queue x2, agent x2).
SELECT e.ticket_id, e.kind, e.detail, e.created_at FROM events e
WHERE e.kind IN ('sla_met', 'sla_breach') AND e.created_at < ?
  AND e.ticket_id IN (
    SELECT l.ticket_id FROM events l JOIN tickets t ON t.id = l.ticket_id
    WHERE l.kind = 'sla_met' AND l.detail LIKE '% met late: %' AND l.created_at >= ? AND l.created_at < ?
      AND t.status NOT IN ('spam', 'merged')
      AND (? = '' OR t.queue = ?)
      AND (? = '' OR t.assignee = ?))
ORDER BY e.id;

-- name: report-replies
-- The agents' answers to customers in [since, until), by agent (args:
-- since, until, queue x2, agent x2).
SELECT m.author AS agent, COUNT(*) AS replies FROM messages m JOIN tickets t ON t.id = m.ticket_id
WHERE m.kind = 'agent_relay' AND m.author <> '' AND m.created_at >= ? AND m.created_at < ?
  AND t.status NOT IN ('spam', 'merged')
  AND (? = '' OR t.queue = ?)
  AND (? = '' OR m.author = ?)
GROUP BY m.author;

-- name: sla-clocks
SELECT ticket_id, target, calendar, priority, goal_ns, used_ns, running_since, paused_at, due_at, met_at,
       warned, breached, customer_offset
FROM sla_clocks WHERE ticket_id = ?;

-- name: save-sla-clock
INSERT INTO sla_clocks (ticket_id, target, calendar, priority, goal_ns, used_ns, running_since, paused_at, due_at, met_at,
                        warned, breached, customer_offset)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (ticket_id, target) DO UPDATE SET calendar = excluded.calendar, priority = excluded.priority,
    goal_ns = excluded.goal_ns, used_ns = excluded.used_ns, running_since = excluded.running_since,
    paused_at = excluded.paused_at, due_at = excluded.due_at, met_at = excluded.met_at,
    warned = excluded.warned, breached = excluded.breached, customer_offset = excluded.customer_offset;

-- name: web-submissions
-- The tickets opened on the web form since, by one address and by one source.
SELECT
    (SELECT COUNT(*) FROM web_submissions WHERE email = ? AND created_at >= ?) AS by_address,
    (SELECT COUNT(*) FROM web_submissions WHERE source = ? AND source <> '' AND created_at >= ?) AS by_source;

-- name: add-web-submission
INSERT INTO web_submissions (email, source, ticket_id, created_at) VALUES (?, ?, ?, ?);
