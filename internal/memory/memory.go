// Package memory keeps the daemon's memory flat while it reads large
// mails: how much the Go runtime and the C allocator under SQLite keep of
// memory that was in use a moment ago.
package memory

import (
	"os"
	"runtime/debug"
)

// KeepFlat sets the process up for mails of at most largest bytes, unless
// the environment says otherwise (GOMEMLIMIT, GOGC; MALLOC_MMAP_THRESHOLD_
// for glibc):
//   - A soft limit on the Go runtime's memory of three times the largest
//     mail and 8 MiB. A mail is held at most twice while it is read (as
//     received, and the reader's working copy), and its decoded parts are
//     at most its size again; without a limit the runtime lets its memory
//     double past what is live before it collects, 100 MB more around a
//     25 MB mail. A limit at what is live (twice the mail and 8 MiB, as
//     it was) has the collector run back to back around a large mail:
//     with five of 25 MB among 500 small ones, 10.4 s of CPU instead of
//     4.8 to 5.5, for 6 to 8 MiB less at the peak. (SQLite gets a large
//     mail a part at a time, so its copies no longer add up to twice the
//     mail beside the runtime's.)
//     Under that limit (unless GOGC is set), the collector runs when the
//     memory is 4 times what is live (GOGC=300), not twice: a third as
//     often between large mails.
//   - A fixed threshold (128 KiB) above which the C allocator takes memory
//     from the system for each allocation and gives it back when freed.
//     glibc raises that threshold to the largest block freed so far, so
//     that SQLite's copies of a large mail, once freed, stay with the
//     process in each thread's arena: every large mail would add its
//     size twice to the memory of the process, for good.
func KeepFlat(largest int64) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(GoLimit(largest))
		if os.Getenv("GOGC") == "" {
			debug.SetGCPercent(gcPercent)
		}
	}
	if os.Getenv("MALLOC_MMAP_THRESHOLD_") == "" {
		fixMmapThreshold(128 << 10)
	}
}

// gcPercent is GOGC under the limit.
const gcPercent = 300

// GoLimit is the soft limit of the Go runtime's memory for mails of at
// most largest bytes.
func GoLimit(largest int64) int64 {
	return 3*largest + 8<<20
}
