// Package sqlstore keeps tickets in SQL through sqlx: SQLite
// (mattn/go-sqlite3) by default, or PostgreSQL (jackc/pgx). Queries live in
// queries.sql, each under a name, with queries_<driver>.sql overriding the
// names whose SQL differs; they are checked when the store opens.
// Migrations are embedded, one history per driver under migrations/<driver>,
// and applied at open, each in a transaction, under a lock that lets one
// process migrate at a time.
package sqlstore

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3"
	"github.com/pressly/goose/v3"

	"helpdesk/tickets"
)

//go:embed queries.sql
var queriesSQL []byte

// dialectQueries override or add, per driver, the queries whose SQL differs.
//
//go:embed queries_*.sql kb*.sql
var dialectQueries embed.FS

//go:embed migrations
var migrations embed.FS

// Store is the SQL implementation of tickets.Store.
type Store struct {
	db *sqlx.DB
	q  map[string]string
	// src are the queries as written, with ? for sqlx.In to expand.
	src map[string]string
	// p holds every query prepared once, at Open (see prepared).
	p prepared
	// writeMu lets one write transaction of this process run at a time.
	// SQLite admits one writer anyway; queueing here wakes the next writer
	// the moment the last one commits, where SQLite's busy handler would
	// sleep and poll. Other processes (`helpdesk ingest`) still meet the
	// busy timeout.
	writeMu sync.Mutex
	// dsn opens the watcher's own connection (see WatchOutbox).
	dsn string
	// checkpointed, when set, is called after each checkpoint of
	// CheckpointEvery, so that a test can wait for one.
	checkpointed func()
	// driver is "sqlite" or "postgres".
	driver string
	// path is the SQLite file.
	path string
	// notes are the delivery notes of a PostgreSQL store (notes.go),
	// noteFile those beside a SQLite file (notefile.go).
	notes    notes
	noteFile noteFile
	// busyTimeout is how long SQLite waits for another writer.
	busyTimeout time.Duration
}

var _ tickets.Store = (*Store)(nil)

// Options configure Open.
type Options struct {
	// Driver is "sqlite" (the default) or "postgres".
	Driver string
	// DSN is the database: for SQLite a file path (":memory:" is not
	// supported: every connection would see its own database); for
	// PostgreSQL a URL, postgres://user:password@host:port/database.
	DSN string
	// BusyTimeout is how long a writer waits for a locked SQLite database
	// before giving up with a temporary error (default 5s).
	BusyTimeout time.Duration
	// MaxOpenConns caps the open connections (0: no cap for SQLite, 10
	// for PostgreSQL, whose server limits connections for all its clients).
	MaxOpenConns int
}

// Open connects, applies pending migrations and checks every query.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Driver == "" {
		opts.Driver = "sqlite"
	}
	if opts.Driver == "postgres" {
		return openPostgres(ctx, opts)
	}
	if opts.Driver != "sqlite" {
		return nil, fmt.Errorf("opening database: driver %q is not supported (use sqlite or postgres)", opts.Driver)
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if err := ownerOnly(opts.DSN); err != nil {
		return nil, fmt.Errorf("opening sqlite database %s: %w", opts.DSN, err)
	}
	dsn := sqliteDSN(opts.DSN, opts.BusyTimeout)
	db := sqlx.NewDb(sql.OpenDB(sqliteConnector{dsn: dsn}), "sqlite3")
	db.SetMaxOpenConns(opts.MaxOpenConns)
	s := &Store{db: db, dsn: dsn, driver: "sqlite", path: opts.DSN, busyTimeout: opts.BusyTimeout, noteFile: newNoteFile(opts.DSN)}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening sqlite database %s: %w", opts.DSN, err)
	}
	return s, nil
}

// connect opens the first connection. Where several processes open a new
// SQLite file at once, all but one setting up its WAL get "database is
// locked" at once, without the busy handler; they try again until the
// busy timeout has passed.
func (s *Store) connect(ctx context.Context) error {
	deadline := time.Now().Add(s.busyTimeout)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		err := s.db.PingContext(ctx)
		if err == nil || s.driver != "sqlite" || !IsTemporary(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// ownerOnly keeps the database from other users' eyes: it holds every
// customer's raw mail. SQLite would create a missing file 0644 (less the
// umask), so the file is created 0600 first; SQLite gives the -wal and
// -shm files it creates the main file's permissions. An existing file (and
// its -wal, -shm and -journal) loses every permission for others; the
// group keeps what the admin gave it, for a setup that shares the database
// with the MTA's `helpdesk ingest` user through a group. A file of another
// user, which only that user may change, is left as it is.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("creating the database file: %w", err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm()&0o007 == 0 {
			continue
		}
		if err := os.Chmod(p, fi.Mode().Perm()&^0o007); err != nil && !errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("closing %s to other users: %w", p, err)
		}
	}
	return nil
}

