package desk_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"helpdesk/desk"
	"helpdesk/tickets"
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

// A mail that cannot be stored is logged once per try, by the watcher that
// will try it again (with the mailbox, the UID and the attempt), not once
// more by the code that stores it. Then, once the database takes mail
// again, it is stored.
func TestAMailThatCannotBeStoredIsLoggedOncePerTry(t *testing.T) {
	dm := newDaemon(t, "")
	db := dm.observer().store.DB()
	const cause = "the disk is on fire"
	refuse := []string{`CREATE TRIGGER refuse_mail BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, '` + cause + `'); END`}
	accept := `DROP TRIGGER refuse_mail`
	if onPostgres(t) {
		refuse = []string{
			`CREATE FUNCTION refuse_mail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '` + cause + `'; END $$`,
			`CREATE TRIGGER refuse_mail BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse_mail()`,
		}
		accept = `DROP TRIGGER refuse_mail ON messages`
	}
	for _, q := range refuse {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	var book logBook
	dm.appendMail("support", customer("refused@a.test", "alice@a.test", "Hello", "hello"))
	dm.startLogging(book.logger(t))
	reports := func(r logRecord) bool { return r.attrs["uid"] != "" && strings.Contains(r.attrs["err"], cause) }
	book.waitFor(t, "the second try", func(r logRecord) bool { return reports(r) && r.attrs["attempt"] == "2" })
	if _, err := db.Exec(accept); err != nil {
		t.Fatal(err)
	}
	dm.waitAcks(1)
	dm.expectIdle(tally{tickets: 1, inbound: 1, sent: 1})

	perTry := map[string]int{}
	for _, r := range book.find(reports) {
		if r.attrs["attempt"] == "" || r.attrs["mailbox"] != "support" {
			t.Errorf("the failure is logged as %q with %v: want the watcher's record, with the mailbox and the attempt", r.msg, r.attrs)
			continue
		}
		perTry[r.attrs["attempt"]]++
	}
	for attempt, n := range perTry {
		if n != 1 {
			t.Errorf("try %s of the mail is logged %d times, want once", attempt, n)
		}
	}
}

// crashingStore is the real store, but storing a message with the subject
// crash panics, as a bug in the code that stores a mail would.
type crashingStore struct {
	tickets.Store
	crash  string
	panics *atomic.Int32
}

func (s crashingStore) InTx(ctx context.Context, fn func(tickets.Tx) error) error {
	return s.Store.InTx(ctx, func(tx tickets.Tx) error { return fn(crashingTx{Tx: tx, s: s}) })
}

type crashingTx struct {
	tickets.Tx
	s crashingStore
}

func (tx crashingTx) InsertMessage(ctx context.Context, m *tickets.Message, raw []byte) error {
	if m.Subject == tx.s.crash {
		tx.s.panics.Add(1)
		panic("a bug met " + m.Subject)
	}
	return tx.Tx.InsertMessage(ctx, m, raw)
}

// plainNotices renders every notice as the same short text.
type plainNotices struct{}

func (plainNotices) Compose(_ context.Context, n tickets.Notice) (tickets.Composed, error) {
	return tickets.Composed{Subject: "Re: " + n.Ticket.Subject, Text: "We have your mail."}, nil
}

// A bug that crashes on one mail of a batch is logged once for each time
// it strikes, the last time with the quarantine that keeps the mail, and
// with the stack a developer needs; the other mails are stored.
func TestAnInternalErrorOnAMailIsLoggedOnceEachTimeWithItsStack(t *testing.T) {
	cfg := configFor(t, 1)
	var book logBook
	d, err := desk.Open(context.Background(), cfg, desk.Options{Logger: book.logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var panics atomic.Int32
	svc, err := tickets.NewService(tickets.Options{
		Store:     crashingStore{Store: d.Store, crash: "Crash me", panics: &panics},
		Composer:  plainNotices{},
		Secret:    []byte(cfg.Security.Secret),
		From:      tickets.Address{Email: "support@example.com"},
		Mailboxes: map[string]tickets.MailboxInfo{"support": {Address: "support@example.com", Queue: "general"}},
		Logger:    book.logger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	d.Service = svc

	outs, errs := d.DeliverBatch(context.Background(), "support", []desk.Incoming{
		{Raw: []byte(customer("fine@a.test", "alice@a.test", "Fine", "hello"))},
		{Raw: []byte(customer("crash@a.test", "bob@b.test", "Crash me", "hello"))},
	})
	if errs[0] != nil || !outs[0].Created {
		t.Errorf("the good mail: %+v, %v; want a new ticket", outs[0], errs[0])
	}
	if errs[1] != nil || !outs[1].Quarantined {
		t.Errorf("the mail the bug meets: %+v, %v; want it quarantined", outs[1], errs[1])
	}
	told := book.find(func(r logRecord) bool {
		for _, v := range r.attrs {
			if strings.Contains(v, "a bug met Crash me") {
				return true
			}
		}
		return false
	})
	if n := int(panics.Load()); len(told) != n {
		t.Errorf("the bug struck %d times and is logged %d times, want once each: %v", n, len(told), told)
	}
	if len(told) == 0 {
		t.Fatal("the bug is not logged")
	}
	last := told[len(told)-1]
	if last.attrs["quarantine"] == "" || !strings.Contains(last.attrs["stack"], "crashingTx.InsertMessage") {
		t.Errorf("the last record of the bug is %q with %v; want the quarantine and the stack", last.msg, last.attrs)
	}
}
