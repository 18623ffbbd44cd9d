package main

import (
	"fmt"
	"text/tabwriter"
	"time"
)

// jobView is one scheduled job in `schedule list --json` and `schedule
// run --json`.
type jobView struct {
	Ticket   string    `json:"ticket"`
	TicketID int64     `json:"ticket_id"`
	Kind     string    `json:"kind"`
	DueAt    time.Time `json:"due_at"`
	// Done, in `schedule run` only, says what the job did.
	Done string `json:"done,omitempty"`
}

// cmdSchedule runs or lists the life cycle's timed jobs: schedule run
// [--at TIME] | list.
func (e *env) cmdSchedule(args []string) error {
	if len(args) == 0 || (args[0] != "run" && args[0] != "list") {
		return usageError{"expected: schedule run [--at TIME] | schedule list"}
	}
	fs, c := e.flags("schedule "+args[0], true)
	var at *string
	if args[0] == "run" {
		at = fs.String("at", "", "run what is due at this time (RFC 3339, e.g. 2026-03-05T09:00:00Z) instead of now")
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{fmt.Sprintf("schedule %s takes no arguments", args[0])}
	}
	var when time.Time
	if at != nil && *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return usageError{fmt.Sprintf("--at %q: not an RFC 3339 time such as 2026-03-05T09:00:00Z", *at)}
		}
		when = t
	}
	d, err := e.open(c, true)
	if err != nil {
		return err
	}
	defer d.Close()
	views := []jobView{}
	if args[0] == "list" {
		jobs, err := d.Store.Jobs(e.ctx, time.Time{}, 0)
		if err != nil {
			return err
		}
		for _, j := range jobs {
			views = append(views, jobView{Ticket: d.Service.Ref(j.TicketID), TicketID: j.TicketID, Kind: j.Kind, DueAt: j.DueAt})
		}
	} else {
		runs, err := d.RunSchedule(e.ctx, when)
		for _, r := range runs {
			views = append(views, jobView{Ticket: d.Service.Ref(r.TicketID), TicketID: r.TicketID, Kind: r.Kind, DueAt: r.DueAt, Done: r.Done})
		}
		if err != nil {
			// What did run is committed; say so before the error.
			e.printJobs(views, c.json, true)
			return err
		}
	}
	return e.printJobs(views, c.json, args[0] == "run")
}

func (e *env) printJobs(views []jobView, asJSON, ran bool) error {
	if asJSON {
		return e.printJSON(views)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	if ran {
		fmt.Fprintln(tw, "TICKET\tJOB\tDUE\tDONE")
	} else {
		fmt.Fprintln(tw, "TICKET\tJOB\tDUE")
	}
	for _, v := range views {
		if ran {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.Ticket, v.Kind, v.DueAt.Local().Format(time.DateTime), v.Done)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", v.Ticket, v.Kind, v.DueAt.Local().Format(time.DateTime))
		}
	}
	return tw.Flush()
}