// sqliteDSN adds the connection settings the store relies on: WAL so that
// readers never block the writer, a busy timeout instead of instant
// "database is locked", foreign keys, and write transactions that take the
// write lock at BEGIN so two writers never deadlock on an upgrade.
func sqliteDSN(path string, busy time.Duration) string {
	v := url.Values{}
	v.Set("_journal_mode", "WAL")
	v.Set("_synchronous", "FULL")
	v.Set("_busy_timeout", fmt.Sprint(busy.Milliseconds()))
	v.Set("_foreign_keys", "on")
	v.Set("_txlock", "immediate")
	return "file:" + path + "?" + v.Encode()
}

// sqliteConnector opens connections with the settings a DSN cannot carry:
// statement journals in memory (temp_store), not in a temporary file.
// SQLite writes a statement journal, page by page, for every INSERT into
// a table with several indexes inside a longer transaction, so that the
// statement alone can be undone; in a file that is a write(2) per page.
// And the WAL is copied back every 10,000 pages (40 MB), not 1,000, so
// that the pages a batch rewrites again and again are copied once.
type sqliteConnector struct{ dsn string }

var sqliteDriver = &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
	_, err := c.Exec("PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 10000", nil)
	return err
}}

func (c sqliteConnector) Connect(context.Context) (driver.Conn, error) {
	return sqliteDriver.Open(c.dsn)
}
func (c sqliteConnector) Driver() driver.Driver { return sqliteDriver }

func (s *Store) init(ctx context.Context) error {
	if err := s.connect(ctx); err != nil {
		return err
	}
	if err := s.migrate(ctx); err != nil {
		return err
	}
	q, err := loadQueries(s.driver)
	if err != nil {
		return err
	}
	s.src = maps.Clone(q)
	for name, text := range q {
		q[name] = s.db.Rebind(text)
	}
	s.q = q
	return s.p.prepare(ctx, s.db, q)
}

// loadQueries reads queries.sql with the overrides of driver's
// queries_<driver>.sql, if it has one.
func loadQueries(driver string) (map[string]string, error) {
	q, err := parseQueries(queriesSQL)
	if err != nil {
		return nil, fmt.Errorf("queries.sql: %w", err)
	}
	file := "queries_" + driver + ".sql"
	src, err := dialectQueries.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return q, addKBQueries(q, driver)
	}
	if err != nil {
		return nil, err
	}
	over, err := parseQueries(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for name, text := range over {
		q[name] = text
	}
	return q, addKBQueries(q, driver)
}

// migrate applies the embedded migrations of the store's driver that the
// database lacks, holding the driver's migration lock meanwhile, so that
// several processes (`helpdesk migrate` on several hosts, a daemon and
// `helpdesk ingest`) starting on a database at once apply each migration
// once.
func (s *Store) migrate(ctx context.Context) error {
	dir, err := fs.Sub(migrations, "migrations/"+s.driver)
	if err != nil {
		return err
	}
	dialect := goose.DialectSQLite3
	if s.driver == "postgres" {
		dialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, s.db.DB, dir)
	if err != nil {
		return fmt.Errorf("loading migrations: %w", err)
	}
	// Up to date, as nearly always: no lock to queue on (`helpdesk
	// ingest` opens the store for every mail).
	if pending, err := p.HasPending(ctx); err == nil && !pending {
		return nil
	}
	unlock, err := s.lockMigrations(ctx)
	if err != nil {
		return fmt.Errorf("waiting for another process's migrations: %w", err)
	}
	defer unlock()
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	return nil
}

// lockMigrations takes the lock under which one process at a time
// migrates: a PostgreSQL advisory lock, or an flock(2) on the SQLite file.
func (s *Store) lockMigrations(ctx context.Context) (unlock func(), err error) {
	if s.driver == "postgres" {
		return lockPostgresMigrations(ctx, s.db.DB)
	}
	return lockFile(ctx, s.path)
}

