package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"helpdesk/desk"
	"helpdesk/tickets"
)

// statusView is `helpdesk status --json` (documented in the README).
type statusView struct {
	At        time.Time        `json:"at"`
	Mailboxes []leaseView      `json:"mailboxes"`
	Jobs      []leaseView      `json:"jobs"`
	Outbox    outboxStatusView `json:"outbox"`
}

// leaseView is one mailbox's or job's lease. Held: a daemon holds it now
// (Holder is set and ExpiresAt is ahead); a lease that ran out keeps the
// name of its last holder.
type leaseView struct {
	Mailbox   string     `json:"mailbox,omitempty"`
	Job       string     `json:"job,omitempty"`
	Holder    string     `json:"holder"`
	Held      bool       `json:"held"`
	ExpiresAt *time.Time `json:"expires_at"`
	TakenAt   *time.Time `json:"taken_at"`
}

type outboxStatusView struct {
	Queued int               `json:"queued"`
	Due    int               `json:"due"`
	Sent   int               `json:"sent"`
	Failed int               `json:"failed"`
	Leases []outboxLeaseView `json:"leases"`
}

type outboxLeaseView struct {
	Holder    string    `json:"holder"`
	Items     int       `json:"items"`
	ExpiresAt time.Time `json:"expires_at"`
}

func newLeaseView(l tickets.Lease, at time.Time) leaseView {
	v := leaseView{Holder: l.Holder, Held: l.Holder != "" && l.Expires.After(at)}
	if l.Holder != "" {
		v.ExpiresAt, v.TakenAt = &l.Expires, &l.Taken
	}
	return v
}

func newStatusView(st desk.Status) statusView {
	v := statusView{At: st.At, Mailboxes: []leaseView{}, Jobs: []leaseView{}, Outbox: outboxStatusView{
		Queued: st.Outbox.Queued, Due: st.Outbox.Due, Sent: st.Outbox.Sent, Failed: st.Outbox.Failed, Leases: []outboxLeaseView{},
	}}
	for _, l := range st.Mailboxes {
		lv := newLeaseView(l, st.At)
		lv.Mailbox = l.Name
		v.Mailboxes = append(v.Mailboxes, lv)
	}
	for _, l := range st.Jobs {
		lv := newLeaseView(l, st.At)
		lv.Job = l.Name
		v.Jobs = append(v.Jobs, lv)
	}
	for _, l := range st.Outbox.Leases {
		v.Outbox.Leases = append(v.Outbox.Leases, outboxLeaseView{Holder: l.Holder, Items: l.Items, ExpiresAt: l.Expires})
	}
	return v
}

// cmdStatus shows how the daemons on the database share the work.
func (e *env) cmdStatus(args []string) error {
	fs, c := e.flags("status", true)
	if err := parse(fs, args); err != nil {
		return err
	}
	d, err := e.open(c, true)
	if err != nil {
		return err
	}
	defer d.Close()
	st, err := d.Status(e.ctx)
	if err != nil {
		return fmt.Errorf("reading the status: %w", err)
	}
	v := newStatusView(st)
	if c.json {
		return e.printJSON(v)
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "MAILBOX\tREAD BY\tUNTIL\tSINCE")
	for _, l := range v.Mailboxes {
		fmt.Fprintf(w, "%s\t%s\n", termLine(l.Mailbox), leaseLine(l))
	}
	if len(v.Jobs) > 0 {
		fmt.Fprintln(w, "\nJOB\tRUN BY\tUNTIL\tSINCE")
		for _, l := range v.Jobs {
			fmt.Fprintf(w, "%s\t%s\n", termLine(l.Job), leaseLine(l))
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	o := v.Outbox
	fmt.Fprintf(e.stdout, "\noutbox: %d queued (%d due now), %d sent, %d failed\n", o.Queued, o.Due, o.Sent, o.Failed)
	if len(o.Leases) > 0 {
		w = tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "SENDING\tITEMS\tUNTIL")
		for _, l := range o.Leases {
			fmt.Fprintf(w, "%s\t%d\t%s\n", termLine(l.Holder), l.Items, l.ExpiresAt.Format(time.RFC3339))
		}
		return w.Flush()
	}
	return nil
}

// leaseLine is a lease's holder, until and since columns.
func leaseLine(l leaseView) string {
	switch {
	case l.Holder == "":
		return "nobody\t-\t-"
	case !l.Held:
		return fmt.Sprintf("nobody (%s's lease ran out)\t%s\t%s", termLine(l.Holder), l.ExpiresAt.Format(time.RFC3339), l.TakenAt.Format(time.RFC3339))
	}
	return fmt.Sprintf("%s\t%s\t%s", termLine(l.Holder), l.ExpiresAt.Format(time.RFC3339), l.TakenAt.Format(time.RFC3339))
}
