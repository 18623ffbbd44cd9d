package config

import (
	"strings"
	"testing"
	"time"

	"helpdesk/tickets"
)

func TestSLAConfigIsTranslated(t *testing.T) {
	c := mustParse(t, minimum+`
[[queue]]
name = "vip"
calendar = "24x7"
[queue.sla.P2]
first_response = "30m"

[[calendar]]
name = "office"
timezone = "Europe/Berlin"
days = ["mon", "tue", "wed", "thu", "fri", "sat"]
hours = { fri = "09:00-15:00", sat = "" }
holidays = ["2026-12-24", "12-25"]

[sla]
calendar = "office"
warn_at = 0.75
[sla.P2]
first_response = "4h"
resolution = "2d"
`)
	p := c.SLAPolicy()
	if p.WarnAt != 0.75 || p.Calendar != "office" {
		t.Errorf("policy %+v", p)
	}
	cal := p.CalendarOf("support")
	if cal.Name != "office" || cal.Location.String() != "Europe/Berlin" || len(cal.Holidays) != 2 {
		t.Fatalf("calendar of support = %+v", cal)
	}
	if got := cal.Hours[time.Friday][0].String(); got != "09:00-15:00" {
		t.Errorf("friday = %s", got)
	}
	if got := cal.Hours[time.Monday][0].String(); got != "09:00-17:00" {
		t.Errorf("monday = %s, want the default merged under", got)
	}
	if len(cal.Hours[time.Saturday]) != 0 || len(cal.Hours[time.Sunday]) != 0 {
		t.Errorf("weekend hours %v %v", cal.Hours[time.Saturday], cal.Hours[time.Sunday])
	}
	if got := p.TargetsOf("support", "P2"); got != (tickets.SLATargets{FirstResponse: 4 * time.Hour, Resolution: 48 * time.Hour}) {
		t.Errorf("support P2 = %+v", got)
	}
	if got := p.TargetsOf("vip", "P2"); got != (tickets.SLATargets{FirstResponse: 30 * time.Minute, Resolution: 48 * time.Hour}) {
		t.Errorf("vip P2 = %+v", got)
	}
	if p.CalendarOf("vip").Name != "24x7" {
		t.Errorf("vip calendar = %s", p.CalendarOf("vip").Name)
	}
	if got := p.TargetsOf("support", "P1"); got != (tickets.SLATargets{}) {
		t.Errorf("P1 = %+v, want no targets", got)
	}
}

func TestSLAConfigDefaultsTo24x7WithoutTargets(t *testing.T) {
	p := mustParse(t, minimum).SLAPolicy()
	if p.CalendarOf("support").Name != "24x7" || p.WarnAt != 0.8 || len(p.Targets) != 0 {
		t.Errorf("default policy %+v", p)
	}
}

func TestSLAConfigProblemsNameFileLineAndKey(t *testing.T) {
	got := parseErr(t, minimum+`
[[agent]]
name = "Ann"
email = "ann@example.com"
timezone = "Mars/Olympus"

[[queue]]
name = "vip"
calendar = "offce"

[[calendar]]
name = "office"
timezone = "Europe/Berlinn"
days = ["mon", "fry"]
hours = { mon = "17:00-09:00", sun = "10:00-12:00" }
holidays = ["12-32"]

[sla]
calendar = "nope"
warn_at = 1.5
[sla.P1]
first_response = "0s"
resolution = "-1h"
`)
	for _, want := range []string{
		`helpdesk.toml:29: agent[0].timezone: unknown time zone "Mars/Olympus"`,
		`helpdesk.toml:33: queue[0].calendar: no calendar "offce" (calendars: 24x7, office;`,
		`helpdesk.toml:37: calendar[0].timezone: unknown time zone "Europe/Berlinn"`,
		`helpdesk.toml:38: calendar[0].days[1]: "fry" is not a day`,
		`helpdesk.toml:39: calendar[0].hours.mon: "17:00-09:00" ends before it starts`,
		`helpdesk.toml:39: calendar[0].hours.sun: sun is not one of the calendar's days`,
		`helpdesk.toml:40: calendar[0].holidays[0]: "12-32" is not a date`,
		`helpdesk.toml:43: sla.calendar: no calendar "nope"`,
		`helpdesk.toml:44: sla.warn_at: must be more than 0 and less than 1`,
		`helpdesk.toml:46: sla.P1.first_response: must be more than 0s`,
		`helpdesk.toml:47: sla.P1.resolution: invalid duration "-1h": must not be negative`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("errors lack %q; got:\n%s", want, got)
		}
	}
}
