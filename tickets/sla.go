package tickets

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"helpdesk/tickets/calendar"
)

// SLAClock is the clock of one SLA target on a ticket. It runs while the
// ticket waits on the desk (new, open), stands still while it waits on the
// customer, and stops when the target is met. Its arithmetic is in
// business time of its calendar: Used is what it used before Since.
type SLAClock struct {
	TicketID int64
	Target   string // TargetFirstResponse, TargetNextResponse or TargetResolution
	// Calendar names the calendar it counts in; Priority is the priority
	// whose Goal it has.
	Calendar string
	Priority string
	// Goal is the target in business time; 0: the priority has none.
	Goal time.Duration
	// Used is the business time used before Since.
	Used time.Duration
	// Since is when the clock last started running; zero while it stands.
	Since time.Time
	// PausedAt is when it stopped for the customer; zero unless paused.
	PausedAt time.Time
	// Due is when the target breaches as the clock runs now (the last
	// known due while it stands).
	Due time.Time
	// MetAt is when the target was met; zero while it is not.
	MetAt time.Time
	// Warned and Breached: the warning and the breach were sent (each
	// once; for next_response, once per customer reply it answers).
	Warned, Breached bool
	// CustomerOffset is the customer's UTC offset in seconds, from the
	// Date of the mail that opened the ticket; nil when unknown.
	CustomerOffset *int
}

// Running reports whether the clock runs.
func (c *SLAClock) Running() bool { return !c.Since.IsZero() }

// Met reports whether the target was met.
func (c *SLAClock) Met() bool { return !c.MetAt.IsZero() }

// Paused reports whether the clock stands still for the customer.
func (c *SLAClock) Paused() bool { return !c.PausedAt.IsZero() && !c.Met() }

// SLA states of a ticket, as `tickets show --json` reports them.
const (
	SLAOK       = "ok"
	SLAWarning  = "warning"
	SLABreached = "breached"
	SLAPaused   = "paused"
	SLAMet      = "met"
)

// SLAState sums up the clocks of a ticket at now: breached when a target
// was missed (or its due time has passed), warning when one was warned
// of and is not met, paused when every open target waits on the customer,
// met when every target with a goal is met, else ok; "" when the ticket
// has no targets.
func SLAState(clocks []SLAClock, now time.Time) string {
	var any, running, paused, met bool
	warned := false
	for i := range clocks {
		c := &clocks[i]
		if c.Goal <= 0 {
			continue
		}
		any = true
		if c.Breached || (c.Running() && !c.Due.IsZero() && !now.Before(c.Due)) {
			return SLABreached
		}
		switch {
		case c.Met():
			met = true
		case c.Running():
			running = true
			warned = warned || c.Warned
		case c.Paused():
			paused = true
			warned = warned || c.Warned
		}
	}
	switch {
	case !any:
		return ""
	case warned:
		return SLAWarning
	case running:
		return SLAOK
	case paused:
		return SLAPaused
	case met:
		return SLAMet
	}
	return SLAOK
}

// Event kinds of the SLA clocks; each detail says the business time used
// of the goal, so that the arithmetic can be checked by hand.
const (
	EventSLAStarted    = "sla_started"
	EventSLAPaused     = "sla_paused"
	EventSLAResumed    = "sla_resumed"
	EventSLAMet        = "sla_met"
	EventSLAWarning    = "sla_warning"
	EventSLABreach     = "sla_breach"
	EventSLARecomputed = "sla_recomputed"
)

// Jobs of the SLA clocks, one of each per ticket and target: the job
// kind is JobSLAWarning or JobSLABreach, a colon, and the target.
const (
	JobSLAWarning = "sla_warning"
	JobSLABreach  = "sla_breach"
)

// Templates of the SLA mails to agents and the escalation address.
const (
	TemplateSLAWarning = "sla_warning"
	TemplateSLABreach  = "sla_breach"
)

// calendarNamed returns the calendar name; 24x7 when it is gone from
// the configuration.
func (s *Service) calendarNamed(name string) *calendar.Calendar {
	if s.sla != nil {
		if c := s.sla.Calendars[name]; c != nil {
			return c
		}
	}
	return calendar.Always()
}

