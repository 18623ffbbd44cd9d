// Package dovecot owns a real Dovecot IMAP server on a loopback port for
// tests and benchmarks: one self-contained instance per Server (its own
// config, base_dir, instance_name, port and Maildirs, all under one folder),
// started without systemd, stopped by killing the processes it started
// (or, by Shutdown, with SIGTERM as an administrator stops it).
// Mail goes in as an MTA would put it (dovecot-lda, which works while the
// IMAP service is down) or, many at a time, by pipelined IMAP APPEND.
//
// Dovecot must run as root here (its mail processes switch to nobody), so
// tests call Require first: it skips them with the reason when Dovecot
// cannot run, or fails them under CI=true. The API takes no
// *testing.T, so benchmarks and tools can use it as well.
package dovecot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// ldaPaths are where distributions install dovecot-lda (it is not on PATH).
var ldaPaths = []string{"/usr/lib/dovecot/dovecot-lda", "/usr/libexec/dovecot/dovecot-lda"}

// maxBaseDir is the longest base_dir whose sockets (the longest is
// token-login/imap-urlauth) still fit the 108 bytes of a Unix socket name.
const maxBaseDir = 107 - len("/token-login/imap-urlauth") - 8

// startTimeout bounds the wait for the port to answer after a start.
const startTimeout = 15 * time.Second

// shutdownTimeout bounds the wait for the master to exit after SIGTERM.
const shutdownTimeout = 60 * time.Second

// Options configure Start.
type Options struct {
	// Dir holds all of the instance's state: config, users file, base_dir,
	// state_dir and the Maildirs (Dir/mail/<user>/Maildir). Required. Start
	// makes Dir and its ancestors searchable by others (o+x, never o+r)
	// because Dovecot's mail processes run as nobody. When Dir's path is
	// too long for Unix socket names (a test's TempDir often is), base_dir,
	// which holds only sockets and the pid file, goes to a short folder in
	// os.TempDir instead, removed by Close.
	Dir string
	// Users maps user names to passwords (PLAIN, passwd-file). Names and
	// passwords must not contain ':' or line breaks; names no '/' either.
	Users map[string]string
	// Logger receives Dovecot's own log lines (errors and warnings at
	// their level, the rest at Debug) and the start and stop of the
	// instance; nil discards them.
	Logger *slog.Logger
}

// Server is one running Dovecot instance. Its methods are safe for
// concurrent use.
type Server struct {
	dir   string
	base  string // base_dir: Dir/run, or a short temp dir (see Options.Dir)
	conf  string
	port  int
	users map[string]string
	log   *slog.Logger
	lda   string
	owner *syscall.Credential // nobody:nogroup, who owns the mail

	mu      sync.Mutex
	cmd     *exec.Cmd     // the master process; nil while stopped
	exited  chan struct{} // closed when cmd has been waited for
	tail    *tailBuffer   // the last lines of Dovecot's log
	stopped bool          // Close was called
}

