package bench

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"

	"helpdesk/tickets"
	"helpdesk/tickets/calendar"
	"helpdesk/tickets/sqlstore"
)

var reportTickets = flag.Int("report.tickets", 100_000, "tickets in BenchmarkReport's database")

// BenchmarkReport: `helpdesk report` on a database of -report.tickets
// tickets (100,000) opened over 90 days, each with a customer mail, one or
// two agents' answers, status events, and a survey and a rating for the
// closed ones; a quarter are still open. One op is one report over the
// last 30 days, and one over all 90, in wall-clock time and in an office
// calendar's business hours (-bench.database postgres for PostgreSQL).
// Building the database is not timed.
func BenchmarkReport(b *testing.B) {
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, sqlstore.Options{Driver: *benchDatabase, DSN: benchDSN(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	end := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	fillReportDatabase(b, s, *reportTickets, end)
	office := officeCalendar(b)
	for _, run := range []struct {
		name    string
		days    int
		elapsed func(string, time.Time, time.Time) time.Duration
	}{
		{"days=30", 30, nil},
		{"days=90", 90, nil},
		// Times in the business hours of an office calendar, as the desk
		// reports them with one configured.
		{"days=90/office-hours", 90, func(_ string, from, to time.Time) time.Duration { return office.Elapsed(from, to) }},
	} {
		days := run.days
		b.Run(run.name, func(b *testing.B) {
			for b.Loop() {
				rep, err := tickets.BuildReport(ctx, s, tickets.ReportOptions{Since: end.AddDate(0, 0, -days), Until: end, Now: end, Elapsed: run.elapsed})
				if err != nil {
					b.Fatal(err)
				}
				if rep.Backlog.Total == 0 || rep.Resolution.Count == 0 {
					b.Fatalf("an empty report: %+v", rep.Backlog)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/report")
		})
	}
}

// officeCalendar is Monday to Friday, 9 to 17 in Berlin, with two holidays.
func officeCalendar(b *testing.B) *calendar.Calendar {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	hours, _ := calendar.ParseHours("09:00-17:00")
	c := &calendar.Calendar{Name: "office", Location: loc}
	for d := time.Monday; d <= time.Friday; d++ {
		c.Hours[d] = hours
	}
	c.Holidays = []calendar.Holiday{{Month: time.May, Day: 1}, {Month: time.December, Day: 25}}
	return c
}

// fillReportDatabase stores n tickets spread over the 90 days before end,
// in transactions of 2,000.
func fillReportDatabase(b *testing.B, s *sqlstore.Store, n int, end time.Time) {
	b.Helper()
	ctx := context.Background()
	start := end.AddDate(0, 0, -90)
	step := end.Sub(start) / time.Duration(n)
	agents := []string{"ann@example.com", "ben@example.com", "cat@example.com", "dan@example.com"}
	queues := []string{"general", "billing", "it"}
	key := 0
	for first := 0; first < n; first += 2000 {
		err := s.InTx(ctx, func(tx tickets.Tx) error {
			for i := first; i < min(first+2000, n); i++ {
				created := start.Add(time.Duration(i) * step)
				t := &tickets.Ticket{Subject: fmt.Sprintf("Request %d", i), Status: tickets.StatusClosed,
					Priority: fmt.Sprintf("P%d", 1+i%4), Queue: queues[i%3], Mailbox: "support",
					Requester: tickets.Address{Email: fmt.Sprintf("customer%d@org%d.example", i%5000, i%700)},
					Assignee:  agents[i%4], CreatedAt: created, UpdatedAt: created,
					FirstResponseAt: created.Add(time.Duration(10+i%300) * time.Minute)}
				switch i % 4 {
				case 0:
					t.Status = tickets.StatusOpen
				default:
					t.ResolvedAt = created.Add(time.Duration(2+i%70) * time.Hour)
					t.ClosedAt = t.ResolvedAt.Add(72 * time.Hour)
					if i%3 == 0 {
						t.CSAT = tickets.CSAT{Rating: 1 + i%5, At: t.ClosedAt.Add(time.Hour)}
					}
				}
				if err := tx.CreateTicket(ctx, t, 1000); err != nil {
					return err
				}
				msg := func(dir tickets.Direction, kind, author string, at time.Time) error {
					key++
					return tx.InsertMessage(ctx, &tickets.Message{TicketID: t.ID, Direction: dir, Kind: kind, Mailbox: "support",
						Key: fmt.Sprintf("<r%d@bench.example>", key), From: t.Requester, Subject: t.Subject,
						Text: "The export to CSV stops at row 65536 and the file is cut off.", Author: author, CreatedAt: at}, nil)
				}
				if err := msg(tickets.In, tickets.KindCustomer, "", created); err != nil {
					return err
				}
				for r := 0; r < 1+i%2; r++ {
					if err := msg(tickets.Out, tickets.KindAgentRelay, t.Assignee, t.FirstResponseAt.Add(time.Duration(r)*time.Hour)); err != nil {
						return err
					}
				}
				events := []tickets.Event{{Kind: tickets.EventCreated, Detail: "new ticket"}}
				if !t.ClosedAt.IsZero() {
					events = append(events, tickets.Event{Kind: tickets.EventStatus, Detail: "open -> resolved"},
						tickets.Event{Kind: tickets.EventStatus, Detail: "resolved -> closed"})
					if err := msg(tickets.Out, tickets.TemplateCSATSurvey, "", t.ClosedAt); err != nil {
						return err
					}
				}
				if i%10 == 1 {
					events = append(events, tickets.Event{Kind: tickets.EventStatus, Detail: "resolved -> open: customer replied"})
				}
				for _, e := range events {
					e.TicketID, e.Actor, e.CreatedAt = t.ID, "system", created.Add(time.Hour)
					if err := tx.AddEvent(ctx, &e); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
