package main

import (
	"encoding/base64"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"helpdesk/desk"
	"helpdesk/tickets"
)

func (e *env) cmdMigrate(args []string) error {
	fs, c := e.flags("migrate", false)
	if err := parse(fs, args); err != nil {
		return err
	}
	d, err := e.open(c, true)
	if err != nil {
		return err
	}
	defer d.Close()
	fmt.Fprintf(e.stdout, "database %s is up to date\n", d.Config().Database.Name())
	return nil
}

// cmdIngest stores one mail from an MTA pipe. It exits 0 or 75 and
// nothing else: any other code makes an MTA bounce the mail to its sender,
// and a mail the desk did not take must stay queued at the MTA instead,
// until the admin has fixed whatever stopped it (a flag, the config, the
// database).
func (e *env) cmdIngest(args []string) (err error) {
	temp := func(err error) error { return codeError{code: exitTempFail, err: err} }
	defer func() {
		if v := recover(); v != nil {
			err = temp(fmt.Errorf("internal error: %v", v))
		}
	}()
	fs, c := e.flags("ingest", true)
	mailbox := fs.String("mailbox", "", "the configured mailbox `NAME` the mail arrived at (required)")
	if err := parse(fs, args); err != nil {
		return temp(err)
	}
	if *mailbox == "" {
		return temp(usageError{"--mailbox is required"})
	}
	d, err := e.open(c, true)
	if err != nil {
		return temp(err)
	}
	defer d.Close()
	out, err := d.DeliverFrom(e.ctx, *mailbox, e.stdin)
	if err != nil {
		if desk.IsTemporary(err) {
			err = fmt.Errorf("%w (the database is busy; the MTA should retry)", err)
		}
		return temp(err)
	}
	if c.json {
		return e.printJSON(outcomeViewOf(out))
	}
	fmt.Fprintln(e.stdout, termText(describeOutcome(out)))
	return nil
}

func describeOutcome(out desk.Outcome) string {
	switch {
	case out.Quarantined:
		return fmt.Sprintf("quarantined as #%d: %s", out.QuarantineID, out.Reason)
	case out.Duplicate:
		return fmt.Sprintf("%s: already stored, nothing changed", out.Ref)
	case out.Created:
		return fmt.Sprintf("%s: new ticket", out.Ref)
	case out.ThreadedBy == "agent-token" && out.Unverified:
		return fmt.Sprintf("%s: mail through an agent's reply address, not from that agent: kept as an unverified note", out.Ref)
	case out.ThreadedBy == "agent-token":
		return fmt.Sprintf("%s: mail through an agent's reply address", out.Ref)
	default:
		s := fmt.Sprintf("%s: reply added (threaded by %s)", out.Ref, out.ThreadedBy)
		if out.Reopened {
			s += ", ticket reopened"
		}
		if out.Unverified {
			s += ", unverified: the sender is not on the ticket"
		}
		return s
	}
}

func (e *env) cmdOutbox(args []string) error {
	if len(args) == 0 {
		return usageError{"expected: outbox flush | list"}
	}
	fs, c := e.flags("outbox "+args[0], true)
	status := fs.String("status", "", "list only items in this status: queued, sent or failed")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "flush":
		d, err := e.open(c, false)
		if err != nil {
			return err
		}
		defer d.Close()
		m := d.NewMailer()
		defer m.Close()
		st, err := d.FlushOutbox(e.ctx, m)
		if err != nil {
			return err
		}
		if c.json {
			return e.printJSON(map[string]int{"sent": st.Sent, "deferred": st.Deferred, "failed": st.Failed})
		}
		fmt.Fprintf(e.stdout, "sent %d, deferred %d, failed %d\n", st.Sent, st.Deferred, st.Failed)
		return nil
	case "list":
		d, err := e.open(c, true)
		if err != nil {
			return err
		}
		defer d.Close()
		items, err := d.Store.Outbox(e.ctx, tickets.OutboxFilter{Status: *status})
		if err != nil {
			return err
		}
		views := make([]outboxView, len(items))
		for i, it := range items {
			views[i] = newOutboxView(d, it)
		}
		if c.json {
			return e.printJSON(views)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTICKET\tKIND\tTO\tSTATUS\tTRIES\tNEXT\tLAST ERROR")
		for _, v := range views {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", v.ID, v.Ticket, v.Kind, termLine(strings.Join(v.To, ",")), v.Status,
				v.Attempts, v.NextAttemptAt.Format(time.DateTime), termLine(v.LastError))
		}
		return tw.Flush()
	}
	return usageError{fmt.Sprintf("unknown outbox command %q: expected flush or list", args[0])}
}