// Available reports nil when Dovecot can run here: the dovecot, doveadm
// and dovecot-lda binaries exist, we are root, and the nobody user exists.
// Otherwise the error says why, fit to pass to t.Skip.
func Available() error {
	var missing []string
	for _, bin := range []string{"dovecot", "doveadm"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if _, err := ldaPath(); err != nil {
		missing = append(missing, "dovecot-lda")
	}
	if len(missing) > 0 {
		return fmt.Errorf("dovecot is not installed (no %s; apt-get install -y dovecot-imapd)", strings.Join(missing, ", "))
	}
	if os.Geteuid() != 0 {
		return errors.New("dovecot needs root here (its mail processes switch to nobody); run the tests as root")
	}
	if _, err := mailOwner(); err != nil {
		return err
	}
	return nil
}

// TB is the part of testing.TB that Require uses (the package imports no
// testing, so that tools can use it too).
type TB interface {
	Helper()
	Skip(args ...any)
	Fatal(args ...any)
}

// Require skips t, with Available's reason, when Dovecot cannot run here;
// but when the environment says CI (CI=true, as CI services set it) it
// fails t instead: there the end-to-end tests must run, and a Dovecot that
// could not be installed must turn the run red, not skip them quietly.
func Require(t TB) {
	t.Helper()
	require(t, Available(), os.Getenv("CI"))
}

func require(t TB, unavailable error, ci string) {
	t.Helper()
	if unavailable == nil {
		return
	}
	if on, _ := strconv.ParseBool(ci); on {
		t.Fatal(fmt.Sprintf("CI=%s: the Dovecot end-to-end tests must run here, but %v", ci, unavailable))
		return
	}
	t.Skip(unavailable)
}

func ldaPath() (string, error) {
	if p, err := exec.LookPath("dovecot-lda"); err == nil {
		return p, nil
	}
	for _, p := range ldaPaths {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("dovecot-lda not found in PATH or %s", strings.Join(ldaPaths, ", "))
}

// mailOwner is the nobody user, under whom Dovecot keeps the mail (it
// refuses uid 0 for mail).
func mailOwner() (*syscall.Credential, error) {
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("looking up user nobody for dovecot's mail: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("uid %q of nobody: %w", u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("gid %q of nobody: %w", u.Gid, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// Start writes the config under opts.Dir, starts Dovecot on a free
// loopback port (plain IMAP, LOGIN allowed, Maildir, IDLE) and returns
// once the port answers. Close it when done.
func Start(opts Options) (*Server, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	if opts.Dir == "" {
		return nil, errors.New("starting dovecot: Options.Dir is empty")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("starting dovecot in %s: %w", opts.Dir, err)
	}
	for name, pass := range opts.Users {
		if name == "" || strings.ContainsAny(name, ":/\r\n%") || strings.ContainsAny(pass, ":\r\n") {
			return nil, fmt.Errorf("starting dovecot: user %q: names must be non-empty without ':', '/', '%%' or line breaks, passwords without ':' or line breaks", name)
		}
	}
	owner, err := mailOwner()
	if err != nil {
		return nil, err
	}
	lda, err := ldaPath()
	if err != nil {
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := prepareDir(dir, owner); err != nil {
		return nil, err
	}
	base := filepath.Join(dir, "run")
	if len(base) > maxBaseDir {
		if base, err = os.MkdirTemp("", "dovecot-run-"); err != nil {
			return nil, fmt.Errorf("creating a short base_dir for dovecot in %s: %w", dir, err)
		}
		if err := os.Chmod(base, 0o755); err != nil {
			os.RemoveAll(base)
			return nil, fmt.Errorf("opening base_dir %s to dovecot's processes: %w", base, err)
		}
	}
	s := &Server{
		dir:   dir,
		base:  base,
		conf:  filepath.Join(dir, "dovecot.conf"),
		users: maps.Clone(opts.Users),
		log:   logger,
		lda:   lda,
		owner: owner,
	}
	if err := s.writeUsers(); err != nil {
		s.removeBase()
		return nil, err
	}
	// A free port can be taken by someone else between our probe and
	// Dovecot's bind; try a few.
	for try := 0; ; try++ {
		if s.port, err = freePort(); err != nil {
			return nil, err
		}
		if err := os.WriteFile(s.conf, []byte(s.config()), 0o644); err != nil {
			return nil, fmt.Errorf("writing dovecot config %s: %w", s.conf, err)
		}
		if err = s.start(); err == nil {
			return s, nil
		}
		if try == 2 || !strings.Contains(err.Error(), "in use") {
			s.removeBase()
			return nil, err
		}
	}
}

// prepareDir creates dir and dir/mail (owned by nobody) and lets nobody
// walk down to it.
func prepareDir(dir string, owner *syscall.Credential) error {
	mail := filepath.Join(dir, "mail")
	if err := os.MkdirAll(mail, 0o755); err != nil {
		return fmt.Errorf("creating dovecot dir %s: %w", mail, err)
	}
	if err := os.Chown(mail, int(owner.Uid), int(owner.Gid)); err != nil {
		return fmt.Errorf("handing %s to nobody: %w", mail, err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("checking %s: %w", d, err)
		}
		if st.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(d, st.Mode().Perm()|0o001); err != nil {
				return fmt.Errorf("letting dovecot's processes search %s: %w", d, err)
			}
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

func (s *Server) writeUsers() error {
	names := make([]string, 0, len(s.users))
	for name := range s.users {
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, name := range names {
		fmt.Fprintf(&b, "%s:{PLAIN}%s::::::\n", name, s.users[name])
	}
	path := filepath.Join(s.dir, "users")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("writing dovecot users %s: %w", path, err)
	}
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port for dovecot: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// config is a self-contained dovecot.conf: nothing from /etc/dovecot.
func (s *Server) config() string {
	return fmt.Sprintf(`# Written by helpdesk/internal/dovecot; all state under this folder.
instance_name = helpdesk-%[2]d
base_dir = %[3]s
state_dir = %[1]s/state
protocols = imap
listen = 127.0.0.1
log_path = /dev/stderr
info_log_path = /dev/stderr
debug_log_path = /dev/stderr
disable_plaintext_auth = no
auth_mechanisms = plain login
ssl = no
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%n %[1]s/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=%[1]s/mail/%%n
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[2]d
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = 0
  }
}
service submission-login {
  inet_listener submission {
    port = 0
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0600
  }
}
`, s.dir, s.port, s.base)
}

// removeBase removes a base_dir that lives outside Dir.
func (s *Server) removeBase() {
	if filepath.Dir(s.base) != s.dir {
		_ = os.RemoveAll(s.base) // a temp dir left behind is harmless
	}
}

// Host is the address the server listens on.
func (s *Server) Host() string { return "127.0.0.1" }

// Port is the IMAP port; it stays the same across Restart.
func (s *Server) Port() int { return s.port }

// Addr is "host:port" of the IMAP service.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host(), strconv.Itoa(s.port)) }

// Dir is the folder that holds the instance's state.
func (s *Server) Dir() string { return s.dir }

// start runs the master in the foreground, in its own process group, and
// waits until the port answers.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return fmt.Errorf("starting dovecot on %s: the server is closed", s.Addr())
	}
	if s.cmd != nil {
		return nil
	}
	s.tail = newTailBuffer(40)
	cmd := exec.Command("dovecot", "-F", "-c", s.conf)
	// Its own process group, so that Stop can kill the master and every
	// child it forked (an imap process in IDLE outlives a killed master
	// for seconds otherwise). Pdeathsig: a test binary that dies takes
	// the master with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	logw := &logWriter{log: s.log, tail: s.tail, port: s.port}
	cmd.Stdout, cmd.Stderr = logw, logw
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting dovecot on %s: %w", s.Addr(), err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // the exit status of a killed master says nothing new
		logw.flush()
		close(exited)
	}()
	deadline := time.Now().Add(startTimeout)
	for {
		c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			return fmt.Errorf("starting dovecot on %s: it exited: %s", s.Addr(), s.tail.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			killGroup(cmd)
			<-exited
			return fmt.Errorf("starting dovecot on %s: the port did not answer within %s: %s", s.Addr(), startTimeout, s.tail.String())
		}
	}
	s.cmd, s.exited = cmd, exited
	s.log.Debug("dovecot started", slog.Int("port", s.port), slog.Int("pid", cmd.Process.Pid), slog.String("dir", s.dir))
	return nil
}

func killGroup(cmd *exec.Cmd) {
	// The group is the master's pid (Setpgid); a group already gone is
	// what we wanted.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

// Stop kills the instance (the master and every process it forked) and
// returns once they are gone and the port is free. Clients see their
// connections cut. The mail stays; Restart brings the server back.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked()
}

func (s *Server) stopLocked() error {
	if s.cmd == nil {
		return nil
	}
	cmd, exited := s.cmd, s.exited
	s.cmd, s.exited = nil, nil
	killGroup(cmd)
	return s.waitGone(cmd, exited, "dovecot stopped")
}

// Shutdown stops the instance the way an administrator does (SIGTERM to
// the master, as doveadm stop sends): each imap process tells its client
// "* BYE Server shutting down." before it hangs up, where Stop cuts the
// connections without a word. It returns once every process is gone and
// the port is free, which takes Dovecot about 10 s while a client is
// connected. The mail stays; Restart brings the server back. A master
// that still runs after a minute is killed, and Shutdown says so.
func (s *Server) Shutdown() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	cmd, exited := s.cmd, s.exited
	s.cmd, s.exited = nil, nil
	// A master that has already exited is what we wanted.
	_ = cmd.Process.Signal(syscall.SIGTERM)
	var slow error
	select {
	case <-exited:
	case <-time.After(shutdownTimeout):
		slow = fmt.Errorf("shutting down dovecot on %s: pid %d still ran %s after SIGTERM and was killed", s.Addr(), cmd.Process.Pid, shutdownTimeout)
	}
	// Children that outlived the master go the hard way.
	killGroup(cmd)
	if err := s.waitGone(cmd, exited, "dovecot shut down"); err != nil {
		return err
	}
	return slow
}

// waitGone waits until the killed master has been waited for and the
// port is free, then logs done.
func (s *Server) waitGone(cmd *exec.Cmd, exited chan struct{}, done string) error {
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		return fmt.Errorf("stopping dovecot on %s: pid %d still runs 10s after SIGKILL", s.Addr(), cmd.Process.Pid)
	}
	// Children that left the group would keep the port; wait for it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			return fmt.Errorf("stopping dovecot on %s: the port still answers after the master was killed", s.Addr())
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.log.Debug(done, slog.Int("port", s.port))
	return nil
}

// Restart starts the server again on the same port with the same mail,
// stopping it first if it runs.
func (s *Server) Restart() error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.start()
}

// Close stops the server for good. The files under Dir stay (they belong
// to the caller). It is safe to call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	s.stopped = true
	err := s.stopLocked()
	s.removeBase()
	return err
}

// Running reports whether the server was started and not stopped since.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

// Log returns the last lines Dovecot logged since the last (re)start.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tail == nil {
		return ""
	}
	return s.tail.String()
}

