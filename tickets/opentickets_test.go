package tickets_test

import (
	"slices"
	"testing"
	"time"

	"helpdesk/tickets"
	"helpdesk/tickets/triage"
)

// The rules see the requester's open tickets, and a mail repeating a recent
// one is merged into it, on every path that opens a ticket: with and
// without a duplicate window, and for a follow-up of a closed ticket.
func TestTheRulesCountOpenTicketsOnEveryPathThatOpensOne(t *testing.T) {
	for _, window := range []time.Duration{0, time.Hour} {
		t.Run("duplicate window "+window.String(), func(t *testing.T) {
			eng, err := triage.New(triage.Options{DuplicateWindow: window, Rules: []triage.Rule{{
				Name: "repeat",
				When: []triage.Condition{{Field: triage.FieldOpenTickets, Op: triage.OpGTE, Value: "2"}},
				Then: triage.Action{Tags: []string{"repeat"}},
			}}})
			if err != nil {
				t.Fatal(err)
			}
			f := newFixtureWith(t, func(string) tickets.Composer { return plainComposer{} }, func(o *tickets.Options) { o.Triage = eng })
			tagged := func(res tickets.Result) bool {
				t.Helper()
				if !res.Created {
					t.Fatalf("result = %+v, want a new ticket", res)
				}
				return slices.Contains(f.ticket(res.TicketID).Tags, "repeat")
			}
			first := f.ingest(customerMail("<a1@c.test>", "alice@c.test", "Printer on fire"))
			second := f.ingest(customerMail("<a2@c.test>", "alice@c.test", "Scanner on fire"))
			if tagged(first) || tagged(second) {
				t.Errorf("the first two tickets are tagged: the rule saw too many open tickets")
			}
			// The same mail again: merged within a window, else a third ticket.
			again := f.ingest(customerMail("<a3@c.test>", "alice@c.test", "Printer on fire"))
			if window > 0 {
				if again.Created || again.TicketID != first.TicketID || again.ThreadedBy != "duplicate" {
					t.Errorf("the same mail again = %+v, want merged into %d", again, first.TicketID)
				}
			} else if !tagged(again) {
				t.Errorf("a third ticket is not tagged")
			}
			// Out of the window, the same mail opens a ticket that sees the others.
			f.now = f.now.Add(2 * time.Hour)
			later := f.ingest(customerMail("<a4@c.test>", "alice@c.test", "Printer on fire"))
			if !tagged(later) {
				t.Errorf("a ticket after the window is not tagged")
			}
			// Bob's mail sees only his own tickets.
			if tagged(f.ingest(customerMail("<b1@c.test>", "bob@c.test", "Printer on fire"))) {
				t.Errorf("bob's ticket counts alice's")
			}
			// A follow-up of a closed ticket counts the open ones, not the closed one.
			f.setStatus(first.TicketID, tickets.StatusClosed)
			f.now = f.now.Add(15 * 24 * time.Hour)
			follow := f.ingest(customerMail("<a5@c.test>", "alice@c.test", "Re: [HD#1000] Printer on fire"))
			if !tagged(follow) {
				t.Errorf("the follow-up of a closed ticket is not tagged")
			}
			f.setStatus(second.TicketID, tickets.StatusClosed)
			for _, id := range []int64{later.TicketID, follow.TicketID} {
				f.setStatus(id, tickets.StatusResolved)
			}
			f.now = f.now.Add(15 * 24 * time.Hour)
			if tagged(f.ingest(customerMail("<a6@c.test>", "alice@c.test", "Re: [HD#1001] Scanner on fire"))) {
				t.Errorf("a follow-up with no other ticket open is tagged")
			}
		})
	}
}
