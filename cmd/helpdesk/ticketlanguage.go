package main

import "fmt"

// cmdSetLanguage sets a ticket's language as the admin: tickets language ID LANG.
func (e *env) cmdSetLanguage(args []string) error {
	fs, c := e.flags("tickets language", true)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageError{"expected: tickets language ID LANG"}
	}
	id, err := ticketID(fs.Arg(0))
	if err != nil {
		return err
	}
	d, err := e.open(c, true)
	if err != nil {
		return err
	}
	defer d.Close()
	t, err := d.Service.SetLanguage(e.ctx, id, fs.Arg(1), "admin (command line)")
	if err != nil {
		return err
	}
	if c.json {
		return e.printJSON(newTicketView(d, t))
	}
	fmt.Fprintf(e.stdout, "%s is in %s\n", d.Service.Ref(id), t.Language)
	return nil
}
