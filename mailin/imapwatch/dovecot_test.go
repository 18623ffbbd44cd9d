package imapwatch

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"helpdesk/internal/dovecot"
)

var dovecotUsers = []string{"idle", "move", "outage", "broken", "big"}

// startDovecot starts a Dovecot of its own for the test, with each of
// dovecotUsers logging in with testPassword; it skips the test when Dovecot
// cannot run here (and fails it under CI=true).
func startDovecot(t *testing.T) *dovecot.Server {
	t.Helper()
	dovecot.Require(t)
	users := make(map[string]string, len(dovecotUsers))
	for _, u := range dovecotUsers {
		users[u] = testPassword
	}
	logger, _ := testLog(t) // Dovecot's log, shown when the test fails
	d, err := dovecot.Start(dovecot.Options{Dir: t.TempDir(), Users: users, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	return d
}

// mailFile returns the path of the Maildir file that holds the mail with
// Message-ID <id@example.com>.
func mailFile(t *testing.T, d *dovecot.Server, user, id string) string {
	t.Helper()
	maildir, err := d.Maildir(user)
	if err != nil {
		t.Fatal(err)
	}
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

func dovecotClient(t *testing.T, d *dovecot.Server, user string) *imapclient.Client {
	t.Helper()
	c, err := d.Dial(user)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func dovecotOptions(t *testing.T, d *dovecot.Server, user string, h Handler, st State) Options {
	logger, _ := testLog(t)
	return Options{
		Name: user, Host: d.Host(), Port: d.Port(), TLS: TLSNone,
		Username: user, Password: testPassword,
		IDLE: true, PollInterval: time.Hour,
		Handler: h, State: st, Logger: logger,
		Backoff: func(int) time.Duration { return 20 * time.Millisecond },
	}
}

func TestAgainstDovecot(t *testing.T) {
	d := startDovecot(t)

	t.Run("old mail, then live mail through idle, flagged seen", func(t *testing.T) {
		c := dovecotClient(t, d, "idle")
		appendMail(t, c, "INBOX", "read-before", `\Seen`)
		appendMail(t, c, "INBOX", "unread-before")
		rec, st := newRecorder(), newMemState()
		w, err := New(dovecotOptions(t, d, "idle", rec, st))
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
		c := dovecotClient(t, d, "move")
		for _, id := range ids("move", 3) {
			appendMail(t, c, "INBOX", id)
		}
		rec, st := newRecorder(), newMemState()
		opts := dovecotOptions(t, d, "move", rec, st)
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
		c := dovecotClient(t, d, "broken")
		for _, id := range []string{"a", "b", "c"} {
			appendMail(t, c, "INBOX", id)
		}
		// Dovecot (running as nobody) cannot open b's file: it answers the
		// FETCH with BYE and hangs up.
		path := mailFile(t, d, "broken", "b")
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		owner := fi.Sys().(*syscall.Stat_t)
		if err := os.Chown(path, 0, 0); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0); err != nil {
			t.Fatal(err)
		}
		rec, st := newRecorder(), newMemState()
		w, err := New(dovecotOptions(t, d, "broken", rec, st))
		if err != nil {
			t.Fatal(err)
		}
		start(t, w)
		eventually(t, "a and c", func() bool { return rec.has("a") && rec.has("c") })
		eventually(t, "b to be reported stuck", func() bool { return slices.Equal(w.Status().Stuck, []uint32{2}) })
		// First contact is saved as not finished while b waits, with the
		// cursor just below b: a restart looks for unseen mail again and
		// takes b even if someone has read it.
		eventually(t, "the cursor", func() bool { uv, l := st.get("broken"); return uv == 0 && l == 1 })

		path = mailFile(t, d, "broken", "b")
		if err := os.Chown(path, int(owner.Uid), int(owner.Gid)); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, fi.Mode().Perm()); err != nil {
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
		c := dovecotClient(t, d, "big")
		big := bigMail("big", 300_000)
		appendMail(t, c, "INBOX", "small")
		appendRaw(t, c, "INBOX", big)
		appendMail(t, c, "INBOX", "small-2")
		rec, st := newRecorder(), newMemState()
		opts := dovecotOptions(t, d, "big", rec, st)
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
		c := dovecotClient(t, d, "outage")
		appendMail(t, c, "INBOX", "before-outage")
		rec, st := newRecorder(), newMemState()
		w, err := New(dovecotOptions(t, d, "outage", rec, st))
		if err != nil {
			t.Fatal(err)
		}
		start(t, w)
		eventually(t, "the first mail", func() bool { _, l := st.get("outage"); return l == 1 })
		if err := d.Shutdown(); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the watcher to notice", func() bool { return !w.Status().Connected })
		if err := d.Deliver("outage", testMail("during-outage")); err != nil {
			t.Fatal(err)
		}
		if err := d.Restart(); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the mail from the outage", func() bool { _, l := st.get("outage"); return l == 2 })
		if !rec.has("during-outage") || rec.deliveriesOf("before-outage") != 1 {
			t.Errorf("stored %v, delivered %v", rec.stored, rec.deliveries)
		}
	})
}
