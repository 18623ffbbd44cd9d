package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
)

// defaultPostgresConns caps a store's connections when Options leave it
// open: the server's max_connections (100 by default) is shared by every
// daemon and command on the database.
const defaultPostgresConns = 10

// migrationLockID names the advisory lock held while migrating (the
// number is arbitrary; it only has to be the same for every process).
const migrationLockID = 0x68656c7064657331 // "helpdes1"

// openPostgres opens the store on a PostgreSQL database through pgx.
// Every timestamp is read back in UTC, as SQLite gives it.
func openPostgres(ctx context.Context, opts Options) (*Store, error) {
	name := postgresName(opts.DSN)
	cfg, err := pgx.ParseConfig(opts.DSN)
	if err != nil {
		// pgx's message hides the password.
		return nil, fmt.Errorf("opening postgres database: %w", err)
	}
	db := sqlx.NewDb(stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(utcTimes)), "pgx")
	conns := opts.MaxOpenConns
	if conns <= 0 {
		conns = defaultPostgresConns
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	s := &Store{db: db, dsn: opts.DSN, driver: "postgres"}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening postgres database %s: %w", name, err)
	}
	return s, nil
}

// utcTimes makes a connection return timestamptz values in UTC (pgx's
// default is the local zone).
func utcTimes(_ context.Context, c *pgx.Conn) error {
	c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
		Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
	return nil
}

// postgresName is a PostgreSQL URL without its password, for messages:
// postgres://user@host:port/database.
func postgresName(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" && u.Path == "" {
		return "(unreadable URL)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	for k := range q {
		if strings.EqualFold(k, "password") {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// lockPostgresMigrations takes a session advisory lock on a connection of
// its own, waiting for a process on another host that holds it; unlock
// releases it. The lock is the server's: a holder that dies loses it with
// its connection.
func lockPostgresMigrations(ctx context.Context, db *sql.DB) (unlock func(), err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLockID)); err != nil {
		conn.Close()
		return nil, err
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", int64(migrationLockID)); err != nil {
			// A connection that cannot unlock must not go back to the
			// pool holding the lock: closing it ends the session.
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}, nil
}

// isTemporaryPostgres reports whether err is a PostgreSQL condition worth
// retrying: a serialization failure or deadlock (the transaction lost a
// race and can run again), a lock not available, a server starting or
// shutting down or out of connections, or a connection that failed.
func isTemporaryPostgres(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01", // serialization_failure, deadlock_detected
			"55P03",                   // lock_not_available
			"57P01", "57P02", "57P03", // admin_shutdown, crash_shutdown, cannot_connect_now
			"53300", "53400": // too_many_connections, configuration_limit_exceeded
			return true
		}
		return strings.HasPrefix(pe.Code, "08") // connection_exception
	}
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || errors.Is(err, driver.ErrBadConn) || pgconn.SafeToRetry(err) || pgconn.Timeout(err)
}

// isPostgresUniqueViolation reports a unique_violation (23505).
func isPostgresUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
