package imapwatch

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
)

// dovecot is a self-contained Dovecot instance on a loopback port, all its
// files in one test folder.
type dovecot struct {
	t    *testing.T
	dir  string
	conf string
	port int
	cmd  *exec.Cmd
	log  bytes.Buffer
}

var dovecotUsers = []string{"idle", "move", "outage", "broken", "big"}

// startDovecot skips the test when Dovecot is not installed.
func startDovecot(t *testing.T) *dovecot {
	t.Helper()
	if _, err := exec.LookPath("dovecot"); err != nil {
		t.Skip("dovecot is not installed (apt-get install dovecot-imapd); these tests need a real IMAP server")
	}
	if os.Geteuid() != 0 {
		t.Skip("the Dovecot tests run as root (mail is owned by nobody)")
	}
	dir := t.TempDir()
	// Dovecot's processes run as nobody and must reach the mail folder.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	var users strings.Builder
	for _, u := range dovecotUsers {
		fmt.Fprintf(&users, "%s:{PLAIN}%s::::::\n", u, testPassword)
	}
	conf := fmt.Sprintf(`instance_name = helpdesk-test-%[2]d
base_dir = %[1]s/run
state_dir = %[1]s/state
protocols = imap
listen = 127.0.0.1
log_path = %[1]s/dovecot.log
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
`, dir, port)
	for name, content := range map[string]string{"dovecot.conf": conf, "users": users.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "mail"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(dir, "mail"), 65534, 65534); err != nil {
		t.Fatal(err)
	}
	d := &dovecot{t: t, dir: dir, conf: filepath.Join(dir, "dovecot.conf"), port: port}
	d.start()
	t.Cleanup(func() {
		d.stop()
		if t.Failed() {
			out, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Logf("dovecot log:\n%s", out)
		}
	})
	return d
}

func (d *dovecot) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(d.port)) }

