package desk

import (
	"context"
	"errors"

	"helpdesk/mailout"
	"helpdesk/templates"
	"helpdesk/tickets"
)

// composer renders the ticket service's notices from the admin's templates.
type composer struct {
	set  *templates.Set
	tag  string
	desk templates.Desk
}

func (c *composer) Compose(_ context.Context, n tickets.Notice) (tickets.Composed, error) {
	t := n.Ticket
	data := templates.Data{
		Desk: c.desk,
		Ticket: templates.Ticket{
			ID: t.ID, Ref: tickets.Ref(c.tag, t.ID), Subject: t.Subject, Status: string(t.Status),
			Priority: t.Priority, Queue: t.Queue, CreatedAt: t.CreatedAt,
		},
		Customer: templates.Person{Name: n.To.Name, Email: n.To.Email},
	}
	if t.Assignee != "" {
		data.Agent = templates.Person{Email: t.Assignee}
	}
	if m := n.Trigger; m != nil {
		data.Message = templates.Message{
			From:    templates.Person{Name: m.From.Name, Email: m.From.Email},
			Subject: m.Subject, Text: m.Text, Date: m.CreatedAt,
		}
	}
	r, err := c.set.Render(n.Template, data)
	if err != nil {
		return tickets.Composed{}, err
	}
	return tickets.Composed{Subject: r.Subject, Text: r.Text, HTML: r.HTML}, nil
}

// Mailer delivers outbox messages over SMTP, reusing one connection.
type Mailer struct{ sender *mailout.Sender }

// Send builds the MIME mail and hands it to the SMTP server.
func (m *Mailer) Send(ctx context.Context, msg *tickets.Message) error {
	out := &mailout.Mail{
		From:       mailout.Address(msg.From),
		To:         outAddrs(msg.To),
		Cc:         outAddrs(msg.Cc),
		Subject:    msg.Subject,
		MessageID:  msg.MessageID,
		InReplyTo:  msg.InReplyTo,
		References: msg.References,
		Headers:    msg.Headers,
		Text:       msg.Text,
		HTML:       msg.HTML,
		Date:       msg.CreatedAt,
	}
	if msg.ReplyTo != nil {
		r := mailout.Address(*msg.ReplyTo)
		out.ReplyTo = &r
	}
	err := m.sender.Send(ctx, out)
	var oe *mailout.Error
	if errors.As(err, &oe) {
		return &tickets.SendError{Temporary: oe.Temporary, Code: oe.Code, Err: oe.Err}
	}
	return err
}

// Close ends the SMTP session.
func (m *Mailer) Close() error { return m.sender.Close() }

func outAddrs(as []tickets.Address) []mailout.Address {
	out := make([]mailout.Address, len(as))
	for i, a := range as {
		out[i] = mailout.Address(a)
	}
	return out
}
