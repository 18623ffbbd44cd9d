package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// outboxChannel is the channel on which the triggers of migration 00009
// notify that outbox rows were queued or handed back.
const outboxChannel = "helpdesk_outbox"

// listenerName is the application_name of the watcher's connection, by
// which an admin finds it in pg_stat_activity.
const listenerName = "helpdesk outbox watcher"

// listenCheck is how long the watcher waits for a notification before it
// checks that its connection is alive: a server that went away without a
// word (a host down, a firewall that dropped the connection) is noticed
// within this, not at TCP's keepalive hours later.
const listenCheck = 30 * time.Second

// watchPostgresOutbox is WatchOutbox on PostgreSQL: it LISTENs on a
// connection of its own, outside the store's pool, and sends a notice for
// each notification. The trigger that notifies fires in the transaction
// that queues, so any process on any host (a daemon, `helpdesk ingest`)
// wakes every daemon's sender at its commit. A lost connection is opened
// again, with backoff, and counts as a notice: what was queued meanwhile
// went unannounced.
func (s *Store) watchPostgresOutbox(ctx context.Context, log *slog.Logger) (<-chan struct{}, error) {
	failures := 0
	conn, err := s.listen(ctx)
	if err != nil {
		// Not fatal: the loop below connects again, as after a loss.
		log.WarnContext(ctx, "starting the outbox watcher; connecting again", slog.Any("err", err))
		failures = 1
	}
	out := make(chan struct{}, 1)
	notify := func() {
		select {
		case out <- struct{}{}:
		default: // a notice is pending already
		}
	}
	go func() {
		defer func() {
			if conn != nil {
				conn.Close(context.Background())
			}
		}()
		for {
			if conn == nil {
				wait := min(100*time.Millisecond<<min(failures, 9), 30*time.Second)
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
				if conn, err = s.listen(ctx); err != nil {
					if ctx.Err() != nil {
						return
					}
					if failures++; failures == 1 {
						log.WarnContext(ctx, "reconnecting the outbox watcher", slog.Any("err", err))
					}
					continue
				}
				if failures > 0 {
					log.InfoContext(ctx, "outbox watcher reconnected", slog.Int("attempts", failures))
				}
				failures = 0
				notify()
			}
			if err := s.waitNotification(ctx, conn); err != nil {
				if ctx.Err() != nil {
					return
				}
				// Once per spell of failures (the reconnects log the
				// rest): the sender's timer still delivers meanwhile.
				log.WarnContext(ctx, "the outbox watcher lost its connection; mail queued by other processes waits for the outbox interval until it is back", slog.Any("err", err))
				conn.Close(context.Background())
				conn, failures = nil, 1
				continue
			}
			notify()
		}
	}()
	return out, nil
}

// listen opens the watcher's connection and LISTENs on it.
func (s *Store) listen(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(s.dsn)
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["application_name"] = listenerName
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+outboxChannel); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("listen %s: %w", outboxChannel, err)
	}
	return conn, nil
}

// waitNotification returns at the next notification, or with an error
// when the connection failed. Every listenCheck without one it pings the
// server.
func (s *Store) waitNotification(ctx context.Context, conn *pgx.Conn) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, listenCheck)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return fmt.Errorf("ping: %w", err)
		}
	}
}