func (d *dovecot) start() {
	d.t.Helper()
	d.cmd = exec.Command("dovecot", "-F", "-c", d.conf)
	d.cmd.Stdout, d.cmd.Stderr = &d.log, &d.log
	if err := d.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	eventually(d.t, "dovecot to listen", func() bool {
		c, err := net.Dial("tcp", d.addr())
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// stop ends the instance this test started (by its pid) and waits for it.
func (d *dovecot) stop() {
	if d.cmd == nil {
		return
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	d.cmd.Wait()
	d.cmd = nil
	// The port is free once the master is gone.
	eventually(d.t, "dovecot to stop listening", func() bool {
		c, err := net.Dial("tcp", d.addr())
		if err == nil {
			c.Close()
		}
		return err != nil
	})
}

// deliver drops a mail into the user's Maildir the way an MTA does (tmp/,
// then new/); it works while the server is down.
func (d *dovecot) deliver(t *testing.T, user, id string) {
	t.Helper()
	maildir := filepath.Join(d.dir, "mail", user, "Maildir")
	name := fmt.Sprintf("%d.helpdesk-test.%s", time.Now().UnixNano(), id)
	tmp, dst := filepath.Join(maildir, "tmp", name), filepath.Join(maildir, "new", name)
	if err := os.WriteFile(tmp, testMail(id), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(tmp, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}

// mailFile returns the path of the Maildir file that holds the mail with
// Message-ID <id@example.com>.
func (d *dovecot) mailFile(t *testing.T, user, id string) string {
	t.Helper()
	maildir := filepath.Join(d.dir, "mail", user, "Maildir")
	for _, sub := range []string{"cur", "new"} {
		entries, err := os.ReadDir(filepath.Join(maildir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			path := filepath.Join(maildir, sub, e.Name())
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(raw, []byte("<"+id+"@example.com>")) {
				return path
			}
		}
	}
	t.Fatalf("no file holds mail %s", id)
	return ""
}

func (d *dovecot) client(t *testing.T, user string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(d.addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(user, testPassword).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

func (d *dovecot) options(t *testing.T, user string, h Handler, st State) Options {
	logger, _ := testLog(t)
	return Options{
		Name: user, Host: "127.0.0.1", Port: d.port, TLS: TLSNone,
		Username: user, Password: testPassword,
		IDLE: true, PollInterval: time.Hour,
		Handler: h, State: st, Logger: logger,
		Backoff: func(int) time.Duration { return 20 * time.Millisecond },
	}
}

func TestAgainstDovecot(t *testing.T) {
	d := startDovecot(t)

	t.Run("old mail, then live mail through idle, flagged seen", func(t *testing.T) {
		c := d.client(t, "idle")
		appendMail(t, c, "INBOX", "read-before", `\Seen`)
		appendMail(t, c, "INBOX", "unread-before")
		rec, st := newRecorder(), newMemState()
		w, err := New(d.options(t, "idle", rec, st))
		if err != nil {
			t.Fatal(err)
		}
		start(t, w)
		eventually(t, "first contact", func() bool { uv, l := st.get("idle"); return uv != 0 && l == 2 })
		for _, id := range ids("live", 3) {
			appendMail(t, c, "INBOX", id)
		}
		eventually(t, "the cursor", func() bool { _, l := st.get("idle"); return l == 5 })
		if rec.has("read-before") || rec.storedCount() != 4 {
			t.Errorf("stored %v, want the unread and the live mails", rec.stored)
		}
		for id, m := range folderContents(t, c, "INBOX") {
			if !m.seen {
				t.Errorf("%s is not \\Seen", id)
			}
		}
	})

	t.Run("handled mail is moved to a processed folder it creates", func(t *testing.T) {
		c := d.client(t, "move")
		for _, id := range ids("move", 3) {
			appendMail(t, c, "INBOX", id)
		}
		rec, st := newRecorder(), newMemState()
		opts := d.options(t, "move", rec, st)
		opts.ProcessedFolder = "Processed/Helpdesk"
		w, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		start(t, w)
		eventually(t, "the first mails", func() bool { _, l := st.get("move"); return l == 3 })
		appendMail(t, c, "INBOX", "move-live")
		eventually(t, "the live mail", func() bool { _, l := st.get("move"); return l == 4 })
		if got := folderContents(t, c, "INBOX"); len(got) != 0 {
			t.Errorf("INBOX still holds %v", got)
		}
		if got := folderContents(t, c, "Processed/Helpdesk"); len(got) != 4 {
			t.Errorf("the processed folder holds %v, want 4 mails", got)
		}
	})

	t.Run("a mail Dovecot cannot read does not stop the others", func(t *testing.T) {
		c := d.client(t, "broken")
		for _, id := range []string{"a", "b", "c"} {
			appendMail(t, c, "INBOX", id)
		}
		// Dovecot (running as nobody) cannot open b's file: it answers the
		// FETCH with BYE and hangs up.
		path := d.mailFile(t, "broken", "b")
		if err := os.Chown(path, 0, 0); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0); err != nil {
			t.Fatal(err)
		}
		rec, st := newRecorder(), newMemState()
		w, err := New(d.options(t, "broken", rec, st))
		if err != nil {
			t.Fatal(err)
		}
		start(t, w)
		eventually(t, "a and c", func() bool { return rec.has("a") && rec.has("c") })
		eventually(t, "b to be reported stuck", func() bool { return slices.Equal(w.Status().Stuck, []uint32{2}) })
		// First contact is saved as not finished while b waits: a restart
		// would look for unseen mail again.
		eventually(t, "the cursor", func() bool { uv, l := st.get("broken"); return uv == 0 && l == 3 })

		path = d.mailFile(t, "broken", "b")
		if err := os.Chown(path, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o600); err != nil {
			t.Fatal(err)
		}
		eventually(t, "b once Dovecot can read it", func() bool { uv, l := st.get("broken"); return rec.has("b") && uv != 0 && l == 3 })
		for id, m := range folderContents(t, c, "INBOX") {
			if !m.seen {
				t.Errorf("%s is not \\Seen", id)
			}
		}
	})

	t.Run("a mail over the size limit comes truncated, the others whole", func(t *testing.T) {
		c := d.client(t, "big")
		big := bigMail("big", 300_000)
		appendMail(t, c, "INBOX", "small")
		appendRaw(t, c, "INBOX", big)
		appendMail(t, c, "INBOX", "small-2")
		rec, st := newRecorder(), newMemState()
		opts := d.options(t, "big", rec, st)
		opts.MaxMessageSize = 100_000
		opts.MaxBatchBytes = 1000 // one mail a batch
		w, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		start(t, w)
		eventually(t, "the cursor", func() bool { uv, l := st.get("big"); return uv != 0 && l == 3 && rec.storedCount() == 3 })
		for _, m := range rec.mails {
			switch id := messageID(m.Raw); id {
			case "big":
				if !m.Truncated || !bytes.Equal(m.Raw, big[:100_001]) {
					t.Errorf("big mail: truncated %v, %d bytes, want its first 100001 bytes", m.Truncated, len(m.Raw))
				}
			default:
				if m.Truncated || !bytes.Equal(m.Raw, testMail(id)) {
					t.Errorf("%s: truncated %v, %d bytes, want it whole", id, m.Truncated, len(m.Raw))
				}
			}
		}
		if rec.batchCount() != 3 {
			t.Errorf("%d batches, want 3", rec.batchCount())
		}
	})

	t.Run("the watcher comes back after a server restart", func(t *testing.T) {
		if testing.Short() {
			t.Skip("a Dovecot shutdown takes about 10s")
		}
		c := d.client(t, "outage")
		appendMail(t, c, "INBOX", "before-outage")
		rec, st := newRecorder(), newMemState()
		w, err := New(d.options(t, "outage", rec, st))
		if err != nil {
			t.Fatal(err)
		}
		start(t, w)
		eventually(t, "the first mail", func() bool { _, l := st.get("outage"); return l == 1 })
		d.stop()
		eventually(t, "the watcher to notice", func() bool { return !w.Status().Connected })
		d.deliver(t, "outage", "during-outage")
		d.start()
		eventually(t, "the mail from the outage", func() bool { _, l := st.get("outage"); return l == 2 })
		if !rec.has("during-outage") || rec.deliveriesOf("before-outage") != 1 {
			t.Errorf("stored %v, delivered %v", rec.stored, rec.deliveries)
		}
	})
}
