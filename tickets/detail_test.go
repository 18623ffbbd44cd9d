package tickets_test

import (
	"errors"
	"testing"

	"helpdesk/tickets"
)

func TestDetailShowsTheTicketWithItsMailsAndTheirDelivery(t *testing.T) {
	f := newFixture(t)
	res := f.ingest(customerMail("d1@a.test", "alice@a.test", "Printer on fire"))
	det, err := f.svc.Detail(f.ctx, res.TicketID)
	if err != nil {
		t.Fatal(err)
	}
	if det.Ticket.ID != res.TicketID || det.Ticket.Subject != "Printer on fire" {
		t.Errorf("ticket = %+v, want %d, %q", det.Ticket, res.TicketID, "Printer on fire")
	}
	if len(det.Messages) != 2 || len(det.Participants) == 0 || len(det.Events) == 0 {
		t.Fatalf("%d messages, %d participants, %d events; want the mail and its acknowledgement, the requester, what happened",
			len(det.Messages), len(det.Participants), len(det.Events))
	}
	for _, m := range det.Messages {
		want := ""
		if m.Direction == tickets.Out {
			want = tickets.OutboxQueued
		}
		if got := det.Delivery[m.ID]; got != want {
			t.Errorf("delivery of the %s message %d = %q, want %q", m.Direction, m.ID, got, want)
		}
	}
	if _, err := f.svc.Detail(f.ctx, 9999); !errors.Is(err, tickets.ErrNotFound) {
		t.Errorf("detail of a missing ticket: %v, want ErrNotFound", err)
	}
}
