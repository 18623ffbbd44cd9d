package tickets_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/mattn/go-sqlite3"

	"helpdesk/tickets"
)

// lockProbe renders notices as plainComposer does and, each time, tries to
// take the database's write lock from a connection of its own, as another
// process would: a render that finds it held ran inside a write
// transaction. While broken is set, every render fails.
type lockProbe struct {
	db *sql.DB

	mu        sync.Mutex
	renders   int
	underLock int
	broken    bool
}

func newLockProbe(t *testing.T, dbPath string) *lockProbe {
	// No busy timeout: a held lock answers SQLITE_BUSY at once.
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?_busy_timeout=0&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &lockProbe{db: db}
}

func (p *lockProbe) Compose(ctx context.Context, n tickets.Notice) (tickets.Composed, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.renders++
	tx, err := p.db.BeginTx(ctx, nil)
	var se sqlite3.Error
	switch {
	case errors.As(err, &se) && se.Code == sqlite3.ErrBusy:
		p.underLock++
	case err != nil:
		return tickets.Composed{}, err
	default:
		tx.Rollback()
	}
	if p.broken {
		return tickets.Composed{}, errors.New(`template: acknowledgement.txt:3: function "shout" not defined`)
	}
	return plainComposer{}.Compose(ctx, n)
}

func (p *lockProbe) counts() (renders, underLock int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.renders, p.underLock
}

func (p *lockProbe) setBroken(b bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.broken = b
}

func newProbedFixture(t *testing.T) (*fixture, *lockProbe) {
	var probe *lockProbe
	f := newFixtureComposing(t, func(path string) tickets.Composer {
		probe = newLockProbe(t, path)
		return probe
	})
	return f, probe
}

func TestNoTemplateRunsInsideTheWriteTransaction(t *testing.T) {
	f, probe := newProbedFixture(t)
	res := f.ingest(customerMail("a1@customer.test", "alice@customer.test", "Printer on fire"))
	f.setStatus(res.TicketID, tickets.StatusResolved)
	f.ingest(customerMail("r1@customer.test", "alice@customer.test", "Re: [HD#1000] Printer on fire"))

	renders, underLock := probe.counts()
	if renders != 2 || underLock != 0 {
		t.Errorf("%d notices rendered, %d of them while the write lock was held; want 2 and 0", renders, underLock)
	}
	// The outbox holds each mail as it will be sent, once Ingest returns.
	for _, it := range f.queued(res.TicketID) {
		if it.Notice != nil || it.Message.Subject != "[HD#1000] Printer on fire" {
			t.Errorf("%s queued with subject %q (not rendered: %v)", it.Message.Kind, it.Message.Subject, it.Notice != nil)
		}
	}
}

func TestANoticeWhoseTemplateFailedIsSentOnceTheTemplateRenders(t *testing.T) {
	f, probe := newProbedFixture(t)
	probe.setBroken(true)
	res := f.ingest(customerMail("a1@customer.test", "alice@customer.test", "Printer on fire"))
	if res.Queued != 1 {
		t.Fatalf("result = %+v, want the acknowledgement queued", res)
	}
	// The admin fixes the template before the sender comes to the mail.
	probe.setBroken(false)
	m := &slowMailer{got: map[string]int{}}
	st, err := f.svc.FlushOutbox(f.ctx, m, tickets.RetryPolicy{})
	if err != nil || st.Sent != 1 {
		t.Fatalf("flush = %+v, %v; want the acknowledgement sent", st, err)
	}
	items := f.queued(res.TicketID)
	if len(items) != 1 || items[0].Status != tickets.OutboxSent || items[0].Message.Subject != "[HD#1000] Printer on fire" ||
		items[0].Message.Text != "acknowledgement for alice@customer.test" {
		t.Errorf("outbox = %+v, want the acknowledgement sent as rendered by the sender", items)
	}
	if _, underLock := probe.counts(); underLock != 0 {
		t.Errorf("%d renders while the write lock was held", underLock)
	}
}

func TestATemplateThatFailsWhenSendingIsAnEventOnTheTicket(t *testing.T) {
	f, probe := newProbedFixture(t)
	probe.setBroken(true)
	res := f.ingest(customerMail("a1@customer.test", "alice@customer.test", "Printer on fire"))
	m := &slowMailer{got: map[string]int{}}
	st, err := f.svc.FlushOutbox(f.ctx, m, tickets.RetryPolicy{})
	if err != nil || st.Failed != 1 || len(m.got) != 0 {
		t.Fatalf("flush = %+v, %v, %d mails sent; want one failed, none sent", st, err, len(m.got))
	}
	items := f.queued(res.TicketID)
	if len(items) != 1 || items[0].Status != tickets.OutboxFailed || !strings.Contains(items[0].LastError, `rendering template acknowledgement: template: acknowledgement.txt:3: function "shout" not defined`) {
		t.Errorf("outbox = %+v, want the acknowledgement failed with the template's error", items)
	}
	events, _ := f.store.Events(f.ctx, res.TicketID)
	if !hasEvent(events, tickets.EventNotAnswered, `acknowledgement not sent: template: acknowledgement.txt:3: function "shout" not defined`) {
		t.Errorf("events %+v do not say why the acknowledgement was not sent", events)
	}
	// Failed is final: the next pass does not try again.
	if st, err := f.svc.FlushOutbox(f.ctx, m, tickets.RetryPolicy{}); err != nil || st != (tickets.FlushStats{}) {
		t.Errorf("second flush = %+v, %v; want nothing to do", st, err)
	}
}
