package desk_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"helpdesk/desk"
	"helpdesk/internal/dovecot"
	"helpdesk/internal/localconfig"
	"helpdesk/internal/smtpsink"
)

// onDovecot is the daemon of run_test.go (the real `run` wiring and an SMTP
// sink) watching a real Dovecot instead of the in-process IMAP server.
type onDovecot struct {
	*daemon
	dc *dovecot.Server
}

// dovecotTOML is daemonTOML with a poll interval of an hour, so that live
// mail can only arrive through IDLE or a reconnect, not a poll.
// imapExtra goes into the support mailbox's [mailbox.imap], more after it.
func dovecotTOML(dsn string, imapPort, smtpPort int, imapExtra, more string) string {
	return localconfig.TOML(localconfig.Options{DSN: dsn, SMTPPort: smtpPort, Extra: "  " + imapExtra + "\n" + more,
		IMAP: &localconfig.IMAP{Port: imapPort, Password: imapPassword, PollInterval: "1h"}})
}

// newOnDovecot starts Dovecot with the users support and sales (password
// imapPassword) and an SMTP sink; the daemon is not started yet. imapExtra
// goes into the support mailbox's [mailbox.imap]; more, when set, returns
// config for further mailboxes given Dovecot's port.
func newOnDovecot(t *testing.T, imapExtra string, more func(imapPort int) string) *onDovecot {
	t.Helper()
	dovecot.Require(t)
	dc, err := dovecot.Start(dovecot.Options{
		Dir:    t.TempDir(),
		Users:  map[string]string{"support": imapPassword, "sales": imapPassword},
		Logger: testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dovecot log:\n%s", dc.Log())
		}
		if err := dc.Close(); err != nil {
			t.Error(err)
		}
	})
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	moreConfig := ""
	if more != nil {
		moreConfig = more(dc.Port())
	}
	o := &onDovecot{daemon: &daemon{t: t, sink: sink, dial: dc.Dial}, dc: dc}
	o.put = o.deliver
	o.configure(dovecotTOML(testDSN(t), dc.Port(), sink.Port(), imapExtra, moreConfig))
	return o
}

// deliver hands a mail to Dovecot the way an MTA does (dovecot-lda).
func (o *onDovecot) deliver(user, raw string) {
	o.t.Helper()
	if err := o.dc.Deliver(user, []byte(raw)); err != nil {
		o.t.Fatal(err)
	}
}

