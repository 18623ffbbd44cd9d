package sqlstore

import (
	"context"
	"maps"
	"testing"
	"time"

	"helpdesk/tickets"
)

// The agents' side of the store: open tickets per assignee, the round
// robin of each queue, the author of a message, and the files of an
// outgoing mail handed to its sender.
func TestStoreKeepsAssigneesRoundRobinAuthorsAndOutgoingFiles(t *testing.T) {
	onEachDriver(t, testStoreKeepsAssigneesRoundRobinAuthorsAndOutgoingFiles)
}

func testStoreKeepsAssigneesRoundRobinAuthorsAndOutgoingFiles(t *testing.T, db testDB) {
	ctx := context.Background()
	s := db.open(t)
	var relay *tickets.Message
	inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
		for i, st := range []struct {
			assignee string
			status   tickets.Status
		}{{"ann@example.com", tickets.StatusNew}, {"ann@example.com", tickets.StatusPending}, {"ann@example.com", tickets.StatusResolved},
			{"bob@example.com", tickets.StatusOpen}, {"", tickets.StatusOpen}, {"bob@example.com", tickets.StatusClosed},
			{"bob@example.com", tickets.StatusPendingVendor}} {
			tk := newTicket("c@a.test", t0.Add(time.Duration(i)*time.Minute))
			tk.Assignee, tk.Status = st.assignee, st.status
			if err := tx.CreateTicket(ctx, tk, 1000); err != nil {
				return err
			}
		}
		if last, err := tx.LastAssigned(ctx, "general"); err != nil || last != "" {
			t.Errorf("LastAssigned of a new queue = %q, %v", last, err)
		}
		for _, a := range []string{"ann@example.com", "bob@example.com"} {
			if err := tx.SetLastAssigned(ctx, "general", a, t0); err != nil {
				return err
			}
		}
		relay = outbound(1000, "<relay@x.test>", "c@a.test", t0)
		relay.Kind, relay.Author = tickets.KindAgentRelay, "ann@example.com"
		relay.Attachments = []tickets.Attachment{{Filename: "fix.pdf", ContentType: "application/pdf", Data: []byte("%PDF\x00\xff")}}
		if err := tx.InsertMessage(ctx, relay, nil); err != nil {
			return err
		}
		return tx.EnqueueMail(ctx, relay.ID, 1000, t0)
	})
	load, err := s.AssigneeLoad(ctx)
	if want := map[string]int{"ann@example.com": 2, "bob@example.com": 2}; err != nil || !maps.Equal(load, want) {
		t.Errorf("AssigneeLoad = %v, %v; want %v (new, open, pending and pending_vendor count)", load, err, want)
	}
	inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
		if last, err := tx.LastAssigned(ctx, "general"); err != nil || last != "bob@example.com" {
			t.Errorf("LastAssigned = %q, %v; want bob", last, err)
		}
		return nil
	})
	msgs, err := s.Messages(ctx, 1000)
	if err != nil || len(msgs) != 1 || msgs[0].Author != "ann@example.com" || msgs[0].Kind != tickets.KindAgentRelay {
		t.Fatalf("Messages = %+v, %v", msgs, err)
	}
	items, err := s.ClaimOutbox(ctx, t0, 10, time.Minute, "sender")
	if err != nil || len(items) != 1 {
		t.Fatalf("ClaimOutbox = %d items, %v", len(items), err)
	}
	if a := items[0].Message.Attachments; len(a) != 1 || a[0].Filename != "fix.pdf" || string(a[0].Data) != "%PDF\x00\xff" || a[0].Size != 6 {
		t.Errorf("the claimed mail's files = %+v, want fix.pdf with its bytes", a)
	}
}
