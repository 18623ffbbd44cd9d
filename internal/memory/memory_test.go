package memory

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestKeepFlatLimitsTheGoRuntimeToThreeTimesTheLargestMail(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("GOGC", "")
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	KeepFlat(25 << 20)
	if got, want := debug.SetMemoryLimit(-1), int64(83<<20); got != want {
		t.Errorf("memory limit %d MiB, want %d MiB", got>>20, want>>20)
	}
	if got := debug.SetGCPercent(100); got != 300 {
		t.Errorf("GOGC %d under the limit, want 300", got)
	}
}

func TestKeepFlatLeavesAGOMEMLIMITOfTheEnvironment(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "1GiB")
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	KeepFlat(25 << 20)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("memory limit %d, want the one set before", got)
	}
}
