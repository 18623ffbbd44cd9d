package desk_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helpdesk/internal/pgtest"
	"helpdesk/tickets/sqlstore"
)

// The end-to-end tests run on SQLite by default. The main ones (intake,
// threading, the outbox, crashes) run on PostgreSQL as well, through
// onEachDatabase; HELPDESK_TEST_DATABASE=postgres runs all of them on
// PostgreSQL alone (`.ci/run` does both runs).

// onEachDatabase runs test as the subtests sqlite and postgres; testDSN
// gives each the database its name says. Under
// HELPDESK_TEST_DATABASE=postgres only the postgres one runs: the run
// without it has run both (`.ci/run` skips it there, with
// -skip '/^postgres$', so that it runs once).
func onEachDatabase(t *testing.T, test func(t *testing.T)) {
	if os.Getenv("HELPDESK_TEST_DATABASE") != "postgres" {
		t.Run("sqlite", test)
	}
	t.Run("postgres", test)
}

// testDSN returns an empty database for t: a fresh PostgreSQL database
// when t runs under onEachDatabase's postgres subtest, or when
// HELPDESK_TEST_DATABASE=postgres and not under its sqlite subtest; else
// a SQLite file in t's folder. The PostgreSQL one is a copy of
// migratedPostgres, its tables in place and empty: migrating each test's
// database anew took most of a second (the store's own tests migrate
// new databases, one at a time and several at once).
func testDSN(t *testing.T) string {
	t.Helper()
	if onPostgres(t) {
		return migratedPostgres.NewDatabase(t)
	}
	return filepath.Join(t.TempDir(), "helpdesk.db")
}

// migratedPostgres is a PostgreSQL database the store has migrated, made
// on first use and dropped by TestMain.
var migratedPostgres = pgtest.NewTemplate(func(url string) error {
	s, err := sqlstore.Open(context.Background(), sqlstore.Options{Driver: "postgres", DSN: url})
	if err != nil {
		return err
	}
	return s.Close()
})

func onPostgres(t *testing.T) bool {
	under := strings.Split(t.Name(), "/")[1:]
	switch {
	case slices.Contains(under, "postgres"):
		return true
	case slices.Contains(under, "sqlite"):
		return false
	}
	return os.Getenv("HELPDESK_TEST_DATABASE") == "postgres"
}
