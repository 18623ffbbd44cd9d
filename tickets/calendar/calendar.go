// Package calendar owns business time: the working hours of a calendar
// (its time zone, the hours of each weekday, its holidays) and the
// arithmetic on them that SLA clocks need. It is pure: no clock, no I/O.
//
// Hours are wall-clock times of the calendar's zone, so a 09:00-17:00 day
// is 8 hours also on the days daylight saving time begins or ends. A
// working interval that spans a change of the clocks counts the time that
// really passes (00:00-24:00 is 23 hours on the day clocks go forward).
// A wall-clock time that does not exist (02:30 as clocks go from 02:00 to
// 03:00) stands for the moment the clocks change; one that exists twice
// (02:30 as clocks go back) for its first occurrence.
package calendar

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Interval is a span of working time within a day, in minutes after local
// midnight: Start before End, End at most 24*60 (midnight at the day's end).
type Interval struct{ Start, End int }

// String writes the interval as in a configuration: "09:00-17:00".
func (iv Interval) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", iv.Start/60, iv.Start%60, iv.End/60, iv.End%60)
}

// Holiday is a day off: a date, or with Year 0 the same day every year.
type Holiday struct {
	Year  int // 0: every year
	Month time.Month
	Day   int
}

// String writes the holiday as in a configuration: "2026-12-24" or "12-25".
func (h Holiday) String() string {
	if h.Year == 0 {
		return fmt.Sprintf("%02d-%02d", int(h.Month), h.Day)
	}
	return fmt.Sprintf("%04d-%02d-%02d", h.Year, int(h.Month), h.Day)
}

// Calendar is when the desk works.
type Calendar struct {
	// Name is the calendar's name in the configuration.
	Name string
	// Location is the calendar's time zone; nil means UTC.
	Location *time.Location
	// Hours are the working intervals of each weekday, by time.Weekday,
	// in order and not overlapping; none: a day off.
	Hours [7][]Interval
	// Holidays are days off whatever their weekday.
	Holidays []Holiday
}

// TwentyFourSeven is the name of the calendar that is always open.
const TwentyFourSeven = "24x7"

// Always returns the 24x7 calendar: open every minute of every day, in UTC.
func Always() *Calendar {
	c := &Calendar{Name: TwentyFourSeven, Location: time.UTC}
	for d := range c.Hours {
		c.Hours[d] = []Interval{{0, 24 * 60}}
	}
	return c
}

func (c *Calendar) loc() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// always reports whether c is open at every moment: no arithmetic needed.
func (c *Calendar) always() bool {
	if len(c.Holidays) > 0 {
		return false
	}
	for _, h := range c.Hours {
		if len(h) != 1 || h[0] != (Interval{0, 24 * 60}) {
			return false
		}
	}
	return true
}

// HasHours reports whether c has any working time at all.
func (c *Calendar) HasHours() bool {
	for _, h := range c.Hours {
		if len(h) > 0 {
			return true
		}
	}
	return false
}

// maxDays bounds the days Add and Next look ahead: a calendar with hours
// finds them within a week plus its holidays.
const maxDays = 3 * 366

// Add returns when d of business time will have passed from start: start
// itself when it is in working hours and d is 0, else the next opening for
// d 0. A calendar without hours returns the zero time.
func (c *Calendar) Add(start time.Time, d time.Duration) time.Time {
	if d < 0 {
		d = 0
	}
	if c.always() {
		return start.Add(d).In(c.loc())
	}
	day := c.dateOf(start)
	for range maxDays {
		for _, span := range c.spans(day) {
			a, b := span[0], span[1]
			if !b.After(start) {
				continue
			}
			if a.Before(start) {
				a = start
			}
			if avail := b.Sub(a); d <= avail {
				return a.Add(d)
			}
			d -= b.Sub(a)
		}
		day = day.AddDate(0, 0, 1)
	}
	return time.Time{}
}

// Elapsed returns the business time between from and to (0 when to is
// not after from).
func (c *Calendar) Elapsed(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	if c.always() {
		return to.Sub(from)
	}
	var sum time.Duration
	last := c.dateOf(to)
	for day := c.dateOf(from); !day.After(last); day = day.AddDate(0, 0, 1) {
		for _, span := range c.spans(day) {
			a, b := span[0], span[1]
			if a.Before(from) {
				a = from
			}
			if b.After(to) {
				b = to
			}
			if b.After(a) {
				sum += b.Sub(a)
			}
		}
	}
	return sum
}

// Open reports whether t is within working hours.
func (c *Calendar) Open(t time.Time) bool {
	if c.always() {
		return true
	}
	for _, span := range c.spans(c.dateOf(t)) {
		if !t.Before(span[0]) && t.Before(span[1]) {
			return true
		}
	}
	return false
}

