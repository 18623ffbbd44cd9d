package desk_test

import (
	"slices"
	"testing"

	"helpdesk/templates"
	"helpdesk/tickets"
)

// Every built-in template must be one the desk sends: a default that
// nothing renders is a promise to the admin that the desk does not keep.
func TestEveryBuiltInTemplateIsAMailTheDeskSends(t *testing.T) {
	h := newHarness(t)
	first := h.deliver("support", customer("t1@a.test", "Alice <alice@a.test>", "Printer on fire", "Help"))
	// Only a closed ticket can be reopened; nothing but the store closes one yet.
	err := h.desk.Store.InTx(h.ctx, func(tx tickets.Tx) error {
		tk, err := tx.Ticket(h.ctx, first.TicketID)
		if err != nil {
			return err
		}
		tk.Status = tickets.StatusClosed
		tk.ClosedAt = h.now
		return tx.UpdateTicket(h.ctx, tk)
	})
	if err != nil {
		t.Fatal(err)
	}
	h.deliver("support", "From: Alice <alice@a.test>\r\nTo: support@example.com\r\nSubject: Re: ["+first.Ref+"] Printer on fire\r\nMessage-ID: <t2@a.test>\r\n\r\nstill burning\r\n")
	h.flush()

	items, err := h.desk.Store.Outbox(h.ctx, tickets.OutboxFilter{Status: tickets.OutboxSent})
	if err != nil {
		t.Fatal(err)
	}
	var sent []string
	for _, it := range items {
		if !slices.Contains(sent, it.Message.Kind) {
			sent = append(sent, it.Message.Kind)
		}
	}
	builtIn, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range builtIn.Names() {
		if !slices.Contains(sent, name) {
			t.Errorf("built-in template %q is never sent (the desk sent %v)", name, sent)
		}
	}
}
