package memory

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestKeepFlatLimitsTheGoRuntimeToTwiceTheLargestMail(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	KeepFlat(25 << 20)
	if got, want := debug.SetMemoryLimit(-1), int64(58<<20); got != want {
		t.Errorf("memory limit %d MiB, want %d MiB", got>>20, want>>20)
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
