//go:build faults

package faults

import (
	"bufio"
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Dovecot restarted while the daemon fetches a backlog, then while the
// daemon waits in IDLE: every mail is stored once, the new ones too.
func TestDovecotRestartedMidFetchAndDuringIdle(t *testing.T) {
	n, restarts := pick(400, 2000), pick(3, 10)
	r := newRig(t, rigOptions{})
	if err := r.dc.AppendMany("support", "INBOX", mails(0, n, 2000)); err != nil {
		t.Fatal(err)
	}
	d := r.start()
	faults := 0
	busy := 0
	for k := range restarts {
		r.waitStored(n, min(n, (k+1)*n/(restarts+2)), 2*time.Minute)
		if err := r.dc.Restart(); err != nil {
			t.Fatal(err)
		}
		faults++
		if tl, err := r.count(n); err == nil && tl.stored < n {
			busy++
		}
	}
	t.Logf("%d of %d restarts found mail left to fetch", busy, restarts)
	if _, took := r.waitDone(n, 3*time.Minute); took > 0 {
		t.Logf("backlog done %v after the last restart", took.Round(time.Millisecond))
	}
	// Idle now, in IDLE: restart Dovecot under it, then deliver more.
	time.Sleep(2 * time.Second)
	if err := r.dc.Restart(); err != nil {
		t.Fatal(err)
	}
	faults++
	restarted := time.Now()
	m := pick(20, 100)
	for i := n; i < n+m; i++ {
		if err := r.dc.Deliver("support", customerMail(i, 0)); err != nil {
			t.Fatal(err)
		}
	}
	tl, _ := r.waitDone(n+m, 3*time.Minute)
	took := time.Since(restarted)
	if !d.alive() {
		t.Error("the daemon ended while Dovecot restarted")
	}
	d.stop(t)
	figures(t, "dovecot restart", tl, faults, took)
}

// Another process holds SQLite's write lock (BEGIN IMMEDIATE) for longer
// than the busy timeout (5 s): the daemon waits and retries, `helpdesk
// ingest` exits 75 (the MTA retries it), and nothing is lost.
func TestDatabaseBusyUnderAnotherWriter(t *testing.T) {
	n, hold := pick(200, 1000), time.Duration(pick(8, 20))*time.Second
	r := newRig(t, rigOptions{})
	d := r.start()
	if err := r.dc.AppendMany("support", "INBOX", mails(0, n/2, 0)); err != nil {
		t.Fatal(err)
	}
	r.waitDone(n/2, 2*time.Minute)

	locker := exec.Command(os.Args[0], "-test.run=^$")
	locker.Env = append(os.Environ(), "FAULTS_HOLD_LOCK="+r.db)
	stdin, err := locker.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := locker.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := locker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); locker.Wait() })
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); strings.TrimSpace(line) != "locked" {
		t.Fatalf("the other writer did not take the lock: %q", line)
	}
	locked := time.Now()
	// Mail keeps coming meanwhile, over IMAP and through the MTA pipe.
	if err := r.dc.AppendMany("support", "INBOX", mails(n/2, n/2-1, 0)); err != nil {
		t.Fatal(err)
	}
	piped := customerMail(n-1, 0)
	ingest := func() (int, string) {
		cmd := exec.Command(r.bin, "ingest", "--config", r.config, "--mailbox", "support")
		cmd.Stdin = bytes.NewReader(piped)
		out, _ := cmd.CombinedOutput()
		return cmd.ProcessState.ExitCode(), strings.TrimSpace(string(out))
	}
	if code, out := ingest(); code != 75 {
		t.Errorf("ingest under the other writer's lock: exit %d (%s), want 75", code, out)
	}
	time.Sleep(time.Until(locked.Add(hold)))
	stdin.Close() // the other writer rolls back and ends
	locker.Wait()
	released := time.Now()
	if code, out := ingest(); code != 0 { // the MTA's retry
		t.Errorf("ingest after the lock: exit %d (%s), want 0", code, out)
	}
	tl, _ := r.waitDone(n, 3*time.Minute)
	took := time.Since(released)
	if !d.alive() {
		t.Error("the daemon ended while the database was busy")
	}
	d.stop(t)
	figures(t, "database busy "+hold.String(), tl, 2, took)
}

