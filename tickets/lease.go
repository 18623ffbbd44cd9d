package tickets

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Lease is a named right to do some work alone among the daemons that
// share one database: read an IMAP mailbox ("mailbox:NAME"), run a job
// ("job:NAME"). It is its holder's until Expires. The holder renews it
// while it works; once it has run out any other may take it, so that the
// work of a daemon that died goes on elsewhere within one lease period.
type Lease struct {
	Name    string
	Holder  string // "" when nobody holds it
	Expires time.Time
	Taken   time.Time // when Holder took it
}

// Leases keeps the leases in the database the daemons share, where a
// take is atomic: of two daemons taking a free lease at once, one gets it.
// Times come from the callers, so the clocks of the daemons' hosts must
// agree to well within a lease period (NTP does).
type Leases interface {
	// TakeLease makes name holder's until expires when nobody holds it,
	// when it ran out by now, or when holder holds it already (a renewal,
	// which keeps its Taken). It returns the lease as it stands: holder's
	// when taken, another's when not.
	TakeLease(ctx context.Context, name, holder string, now, expires time.Time) (Lease, error)
	// ReleaseLease frees name at once, if holder holds it.
	ReleaseLease(ctx context.Context, name, holder string) error
	// ListLeases returns the leases whose names start with prefix, by
	// name, whether they have run out or not.
	ListLeases(ctx context.Context, prefix string) ([]Lease, error)
}

// ErrLeaseLost is the cause with which Leaser ends the work of a holder
// that no longer holds its lease: another took it, or it could not be
// renewed while a third of it was left.
var ErrLeaseLost = errors.New("lease lost")

// NewLeaseHolder names a holder of leases for whoever reads them: the
// host, the process, and a random part, so that no two holders share a
// name.
func NewLeaseHolder() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%x", host, os.Getpid(), b)
}

// Leaser does work under leases: Hold while a lease is held, Once for a
// job that one daemon runs in a period.
type Leaser struct {
	Leases Leases
	// Period is how long a lease lasts unrenewed (default 15s): a daemon
	// that dies keeps its work from the others at most this long. It is
	// renewed every quarter of it.
	Period time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Log receives failed renewals (default: discarded).
	Log *slog.Logger
}

func (l Leaser) withDefaults() Leaser {
	if l.Period <= 0 {
		l.Period = 15 * time.Second
	}
	if l.Now == nil {
		l.Now = time.Now
	}
	if l.Log == nil {
		l.Log = slog.New(slog.DiscardHandler)
	}
	return l
}

// Hold runs fn while holder holds the lease name, renewing it every
// quarter of the period, and releases it when fn returns. When the lease
// is another's it returns that lease and held false, without running fn.
// fn's context ends, with the cause ErrLeaseLost, as soon as another
// holder takes the lease, or when renewals fail (the database is out of
// reach, or too slow) while a third of the lease is still left: fn must
// then stop within that third, after which another daemon may take over.
// The error is fn's, or one wrapping ErrLeaseLost when the lease ended
// the work.
func (l Leaser) Hold(ctx context.Context, name, holder string, fn func(context.Context) error) (lease Lease, held bool, err error) {
	return l.withDefaults().hold(ctx, name, holder, fn, nil)
}

// Once runs fn unless another daemon runs the job now or has run it to
// the end less than every ago, and reports whether it ran fn. While fn
// runs, the job's lease ("job:"+job) is held as with Hold. When fn
// succeeds, the lease stays taken until every after the start, which
// keeps any daemon, this one too, from running the job again before;
// when fn fails, the lease is released at once for the next try. every
// 0 makes Once a lock: one daemon at a time.
//
// A daemon killed while fn runs holds the job for at most one period;
// work fn had done is not undone, so fn should record its progress in the
// database as it goes (a scheduler claims due rows).
func (l Leaser) Once(ctx context.Context, job string, every time.Duration, fn func(context.Context) error) (ran bool, err error) {
	l = l.withDefaults()
	// A holder of its own for each run: the lease of a finished run must
	// keep this daemon out as well as the others.
	holder := NewLeaseHolder()
	start := l.Now()
	_, held, err := l.hold(ctx, "job:"+job, holder, fn, func(err error) time.Time {
		if err != nil || every <= 0 {
			return time.Time{}
		}
		return start.Add(every)
	})
	if err != nil {
		err = fmt.Errorf("job %s: %w", job, err)
	}
	return held, err
}

// hold is Hold; keep, when not nil, says until when to keep the lease
// after fn returned err (zero: release it).
func (l Leaser) hold(ctx context.Context, name, holder string, fn func(context.Context) error, keep func(error) time.Time) (Lease, bool, error) {
	now := l.Now()
	lease, err := l.Leases.TakeLease(ctx, name, holder, now, now.Add(l.Period))
	if err != nil {
		return Lease{}, false, fmt.Errorf("taking the lease %s: %w", name, err)
	}
	if lease.Holder != holder {
		return lease, false, nil
	}
	work, end := context.WithCancelCause(ctx)
	defer end(nil)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { l.renew(work, end, stop, name, holder, lease.Expires) })
	ferr := fn(work)
	close(stop)
	wg.Wait()
	lost := context.Cause(work)
	if !errors.Is(lost, ErrLeaseLost) {
		lost = nil
	}
	// Released (or kept) even when ctx has ended: a daemon that stops
	// hands its work over at once.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.Period/3)
	defer cancel()
	until := time.Time{}
	if keep != nil && lost == nil {
		until = keep(ferr)
	}
	if now := l.Now(); until.After(now) {
		if _, err := l.Leases.TakeLease(rctx, name, holder, now, until); err != nil {
			ferr = errors.Join(ferr, fmt.Errorf("keeping the lease %s until %s: %w", name, until.Format(time.RFC3339), err))
		}
	} else if err := l.Leases.ReleaseLease(rctx, name, holder); err != nil && lost == nil {
		// Not released, it runs out within a period.
		l.Log.WarnContext(ctx, "releasing a lease", slog.String("lease", name), slog.Any("err", err))
	}
	if lost != nil {
		return lease, true, errors.Join(lost, ferr)
	}
	return lease, true, ferr
}

// renew renews holder's lease name every quarter of the period until
// stop closes, and ends work with ErrLeaseLost when the lease is
// another's or cannot be renewed in time: the work must be over while a
// third of the lease is left, so a renewal may take until then, and a
// failed one is tried again at the next tick if that comes before.
func (l Leaser) renew(work context.Context, end context.CancelCauseFunc, stop <-chan struct{}, name, holder string, expires time.Time) {
	tick := time.NewTicker(l.Period / 4)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-stop:
			return
		case <-work.Done():
			return
		case <-tick.C:
		}
		deadline := expires.Add(-l.Period / 3) // the work stops by then unless renewed
		ctx, cancel := context.WithDeadline(work, deadline)
		now := l.Now()
		lease, err := l.Leases.TakeLease(ctx, name, holder, now, now.Add(l.Period))
		cancel()
		switch {
		case err == nil && lease.Holder == holder:
			expires, failing = lease.Expires, false
		case err == nil:
			end(fmt.Errorf("%w: %s is %s's now", ErrLeaseLost, name, lease.Holder))
			return
		case time.Until(deadline) < l.Period/4:
			end(fmt.Errorf("%w: %s not renewed: %w", ErrLeaseLost, name, err))
			return
		case !failing:
			failing = true
			l.Log.WarnContext(work, "renewing a lease", slog.String("lease", name), slog.Time("expires", expires), slog.Any("err", err))
		}
	}
}
