package desk_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"helpdesk/config"
	"helpdesk/desk"
	"helpdesk/tickets"
)

// slaTOML is an office in Berlin, 09:00-17:00 Monday to Friday, whose
// clocks warn at 75%; P3 promises an answer in 4h, a next answer in 2h
// and a resolution in 16h, P2 in 2h, 1h30m and 8h.
const slaTOML = `
[[calendar]]
name = "office"
timezone = "Europe/Berlin"

[sla]
calendar = "office"
warn_at = 0.75
[sla.P3]
first_response = "4h"
next_response = "2h"
resolution = "16h"
[sla.P2]
first_response = "2h"
next_response = "1h30m"
resolution = "8h"
`

// clocks returns the SLA clocks of ticket id by target.
func (h *harness) clocks(id int64) map[string]tickets.SLAClock {
	h.t.Helper()
	cs, err := h.desk.Store.SLAClocks(h.ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]tickets.SLAClock{}
	for _, c := range cs {
		out[c.Target] = c
	}
	return out
}

// slaRuns is what the scheduler did at the harness's clock about SLAs.
func (h *harness) slaRuns() []string {
	h.t.Helper()
	return slices.DeleteFunc(h.runDue(), func(s string) bool { return !strings.HasPrefix(s, "sla_") })
}

func berlin(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func wantEvent(t *testing.T, h *harness, id int64, kind, detail string) {
	t.Helper()
	if !hasEventLike(h.events(id), kind, detail) {
		var got []string
		for _, e := range h.events(id) {
			if strings.HasPrefix(e.Kind, "sla_") {
				got = append(got, e.Kind+": "+e.Detail)
			}
		}
		t.Errorf("no %s event with %q; the SLA events:\n%s", kind, detail, strings.Join(got, "\n"))
	}
}

func TestSLAClocksPauseResumeRecomputeWarnAndBreachOnce(t *testing.T) {
	onEachDatabase(t, testSLAClocksPauseResumeRecomputeWarnAndBreachOnce)
}

// A German invoice ticket (queue billing, escalation lead@example.com,
// Ann's) opened Monday 10:00 in Berlin, followed through a week.
func testSLAClocksPauseResumeRecomputeWarnAndBreachOnce(t *testing.T) {
	h := agentHarness(t, slaTOML)
	h.now = berlin(t, "2026-03-02 10:00:00")
	mark := h.mark()
	out := h.deliver("support", customer("inv@a.test", "Alice <alice@a.test>", "Rechnung falsch", "Die Rechnung ist doppelt."))
	h.flush()
	notice := h.oneMailTo("ann@example.com", mark)
	if !strings.Contains(notice.text, "Answer by:  Mon 2 Mar 2026 14:00 CET (customer's time: Mon 2 Mar 2026 13:00 UTC+00:00)") ||
		!strings.Contains(notice.text, "Resolve by: Wed 4 Mar 2026 10:00 CET") {
		t.Errorf("Ann's notice does not show the due times:\n%s", notice.text)
	}
	c := h.clocks(out.TicketID)
	if got := c[tickets.TargetFirstResponse].Due; !got.Equal(berlin(t, "2026-03-02 14:00:00")) {
		t.Errorf("first response due %s, want Monday 14:00", got)
	}
	// 7h on Monday, 8h on Tuesday, 1h on Wednesday.
	if got := c[tickets.TargetResolution].Due; !got.Equal(berlin(t, "2026-03-04 10:00:00")) {
		t.Errorf("resolution due %s, want Wednesday 10:00", got)
	}

	// The warning at 75% of 4h, once.
	h.now = berlin(t, "2026-03-02 12:59:59")
	if ran := h.slaRuns(); len(ran) != 0 {
		t.Errorf("before 75%%: %v", ran)
	}
	mark = h.mark()
	h.now = berlin(t, "2026-03-02 13:00:00")
	if ran := h.slaRuns(); !slices.Equal(ran, []string{"sla_warning:first_response: warned"}) {
		t.Errorf("at 75%%: %v", ran)
	}
	if ran := h.slaRuns(); len(ran) != 0 {
		t.Errorf("again at 75%%: %v", ran)
	}
	h.flush()
	warning := h.oneMailTo("ann@example.com", mark)
	if !strings.Contains(warning.subject, "SLA warning: first response due Mon 2 Mar 2026 14:00 CET") {
		t.Errorf("warning subject %q", warning.subject)
	}
	wantEvent(t, h, out.TicketID, tickets.EventSLAWarning, "first_response at 75%: 3h0m0s of 4h0m0s used (P3, calendar office), due 2026-03-02T14:00:00+01:00")

	// Ann answers and waits on Alice: first response met, resolution paused.
	h.now = berlin(t, "2026-03-02 13:30:00")
	answer(h, warning, "#status pending\n\nWelche Rechnungsnummer?")
	h.flush()
	wantEvent(t, h, out.TicketID, tickets.EventSLAMet, "first_response met: 3h30m0s of 4h0m0s used")
	wantEvent(t, h, out.TicketID, tickets.EventSLAPaused, "resolution paused (pending): 3h30m0s of 16h0m0s used")
	h.now = berlin(t, "2026-03-04 10:00:00") // when it would have been due
	if ran := h.slaRuns(); len(ran) != 0 {
		t.Errorf("while paused: %v", ran)
	}

	// Alice answers Wednesday 13:00: resolution resumes with 12h30m left,
	// and the next response is due in 2h.
	h.now = berlin(t, "2026-03-04 13:00:00")
	h.deliver("support", customerReply(h, out.Ref, "inv2@a.test", "Nummer 4711."))
	wantEvent(t, h, out.TicketID, tickets.EventSLAResumed, "resolution resumed: 3h30m0s of 16h0m0s used (P3, calendar office), due 2026-03-06T09:30:00+01:00")
	wantEvent(t, h, out.TicketID, tickets.EventSLAStarted, "next_response started by the customer's reply: 0s of 2h0m0s used (P3, calendar office), due 2026-03-04T15:00:00+01:00")

	// Half-way, Ann makes it P2: the time used stays, the goals change.
	h.now = berlin(t, "2026-03-04 14:00:00")
	answer(h, warning, "#priority P2")
	wantEvent(t, h, out.TicketID, tickets.EventSLARecomputed, "priority P3 -> P2: next_response due 2026-03-04T14:30:00+01:00 (1h0m0s of 1h30m0s used), "+
		"resolution due 2026-03-05T09:30:00+01:00 (4h30m0s of 8h0m0s used)")

	// The next response's warning, then its breach: to the escalation
	// address and Ann, once each.
	h.flush()
	mark = h.mark()
	h.now = berlin(t, "2026-03-04 14:07:30")
	if ran := h.slaRuns(); !slices.Equal(ran, []string{"sla_warning:next_response: warned"}) {
		t.Errorf("at 75%% of the next response: %v", ran)
	}
	h.now = berlin(t, "2026-03-04 14:30:00")
	if ran := h.slaRuns(); !slices.Equal(ran, []string{"sla_breach:next_response: breached"}) {
		t.Errorf("at the next response's due time: %v", ran)
	}
	h.now = berlin(t, "2026-03-04 15:00:00")
	if ran := h.slaRuns(); len(ran) != 0 {
		t.Errorf("after the breach: %v", ran)
	}
	h.flush()
	lead := h.oneMailTo("lead@example.com", mark)
	if !strings.Contains(lead.subject, "SLA breached: next response was due Wed 4 Mar 2026 14:30 CET") || lead.replyTo != "" ||
		!strings.Contains(lead.text, "(Wed 4 Mar 2026 13:30 UTC+00:00, customer's time)") || !strings.Contains(lead.text, "Assignee: Ann Agent <ann@example.com>") {
		t.Errorf("escalation mail: subject %q, reply-to %q:\n%s", lead.subject, lead.replyTo, lead.text)
	}
	var kinds []string
	for _, m := range h.mailTo("ann@example.com", mark) {
		kinds = append(kinds, m.subject)
	}
	if len(kinds) != 2 || !strings.Contains(kinds[0], "SLA warning: next response") || !strings.Contains(kinds[1], "SLA breached: next response") {
		t.Errorf("Ann got %q, want the warning and the breach", kinds)
	}

	// Ann answers late, then resolves: both met, the breach stays on record.
	h.now = berlin(t, "2026-03-04 15:00:00")
	answer(h, warning, "Die doppelte Rechnung ist storniert.")
	wantEvent(t, h, out.TicketID, tickets.EventSLAMet, "next_response met late: 2h0m0s of 1h30m0s used")
	h.now = berlin(t, "2026-03-04 15:10:00")
	answer(h, warning, "#status resolved Storniert.")
	wantEvent(t, h, out.TicketID, tickets.EventSLAMet, "resolution met: 5h30m0s of 8h0m0s used (P2, calendar office)")
	cs, _ := h.desk.Store.SLAClocks(h.ctx, out.TicketID)
	if got := tickets.SLAState(cs, h.now); got != tickets.SLABreached {
		t.Errorf("state %q, want breached", got)
	}
	h.now = berlin(t, "2026-03-20 10:00:00")
	if ran := h.slaRuns(); len(ran) != 0 {
		t.Errorf("after the resolve: %v", ran)
	}
	if n := len(h.mailTo("lead@example.com", 0)); n != 1 {
		t.Errorf("%d mails to the escalation address, want 1", n)
	}
}

// A target met before its warning never warns, and a ticket answered
// and resolved in time is met.
func TestMetTargetsNeverWarn(t *testing.T) {
	h := agentHarness(t, slaTOML)
	h.now = berlin(t, "2026-03-06 16:30:00") // a Friday
	mark := h.mark()
	out := h.deliver("support", customer("inv@a.test", "Alice <alice@a.test>", "Rechnung falsch", "Die Rechnung ist doppelt."))
	h.flush()
	notice := h.oneMailTo("ann@example.com", mark)
	// 30 minutes on Friday, 3h30m on Monday.
	if got := h.clocks(out.TicketID)[tickets.TargetFirstResponse].Due; !got.Equal(berlin(t, "2026-03-09 12:30:00")) {
		t.Errorf("first response due %s, want Monday 12:30", got)
	}
	h.now = berlin(t, "2026-03-09 09:30:00")
	answer(h, notice, "#status resolved\n\nDie doppelte Rechnung ist storniert.")
	for _, at := range []string{"2026-03-09 12:30:00", "2026-03-20 12:00:00"} {
		h.now = berlin(t, at)
		if ran := h.slaRuns(); len(ran) != 0 {
			t.Errorf("at %s: %v", at, ran)
		}
	}
	if k := h.sentKinds(out.TicketID); k[tickets.TemplateSLAWarning] != 0 || k[tickets.TemplateSLABreach] != 0 {
		t.Errorf("sent %v", k)
	}
	cs, _ := h.desk.Store.SLAClocks(h.ctx, out.TicketID)
	if got := tickets.SLAState(cs, h.now); got != tickets.SLAMet {
		t.Errorf("state %q, want met", got)
	}
	wantEvent(t, h, out.TicketID, tickets.EventSLAMet, "first_response met: 1h0m0s of 4h0m0s used")

	// An out-of-office reply that opens a ticket promises nobody anything.
	robot := h.deliver("support", "From: Bob <bob@b.test>\r\nTo: support@example.com\r\nSubject: Out of office\r\n"+
		"Message-ID: <ooo@b.test>\r\nAuto-Submitted: auto-replied\r\n\r\nBack on Monday.\r\n")
	if cs := h.clocks(robot.TicketID); !robot.Created || len(cs) != 0 {
		t.Errorf("a robot's ticket (%+v) has clocks: %+v", robot, cs)
	}
}

// The daemon's own scheduler sends the breach to the escalation address,
// once, on short targets of the 24x7 calendar.
func TestTheDaemonSendsABreachToTheEscalationAddressOnce(t *testing.T) {
	onEachDatabase(t, testTheDaemonSendsABreachToTheEscalationAddressOnce)
}

func testTheDaemonSendsABreachToTheEscalationAddressOnce(t *testing.T) {
	h := newHarness(t)
	h.desk.Close()
	cfg, err := config.Parse([]byte(baseTOML(testDSN(t), h.sink.Port())+`
[[queue]]
name = "general"
escalation = "lead@example.com"
[sla.P3]
first_response = "10m"
`), "sla.toml")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	clock := h.now
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	d, err := desk.Open(h.ctx, cfg, desk.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	out, err := d.Deliver(h.ctx, "support", []byte(customer("late@a.test", "Alice <alice@a.test>", "Printer on fire", "Room 4.")))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan struct{})
	go func() { d.Run(ctx, desk.RunOptions{Grace: 5 * time.Second}); close(done) }()
	defer cancel()
	wait, stop := context.WithTimeout(h.ctx, 20*time.Second)
	defer stop()
	if _, err := h.sink.WaitFor(wait, 1); err != nil { // the acknowledgement
		t.Fatal(err)
	}
	mu.Lock()
	clock = clock.Add(10 * time.Minute)
	mu.Unlock()
	mails, err := h.sink.WaitFor(wait, 2)
	if err != nil {
		evs, _ := d.Store.Events(h.ctx, out.TicketID)
		jobs, _ := d.Store.Jobs(h.ctx, time.Time{}, 0)
		t.Fatalf("no breach mail from the daemon: %v\nevents %+v\njobs %+v", err, evs, jobs)
	}
	if got := string(mails[1].Data); !slices.Contains(mails[1].To, "lead@example.com") ||
		!strings.Contains(got, fmt.Sprintf("[HD#%d] SLA breached: first response was due", out.TicketID)) ||
		!strings.Contains(got, "Due:      Mon 2 Mar 2026 09:10 UTC") {
		t.Errorf("the daemon sent to %v:\n%s", mails[1].To, got)
	}
	// The metrics count the breach, and the report the missed target.
	srv := httptest.NewServer(d.MetricsHandler())
	defer srv.Close()
	if _, body := getPage(t, srv.URL); !strings.Contains(body, `helpdesk_sla_breaches_total{target="first_response"} 1`) {
		t.Errorf("metrics: %s", grepLines(body, "helpdesk_sla"))
	}
	rep, err := d.Report(h.ctx, tickets.ReportOptions{Since: h.now.Add(-time.Hour), Until: h.now.Add(time.Hour)})
	if err != nil || !slices.Equal(rep.SLA, []tickets.SLACompliance{{Priority: "P3", Target: "first_response", Missed: 1}}) {
		t.Errorf("report SLA %+v, %v; want P3's first response missed once", rep.SLA, err)
	}
	// The daemon stops; later runs of the scheduler send nothing more.
	cancel()
	<-done
	mu.Lock()
	clock = clock.Add(time.Hour)
	mu.Unlock()
	if runs, err := d.RunSchedule(h.ctx, time.Time{}); err != nil || len(runs) != 0 {
		t.Errorf("after the breach the scheduler ran %v, %v", runs, err)
	}
	m := d.NewMailer()
	defer m.Close()
	if _, err := d.FlushOutbox(h.ctx, m); err != nil {
		t.Fatal(err)
	}
	if n := len(h.sink.Mails()); n != 2 {
		t.Errorf("%d mails, want the acknowledgement and one breach", n)
	}
	evs, _ := d.Store.Events(h.ctx, out.TicketID)
	if !hasEventLike(evs, tickets.EventSLABreach, "first_response breached: 10m0s of 10m0s used (P3, calendar 24x7)") {
		t.Errorf("events %+v", evs)
	}
}

// An unassigned ticket's warnings go to its queue's agents, each seeing
// the due time in their own zone; its breaches go to the escalation
// address, and a resolution breach raises the priority once.
func TestWarningsGoToTheQueueAndABreachBumpsThePriority(t *testing.T) {
	h := newHarness(t)
	h.desk.Close()
	cfg, err := config.Parse([]byte(baseTOML(testDSN(t), h.sink.Port())+`
[[queue]]
name = "general"
assignment = "manual"
escalation = "lead@example.com"
[[agent]]
name = "Nina York"
email = "nina@example.com"
queues = ["general"]
timezone = "America/New_York"
[[agent]]
name = "Otto Utc"
email = "otto@example.com"
queues = ["general"]

[sla]
bump_on_breach = true
[sla.P3]
first_response = "1h"
resolution = "2h"
[sla.P2]
resolution = "1h"
`), "sla.toml")
	if err != nil {
		t.Fatal(err)
	}
	h.open(cfg)
	mark := h.mark()
	out := h.deliver("support", customer("q@a.test", "Alice <alice@a.test>", "Printer on fire", "Room 4."))
	h.flush()
	if n := h.oneMailTo("nina@example.com", mark); !strings.Contains(n.text, "Answer by:  Mon 2 Mar 2026 05:00 EST (customer's time: Mon 2 Mar 2026 10:00 UTC+00:00)") {
		t.Errorf("Nina's notice:\n%s", n.text)
	}
	if n := h.oneMailTo("otto@example.com", mark); !strings.Contains(n.text, "Answer by:  Mon 2 Mar 2026 10:00 UTC (customer's time: Mon 2 Mar 2026 10:00 UTC+00:00)") {
		t.Errorf("Otto's notice:\n%s", n.text)
	}
	start := h.now.Truncate(time.Hour)
	steps := []struct {
		after time.Duration
		want  []string
	}{
		{48 * time.Minute, []string{"sla_warning:first_response: warned"}},
		{60 * time.Minute, []string{"sla_breach:first_response: breached"}},
		{96 * time.Minute, []string{"sla_warning:resolution: warned"}},
		{120 * time.Minute, []string{"sla_breach:resolution: breached, priority raised to P2"}},
		{180 * time.Minute, nil},
	}
	for _, s := range steps {
		h.now = start.Add(s.after)
		if ran := h.slaRuns(); !slices.Equal(ran, s.want) {
			t.Errorf("at +%s: ran %v, want %v", s.after, ran, s.want)
		}
	}
	h.flush()
	for addr, want := range map[string][]string{
		"nina@example.com": {"SLA warning: first response due Mon 2 Mar 2026 05:00 EST", "SLA warning: resolution due Mon 2 Mar 2026 06:00 EST"},
		"otto@example.com": {"SLA warning: first response due Mon 2 Mar 2026 10:00 UTC", "SLA warning: resolution due Mon 2 Mar 2026 11:00 UTC"},
		"lead@example.com": {"SLA breached: first response was due Mon 2 Mar 2026 10:00 UTC", "SLA breached: resolution was due Mon 2 Mar 2026 11:00 UTC"},
	} {
		var got []string
		for _, m := range h.mailTo(addr, mark) {
			if strings.Contains(m.subject, "SLA") {
				got = append(got, m.subject)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s got %q, want %q", addr, got, want)
			continue
		}
		for i := range want {
			if !strings.Contains(got[i], want[i]) {
				t.Errorf("%s mail %d: %q, want %q", addr, i, got[i], want[i])
			}
		}
	}
	if tk := h.ticket(out.TicketID); tk.Priority != "P2" {
		t.Errorf("priority %s, want P2 after the resolution breach", tk.Priority)
	}
	wantEvent(t, h, out.TicketID, tickets.EventPriority, "priority P3 -> P2: resolution breached")
}

// Resolving meets the resolution; the customer's "still broken" reopens
// the ticket and runs the resolution clock on with the time it had used.
func TestAReopenRunsTheResolutionClockOn(t *testing.T) {
	h := agentHarness(t, slaTOML)
	h.now = berlin(t, "2026-03-02 10:00:00")
	mark := h.mark()
	out := h.deliver("support", customer("inv@a.test", "Alice <alice@a.test>", "Rechnung falsch", "Die Rechnung ist doppelt."))
	h.flush()
	notice := h.oneMailTo("ann@example.com", mark)
	h.now = berlin(t, "2026-03-02 11:00:00")
	answer(h, notice, "#status resolved\n\nStorniert.")
	h.flush()
	wantEvent(t, h, out.TicketID, tickets.EventSLAMet, "resolution met: 1h0m0s of 16h0m0s used")
	h.now = berlin(t, "2026-03-03 10:00:00")
	if got := h.deliver("support", customerReply(h, out.Ref, "again@a.test", "Leider immer noch doppelt.")); !got.Reopened {
		t.Fatalf("the reply did not reopen: %+v", got)
	}
	// 15h left: Tuesday 10:00-17:00 and all of Wednesday.
	wantEvent(t, h, out.TicketID, tickets.EventSLAResumed, "resolution resumed on reopen: 1h0m0s of 16h0m0s used (P3, calendar office), due 2026-03-04T17:00:00+01:00")
	wantEvent(t, h, out.TicketID, tickets.EventSLAStarted, "next_response started by the customer's reply: 0s of 2h0m0s used (P3, calendar office), due 2026-03-03T12:00:00+01:00")
	c := h.clocks(out.TicketID)
	if res := c[tickets.TargetResolution]; res.Met() || !res.Due.Equal(berlin(t, "2026-03-04 17:00:00")) {
		t.Errorf("resolution clock after the reopen: %+v", res)
	}
	cs, _ := h.desk.Store.SLAClocks(h.ctx, out.TicketID)
	if got := tickets.SLAState(cs, h.now); got != tickets.SLAOK {
		t.Errorf("state %q, want ok", got)
	}
}

// Moving a ticket to a queue with its own calendar and targets keeps the
// time used and counts the rest in the new calendar.
func TestAQueueChangeRecomputesInTheNewQueuesCalendar(t *testing.T) {
	h := newHarness(t)
	h.desk.Close()
	cfg, err := config.Parse([]byte(baseTOML(testDSN(t), h.sink.Port())+`
[[queue]]
name = "general"
[[queue]]
name = "vip"
calendar = "24x7"
[queue.sla.P3]
first_response = "2h"
[[agent]]
name = "Ann Agent"
email = "ann@example.com"
queues = ["general", "vip"]

[[calendar]]
name = "office"
timezone = "Europe/Berlin"
[sla]
calendar = "office"
[sla.P3]
first_response = "4h"
`), "sla.toml")
	if err != nil {
		t.Fatal(err)
	}
	h.open(cfg)
	h.now = berlin(t, "2026-03-06 16:00:00") // Friday, an hour before closing
	mark := h.mark()
	out := h.deliver("support", customer("q@a.test", "Alice <alice@a.test>", "Printer on fire", "Room 4."))
	h.flush()
	notice := h.oneMailTo("ann@example.com", mark)
	h.now = berlin(t, "2026-03-06 18:00:00") // one business hour used
	answer(h, notice, "#queue vip")
	// In vip, 2h round the clock: one hour left, due at 19:00.
	wantEvent(t, h, out.TicketID, tickets.EventSLARecomputed, "queue general -> vip: first_response due 2026-03-06T18:00:00Z (1h0m0s of 2h0m0s used)")
	if c := h.clocks(out.TicketID)[tickets.TargetFirstResponse]; c.Calendar != "24x7" || !c.Due.Equal(berlin(t, "2026-03-06 19:00:00")) {
		t.Errorf("first response clock %+v", c)
	}
}
