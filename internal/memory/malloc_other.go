//go:build !cgo || !linux

package memory

// fixMmapThreshold does nothing: the C allocator is not glibc's.
func fixMmapThreshold(int) {}
