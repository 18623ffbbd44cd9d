package tickets

import (
	"time"

	"helpdesk/tickets/calendar"
)

// The SLA targets: each priority promises a first response, a next
// response (to each customer reply after the first answer) and a
// resolution, in business time of a calendar.
const (
	TargetFirstResponse = "first_response"
	TargetNextResponse  = "next_response"
	TargetResolution    = "resolution"
)

// Targets are in the order the desk reports them.
var Targets = []string{TargetFirstResponse, TargetNextResponse, TargetResolution}

// SLATargets are the promises of one priority; 0 is no target.
type SLATargets struct {
	FirstResponse, NextResponse, Resolution time.Duration
}

// Of returns the goal of target ("first_response", ...).
func (t SLATargets) Of(target string) time.Duration {
	switch target {
	case TargetFirstResponse:
		return t.FirstResponse
	case TargetNextResponse:
		return t.NextResponse
	case TargetResolution:
		return t.Resolution
	}
	return 0
}

// merge returns t with the targets over sets (non-zero) in place.
func (t SLATargets) merge(over SLATargets) SLATargets {
	if over.FirstResponse > 0 {
		t.FirstResponse = over.FirstResponse
	}
	if over.NextResponse > 0 {
		t.NextResponse = over.NextResponse
	}
	if over.Resolution > 0 {
		t.Resolution = over.Resolution
	}
	return t
}

// SLAQueue is a queue's own calendar and targets.
type SLAQueue struct {
	// Calendar names the queue's calendar; "" is the policy's.
	Calendar string
	// Targets by priority replace the policy's target by target.
	Targets map[string]SLATargets
}

// SLAPolicy is the desk's promises: targets by priority, the calendars
// they count in, when to warn, and what a breach does.
type SLAPolicy struct {
	// Calendars by name; the 24x7 calendar is always one of them.
	Calendars map[string]*calendar.Calendar
	// Calendar names the default calendar ("" is 24x7).
	Calendar string
	// WarnAt is the share of a target after which the desk warns (0.8);
	// 0 or 1 and above: no warnings.
	WarnAt float64
	// BumpOnBreach raises a ticket's priority one step (P3 to P2) when its
	// resolution target is breached.
	BumpOnBreach bool
	// PauseOnVendor stops the clocks while a ticket waits on a vendor
	// (pending_vendor), as they stop while it waits on the customer; by
	// default they run: the customer still waits on the desk.
	PauseOnVendor bool
	// Targets by priority ("P1" ... "P4"); a priority without targets has
	// no clocks.
	Targets map[string]SLATargets
	// Queues hold the queues' own calendars and targets, by queue name.
	Queues map[string]SLAQueue
}

// hasTargets reports whether any priority of any queue has a target: a
// policy without keeps no clocks.
func (p *SLAPolicy) hasTargets() bool {
	if p == nil {
		return false
	}
	for _, t := range p.Targets {
		if t != (SLATargets{}) {
			return true
		}
	}
	for _, q := range p.Queues {
		for _, t := range q.Targets {
			if t != (SLATargets{}) {
				return true
			}
		}
	}
	return false
}

// CalendarOf returns the calendar of queue: its own, else the policy's,
// else 24x7.
func (p *SLAPolicy) CalendarOf(queue string) *calendar.Calendar {
	if p == nil {
		return calendar.Always()
	}
	name := p.Calendar
	if q, ok := p.Queues[queue]; ok && q.Calendar != "" {
		name = q.Calendar
	}
	if c := p.Calendars[name]; c != nil {
		return c
	}
	return calendar.Always()
}

// TargetsOf returns the targets of priority in queue: the policy's, with
// the queue's own in place where it sets them.
func (p *SLAPolicy) TargetsOf(queue, priority string) SLATargets {
	if p == nil {
		return SLATargets{}
	}
	t := p.Targets[priority]
	if q, ok := p.Queues[queue]; ok {
		t = t.merge(q.Targets[priority])
	}
	return t
}

// slaOrNil is p, or nil when it has no targets (no clocks to keep).
func slaOrNil(p *SLAPolicy) *SLAPolicy {
	if !p.hasTargets() {
		return nil
	}
	return p
}