// dateOf is t's date in the calendar's zone, as midnight UTC of that date
// (a civil date, for day arithmetic that knows no time zones).
func (c *Calendar) dateOf(t time.Time) time.Time {
	y, m, d := t.In(c.loc()).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// holiday reports whether civil date day is a holiday.
func (c *Calendar) holiday(day time.Time) bool {
	y, m, d := day.Date()
	return slices.ContainsFunc(c.Holidays, func(h Holiday) bool {
		return h.Month == m && h.Day == d && (h.Year == 0 || h.Year == y)
	})
}

// spans are the working intervals of civil date day as instants.
func (c *Calendar) spans(day time.Time) [][2]time.Time {
	if c.holiday(day) {
		return nil
	}
	ivs := c.Hours[day.Weekday()]
	out := make([][2]time.Time, 0, len(ivs))
	for _, iv := range ivs {
		a, b := c.at(day, iv.Start), c.at(day, iv.End)
		if b.After(a) {
			out = append(out, [2]time.Time{a, b})
		}
	}
	return out
}

// at is the instant of minute min after midnight on civil date day in the
// calendar's zone: a nonexistent wall-clock time is the moment the clocks
// jump, an ambiguous one its first occurrence.
func (c *Calendar) at(day time.Time, min int) time.Time {
	loc := c.loc()
	y, m, d := day.Date()
	t := time.Date(y, m, d, min/60, min%60, 0, 0, loc)
	if min == 24*60 {
		return t // the next midnight, which time.Date normalises
	}
	wall := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, time.UTC)
	want := day.Add(time.Duration(min) * time.Minute)
	if !wall.Equal(want) {
		// In a gap: t is on one side of the jump, which is the boundary
		// of t's zone on that side.
		start, end := t.ZoneBounds()
		if wall.After(want) && !start.IsZero() {
			return start
		}
		if wall.Before(want) && !end.IsZero() {
			return end
		}
		return t
	}
	// Ambiguous when the zone before this one had a larger offset and the
	// same wall-clock time falls in it too.
	start, _ := t.ZoneBounds()
	if !start.IsZero() {
		before := start.Add(-time.Second)
		if diff := zoneOffset(before) - zoneOffset(t); diff > 0 {
			if alt := t.Add(-diff); alt.Before(start) {
				at := alt.In(loc)
				if at.Hour()*60+at.Minute() == min {
					return alt
				}
			}
		}
	}
	return t
}

func zoneOffset(t time.Time) time.Duration {
	_, off := t.Zone()
	return time.Duration(off) * time.Second
}

// Days are the weekday names a configuration uses, by time.Weekday.
var Days = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseDay reads a weekday name: "mon" ... "sun" (any case, or the full
// English name).
func ParseDay(s string) (time.Weekday, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, d := range Days {
		if s == d || s == strings.ToLower(time.Weekday(i).String()) {
			return time.Weekday(i), nil
		}
	}
	return 0, fmt.Errorf("%q is not a day (write mon, tue, wed, thu, fri, sat or sun)", s)
}

// ParseHours reads working hours: "09:00-17:00", several separated by
// commas ("08:00-12:00, 13:00-17:00"), or "" for none. The intervals must
// be in order and must not overlap; "24:00" is the end of the day.
func ParseHours(s string) ([]Interval, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "closed") {
		return nil, nil
	}
	var out []Interval
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		from, to, ok := strings.Cut(part, "-")
		if !ok {
			return nil, fmt.Errorf("%q is not a span of hours like \"09:00-17:00\"", part)
		}
		a, err := parseClock(from)
		if err != nil {
			return nil, err
		}
		b, err := parseClock(to)
		if err != nil {
			return nil, err
		}
		if b <= a {
			return nil, fmt.Errorf("%q ends before it starts (a span ends by 24:00 of its day)", part)
		}
		if a == 24*60 {
			return nil, fmt.Errorf("%q starts at the end of the day", part)
		}
		if n := len(out); n > 0 && a < out[n-1].End {
			return nil, fmt.Errorf("%q starts before %s ends (write spans in order, without overlap)", part, out[n-1])
		}
		out = append(out, Interval{a, b})
	}
	return out, nil
}

// parseClock reads "HH:MM", 00:00 to 24:00, as minutes after midnight.
func parseClock(s string) (int, error) {
	s = strings.TrimSpace(s)
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || len(h) == 0 || len(h) > 2 ||
		hh < 0 || hh > 24 || mm < 0 || mm > 59 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("%q is not a time of day like \"09:00\" (00:00 to 24:00)", s)
	}
	return hh*60 + mm, nil
}

// ParseHoliday reads a holiday: a date "2026-12-24", or "12-25" for the
// same day every year.
func ParseHoliday(s string) (Holiday, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return Holiday{Year: t.Year(), Month: t.Month(), Day: t.Day()}, nil
	}
	// A leap year, so that 02-29 is a day.
	if t, err := time.Parse("2006-01-02", "2000-"+s); err == nil && len(s) == 5 {
		return Holiday{Month: t.Month(), Day: t.Day()}, nil
	}
	return Holiday{}, fmt.Errorf("%q is not a date like \"2026-12-24\" or a yearly day like \"12-25\"", s)
}
