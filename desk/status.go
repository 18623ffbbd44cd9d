package desk

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"helpdesk/tickets"
	"helpdesk/tickets/sqlstore"
)

// JobLeasePrefix starts the name of each job's lease ("job:auto-close");
// see tickets.Leaser.Once.
const JobLeasePrefix = "job:"

// Status is how the daemons sharing the desk's database divide the work,
// as of At: who reads which IMAP mailbox, who runs which job, and the
// outbox with the senders holding its items.
type Status struct {
	At time.Time
	// Mailboxes has a lease for each IMAP mailbox of the config, by name
	// (without "mailbox:"): Holder "" when no daemon has ever read it or
	// the last one let it go; and the leases of mailboxes the config
	// lacks, which daemons with another config read.
	Mailboxes []tickets.Lease
	// Jobs are the jobs' leases, by name (without "job:").
	Jobs   []tickets.Lease
	Outbox sqlstore.OutboxState
}

// Status reads the leases and the outbox.
func (d *Desk) Status(ctx context.Context) (Status, error) {
	st := Status{At: time.Now().UTC()}
	boxes, err := d.Store.ListLeases(ctx, MailboxLeasePrefix)
	if err != nil {
		return Status{}, err
	}
	byName := map[string]tickets.Lease{}
	for _, l := range boxes {
		l.Name = strings.TrimPrefix(l.Name, MailboxLeasePrefix)
		byName[l.Name] = l
	}
	for _, mb := range d.cfg.Mailboxes {
		if _, ok := byName[mb.Name]; !ok && mb.IMAP != nil {
			byName[mb.Name] = tickets.Lease{Name: mb.Name}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		st.Mailboxes = append(st.Mailboxes, byName[name])
	}
	jobs, err := d.Store.ListLeases(ctx, JobLeasePrefix)
	if err != nil {
		return Status{}, err
	}
	for _, l := range jobs {
		l.Name = strings.TrimPrefix(l.Name, JobLeasePrefix)
		st.Jobs = append(st.Jobs, l)
	}
	if st.Outbox, err = d.Store.OutboxState(ctx, st.At); err != nil {
		return Status{}, err
	}
	return st, nil
}
