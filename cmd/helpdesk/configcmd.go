package main

import (
	"fmt"
	"strings"

	"helpdesk/desk"
	"helpdesk/templates"
)

// cmdConfig checks the configuration, or prints it with its secrets
// redacted: config check | show.
func (e *env) cmdConfig(args []string) error {
	if len(args) == 0 || (args[0] != "check" && args[0] != "show") {
		return usageError{"expected: config check | config show"}
	}
	fs, c := e.flags("config "+args[0], false)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{fmt.Sprintf("config %s takes no arguments", args[0])}
	}
	// Load reports every problem of the file at once, each with its line,
	// and fails when a secret it names (an environment variable, a file)
	// cannot be read.
	cfg, err := e.loadConfig(c.config)
	if err != nil {
		return err
	}
	if args[0] == "show" {
		_, err := fmt.Fprint(e.stdout, cfg.String())
		return err
	}
	// The templates the file points at are part of what the daemon loads
	// at its start: a broken one is the file's problem too.
	if _, err := templates.Open(desk.TemplateOptions(cfg)); err != nil {
		return err
	}
	var parts []string
	count := func(n int, one, many string) {
		if n == 1 {
			parts = append(parts, "1 "+one)
		} else {
			parts = append(parts, fmt.Sprintf("%d %s", n, many))
		}
	}
	count(len(cfg.Mailboxes), "mailbox", "mailboxes")
	count(len(cfg.Queues), "queue", "queues")
	count(len(cfg.Agents), "agent", "agents")
	count(len(cfg.Rules), "rule", "rules")
	fmt.Fprintf(e.stdout, "%s: OK (%s; database %s)\n", termLine(c.config), strings.Join(parts, ", "), cfg.Database.Driver)
	return nil
}
