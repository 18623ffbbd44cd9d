package desk_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"helpdesk/config"
	"helpdesk/desk"
	"helpdesk/tickets"
)

// lifecycleHarness is agentHarness that also returns its config, to
// open the desk again as a restarted daemon would.
func lifecycleHarness(t *testing.T) (*harness, *config.Config) {
	t.Helper()
	h := newHarness(t)
	h.desk.Close()
	cfg, err := config.Parse([]byte(baseTOML(testDSN(t), h.sink.Port())+`
[[mailbox]]
name = "sales"
address = "sales@example.com"
queue = "sales"
`+staffTOML), "lifecycle.toml")
	if err != nil {
		t.Fatal(err)
	}
	h.open(cfg)
	return h, cfg
}

// runDue runs the scheduler at the harness's clock and returns what ran.
func (h *harness) runDue() []string {
	h.t.Helper()
	runs, err := h.desk.RunSchedule(h.ctx, time.Time{})
	if err != nil {
		h.t.Fatalf("running the schedule: %v", err)
	}
	var out []string
	for _, r := range runs {
		out = append(out, r.Kind+": "+r.Done)
	}
	return out
}

func (h *harness) jobs() []tickets.Job {
	h.t.Helper()
	jobs, err := h.desk.Store.Jobs(h.ctx, time.Time{}, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	return jobs
}

func TestPendingIsRemindedOnceThenResolvedThenClosedAcrossARestart(t *testing.T) {
	onEachDatabase(t, testPendingIsRemindedOnceThenResolvedThenClosedAcrossARestart)
}

func testPendingIsRemindedOnceThenResolvedThenClosedAcrossARestart(t *testing.T) {
	h, cfg := lifecycleHarness(t)
	out, notice, _ := assigned(h)
	answer(h, notice, "#status pending\n\nWhich room is it in?")
	h.flush()
	pendingAt := h.now
	if jobs := h.jobs(); len(jobs) != 2 || jobs[0].Kind != tickets.JobPendingReminder || jobs[1].Kind != tickets.JobPendingResolve {
		t.Fatalf("jobs %+v, want the reminder and the resolve", jobs)
	}
	h.now = pendingAt.Add(72*time.Hour - time.Minute)
	if ran := h.runDue(); len(ran) != 0 {
		t.Errorf("before the reminder was due: ran %v", ran)
	}
	// A restart between due times changes nothing.
	before := h.jobs()
	h.desk.Close()
	h.open(cfg)
	if after := h.jobs(); len(after) != 2 || after[0] != before[0] || after[1] != before[1] {
		t.Errorf("jobs after a restart %+v, want %+v", after, before)
	}
	mark := h.mark()
	h.now = pendingAt.Add(72 * time.Hour)
	if ran := h.runDue(); strings.Join(ran, "|") != "pending_reminder: reminded" {
		t.Errorf("ran %v, want the reminder", ran)
	}
	if ran := h.runDue(); len(ran) != 0 {
		t.Errorf("ran %v again", ran)
	}
	h.flush()
	if got := h.mailTo("alice@a.test", mark); len(got) != 1 || !strings.Contains(got[0].subject, "Still waiting for your reply") {
		t.Errorf("Alice got %+v, want one reminder", got)
	}
	mark = h.mark()
	h.now = pendingAt.Add(7 * 24 * time.Hour)
	if ran := h.runDue(); strings.Join(ran, "|") != "pending_resolve: resolved" {
		t.Errorf("ran %v, want the resolve", ran)
	}
	tk := h.ticket(out.TicketID)
	if tk.Status != tickets.StatusResolved || !strings.Contains(tk.Resolution, "no reply from the customer in 7 days") {
		t.Errorf("status %s, resolution %q", tk.Status, tk.Resolution)
	}
	resolvedAt := h.now
	h.now = resolvedAt.Add(72*time.Hour - time.Second)
	if ran := h.runDue(); len(ran) != 0 {
		t.Errorf("before the auto-close: ran %v", ran)
	}
	h.now = resolvedAt.Add(72 * time.Hour)
	if ran := h.runDue(); strings.Join(ran, "|") != "auto_close: closed" {
		t.Errorf("ran %v, want the auto-close", ran)
	}
	h.flush()
	var subjects []string
	for _, m := range h.mailTo("alice@a.test", mark) {
		subjects = append(subjects, m.subject)
	}
	if len(subjects) != 3 || !strings.Contains(subjects[0], "Resolved:") || !strings.Contains(subjects[1], "Closed:") || !strings.Contains(subjects[2], "How did we do?") {
		t.Errorf("Alice got %q, want the resolved and the closed mail, and the survey", subjects)
	}
	if tk := h.ticket(out.TicketID); tk.Status != tickets.StatusClosed || len(h.jobs()) != 0 {
		t.Errorf("status %s, jobs %+v; want closed and nothing left", tk.Status, h.jobs())
	}
	if !hasEventLike(h.events(out.TicketID), tickets.EventStatus, "resolved -> closed") {
		t.Errorf("events %+v", h.events(out.TicketID))
	}
}

func TestACustomerReplyResetsTheAutoClose(t *testing.T) {
	h, _ := lifecycleHarness(t)
	out, notice, _ := assigned(h)
	answer(h, notice, "#status resolved\n\nHi Alice, the fire is out.")
	h.flush()
	h.now = h.now.Add(48 * time.Hour)
	h.deliver("support", customerReply(h, out.Ref, "r1@a.test", "Thanks, works now!"))
	thanked := h.now
	h.now = thanked.Add(48 * time.Hour)
	if ran := h.runDue(); len(ran) != 0 {
		t.Errorf("three days after the resolve but two after the thanks: ran %v", ran)
	}
	h.now = thanked.Add(72 * time.Hour)
	if ran := h.runDue(); strings.Join(ran, "|") != "auto_close: closed" {
		t.Errorf("ran %v, want the auto-close three days after the thanks", ran)
	}
	// Reopened by a reply: no job is left to close it.
	answer(h, notice, "#status resolved")
	h.deliver("support", customerReply(h, out.Ref, "r2@a.test", "It is on fire again."))
	if tk := h.ticket(out.TicketID); tk.Status != tickets.StatusOpen || len(h.jobs()) != 0 {
		t.Errorf("status %s, jobs %+v; want open and no jobs", tk.Status, h.jobs())
	}
}

// The daemon runs a job within seconds of its time, and the sender
// delivers the mail it queued.
func TestTheDaemonRunsDueJobsAndSendsTheirMail(t *testing.T) {
	h, cfg := lifecycleHarness(t)
	out, notice, _ := assigned(h)
	answer(h, notice, "#status resolved")
	h.flush()
	mark := h.mark()
	var mu sync.Mutex
	clock := h.now
	h.desk.Close()
	d, err := desk.Open(h.ctx, cfg, desk.Options{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan struct{})
	go func() { d.Run(ctx, desk.RunOptions{Grace: 5 * time.Second}); close(done) }()
	defer func() { cancel(); <-done }()
	mu.Lock()
	clock = clock.Add(72 * time.Hour)
	mu.Unlock()
	wait, stop := context.WithTimeout(h.ctx, 20*time.Second)
	defer stop()
	mails, err := h.sink.WaitFor(wait, mark+1)
	if err != nil {
		t.Fatalf("no closed mail from the daemon: %v", err)
	}
	if got := string(mails[mark].Data); !strings.Contains(got, "Closed: Printer on fire") {
		t.Errorf("the daemon sent:\n%s", got)
	}
	if tk, _ := d.Store.Ticket(h.ctx, out.TicketID); tk.Status != tickets.StatusClosed {
		t.Errorf("status %s", tk.Status)
	}
}

func TestAClosedTicketGetsOneSurveyAndADigitRatesItWithoutReopening(t *testing.T) {
	onEachDatabase(t, testAClosedTicketGetsOneSurveyAndADigitRatesItWithoutReopening)
}

func testAClosedTicketGetsOneSurveyAndADigitRatesItWithoutReopening(t *testing.T) {
	h, _ := lifecycleHarness(t)
	out, notice, _ := assigned(h)
	answer(h, notice, "#status resolved\n\nHi Alice, the fire is out.")
	h.flush()
	mark := h.mark()
	h.now = h.now.Add(72 * time.Hour)
	if ran := h.runDue(); strings.Join(ran, "|") != "auto_close: closed" {
		t.Fatalf("ran %v", ran)
	}
	h.flush()
	got := h.mailTo("alice@a.test", mark)
	if len(got) != 2 || !strings.Contains(got[0].subject, "Closed:") || !strings.Contains(got[1].subject, "How did we do?") {
		t.Fatalf("Alice got %+v, want the closed mail and the survey; events %+v", got, h.events(out.TicketID))
	}
	mark = h.mark()
	res := h.deliver("support", customerReply(h, out.Ref, "rate1@a.test", "4\n\nQuick, but the first answer missed the point."))
	h.flush()
	tk := h.ticket(out.TicketID)
	if res.TicketID != out.TicketID || res.Reopened || tk.Status != tickets.StatusClosed {
		t.Errorf("the rating went to %s, reopened %v, status %s; want it on the closed ticket", res.Ref, res.Reopened, tk.Status)
	}
	if tk.CSAT.Rating != 4 || tk.CSAT.Comment != "Quick, but the first answer missed the point." || tk.CSAT.At.IsZero() {
		t.Errorf("csat %+v", tk.CSAT)
	}
	if n := len(h.mailTo("alice@a.test", mark)); n != 0 {
		t.Errorf("a rating brought %d mails", n)
	}
	h.deliver("support", customerReply(h, out.Ref, "rate2@a.test", "5"))
	if tk := h.ticket(out.TicketID); tk.CSAT.Rating != 5 || tk.CSAT.Comment != "" || !hasEventLike(h.events(tk.ID), tickets.EventCSAT, "rated 5 of 5 by mail (replaces 4)") {
		t.Errorf("second rating: csat %+v", tk.CSAT)
	}
	// Closed again after a reopen: no second survey.
	h.deliver("support", customerReply(h, out.Ref, "again@a.test", "It is on fire again."))
	answer(h, notice, "#status closed")
	h.flush()
	for _, m := range h.mailTo("alice@a.test", mark) {
		if strings.Contains(m.subject, "How did we do?") {
			t.Errorf("a second survey: %q", m.subject)
		}
	}
}
