package desk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"helpdesk/desk"
	"helpdesk/internal/imapmem"
	"helpdesk/internal/smtpsink"
	"helpdesk/tickets"
)

// Several daemons on one database: each IMAP mailbox is read by one of
// them at a time, under a lease; the outbox is sent by all of them, each
// mail once.

// startInProcess runs one more daemon on dm's config in this process,
// with opts, logging to log (nil: the test's log); it is stopped, as by
// SIGTERM, by stop or at the end of the test.
func (dm *daemon) startInProcess(opts desk.RunOptions, log *slog.Logger) (stop func()) {
	dm.t.Helper()
	if log == nil {
		log = testLogger(dm.t)
	}
	d, err := desk.Open(context.Background(), dm.cfg, desk.Options{Logger: log})
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
	dm.startInProcess(desk.RunOptions{MailboxLease: lease}, nil)
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
	dm.startInProcess(desk.RunOptions{MailboxLease: lease}, nil)
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

func TestAStoppedDaemonsMailboxIsReadByAnotherWithinAQuarterOfTheLease(t *testing.T) {
	onEachDatabase(t, testAStoppedDaemonsMailboxIsReadByAnotherWithinAQuarterOfTheLease)
}

func testAStoppedDaemonsMailboxIsReadByAnotherWithinAQuarterOfTheLease(t *testing.T) {
	const lease = 8 * time.Second
	dm := newDaemon(t, "")
	stopFirst := dm.startInProcess(desk.RunOptions{MailboxLease: lease}, nil)
	var first tickets.Lease
	eventually(t, 30*time.Second, "the first daemon takes the mailbox", func() bool {
		first = dm.mailboxLease("support")
		return first.Holder != ""
	})
	dm.startInProcess(desk.RunOptions{MailboxLease: lease}, nil)
	time.Sleep(lease / 2) // the second one has looked, and waits
	first = dm.mailboxLease("support")
	stopFirst()
	stopped := time.Now()
	var second tickets.Lease
	eventually(t, 2*lease, "the other daemon takes the mailbox", func() bool {
		second = dm.mailboxLease("support")
		return second.Holder != "" && second.Holder != first.Holder
	})
	// The waiting daemon looks every quarter of the lease period.
	if late := second.Taken.Sub(stopped); late > lease/4+time.Second {
		t.Errorf("the mailbox was taken %s after its reader stopped and let it go, want within a quarter of the %s lease", late.Round(time.Millisecond), lease)
	}
	dm.appendMail("support", customer("after-stop@a.test", "alice@a.test", "After the stop", "hello"))
	dm.expectIdle(tally{tickets: 1, inbound: 1, sent: 1})
}

// salesTOML is the [[mailbox]] "sales", read from the IMAP server on port.
func salesTOML(port int) string {
	return fmt.Sprintf(`
[[mailbox]]
name = "sales"
address = "sales@example.com"
queue = "sales"
  [mailbox.imap]
  host = "127.0.0.1"
  port = %d
  tls = "none"
  username = "sales"
  password = %q
  poll_interval = "1s"
`, port, imapPassword)
}

// statusJSON runs `helpdesk status --json` on dm's config.
func (dm *daemon) statusJSON(bin string) map[string]any {
	dm.t.Helper()
	path := filepath.Join(dm.t.TempDir(), "helpdesk.toml")
	if err := os.WriteFile(path, []byte(dm.toml), 0o600); err != nil {
		dm.t.Fatal(err)
	}
	out, err := exec.Command(bin, "status", "--json", "--config", path).Output()
	if err != nil {
		dm.t.Fatalf("helpdesk status --json: %v", err)
	}
	var st map[string]any
	if err := json.Unmarshal(out, &st); err != nil {
		dm.t.Fatalf("helpdesk status --json: %v\n%s", err, out)
	}
	return st
}

func TestStatusShowsWhichDaemonReadsEachMailboxAndWhichSends(t *testing.T) {
	onEachDatabase(t, testStatusShowsWhichDaemonReadsEachMailboxAndWhichSends)
}

func testStatusShowsWhichDaemonReadsEachMailboxAndWhichSends(t *testing.T) {
	// The SMTP server holds every mail until released: the outbox stays
	// claimed by the sender meanwhile.
	release := make(chan struct{})
	dm := newDaemonDelivering(t, "", func(_ *imapmem.Server, _ smtpsink.Received) error {
		<-release
		return nil
	})
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	dm.configure(daemonTOML(dm.cfg.Database.DSN, dm.imap.Port(), dm.sink.Port(), salesTOML(dm.imap.Port())))
	dm.watched = []string{"support", "sales"}
	bin := helpdeskBinary(t, "")
	p := dm.startProcessArgs(bin, []string{"--lease", "2s"})
	pid := p.cmd.Process.Pid
	eventually(t, 30*time.Second, "the daemon takes both mailboxes' leases", func() bool {
		return heldByPID(dm.mailboxLease("support"), pid) && heldByPID(dm.mailboxLease("sales"), pid)
	})
	for i := range 3 {
		dm.appendMail("support", customer(fmt.Sprintf("s%d@a.test", i), fmt.Sprintf("c%d@a.test", i), "Help", "hello"))
	}
	eventually(t, 30*time.Second, "the daemon stores the three mails", func() bool { return dm.observer().tally().tickets == 3 })
	// The sender claims what is queued when it is woken: one batch of
	// three, or a first mail alone if it was stored by itself; held at the
	// SMTP server, it claims nothing more.
	var st map[string]any
	eventually(t, 30*time.Second, "status shows the sender's claim", func() bool {
		st = dm.statusJSON(bin)
		leases, _ := st["outbox"].(map[string]any)["leases"].([]any)
		return len(leases) == 1
	})
	at, _ := time.Parse(time.RFC3339Nano, st["at"].(string))
	boxes := st["mailboxes"].([]any)
	if len(boxes) != 2 {
		t.Fatalf("status lists %d mailboxes, want support and sales: %v", len(boxes), st)
	}
	for i, name := range []string{"sales", "support"} {
		b := boxes[i].(map[string]any)
		expires, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(b["expires_at"]))
		if b["mailbox"] != name || b["held"] != true || !strings.Contains(fmt.Sprint(b["holder"]), fmt.Sprintf("/%d/", pid)) ||
			!expires.After(at) || expires.After(at.Add(3*time.Second)) {
			t.Errorf("status of mailbox %s: %v; want it held by process %d for at most the 2s lease", name, b, pid)
		}
	}
	outbox := st["outbox"].(map[string]any)
	leases, _ := outbox["leases"].([]any)
	if outbox["queued"] != 3.0 || outbox["sent"] != 0.0 || len(leases) != 1 {
		t.Fatalf("status of the outbox: %v; want 3 queued, claimed by one sender", outbox)
	}
	if l := leases[0].(map[string]any); !strings.Contains(fmt.Sprint(l["holder"]), fmt.Sprintf("/%d/", pid)) || l["items"] == 0.0 {
		t.Errorf("the outbox's sender: %v; want process %d holding the mails it offers", l, pid)
	}

	close(release)
	dm.expectIdle(tally{tickets: 3, inbound: 3, sent: 3})
	p.stop()
	// Stopped, the daemon let its mailboxes go at once.
	st = dm.statusJSON(bin)
	for _, b := range st["mailboxes"].([]any) {
		if b := b.(map[string]any); b["held"] != false || b["holder"] != "" {
			t.Errorf("after the daemon stopped: %v; want nobody", b)
		}
	}
	if o := st["outbox"].(map[string]any); o["queued"] != 0.0 || o["sent"] != 3.0 || len(o["leases"].([]any)) != 0 {
		t.Errorf("the outbox after the daemon stopped: %v", o)
	}
}

