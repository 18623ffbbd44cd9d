package main

import (
	"flag"
	"path/filepath"
	"time"

	"helpdesk/desk"
	"helpdesk/internal/demo"
)

func (e *env) cmdRun(args []string) error {
	fs, c := e.flags("run", false)
	grace := fs.Duration("grace", 10*time.Second, "how long work in flight may finish after a stop signal")
	lease := fs.Duration("lease", 15*time.Second, "how long a mailbox lease lasts unrenewed: another daemon reads a dead one's mailboxes within it")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *lease <= 0 {
		return usageError{"--lease must be above 0"}
	}
	d, err := e.open(c, false)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Run(e.ctx, desk.RunOptions{Grace: *grace, MailboxLease: *lease})
}

func (e *env) cmdDemo(args []string) error {
	fs := flag.NewFlagSet("helpdesk demo", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dir := fs.String("dir", "helpdesk-demo", "the `folder` for the demo's database and config")
	imapAddr := fs.String("imap", "127.0.0.1:1143", "`address` of the embedded IMAP server")
	smtpAddr := fs.String("smtp", "127.0.0.1:1025", "`address` of the embedded SMTP server")
	httpAddr := fs.String("http", "127.0.0.1:8025", "`address` of the daemon's web server (the survey's pages)")
	seed := fs.Int("seed", 3, "customer mails to send at start (0 for none)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *seed == 0 {
		*seed = -1
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	return demo.Run(e.ctx, demo.Options{Dir: abs, IMAPAddr: *imapAddr, SMTPAddr: *smtpAddr, HTTPAddr: *httpAddr, Seed: *seed, Out: e.stdout})
}
