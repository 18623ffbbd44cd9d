package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"helpdesk/desk"
	"helpdesk/tickets"
)

// slaView is a ticket's SLA in `tickets show --json` and `tickets list
// --json`: the due time of each target whose clock runs (null while it
// stands still, once it is met, or when the priority has no such
// target), in the calendar's zone; when the first response was met; and
// the state: ok, warning, breached, paused or met.
type slaView struct {
	FirstResponseDue *time.Time `json:"first_response_due"`
	NextResponseDue  *time.Time `json:"next_response_due"`
	ResolutionDue    *time.Time `json:"resolution_due"`
	FirstRespondedAt *time.Time `json:"first_responded_at"`
	State            string     `json:"state"`
}

// slaStates are the states `tickets list --sla` filters by.
var slaStates = []string{tickets.SLAOK, tickets.SLAWarning, tickets.SLABreached, tickets.SLAPaused, tickets.SLAMet}

// slaOf is the SLA of ticket id as the views show it; nil when it has
// no targets.
func slaOf(ctx context.Context, d *desk.Desk, id int64) (*slaView, error) {
	st, err := d.Service.SLAStatus(ctx, id)
	if err != nil || st == nil {
		return nil, err
	}
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	return &slaView{FirstResponseDue: opt(st.FirstResponseDue), NextResponseDue: opt(st.NextResponseDue),
		ResolutionDue: opt(st.ResolutionDue), FirstRespondedAt: opt(st.FirstRespondedAt), State: st.State}, nil
}

// slaCheckView is `sla check --json`: when a ticket opened at Opened
// would be due for each target (next_response: to a customer reply at
// Opened), in the calendar's zone; null for a target the priority lacks.
type slaCheckView struct {
	Calendar         string     `json:"calendar"`
	Timezone         string     `json:"timezone"`
	Priority         string     `json:"priority"`
	Queue            string     `json:"queue,omitempty"`
	Opened           time.Time  `json:"opened"`
	FirstResponseDue *time.Time `json:"first_response_due"`
	NextResponseDue  *time.Time `json:"next_response_due"`
	ResolutionDue    *time.Time `json:"resolution_due"`
}

// cmdSLA: sla check --priority P [--queue Q | --calendar NAME] [--at TIME].
func (e *env) cmdSLA(args []string) error {
	if len(args) == 0 || args[0] != "check" {
		return usageError{"expected: sla check --priority P1..P4 [--queue Q | --calendar NAME] [--at TIME]"}
	}
	fs, c := e.flags("sla check", true)
	priority := fs.String("priority", "", "the ticket's priority, P1 to P4 (required)")
	queue := fs.String("queue", "", "the queue whose calendar and targets count (default: the desk's)")
	calName := fs.String("calendar", "", "count in this calendar instead, with the desk's targets")
	at := fs.String("at", "", "when the ticket opens (RFC 3339, e.g. 2026-11-27T16:30:00+01:00; default now)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"sla check takes no arguments"}
	}
	if !slices.Contains([]string{"P1", "P2", "P3", "P4"}, *priority) {
		return usageError{fmt.Sprintf("--priority %q: want P1, P2, P3 or P4", *priority)}
	}
	if *queue != "" && *calName != "" {
		return usageError{"give --queue or --calendar, not both"}
	}
	when := time.Now()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return usageError{fmt.Sprintf("--at %q: not an RFC 3339 time such as 2026-11-27T16:30:00+01:00", *at)}
		}
		when = t
	}
	cfg, err := e.loadConfig(c.config)
	if err != nil {
		return err
	}
	if *queue != "" {
		var queues []string
		for _, q := range cfg.Queues {
			queues = append(queues, q.Name)
		}
		for _, m := range cfg.Mailboxes {
			queues = append(queues, m.Queue)
		}
		if !slices.Contains(queues, *queue) {
			slices.Sort(queues)
			return fmt.Errorf("no queue %q (queues: %s)", *queue, strings.Join(slices.Compact(queues), ", "))
		}
	}
	plan, err := cfg.SLAPolicy().Plan(*queue, *calName, *priority, when)
	if err != nil {
		return err
	}
	v := slaCheckView{Calendar: plan.Calendar.Name, Timezone: plan.Calendar.Location.String(), Priority: plan.Priority,
		Queue: *queue, Opened: plan.Opened}
	due := func(target string) *time.Time {
		if t, ok := plan.Due[target]; ok {
			return &t
		}
		return nil
	}
	v.FirstResponseDue, v.NextResponseDue, v.ResolutionDue = due(tickets.TargetFirstResponse), due(tickets.TargetNextResponse), due(tickets.TargetResolution)
	if c.json {
		return e.printJSON(v)
	}
	fmt.Fprintf(e.stdout, "calendar %s (%s), priority %s", v.Calendar, v.Timezone, v.Priority)
	if v.Queue != "" {
		fmt.Fprintf(e.stdout, ", queue %s", termLine(v.Queue))
	}
	fmt.Fprintln(e.stdout)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "opened\t%s\n", v.Opened.Format(time.RFC3339))
	for _, target := range tickets.Targets {
		goal := plan.Targets.Of(target)
		if goal <= 0 {
			fmt.Fprintf(tw, "%s\t-\t(no target)\n", target)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t(%s of business time)\n", target, plan.Due[target].Format(time.RFC3339), goal)
	}
	return tw.Flush()
}

