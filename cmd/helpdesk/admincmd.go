package main

import (
	"bufio"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// cmdAdmin is admin hash-password: the bcrypt hash of a password read
// from stdin, for [http] admin_users.
func (e *env) cmdAdmin(args []string) error {
	if len(args) == 0 || args[0] != "hash-password" {
		return usageError{"expected: admin hash-password (the password on stdin)"}
	}
	fs, _ := e.flags("admin hash-password", false)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"admin hash-password takes no arguments: it reads the password from stdin"}
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return fmt.Errorf("reading the password from stdin: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if len(password) < 12 {
		return fmt.Errorf("the password is shorter than 12 characters")
	}
	if len(password) > 72 {
		return fmt.Errorf("the password is longer than 72 bytes, which bcrypt cannot hash whole")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), 12)
	if err != nil {
		return fmt.Errorf("hashing the password: %w", err)
	}
	fmt.Fprintln(e.stdout, string(hash))
	return nil
}
