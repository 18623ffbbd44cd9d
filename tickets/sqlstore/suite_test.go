package sqlstore

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"helpdesk/tickets"
	"helpdesk/tickets/triage"
)

// The store suite: every method of the store, on each driver, as the
// domain uses it. Times are whole microseconds, which both keep exactly.

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 123456000, time.UTC)

// inTx runs fn in a write transaction and fails the test on an error.
func inTx(t *testing.T, s *Store, fn func(ctx context.Context, tx tickets.Tx) error) {
	t.Helper()
	ctx := context.Background()
	if err := s.InTx(ctx, func(tx tickets.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

func newTicket(requester string, at time.Time) *tickets.Ticket {
	return &tickets.Ticket{Subject: "Printer on fire", Status: tickets.StatusNew, Priority: "P2", Queue: "general",
		Mailbox: "support", Requester: tickets.Address{Name: "Alice", Email: requester}, Tags: []string{"zeta", "Alpha", "beta"},
		CreatedAt: at, UpdatedAt: at}
}

func inbound(ticketID int64, key string, at time.Time) *tickets.Message {
	return &tickets.Message{TicketID: ticketID, Direction: tickets.In, Kind: tickets.KindCustomer, Mailbox: "support",
		Key: key, MessageID: key, InReplyTo: "<parent@x.test>", References: []string{"<a@x.test>", "<b@x.test>"},
		From: tickets.Address{Name: "Alice", Email: "alice@a.test"}, To: []tickets.Address{{Email: "support@x.test"}},
		Cc: []tickets.Address{{Name: "Bob", Email: "bob@b.test"}}, ReplyTo: &tickets.Address{Email: "alice+r@a.test"},
		Subject: "Printer on fire", Text: "It burns. ünïcödé ✓", HTML: "<p>It burns.</p>", Source: "192.0.2.1",
		CreatedAt: at, Attachments: []tickets.Attachment{{Filename: "fire.jpg", ContentType: "image/jpeg", Data: []byte{0, 1, 2, 0xff}}}}
}

func outbound(ticketID int64, key, to string, at time.Time) *tickets.Message {
	return &tickets.Message{TicketID: ticketID, Direction: tickets.Out, Kind: tickets.KindAcknowledgement, Mailbox: "support",
		Key: key, MessageID: key, From: tickets.Address{Email: "support@x.test"}, To: []tickets.Address{{Email: to}},
		Subject: "[HD#1000] Printer on fire", Text: "We got it.", Headers: map[string]string{"Auto-Submitted": "auto-replied"},
		RateDomain: "b.test", CreatedAt: at}
}

func TestStoreKeepsTicketsMessagesEventsAndParticipants(t *testing.T) {
	onEachDriver(t, testStoreKeepsTicketsMessagesEventsAndParticipants)
}

func testStoreKeepsTicketsMessagesEventsAndParticipants(t *testing.T, db testDB) {
	ctx := context.Background()
	s := db.open(t)
	verified := true
	var first, second *tickets.Ticket
	var in *tickets.Message
	inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
		first = newTicket("alice@a.test", t0)
		first.SenderVerified = &verified
		if err := tx.CreateTicket(ctx, first, 1000); err != nil {
			return err
		}
		second = newTicket("carol@c.test", t0.Add(time.Minute))
		if err := tx.CreateTicket(ctx, second, 1000); err != nil {
			return err
		}
		in = inbound(first.ID, "<m1@a.test>", t0)
		if err := tx.InsertMessage(ctx, in, []byte("raw mail\r\n")); err != nil {
			return err
		}
		for _, p := range []tickets.Participant{{Address: tickets.Address{Email: "Zed@Z.test "}, Role: "cc"},
			{Address: tickets.Address{Name: "Alice", Email: "alice@a.test"}, Role: "requester"},
			{Address: tickets.Address{Email: "bob@b.test"}, Role: "cc"}} {
			if added, err := tx.AddParticipant(ctx, first.ID, p); err != nil || !added {
				t.Errorf("adding %v: %v, %v", p, added, err)
			}
		}
		if added, err := tx.AddParticipant(ctx, first.ID, tickets.Participant{Address: tickets.Address{Email: "BOB@b.test"}, Role: "cc"}); err != nil || added {
			t.Errorf("adding a participant twice: added %v, %v", added, err)
		}
		return tx.AddEvent(ctx, &tickets.Event{TicketID: first.ID, Kind: "created", Actor: "alice@a.test", Detail: "by mail", CreatedAt: t0})
	})
	if first.ID != 1000 || second.ID != 1001 {
		t.Errorf("ticket numbers %d, %d; want 1000, 1001", first.ID, second.ID)
	}
	if in.ID == 0 || in.Attachments[0].ID == 0 {
		t.Errorf("ids not set: message %d, attachment %d", in.ID, in.Attachments[0].ID)
	}

	got, err := s.Ticket(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := *first
	want.Tags = []string{"Alpha", "beta", "zeta"} // by code point
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("ticket read back:\n got %+v\nwant %+v", *got, want)
	}
	if _, err := s.Ticket(ctx, 999); !errors.Is(err, tickets.ErrNotFound) {
		t.Errorf("an unknown ticket: %v, want ErrNotFound", err)
	}

	all, err := s.ListTickets(ctx, tickets.TicketFilter{})
	if err != nil || len(all) != 2 || all[0].ID != 1000 || !slices.Equal(all[0].Tags, want.Tags) {
		t.Errorf("ListTickets = %+v, %v", all, err)
	}
	if l, _ := s.ListTickets(ctx, tickets.TicketFilter{Status: tickets.StatusNew, Queue: "general", Limit: 1}); len(l) != 1 || l[0].ID != 1000 {
		t.Errorf("ListTickets with filter and limit = %+v", l)
	}
	if l, _ := s.ListTickets(ctx, tickets.TicketFilter{Status: tickets.StatusClosed}); len(l) != 0 {
		t.Errorf("ListTickets of closed ones = %+v", l)
	}

	msgs, err := s.Messages(ctx, first.ID)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages = %+v, %v", msgs, err)
	}
	wantMsg := *in
	wantMsg.Attachments = []tickets.Attachment{{ID: in.Attachments[0].ID, Filename: "fire.jpg", ContentType: "image/jpeg", Size: 4}}
	if !reflect.DeepEqual(msgs[0], wantMsg) {
		t.Errorf("message read back:\n got %+v\nwant %+v", msgs[0], wantMsg)
	}

	ps, err := s.Participants(ctx, first.ID)
	wantPs := []tickets.Participant{{Address: tickets.Address{Name: "Alice", Email: "alice@a.test"}, Role: "requester"},
		{Address: tickets.Address{Email: "bob@b.test"}, Role: "cc"}, {Address: tickets.Address{Email: "zed@z.test"}, Role: "cc"}}
	if err != nil || !reflect.DeepEqual(ps, wantPs) {
		t.Errorf("participants = %+v, %v; want %+v", ps, err, wantPs)
	}
	evs, err := s.Events(ctx, first.ID)
	if err != nil || len(evs) != 1 || evs[0].ID == 0 || evs[0].Detail != "by mail" || !evs[0].CreatedAt.Equal(t0) {
		t.Errorf("events = %+v, %v", evs, err)
	}

	// Within a transaction: lookups, an update, a duplicate that leaves
	// the transaction usable, and moving messages.
	inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
		if m, err := tx.MessageByKey(ctx, "<m1@a.test>"); err != nil || m.ID != in.ID || m.Text != in.Text {
			t.Errorf("MessageByKey = %+v, %v", m, err)
		}
		if _, err := tx.MessageByKey(ctx, "<none@a.test>"); !errors.Is(err, tickets.ErrNotFound) {
			t.Errorf("MessageByKey of an unknown key: %v", err)
		}
		if tk, err := tx.TicketByMessageIDs(ctx, []string{"<x@y>", "<m1@a.test>"}); err != nil || tk.ID != first.ID {
			t.Errorf("TicketByMessageIDs = %+v, %v", tk, err)
		}
		if _, err := tx.TicketByMessageIDs(ctx, []string{"<x@y>"}); !errors.Is(err, tickets.ErrNotFound) {
			t.Errorf("TicketByMessageIDs of unknown ids: %v", err)
		}
		if ok, err := tx.IsParticipant(ctx, first.ID, " BOB@b.test"); err != nil || !ok {
			t.Errorf("IsParticipant(bob) = %v, %v", ok, err)
		}
		if ok, _ := tx.IsParticipant(ctx, second.ID, "bob@b.test"); ok {
			t.Error("bob is a participant of the second ticket")
		}
		if err := tx.InsertMessage(ctx, inbound(second.ID, "<m1@a.test>", t0), nil); !errors.Is(err, tickets.ErrDuplicate) {
			t.Errorf("the same key again: %v, want ErrDuplicate", err)
		}
		second.Status, second.Assignee, second.Tags = tickets.StatusResolved, "agent@x.test", []string{"done"}
		second.ResolvedAt, second.UpdatedAt = t0.Add(time.Hour), t0.Add(time.Hour)
		if err := tx.UpdateTicket(ctx, second); err != nil {
			return err
		}
		if err := tx.UpdateTicket(ctx, &tickets.Ticket{ID: 5000, CreatedAt: t0, UpdatedAt: t0}); !errors.Is(err, tickets.ErrNotFound) {
			t.Errorf("updating an unknown ticket: %v", err)
		}
		return tx.MoveMessages(ctx, first.ID, second.ID)
	})
	if got, _ := s.Ticket(ctx, second.ID); got.Status != tickets.StatusResolved || !got.ResolvedAt.Equal(t0.Add(time.Hour)) ||
		got.Assignee != "agent@x.test" || !slices.Equal(got.Tags, []string{"done"}) || got.SenderVerified != nil {
		t.Errorf("updated ticket = %+v", got)
	}
	if msgs, _ := s.Messages(ctx, second.ID); len(msgs) != 1 || msgs[0].ID != in.ID {
		t.Errorf("after the move the second ticket has %+v", msgs)
	}

	// A failing transaction leaves nothing.
	boom := errors.New("boom")
	err = s.InTx(ctx, func(tx tickets.Tx) error {
		if err := tx.CreateTicket(ctx, newTicket("dave@d.test", t0), 1000); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("InTx returned %v, want the function's error", err)
	}
	if l, _ := s.ListTickets(ctx, tickets.TicketFilter{}); len(l) != 2 {
		t.Errorf("%d tickets after a rolled back transaction, want 2", len(l))
	}
}

