-- +goose Up
-- `tickets show` reads the delivery state of a ticket's mail.
CREATE INDEX outbox_ticket ON outbox(ticket_id);

-- +goose Down
DROP INDEX outbox_ticket;
