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