func TestTicketNumbersNeverGoBelowTheFirstNumber(t *testing.T) {
	onEachDriver(t, testTicketNumbersNeverGoBelowTheFirstNumber)
}

func testTicketNumbersNeverGoBelowTheFirstNumber(t *testing.T, db testDB) {
	s := db.open(t)
	var ids []int64
	for _, first := range []int64{1, 1, 500, 10, 500} {
		inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
			tk := newTicket("a@a.test", t0)
			err := tx.CreateTicket(ctx, tk, first)
			ids = append(ids, tk.ID)
			return err
		})
	}
	if want := []int64{1, 2, 500, 501, 502}; !slices.Equal(ids, want) {
		t.Errorf("ticket numbers %v, want %v", ids, want)
	}
}

// The tickets of one transaction take consecutive numbers, the first
// number raised meanwhile moves them up, and a number another writer took
// meanwhile is skipped; on SQLite a ticket after the transaction's first
// takes its number without asking.
func TestTicketsOfOneTransactionTakeConsecutiveNumbers(t *testing.T) {
	onEachDriver(t, testTicketsOfOneTransactionTakeConsecutiveNumbers)
}

func testTicketsOfOneTransactionTakeConsecutiveNumbers(t *testing.T, db testDB) {
	s := db.open(t)
	var ids []int64
	create := func(ctx context.Context, tx tickets.Tx, first int64) error {
		tk := newTicket("a@a.test", t0)
		err := tx.CreateTicket(ctx, tk, first)
		ids = append(ids, tk.ID)
		return err
	}
	inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
		for _, first := range []int64{1000, 1000, 2000, 1000} {
			if err := create(ctx, tx, first); err != nil {
				return err
			}
			if q := tx.(*queries); db.driver == "sqlite" && q.nextTicketID != ids[len(ids)-1]+1 {
				t.Errorf("after ticket %d the next number is %d, want it known", ids[len(ids)-1], q.nextTicketID)
			}
		}
		// Another writer takes the next number (on PostgreSQL, a daemon
		// moving the sequence up to the first number at the same time).
		q := tx.(*queries)
		taken := newTicket("b@b.test", t0)
		taken.ID = ids[len(ids)-1] + 1
		var id int64
		if err := q.namedGet(ctx, &id, "insert-ticket", toTicketRow(taken), false); err != nil {
			return err
		}
		return create(ctx, tx, 1000)
	})
	if want := []int64{1000, 1001, 2000, 2001, 2003}; !slices.Equal(ids, want) {
		t.Errorf("ticket numbers %v, want %v", ids, want)
	}
	inTx(t, s, func(ctx context.Context, tx tickets.Tx) error { return create(ctx, tx, 1000) })
	if got := ids[len(ids)-1]; got != 2004 {
		t.Errorf("the next transaction's ticket is %d, want 2004", got)
	}
}