// parseQueries splits queries.sql into its named queries.
func parseQueries(src []byte) (map[string]string, error) {
	out := map[string]string{}
	var name string
	var body strings.Builder
	flush := func() {
		if name != "" {
			out[name] = strings.TrimSuffix(strings.TrimSpace(body.String()), ";")
		}
		body.Reset()
	}
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		line := sc.Text()
		if n, ok := strings.CutPrefix(line, "-- name:"); ok {
			flush()
			name = strings.TrimSpace(n)
			if _, dup := out[name]; dup {
				return nil, fmt.Errorf("query %s defined twice", name)
			}
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		body.WriteString(line)
		body.WriteByte('\n')
	}
	flush()
	return out, sc.Err()
}

// Close closes the database.
func (s *Store) Close() error {
	s.p.close()
	if s.notes.db != nil {
		s.notes.insert.Close()
		s.notes.db.Close()
	}
	s.noteFile.close()
	return s.db.Close()
}

// DB exposes the database handle for tools and tests.
func (s *Store) DB() *sqlx.DB { return s.db }

// IsTemporary reports whether err is a database condition that passes by
// itself (a locked or busy database; on PostgreSQL also a serialization
// failure, a deadlock, a lost or refused connection, a server shutting
// down), so that the caller may retry later.
func IsTemporary(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked
	}
	return isTemporaryPostgres(err)
}

// InTx runs fn in one write transaction.
func (s *Store) InTx(ctx context.Context, fn func(tickets.Tx) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	txCtx := ctx
	if s.driver == "sqlite" {
		// database/sql watches a cancellable transaction's context on a
		// goroutine for every query that returns rows; its statements are
		// short, so the transaction checks ctx before each one instead
		// (beforeQuery), and rolls back on the first that finds it ended.
		txCtx = uninterrupted(ctx)
	}
	tx, err := s.db.BeginTxx(txCtx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	defer func() {
		if v := recover(); v != nil {
			tx.Rollback() // never leave the write lock held
			panic(v)
		}
	}()
	q := &queries{x: tx, q: s.q, src: s.src, p: &s.p, tx: tx, maxTicketIDs: s.driver == "sqlite"}
	err = fn(q)
	if err == nil {
		err = q.writeEvents(ctx)
	}
	if err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

func (s *Store) read() *queries { return &queries{x: s.db, q: s.q, src: s.src, p: &s.p} }

// write runs one named statement outside a transaction, as a writer.
func (s *Store) write(ctx context.Context, name string, args ...any) (sql.Result, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.read().exec(ctx, name, args...)
}

// Reads outside a transaction.

func (s *Store) Ticket(ctx context.Context, id int64) (*tickets.Ticket, error) {
	return s.read().Ticket(ctx, id)
}

func (s *Store) ListTickets(ctx context.Context, f tickets.TicketFilter) ([]tickets.Ticket, error) {
	return s.read().ListTickets(ctx, f)
}

func (s *Store) Messages(ctx context.Context, ticketID int64) ([]tickets.Message, error) {
	return s.read().Messages(ctx, ticketID)
}

func (s *Store) Events(ctx context.Context, ticketID int64) ([]tickets.Event, error) {
	return s.read().Events(ctx, ticketID)
}

func (s *Store) Participants(ctx context.Context, ticketID int64) ([]tickets.Participant, error) {
	return s.read().Participants(ctx, ticketID)
}

func (s *Store) Outbox(ctx context.Context, f tickets.OutboxFilter) ([]tickets.OutboxItem, error) {
	return s.read().Outbox(ctx, f)
}

func (s *Store) QuarantineList(ctx context.Context) ([]tickets.Quarantined, error) {
	return s.read().QuarantineList(ctx)
}

func (s *Store) QuarantineGet(ctx context.Context, id int64) (*tickets.Quarantined, error) {
	return s.read().QuarantineGet(ctx, id)
}

func (s *Store) Jobs(ctx context.Context, until time.Time, limit int) ([]tickets.Job, error) {
	return s.read().Jobs(ctx, until, limit)
}

func (s *Store) SLAClocks(ctx context.Context, ticketID int64) ([]tickets.SLAClock, error) {
	return s.read().SLAClocks(ctx, ticketID)
}
