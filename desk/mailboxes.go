package desk

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"helpdesk/mailin/imapwatch"
	"helpdesk/tickets"
)

// MailboxLeasePrefix starts the name of each IMAP mailbox's lease:
// "mailbox:support".
const MailboxLeasePrefix = "mailbox:"

// readMailbox reads the IMAP mailbox name whenever this daemon, holder,
// holds its lease, until ctx ends. Several daemons on one database (and
// on one SQLite file, several processes) thus read each mailbox one at a
// time: two readers would fetch every mail twice, race on its \Seen flag
// and its cursor, and leave deduplication to sort it out.
//
// The holder renews the lease while it reads. Another daemon waits for it
// to run out, which it does within one lease period of the holder's death
// (kill -9, power loss), and then takes over. A daemon that loses the
// lease (another took it while this one could not renew: a network split,
// a long pause) closes its IMAP connection and goes back to waiting. On
// shutdown the lease is released, and another takes over within a
// quarter of the lease period.
func (d *Desk) readMailbox(ctx context.Context, name string, leaser tickets.Leaser, holder string, newWatcher func() (*imapwatch.Watcher, error)) {
	log := d.log.With(slog.String("mailbox", name))
	period := leaser.Period
	if period <= 0 {
		period = 15 * time.Second
	}
	var waitingOn string // the other holder last logged
	failing := false
	for ctx.Err() == nil {
		lease, held, err := leaser.Hold(ctx, MailboxLeasePrefix+name, holder, func(ctx context.Context) error {
			log.Info("reading the mailbox: this daemon took its lease", slog.String("holder", holder))
			waitingOn, failing = "", false
			w, err := newWatcher()
			if err != nil {
				return err
			}
			d.watchers.add(name, w, d.pollInterval(name))
			defer d.watchers.remove(name)
			return w.Run(ctx) // until ctx ends: shutdown, or the lease lost
		})
		wait := period / 3
		switch {
		case ctx.Err() != nil:
			return
		case held && errors.Is(err, tickets.ErrLeaseLost):
			log.Warn("stopped reading the mailbox: its lease was lost", slog.Any("err", err))
			wait = 0 // find out who holds it now
		case held:
			log.Error("reading the mailbox", slog.Any("err", err))
		case err != nil:
			if !failing {
				log.Warn("taking the mailbox's lease; trying again", slog.Any("err", err), slog.Duration("every", wait))
			}
			failing = true
		default:
			failing = false
			if lease.Holder != waitingOn && lease.Holder != "" {
				log.Info("another daemon reads the mailbox", slog.String("holder", lease.Holder), slog.Time("until", lease.Expires))
				waitingOn = lease.Holder
			}
			// Until its lease runs out, as the holder renews it, and at
			// least every quarter period: a holder that stops lets the
			// lease go, and a dead one's lease is taken the moment it
			// runs out.
			wait = min(max(time.Until(lease.Expires), 20*time.Millisecond), period/4)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// pollInterval is how often IMAP mailbox name is searched, in IDLE too.
func (d *Desk) pollInterval(name string) time.Duration {
	for _, mb := range d.cfg.Mailboxes {
		if mb.Name == name && mb.IMAP != nil {
			return mb.IMAP.PollInterval.Duration
		}
	}
	return 0
}
