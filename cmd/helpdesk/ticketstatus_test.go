package main

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
)

// The sink's mails to rcpt, by subject.
func (c *cli) subjectsTo(rcpt string) []string {
	c.t.Helper()
	var out []string
	for _, m := range c.sink.Mails() {
		if m.To[0] == rcpt {
			h := c.headerOfMail(m.Data)
			subject, _ := h.Subject()
			out = append(out, subject)
		}
	}
	return out
}

func TestAdminsResolveCloseReopenAndPendTickets(t *testing.T) {
	c := newCLI(t)
	if code, out, errs := c.run(mailFrom("Alice <alice@a.test>", "m1@a.test", "Cannot log in"), "ingest", "--mailbox", "support"); code != 0 {
		t.Fatalf("ingest: exit %d, %s %s", code, out, errs)
	}
	if code, _, errs := c.run("", "tickets", "reopen", "HD#1000"); code != 1 || !strings.Contains(errs, "nothing to reopen") {
		t.Errorf("reopen of a new ticket: exit %d, %s", code, errs)
	}
	code, out, errs := c.run("", "tickets", "resolve", "HD#1000", "--note", "The 2FA clock was off; resynced it.")
	if code != 0 || out != "HD#1000 is resolved\n" {
		t.Fatalf("resolve: exit %d, %q %s", code, out, errs)
	}
	if code, _, errs = c.run("", "tickets", "resolve", "1000"); code != 1 || !strings.Contains(errs, "HD#1000 is already resolved") {
		t.Errorf("second resolve: exit %d, %s", code, errs)
	}
	if code, _, errs = c.run("", "tickets", "close", "1000", "--note", "x"); code != 2 {
		t.Errorf("close with a note: exit %d, want 2 (only resolve takes one), %s", code, errs)
	}
	code, out, _ = c.run("", "tickets", "show", "HD#1000", "--json")
	var show struct {
		Status, Resolution string
		ResolvedAt         string `json:"resolved_at"`
		Events             []struct{ Kind, Actor, Detail string }
	}
	if err := json.Unmarshal([]byte(out), &show); code != 0 || err != nil {
		t.Fatalf("show --json: exit %d, %v", code, err)
	}
	if show.Status != "resolved" || show.Resolution != "The 2FA clock was off; resynced it." || show.ResolvedAt == "" {
		t.Errorf("ticket: %+v", show)
	}
	var byAdmin []string
	for _, e := range show.Events {
		if e.Actor == "admin (command line)" {
			byAdmin = append(byAdmin, e.Kind+": "+e.Detail)
		}
	}
	if want := "status: new -> resolved|resolution: The 2FA clock was off; resynced it."; strings.Join(byAdmin, "|") != want {
		t.Errorf("admin events %q, want %q", byAdmin, want)
	}
	if code, out, _ = c.run("", "tickets", "show", "HD#1000"); !strings.Contains(out, "resolution:\n   The 2FA clock was off") {
		t.Errorf("tickets show:\n%s", out)
	}

	for _, step := range []struct{ cmd, want string }{
		{"reopen", "open"}, {"pending", "pending"}, {"close", "closed"},
	} {
		if code, out, errs = c.run("", "tickets", step.cmd, "HD#1000"); code != 0 || out != "HD#1000 is "+step.want+"\n" {
			t.Errorf("%s: exit %d, %q %s", step.cmd, code, out, errs)
		}
	}
	if code, _, errs = c.run("", "outbox", "flush"); code != 0 {
		t.Fatalf("flush: %s", errs)
	}
	// The acknowledgement, the resolved mail, the closed mail and the survey; no
	// mail for reopen and, by default, none for pending.
	got := c.subjectsTo("alice@a.test")
	want := []string{"[HD#1000] We have received your request: Cannot log in", "[HD#1000] Resolved: Cannot log in", "[HD#1000] Closed: Cannot log in",
		"[HD#1000] How did we do? Cannot log in"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("alice got %q, want %q", got, want)
	}
	if body := c.bodyTo("alice@a.test", "Closed:"); !strings.Contains(body, "The 2FA clock was off; resynced it.") {
		t.Errorf("the closed mail does not carry the resolution:\n%s", body)
	}
}

