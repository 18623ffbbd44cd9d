// Package desk wires the parts of the help desk into one: the config, the
// store, the ticket service, the mail reader and the mail sender. The
// command line and the end-to-end tests build the same Desk, so what the
// tests run is what admins run.
package desk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"helpdesk/config"
	"helpdesk/mailin"
	"helpdesk/mailout"
	"helpdesk/templates"
	"helpdesk/tickets"
	"helpdesk/tickets/sqlstore"
	"helpdesk/tickets/triage"
)

// Options configure Open beyond the config file.
type Options struct {
	// Logger receives structured logs (default: discarded).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Desk is one running help desk.
type Desk struct {
	cfg       *config.Config
	log       *slog.Logger
	now       func() time.Time
	Store     *sqlstore.Store
	Service   *tickets.Service
	Templates *templates.Set
	composer  *composer
	parse     mailin.ParseOptions
	retry     tickets.RetryPolicy
	metrics   *metrics
	watchers  watchers // the IMAP watchers this process runs now
}

// Open loads the templates, opens (and migrates) the database and builds
// the ticket service.
func Open(ctx context.Context, cfg *config.Config, opts Options) (*Desk, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	tpl, err := templates.Open(TemplateOptions(cfg))
	if err != nil {
		return nil, fmt.Errorf("loading templates: %w", err)
	}
	if err := checkTemplates(cfg, tpl); err != nil {
		return nil, err
	}
	if err := smtpOptions(cfg, nil).Validate(); err != nil {
		return nil, fmt.Errorf("%s: smtp: %w", cfg.Path, err)
	}
	store, err := sqlstore.Open(ctx, sqlstore.Options{Driver: cfg.Database.Driver, DSN: cfg.Database.DSN, MaxOpenConns: cfg.Database.MaxOpenConns})
	if err != nil {
		return nil, err
	}
	fromName, fromEmail := cfg.SMTP.FromAddress()
	boxes := map[string]tickets.MailboxInfo{}
	for _, mb := range cfg.Mailboxes {
		boxes[mb.Name] = tickets.MailboxInfo{Address: mb.Address, Queue: mb.Queue}
	}
	d := &Desk{
		cfg:       cfg,
		log:       opts.Logger,
		now:       opts.Now,
		Store:     store,
		Templates: tpl,
		retry: tickets.RetryPolicy{
			Min:         cfg.Outbox.RetryMin.Duration,
			Max:         cfg.Outbox.RetryMax.Duration,
			GiveUpAfter: cfg.Outbox.GiveUpAfter.Duration,
			BatchSize:   cfg.Outbox.BatchSize,
		},
	}
	d.metrics = newMetrics(d)
	triageOpts, err := cfg.TriageOptions()
	if err != nil {
		store.Close()
		return nil, err
	}
	engine, err := triage.New(triageOpts)
	if err != nil {
		store.Close()
		return nil, err
	}
	loops := tickets.LoopPolicy{
		RateLimit:       offIfZero(cfg.Loops.RateLimit),
		DomainRateLimit: offIfZero(cfg.Loops.DomainRateLimit),
		SourceRateLimit: offIfZero(cfg.Loops.SourceRateLimit),
		RateWindow:      cfg.Loops.RateWindow.Duration,
		BounceHold:      cfg.Loops.BounceHold.Duration,
	}
	staff := cfg.Staff()
	comp := &composer{set: tpl, tag: cfg.Tickets.Tag, desk: templates.Desk{Name: fromName, Address: fromEmail},
		agents: agentsByEmail(staff.Agents), baseURL: cfg.HTTP.BaseURL, signer: tickets.NewSigner([]byte(cfg.Security.Secret)),
		linkValid: cfg.CSAT.LinkValidFor.Duration, now: opts.Now}
	svc, err := tickets.NewService(tickets.Options{
		Store:         store,
		Composer:      comp,
		Macros:        comp,
		Languages:     tickets.Languages{Known: cfg.KnownLanguages(), Default: cfg.Templates.Language()},
		Tag:           cfg.Tickets.Tag,
		Secret:        []byte(cfg.Security.Secret),
		From:          tickets.Address{Name: fromName, Email: fromEmail},
		Mailboxes:     boxes,
		FirstTicketID: cfg.Tickets.FirstTicketID,
		ReopenWindow:  cfg.Lifecycle.ReopenWindow.Duration,
		CSAT:          cfg.CSAT.Enabled,
		SLA:           cfg.SLAPolicy(),
		KB:            tickets.KBOptions{BaseURL: cfg.HTTP.BaseURL},
		Web: tickets.WebOptions{UnverifiedFor: cfg.Web.UnverifiedFor.Duration, PerAddress: offIfZero(cfg.Web.PerAddress),
			PerSource: offIfZero(cfg.Web.PerSource), Window: cfg.Web.RateWindow.Duration},
		Timers: tickets.Timers{PendingReminderAfter: cfg.Lifecycle.PendingReminderAfter.Duration,
			PendingResolveAfter: cfg.Lifecycle.PendingResolveAfter.Duration, AutoCloseAfter: cfg.Lifecycle.AutoCloseAfter.Duration,
			VendorReminderAfter: cfg.Lifecycle.VendorReminderAfter.Duration},
		Notify: &tickets.Notify{Resolved: cfg.Notify.Resolved, Pending: cfg.Notify.Pending,
			Closed: cfg.Notify.Closed, Merged: cfg.Notify.Merged},
		Triage: engine,
		Loops:  loops,
		Now:    opts.Now,
		Logger: opts.Logger,

		MaxParticipantsPerMail: cfg.Tickets.MaxParticipantsPerMail,
		Agents:                 staff.Agents,
		Queues:                 staff.Queues,
		Contacts:               cfg.TicketContacts(),
		StripQuoted:            stripQuoted,
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	d.Service = svc
	d.composer = comp
	// Every mail is classified once, as it is read, with what only the
	// ticket service knows: the desk's own mail is known by its loop
	// header or by a Message-ID the desk signed, not by the domain alone
	// (people at that domain, staff, colleagues, write from it too); its
	// own addresses, so that a support address that is itself a list
	// alias (a Google Group) does not make every customer's mail a list's.
	d.parse = mailin.ParseOptions{
		MaxSize: int64(cfg.Tickets.MaxMessageSize),
		Classify: mailin.ClassifyOptions{
			OwnLoopHeader:  svc.LoopHeader(),
			IsOwnMessageID: svc.IsOwnMessageID,
			OwnAddresses:   svc.OwnAddresses(),
		},
	}
	return d, nil
}

// offIfZero turns a limit of 0 in the config, which turns it off, into
// the ticket service's -1 (its 0 means the default).
func offIfZero(limit int) int {
	if limit == 0 {
		return -1
	}
	return limit
}

// Close releases the database.
func (d *Desk) Close() error { return d.Store.Close() }

// Config is the configuration the desk runs with.
func (d *Desk) Config() *config.Config { return d.cfg }

// Outcome is what became of one raw mail.
type Outcome struct {
	tickets.Result
	// Quarantined: the mail could not be taken and is kept aside.
	Quarantined  bool
	QuarantineID int64
	Reason       string
}

// Deliver takes one raw mail that arrived through mailbox: it becomes a
// ticket or a message on one, or, when it cannot be read, goes to the
// quarantine with the reason. An error means nothing was stored and the
// mail must be offered again later.
func (d *Desk) Deliver(ctx context.Context, mailbox string, raw []byte) (Outcome, error) {
	outs, errs := d.DeliverBatch(ctx, mailbox, []Incoming{{Raw: raw}})
	return outs[0], errs[0]
}

// IsTemporary reports whether err, from Deliver or another call of the
// desk, is a condition that passes by itself (the database is busy or
// locked), so that the same call may succeed later.
func IsTemporary(err error) bool { return sqlstore.IsTemporary(err) }

// DeliverFrom is Deliver for a mail read from r (an MTA pipe). It reads at
// most one byte more than max_message_size: a mail over the limit has only
// that head kept in the quarantine, and the rest is read and dropped, so
// that neither memory nor the database grows with what a sender sends.
func (d *Desk) DeliverFrom(ctx context.Context, mailbox string, r io.Reader) (Outcome, error) {
	if d.cfg.Mailbox(mailbox) == nil {
		return Outcome{}, fmt.Errorf("delivering to mailbox %q: no such mailbox in %s", mailbox, d.cfg.Path)
	}
	limit := int64(d.cfg.Tickets.MaxMessageSize)
	raw, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return Outcome{}, fmt.Errorf("reading the mail: %w", err)
	}
	if int64(len(raw)) <= limit {
		return d.Deliver(ctx, mailbox, raw)
	}
	rest, err := io.Copy(io.Discard, r)
	if err != nil {
		return Outcome{}, fmt.Errorf("reading the mail past its first %d bytes: %w", len(raw), err)
	}
	return d.quarantineHead(ctx, mailbox, raw, int64(len(raw))+rest, "the rest was not stored")
}

// quarantineHead keeps head, the first bytes of a mail of size bytes (0:
// unknown) over max_message_size; rest says where the whole mail is.
func (d *Desk) quarantineHead(ctx context.Context, mailbox string, head []byte, size int64, rest string) (Outcome, error) {
	limit := int64(d.cfg.Tickets.MaxMessageSize)
	reason := fmt.Sprintf("mail is over the %s limit", config.Size(limit))
	if size > 0 {
		reason = fmt.Sprintf("mail is %s, over the %s limit", humanSize(size), config.Size(limit))
	}
	reason += fmt.Sprintf("; its first %d bytes are kept here, %s", len(head), rest)
	return d.keep(ctx, &tickets.Quarantined{Mailbox: mailbox, Reason: reason, Raw: head, Truncated: true}, nil)
}

// humanSize writes a byte count the way people read it: "3 MiB", "286.4 MiB".
func humanSize(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size {
			if n%u.size == 0 {
				return fmt.Sprintf("%d %s", n/u.size, u.name)
			}
			return fmt.Sprintf("%.1f %s", float64(n)/float64(u.size), u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// Incoming is one raw mail to deliver, with where it came from.
type Incoming struct {
	Raw []byte
	UID uint32 // the IMAP UID it was fetched under; 0 for other paths
}

// DeliverBatch is Deliver for several mails of one mailbox, stored in one
// transaction (one disk sync for the batch). It returns one outcome and
// one error per mail. The notices it queued are rendered once the batch is
// stored, so that the outbox holds them as they will be sent.
func (d *Desk) DeliverBatch(ctx context.Context, mailbox string, mails []Incoming) ([]Outcome, []error) {
	return d.deliverBatch(ctx, mailbox, mails, true)
}

// deliverBatch is DeliverBatch; without render, the notices are left to
// the sender, which renders what it finds without text (the daemon's,
// which runs beside the IMAP watchers).
func (d *Desk) deliverBatch(ctx context.Context, mailbox string, mails []Incoming, render bool) ([]Outcome, []error) {
	outs := make([]Outcome, len(mails))
	errs := make([]error, len(mails))
	if d.cfg.Mailbox(mailbox) == nil {
		for i := range errs {
			errs[i] = fmt.Errorf("delivering to mailbox %q: no such mailbox in %s", mailbox, d.cfg.Path)
		}
		return outs, errs
	}
	var ins []*tickets.Inbound
	var at []int // index in mails of each of ins
	parsed := d.parseAll(mails)
	for i, m := range mails {
		raw := m.Raw
		msg, err := parsed[i].msg, parsed[i].err
		var perr *mailin.ParseError
		var crash *crashError
		switch {
		case errors.Is(err, mailin.ErrTooLarge) && int64(len(raw)) > int64(d.cfg.Tickets.MaxMessageSize):
			head := raw[:d.cfg.Tickets.MaxMessageSize+1]
			outs[i], errs[i] = d.quarantineHead(ctx, mailbox, head, int64(len(raw)), "the rest was not stored")
		case errors.As(err, &perr):
			outs[i], errs[i] = d.quarantine(ctx, mailbox, perr.Error(), raw)
		case errors.As(err, &crash):
			outs[i], errs[i] = d.keep(ctx, &tickets.Quarantined{Mailbox: mailbox, Reason: "the mail reader failed on this mail: " + crash.Error(), Raw: raw}, crash)
		case err != nil:
			errs[i] = fmt.Errorf("parsing mail for mailbox %q: %w", mailbox, err)
		default:
			ins = append(ins, d.inbound(mailbox, msg, raw))
			at = append(at, i)
		}
	}
	if len(ins) == 0 {
		return outs, errs
	}
	var results []tickets.Result
	var ierrs []error
	var crash *crashError
	if errors.As(safely(func() error {
		results, ierrs = d.Service.IngestBatch(ctx, ins)
		return nil
	}), &crash) {
		// One mail of the batch crashes the ticket code: find it by taking
		// them one by one, and keep it aside, or it would crash the daemon
		// again at every start.
		d.log.ErrorContext(ctx, "internal error on a batch of mail; storing its mails one by one", slog.String("mailbox", mailbox),
			slog.Int("mails", len(ins)), slog.Any("err", crash), slog.String("stack", crash.stack))
		results, ierrs = make([]tickets.Result, len(ins)), make([]error, len(ins))
		for j, in := range ins {
			if err := safely(func() (err error) {
				results[j], err = d.Service.Ingest(ctx, in)
				return err
			}); err != nil {
				ierrs[j] = err
			}
		}
	}
	faultAfterCommit() // the crash tests' kill point; empty in a normal build
	if render {
		d.Service.RenderQueued(ctx, results)
	}
	for j, i := range at {
		var crash *crashError
		switch {
		case errors.Is(ierrs[j], tickets.ErrUnusable):
			outs[i], errs[i] = d.quarantine(ctx, mailbox, ierrs[j].Error(), mails[i].Raw)
		case errors.As(ierrs[j], &crash):
			outs[i], errs[i] = d.keep(ctx, &tickets.Quarantined{Mailbox: mailbox, Reason: "storing this mail failed: " + crash.Error(), Raw: mails[i].Raw}, crash)
		case ierrs[j] != nil:
			errs[i] = ierrs[j]
		default:
			outs[i] = Outcome{Result: results[j]}
			d.logStored(ctx, ins[j], mails[i].UID, results[j])
		}
	}
	return outs, errs
}

// logStored says what became of a stored mail, with the IMAP UID it was
// fetched under when it came that way (uid 0: it did not).
func (d *Desk) logStored(ctx context.Context, in *tickets.Inbound, uid uint32, res tickets.Result) {
	attrs := []slog.Attr{slog.String("mailbox", in.Mailbox)}
	if uid != 0 {
		attrs = append(attrs, slog.Uint64("uid", uint64(uid)))
	}
	attrs = append(attrs, slog.String("message_id", in.MessageID),
		slog.String("ticket", res.Ref), slog.Bool("new", res.Created), slog.Bool("duplicate", res.Duplicate),
		slog.String("threaded_by", res.ThreadedBy))
	d.log.LogAttrs(ctx, slog.LevelInfo, "mail stored", attrs...)
}

// parsed is a mail as the reader read it, or why it could not.
type parsed struct {
	msg *mailin.Message
	err error
}

// parseAll reads mails on as many goroutines as there are CPUs: reading
// is most of the work of a batch outside its transaction, and the mails
// do not depend on each other.
func (d *Desk) parseAll(mails []Incoming) []parsed {
	out := make([]parsed, len(mails))
	eachAtOnce(len(mails), func(i int) {
		out[i].err = safely(func() (err error) {
			out[i].msg, err = mailin.Parse(mails[i].Raw, d.parse)
			return err
		})
	})
	return out
}

// eachAtOnce runs f(0) to f(n-1), on up to GOMAXPROCS goroutines.
func eachAtOnce(n int, f func(i int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				f(i)
			}
		})
	}
	wg.Wait()
}

// crashError is a panic on one mail, caught so that the mail is kept aside
// rather than crash the daemon again each time it is offered. It carries
// the stack for the one log record of whoever handles it.
type crashError struct {
	value any
	stack string
}

func (e *crashError) Error() string { return fmt.Sprintf("internal error: %v", e.value) }

// safely runs f and turns a panic into a *crashError with its stack.
func safely(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &crashError{value: v, stack: string(debug.Stack())}
		}
	}()
	return f()
}

