package desk

import (
	"errors"
	"strings"
	"testing"
)

func TestSafelyTurnsAPanicIntoAnErrorWithItsStack(t *testing.T) {
	err := safely(func() error {
		var m map[string]int
		m["x"] = 1 // a bug in the code that reads a mail
		return nil
	})
	var crash *crashError
	if !errors.As(err, &crash) {
		t.Fatalf("err = %v, want a *crashError", err)
	}
	if !strings.Contains(crash.stack, "TestSafelyTurnsAPanicIntoAnErrorWithItsStack") {
		t.Errorf("the error's stack does not name the function that panicked:\n%s", crash.stack)
	}
	if err := safely(func() error { return nil }); err != nil {
		t.Errorf("a function that returns nil: %v", err)
	}
}
