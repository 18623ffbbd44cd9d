package sqlstore

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"helpdesk/tickets"
)

func TestScheduledJobsAreKeptAndEachClaimedOnce(t *testing.T) {
	onEachDriver(t, testScheduledJobsAreKeptAndEachClaimedOnce)
}

func testScheduledJobsAreKeptAndEachClaimedOnce(t *testing.T, db testDB) {
	ctx := context.Background()
	s := db.open(t)
	var a, b *tickets.Ticket
	inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
		a, b = newTicket("a@a.test", t0), newTicket("b@b.test", t0)
		if err := tx.CreateTicket(ctx, a, 1000); err != nil {
			return err
		}
		if err := tx.CreateTicket(ctx, b, 1000); err != nil {
			return err
		}
		for _, j := range []tickets.Job{job(a.ID, "auto_close", t0.Add(time.Hour)), job(b.ID, "pending_reminder", t0.Add(2*time.Hour)),
			job(b.ID, "pending_resolve", t0.Add(3*time.Hour)), job(a.ID, "auto_close", t0.Add(4*time.Hour))} {
			if err := tx.ScheduleJob(ctx, j.TicketID, j.Kind, j.DueAt); err != nil {
				return err
			}
		}
		return nil
	})
	// Scheduling a kind again moves it: a's auto-close is now at +4h.
	all, err := s.Jobs(ctx, time.Time{}, 0)
	want := []tickets.Job{job(b.ID, "pending_reminder", t0.Add(2*time.Hour)), job(b.ID, "pending_resolve", t0.Add(3*time.Hour)), job(a.ID, "auto_close", t0.Add(4*time.Hour))}
	if err != nil || len(all) != 3 || all[0] != want[0] || all[1] != want[1] || all[2] != want[2] {
		t.Fatalf("jobs = %v, %v; want %v", all, err, want)
	}
	if due, _ := s.Jobs(ctx, t0.Add(3*time.Hour), 1); len(due) != 1 || due[0] != want[0] {
		t.Errorf("the first job due at +3h: %v", due)
	}

	// Four stores claim b's reminder at once: one gets it.
	var won atomic.Int32
	done := make(chan error, 4)
	for range 4 {
		other := db.open(t)
		go func() {
			done <- other.InTx(ctx, func(tx tickets.Tx) error {
				mine, err := tx.ClaimJob(ctx, b.ID, "pending_reminder", t0.Add(2*time.Hour))
				if mine {
					won.Add(1)
				}
				return err
			})
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if won.Load() != 1 {
		t.Errorf("%d stores claimed the job, want 1", won.Load())
	}
	inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
		if mine, err := tx.ClaimJob(ctx, b.ID, "pending_resolve", t0.Add(3*time.Hour-time.Second)); mine || err != nil {
			t.Errorf("a job claimed before it was due: %v %v", mine, err)
		}
		return tx.CancelJobs(ctx, b.ID)
	})
	// A claim rolled back leaves the job due.
	s.InTx(ctx, func(tx tickets.Tx) error {
		tx.ClaimJob(ctx, a.ID, "auto_close", t0.Add(5*time.Hour))
		return context.Canceled
	})
	if all, _ := s.Jobs(ctx, time.Time{}, 0); len(all) != 1 || all[0] != want[2] {
		t.Errorf("jobs left = %v, want only a's auto-close", all)
	}
}

func job(ticketID int64, kind string, due time.Time) tickets.Job {
	return tickets.Job{TicketID: ticketID, Kind: kind, DueAt: due}
}

// An SLA clock is stored as given, read back in the order of the
// targets, and saved again in place; CancelJob drops one job only.
func TestSLAClocksRoundTrip(t *testing.T) { onEachDriver(t, testSLAClocksRoundTrip) }

func testSLAClocksRoundTrip(t *testing.T, db testDB) {
	{
		s := db.open(t)
		ctx := context.Background()
		var id int64
		inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
			tk := newTicket("c@a.test", t0)
			if err := tx.CreateTicket(ctx, tk, 1000); err != nil {
				return err
			}
			id = tk.ID
			off := -18000
			for _, c := range []tickets.SLAClock{
				{TicketID: id, Target: tickets.TargetResolution, Calendar: "office", Priority: "P2", Goal: 48 * time.Hour, Since: t0, Due: t0.Add(50 * time.Hour)},
				{TicketID: id, Target: tickets.TargetFirstResponse, Calendar: "office", Priority: "P2", Goal: 4 * time.Hour,
					Used: 90 * time.Minute, PausedAt: t0, Due: t0.Add(3 * time.Hour), Warned: true, CustomerOffset: &off},
			} {
				if err := tx.SaveSLAClock(ctx, &c); err != nil {
					return err
				}
			}
			for _, kind := range []string{"sla_warning:first_response", "sla_breach:first_response"} {
				if err := tx.ScheduleJob(ctx, id, kind, t0); err != nil {
					return err
				}
			}
			return tx.CancelJob(ctx, id, "sla_warning:first_response")
		})
		got, err := s.SLAClocks(ctx, id)
		if err != nil || len(got) != 2 {
			t.Fatalf("SLAClocks = %v, %v", got, err)
		}
		fr, res := got[0], got[1]
		if fr.Target != tickets.TargetFirstResponse || fr.Used != 90*time.Minute || !fr.PausedAt.Equal(t0) || fr.Running() ||
			!fr.Warned || fr.Breached || fr.CustomerOffset == nil || *fr.CustomerOffset != -18000 {
			t.Errorf("first response clock = %+v", fr)
		}
		if res.Target != tickets.TargetResolution || !res.Since.Equal(t0) || !res.Due.Equal(t0.Add(50*time.Hour)) || res.CustomerOffset != nil || res.Met() {
			t.Errorf("resolution clock = %+v", res)
		}
		inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
			res.MetAt, res.Breached = t0.Add(time.Hour), true
			return tx.SaveSLAClock(ctx, &res)
		})
		if got, _ := s.SLAClocks(ctx, id); len(got) != 2 || !got[1].Met() || !got[1].Breached {
			t.Errorf("after saving again: %+v", got)
		}
		jobs, err := s.Jobs(ctx, time.Time{}, 0)
		if err != nil || len(jobs) != 1 || jobs[0].Kind != "sla_breach:first_response" {
			t.Errorf("jobs = %v, %v; want only the breach", jobs, err)
		}
	}
}
