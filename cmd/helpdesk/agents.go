package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// cmdAssign gives a ticket to an agent: tickets assign ID AGENT.
func (e *env) cmdAssign(args []string) error {
	fs, c := e.flags("tickets assign", true)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 2 {
		return usageError{"expected: tickets assign ID AGENT (the agent's email, alias or name)"}
	}
	id, err := ticketID(fs.Arg(0))
	if err != nil {
		return err
	}
	who := strings.Join(fs.Args()[1:], " ") // a name may be given without quotes
	d, err := e.open(c, true)
	if err != nil {
		return err
	}
	defer d.Close()
	a, err := d.Service.Assign(e.ctx, id, who, "admin (command line)")
	if err != nil {
		return err
	}
	if c.json {
		return e.printJSON(map[string]string{"ticket": d.Service.Ref(id), "assignee": a.Email})
	}
	fmt.Fprintf(e.stdout, "%s assigned to %s\n", d.Service.Ref(id), termLine(a.Label()))
	return nil
}

// agentView is one agent in `agents list --json`.
type agentView struct {
	Name    string   `json:"name"`
	Email   string   `json:"email"`
	Aliases []string `json:"aliases"`
	Queues  []string `json:"queues"`
	Skills  []string `json:"skills"`
	MaxOpen int      `json:"max_open"` // 0: no limit
	Open    int      `json:"open_tickets"`
	Away    bool     `json:"away"`
}

func (e *env) cmdAgents(args []string) error {
	if len(args) == 0 || args[0] != "list" {
		return usageError{"expected: agents list"}
	}
	fs, c := e.flags("agents list", true)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	d, err := e.open(c, true)
	if err != nil {
		return err
	}
	defer d.Close()
	loads, err := d.Service.AgentLoads(e.ctx)
	if err != nil {
		return err
	}
	views := make([]agentView, len(loads))
	for i, l := range loads {
		views[i] = agentView{Name: l.Name, Email: l.Email, Aliases: orEmpty(l.Aliases), Queues: orEmpty(l.Queues),
			Skills: orEmpty(l.Skills), MaxOpen: l.MaxOpen, Open: l.Open, Away: l.Away}
	}
	if c.json {
		return e.printJSON(views)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tEMAIL\tQUEUES\tOPEN\tAWAY")
	for _, v := range views {
		open := fmt.Sprint(v.Open)
		if v.MaxOpen > 0 {
			open += fmt.Sprintf("/%d", v.MaxOpen)
		}
		away := ""
		if v.Away {
			away = "away"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", termLine(v.Name), termLine(v.Email), termLine(strings.Join(v.Queues, ",")), open, away)
	}
	return tw.Flush()
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
