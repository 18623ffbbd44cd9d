package desk_test

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"helpdesk/internal/imapmem"
	"helpdesk/internal/smtpsink"
)

// An auto-responder answers every mail it gets. With the real daemon
// between it and the support mailbox, the exchange must die out after a
// handful of mails, whatever the responder writes.
func TestDaemonAndAnAutoResponderStopAfterAFewMails(t *testing.T) {
	tests := []struct {
		name    string
		answer  func(n int, subject, msgID string) string
		maxDesk int // most mails the desk may send
	}{
		{"a responder that marks its answers Auto-Submitted", func(n int, subject, msgID string) string {
			return fmt.Sprintf("From: bot@customer.test\r\nTo: support@example.com\r\nSubject: Auto: %s\r\nMessage-ID: <bot-%d@customer.test>\r\nIn-Reply-To: <%s>\r\nAuto-Submitted: auto-replied\r\n\r\nI am away.\r\n", subject, n, msgID)
		}, 1},
		{"a responder with no robot headers that answers in the thread", func(n int, subject, msgID string) string {
			return fmt.Sprintf("From: bot@customer.test\r\nTo: support@example.com\r\nSubject: Re: %s\r\nMessage-ID: <bot-%d@customer.test>\r\nIn-Reply-To: <%s>\r\n\r\nThank you for your mail.\r\n", subject, n, msgID)
		}, 1},
		{"a responder that writes a fresh mail each time", func(n int, subject, msgID string) string {
			return fmt.Sprintf("From: bot@customer.test\r\nTo: support@example.com\r\nSubject: Ticket %d received\r\nMessage-ID: <bot-%d@customer.test>\r\n\r\nYour request number %d is in our system.\r\n", n, n, n*7919)
		}, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var answered atomic.Int64
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
			dm := newDaemonDelivering(t, "", responder)
			dm.appendMail("support", customer("start@customer.test", "bot@customer.test", "Order 1042", "Where is my order?"))
			dm.start()
			dm.waitAcks(1)
			// Let the exchange run until nothing moves for a while.
			last, still := -1, 0
			for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && still < 10; {
				time.Sleep(100 * time.Millisecond)
				if n := len(dm.sink.Mails()); n == last {
					still++
				} else {
					last, still = n, 0
				}
			}
			sent := len(dm.sink.Mails())
			t.Logf("the desk sent %d mails, the responder %d", sent, answered.Load())
			if sent > tc.maxDesk {
				t.Errorf("the desk sent %d mails to the responder, want at most %d", sent, tc.maxDesk)
			}
			if still < 10 {
				t.Errorf("the exchange was still going after 20s")
			}
		})
	}
}
