package sqlstore

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// listener LISTENs on the outbox channel on a connection of its own, as
// any process on another host may.
func listener(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	if _, err := c.Exec(context.Background(), "LISTEN "+outboxChannel); err != nil {
		t.Fatal(err)
	}
	return c
}

// expectNotification waits for a notification on c, at most 5s.
func expectNotification(t *testing.T, c *pgx.Conn, why string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.WaitForNotification(ctx); err != nil {
		t.Fatalf("no notification on %s: %s (%v)", outboxChannel, why, err)
	}
}

// Mail queued in a transaction, and claimed items handed back untried,
// are announced to every listener at the commit, whoever wrote them.
func TestPostgresAnnouncesQueuedAndHandedBackMail(t *testing.T) {
	db := postgresDB(t)
	s := db.open(t)
	c := listener(t, db.dsn)
	queueMails(t, s, 3, t0)
	expectNotification(t, c, "three mails queued")

	ctx := context.Background()
	if items, err := s.ClaimOutbox(ctx, t0, 10, time.Minute, "a"); err != nil || len(items) != 3 {
		t.Fatalf("claim: %d items, %v", len(items), err)
	}
	if err := s.ReleaseOutbox(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	expectNotification(t, c, "a sender handed back the items it did not try")

	// The three of one transaction were one notification, and nothing
	// else was announced (a claim is no news).
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if n, err := c.WaitForNotification(wctx); err == nil {
		t.Errorf("an extra notification: %+v", n)
	}
}

// The watcher's connection is killed (a server restart, a network
// failure, an admin's pg_terminate_backend): it connects again, and mail
// queued from then on still wakes the sender at once.
func TestOutboxWatcherListensAgainAfterItsConnectionIsKilled(t *testing.T) {
	db := postgresDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := db.open(t)
	queued, err := s.WatchOutbox(ctx, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	other := db.open(t)
	var killed int
	if err := other.DB().Get(&killed, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = $1`, listenerName); err != nil || killed != 1 {
		t.Fatalf("killing the watcher's connection: %d killed, %v; want its one connection", killed, err)
	}
	// Reconnected, it reports a notice: mail may have been queued
	// unannounced while it was away.
	select {
	case <-queued:
	case <-time.After(10 * time.Second):
		t.Fatal("no notice 10s after the watcher's connection was killed")
	}
	for range 2 {
		queueMails(t, other, 1, time.Now())
		select {
		case <-queued:
		case <-time.After(5 * time.Second):
			t.Fatal("mail queued after the reconnect was not reported")
		}
	}
}
