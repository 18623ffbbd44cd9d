package mailout

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// TLS modes for Options.TLS.
const (
	TLSNone     = "none"     // plain SMTP, never STARTTLS
	TLSStartTLS = "starttls" // STARTTLS is mandatory (RFC 3207)
	TLSImplicit = "tls"      // TLS from the first byte (RFC 8314 "submissions")
)

// Options configures a Sender. Only Host is required.
type Options struct {
	// Host is the SMTP server's name or IP address; it is also the name the
	// server's certificate is checked against.
	Host string
	// Port defaults to 25 for "none", 587 for "starttls" and 465 for "tls".
	Port int
	// TLS is "none", "starttls" (default) or "tls".
	TLS string
	// Username and Password, when Username is set, authenticate with AUTH
	// PLAIN, or LOGIN when the server offers only that. Neither is sent over
	// an unencrypted connection except to localhost.
	Username, Password string
	// HELO is the name sent in EHLO; default: this machine's hostname.
	HELO string
	// Timeout bounds dialling and each mail transaction; default 30s.
	Timeout time.Duration
	// MaxIdle is how long an unused connection is kept for the next Send
	// before it is closed and redialled; default 60s.
	MaxIdle time.Duration
	// InsecureSkipVerify skips certificate checks: for tests and
	// self-signed servers only.
	InsecureSkipVerify bool
	// Logger receives debug events about connections; nil discards them.
	Logger *slog.Logger
}

