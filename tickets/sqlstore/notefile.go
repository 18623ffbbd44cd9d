package sqlstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
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
// A note never waits for another process or for a rewrite: the instant
// between the SMTP server's reply and the note is the one a crash sends a
// mail twice in. Several processes may share the file (daemons on one
// SQLite database, a restarted one reading a dead one's notes). Dropping
// notes (forget) writes those that stay to a new file and renames it over
// the old one, one process at a time (an flock(2) on "<file>.lock", which
// notes never take); then it copies what was appended to the old file
// meanwhile. A note written to a file no longer at the path is written
// again to the new one (twice is harmless: the last note of an item wins).
type noteFile struct {
	path string
	// legacy is where earlier versions kept the notes: a SQLite database
	// of one table, "delivered".
	legacy string
	mu     sync.Mutex // this process's notes, one at a time
	f      *os.File   // the file notes are appended to
	// rewriting: this process's readers and rewriters, one at a time.
	rewriting sync.Mutex
	// imported: the notes of the legacy database are in the file.
	imported bool
}

// newNoteFile is the notes of the SQLite database at dbPath.
func newNoteFile(dbPath string) noteFile {
	return noteFile{path: dbPath + "-delivered.log", legacy: dbPath + "-delivered"}
}

// open opens the file at the path for appending, creating it.
func (n *noteFile) open() (*os.File, error) {
	if err := ownerOnly(n.path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(n.path, os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening delivery notes %s: %w", n.path, err)
	}
	return f, nil
}

// isCurrent reports whether f is still the file at its path: a file
// renamed over, or removed, has no links left. One fstat(2), no path to
// look up, on the way from the server's reply to the next mail.
func isCurrent(f *os.File) (bool, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return false, err
	}
	return st.Nlink > 0, nil
}

// exclusive runs fn holding the rewriters' lock (lockFile on
// "<file>.lock"), the notes of the legacy database imported first.
func (n *noteFile) exclusive(ctx context.Context, fn func() error) error {
	n.rewriting.Lock()
	defer n.rewriting.Unlock()
	lockPath := n.path + ".lock"
	if err := ownerOnly(lockPath); err != nil {
		return fmt.Errorf("creating the lock of delivery notes %s: %w", n.path, err)
	}
	unlock, err := lockFile(ctx, lockPath)
	if err != nil {
		return fmt.Errorf("locking delivery notes %s: %w", n.path, err)
	}
	defer unlock()
	if !n.imported {
		if err := n.importLegacy(); err != nil {
			return err
		}
	}
	return fn()
}

// importLegacy appends the notes an earlier version left in its SQLite
// notes database, then removes that database (under the rewriters' lock).
func (n *noteFile) importLegacy() error {
	old := n.legacy
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
		if err := n.write(lines); err != nil {
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
	return err != nil && strings.Contains(err.Error(), "no such table")
}

// appendNote adds the line of a note to b.
func appendNote(b []byte, id int64, at time.Time) []byte {
	b = strconv.AppendInt(b, id, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, at.UnixNano(), 10)
	return append(b, '\n')
}

// appendNotes adds the lines of noted to b, by outbox item.
func appendNotes(b []byte, noted map[int64]time.Time) []byte {
	for _, id := range slices.Sorted(maps.Keys(noted)) {
		b = appendNote(b, id, noted[id])
	}
	return b
}

// note appends the note of outbox item id, delivered at at.
func (n *noteFile) note(id int64, at time.Time) error {
	var buf [48]byte
	return n.write(appendNote(buf[:0], id, at))
}

// write appends lines of notes to the file now at the path: written to a
// file that a rewrite has replaced meanwhile, they are written again.
func (n *noteFile) write(lines []byte) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	for {
		if n.f == nil {
			f, err := n.open()
			if err != nil {
				return err
			}
			n.f = f
		}
		if _, err := n.f.Write(lines); err != nil {
			return fmt.Errorf("writing to delivery notes %s: %w", n.path, err)
		}
		current, err := isCurrent(n.f)
		if err != nil {
			return fmt.Errorf("writing to delivery notes %s: %w", n.path, err)
		}
		if current {
			return nil
		}
		n.f.Close()
		n.f = nil
	}
}

// read returns the notes: each noted item with the time of its last note.
func (n *noteFile) read(ctx context.Context) (map[int64]time.Time, error) {
	var noted map[int64]time.Time
	err := n.exclusive(ctx, func() error {
		f, err := n.open()
		if err != nil {
			return err
		}
		defer f.Close()
		noted, _, err = n.parse(f, 0)
		return err
	})
	return noted, err
}

// parse reads the notes of f from offset from, and returns the offset it
// read to: the end of its last whole
// line (a line without its newline is still being written, or was cut
// short by a crash of the machine). A line that is not a note is skipped.
func (n *noteFile) parse(f *os.File, from int64) (map[int64]time.Time, int64, error) {
	noted := map[int64]time.Time{}
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("reading delivery notes %s: %w", n.path, err)
	}
	end := fi.Size()
	if end <= from {
		return noted, from, nil
	}
	data, err := io.ReadAll(io.NewSectionReader(f, from, end-from))
	if err != nil {
		return nil, 0, fmt.Errorf("reading delivery notes %s: %w", n.path, err)
	}
	// Whole lines only: a line without its newline is being written.
	whole := bytes.LastIndexByte(data, '\n') + 1
	for line := range bytes.Lines(data[:whole]) {
		idText, atText, ok := bytes.Cut(bytes.TrimSuffix(line, []byte("\n")), []byte(" "))
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
	return noted, from + int64(whole), nil
}

// forget drops the notes of ids: the notes that stay are written to a new
// file, renamed over the old one, and the notes written to the old one
// meanwhile are copied to the new one.
func (n *noteFile) forget(ctx context.Context, ids []int64) error {
	return n.exclusive(ctx, func() error {
		old, err := n.open()
		if err != nil {
			return err
		}
		defer old.Close()
		noted, read, err := n.parse(old, 0)
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
		lines := appendNotes(nil, noted)
		tmp := fmt.Sprintf("%s.%d.tmp", n.path, os.Getpid())
		if err := os.WriteFile(tmp, lines, 0o600); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("rewriting delivery notes %s: %w", n.path, err)
		}
		if err := os.Rename(tmp, n.path); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("rewriting delivery notes %s: %w", n.path, err)
		}
		// Notes written to the old file since it was read: each writer
		// that finds its file replaced writes again, but one that checked
		// before the rename did not.
		late, _, err := n.parse(old, read)
		if err != nil || len(late) == 0 {
			return err
		}
		return n.write(appendNotes(nil, late))
	})
}

func (n *noteFile) close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.f != nil {
		n.f.Close()
		n.f = nil
	}
}
