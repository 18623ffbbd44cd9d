package desk_test

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"helpdesk/internal/dovecot"
	"helpdesk/internal/localconfig"
	"helpdesk/internal/pgtest"
	"helpdesk/internal/smtpsink"
)

// The fault test of several daemons: three `helpdesk run` processes on
// one PostgreSQL, reading two Dovecot mailboxes with a backlog of 2,000
// mails; one daemon is killed with SIGKILL half-way, another is stopped
// and started again. Every mail must become exactly one ticket, and every
// acknowledgement reach the SMTP server. Delivery is at least once across
// a crash: the only mails the server may get twice are those the killed
// daemon held on the outbox when it died (sent, perhaps, but not yet
// recorded as sent); the test counts them and says how many came twice.

// faultMail is a customer's first mail to mailbox, the i-th; each from a
// domain of its own, so that no rate limit holds an acknowledgement back.
func faultMail(mailbox string, i int) []byte {
	return []byte(fmt.Sprintf("From: Customer <c%d@%s-%d.example>\r\nTo: %s@example.com\r\nSubject: Fault test %s %d\r\n"+
		"Message-ID: <fault-%s-%d@customer.example>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\nThe export stops at row %d.\r\n", i, mailbox, i, mailbox, mailbox, i, mailbox, i, i))
}

