package imapwatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"
)

// Handler stores mail durably.
type Handler interface {
	// HandleBatch stores each mail of one batch. The first result holds one
	// error per mail: nil once that mail is committed (as a ticket message or
	// in the quarantine), only then is it marked done on the server; an error
	// means "not stored, try again later" and leaves the mail unmarked. The
	// second result fails the whole batch. A Handler must dedupe by
	// Message-ID: after a crash a stored mail can be delivered again.
	HandleBatch(ctx context.Context, mailbox string, mails []Mail) ([]error, error)
}

// Mail is one message as fetched from the server.
type Mail struct {
	UID          uint32
	Raw          []byte    // the whole RFC 5322 message, as stored on the server
	InternalDate time.Time // when the server received it
	// Truncated is set when the mail is larger than Options.MaxMessageSize:
	// Raw then holds only its first MaxMessageSize+1 bytes, and the Handler
	// should quarantine it as over-size rather than parse it.
	Truncated bool
}

// State remembers, per mailbox name, the UIDVALIDITY and the highest UID
// handled. A uidValidity of 0 with a lastUID means that first contact is not
// finished (an unseen mail below lastUID still fails); LoadState must return
// the pair as saved.
type State interface {
	// LoadState returns zeros when the mailbox is unknown.
	LoadState(ctx context.Context, mailbox string) (uidValidity, lastUID uint32, err error)
	SaveState(ctx context.Context, mailbox string, uidValidity, lastUID uint32) error
}

// TLS modes for Options.TLS.
const (
	TLSImplicit = "tls"      // TLS from the first byte (port 993)
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS (port 143)
	TLSNone     = "none"     // no encryption (loopback and tests only)
)

// Authentication mechanisms for Options.Auth.
const (
	AuthPlain       = "plain"       // LOGIN, or AUTHENTICATE PLAIN when the server announces LOGINDISABLED
	AuthXOAuth2     = "xoauth2"     // AUTHENTICATE XOAUTH2 (Gmail, Microsoft 365)
	AuthOAuthBearer = "oauthbearer" // AUTHENTICATE OAUTHBEARER (RFC 7628)
)

// Options configures a Watcher. Zero values take the defaults noted.
type Options struct {
	// Name is the mailbox name in the config; it keys the State and is
	// logged as "mailbox". Default: Username@Host.
	Name string
	// Host and Port of the IMAP server. Port defaults to 993 for TLS "tls"
	// and to 143 otherwise.
	Host string
	Port int
	// TLS is "tls" (default), "starttls" or "none".
	TLS string
	// InsecureSkipVerify accepts any server certificate.
	InsecureSkipVerify bool
	// Username and Password log in. The password is used with Auth "plain"
	// only.
	Username, Password string
	// Auth is "plain" (default), "xoauth2" or "oauthbearer".
	Auth string
	// TokenCommand is the argv run before each login with "xoauth2" or
	// "oauthbearer"; its standard output, trimmed, is the access token.
	TokenCommand []string
	// Folder is the watched folder. Default "INBOX".
	Folder string
	// ProcessedFolder, when set, is where handled mails are moved (MOVE, or
	// COPY + \Deleted + EXPUNGE on servers without MOVE); it is created when
	// missing. When empty, handled mails are flagged \Seen and stay.
	ProcessedFolder string
	// PollInterval is the time between searches when IDLE is not used.
	// Default 30s.
	PollInterval time.Duration
	// IDLE waits in IDLE when the server offers it, instead of polling.
	IDLE bool
	// IdleRefresh is how long one IDLE lasts before it is re-issued (servers
	// drop IDLE after 30 minutes). Default 25m.
	IdleRefresh time.Duration
	// BatchSize is the number of mails fetched per round trip and handed to
	// the Handler at once; a batch is held in memory whole. Default 200.
	BatchSize int
	// MaxBatchBytes caps a batch by the sizes the server gives
	// (RFC822.SIZE) as BatchSize caps it by count, so that a batch of large
	// mails fits in memory. A mail larger than MaxBatchBytes makes a batch
	// of its own. Default 64 MiB.
	MaxBatchBytes int64
	// MaxMessageSize, when above 0, is the largest mail fetched whole: of a
	// larger one only the first MaxMessageSize+1 bytes are fetched and
	// handed over with Mail.Truncated set. Default 0: no limit.
	MaxMessageSize int64
	// Handler stores the mails. Required.
	Handler Handler
	// State keeps the cursor. Required.
	State State
	// Logger receives the log; nil discards it.
	Logger *slog.Logger
	// Now is the clock, used as the InternalDate of a mail the server gave
	// none; nil means time.Now. Waits use real time.
	Now func() time.Time
	// Backoff is the wait before reconnect attempt n (n >= 1). Default:
	// exponential from 1s to 5m, with jitter.
	Backoff func(attempt int) time.Duration
	// StepTook, when set, is told how long each step of a batch took:
	// StepFetch (its UID FETCH), StepStore (the Handler) and StepMark
	// (\Seen or the move). It is called from the Handler's goroutine for
	// StepStore, so it must be safe for concurrent use.
	StepTook func(step string, took time.Duration)
}

