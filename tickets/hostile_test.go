package tickets_test

import (
	"testing"

	"helpdesk/tickets"
)

// participants returns the addresses on a ticket.
func (f *fixture) participants(id int64) map[string]string {
	f.t.Helper()
	parts, err := f.store.Participants(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range parts {
		out[p.Email] = p.Role
	}
	return out
}

func (f *fixture) events(id int64) []tickets.Event {
	f.t.Helper()
	events, err := f.store.Events(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return events
}

// A Message-ID is no secret: it travels in every copy of a mail, in
// mailing list archives and in the headers of every reply. Knowing one must
// not make a stranger a participant of someone else's ticket.
func TestAStrangerWithACustomersMessageIDIsThreadedButNotLetIn(t *testing.T) {
	f := newFixture(t)
	first := customerMail("a1@customer.test", "alice@customer.test", "Printer on fire")
	first.Cc = []tickets.Address{{Email: "bob@customer.test"}}
	res := f.ingest(first)
	f.setStatus(res.TicketID, tickets.StatusResolved)

	in := customerMail("m1@evil.test", "mallory@evil.test", "Re: Printer on fire")
	in.InReplyTo = []string{"a1@customer.test"}
	in.Cc = []tickets.Address{{Email: "eve@evil.test"}}
	got := f.ingest(in)
	if got.Created || got.TicketID != res.TicketID || got.ThreadedBy != "message-id" {
		t.Fatalf("result = %+v, want the mail on %s, threaded by message-id: the context is right", got, res.Ref)
	}
	parts := f.participants(res.TicketID)
	if _, ok := parts["mallory@evil.test"]; ok {
		t.Errorf("participants %v: the stranger was added", parts)
	}
	if _, ok := parts["eve@evil.test"]; ok {
		t.Errorf("participants %v: the stranger's CC was added", parts)
	}
	if st := f.ticket(res.TicketID).Status; st != tickets.StatusResolved {
		t.Errorf("status = %s, want resolved: a stranger's mail changes nothing", st)
	}
	for _, it := range f.queued(res.TicketID) {
		if it.Message.Kind != tickets.KindAcknowledgement {
			t.Errorf("a stranger's mail made the desk write %s to %v", it.Message.Kind, it.Message.To)
		}
	}
	if !hasEvent(f.events(res.TicketID), tickets.EventUnverified, "mallory@evil.test") {
		t.Errorf("events %+v: no unverified event for the agent", f.events(res.TicketID))
	}
	msgs, _ := f.store.Messages(f.ctx, res.TicketID)
	last := msgs[len(msgs)-1]
	if last.From.Email != "mallory@evil.test" || !last.Unverified {
		t.Errorf("last message from %s unverified=%v, want mallory's mail flagged unverified", last.From.Email, last.Unverified)
	}

	// Now that the stranger has written once, the subject tag alone still
	// does not let them in.
	later := f.ingest(customerMail("m2@evil.test", "mallory@evil.test", "Re: [HD#1000] Printer on fire"))
	if !later.Created || later.TicketID == res.TicketID {
		t.Errorf("the stranger's tagged mail: %+v, want a new ticket", later)
	}
}

func TestAParticipantThreadedByMessageIDIsNotFlagged(t *testing.T) {
	f := newFixture(t)
	first := customerMail("a1@customer.test", "alice@customer.test", "Printer on fire")
	first.Cc = []tickets.Address{{Email: "bob@customer.test"}}
	res := f.ingest(first)
	f.setStatus(res.TicketID, tickets.StatusPending)
	in := customerMail("b1@customer.test", "Bob@Customer.test", "Re: Printer on fire")
	in.References = []string{"a1@customer.test"}
	got := f.ingest(in)
	if got.TicketID != res.TicketID || got.ThreadedBy != "message-id" {
		t.Fatalf("result = %+v, want the reply on %s", got, res.Ref)
	}
	if st := f.ticket(res.TicketID).Status; st != tickets.StatusOpen {
		t.Errorf("status = %s, want open after a participant's reply", st)
	}
	msgs, _ := f.store.Messages(f.ctx, res.TicketID)
	if last := msgs[len(msgs)-1]; last.Unverified {
		t.Errorf("a CC's reply is flagged unverified")
	}
	if hasEvent(f.events(res.TicketID), tickets.EventUnverified, "") {
		t.Errorf("events %+v: an unverified event for a participant", f.events(res.TicketID))
	}
}

func TestEverySubjectTagIsTriedInOrder(t *testing.T) {
	f := newFixture(t)
	alice := f.ingest(customerMail("a1@customer.test", "alice@customer.test", "Printer on fire"))
	bob := f.ingest(customerMail("b1@customer.test", "bob@customer.test", "Scanner jammed"))
	got := f.ingest(customerMail("b2@customer.test", "bob@customer.test", "Re: [HD#1000] [HD#1001] same problem as alice"))
	if got.Created || got.TicketID != bob.TicketID || got.ThreadedBy != "subject-tag" {
		t.Errorf("result = %+v, want bob's mail on his own %s by its second tag", got, bob.Ref)
	}
	if _, ok := f.participants(alice.TicketID)["bob@customer.test"]; ok {
		t.Errorf("bob was added to alice's ticket by a tag he has no right to")
	}
	// The first tag the sender may use wins.
	both := customerMail("a2@customer.test", "alice@customer.test", "[HD#1001] [HD#1000] hello")
	if got := f.ingest(both); got.TicketID != alice.TicketID {
		t.Errorf("alice's mail with bob's tag first went to %s, want %s", got.Ref, alice.Ref)
	}
}
