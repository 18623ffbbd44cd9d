package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"helpdesk/config"
	"helpdesk/tickets"
	"helpdesk/web/admin"
)

// cmdReport prints the desk's KPIs: report [--since 30d|TIME] [--until
// TIME] [--queue Q] [--agent A] [--json].
func (e *env) cmdReport(args []string) error {
	fs, c := e.flags("report", true)
	since := fs.String("since", "30d", "the period's start: a span back from --until (\"30d\", \"12h\") or a time (RFC 3339 or 2026-03-01)")
	until := fs.String("until", "", "the period's end (RFC 3339 or 2026-03-31, exclusive); default now")
	queue := fs.String("queue", "", "only this queue's tickets")
	agent := fs.String("agent", "", "only the tickets assigned to this agent (address) and their answers")
	htmlFile := fs.String("html", "", "also write the report as a dashboard, one self-contained HTML `file`")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"report takes no arguments"}
	}
	d, err := e.open(c, true)
	if err != nil {
		return err
	}
	defer d.Close()
	end := time.Now()
	if *until != "" {
		if end, err = reportTime(*until); err != nil {
			return usageError{fmt.Sprintf("--until: %v", err)}
		}
	}
	start, err := reportTime(*since)
	if err != nil {
		span, spanErr := config.ParseDuration(*since)
		if spanErr != nil || span <= 0 {
			return usageError{fmt.Sprintf("--since %q: neither a span such as 30d nor a time such as 2026-03-01", *since)}
		}
		start = end.Add(-span)
	}
	rep, err := d.Report(e.ctx, tickets.ReportOptions{Since: start, Until: end, Queue: *queue, Agent: strings.ToLower(*agent)})
	if err != nil {
		return err
	}
	if *htmlFile != "" {
		name, _ := d.Config().SMTP.FromAddress()
		if err := writeReportHTML(*htmlFile, rep, name); err != nil {
			return err
		}
	}
	if c.json {
		return e.printJSON(rep)
	}
	return printReport(e.stdout, rep)
}

// writeReportHTML writes the dashboard of rep to path, whole or not at
// all: a reader of the file never sees half a report.
func writeReportHTML(path string, rep *tickets.Report, desk string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".report-*.html")
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := admin.WriteReport(tmp, rep, desk); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the report to %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing the report to %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("writing the report to %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing the report to %s: %w", path, err)
	}
	return nil
}

// reportTime reads RFC 3339 or a date (midnight UTC).
func reportTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time such as 2026-03-01 or 2026-03-01T09:00:00Z", s)
}

func printReport(w io.Writer, r *tickets.Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	p := func(format string, a ...any) {
		if format == "" {
			tw.Flush() // each section aligns its own columns
		}
		fmt.Fprintf(tw, format+"\n", a...)
	}
	scope := ""
	if r.Queue != "" {
		scope += ", queue " + termLine(r.Queue)
	}
	if r.Agent != "" {
		scope += ", agent " + termLine(r.Agent)
	}
	p("Report %s to %s%s", r.Since.Format(time.RFC3339), r.Until.Format(time.RFC3339), scope)
	p("")
	b := r.Backlog
	p("Backlog now\t%d\t(new %d, open %d, pending %d, pending_vendor %d; resolved awaiting confirmation %d)",
		b.Total, b.ByStatus["new"], b.ByStatus["open"], b.ByStatus["pending"], b.ByStatus["pending_vendor"], b.AwaitingConfirmation)
	p("  by priority\t%s", counts(b.ByPriority))
	p("  by queue\t%s", counts(b.ByQueue))
	var ages []string
	for _, a := range b.ByAge {
		ages = append(ages, fmt.Sprintf("%s %d", a.Label, a.Count))
	}
	p("  by age\t%s", strings.Join(ages, ", "))
	p("")
	p("First response\t%s", durations(r.FirstResponse, "unanswered"))
	p("Resolution\t%s", durations(r.Resolution, ""))
	p("First-contact resolution\t%s", rate(r.FirstContactResolution))
	p("Reopened\t%s", rate(r.Reopened))
	p("Deflected\t%d (solved by a suggested article, without an agent)", r.Deflected)
	cs := r.CSAT
	if cs.Ratings > 0 {
		p("CSAT\taverage %.2f of %d ratings, %.0f%% gave 4 or 5; %d of %d surveys answered (%.0f%%)",
			cs.Average, cs.Ratings, cs.SatisfiedRate*100, cs.Answered, cs.Surveys, cs.ResponseRate*100)
	} else {
		p("CSAT\tno ratings; %d of %d surveys answered", cs.Answered, cs.Surveys)
	}
	if len(r.SLA) > 0 {
		p("")
		p("SLA\tTARGET\tMET\tMISSED\tIN TIME")
		for _, c := range r.SLA {
			p("%s\t%s\t%d\t%d\t%.1f%%", termLine(c.Priority), strings.ReplaceAll(c.Target, "_", " "), c.Met, c.Missed, c.Rate*100)
		}
	}
	p("")
	p("DAY\tCREATED\tCLOSED") // the days with something to count; --json has every day
	for _, d := range r.Daily {
		if d.Created > 0 || d.Closed > 0 {
			p("%s\t%d\t%d", d.Date, d.Created, d.Closed)
		}
	}
	if len(r.Agents) > 0 {
		p("")
		p("AGENT\tOPEN\tREPLIES\tRESOLVED\tFIRST RESPONSE (MEDIAN)\tRESOLUTION (MEDIAN)")
		for _, a := range r.Agents {
			p("%s\t%d\t%d\t%d\t%s\t%s", termLine(a.Agent), a.Open, a.Replies, a.Resolved,
				medianOf(a.FirstResponse), medianOf(a.Resolution))
		}
	}
	if len(r.BusiestSenders) > 0 {
		p("")
		p("SENDER\tTICKETS")
		for _, s := range r.BusiestSenders {
			p("%s\t%d", termLine(s.Email), s.Tickets)
		}
	}
	return tw.Flush()
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", termLine(k), m[k])
	}
	return strings.Join(parts, ", ")
}

func durations(d tickets.Durations, waiting string) string {
	s := "-"
	if d.Count > 0 {
		s = fmt.Sprintf("median %s, p90 %s (%s)", tickets.Span(d.MedianSeconds), tickets.Span(d.P90Seconds), ticketCount(d.Count))
	}
	if waiting != "" && d.Waiting > 0 {
		s += fmt.Sprintf("; %d %s", d.Waiting, waiting)
	}
	return s
}

// ticketCount writes "1 ticket", "2 tickets".
func ticketCount(n int) string {
	if n == 1 {
		return "1 ticket"
	}
	return fmt.Sprintf("%d tickets", n)
}

func medianOf(d tickets.Durations) string {
	if d.Count == 0 {
		return "-"
	}
	return tickets.Span(d.MedianSeconds)
}

func rate(r tickets.Rate) string {
	if r.Of == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%% (%d of %d)", r.Rate*100, r.Count, r.Of)
}
