package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"helpdesk/tickets"
	"helpdesk/tickets/calendar"
)

// Calendar is when a desk works, a [[calendar]]: SLA clocks run only in
// its hours. A calendar named "24x7" (always open, UTC) always exists.
type Calendar struct {
	// Name is how [sla] and [[queue]] name it; required, unique, not "24x7".
	Name string `toml:"name"`
	// Timezone is the IANA zone of the hours, "Europe/Berlin"; required.
	Timezone string `toml:"timezone"`
	// Days are the working days; default ["mon", "tue", "wed", "thu", "fri"].
	Days []string `toml:"days"`
	// Hours are the working hours of each working day: "09:00-17:00" (the
	// default), several spans "08:00-12:00, 13:00-17:00", or a table of
	// days whose hours differ, merged over the default:
	// { fri = "09:00-15:00" }; in the table, default = "…" sets the
	// others' hours, and a day given "" does not work.
	Hours Hours `toml:"hours"`
	// Holidays are days off: dates "2026-12-24", or "12-25" for every year.
	Holidays []string `toml:"holidays"`
}

func (c *Calendar) setDefaults() {
	c.Days = []string{"mon", "tue", "wed", "thu", "fri"}
	c.Hours = Hours{Default: "09:00-17:00"}
}

// Hours are a calendar's working hours: one string for every working
// day, or a table by day.
type Hours struct {
	// Default applies to the working days Days does not name.
	Default string `toml:"-"`
	// Days are the hours of single days, by day name as written.
	Days map[string]string `toml:"-"`
}

// UnmarshalTOML reads "09:00-17:00" or { fri = "09:00-15:00" }.
func (h *Hours) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		h.Default = v
		return nil
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			s, ok := v[k].(string)
			if !ok {
				return fmt.Errorf("%s: must be a string like \"09:00-17:00\", not %s", k, typeOf(v[k]))
			}
			if k == "default" {
				h.Default = s
				continue
			}
			if h.Days == nil {
				h.Days = map[string]string{}
			}
			h.Days[k] = s
		}
		return nil
	}
	return fmt.Errorf("must be a string like \"09:00-17:00\" or a table like { fri = \"09:00-15:00\" }, not %s", typeOf(v))
}

// SLA is the desk's promises, [sla] with a table per priority.
type SLA struct {
	// Calendar names the default calendar; default "24x7". A [[queue]]
	// may name its own.
	Calendar string `toml:"calendar"`
	// WarnAt warns the assignee when this share of a target is used;
	// more than 0 and less than 1, default 0.8.
	WarnAt float64 `toml:"warn_at"`
	// BumpOnBreach raises the priority one step (P3 to P2) when a
	// ticket's resolution target is breached; default false.
	BumpOnBreach bool `toml:"bump_on_breach"`
	// PauseOnVendor stops the clocks while a ticket waits on a vendor it
	// was escalated to (status pending_vendor); default false: they run,
	// as the customer still waits on the desk.
	PauseOnVendor bool `toml:"pause_on_vendor"`
	// P1 to P4 are the targets of each priority; a priority without a
	// table, or a target not set, has no target.
	P1 *SLATargets `toml:"P1"`
	P2 *SLATargets `toml:"P2"`
	P3 *SLATargets `toml:"P3"`
	P4 *SLATargets `toml:"P4"`
}

// SLATargets are a priority's targets in business time of the calendar,
// like "4h" or "2d" (a day is 24 hours of business time).
type SLATargets struct {
	// FirstResponse: the first agent's answer to the customer.
	FirstResponse *Duration `toml:"first_response"`
	// NextResponse: an agent's answer to each customer reply after the
	// first answer.
	NextResponse *Duration `toml:"next_response"`
	// Resolution: the ticket resolved.
	Resolution *Duration `toml:"resolution"`
}

// QueueSLA is a queue's own targets, [queue.sla.P1] …: each target set
// there replaces the [sla.P1] one.
type QueueSLA struct {
	P1 *SLATargets `toml:"P1"`
	P2 *SLATargets `toml:"P2"`
	P3 *SLATargets `toml:"P3"`
	P4 *SLATargets `toml:"P4"`
}

func byPriority(p1, p2, p3, p4 *SLATargets) map[string]*SLATargets {
	return map[string]*SLATargets{"P1": p1, "P2": p2, "P3": p3, "P4": p4}
}

func defaultSLA() SLA { return SLA{Calendar: calendar.TwentyFourSeven, WarnAt: 0.8} }

