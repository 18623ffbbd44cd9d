package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// sender_verified is true or false with sender checks on, and null without.
func TestTicketsJSONSaysWhetherTheSenderIsVerified(t *testing.T) {
	c := newCLI(t)
	ingest := func(mail string) {
		t.Helper()
		if code, out, errs := c.run(mail, "ingest", "--mailbox", "support"); code != 0 {
			t.Fatalf("ingest: exit %d, out %q, err %q", code, out, errs)
		}
	}
	ingest(mailFrom("alice@a.test", "unchecked@a.test", "Before the checks"))

	cfg, err := os.ReadFile(c.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), "[security]\n", "[security]\ntrusted_authserv_ids = [\"mx.example.com\"]\n", 1))
	if err := os.WriteFile(c.config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	ingest("Authentication-Results: mx.example.com; dmarc=pass header.from=a.test\r\n" + mailFrom("alice@a.test", "pass@a.test", "Verified"))
	ingest("Authentication-Results: mx.example.com; dmarc=fail header.from=b.test\r\n" + mailFrom("bob@b.test", "fail@b.test", "Forged"))

	code, out, errs := c.run("", "tickets", "list", "--json")
	if code != 0 {
		t.Fatalf("tickets list: exit %d: %s", code, errs)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 3 {
		t.Fatalf("tickets list --json: %v\n%s", err, out)
	}
	for i, want := range []any{nil, true, false} {
		got, ok := list[i]["sender_verified"]
		if !ok || got != want {
			t.Errorf("ticket %v: sender_verified = %v (present %v), want %v", list[i]["ref"], got, ok, want)
		}
	}

	code, out, _ = c.run("", "tickets", "show", "HD#1002", "--json")
	var show map[string]any
	if err := json.Unmarshal([]byte(out), &show); err != nil || code != 0 {
		t.Fatalf("tickets show --json: exit %d, %v\n%s", code, err, out)
	}
	if show["sender_verified"] != false {
		t.Errorf("tickets show --json: sender_verified = %v, want false", show["sender_verified"])
	}
	if _, out, _ = c.run("", "tickets", "show", "HD#1002"); !strings.Contains(out, "sender not verified") {
		t.Errorf("tickets show does not say the sender is not verified:\n%s", out)
	}
	forged := "Authentication-Results: mx.example.com; dmarc=fail header.from=b.test\r\n" + mailFrom("bob@b.test", "fail2@b.test", "Forged")
	if _, out, _ = c.run(forged, "rules", "test"); !strings.Contains(out, "none: the sender is not verified (dmarc=fail header.from=b.test)") {
		t.Errorf("rules test does not say the forged mail gets no acknowledgement:\n%s", out)
	}
	if _, out, _ = c.run(forged, "rules", "test", "--json"); !strings.Contains(out, `"acknowledge": false`) {
		t.Errorf("rules test --json says the forged mail is acknowledged:\n%s", out)
	}
}