// No status mail goes where the loop rules forbid automatic mail.
func TestNoStatusMailToANoReplyAddress(t *testing.T) {
	c := newCLI(t)
	if code, out, errs := c.run(mailFrom("Robot <no-reply@shop.test>", "m1@shop.test", "Order 1234"), "ingest", "--mailbox", "support"); code != 0 {
		t.Fatalf("ingest: exit %d, %s %s", code, out, errs)
	}
	if code, _, errs := c.run("", "tickets", "resolve", "HD#1000"); code != 0 {
		t.Fatalf("resolve: exit %d, %s", code, errs)
	}
	c.run("", "outbox", "flush")
	if got := c.subjectsTo("no-reply@shop.test"); len(got) != 0 {
		t.Errorf("no-reply got %q", got)
	}
	_, out, _ := c.run("", "tickets", "show", "HD#1000", "--json")
	if !strings.Contains(out, "resolved not sent") {
		t.Errorf("no event says the resolved mail was not sent:\n%s", out)
	}
}

// headerOfMail parses the header of raw mail data.
func (c *cli) headerOfMail(data []byte) mail.Header {
	c.t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(data))
	if err != nil {
		c.t.Fatal(err)
	}
	return mr.Header
}

// bodyTo is the text part of the last mail to rcpt whose subject has subject.
func (c *cli) bodyTo(rcpt, subject string) string {
	c.t.Helper()
	mails := c.sink.Mails()
	for i := len(mails) - 1; i >= 0; i-- {
		if h := c.headerOfMail(mails[i].Data); mails[i].To[0] != rcpt || !strings.Contains(h.Get("Subject"), subject) {
			continue
		}
		mr, err := mail.CreateReader(bytes.NewReader(mails[i].Data))
		if err != nil {
			c.t.Fatal(err)
		}
		for {
			p, err := mr.NextPart()
			if err != nil {
				return ""
			}
			if ct, _, _ := p.Header.(*mail.InlineHeader).ContentType(); ct == "text/plain" {
				b, _ := io.ReadAll(p.Body)
				return string(b)
			}
		}
	}
	return ""
}

// A spam ticket can take no status, and merging it mails nobody.
func TestNoStatusMailForSpam(t *testing.T) {
	c := newCLI(t)
	c.run(mailFrom("Alice <alice@a.test>", "m1@a.test", "Cannot log in"), "ingest", "--mailbox", "support")
	spam := "From: x@y.test\r\nTo: support@example.com\r\nSubject: hi\r\nMessage-ID: <sf@y.test>\r\nX-Spam-Flag: YES\r\n\r\nbuy\r\n"
	if code, out, errs := c.run(spam, "ingest", "--mailbox", "support"); code != 0 || !strings.Contains(out, "HD#1001") {
		t.Fatalf("ingest: exit %d, %s %s", code, out, errs)
	}
	if code, _, errs := c.run("", "tickets", "resolve", "HD#1001"); code != 1 || !strings.Contains(errs, "HD#1001 is spam") {
		t.Errorf("resolve of spam: exit %d, %s", code, errs)
	}
	if code, _, errs := c.run("", "tickets", "merge", "1001", "1000"); code != 0 {
		t.Fatalf("merge: exit %d, %s", code, errs)
	}
	c.run("", "outbox", "flush")
	if got := c.subjectsTo("x@y.test"); len(got) != 0 {
		t.Errorf("the spammer got %q", got)
	}
}