// dueOf is when c breaches running from its Since in cal: the business
// time left added to Since. A breached clock keeps its due time.
func dueOf(cal *calendar.Calendar, c *SLAClock) time.Time {
	if c.Goal <= 0 || !c.Running() {
		return c.Due
	}
	left := c.Goal - c.Used
	if left <= 0 && c.Breached && !c.Due.IsZero() {
		return c.Due
	}
	return cal.Add(c.Since, max(left, 0))
}

// stop stops c at now, adding the business time since it last started.
func stop(cal *calendar.Calendar, c *SLAClock, now time.Time) {
	if c.Running() {
		c.Used += cal.Elapsed(c.Since, now)
		c.Since = time.Time{}
	}
}

// run starts c at now.
func run(cal *calendar.Calendar, c *SLAClock, now time.Time) {
	c.Since, c.PausedAt = now, time.Time{}
	c.Due = dueOf(cal, c)
}

func rfc3339(t time.Time, cal *calendar.Calendar) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(cal.Location).Format(time.RFC3339)
}

// slaEventDetail matches the detail slaEvent writes: "first_response met:
// 25m0s of 1h0m0s used (P2, calendar office)".
var slaEventDetail = regexp.MustCompile(`^(first_response|next_response|resolution) ([a-z ]+?)(?: \([^)]*\))?: (\S+) of (\S+) used \(([^,]+), calendar `)

// slaOutcome reads a clock's outcome from its sla_met or sla_breach event:
// the target, the priority it ran under, and whether it was met in time
// (a met clock that used no more than its goal). ok is false for any
// other event, and for the event of the mail that tells of a breach.
func slaOutcome(e Event) (target, priority string, inTime, ok bool) {
	if e.Kind != EventSLAMet && e.Kind != EventSLABreach {
		return "", "", false, false
	}
	m := slaEventDetail.FindStringSubmatch(e.Detail)
	if m == nil {
		return "", "", false, false
	}
	used, err1 := time.ParseDuration(m[3])
	goal, err2 := time.ParseDuration(m[4])
	if err1 != nil || err2 != nil {
		return "", "", false, false
	}
	return m[1], m[5], e.Kind == EventSLAMet && used <= goal, true
}

func (s *Service) slaEvent(ctx context.Context, tx Tx, c *SLAClock, kind, actor, what string, now time.Time) error {
	if c.Goal <= 0 {
		return nil // no target: nothing to account for
	}
	cal := s.calendarNamed(c.Calendar)
	used := c.Used
	if c.Running() {
		used += cal.Elapsed(c.Since, now)
	}
	detail := fmt.Sprintf("%s %s: %s of %s used (%s, calendar %s)", c.Target, what, used, c.Goal, c.Priority, c.Calendar)
	if c.Running() && kind != EventSLAMet {
		detail += ", due " + rfc3339(c.Due, cal)
	}
	return s.event(ctx, tx, c.TicketID, kind, actor, detail, now)
}

// startSLA starts the clocks of new ticket t at now: first response and
// resolution run, next response waits for a customer reply after the
// first answer. in is the mail that opened it (its Date has the
// customer's offset). Spam and a robot's mail (a bounce, an auto-reply)
// promise nobody anything: they get no clocks.
func (s *Service) startSLA(ctx context.Context, tx Tx, t *Ticket, in *Inbound, now time.Time) error {
	if s.sla == nil || t.Status.Terminal() || (in != nil && in.AutoReason != "") {
		return nil
	}
	cal := s.sla.CalendarOf(t.Queue)
	goals := s.sla.TargetsOf(t.Queue, t.Priority)
	var off *int
	if in != nil && !in.Date.IsZero() {
		_, o := in.Date.Zone()
		off = &o
	}
	clocks := make([]SLAClock, 0, len(Targets))
	for _, target := range Targets {
		c := SLAClock{TicketID: t.ID, Target: target, Calendar: cal.Name, Priority: t.Priority, Goal: goals.Of(target), CustomerOffset: off}
		if target != TargetNextResponse {
			run(cal, &c, now)
			if err := s.slaEvent(ctx, tx, &c, EventSLAStarted, "system", "started", now); err != nil {
				return err
			}
		}
		clocks = append(clocks, c)
	}
	return s.saveClocks(ctx, tx, t, clocks)
}

