package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

const slaConfig = `
[[calendar]]
name = "office"
timezone = "Europe/Berlin"
holidays = ["12-25"]

[sla]
calendar = "office"
[sla.P2]
first_response = "4h"
next_response = "8h"
resolution = "2d"
[sla.P3]
first_response = "1h"
`

func slaCLI(t *testing.T) *cli {
	t.Helper()
	c := newCLI(t)
	f, err := os.OpenFile(c.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(slaConfig); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSLACheckPrintsTheDueTimesInTheCalendarsZone(t *testing.T) {
	c := slaCLI(t)
	code, out, errs := c.run("", "sla", "check", "--priority", "P2", "--at", "2026-11-27T16:30:00+01:00")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"calendar office (Europe/Berlin), priority P2\n",
		"opened          2026-11-27T16:30:00+01:00",
		"first_response  2026-11-30T12:30:00+01:00  (4h0m0s of business time)",
		"next_response   2026-11-30T16:30:00+01:00  (8h0m0s of business time)",
		"resolution      2026-12-07T16:30:00+01:00  (48h0m0s of business time)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, errs = c.run("", "sla", "check", "--priority", "P3", "--calendar", "24x7", "--at", "2026-11-27T16:30:00+01:00", "--json")
	var v struct {
		Calendar, Timezone string
		FirstResponseDue   *string `json:"first_response_due"`
	}
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil {
		t.Fatalf("exit %d, %v: %s%s", code, err, out, errs)
	}
	if v.Calendar != "24x7" || v.Timezone != "UTC" || v.FirstResponseDue == nil || *v.FirstResponseDue != "2026-11-27T16:30:00Z" {
		t.Errorf("--json: %s", out)
	}
	if !strings.Contains(out, `"resolution_due": null`) {
		t.Errorf("P3 has no resolution target: %s", out)
	}
	for _, bad := range [][]string{
		{"--priority", "P5"},
		{"--priority", "P2", "--queue", "general", "--calendar", "office"},
		{"--priority", "P2", "--at", "Friday"},
	} {
		if code, _, errs := c.run("", append([]string{"sla", "check"}, bad...)...); code != exitUsage {
			t.Errorf("%v: exit %d, %s", bad, code, errs)
		}
	}
	if code, _, errs := c.run("", "sla", "check", "--priority", "P2", "--queue", "nope"); code != exitError || !strings.Contains(errs, `no queue "nope" (queues: general)`) {
		t.Errorf("unknown queue: exit %d, %s", code, errs)
	}
	if code, out, errs := c.run("", "sla", "check", "--priority", "P2", "--queue", "general", "--at", "2026-11-27T16:30:00+01:00"); code != 0 || !strings.Contains(out, "priority P2, queue general\n") {
		t.Errorf("a mailbox's queue: exit %d, %s%s", code, out, errs)
	}
	if code, _, errs := c.run("", "sla", "check", "--priority", "P2", "--calendar", "offce"); code != exitError || !strings.Contains(errs, `no calendar "offce" (calendars: 24x7, office)`) {
		t.Errorf("unknown calendar: exit %d, %s", code, errs)
	}
}

func TestTicketsCarryTheirSLAAndListFiltersByIt(t *testing.T) {
	c := slaCLI(t)
	if code, _, errs := c.run(mailFrom("Alice <alice@a.test>", "m1@a.test", "Cannot log in"), "ingest", "--mailbox", "support"); code != 0 {
		t.Fatalf("ingest: %s", errs)
	}
	code, out, errs := c.run("", "tickets", "show", "HD#1000", "--json")
	var show struct {
		SLA *struct {
			FirstResponseDue *string `json:"first_response_due"`
			NextResponseDue  *string `json:"next_response_due"`
			ResolutionDue    *string `json:"resolution_due"`
			FirstRespondedAt *string `json:"first_responded_at"`
			State            string  `json:"state"`
		} `json:"sla"`
	}
	if err := json.Unmarshal([]byte(out), &show); code != 0 || err != nil {
		t.Fatalf("exit %d, %v: %s%s", code, err, out, errs)
	}
	if s := show.SLA; s == nil || s.State != "ok" || s.FirstResponseDue == nil || s.NextResponseDue != nil || s.ResolutionDue != nil || s.FirstRespondedAt != nil {
		t.Fatalf("sla = %+v in %s", show.SLA, out)
	}
	if _, out, _ := c.run("", "tickets", "show", "HD#1000"); !strings.Contains(out, "\nsla ok: first_response due ") {
		t.Errorf("tickets show lacks the SLA line:\n%s", out)
	}
	count := func(state string) int {
		t.Helper()
		code, out, errs := c.run("", "tickets", "list", "--sla", state, "--json")
		var list []map[string]any
		if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil {
			t.Fatalf("list --sla %s: exit %d, %v: %s", state, code, err, errs)
		}
		return len(list)
	}
	if count("ok") != 1 || count("breached") != 0 {
		t.Errorf("before the breach: ok %d, breached %d", count("ok"), count("breached"))
	}
	if code, out, errs := c.run("", "schedule", "run", "--at", "2099-01-01T00:00:00Z"); code != 0 || !strings.Contains(out, "sla_breach:first_response") {
		t.Fatalf("schedule run: exit %d: %s%s", code, out, errs)
	}
	if count("ok") != 0 || count("breached") != 1 || count("warning") != 0 {
		t.Errorf("after the breach: ok %d, breached %d, warning %d", count("ok"), count("breached"), count("warning"))
	}
	if code, _, errs := c.run("", "tickets", "list", "--sla", "late"); code != exitUsage || !strings.Contains(errs, "want one of ok, warning, breached, paused, met") {
		t.Errorf("--sla late: exit %d, %s", code, errs)
	}
}

func TestTicketsPriorityRecomputesTheDueTimes(t *testing.T) {
	c := slaCLI(t)
	if code, _, errs := c.run(mailFrom("Alice <alice@a.test>", "m1@a.test", "Cannot log in"), "ingest", "--mailbox", "support"); code != 0 {
		t.Fatalf("ingest: %s", errs)
	}
	code, out, errs := c.run("", "tickets", "priority", "HD#1000", "P2")
	if code != 0 || !strings.Contains(out, "HD#1000 is P2\nfirst_response due ") || !strings.Contains(out, "\nresolution due ") {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
	_, out, _ = c.run("", "tickets", "show", "HD#1000", "--json")
	if !strings.Contains(out, `"priority": "P2"`) || !strings.Contains(out, `"kind": "sla_recomputed"`) || !strings.Contains(out, `P2: first_response due `) {
		t.Errorf("after the change:\n%s", out)
	}
	if code, _, errs := c.run("", "tickets", "priority", "HD#1000", "P2"); code != exitError || !strings.Contains(errs, "is P2 already") {
		t.Errorf("the same priority again: exit %d, %s", code, errs)
	}
	if code, _, _ := c.run("", "tickets", "priority", "HD#1000", "urgent"); code != exitUsage {
		t.Errorf("a priority that is none: exit %d", code)
	}
}