// The steps of a batch, for Options.StepTook.
const (
	StepFetch = "fetch"
	StepStore = "store"
	StepMark  = "mark"
)

// Status is a snapshot of a Watcher for logs and health checks.
type Status struct {
	Connected   bool   // logged in and the folder selected
	LastError   string // the error that ended the last connection; "" after a good round
	LastUID     uint32 // the cursor
	UIDValidity uint32 // the UIDVALIDITY the cursor belongs to
	Handled     int64  // mails stored by the Handler since New
	// LastRound is when the folder was last searched and its new mails
	// handled; zero before the first round.
	LastRound time.Time
	// Idling is true while the connection waits in IDLE, the server
	// telling of new mail the moment it comes.
	Idling bool
	// Stuck lists, ascending, the UIDs the server would not serve (a NO
	// to the FETCH, no body, or the connection dropped while fetching
	// it). Each is retried with backoff and holds the cursor; the other
	// mails go on.
	Stuck []uint32
}

// Watcher watches one mailbox. Create it with New and run it with Run.
type Watcher struct {
	opts Options
	log  *slog.Logger
	kick chan struct{}

	mu     sync.Mutex
	status Status

	// commandTimeout is how long the server may stay silent while we wait
	// for it; tests shorten it.
	commandTimeout time.Duration

	// Owned by the Run goroutine.
	attempt int
	// done holds the UIDs above the saved cursor that are handled and marked
	// but could not advance the cursor because a lower UID failed.
	done map[uint32]bool
	// retries holds the mails the server would not serve or the Handler
	// could not store, by UID.
	retries map[uint32]retry
	// suspect holds the UIDs that were being fetched when the connection
	// died (Dovecot hangs up on a mail file it cannot read): each is
	// fetched on its own, after the others, until it comes through.
	suspect     map[uint32]bool
	doneForUIDV uint32 // the UIDVALIDITY done, retries and suspect belong to
}