// validateSLA checks [[calendar]], [sla] and the queues' calendars and
// targets, and keeps them translated for SLAPolicy.
func (c *Config) validateSLA(ps *problems) {
	policy := &tickets.SLAPolicy{
		Calendars: map[string]*calendar.Calendar{calendar.TwentyFourSeven: calendar.Always()},
		Calendar:  c.SLA.Calendar, WarnAt: c.SLA.WarnAt, BumpOnBreach: c.SLA.BumpOnBreach, PauseOnVendor: c.SLA.PauseOnVendor,
		Targets: map[string]tickets.SLATargets{}, Queues: map[string]tickets.SLAQueue{},
	}
	for i, cal := range c.Calendars {
		key := fmt.Sprintf("calendar[%d]", i)
		tc := translateCalendar(ps, key, cal)
		switch {
		case strings.TrimSpace(cal.Name) == "":
			ps.add(key+".name", "required")
		case cal.Name == calendar.TwentyFourSeven:
			ps.add(key+".name", "%q is built in (always open, UTC): name yours otherwise", cal.Name)
		case policy.Calendars[cal.Name] != nil:
			ps.add(key+".name", "%q is already the name of another calendar", cal.Name)
		default:
			policy.Calendars[cal.Name] = tc
		}
	}
	names := slices.Sorted(maps.Keys(policy.Calendars))
	knownCalendar := func(key, name string) {
		if _, ok := policy.Calendars[name]; !ok {
			ps.add(key, "no calendar %q (calendars: %s; declare others with [[calendar]])", name, strings.Join(names, ", "))
		}
	}
	knownCalendar("sla.calendar", c.SLA.Calendar)
	if w := c.SLA.WarnAt; w <= 0 || w >= 1 {
		ps.add("sla.warn_at", "must be more than 0 and less than 1, like 0.8 for 80%% of a target")
	}
	for p, t := range byPriority(c.SLA.P1, c.SLA.P2, c.SLA.P3, c.SLA.P4) {
		if t != nil {
			policy.Targets[p] = translateTargets(ps, "sla."+p, t)
		}
	}
	for i, q := range c.Queues {
		key := fmt.Sprintf("queue[%d]", i)
		qs := tickets.SLAQueue{Calendar: q.Calendar, Targets: map[string]tickets.SLATargets{}}
		if q.Calendar != "" {
			knownCalendar(key+".calendar", q.Calendar)
		}
		for p, t := range byPriority(q.SLA.P1, q.SLA.P2, q.SLA.P3, q.SLA.P4) {
			if t != nil {
				qs.Targets[p] = translateTargets(ps, key+".sla."+p, t)
			}
		}
		policy.Queues[q.Name] = qs
	}
	for i, a := range c.Agents {
		if a.Timezone != "" {
			if _, err := loadZone(a.Timezone); err != nil {
				ps.add(fmt.Sprintf("agent[%d].timezone", i), "%v", err)
			}
		}
	}
	c.sla = policy
}

// SLAPolicy returns the calendars and targets in the domain's terms, as
// the last Validate translated them.
func (c *Config) SLAPolicy() *tickets.SLAPolicy { return c.sla }

func translateTargets(ps *problems, key string, t *SLATargets) tickets.SLATargets {
	get := func(k string, d *Duration) time.Duration {
		if d == nil {
			return 0
		}
		if d.Duration <= 0 {
			ps.add(key+"."+k, "must be more than 0s (leave it out for no target)")
		}
		return d.Duration
	}
	return tickets.SLATargets{FirstResponse: get("first_response", t.FirstResponse),
		NextResponse: get("next_response", t.NextResponse), Resolution: get("resolution", t.Resolution)}
}

// loadZone loads an IANA time zone; "Local" is refused, as it depends on
// the machine.
func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("%q is not a time zone name like \"Europe/Berlin\"", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q (write an IANA name like \"Europe/Berlin\" or \"America/New_York\")", name)
	}
	return loc, nil
}

func translateCalendar(ps *problems, key string, cal Calendar) *calendar.Calendar {
	out := &calendar.Calendar{Name: cal.Name, Location: time.UTC}
	if cal.Timezone == "" {
		ps.add(key+".timezone", "required, like \"Europe/Berlin\"")
	} else if loc, err := loadZone(cal.Timezone); err != nil {
		ps.add(key+".timezone", "%v", err)
	} else {
		out.Location = loc
	}
	def, err := calendar.ParseHours(cal.Hours.Default)
	if err != nil {
		k := key + ".hours"
		if cal.Hours.Days != nil {
			k += ".default"
		}
		ps.add(k, "%v", err)
	}
	var days [7]bool
	for i, d := range cal.Days {
		wd, err := calendar.ParseDay(d)
		if err != nil {
			ps.add(fmt.Sprintf("%s.days[%d]", key, i), "%v", err)
			continue
		}
		days[wd] = true
		out.Hours[wd] = def
	}
	for _, d := range slices.Sorted(maps.Keys(cal.Hours.Days)) {
		k := key + ".hours." + d
		wd, err := calendar.ParseDay(d)
		if err != nil {
			ps.add(k, "%v", err)
			continue
		}
		ivs, err := calendar.ParseHours(cal.Hours.Days[d])
		if err != nil {
			ps.add(k, "%v", err)
			continue
		}
		if !days[wd] && len(ivs) > 0 {
			ps.add(k, "%s is not one of the calendar's days (add it to days)", d)
			continue
		}
		out.Hours[wd] = ivs
	}
	for i, h := range cal.Holidays {
		hd, err := calendar.ParseHoliday(h)
		if err != nil {
			ps.add(fmt.Sprintf("%s.holidays[%d]", key, i), "%v", err)
			continue
		}
		out.Holidays = append(out.Holidays, hd)
	}
	if !out.HasHours() && len(cal.Days) > 0 {
		ps.add(key+".hours", "the calendar has no working hours at all")
	} else if len(cal.Days) == 0 {
		ps.add(key+".days", "at least one working day is required")
	}
	return out
}
