package tickets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// EventUnverified records a mail threaded by a Message-ID from someone who
// is not on the ticket: the agent should look at it; it changed nothing.
const EventUnverified = "unverified"

// maxSubjectTags bounds the subject tags tried for one mail, so that a
// subject full of tags costs no more than a few lookups.
const maxSubjectTags = 10

// isStranger reports whether the sender of a customer mail threaded by
// Message-ID is not on ticket t. A Message-ID is no secret (it is in every
// copy of a mail and in every reply's headers), so, unlike the desk's
// signed tokens, it does not let anyone join a ticket.
func (s *Service) isStranger(ctx context.Context, tx Tx, t *Ticket, how string, in *Inbound, msg *Message) (bool, error) {
	if how != "message-id" || msg.Kind != KindCustomer || s.isOwnAddress(in.From.Email) {
		return false, nil
	}
	on, err := tx.IsParticipant(ctx, t.ID, EmailKey(in.From.Email))
	if err != nil {
		return false, fmt.Errorf("checking participants of ticket %d: %w", t.ID, err)
	}
	return !on, nil
}

// keepUnverified finishes storing a stranger's mail (already inserted,
// flagged): an event for the agent, and nothing else. The sender and the
// people they copied are not added, the status stays, no mail is sent.
func (s *Service) keepUnverified(ctx context.Context, tx Tx, t *Ticket, in *Inbound, now time.Time) error {
	from := EmailKey(in.From.Email)
	if err := s.event(ctx, tx, t.ID, EventUnverified, from,
		fmt.Sprintf("mail from %s, who is not on this ticket, threaded only by a Message-ID: not added as a participant, status unchanged; check it before answering", from), now); err != nil {
		return err
	}
	t.UpdatedAt = now
	if err := tx.UpdateTicket(ctx, t); err != nil {
		return fmt.Errorf("updating ticket %d: %w", t.ID, err)
	}
	return nil
}

// byEverySubjectTag threads by the subject tags in order: the first tag
// naming a live ticket the sender is on wins. Only the From counts: a
// Reply-To is the sender's own claim.
func (s *Service) byEverySubjectTag(ctx context.Context, tx Tx, in *Inbound) (*Ticket, error) {
	ids := s.tag.FindAll(in.Subject)
	if len(ids) > maxSubjectTags {
		ids = ids[:maxSubjectTags]
	}
	for _, id := range ids {
		t, err := s.live(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if t == nil {
			continue
		}
		ok, err := tx.IsParticipant(ctx, t.ID, in.From.Email)
		if err != nil {
			return nil, fmt.Errorf("checking participants of ticket %d: %w", t.ID, err)
		}
		if ok {
			return t, nil
		}
	}
	return nil, nil
}

// bouncedOwnMail returns the desk's own outbound messages that a bounce
// names: only a Message-ID that carries a valid reply token, and that was
// stored as a mail the desk sent, counts. Anyone can write a delivery
// report naming any Message-ID; only the desk and the recipient's mail
// system know the Message-ID of a mail the desk sent to that recipient.
func (s *Service) bouncedOwnMail(ctx context.Context, tx Tx, ids []string) ([]*Message, error) {
	var out []*Message
	for _, id := range boundRefs(ids) {
		id = strings.Trim(strings.TrimSpace(id), "<>")
		_, customer := s.signer.TicketFromMessageID(id)
		if _, _, vendor := s.signer.VendorFromMessageID(id); !customer && !vendor {
			continue
		}
		m, err := tx.MessageByKey(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("finding the bounced mail %s: %w", id, err)
		}
		if m.Direction == Out && m.MessageID == id {
			out = append(out, m)
		}
	}
	return out, nil
}

// sentTo returns the first of msgs that was sent to addr.
func sentTo(msgs []*Message, addr string) *Message {
	for _, m := range msgs {
		for _, a := range append(append([]Address(nil), m.To...), m.Cc...) {
			if SameEmail(a.Email, addr) {
				return m
			}
		}
	}
	return nil
}

// soleRecipient is the one address msgs went to, or "" when there are
// none or several: a bounce that names no failed address counts only
// when it cannot be about anyone else.
func soleRecipient(msgs []*Message) string {
	addr := ""
	for _, m := range msgs {
		for _, a := range append(append([]Address(nil), m.To...), m.Cc...) {
			switch {
			case addr == "":
				addr = EmailKey(a.Email)
			case !SameEmail(addr, a.Email):
				return ""
			}
		}
	}
	return addr
}
