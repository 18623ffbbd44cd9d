package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"helpdesk/tickets"
)

// DeliveryNotes returns the store's delivery notes: on SQLite, a file
// beside the database; on PostgreSQL none (nil), whose commits do not
// queue behind one write lock.
func (s *Store) DeliveryNotes() tickets.DeliveryNotes {
	if s.driver != "sqlite" {
		return nil
	}
	return sqliteNotes{s}
}

// sqliteNotes are the delivery notes of a SQLite store.
type sqliteNotes struct{ s *Store }

// notes is the SQLite store's file of delivery notes (see
// tickets.DeliveryNotes): the database's name with "-delivered", a SQLite
// database of one table that nothing else writes, with no sync on commit.
// A commit there takes microseconds and never waits for the main
// database's write lock; it is in the operating system's hands at once,
// which is what survives a killed process.
type notes struct {
	once sync.Once
	db   *sqlx.DB
	note *sql.Stmt // noteDelivered, prepared once: it runs for every mail sent
	err  error
}

const noteDelivered = `INSERT OR REPLACE INTO delivered (outbox_id, at) VALUES (?, ?)`

func (s *Store) notesDB() (*sqlx.DB, error) {
	s.notes.once.Do(func() {
		path := s.path + "-delivered"
		if err := ownerOnly(path); err != nil {
			s.notes.err = fmt.Errorf("opening delivery notes %s: %w", path, err)
			return
		}
		db, err := sqlx.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=OFF&_busy_timeout=5000")
		if err == nil {
			_, err = db.Exec(`CREATE TABLE IF NOT EXISTS delivered (outbox_id INTEGER PRIMARY KEY, at TIMESTAMP NOT NULL)`)
		}
		if err == nil {
			s.notes.note, err = db.Prepare(noteDelivered)
		}
		if err != nil {
			if db != nil {
				db.Close()
			}
			s.notes.err = fmt.Errorf("opening delivery notes %s: %w", path, err)
			return
		}
		// One connection: this process's notes queue in Go for it, never
		// in SQLite's busy handler, which sleeps milliseconds at a time.
		db.SetMaxOpenConns(1)
		s.notes.db = db
	})
	return s.notes.db, s.notes.err
}

func (n sqliteNotes) NoteDelivered(ctx context.Context, id int64, at time.Time) error {
	if _, err := n.s.notesDB(); err != nil {
		return err
	}
	if _, err := n.s.notes.note.ExecContext(ctx, id, at.UTC()); err != nil {
		return fmt.Errorf("noting the delivery of outbox item %d: %w", id, err)
	}
	return nil
}

func (n sqliteNotes) NotedDeliveries(ctx context.Context, now time.Time) ([]tickets.NotedDelivery, error) {
	s := n.s
	db, err := s.notesDB()
	if err != nil {
		return nil, err
	}
	var noted []struct {
		ID int64     `db:"outbox_id"`
		At time.Time `db:"at"`
	}
	if err := db.SelectContext(ctx, &noted, `SELECT outbox_id, at FROM delivered ORDER BY outbox_id`); err != nil {
		return nil, fmt.Errorf("reading delivery notes: %w", err)
	}
	if len(noted) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(noted))
	at := make(map[int64]time.Time, len(noted))
	for i, n := range noted {
		ids[i], at[n.ID] = n.ID, n.At
	}
	query, args, err := sqlx.In(`SELECT id, ticket_id, status, lease_until FROM outbox WHERE id IN (?)`, ids)
	if err != nil {
		return nil, err
	}
	var items []struct {
		ID         int64      `db:"id"`
		TicketID   int64      `db:"ticket_id"`
		Status     string     `db:"status"`
		LeaseUntil *time.Time `db:"lease_until"`
	}
	if err := s.db.SelectContext(ctx, &items, s.db.Rebind(query), args...); err != nil {
		return nil, fmt.Errorf("reading noted outbox items: %w", err)
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

func (n sqliteNotes) ForgetDeliveries(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	db, err := n.s.notesDB()
	if err != nil {
		return err
	}
	query, args, err := sqlx.In(`DELETE FROM delivered WHERE outbox_id IN (?)`, ids)
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("dropping delivery notes: %w", err)
	}
	return nil
}
