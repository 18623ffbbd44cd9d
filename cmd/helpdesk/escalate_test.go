package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helpdesk/internal/localconfig"
	"helpdesk/internal/smtpsink"
)

// A vendor's answer, as `tickets show` prints it: the vendor's internal
// note, not an agent's.
func TestTicketsShowMarksAVendorsAnswerAsItsNote(t *testing.T) {
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	dir := t.TempDir()
	c := &cli{t: t, config: filepath.Join(dir, "helpdesk.toml"), db: filepath.Join(dir, "helpdesk.db"), sink: sink}
	extra := cliTeam + "\n[[contact]]\nname = \"acme\"\nemail = \"support@acme.example\"\n"
	if err := os.WriteFile(c.config, []byte(localconfig.TOML(localconfig.Options{DSN: c.db, SMTPPort: sink.Port(), Extra: extra})), 0o600); err != nil {
		t.Fatal(err)
	}
	step := func(stdin string, args ...string) string {
		t.Helper()
		code, out, errs := c.run(stdin, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d, %s %s", args, code, out, errs)
		}
		return out
	}
	step(mailFrom("Alice <alice@a.test>", "m1@a.test", "Printer on fire"), "ingest", "--mailbox", "support")
	step("", "outbox", "flush")
	replyTo := func(rcpt string) string {
		h := c.headerOf(rcpt)
		as, err := h.AddressList("Reply-To")
		if err != nil || len(as) == 0 {
			t.Fatalf("no Reply-To in the mail to %s: %v", rcpt, err)
		}
		return as[0].Address
	}
	step(fmt.Sprintf("From: Ann Agent <ann@example.com>\r\nTo: %s\r\nSubject: Re: [HD#1000] Printer on fire\r\nMessage-ID: <ann-1@example.com>\r\n\r\n#escalate acme Please check the firmware.\r\n",
		replyTo("ann@example.com")), "ingest", "--mailbox", "support")
	step("", "outbox", "flush")
	step(fmt.Sprintf("From: Acme Support <support@acme.example>\r\nTo: %s\r\nSubject: Re: [HD#1000] Printer on fire\r\nMessage-ID: <acme-1@acme.example>\r\n\r\nFixed in firmware 2.2.\r\n",
		replyTo("support@acme.example")), "ingest", "--mailbox", "support")
	out := step("", "tickets", "show", "1000")
	if !strings.Contains(out, "[vendor support@acme.example: internal note]") || strings.Contains(out, "[agent support@acme.example]") ||
		!strings.Contains(out, "Fixed in firmware 2.2.") || !strings.Contains(out, "vendor_reply") {
		t.Errorf("tickets show:\n%s", out)
	}
}