func TestThreeDaemonsOnPostgresWithOneKilledAndOneRestartedLoseAndDoubleNothing(t *testing.T) {
	const perBox = 1000
	const total = 2 * perBox
	dovecot.Require(t)
	pgtest.Require(t)
	if os.Getenv("HELPDESK_TEST_DATABASE") == "postgres" {
		t.Skip("this test runs on PostgreSQL anyway, in the plain `go test` run")
	}
	began := time.Now()
	// Every wait ends by then: the test takes under two minutes.
	end := began.Add(100 * time.Second)
	dc, err := dovecot.Start(dovecot.Options{Dir: t.TempDir(), Users: map[string]string{"support": imapPassword, "sales": imapPassword}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dc.Close() })
	// An SMTP server that takes a millisecond a mail, so that sending
	// goes on while the mail is read, and a kill finds mail in flight.
	sink, err := smtpsink.Start(smtpsink.Options{Deliver: func(smtpsink.Received) error {
		time.Sleep(time.Millisecond)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	for _, box := range []string{"support", "sales"} {
		raws := make([][]byte, perBox)
		for i := range raws {
			raws[i] = faultMail(box, i)
		}
		if err := dc.AppendMany(box, "INBOX", raws); err != nil {
			t.Fatal(err)
		}
	}
	dm := &daemon{t: t, sink: sink, dial: dc.Dial, watched: []string{"support", "sales"}}
	dm.configure(localconfig.TOML(localconfig.Options{DSN: pgtest.NewDatabase(t), SMTPPort: sink.Port(),
		IMAP:  &localconfig.IMAP{Port: dc.Port(), Password: imapPassword, PollInterval: "1s"},
		Extra: salesTOML(dc.Port()) + "\n[log]\nlevel = \"warn\"\n[outbox]\nbatch_size = 20\n"}))
	seeded := time.Since(began)

	bin := helpdeskBinary(t, "")
	flags := []string{"--lease", "3s"}
	daemons := []*process{dm.startProcessArgs(bin, flags), dm.startProcessArgs(bin, flags), dm.startProcessArgs(bin, flags)}
	started := time.Now()
	db := dm.observer().store.DB()
	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := db.Get(&n, query, args...); err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitTickets := func(n int) {
		t.Helper()
		eventually(t, time.Until(end), fmt.Sprintf("%d tickets", n), func() bool { return count("SELECT COUNT(*) FROM tickets") >= n })
	}

	// Half-way through, the daemon reading the support mailbox dies: the
	// moment it holds outbox items too, if that comes before 70% of the
	// mail is stored.
	waitTickets(total * 3 / 10)
	var killed *process
	eventually(t, 10*time.Second, "a daemon reads the support mailbox", func() bool {
		l := dm.mailboxLease("support")
		for _, p := range daemons {
			if heldByPID(l, p.cmd.Process.Pid) {
				killed = p
			}
		}
		return killed != nil
	})
	pid := killed.cmd.Process.Pid
	sending := func() bool {
		return count("SELECT COUNT(*) FROM outbox WHERE status = 'queued' AND lease_holder LIKE $1", fmt.Sprintf("%%/%d/%%", pid)) > 0
	}
	for !sending() && count("SELECT COUNT(*) FROM tickets") < total*7/10 {
		time.Sleep(5 * time.Millisecond)
	}
	if err := killed.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-killed.done
	killedAt := count("SELECT COUNT(*) FROM tickets")
	// What it held on the outbox when it died: sent perhaps, not recorded.
	// Nobody else may take these before its lease runs out, seconds on.
	var held []string
	if err := db.Select(&held, `SELECT m.in_reply_to FROM outbox o JOIN messages m ON m.id = o.message_id
		WHERE o.status = 'queued' AND o.lease_holder LIKE $1`, fmt.Sprintf("%%/%d/%%", pid)); err != nil {
		t.Fatal(err)
	}
	inFlight := map[string]bool{}
	for _, id := range held {
		inFlight[strings.Trim(id, "<>")] = true
	}

	// Later, a surviving daemon is stopped and started again, as by an
	// upgrade.
	waitTickets(total * 6 / 10)
	var restarted *process
	for i, p := range daemons {
		if p != killed {
			p.stop()
			restarted = dm.startProcessArgs(bin, flags)
			daemons[i] = restarted
			break
		}
	}
	restartedAt := count("SELECT COUNT(*) FROM tickets")

	// Idle: both mailboxes read to the end, nothing queued.
	for report := time.Now(); ; {
		why, err := dm.observer().busy()
		if err != nil {
			t.Fatal(err)
		}
		if why == "" && len(sink.Mails()) >= total {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("not done %s after the start: %s; %d mails at the SMTP server", time.Since(started).Round(time.Second), why, len(sink.Mails()))
		}
		if time.Since(report) > 5*time.Second {
			report = time.Now()
			t.Logf("%s after the start: %s; %d mails at the SMTP server", time.Since(started).Round(time.Second), why, len(sink.Mails()))
		}
		time.Sleep(50 * time.Millisecond)
	}
	done := time.Since(started)
	time.Sleep(time.Second) // a late duplicate would show now

	if n := count("SELECT COUNT(*) FROM tickets"); n != total {
		t.Errorf("%d tickets from %d mails, want one each", n, total)
	}
	if n := count("SELECT COUNT(*) FROM messages WHERE direction = 'in'"); n != total {
		t.Errorf("%d inbound messages stored from %d mails", n, total)
	}
	if n := count("SELECT COUNT(DISTINCT message_id) FROM messages WHERE direction = 'in' AND message_id LIKE 'fault-%'"); n != total {
		t.Errorf("%d distinct mails stored, want all %d", n, total)
	}
	if n := count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'"); n != total {
		t.Errorf("%d acknowledgements recorded as sent, want %d", n, total)
	}
	acks := map[string]int{}
	for _, s := range (&harness{t: t, sink: sink}).sent() {
		acks[s.inReplyTo]++
	}
	missing, twice, twiceHeld := 0, 0, 0
	for _, box := range []string{"support", "sales"} {
		for i := range perBox {
			id := fmt.Sprintf("fault-%s-%d@customer.example", box, i)
			switch n := acks[id]; {
			case n == 0:
				missing++
			case n > 1 && inFlight[id]:
				twiceHeld += n - 1
			case n > 1:
				twice += n - 1
				if twice <= 5 {
					t.Errorf("%s was acknowledged %d times, and the killed daemon did not hold it", id, n)
				}
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d mails got no acknowledgement", missing)
	}
	if twice > 0 {
		t.Errorf("%d acknowledgements sent twice that the killed daemon did not hold", twice)
	}
	if got := len(sink.Mails()); got != total+twiceHeld+twice {
		t.Errorf("the SMTP server got %d mails, want %d and %d sent twice", got, total, twiceHeld+twice)
	}
	t.Logf("%d mails (%d per mailbox) seeded in %s; 3 daemons; killed pid %d at %d tickets, holding %d outbox items; restarted one at %d tickets; all done %s after the start",
		total, perBox, seeded.Round(time.Millisecond), pid, killedAt, len(inFlight), restartedAt, done.Round(time.Millisecond))
	t.Logf("acknowledgements sent twice: %d, all of them among the %d the killed daemon held", twiceHeld, len(inFlight))
}
