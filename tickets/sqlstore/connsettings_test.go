package sqlstore

import (
	"context"
	"path/filepath"
	"testing"
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
