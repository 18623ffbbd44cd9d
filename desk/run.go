package desk

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"helpdesk/config"
	"helpdesk/internal/memory"
	"helpdesk/mailin/imapwatch"
	"helpdesk/tickets"
	"helpdesk/web"
)

// RunOptions tune Run; zero values take the defaults.
type RunOptions struct {
	// Grace is how long work in flight may go on after ctx ends (default 10s).
	Grace time.Duration
	// OutboxInterval is how often the sender looks at the outbox when
	// nothing wakes it (default 30s), a safety net: mail queued by this
	// process or another (`helpdesk ingest`), due retries and leases that
	// run out wake it on time.
	OutboxInterval time.Duration
	// IMAPBackoff is the wait before IMAP reconnect attempt n (default:
	// exponential from 1s to 5m with jitter).
	IMAPBackoff func(attempt int) time.Duration
	// MailboxLease is how long a daemon's lease on an IMAP mailbox lasts
	// unrenewed (default 15s): the mailboxes of a daemon that dies are
	// read by another within it (see readMailbox).
	MailboxLease time.Duration
	// HTTPListener, when set, is where the web server answers instead of
	// http.listen (a caller that needs the address before the config is
	// written, such as the demo, listens itself). Run closes it.
	HTTPListener net.Listener
	// TemplatesInterval is how often the templates folder is looked at
	// for edits (default 1s; see templates.Set.Watch).
	TemplatesInterval time.Duration
}

// checkpointInterval is how often the daemon copies SQLite's write-ahead
// log back into the database (see sqlstore.Store.CheckpointEvery): about
// as often as a catch-up's commits fill 10,000 pages, so that a page
// rewritten again and again is copied about as often as before, but not by
// a commit.
const checkpointInterval = time.Second

// Run is the daemon: one IMAP watcher per mailbox that has [mailbox.imap],
// the outbox sender, the scheduler of the life cycle's jobs and, with
// http.listen, the web server, until ctx ends. Then it stops taking mail, lets
// what is in flight finish within the grace period, and returns.
func (d *Desk) Run(ctx context.Context, opts RunOptions) error {
	if opts.Grace <= 0 {
		opts.Grace = 10 * time.Second
	}
	if opts.OutboxInterval <= 0 {
		opts.OutboxInterval = 30 * time.Second
	}
	memory.KeepFlat(int64(d.cfg.Tickets.MaxMessageSize))
	// Work in flight (a transaction, an SMTP conversation) runs on work,
	// which ends only a grace period after ctx.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	stopGrace := context.AfterFunc(ctx, func() {
		d.log.Info("shutting down: finishing work in flight", slog.Duration("grace", opts.Grace))
		time.AfterFunc(opts.Grace, cancelWork)
	})
	defer stopGrace()
	// The write-ahead log is copied back apart, not by whichever commit
	// fills it: not by an ingest batch's.
	d.Store.CheckpointEvery(work, checkpointInterval, d.log)

	wake := make(chan struct{}, 1)
	holder := tickets.NewLeaseHolder()
	leaser := tickets.Leaser{Leases: d.Store, Period: opts.MailboxLease, Log: d.log}
	var readers []func()
	for i := range d.cfg.Mailboxes {
		mb := &d.cfg.Mailboxes[i]
		if mb.IMAP == nil {
			continue
		}
		wopts := watchOptions(mb, int64(d.cfg.Tickets.MaxMessageSize), &batchHandler{d: d, work: work, wake: wake}, d.Store.MailboxCursors(), d.log, opts.IMAPBackoff)
		wopts.StepTook = d.metrics.stepTook(mb.Name)
		if _, err := imapwatch.New(wopts); err != nil {
			return fmt.Errorf("mailbox %s: %w", mb.Name, err)
		}
		readers = append(readers, func() {
			d.readMailbox(ctx, mb.Name, leaser, holder, func() (*imapwatch.Watcher, error) { return imapwatch.New(wopts) })
		})
	}
	var serve func()
	if ln := opts.HTTPListener; ln != nil || d.cfg.HTTP.Listen != "" {
		srv, err := web.New(web.Options{BaseURL: d.cfg.HTTP.BaseURL, Surveys: d.Service, Logger: d.log, Proxies: d.Proxies()})
		if err == nil {
			err = d.addPages(srv)
		}
		if err != nil {
			if ln != nil {
				ln.Close()
			}
			return err
		}
		if ln == nil {
			if ln, err = net.Listen("tcp", d.cfg.HTTP.Listen); err != nil {
				key := "http.listen"
				if d.cfg.Path != "" {
					key = d.cfg.Path + ": " + key
				}
				return fmt.Errorf("%s: %w", key, err)
			}
		}
		d.log.Info("web server listening", slog.String("addr", ln.Addr().String()), slog.String("base_url", d.cfg.HTTP.BaseURL))
		serve = func() {
			if err := srv.Serve(ctx, ln, opts.Grace); err != nil {
				d.log.Error("web server", slog.Any("err", err))
			}
		}
	}
	d.log.Info("help desk running", slog.Int("imap_mailboxes", len(readers)), slog.Int("mailboxes", len(d.cfg.Mailboxes)), slog.String("holder", holder))

	var wg sync.WaitGroup
	for _, read := range readers {
		wg.Go(read)
	}
	wg.Go(func() { d.sendLoop(ctx, work, wake, opts.OutboxInterval) })
	wg.Go(func() { d.scheduleLoop(ctx, work, wake) })
	if serve != nil {
		wg.Go(serve)
	}
	wg.Go(func() { _ = d.Templates.Watch(ctx, opts.TemplatesInterval, d.log) })
	wg.Wait()
	d.log.Info("help desk stopped")
	return nil
}

