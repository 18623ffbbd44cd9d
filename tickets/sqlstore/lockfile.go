package sqlstore

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockFile takes an exclusive flock(2) on the SQLite file at path, waiting
// until ctx ends. SQLite locks with fcntl(2), which on Linux is independent
// of flock, so the database itself stays usable by everyone meanwhile;
// only another process's lockFile waits. The migrations need it: each of
// them runs in its own transaction, and two processes that both saw a
// migration pending on a new file both ran it, and one failed ("duplicate
// column name").
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil // closing releases the lock
		}
		if err != syscall.EWOULDBLOCK && err != syscall.EINTR {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
