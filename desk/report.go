package desk

import (
	"context"
	"time"

	"helpdesk/tickets"
)

// Report computes the desk's KPIs for opts. The backlog is what stands
// now (the desk's clock), whatever the period; response and resolution
// times are in business time.
func (d *Desk) Report(ctx context.Context, opts tickets.ReportOptions) (*tickets.Report, error) {
	if opts.Now.IsZero() {
		opts.Now = d.now()
	}
	if opts.Elapsed == nil {
		// Times in the business hours of each ticket's queue's calendar
		// (wall-clock time on 24x7, the default).
		policy := d.cfg.SLAPolicy()
		opts.Elapsed = func(queue string, from, to time.Time) time.Duration {
			return policy.CalendarOf(queue).Elapsed(from, to)
		}
	}
	return tickets.BuildReport(ctx, d.Store, opts)
}
