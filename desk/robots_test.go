package desk_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helpdesk/tickets"
)

// The robots of mailin/testdata/robots (mail systems in other spellings,
// SMS and pager gateways, mailing-list software) are recorded and never
// answered; the people beside them, whose addresses and subjects look
// alike, get their acknowledgement.
func TestRobotFixturesAreRecordedButNotAnswered(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "mailin", "testdata", "robots", "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in mailin/testdata/robots (%v)", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			h := newHarness(t)
			out := h.deliver("support", string(raw))
			if out.Quarantined || out.TicketID == 0 {
				t.Fatalf("outcome %+v, want the mail recorded on a ticket", out)
			}
			sent := h.flush().Sent
			mail := h.messages(out.TicketID)[0]
			if strings.HasPrefix(name, "person-") {
				if sent != 1 || mail.Kind == tickets.KindAutomatic {
					t.Errorf("a person's mail: sent %d, stored as %q (%s); want one acknowledgement", sent, mail.Kind, mail.AutoReason)
				}
				return
			}
			if sent != 0 {
				t.Errorf("the desk answered a robot (%d mails)", sent)
			}
			if mail.Kind != tickets.KindAutomatic || mail.AutoReason == "" {
				t.Errorf("stored as %q with reason %q, want automatic with a reason", mail.Kind, mail.AutoReason)
			}
			if !hasEventLike(h.events(out.TicketID), tickets.EventNotAnswered, "automatic mail") {
				t.Errorf("no event says why it was not answered: %+v", h.events(out.TicketID))
			}
		})
	}
}

// A customer who mails from an e-mail-to-SMS address gets the
// acknowledgement; the gateway answers it with "Re: <subject>" from its
// postmaster. That answer lands on the ticket and the desk stays quiet.
func TestSMSGatewayAnsweringTheAcknowledgementIsNotAnswered(t *testing.T) {
	h := newHarness(t)
	first := h.deliver("support", customer("sms1@sms.carrier.example", "+4917000000@sms.carrier.example", "Router offline", "Router offline since 9:00"))
	if st := h.flush(); st.Sent != 1 {
		t.Fatalf("sent %d acknowledgements to the customer, want 1", st.Sent)
	}
	ack := h.sent()[0]
	for i, from := range []string{"SMS Gateway <postmaster@sms.carrier.example>", "SMS Gateway <post_master@sms.carrier.example>", "<Mailer_Daemon@sms.carrier.example>"} {
		reply := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: Re: %s\r\nMessage-ID: <gw%d@sms.carrier.example>\r\nIn-Reply-To: <%s>\r\n\r\nYour e-mail was forwarded as a text message to +4917000000.\r\n",
			from, ack.replyTo, ack.subject, i, ack.messageID)
		out := h.deliver("support", reply)
		if out.TicketID != first.TicketID {
			t.Errorf("%s: the gateway's reply went to ticket %d, want %d", from, out.TicketID, first.TicketID)
		}
		if st := h.flush(); st.Sent != 0 {
			t.Errorf("%s: the desk answered the gateway (%d mails)", from, st.Sent)
		}
	}
	var kinds []string
	for _, m := range h.messages(first.TicketID) {
		kinds = append(kinds, m.Kind)
	}
	want := []string{tickets.KindCustomer, tickets.KindAcknowledgement, tickets.KindAutomatic, tickets.KindAutomatic, tickets.KindAutomatic}
	if strings.Join(kinds, " ") != strings.Join(want, " ") {
		t.Errorf("messages on the ticket: %v, want %v", kinds, want)
	}
}