// New checks opts, applies the defaults and returns a Watcher.
func New(opts Options) (*Watcher, error) {
	var problems []string
	if opts.Host == "" {
		problems = append(problems, "host is empty")
	}
	switch opts.TLS {
	case "":
		opts.TLS = TLSImplicit
	case TLSImplicit, TLSStartTLS, TLSNone:
	default:
		problems = append(problems, fmt.Sprintf("tls %q is not one of tls, starttls, none", opts.TLS))
	}
	if opts.Port == 0 {
		opts.Port = 143
		if opts.TLS == TLSImplicit {
			opts.Port = 993
		}
	}
	if opts.Port < 0 || opts.Port > 65535 {
		problems = append(problems, fmt.Sprintf("port %d is out of range", opts.Port))
	}
	if opts.Username == "" {
		problems = append(problems, "username is empty")
	}
	switch opts.Auth {
	case "":
		opts.Auth = AuthPlain
	case AuthPlain, AuthXOAuth2, AuthOAuthBearer:
	default:
		problems = append(problems, fmt.Sprintf("auth %q is not one of plain, xoauth2, oauthbearer", opts.Auth))
	}
	if opts.Auth == AuthPlain && opts.Password == "" {
		problems = append(problems, "password is empty")
	}
	if (opts.Auth == AuthXOAuth2 || opts.Auth == AuthOAuthBearer) && len(opts.TokenCommand) == 0 {
		problems = append(problems, fmt.Sprintf("auth %s needs a token command", opts.Auth))
	}
	if opts.Folder == "" {
		opts.Folder = "INBOX"
	}
	if opts.ProcessedFolder != "" && opts.ProcessedFolder == opts.Folder {
		problems = append(problems, fmt.Sprintf("processed folder %q is the watched folder", opts.ProcessedFolder))
	}
	if opts.PollInterval < 0 || opts.IdleRefresh < 0 || opts.BatchSize < 0 || opts.MaxBatchBytes < 0 || opts.MaxMessageSize < 0 {
		problems = append(problems, "poll interval, idle refresh, batch size, max batch bytes and max message size must not be negative")
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = 30 * time.Second
	}
	if opts.IdleRefresh == 0 {
		opts.IdleRefresh = 25 * time.Minute
	}
	if opts.BatchSize == 0 {
		opts.BatchSize = 200
	}
	if opts.MaxBatchBytes == 0 {
		opts.MaxBatchBytes = 64 << 20
	}
	if opts.Handler == nil {
		problems = append(problems, "handler is nil")
	}
	if opts.State == nil {
		problems = append(problems, "state is nil")
	}
	if opts.Name == "" {
		opts.Name = opts.Username + "@" + opts.Host
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("imap mailbox %q: %s", opts.Name, strings.Join(problems, "; "))
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Backoff == nil {
		opts.Backoff = DefaultBackoff
	}
	return &Watcher{
		opts:           opts,
		log:            opts.Logger.With("mailbox", opts.Name),
		commandTimeout: commandTimeout,
		kick:           make(chan struct{}, 1),
		done:           make(map[uint32]bool),
		retries:        make(map[uint32]retry),
		suspect:        make(map[uint32]bool),
	}, nil
}

// DefaultBackoff waits 1s before the first reconnect, doubling up to 5m, each
// wait picked at random between half and all of that.
func DefaultBackoff(attempt int) time.Duration {
	d := time.Second
	for i := 1; i < attempt && d < 5*time.Minute; i++ {
		d *= 2
	}
	d = min(d, 5*time.Minute)
	return d/2 + rand.N(d/2+1)
}

// Run watches the mailbox until ctx is done, then returns nil. It never
// returns on IMAP or Handler errors: it logs them, backs off and reconnects.
// Run must not be called twice at the same time on one Watcher.
func (w *Watcher) Run(ctx context.Context) error {
	w.log.Info("watching mailbox", "host", w.opts.Host, "folder", w.opts.Folder)
	for {
		stable, err := w.session(ctx)
		w.setStatus(func(s *Status) { s.Connected = false })
		if ctx.Err() != nil {
			w.log.Info("stopped watching mailbox")
			return nil
		}
		if err == nil {
			err = errors.New("connection ended")
		}
		if stable {
			w.attempt = 0
		}
		w.attempt++
		w.setStatus(func(s *Status) { s.LastError = err.Error() })
		wait := w.opts.Backoff(w.attempt)
		w.log.Warn("mailbox connection failed, reconnecting", "err", err, "attempt", w.attempt, "wait", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			w.log.Info("stopped watching mailbox")
			return nil
		case <-t.C:
		}
	}
}

// Kick wakes the Watcher now, like a poll tick. It never blocks. During a
// reconnect backoff the kick is remembered for when the connection is back.
func (w *Watcher) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Status returns a snapshot of the Watcher's state.
func (w *Watcher) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status
}

// forgetAll drops what the Watcher remembers about UIDs: they belong to a
// numbering that is gone.
func (w *Watcher) forgetAll() {
	clear(w.done)
	clear(w.retries)
	clear(w.suspect)
	w.publishStuck()
}

// retryLater schedules uid for another try after Backoff of its attempt
// number; unfetchable says whether the server (not the Handler) failed it.
func (w *Watcher) retryLater(uid uint32, unfetchable bool) (attempt int, wait time.Duration) {
	r := w.retries[uid]
	r.attempt++
	wait = w.opts.Backoff(r.attempt)
	r.due = time.Now().Add(wait)
	r.unfetchable = unfetchable
	w.retries[uid] = r
	return r.attempt, wait
}

// logRetry logs a retry as a warning, from the loudAttempts-th try on as an
// error: a mail failing that often needs a person.
func (w *Watcher) logRetry(msg string, uid any, err error, attempt int, wait time.Duration) {
	level := slog.LevelWarn
	if attempt >= loudAttempts {
		level = slog.LevelError
	}
	w.log.Log(context.Background(), level, msg, "uid", uid, "err", err, "attempt", attempt, "wait", wait)
}

// publishStuck copies the UIDs the server would not serve into the Status.
func (w *Watcher) publishStuck() {
	var stuck []uint32
	for uid, r := range w.retries {
		if r.unfetchable {
			stuck = append(stuck, uid)
		}
	}
	slices.Sort(stuck)
	w.mu.Lock()
	defer w.mu.Unlock()
	if !slices.Equal(stuck, w.status.Stuck) {
		w.status.Stuck = stuck // a new slice: snapshots share the old one
	}
}

func (w *Watcher) setStatus(f func(*Status)) {
	w.mu.Lock()
	f(&w.status)
	w.mu.Unlock()
}
