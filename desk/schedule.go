package desk

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"helpdesk/tickets"
)

// scheduleTick is the longest the daemon sleeps between two looks at the
// scheduled jobs: work another process scheduled (an agent's #status
// through `helpdesk ingest`) is run at most this late.
const scheduleTick = 5 * time.Second

// RunSchedule runs the life cycle's jobs due at at (now when at is zero):
// pending reminders, pending resolves, auto-close.
func (d *Desk) RunSchedule(ctx context.Context, at time.Time) ([]tickets.JobRun, error) {
	return d.Service.RunDue(ctx, at)
}

// scheduleLoop runs the due jobs at their time (within scheduleTick) until
// ctx ends, and wakes the sender for the mail they queue.
func (d *Desk) scheduleLoop(ctx, work context.Context, wake chan<- struct{}) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		runs, err := d.RunSchedule(work, time.Time{})
		d.metrics.countJobs(runs)
		if err != nil && !errors.Is(err, context.Canceled) {
			d.log.ErrorContext(ctx, "running scheduled jobs", slog.Any("err", err))
		}
		for _, r := range runs {
			d.log.InfoContext(ctx, "scheduled job", slog.Int64("ticket", r.TicketID), slog.String("job", r.Kind), slog.String("done", r.Done))
		}
		if len(runs) > 0 {
			select {
			case wake <- struct{}{}:
			default:
			}
		}
		timer.Reset(d.nextJob(work))
	}
}

// nextJob is how long to sleep until the next job is due, at most
// scheduleTick.
func (d *Desk) nextJob(ctx context.Context) time.Duration {
	jobs, err := d.Store.Jobs(ctx, time.Time{}, 1)
	if err != nil || len(jobs) == 0 {
		return scheduleTick
	}
	return min(max(jobs[0].DueAt.Sub(d.now()), 50*time.Millisecond), scheduleTick)
}
