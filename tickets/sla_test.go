package tickets_test

import (
	"testing"
	"time"

	"helpdesk/tickets"
)

func TestSLAStateSumsUpTheClocks(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	running := func(due time.Time) tickets.SLAClock {
		return tickets.SLAClock{Goal: time.Hour, Since: now.Add(-time.Hour), Due: due}
	}
	paused := tickets.SLAClock{Goal: time.Hour, PausedAt: now.Add(-time.Minute)}
	met := tickets.SLAClock{Goal: time.Hour, MetAt: now.Add(-time.Minute)}
	idle := tickets.SLAClock{Goal: time.Hour}
	noGoal := tickets.SLAClock{Since: now}
	warned := running(now.Add(time.Minute))
	warned.Warned = true
	late := met
	late.Breached = true
	tests := []struct {
		name   string
		clocks []tickets.SLAClock
		want   string
	}{
		{"no clocks is no SLA", nil, ""},
		{"clocks without goals are no SLA", []tickets.SLAClock{noGoal}, ""},
		{"a running clock is ok", []tickets.SLAClock{running(now.Add(time.Hour)), idle}, tickets.SLAOK},
		{"a running clock past its due time is breached", []tickets.SLAClock{running(now), met}, tickets.SLABreached},
		{"a target met late stays breached", []tickets.SLAClock{late, met}, tickets.SLABreached},
		{"a warned clock is a warning", []tickets.SLAClock{met, warned}, tickets.SLAWarning},
		{"only paused clocks are paused", []tickets.SLAClock{met, paused, idle}, tickets.SLAPaused},
		{"a running clock beside a paused one is ok", []tickets.SLAClock{paused, running(now.Add(time.Hour))}, tickets.SLAOK},
		{"all met is met", []tickets.SLAClock{met, idle, met}, tickets.SLAMet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tickets.SLAState(tt.clocks, now); got != tt.want {
				t.Errorf("SLAState = %q, want %q", got, tt.want)
			}
		})
	}
}
