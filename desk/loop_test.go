package desk_test

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-message/mail"

	"helpdesk/internal/imapmem"
	"helpdesk/internal/smtpsink"
	"helpdesk/tickets"
)

// loopRateLimit is the [loops] rate_limit of the auto-responder tests: the
// most automatic mails the desk sends one address per window.
const loopRateLimit = 3

// An auto-responder answers every mail it gets, into the support mailbox.
// With the real daemon between it and that mailbox, the exchange dies out:
// after the acknowledgement of the person's first mail, an answer the desk
// recognises (an auto-reply, or a reply on the ticket) gets nothing, and
// one it cannot tell from a person's new request gets acknowledgements up
// to the rate limit, then nothing.
func TestDaemonAndAnAutoResponderStopAfterAFewMails(t *testing.T) {
	tests := []struct {
		name   string
		answer func(n int, subject, msgID string) string
		// What the desk holds once idle; the desk's mails (sent) all went
		// to the responder, who answered each.
		want tally
	}{
		{"a responder that marks its answers Auto-Submitted", func(n int, subject, msgID string) string {
			return fmt.Sprintf("From: bot@customer.test\r\nTo: support@example.com\r\nSubject: Auto: %s\r\nMessage-ID: <bot-%d@customer.test>\r\nIn-Reply-To: <%s>\r\nAuto-Submitted: auto-replied\r\n\r\nI am away.\r\n", subject, n, msgID)
		}, tally{tickets: 1, inbound: 2, sent: 1}},
		{"a responder with no robot headers that answers in the thread", func(n int, subject, msgID string) string {
			return fmt.Sprintf("From: bot@customer.test\r\nTo: support@example.com\r\nSubject: Re: %s\r\nMessage-ID: <bot-%d@customer.test>\r\nIn-Reply-To: <%s>\r\n\r\nThank you for your mail.\r\n", subject, n, msgID)
		}, tally{tickets: 1, inbound: 2, sent: 1}},
		{"a responder that writes a fresh mail each time", func(n int, subject, msgID string) string {
			return fmt.Sprintf("From: bot@customer.test\r\nTo: support@example.com\r\nSubject: Ticket %d received\r\nMessage-ID: <bot-%d@customer.test>\r\n\r\nYour request number %d is in our system.\r\n", n, n, n*7919)
		}, tally{tickets: 1 + loopRateLimit, inbound: 1 + loopRateLimit, sent: loopRateLimit}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var answered atomic.Int64
			// The responder's answer is in the mailbox before the SMTP
			// server accepts the desk's mail, so the idle check sees it.
			responder := func(im *imapmem.Server, r smtpsink.Received) error {
				mr, err := mail.CreateReader(bytes.NewReader(r.Data))
				if err != nil {
					return err
				}
				subject, _ := mr.Header.Subject()
				msgID, _ := mr.Header.MessageID()
				n := int(answered.Add(1))
				return im.Append("support", "INBOX", []byte(tc.answer(n, subject, msgID)))
			}
			dm := newDaemonDelivering(t, fmt.Sprintf("[loops]\nrate_limit = %d\n", loopRateLimit), responder)
			dm.appendMail("support", customer("start@customer.test", "bot@customer.test", "Order 1042", "Where is my order?"))
			dm.start()
			got := dm.observer().waitIdle()
			t.Logf("idle with %v; the responder answered %d", got, answered.Load())
			if got != tc.want {
				t.Errorf("idle with %v, want %v", got, tc.want)
			}
			if n := answered.Load(); n != int64(got.sent) {
				t.Errorf("the responder answered %d mails, want one for each of the desk's %d", n, got.sent)
			}
			// The lower bound: the person's first mail was acknowledged,
			// to the person, before anything else went out.
			sent := (&harness{t: t, sink: dm.sink}).sent()
			if len(sent) == 0 || sent[0].inReplyTo != "start@customer.test" || len(sent[0].rcpt) != 1 || sent[0].rcpt[0] != "bot@customer.test" {
				t.Errorf("the first mail the desk sent is %+v, want the acknowledgement of start@customer.test to bot@customer.test", sent)
			}
			for _, s := range sent {
				if s.autoSubmitted == "" {
					t.Errorf("the desk's mail %q carries no Auto-Submitted header", s.subject)
				}
			}
			if tc.want.sent == loopRateLimit {
				dm.expectRateLimited(1)
			} else {
				dm.expectRateLimited(0)
			}
		})
	}
}

// expectRateLimited checks how many times the rate limit held back a mail.
func (dm *daemon) expectRateLimited(want int) {
	dm.t.Helper()
	ctx := context.Background()
	store := dm.observer().store
	list, err := store.ListTickets(ctx, tickets.TicketFilter{})
	if err != nil {
		dm.t.Fatal(err)
	}
	got := 0
	for _, tk := range list {
		events, err := store.Events(ctx, tk.ID)
		if err != nil {
			dm.t.Fatal(err)
		}
		for _, e := range events {
			if e.Kind == tickets.EventRateLimited {
				got++
			}
		}
	}
	if got != want {
		dm.t.Errorf("the rate limit held back %d mails, want %d", got, want)
	}
}
