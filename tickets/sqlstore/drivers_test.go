package sqlstore

import (
	"context"
	"path/filepath"
	"testing"

	"helpdesk/internal/pgtest"
)

// testDB is an empty database of one driver. Each open is a store of its
// own on it, as another process has.
type testDB struct {
	driver, dsn string
}

func (d testDB) open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), Options{Driver: d.driver, DSN: d.dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sqliteDB(t *testing.T) testDB {
	return testDB{driver: "sqlite", dsn: filepath.Join(t.TempDir(), "hd.db")}
}

func postgresDB(t *testing.T) testDB {
	t.Helper()
	return testDB{driver: "postgres", dsn: pgtest.NewDatabase(t)}
}

// onEachDriver runs test on an empty SQLite database and on an empty
// PostgreSQL one, as the subtests sqlite and postgres.
func onEachDriver(t *testing.T, test func(t *testing.T, db testDB)) {
	t.Run("sqlite", func(t *testing.T) { test(t, sqliteDB(t)) })
	t.Run("postgres", func(t *testing.T) { test(t, postgresDB(t)) })
}
