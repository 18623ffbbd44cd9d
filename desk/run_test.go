package desk_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"log/slog"

	"github.com/emersion/go-imap/v2/imapclient"

	"helpdesk/config"
	"helpdesk/desk"
	"helpdesk/internal/imapmem"
	"helpdesk/internal/localconfig"
	"helpdesk/internal/smtpsink"
	"helpdesk/tickets/sqlstore"
)

// daemon is the real `run` wiring against an in-process IMAP server and SMTP sink.
type daemon struct {
	t    *testing.T
	imap *imapmem.Server
	sink *smtpsink.Sink
	cfg  *config.Config
	toml string // cfg as the text of a config file, for a daemon run as a process
	desk *desk.Desk

	// put delivers a mail to a user's INBOX as an MTA does; dial logs in
	// to the IMAP server as a user.
	put  func(user, raw string)
	dial func(user string) (*imapclient.Client, error)
	// watched are the mailboxes (each of the user of its name) that must
	// be caught up for the system to be idle; nil means support alone.
	watched []string
	obs     *observer

	cancel context.CancelFunc
	done   chan struct{}
}

const imapPassword = "imap secret"

// daemonTOML is the config of a daemon that polls the support mailbox of
// the IMAP server on imapPort every second; extra follows [mailbox.imap].
func daemonTOML(dsn string, imapPort, smtpPort int, extra string) string {
	return localconfig.TOML(localconfig.Options{DSN: dsn, SMTPPort: smtpPort, Extra: extra,
		IMAP: &localconfig.IMAP{Port: imapPort, Password: imapPassword, PollInterval: "1s"}})
}