// sendCounter is a log handler that counts the mails a daemon sent and
// passes its warnings and errors on to the test's log.
type sendCounter struct {
	sent *atomic.Int64
	next slog.Handler
}

func (h sendCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h sendCounter) WithGroup(string) slog.Handler            { return h }
func (h sendCounter) WithAttrs(as []slog.Attr) slog.Handler {
	return sendCounter{sent: h.sent, next: h.next.WithAttrs(as)}
}

func (h sendCounter) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "mail sent" {
		h.sent.Add(1)
	}
	if r.Level < slog.LevelWarn {
		return nil
	}
	return h.next.Handle(ctx, r)
}

// Three daemons share a deep outbox: every mail reaches the SMTP server
// exactly once, and more than one daemon sends.
func TestDaemonsSharingADeepOutboxSendEachMailOnce(t *testing.T) {
	onEachDatabase(t, testDaemonsSharingADeepOutboxSendEachMailOnce)
}

func testDaemonsSharingADeepOutboxSendEachMailOnce(t *testing.T) {
	const mails, daemons = 600, 3
	dm := newDaemonDelivering(t, "", func(*imapmem.Server, smtpsink.Received) error {
		time.Sleep(time.Millisecond) // a real server's pace, so that the senders overlap
		return nil
	})
	// A mailbox fed by the pipe, and passes of 20 mails: many claims.
	// (Each customer at a domain of its own: the rate limits per domain
	// hold back nothing.)
	dm.configure(baseTOML(dm.cfg.Database.DSN, dm.sink.Port()) + "\n[outbox]\nbatch_size = 20\n")
	dm.watched = []string{}
	d, err := desk.Open(context.Background(), dm.cfg, desk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < mails; i += 100 {
		var batch []desk.Incoming
		for j := i; j < i+100; j++ {
			batch = append(batch, desk.Incoming{Raw: []byte(customer(fmt.Sprintf("deep-%d@a.test", j), fmt.Sprintf("c@%d.example", j), "Deep", "hello"))})
		}
		if _, errs := d.DeliverBatch(context.Background(), "support", batch); errors.Join(errs...) != nil {
			t.Fatal(errors.Join(errs...))
		}
	}
	d.Close()

	sent := make([]atomic.Int64, daemons)
	var wg sync.WaitGroup
	for i := range daemons {
		wg.Go(func() {
			dm.startInProcess(desk.RunOptions{}, slog.New(sendCounter{sent: &sent[i], next: testLogger(t).Handler()}))
		})
	}
	wg.Wait()
	dm.expectIdle(tally{tickets: mails, inbound: mails, sent: mails})
	acks := map[string]int{}
	for _, s := range (&harness{t: t, sink: dm.sink}).sent() {
		acks[s.inReplyTo]++
	}
	wrong := 0
	for i := range mails {
		if id := fmt.Sprintf("deep-%d@a.test", i); acks[id] != 1 {
			if wrong++; wrong <= 10 {
				t.Errorf("%d acknowledgements of %s, want 1", acks[id], id)
			}
		}
	}
	senders, total := 0, int64(0)
	for i := range sent {
		if n := sent[i].Load(); n > 0 {
			senders++
			total += n
		}
		t.Logf("daemon %d sent %d mails", i, sent[i].Load())
	}
	if total != mails {
		t.Errorf("the daemons logged %d mails sent, want %d", total, mails)
	}
	if senders < 2 {
		t.Errorf("%d of %d daemons sent mail: the outbox was not shared", senders, daemons)
	}
}
