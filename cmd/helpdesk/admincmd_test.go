package main

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestHashPasswordPrintsABcryptHashOfStdin(t *testing.T) {
	c := newCLI(t)
	code, out, errs := c.run("correct horse battery staple\n", "admin", "hash-password")
	if code != 0 {
		t.Fatalf("admin hash-password: exit %d, %s", code, errs)
	}
	hash := strings.TrimSpace(out)
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte("correct horse battery staple")) != nil {
		t.Errorf("%q is not the hash of the password", hash)
	}
	if code, _, errs = c.run("short\n", "admin", "hash-password"); code != 1 || !strings.Contains(errs, "shorter than 12") {
		t.Errorf("a short password: exit %d, %s", code, errs)
	}
}
