package bench

import (
	"context"
	"testing"
	"time"

	"helpdesk/desk"
	"helpdesk/tickets/calendar"
)

// slaExtra gives every priority three targets in an office calendar with
// holidays: each new ticket starts two clocks (six rows of work: the
// clocks and their warning and breach jobs).
const slaExtra = `
[[calendar]]
name = "office"
timezone = "Europe/Berlin"
hours = { default = "08:00-12:00, 13:00-17:00", fri = "08:00-14:00" }
holidays = ["12-24", "12-25", "12-26", "01-01", "2026-04-03", "2026-04-06"]
[sla]
calendar = "office"
[sla.P1]
first_response = "1h"
next_response = "2h"
resolution = "8h"
[sla.P2]
first_response = "4h"
next_response = "8h"
resolution = "2d"
[sla.P3]
first_response = "8h"
next_response = "1d"
resolution = "5d"
[sla.P4]
first_response = "2d"
resolution = "10d"
`

// BenchmarkIngestWithSLA is BenchmarkIngest with SLA targets: the cost of
// starting the clocks and scheduling their jobs in the ingest transaction.
func BenchmarkIngestWithSLA(b *testing.B) {
	d, err := desk.Open(context.Background(), benchConfig(b, 25, slaExtra), desk.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	ctx := context.Background()
	mails := make([][]byte, b.N)
	for i := range mails {
		mails[i] = customerMail(i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := d.Deliver(ctx, "support", mails[i])
		if err != nil || !out.Created {
			b.Fatalf("mail %d: %+v %v", i, out, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
}

// BenchmarkCalendarAdd: a P3 resolution (5 days of business time) from a
// Friday evening in the office calendar, through a holiday and a weekend.
func BenchmarkCalendarAdd(b *testing.B) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	hours, _ := calendar.ParseHours("08:00-12:00, 13:00-17:00")
	c := &calendar.Calendar{Name: "office", Location: loc}
	for d := time.Monday; d <= time.Friday; d++ {
		c.Hours[d] = hours
	}
	c.Holidays = []calendar.Holiday{{Month: time.December, Day: 25}, {Year: 2026, Month: time.December, Day: 24}}
	start := time.Date(2026, 12, 18, 18, 30, 0, 0, loc)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if c.Add(start, 120*time.Hour).IsZero() {
			b.Fatal("no due time")
		}
	}
}
