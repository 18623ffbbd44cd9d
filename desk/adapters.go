package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"helpdesk/mailout"
	"helpdesk/templates"
	"helpdesk/tickets"
)

// composer renders the ticket service's notices from the admin's templates.
type composer struct {
	set    *templates.Set
	tag    string
	desk   templates.Desk
	agents map[string]*tickets.Agent // by address, for the names of notes' authors

	// The survey's links: base_url ("" for none), what signs them, how
	// long they work from the time the survey is rendered.
	baseURL   string
	signer    *tickets.Signer
	linkValid time.Duration
	now       func() time.Time
}

// csatLinks are the five signed rating links of ticket id's survey.
func (c *composer) csatLinks(id int64) templates.CSATLinks {
	if c.baseURL == "" {
		return templates.CSATLinks{}
	}
	exp := c.now().Add(c.linkValid)
	link := func(rating int) string { return c.baseURL + "/csat/" + c.signer.CSATToken(id, rating, exp) }
	return templates.CSATLinks{Rate1: link(1), Rate2: link(2), Rate3: link(3), Rate4: link(4), Rate5: link(5)}
}

// suggestion is a suggested article as the templates show it: its link
// carries the signed token of ticket id's "This solved my problem".
func (c *composer) suggestion(id int64, sg tickets.Suggestion) templates.Suggestion {
	out := templates.Suggestion{Title: sg.Title}
	if c.baseURL != "" {
		out.URL = c.baseURL + "/kb/" + sg.Slug + "?t=" + c.signer.SolvedToken(id, sg.ArticleID, c.now().Add(c.linkValid))
	}
	return out
}

func (c *composer) Compose(_ context.Context, n tickets.Notice) (tickets.Composed, error) {
	r, err := c.set.Render(n.Template, c.data(n))
	if err != nil {
		return tickets.Composed{}, err
	}
	return tickets.Composed{Subject: r.Subject, Text: r.Text, HTML: r.HTML}, nil
}

// Macro renders the admin's macro name for the ticket of n, in the
// ticket's language (tickets.Macros).
func (c *composer) Macro(_ context.Context, name string, n tickets.Notice) (string, error) {
	out, err := c.set.Macro(name, c.data(n))
	if errors.Is(err, templates.ErrUnknownMacro) {
		return "", fmt.Errorf("%w %q", tickets.ErrUnknownMacro, name)
	}
	return out, err
}

// data is what the templates see of notice n. Mail to an agent is in the
// agent's language, mail to the customer in the ticket's.
func (c *composer) data(n tickets.Notice) templates.Data {
	t := n.Ticket
	data := templates.Data{
		Desk: c.desk,
		Ticket: templates.Ticket{
			ID: t.ID, Ref: tickets.Ref(c.tag, t.ID), Subject: t.Subject, Status: string(t.Status),
			Priority: t.Priority, Queue: t.Queue, CreatedAt: t.CreatedAt, Resolution: t.Resolution,
		},
		Customer:    templates.Person{Name: n.To.Name, Email: n.To.Email},
		ReplyMarker: templates.ReplyMarker,
	}
	if n.Template == tickets.TemplateCSATSurvey {
		data.Links.CSAT = c.csatLinks(t.ID)
	}
	// Mail to the customer (an agent's answer too), never to an agent.
	if c.baseURL != "" && n.SLA == nil && tickets.SameEmail(n.To.Email, t.Requester.Email) &&
		(n.Agent == nil || !tickets.SameEmail(n.To.Email, n.Agent.Email)) {
		data.Links.Ticket = c.baseURL + "/t/" + c.signer.PageToken(t.ID)
	}
	for _, sg := range n.Suggestions {
		data.Suggestions = append(data.Suggestions, c.suggestion(t.ID, sg))
	}
	if t.FollowUpOf != 0 {
		data.Ticket.FollowUpOf = tickets.Ref(c.tag, t.FollowUpOf)
	}
	if t.MergedInto != 0 {
		data.Ticket.MergedInto = tickets.Ref(c.tag, t.MergedInto)
	}
	if n.Agent != nil {
		data.Agent = templates.Person{Name: n.Agent.Name, Email: n.Agent.Email}
		if tickets.SameEmail(n.To.Email, n.Agent.Email) {
			// A mail to an agent is about the ticket's customer.
			data.Customer = templates.Person{Name: t.Requester.Name, Email: t.Requester.Email}
		}
	} else if t.Assignee != "" {
		data.Agent = templates.Person{Email: t.Assignee}
	}
	if m := n.Trigger; m != nil {
		data.Message = templates.Message{
			From:    templates.Person{Name: m.From.Name, Email: m.From.Email},
			Subject: m.Subject, Text: m.Text, Date: m.CreatedAt,
		}
		for _, a := range m.Attachments {
			data.Message.Attachments = append(data.Message.Attachments,
				templates.Attachment{Filename: a.Filename, ContentType: a.ContentType, Size: a.Size})
		}
	}
	if sla := n.SLA; sla != nil {
		due := func(at time.Time) templates.Due { return templates.DueIn(at, sla.Agent, sla.Customer) }
		data.SLA = templates.SLA{Target: strings.ReplaceAll(sla.Target, "_", " "), State: sla.State,
			FirstResponseDue: due(sla.FirstResponseDue), NextResponseDue: due(sla.NextResponseDue), ResolutionDue: due(sla.ResolutionDue)}
		switch sla.Target {
		case tickets.TargetFirstResponse:
			data.SLA.Due = data.SLA.FirstResponseDue
		case tickets.TargetNextResponse:
			data.SLA.Due = data.SLA.NextResponseDue
		case tickets.TargetResolution:
			data.SLA.Due = data.SLA.ResolutionDue
		}
		// A mail about a ticket's SLA is about its customer, whoever gets it.
		data.Customer = templates.Person{Name: t.Requester.Name, Email: t.Requester.Email}
	}
	if e := n.Escalation; e != nil {
		data.Escalation = templates.Escalation{Reason: e.Reason, FromQueue: e.FromQueue,
			Vendor: templates.Person{Name: e.Vendor.Name, Email: e.Vendor.Email}}
		if e.By != nil {
			data.Escalation.By = templates.Person{Name: e.By.Name, Email: e.By.Email}
		}
		// A mail about an escalation is about the ticket's customer,
		// whoever gets it.
		data.Customer = templates.Person{Name: t.Requester.Name, Email: t.Requester.Email}
	}
	for _, note := range n.Notes {
		author := templates.Person{Email: note.Author}
		if a := c.agents[note.Author]; a != nil {
			author.Name = a.Name
		} else if n.Agent != nil && note.Author != "" {
			// A vendor's answer: named by its address.
			author.Name = note.Author
		}
		data.Notes = append(data.Notes, templates.Note{Author: author, Text: note.Text, Date: note.CreatedAt})
	}
	data.Ticket.Language, data.Language = t.Language, t.Language
	if n.Agent != nil && tickets.SameEmail(n.To.Email, n.Agent.Email) {
		data.Language = n.Agent.Language
	}
	if n.Template == tickets.TemplateVendorEscalation {
		// A vendor reads the desk's language, not the customer's.
		data.Language = ""
	}
	if data.Language == "" {
		data.Language = c.set.DefaultLanguage()
	}
	data.Problem = tickets.JoinProblems(n.Problems, data.Language, "\n")
	data.ReplyMarker = templates.ReplyMarkerIn(data.Language)
	return data
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
	for _, a := range msg.Attachments {
		out.Attachments = append(out.Attachments, mailout.Attachment{Filename: a.Filename, ContentType: a.ContentType, Data: a.Data})
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
