package calendar

import (
	"testing"
	"time"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// office is Monday to Friday with the same hours, in loc.
func office(t *testing.T, loc *time.Location, hours string, holidays ...string) *Calendar {
	t.Helper()
	ivs, err := ParseHours(hours)
	if err != nil {
		t.Fatal(err)
	}
	c := &Calendar{Name: "office", Location: loc}
	for d := time.Monday; d <= time.Friday; d++ {
		c.Hours[d] = ivs
	}
	for _, h := range holidays {
		hd, err := ParseHoliday(h)
		if err != nil {
			t.Fatal(err)
		}
		c.Holidays = append(c.Holidays, hd)
	}
	return c
}

// everyDay has the same hours on all seven days, in loc.
func everyDay(t *testing.T, loc *time.Location, hours string) *Calendar {
	t.Helper()
	ivs, err := ParseHours(hours)
	if err != nil {
		t.Fatal(err)
	}
	c := &Calendar{Name: "daily", Location: loc}
	for d := range c.Hours {
		c.Hours[d] = ivs
	}
	return c
}

func at(t *testing.T, loc *time.Location, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAdd(t *testing.T) {
	berlin, ny := zone(t, "Europe/Berlin"), zone(t, "America/New_York")
	bOffice := office(t, berlin, "09:00-17:00", "2026-12-24", "12-25", "01-01")
	nyOffice := office(t, ny, "09:00-17:00")
	split := office(t, berlin, "08:00-12:00, 13:00-17:00")
	fri := office(t, berlin, "09:00-17:00")
	fri.Hours[time.Friday], _ = ParseHours("09:00-15:00")
	tests := []struct {
		name  string
		cal   *Calendar
		start string
		d     time.Duration
		want  string // RFC 3339
	}{
		{"friday 16:30 plus 4h is monday 12:30", bOffice, "2026-11-27 16:30", 4 * time.Hour, "2026-11-30T12:30:00+01:00"},
		{"within the day", bOffice, "2026-11-24 10:00", 2 * time.Hour, "2026-11-24T12:00:00+01:00"},
		{"ends exactly at closing", bOffice, "2026-11-24 16:30", 30 * time.Minute, "2026-11-24T17:00:00+01:00"},
		{"a night in between", bOffice, "2026-11-24 16:00", 2 * time.Hour, "2026-11-25T10:00:00+01:00"},
		{"opened at night starts at the next opening", bOffice, "2026-11-24 20:00", 2 * time.Hour, "2026-11-25T11:00:00+01:00"},
		{"opened on saturday starts on monday", bOffice, "2026-11-28 10:00", time.Hour, "2026-11-30T10:00:00+01:00"},
		{"zero at night is the next opening", bOffice, "2026-11-24 03:00", 0, "2026-11-24T09:00:00+01:00"},
		{"several days of business time", bOffice, "2026-11-23 09:00", 20 * time.Hour, "2026-11-25T13:00:00+01:00"},
		{"dated and yearly holidays are skipped", bOffice, "2026-12-23 16:00", 4 * time.Hour, "2026-12-28T12:00:00+01:00"},
		{"a yearly holiday in another year", bOffice, "2026-12-31 16:00", 2 * time.Hour, "2027-01-04T10:00:00+01:00"},
		{"a dated holiday only in its year", bOffice, "2027-12-23 16:00", 2 * time.Hour, "2027-12-24T10:00:00+01:00"},
		{"lunch break", split, "2026-11-24 11:00", 2 * time.Hour, "2026-11-24T14:00:00+01:00"},
		{"shorter friday", fri, "2026-11-27 14:00", 2 * time.Hour, "2026-11-30T10:00:00+01:00"},
		{"berlin spring change over the weekend", bOffice, "2026-03-27 16:00", 2 * time.Hour, "2026-03-30T10:00:00+02:00"},
		{"berlin autumn change over the weekend", bOffice, "2026-10-23 16:00", 2 * time.Hour, "2026-10-26T10:00:00+01:00"},
		{"new york spring change: friday 16:30 plus 4h", nyOffice, "2026-03-06 16:30", 4 * time.Hour, "2026-03-09T12:30:00-04:00"},
		{"new york autumn change", nyOffice, "2026-10-30 16:00", 2 * time.Hour, "2026-11-02T10:00:00-05:00"},
		{"berlin round the clock across spring: 24h of real time", everyDay(t, berlin, "00:00-24:00"), "2026-03-28 12:00", 24 * time.Hour, "2026-03-29T13:00:00+02:00"},
		{"berlin round the clock across autumn", everyDay(t, berlin, "00:00-24:00"), "2026-10-24 12:00", 24 * time.Hour, "2026-10-25T11:00:00+01:00"},
		{"new york sunday hours on the spring day are 8h", everyDay(t, ny, "09:00-17:00"), "2026-03-08 09:00", 8 * time.Hour, "2026-03-08T17:00:00-04:00"},
		{"24x7", Always(), "2026-11-27 16:30", 4 * time.Hour, "2026-11-27T20:30:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cal.Add(at(t, tt.cal.loc(), tt.start), tt.d)
			if s := got.In(tt.cal.loc()).Format(time.RFC3339); s != tt.want {
				t.Errorf("Add(%s, %s) = %s, want %s", tt.start, tt.d, s, tt.want)
			}
		})
	}
}

func TestElapsed(t *testing.T) {
	berlin, ny := zone(t, "Europe/Berlin"), zone(t, "America/New_York")
	bOffice := office(t, berlin, "09:00-17:00", "2026-12-24", "12-25")
	nyOffice := office(t, ny, "09:00-17:00")
	tests := []struct {
		name     string
		cal      *Calendar
		from, to string
		want     time.Duration
	}{
		{"one working day", bOffice, "2026-11-24 00:00", "2026-11-25 00:00", 8 * time.Hour},
		{"a week", bOffice, "2026-11-23 00:00", "2026-11-30 00:00", 40 * time.Hour},
		{"friday afternoon to monday morning", bOffice, "2026-11-27 16:30", "2026-11-30 12:30", 4 * time.Hour},
		{"a weekend is nothing", bOffice, "2026-11-28 08:00", "2026-11-29 20:00", 0},
		{"holidays are nothing", bOffice, "2026-12-24 00:00", "2026-12-26 00:00", 0},
		{"backwards is nothing", bOffice, "2026-11-25 00:00", "2026-11-24 00:00", 0},
		{"berlin working sunday of the spring change is 8h", everyDay(t, berlin, "09:00-17:00"), "2026-03-29 00:00", "2026-03-30 00:00", 8 * time.Hour},
		{"berlin working sunday of the autumn change is 8h", everyDay(t, berlin, "09:00-17:00"), "2026-10-25 00:00", "2026-10-26 00:00", 8 * time.Hour},
		{"new york across spring", nyOffice, "2026-03-06 09:00", "2026-03-09 17:00", 16 * time.Hour},
		{"new york across autumn", nyOffice, "2026-10-30 09:00", "2026-11-02 17:00", 16 * time.Hour},
		{"new york working sunday of the autumn change is 8h", everyDay(t, ny, "09:00-17:00"), "2026-11-01 00:00", "2026-11-02 00:00", 8 * time.Hour},
		{"a whole day is 23h as clocks go forward", everyDay(t, berlin, "00:00-24:00"), "2026-03-29 00:00", "2026-03-30 00:00", 23 * time.Hour},
		{"a whole day is 25h as clocks go back", everyDay(t, ny, "00:00-24:00"), "2026-11-01 00:00", "2026-11-02 00:00", 25 * time.Hour},
		{"hours starting in the spring gap start at the jump", everyDay(t, berlin, "02:30-04:00"), "2026-03-29 00:00", "2026-03-30 00:00", time.Hour},
		{"hours starting at an ambiguous time start at its first occurrence", everyDay(t, berlin, "02:30-04:00"), "2026-10-25 00:00", "2026-10-26 00:00", 150 * time.Minute},
		{"24x7", Always(), "2026-11-24 00:00", "2026-11-26 06:00", 54 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cal.Elapsed(at(t, tt.cal.loc(), tt.from), at(t, tt.cal.loc(), tt.to)); got != tt.want {
				t.Errorf("Elapsed(%s, %s) = %s, want %s", tt.from, tt.to, got, tt.want)
			}
		})
	}
}

