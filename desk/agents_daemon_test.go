package desk_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"helpdesk/internal/imapmem"
	"helpdesk/internal/smtpsink"
)

// The daemon and an agent's mailbox on a real IMAP server: the customer's
// mail arrives by IMAP, Ann's notice lands in her own mailbox, her answer
// (written by reading that mailbox) arrives by IMAP through her reply
// address, and the customer gets it.
func TestAnAgentAnswersFromHerMailboxThroughTheDaemon(t *testing.T) {
	onEachDatabase(t, testAnAgentAnswersFromHerMailboxThroughTheDaemon)
}

func testAnAgentAnswersFromHerMailboxThroughTheDaemon(t *testing.T) {
	dm := newDaemonDelivering(t, `
[[agent]]
name = "Ann Agent"
email = "ann@example.com"
queues = ["general"]
`, func(im *imapmem.Server, r smtpsink.Received) error {
		if r.To[0] == "ann@example.com" {
			return im.Append("ann", "INBOX", r.Data)
		}
		return nil
	})
	if err := dm.imap.AddUser("ann", imapPassword); err != nil {
		t.Fatal(err)
	}
	dm.appendMail("support", customer("d1@a.test", "Alice <alice@a.test>", "VPN down", "The VPN drops every minute."))
	dm.start()
	dm.waitAcks(2) // the acknowledgement, and Ann's notice

	// Ann reads her mailbox.
	c, err := dm.dial("ann")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{}}}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Ann's mailbox: %d mails, %v", len(msgs), err)
	}
	h := &harness{t: t, sink: dm.sink}
	notice := h.oneMailTo("ann@example.com", 0)
	if raw := string(msgs[0].FindBodySection(&imap.FetchItemBodySection{})); !strings.Contains(raw, notice.messageID) {
		t.Fatalf("Ann's mailbox holds another mail:\n%.400s", raw)
	}
	dm.appendMail("support", gmailReply("Ann Agent <ann@example.com>", notice, "ann-vpn@example.com", "Hi Alice,\n\nplease update the VPN client to 5.2.\n\nAnn"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := dm.sink.WaitFor(ctx, 3); err != nil {
		t.Fatalf("the answer did not reach the SMTP server: %v", err)
	}
	got := h.mailTo("alice@a.test", 0)
	if len(got) != 2 || got[1].fromName != "Ann Agent via Example Support" || !strings.HasPrefix(got[1].text, "Hi Alice,\n\nplease update the VPN client to 5.2.\n\nAnn\n\n--\n") ||
		strings.Contains(got[1].text, "wrote:") || got[1].inReplyTo != "d1@a.test" {
		t.Fatalf("the customer got %+v", got)
	}
	dm.expectIdle(tally{tickets: 1, inbound: 2, sent: 3})
}
