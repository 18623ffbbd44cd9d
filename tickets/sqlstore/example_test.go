package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"helpdesk/tickets"
	"helpdesk/tickets/sqlstore"
)

// Two daemons on one database tick at the same moment; the job runs on one
// of them, and on neither again within its hour.
func Example_jobOnceAcrossDaemons() {
	dir, err := os.MkdirTemp("", "helpdesk-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	var daemons []*sqlstore.Store
	for range 2 {
		s, err := sqlstore.Open(ctx, sqlstore.Options{DSN: filepath.Join(dir, "helpdesk.db")})
		if err != nil {
			panic(err)
		}
		defer s.Close()
		daemons = append(daemons, s)
	}
	for i, s := range daemons {
		ran, err := tickets.Leaser{Leases: s}.Once(ctx, "auto-close", time.Hour, func(ctx context.Context) error {
			fmt.Println("closing the resolved tickets")
			return nil
		})
		fmt.Printf("daemon %d ran it: %v (%v)\n", i, ran, err)
	}
	// Output:
	// closing the resolved tickets
	// daemon 0 ran it: true (<nil>)
	// daemon 1 ran it: false (<nil>)
}
