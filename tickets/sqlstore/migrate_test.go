package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"helpdesk/tickets"
)

// Several processes (daemons, `helpdesk migrate` on several hosts,
// `helpdesk ingest` from the MTA) open a new database at once: each
// migration runs once and every one of them opens it.
func TestStoresOpeningANewDatabaseAtOnceAllOpenIt(t *testing.T) {
	onEachDriver(t, testStoresOpeningANewDatabaseAtOnceAllOpenIt)
}

func testStoresOpeningANewDatabaseAtOnceAllOpenIt(t *testing.T, db testDB) {
	const n = 6
	errs := make(chan error, n)
	start := make(chan struct{})
	for range n {
		go func() {
			<-start
			s, err := Open(context.Background(), Options{Driver: db.driver, DSN: db.dsn})
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	close(start)
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	s := db.open(t)
	var applied int
	if err := s.DB().Get(&applied, "SELECT COUNT(*) FROM goose_db_version WHERE version_id > 0"); err != nil {
		t.Fatal(err)
	}
	if want := len(migrationFiles(t, db.driver)); applied != want {
		t.Errorf("%d migrations recorded, want each of the %d once", applied, want)
	}
}

func migrationFiles(t *testing.T, driver string) []string {
	t.Helper()
	files, err := fs.Glob(migrations, "migrations/"+driver+"/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations of %s: %v %v", driver, files, err)
	}
	return files
}

// Every migration goes up from empty one at a time, down to empty and up
// again: the Down sections work too.
func TestEveryMigrationGoesUpAndDownFromEmpty(t *testing.T) {
	onEachDriver(t, testEveryMigrationGoesUpAndDownFromEmpty)
}

func testEveryMigrationGoesUpAndDownFromEmpty(t *testing.T, db testDB) {
	ctx := context.Background()
	s := db.open(t) // migrated to the end; start again from nothing
	dir, err := fs.Sub(migrations, "migrations/"+db.driver)
	if err != nil {
		t.Fatal(err)
	}
	dialect := goose.DialectSQLite3
	if db.driver == "postgres" {
		dialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, s.DB().DB, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatalf("down to empty: %v", err)
	}
	if tables := tableNames(t, s, db.driver); len(tables) != 0 {
		t.Errorf("tables left after going down to empty: %v", tables)
	}
	for {
		r, err := p.UpByOne(ctx)
		if err == goose.ErrNoNextVersion {
			break
		}
		if err != nil {
			t.Fatalf("up from empty: %v", err)
		}
		t.Logf("applied %s", r.Source.Path)
	}
	// The queries all work on the result.
	s2 := db.open(t)
	if _, err := s2.ListTickets(ctx, tickets.TicketFilter{}); err != nil {
		t.Error(err)
	}
}

// tableNames lists the desk's tables (not goose's).
func tableNames(t *testing.T, s *Store, driver string) []string {
	t.Helper()
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version'" +
		// The knowledge base's FTS4 index (kb_fts and its own tables) is
		// an index, not data: PostgreSQL has a GIN index instead.
		" AND name NOT LIKE 'kb_fts%' ORDER BY name"
	if driver == "postgres" {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> 'goose_db_version' ORDER BY table_name"
	}
	var names []string
	if err := s.DB().Select(&names, q); err != nil {
		t.Fatal(err)
	}
	return names
}

// column is what both databases say of a column, in SQLite's words.
type column struct {
	Type    string
	NotNull bool
}

// schemaOf reads every table's columns.
func schemaOf(t *testing.T, s *Store, driver string) map[string]map[string]column {
	t.Helper()
	out := map[string]map[string]column{}
	for _, table := range tableNames(t, s, driver) {
		out[table] = map[string]column{}
		if driver == "sqlite" {
			var cols []struct {
				Name    string  `db:"name"`
				Type    string  `db:"type"`
				NotNull bool    `db:"notnull"`
				PK      int     `db:"pk"`
				Default *string `db:"dflt_value"`
			}
			if err := s.DB().Select(&cols, fmt.Sprintf("SELECT name, type, \"notnull\", pk, dflt_value FROM pragma_table_info('%s')", table)); err != nil {
				t.Fatal(err)
			}
			for _, c := range cols {
				// SQLite's INTEGER PRIMARY KEY is never NULL, whatever it says.
				out[table][c.Name] = column{Type: c.Type, NotNull: c.NotNull || c.PK > 0}
			}
			continue
		}
		var cols []struct {
			Name     string `db:"column_name"`
			Type     string `db:"data_type"`
			Nullable string `db:"is_nullable"`
		}
		if err := s.DB().Select(&cols, "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1", table); err != nil {
			t.Fatal(err)
		}
		for _, c := range cols {
			typ, ok := map[string]string{"bigint": "INTEGER", "integer": "INTEGER", "text": "TEXT",
				"timestamp with time zone": "TIMESTAMP", "bytea": "BLOB", "boolean": "BOOLEAN"}[c.Type]
			if !ok {
				t.Errorf("%s.%s has the type %s, which has no SQLite counterpart here", table, c.Name, c.Type)
			}
			out[table][c.Name] = column{Type: typ, NotNull: c.Nullable == "NO"}
		}
	}
	return out
}

// Both histories end at the same schema: the same tables, the same
// columns, the same types and NOT NULLs, so that the same queries, the
// same row types and `helpdesk db copy` work on both.
func TestBothMigrationHistoriesEndAtTheSameSchema(t *testing.T) {
	sq := sqliteDB(t)
	pg := postgresDB(t)
	lite := schemaOf(t, sq.open(t), "sqlite")
	post := schemaOf(t, pg.open(t), "postgres")
	// SQLite 00006 made quarantine.truncated an INTEGER 0 or 1.
	lite["quarantine"]["truncated"] = column{Type: "BOOLEAN", NotNull: true}
	if !slices.Equal(slices.Sorted(maps.Keys(lite)), slices.Sorted(maps.Keys(post))) {
		t.Fatalf("tables differ:\nsqlite   %v\npostgres %v", slices.Sorted(maps.Keys(lite)), slices.Sorted(maps.Keys(post)))
	}
	for table, cols := range lite {
		for name, c := range cols {
			if p, ok := post[table][name]; !ok || p != c {
				t.Errorf("%s.%s: sqlite %+v, postgres %+v (present: %v)", table, name, c, p, ok)
			}
		}
		for name := range post[table] {
			if _, ok := cols[name]; !ok {
				t.Errorf("%s.%s is only on postgres", table, name)
			}
		}
	}
}

// From 00007 on, the two histories are numbered alike: a migration added
// to one driver must be written for the other under the same number.
func TestEveryMigrationAfterTheSharedStartExistsForBothDrivers(t *testing.T) {
	versions := func(driver string) []string {
		var out []string
		for _, f := range migrationFiles(t, driver) {
			base := f[strings.LastIndexByte(f, '/')+1:]
			if v, _, _ := strings.Cut(base, "_"); v >= "00007" {
				out = append(out, v)
			}
		}
		return out
	}
	if lite, post := versions("sqlite"), versions("postgres"); !slices.Equal(lite, post) {
		t.Errorf("migrations from 00007 on: sqlite %v, postgres %v", lite, post)
	}
}
