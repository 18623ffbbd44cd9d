-- +goose Up
-- The SLA clocks: one row per ticket and target (first_response,
-- next_response, resolution). A clock has a goal in business time of its
-- calendar; used is the business time it used before running_since (the
-- start of the stretch it runs now; NULL while it stands still). It is
-- paused since paused_at while the ticket waits on the customer, met at
-- met_at. due_at is when it breaches as it runs now (the last one known
-- while it stands). warned and breached (0 or 1) say the warning and the
-- breach were sent; each is sent once.
CREATE TABLE sla_clocks (
    ticket_id       INTEGER NOT NULL REFERENCES tickets(id),
    target          TEXT NOT NULL,
    calendar        TEXT NOT NULL,
    priority        TEXT NOT NULL,
    goal_ns         INTEGER NOT NULL DEFAULT 0,
    used_ns         INTEGER NOT NULL DEFAULT 0,
    running_since   TIMESTAMP,
    paused_at       TIMESTAMP,
    due_at          TIMESTAMP,
    met_at          TIMESTAMP,
    warned          INTEGER NOT NULL DEFAULT 0,
    breached        INTEGER NOT NULL DEFAULT 0,
    -- The customer's UTC offset in seconds, from the Date of the mail that
    -- opened the ticket; NULL when unknown.
    customer_offset INTEGER,
    PRIMARY KEY (ticket_id, target)
);

-- +goose Down
DROP TABLE sla_clocks;
