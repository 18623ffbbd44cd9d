package tickets

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// The report: the desk's KPIs over a period, computed from what the store
// keeps (tickets, their agents' answers, status events, surveys). Spam and
// merged tickets are left out of every figure: spam was never a request,
// and a merged ticket goes on as another one.

// ReportOptions says what the report covers.
type ReportOptions struct {
	// Since and Until bound the period, [Since, Until).
	Since, Until time.Time
	// Queue and Agent, when set, narrow every figure to that queue and to
	// the tickets assigned to that agent (and that agent's answers).
	Queue, Agent string
	// Now is the moment the backlog is taken at; Until when zero.
	Now time.Time
	// Elapsed measures a ticket's time from one moment to another, in the
	// business time of the ticket's queue; wall-clock time when nil.
	Elapsed func(queue string, from, to time.Time) time.Duration
	// Senders is how many of the busiest senders to list (10 when zero).
	Senders int
}

// ReportTicket is one ticket as the report reads it.
type ReportTicket struct {
	ID              int64
	Status          Status
	Priority        string
	Queue           string
	Assignee        string
	Requester       string
	CreatedAt       time.Time
	FirstResponseAt time.Time
	ResolvedAt      time.Time
	ClosedAt        time.Time
	CSATRating      int
	CSATAt          time.Time
	// AgentReplies counts the agents' answers relayed to the customer.
	AgentReplies int
	// Reopens counts the times the ticket went from resolved or closed
	// back to open; LastReopenAt is the latest of them.
	Reopens      int
	LastReopenAt time.Time
	// SurveyAt is when the CSAT survey was queued (zero: never).
	SurveyAt time.Time
	// DeflectedAt is when a suggested knowledge-base article solved the
	// ticket without an agent (zero: never; the latest time).
	DeflectedAt time.Time
}

// ReportFilter narrows what the store hands the report: tickets that are
// new, open or pending now, or that were created, resolved, closed, rated
// or reopened at or after Since; and agents' answers in [Since, Until).
type ReportFilter struct {
	Since, Until time.Time
	Queue, Agent string
}

// Report is the desk's KPIs. Its JSON is the output of `helpdesk report
// --json`, documented in the README.
type Report struct {
	Since   time.Time `json:"since"`
	Until   time.Time `json:"until"`
	Queue   string    `json:"queue,omitempty"`
	Agent   string    `json:"agent,omitempty"`
	Backlog Backlog   `json:"backlog"`
	Daily   []Day     `json:"daily"`
	// FirstResponse covers the tickets created in the period; Resolution
	// those resolved in it.
	FirstResponse          Durations   `json:"first_response"`
	Resolution             Durations   `json:"resolution"`
	FirstContactResolution Rate        `json:"first_contact_resolution"`
	Reopened               Rate        `json:"reopened"`
	CSAT                   CSATFigures `json:"csat"`
	// SLA is the compliance with each SLA target, by priority.
	SLA            []SLACompliance `json:"sla"`
	Agents         []AgentFigures  `json:"agents"`
	BusiestSenders []Sender        `json:"busiest_senders"`
	// Deflected counts the tickets that a suggested knowledge-base
	// article solved in the period, without an agent.
	Deflected int `json:"deflected"`
}

// Backlog is the work not done at the report's moment: new, open and
// pending tickets. Resolved tickets wait for the customer and are counted
// apart.
type Backlog struct {
	Total      int            `json:"total"`
	ByStatus   map[string]int `json:"by_status"`
	ByPriority map[string]int `json:"by_priority"`
	ByQueue    map[string]int `json:"by_queue"`
	ByAge      []AgeBucket    `json:"by_age"`
	// AwaitingConfirmation counts the resolved tickets, not yet closed.
	AwaitingConfirmation int `json:"awaiting_confirmation"`
}

// AgeBucket counts the backlog tickets opened within a span of time
// (wall-clock) before the report's moment: "<1d", "1-3d", "3-7d",
// "7-30d", ">30d".
type AgeBucket struct {
	Label string `json:"label"`
	Count int    `json:"count"`
}

// ageBuckets are the backlog's age buckets: upper bounds and labels.
var ageBuckets = []struct {
	below time.Duration
	label string
}{
	{24 * time.Hour, "<1d"},
	{3 * 24 * time.Hour, "1-3d"},
	{7 * 24 * time.Hour, "3-7d"},
	{30 * 24 * time.Hour, "7-30d"},
	{math.MaxInt64, ">30d"},
}

