//go:build faults

package faults

import (
	"testing"
	"time"
)

// kill -9 of the daemon at random moments while it works through a
// backlog, restarted each time: every mail one ticket, every
// acknowledgement at the SMTP server once.
func TestKill9DuringABacklog(t *testing.T) {
	onEachStore(t, kill9DuringABacklog)
}

// onEachStore runs the case on SQLite, then on PostgreSQL.
func onEachStore(t *testing.T, run func(t *testing.T, store string)) {
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) { run(t, store) })
	}
}

// kind names a case in the figures: the store too, when not SQLite.
func kind(name, store string) string {
	if store == "sqlite" {
		return name
	}
	return name + " " + store
}

func kill9DuringABacklog(t *testing.T, store string) {
	n, kills := pick(600, 2000), pick(5, 20)
	r := newRig(t, rigOptions{trace: true, postgres: store == "postgres"})
	if err := r.dc.AppendMany("support", "INBOX", mails(0, n, 0)); err != nil {
		t.Fatal(err)
	}
	// Each round starts a daemon, waits until it works (one more mail
	// stored or acknowledged than before) and kills it at a random moment
	// within the next 150 ms.
	busy := 0 // kills that found work left
	for range kills {
		before, err := r.count(n)
		if err != nil {
			t.Fatal(err)
		}
		d := r.start()
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && !before.done(); time.Sleep(time.Millisecond) {
			if tl, err := r.count(n); err == nil && tl.stored+tl.acked > before.stored+before.acked {
				break
			}
		}
		time.Sleep(between(0, 150*time.Millisecond))
		r.kill9(d)
		if tl, err := r.count(n); err == nil && !tl.done() {
			busy++
		}
	}
	t.Logf("%d of %d kills found work left", busy, kills)
	d := r.start()
	tl, took := r.waitDone(n, 3*time.Minute)
	d.stop(t)
	// Delivery is at least once: a mail the SMTP server took in the
	// instant before the kill, its reply still in flight, goes again (RFC
	// 1047): the daemon cannot know it was delivered. Every delivery the
	// daemon learnt of is noted at once; any other mail twice is a lost
	// note or record, and fails the test. The delivery trace says where
	// each sender of a mail that came twice was when it died; without it
	// (FAULTS_BIN, another build) the times of the kills and of the
	// server's receipts do.
	ackedOK := tl
	if inWindow, why, ok := r.whyTwice(tl.twice); ok {
		tl.replyInFlight = inWindow
		if tl.ackedTwice > 0 {
			t.Logf("where the senders of the %d acknowledgements sent twice died:\n%s", tl.ackedTwice, why)
		}
	} else if tl.ackedTwice > 0 {
		t.Logf("%v\n%s", tl, r.noteLines())
	}
	ackedOK.ackedTwice -= tl.replyInFlight
	figures(t, kind("kill -9", store), tl, kills, took, ackedOK)
}

// The SMTP server goes away while the acknowledgements of a backlog go
// out, and comes back: everything is delivered after it returns, nothing
// given up, nothing twice.
func TestSMTPServerDownForAWhile(t *testing.T) {
	onEachStore(t, smtpServerDownForAWhile)
}

func smtpServerDownForAWhile(t *testing.T, store string) {
	n, down := pick(300, 2000), time.Duration(pick(8, 30))*time.Second
	r := newRig(t, rigOptions{postgres: store == "postgres"})
	d := r.start()
	if err := r.dc.AppendMany("support", "INBOX", mails(0, n, 0)); err != nil {
		t.Fatal(err)
	}
	// Down once a few acknowledgements are out, while the rest go.
	for {
		tl, err := r.count(n)
		if err == nil && tl.acked >= n/10 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.smtpDown()
	time.Sleep(down)
	r.smtpUp()
	tl, took := r.waitDone(n, 3*time.Minute)
	if !d.alive() {
		t.Error("the daemon ended while the SMTP server was down")
	}
	d.stop(t)
	figures(t, kind("smtp down "+down.String(), store), tl, 1, took)
}
