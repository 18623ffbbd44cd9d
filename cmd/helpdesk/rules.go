package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"helpdesk/desk"
	"helpdesk/tickets"
)

func (e *env) cmdRules(args []string) error {
	if len(args) == 0 || args[0] != "test" {
		return usageError{"expected: rules test [--mailbox NAME] < mail.eml"}
	}
	fs, c := e.flags("rules test", true)
	mailbox := fs.String("mailbox", "", "the mailbox `NAME` the mail is taken to arrive at (default: the first one)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	raw, err := io.ReadAll(e.stdin)
	if err != nil {
		return fmt.Errorf("reading the mail from stdin: %w", err)
	}
	d, err := e.open(c, true)
	if err != nil {
		return err
	}
	defer d.Close()
	if *mailbox == "" {
		*mailbox = d.Config().Mailboxes[0].Name
	}
	r, err := d.TestRules(e.ctx, *mailbox, raw)
	if err != nil {
		return err
	}
	actual, tr := r.Ingest, r.NewTicket
	dec, t := tr.Triage, tr.Ticket
	if c.json {
		type fired struct {
			Rule    string `json:"rule"`
			Summary string `json:"summary"`
		}
		type queued struct {
			Kind string   `json:"kind"`
			To   []string `json:"to"`
		}
		v := struct {
			NewTicket       bool     `json:"new_ticket"`
			Ticket          string   `json:"ticket,omitempty"`
			ThreadedBy      string   `json:"threaded_by,omitempty"`
			Duplicate       bool     `json:"duplicate"`
			Queued          []queued `json:"queued"`
			Fired           []fired  `json:"fired"`
			Queue           string   `json:"queue"`
			Category        string   `json:"category"`
			Tags            []string `json:"tags"`
			Impact          string   `json:"impact"`
			Urgency         string   `json:"urgency"`
			Priority        string   `json:"priority"`
			Assignee        string   `json:"assignee"`
			Spam            bool     `json:"spam"`
			SpamReason      string   `json:"spam_reason,omitempty"`
			Automatic       bool     `json:"automatic"`
			AutoReason      string   `json:"auto_reason,omitempty"`
			Acknowledge     bool     `json:"acknowledge"`
			AckTemplate     string   `json:"ack_template,omitempty"`
			NotAcknowledged string   `json:"not_acknowledged,omitempty"`
		}{NewTicket: actual.Created, Duplicate: actual.Duplicate, Fired: []fired{}, Impact: dec.Impact, Urgency: dec.Urgency,
			SpamReason: dec.SpamReason, Automatic: r.AutoReason != "", AutoReason: r.AutoReason,
			Acknowledge: tr.Acknowledgement != "", AckTemplate: tr.Acknowledgement, NotAcknowledged: tr.NotAcknowledged, Tags: []string{}}
		if !actual.Created {
			v.Ticket, v.ThreadedBy = actual.Ref, actual.ThreadedBy
		}
		if t != nil {
			v.Queue, v.Category, v.Priority, v.Assignee = t.Queue, t.Category, t.Priority, t.Assignee
			v.Spam = t.Status == tickets.StatusSpam
			if t.Tags != nil {
				v.Tags = t.Tags
			}
		}
		for _, f := range dec.Fired {
			v.Fired = append(v.Fired, fired{Rule: f.Rule, Summary: f.Summary})
		}
		v.Queued = []queued{}
		for _, m := range actual.Queued {
			v.Queued = append(v.Queued, queued{Kind: m.Kind, To: emails(m.To)})
		}
		return e.printJSON(v)
	}
	fmt.Fprintf(e.stdout, "mail %q from %s, to mailbox %s\n\n", r.Subject, termLine(r.From), r.Mailbox)
	if !actual.Created {
		fmt.Fprintf(e.stdout, "ingest would not open a ticket: %s\n", termLine(describeOutcome(desk.Outcome{Result: actual.Result})))
		for _, m := range actual.Queued {
			fmt.Fprintf(e.stdout, "and would send: %s to %s\n", m.Kind, termLine(strings.Join(emails(m.To), ", ")))
		}
		fmt.Fprint(e.stdout, "rules run only on a mail that opens a ticket; were this one to open one:\n\n")
	}
	if len(dec.Fired) == 0 {
		fmt.Fprintln(e.stdout, "no rule fired")
	} else {
		fmt.Fprintln(e.stdout, "rules that fire, in order:")
		for i, f := range dec.Fired {
			fmt.Fprintf(e.stdout, "  %d. %s: %s\n", i+1, f.Rule, termLine(f.Summary))
		}
	}
	fmt.Fprintln(e.stdout, "\nthe new ticket would get:")
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	fmt.Fprintf(tw, "  queue\t%s\n  category\t%s\n  tags\t%s\n  impact\t%s\n  urgency\t%s\n  priority\t%s\n  assignee\t%s\n",
		t.Queue, dash(t.Category), dash(strings.Join(t.Tags, " ")), dash(dec.Impact), dash(dec.Urgency), t.Priority, dash(t.Assignee))
	switch {
	case t.Status == tickets.StatusSpam:
		fmt.Fprintf(tw, "  status\tspam (%s)\n", termLine(dec.SpamReason))
	default:
		fmt.Fprintf(tw, "  status\t%s\n", t.Status)
	}
	if tr.Acknowledgement != "" {
		fmt.Fprintf(tw, "  acknowledgement\t%s\n", tr.Acknowledgement)
	} else {
		fmt.Fprintf(tw, "  acknowledgement\tnone: %s\n", termLine(tr.NotAcknowledged))
	}
	return tw.Flush()
}

func (e *env) cmdMerge(fsArgs []string) error {
	fs, c := e.flags("tickets merge", false)
	if err := parse(fs, fsArgs); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageError{"expected: tickets merge FROM INTO (FROM is merged into INTO)"}
	}
	from, err := ticketID(fs.Arg(0))
	if err != nil {
		return err
	}
	into, err := ticketID(fs.Arg(1))
	if err != nil {
		return err
	}
	d, err := e.open(c, true)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Service.Merge(e.ctx, from, into, "admin (command line)"); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s merged into %s\n", d.Service.Ref(from), d.Service.Ref(into))
	return nil
}
