package desk_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"helpdesk/internal/smtpsink"
	"helpdesk/tickets"
	"helpdesk/tickets/sqlstore"
)

// The end-to-end tests count what the daemon did only once it is idle,
// judged from what can be observed, never from a pause: its outbox holds
// nothing queued (the sender is done, no retry waits), and every watched
// mailbox is caught up (the saved cursor is on the server's UIDVALIDITY and
// at its last UID, and no mail there is unread). Each mail the daemon makes
// passes through one of those states first (an inbound mail is unread and
// above the cursor until it is stored; an outbound one is queued until the
// SMTP server has it), so a duplicate, however late, shows in the counts.

// idleTimeout bounds the wait for idle; settleFor is how long idle, with
// nothing changing, must last before the counts are taken.
const (
	idleTimeout = 60 * time.Second
	settleFor   = 500 * time.Millisecond
)

// tally is what the system holds: tickets and the mails taken onto them
// in the database, and the mails the SMTP server received.
type tally struct {
	tickets, inbound, sent int
}

func (c tally) String() string {
	return fmt.Sprintf("%d tickets, %d inbound mails, %d mails sent", c.tickets, c.inbound, c.sent)
}

// watchedBox is a mailbox of the daemon's config that must be caught up
// for the system to be idle.
type watchedBox struct {
	mailbox string                             // its name in the config: the key of its saved cursor
	folder  string                             // the watched folder on the server
	dial    func() (*imapclient.Client, error) // a connection logged in as its user
}

// observer looks at the system from outside, as an admin can: the
// database, the SMTP server and the IMAP server.
type observer struct {
	t     *testing.T
	store *sqlstore.Store
	sink  *smtpsink.Sink
	boxes []watchedBox
}

// folderState is what STATUS (RFC 9051 6.3.11) tells of a folder.
type folderState struct {
	uidValidity, uidNext uint32
	messages, unseen     uint32
}

func statusOf(dial func() (*imapclient.Client, error), folder string) (folderState, error) {
	c, err := dial()
	if err != nil {
		return folderState{}, err
	}
	defer c.Close()
	st, err := c.Status(folder, &imap.StatusOptions{UIDValidity: true, UIDNext: true, NumMessages: true, NumUnseen: true}).Wait()
	if err != nil {
		return folderState{}, fmt.Errorf("status of %s: %w", folder, err)
	}
	fs := folderState{uidValidity: st.UIDValidity, uidNext: uint32(st.UIDNext)}
	if st.NumMessages != nil {
		fs.messages = *st.NumMessages
	}
	if st.NumUnseen != nil {
		fs.unseen = *st.NumUnseen
	}
	return fs, nil
}

// tally counts what the system holds now.
func (o *observer) tally() tally {
	o.t.Helper()
	ctx := context.Background()
	list, err := o.store.ListTickets(ctx, tickets.TicketFilter{})
	if err != nil {
		o.t.Fatal(err)
	}
	c := tally{tickets: len(list), sent: len(o.sink.Mails())}
	for _, tk := range list {
		msgs, err := o.store.Messages(ctx, tk.ID)
		if err != nil {
			o.t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Direction == tickets.In {
				c.inbound++
			}
		}
	}
	return c
}

// busy says what the system still has to do ("" when it is idle).
func (o *observer) busy() (string, error) {
	ctx := context.Background()
	var work []string
	// The mailboxes first: a mail stored before they were looked at has
	// its answer on the outbox by then.
	for _, b := range o.boxes {
		uv, last, err := o.store.MailboxCursors().LoadState(ctx, b.mailbox)
		if err != nil {
			return "", err
		}
		st, err := statusOf(b.dial, b.folder)
		if err != nil {
			return "", fmt.Errorf("mailbox %s: %w", b.mailbox, err)
		}
		switch {
		case uv != st.uidValidity:
			work = append(work, fmt.Sprintf("the cursor of %s is on uidvalidity %d, the server's is %d", b.mailbox, uv, st.uidValidity))
		case last < st.uidNext-1:
			work = append(work, fmt.Sprintf("the cursor of %s is at uid %d, the server's last uid is %d", b.mailbox, last, st.uidNext-1))
		}
		if st.unseen > 0 {
			work = append(work, fmt.Sprintf("%s holds %d unread mails", b.mailbox, st.unseen))
		}
	}
	queued, err := o.store.Outbox(ctx, tickets.OutboxFilter{Status: tickets.OutboxQueued})
	if err != nil {
		return "", err
	}
	if len(queued) > 0 {
		work = append(work, fmt.Sprintf("%d outbox mails queued", len(queued)))
	}
	return strings.Join(work, "; "), nil
}