// saveClocks stores the clocks of t and sets their jobs: a warning and a
// breach for each that runs towards a goal, until each is sent.
func (s *Service) saveClocks(ctx context.Context, tx Tx, t *Ticket, clocks []SLAClock) error {
	for i := range clocks {
		c := &clocks[i]
		if err := tx.SaveSLAClock(ctx, c); err != nil {
			return fmt.Errorf("saving the %s clock of ticket %d: %w", c.Target, t.ID, err)
		}
		warn, breach := JobSLAWarning+":"+c.Target, JobSLABreach+":"+c.Target
		live := c.Running() && c.Goal > 0 && !c.Met()
		cal := s.calendarNamed(c.Calendar)
		var err error
		if w := s.sla.WarnAt; live && !c.Warned && !c.Breached && w > 0 && w < 1 {
			at := time.Duration(float64(c.Goal) * w)
			err = tx.ScheduleJob(ctx, t.ID, warn, cal.Add(c.Since, max(at-c.Used, 0)))
		} else {
			err = tx.CancelJob(ctx, t.ID, warn)
		}
		if err == nil && live && !c.Breached {
			err = tx.ScheduleJob(ctx, t.ID, breach, c.Due)
		} else if err == nil {
			err = tx.CancelJob(ctx, t.ID, breach)
		}
		if err != nil {
			return fmt.Errorf("scheduling the %s jobs of ticket %d: %w", c.Target, t.ID, err)
		}
	}
	return nil
}

// syncSLA sets the clocks of t for its status as of now: they run while
// it is new or open and stand still otherwise; resolving meets the
// resolution target, a reopen runs it again. Every pause and resume is an
// event. It also sets the clocks' jobs again (reschedule dropped them).
func (s *Service) syncSLA(ctx context.Context, tx Tx, t *Ticket, now time.Time) error {
	if s.sla == nil {
		return nil
	}
	clocks, err := tx.SLAClocks(ctx, t.ID)
	if err != nil || len(clocks) == 0 {
		return err
	}
	runs := s.slaRunsIn(t.Status)
	done := t.Status == StatusResolved || t.Status == StatusClosed
	for i := range clocks {
		c := &clocks[i]
		cal := s.calendarNamed(c.Calendar)
		var kind, what string
		switch {
		case c.Target == TargetResolution && done && !c.Met():
			stop(cal, c, now)
			c.MetAt, c.PausedAt = now, time.Time{}
			kind, what = EventSLAMet, "met"
		case c.Target == TargetResolution && runs && c.Met():
			c.MetAt = time.Time{}
			run(cal, c, now)
			kind, what = EventSLAResumed, "resumed on reopen"
		case c.Met():
		case runs && c.Paused():
			run(cal, c, now)
			kind, what = EventSLAResumed, "resumed"
		case !runs && c.Running():
			stop(cal, c, now)
			c.PausedAt = now
			kind, what = EventSLAPaused, "paused ("+string(t.Status)+")"
		}
		if kind != "" {
			if err := s.slaEvent(ctx, tx, c, kind, "system", what, now); err != nil {
				return err
			}
		}
	}
	return s.saveClocks(ctx, tx, t, clocks)
}

// slaAnswered records an agent's answer to the customer at now: it meets
// the first response, or else the next response the customer waits for.
func (s *Service) slaAnswered(ctx context.Context, tx Tx, t *Ticket, actor string, now time.Time) error {
	if s.sla == nil {
		return nil
	}
	clocks, err := tx.SLAClocks(ctx, t.ID)
	if err != nil || len(clocks) == 0 {
		return err
	}
	for _, target := range []string{TargetFirstResponse, TargetNextResponse} {
		i := slices.IndexFunc(clocks, func(c SLAClock) bool { return c.Target == target })
		if i < 0 {
			continue
		}
		c := &clocks[i]
		if c.Met() || (target == TargetNextResponse && !c.Running() && !c.Paused()) {
			continue
		}
		stop(s.calendarNamed(c.Calendar), c, now)
		c.MetAt, c.PausedAt = now, time.Time{}
		what := "met"
		if c.Goal > 0 && c.Used > c.Goal {
			what = "met late"
		}
		if err := s.slaEvent(ctx, tx, c, EventSLAMet, actor, what, now); err != nil {
			return err
		}
		break
	}
	return s.saveClocks(ctx, tx, t, clocks)
}

