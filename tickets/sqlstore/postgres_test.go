package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// A PostgreSQL that is down, or a transaction that lost a race, is worth
// a retry (`helpdesk ingest` exits 75 and the MTA offers the mail again);
// a broken query or a constraint is not.
func TestPostgresErrorsThatPassAreTemporary(t *testing.T) {
	_, err := Open(context.Background(), Options{Driver: "postgres", DSN: "postgres://helpdesk:secret-pw@127.0.0.1:1/helpdesk?connect_timeout=5"})
	if err == nil || !IsTemporary(err) {
		t.Errorf("a server that refuses connections: %v, temporary %v; want temporary", err, IsTemporary(err))
	}
	if err != nil && strings.Contains(err.Error(), "secret-pw") {
		t.Errorf("the error shows the password: %v", err)
	}
	for code, want := range map[string]bool{"40001": true, "40P01": true, "57P01": true, "08006": true, "53300": true,
		"23505": false, "42601": false, "42P01": false} {
		err := fmt.Errorf("ingesting: %w", &pgconn.PgError{Code: code})
		if got := IsTemporary(err); got != want {
			t.Errorf("SQLSTATE %s: temporary %v, want %v", code, got, want)
		}
	}
}