// waitIdle waits until the system is idle and has stayed so, with the
// same counts, for settleFor, and returns the counts.
func (o *observer) waitIdle() tally {
	o.t.Helper()
	deadline := time.Now().Add(idleTimeout)
	var since time.Time // when the current idle stretch began
	var at tally
	for {
		why, err := o.busy()
		if err != nil {
			o.t.Fatalf("looking at the system: %v", err)
		}
		switch {
		case why != "":
			since = time.Time{}
		case since.IsZero():
			since, at = time.Now(), o.tally()
		default:
			if now := o.tally(); now != at {
				since, at = time.Now(), now
			} else if time.Since(since) >= settleFor {
				o.checkSentOnce(at)
				return at
			}
		}
		if time.Now().After(deadline) {
			o.t.Fatalf("the system was not idle within %s: %s (it holds %v)", idleTimeout, why, o.tally())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkSentOnce checks that the SMTP server received each mail the outbox
// recorded as sent once, and nothing besides: a mail delivered twice for one
// outbox row (two senders on one item, say) shows here.
func (o *observer) checkSentOnce(at tally) {
	o.t.Helper()
	sent, err := o.store.Outbox(context.Background(), tickets.OutboxFilter{Status: tickets.OutboxSent})
	if err != nil {
		o.t.Fatal(err)
	}
	if len(sent) != at.sent {
		o.t.Errorf("the SMTP server received %d mails, the outbox recorded %d as sent", at.sent, len(sent))
	}
}

// expectIdle waits for idle and checks the counts exactly.
func (o *observer) expectIdle(want tally) {
	o.t.Helper()
	if got := o.waitIdle(); got != want {
		o.t.Errorf("idle with %v, want %v", got, want)
	}
}

// The idle wait cannot call the system idle while a mail waits to be read
// or sent, so a duplicate, however late it is queued, shows in the counts.
func TestIdleWaitCountsADuplicateQueuedLate(t *testing.T) {
	dm := newDaemon(t, "")
	dm.appendMail("support", customer("first@a.test", "alice@a.test", "Help", "hello"))
	dm.start()
	dm.expectIdle(tally{tickets: 1, inbound: 1, sent: 1})
	dm.stop()

	// Work the stopped daemon has not done: a new mail, and a second copy
	// of the first acknowledgement on the outbox, as a desk that sends a
	// duplicate would queue it.
	obs := dm.observer()
	dm.appendMail("support", customer("second@a.test", "bob@b.test", "Help", "hello"))
	if why, err := obs.busy(); err != nil || !strings.Contains(why, "1 unread") {
		t.Errorf("with a new mail unread, busy = %q (%v), want it named", why, err)
	}
	ctx := context.Background()
	list, err := obs.store.ListTickets(ctx, tickets.TicketFilter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("tickets %v (%v), want one", list, err)
	}
	msgs, err := obs.store.Messages(ctx, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var ack *tickets.Message
	for i := range msgs {
		if msgs[i].Direction == tickets.Out {
			ack = &msgs[i]
		}
	}
	if ack == nil {
		t.Fatalf("ticket %d has no outbound message: %+v", list[0].ID, msgs)
	}
	dup := *ack
	dup.ID, dup.Key, dup.MessageID = 0, "duplicate-"+ack.Key, "duplicate-"+ack.MessageID
	err = obs.store.InTx(ctx, func(tx tickets.Tx) error {
		if err := tx.InsertMessage(ctx, &dup, nil); err != nil {
			return err
		}
		return tx.EnqueueMail(ctx, dup.ID, dup.TicketID, time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	if why, err := obs.busy(); err != nil || !strings.Contains(why, "1 outbox mails queued") {
		t.Errorf("with a mail queued, busy = %q (%v), want it named", why, err)
	}

	dm.start()
	if got, want := obs.waitIdle(), (tally{tickets: 2, inbound: 2, sent: 3}); got != want {
		t.Errorf("idle with %v, want %v: the duplicate counted", got, want)
	}
}
