package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"helpdesk/tickets"
)

func TestALeaseIsOneHoldersUntilItRunsOut(t *testing.T) {
	onEachDriver(t, testALeaseIsOneHoldersUntilItRunsOut)
}

func testALeaseIsOneHoldersUntilItRunsOut(t *testing.T, db testDB) {
	ctx := context.Background()
	a, b := db.open(t), db.open(t) // two daemons
	take := func(s *Store, holder string, now time.Time) tickets.Lease {
		t.Helper()
		l, err := s.TakeLease(ctx, "mailbox:support", holder, now, now.Add(15*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	if l := take(a, "a", t0); l.Holder != "a" || !l.Expires.Equal(t0.Add(15*time.Second)) || !l.Taken.Equal(t0) {
		t.Fatalf("a free lease taken: %+v", l)
	}
	if l := take(b, "b", t0.Add(time.Second)); l.Holder != "a" || !l.Expires.Equal(t0.Add(15*time.Second)) {
		t.Fatalf("a held lease taken by another: %+v, want a's", l)
	}
	if l := take(a, "a", t0.Add(5*time.Second)); l.Holder != "a" || !l.Expires.Equal(t0.Add(20*time.Second)) || !l.Taken.Equal(t0) {
		t.Fatalf("a renewal: %+v, want a's until t0+20s, taken at t0", l)
	}
	if l := take(b, "b", t0.Add(19*time.Second)); l.Holder != "a" {
		t.Fatalf("a renewed lease taken before it ran out: %+v", l)
	}
	// a stops renewing (it died): the lease runs out and b takes it.
	if l := take(b, "b", t0.Add(20*time.Second)); l.Holder != "b" || !l.Taken.Equal(t0.Add(20*time.Second)) {
		t.Fatalf("a lease that ran out: %+v, want b's", l)
	}
	if l := take(a, "a", t0.Add(21*time.Second)); l.Holder != "b" {
		t.Fatalf("the old holder's late renewal: %+v, want b's still", l)
	}
	// Releasing another's lease does nothing; one's own frees it at once.
	if err := a.ReleaseLease(ctx, "mailbox:support", "a"); err != nil {
		t.Fatal(err)
	}
	if l := take(a, "a", t0.Add(22*time.Second)); l.Holder != "b" {
		t.Fatalf("after another's release: %+v, want b's", l)
	}
	if err := b.ReleaseLease(ctx, "mailbox:support", "b"); err != nil {
		t.Fatal(err)
	}
	if l := take(a, "a", t0.Add(23*time.Second)); l.Holder != "a" {
		t.Fatalf("a released lease: %+v, want a's", l)
	}
	if _, err := b.TakeLease(ctx, "job:reminders", "b", t0, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.TakeLease(ctx, "mailbox:sales", "b", t0, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	list, err := b.ListLeases(ctx, "mailbox:")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "mailbox:sales" || list[0].Holder != "b" || list[1].Name != "mailbox:support" || list[1].Holder != "a" {
		t.Errorf("mailbox leases: %+v", list)
	}
	if all, err := a.ListLeases(ctx, ""); err != nil || len(all) != 3 {
		t.Errorf("every lease: %+v %v", all, err)
	}
}

// Daemons that find a lease free at the same moment race for it in the
// database: one gets it.
func TestDaemonsTakingAFreeLeaseAtOnceGiveItToOne(t *testing.T) {
	onEachDriver(t, testDaemonsTakingAFreeLeaseAtOnceGiveItToOne)
}

func testDaemonsTakingAFreeLeaseAtOnceGiveItToOne(t *testing.T, db testDB) {
	const daemons, rounds = 6, 20
	stores := make([]*Store, daemons)
	for i := range stores {
		stores[i] = db.open(t)
	}
	for round := range rounds {
		name := fmt.Sprintf("job:round-%d", round)
		var winners atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, s := range stores {
			wg.Go(func() {
				<-start
				holder := fmt.Sprintf("daemon-%d", i)
				l, err := s.TakeLease(context.Background(), name, holder, t0, t0.Add(time.Minute))
				if err != nil {
					t.Error(err)
					return
				}
				if l.Holder == holder {
					winners.Add(1)
				} else if l.Holder == "" {
					t.Errorf("%s: the lease is nobody's after a take", holder)
				}
			})
		}
		close(start)
		wg.Wait()
		if n := winners.Load(); n != 1 {
			t.Fatalf("%s: %d daemons got the lease, want 1", name, n)
		}
	}
}

// A holder whose lease is taken over (it ran out while the holder hung)
// is told at its next renewal, and its work is ended.
func TestHoldEndsTheWorkWhenAnotherTakesTheLease(t *testing.T) {
	onEachDriver(t, testHoldEndsTheWorkWhenAnotherTakesTheLease)
}

func testHoldEndsTheWorkWhenAnotherTakesTheLease(t *testing.T, db testDB) {
	a, b := db.open(t), db.open(t)
	working := make(chan struct{})
	type result struct {
		held bool
		err  error
	}
	done := make(chan result, 1)
	go func() {
		_, held, err := tickets.Leaser{Leases: a, Period: 600 * time.Millisecond}.Hold(context.Background(), "mailbox:support", "a",
			func(ctx context.Context) error {
				close(working)
				<-ctx.Done()
				return nil
			})
		done <- result{held, err}
	}()
	<-working
	// b's clock says a's lease ran out: b takes it.
	later := time.Now().Add(time.Hour)
	if l, err := b.TakeLease(context.Background(), "mailbox:support", "b", later, later.Add(time.Minute)); err != nil || l.Holder != "b" {
		t.Fatalf("take-over: %+v %v", l, err)
	}
	select {
	case r := <-done:
		if !r.held || !errors.Is(r.err, tickets.ErrLeaseLost) {
			t.Errorf("Hold = held %v, %v; want held, ErrLeaseLost", r.held, r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the work went on 5s after another took its lease")
	}
	// The loser did not release the winner's lease.
	if l, _ := b.ListLeases(context.Background(), "mailbox:"); len(l) != 1 || l[0].Holder != "b" {
		t.Errorf("leases after the take-over: %+v", l)
	}
}

// A holder that cannot renew (its database is out of reach) stops its
// work before the lease runs out, when another daemon may take over.
func TestHoldStopsTheWorkBeforeAnUnrenewedLeaseRunsOut(t *testing.T) {
	onEachDriver(t, testHoldStopsTheWorkBeforeAnUnrenewedLeaseRunsOut)
}

func testHoldStopsTheWorkBeforeAnUnrenewedLeaseRunsOut(t *testing.T, db testDB) {
	a, observer := db.open(t), db.open(t)
	working := make(chan struct{})
	var stopped time.Time
	done := make(chan error, 1)
	go func() {
		_, _, err := tickets.Leaser{Leases: a, Period: 900 * time.Millisecond}.Hold(context.Background(), "mailbox:support", "a",
			func(ctx context.Context) error {
				close(working)
				<-ctx.Done()
				stopped = time.Now()
				return nil
			})
		done <- err
	}()
	<-working
	time.Sleep(400 * time.Millisecond) // a renewal or so
	a.Close()                          // every renewal fails from now on
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the work went on 5s after the database went away")
	}
	if !errors.Is(err, tickets.ErrLeaseLost) {
		t.Errorf("Hold = %v, want ErrLeaseLost", err)
	}
	l, lerr := observer.ListLeases(context.Background(), "")
	if lerr != nil || len(l) != 1 {
		t.Fatalf("leases: %+v %v", l, lerr)
	}
	if !stopped.Before(l[0].Expires) {
		t.Errorf("the work stopped at %s, after its lease ran out at %s", stopped.Format(time.StampMicro), l[0].Expires.Local().Format(time.StampMicro))
	}
}

func TestOnceRunsAJobOnOneDaemonAndNotAgainWithinItsPeriod(t *testing.T) {
	onEachDriver(t, testOnceRunsAJobOnOneDaemonAndNotAgainWithinItsPeriod)
}

func testOnceRunsAJobOnOneDaemonAndNotAgainWithinItsPeriod(t *testing.T, db testDB) {
	ctx := context.Background()
	const daemons = 4
	leasers := make([]tickets.Leaser, daemons)
	for i := range leasers {
		leasers[i] = tickets.Leaser{Leases: db.open(t), Period: 3 * time.Second}
	}
	// Every daemon's scheduler ticks at the same moment.
	var runs atomic.Int32
	var wg sync.WaitGroup
	for _, l := range leasers {
		wg.Go(func() {
			if _, err := l.Once(ctx, "auto-close", time.Hour, func(context.Context) error {
				runs.Add(1)
				time.Sleep(100 * time.Millisecond)
				return nil
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := runs.Load(); n != 1 {
		t.Fatalf("the job ran %d times on %d daemons at once, want once", n, daemons)
	}
	// The next ticks, on every daemon, the one that ran it too.
	for i, l := range leasers {
		ran, err := l.Once(ctx, "auto-close", time.Hour, func(context.Context) error { return nil })
		if err != nil || ran {
			t.Errorf("daemon %d ran the job again within its period: %v %v", i, ran, err)
		}
	}
	// Another job is another lease.
	if ran, err := leasers[0].Once(ctx, "reminders", time.Hour, func(context.Context) error { return nil }); !ran || err != nil {
		t.Errorf("another job: ran %v, %v", ran, err)
	}
	// A run that fails leaves the job to the next try of any daemon.
	boom := errors.New("boom")
	if ran, err := leasers[1].Once(ctx, "csat", time.Hour, func(context.Context) error { return boom }); !ran || !errors.Is(err, boom) {
		t.Errorf("failing run: ran %v, %v", ran, err)
	}
	if ran, err := leasers[2].Once(ctx, "csat", time.Hour, func(context.Context) error { return nil }); !ran || err != nil {
		t.Errorf("after a failed run: ran %v, %v; want it run", ran, err)
	}
	// every 0: one at a time, and again at once when done.
	for i := range 2 {
		if ran, err := leasers[i].Once(ctx, "lock", 0, func(context.Context) error { return nil }); !ran || err != nil {
			t.Errorf("lock, run %d: ran %v, %v", i, ran, err)
		}
	}
}

// A daemon killed while it runs a job holds it for one period; then
// another runs it.
func TestOnceRunsTheJobOfAKilledDaemonAfterItsLeaseRunsOut(t *testing.T) {
	onEachDriver(t, testOnceRunsTheJobOfAKilledDaemonAfterItsLeaseRunsOut)
}

func testOnceRunsTheJobOfAKilledDaemonAfterItsLeaseRunsOut(t *testing.T, db testDB) {
	ctx := context.Background()
	killed, other := db.open(t), db.open(t)
	// What a run leaves when its process dies: the lease, never renewed.
	now := time.Now()
	if _, err := killed.TakeLease(ctx, "job:auto-close", "dead/1/0", now, now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	l := tickets.Leaser{Leases: other, Period: time.Second}
	if ran, err := l.Once(ctx, "auto-close", time.Hour, func(context.Context) error { return nil }); ran || err != nil {
		t.Fatalf("while the dead daemon's lease lasts: ran %v, %v", ran, err)
	}
	time.Sleep(time.Until(now.Add(time.Second)))
	if ran, err := l.Once(ctx, "auto-close", time.Hour, func(context.Context) error { return nil }); !ran || err != nil {
		t.Fatalf("after the lease ran out: ran %v, %v; want it run", ran, err)
	}
}
