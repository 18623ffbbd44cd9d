package desk_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// logBook keeps every record the daemon logs, with its attributes as text,
// and passes it on to the test's log.
type logBook struct {
	mu      sync.Mutex
	records []logRecord
}

type logRecord struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

// logger returns a logger that writes into b and to t's log.
func (b *logBook) logger(t *testing.T) *slog.Logger {
	return slog.New(&bookHandler{book: b, next: testLogger(t).Handler()})
}

// find returns the records for which keep is true.
func (b *logBook) find(keep func(logRecord) bool) []logRecord {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []logRecord
	for _, r := range b.records {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// waitFor waits until keep holds for at least one record.
func (b *logBook) waitFor(t *testing.T, what string, keep func(logRecord) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(b.find(keep)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no log record of %s within 30s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type bookHandler struct {
	book  *logBook
	attrs []slog.Attr
	next  slog.Handler
}

func (h *bookHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *bookHandler) WithGroup(string) slog.Handler            { return h }

func (h *bookHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &bookHandler{book: h.book, attrs: append(append([]slog.Attr(nil), h.attrs...), as...), next: h.next.WithAttrs(as)}
}

func (h *bookHandler) Handle(ctx context.Context, r slog.Record) error {
	rec := logRecord{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	for _, a := range h.attrs {
		rec.attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.String()
		return true
	})
	h.book.mu.Lock()
	h.book.records = append(h.book.records, rec)
	h.book.mu.Unlock()
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

// An admin who reads "mail stored" in the log can tell which mail of the
// IMAP mailbox it was and which ticket it became.
func TestTheLogNamesTheIMAPUIDAndTheTicketOfAStoredMail(t *testing.T) {
	dm := newDaemon(t, "")
	var book logBook
	dm.appendMail("support", customer("logged@a.test", "alice@a.test", "Hello", "hello"))
	dm.startLogging(book.logger(t))
	dm.waitAcks(1)
	stored := book.find(func(r logRecord) bool { return r.msg == "mail stored" })
	if len(stored) != 1 {
		t.Fatalf("%d \"mail stored\" records, want 1: %v", len(stored), stored)
	}
	a := stored[0].attrs
	if a["mailbox"] != "support" || a["uid"] == "" || a["uid"] == "0" || a["message_id"] != "logged@a.test" || a["ticket"] != "HD#1000" || a["new"] != "true" {
		t.Errorf("\"mail stored\" record has %v, want mailbox support, the mail's uid, its message_id and ticket HD#1000, new", a)
	}
}
