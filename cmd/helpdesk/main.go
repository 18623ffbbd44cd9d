// Command helpdesk is an email-driven help desk: it turns mail to a support
// address into tickets, answers with templated mail, and lets agents work
// from their own mail client. Run `helpdesk help` for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes, documented in the README.
const (
	exitOK       = 0
	exitError    = 1  // the command failed; the message says why
	exitUsage    = 2  // unknown command or bad flags
	exitTempFail = 75 // EX_TEMPFAIL: `ingest` could not store the mail; the MTA should retry
)

const usage = `helpdesk: an email-driven help desk

usage: helpdesk COMMAND [flags]

commands:
  run         the daemon: watch the IMAP mailboxes, deliver the outbox
  demo        the whole desk on embedded IMAP and SMTP servers, for a first look
  migrate     create or upgrade the database
  db          copy --from sqlite:PATH --to postgres://...: move the desk to a new PostgreSQL database
  ingest      take one raw mail on stdin for --mailbox NAME (an MTA pipe); exit 75 on a temporary failure
  outbox      flush (deliver what is due, then exit) | list
  status      which daemon reads which mailbox and runs which job; the outbox and its senders
  tickets     list | show ID | merge FROM INTO | assign ID AGENT |
              resolve ID [--note TEXT] | close ID | reopen ID | pending ID | pending-vendor ID |
              language ID LANG
              priority ID P1..P4 (the SLA due times follow)
  agents      list: the agents, their queues and open tickets
  schedule    run [--at TIME]: run the reminders and auto-closes due (cron) | list
  sla         check --priority P [--queue Q | --calendar NAME] --at TIME: when each target would be due
  rules       test: which rules fire for a mail on stdin, storing nothing
  quarantine  list | show ID | retry ID
  kb          list | show SLUG | add --from-ticket ID | edit SLUG [--file F] | publish SLUG | retire SLUG: the knowledge base
  report      the KPIs: backlog, response and resolution times, reopen rate, CSAT [--since 30d] [--queue Q] [--agent A]
  config      check: every problem of the file (and its templates), exit 1 | show: the effective config, secrets redacted
  admin       hash-password: the bcrypt hash of the password on stdin, for [http] admin_users
  version     the release, commit and Go version of this binary
  templates   check | preview NAME | send-test NAME --to ADDRESS | diff NAME | vars
  macros      list: the canned answers agents call with #macro NAME

Every command takes --config FILE (default $HELPDESK_CONFIG, else helpdesk.toml).
Run "helpdesk COMMAND -h" for its flags.
`

// usageError is a mistake on the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitError carries a specific exit code.
type codeError struct {
	code int
	err  error
}

func (e codeError) Error() string { return e.err.Error() }
func (e codeError) Unwrap() error { return e.err }

func main() {
	// The first SIGINT or SIGTERM asks for a clean stop (work in flight
	// finishes within a grace period); a second one exits at once.
	ctx, cancel := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		cancel()
		<-sig
		fmt.Fprintln(os.Stderr, "helpdesk: second signal, exiting at once")
		os.Exit(exitError)
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	cancel()
	os.Exit(code)
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "run":
		err = env.cmdRun(args[1:])
	case "demo":
		err = env.cmdDemo(args[1:])
	case "migrate":
		err = env.cmdMigrate(args[1:])
	case "db":
		err = env.cmdDB(args[1:])
	case "ingest":
		err = env.cmdIngest(args[1:])
	case "outbox":
		err = env.cmdOutbox(args[1:])
	case "status":
		err = env.cmdStatus(args[1:])
	case "tickets":
		err = env.cmdTickets(args[1:])
	case "agents":
		err = env.cmdAgents(args[1:])
	case "schedule":
		err = env.cmdSchedule(args[1:])
	case "sla":
		err = env.cmdSLA(args[1:])
	case "quarantine":
		err = env.cmdQuarantine(args[1:])
	case "templates":
		err = env.cmdTemplates(args[1:])
	case "rules":
		err = env.cmdRules(args[1:])
	case "report":
		err = env.cmdReport(args[1:])
	case "kb":
		err = env.cmdKB(args[1:])
	case "config":
		err = env.cmdConfig(args[1:])
	case "admin":
		err = env.cmdAdmin(args[1:])
	case "version", "--version":
		err = env.cmdVersion(args[1:])
	case "macros":
		err = env.cmdMacros(args[1:])
	default:
		err = usageError{fmt.Sprintf("unknown command %q (run \"helpdesk help\")", args[0])}
	}
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "helpdesk %s: %s\n", termLine(args[0]), termText(err.Error()))
	var ce codeError
	if errors.As(err, &ce) {
		return ce.code
	}
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitError
}
