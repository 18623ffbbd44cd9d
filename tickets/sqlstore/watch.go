package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"helpdesk/tickets"
)

var _ tickets.OutboxWatcher = (*Store)(nil)

// watchEvery is how often WatchOutbox looks at the database. One look is a
// read of SQLite's shared WAL index, no table access, a few microseconds:
// ten a second cost nothing an idle daemon would notice.
const watchEvery = 100 * time.Millisecond

// WatchOutbox notices outbox rows that any process commits (`helpdesk
// ingest` from an MTA pipe, `quarantine retry`) within watchEvery. SQLite
// has no notifications between processes, so it polls, on a connection of
// its own: `PRAGMA data_version` changes when another connection has
// committed, and only then is the highest outbox id read. The connection
// is outside the store's pool, so database.max_open_conns does not count
// it, and it holds no read transaction between looks.
func (s *Store) WatchOutbox(ctx context.Context, log *slog.Logger) (<-chan struct{}, error) {
	if s.driver == "postgres" {
		return s.watchPostgresOutbox(ctx, log)
	}
	db, err := sql.Open("sqlite3", s.dsn)
	if err != nil {
		return nil, fmt.Errorf("opening the outbox watcher's connection: %w", err)
	}
	w, err := s.newWatcher(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	out := make(chan struct{}, 1)
	go func() {
		defer db.Close()
		defer w.close()
		t := time.NewTicker(watchEvery)
		defer t.Stop()
		failing := false
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			// Not ctx: a cancellable context costs the driver a goroutine
			// per query, and a look is over in microseconds.
			grew, err := w.look(context.Background())
			switch {
			case err != nil && ctx.Err() == nil && !failing:
				// Once per spell of failures: the sender's timer still
				// delivers the outbox meanwhile.
				failing = true
				log.WarnContext(ctx, "watching the outbox for mail queued by other processes", slog.Any("err", err))
			case err == nil:
				failing = false
			}
			if grew {
				select {
				case out <- struct{}{}:
				default: // a notice is pending already
				}
			}
		}
	}()
	return out, nil
}

// watcher is the state of one WatchOutbox: its connection, its two
// statements prepared once, and what it saw last.
type watcher struct {
	conn          *sql.Conn
	version, last *sql.Stmt
	started       bool
	seenVersion   int64
	seenID        int64
}

func (s *Store) newWatcher(ctx context.Context, db *sql.DB) (*watcher, error) {
	// data_version belongs to a connection: keep one for the watcher's life.
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("opening the outbox watcher's connection: %w", err)
	}
	w := &watcher{conn: conn}
	if w.version, err = conn.PrepareContext(ctx, s.q["data-version"]); err == nil {
		w.last, err = conn.PrepareContext(ctx, s.q["outbox-last-id"])
	}
	if err == nil {
		_, err = w.look(ctx)
	}
	if err != nil {
		w.close()
		return nil, fmt.Errorf("starting the outbox watcher: %w", err)
	}
	return w, nil
}

// look reports whether outbox rows were added since the last look.
func (w *watcher) look(ctx context.Context) (bool, error) {
	var version int64
	if err := w.version.QueryRowContext(ctx).Scan(&version); err != nil {
		return false, fmt.Errorf("data-version: %w", err)
	}
	if w.started && version == w.seenVersion {
		return false, nil
	}
	var id int64
	if err := w.last.QueryRowContext(ctx).Scan(&id); err != nil {
		return false, fmt.Errorf("outbox-last-id: %w", err)
	}
	grew := w.started && id > w.seenID
	w.started, w.seenVersion, w.seenID = true, version, id
	return grew, nil
}

func (w *watcher) close() {
	for _, st := range []*sql.Stmt{w.version, w.last} {
		if st != nil {
			st.Close()
		}
	}
	w.conn.Close()
}