func (s *Server) checkUser(name string) error {
	if _, ok := s.users[name]; !ok {
		return fmt.Errorf("dovecot on %s: no user %q", s.Addr(), name)
	}
	return nil
}

// Deliver puts raw into user's INBOX as an MTA does, through dovecot-lda
// running as the mail owner. It needs no auth service, so it works while
// the server is stopped too; a running server announces the mail to
// clients in IDLE. It takes about 30 ms a mail: seed many with AppendMany.
func (s *Server) Deliver(user string, raw []byte) error {
	if err := s.checkUser(user); err != nil {
		return err
	}
	home := filepath.Join(s.dir, "mail", user)
	cmd := exec.Command(s.lda, "-c", s.conf, "-e",
		"-o", "log_path=/dev/stderr", "-o", "info_log_path=/dev/null",
		// The stats socket belongs to root; nobody may not write to it.
		"-o", "stats_writer_socket_path=")
	cmd.Env = []string{"HOME=" + home, "USER=" + user, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.Dir = s.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.owner}
	cmd.Stdin = bytes.NewReader(raw)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("delivering a mail to %s with dovecot-lda: %w: %s", user, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// Maildir is the path of user's Maildir (INBOX in new/ and cur/, other
// folders in .Name/ below it), for callers that handle mail files
// directly, say to make one unreadable. Dovecot creates it on the first
// delivery or login; its files belong to the nobody user.
func (s *Server) Maildir(user string) (string, error) {
	if err := s.checkUser(user); err != nil {
		return "", err
	}
	return filepath.Join(s.dir, "mail", user, "Maildir"), nil
}

// Dial opens an IMAP connection logged in as user. Close it when done.
func (s *Server) Dial(user string) (*imapclient.Client, error) {
	if err := s.checkUser(user); err != nil {
		return nil, err
	}
	c, err := imapclient.DialInsecure(s.Addr(), nil)
	if err != nil {
		return nil, fmt.Errorf("connecting to dovecot on %s: %w", s.Addr(), err)
	}
	if err := c.Login(user, s.users[user]).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("logging in to dovecot on %s as %s: %w", s.Addr(), user, err)
	}
	return c, nil
}

// AppendMany appends raws to folder of user (created when missing) over
// one IMAP connection, pipelining the APPEND commands: thousands of mails
// a second for mails up to 4 KB (go-imap sends those as LITERAL+ without
// waiting for the server), one round trip per larger mail.
func (s *Server) AppendMany(user, folder string, raws [][]byte) error {
	c, err := s.Dial(user)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := ensureFolder(c, folder); err != nil {
		return fmt.Errorf("appending to %s/%s: %w", user, folder, err)
	}
	// Bounded pipelining: at most window commands in flight.
	const window = 256
	pending := make([]*imapclient.AppendCommand, 0, window)
	drain := func() error {
		for _, cmd := range pending {
			if _, err := cmd.Wait(); err != nil {
				return err
			}
		}
		pending = pending[:0]
		return nil
	}
	for i, raw := range raws {
		cmd := c.Append(folder, int64(len(raw)), nil)
		if _, err := cmd.Write(raw); err != nil {
			cmd.Close()
			return fmt.Errorf("appending mail %d to %s/%s: %w", i, user, folder, err)
		}
		if err := cmd.Close(); err != nil {
			return fmt.Errorf("appending mail %d to %s/%s: %w", i, user, folder, err)
		}
		pending = append(pending, cmd)
		if len(pending) == window {
			if err := drain(); err != nil {
				return fmt.Errorf("appending to %s/%s: %w", user, folder, err)
			}
		}
	}
	if err := drain(); err != nil {
		return fmt.Errorf("appending to %s/%s: %w", user, folder, err)
	}
	if err := c.Logout().Wait(); err != nil {
		return fmt.Errorf("logging out of %s after appending: %w", user, err)
	}
	return nil
}

func ensureFolder(c *imapclient.Client, folder string) error {
	if strings.EqualFold(folder, "INBOX") {
		return nil
	}
	err := c.Create(folder, nil).Wait()
	var ierr *imap.Error
	if err != nil && !(errors.As(err, &ierr) && ierr.Code == imap.ResponseCodeAlreadyExists) {
		return fmt.Errorf("creating folder %s: %w", folder, err)
	}
	return nil
}

// SetUIDValidity gives folder of user a new UIDVALIDITY, as a server does
// when it rebuilds its index (doveadm mailbox update). The server must be
// running: doveadm looks the user up through its auth service.
func (s *Server) SetUIDValidity(user, folder string, v uint32) error {
	if err := s.checkUser(user); err != nil {
		return err
	}
	if _, err := s.doveadm("mailbox", "update", "-u", user, "--uid-validity", strconv.FormatUint(uint64(v), 10), folder); err != nil {
		return fmt.Errorf("setting uidvalidity of %s/%s to %d: %w", user, folder, v, err)
	}
	return nil
}

// doveadm runs doveadm against this instance and returns its output.
func (s *Server) doveadm(args ...string) ([]byte, error) {
	cmd := exec.Command("doveadm", append([]string{"-c", s.conf}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("doveadm %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// logWriter feeds Dovecot's log, line by line, into the Logger and the
// tail buffer.
type logWriter struct {
	log  *slog.Logger
	tail *tailBuffer
	port int

	mu      sync.Mutex
	partial []byte
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.line(string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}

func (w *logWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.line(string(w.partial))
		w.partial = nil
	}
}

func (w *logWriter) line(l string) {
	l = strings.TrimRight(l, "\r")
	if l == "" {
		return
	}
	w.tail.add(l)
	level := slog.LevelDebug
	switch {
	case strings.Contains(l, "Fatal:") || strings.Contains(l, "Panic:") || strings.Contains(l, "Error:"):
		level = slog.LevelError
	case strings.Contains(l, "Warning:"):
		level = slog.LevelWarn
	}
	w.log.Log(context.Background(), level, "dovecot: "+l, slog.Int("port", w.port))
}

// tailBuffer keeps the last n lines.
type tailBuffer struct {
	mu    sync.Mutex
	n     int
	lines []string
}

func newTailBuffer(n int) *tailBuffer { return &tailBuffer{n: n} }

func (t *tailBuffer) add(l string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, l)
	if len(t.lines) > t.n {
		t.lines = t.lines[len(t.lines)-t.n:]
	}
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == 0 {
		return "(no log)"
	}
	return strings.Join(t.lines, "\n")
}
