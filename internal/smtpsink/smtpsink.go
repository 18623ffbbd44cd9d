// Package smtpsink owns a real, in-process SMTP server that records what it
// receives. Tests, benchmarks and `helpdesk demo` use it as the far end of
// mailout: it speaks ESMTP through github.com/emersion/go-smtp, optionally with
// STARTTLS or implicit TLS and AUTH, counts connections, can drop them, and can
// be told to refuse the next DATA commands with a chosen reply code.
//
// The API takes no *testing.T, so the demo binary can use it as well.
package smtpsink

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one mail accepted by the sink.
type Received struct {
	From string    // envelope sender (MAIL FROM)
	To   []string  // envelope recipients (RCPT TO)
	Data []byte    // the message as transmitted, CRLF line endings, dot-unstuffed
	At   time.Time // when DATA completed
	TLS  bool      // whether the session was encrypted (STARTTLS or implicit TLS)
	User string    // the AUTH username, empty without AUTH
	// Client is the client's address and port: the same for the mails of
	// one connection, another for each connection.
	Client string
}

// Options configures a Sink. The zero value is a plain SMTP server on a free
// loopback port that accepts everything.
type Options struct {
	// Addr is the TCP address to listen on; default "127.0.0.1:0".
	Addr string
	// Deliver, when set, is called for each accepted mail after it has been
	// read (for example to APPEND it to an IMAP mailbox). An error makes the
	// sink answer 451 and not record the mail.
	Deliver func(r Received) error
	// Username and Password, when Username is set, make AUTH mandatory before
	// MAIL FROM. Only these credentials are accepted; a wrong password gets 535.
	Username, Password string
	// AuthLogin offers AUTH LOGIN instead of AUTH PLAIN, for clients that
	// must fall back to LOGIN.
	AuthLogin bool
	// TLSConfig, when set, offers STARTTLS (see SelfSignedTLS).
	TLSConfig *tls.Config
	// ImplicitTLS serves TLS from the first byte (SMTPS) with TLSConfig
	// instead of offering STARTTLS.
	ImplicitTLS bool
	// Logger receives the server's errors; nil discards them.
	Logger *slog.Logger
	// WithoutPipelining hides PIPELINING from the EHLO reply (go-smtp
	// offers it always), for clients' code for servers without it.
	WithoutPipelining bool
}

// Sink is a running SMTP server. All methods are safe for concurrent use.
type Sink struct {
	opts   Options
	log    *slog.Logger
	srv    *smtp.Server
	ln     net.Listener // the raw TCP listener
	served chan error
	close  sync.Once

	mu       sync.Mutex
	mails    []Received
	changed  chan struct{} // closed and replaced whenever mails grows
	failCode int
	failLeft int
	refused  map[string]int // RCPT TO address to refusal code
	conns    int
	open     map[net.Conn]struct{}
}

// Start listens on opts.Addr and serves SMTP until Close.
func Start(opts Options) (*Sink, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.ImplicitTLS && opts.TLSConfig == nil {
		return nil, errors.New("starting smtp sink: ImplicitTLS needs a TLSConfig")
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	tcp, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("starting smtp sink on %s: %w", opts.Addr, err)
	}
	s := &Sink{
		opts:    opts,
		log:     logger,
		ln:      tcp,
		served:  make(chan error, 1),
		changed: make(chan struct{}),
		open:    make(map[net.Conn]struct{}),
	}
	var ln net.Listener = &countingListener{Listener: tcp, sink: s}
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.EnableSMTPUTF8 = true
	srv.MaxMessageBytes = 32 << 20
	srv.MaxRecipients = 100
	srv.ErrorLog = logAdapter{logger}
	if opts.ImplicitTLS {
		ln = tls.NewListener(ln, opts.TLSConfig)
	} else {
		srv.TLSConfig = opts.TLSConfig
	}
	s.srv = srv
	go func() { s.served <- srv.Serve(ln) }()
	return s, nil
}

