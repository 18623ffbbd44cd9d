package main

import (
	"fmt"

	"helpdesk/tickets"
)

// statusOf is the status each status command sets.
var statusOf = map[string]tickets.Status{
	"resolve": tickets.StatusResolved,
	"close":   tickets.StatusClosed,
	"reopen":  tickets.StatusOpen,
	"pending": tickets.StatusPending,
	// pending-vendor: the ticket waits on a vendor (an escalation
	// agreed outside mail); #escalate CONTACT sets it by itself.
	"pending-vendor": tickets.StatusPendingVendor,
}

// cmdSetStatus sets a ticket's status as the admin: tickets resolve|close|
// reopen|pending|pending-vendor ID [--note TEXT].
func (e *env) cmdSetStatus(name string, args []string) error {
	fs, c := e.flags("tickets "+name, true)
	var note *string
	if name == "resolve" {
		note = fs.String("note", "", "the resolution: root cause and fix, kept on the ticket and sent to the customer")
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	arg, err := oneArg(fs, "a ticket number: tickets "+name+" ID")
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
	text := ""
	if note != nil {
		text = *note
	}
	t, err := d.Service.SetStatus(e.ctx, id, statusOf[name], text, "admin (command line)")
	if err != nil {
		return err
	}
	if c.json {
		return e.printJSON(newTicketView(d, t))
	}
	fmt.Fprintf(e.stdout, "%s is %s\n", d.Service.Ref(id), t.Status)
	return nil
}
