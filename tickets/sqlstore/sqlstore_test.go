package sqlstore

import (
	"context"
	"path/filepath"
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

func TestReopeningKeepsDataAndSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hd.db")
	s := open(t, path)
	if err := s.SaveMailboxState(ctx, "support", 7, 42); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2 := open(t, path)
	v, last, err := s2.LoadMailboxState(ctx, "support")
	if err != nil || v != 7 || last != 42 {
		t.Errorf("state after reopening = %d, %d, %v; want 7, 42", v, last, err)
	}
	if v, last, err := s2.LoadMailboxState(ctx, "unknown"); err != nil || v != 0 || last != 0 {
		t.Errorf("state of an unknown mailbox = %d, %d, %v; want zeros", v, last, err)
	}
}

func TestTwoSendersNeverClaimTheSameItem(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "hd.db"))
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	err := s.InTx(ctx, func(tx tickets.Tx) error {
		tk := &tickets.Ticket{Subject: "s", Status: tickets.StatusNew, Priority: "P3", Queue: "q", Mailbox: "m",
			Requester: tickets.Address{Email: "a@b.test"}, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateTicket(ctx, tk, 1000); err != nil {
			return err
		}
		for i := range 5 {
			m := &tickets.Message{TicketID: tk.ID, Direction: tickets.Out, Kind: "acknowledgement",
				Key: "k" + string(rune('a'+i)), MessageID: "k" + string(rune('a'+i)),
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
	a, err := s.ClaimOutbox(ctx, now, 3, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.ClaimOutbox(ctx, now, 10, time.Minute)
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
	if c, _ := s.ClaimOutbox(ctx, now.Add(30*time.Second), 10, time.Minute); len(c) != 0 {
		t.Errorf("%d items claimed while leased", len(c))
	}
	if c, _ := s.ClaimOutbox(ctx, now.Add(2*time.Minute), 10, time.Minute); len(c) != 5 {
		t.Errorf("after the lease ran out %d items were claimable, want 5 (a crashed sender's items come back)", len(c))
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
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "hd.db"))
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
		if until, _, _ := s.read().BouncingUntil(ctx, "c@d.test"); !until.IsZero() {
			t.Errorf("the panicking transaction's write was kept")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the next transaction waited: the panicking one kept the lock")
	}
}
