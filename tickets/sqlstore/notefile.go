package sqlstore

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
)

// noteFile is a SQLite store's delivery notes: a text file beside the
// database ("helpdesk.db-delivered.log"), a line "<outbox id> <unix
// nanoseconds>" per delivery, each appended with one write(2) and no
// sync. A note is in the kernel's hands when the write returns, which is
// what survives a killed process; it costs a few system calls, where a
// committed row in a database of its own cost ten times as much.
//
// Several processes may share the file (daemons on one SQLite database,
// a restarted one reading a dead one's notes). Appends hold a shared
// flock(2) on it, a rewrite an exclusive one; a rewrite writes the notes
// that stay to a new file and renames it over the old, so an appender
// that waited for the lock checks that its descriptor is still the file
// at the path, and opens it again if not.
type noteFile struct {
	path string
	mu   sync.Mutex // this process's appends and rewrites, one at a time
	f    *os.File
	// imported: the notes of the SQLite database that held them before
	// (legacyNotesPath) are in the file.
	imported bool
}

// legacyNotesPath is where earlier versions kept the notes: a SQLite
// database of one table, "delivered".
func legacyNotesPath(dbPath string) string { return dbPath + "-delivered" }

// lock opens the file if needed and takes its flock of kind how
// (syscall.LOCK_SH or LOCK_EX) on the file now at the path.
func (n *noteFile) lock(how int) error {
	for {
		if n.f == nil {
			if err := ownerOnly(n.path); err != nil {
				return err
			}
			f, err := os.OpenFile(n.path, os.O_RDWR|os.O_APPEND, 0o600)
			if err != nil {
				return fmt.Errorf("opening delivery notes %s: %w", n.path, err)
			}
			n.f = f
		}
		if err := flock(n.f, how); err != nil {
			return fmt.Errorf("locking delivery notes %s: %w", n.path, err)
		}
		if current, err := n.current(); err != nil || current {
			if err != nil {
				flock(n.f, syscall.LOCK_UN)
			}
			return err
		}
		// Rewritten meanwhile: the notes are in the file now at the path.
		flock(n.f, syscall.LOCK_UN)
		n.f.Close()
		n.f = nil
	}
}

// current reports whether n.f is the file at n.path.
func (n *noteFile) current() (bool, error) {
	held, err := n.f.Stat()
	if err != nil {
		return false, err
	}
	atPath, err := os.Stat(n.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(held, atPath), nil
}

func (n *noteFile) unlock() {
	if n.f != nil {
		flock(n.f, syscall.LOCK_UN)
	}
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// importLegacy appends the notes an earlier version left in its SQLite
// notes database, then removes that database. The file is locked
// exclusively.
func (n *noteFile) importLegacy(dbPath string) error {
	if n.imported {
		return nil
	}
	old := legacyNotesPath(dbPath)
	if _, err := os.Stat(old); errors.Is(err, fs.ErrNotExist) {
		n.imported = true
		return nil
	}
	db, err := sqlx.Open("sqlite3", "file:"+old+"?_busy_timeout=5000")
	if err != nil {
		return fmt.Errorf("opening the earlier delivery notes %s: %w", old, err)
	}
	defer db.Close()
	var noted []struct {
		ID int64     `db:"outbox_id"`
		At time.Time `db:"at"`
	}
	err = db.Select(&noted, `SELECT outbox_id, at FROM delivered`)
	if err != nil && !isNoSuchTable(err) {
		return fmt.Errorf("reading the earlier delivery notes %s: %w", old, err)
	}
	var lines []byte
	for _, d := range noted {
		lines = appendNote(lines, d.ID, d.At)
	}
	if len(lines) > 0 {
		if _, err := n.f.Write(lines); err != nil {
			return fmt.Errorf("moving the earlier delivery notes to %s: %w", n.path, err)
		}
	}
	db.Close()
	for _, p := range []string{old, old + "-wal", old + "-shm", old + "-journal"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing the earlier delivery notes: %w", err)
		}
	}
	n.imported = true
	return nil
}

func isNoSuchTable(err error) bool {
	return err != nil && bytes.Contains([]byte(err.Error()), []byte("no such table"))
}

// appendNote adds the line of a note to b.
func appendNote(b []byte, id int64, at time.Time) []byte {
	b = strconv.AppendInt(b, id, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, at.UnixNano(), 10)
	return append(b, '\n')
}

// note appends the note of outbox item id, delivered at at.
func (n *noteFile) note(id int64, at time.Time) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.lock(syscall.LOCK_SH); err != nil {
		return err
	}
	defer n.unlock()
	var buf [48]byte
	if _, err := n.f.Write(appendNote(buf[:0], id, at)); err != nil {
		return fmt.Errorf("writing to delivery notes %s: %w", n.path, err)
	}
	return nil
}

// read returns the notes: each noted item with the time of its last note.
func (n *noteFile) read(dbPath string) (map[int64]time.Time, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.imported {
		if err := n.lock(syscall.LOCK_EX); err != nil {
			return nil, err
		}
		err := n.importLegacy(dbPath)
		n.unlock()
		if err != nil {
			return nil, err
		}
	}
	if err := n.lock(syscall.LOCK_SH); err != nil {
		return nil, err
	}
	defer n.unlock()
	return n.parse()
}

// parse reads the file of n.f, which the caller has locked. A line that
// is not a note (the end of a write cut short by a crash of the machine)
// is skipped.
func (n *noteFile) parse() (map[int64]time.Time, error) {
	noted := map[int64]time.Time{}
	sc := bufio.NewScanner(io.NewSectionReader(n.f, 0, 1<<62))
	for sc.Scan() {
		idText, atText, ok := bytes.Cut(sc.Bytes(), []byte(" "))
		if !ok {
			continue
		}
		id, err1 := strconv.ParseInt(string(idText), 10, 64)
		at, err2 := strconv.ParseInt(string(atText), 10, 64)
		if err1 != nil || err2 != nil || id <= 0 {
			continue
		}
		noted[id] = time.Unix(0, at).UTC()
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading delivery notes %s: %w", n.path, err)
	}
	return noted, nil
}

// forget drops the notes of ids: the notes that stay are written to a new
// file, renamed over the old one; none staying, the file is emptied.
func (n *noteFile) forget(ids []int64) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.lock(syscall.LOCK_EX); err != nil {
		return err
	}
	defer n.unlock()
	noted, err := n.parse()
	if err != nil {
		return err
	}
	gone := 0
	for _, id := range ids {
		if _, ok := noted[id]; ok {
			delete(noted, id)
			gone++
		}
	}
	if gone == 0 {
		return nil
	}
	if len(noted) == 0 {
		if err := n.f.Truncate(0); err != nil {
			return fmt.Errorf("emptying delivery notes %s: %w", n.path, err)
		}
		return nil
	}
	keep := make([]int64, 0, len(noted))
	for id := range noted {
		keep = append(keep, id)
	}
	slices.Sort(keep)
	var lines []byte
	for _, id := range keep {
		lines = appendNote(lines, id, noted[id])
	}
	tmp := fmt.Sprintf("%s.%d.tmp", n.path, os.Getpid())
	if err := os.WriteFile(tmp, lines, 0o600); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("rewriting delivery notes %s: %w", n.path, err)
	}
	if err := os.Rename(tmp, n.path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("rewriting delivery notes %s: %w", n.path, err)
	}
	// The next call opens the new file; the old one's lock goes with it.
	old := n.f
	n.f = nil
	flock(old, syscall.LOCK_UN)
	old.Close()
	return nil
}

func (n *noteFile) close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.f != nil {
		n.f.Close()
		n.f = nil
	}
}