func (e *env) cmdTickets(args []string) error {
	if len(args) == 0 {
		return usageError{"expected: tickets list | show ID | merge FROM INTO | assign ID AGENT | resolve|close|reopen|pending|pending-vendor ID | language ID LANG | priority ID P1..P4"}
	}
	switch args[0] {
	case "merge":
		return e.cmdMerge(args[1:])
	case "assign":
		return e.cmdAssign(args[1:])
	case "priority":
		return e.cmdPriority(args[1:])
	case "resolve", "close", "reopen", "pending", "pending-vendor":
		return e.cmdSetStatus(args[0], args[1:])
	case "language":
		return e.cmdSetLanguage(args[1:])
	}
	fs, c := e.flags("tickets "+args[0], true)
	status := fs.String("status", "", "list only tickets in this status")
	queue := fs.String("queue", "", "list only tickets in this queue")
	slaState := fs.String("sla", "", "list only tickets in this SLA state: breached, warning, paused, ok or met")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if _, err := filterSLA(nil, *slaState); err != nil {
		return err
	}
	switch args[0] {
	case "list":
		d, err := e.open(c, true)
		if err != nil {
			return err
		}
		defer d.Close()
		list, err := d.Store.ListTickets(e.ctx, tickets.TicketFilter{Status: tickets.Status(*status), Queue: *queue})
		if err != nil {
			return err
		}
		views := make([]ticketView, len(list))
		for i := range list {
			views[i] = newTicketView(d, &list[i])
			if views[i].SLA, err = slaOf(e.ctx, d, list[i].ID); err != nil {
				return err
			}
		}
		if views, err = filterSLA(views, *slaState); err != nil {
			return err
		}
		if c.json {
			return e.printJSON(views)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "REF\tSTATUS\tPRIO\tQUEUE\tREQUESTER\tUPDATED\tSUBJECT")
		for _, v := range views {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Ref, v.Status, v.Priority, termLine(v.Queue), termLine(v.Requester),
				v.UpdatedAt.Local().Format(time.DateTime), termLine(v.Subject))
		}
		return tw.Flush()
	case "show":
		arg, err := oneArg(fs, "a ticket number: tickets show ID")
		if err != nil {
			return err
		}
		id, err := ticketID(arg)
		if err != nil {
			return err
		}
		d, err := e.open(c, true)
		if err != nil {
			return err
		}
		defer d.Close()
		v, err := loadTicketDetail(e.ctx, d, id)
		if err != nil {
			return err
		}
		if c.json {
			return e.printJSON(v)
		}
		return printTicketDetail(e.stdout, v)
	}
	return usageError{fmt.Sprintf("unknown tickets command %q: expected list, show, merge, assign, resolve, close, reopen, pending or pending-vendor", args[0])}
}

func (e *env) cmdQuarantine(args []string) error {
	if len(args) == 0 {
		return usageError{"expected: quarantine list | show ID | retry ID"}
	}
	fs, c := e.flags("quarantine "+args[0], true)
	raw := fs.Bool("raw", false, "show: print the raw mail only")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	d, err := e.open(c, true)
	if err != nil {
		return err
	}
	defer d.Close()
	switch args[0] {
	case "list":
		list, err := d.Store.QuarantineList(e.ctx)
		if err != nil {
			return err
		}
		views := make([]quarantineView, len(list))
		for i, q := range list {
			views[i] = newQuarantineView(d, q)
		}
		if c.json {
			return e.printJSON(views)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tMAILBOX\tSIZE\tRECEIVED\tSTATE\tREASON")
		for _, v := range views {
			size := fmt.Sprint(v.Size)
			if v.Truncated {
				size += " (head)"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Mailbox, size, v.CreatedAt.Local().Format(time.DateTime), v.State, termLine(v.Reason))
		}
		return tw.Flush()
	case "show", "retry":
		arg, err := oneArg(fs, "a quarantine number: quarantine "+args[0]+" ID")
		if err != nil {
			return err
		}
		var id int64
		if _, err := fmt.Sscan(strings.TrimPrefix(arg, "#"), &id); err != nil {
			return usageError{fmt.Sprintf("%q is not a quarantine number", arg)}
		}
		if args[0] == "retry" {
			out, err := d.RetryQuarantined(e.ctx, id)
			if err != nil {
				return err
			}
			if c.json {
				if err := e.printJSON(outcomeViewOf(out)); err != nil {
					return err
				}
			}
			if out.Quarantined {
				return fmt.Errorf("quarantined mail %d still cannot be taken: %s", id, out.Reason)
			}
			if c.json {
				return nil
			}
			fmt.Fprintln(e.stdout, termText(describeOutcome(out)))
			return nil
		}
		q, err := d.Store.QuarantineGet(e.ctx, id)
		if err != nil {
			return fmt.Errorf("quarantined mail %d: %w", id, err)
		}
		if *raw {
			_, err := e.stdout.Write(q.Raw)
			return err
		}
		v := newQuarantineView(d, *q)
		if c.json {
			v.RawBase64 = base64.StdEncoding.EncodeToString(q.Raw)
			return e.printJSON(v)
		}
		size := fmt.Sprintf("%d bytes", v.Size)
		if v.Truncated {
			size += " (only the head of a larger mail)"
		}
		fmt.Fprintf(e.stdout, "quarantine #%d\nmailbox:  %s\nreceived: %s\nsize:     %s\nstate:    %s\nreason:   %s\n\n",
			v.ID, v.Mailbox, v.CreatedAt.Local().Format(time.DateTime), size, v.State, termLine(v.Reason))
		head := q.Raw
		if len(head) > 4096 {
			head = head[:4096]
		}
		fmt.Fprintf(e.stdout, "%s\n", termText(strings.ReplaceAll(string(head), "\r\n", "\n")))
		if len(q.Raw) > len(head) {
			fmt.Fprintf(e.stdout, "... (%d more bytes; --raw prints all)\n", len(q.Raw)-len(head))
		}
		return nil
	}
	return usageError{fmt.Sprintf("unknown quarantine command %q: expected list, show or retry", args[0])}
}
