package sqlstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"helpdesk/tickets"
)

// ClaimOutbox leases the due items to holder in one transaction, so that
// two senders (the daemon and `helpdesk outbox flush`, say) never take the
// same item.
func (s *Store) ClaimOutbox(ctx context.Context, now time.Time, limit int, lease time.Duration, holder string) ([]tickets.OutboxItem, error) {
	now = now.UTC()
	var ids []int64
	err := s.InTx(ctx, func(txi tickets.Tx) error {
		q := txi.(*queries)
		if err := q.selectAll(ctx, &ids, "due-outbox", now, now, limit); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		query, args, err := q.in("lease-outbox", now.Add(lease), holder, ids)
		if err != nil {
			return err
		}
		if _, err := q.x.ExecContext(uninterrupted(ctx), query, args...); err != nil {
			return fmt.Errorf("lease-outbox: %w", err)
		}
		return nil
	})
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	items, err := s.read().outboxItems(ctx, ids)
	if err != nil {
		return nil, err
	}
	return items, s.read().withAttachments(ctx, items)
}

func (s *Store) RenewOutbox(ctx context.Context, holder string, until time.Time) ([]int64, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	var ids []int64
	if err := s.read().selectAll(ctx, &ids, "renew-outbox", until.UTC(), holder); err != nil {
		return nil, err
	}
	return ids, nil
}

func (s *Store) ReleaseOutbox(ctx context.Context, holder string) error {
	_, err := s.write(ctx, "release-outbox", holder)
	return err
}

func (s *Store) OutboxNextDue(ctx context.Context) (time.Time, error) {
	var next any
	if err := s.read().get(ctx, &next, "outbox-next-due"); err != nil {
		return time.Time{}, err
	}
	switch v := next.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time: // PostgreSQL knows the aggregate's type
		return v.UTC(), nil
	case string:
		return parseSQLiteTime(v)
	case []byte:
		return parseSQLiteTime(string(v))
	}
	return time.Time{}, fmt.Errorf("outbox-next-due: unexpected %T", next)
}

// parseSQLiteTime reads a time the sqlite driver wrote, for aggregates
// whose column type the driver cannot see.
func parseSQLiteTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02T15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unreadable time %q", s)
}

// Quarantine keeps q, unless the same bytes are held already: then q gets
// that row's ID and time, and Again is set.
func (s *Store) Quarantine(ctx context.Context, q *tickets.Quarantined) error {
	if q.CreatedAt.IsZero() {
		q.CreatedAt = time.Now()
	}
	q.Size = int64(len(q.Raw))
	sum := sha256.Sum256(q.Raw)
	key := hex.EncodeToString(sum[:])
	return s.InTx(ctx, func(txi tickets.Tx) error {
		tx := txi.(*queries)
		var held struct {
			ID        int64     `db:"id"`
			CreatedAt time.Time `db:"created_at"`
		}
		err := tx.get(ctx, &held, "quarantine-by-content", key, q.Size)
		if err == nil {
			q.ID, q.CreatedAt, q.Again = held.ID, held.CreatedAt.UTC(), true
			return nil
		}
		if !errors.Is(err, tickets.ErrNotFound) {
			return err
		}
		if err := tx.get(ctx, &q.ID, "insert-quarantine", q.Mailbox, q.Reason, nonNilBytes(firstPart(q.Raw)), q.Size, key, q.Truncated, q.CreatedAt.UTC()); err != nil {
			return err
		}
		return tx.insertParts(ctx, "insert-quarantine-part", q.ID, q.Raw)
	})
}
