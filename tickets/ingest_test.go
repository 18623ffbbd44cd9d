package tickets_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"helpdesk/tickets"
	"helpdesk/tickets/sqlstore"
)

// plainComposer renders notices as fixed text; the real templates are
// tested in package templates and end to end in package desk.
type plainComposer struct{}

func (plainComposer) Compose(_ context.Context, n tickets.Notice) (tickets.Composed, error) {
	return tickets.Composed{Subject: n.Ticket.Subject, Text: n.Template + " for " + n.To.Email}, nil
}

type fixture struct {
	t     *testing.T
	ctx   context.Context
	store *sqlstore.Store
	svc   *tickets.Service
	now   time.Time
}

func newFixture(t *testing.T) *fixture {
	return newFixtureComposing(t, func(string) tickets.Composer { return plainComposer{} })
}

// newFixtureComposing is newFixture with the Composer composer makes,
// given the database file.
func newFixtureComposing(t *testing.T, composer func(dbPath string) tickets.Composer) *fixture {
	t.Helper()
	return newFixtureWith(t, composer, func(*tickets.Options) {})
}

// newFixtureWith is newFixtureComposing with the options edit changes.
func newFixtureWith(t *testing.T, composer func(dbPath string) tickets.Composer, edit func(*tickets.Options)) *fixture {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hd.db")
	store, err := sqlstore.Open(ctx, sqlstore.Options{DSN: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f := &fixture{t: t, ctx: ctx, store: store, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	opts := tickets.Options{
		Store:    store,
		Composer: composer(path),
		Secret:   []byte("a test secret of enough length"),
		From:     tickets.Address{Name: "Example Support", Email: "support@example.com"},
		Mailboxes: map[string]tickets.MailboxInfo{
			"support": {Address: "support@example.com", Queue: "general"},
			"sales":   {Address: "sales@example.com", Queue: "sales"},
		},
		Now: func() time.Time { return f.now },
	}
	edit(&opts)
	f.svc, err = tickets.NewService(opts)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) ingest(in *tickets.Inbound) tickets.Result {
	f.t.Helper()
	if in.Mailbox == "" {
		in.Mailbox = "support"
	}
	if len(in.To) == 0 {
		in.To = []tickets.Address{{Email: "support@example.com"}}
	}
	res, err := f.svc.Ingest(f.ctx, in)
	if err != nil {
		f.t.Fatalf("ingest %s: %v", in.MessageID, err)
	}
	f.now = f.now.Add(time.Minute)
	return res
}

func (f *fixture) ticket(id int64) *tickets.Ticket {
	f.t.Helper()
	t, err := f.store.Ticket(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return t
}

func (f *fixture) queued(ticketID int64) []tickets.OutboxItem {
	f.t.Helper()
	items, err := f.store.Outbox(f.ctx, tickets.OutboxFilter{TicketID: ticketID})
	if err != nil {
		f.t.Fatal(err)
	}
	return items
}

func (f *fixture) setStatus(id int64, s tickets.Status) {
	f.t.Helper()
	err := f.store.InTx(f.ctx, func(tx tickets.Tx) error {
		t, err := tx.Ticket(f.ctx, id)
		if err != nil {
			return err
		}
		t.Status = s
		if s == tickets.StatusClosed {
			t.ClosedAt = f.now
		}
		return tx.UpdateTicket(f.ctx, t)
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

func customerMail(id, from, subject string) *tickets.Inbound {
	return &tickets.Inbound{
		MessageID: id,
		From:      tickets.Address{Name: "Customer", Email: from},
		Subject:   subject,
		Text:      "Hello, something is broken.",
		Raw:       []byte("Message-ID: <" + id + ">\r\n\r\nHello"),
	}
}

func TestNewMailOpensTicketAndQueuesAcknowledgement(t *testing.T) {
	f := newFixture(t)
	in := customerMail("a1@customer.test", "alice@customer.test", "Printer on fire")
	in.Cc = []tickets.Address{{Name: "Bob", Email: "Bob@Customer.test"}, {Email: "support@example.com"}}
	res := f.ingest(in)
	if !res.Created || res.Ref != "HD#1000" {
		t.Fatalf("result = %+v, want a new ticket HD#1000", res)
	}
	tk := f.ticket(res.TicketID)
	if tk.Status != tickets.StatusNew || tk.Priority != "P3" || tk.Queue != "general" || tk.Requester.Email != "alice@customer.test" || tk.Subject != "Printer on fire" {
		t.Errorf("ticket = %+v", tk)
	}
	parts, err := f.store.Participants(f.ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 2 || parts[0].Email != "alice@customer.test" || parts[1].Email != "bob@customer.test" {
		t.Errorf("participants = %+v, want alice (requester) and bob (cc), not the desk", parts)
	}
	q := f.queued(tk.ID)
	if len(q) != 1 {
		t.Fatalf("outbox has %d items, want 1 acknowledgement", len(q))
	}
	m := q[0].Message
	if m.Kind != tickets.KindAcknowledgement || m.Subject != "[HD#1000] Printer on fire" || m.To[0].Email != "alice@customer.test" {
		t.Errorf("acknowledgement = %+v", m)
	}
	if m.InReplyTo != "a1@customer.test" || len(m.References) != 1 || m.References[0] != "a1@customer.test" {
		t.Errorf("acknowledgement threading: In-Reply-To %q References %q", m.InReplyTo, m.References)
	}
	if m.Headers["Auto-Submitted"] != "auto-replied" || m.Headers["X-Auto-Response-Suppress"] != "All" || m.Headers["X-Helpdesk-Loop"] == "" {
		t.Errorf("acknowledgement headers = %v", m.Headers)
	}
	if !strings.HasSuffix(m.MessageID, "@example.com") || !strings.HasPrefix(m.ReplyTo.Email, "support+1000-") {
		t.Errorf("Message-ID %q, Reply-To %q: want our domain and a token address", m.MessageID, m.ReplyTo.Email)
	}
}

func TestRepliesThread(t *testing.T) {
	tests := []struct {
		name     string
		reply    func(ack tickets.Message) *tickets.Inbound
		threaded string
	}{
		{"reply with In-Reply-To to the acknowledgement threads by its token", func(ack tickets.Message) *tickets.Inbound {
			in := customerMail("r1@customer.test", "alice@customer.test", "Re: Printer on fire")
			in.InReplyTo = []string{ack.MessageID}
			return in
		}, "token"},
		{"reply to the Reply-To token address threads by token", func(ack tickets.Message) *tickets.Inbound {
			in := customerMail("r2@customer.test", "alice@customer.test", "no tag here")
			in.To = []tickets.Address{{Email: ack.ReplyTo.Email}}
			return in
		}, "token"},
		{"reply referencing the customer's own first mail threads by message-id", func(ack tickets.Message) *tickets.Inbound {
			in := customerMail("r3@customer.test", "alice@customer.test", "one more thing")
			in.References = []string{"unknown@elsewhere.test", "a1@customer.test"}
			return in
		}, "message-id"},
		{"subject tag from the requester threads by tag", func(ack tickets.Message) *tickets.Inbound {
			return customerMail("r4@customer.test", "ALICE@customer.test", "Re: [HD#1000] Printer on fire")
		}, "subject-tag"},
		{"subject tag from a CC threads by tag", func(ack tickets.Message) *tickets.Inbound {
			return customerMail("r5@customer.test", "bob@customer.test", "[hd#1000] me too")
		}, "subject-tag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			first := customerMail("a1@customer.test", "alice@customer.test", "Printer on fire")
			first.Cc = []tickets.Address{{Email: "bob@customer.test"}}
			res := f.ingest(first)
			ack := f.queued(res.TicketID)[0].Message
			got := f.ingest(tc.reply(ack))
			if got.Created || got.TicketID != res.TicketID || got.ThreadedBy != tc.threaded {
				t.Fatalf("reply result = %+v, want ticket %d threaded by %s", got, res.TicketID, tc.threaded)
			}
			if n := len(f.queued(res.TicketID)); n != 1 {
				t.Errorf("outbox has %d items after the reply, want only the first acknowledgement", n)
			}
			msgs, _ := f.store.Messages(f.ctx, res.TicketID)
			if len(msgs) != 3 {
				t.Errorf("ticket has %d messages, want mail, acknowledgement, reply", len(msgs))
			}
		})
	}
}

func TestSubjectTagFromStrangerOpensNewTicket(t *testing.T) {
	f := newFixture(t)
	first := f.ingest(customerMail("a1@customer.test", "alice@customer.test", "Printer on fire"))
	res := f.ingest(customerMail("m1@evil.test", "mallory@evil.test", "Re: [HD#1000] Printer on fire"))
	if !res.Created || res.TicketID == first.TicketID {
		t.Fatalf("result = %+v, want a new ticket", res)
	}
	if got := f.ticket(res.TicketID).Subject; got != "Re: Printer on fire" {
		t.Errorf("new ticket subject = %q, want the tag stripped", got)
	}
}

func TestForgedTokenIsIgnored(t *testing.T) {
	f := newFixture(t)
	f.ingest(customerMail("a1@customer.test", "alice@customer.test", "Printer on fire"))
	in := customerMail("m1@evil.test", "mallory@evil.test", "hello")
	in.To = []tickets.Address{{Email: "support+1000-aaaaaaaaaaaa@example.com"}}
	in.InReplyTo = []string{"1000-bbbbbbbbbbbb.x@example.com"}
	if res := f.ingest(in); !res.Created {
		t.Fatalf("result = %+v, want a new ticket: the token is forged", res)
	}
}

func TestSameMailTwiceMakesOneTicket(t *testing.T) {
	tests := []struct {
		name          string
		first, second func() *tickets.Inbound
	}{
		{"the same Message-ID twice", func() *tickets.Inbound {
			return customerMail("same@customer.test", "alice@customer.test", "Hi")
		}, func() *tickets.Inbound { return customerMail("same@customer.test", "alice@customer.test", "Hi") }},
		{"one mail through two mailboxes", func() *tickets.Inbound {
			return customerMail("both@customer.test", "alice@customer.test", "Hi")
		}, func() *tickets.Inbound {
			in := customerMail("both@customer.test", "alice@customer.test", "Hi")
			in.Mailbox = "sales"
			return in
		}},
		{"a mail without Message-ID, twice", func() *tickets.Inbound {
			return &tickets.Inbound{From: tickets.Address{Email: "alice@customer.test"}, Subject: "Hi", Raw: []byte("From: alice@customer.test\r\n\r\nbody\r\n")}
		}, func() *tickets.Inbound {
			return &tickets.Inbound{From: tickets.Address{Email: "alice@customer.test"}, Subject: "Hi", Raw: []byte("From: alice@customer.test\n\nbody\n")}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			a := f.ingest(tc.first())
			b := f.ingest(tc.second())
			if !a.Created || !b.Duplicate || b.TicketID != a.TicketID {
				t.Fatalf("first %+v, second %+v: want one ticket and a duplicate", a, b)
			}
			list, _ := f.store.ListTickets(f.ctx, tickets.TicketFilter{})
			items, _ := f.store.Outbox(f.ctx, tickets.OutboxFilter{})
			if len(list) != 1 || len(items) != 1 {
				t.Errorf("%d tickets and %d outbox items, want 1 and 1", len(list), len(items))
			}
		})
	}
}

func TestCustomerReplyChangesStatus(t *testing.T) {
	tests := []struct {
		name       string
		before     tickets.Status
		wait       time.Duration
		wantStatus tickets.Status
		wantNotice bool
		wantNew    bool
	}{
		{"reply to a pending ticket opens it", tickets.StatusPending, 0, tickets.StatusOpen, false, false},
		{"reply to a resolved ticket reopens it with a notice", tickets.StatusResolved, 0, tickets.StatusOpen, true, false},
		{"reply to a closed ticket within the window reopens it", tickets.StatusClosed, 24 * time.Hour, tickets.StatusOpen, true, false},
		{"reply to a closed ticket after the window opens a linked ticket", tickets.StatusClosed, 15 * 24 * time.Hour, tickets.StatusClosed, false, true},
		{"reply to an open ticket keeps it open", tickets.StatusOpen, 0, tickets.StatusOpen, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			res := f.ingest(customerMail("a1@customer.test", "alice@customer.test", "Printer on fire"))
			f.setStatus(res.TicketID, tc.before)
			f.now = f.now.Add(tc.wait)
			got := f.ingest(customerMail("r1@customer.test", "alice@customer.test", "Re: [HD#1000] Printer on fire"))
			if got.Created != tc.wantNew {
				t.Fatalf("result = %+v, want created=%v", got, tc.wantNew)
			}
			if st := f.ticket(res.TicketID).Status; st != tc.wantStatus {
				t.Errorf("old ticket status = %s, want %s", st, tc.wantStatus)
			}
			notices := 0
			for _, it := range f.queued(res.TicketID) {
				if it.Message.Kind == "reopened" {
					notices++
				}
			}
			if (notices == 1) != tc.wantNotice {
				t.Errorf("%d reopen notices, want notice=%v", notices, tc.wantNotice)
			}
			if tc.wantNew {
				events, _ := f.store.Events(f.ctx, got.TicketID)
				if !hasEvent(events, tickets.EventLinked, "follow-up of HD#1000") {
					t.Errorf("new ticket events %+v lack the link to HD#1000", events)
				}
			}
		})
	}
}

func TestRobotsAreNotAnswered(t *testing.T) {
	tests := []struct {
		name string
		in   *tickets.Inbound
		why  string
	}{
		{"an auto-reply", func() *tickets.Inbound {
			in := customerMail("ooo@customer.test", "alice@customer.test", "Out of office")
			in.AutoReason = "auto-reply: Auto-Submitted: auto-replied"
			return in
		}(), "automatic mail"},
		{"a noreply sender", customerMail("n1@shop.test", "noreply@shop.test", "Your order"), "noreply@"},
		{"the desk's own address", customerMail("own@example.com", "support@example.com", "loop"), "the desk's own"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			res := f.ingest(tc.in)
			if !res.Created {
				t.Fatalf("result = %+v, want a ticket: robots' mail is recorded", res)
			}
			if n := len(f.queued(res.TicketID)); n != 0 {
				t.Errorf("%d mails queued, want none", n)
			}
			events, _ := f.store.Events(f.ctx, res.TicketID)
			if !hasEvent(events, tickets.EventNotAnswered, tc.why) {
				t.Errorf("events %+v lack a not_answered event naming %q", events, tc.why)
			}
		})
	}
}

func TestAutoReplyDoesNotReopenResolvedTicket(t *testing.T) {
	f := newFixture(t)
	res := f.ingest(customerMail("a1@customer.test", "alice@customer.test", "Printer on fire"))
	f.setStatus(res.TicketID, tickets.StatusResolved)
	in := customerMail("ooo@customer.test", "alice@customer.test", "Automatic reply: [HD#1000] Printer on fire")
	in.AutoReason = "auto-reply: Auto-Submitted: auto-replied"
	got := f.ingest(in)
	if got.TicketID != res.TicketID {
		t.Fatalf("auto-reply went to %+v, want ticket %d", got, res.TicketID)
	}
	if st := f.ticket(res.TicketID).Status; st != tickets.StatusResolved {
		t.Errorf("status = %s, want it to stay resolved", st)
	}
}

func TestTicketNumbersAreUniqueAndIncreasing(t *testing.T) {
	f := newFixture(t)
	seen := map[int64]bool{}
	for i := range 20 {
		res := f.ingest(customerMail(fmt.Sprintf("m%d@customer.test", i), fmt.Sprintf("c%d@customer.test", i), "hello"))
		if seen[res.TicketID] || res.TicketID != int64(1000+i) {
			t.Fatalf("mail %d got ticket %d", i, res.TicketID)
		}
		seen[res.TicketID] = true
	}
}

func hasEvent(events []tickets.Event, kind, detail string) bool {
	for _, e := range events {
		if e.Kind == kind && strings.Contains(e.Detail, detail) {
			return true
		}
	}
	return false
}

func TestReusedMessageIDDoesNotLoseTheSecondMail(t *testing.T) {
	f := newFixture(t)
	a := f.ingest(customerMail("reused@shop.test", "orders@shop.test", "Order 1"))
	b := f.ingest(customerMail("reused@shop.test", "orders@shop.test", "Order 2"))
	if !a.Created || !b.Created || a.TicketID == b.TicketID {
		t.Fatalf("two different mails with one Message-ID: %+v / %+v, want two tickets", a, b)
	}
	c := f.ingest(customerMail("reused@shop.test", "orders@shop.test", "Order 2"))
	if !c.Duplicate || c.TicketID != b.TicketID {
		t.Errorf("the second mail again: %+v, want a duplicate of %d", c, b.TicketID)
	}
}

func TestIngestBatchStoresEachMailOnceAndKeepsGoodMailsWhenOneIsBad(t *testing.T) {
	f := newFixture(t)
	a := customerMail("b1@customer.test", "alice@customer.test", "One")
	dup := customerMail("b1@customer.test", "alice@customer.test", "One")
	bad := customerMail("b2@customer.test", "bob@customer.test", "Two")
	bad.Mailbox = "no-such-mailbox"
	c := customerMail("b3@customer.test", "carol@customer.test", "Three")
	for _, in := range []*tickets.Inbound{a, dup, c} {
		in.Mailbox = "support"
	}
	res, errs := f.svc.IngestBatch(f.ctx, []*tickets.Inbound{a, dup, bad, c})
	if errs[0] != nil || errs[1] != nil || errs[2] == nil || errs[3] != nil {
		t.Fatalf("errors = %v, want only the mail for an unknown mailbox refused", errs)
	}
	if !res[0].Created || !res[1].Duplicate || res[1].TicketID != res[0].TicketID || !res[3].Created {
		t.Errorf("results = %+v", res)
	}
	list, _ := f.store.ListTickets(f.ctx, tickets.TicketFilter{})
	if len(list) != 2 {
		t.Errorf("%d tickets, want 2", len(list))
	}
}

func TestReplyToNamesTheRequester(t *testing.T) {
	f := newFixture(t)
	in := customerMail("form@web.test", "webform@shop.test", "Contact form: refund")
	in.ReplyTo = []tickets.Address{{Name: "Dana", Email: "Dana@Customer.test"}}
	res := f.ingest(in)
	tk := f.ticket(res.TicketID)
	if tk.Requester.Email != "dana@customer.test" || tk.Requester.Name != "Dana" {
		t.Errorf("requester = %+v, want the Reply-To address", tk.Requester)
	}
	if q := f.queued(res.TicketID); len(q) != 1 || q[0].Message.To[0].Email != "dana@customer.test" {
		t.Errorf("the acknowledgement went to %+v, want the Reply-To address", q)
	}
	reply := customerMail("form2@web.test", "dana@customer.test", "Re: [HD#1000] Contact form: refund")
	if got := f.ingest(reply); got.TicketID != res.TicketID {
		t.Errorf("the requester's tagged reply went to %+v", got)
	}
}

func TestStrangersCannotSlipIntoATicket(t *testing.T) {
	t.Run("a subject tag with the requester as Reply-To but a stranger as From", func(t *testing.T) {
		f := newFixture(t)
		f.ingest(customerMail("a1@customer.test", "alice@customer.test", "Printer on fire"))
		in := customerMail("m1@evil.test", "mallory@evil.test", "Re: [HD#1000] Printer on fire")
		in.ReplyTo = []tickets.Address{{Email: "alice@customer.test"}}
		if res := f.ingest(in); !res.Created {
			t.Errorf("result = %+v, want a new ticket: Reply-To is the sender's own claim", res)
		}
	})
	t.Run("a reused Message-ID does not take the replies to the original", func(t *testing.T) {
		f := newFixture(t)
		orig := f.ingest(customerMail("orig@customer.test", "alice@customer.test", "Printer on fire"))
		copycat := f.ingest(customerMail("orig@customer.test", "mallory@evil.test", "Something else"))
		if !copycat.Created {
			t.Fatalf("the copycat mail: %+v, want its own ticket", copycat)
		}
		reply := customerMail("r1@customer.test", "bob@customer.test", "Re: Printer on fire")
		reply.InReplyTo = []string{"orig@customer.test"}
		if res := f.ingest(reply); res.TicketID != orig.TicketID {
			t.Errorf("the reply went to %s, want %s", res.Ref, orig.Ref)
		}
	})
}

func TestAMailWithThousandsOfReferencesIsStored(t *testing.T) {
	f := newFixture(t)
	first := f.ingest(customerMail("root@customer.test", "alice@customer.test", "Long thread"))
	in := customerMail("long@customer.test", "alice@customer.test", "Re: Long thread")
	in.References = []string{"root@customer.test"}
	for i := range 40000 {
		in.References = append(in.References, fmt.Sprintf("r%d@elsewhere.test", i))
	}
	if res := f.ingest(in); res.TicketID != first.TicketID {
		t.Errorf("result = %+v, want the reply on %s by its first reference", res, first.Ref)
	}
}

func TestForgedBounceCannotSilenceAnAddress(t *testing.T) {
	f := newFixture(t)
	forged := customerMail("dsn@evil.test", "mailer-daemon@evil.test", "Undelivered Mail Returned to Sender")
	forged.AutoKind, forged.AutoReason = "bounce", "bounce: forged"
	forged.FailedRecipients = []string{"alice@customer.test"}
	forged.BounceOf = []string{"never-sent@example.com"}
	f.ingest(forged)
	res := f.ingest(customerMail("a1@customer.test", "alice@customer.test", "Hello"))
	if n := len(f.queued(res.TicketID)); n != 1 {
		t.Errorf("%d acknowledgements to alice after a forged bounce, want 1", n)
	}
}

// cancellingMailer accepts every mail and then ends the flush's context, as
// a shutdown signal arriving right after a successful send does.
type cancellingMailer struct {
	cancel context.CancelFunc
	sent   int
}

func (m *cancellingMailer) Send(context.Context, *tickets.Message) error {
	m.sent++
	m.cancel()
	return nil
}

func TestAShutdownRightAfterASendStillRecordsIt(t *testing.T) {
	f := newFixture(t)
	res := f.ingest(customerMail("a1@customer.test", "alice@customer.test", "Hello"))
	other := f.ingest(customerMail("b1@customer.test", "bob@customer.test", "Hi"))
	ctx, cancel := context.WithCancel(f.ctx)
	m := &cancellingMailer{cancel: cancel}
	if _, err := f.svc.FlushOutbox(ctx, m, tickets.RetryPolicy{}); err != context.Canceled {
		t.Fatalf("flush = %v, want context.Canceled", err)
	}
	items := f.queued(res.TicketID)
	if m.sent != 1 || len(items) != 1 || items[0].Status != tickets.OutboxSent {
		t.Errorf("sent %d; outbox %+v: want the mail recorded as sent, or it goes out twice", m.sent, items)
	}
	if items := f.queued(other.TicketID); items[0].Status != tickets.OutboxQueued {
		t.Errorf("the mail not sent is %s, want it still queued", items[0].Status)
	}
	// A sender started right after the stop takes it at once.
	if again, err := f.store.ClaimOutbox(f.ctx, f.now, 10, time.Minute, "next"); err != nil || len(again) != 1 || again[0].Attempts != 1 {
		t.Errorf("claim after the stop = %+v, %v; want the mail not sent, at its first try", again, err)
	}
}
