package sqlstore

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"helpdesk/tickets"
)

// The report on a fixture whose every figure was worked out by hand (see
// the comments), on each driver.

func TestReportFiguresOnAFixtureWithKnownAnswers(t *testing.T) {
	onEachDriver(t, testReportFiguresOnAFixtureWithKnownAnswers)
}

// at is a time of March 2026 (UTC): at(2, 11, 30) is 2 March, 11:30.
func at(day, hour, minute int) time.Time {
	return time.Date(2026, 3, day, hour, minute, 0, 0, time.UTC)
}

// reportFixture is one ticket of the fixture and what happened to it.
type reportFixture struct {
	status                          tickets.Status
	priority, queue, from, assignee string
	created, firstResponse          time.Time
	resolved, closed                time.Time
	replies                         []time.Time // agents' answers, by the assignee (or ann when none)
	reopens                         []time.Time
	survey, rated                   time.Time
	rating                          int
	events                          []tickets.Event // more events (kind, detail, time)
}

func storeReportFixture(t *testing.T, s *Store, fx []reportFixture) {
	t.Helper()
	n := 0
	inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
		for _, f := range fx {
			tk := &tickets.Ticket{Subject: "Help", Status: f.status, Priority: f.priority, Queue: f.queue, Mailbox: "support",
				Requester: tickets.Address{Email: f.from}, Assignee: f.assignee, CreatedAt: f.created, UpdatedAt: f.created,
				FirstResponseAt: f.firstResponse, ResolvedAt: f.resolved, ClosedAt: f.closed,
				CSAT: tickets.CSAT{Rating: f.rating, At: f.rated}}
			if err := tx.CreateTicket(ctx, tk, 1000); err != nil {
				return err
			}
			msg := func(kind, author string, when time.Time) error {
				n++
				return tx.InsertMessage(ctx, &tickets.Message{TicketID: tk.ID, Direction: tickets.Out, Kind: kind,
					Mailbox: "support", Key: fmt.Sprintf("<m%d@x.test>", n), From: tickets.Address{Email: "support@x.test"},
					To: []tickets.Address{{Email: f.from}}, Author: author, CreatedAt: when}, nil)
			}
			author := f.assignee
			if author == "" {
				author = "ann@x.test"
			}
			for _, r := range f.replies {
				if err := msg(tickets.KindAgentRelay, author, r); err != nil {
					return err
				}
			}
			if !f.survey.IsZero() {
				if err := msg(tickets.TemplateCSATSurvey, "", f.survey); err != nil {
					return err
				}
			}
			for _, r := range f.reopens {
				if err := tx.AddEvent(ctx, &tickets.Event{TicketID: tk.ID, Kind: tickets.EventStatus, Actor: f.from,
					Detail: "resolved -> open: customer replied", CreatedAt: r}); err != nil {
					return err
				}
			}
			for _, e := range f.events {
				e.TicketID, e.Actor = tk.ID, "system"
				if err := tx.AddEvent(ctx, &e); err != nil {
					return err
				}
			}
			// A status event that is no reopen, which must not count as one.
			if err := tx.AddEvent(ctx, &tickets.Event{TicketID: tk.ID, Kind: tickets.EventStatus, Actor: "system",
				Detail: "new -> open", CreatedAt: f.created}); err != nil {
				return err
			}
		}
		return nil
	})
}