// Day counts the tickets created and closed on one day (UTC).
type Day struct {
	Date    string `json:"date"`
	Created int    `json:"created"`
	Closed  int    `json:"closed"`
}

// Durations sums up how long something took: Count measured, Waiting not
// done yet; the median and 90th percentile by the nearest rank, in
// seconds (0 when Count is 0).
type Durations struct {
	Count         int   `json:"count"`
	Waiting       int   `json:"waiting"`
	MedianSeconds int64 `json:"median_seconds"`
	P90Seconds    int64 `json:"p90_seconds"`
}

// Rate is Count of Of, and their ratio (0 when Of is 0).
type Rate struct {
	Count int     `json:"count"`
	Of    int     `json:"of"`
	Rate  float64 `json:"rate"`
}

// CSATFigures are the satisfaction ratings of the period.
type CSATFigures struct {
	// Surveys sent in the period, and how many of them were answered.
	Surveys  int `json:"surveys"`
	Answered int `json:"answered"`
	// ResponseRate is Answered / Surveys.
	ResponseRate float64 `json:"response_rate"`
	// Ratings given in the period, their average and the share of 4 and 5.
	Ratings       int     `json:"ratings"`
	Average       float64 `json:"average"`
	SatisfiedRate float64 `json:"satisfied_rate"`
}

// AgentFigures is one agent's share of the work.
type AgentFigures struct {
	Agent string `json:"agent"`
	// Open counts the agent's backlog tickets now.
	Open int `json:"open"`
	// Replies counts the agent's answers to customers in the period.
	Replies int `json:"replies"`
	// Resolved counts the agent's tickets resolved in the period.
	Resolved int `json:"resolved"`
	// FirstResponse and Resolution are as the report's, for the agent's
	// tickets.
	FirstResponse Durations `json:"first_response"`
	Resolution    Durations `json:"resolution"`
}

// SLACompliance counts the runs of the SLA clocks of one target and
// priority that ended in the period: Met in time (an answer, or the
// resolution, within the target), or Missed (breached, whether met later
// or not). Rate is Met / (Met + Missed).
type SLACompliance struct {
	Priority string  `json:"priority"`
	Target   string  `json:"target"`
	Met      int     `json:"met"`
	Missed   int     `json:"missed"`
	Rate     float64 `json:"rate"`
}

// Sender is a requester and the tickets they opened in the period.
type Sender struct {
	Email   string `json:"email"`
	Tickets int    `json:"tickets"`
}

// BuildReport computes the report of opts from r.
func BuildReport(ctx context.Context, r Reader, opts ReportOptions) (*Report, error) {
	if !opts.Since.Before(opts.Until) {
		return nil, fmt.Errorf("report: the period's start %s is not before its end %s", opts.Since.Format(time.RFC3339), opts.Until.Format(time.RFC3339))
	}
	filter := ReportFilter{Since: opts.Since, Until: opts.Until, Queue: opts.Queue, Agent: opts.Agent}
	ts, err := r.ReportTickets(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("report: reading tickets: %w", err)
	}
	replies, err := r.ReportReplies(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("report: reading agents' answers: %w", err)
	}
	slaEvents, err := r.ReportSLAEvents(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("report: reading the SLA clocks' outcomes: %w", err)
	}
	rep := computeReport(ts, replies, opts)
	rep.SLA = slaCompliance(slaEvents, opts.Since)
	return rep, nil
}

