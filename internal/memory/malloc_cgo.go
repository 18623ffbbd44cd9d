//go:build cgo && linux

package memory

/*
#include <malloc.h>

static void fix_mmap_threshold(int n) {
#ifdef M_MMAP_THRESHOLD
	mallopt(M_MMAP_THRESHOLD, n);
#endif
}
*/
import "C"

// fixMmapThreshold sets glibc's M_MMAP_THRESHOLD, which also stops glibc
// from moving it (mallopt(3)); elsewhere it does nothing.
func fixMmapThreshold(n int) { C.fix_mmap_threshold(C.int(n)) }