// folder returns how many mails folder of user holds and how many of
// them are \Seen.
func (o *onDovecot) folder(user, name string) (total, seen int) {
	o.t.Helper()
	c, err := o.dc.Dial(user)
	if err != nil {
		o.t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Select(name, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		o.t.Fatalf("selecting %s of %s: %v", name, user, err)
	}
	msgs, err := c.Fetch(imap.UIDSet{imap.UIDRange{Start: 1, Stop: 0}}, &imap.FetchOptions{Flags: true}).Collect()
	if err != nil {
		o.t.Fatal(err)
	}
	for _, m := range msgs {
		for _, f := range m.Flags {
			if f == imap.FlagSeen {
				seen++
			}
		}
	}
	return len(msgs), seen
}

// waitFolder waits until folder of user holds total mails, seen of them
// \Seen: the daemon marks mail done after it is stored, so after the
// acknowledgement may have gone out.
func (o *onDovecot) waitFolder(user, name string, total, seen int) {
	o.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		gotTotal, gotSeen := o.folder(user, name)
		if gotTotal == total && gotSeen == seen {
			return
		}
		if time.Now().After(deadline) {
			o.t.Fatalf("%s of %s holds %d mails (%d seen), want %d (%d seen)", name, user, gotTotal, gotSeen, total, seen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestDaemonOnDovecotTurnsMailBeforeAndDuringTheRunIntoOneTicketEach(t *testing.T) {
	o := newOnDovecot(t, "", nil)
	var ids []string
	for i := range 3 {
		ids = append(ids, fmt.Sprintf("before-%d@a.test", i))
		o.deliver("support", customer(ids[i], fmt.Sprintf("c%d@a.test", i), "Before start", "hello"))
	}
	o.start()
	o.waitAcks(3)

	// Live mail: with an hour between polls, only IDLE brings it in. One
	// comes as an MTA delivers it, one by IMAP APPEND from a mail client.
	ids = append(ids, "while-0@a.test", "while-1@a.test")
	o.deliver("support", customer(ids[3], "w0@a.test", "While running", "hello"))
	o.waitAcks(4)
	if err := o.dc.AppendMany("support", "INBOX", [][]byte{[]byte(customer(ids[4], "w1@a.test", "While running", "hello"))}); err != nil {
		t.Fatal(err)
	}
	o.waitAcks(5)
	o.expectIdle(tally{tickets: 5, inbound: 5, sent: 5})
	o.expectOneAckEach(ids...)
	o.waitFolder("support", "INBOX", 5, 5)
}

func TestDaemonOnDovecotPicksUpMailDeliveredWhileTheServerWasDown(t *testing.T) {
	o := newOnDovecot(t, "", nil)
	o.deliver("support", customer("up@a.test", "up@a.test", "Before the outage", "hello"))
	o.start()
	o.waitAcks(1)

	// Killing Dovecot cuts the daemon's connection. The MTA keeps
	// delivering (dovecot-lda needs no running server); the daemon finds
	// the mail once it has reconnected to the restarted server.
	if err := o.dc.Stop(); err != nil {
		t.Fatal(err)
	}
	o.deliver("support", customer("down@a.test", "down@a.test", "During the outage", "hello"))
	if err := o.dc.Restart(); err != nil {
		t.Fatal(err)
	}
	o.waitAcks(2)
	o.expectIdle(tally{tickets: 2, inbound: 2, sent: 2})
	o.expectOneAckEach("up@a.test", "down@a.test")
	o.waitFolder("support", "INBOX", 2, 2)
}

func TestDaemonOnDovecotRereadsTheBoxAfterUIDValidityChangeWithoutDuplicates(t *testing.T) {
	o := newOnDovecot(t, "", nil)
	var ids []string
	for i := range 3 {
		ids = append(ids, fmt.Sprintf("v-%d@a.test", i))
		o.deliver("support", customer(ids[i], fmt.Sprintf("v%d@a.test", i), "Validity", "hello"))
	}
	o.start()
	o.waitAcks(3)
	o.waitFolder("support", "INBOX", 3, 3)
	o.stop()

	ctx := context.Background()
	d, err := desk.Open(ctx, o.cfg, desk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	oldUV, last, err := d.Store.MailboxCursors().LoadState(ctx, "support")
	d.Close()
	if err != nil || oldUV == 0 || last != 3 {
		t.Fatalf("saved position uidvalidity %d, last uid %d (%v), want a uidvalidity and 3", oldUV, last, err)
	}
	newUV := oldUV + 1000
	if err := o.dc.SetUIDValidity("support", "INBOX", newUV); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, "v-new@a.test")
	o.deliver("support", customer(ids[3], "new@a.test", "Validity", "hello"))

	o.start()
	o.waitAcks(4)
	o.waitFolder("support", "INBOX", 4, 4)
	// The whole box was read again under the new UIDVALIDITY (the three
	// old mails too, all \Seen), and only the new mail made a ticket.
	uv, last, err := o.desk.Store.MailboxCursors().LoadState(ctx, "support")
	if err != nil || uv != newUV || last != 4 {
		t.Errorf("saved position uidvalidity %d, last uid %d (%v), want %d and 4", uv, last, err, newUV)
	}
	o.expectIdle(tally{tickets: 4, inbound: 4, sent: 4})
	o.expectOneAckEach(ids...)
}

func TestDaemonOnDovecotKeepsTheGoodMailboxWhenAnotherHasAWrongPassword(t *testing.T) {
	o := newOnDovecot(t, "", func(port int) string {
		return fmt.Sprintf(`[[mailbox]]
name = "sales"
address = "sales@example.com"
  [mailbox.imap]
  host = "127.0.0.1"
  port = %d
  tls = "none"
  username = "sales"
  password = "wrong"
  poll_interval = "1h"
`, port)
	})
	o.deliver("sales", customer("lost@a.test", "x@a.test", "Sales", "hello"))
	o.start()
	o.deliver("support", customer("good@a.test", "alice@a.test", "Support works", "hello"))
	o.waitAcks(1)
	o.expectIdle(tally{tickets: 1, inbound: 1, sent: 1})
	o.expectOneAckEach("good@a.test")
	if total, seen := o.folder("sales", "INBOX"); total != 1 || seen != 0 {
		t.Errorf("sales INBOX holds %d mails (%d seen), want its one mail untouched", total, seen)
	}
}

func TestDaemonOnDovecotMovesHandledMailToTheProcessedFolder(t *testing.T) {
	o := newOnDovecot(t, `processed_folder = "Processed/Helpdesk"`, nil)
	ids := []string{"p-0@a.test", "p-1@a.test", "p-live@a.test"}
	o.deliver("support", customer(ids[0], "p0@a.test", "Processed", "hello"))
	o.deliver("support", customer(ids[1], "p1@a.test", "Processed", "hello"))
	o.start()
	o.waitAcks(2)
	o.deliver("support", customer(ids[2], "p2@a.test", "Processed live", "hello"))
	o.waitAcks(3)
	o.waitFolder("support", "Processed/Helpdesk", 3, 0)
	o.waitFolder("support", "INBOX", 0, 0)
	o.expectIdle(tally{tickets: 3, inbound: 3, sent: 3})
	o.expectOneAckEach(ids...)
}
