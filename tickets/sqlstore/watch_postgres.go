package sqlstore

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// watchPostgresOutbox is WatchOutbox on PostgreSQL: it reads the highest
// outbox id every watchEvery, an index lookup of well under a millisecond,
// on a connection of the store's pool, and reports when it grew. (A
// LISTEN/NOTIFY watcher would save the looks: the OutboxWatcher interface
// stays the same.)
func (s *Store) watchPostgresOutbox(ctx context.Context, log *slog.Logger) (<-chan struct{}, error) {
	last := func() (int64, error) {
		var id int64
		if err := s.db.QueryRowContext(ctx, s.q["outbox-last-id"]).Scan(&id); err != nil {
			return 0, fmt.Errorf("outbox-last-id: %w", err)
		}
		return id, nil
	}
	seen, err := last()
	if err != nil {
		return nil, fmt.Errorf("starting the outbox watcher: %w", err)
	}
	out := make(chan struct{}, 1)
	go func() {
		t := time.NewTicker(watchEvery)
		defer t.Stop()
		failing := false
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			id, err := last()
			switch {
			case err != nil && ctx.Err() == nil && !failing:
				failing = true
				log.WarnContext(ctx, "watching the outbox for mail queued by other processes", slog.Any("err", err))
			case err == nil:
				failing = false
			}
			if err != nil || id <= seen {
				continue
			}
			seen = id
			select {
			case out <- struct{}{}:
			default: // a notice is pending already
			}
		}
	}()
	return out, nil
}
