package desk

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"helpdesk/config"
	"helpdesk/tickets/sqlstore"
)

// ParseDatabase reads a database named on the command line:
// "sqlite:PATH" or a PostgreSQL URL, "postgres://user@host/database".
func ParseDatabase(s string) (config.Database, error) {
	if path, ok := strings.CutPrefix(s, "sqlite:"); ok && path != "" {
		return config.Database{Driver: "sqlite", DSN: path}, nil
	}
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		return config.Database{Driver: "postgres", DSN: s}, nil
	}
	return config.Database{}, errors.New("expected sqlite:PATH or postgres://user@host/database")
}

// CopyDatabase copies everything the desk in from holds (tickets,
// messages with their raw mails and attachments, events, participants,
// the outbox, the quarantine, mailbox positions, bouncing addresses,
// fingerprints) into to, a new PostgreSQL database, which it creates the
// tables of. It returns the rows of each table on both sides; an error
// leaves to as it found it. The source is upgraded to the current schema
// first, as any command does.
func CopyDatabase(ctx context.Context, from, to config.Database) ([]sqlstore.TableCount, error) {
	if from.Driver == "sqlite" {
		// Opening would create a missing file, and copy nothing.
		if _, err := os.Stat(from.DSN); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("copying from %s: no such file", from.DSN)
		}
	}
	src, err := sqlstore.Open(ctx, sqlstore.Options{Driver: from.Driver, DSN: from.DSN})
	if err != nil {
		return nil, err
	}
	defer src.Close()
	dst, err := sqlstore.Open(ctx, sqlstore.Options{Driver: to.Driver, DSN: to.DSN, MaxOpenConns: to.MaxOpenConns})
	if err != nil {
		return nil, err
	}
	defer dst.Close()
	counts, err := src.CopyTo(ctx, dst)
	if err != nil {
		return counts, fmt.Errorf("copying %s to %s: %w", from.Name(), to.Name(), err)
	}
	return counts, nil
}
