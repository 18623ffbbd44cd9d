package sqlstore

import (
	"context"
	"log/slog"
	"time"
)

// CheckpointEvery copies the SQLite write-ahead log back into the
// database file every interval, on a goroutine of its own, until ctx
// ends; on PostgreSQL it does nothing. Without it the commit that brings
// the log to 10,000 pages does the copying itself, and with synchronous
// writes its sync of the database file: in a long-running daemon that is
// a stall of a tenth of a second, now and then, of whichever transaction
// it falls on, an ingest batch's while catching up. A passive checkpoint
// waits for no reader or writer; as it keeps the log copied, the log
// starts again from its beginning and no commit reaches 10,000 pages.
// A failed checkpoint is logged at debug level and tried again at the
// next tick; the commits' own checkpoints stay as the safety net.
func (s *Store) CheckpointEvery(ctx context.Context, interval time.Duration, log *slog.Logger) {
	if s.driver != "sqlite" {
		return
	}
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if _, err := s.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil && ctx.Err() == nil {
				log.Debug("checkpoint of the write-ahead log failed; trying again", slog.Any("err", err))
			}
			if s.checkpointed != nil {
				s.checkpointed()
			}
		}
	}()
}
