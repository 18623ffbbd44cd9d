package tickets_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"helpdesk/tickets"
)

// slowMailer takes each mail after a pause, as a slow SMTP server does,
// and counts the mails it got per Message-ID.
type slowMailer struct {
	pause time.Duration
	mu    sync.Mutex
	got   map[string]int
}

func (m *slowMailer) Send(_ context.Context, msg *tickets.Message) error {
	time.Sleep(m.pause)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.got[msg.MessageID]++
	return nil
}

func TestTwoSendersWhoseBatchesOutlastTheLeaseSendEachMailOnce(t *testing.T) {
	f := newFixture(t)
	f.now = time.Now().Add(-time.Hour) // each ingest moves the clock a minute on
	for i := range 8 {
		f.ingest(customerMail(fmt.Sprintf("m%d@customer.test", i), fmt.Sprintf("c%d@customer.test", i), "Hello"))
	}
	// Two senders on the real clock, whose batches take several leases.
	svc, err := tickets.NewService(tickets.Options{
		Store:    f.store,
		Composer: plainComposer{},
		Secret:   []byte("a test secret of enough length"),
		From:     tickets.Address{Name: "Example Support", Email: "support@example.com"},
		Now:      time.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	policy := tickets.RetryPolicy{Lease: 2 * time.Second, BatchSize: 4}
	m := &slowMailer{pause: 600 * time.Millisecond, got: map[string]int{}}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, err := svc.FlushOutbox(f.ctx, m, policy); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(m.got) != 8 {
		t.Errorf("%d different mails sent, want 8", len(m.got))
	}
	for id, n := range m.got {
		if n != 1 {
			t.Errorf("mail %s sent %d times", id, n)
		}
	}
	items, err := f.store.Outbox(f.ctx, tickets.OutboxFilter{Status: tickets.OutboxSent})
	if err != nil || len(items) != 8 {
		t.Errorf("%d items recorded as sent (%v), want 8", len(items), err)
	}
}

// crashWindowMailer is one SMTP connection that, each time it is handed a
// mail, looks in the store for the mails it accepted before: any of them
// not yet recorded as sent would go out again after a crash at that moment.
type crashWindowMailer struct {
	store    tickets.Store
	accepted []string // Message-IDs, in order
	worst    int      // the most accepted mails ever found unrecorded at a Send
}

func (m *crashWindowMailer) Send(ctx context.Context, msg *tickets.Message) error {
	sent, err := m.store.Outbox(ctx, tickets.OutboxFilter{Status: tickets.OutboxSent})
	if err != nil {
		return err
	}
	recorded := map[string]bool{}
	for _, it := range sent {
		recorded[it.Message.MessageID] = true
	}
	unrecorded := 0
	for _, id := range m.accepted {
		if !recorded[id] {
			unrecorded++
		}
	}
	m.worst = max(m.worst, unrecorded)
	m.accepted = append(m.accepted, msg.MessageID)
	return nil
}

// A crash of the sender at any moment sends again at most the mail each
// connection has just handed over: a connection starts its next mail only
// once the last one it delivered is recorded as sent.
func TestACrashWhileSendingResendsAtMostTheMailInHandOfEachConnection(t *testing.T) {
	f := newFixture(t)
	for i := range 60 {
		f.ingest(customerMail(fmt.Sprintf("w%d@customer.test", i), fmt.Sprintf("c%d@w%d.test", i, i), "Hello"))
	}
	mailers := []*crashWindowMailer{{store: f.store}, {store: f.store}}
	st, err := f.svc.FlushOutboxVia(f.ctx, []tickets.Mailer{mailers[0], mailers[1]}, tickets.RetryPolicy{BatchSize: 20})
	if err != nil || st.Sent != 60 {
		t.Fatalf("flush sent %d (%v), want 60", st.Sent, err)
	}
	for i, m := range mailers {
		if len(m.accepted) == 0 {
			t.Errorf("connection %d sent nothing: the test wants both in use", i)
		}
		if m.worst > 0 {
			t.Errorf("connection %d was handed a mail while %d it had delivered were not recorded as sent; a crash then sends them again", i, m.worst)
		}
	}
}

// A delivery whose record fails for a while (the disk full, the database
// busy for long) is recorded once it can be, and not sent again: the mail
// is out, only its record waits.
func TestADeliveryWhoseRecordFailsForAWhileIsNotSentAgain(t *testing.T) {
	f := newFixture(t)
	for i := range 5 {
		f.ingest(customerMail(fmt.Sprintf("r%d@customer.test", i), fmt.Sprintf("c%d@r%d.test", i, i), "Hello"))
	}
	// The database refuses to record a mail as sent while refuse has a row.
	db := f.store.DB()
	for _, q := range []string{
		`CREATE TABLE refuse (x INTEGER)`,
		`INSERT INTO refuse VALUES (1)`,
		`CREATE TRIGGER refuse_sent BEFORE UPDATE OF status ON outbox WHEN NEW.status = 'sent' AND EXISTS (SELECT 1 FROM refuse)
		 BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	m := &slowMailer{got: map[string]int{}}
	time.AfterFunc(1500*time.Millisecond, func() { db.Exec(`DELETE FROM refuse`) })
	if _, err := f.svc.FlushOutbox(f.ctx, m, tickets.RetryPolicy{}); err != nil {
		t.Errorf("the first flush: %v", err)
	}
	f.now = f.now.Add(time.Hour) // every lease long over
	if _, err := f.svc.FlushOutbox(f.ctx, m, tickets.RetryPolicy{}); err != nil {
		t.Errorf("the second flush: %v", err)
	}
	if len(m.got) != 5 {
		t.Errorf("%d different mails sent, want 5", len(m.got))
	}
	for id, n := range m.got {
		if n != 1 {
			t.Errorf("mail %s sent %d times", id, n)
		}
	}
	if sent, err := f.store.Outbox(f.ctx, tickets.OutboxFilter{Status: tickets.OutboxSent}); err != nil || len(sent) != 5 {
		t.Errorf("%d recorded as sent (%v), want 5", len(sent), err)
	}
}