// Addr is the "host:port" the sink listens on.
func (s *Sink) Addr() string { return s.ln.Addr().String() }

// Host is the IP address the sink listens on.
func (s *Sink) Host() string {
	host, _, _ := net.SplitHostPort(s.Addr())
	return host
}

// Port is the TCP port the sink listens on.
func (s *Sink) Port() int {
	_, port, _ := net.SplitHostPort(s.Addr())
	n, _ := strconv.Atoi(port)
	return n
}

// Mails returns a copy of every mail received since Start or Reset.
func (s *Sink) Mails() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneMails(s.mails)
}

// WaitFor blocks until at least n mails have been received and returns a copy
// of all of them. When ctx ends first it returns what arrived and ctx's error.
func (s *Sink) WaitFor(ctx context.Context, n int) ([]Received, error) {
	for {
		s.mu.Lock()
		mails, changed := s.mails, s.changed
		if len(mails) >= n {
			out := cloneMails(mails)
			s.mu.Unlock()
			return out, nil
		}
		s.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			got := s.Mails()
			return got, fmt.Errorf("waiting for %d mails (have %d): %w", n, len(got), ctx.Err())
		}
	}
}

// FailNext makes the next n DATA commands answer with code (for example 451
// or 550) instead of accepting the mail. Refused mails are not recorded.
func (s *Sink) FailNext(code int, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failCode, s.failLeft = code, n
}

// RefuseRecipient makes RCPT TO addr answer with code (for example 550 or
// 450) until it is called again with code 0.
func (s *Sink) RefuseRecipient(addr string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refused == nil {
		s.refused = map[string]int{}
	}
	if code == 0 {
		delete(s.refused, addr)
		return
	}
	s.refused[addr] = code
}

// Connections is the number of TCP connections accepted since Start or Reset.
func (s *Sink) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// DropConnections closes every open client connection from the server side,
// as a server restart or an idle timeout would. The sink keeps listening.
func (s *Sink) DropConnections() {
	s.mu.Lock()
	conns := make([]net.Conn, 0, len(s.open))
	for c := range s.open {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.Close() // a connection that is already gone is what we wanted
	}
}

// Reset forgets the received mails, pending failures and the connection count.
func (s *Sink) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mails = nil
	s.failCode, s.failLeft = 0, 0
	s.conns = 0
}

// Close stops the server and closes all connections. It is safe to call more
// than once.
func (s *Sink) Close() error {
	var err error
	s.close.Do(func() {
		err = s.srv.Close()
		// Serve may not have registered the listener with the server yet,
		// in which case srv.Close did not close it.
		_ = s.ln.Close() // usually already closed by srv.Close
		if serveErr := <-s.served; serveErr != nil && err == nil {
			err = serveErr
		}
		if err != nil {
			err = fmt.Errorf("closing smtp sink on %s: %w", s.Addr(), err)
		}
	})
	return err
}

func (s *Sink) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{sink: s, conn: c}, nil
}

// takeFailure consumes one pending FailNext, returning its code or 0.
func (s *Sink) takeFailure() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failLeft <= 0 {
		return 0
	}
	s.failLeft--
	return s.failCode
}

func (s *Sink) record(r Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mails = append(s.mails, r)
	close(s.changed)
	s.changed = make(chan struct{})
}

func cloneMails(in []Received) []Received {
	out := make([]Received, len(in))
	for i, r := range in {
		r.To = append([]string(nil), r.To...)
		r.Data = bytes.Clone(r.Data)
		out[i] = r
	}
	return out
}

// session is one SMTP session; go-smtp starts a new one after EHLO and again
// after STARTTLS.
type session struct {
	sink *Sink
	conn *smtp.Conn
	user string // authenticated username
	from string
	to   []string
}

var _ smtp.AuthSession = (*session)(nil)