// The database's file system fills up (a small tmpfs, or an ext4 image
// on a loop device where tmpfs cannot be mounted) while a backlog of
// large mails comes in: a clear error, an intact database, and everything
// stored once the space is there.
func TestDiskFull(t *testing.T) {
	n := pick(120, 400)
	mnt := filepath.Join(t.TempDir(), "db")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	fs := smallFileSystem(t, mnt)
	t.Logf("the database on %s", fs.what)
	r := newRig(t, rigOptions{dbDir: mnt})
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() }) // after the daemon and Dovecot are gone (cleanups run last first); a loop device goes with it
	if err := r.dc.AppendMany("support", "INBOX", mails(0, n, 40_000)); err != nil {
		t.Fatal(err)
	}
	d := r.start()
	// Wait until the daemon is stuck: the disk full, nothing more stored.
	var last tally
	for still := 0; still < 30; time.Sleep(100 * time.Millisecond) {
		tl, err := r.count(n)
		if err != nil {
			t.Fatal(err)
		}
		if tl.stored == last.stored && tl.stored > 0 {
			still++
		} else {
			still = 0
		}
		last = tl
	}
	if last.stored == n {
		t.Fatalf("all %d mails fit on the small file system: the test wants it full", n)
	}
	logged, _ := os.ReadFile(r.log)
	said := ""
	for _, l := range strings.Split(string(logged), "\n") {
		if strings.Contains(l, "full") {
			said = l
			break
		}
	}
	if said == "" {
		t.Errorf("the log does not say the disk is full:\n%s", r.logTail())
	}
	t.Logf("the daemon said: %s", said)
	r.integrity("with the disk full")
	if err := fs.giveBack(); err != nil {
		t.Fatalf("giving the space back: %v", err)
	}
	freed := time.Now()
	tl, _ := r.waitDone(n, 3*time.Minute)
	took := time.Since(freed)
	if !d.alive() {
		t.Error("the daemon ended while the disk was full")
	}
	d.stop(t)
	r.integrity("after the space came back")
	t.Logf("stuck at %d of %d mails stored while full", last.stored, n)
	figures(t, "disk full", tl, 1, took)
}

// smallFS is a file system with about 3 MB free for the database.
type smallFS struct {
	what     string
	giveBack func() error // makes room: 256 MB more or so
}

// smallFileSystem mounts a small file system on mnt: a 3 MB tmpfs, grown
// by a remount; where tmpfs cannot be mounted (or FAULTS_DISK=loop), a
// 64 MB ext4 image on a loop device filled but for 3 MB by a ballast file,
// the space given back by removing it. It skips the test, saying why,
// when neither can be mounted (mounting needs root, or CAP_SYS_ADMIN).
func smallFileSystem(t *testing.T, mnt string) smallFS {
	t.Helper()
	var tmpfsErr error
	if os.Getenv("FAULTS_DISK") != "loop" {
		out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt).CombinedOutput()
		if err == nil {
			return smallFS{what: "a 3 MB tmpfs, grown to 256 MB", giveBack: func() error {
				if out, err := exec.Command("mount", "-o", "remount,size=256m", mnt).CombinedOutput(); err != nil {
					return fmt.Errorf("remounting the tmpfs: %v: %s", err, bytes.TrimSpace(out))
				}
				return nil
			}}
		}
		tmpfsErr = fmt.Errorf("%v: %s", err, bytes.TrimSpace(out))
	}
	img := filepath.Join(t.TempDir(), "fs.img")
	loop := func() error {
		if err := os.WriteFile(img, nil, 0o600); err != nil {
			return err
		}
		if err := os.Truncate(img, 64<<20); err != nil {
			return err
		}
		// -m 0: no blocks kept for root, who runs the daemon here.
		if out, err := exec.Command("mkfs.ext4", "-q", "-F", "-m", "0", img).CombinedOutput(); err != nil {
			return fmt.Errorf("mkfs.ext4: %v: %s", err, bytes.TrimSpace(out))
		}
		if out, err := exec.Command("mount", "-o", "loop", img, mnt).CombinedOutput(); err != nil {
			return fmt.Errorf("mount -o loop: %v: %s", err, bytes.TrimSpace(out))
		}
		return nil
	}
	if err := loop(); err != nil {
		if tmpfsErr == nil {
			tmpfsErr = errors.New("not tried (FAULTS_DISK=loop)")
		}
		t.Skipf("the disk-full case needs a small file system it can fill: a tmpfs cannot be mounted (%v), nor an ext4 image on a loop device (%v); run the suite as root where mount is allowed", tmpfsErr, err)
	}
	ballast := filepath.Join(mnt, "ballast")
	var st syscall.Statfs_t
	if err := syscall.Statfs(mnt, &st); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(ballast)
	if err != nil {
		t.Fatal(err)
	}
	err = syscall.Fallocate(int(f.Fd()), 0, 0, int64(st.Bavail)*st.Bsize-3<<20)
	f.Close()
	if err != nil {
		t.Fatalf("filling the loop device's file system: %v", err)
	}
	return smallFS{what: "64 MB of ext4 on a loop device, 3 MB free until a ballast file is removed", giveBack: func() error {
		return os.Remove(ballast)
	}}
}