func (d *Desk) quarantine(ctx context.Context, mailbox, reason string, raw []byte) (Outcome, error) {
	return d.keep(ctx, &tickets.Quarantined{Mailbox: mailbox, Reason: reason, Raw: raw}, nil)
}

// keep stores q in the quarantine, or finds the same bytes held there.
// crash, when not nil, is the internal error that put it there: the log
// record says so, at level error, with the stack.
func (d *Desk) keep(ctx context.Context, q *tickets.Quarantined, crash *crashError) (Outcome, error) {
	q.CreatedAt = d.now()
	if err := d.Store.Quarantine(ctx, q); err != nil {
		return Outcome{}, fmt.Errorf("quarantining mail for mailbox %q (%s): %w", q.Mailbox, q.Reason, err)
	}
	msg := "mail quarantined"
	if q.Again {
		msg = "mail already in the quarantine"
	}
	level := slog.LevelWarn
	attrs := []slog.Attr{slog.String("mailbox", q.Mailbox), slog.Int64("quarantine", q.ID),
		slog.String("reason", q.Reason), slog.Int("size", len(q.Raw)), slog.Bool("truncated", q.Truncated)}
	if crash != nil {
		level, msg = slog.LevelError, "internal error on a mail; "+msg
		attrs = append(attrs, slog.String("stack", crash.stack))
	}
	d.log.LogAttrs(ctx, level, msg, attrs...)
	return Outcome{Quarantined: true, QuarantineID: q.ID, Reason: q.Reason}, nil
}

