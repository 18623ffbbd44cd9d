package tickets

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Templates of the status mails to a ticket's requester.
const (
	// TemplateResolved says the ticket is resolved, with the resolution
	// note, and that a reply reopens it.
	TemplateResolved = "resolved"
	// TemplatePending says the desk waits on the customer.
	TemplatePending = "pending"
	// TemplateClosed says the ticket is closed.
	TemplateClosed = "closed"
	// TemplateMerged says the request goes on as another ticket.
	TemplateMerged = "merged"
)

// Notify turns each status mail to the requester on or off.
type Notify struct {
	Resolved, Pending, Closed, Merged bool
}

// DefaultNotify sends every status mail but pending's (an agent's answer
// that waits on the customer says so itself).
var DefaultNotify = Notify{Resolved: true, Closed: true, Merged: true}

// maxResolution bounds a resolution note, in characters.
const maxResolution = 4000

// SetStatus moves ticket id to st as actor, an admin: resolved, closed,
// pending, or open (a reopen). note is the resolution note of a resolve
// (root cause and fix), kept on the ticket; it is an error with another
// status. The requester gets the status mail, where Options.Notify wants
// it and the loop rules allow it.
func (s *Service) SetStatus(ctx context.Context, id int64, st Status, note, actor string) (*Ticket, error) {
	switch st {
	case StatusOpen, StatusPending, StatusPendingVendor, StatusResolved, StatusClosed:
	default:
		return nil, fmt.Errorf("status %q cannot be set (use open, pending, pending_vendor, resolved or closed)", st)
	}
	note = strings.TrimSpace(note)
	if note != "" && st != StatusResolved {
		return nil, fmt.Errorf("a note is the resolution of a resolve, not of %s", st)
	}
	if len([]rune(note)) > maxResolution {
		return nil, fmt.Errorf("the resolution note has %d characters, at most %d are kept", len([]rune(note)), maxResolution)
	}
	now := s.now().UTC()
	var out *Ticket
	err := s.store.InTx(ctx, func(tx Tx) error {
		t, err := tx.Ticket(ctx, id)
		if err != nil {
			return fmt.Errorf("ticket %s: %w", s.Ref(id), err)
		}
		switch {
		case t.Status.Terminal():
			return fmt.Errorf("ticket %s is %s", s.Ref(id), t.Status)
		case t.Status == st:
			return fmt.Errorf("ticket %s is already %s", s.Ref(id), st)
		case st == StatusOpen && t.Status == StatusNew:
			return fmt.Errorf("ticket %s is new, not resolved, closed or pending: nothing to reopen", s.Ref(id))
		case t.Status == StatusUnverified && st != StatusClosed:
			return s.errUnverified(t)
		case t.Status == StatusUnverified:
			out = t
			return s.closeUnverified(ctx, tx, t, actor, "closed before the customer confirmed the address: no mail", now)
		}
		if err := s.changeStatus(ctx, tx, t, st, note, actor, now); err != nil {
			return err
		}
		out = t
		return nil
	})
	return out, err
}

// errUnverified refuses an admin's change to ticket t, opened on the web
// form and not yet confirmed by its requester (by a reply or on its
// page): it has no SLA clocks and no assignee yet, and any mail it sent
// could reach someone who never wrote. Closing it is the one way out.
func (s *Service) errUnverified(t *Ticket) error {
	return fmt.Errorf("ticket %s is unverified: %s has not confirmed the address yet; it can only be closed",
		s.Ref(t.ID), t.Requester.Email)
}

// closeUnverified closes unverified ticket t as actor, without a mail:
// its address may not be its writer's. why is the event's detail.
func (s *Service) closeUnverified(ctx context.Context, tx Tx, t *Ticket, actor, why string, now time.Time) error {
	if err := tx.CancelJob(ctx, t.ID, JobUnverifiedExpire); err != nil {
		return fmt.Errorf("cancelling the expiry of ticket %d: %w", t.ID, err)
	}
	if err := s.event(ctx, tx, t.ID, EventNotAnswered, actor, why, now); err != nil {
		return err
	}
	if err := s.setStatus(ctx, tx, t, StatusClosed, actor, now); err != nil {
		return err
	}
	t.UpdatedAt = now
	if err := tx.UpdateTicket(ctx, t); err != nil {
		return fmt.Errorf("updating ticket %d: %w", t.ID, err)
	}
	return nil
}

// changeStatus moves t to st as actor, with note as the resolution of a
// resolve, stores t and queues the status mail.
func (s *Service) changeStatus(ctx context.Context, tx Tx, t *Ticket, st Status, note, actor string, now time.Time) error {
	if err := s.applyStatus(ctx, tx, t, st, note, actor, now); err != nil {
		return err
	}
	t.UpdatedAt = now
	if err := tx.UpdateTicket(ctx, t); err != nil {
		return fmt.Errorf("updating ticket %d: %w", t.ID, err)
	}
	return s.statusMail(ctx, tx, t, now)
}

// applyStatus moves t to st as actor, with note as the resolution of a
// resolve, and records it; the caller stores t and sends the mail.
func (s *Service) applyStatus(ctx context.Context, tx Tx, t *Ticket, st Status, note, actor string, now time.Time) error {
	if err := s.setStatus(ctx, tx, t, st, actor, now); err != nil {
		return err
	}
	if st != StatusResolved || note == "" {
		return nil
	}
	t.Resolution = note
	return s.event(ctx, tx, t.ID, EventResolution, actor, note, now)
}

// Event kinds of the life cycle.
const (
	// EventResolution records the resolution note given with a resolve.
	EventResolution = "resolution"
	// EventConfirmed records a customer's reply to a resolved or closed
	// ticket that only thanked, which left the ticket as it was.
	EventConfirmed = "confirmed"
)

// statusMail queues the mail of t's status to its requester when
// Options.Notify wants one, through the loop rules of queueNotice.
func (s *Service) statusMail(ctx context.Context, tx Tx, t *Ticket, now time.Time) error {
	var template string
	switch n := s.notify; {
	case t.Status == StatusResolved && n.Resolved:
		template = TemplateResolved
	case t.Status == StatusPending && n.Pending:
		template = TemplatePending
	case t.Status == StatusClosed && n.Closed:
		template = TemplateClosed
	case t.Status == StatusMerged && n.Merged:
		template = TemplateMerged
	}
	if template != "" {
		// The mail answers the customer's last mail, so that it threads
		// there in their mail client.
		last, err := s.lastCustomerMail(ctx, tx, t.ID)
		if err != nil {
			return err
		}
		var queued Result // rendered by the sender, outside this transaction
		if err = s.queueNotice(ctx, tx, t, last, template, template, now, &queued); err != nil {
			return err
		}
	}
	return s.survey(ctx, tx, t, now)
}
