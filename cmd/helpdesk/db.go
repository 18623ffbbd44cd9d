package main

import (
	"fmt"
	"text/tabwriter"

	"helpdesk/config"
	"helpdesk/desk"
)

// cmdDB runs `helpdesk db copy`: it moves a desk from one database to a
// new PostgreSQL one.
func (e *env) cmdDB(args []string) error {
	if len(args) == 0 || args[0] != "copy" {
		return usageError{"expected: db copy --from sqlite:PATH [--to postgres://...]"}
	}
	fs, c := e.flags("db copy", true)
	from := fs.String("from", "", "the database to copy: `sqlite:PATH` (required)")
	to := fs.String("to", "", "the new, empty PostgreSQL database: `postgres://user@host/db` (default: the config's [database], when it is postgres)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *from == "" {
		return usageError{"--from is required (--from sqlite:/var/lib/helpdesk/helpdesk.db)"}
	}
	src, err := desk.ParseDatabase(*from)
	if err != nil {
		return usageError{"--from: " + err.Error()}
	}
	var dst config.Database
	if *to != "" {
		if dst, err = desk.ParseDatabase(*to); err != nil || dst.Driver != "postgres" {
			return usageError{"--to: expected postgres://user@host/database"}
		}
	} else {
		cfg, err := e.loadConfig(c.config)
		if err != nil {
			return err
		}
		if cfg.Database.Driver != "postgres" {
			return usageError{fmt.Sprintf("--to is required: %s does not name a PostgreSQL database", c.config)}
		}
		dst = cfg.Database
	}
	counts, err := desk.CopyDatabase(e.ctx, src, dst)
	if err != nil {
		return err
	}
	if c.json {
		type row struct {
			Table  string `json:"table"`
			Source int64  `json:"source"`
			Target int64  `json:"target"`
		}
		rows := make([]row, len(counts))
		for i, n := range counts {
			rows[i] = row{n.Table, n.Source, n.Target}
		}
		return e.printJSON(rows)
	}
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "table\tsource\tcopied\t")
	for _, n := range counts {
		fmt.Fprintf(w, "%s\t%d\t%d\t\n", n.Table, n.Source, n.Target)
	}
	w.Flush()
	fmt.Fprintf(e.stdout, "copied %s to %s: every count matches\n", src.Name(), dst.Name())
	return nil
}