// Cron runs the schedule: what is due at --at runs once, and list shows
// what is left.
func TestScheduleListAndRunAt(t *testing.T) {
	c := newCLI(t)
	c.run(mailFrom("Alice <alice@a.test>", "m1@a.test", "Cannot log in"), "ingest", "--mailbox", "support")
	if code, _, errs := c.run("", "tickets", "resolve", "HD#1000"); code != 0 {
		t.Fatalf("resolve: %s", errs)
	}
	code, out, errs := c.run("", "schedule", "list", "--json")
	var jobs []struct {
		Ticket, Kind string
		DueAt        time.Time `json:"due_at"`
	}
	if err := json.Unmarshal([]byte(out), &jobs); code != 0 || err != nil || len(jobs) != 1 || jobs[0].Ticket != "HD#1000" || jobs[0].Kind != "auto_close" {
		t.Fatalf("schedule list: exit %d, %v, %s %s", code, err, out, errs)
	}
	if until := time.Until(jobs[0].DueAt); until < 71*time.Hour || until > 73*time.Hour {
		t.Errorf("auto-close due in %v, want 3 days", until)
	}
	early := jobs[0].DueAt.Add(-time.Minute).Format(time.RFC3339)
	if code, out, _ = c.run("", "schedule", "run", "--at", early, "--json"); code != 0 || out != "[]\n" {
		t.Errorf("run before due: exit %d, %q", code, out)
	}
	at := jobs[0].DueAt.Add(time.Minute).Format(time.RFC3339)
	if code, out, errs = c.run("", "schedule", "run", "--at", at); code != 0 || !strings.Contains(out, "HD#1000  auto_close") || !strings.Contains(out, "closed") {
		t.Errorf("run at due: exit %d, %q %s", code, out, errs)
	}
	if code, out, _ = c.run("", "schedule", "run", "--at", at, "--json"); code != 0 || out != "[]\n" {
		t.Errorf("second run: exit %d, %q, want nothing left", code, out)
	}
	if code, out, _ = c.run("", "tickets", "show", "1000", "--json"); !strings.Contains(out, `"status": "closed"`) {
		t.Errorf("after the run: %s", out)
	}
	rating := "From: Alice <alice@a.test>\r\nTo: support@example.com\r\nSubject: Re: [HD#1000] How did we do?\r\nMessage-ID: <rate@a.test>\r\n\r\n5 - quick and kind\r\n"
	c.run("", "outbox", "flush")
	if code, out, errs = c.run(rating, "ingest", "--mailbox", "support", "--json"); code != 0 || !strings.Contains(out, `"reopened": false`) {
		t.Fatalf("the rating: exit %d, %s %s", code, out, errs)
	}
	_, out, _ = c.run("", "tickets", "show", "1000", "--json")
	var show struct {
		Status string
		CSAT   *struct {
			Rating  int
			Comment string
			At      time.Time
		}
	}
	if err := json.Unmarshal([]byte(out), &show); err != nil || show.Status != "closed" || show.CSAT == nil || show.CSAT.Rating != 5 ||
		show.CSAT.Comment != "quick and kind" || show.CSAT.At.IsZero() {
		t.Errorf("after the rating: %v %+v", err, show)
	}
	if code, _, errs = c.run("", "schedule", "run", "--at", "tomorrow"); code != 2 || !strings.Contains(errs, "RFC 3339") {
		t.Errorf("a bad --at: exit %d, %s", code, errs)
	}
}

func TestAnAdminSetsATicketWaitingOnAVendorAndListsIt(t *testing.T) {
	c := newCLI(t)
	if code, out, errs := c.run(mailFrom("Alice <alice@a.test>", "m1@a.test", "Printer on fire"), "ingest", "--mailbox", "support"); code != 0 {
		t.Fatalf("ingest: exit %d, %s %s", code, out, errs)
	}
	if code, out, errs := c.run("", "tickets", "pending-vendor", "HD#1000"); code != 0 || out != "HD#1000 is pending_vendor\n" {
		t.Fatalf("pending-vendor: exit %d, %q %s", code, out, errs)
	}
	code, out, errs := c.run("", "tickets", "list", "--status", "pending_vendor", "--json")
	var list []struct{ Ref, Status string }
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 1 || list[0].Status != "pending_vendor" {
		t.Errorf("list --status pending_vendor: exit %d, %v, %+v %s", code, err, list, errs)
	}
	if code, out, _ := c.run("", "report"); code != 0 || !strings.Contains(out, "pending_vendor 1") {
		t.Errorf("the report's backlog does not count it: exit %d\n%s", code, out)
	}
	if code, out, errs := c.run("", "tickets", "reopen", "1000"); code != 0 || out != "HD#1000 is open\n" {
		t.Errorf("reopen: exit %d, %q %s", code, out, errs)
	}
}