// slaCustomerReplied starts the next-response clock when the customer
// writes after the first answer, unless it runs already (the answer it
// waits for answers both mails).
func (s *Service) slaCustomerReplied(ctx context.Context, tx Tx, t *Ticket, now time.Time) error {
	if s.sla == nil {
		return nil
	}
	clocks, err := tx.SLAClocks(ctx, t.ID)
	if err != nil || len(clocks) == 0 {
		return err
	}
	fr := slices.IndexFunc(clocks, func(c SLAClock) bool { return c.Target == TargetFirstResponse })
	nr := slices.IndexFunc(clocks, func(c SLAClock) bool { return c.Target == TargetNextResponse })
	if fr < 0 || nr < 0 || !clocks[fr].Met() {
		return nil
	}
	c := &clocks[nr]
	if c.Running() || c.Paused() {
		return nil
	}
	c.Used, c.MetAt, c.Warned, c.Breached, c.Due = 0, time.Time{}, false, false, time.Time{}
	cal := s.calendarNamed(c.Calendar)
	if s.slaRunsIn(t.Status) {
		run(cal, c, now)
	} else {
		c.PausedAt = now
	}
	if err := s.slaEvent(ctx, tx, c, EventSLAStarted, "system", "started by the customer's reply", now); err != nil {
		return err
	}
	return s.saveClocks(ctx, tx, t, clocks)
}

// slaRecompute gives the clocks of t the calendar and goals of its queue
// and priority now: the business time used so far stays, the due times
// follow the new goals.
func (s *Service) slaRecompute(ctx context.Context, tx Tx, t *Ticket, actor, why string, now time.Time) error {
	if s.sla == nil {
		return nil
	}
	clocks, err := tx.SLAClocks(ctx, t.ID)
	if err != nil || len(clocks) == 0 {
		return err
	}
	cal := s.sla.CalendarOf(t.Queue)
	goals := s.sla.TargetsOf(t.Queue, t.Priority)
	var dues []string
	for i := range clocks {
		c := &clocks[i]
		if c.Running() {
			stop(s.calendarNamed(c.Calendar), c, now)
			c.Since = now
		}
		c.Calendar, c.Priority, c.Goal = cal.Name, t.Priority, goals.Of(c.Target)
		c.Due = dueOf(cal, c)
		if c.Goal > 0 && c.Running() {
			dues = append(dues, fmt.Sprintf("%s due %s (%s of %s used)", c.Target, rfc3339(c.Due, cal), c.Used, c.Goal))
		}
	}
	detail := why + ": " + strings.Join(dues, ", ")
	if len(dues) == 0 {
		detail = why + ": no target runs"
	}
	if err := s.event(ctx, tx, t.ID, EventSLARecomputed, actor, detail, now); err != nil {
		return err
	}
	return s.saveClocks(ctx, tx, t, clocks)
}

// higherPriority is the priority one step above p ("P3" -> "P2"); p when
// it is P1 or unknown.
func higherPriority(p string) string {
	switch p {
	case "P2":
		return "P1"
	case "P3":
		return "P2"
	case "P4":
		return "P3"
	}
	return p
}

