package desk

import (
	"context"

	"helpdesk/tickets"
)

// Report computes the desk's KPIs for opts. The backlog is what stands
// now (the desk's clock), whatever the period.
func (d *Desk) Report(ctx context.Context, opts tickets.ReportOptions) (*tickets.Report, error) {
	if opts.Now.IsZero() {
		opts.Now = d.now()
	}
	return tickets.BuildReport(ctx, d.Store, opts)
}
