package desk_test

import (
	"fmt"
	"strings"
	"testing"

	"helpdesk/tickets"
)

// deliveryReport is an RFC 3464 report that mail with Message-ID origID
// could not be delivered to failed, as a mail system (or anyone) writes it.
func deliveryReport(from, id, failed, origID string) string {
	return fmt.Sprintf("From: %s\r\nTo: support@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n"+
		"Message-ID: <%s>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"+
		"--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"+
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.evil.test\r\n\r\nFinal-Recipient: rfc822; %s\r\nAction: failed\r\nStatus: 5.1.1\r\n"+
		"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@example.com\r\nTo: %s\r\nMessage-ID: <%s>\r\nSubject: Hello\r\n--B--\r\n",
		from, id, failed, failed, origID)
}

// The acknowledgement of a new ticket from alice must still go out.
func (h *harness) expectAcknowledged(who, id string) {
	h.t.Helper()
	out := h.deliver("support", customer(id, who, "Another question "+id, "hello again"))
	if st := h.flush(); st.Sent != 1 {
		h.t.Errorf("%s's next ticket: sent %d acknowledgements, want 1; events %+v", who, st.Sent, h.events(out.TicketID))
	}
}

func TestAForgedBounceDoesNotSilenceAnAddress(t *testing.T) {
	t.Run("a report naming the customer's own Message-ID", func(t *testing.T) {
		h := newHarness(t)
		h.deliver("support", customer("alice-1@a.test", "alice@a.test", "Help", "hello"))
		h.flush()
		h.deliver("support", deliveryReport("MAILER-DAEMON@mx.evil.test", "forged1@mx.evil.test", "alice@a.test", "alice-1@a.test"))
		h.expectAcknowledged("alice@a.test", "alice-2@a.test")
	})
	t.Run("a report naming the desk's mail to someone else", func(t *testing.T) {
		h := newHarness(t)
		// Mallory opens a ticket with alice in copy, so alice is on it,
		// and gets the acknowledgement, whose Message-ID she now knows.
		raw := strings.Replace(customer("m1@evil.test", "mallory@evil.test", "Hi", "hello"), "\r\nSubject:", "\r\nCc: alice@a.test\r\nSubject:", 1)
		h.deliver("support", raw)
		h.flush()
		ack := h.sent()[0]
		if ack.rcpt[0] != "mallory@evil.test" {
			t.Fatalf("the acknowledgement went to %v", ack.rcpt)
		}
		h.deliver("support", deliveryReport("MAILER-DAEMON@mx.evil.test", "forged2@mx.evil.test", "alice@a.test", ack.messageID))
		h.expectAcknowledged("alice@a.test", "alice-2@a.test")
	})
	t.Run("a report naming a made-up Message-ID of the desk", func(t *testing.T) {
		h := newHarness(t)
		first := h.deliver("support", customer("alice-1@a.test", "alice@a.test", "Help", "hello"))
		h.flush()
		made := fmt.Sprintf("%d-aaaaaaaaaaaa.bbbbbbbbbbbbb@example.com", first.TicketID)
		h.deliver("support", deliveryReport("MAILER-DAEMON@mx.evil.test", "forged3@mx.evil.test", "alice@a.test", made))
		h.expectAcknowledged("alice@a.test", "alice-2@a.test")
	})
	t.Run("a true report silences only the address the mail went to", func(t *testing.T) {
		h := newHarness(t)
		raw := strings.Replace(customer("alice-1@a.test", "alice@a.test", "Help", "hello"), "\r\nSubject:", "\r\nCc: bob@b.test\r\nSubject:", 1)
		first := h.deliver("support", raw)
		h.flush()
		ack := h.sent()[0]
		// One report naming both: only alice got the acknowledgement.
		report := deliveryReport("MAILER-DAEMON@mx.a.test", "dsn1@mx.a.test", "alice@a.test", ack.messageID)
		report = strings.Replace(report, "Status: 5.1.1\r\n", "Status: 5.1.1\r\n\r\nFinal-Recipient: rfc822; bob@b.test\r\nAction: failed\r\nStatus: 5.1.1\r\n", 1)
		out := h.deliver("support", report)
		if out.TicketID != first.TicketID {
			t.Errorf("the report went to %s, want %s", out.Ref, first.Ref)
		}
		if !hasEventLike(h.events(first.TicketID), "bounce", "alice@a.test") {
			t.Errorf("no bounce event for alice: %+v", h.events(first.TicketID))
		}
		if hasEventLike(h.events(first.TicketID), "bounce", "bob@b.test") {
			t.Errorf("bob is marked bouncing, but the bounced mail did not go to him: %+v", h.events(first.TicketID))
		}
		next := h.deliver("support", customer("alice-2@a.test", "alice@a.test", "Again", "hello"))
		if st := h.flush(); st.Sent != 0 {
			t.Errorf("sent %d mails to alice, whose mail bounced", st.Sent)
		}
		if !hasEventLike(h.events(next.TicketID), tickets.EventNotAnswered, "bounced") {
			t.Errorf("events %+v: no word of the bounce", h.events(next.TicketID))
		}
		h.expectAcknowledged("bob@b.test", "bob-1@b.test")
	})
}
