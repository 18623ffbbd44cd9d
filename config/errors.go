package config

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a configuration.
type Problem struct {
	// Line is the line of the file concerned: that of the key, or of the
	// table that lacks it; 0 when the file has neither.
	Line int
	// Key is the key concerned, "mailbox[1].imap.port"; "" for a syntax error
	// or a problem of the whole file.
	Key string
	// Msg says what is wrong, "must be 1-65535".
	Msg string
	// Err is the underlying error, if any (a *toml.DecodeError of go-toml,
	// an *os.PathError). Print it with Error: the String of a DecodeError
	// shows the lines around, which may hold a secret.
	Err error
}

// String formats the problem without the file name: "mailbox[1].imap.port: must be 1-65535".
func (p Problem) String() string {
	if p.Key == "" {
		return p.Msg
	}
	return p.Key + ": " + p.Msg
}

// ValidationError lists every problem found in a configuration. Load, Parse and
// Validate return it as *ValidationError; use errors.As to reach the list.
type ValidationError struct {
	// File is the configuration file, "" when not known.
	File string
	// Problems are in the order of the file where that is known, then in the
	// order of the Config fields.
	Problems []Problem
}

// Error returns one line per problem, each "file:line: key: message".
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		prefix := e.File
		if p.Line > 0 {
			prefix += fmt.Sprintf(":%d", p.Line)
		}
		if prefix != "" {
			prefix += ": "
		}
		lines[i] = prefix + p.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the underlying errors of the problems that have one.
func (e *ValidationError) Unwrap() []error {
	var errs []error
	for _, p := range e.Problems {
		if p.Err != nil {
			errs = append(errs, p.Err)
		}
	}
	return errs
}

// problems collects Problems while checking a configuration.
type problems []Problem

func (ps *problems) add(key, format string, args ...any) {
	*ps = append(*ps, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
}

// err returns the problems as a *ValidationError, or nil when there are none.
func (ps problems) err(file string) error {
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{File: file, Problems: ps}
}
