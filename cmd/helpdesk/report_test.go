package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The report through the command line: two tickets taken by ingest, one
// resolved then reopened by the admin; the figures come out in text and
// JSON, and the flags are checked.
func TestReportCommandPrintsTheFiguresOfWhatWasIngested(t *testing.T) {
	c := newCLI(t)
	for _, m := range []struct{ from, id, subject string }{
		{"Alice <alice@a.test>", "r1@a.test", "Cannot log in"},
		{"Alice <alice@a.test>", "r2@a.test", "Invoice missing"},
		{"Bob <bob@b.test>", "r3@b.test", "Printer"},
	} {
		if code, out, errs := c.run(mailFrom(m.from, m.id, m.subject), "ingest", "--mailbox", "support"); code != 0 {
			t.Fatalf("ingest: exit %d, %s %s", code, out, errs)
		}
	}
	for _, step := range [][]string{{"resolve", "HD#1000"}, {"reopen", "HD#1000"}, {"resolve", "HD#1001"}} {
		if code, _, errs := c.run("", "tickets", step[0], step[1]); code != 0 {
			t.Fatalf("tickets %v: %s", step, errs)
		}
	}

	code, out, errs := c.run("", "report", "--json")
	if code != 0 {
		t.Fatalf("report --json: exit %d, %s", code, errs)
	}
	var rep struct {
		Backlog struct {
			Total                int
			ByStatus             map[string]int `json:"by_status"`
			AwaitingConfirmation int            `json:"awaiting_confirmation"`
		}
		Daily []struct {
			Date    string
			Created int
		}
		FirstResponse struct{ Count, Waiting int } `json:"first_response"`
		Resolution    struct{ Count int }
		Reopened      struct {
			Count, Of int
			Rate      float64
		}
		BusiestSenders []struct {
			Email   string
			Tickets int
		} `json:"busiest_senders"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report --json: %v\n%s", err, out)
	}
	// HD#1000 open again, HD#1002 new; HD#1001 resolved.
	if rep.Backlog.Total != 2 || rep.Backlog.ByStatus["open"] != 1 || rep.Backlog.ByStatus["new"] != 1 || rep.Backlog.AwaitingConfirmation != 1 {
		t.Errorf("backlog %+v, want HD#1000 open, HD#1002 new, HD#1001 awaiting confirmation", rep.Backlog)
	}
	created := 0
	for _, d := range rep.Daily {
		created += d.Created
	}
	if len(rep.Daily) < 30 || created != 3 {
		t.Errorf("daily: %d days with %d tickets created, want 30 or 31 days and 3 tickets", len(rep.Daily), created)
	}
	if rep.FirstResponse.Count != 0 || rep.FirstResponse.Waiting != 3 || rep.Resolution.Count != 1 {
		t.Errorf("first response %+v, resolution %+v: want 3 unanswered, 1 resolved", rep.FirstResponse, rep.Resolution)
	}
	if rep.Reopened.Count != 1 || rep.Reopened.Of != 2 || rep.Reopened.Rate != 0.5 {
		t.Errorf("reopened %+v, want 1 of 2", rep.Reopened)
	}
	if len(rep.BusiestSenders) != 2 || rep.BusiestSenders[0].Email != "alice@a.test" || rep.BusiestSenders[0].Tickets != 2 {
		t.Errorf("busiest senders %+v, want alice with 2 first", rep.BusiestSenders)
	}

	code, out, errs = c.run("", "report")
	for _, want := range []string{"Backlog now    2  (new 1, open 1, pending 0, pending_vendor 0; resolved awaiting confirmation 1)", "Reopened                  50.0% (1 of 2)", "(1 ticket)", "alice@a.test", "3 unanswered"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("report: exit %d, want %q in:\n%s%s", code, want, out, errs)
		}
	}

	page := filepath.Join(t.TempDir(), "report.html")
	if code, _, errs = c.run("", "report", "--html", page); code != 0 {
		t.Fatalf("report --html: exit %d, %s", code, errs)
	}
	if b, err := os.ReadFile(page); err != nil || !strings.Contains(string(b), `aria-label="Backlog by status. new: 1, open: 1, pending: 0, pending_vendor: 0"`) {
		t.Errorf("report --html wrote %d bytes (%v) without the backlog chart", len(b), err)
	}

	for _, bad := range [][]string{{"--since", "soon"}, {"--until", "tomorrow"}, {"extra"}} {
		if code, _, errs := c.run("", append([]string{"report"}, bad...)...); code != 2 {
			t.Errorf("report %v: exit %d, want 2; %s", bad, code, errs)
		}
	}
	if code, _, errs := c.run("", "report", "--since", "2030-01-01"); code != 1 || !strings.Contains(errs, "not before") {
		t.Errorf("report from the future: exit %d, %s", code, errs)
	}
}