// integrity runs PRAGMA integrity_check on the database.
func (r *rig) integrity(when string) {
	r.t.Helper()
	db, err := sql.Open("sqlite3", "file:"+r.db+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		r.t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		r.t.Errorf("integrity check %s: %q, %v", when, res, err)
	}
}

// Some mails the IMAP server cannot serve (their files unreadable to
// it), and the mailbox's UIDVALIDITY changes half-way: the others are
// stored meanwhile, each once, and the unreadable ones once readable.
func TestUnreadableMailsAndAUIDValidityChange(t *testing.T) {
	n := pick(200, 1000)
	r := newRig(t, rigOptions{})
	if err := r.dc.AppendMany("support", "INBOX", mails(0, n, 0)); err != nil {
		t.Fatal(err)
	}
	maildir, err := r.dc.Maildir("support")
	if err != nil {
		t.Fatal(err)
	}
	// Selected once, Dovecot moves the mails from new/ to cur/, where
	// they then stay until read.
	c, err := r.dc.Dial("support")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	c.Logout().Wait()
	files, _ := filepath.Glob(filepath.Join(maildir, "cur", "*"))
	if len(files) != n {
		t.Fatalf("%d files in the Maildir, want %d", len(files), n)
	}
	bad := []string{files[n/4], files[n/2], files[3*n/4]}
	for _, f := range bad {
		if err := os.Chmod(f, 0); err != nil {
			t.Fatal(err)
		}
	}
	d := r.start()
	r.waitStored(n, n/3, 2*time.Minute)
	if err := r.dc.SetUIDValidity("support", "INBOX", uint32(time.Now().Unix())); err != nil {
		t.Fatal(err)
	}
	r.waitStored(n, n-len(bad), 2*time.Minute)
	time.Sleep(3 * time.Second) // the watcher tries the unreadable ones again meanwhile
	stuck, err := r.count(n)
	if err != nil {
		t.Fatal(err)
	}
	if stuck.storedTwice != 0 || stuck.stored != n-len(bad) {
		t.Errorf("with %d mails unreadable, after the UIDVALIDITY change: %v", len(bad), stuck)
	}
	logged, _ := os.ReadFile(r.log)
	said := ""
	for _, l := range strings.Split(string(logged), "\n") {
		if strings.Contains(l, "uid") && (strings.Contains(l, "ERROR") || strings.Contains(l, "WARN")) {
			said = l
			break
		}
	}
	t.Logf("%d of %d stored while %d were unreadable; the daemon said: %s", stuck.stored, n, len(bad), said)
	for _, f := range bad {
		if err := os.Chmod(f, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	readable := time.Now()
	tl, _ := r.waitDone(n, 3*time.Minute)
	took := time.Since(readable)
	d.stop(t)
	figures(t, "unreadable uids+uidval", tl, len(bad)+1, took)
}
