package sqlstore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"helpdesk/tickets"
)

// Every connection of the pool keeps its statement journals in memory:
// a setting of the connection, not of the file, so a connection opened
// later (the pool grows under load) must have it too.
func TestEveryConnectionKeepsStatementJournalsInMemory(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "desk.db"))
	ctx := context.Background()
	const conns = 3
	for i := range conns {
		c, err := s.db.Conn(ctx) // each held open, so the next is a new one
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var store int
		if err := c.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&store); err != nil {
			t.Fatal(err)
		}
		if store != 2 { // MEMORY
			t.Errorf("connection %d: temp_store = %d, want 2 (memory)", i+1, store)
		}
	}
}

// A transaction whose context ends stops at its next statement and is
// rolled back: nothing it wrote before stays.
func TestTransactionStopsWhenItsContextEnds(t *testing.T) {
	onEachDriver(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		tk := newTicket("alice@a.test", t0)
		err := s.InTx(ctx, func(tx tickets.Tx) error {
			if err := tx.CreateTicket(ctx, tk, 1000); err != nil {
				return err
			}
			cancel()
			_, err := tx.Ticket(ctx, tk.ID)
			return err
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("InTx after its context ended: %v, want context.Canceled", err)
		}
		if _, err := s.Ticket(context.Background(), tk.ID); !errors.Is(err, tickets.ErrNotFound) {
			t.Errorf("the ticket written before the end: %v, want ErrNotFound (rolled back)", err)
		}
	})
}