func daemonConfig(t *testing.T, dsn string, imapPort, smtpPort int, extra string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(daemonTOML(dsn, imapPort, smtpPort, extra)), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// configure sets the daemon's config to the text toml.
func (dm *daemon) configure(toml string) {
	dm.t.Helper()
	cfg, err := config.Parse([]byte(toml), "test.toml")
	if err != nil {
		dm.t.Fatal(err)
	}
	dm.cfg, dm.toml = cfg, toml
}

func newDaemon(t *testing.T, extra string) *daemon {
	t.Helper()
	return newDaemonDelivering(t, extra, nil)
}

// newDaemonDelivering is newDaemon whose SMTP server hands each mail the
// desk sends to deliver, which may answer it into the support mailbox.
func newDaemonDelivering(t *testing.T, extra string, deliver func(im *imapmem.Server, r smtpsink.Received) error) *daemon {
	t.Helper()
	im, err := imapmem.Start(imapmem.Options{Users: map[string]string{"support": imapPassword, "sales": imapPassword}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { im.Close() })
	var opts smtpsink.Options
	if deliver != nil {
		opts.Deliver = func(r smtpsink.Received) error { return deliver(im, r) }
	}
	sink, err := smtpsink.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	dm := &daemon{t: t, imap: im, sink: sink, dial: im.Dial}
	dm.put = func(user, raw string) {
		t.Helper()
		if err := im.Append(user, "INBOX", []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	dm.configure(daemonTOML(testDSN(t), im.Port(), sink.Port(), extra))
	return dm
}

// observer looks at the daemon's system: its database (through a
// connection of its own, which outlives daemons), SMTP and IMAP servers.
func (dm *daemon) observer() *observer {
	dm.t.Helper()
	if dm.obs != nil {
		return dm.obs
	}
	store, err := sqlstore.Open(context.Background(), sqlstore.Options{Driver: dm.cfg.Database.Driver, DSN: dm.cfg.Database.DSN})
	if err != nil {
		dm.t.Fatal(err)
	}
	dm.t.Cleanup(func() { store.Close() })
	watched := dm.watched
	if watched == nil {
		watched = []string{"support"}
	}
	dm.obs = &observer{t: dm.t, store: store, sink: dm.sink}
	for _, name := range watched {
		dm.obs.boxes = append(dm.obs.boxes, watchedBox{mailbox: name, folder: "INBOX", dial: func() (*imapclient.Client, error) { return dm.dial(name) }})
	}
	return dm.obs
}

// expectIdle waits until the daemon is idle, then checks the counts.
func (dm *daemon) expectIdle(want tally) {
	dm.t.Helper()
	dm.observer().expectIdle(want)
}

// start runs the daemon in the background, as `helpdesk run` does.
func (dm *daemon) start() {
	dm.t.Helper()
	dm.startLogging(testLogger(dm.t))
}

// startLogging is start with the daemon's log going to log.
func (dm *daemon) startLogging(log *slog.Logger) {
	dm.t.Helper()
	d, err := desk.Open(context.Background(), dm.cfg, desk.Options{Logger: log})
	if err != nil {
		dm.t.Fatal(err)
	}
	dm.desk = d
	ctx, cancel := context.WithCancel(context.Background())
	dm.cancel, dm.done = cancel, make(chan struct{})
	go func() {
		defer close(dm.done)
		d.Run(ctx, desk.RunOptions{Grace: 5 * time.Second, IMAPBackoff: func(int) time.Duration { return 100 * time.Millisecond }})
	}()
	dm.t.Cleanup(dm.stop)
}

// stop ends the daemon the way SIGTERM does, and waits for it.
func (dm *daemon) stop() {
	if dm.cancel == nil {
		return
	}
	dm.cancel()
	select {
	case <-dm.done:
	case <-time.After(30 * time.Second):
		dm.t.Fatal("the daemon did not stop within 30s of the signal")
	}
	dm.desk.Close()
	dm.cancel = nil
}

func (dm *daemon) appendMail(user, raw string) {
	dm.t.Helper()
	dm.put(user, raw)
}

// waitAcks waits until the SMTP sink holds n mails.
func (dm *daemon) waitAcks(n int) {
	dm.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := dm.sink.WaitFor(ctx, n); err != nil {
		dm.t.Fatalf("waiting for %d mails at the SMTP server (have %d): %v", n, len(dm.sink.Mails()), err)
	}
}

// expectOneAckEach checks that every Message-ID got exactly one
// acknowledgement, and nothing else was sent.
func (dm *daemon) expectOneAckEach(ids ...string) {
	dm.t.Helper()
	acks := map[string]int{}
	for _, s := range (&harness{t: dm.t, sink: dm.sink}).sent() {
		acks[s.inReplyTo]++
	}
	for _, id := range ids {
		if acks[id] != 1 {
			dm.t.Errorf("%d acknowledgements in reply to %s, want 1", acks[id], id)
		}
		delete(acks, id)
	}
	for id, n := range acks {
		dm.t.Errorf("%d unexpected mails sent in reply to %q", n, id)
	}
}

func TestDaemonTurnsIMAPMailIntoTicketsExactlyOnce(t *testing.T) {
	onEachDatabase(t, testDaemonTurnsIMAPMailIntoTicketsExactlyOnce)
}

func testDaemonTurnsIMAPMailIntoTicketsExactlyOnce(t *testing.T) {
	dm := newDaemon(t, "")
	for i := range 3 {
		dm.appendMail("support", customer(fmt.Sprintf("before-%d@a.test", i), fmt.Sprintf("c%d@a.test", i), "Before start", "hello"))
	}
	dm.start()
	dm.waitAcks(3)

	// Mail arriving while the daemon runs.
	for i := range 2 {
		dm.appendMail("support", customer(fmt.Sprintf("while-%d@a.test", i), fmt.Sprintf("w%d@a.test", i), "While running", "hello"))
	}
	dm.waitAcks(5)

	// The connection is cut; a mail arrives meanwhile; the server comes back.
	dm.imap.Stop()
	dm.appendMail("support", customer("cut@a.test", "cut@a.test", "During the outage", "hello"))
	if err := dm.imap.Restart(); err != nil {
		t.Fatal(err)
	}
	dm.waitAcks(6)
	dm.expectIdle(tally{tickets: 6, inbound: 6, sent: 6})
	for _, s := range dm.sink.Mails() {
		if !strings.Contains(string(s.Data), "[HD#") {
			t.Errorf("a mail without the ticket tag was sent: %.200s", s.Data)
		}
	}
}

func TestDaemonRereadsTheBoxAfterUIDValidityChangeWithoutDuplicates(t *testing.T) {
	onEachDatabase(t, testDaemonRereadsTheBoxAfterUIDValidityChangeWithoutDuplicates)
}

func testDaemonRereadsTheBoxAfterUIDValidityChangeWithoutDuplicates(t *testing.T) {
	dm := newDaemon(t, "")
	var raws [][]byte
	for i := range 3 {
		raw := customer(fmt.Sprintf("v-%d@a.test", i), fmt.Sprintf("v%d@a.test", i), "Validity", "hello")
		raws = append(raws, []byte(raw))
		dm.appendMail("support", raw)
	}
	dm.start()
	dm.waitAcks(3)
	dm.stop()

	// The server rebuilds its index: new UIDVALIDITY, UIDs from 1, flags gone.
	if err := dm.imap.Rebuild("support", "INBOX", raws); err != nil {
		t.Fatal(err)
	}
	dm.appendMail("support", customer("v-new@a.test", "new@a.test", "Validity", "hello"))
	dm.start()
	dm.waitAcks(4)
	dm.expectIdle(tally{tickets: 4, inbound: 4, sent: 4})
}

func TestOneBrokenMailboxDoesNotStopTheOthers(t *testing.T) {
	for _, tc := range []struct{ name, imap string }{
		{"wrong password", `host = "127.0.0.1"` + "\n  port = %d\n  tls = \"none\"\n  username = \"sales\"\n  password = \"wrong\"\n"},
		{"unreachable server", `host = "127.0.0.1"` + "\n  port = 1\n  tls = \"none\"\n  username = \"sales\"\n  password = \"x\"\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dm := newDaemon(t, "")
			imapBlock := tc.imap
			if strings.Contains(imapBlock, "%d") {
				imapBlock = fmt.Sprintf(imapBlock, dm.imap.Port())
			}
			dm.configure(daemonTOML(dm.cfg.Database.DSN, dm.imap.Port(), dm.sink.Port(),
				"[[mailbox]]\nname = \"sales\"\naddress = \"sales@example.com\"\n  [mailbox.imap]\n  "+imapBlock))
			dm.appendMail("sales", customer("lost@a.test", "x@a.test", "Sales", "hello"))
			dm.start()
			dm.appendMail("support", customer("good@a.test", "alice@a.test", "Support works", "hello"))
			dm.waitAcks(1)
			// The sales mailbox never catches up; the support one must.
			dm.expectIdle(tally{tickets: 1, inbound: 1, sent: 1})
		})
	}
}

// testLogger sends the daemon's log to the test's log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t: t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestDaemonQuarantinesTheHeadOfAnOverSizeMailAndGoesOn(t *testing.T) {
	dm := newDaemon(t, "")
	dm.cfg.Tickets.MaxMessageSize = 4 << 10 // 4 KiB, so that a test mail can exceed it
	big := customer("big@a.test", "alice@a.test", "Big attachment", strings.Repeat("0123456789abcdef", 1024))
	dm.appendMail("support", big)
	dm.appendMail("support", customer("small@a.test", "bob@b.test", "Small", "hello"))
	dm.start()
	dm.waitAcks(1)
	dm.expectIdle(tally{tickets: 1, inbound: 1, sent: 1})
	q, err := dm.desk.Store.QuarantineList(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 1 || !strings.Contains(q[0].Reason, "over the 4KiB limit") || q[0].Size < 4<<10 || q[0].Size > 4<<10+1 {
		t.Fatalf("quarantine = %+v, want the over-size mail's head with the reason", q)
	}
}
