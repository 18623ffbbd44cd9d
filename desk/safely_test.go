package desk

import (
	"errors"
	"log/slog"
	"testing"
)

func TestSafelyTurnsAPanicIntoAnError(t *testing.T) {
	err := safely(slog.New(slog.DiscardHandler), func() error {
		var m map[string]int
		m["x"] = 1 // a bug in the code that reads a mail
		return nil
	})
	var crash *crashError
	if !errors.As(err, &crash) {
		t.Fatalf("err = %v, want a *crashError", err)
	}
	if err := safely(slog.New(slog.DiscardHandler), func() error { return nil }); err != nil {
		t.Errorf("a function that returns nil: %v", err)
	}
}
