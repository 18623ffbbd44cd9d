package tickets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kinds of scheduled jobs. Each ticket has at most one of each; its due
// time lives in the database (Tx.ScheduleJob), so a restart changes none.
const (
	// JobPendingReminder reminds the customer of a pending ticket once.
	JobPendingReminder = "pending_reminder"
	// JobPendingResolve resolves a pending ticket whose customer stays silent.
	JobPendingResolve = "pending_resolve"
	// JobAutoClose closes a resolved ticket whose customer stays silent.
	JobAutoClose = "auto_close"
	// JobVendorReminder reminds the agents once of a ticket whose vendor
	// stays silent.
	JobVendorReminder = "vendor_reminder"
)

// TemplatePendingReminder reminds the customer that a ticket waits on them.
const TemplatePendingReminder = "pending_reminder"

// Timers are the life cycle's waits; zero fields take the defaults.
type Timers struct {
	// PendingReminderAfter: a pending ticket's customer is reminded once
	// after this long (default 3 days).
	PendingReminderAfter time.Duration
	// PendingResolveAfter: a pending ticket still silent this long is
	// resolved (default 7 days).
	PendingResolveAfter time.Duration
	// AutoCloseAfter: a resolved ticket silent this long is closed
	// (default 3 days).
	AutoCloseAfter time.Duration
	// VendorReminderAfter: the agents of a ticket that has waited on a
	// vendor this long are reminded once (default 3 days).
	VendorReminderAfter time.Duration
}

func (t Timers) withDefaults() Timers {
	const day = 24 * time.Hour
	if t.PendingReminderAfter <= 0 {
		t.PendingReminderAfter = 3 * day
	}
	if t.PendingResolveAfter <= 0 {
		t.PendingResolveAfter = 7 * day
	}
	if t.AutoCloseAfter <= 0 {
		t.AutoCloseAfter = 3 * day
	}
	if t.VendorReminderAfter <= 0 {
		t.VendorReminderAfter = 3 * day
	}
	return t
}

// reschedule sets t's jobs for its status as of now, dropping the others:
// a pending ticket gets its reminder and its resolve, a resolved one its
// auto-close, one waiting on a vendor its agents' reminder. Called on every change of status and every customer reply,
// which so resets the clocks.
func (s *Service) reschedule(ctx context.Context, tx Tx, t *Ticket, now time.Time) error {
	if err := tx.CancelJobs(ctx, t.ID); err != nil {
		return fmt.Errorf("cancelling the jobs of ticket %d: %w", t.ID, err)
	}
	var jobs map[string]time.Duration
	switch t.Status {
	case StatusPending:
		jobs = map[string]time.Duration{JobPendingReminder: s.timers.PendingReminderAfter, JobPendingResolve: s.timers.PendingResolveAfter}
	case StatusResolved:
		jobs = map[string]time.Duration{JobAutoClose: s.timers.AutoCloseAfter}
	case StatusPendingVendor:
		jobs = map[string]time.Duration{JobVendorReminder: s.timers.VendorReminderAfter}
	}
	for kind, after := range jobs {
		if err := tx.ScheduleJob(ctx, t.ID, kind, now.Add(after)); err != nil {
			return fmt.Errorf("scheduling %s of ticket %d: %w", kind, t.ID, err)
		}
	}
	// The SLA clocks run or stand still with the status; their jobs
	// were dropped above with the others.
	return s.syncSLA(ctx, tx, t, now)
}

// JobRun is a job RunDue ran, and what it did.
type JobRun struct {
	Job
	// Done says what happened: "reminded", "resolved", "closed", or why
	// nothing did ("ticket is open").
	Done string
}

// jobBatch is how many due jobs RunDue reads at a time.
const jobBatch = 200

// RunDue runs every job due at at (now when at is zero), each in its own
// transaction that first claims it, so that each runs once however many
// daemons and `helpdesk schedule run` do this at the same time. A job
// whose work fails stays due and is tried again on the next run; the
// errors are returned together.
func (s *Service) RunDue(ctx context.Context, at time.Time) ([]JobRun, error) {
	if at.IsZero() {
		at = s.now()
	}
	at = at.UTC()
	var runs []JobRun
	var errs []error
	for {
		jobs, err := s.store.Jobs(ctx, at, jobBatch)
		if err != nil {
			return runs, fmt.Errorf("reading the due jobs: %w", err)
		}
		failed := len(errs)
		for _, j := range jobs {
			var run *JobRun
			err := s.store.InTx(ctx, func(tx Tx) error {
				run = nil
				mine, err := tx.ClaimJob(ctx, j.TicketID, j.Kind, at)
				if err != nil || !mine {
					return err
				}
				done, err := s.runJob(ctx, tx, j, at)
				run = &JobRun{Job: j, Done: done}
				return err
			})
			if err != nil {
				errs = append(errs, fmt.Errorf("job %s of ticket %s: %w", j.Kind, s.Ref(j.TicketID), err))
				continue
			}
			if run != nil {
				runs = append(runs, *run)
			}
		}
		// A full batch may hide more; failures stay due, and would be read
		// again at once.
		if len(jobs) < jobBatch || len(errs) > failed {
			return runs, errors.Join(errs...)
		}
	}
}

// runJob does job j on its ticket at now, in the transaction that claimed it.
func (s *Service) runJob(ctx context.Context, tx Tx, j Job, now time.Time) (string, error) {
	t, err := tx.Ticket(ctx, j.TicketID)
	if err != nil {
		return "", fmt.Errorf("loading ticket %d: %w", j.TicketID, err)
	}
	switch j.Kind {
	case JobPendingReminder:
		if t.Status != StatusPending {
			return "ticket is " + string(t.Status), nil
		}
		last, err := s.lastCustomerMail(ctx, tx, t.ID)
		if err != nil {
			return "", err
		}
		var queued Result // rendered by the sender, outside this transaction
		err = s.queueNotice(ctx, tx, t, last, TemplatePendingReminder, TemplatePendingReminder, now, &queued)
		if err != nil || queued.Queued == 0 {
			return "reminder not sent (see the ticket's events)", err
		}
		return "reminded", nil
	case JobPendingResolve:
		if t.Status != StatusPending {
			return "ticket is " + string(t.Status), nil
		}
		note := fmt.Sprintf("Resolved automatically: no reply from the customer in %s while the ticket waited on them.", days(s.timers.PendingResolveAfter))
		return "resolved", s.changeStatus(ctx, tx, t, StatusResolved, note, "system", now)
	case JobUnverifiedExpire:
		return s.expireUnverified(ctx, tx, t, now)
	case JobVendorReminder:
		if t.Status != StatusPendingVendor {
			return "ticket is " + string(t.Status), nil
		}
		return s.remindOfVendor(ctx, tx, t, j.DueAt, now)
	case JobAutoClose:
		if t.Status != StatusResolved {
			return "ticket is " + string(t.Status), nil
		}
		return "closed", s.changeStatus(ctx, tx, t, StatusClosed, "", "system", now)
	}
	if kind, target, ok := strings.Cut(j.Kind, ":"); ok && (kind == JobSLAWarning || kind == JobSLABreach) {
		return s.runSLAJob(ctx, tx, t, kind, target, now)
	}
	return "unknown job kind, dropped", nil
}

// days writes d for people: "7 days", "1 day", or "36h0m0s".
func days(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d == day:
		return "1 day"
	case d%day == 0:
		return fmt.Sprintf("%d days", d/day)
	}
	return d.String()
}