// Writers in several processes (daemons on several hosts) create tickets
// at once: every ticket gets a number of its own.
func TestTicketNumbersFromSeveralStoresAtOnceAreUnique(t *testing.T) {
	onEachDriver(t, testTicketNumbersFromSeveralStoresAtOnceAreUnique)
}

func testTicketNumbersFromSeveralStoresAtOnceAreUnique(t *testing.T, db testDB) {
	const writers, each = 4, 10
	stores := make([]*Store, writers)
	for i := range stores {
		stores[i] = db.open(t)
	}
	errs := make(chan error, writers)
	for _, s := range stores {
		go func() {
			for range each {
				err := s.InTx(context.Background(), func(tx tickets.Tx) error {
					return tx.CreateTicket(context.Background(), newTicket("a@a.test", t0), 1000)
				})
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	l, err := stores[0].ListTickets(context.Background(), tickets.TicketFilter{})
	if err != nil || len(l) != writers*each {
		t.Fatalf("%d tickets (%v), want %d", len(l), err, writers*each)
	}
	if l[0].ID != 1000 {
		t.Errorf("the first ticket is %d, want 1000", l[0].ID)
	}
}

// A notice rendered to be sent is recorded sent with its text, unless it
// got a text meanwhile: whoever renders it first wins.
func TestANoticeRenderedForSendingIsRecordedWithItsText(t *testing.T) {
	onEachDriver(t, testANoticeRenderedForSendingIsRecordedWithItsText)
}

func testANoticeRenderedForSendingIsRecordedWithItsText(t *testing.T, db testDB) {
	s := db.open(t)
	var tk *tickets.Ticket
	var ids []int64
	inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
		tk = newTicket("bob@b.test", t0)
		if err := tx.CreateTicket(ctx, tk, 1000); err != nil {
			return err
		}
		for _, key := range []string{"<n1@x.test>", "<n2@x.test>"} {
			m := outbound(tk.ID, key, "bob@b.test", t0)
			m.Subject, m.Text = "", ""
			if err := tx.InsertMessage(ctx, m, nil); err != nil {
				return err
			}
			id, err := tx.EnqueueNotice(ctx, m.ID, tk.ID, t0, tickets.NoticeRef{Template: "ack"})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		// The second was rendered and stored meanwhile.
		return tx.SaveRendered(ctx, ids[1], tickets.Composed{Subject: "first", Text: "rendered first"})
	})
	inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
		for _, id := range ids {
			if err := tx.OutboxSentRendered(ctx, id, tickets.Composed{Subject: "sent", Text: "as sent", HTML: "<p>as sent</p>"}, t0.Add(time.Minute)); err != nil {
				return err
			}
		}
		return nil
	})
	items, err := s.Outbox(context.Background(), tickets.OutboxFilter{TicketID: tk.ID})
	if err != nil || len(items) != 2 {
		t.Fatalf("outbox = %d items, %v", len(items), err)
	}
	want := map[int64][3]string{ids[0]: {"sent", "as sent", "<p>as sent</p>"}, ids[1]: {"first", "rendered first", ""}}
	for _, it := range items {
		m := it.Message
		if it.Status != tickets.OutboxSent || !it.SentAt.Equal(t0.Add(time.Minute)) || it.Notice != nil ||
			[3]string{m.Subject, m.Text, m.HTML} != want[it.ID] {
			t.Errorf("item %d = status %s at %v, notice %+v, text %q %q %q; want sent with %q", it.ID, it.Status, it.SentAt, it.Notice,
				m.Subject, m.Text, m.HTML, want[it.ID])
		}
	}
}

