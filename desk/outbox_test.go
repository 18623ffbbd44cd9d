package desk_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"helpdesk/config"
	"helpdesk/desk"
	"helpdesk/internal/imapmem"
	"helpdesk/internal/smtpsink"
)

// waitAcksWithin waits until the SMTP sink holds n mails, at most patience.
func (dm *daemon) waitAcksWithin(n int, patience time.Duration, why string) {
	dm.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if _, err := dm.sink.WaitFor(ctx, n); err != nil {
		dm.t.Fatalf("%d mails at the SMTP server %s later, want %d: %s", len(dm.sink.Mails()), patience, n, why)
	}
}

// pipeMail stores raw the way `helpdesk ingest` does, in its own desk on
// the same database: another store handle, as another process has.
func pipeMail(t *testing.T, cfg *config.Config, raw string) {
	t.Helper()
	d, err := desk.Open(context.Background(), cfg, desk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if out, err := d.Deliver(context.Background(), "support", []byte(raw)); err != nil || !out.Created {
		t.Fatalf("deliver: %+v %v", out, err)
	}
}

func TestDaemonSendsTheAcknowledgementOfAPipedMailAtOnce(t *testing.T) {
	onEachDatabase(t, testDaemonSendsTheAcknowledgementOfAPipedMailAtOnce)
}

func testDaemonSendsTheAcknowledgementOfAPipedMailAtOnce(t *testing.T) {
	dm := newDaemon(t, "")
	dm.start() // the outbox interval is the default 30s
	dm.appendMail("support", customer("imap@a.test", "alice@a.test", "Through IMAP", "hello"))
	dm.waitAcks(1)
	// The daemon has sent and sleeps; the MTA pipes a mail.
	pipeMail(t, dm.cfg, customer("piped@a.test", "bob@b.test", "Through the pipe", "hello"))
	dm.waitAcksWithin(2, 5*time.Second, "a mail stored by another process waits for the outbox interval")
	pipeMail(t, dm.cfg, customer("piped-2@a.test", "carol@c.test", "Through the pipe again", "hello"))
	dm.waitAcksWithin(3, 5*time.Second, "a second piped mail waits for the outbox interval")
	dm.expectIdle(tally{tickets: 3, inbound: 3, sent: 3})
}

// The sender that gets killed: this test binary again, run by
// TestARestartedDaemonSendsWhatAKilledSenderHeld with these variables set.
const (
	killedSenderDB   = "HELPDESK_TEST_KILLED_SENDER_DB"
	killedSenderSMTP = "HELPDESK_TEST_KILLED_SENDER_SMTP"
)

func TestARestartedDaemonSendsWhatAKilledSenderHeld(t *testing.T) {
	if dsn := os.Getenv(killedSenderDB); dsn != "" {
		sendUntilKilled(t, dsn, os.Getenv(killedSenderSMTP))
		return
	}
	onEachDatabase(t, testARestartedDaemonSendsWhatAKilledSenderHeld)
}

func testARestartedDaemonSendsWhatAKilledSenderHeld(t *testing.T) {
	// The SMTP server holds the first mail the doomed sender offers until
	// that sender is dead, then refuses it (451): nothing it sent was taken.
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	var dead atomic.Bool
	dm := newDaemonDelivering(t, "", func(_ *imapmem.Server, _ smtpsink.Received) error {
		if dead.Load() {
			return nil
		}
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-release
		return errors.New("the sender is gone")
	})
	for i := range 3 {
		pipeMail(t, dm.cfg, customer(fmt.Sprintf("held-%d@a.test", i), fmt.Sprintf("c%d@a.test", i), "Held", "hello"))
	}

	// A sender in another process claims the three acknowledgements and is
	// killed with SIGKILL while it offers the first.
	sender := exec.Command(os.Args[0], "-test.run", "^TestARestartedDaemonSendsWhatAKilledSenderHeld$")
	sender.Env = append(os.Environ(), killedSenderDB+"="+dm.cfg.Database.DSN, killedSenderSMTP+"="+strconv.Itoa(dm.sink.Port()))
	sender.Stdout, sender.Stderr = os.Stderr, os.Stderr
	if err := sender.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-time.After(time.Minute):
		sender.Process.Kill()
		sender.Wait()
		t.Fatal("the sender offered no mail within a minute")
	}
	sender.Process.Kill()
	sender.Wait()
	dead.Store(true)
	close(release)

	dm.start()
	dm.waitAcksWithin(3, 30*time.Second, "the mails a killed sender had claimed stay leased to it")
	dm.expectIdle(tally{tickets: 3, inbound: 3, sent: 3})
}

// sendUntilKilled delivers the outbox of the database at dsn to the SMTP
// server on port smtpPort, as `helpdesk run` or `helpdesk outbox flush`
// does; the SMTP server never answers, and the test kills this process.
func sendUntilKilled(t *testing.T, dsn, smtpPort string) {
	port, err := strconv.Atoi(smtpPort)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(baseTOML(dsn, port)), "sender.toml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := desk.Open(context.Background(), cfg, desk.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	m := d.NewMailer()
	st, err := d.FlushOutbox(context.Background(), m)
	t.Fatalf("the sender was to be killed while sending, but its flush ended: %+v %v", st, err)
}

func TestADeepOutboxGoesOutOverTwoConnectionsInOrderForEachAddress(t *testing.T) {
	dm := newDaemon(t, "[loops]\nrate_limit = 0\n")
	const customers, each = 6, 10
	d, err := desk.Open(context.Background(), dm.cfg, desk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for n := range each {
		for c := range customers {
			raw := customer(fmt.Sprintf("m%d-%d@a.test", c, n), fmt.Sprintf("c%d@c%d.test", c, c), fmt.Sprintf("Question %d", n), "hello")
			if out, err := d.Deliver(context.Background(), "support", []byte(raw)); err != nil || out.Queued != 1 {
				t.Fatalf("deliver: %+v %v", out, err)
			}
		}
	}
	d.Close()

	dm.start()
	dm.waitAcksWithin(customers*each, time.Minute, "the acknowledgements waiting on the outbox are not all sent")
	clients := map[string]bool{}
	client := map[string]string{} // recipient -> the connection its mails came over
	tickets := map[string][]int{} // recipient -> the tickets of its mails, in the order they came
	for _, r := range dm.sink.Mails() {
		rcpt := r.To[0]
		clients[r.Client] = true
		if c, ok := client[rcpt]; ok && c != r.Client {
			t.Errorf("mails to %s came over two connections, %s and %s", rcpt, c, r.Client)
		}
		client[rcpt] = r.Client
		m := regexp.MustCompile(`Subject: \[HD#(\d+)\]`).FindSubmatch(r.Data)
		if m == nil {
			t.Fatalf("no ticket in the subject of\n%s", r.Data)
		}
		n, _ := strconv.Atoi(string(m[1]))
		tickets[rcpt] = append(tickets[rcpt], n)
	}
	if len(clients) != 2 {
		t.Errorf("%d mails came over %d connections (%v), want 2", customers*each, len(clients), clients)
	}
	for rcpt, ns := range tickets {
		if !slices.IsSorted(ns) || len(ns) != each {
			t.Errorf("the acknowledgements to %s came in the order %v, want the %d in the order they were queued", rcpt, ns, each)
		}
	}
	dm.expectIdle(tally{tickets: customers * each, inbound: customers * each, sent: customers * each})
}
