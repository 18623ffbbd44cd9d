package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"

	"helpdesk/tickets"
)

// DeliveryNotes returns the store's delivery notes (tickets.DeliveryNotes):
// on SQLite a file beside the database, on PostgreSQL the table
// delivery_notes, written over connections of their own.
func (s *Store) DeliveryNotes() tickets.DeliveryNotes {
	return storeNotes{s}
}

// storeNotes are the delivery notes of a store.
type storeNotes struct{ s *Store }

// notes hold the connections to a PostgreSQL store's delivery notes (see
// tickets.DeliveryNotes), opened at the first note; a SQLite store keeps
// them in a file (noteFile).
//
// The table delivery_notes is written over connections whose commits
// do not wait for the disk (synchronous_commit off): a note is one INSERT
// in the server's hands at once, which is what survives a killed daemon,
// and never waits for a commit of the desk's own (each delivery's record
// does, for the write-ahead log's flush).
type notes struct {
	once   sync.Once
	db     *sqlx.DB
	insert *sql.Stmt // prepared once: a note is the one statement on the way from the server's reply to the next mail
	table  string
	err    error
}

func (s *Store) notesDB() (*sqlx.DB, error) {
	s.notes.once.Do(func() {
		where := "delivery_notes in " + postgresName(s.dsn)
		s.notes.table = "delivery_notes"
		cfg, err := pgx.ParseConfig(s.dsn)
		var db *sqlx.DB
		if err == nil {
			cfg.RuntimeParams["synchronous_commit"] = "off"
			db = sqlx.NewDb(stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(utcTimes)), "pgx")
			// A note for each connection to the SMTP server, and the
			// claims' reading; connected now, not at a note.
			db.SetMaxOpenConns(notesConns)
			db.SetMaxIdleConns(notesConns)
			db.SetConnMaxIdleTime(0)
			err = connectAll(db, notesConns)
		}
		if err == nil {
			s.notes.insert, err = db.Prepare(`INSERT INTO delivery_notes (outbox_id, at) VALUES ($1, $2) ON CONFLICT (outbox_id) DO UPDATE SET at = EXCLUDED.at`)
		}
		if err != nil {
			if db != nil {
				db.Close()
			}
			s.notes.err = fmt.Errorf("opening delivery notes %s: %w", where, err)
			return
		}
		s.notes.db = db
	})
	return s.notes.db, s.notes.err
}

// notesConns are the connections to the notes on PostgreSQL.
const notesConns = 4

// connectAll opens n connections of db and leaves them idle in its pool,
// so that no note waits for a connection to be made (tens of
// milliseconds on a busy machine), the very time a crash would forget
// the delivery in.
func connectAll(db *sqlx.DB, n int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var conns []*sql.Conn
	defer func() {
		for _, c := range conns {
			c.Close() // back to the pool
		}
	}()
	for range n {
		c, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		conns = append(conns, c)
		if err := c.PingContext(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (n storeNotes) NoteDelivered(ctx context.Context, id int64, at time.Time) error {
	if n.s.driver != "postgres" {
		if err := n.s.noteFile.note(id, at.UTC()); err != nil {
			return fmt.Errorf("noting the delivery of outbox item %d: %w", id, err)
		}
		return nil
	}
	if _, err := n.s.notesDB(); err != nil {
		return err
	}
	if _, err := n.s.notes.insert.ExecContext(ctx, id, at.UTC()); err != nil {
		return fmt.Errorf("noting the delivery of outbox item %d: %w", id, err)
	}
	return nil
}

func (n storeNotes) NotedDeliveries(ctx context.Context, now time.Time) ([]tickets.NotedDelivery, error) {
	s := n.s
	at, err := n.noted(ctx)
	if err != nil || len(at) == 0 {
		return nil, err
	}
	ids := make([]int64, 0, len(at))
	for id := range at {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var items []struct {
		ID         int64      `db:"id"`
		TicketID   int64      `db:"ticket_id"`
		Status     string     `db:"status"`
		LeaseUntil *time.Time `db:"lease_until"`
	}
	for chunk := range slices.Chunk(ids, notesPerQuery) {
		query, args, err := sqlx.In(`SELECT id, ticket_id, status, lease_until FROM outbox WHERE id IN (?)`, chunk)
		if err != nil {
			return nil, err
		}
		var some []struct {
			ID         int64      `db:"id"`
			TicketID   int64      `db:"ticket_id"`
			Status     string     `db:"status"`
			LeaseUntil *time.Time `db:"lease_until"`
		}
		if err := s.db.SelectContext(ctx, &some, s.db.Rebind(query), args...); err != nil {
			return nil, fmt.Errorf("reading noted outbox items: %w", err)
		}
		items = append(items, some...)
	}
	var out []tickets.NotedDelivery
	var done []int64
	seen := map[int64]bool{}
	for _, it := range items {
		seen[it.ID] = true
		switch {
		case it.Status != tickets.OutboxQueued:
			done = append(done, it.ID) // recorded: the note has served
		case it.LeaseUntil == nil || !it.LeaseUntil.After(now):
			out = append(out, tickets.NotedDelivery{ID: it.ID, TicketID: it.TicketID, At: at[it.ID].UTC()})
		}
	}
	for _, id := range ids {
		if !seen[id] {
			done = append(done, id) // the item is gone (a database copied or restored)
		}
	}
	if len(done) > 0 {
		if err := n.ForgetDeliveries(ctx, done); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// noted reads the notes: each noted item with the time of its delivery.
func (n storeNotes) noted(ctx context.Context) (map[int64]time.Time, error) {
	s := n.s
	if s.driver != "postgres" {
		return s.noteFile.read(ctx)
	}
	db, err := s.notesDB()
	if err != nil {
		return nil, err
	}
	var noted []struct {
		ID int64     `db:"outbox_id"`
		At time.Time `db:"at"`
	}
	if err := db.SelectContext(ctx, &noted, `SELECT outbox_id, at FROM `+s.notes.table+` ORDER BY outbox_id`); err != nil {
		return nil, fmt.Errorf("reading delivery notes: %w", err)
	}
	at := make(map[int64]time.Time, len(noted))
	for _, n := range noted {
		at[n.ID] = n.At
	}
	return at, nil
}

func (n storeNotes) ForgetDeliveries(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if n.s.driver != "postgres" {
		return n.s.noteFile.forget(ctx, ids)
	}
	db, err := n.s.notesDB()
	if err != nil {
		return err
	}
	for chunk := range slices.Chunk(ids, notesPerQuery) {
		query, args, err := sqlx.In(`DELETE FROM `+n.s.notes.table+` WHERE outbox_id IN (?)`, chunk)
		if err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, db.Rebind(query), args...); err != nil {
			return fmt.Errorf("dropping delivery notes: %w", err)
		}
	}
	return nil
}

// notesPerQuery bounds the ids of one query, below SQLite's limit of
// variables in a statement: a pass of a long backlog drops the notes of
// thousands of deliveries at its end.
const notesPerQuery = 500
