package desk

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"helpdesk/config"
	"helpdesk/mailout"
	"helpdesk/templates"
	"helpdesk/tickets"
)

// TestHeader marks a mail of `helpdesk templates send-test`; its subject
// starts with TestSubjectPrefix.
const (
	TestHeader        = "X-Helpdesk-Test"
	TestSubjectPrefix = "[TEST] "
)

// agentTemplates are the templates that go to agents.
var agentTemplates = []string{tickets.TemplateAgentNewTicket, tickets.TemplateAgentCustomerReply,
	tickets.TemplateAgentUnassigned, tickets.TemplateCommandError, tickets.TemplateAgentSecurity,
	tickets.TemplateAgentEscalated, tickets.TemplateAgentVendorReply, tickets.TemplateAgentVendorWaiting, tickets.TemplateManagerEscalation}

// Preview is what a template makes of some data, as the outbox would
// send it.
type Preview struct {
	// Mail is the whole message; Bytes gives its MIME text.
	Mail *mailout.Mail
	// Language and Queue are the variant rendered; Source says where each
	// part came from (templates.Set.SourceFor).
	Language, Queue string
	Source          map[string]string
}

// PreviewOptions choose the variant and the data of a preview.
type PreviewOptions struct {
	// Language and Queue override the data's ("" keeps them).
	Language, Queue string
	// To is the recipient; "" is the data's customer, or its agent for a
	// template that goes to agents.
	To string
	// Test marks the mail as a test: TestSubjectPrefix and TestHeader.
	Test bool
	// Now dates the mail (default time.Now).
	Now time.Time
}

// PreviewMail renders template name from data as the outbox would send it
// under cfg: the desk's From, the headers of automatic mail, the subject
// tag. Headers and subject go through mailout, which takes every control
// character out of them.
func PreviewMail(cfg *config.Config, set *templates.Set, name string, data templates.Data, o PreviewOptions) (*Preview, error) {
	if o.Language != "" {
		if !slices.Contains(set.Languages(), o.Language) {
			return nil, fmt.Errorf("unknown language %q (known: %s)", o.Language, strings.Join(set.Languages(), ", "))
		}
		data.Language, data.Ticket.Language = o.Language, o.Language
	}
	if o.Queue != "" {
		data.Ticket.Queue = o.Queue
	}
	if data.Language == "" {
		data.Language = set.DefaultLanguage()
	}
	data.ReplyMarker = templates.ReplyMarkerIn(data.Language)
	r, err := set.Render(name, data)
	if err != nil {
		return nil, err
	}
	toAgent := slices.Contains(agentTemplates, name)
	to := mailout.Address(data.Customer)
	if toAgent {
		to = mailout.Address(data.Agent)
	}
	if name == tickets.TemplateVendorEscalation && data.Escalation.Vendor.Email != "" {
		to = mailout.Address(data.Escalation.Vendor)
	}
	if o.To != "" {
		to = mailout.Address{Email: o.To}
	}
	if err := mailout.CheckEmail(to.Email); err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	fromName, fromEmail := cfg.SMTP.FromAddress()
	if fromEmail == "" { // no config: the sample desk
		fromName, fromEmail = data.Desk.Name, data.Desk.Address
	}
	tag := tickets.NewSubjectTag(cfg.Tickets.Tag)
	subject := tag.Ensure(r.Subject, data.Ticket.ID)
	headers := map[string]string{"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"}
	if toAgent {
		headers["Auto-Submitted"] = "auto-generated"
	}
	if name == tickets.TemplateAgentRelay || name == tickets.TemplateVendorEscalation {
		// A person's words: no Auto-Submitted.
		delete(headers, "Auto-Submitted")
		delete(headers, "X-Auto-Response-Suppress")
	}
	if o.Test {
		subject = TestSubjectPrefix + subject
		headers[TestHeader] = "yes"
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	m := &mailout.Mail{
		From:    mailout.Address{Name: fromName, Email: fromEmail},
		To:      []mailout.Address{to},
		Subject: subject,
		Headers: headers,
		Text:    r.Text,
		HTML:    r.HTML,
		Date:    o.Now,
	}
	return &Preview{Mail: m, Language: data.Language, Queue: data.Ticket.Queue,
		Source: set.SourceFor(name, data.Language, data.Ticket.Queue)}, nil
}

// TemplateData is what template name sees for stored ticket id: the data
// the desk would give it now, with the ticket's last customer mail as
// the message (its last agent answer for agent_relay).
func (d *Desk) TemplateData(ctx context.Context, id int64, name string) (templates.Data, error) {
	det, err := d.Service.Detail(ctx, id)
	if err != nil {
		return templates.Data{}, fmt.Errorf("ticket %d: %w", id, err)
	}
	t := det.Ticket
	n := tickets.Notice{Template: name, Ticket: t, To: t.Requester}
	if a := d.Service.FindAgent(t.Assignee); a != nil && t.Assignee != "" {
		n.Agent = a
		if slices.Contains(agentTemplates, name) {
			n.To = tickets.Address{Name: a.Name, Email: a.Email}
		}
	}
	want := tickets.KindCustomer
	if name == tickets.TemplateAgentRelay {
		want = tickets.KindAgent
	}
	for i := len(det.Messages) - 1; i >= 0; i-- {
		if m := det.Messages[i]; m.Kind == want {
			n.Trigger = &m
			break
		}
	}
	for _, m := range det.Messages {
		if m.Kind == tickets.KindNote {
			n.Notes = append(n.Notes, m)
		}
	}
	return d.composer.data(n), nil
}

// SendTest sends p's mail through the configured SMTP server.
func (d *Desk) SendTest(ctx context.Context, p *Preview) error {
	if p.Mail.Headers[TestHeader] == "" {
		return fmt.Errorf("not a test mail")
	}
	s := mailout.NewSender(smtpOptions(d.cfg, d.log))
	defer s.Close()
	return s.Send(ctx, p.Mail)
}