// runSLAJob sends the warning or the breach of one target of t at now,
// once: a met target, a clock that stands still or one not that far
// yet sends nothing.
func (s *Service) runSLAJob(ctx context.Context, tx Tx, t *Ticket, kind, target string, now time.Time) (string, error) {
	if s.sla == nil {
		return "no SLA configured", nil
	}
	clocks, err := tx.SLAClocks(ctx, t.ID)
	if err != nil {
		return "", fmt.Errorf("loading the SLA clocks of ticket %d: %w", t.ID, err)
	}
	i := slices.IndexFunc(clocks, func(c SLAClock) bool { return c.Target == target })
	if i < 0 {
		return "no " + target + " clock", nil
	}
	c := &clocks[i]
	switch {
	case c.Met():
		return target + " met", nil
	case !c.Running():
		return target + " clock stands still", nil
	case c.Goal <= 0:
		return target + " has no target", nil
	}
	cal := s.calendarNamed(c.Calendar)
	used := c.Used + cal.Elapsed(c.Since, now)
	// The due time is kept to the microsecond or so: a second's grace.
	const grace = time.Second
	switch kind {
	case JobSLAWarning:
		if c.Warned || c.Breached {
			return target + " warned already", nil
		}
		at := time.Duration(float64(c.Goal) * s.sla.WarnAt)
		if used+grace < at {
			return "not yet", tx.ScheduleJob(ctx, t.ID, kind+":"+target, cal.Add(now, at-used))
		}
		if used+grace >= c.Goal {
			// Late (the desk was down): the breach, due too, says it all.
			return "skipped: " + target + " is due, the breach follows", nil
		}
		c.Warned = true
		if err := s.slaEvent(ctx, tx, c, EventSLAWarning, "system", fmt.Sprintf("at %.0f%%", s.sla.WarnAt*100), now); err != nil {
			return "", err
		}
		if err := s.saveClocks(ctx, tx, t, clocks); err != nil {
			return "", err
		}
		return "warned", s.slaMail(ctx, tx, t, c, TemplateSLAWarning, now)
	case JobSLABreach:
		if c.Breached {
			return target + " breached already", nil
		}
		if used+grace < c.Goal {
			return "not yet", tx.ScheduleJob(ctx, t.ID, kind+":"+target, cal.Add(now, c.Goal-used))
		}
		c.Breached, c.Warned = true, true
		if err := s.slaEvent(ctx, tx, c, EventSLABreach, "system", "breached", now); err != nil {
			return "", err
		}
		if err := s.saveClocks(ctx, tx, t, clocks); err != nil {
			return "", err
		}
		if err := s.slaMail(ctx, tx, t, c, TemplateSLABreach, now); err != nil {
			return "", err
		}
		if target == TargetResolution && s.sla.BumpOnBreach {
			if up := higherPriority(t.Priority); up != t.Priority {
				if err := s.event(ctx, tx, t.ID, EventPriority, "system", fmt.Sprintf("priority %s -> %s: resolution breached", t.Priority, up), now); err != nil {
					return "", err
				}
				prev := t.Priority
				t.Priority, t.UpdatedAt = up, now
				if err := tx.UpdateTicket(ctx, t); err != nil {
					return "", fmt.Errorf("updating ticket %d: %w", t.ID, err)
				}
				if err := s.slaRecompute(ctx, tx, t, "system", fmt.Sprintf("priority %s -> %s", prev, up), now); err != nil {
					return "", err
				}
				return "breached, priority raised to " + up, nil
			}
		}
		return "breached", nil
	}
	return "unknown job kind, dropped", nil
}

// SLANotice is what a mail to agents shows of a ticket's SLA.
type SLANotice struct {
	// Target is the target an sla_warning or sla_breach is about; "" in
	// other mail.
	Target string
	// State is SLAState of the ticket's clocks.
	State string
	// Due times of the targets that run (zero for the others).
	FirstResponseDue, NextResponseDue, ResolutionDue time.Time
	// Customer is the customer's time zone (their UTC offset when known,
	// else the calendar's); Agent the recipient's (their own when set,
	// else the calendar's).
	Customer, Agent *time.Location
}

// slaNotice is the SLA of ticket t as the mail to agent a (nil: not an
// agent) shows it; nil when the ticket has no targets.
func (s *Service) slaNotice(ctx context.Context, tx Tx, t *Ticket, a *Agent, target string, now time.Time) (*SLANotice, error) {
	if s.sla == nil {
		return nil, nil
	}
	clocks, err := tx.SLAClocks(ctx, t.ID)
	if err != nil || len(clocks) == 0 {
		return nil, err
	}
	state := SLAState(clocks, now)
	if state == "" {
		return nil, nil
	}
	cal := s.calendarNamed(clocks[0].Calendar)
	n := &SLANotice{Target: target, State: state, Customer: cal.Location, Agent: cal.Location}
	if off := clocks[0].CustomerOffset; off != nil {
		n.Customer = time.FixedZone(offsetName(*off), *off)
	}
	if a != nil && a.Location != nil {
		n.Agent = a.Location
	}
	for _, c := range clocks {
		if c.Goal <= 0 || c.Met() || !c.Running() {
			continue
		}
		switch c.Target {
		case TargetFirstResponse:
			n.FirstResponseDue = c.Due
		case TargetNextResponse:
			n.NextResponseDue = c.Due
		case TargetResolution:
			n.ResolutionDue = c.Due
		}
	}
	return n, nil
}

