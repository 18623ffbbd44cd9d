package tickets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"helpdesk/tickets/triage"
)

// errDryRun ends the transaction of a dry run, which rolls it back.
var errDryRun = errors.New("dry run: rolled back")

// Trial is what Ingest would do with a mail, as DryRun found it.
type Trial struct {
	// Result is what Ingest would return. The number of a new ticket is
	// the one it would get now.
	Result
	// Ticket is the ticket the mail would open or join, as it would stand
	// after the mail.
	Ticket *Ticket
	// Triage is the rules' decision for a mail that would open a ticket;
	// zero for any other.
	Triage triage.Decision
	// Events are the events the mail would record, in order.
	Events []Event
	// Queued are the mails it would put on the outbox.
	Queued []Message
	// Acknowledgement names the template of the acknowledgement a new
	// ticket would get; "" when it would get none.
	Acknowledgement string
	// NotAcknowledged says why a new ticket would get no acknowledgement,
	// in the words of its event: "the sender is not verified (...)",
	// "rate limit: ...". "" when it would get one, or opens no ticket.
	NotAcknowledged string
}

// DryRun runs Ingest's own code on in, in a write transaction that it
// rolls back, and reports what it did: the ticket the mail would open or
// join, the rules that fire, the events it would record and the mails it
// would queue, after every check ingest makes (the sender checks, the
// noreply list, the bounce hold, the rate limits). Nothing is stored.
func (s *Service) DryRun(ctx context.Context, in *Inbound) (Trial, error) {
	return s.dryRun(ctx, in, s.ingest)
}

// DryRunNewTicket is DryRun for a mail taken as opening a new ticket,
// whatever ticket it answers and even when it is stored already: what
// the rules and the checks on an acknowledgement would make of it now.
// It runs the code Ingest runs for a new ticket.
func (s *Service) DryRunNewTicket(ctx context.Context, in *Inbound) (Trial, error) {
	return s.dryRun(ctx, in, func(ctx context.Context, tx Tx, in *Inbound, mb MailboxInfo, res *Result) error {
		now := s.now().UTC()
		// A key of its own: the mail may be stored under its own already.
		msg := s.inboundMessage(in, in.Key()+"#trial", now)
		_, err := s.newTicket(ctx, tx, in, mb, msg, 0, nil, now, res)
		return err
	})
}

type ingestFunc func(ctx context.Context, tx Tx, in *Inbound, mb MailboxInfo, res *Result) error

func (s *Service) dryRun(ctx context.Context, in *Inbound, ingest ingestFunc) (Trial, error) {
	mb, err := s.check(in)
	if err != nil {
		return Trial{}, err
	}
	var tr Trial
	err = s.store.InTx(ctx, func(tx Tx) error {
		rec := &recordingTx{Tx: tx}
		if err := ingest(ctx, rec, in, mb, &tr.Result); err != nil {
			return err
		}
		if tr.TicketID != 0 {
			t, err := tx.Ticket(ctx, tr.TicketID)
			if err != nil {
				return fmt.Errorf("loading ticket %d: %w", tr.TicketID, err)
			}
			tr.Ticket = t
		}
		tr.Events, tr.Queued = rec.events, rec.queued
		// The notices are queued without their text: render them as
		// the sender would, so that the trial shows the mail.
		for _, q := range tr.notices {
			i, ok := rec.noticeAt[q.id]
			if !ok {
				continue
			}
			if c, err := s.render(ctx, q.notice); err == nil {
				tr.Queued[i].Subject, tr.Queued[i].Text, tr.Queued[i].HTML = c.Subject, c.Text, c.HTML
			}
		}
		tr.notices = nil
		return errDryRun
	})
	if !errors.Is(err, errDryRun) {
		return Trial{}, fmt.Errorf("trying %s on mailbox %q: %w", in.Key(), in.Mailbox, err)
	}
	if d := tr.decision; d != nil {
		tr.Triage = *d
		tr.acknowledgement(ackTemplate(*d, tr.followUp))
	}
	return tr, nil
}

// acknowledgement fills Acknowledgement or NotAcknowledged from what the
// trial queued and recorded.
func (tr *Trial) acknowledgement(template string) {
	for _, m := range tr.Queued {
		if m.Kind == KindAcknowledgement {
			tr.Acknowledgement = template
			return
		}
	}
	for _, e := range tr.Events {
		if e.Kind != EventNotAnswered {
			continue
		}
		if why, ok := strings.CutPrefix(e.Detail, "no acknowledgement: "); ok {
			tr.NotAcknowledged = why
			return
		}
		if why, ok := strings.CutPrefix(e.Detail, template+" not sent: "); ok {
			tr.NotAcknowledged = why
			return
		}
	}
	tr.NotAcknowledged = "no acknowledgement was queued"
}

// ackTemplate is the template of a new ticket's acknowledgement: the
// rule's, else new_ticket_after_window for a ticket opened by a reply to a
// ticket closed longer ago than the reopen window, else acknowledgement.
func ackTemplate(d triage.Decision, followUp bool) string {
	switch {
	case d.AckTemplate != "":
		return d.AckTemplate
	case followUp:
		return TemplateNewTicketAfterWindow
	}
	return "acknowledgement"
}

// TemplateNewTicketAfterWindow is the acknowledgement of a ticket opened by
// a reply to a ticket closed longer ago than the reopen window.
const TemplateNewTicketAfterWindow = "new_ticket_after_window"

// recordingTx keeps what ingest writes: the events and the mails it
// queues.
type recordingTx struct {
	Tx
	events []Event
	out    map[int64]Message // stored outbound messages by ID
	queued []Message
	// noticeAt is the index in queued of each notice queued without its
	// text, by outbox item, for the trial to render it.
	noticeAt map[int64]int
}

func (r *recordingTx) AddEvent(ctx context.Context, e *Event) error {
	if err := r.Tx.AddEvent(ctx, e); err != nil {
		return err
	}
	r.events = append(r.events, *e)
	return nil
}

func (r *recordingTx) InsertMessage(ctx context.Context, m *Message, raw []byte) error {
	if err := r.Tx.InsertMessage(ctx, m, raw); err != nil {
		return err
	}
	if m.Direction == Out {
		if r.out == nil {
			r.out = map[int64]Message{}
		}
		r.out[m.ID] = *m
	}
	return nil
}

func (r *recordingTx) EnqueueMail(ctx context.Context, messageID, ticketID int64, due time.Time) error {
	if err := r.Tx.EnqueueMail(ctx, messageID, ticketID, due); err != nil {
		return err
	}
	if m, ok := r.out[messageID]; ok {
		r.queued = append(r.queued, m)
	}
	return nil
}

func (r *recordingTx) EnqueueNotice(ctx context.Context, messageID, ticketID int64, due time.Time, ref NoticeRef) (int64, error) {
	id, err := r.Tx.EnqueueNotice(ctx, messageID, ticketID, due, ref)
	if err != nil {
		return 0, err
	}
	if m, ok := r.out[messageID]; ok {
		if r.noticeAt == nil {
			r.noticeAt = map[int64]int{}
		}
		r.noticeAt[id] = len(r.queued)
		r.queued = append(r.queued, m)
	}
	return id, nil
}
