package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"helpdesk/internal/localconfig"
	"helpdesk/internal/smtpsink"
)

// cli runs the real command line in process against a config file.
type cli struct {
	t      *testing.T
	config string
	db     string
	sink   *smtpsink.Sink
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	dir := t.TempDir()
	c := &cli{t: t, config: filepath.Join(dir, "helpdesk.toml"), db: filepath.Join(dir, "helpdesk.db"), sink: sink}
	toml := localconfig.TOML(localconfig.Options{DSN: c.db, SMTPPort: sink.Port(), SecretEnv: "HELPDESK_TEST_SECRET"})
	if err := os.WriteFile(c.config, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HELPDESK_TEST_SECRET", "a secret that is long enough")
	return c
}

func (c *cli) run(stdin string, args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	args = append(args, "--config", c.config)
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func mailFrom(from, id, subject string) string {
	return fmt.Sprintf("From: %s\r\nTo: support@example.com\r\nSubject: %s\r\nMessage-ID: <%s>\r\n\r\nHello\r\n", from, subject, id)
}

func TestIngestListShowFlush(t *testing.T) {
	c := newCLI(t)
	code, out, errs := c.run(mailFrom("Alice <alice@a.test>", "m1@a.test", "Cannot log in"), "ingest", "--mailbox", "support")
	if code != 0 || !strings.Contains(out, "HD#1000: new ticket") {
		t.Fatalf("ingest: exit %d, out %q, err %q", code, out, errs)
	}
	code, out, _ = c.run(mailFrom("alice@a.test", "m1@a.test", "Cannot log in"), "ingest", "--mailbox", "support")
	if code != 0 || !strings.Contains(out, "already stored") {
		t.Errorf("ingest of the same mail: exit %d, out %q", code, out)
	}

	code, out, errs = c.run("", "tickets", "list", "--json")
	if code != 0 {
		t.Fatalf("tickets list: exit %d: %s", code, errs)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("tickets list --json: %v\n%s", err, out)
	}
	if len(list) != 1 {
		t.Fatalf("tickets list: %d tickets, want 1", len(list))
	}
	for _, k := range []string{"id", "ref", "subject", "status", "priority", "queue", "requester", "assignee", "tags", "created_at", "updated_at"} {
		if _, ok := list[0][k]; !ok {
			t.Errorf("tickets list --json lacks %q: %v", k, list[0])
		}
	}
	if list[0]["ref"] != "HD#1000" || list[0]["requester"] != "alice@a.test" || list[0]["status"] != "new" || list[0]["priority"] != "P3" {
		t.Errorf("ticket = %v", list[0])
	}

	if code, out, errs = c.run("", "outbox", "flush"); code != 0 || !strings.Contains(out, "sent 1") {
		t.Fatalf("outbox flush: exit %d, out %q, err %q", code, out, errs)
	}

	code, out, errs = c.run("", "tickets", "show", "HD#1000", "--json")
	if code != 0 {
		t.Fatalf("tickets show: exit %d: %s", code, errs)
	}
	var show struct {
		Ref      string `json:"ref"`
		Messages []struct {
			Direction, Kind, From, Subject, Text, MessageID string
			To                                              []string
			CreatedAt                                       string `json:"created_at"`
			Delivery                                        string
		} `json:"messages"`
		Events []struct{ Kind, Detail string } `json:"events"`
	}
	if err := json.Unmarshal([]byte(out), &show); err != nil {
		t.Fatalf("tickets show --json: %v\n%s", err, out)
	}
	if len(show.Messages) != 2 || show.Messages[0].Direction != "in" || show.Messages[1].Direction != "out" {
		t.Fatalf("messages = %+v, want the mail and the acknowledgement", show.Messages)
	}
	ack := show.Messages[1]
	if ack.Kind != "acknowledgement" || ack.To[0] != "alice@a.test" || !strings.Contains(ack.Subject, "[HD#1000]") || ack.Delivery != "sent" || ack.CreatedAt == "" {
		t.Errorf("acknowledgement = %+v", ack)
	}
	if len(show.Events) == 0 {
		t.Errorf("no events")
	}
	if code, _, errs = c.run("", "tickets", "show", "9999"); code != 1 || !strings.Contains(errs, "HD#9999") {
		t.Errorf("show of a missing ticket: exit %d, %q", code, errs)
	}
}

func TestIngestQuarantinesGarbageAndExitsZero(t *testing.T) {
	c := newCLI(t)
	code, out, errs := c.run("\x00\x01 not mail", "ingest", "--mailbox", "support")
	if code != 0 || !strings.Contains(out, "quarantined as #1") {
		t.Fatalf("ingest of garbage: exit %d, out %q, err %q", code, out, errs)
	}
	code, out, _ = c.run("", "quarantine", "list", "--json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || code != 0 || len(list) != 1 {
		t.Fatalf("quarantine list: exit %d, %v, %s", code, err, out)
	}
	if code, out, _ = c.run("", "quarantine", "show", "1", "--raw"); out != "\x00\x01 not mail" {
		t.Errorf("quarantine show --raw = %q (exit %d), want the raw bytes", out, code)
	}
	if code, _, errs = c.run("", "quarantine", "retry", "1"); code != 1 || !strings.Contains(errs, "still cannot be taken") {
		t.Errorf("retry of garbage: exit %d, %q", code, errs)
	}
}

func TestIngestExitsTempFailWhenTheDatabaseIsLocked(t *testing.T) {
	c := newCLI(t)
	if code, _, errs := c.run("", "migrate"); code != 0 {
		t.Fatalf("migrate: %s", errs)
	}
	db, err := sql.Open("sqlite3", "file:"+c.db+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin() // holds the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	code, _, errs := c.run(mailFrom("alice@a.test", "locked@a.test", "hi"), "ingest", "--mailbox", "support")
	if code != exitTempFail || !strings.Contains(errs, "locked") || !strings.Contains(errs, "the database is busy") {
		t.Fatalf("ingest with the database locked: exit %d, %q; want 75", code, errs)
	}
	tx.Rollback()
	if code, _, errs = c.run(mailFrom("alice@a.test", "locked@a.test", "hi"), "ingest", "--mailbox", "support"); code != 0 {
		t.Errorf("ingest after the lock: exit %d, %q", code, errs)
	}
}

func TestUsageErrors(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{{"frobnicate"}, {"tickets", "show"}, {"tickets", "show", "abc"}, {"tickets", "list", "--bogus"}} {
		if code, _, _ := c.run("", args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	// ingest answers an MTA: every failure is temporary, so the mail stays queued.
	for _, args := range [][]string{{"ingest"}, {"ingest", "--mailbox", "support", "--bogus"}, {"ingest", "--mailbox", "nope"}} {
		if code, _, errs := c.run(mailFrom("a@b.test", "x@b.test", "hi"), args...); code != exitTempFail {
			t.Errorf("%v: exit %d (%s), want %d", args, code, errs, exitTempFail)
		}
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"tickets", "list", "--config", filepath.Join(t.TempDir(), "missing.toml")}, nil, &out, &errb)
	if code != exitError || !strings.Contains(errb.String(), "missing.toml") {
		t.Errorf("missing config: exit %d, %q", code, errb.String())
	}
}

func TestRulesTestPrintsWhatFiresAndStoresNothing(t *testing.T) {
	c := newCLI(t)
	f, err := os.OpenFile(c.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(localconfig.TriageRules)
	f.Close()

	mail := mailFrom("ceo@bigcorp.example", "vip@bigcorp.example", "Dashboard down")
	code, out, errs := c.run(mail, "rules", "test")
	if code != 0 {
		t.Fatalf("rules test: exit %d: %s", code, errs)
	}
	// Only "vip customers" fires: impact high, urgency medium make P2.
	for _, want := range []string{"1. vip customers: ", "queue", "vip", "P2", "acknowledgement"} {
		if !strings.Contains(out, want) {
			t.Errorf("rules test output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = c.run(mail, "rules", "test", "--json")
	var v struct {
		Fired       []struct{ Rule string }
		Queue       string
		Priority    string
		Tags        []string
		Acknowledge bool
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != 0 {
		t.Fatalf("rules test --json: exit %d, %v\n%s", code, err, out)
	}
	if len(v.Fired) != 1 || v.Fired[0].Rule != "vip customers" || v.Queue != "vip" || v.Priority != "P2" || !v.Acknowledge {
		t.Errorf("rules test --json = %+v", v)
	}
	_, out, _ = c.run("", "tickets", "list", "--json")
	if strings.TrimSpace(out) != "[]" {
		t.Errorf("rules test stored something: %s", out)
	}
	code, out, _ = c.run("From: bot@x.test\r\nTo: support@example.com\r\nSubject: Out of Office\r\nAuto-Submitted: auto-replied\r\n\r\naway\r\n", "rules", "test")
	if code != 0 || !strings.Contains(out, "none: automatic mail") {
		t.Errorf("rules test of an auto-reply: exit %d\n%s", code, out)
	}
}

func TestTicketsMerge(t *testing.T) {
	c := newCLI(t)
	c.run(mailFrom("alice@a.test", "m1@a.test", "VPN broken"), "ingest", "--mailbox", "support")
	c.run(mailFrom("bob@b.test", "m2@b.test", "VPN down"), "ingest", "--mailbox", "support")
	code, out, errs := c.run("", "tickets", "merge", "HD#1001", "1000")
	if code != 0 || !strings.Contains(out, "HD#1001 merged into HD#1000") {
		t.Fatalf("merge: exit %d, %q, %q", code, out, errs)
	}
	_, out, _ = c.run("", "tickets", "show", "1001", "--json")
	if !strings.Contains(out, `"status": "merged"`) || !strings.Contains(out, `"merged_into": "HD#1000"`) {
		t.Errorf("the merged ticket: %s", out)
	}
	if code, _, _ = c.run("", "tickets", "merge", "1000", "1000"); code != exitError {
		t.Errorf("merging a ticket into itself: exit %d", code)
	}
}
