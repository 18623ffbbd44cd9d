package config

import (
	"strings"
	"testing"
	"time"
)

func TestDurationsAcceptDays(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "14d", want: 14 * 24 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "0d", want: 0},
		{in: "90m", want: 90 * time.Minute},
		{in: "d", bad: true},
		{in: "1.5d", bad: true},
		{in: "-1d", bad: true},
		{in: "+1d", bad: true},
		{in: "1dd", bad: true},
		{in: "1d-2h", bad: true},
		{in: "3 days", bad: true},
	} {
		var d Duration
		err := d.UnmarshalText([]byte(tc.in))
		if tc.bad {
			if err == nil {
				t.Errorf("%q = %v, want an error", tc.in, d.Duration)
			}
			continue
		}
		if err != nil || d.Duration != tc.want {
			t.Errorf("%q = %v, %v; want %v", tc.in, d.Duration, err, tc.want)
		}
	}
}

func TestLifecycleAndNotifyDefaultsAndOverrides(t *testing.T) {
	c := mustParse(t, minimum)
	if c.Lifecycle.ReopenWindow.Duration != 14*24*time.Hour {
		t.Errorf("reopen_window = %v, want 14 days", c.Lifecycle.ReopenWindow)
	}
	if !c.CSAT.Enabled {
		t.Errorf("csat.enabled = false, want true by default")
	}
	if want := (Notify{Resolved: true, Closed: true, Merged: true}); c.Notify != want {
		t.Errorf("notify = %+v, want %+v", c.Notify, want)
	}
	c = mustParse(t, minimum+"\n[lifecycle]\nreopen_window = \"2d\"\n[notify]\npending = true\nclosed = false\n")
	if c.Lifecycle.ReopenWindow.Duration != 48*time.Hour || !c.Notify.Pending || c.Notify.Closed || !c.Notify.Resolved {
		t.Errorf("lifecycle %+v notify %+v, want a 2-day window, pending on, closed off", c.Lifecycle, c.Notify)
	}
	if got := parseErr(t, minimum+"\n[lifecycle]\nreopen_window = \"0d\"\n"); !strings.Contains(got, "lifecycle.reopen_window: must be more than 0s") {
		t.Errorf("error %q, want lifecycle.reopen_window named", got)
	}
	if got := parseErr(t, minimum+"\n[lifecycle]\npending_reminder_after = \"7d\"\npending_resolve_after = \"2d\"\n"); !strings.Contains(got, "lifecycle.pending_resolve_after: must be more than lifecycle.pending_reminder_after (168h0m0s)") {
		t.Errorf("error %q, want the resolve before the reminder named", got)
	}
	if c.Lifecycle.PendingReminderAfter.Duration != 72*time.Hour || c.Lifecycle.PendingResolveAfter.Duration != 168*time.Hour || c.Lifecycle.AutoCloseAfter.Duration != 72*time.Hour {
		t.Errorf("lifecycle %+v, want the defaults 3d, 7d, 3d", c.Lifecycle)
	}
	if got := parseErr(t, minimum+"\n[notify]\nresolve = true\n"); !strings.Contains(got, "notify.resolve: unknown key") {
		t.Errorf("error %q, want the misspelt notify.resolve named", got)
	}
}