// offsetName names a UTC offset as a zone: "UTC+01:00".
func offsetName(off int) string {
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("UTC%c%02d:%02d", sign, off/3600, off%3600/60)
}

// slaMail sends template (sla_warning or sla_breach) about clock c of t: a
// warning to the assignee, or to the queue's agents when nobody has the
// ticket; a breach to the queue's escalation address and the assignee.
func (s *Service) slaMail(ctx context.Context, tx Tx, t *Ticket, c *SLAClock, template string, now time.Time) error {
	var agents []*Agent
	if a := s.agentByEmail(t.Assignee); a != nil && t.Assignee != "" {
		agents = append(agents, a)
	} else if template == TemplateSLAWarning {
		members := s.queueAgents(t.Queue)
		agents = slices.DeleteFunc(slices.Clone(members), func(a *Agent) bool { return a.Away })
		if len(agents) == 0 {
			agents = members
		}
	}
	var escalation string
	if template == TemplateSLABreach {
		escalation = s.queue(t.Queue).Escalation
	}
	if len(agents) == 0 && escalation == "" {
		return s.event(ctx, tx, t.ID, EventNotAnswered, "system", template+" not sent: no assignee, no agent of queue "+t.Queue+" and no escalation address", now)
	}
	for _, a := range agents {
		if SameEmail(a.Email, escalation) {
			escalation = "" // one mail is enough
		}
		sla, err := s.slaNotice(ctx, tx, t, a, c.Target, now)
		if err != nil {
			return err
		}
		if err := s.notifyAgentWith(ctx, tx, t, a, Notice{Template: template, SLA: sla}, now); err != nil {
			return err
		}
	}
	if escalation == "" {
		return nil
	}
	if a := s.agentByEmail(escalation); a != nil {
		sla, err := s.slaNotice(ctx, tx, t, a, c.Target, now)
		if err != nil {
			return err
		}
		return s.notifyAgentWith(ctx, tx, t, a, Notice{Template: template, SLA: sla}, now)
	}
	sla, err := s.slaNotice(ctx, tx, t, nil, c.Target, now)
	if err != nil {
		return err
	}
	return s.notifyEscalation(ctx, tx, t, escalation, Notice{Template: template, SLA: sla}, now)
}

// notifyEscalation puts notice n about t to addr, an escalation address
// that is no agent's, on the outbox: without an agent's token, so that an
// answer to it acts for nobody.
func (s *Service) notifyEscalation(ctx context.Context, tx Tx, t *Ticket, addr string, n Notice, now time.Time) error {
	to := Address{Email: addr}
	n.Ticket, n.To = t, to
	if a := s.agentByEmail(t.Assignee); a != nil && t.Assignee != "" {
		n.Agent = a
	}
	composed, err := s.opts.Composer.Compose(ctx, n)
	if err != nil {
		return s.event(ctx, tx, t.ID, EventNotAnswered, "system", fmt.Sprintf("%s to %s not sent: %v", n.Template, addr, err), now)
	}
	msgID := s.signer.MessageID(t.ID, s.domain)
	out := &Message{
		TicketID:  t.ID,
		Direction: Out,
		Kind:      n.Template,
		Mailbox:   t.Mailbox,
		Key:       msgID,
		MessageID: msgID,
		From:      s.opts.From,
		To:        []Address{to},
		Subject:   s.tag.Ensure(composed.Subject, t.ID),
		Text:      composed.Text,
		HTML:      composed.HTML,
		Headers: map[string]string{
			// RFC 3834 5: generated by the desk, not by a person.
			"Auto-Submitted":           "auto-generated",
			"X-Auto-Response-Suppress": "All",
			s.opts.LoopHeader:          s.domain,
		},
		CreatedAt: now,
	}
	return s.enqueue(ctx, tx, out, fmt.Sprintf("%s queued to %s (template %s, escalation)", n.Template, addr, n.Template), now)
}

// SLAStatus is a ticket's SLA as `helpdesk tickets show` reports it: due
// times in the calendar's zone, zero where no clock of that target runs.
type SLAStatus struct {
	FirstResponseDue, NextResponseDue, ResolutionDue time.Time
	// FirstRespondedAt is when the first response was met; zero before.
	FirstRespondedAt time.Time
	// State is SLAState at the service's clock.
	State string
	// Calendar names the calendar the clocks count in.
	Calendar string
}

