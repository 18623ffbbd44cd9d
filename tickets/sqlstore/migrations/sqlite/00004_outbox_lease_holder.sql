-- +goose Up
-- Which sender holds an outbox item's lease. Leases are short and renewed
-- while their sender works; a sender renews only its own, and so learns
-- that another sender took an item after its lease ran out.
ALTER TABLE outbox ADD COLUMN lease_holder TEXT;
CREATE INDEX outbox_lease_holder ON outbox(lease_holder) WHERE lease_holder IS NOT NULL;

-- +goose Down
DROP INDEX outbox_lease_holder;
ALTER TABLE outbox DROP COLUMN lease_holder;