func watchOptions(mb *config.Mailbox, maxSize int64, h imapwatch.Handler, st imapwatch.State, log *slog.Logger, backoff func(int) time.Duration) imapwatch.Options {
	c := mb.IMAP
	return imapwatch.Options{
		Name:               mb.Name,
		Host:               c.Host,
		Port:               c.Port,
		TLS:                c.TLS,
		InsecureSkipVerify: c.InsecureSkipVerify,
		Username:           c.Username,
		Password:           c.Password,
		Auth:               c.Auth,
		TokenCommand:       c.TokenCommand,
		Folder:             c.Folder,
		ProcessedFolder:    c.ProcessedFolder,
		PollInterval:       c.PollInterval.Duration,
		IDLE:               c.UseIDLE(),
		// Even in IDLE, look again every poll interval: a server that
		// misses a notification (some do for mail that arrives just as
		// IDLE starts) then delays a mail by one interval, not 25 minutes.
		IdleRefresh:    min(c.PollInterval.Duration, 25*time.Minute),
		BatchSize:      c.BatchSize,
		MaxMessageSize: maxSize,
		Handler:        h,
		State:          st,
		Logger:         log,
		Backoff:        backoff,

		// A batch holds at most the bytes of one mail of the largest
		// size, so that the memory of catching up stays flat whatever
		// the mix of sizes: two large mails are never read together.
		MaxBatchBytes: maxSize + 1,
	}
}

// sendLoop delivers the outbox: at once when new mail was queued (by an
// IMAP watcher of this process, or by another process such as `helpdesk
// ingest`), when a retry falls due, and every interval. It keeps up to
// outbox.connections SMTP connections, the second and later used only
// while many mails wait.
func (d *Desk) sendLoop(ctx, work context.Context, wake <-chan struct{}, interval time.Duration) {
	mailers := make([]tickets.Mailer, d.cfg.Outbox.Connections)
	for i := range mailers {
		m := d.NewMailer()
		defer m.Close()
		mailers[i] = m
	}
	var watcher tickets.OutboxWatcher = d.Store
	queued, err := watcher.WatchOutbox(ctx, d.log)
	if err != nil {
		// A nil channel never fires: mail from other processes then waits
		// for the interval, as the log says.
		d.log.ErrorContext(ctx, "mail queued by other processes is sent only every outbox interval", slog.Duration("interval", interval), slog.Any("err", err))
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			// A last pass for what was queued just before the end.
			d.flushOnce(work, mailers)
			return
		case <-wake:
		case <-queued:
		case <-timer.C:
		}
		d.flushOnce(work, mailers)
		timer.Reset(d.nextSend(work, interval))
	}
}

func (d *Desk) flushOnce(ctx context.Context, mailers []tickets.Mailer) {
	// A bare context.Canceled is the shutdown; anything else (a failure to
	// record deliveries included) is worth a line.
	st, err := d.Service.FlushOutboxVia(ctx, mailers, d.retry)
	d.metrics.countFlush(st)
	if err != nil && err != context.Canceled {
		d.log.ErrorContext(ctx, "delivering the outbox", slog.Any("err", err))
	}
}

// nextSend is how long to sleep until the next item can be sent (a retry
// falls due, another sender's lease runs out), at most interval.
func (d *Desk) nextSend(ctx context.Context, interval time.Duration) time.Duration {
	next, err := d.Store.OutboxNextDue(ctx)
	if err != nil || next.IsZero() {
		return interval
	}
	wait := next.Sub(d.now())
	if wait < 10*time.Millisecond {
		// Due now but not taken (clocks apart between processes, say).
		// Look again soon.
		wait = time.Second
	}
	return min(wait, interval)
}

// batchHandler stores the mails an IMAP watcher fetched.
type batchHandler struct {
	d    *Desk
	work context.Context
	wake chan<- struct{}
}

// HandleBatch stores the batch in one transaction, on the work context so
// that a shutdown does not abort it half-way. A mail that cannot be read is
// quarantined, which counts as stored. A mail that cannot be stored is
// returned as its error, not logged: the watcher logs it once, with the
// mailbox, the UID and the attempt, and tries again.
func (h *batchHandler) HandleBatch(_ context.Context, mailbox string, mails []imapwatch.Mail) ([]error, error) {
	outs := make([]Outcome, len(mails))
	errs := make([]error, len(mails))
	var batch []Incoming
	var at []int // index in mails of each of batch
	for i, m := range mails {
		if m.Truncated {
			// Over the size limit: the watcher fetched only its head. Keep
			// that in the quarantine; the whole mail stays on the server.
			rest := fmt.Sprintf("the whole mail stays in the IMAP mailbox (uid %d)", m.UID)
			outs[i], errs[i] = h.d.quarantineHead(h.work, mailbox, m.Raw, 0, rest)
			continue
		}
		batch = append(batch, Incoming{Raw: m.Raw, UID: m.UID})
		at = append(at, i)
	}
	// The daemon's sender renders the notices, beside the watchers.
	bOuts, bErrs := h.d.deliverBatch(h.work, mailbox, batch, false)
	for j, i := range at {
		outs[i], errs[i] = bOuts[j], bErrs[j]
	}
	h.d.metrics.countBatch(mailbox, outs, errs)
	queued := false
	for i, m := range mails {
		if errs[i] != nil {
			continue // the watcher logs it, with the try, and tries again
		}
		queued = queued || outs[i].Queued > 0
		h.d.log.Debug("imap mail taken", slog.String("mailbox", mailbox), slog.Uint64("uid", uint64(m.UID)),
			slog.String("ticket", outs[i].Ref), slog.Bool("quarantined", outs[i].Quarantined))
	}
	if queued {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
	return errs, nil
}
