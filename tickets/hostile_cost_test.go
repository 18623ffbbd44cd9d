package tickets_test

import (
	"fmt"
	"strings"
	"testing"

	"helpdesk/tickets"
)

// copies returns n addresses name0@cc.test, name1@cc.test, ...
func copies(name string, n int) []tickets.Address {
	out := make([]tickets.Address, n)
	for i := range out {
		out[i] = tickets.Address{Email: fmt.Sprintf("%s%d@cc.test", name, i)}
	}
	return out
}

func TestAMailAddsAtMost50PeopleAndNamesTheRestInOneEvent(t *testing.T) {
	f := newFixture(t)
	in := customerMail("many@a.test", "ann@a.test", "Party")
	in.To = append([]tickets.Address{{Email: "support@example.com"}}, copies("to", 10)...)
	in.Cc = copies("cc", 5000)
	res := f.ingest(in)

	parts, err := f.store.Participants(f.ctx, res.TicketID)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 1+50 {
		t.Fatalf("%d participants, want the requester and 50 people", len(parts))
	}
	events, err := f.store.Events(f.ctx, res.TicketID)
	if err != nil {
		t.Fatal(err)
	}
	var joined, summaries []string
	for _, e := range events {
		if e.Kind == tickets.EventParticipant {
			if strings.HasPrefix(e.Detail, "cc ") {
				joined = append(joined, e.Detail)
			} else {
				summaries = append(summaries, e.Detail)
			}
		}
	}
	if len(joined) != 50 || joined[0] != "cc to0@cc.test" || joined[49] != "cc cc39@cc.test" {
		t.Errorf("%d participant events, first %q, want 50 in the order of To then Cc", len(joined), joined[:min(1, len(joined))])
	}
	want := "4960 more addresses in To and Cc not added: one mail adds at most 50 people (cc40@cc.test, cc41@cc.test, cc42@cc.test, cc43@cc.test, cc44@cc.test, ...)"
	if len(summaries) != 1 || summaries[0] != want {
		t.Errorf("summary events %q, want one: %q", summaries, want)
	}

	// A reply naming the same people adds the next 50.
	reply := customerMail("many-2@a.test", "ann@a.test", "Re: Party")
	reply.InReplyTo = []string{"many@a.test"}
	reply.Cc = in.Cc
	f.ingest(reply)
	if parts, _ = f.store.Participants(f.ctx, res.TicketID); len(parts) != 1+100 {
		t.Errorf("%d participants after the reply, want the requester and 100 people", len(parts))
	}
}

func TestAFewCopiesAreAllAdded(t *testing.T) {
	f := newFixture(t)
	in := customerMail("few@a.test", "ann@a.test", "Lunch")
	in.Cc = append(copies("cc", 3), tickets.Address{Email: "CC1@cc.test"}, tickets.Address{Email: "ann@a.test"})
	res := f.ingest(in)
	parts, _ := f.store.Participants(f.ctx, res.TicketID)
	if len(parts) != 4 {
		t.Errorf("participants = %v, want ann and cc0..cc2 once each", parts)
	}
	for _, e := range must(f.store.Events(f.ctx, res.TicketID)) {
		if strings.Contains(e.Detail, "not added") {
			t.Errorf("event %q for a mail under the cap", e.Detail)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
