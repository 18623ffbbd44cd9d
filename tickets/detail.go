package tickets

import (
	"context"
	"fmt"
)

// Detail is a ticket with everything recorded about it, as a person reads
// it: the command line's `tickets show` today, agents' pages later.
type Detail struct {
	Ticket       *Ticket
	Participants []Participant
	Messages     []Message
	Events       []Event
	// Delivery is the outbox status (OutboxQueued, OutboxSent or
	// OutboxFailed) of each outgoing message, by message ID.
	Delivery map[int64]string
}

// Detail loads ticket id with its participants, messages, events and the
// delivery of the mails sent on it. ErrNotFound when there is no such
// ticket.
func (s *Service) Detail(ctx context.Context, id int64) (*Detail, error) {
	ref := s.Ref(id)
	t, err := s.store.Ticket(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("ticket %s: %w", ref, err)
	}
	d := &Detail{Ticket: t, Delivery: map[int64]string{}}
	if d.Messages, err = s.store.Messages(ctx, id); err != nil {
		return nil, fmt.Errorf("loading the messages of ticket %s: %w", ref, err)
	}
	if d.Events, err = s.store.Events(ctx, id); err != nil {
		return nil, fmt.Errorf("loading the events of ticket %s: %w", ref, err)
	}
	if d.Participants, err = s.store.Participants(ctx, id); err != nil {
		return nil, fmt.Errorf("loading the participants of ticket %s: %w", ref, err)
	}
	outbox, err := s.store.Outbox(ctx, OutboxFilter{TicketID: id})
	if err != nil {
		return nil, fmt.Errorf("loading the outbox of ticket %s: %w", ref, err)
	}
	for _, it := range outbox {
		d.Delivery[it.Message.ID] = it.Status
	}
	return d, nil
}