// computeReport is the report's arithmetic, apart from the store.
func computeReport(ts []ReportTicket, replies map[string]int, opts ReportOptions) *Report {
	now := opts.Now
	if now.IsZero() {
		now = opts.Until
	}
	elapsed := opts.Elapsed
	if elapsed == nil {
		elapsed = func(_ string, from, to time.Time) time.Duration { return to.Sub(from) }
	}
	in := func(at time.Time) bool { return !at.IsZero() && !at.Before(opts.Since) && at.Before(opts.Until) }

	rep := &Report{
		Since: opts.Since.UTC(), Until: opts.Until.UTC(), Queue: opts.Queue, Agent: opts.Agent,
		Backlog: Backlog{ByStatus: map[string]int{}, ByPriority: map[string]int{}, ByQueue: map[string]int{}},
		Daily:   reportDays(opts.Since, opts.Until),
	}
	for _, b := range ageBuckets {
		rep.Backlog.ByAge = append(rep.Backlog.ByAge, AgeBucket{Label: b.label})
	}
	dayIndex := map[string]int{}
	for i, d := range rep.Daily {
		dayIndex[d.Date] = i
	}

	var first, resolution []time.Duration
	firstWaiting := 0
	agents := map[string]*agentTally{}
	agent := func(email string) *agentTally {
		if agents[email] == nil {
			agents[email] = &agentTally{}
		}
		return agents[email]
	}
	senders := map[string]int{}
	var fcr, reopened Rate
	var csat CSATFigures
	satisfied, ratingSum := 0, 0

	for _, t := range ts {
		if t.Status == StatusSpam || t.Status == StatusMerged {
			continue
		}
		switch t.Status {
		case StatusNew, StatusOpen, StatusPending, StatusPendingVendor:
			b := &rep.Backlog
			b.Total++
			b.ByStatus[string(t.Status)]++
			b.ByPriority[t.Priority]++
			b.ByQueue[t.Queue]++
			age := now.Sub(t.CreatedAt)
			for i, bucket := range ageBuckets {
				if age < bucket.below {
					b.ByAge[i].Count++
					break
				}
			}
			if t.Assignee != "" {
				agent(t.Assignee).open++
			}
		case StatusResolved:
			rep.Backlog.AwaitingConfirmation++
		}
		if in(t.CreatedAt) {
			rep.Daily[dayIndex[t.CreatedAt.UTC().Format(time.DateOnly)]].Created++
			senders[t.Requester]++
			if t.FirstResponseAt.IsZero() {
				firstWaiting++
				if t.Assignee != "" {
					agent(t.Assignee).firstWaiting++
				}
			} else {
				d := elapsed(t.Queue, t.CreatedAt, t.FirstResponseAt)
				first = append(first, d)
				if t.Assignee != "" {
					agent(t.Assignee).first = append(agent(t.Assignee).first, d)
				}
			}
		}
		if in(t.ClosedAt) {
			rep.Daily[dayIndex[t.ClosedAt.UTC().Format(time.DateOnly)]].Closed++
		}
		resolvedIn := in(t.ResolvedAt)
		if resolvedIn {
			d := elapsed(t.Queue, t.CreatedAt, t.ResolvedAt)
			resolution = append(resolution, d)
			if t.Assignee != "" {
				a := agent(t.Assignee)
				a.resolved++
				a.resolution = append(a.resolution, d)
			}
			fcr.Of++
			if t.AgentReplies == 1 && t.Reopens == 0 {
				fcr.Count++
			}
		}
		if resolvedIn || in(t.LastReopenAt) {
			reopened.Of++
			if t.Reopens > 0 {
				reopened.Count++
			}
		}
		if in(t.DeflectedAt) {
			rep.Deflected++
		}
		if in(t.SurveyAt) {
			csat.Surveys++
			if t.CSATRating > 0 {
				csat.Answered++
			}
		}
		if t.CSATRating > 0 && in(t.CSATAt) {
			csat.Ratings++
			ratingSum += t.CSATRating
			if t.CSATRating >= 4 {
				satisfied++
			}
		}
	}

	rep.FirstResponse = summarize(first, firstWaiting)
	rep.Resolution = summarize(resolution, 0)
	rep.FirstContactResolution = fcr.withRate()
	rep.Reopened = reopened.withRate()
	csat.ResponseRate = ratio(csat.Answered, csat.Surveys)
	if csat.Ratings > 0 {
		csat.Average = round2(float64(ratingSum) / float64(csat.Ratings))
	}
	csat.SatisfiedRate = ratio(satisfied, csat.Ratings)
	rep.CSAT = csat

	for email, n := range replies {
		agent(email).replies = n
	}
	for email, a := range agents {
		rep.Agents = append(rep.Agents, AgentFigures{
			Agent: email, Open: a.open, Replies: a.replies, Resolved: a.resolved,
			FirstResponse: summarize(a.first, a.firstWaiting), Resolution: summarize(a.resolution, 0),
		})
	}
	slices.SortFunc(rep.Agents, func(a, b AgentFigures) int { return strings.Compare(a.Agent, b.Agent) })

	limit := opts.Senders
	if limit <= 0 {
		limit = 10
	}
	for email, n := range senders {
		rep.BusiestSenders = append(rep.BusiestSenders, Sender{Email: email, Tickets: n})
	}
	slices.SortFunc(rep.BusiestSenders, func(a, b Sender) int {
		if a.Tickets != b.Tickets {
			return b.Tickets - a.Tickets
		}
		return strings.Compare(a.Email, b.Email)
	})
	if len(rep.BusiestSenders) > limit {
		rep.BusiestSenders = rep.BusiestSenders[:limit]
	}
	if rep.Agents == nil {
		rep.Agents = []AgentFigures{}
	}
	if rep.BusiestSenders == nil {
		rep.BusiestSenders = []Sender{}
	}
	return rep
}

