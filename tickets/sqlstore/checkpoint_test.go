package sqlstore

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// walSizeAfterWrites writes about 2,000 pages in 200 commits to a new
// store, checkpointed every interval (never when 0), and returns the size
// of its write-ahead log file then.
//
// SQLite starts the log again from its beginning only when a commit finds
// it all copied back and no checkpoint running; on a loaded machine a
// checkpoint preempted mid-copy can overlap commit after commit. So with
// checkpoints the test holds the checkpointing goroutine, after every ten
// commits, once it has finished a checkpoint begun after the last of
// them, and lets it go after the next commit.
func walSizeAfterWrites(t *testing.T, interval time.Duration) int64 {
	t.Helper()
	path := filepath.Join(t.TempDir(), "desk.db")
	s := open(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	checkpointed, resume := make(chan struct{}), make(chan struct{})
	if interval > 0 {
		s.checkpointed = func() {
			select {
			case checkpointed <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case <-resume:
			case <-ctx.Done():
			}
		}
		s.CheckpointEvery(ctx, interval, slog.New(slog.DiscardHandler))
	}
	if _, err := s.db.Exec("CREATE TABLE blobs (b BLOB)"); err != nil {
		t.Fatal(err)
	}
	blob := make([]byte, 40<<10) // ten pages
	for i := range 200 {
		if _, err := s.db.Exec("INSERT INTO blobs VALUES (?)", blob); err != nil {
			t.Fatal(err)
		}
		if interval == 0 {
			continue
		}
		if i%10 == 0 && i > 0 {
			resume <- struct{}{}
		}
		if i%10 == 9 {
			<-checkpointed // perhaps begun before this commit
			resume <- struct{}{}
			<-checkpointed // begun after it; held until the next commit
		}
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// Checkpointed apart, the log is copied back as it grows and starts again
// from its beginning; without, it holds every page written until 10,000
// pages, when a commit copies them.
func TestCheckpointEveryKeepsTheWriteAheadLogShort(t *testing.T) {
	const written = 200 * 40 << 10
	without := walSizeAfterWrites(t, 0)
	if without < written {
		t.Fatalf("without checkpoints apart the log holds %d bytes, want at least the %d written", without, written)
	}
	with := walSizeAfterWrites(t, 5*time.Millisecond)
	if with > written/4 {
		t.Errorf("checkpointed every 5ms, the log holds %d bytes of the %d written, want at most a quarter", with, written)
	}
}