func TestStoreKeepsTheOutboxAndItsResults(t *testing.T) {
	onEachDriver(t, testStoreKeepsTheOutboxAndItsResults)
}

func testStoreKeepsTheOutboxAndItsResults(t *testing.T, db testDB) {
	ctx := context.Background()
	s := db.open(t)
	if next, err := s.OutboxNextDue(ctx); err != nil || !next.IsZero() {
		t.Errorf("next due of an empty outbox = %v, %v", next, err)
	}
	var tk *tickets.Ticket
	var msgs []*tickets.Message
	inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
		tk = newTicket("bob@b.test", t0)
		if err := tx.CreateTicket(ctx, tk, 1000); err != nil {
			return err
		}
		for i, key := range []string{"<o1@x.test>", "<o2@x.test>", "<o3@x.test>"} {
			m := outbound(tk.ID, key, "Bob@B.test", t0)
			if err := tx.InsertMessage(ctx, m, nil); err != nil {
				return err
			}
			msgs = append(msgs, m)
			if err := tx.EnqueueMail(ctx, m.ID, tk.ID, t0.Add(time.Duration(i)*time.Minute)); err != nil {
				return err
			}
		}
		return nil
	})
	if next, err := s.OutboxNextDue(ctx); err != nil || !next.Equal(t0) {
		t.Errorf("next due = %v, %v; want %v", next, err, t0)
	}
	items, err := s.ClaimOutbox(ctx, t0.Add(time.Minute), 10, time.Minute, "a")
	if err != nil || len(items) != 2 {
		t.Fatalf("claimed %d items (%v), want the 2 due", len(items), err)
	}
	it := items[0]
	if it.TicketID != tk.ID || it.Status != tickets.OutboxQueued || it.Attempts != 1 || !it.NextAttemptAt.Equal(t0) ||
		!it.CreatedAt.Equal(t0) || it.Message.ID != msgs[0].ID || it.Message.Headers["Auto-Submitted"] != "auto-replied" ||
		it.Message.To[0].Email != "Bob@B.test" || it.Message.RateDomain != "b.test" {
		t.Errorf("claimed item = %+v", it)
	}
	inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
		if err := tx.OutboxSent(ctx, items[0].ID, t0.Add(2*time.Minute)); err != nil {
			return err
		}
		return tx.OutboxRetry(ctx, items[1].ID, t0.Add(time.Hour), "451 try later")
	})
	all, err := s.Outbox(ctx, tickets.OutboxFilter{TicketID: tk.ID})
	if err != nil || len(all) != 3 {
		t.Fatalf("outbox of the ticket = %d items, %v", len(all), err)
	}
	third := slices.IndexFunc(all, func(it tickets.OutboxItem) bool { return it.Message.ID == msgs[2].ID })
	inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
		return tx.OutboxFailed(ctx, all[third].ID, t0.Add(3*time.Minute), "550 no such user")
	})
	sent, _ := s.Outbox(ctx, tickets.OutboxFilter{Status: tickets.OutboxSent})
	if len(sent) != 1 || !sent[0].SentAt.Equal(t0.Add(2*time.Minute)) || sent[0].LastError != "" {
		t.Errorf("sent items = %+v", sent)
	}
	queued, _ := s.Outbox(ctx, tickets.OutboxFilter{Status: tickets.OutboxQueued})
	if len(queued) != 1 || queued[0].LastError != "451 try later" || !queued[0].NextAttemptAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("queued items = %+v", queued)
	}
	failed, _ := s.Outbox(ctx, tickets.OutboxFilter{Status: tickets.OutboxFailed})
	if len(failed) != 1 || failed[0].LastError != "550 no such user" {
		t.Errorf("failed items = %+v", failed)
	}
	if next, err := s.OutboxNextDue(ctx); err != nil || !next.Equal(t0.Add(time.Hour)) {
		t.Errorf("next due = %v, %v; want the retry at %v", next, err, t0.Add(time.Hour))
	}

	// Rate limits count automatic mail by normalised recipient, domain and source.
	inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
		for _, c := range []struct {
			name string
			q    tickets.AutoMailQuery
			n    func(tickets.AutoMailState) int
			want int
		}{
			{"address", tickets.AutoMailQuery{Key: tickets.NormalizeAddress("bob@b.test")}, func(s tickets.AutoMailState) int { return s.ToKey }, 3},
			{"domain", tickets.AutoMailQuery{Domain: "b.test"}, func(s tickets.AutoMailState) int { return s.ToDomain }, 3},
			{"source", tickets.AutoMailQuery{Source: "192.0.2.1"}, func(s tickets.AutoMailState) int { return s.FromSource }, 0},
		} {
			c.q.Since = t0.Add(-time.Minute)
			if st, err := tx.AutoMailState(ctx, "bob@b.test", c.q); err != nil || c.n(st) != c.want {
				t.Errorf("automatic mail by %s = %d, %v; want %d", c.name, c.n(st), err, c.want)
			}
			c.q.Since = t0.Add(time.Minute)
			if st, _ := tx.AutoMailState(ctx, "bob@b.test", c.q); c.n(st) != 0 {
				t.Errorf("automatic mail by %s since later = %d, want 0", c.name, c.n(st))
			}
		}
		// All at once, and a count not asked for is 0.
		all := tickets.AutoMailQuery{Key: tickets.NormalizeAddress("bob@b.test"), Domain: "b.test", Since: t0.Add(-time.Minute)}
		if st, err := tx.AutoMailState(ctx, "bob@b.test", all); err != nil || st.ToKey != 3 || st.ToDomain != 3 || st.FromSource != 0 {
			t.Errorf("automatic mail by address and domain = %+v, %v; want 3 and 3", st, err)
		}
		if st, err := tx.AutoMailState(ctx, "bob@b.test", tickets.AutoMailQuery{Since: t0.Add(-time.Minute)}); err != nil ||
			st != (tickets.AutoMailState{}) {
			t.Errorf("nothing asked for = %+v, %v; want nothing", st, err)
		}
		return nil
	})
}

