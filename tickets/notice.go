package tickets

import (
	"context"
	"fmt"
	"time"
)

// maxReferences bounds the References header of outgoing mail; long
// threads keep the first and the newest, as RFC 5322 3.6.4 suggests.
const maxReferences = 20

// queueNotice renders a templated mail to the ticket's requester, stores it
// as an outbound message and puts it on the outbox, in the caller's
// transaction. A template that fails to render is an event, not an error:
// the customer's mail is stored either way.
func (s *Service) queueNotice(ctx context.Context, tx Tx, t *Ticket, trigger *Message, template, kind string, now time.Time) (int, error) {
	to := t.Requester
	if why, err := s.mayAutoSend(ctx, tx, t, to.Email, now); err != nil || why != "" {
		if err != nil {
			return 0, err
		}
		return 0, s.event(ctx, tx, t.ID, EventNotAnswered, "system", template+" not sent: "+why, now)
	}
	composed, err := s.opts.Composer.Compose(ctx, Notice{Template: template, Ticket: t, Trigger: trigger, To: to})
	if err != nil {
		return 0, s.event(ctx, tx, t.ID, EventNotAnswered, "system", fmt.Sprintf("%s not sent: %v", template, err), now)
	}
	mb := s.opts.Mailboxes[t.Mailbox]
	replyTo := Address{Name: s.opts.From.Name, Email: s.signer.ReplyAddress(mb.Address, t.ID)}
	if mb.Address == "" {
		replyTo.Email = s.signer.ReplyAddress(s.opts.From.Email, t.ID)
	}
	msgID := s.signer.MessageID(t.ID, s.domain)
	out := &Message{
		TicketID:  t.ID,
		Direction: Out,
		Kind:      kind,
		Mailbox:   t.Mailbox,
		Key:       msgID,
		MessageID: msgID,
		From:      s.opts.From,
		To:        []Address{to},
		ReplyTo:   &replyTo,
		Subject:   s.tag.Ensure(composed.Subject, t.ID),
		Text:      composed.Text,
		HTML:      composed.HTML,
		Headers: map[string]string{
			// RFC 3834 5: mark automatic responses so other robots do not answer them.
			"Auto-Submitted": "auto-replied",
			// Exchange and Outlook: suppress out-of-office and other auto-replies.
			"X-Auto-Response-Suppress": "All",
			s.opts.LoopHeader:          s.domain,
		},
		CreatedAt: now,
	}
	if trigger != nil && trigger.MessageID != "" {
		out.InReplyTo = trigger.MessageID
		out.References = threadReferences(trigger.References, trigger.MessageID)
	}
	if err := tx.InsertMessage(ctx, out, nil); err != nil {
		return 0, fmt.Errorf("storing %s for ticket %d: %w", template, t.ID, err)
	}
	if err := tx.EnqueueMail(ctx, out.ID, t.ID, now); err != nil {
		return 0, fmt.Errorf("queueing %s for ticket %d: %w", template, t.ID, err)
	}
	// The event is named for the kind of mail: "acknowledgement", "reopened", ...
	if err := s.event(ctx, tx, t.ID, kind, "system", fmt.Sprintf("%s queued to %s (template %s)", kind, to.Email, template), now); err != nil {
		return 0, err
	}
	return 1, nil
}

// threadReferences builds the References of a reply to a mail with refs and id.
func threadReferences(refs []string, id string) []string {
	out := append(append([]string(nil), refs...), id)
	if len(out) > maxReferences {
		out = append(out[:1:1], out[len(out)-maxReferences+1:]...)
	}
	return out
}
