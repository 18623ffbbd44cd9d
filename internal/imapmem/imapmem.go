// Package imapmem runs a real IMAP server in process (go-imap's imapserver
// with the in-memory backend) for tests, benchmarks and the demo. Mail is
// put in with Append, as an MTA would deliver it.
package imapmem

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// Options configure Start.
type Options struct {
	// Addr to listen on; default "127.0.0.1:0".
	Addr string
	// Users maps user names to passwords; each gets an INBOX.
	Users map[string]string
	// Logger receives the server's errors; nil discards them.
	Logger *slog.Logger
}

// Server is a running in-process IMAP server. Safe for concurrent use.
type Server struct {
	log  *slog.Logger
	addr string

	mu        sync.Mutex
	srv       *imapserver.Server
	users     map[string]*imapmemserver.User
	passwords map[string]string
	sessions  map[string]int // connections logged in, by user
}

// Start listens and serves IMAP (plain text, LOGIN allowed) until Close.
func Start(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{log: opts.Logger, users: map[string]*imapmemserver.User{}, passwords: map[string]string{}, sessions: map[string]int{}}
	for name, pass := range opts.Users {
		if err := s.AddUser(name, pass); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("imap server: %w", err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	return s, nil
}

func (s *Server) serve(ln net.Listener) {
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &session{srv: s}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
		Logger:       logAdapter{s.log},
	})
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go srv.Serve(ln)
}

// AddUser creates a user with an INBOX.
func (s *Server) AddUser(name, password string) error {
	u := imapmemserver.NewUser(name, password)
	if err := u.Create("INBOX", nil); err != nil {
		return fmt.Errorf("creating INBOX of %s: %w", name, err)
	}
	s.mu.Lock()
	s.users[name] = u
	s.passwords[name] = password
	s.mu.Unlock()
	return nil
}

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.addr }

// Host is the address the server listens on.
func (s *Server) Host() string { h, _, _ := net.SplitHostPort(s.addr); return h }

// Port is the port the server listens on.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.addr)
	n, _ := strconv.Atoi(p)
	return n
}

func (s *Server) user(name string) (*imapmemserver.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[name]
	if u == nil {
		return nil, fmt.Errorf("imap server: no user %q", name)
	}
	return u, nil
}

// Append delivers raw into folder of user, as an MTA would.
func (s *Server) Append(user, folder string, raw []byte) error {
	u, err := s.user(user)
	if err != nil {
		return err
	}
	_, err = u.Append(folder, bytes.NewReader(raw), &imap.AppendOptions{Time: time.Now()})
	if err != nil {
		return fmt.Errorf("appending to %s/%s: %w", user, folder, err)
	}
	return nil
}

// Rebuild deletes folder and creates it anew with the same mails, as a
// server does when it rebuilds its index: the UIDVALIDITY changes and
// the UIDs start again at 1. Flags are lost, as they may be then.
func (s *Server) Rebuild(user, folder string, raws [][]byte) error {
	u, err := s.user(user)
	if err != nil {
		return err
	}
	if err := u.Delete(folder); err != nil {
		return fmt.Errorf("deleting %s/%s: %w", user, folder, err)
	}
	if err := u.Create(folder, nil); err != nil {
		return fmt.Errorf("creating %s/%s: %w", user, folder, err)
	}
	for _, raw := range raws {
		if err := s.Append(user, folder, raw); err != nil {
			return err
		}
	}
	return nil
}

// Dial opens an IMAP connection logged in as user, to look at the mailbox
// as a mail client does. Close it when done.
func (s *Server) Dial(user string) (*imapclient.Client, error) {
	s.mu.Lock()
	password, ok := s.passwords[user]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("imap server: no user %q", user)
	}
	c, err := imapclient.DialInsecure(s.addr, nil)
	if err != nil {
		return nil, fmt.Errorf("connecting to the imap server on %s: %w", s.addr, err)
	}
	if err := c.Login(user, password).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("logging in to the imap server on %s as %s: %w", s.addr, user, err)
	}
	return c, nil
}

// Sessions counts the connections logged in as user now: how many
// readers a mailbox has.
func (s *Server) Sessions(user string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[user]
}

// Stop closes the listener and every connection; the mail stays.
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Restart listens again on the same address after Stop.
func (s *Server) Restart() error {
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			s.serve(ln)
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("imap server: listening again on %s: %w", s.addr, err)
}

// Close stops the server for good.
func (s *Server) Close() error {
	s.Stop()
	return nil
}

// session is imapmemserver's session with one fix: IDLE first reports
// what changed since the last command, as Dovecot does, so that mail
// appended just before IDLE is not announced only at the next poll.
type session struct {
	*imapmemserver.UserSession // nil until LOGIN
	srv                        *Server
	user                       string // logged in as
}

func (s *session) Login(username, password string) error {
	u, err := s.srv.user(username)
	if err != nil {
		return imapserver.ErrAuthFailed
	}
	if err := u.Login(username, password); err != nil {
		return err
	}
	s.UserSession = imapmemserver.NewUserSession(u)
	s.srv.mu.Lock()
	if s.user != "" {
		s.srv.sessions[s.user]--
	}
	s.user = username
	s.srv.sessions[username]++
	s.srv.mu.Unlock()
	return nil
}

func (s *session) Close() error {
	s.srv.mu.Lock()
	if s.user != "" {
		s.srv.sessions[s.user]--
		s.user = ""
	}
	s.srv.mu.Unlock()
	return s.UserSession.Close()
}

func (s *session) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	if err := s.UserSession.Poll(w, true); err != nil {
		return err
	}
	return s.UserSession.Idle(w, stop)
}

type logAdapter struct{ log *slog.Logger }

func (a logAdapter) Printf(format string, v ...any) {
	a.log.Debug(fmt.Sprintf(format, v...))
}
