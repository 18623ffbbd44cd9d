package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"helpdesk/tickets"
)

var _ tickets.Leases = (*Store)(nil)

// leaseRow is a row of leases.
type leaseRow struct {
	Name    string    `db:"name"`
	Holder  string    `db:"holder"`
	Expires time.Time `db:"expires_at"`
	Taken   time.Time `db:"taken_at"`
}

func (r leaseRow) lease() tickets.Lease {
	return tickets.Lease{Name: r.Name, Holder: r.Holder, Expires: r.Expires.UTC(), Taken: r.Taken.UTC()}
}

// TakeLease takes, renews or reports the lease name in one statement, so
// that two daemons (on PostgreSQL, on any host; on SQLite, processes on
// one file) never both get it.
func (s *Store) TakeLease(ctx context.Context, name, holder string, now, expires time.Time) (tickets.Lease, error) {
	if holder == "" {
		return tickets.Lease{}, fmt.Errorf("taking lease %s: no holder named", name)
	}
	var row leaseRow
	err := s.leaseWrite(func() error {
		return s.read().get(ctx, &row, "take-lease", name, holder, expires.UTC(), now.UTC(), now.UTC())
	})
	if err == nil {
		return row.lease(), nil
	}
	if !errors.Is(err, tickets.ErrNotFound) {
		return tickets.Lease{}, err
	}
	// Another's. It may have been released since: then nobody's.
	err = s.read().get(ctx, &row, "lease", name)
	if errors.Is(err, tickets.ErrNotFound) {
		return tickets.Lease{Name: name}, nil
	}
	if err != nil {
		return tickets.Lease{}, err
	}
	return row.lease(), nil
}

// ReleaseLease frees name if holder holds it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	return s.leaseWrite(func() error {
		_, err := s.read().exec(ctx, "release-lease", name, holder)
		return err
	})
}

// leaseWrite runs one lease statement: on SQLite as this process's other
// writers do, one at a time; on PostgreSQL at once, since a renewal must
// not wait for a batch of mail to commit.
func (s *Store) leaseWrite(fn func() error) error {
	if s.driver == "sqlite" {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	return fn()
}

// ListLeases returns the leases whose names start with prefix.
func (s *Store) ListLeases(ctx context.Context, prefix string) ([]tickets.Lease, error) {
	var rows []leaseRow
	if err := s.read().selectAll(ctx, &rows, "leases", utf8.RuneCountInString(prefix), prefix); err != nil {
		return nil, err
	}
	out := make([]tickets.Lease, len(rows))
	for i, r := range rows {
		out[i] = r.lease()
	}
	return out, nil
}

// OutboxState is how the outbox stands, for `helpdesk status`.
type OutboxState struct {
	Queued int // waiting to be sent, leased or not
	Due    int // of those, due now (the rest wait for a retry)
	Sent   int
	Failed int
	// OldestQueued is when the oldest mail still queued was queued; zero
	// when none is.
	OldestQueued time.Time
	// Leases are the senders holding queued items now.
	Leases []OutboxLease
}

// OutboxLease is one sender's claim on queued items.
type OutboxLease struct {
	Holder  string
	Items   int
	Expires time.Time
}

// OutboxState counts the outbox by status and lists the senders holding
// items at now.
func (s *Store) OutboxState(ctx context.Context, now time.Time) (OutboxState, error) {
	var counts []struct {
		Status string `db:"status"`
		Items  int    `db:"items"`
		Due    int    `db:"due"`
	}
	q := s.read()
	if err := q.selectAll(ctx, &counts, "outbox-counts", now.UTC()); err != nil {
		return OutboxState{}, err
	}
	var st OutboxState
	for _, c := range counts {
		switch c.Status {
		case tickets.OutboxQueued:
			st.Queued, st.Due = c.Items, c.Due
		case tickets.OutboxSent:
			st.Sent = c.Items
		case tickets.OutboxFailed:
			st.Failed = c.Items
		}
	}
	if st.Queued > 0 {
		var oldest any
		if err := q.get(ctx, &oldest, "outbox-oldest-queued"); err != nil {
			return OutboxState{}, err
		}
		var err error
		if st.OldestQueued, err = aggregateTime(oldest); err != nil {
			return OutboxState{}, fmt.Errorf("outbox-oldest-queued: %w", err)
		}
	}
	var leases []struct {
		Holder  string `db:"holder"`
		Items   int    `db:"items"`
		Expires any    `db:"expires_at"`
	}
	if err := q.selectAll(ctx, &leases, "outbox-leases", now.UTC()); err != nil {
		return OutboxState{}, err
	}
	for _, l := range leases {
		expires, err := aggregateTime(l.Expires)
		if err != nil {
			return OutboxState{}, fmt.Errorf("outbox-leases: %w", err)
		}
		st.Leases = append(st.Leases, OutboxLease{Holder: l.Holder, Items: l.Items, Expires: expires})
	}
	return st, nil
}

// aggregateTime reads a time from an aggregate (MAX, MIN), whose type
// PostgreSQL knows and SQLite does not.
func aggregateTime(v any) (time.Time, error) {
	switch v := v.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		return v.UTC(), nil
	case string:
		return parseSQLiteTime(v)
	case []byte:
		return parseSQLiteTime(string(v))
	}
	return time.Time{}, fmt.Errorf("unexpected %T for a time", v)
}