// slaCompliance tallies the outcomes of the SLA events, by priority and
// target, in the order P1..P4 and first response, next response,
// resolution. Each clock's run (the next response runs again after each
// customer reply) counts once: Met when met in time, Missed at its breach,
// or at its late answer when its breach has no event at all (the
// scheduler had not run it yet). Events before since only say which runs
// were breached already: those were counted in their own period.
func slaCompliance(events []Event, since time.Time) []SLACompliance {
	type key struct{ priority, target string }
	type run struct {
		ticket int64
		target string
	}
	tally := map[key]*SLACompliance{}
	breached := map[run]bool{} // runs whose breach was counted and that are not met yet
	for _, e := range events {
		target, priority, inTime, ok := slaOutcome(e)
		if !ok {
			continue
		}
		k, r := key{priority, target}, run{e.TicketID, target}
		if e.CreatedAt.Before(since) {
			if e.Kind == EventSLABreach {
				breached[r] = true
			} else {
				delete(breached, r)
			}
			continue
		}
		count := func(met bool) {
			if tally[k] == nil {
				tally[k] = &SLACompliance{Priority: priority, Target: target}
			}
			if met {
				tally[k].Met++
			} else {
				tally[k].Missed++
			}
		}
		switch {
		case e.Kind == EventSLABreach:
			if !breached[r] {
				count(false)
				breached[r] = true
			}
		case inTime:
			count(true)
			delete(breached, r)
		default: // met late
			if !breached[r] {
				count(false)
			}
			delete(breached, r)
		}
	}
	order := map[string]int{TargetFirstResponse: 0, TargetNextResponse: 1, TargetResolution: 2}
	out := []SLACompliance{}
	for _, c := range tally {
		c.Rate = ratio(c.Met, c.Met+c.Missed)
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b SLACompliance) int {
		if c := strings.Compare(a.Priority, b.Priority); c != 0 {
			return c
		}
		return order[a.Target] - order[b.Target]
	})
	return out
}

type agentTally struct {
	open, replies, resolved, firstWaiting int
	first, resolution                     []time.Duration
}

// reportDays lists the days (UTC) that [since, until) touches, each at zero.
func reportDays(since, until time.Time) []Day {
	var out []Day
	d := since.UTC().Truncate(24 * time.Hour)
	for ; d.Before(until); d = d.AddDate(0, 0, 1) {
		out = append(out, Day{Date: d.Format(time.DateOnly)})
	}
	return out
}

// summarize gives the median and 90th percentile of ds by the nearest
// rank: the value at position ceil(p*n) of the sorted list.
func summarize(ds []time.Duration, waiting int) Durations {
	out := Durations{Count: len(ds), Waiting: waiting}
	if len(ds) == 0 {
		return out
	}
	slices.Sort(ds)
	rank := func(p float64) time.Duration {
		i := int(math.Ceil(p*float64(len(ds)))) - 1
		return ds[max(i, 0)]
	}
	out.MedianSeconds = int64(rank(0.5) / time.Second)
	out.P90Seconds = int64(rank(0.9) / time.Second)
	return out
}

func (r Rate) withRate() Rate {
	r.Rate = ratio(r.Count, r.Of)
	return r
}

// ratio is n/of rounded to four places, 0 when of is 0.
func ratio(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return math.Round(float64(n)/float64(of)*10000) / 10000
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// Span writes seconds as people read a duration: "45s", "45m", "3h20m",
// "2d4h". The report command and the dashboard both write it so.
func Span(seconds int64) string {
	d := time.Duration(seconds) * time.Second
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", seconds)
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd%dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}