func TestStoreKeepsQuarantineMailboxesBouncesAndFingerprints(t *testing.T) {
	onEachDriver(t, testStoreKeepsQuarantineMailboxesBouncesAndFingerprints)
}

func testStoreKeepsQuarantineMailboxesBouncesAndFingerprints(t *testing.T, db testDB) {
	ctx := context.Background()
	s := db.open(t)

	raw := []byte("Subject: \xff\x00broken\r\n\r\nbody")
	q := &tickets.Quarantined{Mailbox: "support", Reason: "no sender", Raw: raw, Truncated: true, CreatedAt: t0}
	if err := s.Quarantine(ctx, q); err != nil || q.ID == 0 || q.Again {
		t.Fatalf("quarantine = %+v, %v", q, err)
	}
	again := &tickets.Quarantined{Mailbox: "support", Reason: "no sender", Raw: raw, CreatedAt: t0.Add(time.Hour)}
	if err := s.Quarantine(ctx, again); err != nil || !again.Again || again.ID != q.ID || !again.CreatedAt.Equal(t0) {
		t.Errorf("the same bytes again = %+v, %v; want the first row", again, err)
	}
	got, err := s.QuarantineGet(ctx, q.ID)
	if err != nil || string(got.Raw) != string(raw) || got.Size != int64(len(raw)) || !got.Truncated || got.Reason != "no sender" {
		t.Errorf("QuarantineGet = %+v, %v", got, err)
	}
	if _, err := s.QuarantineGet(ctx, 999); !errors.Is(err, tickets.ErrNotFound) {
		t.Errorf("an unknown quarantine id: %v", err)
	}
	var tk *tickets.Ticket
	inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
		tk = newTicket("alice@a.test", t0)
		if err := tx.CreateTicket(ctx, tk, 1000); err != nil {
			return err
		}
		if err := tx.QuarantineReleased(ctx, 999, tk.ID, t0); !errors.Is(err, tickets.ErrNotFound) {
			t.Errorf("releasing an unknown id: %v", err)
		}
		return tx.QuarantineReleased(ctx, q.ID, tk.ID, t0.Add(time.Minute))
	})
	list, err := s.QuarantineList(ctx)
	if err != nil || len(list) != 1 || list[0].TicketID != tk.ID || !list[0].ReleasedAt.Equal(t0.Add(time.Minute)) || list[0].Raw != nil {
		t.Errorf("QuarantineList = %+v, %v", list, err)
	}
	// Released, the same bytes are held anew.
	third := &tickets.Quarantined{Mailbox: "support", Reason: "again", Raw: raw, CreatedAt: t0}
	if err := s.Quarantine(ctx, third); err != nil || third.Again || third.ID == q.ID {
		t.Errorf("the same bytes after release = %+v, %v; want a new row", third, err)
	}

	if v, last, err := s.MailboxCursors().LoadState(ctx, "support"); err != nil || v != 0 || last != 0 {
		t.Errorf("state of a new mailbox = %d, %d, %v", v, last, err)
	}
	for _, st := range [][2]uint32{{7, 42}, {4294967295, 4294967295}} {
		if err := s.MailboxCursors().SaveState(ctx, "support", st[0], st[1]); err != nil {
			t.Fatal(err)
		}
		if v, last, err := s.MailboxCursors().LoadState(ctx, "support"); err != nil || v != st[0] || last != st[1] {
			t.Errorf("state = %d, %d, %v; want %v", v, last, err, st)
		}
	}

	inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
		since := tickets.AutoMailQuery{Since: t0}
		if st, err := tx.AutoMailState(ctx, "bob@b.test", since); err != nil || !st.BouncingUntil.IsZero() || st.BounceReason != "" {
			t.Errorf("an address never bounced: %v, %q, %v", st.BouncingUntil, st.BounceReason, err)
		}
		for _, until := range []time.Time{t0.Add(time.Hour), t0.Add(2 * time.Hour)} {
			if err := tx.MarkBouncing(ctx, "Bob@B.test", until, "550 gone", t0); err != nil {
				return err
			}
		}
		if st, err := tx.AutoMailState(ctx, "bob@b.test", since); err != nil || !st.BouncingUntil.Equal(t0.Add(2*time.Hour)) || st.BounceReason != "550 gone" {
			t.Errorf("bouncing = %v, %q, %v", st.BouncingUntil, st.BounceReason, err)
		}

		for _, c := range []struct {
			since      time.Time
			anySince   bool
			email      string
			wantTicket int
		}{
			{t0.Add(-time.Hour), true, "Alice@a.test", 1},
			{t0, true, "alice@a.test", 1},
			{t0.Add(time.Second), false, "alice@a.test", 1},
			{t0.Add(-time.Hour), false, "bob@b.test", 0},
		} {
			if n, anySince, err := tx.OpenTickets(ctx, c.email, c.since); err != nil || n != c.wantTicket || anySince != c.anySince {
				t.Errorf("open tickets of %s since %v = %d, %v, %v; want %d, %v", c.email, c.since, n, anySince, err, c.wantTicket, c.anySince)
			}
		}
		// A ticket without a fingerprint comes whatever its subject.
		if c, err := tx.DuplicateCandidates(ctx, "alice@a.test", t0.Add(-time.Hour), "alice@a.test", "other", 20); err != nil ||
			len(c) != 1 || c[0].TicketID != tk.ID || c[0].MessageID != 0 || c[0].Sketch == nil && len(c[0].Sketch) != 0 {
			t.Errorf("candidates without fingerprints = %+v, %v", c, err)
		}
		m := inbound(tk.ID, "<fp@a.test>", t0)
		if err := tx.InsertMessage(ctx, m, nil); err != nil {
			return err
		}
		fp := tickets.MailFingerprint{TicketID: tk.ID, MessageID: m.ID, Fingerprint: triage.Fingerprint{
			From: "alice@a.test", Subject: "printer on fire", TextHash: "abc", Shingles: 12, Text: "it burns",
			Sketch: []uint64{1, 1 << 63, 42}}}
		for range 2 { // the second time changes nothing
			if err := tx.SaveFingerprint(ctx, fp); err != nil {
				return err
			}
		}
		c, err := tx.DuplicateCandidates(ctx, "alice@a.test", t0.Add(-time.Hour), "alice@a.test", "printer on fire", 20)
		if err != nil || len(c) != 1 || !reflect.DeepEqual(c[0], fp) {
			t.Errorf("candidates = %+v, %v; want %+v", c, err, fp)
		}
		if c, _ := tx.DuplicateCandidates(ctx, "alice@a.test", t0.Add(-time.Hour), "alice@a.test", "other", 20); len(c) != 0 {
			t.Errorf("candidates of another subject = %+v", c)
		}
		if c, _ := tx.DuplicateCandidates(ctx, "alice@a.test", t0.Add(time.Hour), "alice@a.test", "printer on fire", 20); len(c) != 0 {
			t.Errorf("candidates since later = %+v", c)
		}
		first, err := tx.FirstInboundMessage(ctx, tk.ID, 3)
		if err != nil || first.ID != m.ID || first.Text != "It " || first.From.Email != "alice@a.test" || !first.CreatedAt.Equal(t0) {
			t.Errorf("FirstInboundMessage = %+v, %v", first, err)
		}
		if _, err := tx.FirstInboundMessage(ctx, 999, 3); !errors.Is(err, tickets.ErrNotFound) {
			t.Errorf("FirstInboundMessage of an unknown ticket: %v", err)
		}
		return nil
	})
}