func testReportFiguresOnAFixtureWithKnownAnswers(t *testing.T, db testDB) {
	s := db.open(t)
	ctx := context.Background()
	const ann, ben = "ann@x.test", "ben@x.test"
	feb := func(day, hour int) time.Time { return time.Date(2026, 2, day, hour, 0, 0, 0, time.UTC) }
	storeReportFixture(t, s, []reportFixture{
		// T1: answered in 30 min, resolved after 2 h by one answer, closed, rated 5.
		{status: tickets.StatusClosed, priority: "P2", queue: "general", from: "alice@a.test", assignee: ann,
			created: at(1, 9, 0), firstResponse: at(1, 9, 30), resolved: at(1, 11, 0), closed: at(2, 11, 0),
			replies: []time.Time{at(1, 9, 30)}, survey: at(2, 11, 0), rating: 5, rated: at(2, 12, 0),
			events: []tickets.Event{
				{Kind: tickets.EventSLAMet, Detail: "first_response met: 30m0s of 1h0m0s used (P2, calendar 24x7)", CreatedAt: at(1, 9, 30)},
				{Kind: tickets.EventSLAMet, Detail: "resolution met: 2h0m0s of 8h0m0s used (P2, calendar 24x7)", CreatedAt: at(1, 11, 0)}}},
		// T2: answered in 1 h, resolved, reopened on the 2nd: open now, 2 days 14 h old.
		{status: tickets.StatusOpen, priority: "P1", queue: "general", from: "alice@a.test", assignee: ann,
			created: at(1, 10, 0), firstResponse: at(1, 11, 0),
			replies: []time.Time{at(1, 11, 0), at(2, 12, 0)}, reopens: []time.Time{at(2, 10, 0)},
			// Answered late, before the scheduler ran its breach: one miss.
			events: []tickets.Event{{Kind: tickets.EventSLAMet, Detail: "next_response met late: 3h0m0s of 2h0m0s used (P1, calendar 24x7)", CreatedAt: at(2, 12, 0)}}},
		// T3: answered in 4 h, resolved after 24 h with two answers; waits for the customer.
		{status: tickets.StatusResolved, priority: "P3", queue: "billing", from: "bob@b.test", assignee: ben,
			created: at(2, 8, 0), firstResponse: at(2, 12, 0), resolved: at(3, 8, 0),
			replies: []time.Time{at(2, 12, 0), at(2, 16, 0)},
			// Breached, the breach mailed, then answered late: one miss.
			events: []tickets.Event{
				{Kind: tickets.EventSLABreach, Detail: "first_response breached: 2h0m0s of 2h0m0s used (P3, calendar 24x7), due 2026-03-02T10:00:00Z", CreatedAt: at(2, 10, 0)},
				{Kind: tickets.EventSLABreach, Detail: "sla_breach to escalation@x.test", CreatedAt: at(2, 10, 0)},
				{Kind: tickets.EventSLAMet, Detail: "first_response met late: 4h0m0s of 2h0m0s used (P3, calendar 24x7)", CreatedAt: at(2, 12, 0)}}},
		// T4: new and unanswered, 4 h old.
		{status: tickets.StatusNew, priority: "P4", queue: "billing", from: "carol@c.test", created: at(3, 20, 0)},
		// T5: opened in February, pending: in the backlog (>30d), in no figure of the period.
		{status: tickets.StatusPending, priority: "P3", queue: "general", from: "dave@d.test", assignee: ann,
			created: feb(1, 9), firstResponse: feb(1, 10), replies: []time.Time{feb(1, 10)}},
		// T6: spam, in no figure at all.
		{status: tickets.StatusSpam, priority: "P4", queue: "general", from: "eve@e.test", created: at(3, 1, 0)},
		// T7: February's, closed then; rated 2 on 1 March: a rating of the period, not a survey of it.
		{status: tickets.StatusClosed, priority: "P2", queue: "general", from: "alice@a.test", assignee: ann,
			created: feb(20, 9), firstResponse: feb(20, 10), resolved: feb(21, 9), closed: feb(24, 9),
			replies: []time.Time{feb(20, 10)}, survey: feb(24, 9), rating: 2, rated: at(1, 8, 0)},
		// T8: answered in 1 h, resolved, reopened, resolved again 6 h after it was opened, closed; survey unanswered.
		{status: tickets.StatusClosed, priority: "P2", queue: "general", from: "frank@f.test", assignee: ben,
			created: at(1, 12, 0), firstResponse: at(1, 13, 0), resolved: at(1, 18, 0), closed: at(3, 18, 0),
			replies: []time.Time{at(1, 13, 0)}, reopens: []time.Time{at(1, 15, 0)}, survey: at(3, 18, 0),
			events: []tickets.Event{{Kind: tickets.EventSLAMet, Detail: "first_response met: 1h0m0s of 1h0m0s used (P2, calendar 24x7)", CreatedAt: at(1, 13, 0)}}},
		// T9: 2025's, closed: outside everything.
		{status: tickets.StatusClosed, priority: "P2", queue: "general", from: "zoe@z.test",
			created: time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC), resolved: time.Date(2025, 5, 2, 9, 0, 0, 0, time.UTC),
			closed: time.Date(2025, 5, 5, 9, 0, 0, 0, time.UTC),
			events: []tickets.Event{{Kind: tickets.EventSLABreach, Detail: "resolution breached: 8h0m0s of 8h0m0s used (P2, calendar 24x7)", CreatedAt: time.Date(2025, 5, 1, 17, 0, 0, 0, time.UTC)}}},
		// T10: February's, pending; its first response breached in February
		// (a miss of February) and answered late on 1 March: no figure of March.
		{status: tickets.StatusPending, priority: "P4", queue: "general", from: "gina@g.test",
			created: feb(27, 9), firstResponse: at(1, 9, 0),
			events: []tickets.Event{
				{Kind: tickets.EventSLABreach, Detail: "first_response breached: 8h0m0s of 8h0m0s used (P4, calendar 24x7), due 2026-02-27T17:00:00Z", CreatedAt: feb(27, 17)},
				{Kind: tickets.EventSLAMet, Detail: "first_response met late: 48h0m0s of 8h0m0s used (P4, calendar 24x7)", CreatedAt: at(1, 9, 0)}}},
	})

	rep, err := tickets.BuildReport(ctx, s, tickets.ReportOptions{Since: at(1, 0, 0), Until: at(4, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	const h = 3600
	check := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %+v, want %+v", name, got, want)
		}
	}
	check("backlog", rep.Backlog, tickets.Backlog{
		Total:      4, // T2, T4, T5, T10
		ByStatus:   map[string]int{"open": 1, "new": 1, "pending": 2},
		ByPriority: map[string]int{"P1": 1, "P4": 2, "P3": 1},
		ByQueue:    map[string]int{"general": 3, "billing": 1},
		ByAge: []tickets.AgeBucket{{Label: "<1d", Count: 1}, {Label: "1-3d", Count: 1}, {Label: "3-7d", Count: 1},
			{Label: "7-30d"}, {Label: ">30d", Count: 1}},
		AwaitingConfirmation: 1, // T3
	})
	check("daily", rep.Daily, []tickets.Day{
		{Date: "2026-03-01", Created: 3},            // T1, T2, T8
		{Date: "2026-03-02", Created: 1, Closed: 1}, // T3; T1
		{Date: "2026-03-03", Created: 1, Closed: 1}, // T4; T8
	})
	// Created in the period: T1 30m, T2 1h, T3 4h, T8 1h, and T4 waiting.
	// Sorted 0.5h 1h 1h 4h: the median is the 2nd, the 90th percentile the 4th.
	check("first response", rep.FirstResponse, tickets.Durations{Count: 4, Waiting: 1, MedianSeconds: 1 * h, P90Seconds: 4 * h})
	// Resolved in the period: T1 2h, T8 6h, T3 24h.
	check("resolution", rep.Resolution, tickets.Durations{Count: 3, MedianSeconds: 6 * h, P90Seconds: 24 * h})
	// Of T1, T3, T8 only T1 was resolved by one answer and never reopened.
	check("first-contact resolution", rep.FirstContactResolution, tickets.Rate{Count: 1, Of: 3, Rate: 0.3333})
	// Resolved or reopened in the period: T1, T2, T3, T8; reopened: T2, T8.
	check("reopened", rep.Reopened, tickets.Rate{Count: 2, Of: 4, Rate: 0.5})
	// Surveys of the period: T1 (answered), T8; ratings of it: T1's 5, T7's 2.
	check("csat", rep.CSAT, tickets.CSATFigures{Surveys: 2, Answered: 1, ResponseRate: 0.5, Ratings: 2, Average: 3.5, SatisfiedRate: 0.5})
	// P1: T2's late answer; P2: T1's and T8's first responses (T8's just in
	// time), T1's resolution; P3: T3's breach, whose late answer is the same run.
	check("sla", rep.SLA, []tickets.SLACompliance{
		{Priority: "P1", Target: "next_response", Missed: 1},
		{Priority: "P2", Target: "first_response", Met: 2, Rate: 1},
		{Priority: "P2", Target: "resolution", Met: 1, Rate: 1},
		{Priority: "P3", Target: "first_response", Missed: 1},
	})
	check("agents", rep.Agents, []tickets.AgentFigures{
		// ann: T2 and T5 open; answers on T1 (1) and T2 (2) in the period; T1 resolved in 2h.
		{Agent: ann, Open: 2, Replies: 3, Resolved: 1,
			FirstResponse: tickets.Durations{Count: 2, MedianSeconds: h / 2, P90Seconds: h},
			Resolution:    tickets.Durations{Count: 1, MedianSeconds: 2 * h, P90Seconds: 2 * h}},
		// ben: nothing open; answers on T3 (2) and T8 (1); T8 resolved in 6h, T3 in 24h.
		{Agent: ben, Open: 0, Replies: 3, Resolved: 2,
			FirstResponse: tickets.Durations{Count: 2, MedianSeconds: h, P90Seconds: 4 * h},
			Resolution:    tickets.Durations{Count: 2, MedianSeconds: 6 * h, P90Seconds: 24 * h}},
	})
	check("busiest senders", rep.BusiestSenders, []tickets.Sender{
		{Email: "alice@a.test", Tickets: 2}, {Email: "bob@b.test", Tickets: 1},
		{Email: "carol@c.test", Tickets: 1}, {Email: "frank@f.test", Tickets: 1}})

	// Narrowed to the billing queue: T3 and T4 only.
	rep, err = tickets.BuildReport(ctx, s, tickets.ReportOptions{Since: at(1, 0, 0), Until: at(4, 0, 0), Queue: "billing"})
	if err != nil {
		t.Fatal(err)
	}
	check("billing backlog", [2]int{rep.Backlog.Total, rep.Backlog.AwaitingConfirmation}, [2]int{1, 1})
	check("billing first response", rep.FirstResponse, tickets.Durations{Count: 1, Waiting: 1, MedianSeconds: 4 * h, P90Seconds: 4 * h})
	check("billing senders", rep.BusiestSenders, []tickets.Sender{{Email: "bob@b.test", Tickets: 1}, {Email: "carol@c.test", Tickets: 1}})

	// Narrowed to ben: T3 and T8, and only ben's answers.
	rep, err = tickets.BuildReport(ctx, s, tickets.ReportOptions{Since: at(1, 0, 0), Until: at(4, 0, 0), Agent: ben})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Agents) != 1 || rep.Agents[0].Agent != ben || rep.Agents[0].Replies != 3 || rep.Resolution.Count != 2 {
		t.Errorf("report for ben: agents %+v, resolution %+v; want ben alone with 3 answers, 2 resolved", rep.Agents, rep.Resolution)
	}
}

func TestReportRefusesAnEmptyPeriod(t *testing.T) {
	s := sqliteDB(t).open(t)
	if _, err := tickets.BuildReport(context.Background(), s, tickets.ReportOptions{Since: at(2, 0, 0), Until: at(1, 0, 0)}); err == nil {
		t.Error("a period that ends before it starts was accepted")
	}
}