// Validate reports the first problem with the options, if any.
func (o Options) Validate() error {
	if o.Host == "" {
		return errors.New("smtp host is empty")
	}
	switch o.TLS {
	case "", TLSNone, TLSStartTLS, TLSImplicit:
	default:
		return fmt.Errorf("smtp tls mode %q is not one of none, starttls, tls", o.TLS)
	}
	if o.Port < 0 || o.Port > 65535 {
		return fmt.Errorf("smtp port %d is out of range", o.Port)
	}
	if o.Timeout < 0 || o.MaxIdle < 0 {
		return errors.New("smtp timeout and max idle must not be negative")
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.TLS == "" {
		o.TLS = TLSStartTLS
	}
	if o.Port == 0 {
		switch o.TLS {
		case TLSNone:
			o.Port = 25
		case TLSImplicit:
			o.Port = 465
		default:
			o.Port = 587
		}
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxIdle == 0 {
		o.MaxIdle = 60 * time.Second
	}
	if o.HELO == "" {
		if h, err := os.Hostname(); err == nil && h != "" {
			o.HELO = h
		} else {
			o.HELO = "localhost"
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Error is a delivery failure. Retry is decided on Temporary, never by
// matching the message:
//   - network errors (refused, reset, timeout) and TLS or protocol trouble
//     while connecting are Temporary with Code 0;
//   - a 4xx reply is Temporary, a 5xx reply is not, with Code set;
//   - a Mail that cannot be built and invalid Options are not Temporary,
//     with Code 0.
//
// A recipient refused by the server fails the whole mail; nothing is sent.
type Error struct {
	Temporary bool
	Code      int // SMTP reply code, 0 when the server gave none
	Err       error
}

func (e *Error) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	return fmt.Sprintf("%v (%s)", e.Err, kind)
}

func (e *Error) Unwrap() error { return e.Err }

// IsTemporary reports whether err is an *Error that may succeed on retry.
func IsTemporary(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Temporary
}

// Sender delivers mails over one reused SMTP connection. It dials on the
// first Send, keeps the connection for the next one, and redials when the
// connection was dropped, idle for longer than MaxIdle, or failed.
//
// A Sender is not safe for concurrent use: one goroutine at a time (use one
// Sender per worker).
type Sender struct {
	opts Options
	err  error // from Options.Validate, returned by every Send

	client   *gomail.Client // configuration only; connections are held below
	smtp     *smtp.Client   // the open connection, nil when there is none
	lastUsed time.Time

	mu   sync.Mutex // guards conn: a context's AfterFunc closes it from another goroutine
	conn net.Conn   // the socket of the newest connection
}

// NewSender returns a Sender for opts. It does not connect; invalid options
// are reported by every Send as a permanent *Error.
func NewSender(opts Options) *Sender {
	s := &Sender{opts: opts.withDefaults()}
	if err := opts.Validate(); err != nil {
		s.err = fmt.Errorf("configuring smtp sender: %w", err)
		return s
	}
	if s.client, s.err = s.newClient(); s.err != nil {
		s.err = fmt.Errorf("configuring smtp client for %s: %w", s.addr(), s.err)
	}
	return s
}

func (s *Sender) addr() string {
	return net.JoinHostPort(s.opts.Host, strconv.Itoa(s.opts.Port))
}

func (s *Sender) tlsConfig() *tls.Config {
	return &tls.Config{
		ServerName:         s.opts.Host,
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: s.opts.InsecureSkipVerify, //nolint:gosec // documented test-only option
	}
}

func (s *Sender) newClient() (*gomail.Client, error) {
	o := s.opts
	opts := []gomail.Option{
		gomail.WithPort(o.Port),
		gomail.WithTimeout(o.Timeout),
		gomail.WithHELO(o.HELO),
		gomail.WithTLSConfig(s.tlsConfig()),
		gomail.WithDialContextFunc(s.dial),
	}
	switch o.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		// s.dial does the handshake; WithSSL tells go-mail not to STARTTLS.
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if o.Username != "" {
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(o.Username),
			gomail.WithPassword(o.Password))
	}
	return gomail.NewClient(o.Host, opts...)
}

// dial opens the socket (with the TLS handshake for implicit TLS) and keeps
// it, so Send can close it when its context ends.
func (s *Sender) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: s.opts.Timeout}
	var conn net.Conn
	var err error
	if s.opts.TLS == TLSImplicit {
		conn, err = (&tls.Dialer{NetDialer: d, Config: s.tlsConfig()}).DialContext(ctx, network, addr)
	} else {
		conn, err = d.DialContext(ctx, network, addr)
	}
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.conn = conn
	s.mu.Unlock()
	return conn, nil
}

// Send delivers m: envelope sender m.From.Email, recipients To then Cc. A
// returned error is an *Error. A connection that turns out to be dead before
// anything was sent is redialled once within the same call.
func (s *Sender) Send(ctx context.Context, m *Mail) error {
	if s.err != nil {
		return &Error{Err: s.err}
	}
	w, err := m.wire()
	if err != nil {
		return &Error{Err: err}
	}
	for attempt := 0; ; attempt++ {
		reused, err := s.connect(ctx)
		if err != nil {
			// A refusal before any mail was offered (the greeting, EHLO,
			// STARTTLS, AUTH) says nothing about this mail: an expired
			// password or AUTH switched off must not fail every queued mail
			// for good. The code stays, for the log and the ticket event.
			e := s.failure(ctx, fmt.Errorf("connecting to smtp %s: %w", s.addr(), err))
			e.Temporary = true
			return e
		}
		first, err := s.transact(ctx, w, reused)
		if err == nil {
			s.lastUsed = time.Now()
			return nil
		}
		var reply *textproto.Error
		if reused && first && attempt == 0 && ctx.Err() == nil && (!errors.As(err, &reply) || reply.Code == 421) {
			// The first command of the transaction found the connection
			// gone (no reply, or 421 closing): the server dropped it while
			// it was idle, and took nothing. Redial.
			s.drop("stale")
			continue
		}
		return s.failure(ctx, fmt.Errorf("sending mail %s via %s: %w", m.label(), s.addr(), err))
	}
}

// connect makes sure there is an open connection and reports whether it was
// already open.
func (s *Sender) connect(ctx context.Context) (reused bool, err error) {
	if s.smtp != nil {
		if time.Since(s.lastUsed) <= s.opts.MaxIdle {
			return true, nil
		}
		s.quit("idle")
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	stop := context.AfterFunc(ctx, s.closeConn)
	c, err := s.client.DialToSMTPClientWithContext(ctx)
	stop()
	if err != nil {
		s.closeConn() // go-mail leaves the socket open when EHLO, STARTTLS or AUTH fail
		return false, err
	}
	s.smtp = c
	s.lastUsed = time.Now()
	s.opts.Logger.Debug("smtp connection opened", "addr", s.addr(), "tls", s.opts.TLS)
	return false, nil
}

// checkIdleAfter is how long a connection may sit unused before a
// transaction on it starts with a NOOP, to find out whether the server
// still holds it.
const checkIdleAfter = time.Second

// transact runs one mail transaction (RFC 5321 3.3: MAIL, RCPT, DATA),
// closing the socket if ctx ends meanwhile. first reports that err came
// from the transaction's first command, before the server took anything.
// After the end of the data the server is ready for the next mail: no
// RSET, and no NOOP unless the connection sat idle.
func (s *Sender) transact(ctx context.Context, w *wireMail, reused bool) (first bool, err error) {
	stop := context.AfterFunc(ctx, s.closeConn)
	defer stop()
	if err := s.smtp.UpdateDeadline(s.opts.Timeout); err != nil {
		return true, err
	}
	if reused && time.Since(s.lastUsed) > checkIdleAfter {
		if err := s.smtp.Noop(); err != nil {
			return true, err
		}
	}
	if ok, _ := s.smtp.Extension("PIPELINING"); ok {
		return s.pipelined(w)
	}
	if err := s.smtp.Mail(w.from); err != nil {
		return true, err
	}
	for _, to := range w.rcpts {
		if err := s.smtp.Rcpt(to); err != nil {
			return false, err
		}
	}
	data, err := s.smtp.Data()
	if err != nil {
		return false, err
	}
	// go-mail's Close reads the reply to the end of the data.
	if _, err := data.Write(w.data); err != nil {
		data.Close()
		return false, err
	}
	traceDelivery("dot", w.rcpts)
	if err := data.Close(); err != nil {
		return false, err
	}
	traceDelivery("250", w.rcpts)
	return false, nil
}

// pipelined runs the transaction where the server offers PIPELINING
// (RFC 2920): MAIL, each RCPT and DATA go out in one write, and their
// replies are read in order, then the data and its reply: two round trips
// a mail, not three and one per recipient. MAIL and RCPT are written as
// go-mail writes them. Any refusal fails the mail, as without pipelining;
// the caller drops the connection, so a DATA the server accepted after a
// refused recipient never gets its data.
func (s *Sender) pipelined(w *wireMail) (first bool, err error) {
	t := s.smtp.Text
	mail := "MAIL FROM:" + w.from
	if ok, _ := s.smtp.Extension("8BITMIME"); ok {
		mail += " BODY=8BITMIME"
	}
	if ok, _ := s.smtp.Extension("SMTPUTF8"); ok {
		mail += " SMTPUTF8"
	}
	cmds := []string{mail}
	for _, to := range w.rcpts {
		cmds = append(cmds, "RCPT TO:"+to)
	}
	for _, c := range cmds {
		if strings.ContainsAny(c, "\r\n") {
			return false, fmt.Errorf("smtp: a line break in %q", c)
		}
	}
	t.W.WriteString(strings.Join(cmds, "\r\n") + "\r\nDATA\r\n")
	if err := t.W.Flush(); err != nil {
		return true, err
	}
	if _, _, err := t.ReadResponse(250); err != nil {
		return true, err
	}
	var refused error
	for range w.rcpts {
		if _, _, err := t.ReadResponse(25); err != nil && refused == nil {
			refused = err
		}
	}
	if _, _, err := t.ReadResponse(354); refused == nil && err != nil {
		refused = err
	}
	if refused != nil {
		return false, refused
	}
	if err := writeDotStuffed(t.W, w.data); err != nil {
		return false, err
	}
	traceDelivery("dot", w.rcpts)
	if err := t.W.Flush(); err != nil {
		return false, err
	}
	if _, _, err := t.ReadResponse(250); err != nil {
		return false, err
	}
	traceDelivery("250", w.rcpts)
	return false, nil
}

// failure drops the connection and classifies err.
func (s *Sender) failure(ctx context.Context, err error) *Error {
	s.drop("failure")
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		err = fmt.Errorf("%w (%w)", err, ctxErr)
	}
	temp, code := classify(err)
	return &Error{Temporary: temp, Code: code, Err: err}
}

// classify decides retry from types and reply codes: a 4xx reply is
// temporary, a 5xx reply permanent, and a failure without a reply is a
// network or TLS problem, hence temporary, unless go-mail says the message
// itself was unusable.
func classify(err error) (temporary bool, code int) {
	var se *gomail.SendError
	if errors.As(err, &se) {
		code = se.ErrorCode()
		if code == 0 {
			switch se.Reason {
			case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
				return false, 0
			}
			return true, 0
		}
		return code < 500, code
	}
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 400 {
		return te.Code < 500, te.Code
	}
	return true, 0
}

// drop forgets the connection without a QUIT.
func (s *Sender) drop(reason string) {
	s.closeConn()
	if s.smtp == nil {
		return
	}
	s.smtp = nil
	s.opts.Logger.Debug("smtp connection dropped", "addr", s.addr(), "reason", reason)
}

// quit ends the connection politely.
func (s *Sender) quit(reason string) {
	if s.smtp != nil {
		_ = s.smtp.UpdateDeadline(s.opts.Timeout)
		_ = s.smtp.Quit() // the socket is closed below either way
	}
	s.drop(reason)
}

func (s *Sender) closeConn() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		_ = s.conn.Close() // already closed is fine
		s.conn = nil
	}
}

// Close ends the open connection, if any, with a best-effort QUIT (the
// server may already have gone) and closes the socket. The Sender may be used
// again afterwards; it will redial.
func (s *Sender) Close() error {
	s.quit("closed")
	return nil
}
