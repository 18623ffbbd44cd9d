package sqlstore

import (
	"context"
	"errors"
	"time"

	"helpdesk/tickets"
)

// MailboxCursors keeps, per mailbox, how far an IMAP watcher has read:
// the UIDVALIDITY and the last UID handled. It shares the store's
// database, so a cursor survives restarts with the tickets, but it is not
// part of the ticket store: the domain never sees an IMAP UID. Its method
// set is that of imapwatch.State.
type MailboxCursors struct{ s *Store }

// MailboxCursors returns the IMAP cursors kept in the store's database.
func (s *Store) MailboxCursors() *MailboxCursors { return &MailboxCursors{s: s} }

// LoadState returns the cursor of mailbox, zeros when it has none.
func (c *MailboxCursors) LoadState(ctx context.Context, mailbox string) (uidValidity, lastUID uint32, err error) {
	var st struct {
		UIDValidity int64 `db:"uid_validity"`
		LastUID     int64 `db:"last_uid"`
	}
	err = c.s.read().get(ctx, &st, "mailbox-state", mailbox)
	if errors.Is(err, tickets.ErrNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	return uint32(st.UIDValidity), uint32(st.LastUID), nil
}

// SaveState sets the cursor of mailbox.
func (c *MailboxCursors) SaveState(ctx context.Context, mailbox string, uidValidity, lastUID uint32) error {
	_, err := c.s.write(ctx, "save-mailbox-state", mailbox, int64(uidValidity), int64(lastUID), time.Now().UTC())
	return err
}
