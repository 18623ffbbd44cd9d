package tickets_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"helpdesk/tickets"
	"helpdesk/tickets/sqlstore"
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
// neither recorded as sent nor noted as delivered would go out again
// after a crash at that moment.
type crashWindowMailer struct {
	store    *sqlstore.Store
	accepted []string // Message-IDs, in order
	worst    int      // the most accepted mails ever found unrecorded at a Send
}

func (m *crashWindowMailer) Send(ctx context.Context, msg *tickets.Message) error {
	// The notes first: a note is dropped only once its record is in.
	noted, err := m.store.DeliveryNotes().NotedDeliveries(ctx, time.Now().Add(24*time.Hour))
	if err != nil {
		return err
	}
	all, err := m.store.Outbox(ctx, tickets.OutboxFilter{})
	if err != nil {
		return err
	}
	recorded := map[string]bool{}
	byID := map[int64]string{}
	for _, it := range all {
		byID[it.ID] = it.Message.MessageID
		if it.Status == tickets.OutboxSent {
			recorded[it.Message.MessageID] = true
		}
	}
	for _, n := range noted {
		recorded[byID[n.ID]] = true
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
// once the last one it delivered is noted or recorded as sent.
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

// A sender killed after the SMTP server accepted a mail, before it
// recorded the delivery, leaves a note of it: the next sender records the
// delivery from the note and does not send the mail again.
func TestAMailNotedAsDeliveredBeforeACrashIsRecordedNotSentAgain(t *testing.T) {
	f := newFixture(t)
	f.ingest(customerMail("noted@customer.test", "alice@a.test", "Hello"))
	f.ingest(customerMail("other@customer.test", "bob@b.test", "Hello"))
	// The dead sender: it claimed both, delivered the first and noted it,
	// then died, its lease running out.
	items, err := f.store.ClaimOutbox(f.ctx, f.now, 10, 10*time.Second, "dead")
	if err != nil || len(items) != 2 {
		t.Fatalf("claimed %d (%v), want 2", len(items), err)
	}
	if err := f.store.DeliveryNotes().NoteDelivered(f.ctx, items[0].ID, f.now); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Minute)
	m := &slowMailer{got: map[string]int{}}
	st, err := f.svc.FlushOutbox(f.ctx, m, tickets.RetryPolicy{})
	if err != nil || st.Sent != 1 {
		t.Fatalf("the next sender sent %d (%v), want 1: the mail not noted", st.Sent, err)
	}
	if m.got[items[0].Message.MessageID] != 0 || m.got[items[1].Message.MessageID] != 1 {
		t.Errorf("the next sender sent %v; want only %s", m.got, items[1].Message.MessageID)
	}
	sent, err := f.store.Outbox(f.ctx, tickets.OutboxFilter{Status: tickets.OutboxSent})
	if err != nil || len(sent) != 2 {
		t.Errorf("%d recorded as sent (%v), want 2", len(sent), err)
	}
	left, err := f.store.DeliveryNotes().NotedDeliveries(f.ctx, f.now.Add(time.Hour))
	if err != nil || len(left) != 0 {
		t.Errorf("notes left: %v (%v)", left, err)
	}
}

// Only the notes a claim would otherwise send again come back: not those
// of a sender whose lease still runs, nor those of mails recorded since.
func TestDeliveryNotesComeBackOnlyForMailsAClaimWouldTakeAgain(t *testing.T) {
	f := newFixture(t)
	f.ingest(customerMail("n1@customer.test", "alice@a.test", "Hello"))
	f.ingest(customerMail("n2@customer.test", "bob@b.test", "Hello"))
	items, err := f.store.ClaimOutbox(f.ctx, f.now, 10, 10*time.Second, "alive")
	if err != nil || len(items) != 2 {
		t.Fatalf("claimed %d (%v), want 2", len(items), err)
	}
	notes := f.store.DeliveryNotes()
	for _, it := range items {
		if err := notes.NoteDelivered(f.ctx, it.ID, f.now); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(at time.Time) []int64 {
		t.Helper()
		noted, err := notes.NotedDeliveries(f.ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, n := range noted {
			out = append(out, n.ID)
		}
		return out
	}
	if got := ids(f.now.Add(5 * time.Second)); len(got) != 0 {
		t.Errorf("while the lease runs: %v, want none", got)
	}
	if got := ids(f.now.Add(11 * time.Second)); len(got) != 2 {
		t.Errorf("once the lease ran out: %v, want both", got)
	}
	if err := f.store.InTx(f.ctx, func(tx tickets.Tx) error { return tx.OutboxSent(f.ctx, items[0].ID, f.now) }); err != nil {
		t.Fatal(err)
	}
	if got := ids(f.now.Add(11 * time.Second)); len(got) != 1 || got[0] != items[1].ID {
		t.Errorf("with the first recorded: %v, want [%d]", got, items[1].ID)
	}
}