// SLAStatus returns the SLA of ticket id; nil when it has no targets.
func (s *Service) SLAStatus(ctx context.Context, id int64) (*SLAStatus, error) {
	clocks, err := s.store.SLAClocks(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("loading the SLA clocks of ticket %d: %w", id, err)
	}
	state := SLAState(clocks, s.now())
	if state == "" {
		return nil, nil
	}
	cal := s.calendarNamed(clocks[0].Calendar)
	st := &SLAStatus{State: state, Calendar: cal.Name}
	in := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return t.In(cal.Location)
	}
	for _, c := range clocks {
		if c.Target == TargetFirstResponse {
			st.FirstRespondedAt = in(c.MetAt)
		}
		if c.Goal <= 0 || c.Met() || !c.Running() {
			continue
		}
		switch c.Target {
		case TargetFirstResponse:
			st.FirstResponseDue = in(c.Due)
		case TargetNextResponse:
			st.NextResponseDue = in(c.Due)
		case TargetResolution:
			st.ResolutionDue = in(c.Due)
		}
	}
	return st, nil
}

// SLAPlan is when a ticket opened at Opened would be due for each target
// (next response: to a customer reply at Opened), in Calendar's zone.
type SLAPlan struct {
	Calendar *calendar.Calendar
	Priority string
	Opened   time.Time
	Targets  SLATargets
	// Due by target; zero for a target the priority does not have.
	Due map[string]time.Time
}

// Plan computes the due times of priority for a ticket opened at at, in
// queue's calendar and targets or, when calendarName is set, in that
// calendar with the desk's targets.
func (p *SLAPolicy) Plan(queue, calendarName, priority string, at time.Time) (*SLAPlan, error) {
	if p == nil {
		return nil, fmt.Errorf("no SLA is configured")
	}
	cal := p.CalendarOf(queue)
	if calendarName != "" {
		cal = p.Calendars[calendarName]
		if cal == nil {
			names := make([]string, 0, len(p.Calendars))
			for n := range p.Calendars {
				names = append(names, n)
			}
			slices.Sort(names)
			return nil, fmt.Errorf("no calendar %q (calendars: %s)", calendarName, strings.Join(names, ", "))
		}
	}
	plan := &SLAPlan{Calendar: cal, Priority: priority, Opened: at.In(cal.Location), Targets: p.TargetsOf(queue, priority), Due: map[string]time.Time{}}
	for _, target := range Targets {
		if goal := plan.Targets.Of(target); goal > 0 {
			plan.Due[target] = cal.Add(at, goal).In(cal.Location)
		}
	}
	return plan, nil
}

// SetPriority gives ticket id priority p (P1 to P4) as actor, an admin:
// an event, and the SLA clocks recomputed with the time already used.
func (s *Service) SetPriority(ctx context.Context, id int64, p, actor string) (*Ticket, error) {
	if higherPriority(p) == p && p != "P1" {
		return nil, fmt.Errorf("unknown priority %q (use P1, P2, P3 or P4)", p)
	}
	now := s.now().UTC()
	var out *Ticket
	err := s.store.InTx(ctx, func(tx Tx) error {
		t, err := tx.Ticket(ctx, id)
		if err != nil {
			return fmt.Errorf("ticket %s: %w", s.Ref(id), err)
		}
		switch {
		case t.Status.Terminal():
			return fmt.Errorf("ticket %s is %s", s.Ref(id), t.Status)
		case t.Priority == p:
			return fmt.Errorf("ticket %s is %s already", s.Ref(id), p)
		}
		why := fmt.Sprintf("priority %s -> %s", t.Priority, p)
		if err := s.event(ctx, tx, t.ID, EventPriority, actor, why, now); err != nil {
			return err
		}
		t.Priority, t.UpdatedAt = p, now
		if err := tx.UpdateTicket(ctx, t); err != nil {
			return fmt.Errorf("updating ticket %d: %w", t.ID, err)
		}
		out = t
		return s.slaRecompute(ctx, tx, t, actor, why, now)
	})
	return out, err
}
