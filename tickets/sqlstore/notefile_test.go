package sqlstore

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// Two stores on one SQLite database (two daemons, or a restarted one)
// note deliveries at once while one of them drops the notes it has
// recorded: every note not dropped is still there, none is lost to a
// rewrite of the file, and the file is emptied once none is left.
func TestDeliveryNotesOfTwoProcessesSurviveEachOthersRewrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "desk.db")
	a, b := open(t, path), open(t, path)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	const each = 2000
	var wg sync.WaitGroup
	wg.Go(func() {
		for id := int64(1); id <= each; id++ {
			if err := a.noteFile.note(id, t0); err != nil {
				t.Error(err)
				return
			}
			if id%50 == 0 { // a's recorder drops what it has recorded
				var done []int64
				for d := id - 49; d <= id; d++ {
					done = append(done, d)
				}
				if err := a.noteFile.forget(ctx, done); err != nil {
					t.Error(err)
					return
				}
			}
		}
	})
	wg.Go(func() {
		for id := int64(each + 1); id <= 2*each; id++ {
			if err := b.noteFile.note(id, t0.Add(time.Duration(id))); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()
	noted, err := a.noteFile.read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(noted) != each {
		t.Fatalf("%d notes left, want the %d of the second process", len(noted), each)
	}
	for id := int64(each + 1); id <= 2*each; id++ {
		if at, ok := noted[id]; !ok || !at.Equal(t0.Add(time.Duration(id))) {
			t.Fatalf("note of item %d: %v, %v; want %v", id, at, ok, t0.Add(time.Duration(id)))
		}
	}
	var rest []int64
	for id := range noted {
		rest = append(rest, id)
	}
	if err := b.DeliveryNotes().ForgetDeliveries(ctx, rest); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path + "-delivered.log"); err != nil || fi.Size() != 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("notes file after the last is dropped: %v, %v; want empty, 0600", fi, err)
	}
}

// A note cut short by a crash of the machine (no newline, or garbage)
// is skipped, and the notes around it are read.
func TestACutNoteIsSkipped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "desk.db")
	s := open(t, path)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if err := s.noteFile.note(7, t0); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path+"-delivered.log", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("8 17\x00\x00\nx y\n9")
	f.Close()
	noted, err := s.noteFile.read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(noted) != 1 || !noted[7].Equal(t0) {
		t.Errorf("read %v, want only item 7 at %v", noted, t0)
	}
}

// The notes an earlier version left in its SQLite notes database
// (helpdesk.db-delivered) are read after an upgrade, and that database
// is removed: a mail delivered just before the upgrade is not sent again.
func TestNotesOfTheEarlierNotesDatabaseAreKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "desk.db")
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	old, err := sqlx.Open("sqlite3", "file:"+path+"-delivered?_journal_mode=WAL&_synchronous=OFF")
	if err != nil {
		t.Fatal(err)
	}
	old.MustExec(`CREATE TABLE delivered (outbox_id INTEGER PRIMARY KEY, at TIMESTAMP NOT NULL)`)
	old.MustExec(`INSERT INTO delivered (outbox_id, at) VALUES (41, ?), (42, ?)`, t0, t0.Add(time.Second))
	old.Close()

	s := open(t, path)
	noted, err := s.noteFile.read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(noted) != 2 || !noted[41].Equal(t0) || !noted[42].Equal(t0.Add(time.Second)) {
		t.Errorf("notes after the upgrade: %v, want items 41 and 42", noted)
	}
	for _, p := range []string{path + "-delivered", path + "-delivered-wal", path + "-delivered-shm"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s: %v, want it removed", filepath.Base(p), err)
		}
	}
}