func (ss *session) AuthMechanisms() []string {
	switch {
	case ss.sink.opts.Username == "":
		return nil
	case ss.sink.opts.AuthLogin:
		return []string{"LOGIN"}
	default:
		return []string{sasl.Plain}
	}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	want := ss.AuthMechanisms()
	if len(want) == 0 || want[0] != mech {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	check := func(username, password string) error {
		if username != ss.sink.opts.Username || password != ss.sink.opts.Password {
			return smtp.ErrAuthFailed
		}
		ss.user = username
		return nil
	}
	if mech == "LOGIN" {
		return &loginServer{check: check}, nil
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if identity != "" && identity != username {
			return smtp.ErrAuthFailed
		}
		return check(username, password)
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.sink.opts.Username != "" && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.sink.mu.Lock()
	code := ss.sink.refused[to]
	ss.sink.mu.Unlock()
	if code != 0 {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: "refused by RefuseRecipient"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if code := ss.sink.takeFailure(); code != 0 {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: "refused by FailNext"}
	}
	_, isTLS := ss.conn.TLSConnectionState()
	rec := Received{
		From: ss.from,
		To:   append([]string(nil), ss.to...),
		Data: data,
		At:   time.Now(),
		TLS:  isTLS,
		User: ss.user,
	}
	if c := ss.conn.Conn(); c != nil {
		rec.Client = c.RemoteAddr().String()
	}
	if deliver := ss.sink.opts.Deliver; deliver != nil {
		if err := deliver(rec); err != nil {
			ss.sink.log.Warn("smtp sink delivery refused", "from", rec.From, "err", err)
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "delivery failed, try again later"}
		}
	}
	ss.sink.record(rec)
	return nil
}

func (ss *session) Reset() {
	ss.from, ss.to = "", nil
}

func (ss *session) Logout() error { return nil }

// loginServer is the server side of the obsolete but still common AUTH LOGIN
// mechanism (draft-murchison-sasl-login), which go-sasl only offers as a client.
type loginServer struct {
	check    func(username, password string) error
	step     int
	username string
}

func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch l.step {
	case 0:
		l.step++
		if len(response) > 0 { // initial response carries the username
			l.username = string(response)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.step++
		l.username = string(response)
		return []byte("Password:"), false, nil
	case 2:
		l.step++
		return nil, true, l.check(l.username, string(response))
	default:
		return nil, false, errors.New("unexpected AUTH LOGIN response")
	}
}

// countingListener counts and tracks accepted connections, so the sink can
// report Connections and drop them.
type countingListener struct {
	net.Listener
	sink *Sink
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, sink: l.sink}
	l.sink.mu.Lock()
	l.sink.conns++
	l.sink.open[tc] = struct{}{}
	l.sink.mu.Unlock()
	return tc, nil
}

type trackedConn struct {
	net.Conn
	sink *Sink
}

// Write drops PIPELINING from the EHLO reply under WithoutPipelining.
func (c *trackedConn) Write(p []byte) (int, error) {
	if !c.sink.opts.WithoutPipelining || !bytes.Contains(p, pipeliningLine) {
		return c.Conn.Write(p)
	}
	if _, err := c.Conn.Write(bytes.Replace(p, pipeliningLine, nil, 1)); err != nil {
		return 0, err
	}
	return len(p), nil
}

var pipeliningLine = []byte("250-PIPELINING\r\n")

func (c *trackedConn) Close() error {
	c.sink.mu.Lock()
	delete(c.sink.open, c)
	c.sink.mu.Unlock()
	return c.Conn.Close()
}

// logAdapter feeds go-smtp's printf-style error log into slog.
type logAdapter struct{ log *slog.Logger }

func (a logAdapter) Printf(format string, v ...any) { a.log.Warn(fmt.Sprintf(format, v...)) }
func (a logAdapter) Println(v ...any)               { a.log.Warn(fmt.Sprint(v...)) }
