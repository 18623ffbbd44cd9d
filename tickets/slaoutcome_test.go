package tickets

import (
	"context"
	"testing"
	"time"
)

// The report reads outcomes from the events slaEvent writes: the two must
// agree on the format.
func TestSLAOutcomeReadsWhatSlaEventWrites(t *testing.T) {
	var got []Event
	s := &Service{}
	tx := eventRecorder{add: func(e *Event) { got = append(got, *e) }}
	ctx, now := context.Background(), time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := func(target string, used, goal time.Duration) *SLAClock {
		return &SLAClock{TicketID: 7, Target: target, Calendar: "24x7", Priority: "P2", Goal: goal, Used: used}
	}
	for _, w := range []struct {
		c          *SLAClock
		kind, what string
	}{
		{clock(TargetFirstResponse, 25*time.Minute, time.Hour), EventSLAMet, "met"},
		{clock(TargetNextResponse, 3*time.Hour, 2*time.Hour), EventSLAMet, "met late"},
		{clock(TargetResolution, 8*time.Hour, 8*time.Hour), EventSLAMet, "met"},
		{clock(TargetResolution, 8*time.Hour, 8*time.Hour), EventSLABreach, "breached"},
		{clock(TargetFirstResponse, 10*time.Minute, time.Hour), EventSLAPaused, "paused (pending)"},
	} {
		if err := s.slaEvent(ctx, tx, w.c, w.kind, "system", w.what, now); err != nil {
			t.Fatal(err)
		}
	}
	got = append(got, Event{Kind: EventSLABreach, Detail: "sla_breach to escalation@example.com"})
	want := []struct {
		target string
		inTime bool
		ok     bool
	}{
		{TargetFirstResponse, true, true},
		{TargetNextResponse, false, true},
		{TargetResolution, true, true},
		{TargetResolution, false, true},
		{"", false, false},
		{"", false, false},
	}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(got), len(want), got)
	}
	for i, e := range got {
		target, prio, inTime, ok := slaOutcome(e)
		if target != want[i].target || inTime != want[i].inTime || ok != want[i].ok || (ok && prio != "P2") {
			t.Errorf("slaOutcome(%s %q) = %q %q %v %v, want %+v", e.Kind, e.Detail, target, prio, inTime, ok, want[i])
		}
	}
}

// eventRecorder is a Tx that keeps the events added to it; nothing else
// of it may be called.
type eventRecorder struct {
	Tx
	add func(*Event)
}

func (r eventRecorder) AddEvent(_ context.Context, e *Event) error {
	r.add(e)
	return nil
}