// filterSLA keeps the views whose SLA state is state ("" keeps all).
func filterSLA(views []ticketView, state string) ([]ticketView, error) {
	if state == "" {
		return views, nil
	}
	if !slices.Contains(slaStates, state) {
		return nil, usageError{fmt.Sprintf("--sla %q: want one of %s", state, strings.Join(slaStates, ", "))}
	}
	return slices.DeleteFunc(views, func(v ticketView) bool { return v.SLA == nil || v.SLA.State != state }), nil
}

// cmdPriority: tickets priority ID P1..P4.
func (e *env) cmdPriority(args []string) error {
	fs, c := e.flags("tickets priority", true)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageError{"expected: tickets priority ID P1..P4"}
	}
	id, err := ticketID(fs.Arg(0))
	if err != nil {
		return err
	}
	p := strings.ToUpper(fs.Arg(1))
	if !slices.Contains([]string{"P1", "P2", "P3", "P4"}, p) {
		return usageError{fmt.Sprintf("%q: want P1, P2, P3 or P4", fs.Arg(1))}
	}
	d, err := e.open(c, true)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Service.SetPriority(e.ctx, id, p, "admin (command line)"); err != nil {
		return err
	}
	sla, err := slaOf(e.ctx, d, id)
	if err != nil {
		return err
	}
	if c.json {
		return e.printJSON(map[string]any{"ticket": d.Service.Ref(id), "priority": p, "sla": sla})
	}
	fmt.Fprintf(e.stdout, "%s is %s\n", d.Service.Ref(id), p)
	if sla != nil {
		for _, due := range []struct {
			target string
			at     *time.Time
		}{{tickets.TargetFirstResponse, sla.FirstResponseDue}, {tickets.TargetNextResponse, sla.NextResponseDue}, {tickets.TargetResolution, sla.ResolutionDue}} {
			if due.at != nil {
				fmt.Fprintf(e.stdout, "%s due %s\n", due.target, due.at.Format(time.RFC3339))
			}
		}
	}
	return nil
}

// printSLA writes a ticket's SLA on one line: "sla ok: first_response due
// 2026-03-02T14:00:00+01:00, resolution due ...".
func printSLA(w io.Writer, v *slaView) {
	var parts []string
	for _, due := range []struct {
		target string
		at     *time.Time
	}{{tickets.TargetFirstResponse, v.FirstResponseDue}, {tickets.TargetNextResponse, v.NextResponseDue}, {tickets.TargetResolution, v.ResolutionDue}} {
		if due.at != nil {
			parts = append(parts, due.target+" due "+due.at.Format(time.RFC3339))
		}
	}
	if v.FirstRespondedAt != nil {
		parts = append(parts, "first responded "+v.FirstRespondedAt.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "sla %s", v.State)
	if len(parts) > 0 {
		fmt.Fprintf(w, ": %s", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
}
