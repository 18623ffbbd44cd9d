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
func walSizeAfterWrites(t *testing.T, interval time.Duration) int64 {
	t.Helper()
	path := filepath.Join(t.TempDir(), "desk.db")
	s := open(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if interval > 0 {
		s.CheckpointEvery(ctx, interval, slog.New(slog.DiscardHandler))
	}
	if _, err := s.db.Exec("CREATE TABLE blobs (b BLOB)"); err != nil {
		t.Fatal(err)
	}
	blob := make([]byte, 40<<10) // ten pages
	for range 200 {
		if _, err := s.db.Exec("INSERT INTO blobs VALUES (?)", blob); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
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