// inbound converts a parsed mail, classified as it was read (see Open),
// into the ticket service's terms.
func (d *Desk) inbound(mailbox string, m *mailin.Message, raw []byte) *tickets.Inbound {
	in := &tickets.Inbound{
		Mailbox:     mailbox,
		MessageID:   m.MessageID,
		InReplyTo:   m.InReplyTo,
		References:  m.References,
		From:        addr(m.From),
		ReplyTo:     addrs(m.ReplyTo),
		To:          addrs(m.To),
		Cc:          addrs(m.Cc),
		Recipients:  m.Recipients,
		Subject:     m.Subject,
		Date:        m.Date,
		Text:        m.Text,
		HTML:        m.HTML,
		ContentHash: m.ContentHash,
		Raw:         raw,
	}
	if auto := m.Auto; auto.Kind != mailin.KindPerson {
		in.AutoKind = autoKind(auto.Kind)
		in.AutoReason = string(auto.Kind) + ": " + auto.Reason
		in.BounceOf = auto.OriginalMessageIDs
		in.FailedRecipients = auto.FailedRecipients
		if !strings.Contains(in.From.Email, "@") {
			// RFC 5321 4.5.5: reports come from the null sender; the
			// ticket still needs someone to name.
			in.From = tickets.Address{Name: "Mail Delivery System", Email: "mailer-daemon@invalid"}
		}
	}
	if len(m.Header) > 0 {
		in.Header = m.Header
	}
	if ip := mailin.ConnectingIP(m.Header); ip.IsValid() {
		in.Source = ip.String()
	}
	if trusted := d.cfg.Security.TrustedAuthservIDs; len(trusted) > 0 {
		v := mailin.VerifySender(m.Header, trusted, m.From, m.ReplyTo)
		in.Sender = &tickets.SenderCheck{FromVerified: v.FromVerified, Verified: v.Verified, Why: v.Why}
	}
	for _, a := range m.Attachments {
		in.Attachments = append(in.Attachments, tickets.Attachment{
			Filename: a.Filename, ContentType: a.ContentType, Size: int64(len(a.Data)), Data: a.Data,
		})
	}
	return in
}

