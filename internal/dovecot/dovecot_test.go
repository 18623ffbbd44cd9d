package dovecot

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

func startServer(t *testing.T, users map[string]string) *Server {
	t.Helper()
	Require(t)
	s, err := Start(Options{Dir: t.TempDir(), Users: users, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func mail(id string) []byte {
	return fmt.Appendf(nil, "From: someone@a.test\r\nTo: support@example.com\r\nSubject: %s\r\nMessage-ID: <%s@a.test>\r\n\r\nhello\r\n", id, id)
}

// status returns the number of messages and the UIDVALIDITY of folder.
func status(t *testing.T, s *Server, user, folder string) (uint32, uint32) {
	t.Helper()
	c, err := s.Dial(user)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, err := c.Status(folder, &imap.StatusOptions{NumMessages: true, UIDValidity: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	return *st.NumMessages, st.UIDValidity
}

func subjects(t *testing.T, s *Server, user, folder string) []string {
	t.Helper()
	c, err := s.Dial(user)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.UIDSet{imap.UIDRange{Start: 1, Stop: 0}}, &imap.FetchOptions{Envelope: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		out = append(out, m.Envelope.Subject)
	}
	return out
}

func TestDeliveredAndAppendedMailIsInTheMailbox(t *testing.T) {
	s := startServer(t, map[string]string{"support": "secret"})
	if err := s.Deliver("support", mail("lda")); err != nil {
		t.Fatal(err)
	}
	var raws [][]byte
	for i := range 300 {
		raws = append(raws, mail(fmt.Sprintf("many-%d", i)))
	}
	if err := s.AppendMany("support", "INBOX", raws); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendMany("support", "Archive/2026", raws[:2]); err != nil {
		t.Fatal(err)
	}
	got := subjects(t, s, "support", "INBOX")
	if len(got) != 301 || got[0] != "lda" || got[1] != "many-0" || got[300] != "many-299" {
		t.Errorf("INBOX holds %d mails (%.3q...), want lda then many-0..many-299 in order", len(got), got)
	}
	if n, _ := status(t, s, "support", "Archive/2026"); n != 2 {
		t.Errorf("the created folder holds %d mails, want 2", n)
	}
}

func TestMailDeliveredWhileStoppedIsThereAfterRestart(t *testing.T) {
	s := startServer(t, map[string]string{"support": "secret"})
	c, err := s.Dial("support")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	port := s.Port()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	// The client's connection is cut.
	if err := c.Noop().Wait(); err == nil {
		t.Error("a NOOP on a connection to the stopped server succeeded")
	}
	if _, err := imapclient.DialInsecure(s.Addr(), nil); err == nil {
		t.Error("the stopped server still accepts connections")
	}
	if err := s.Deliver("support", mail("while-down")); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.Port() != port {
		t.Errorf("port %d after restart, want %d", s.Port(), port)
	}
	if got := subjects(t, s, "support", "INBOX"); len(got) != 1 || got[0] != "while-down" {
		t.Errorf("INBOX after restart holds %q, want the mail delivered while down", got)
	}
}

func TestUIDValidityCanBeChanged(t *testing.T) {
	s := startServer(t, map[string]string{"support": "secret"})
	if err := s.Deliver("support", mail("one")); err != nil {
		t.Fatal(err)
	}
	_, before := status(t, s, "support", "INBOX")
	if err := s.SetUIDValidity("support", "INBOX", before+1000); err != nil {
		t.Fatal(err)
	}
	n, after := status(t, s, "support", "INBOX")
	if after != before+1000 || n != 1 {
		t.Errorf("uidvalidity %d with %d mails, want %d with 1", after, n, before+1000)
	}
}

func TestInstancesAreIndependent(t *testing.T) {
	a := startServer(t, map[string]string{"support": "one"})
	b := startServer(t, map[string]string{"support": "two"})
	if a.Port() == b.Port() {
		t.Fatalf("both instances on port %d", a.Port())
	}
	if err := a.Deliver("support", mail("for-a")); err != nil {
		t.Fatal(err)
	}
	if err := b.Stop(); err != nil {
		t.Fatal(err)
	}
	if got := subjects(t, a, "support", "INBOX"); len(got) != 1 {
		t.Errorf("a holds %q after b stopped, want its one mail", got)
	}
	if err := b.Restart(); err != nil {
		t.Fatal(err)
	}
	if n, _ := status(t, b, "support", "INBOX"); n != 0 {
		t.Errorf("b holds %d mails, want none", n)
	}
}

func TestAWrongPasswordIsRefused(t *testing.T) {
	s := startServer(t, map[string]string{"support": "secret"})
	c, err := imapclient.DialInsecure(s.Addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("support", "wrong").Wait(); err == nil {
		t.Error("login with a wrong password succeeded")
	}
	if err := s.Deliver("nobody-here", mail("x")); err == nil || !strings.Contains(err.Error(), "no user") {
		t.Errorf("delivering to an unknown user: %v, want a no-user error", err)
	}
}

func TestStartRejectsAUserNameThatBreaksThePasswdFile(t *testing.T) {
	Require(t)
	_, err := Start(Options{Dir: t.TempDir(), Users: map[string]string{"a:b": "x"}})
	if err == nil || !strings.Contains(err.Error(), `"a:b"`) {
		t.Errorf("Start = %v, want an error naming the user", err)
	}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestADirTooLongForSocketNamesStillStarts(t *testing.T) {
	Require(t)
	dir := t.TempDir() + "/" + strings.Repeat("a-long-folder-name/", 6)
	s, err := Start(Options{Dir: dir, Users: map[string]string{"support": "secret"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Deliver("support", mail("long")); err != nil {
		t.Fatal(err)
	}
	if n, _ := status(t, s, "support", "INBOX"); n != 1 {
		t.Errorf("INBOX holds %d mails, want 1", n)
	}
}

func TestMaildirHoldsTheDeliveredMailFile(t *testing.T) {
	s := startServer(t, map[string]string{"support": "secret"})
	if err := s.Deliver("support", mail("on-disk")); err != nil {
		t.Fatal(err)
	}
	maildir, err := s.Maildir("support")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, sub := range []string{"new", "cur"} {
		entries, err := os.ReadDir(filepath.Join(maildir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			raw, err := os.ReadFile(filepath.Join(maildir, sub, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(raw, []byte("<on-disk@a.test>")) {
				found = append(found, filepath.Join(sub, e.Name()))
			}
		}
	}
	if len(found) != 1 {
		t.Errorf("files holding the mail under %s: %q, want one", maildir, found)
	}
	if _, err := s.Maildir("nobody-here"); err == nil || !strings.Contains(err.Error(), "no user") {
		t.Errorf("the Maildir of an unknown user: %v, want a no-user error", err)
	}
}

func TestShutdownSaysByeToClientsAndKeepsTheMail(t *testing.T) {
	if testing.Short() {
		t.Skip("a Dovecot shutdown takes about 10s")
	}
	s := startServer(t, map[string]string{"support": "secret"})
	if err := s.Deliver("support", mail("kept")); err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	if _, err := r.ReadString('\n'); err != nil { // the greeting
		t.Fatal(err)
	}
	if _, err := fmt.Fprintf(conn, "a1 LOGIN support secret\r\n"); err != nil {
		t.Fatal(err)
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, "a1 ") {
			if !strings.HasPrefix(line, "a1 OK") {
				t.Fatalf("login: %q", line)
			}
			break
		}
	}
	if err := s.Shutdown(); err != nil {
		t.Fatal(err)
	}
	// Every process is gone, so the connection has ended.
	rest, err := io.ReadAll(r)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatal(err)
	}
	if !strings.Contains(string(rest), "* BYE Server shutting down.") {
		t.Errorf("the client read %q after the shutdown, want a BYE", rest)
	}
	if s.Running() {
		t.Error("the server says it runs after Shutdown")
	}
	if _, err := imapclient.DialInsecure(s.Addr(), nil); err == nil {
		t.Error("the shut down server still accepts connections")
	}
	if err := s.Shutdown(); err != nil {
		t.Errorf("a second Shutdown: %v", err)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if got := subjects(t, s, "support", "INBOX"); len(got) != 1 || got[0] != "kept" {
		t.Errorf("INBOX after the restart holds %q, want the mail from before", got)
	}
}

// recorder is the part of a *testing.T that Require uses, recording the call.
type recorder struct{ skipped, failed string }

func (r *recorder) Helper()           {}
func (r *recorder) Skip(args ...any)  { r.skipped = fmt.Sprint(args...) }
func (r *recorder) Fatal(args ...any) { r.failed = fmt.Sprint(args...) }

func TestRequireSkipsWithoutDovecotButFailsUnderCI(t *testing.T) {
	missing := errors.New("dovecot is not installed (no dovecot)")
	tests := []struct {
		name        string
		unavailable error
		ci          string
		skip, fail  bool
	}{
		{"dovecot here: the test runs", nil, "true", false, false},
		{"no dovecot on a developer's machine: the test skips", missing, "", true, false},
		{"no dovecot with CI=false: the test skips", missing, "false", true, false},
		{"no dovecot under CI=true: the test fails", missing, "true", false, true},
		{"no dovecot under CI=1: the test fails", missing, "1", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r recorder
			require(&r, tc.unavailable, tc.ci)
			if (r.skipped != "") != tc.skip || (r.failed != "") != tc.fail {
				t.Fatalf("skipped %q, failed %q; want skip %v, fail %v", r.skipped, r.failed, tc.skip, tc.fail)
			}
			if tc.fail && !strings.Contains(r.failed, "not installed") {
				t.Errorf("the failure %q does not say why", r.failed)
			}
		})
	}
}
