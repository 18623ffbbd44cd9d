package sqlstore

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"helpdesk/tickets"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), Options{DSN: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestReopeningKeepsDataAndSchema(t *testing.T) { onEachDriver(t, testReopeningKeepsDataAndSchema) }

func testReopeningKeepsDataAndSchema(t *testing.T, db testDB) {
	ctx := context.Background()
	s := db.open(t)
	if err := s.MailboxCursors().SaveState(ctx, "support", 7, 42); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2 := db.open(t)
	v, last, err := s2.MailboxCursors().LoadState(ctx, "support")
	if err != nil || v != 7 || last != 42 {
		t.Errorf("state after reopening = %d, %d, %v; want 7, 42", v, last, err)
	}
	if v, last, err := s2.MailboxCursors().LoadState(ctx, "unknown"); err != nil || v != 0 || last != 0 {
		t.Errorf("state of an unknown mailbox = %d, %d, %v; want zeros", v, last, err)
	}
}

// queueMails stores a ticket with n acknowledgements on the outbox, due at now.
func queueMails(t *testing.T, s *Store, n int, now time.Time) {
	t.Helper()
	ctx := context.Background()
	err := s.InTx(ctx, func(tx tickets.Tx) error {
		tk := &tickets.Ticket{Subject: "s", Status: tickets.StatusNew, Priority: "P3", Queue: "q", Mailbox: "m",
			Requester: tickets.Address{Email: "a@b.test"}, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateTicket(ctx, tk, 1000); err != nil {
			return err
		}
		for range n {
			key := fmt.Sprintf("k%d", time.Now().UnixNano())
			m := &tickets.Message{TicketID: tk.ID, Direction: tickets.Out, Kind: "acknowledgement",
				Key: key, MessageID: key,
				From: tickets.Address{Email: "support@x.test"}, To: []tickets.Address{{Email: "a@b.test"}}, CreatedAt: now}
			if err := tx.InsertMessage(ctx, m, nil); err != nil {
				return err
			}
			if err := tx.EnqueueMail(ctx, m.ID, tk.ID, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTwoSendersNeverClaimTheSameItem(t *testing.T) {
	onEachDriver(t, testTwoSendersNeverClaimTheSameItem)
}

func testTwoSendersNeverClaimTheSameItem(t *testing.T, db testDB) {
	ctx := context.Background()
	s := db.open(t)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	queueMails(t, s, 5, now)
	a, err := s.ClaimOutbox(ctx, now, 3, time.Minute, "a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.ClaimOutbox(ctx, now, 10, time.Minute, "b")
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 3 || len(b) != 2 {
		t.Fatalf("claims took %d and %d items, want 3 and 2", len(a), len(b))
	}
	seen := map[int64]bool{}
	for _, it := range append(a, b...) {
		if seen[it.ID] {
			t.Errorf("item %d claimed twice", it.ID)
		}
		seen[it.ID] = true
		if it.Attempts != 1 || it.Message.To[0].Email != "a@b.test" {
			t.Errorf("claimed item = %+v", it)
		}
	}
	if c, _ := s.ClaimOutbox(ctx, now.Add(30*time.Second), 10, time.Minute, "c"); len(c) != 0 {
		t.Errorf("%d items claimed while leased", len(c))
	}
	if c, _ := s.ClaimOutbox(ctx, now.Add(2*time.Minute), 10, time.Minute, "c"); len(c) != 5 {
		t.Errorf("after the lease ran out %d items were claimable, want 5 (a crashed sender's items come back)", len(c))
	}
}

func TestALeaseRenewedByItsHolderOnly(t *testing.T) {
	onEachDriver(t, testALeaseRenewedByItsHolderOnly)
}

func testALeaseRenewedByItsHolderOnly(t *testing.T, db testDB) {
	ctx := context.Background()
	s := db.open(t)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	queueMails(t, s, 4, now)
	a, _ := s.ClaimOutbox(ctx, now, 2, 10*time.Second, "a")
	b, _ := s.ClaimOutbox(ctx, now, 2, 10*time.Second, "b")
	if len(a) != 2 || len(b) != 2 {
		t.Fatalf("claims took %d and %d items, want 2 and 2", len(a), len(b))
	}
	if next, err := s.OutboxNextDue(ctx); err != nil || !next.Equal(now.Add(10*time.Second)) {
		t.Errorf("next due = %v, %v; want the end of the leases, %v", next, err, now.Add(10*time.Second))
	}

	// a renews while it sends; b has died. When b's lease runs out, c takes
	// b's items, and a's leases still stand.
	ids, err := s.RenewOutbox(ctx, "a", now.Add(18*time.Second))
	if err != nil || len(ids) != 2 || ids[0] != a[0].ID && ids[0] != a[1].ID {
		t.Fatalf("a's renewal = %v, %v; want a's two items", ids, err)
	}
	c, _ := s.ClaimOutbox(ctx, now.Add(11*time.Second), 10, 10*time.Second, "c")
	if len(c) != 2 || c[0].ID != b[0].ID && c[0].ID != b[1].ID {
		t.Fatalf("after b's lease ran out c took %d items (%v), want b's two", len(c), c)
	}
	if ids, err := s.RenewOutbox(ctx, "b", now.Add(20*time.Second)); err != nil || len(ids) != 0 {
		t.Errorf("b renewed %v (%v) after c took them; want none", ids, err)
	}

	// c stops early: what it releases is free at once, its try not counted.
	if err := s.ReleaseOutbox(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	d, _ := s.ClaimOutbox(ctx, now.Add(12*time.Second), 10, 10*time.Second, "d")
	if len(d) != 2 || d[0].Attempts != 2 {
		t.Fatalf("after c released, d took %d items (%+v); want b's two, at their second try", len(d), d)
	}
}

func TestWatchOutboxSeesRowsQueuedByAnotherConnection(t *testing.T) {
	onEachDriver(t, testWatchOutboxSeesRowsQueuedByAnotherConnection)
}

func testWatchOutboxSeesRowsQueuedByAnotherConnection(t *testing.T, db testDB) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := db.open(t)
	queued, err := s.WatchOutbox(ctx, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	other := db.open(t) // as `helpdesk ingest` in another process
	now := time.Now()

	// A write that queues nothing is no news.
	if err := other.MailboxCursors().SaveState(ctx, "support", 1, 2); err != nil {
		t.Fatal(err)
	}
	select {
	case <-queued:
		t.Error("the watcher reported new outbox rows after a write that queued none")
	case <-time.After(5 * watchEvery):
	}

	for range 2 {
		queueMails(t, other, 1, now)
		select {
		case <-queued:
		case <-time.After(5 * time.Second):
			t.Fatal("the watcher did not report an outbox row queued through another connection")
		}
	}
}

func TestQueriesFileRejectsATwiceDefinedName(t *testing.T) {
	if _, err := parseQueries([]byte("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;\n")); err == nil {
		t.Error("a query defined twice was accepted")
	}
	q, err := parseQueries(queriesSQL)
	if err != nil || len(q) < 30 {
		t.Errorf("queries.sql: %d queries, %v", len(q), err)
	}
}

func TestAPanicInATransactionRollsBackAndFreesTheLock(t *testing.T) {
	onEachDriver(t, testAPanicInATransactionRollsBackAndFreesTheLock)
}

func testAPanicInATransactionRollsBackAndFreesTheLock(t *testing.T, db testDB) {
	ctx := context.Background()
	s := db.open(t)
	func() {
		defer func() { recover() }()
		s.InTx(ctx, func(tx tickets.Tx) error {
			tx.MarkBouncing(ctx, "c@d.test", time.Now().Add(time.Hour), "x", time.Now())
			panic("a bug")
		})
	}()
	done := make(chan error, 1)
	go func() {
		done <- s.InTx(ctx, func(tx tickets.Tx) error { return tx.MarkBouncing(ctx, "a@b.test", time.Now(), "x", time.Now()) })
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := s.read().AutoMailState(ctx, "c@d.test", tickets.AutoMailQuery{}); !st.BouncingUntil.IsZero() {
			t.Errorf("the panicking transaction's write was kept")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the next transaction waited: the panicking one kept the lock")
	}
}
