package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// withMaxMessageSize sets tickets.max_message_size in the test's config.
func (c *cli) withMaxMessageSize(size string) {
	c.t.Helper()
	b, err := os.ReadFile(c.config)
	if err != nil {
		c.t.Fatal(err)
	}
	b = bytes.Replace(b, []byte("[tickets]\n"), []byte("[tickets]\nmax_message_size = \""+size+"\"\n"), 1)
	if err := os.WriteFile(c.config, b, 0o600); err != nil {
		c.t.Fatal(err)
	}
}

// runReader runs the command line with stdin read from r.
func (c *cli) runReader(stdin *bytes.Reader, args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	args = append(args, "--config", c.config)
	code = run(context.Background(), args, stdin, &out, &errb)
	return code, out.String(), errb.String()
}

func TestIngestOfAnOversizedMailKeepsOnlyItsHeadOnce(t *testing.T) {
	c := newCLI(t)
	c.withMaxMessageSize("64KiB")
	const limit = 64 << 10
	big := mailFrom("Big <big@a.test>", "big@a.test", "Logs") + strings.Repeat("0123456789abcdef\r\n", 1<<16) // ~1.2 MB
	for range 2 {
		stdin := bytes.NewReader([]byte(big))
		code, out, errs := c.runReader(stdin, "ingest", "--mailbox", "support")
		if code != 0 || !strings.Contains(out, "quarantined as #1") {
			t.Fatalf("ingest: exit %d, out %q, err %q; want quarantined as #1 (the same bytes twice are one row)", code, out, errs)
		}
		if stdin.Len() != 0 {
			t.Errorf("ingest left %d bytes of the mail unread: the MTA would see a broken pipe", stdin.Len())
		}
		if !strings.Contains(out, "mail is 1.1 MiB, over the 64KiB limit; its first 65537 bytes are kept here, the rest was not stored") {
			t.Errorf("ingest says %q, want the size, the limit and what is kept", out)
		}
	}

	code, out, _ := c.run("", "quarantine", "list", "--json")
	var list []struct {
		ID        int64  `json:"id"`
		Size      int64  `json:"size"`
		Truncated bool   `json:"truncated"`
		State     string `json:"state"`
	}
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil {
		t.Fatalf("quarantine list: exit %d, %v, %s", code, err, out)
	}
	if len(list) != 1 || list[0].Size != limit+1 || !list[0].Truncated || list[0].State != "held" {
		t.Fatalf("quarantine = %+v, want one held row of the first %d bytes, truncated", list, limit+1)
	}
	if code, out, _ = c.run("", "quarantine", "show", "1", "--raw"); code != 0 || out != big[:limit+1] {
		t.Errorf("quarantine show --raw: exit %d, %d bytes, want the mail's first %d bytes", code, len(out), limit+1)
	}
	if code, out, _ = c.run("", "quarantine", "show", "1"); code != 0 || !strings.Contains(out, "65537 bytes (only the head of a larger mail)") {
		t.Errorf("quarantine show: exit %d, %q, want it to say the mail is only a head", code, out)
	}
	code, _, errs := c.run("", "quarantine", "retry", "1")
	if code != 1 || !strings.Contains(errs, "only the head of this mail was kept") {
		t.Errorf("quarantine retry of a head: exit %d, %q, want it refused as a head", code, errs)
	}
	if code, out, _ = c.run("", "tickets", "list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("tickets list = %s (exit %d), want no ticket from the head", out, code)
	}
}

func TestIngestOfAMailAtTheLimitTakesItWhole(t *testing.T) {
	c := newCLI(t)
	c.withMaxMessageSize("64KiB")
	head := mailFrom("Ann <ann@a.test>", "edge@a.test", "Exactly at the limit")
	mail := head + strings.Repeat("x", 64<<10-len(head))
	code, out, errs := c.runReader(bytes.NewReader([]byte(mail)), "ingest", "--mailbox", "support")
	if code != 0 || !strings.Contains(out, "HD#1000: new ticket") {
		t.Fatalf("ingest of a mail of exactly max_message_size: exit %d, out %q, err %q; want a ticket", code, out, errs)
	}
}
