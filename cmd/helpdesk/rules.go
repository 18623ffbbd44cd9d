package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
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
	dec := r.Decision
	ack := dec.Acknowledge && r.AutoReason == "" && !dec.Spam && r.Unverified == ""
	template := dec.AckTemplate
	if template == "" {
		template = "acknowledgement"
	}
	if c.json {
		type fired struct {
			Rule    string `json:"rule"`
			Summary string `json:"summary"`
		}
		v := struct {
			Fired       []fired  `json:"fired"`
			Queue       string   `json:"queue"`
			Category    string   `json:"category"`
			Tags        []string `json:"tags"`
			Impact      string   `json:"impact"`
			Urgency     string   `json:"urgency"`
			Priority    string   `json:"priority"`
			Assignee    string   `json:"assignee"`
			Spam        bool     `json:"spam"`
			SpamReason  string   `json:"spam_reason,omitempty"`
			Automatic   bool     `json:"automatic"`
			AutoReason  string   `json:"auto_reason,omitempty"`
			Acknowledge bool     `json:"acknowledge"`
			AckTemplate string   `json:"ack_template,omitempty"`
		}{Fired: []fired{}, Queue: r.Queue, Category: dec.Category, Tags: dec.Tags, Impact: dec.Impact,
			Urgency: dec.Urgency, Priority: dec.Priority, Assignee: dec.Assignee, Spam: dec.Spam, SpamReason: dec.SpamReason,
			Automatic: r.AutoReason != "", AutoReason: r.AutoReason, Acknowledge: ack}
		if ack {
			v.AckTemplate = template
		}
		if v.Tags == nil {
			v.Tags = []string{}
		}
		for _, f := range dec.Fired {
			v.Fired = append(v.Fired, fired{Rule: f.Rule, Summary: f.Summary})
		}
		return e.printJSON(v)
	}
	fmt.Fprintf(e.stdout, "mail %q from %s, to mailbox %s\n\n", r.Subject, termLine(r.From), r.Mailbox)
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
		r.Queue, dash(dec.Category), dash(strings.Join(dec.Tags, " ")), dash(dec.Impact), dash(dec.Urgency), dec.Priority, dash(dec.Assignee))
	switch {
	case dec.Spam:
		fmt.Fprintf(tw, "  status\tspam (%s)\n", termLine(dec.SpamReason))
	default:
		fmt.Fprintf(tw, "  status\tnew\n")
	}
	switch {
	case r.AutoReason != "":
		fmt.Fprintf(tw, "  acknowledgement\tnone: automatic mail (%s)\n", termLine(r.AutoReason))
	case dec.Spam:
		fmt.Fprintf(tw, "  acknowledgement\tnone: spam\n")
	case r.Unverified != "":
		fmt.Fprintf(tw, "  acknowledgement\tnone: the sender is not verified (%s)\n", r.Unverified)
	case !dec.Acknowledge:
		fmt.Fprintf(tw, "  acknowledgement\tnone: suppressed by a rule\n")
	default:
		fmt.Fprintf(tw, "  acknowledgement\t%s\n", template)
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