// autoKind maps the mail reader's verdict into the domain's kinds.
func autoKind(k mailin.AutoKind) tickets.AutoKind {
	switch k {
	case mailin.KindPerson:
		return tickets.AutoPerson
	case mailin.KindOwn:
		return tickets.AutoOwn
	case mailin.KindBounce:
		return tickets.AutoBounce
	case mailin.KindFeedbackReport:
		return tickets.AutoFeedbackReport
	case mailin.KindList:
		return tickets.AutoList
	case mailin.KindBulk:
		return tickets.AutoBulk
	}
	// mailin.KindAutoReply, and any kind the reader learns later: a
	// machine's mail all the same, never answered.
	return tickets.AutoReply
}

func addr(a mailin.Address) tickets.Address {
	return tickets.Address{Name: a.Name, Email: tickets.EmailKey(a.Email)}
}

func addrs(as []mailin.Address) []tickets.Address {
	out := make([]tickets.Address, 0, len(as))
	for _, a := range as {
		out = append(out, addr(a))
	}
	return out
}

// RetryQuarantined reads a quarantined mail again (after a fix to the
// reader, say) and takes it if it can now be read.
func (d *Desk) RetryQuarantined(ctx context.Context, id int64) (Outcome, error) {
	q, err := d.Store.QuarantineGet(ctx, id)
	if err != nil {
		return Outcome{}, fmt.Errorf("loading quarantined mail %d: %w", id, err)
	}
	if !q.ReleasedAt.IsZero() {
		return Outcome{}, fmt.Errorf("quarantined mail %d was already released into %s", id, d.Service.Ref(q.TicketID))
	}
	if q.Truncated {
		// Reading a cut mail would make a ticket of half a mail.
		return Outcome{Quarantined: true, QuarantineID: id, Reason: "only the head of this mail was kept, and a head cannot be taken: " + q.Reason}, nil
	}
	msg, err := mailin.Parse(q.Raw, d.parse)
	if err != nil {
		return Outcome{Quarantined: true, QuarantineID: id, Reason: err.Error()}, nil
	}
	in := d.inbound(q.Mailbox, msg, q.Raw)
	res, err := d.Service.Ingest(ctx, in)
	if errors.Is(err, tickets.ErrUnusable) {
		return Outcome{Quarantined: true, QuarantineID: id, Reason: err.Error()}, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	d.logStored(ctx, in, 0, res)
	err = d.Store.InTx(ctx, func(tx tickets.Tx) error {
		return tx.QuarantineReleased(ctx, id, res.TicketID, d.now())
	})
	if err != nil {
		return Outcome{}, fmt.Errorf("releasing quarantined mail %d: %w", id, err)
	}
	return Outcome{Result: res}, nil
}

// NewMailer returns an SMTP mailer for the desk's outbox.
func (d *Desk) NewMailer() *Mailer {
	return &Mailer{sender: mailout.NewSender(smtpOptions(d.cfg, d.log))}
}

func smtpOptions(cfg *config.Config, log *slog.Logger) mailout.Options {
	s := cfg.SMTP
	return mailout.Options{
		Host: s.Host, Port: s.Port, TLS: s.TLS, Username: s.Username, Password: s.Password,
		HELO: s.HELO, Timeout: s.Timeout.Duration, InsecureSkipVerify: s.InsecureSkipVerify, Logger: log,
	}
}

// checkTemplates makes sure every template a rule names exists, so that a
// typo shows at start and not as a missing acknowledgement.
func checkTemplates(cfg *config.Config, set *templates.Set) error {
	var errs []error
	for i, r := range cfg.Rules {
		if name := r.Then.AckTemplate; name != "" && !slices.Contains(set.Names(), name) {
			errs = append(errs, fmt.Errorf("%s: rule[%d].then.ack_template: no template %q (known: %s)",
				cfg.Path, i, name, strings.Join(set.Names(), ", ")))
		}
	}
	return errors.Join(errs...)
}

// FlushOutbox delivers what is due on the outbox through mailer, then returns.
func (d *Desk) FlushOutbox(ctx context.Context, mailer *Mailer) (tickets.FlushStats, error) {
	return d.Service.FlushOutbox(ctx, mailer, d.retry)
}

// RulesReport is what ingest would make of a mail, for `rules test`.
type RulesReport struct {
	Mailbox    string
	Subject    string
	From       string
	AutoReason string // non-empty: a robot's mail, never answered
	// Ingest is what ingest would do with the mail now.
	Ingest tickets.Trial
	// NewTicket is what the mail makes of a new ticket: Ingest when it
	// would open one; else what it would do if it opened one, so that the
	// rules can be tried on a mail that answers a ticket or is stored.
	NewTicket tickets.Trial
}

// TestRules parses raw as if it arrived at mailbox and takes it as
// ingest does, in transactions that are rolled back
// (tickets.Service.DryRun): the same code, so the same answer, and
// nothing stored.
func (d *Desk) TestRules(ctx context.Context, mailbox string, raw []byte) (RulesReport, error) {
	if d.cfg.Mailbox(mailbox) == nil {
		return RulesReport{}, fmt.Errorf("no mailbox %q in %s", mailbox, d.cfg.Path)
	}
	msg, err := mailin.Parse(raw, d.parse)
	if err != nil {
		return RulesReport{}, fmt.Errorf("reading the mail: %w", err)
	}
	in := d.inbound(mailbox, msg, raw)
	r := RulesReport{Mailbox: mailbox, Subject: in.Subject, From: in.From.Email, AutoReason: in.AutoReason}
	if r.Ingest, err = d.Service.DryRun(ctx, in); err != nil {
		return RulesReport{}, err
	}
	r.NewTicket = r.Ingest
	if !r.Ingest.Created {
		if r.NewTicket, err = d.Service.DryRunNewTicket(ctx, in); err != nil {
			return RulesReport{}, err
		}
	}
	return r, nil
}
