package desk_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"helpdesk/desk"
	"helpdesk/tickets"
)

// Several daemons on one database: each IMAP mailbox is read by one of
// them at a time, under a lease; the outbox is sent by all of them, each
// mail once.

// startInProcess runs one more daemon on dm's config in this process,
// with opts; it is stopped, as by SIGTERM, by stop or at the end of the
// test.
func (dm *daemon) startInProcess(opts desk.RunOptions) (stop func()) {
	dm.t.Helper()
	d, err := desk.Open(context.Background(), dm.cfg, desk.Options{Logger: testLogger(dm.t)})
	if err != nil {
		dm.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if opts.Grace == 0 {
			opts.Grace = 5 * time.Second
		}
		if opts.IMAPBackoff == nil {
			opts.IMAPBackoff = func(int) time.Duration { return 100 * time.Millisecond }
		}
		d.Run(ctx, opts)
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			dm.t.Error("a daemon did not stop within 30s of the signal")
		}
		d.Close()
	}
	dm.t.Cleanup(stop)
	return stop
}

// mailboxLease is the lease of the mailbox name as the database has it.
func (dm *daemon) mailboxLease(name string) tickets.Lease {
	dm.t.Helper()
	leases, err := dm.observer().store.ListLeases(context.Background(), desk.MailboxLeasePrefix+name)
	if err != nil {
		dm.t.Fatal(err)
	}
	for _, l := range leases {
		if l.Name == desk.MailboxLeasePrefix+name {
			return l
		}
	}
	return tickets.Lease{Name: desk.MailboxLeasePrefix + name}
}

// eventually waits until cond holds, at most patience.
func eventually(t *testing.T, patience time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, patience)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// heldByPID says whether a lease's holder (host/pid/random) is process pid.
func heldByPID(l tickets.Lease, pid int) bool {
	return strings.Contains(l.Holder, fmt.Sprintf("/%d/", pid))
}

func TestADeadDaemonsMailboxIsReadByAnotherWhenItsLeaseRunsOut(t *testing.T) {
	onEachDatabase(t, testADeadDaemonsMailboxIsReadByAnotherWhenItsLeaseRunsOut)
}

func testADeadDaemonsMailboxIsReadByAnotherWhenItsLeaseRunsOut(t *testing.T) {
	const lease = time.Second
	dm := newDaemon(t, "")
	first := dm.startProcessArgs(helpdeskBinary(t, ""), []string{"--lease", lease.String()})
	eventually(t, 30*time.Second, "the first daemon takes the mailbox's lease", func() bool {
		return heldByPID(dm.mailboxLease("support"), first.cmd.Process.Pid)
	})
	dm.startInProcess(desk.RunOptions{MailboxLease: lease})
	for i := range 3 {
		dm.appendMail("support", customer(fmt.Sprintf("before-%d@a.test", i), fmt.Sprintf("c%d@a.test", i), "Before", "hello"))
	}
	// Idle, so that the kill below catches no mail between its sending
	// and its record (which would be sent again: at least once).
	dm.expectIdle(tally{tickets: 3, inbound: 3, sent: 3})
	eventually(t, 5*time.Second, "one connection reads the mailbox of two daemons", func() bool { return dm.imap.Sessions("support") == 1 })
	time.Sleep(2 * lease) // renewals, and the other daemon's tries
	if n := dm.imap.Sessions("support"); n != 1 {
		t.Errorf("with two daemons running, %d connections read the mailbox; want 1", n)
	}
	if l := dm.mailboxLease("support"); !heldByPID(l, first.cmd.Process.Pid) {
		t.Errorf("the second daemon took the lease of a live one: %+v", l)
	}

	// The reader dies without a word: its lease stays until it runs out.
	first.cmd.Process.Kill()
	<-first.done
	dead := dm.mailboxLease("support")
	var taken tickets.Lease
	eventually(t, 10*lease, "the other daemon takes over the dead one's mailbox", func() bool {
		taken = dm.mailboxLease("support")
		return taken.Holder != "" && taken.Holder != dead.Holder
	})
	if taken.Taken.Before(dead.Expires) {
		t.Errorf("the mailbox was taken over at %s, before the dead daemon's lease ran out at %s", taken.Taken, dead.Expires)
	}
	if late := taken.Taken.Sub(dead.Expires); late > lease {
		t.Errorf("the mailbox was taken over %s after the dead daemon's lease ran out, more than a lease period", late)
	}
	for i := range 2 {
		dm.appendMail("support", customer(fmt.Sprintf("after-%d@a.test", i), fmt.Sprintf("d%d@a.test", i), "After", "hello"))
	}
	dm.expectIdle(tally{tickets: 5, inbound: 5, sent: 5})
}

func TestADaemonThatLosesItsMailboxLeaseStopsReadingUntilItHasItBack(t *testing.T) {
	onEachDatabase(t, testADaemonThatLosesItsMailboxLeaseStopsReadingUntilItHasItBack)
}

func testADaemonThatLosesItsMailboxLeaseStopsReadingUntilItHasItBack(t *testing.T) {
	const lease = 600 * time.Millisecond
	dm := newDaemon(t, "")
	dm.startInProcess(desk.RunOptions{MailboxLease: lease})
	eventually(t, 30*time.Second, "the daemon logs in to its mailbox", func() bool { return dm.imap.Sessions("support") == 1 })

	// Another holder takes the lease, as one would whose clock ran ahead
	// while this daemon could not renew.
	ctx := context.Background()
	future := time.Now().Add(time.Hour)
	until := time.Now().Add(3 * time.Second)
	if l, err := dm.observer().store.TakeLease(ctx, desk.MailboxLeasePrefix+"support", "another/1/0", future, until); err != nil || l.Holder != "another/1/0" {
		t.Fatalf("taking the lease: %+v %v", l, err)
	}
	eventually(t, 5*time.Second, "the daemon closes its IMAP connection after losing the lease", func() bool { return dm.imap.Sessions("support") == 0 })
	dm.appendMail("support", customer("meanwhile@a.test", "alice@a.test", "Meanwhile", "hello"))
	time.Sleep(500 * time.Millisecond)
	if time.Now().Before(until) && dm.observer().tally().tickets != 0 {
		t.Error("the daemon read the mailbox while another held its lease")
	}

	// The other holder is gone: its lease runs out, and the daemon reads again.
	dm.waitAcks(1)
	if l := dm.mailboxLease("support"); l.Holder == "another/1/0" || l.Taken.Before(until) {
		t.Errorf("lease after the take-back: %+v; want the daemon's, taken after %s", l, until)
	}
	dm.expectIdle(tally{tickets: 1, inbound: 1, sent: 1})
	// (The observer's own connections end as it closes them.)
	eventually(t, 5*time.Second, "one connection reads the mailbox after the take-back", func() bool { return dm.imap.Sessions("support") == 1 })
}
