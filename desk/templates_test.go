package desk_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"helpdesk/templates"
	"helpdesk/tickets"
)

// Every built-in template must be one the desk sends: a default that
// nothing renders is a promise to the admin that the desk does not keep.
func TestEveryBuiltInTemplateIsAMailTheDeskSends(t *testing.T) {
	h := agentHarness(t, "\n[notify]\npending = true\n[sla.P3]\nfirst_response = \"1h\"\n")
	// To agents: agent_new_ticket (Ann has the ticket), agent_unassigned
	// (sales assigns by hand), agent_customer_reply, command_error,
	// agent_security; to the customer: agent_relay, and the status mails
	// pending, resolved, closed and merged.
	var sent []string
	first, notice, _ := assigned(h)
	lead := h.deliver("sales", strings.Replace(customer("t0@a.test", "lead@a.test", "Quote", "50 seats?"), "support@example.com", "sales@example.com", 1))
	h.deliver("support", "From: Alice <alice@a.test>\r\nTo: support@example.com\r\nSubject: Re: ["+first.Ref+"] Printer on fire\r\nMessage-ID: <t1b@a.test>\r\n\r\nHurry!\r\n")
	answer(h, notice, "#status fixed")
	answer(h, notice, "#status pending\n\nOn my way. Which room?")
	h.now = h.now.Add(72 * time.Hour) // pending_reminder
	if _, err := h.desk.RunSchedule(h.ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	answer(h, notice, "#status resolved Put it out.")
	answer(h, notice, "#status closed")
	h.deliver("support", gmailReply("Mallory <mallory@evil.test>", notice, "t-forged@evil.test", "#status open"))
	if err := h.desk.Service.Merge(h.ctx, lead.TicketID, first.TicketID, "admin"); err != nil {
		t.Fatal(err)
	}
	h.deliver("support", "From: Alice <alice@a.test>\r\nTo: support@example.com\r\nSubject: Re: ["+first.Ref+"] Printer on fire\r\nMessage-ID: <t2@a.test>\r\n\r\nstill burning\r\n")
	// To the assignee: sla_warning at 80% of the first response, sla_breach at 100%.
	h.deliver("support", customer("t3@a.test", "Carol <carol@a.test>", "Scanner jammed", "Again."))
	for _, after := range []time.Duration{50 * time.Minute, 15 * time.Minute} {
		h.now = h.now.Add(after)
		if _, err := h.desk.RunSchedule(h.ctx, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	h.flush()
	// new_ticket_after_window: a reply to a ticket closed longer ago than
	// the reopen window (14 days by default).
	if _, err := h.desk.Service.SetStatus(h.ctx, first.TicketID, tickets.StatusClosed, "", "admin"); err != nil {
		t.Fatal(err)
	}
	h.now = h.now.Add(15 * 24 * time.Hour)
	late := h.deliver("support", "From: Alice <alice@a.test>\r\nTo: support@example.com\r\nSubject: Re: ["+first.Ref+"] Printer on fire\r\nMessage-ID: <t3@a.test>\r\n\r\nburning again\r\n")
	h.flush()
	if hasEventLike(h.events(late.TicketID), tickets.KindAcknowledgement, "(template "+tickets.TemplateNewTicketAfterWindow+")") {
		sent = append(sent, tickets.TemplateNewTicketAfterWindow) // an acknowledgement by its kind
	}

	// Escalation: vendor_escalation and, for the vendor's answer,
	// agent_vendor_reply; agent_vendor_waiting when it then stays silent;
	// agent_escalated to l2's agent; and manager_escalation to billing's
	// escalation address.
	esc := agentHarness(t, escalationTOML)
	_, escNotice, _ := assigned(esc)
	mark := esc.mark()
	answer(esc, escNotice, "#escalate acme Please check the firmware.")
	esc.flush()
	esc.deliver("support", vendorReply(esc.oneMailTo("support@acme.example", mark), "acme-t@acme.example", "Update it."))
	answer(esc, escNotice, "#escalate acme It did not help.")
	esc.now = esc.now.Add(72*time.Hour + time.Minute) // the vendor's silence
	if _, err := esc.desk.RunSchedule(esc.ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	answer(esc, escNotice, "#escalate l2 Needs a specialist.")
	esc.flush()
	mark = esc.mark()
	esc.deliver("support", customer("bill-t@a.test", "Alice <alice@a.test>", "Rechnung doppelt", "Zweimal abgebucht."))
	esc.flush()
	answer(esc, esc.oneMailTo("ann@example.com", mark), "#escalate manager Angry customer.")
	esc.flush()

	for _, d := range []*harness{h, esc} {
		items, err := d.desk.Store.Outbox(d.ctx, tickets.OutboxFilter{Status: tickets.OutboxSent})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if !slices.Contains(sent, it.Message.Kind) {
				sent = append(sent, it.Message.Kind)
			}
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