// Adding what Elapsed measured from a working moment lands where it was
// measured to, whatever the zone does in between.
func TestAddElapsedAgree(t *testing.T) {
	for _, name := range []string{"Europe/Berlin", "America/New_York"} {
		loc := zone(t, name)
		c := office(t, loc, "08:00-12:00, 13:00-18:00", "12-25")
		from := at(t, loc, "2026-03-02 10:15")
		for to := from; to.Before(from.AddDate(1, 0, 0)); to = to.Add(7*time.Hour + 13*time.Minute) {
			if !c.Open(to) || !c.Open(to.Add(-time.Minute)) { // an opening is also the last closing
				continue
			}
			if got := c.Add(from, c.Elapsed(from, to)); !got.Equal(to) {
				t.Fatalf("%s: Add(from, Elapsed(from, %s)) = %s", name, to, got)
			}
		}
	}
}

func TestParse(t *testing.T) {
	for _, bad := range []string{"9-17", "09:00", "17:00-09:00", "09:00-25:00", "09:00-17:00,12:00-13:00", "24:00-24:00", "09:60-10:00"} {
		if _, err := ParseHours(bad); err == nil {
			t.Errorf("ParseHours(%q) took it", bad)
		}
	}
	if ivs, err := ParseHours("08:00-12:00, 13:00-24:00"); err != nil || len(ivs) != 2 || ivs[1].End != 24*60 {
		t.Errorf("ParseHours = %v, %v", ivs, err)
	}
	for _, bad := range []string{"2026-02-30", "13-01", "1-1", "christmas"} {
		if _, err := ParseHoliday(bad); err == nil {
			t.Errorf("ParseHoliday(%q) took it", bad)
		}
	}
	if h, err := ParseHoliday("02-29"); err != nil || h.Year != 0 || h.Day != 29 {
		t.Errorf("ParseHoliday(02-29) = %v, %v", h, err)
	}
	if d, err := ParseDay("Friday"); err != nil || d != time.Friday {
		t.Errorf("ParseDay(Friday) = %v, %v", d, err)
	}
	if _, err := ParseDay("fr"); err == nil {
		t.Error("ParseDay(fr) took it")
	}
}
