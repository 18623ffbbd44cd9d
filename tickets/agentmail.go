package tickets

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The templates of the agents' side.
const (
	// TemplateAgentNewTicket tells an agent a ticket is now theirs.
	TemplateAgentNewTicket = "agent_new_ticket"
	// TemplateAgentCustomerReply tells the assignee the customer wrote.
	TemplateAgentCustomerReply = "agent_customer_reply"
	// TemplateAgentUnassigned tells every agent of a queue of a new
	// ticket nobody was given.
	TemplateAgentUnassigned = "agent_unassigned"
	// TemplateAgentRelay is an agent's answer as the customer gets it.
	TemplateAgentRelay = "agent_relay"
	// TemplateCommandError answers an agent whose #command was wrong.
	TemplateCommandError = "command_error"
	// TemplateAgentSecurity tells an agent that someone else wrote
	// through their reply address.
	TemplateAgentSecurity = "agent_security"
)

// securityNoticeEvery bounds the security notices one agent gets about
// one ticket: whoever writes through a leaked token again and again must
// not flood the agent.
const securityNoticeEvery = time.Hour

// agentToken is a valid agent token found in a mail's recipients.
type agentToken struct {
	ticketID int64
	agent    *Agent
}

// agentTokenOf finds an agent token among the addresses in was sent to.
// Only the address the mail came through counts: a token in a
// References field is in every copy of the thread.
func (s *Service) agentTokenOf(in *Inbound) (agentToken, bool) {
	if len(s.agents) == 0 {
		return agentToken{}, false
	}
	for _, rcpt := range recipients(in) {
		if id, email, ok := s.signer.AgentFromAddress(rcpt, s.keys); ok {
			return agentToken{ticketID: id, agent: s.agentByEmail(email)}, true
		}
	}
	return agentToken{}, false
}

// agentMail takes a mail that came through an agent's token. It reports
// false when the token's ticket does not exist: the mail is then an
// ordinary one.
//
// The mail is the agent's only when its sender is that agent's address or
// alias and, where the desk checks senders, that address is verified: the
// From alone is one line anyone can write. Anything else is kept on the
// ticket as an unverified note, changes nothing, and the agent is told.
func (s *Service) agentMail(ctx context.Context, tx Tx, in *Inbound, msg *Message, tok agentToken, now time.Time, res *Result) (bool, error) {
	t, err := s.live(ctx, tx, tok.ticketID)
	if err != nil || t == nil {
		return t != nil, err
	}
	*res = Result{TicketID: t.ID, Ref: s.Ref(t.ID), ThreadedBy: "agent-token"}
	msg.TicketID = t.ID
	a := tok.agent
	from := EmailKey(in.From.Email)
	switch {
	case in.AutoReason != "":
		// An agent's out-of-office answering a notification: kept, and
		// neither relayed nor read for commands.
		if err := tx.InsertMessage(ctx, msg, in.Raw); err != nil {
			return true, fmt.Errorf("storing automatic mail on ticket %d: %w", t.ID, err)
		}
		return true, s.event(ctx, tx, t.ID, EventMessage, from,
			fmt.Sprintf("automatic mail from %s (%s) through the reply address of agent %s: nothing relayed", from, in.AutoReason, a.Email), now)
	case !a.Writes(from):
		res.Unverified = true
		return true, s.forgedAgentMail(ctx, tx, t, a, in, msg, Problem{Format: "%s is not an address of agent %s", Args: []any{from, a.Email}}, now)
	case in.Sender != nil && !in.Sender.FromVerified:
		res.Unverified = true
		return true, s.forgedAgentMail(ctx, tx, t, a, in, msg, Problem{Format: "the sender %s is not verified (%s)", Args: []any{from, in.Sender.Why}}, now)
	}
	return true, s.agentReply(ctx, tx, t, a, in, msg, now, res)
}

// forgedAgentMail keeps a mail through agent a's token that is not a's as
// an unverified note: no command runs, nothing reaches the customer, the
// ticket stays as it is. It is a security event, and a is told (at most
// once per securityNoticeEvery and ticket).
func (s *Service) forgedAgentMail(ctx context.Context, tx Tx, t *Ticket, a *Agent, in *Inbound, msg *Message, why Problem, now time.Time) error {
	msg.Kind, msg.Unverified = KindNote, true
	if err := tx.InsertMessage(ctx, msg, in.Raw); err != nil {
		return fmt.Errorf("storing unverified mail on ticket %d: %w", t.ID, err)
	}
	from := EmailKey(in.From.Email)
	detail := fmt.Sprintf("mail through the reply address of agent %s not taken as the agent's: %s; kept as an unverified note, no command run, nothing sent to the customer", a.Email, why)
	if err := s.event(ctx, tx, t.ID, EventSecurity, from, detail, now); err != nil {
		return err
	}
	events, err := tx.Events(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("loading the events of ticket %d: %w", t.ID, err)
	}
	for _, e := range events {
		if e.Kind == TemplateAgentSecurity && strings.Contains(e.Detail, " to "+a.Email+" ") && now.Sub(e.CreatedAt) < securityNoticeEvery {
			return nil // told within the hour
		}
	}
	told := Problem{Format: "A mail came through your reply address for %s, but %s. It is kept on the ticket as an unverified note; no command in it ran and nothing was sent to the customer.",
		Args: []any{s.Ref(t.ID), why}}
	return s.notifyAgentWith(ctx, tx, t, a, Notice{Template: TemplateAgentSecurity, Trigger: msg, Problems: []Problem{told}}, now)
}

// agentReply takes agent a's own mail on ticket t: its #commands run, its
// text (without the quoted history) goes to the customer, or stays on the
// ticket as an internal note. A wrong command stops it all: the agent gets
// one mail naming the line, and neither the ticket nor the customer hears
// of the reply.
func (s *Service) agentReply(ctx context.Context, tx Tx, t *Ticket, a *Agent, in *Inbound, msg *Message, now time.Time, res *Result) error {
	full := s.opts.StripQuoted(in.Text)
	cmds, text := parseCommands(full)
	note := slices.ContainsFunc(cmds, func(c command) bool { return c.name == "note" })
	// A reply that escalates to a vendor is the vendor's text: internal.
	vendor := slices.ContainsFunc(cmds, s.isVendorEscalation)
	note = note || vendor
	msg.Kind, msg.Author = KindAgent, a.Email
	if note {
		msg.Kind = KindNote
	}
	problems := s.checkCommands(ctx, tx, t, a, cmds)
	mt := *t // as the customer will read it: in the language a #lang sets
	for _, c := range cmds {
		if c.name == "lang" && c.arg != "" {
			mt.Language = c.arg
		}
	}
	text, macroProblems := s.expandMacros(ctx, full, text, Notice{Ticket: &mt, To: t.Requester, Agent: a})
	problems = append(problems, macroProblems...)
	if !note {
		var bad []Problem
		text, bad = s.expandKBLinks(ctx, tx, text)
		problems = append(problems, bad...)
		for _, c := range cmds {
			if c.name == "kb-link" && c.note != "" {
				text = strings.TrimSpace(text + "\n\n" + c.note)
			}
		}
	}
	for i := range cmds {
		if cmds[i].esc.kind == "vendor" {
			cmds[i].esc.text = strings.TrimSpace(cmds[i].esc.reason + "\n\n" + text)
			cmds[i].esc.files = in.Attachments
		}
	}
	if err := tx.InsertMessage(ctx, msg, in.Raw); err != nil {
		return fmt.Errorf("storing the agent's mail on ticket %d: %w", t.ID, err)
	}
	if len(problems) > 0 {
		if err := s.event(ctx, tx, t.ID, EventCommand, a.Email, "reply not taken, nothing changed or sent: "+JoinProblems(problems, "", "; "), now); err != nil {
			return err
		}
		return s.notifyAgentWith(ctx, tx, t, a, Notice{Template: TemplateCommandError, Trigger: msg, Problems: problems}, now)
	}
	what := "answer from agent " + a.Email
	switch {
	case vendor:
		what = "text for the vendor from agent " + a.Email + ", kept as an internal note"
	case note:
		what = "internal note from agent " + a.Email
	case text == "" && len(cmds) > 0:
		what = "commands from agent " + a.Email + ", nothing for the customer"
	}
	kind := EventMessage
	if note {
		kind = EventNote
	}
	if err := s.event(ctx, tx, t.ID, kind, a.Email, what, now); err != nil {
		return err
	}
	// The answer goes to the customer the agent answered, also when a
	// #merge moves it onto another customer's ticket.
	customer, before, was := t.Requester, t.ID, t.Status
	t, statusSet, err := s.runCommands(ctx, tx, t, a, cmds, in, now)
	if err != nil {
		return err
	}
	res.TicketID, res.Ref = t.ID, s.Ref(t.ID)
	if !note && text != "" {
		n, err := s.relay(ctx, tx, t, customer, a, in, text, now)
		if err != nil {
			return err
		}
		res.Queued += n
		// An escalation to a queue gave the ticket to that queue: the
		// answer does not take it back.
		escalated := slices.ContainsFunc(cmds, func(c command) bool { return c.esc.kind == "queue" })
		if err := s.answered(ctx, tx, t, a, statusSet, escalated, now); err != nil {
			return err
		}
	}
	t.UpdatedAt = now
	if err := tx.UpdateTicket(ctx, t); err != nil {
		return fmt.Errorf("updating ticket %d: %w", t.ID, err)
	}
	if statusSet && t.ID == before && t.Status != was {
		// After the answer, so that the customer reads it first.
		return s.statusMail(ctx, tx, t, now)
	}
	return nil
}

// answered records an agent's answer that went to the customer: the
// first one is the first response; a new or open ticket now waits on the
// customer (unless a #status command said otherwise); and nobody's
// ticket becomes the answering agent's, unless they escalated it.
func (s *Service) answered(ctx context.Context, tx Tx, t *Ticket, a *Agent, statusSet, escalated bool, now time.Time) error {
	if t.FirstResponseAt.IsZero() {
		t.FirstResponseAt = now
	}
	if err := s.slaAnswered(ctx, tx, t, a.Email, now); err != nil {
		return err
	}
	if !statusSet && (t.Status == StatusNew || t.Status == StatusOpen) {
		prev := t.Status
		t.Status = StatusPending
		if err := s.event(ctx, tx, t.ID, EventStatus, a.Email, fmt.Sprintf("%s -> pending: agent answered", prev), now); err != nil {
			return err
		}
		if err := s.reschedule(ctx, tx, t, now); err != nil {
			return err
		}
	}
	if t.Assignee == "" && !escalated {
		t.Assignee = a.Email
		return s.event(ctx, tx, t.ID, EventAssigned, a.Email, "assigned to "+a.Email+": answered an unassigned ticket", now)
	}
	return nil
}

// relay sends agent a's answer text to the customer to, on ticket t, from
// the ticket's mailbox in a's name, threaded to the customer's last mail, with
// the mail's attachments.
func (s *Service) relay(ctx context.Context, tx Tx, t *Ticket, to Address, a *Agent, in *Inbound, text string, now time.Time) (int, error) {
	if why := UnanswerableAddress(to.Email); why != "" || s.isOwnAddress(to.Email) {
		if why == "" {
			why = "the address is the desk's own"
		}
		return 0, s.event(ctx, tx, t.ID, EventNotAnswered, a.Email, "agent's answer not sent: "+why, now)
	}
	last, err := s.lastCustomerMail(ctx, tx, t.ID)
	if err != nil {
		return 0, err
	}
	answer := &Message{From: Address{Name: a.Name, Email: a.Email}, Subject: in.Subject, Text: text,
		Attachments: in.Attachments, CreatedAt: now, Author: a.Email}
	composed, err := s.opts.Composer.Compose(ctx, Notice{Template: TemplateAgentRelay, Ticket: t, Trigger: answer, To: to, Agent: a})
	if err != nil {
		// The agent's mail is stored; the agent can send it again once
		// the admin has fixed the template.
		return 0, s.event(ctx, tx, t.ID, EventNotAnswered, a.Email, fmt.Sprintf("agent's answer not sent: %v", err), now)
	}
	box := s.mailboxAddress(t)
	name := s.opts.From.Name
	if name == "" {
		name = "Support"
	}
	msgID := s.signer.MessageID(t.ID, s.domain)
	out := &Message{
		TicketID:  t.ID,
		Direction: Out,
		Kind:      KindAgentRelay,
		Mailbox:   t.Mailbox,
		Key:       msgID,
		MessageID: msgID,
		From:      Address{Name: a.Name + " via " + name, Email: box},
		To:        []Address{to},
		ReplyTo:   &Address{Name: name, Email: s.signer.ReplyAddress(box, t.ID)},
		Subject:   s.tag.Ensure(composed.Subject, t.ID),
		Text:      composed.Text,
		HTML:      composed.HTML,
		// A person's answer: no Auto-Submitted (RFC 3834 5 is for
		// automatic responses), but the loop header marks it as the
		// desk's own should it come back.
		Headers:     map[string]string{s.opts.LoopHeader: s.domain},
		Attachments: outgoingAttachments(in.Attachments),
		CreatedAt:   now,
		Author:      a.Email,
	}
	if last != nil && last.MessageID != "" {
		out.InReplyTo = last.MessageID
		out.References = threadReferences(last.References, last.MessageID)
	}
	return 1, s.enqueue(ctx, tx, out, fmt.Sprintf("answer of agent %s queued to %s", a.Email, to.Email), now)
}

// notifyNewTicket tells the agents of a new ticket: its assignee, or,
// when nobody has it, every agent of its queue who is not away (all of
// them when everyone is). Spam and robots' mail are nobody's news.
func (s *Service) notifyNewTicket(ctx context.Context, tx Tx, t *Ticket, in *Inbound, msg *Message, now time.Time) error {
	if len(s.agents) == 0 || t.Status == StatusSpam || in.AutoReason != "" {
		return nil
	}
	if t.Assignee != "" {
		if a := s.agentByEmail(t.Assignee); a != nil {
			return s.notifyAgent(ctx, tx, t, a, TemplateAgentNewTicket, msg, now)
		}
		return nil
	}
	members := s.queueAgents(t.Queue)
	present := slices.DeleteFunc(slices.Clone(members), func(a *Agent) bool { return a.Away })
	if len(present) == 0 {
		present = members
	}
	for _, a := range present {
		if err := s.notifyAgent(ctx, tx, t, a, TemplateAgentUnassigned, msg, now); err != nil {
			return err
		}
	}
	return nil
}

// notifyCustomerReply tells the assignee of t that the customer wrote msg.
func (s *Service) notifyCustomerReply(ctx context.Context, tx Tx, t *Ticket, msg *Message, now time.Time) error {
	a := s.agentByEmail(t.Assignee)
	if a == nil || t.Assignee == "" {
		return nil
	}
	return s.notifyAgent(ctx, tx, t, a, TemplateAgentCustomerReply, msg, now)
}

// notifyAgent puts a templated mail to agent a about t on the outbox, the
// text of trigger without its quoted history and with the ticket's notes.
func (s *Service) notifyAgent(ctx context.Context, tx Tx, t *Ticket, a *Agent, template string, trigger *Message, now time.Time) error {
	n := Notice{Template: template}
	if trigger != nil {
		m := *trigger
		m.Text = s.opts.StripQuoted(m.Text)
		n.Trigger = &m
	}
	return s.notifyAgentWith(ctx, tx, t, a, n, now)
}

// notifyAgentWith puts notice n (its template, trigger and problem) to
// agent a about t on the outbox. Its Reply-To (but for a security notice)
// and Message-ID carry a's token for t, and it carries the trigger's
// attachments.
func (s *Service) notifyAgentWith(ctx context.Context, tx Tx, t *Ticket, a *Agent, n Notice, now time.Time) error {
	to := Address{Name: a.Name, Email: a.Email}
	n.Ticket, n.To, n.Agent = t, to, a
	notes, err := s.notes(ctx, tx, t.ID)
	if err != nil {
		return err
	}
	n.Notes = notes
	if n.SLA == nil {
		if n.SLA, err = s.slaNotice(ctx, tx, t, a, "", now); err != nil {
			return err
		}
	}
	composed, err := s.opts.Composer.Compose(ctx, n)
	if err != nil {
		return s.event(ctx, tx, t.ID, EventNotAnswered, "system", fmt.Sprintf("%s to %s not sent: %v", n.Template, a.Email, err), now)
	}
	box := s.mailboxAddress(t)
	msgID := s.signer.AgentMessageID(t.ID, a.Email, s.domain)
	replyTo := &Address{Name: s.opts.From.Name, Email: s.signer.AgentReplyAddress(box, t.ID, a.Email)}
	if n.Template == TemplateAgentSecurity {
		// An answer to a security notice is not meant for the customer:
		// without the agent's token it is kept for agents, unverified.
		replyTo = nil
	}
	out := &Message{
		TicketID:  t.ID,
		Direction: Out,
		Kind:      n.Template,
		Mailbox:   t.Mailbox,
		Key:       msgID,
		MessageID: msgID,
		From:      s.opts.From,
		To:        []Address{to},
		ReplyTo:   replyTo,
		Subject:   s.tag.Ensure(composed.Subject, t.ID),
		Text:      composed.Text,
		HTML:      composed.HTML,
		Headers: map[string]string{
			// RFC 3834 5: generated by the desk, not by a person.
			"Auto-Submitted":           "auto-generated",
			"X-Auto-Response-Suppress": "All",
			s.opts.LoopHeader:          s.domain,
		},
		CreatedAt: now,
	}
	if n.Trigger != nil && n.Template != TemplateCommandError && n.Template != TemplateAgentSecurity {
		out.Attachments = outgoingAttachments(n.Trigger.Attachments)
	}
	return s.enqueue(ctx, tx, out, fmt.Sprintf("%s queued to %s (template %s)", n.Template, a.Email, n.Template), now)
}

// enqueue stores an outbound message, puts it on the outbox and records
// it in an event named for its kind.
func (s *Service) enqueue(ctx context.Context, tx Tx, out *Message, detail string, now time.Time) error {
	if err := tx.InsertMessage(ctx, out, nil); err != nil {
		return fmt.Errorf("storing %s for ticket %d: %w", out.Kind, out.TicketID, err)
	}
	if err := tx.EnqueueMail(ctx, out.ID, out.TicketID, now); err != nil {
		return fmt.Errorf("queueing %s for ticket %d: %w", out.Kind, out.TicketID, err)
	}
	return s.event(ctx, tx, out.TicketID, out.Kind, "system", detail, now)
}

// outgoingAttachments are the attachments of a mail the desk received
// that came with their content, to send along.
func outgoingAttachments(in []Attachment) []Attachment {
	var out []Attachment
	for _, a := range in {
		if a.Data != nil {
			out = append(out, Attachment{Filename: a.Filename, ContentType: a.ContentType, Size: int64(len(a.Data)), Data: a.Data})
		}
	}
	return out
}

// mailboxAddress is the address t's mail comes from and goes to.
func (s *Service) mailboxAddress(t *Ticket) string {
	if mb := s.opts.Mailboxes[t.Mailbox]; mb.Address != "" {
		return mb.Address
	}
	return s.opts.From.Email
}

// notes are the internal notes of a ticket that agents wrote.
func (s *Service) notes(ctx context.Context, tx Tx, ticketID int64) ([]Message, error) {
	msgs, err := tx.Messages(ctx, ticketID)
	if err != nil {
		return nil, fmt.Errorf("loading the notes of ticket %d: %w", ticketID, err)
	}
	return slices.DeleteFunc(msgs, func(m Message) bool { return m.Kind != KindNote || m.Unverified }), nil
}

// lastCustomerMail is the newest mail of a customer on the ticket that
// is trusted (not unverified); nil when there is none.
func (s *Service) lastCustomerMail(ctx context.Context, tx Tx, ticketID int64) (*Message, error) {
	msgs, err := tx.Messages(ctx, ticketID)
	if err != nil {
		return nil, fmt.Errorf("loading the messages of ticket %d: %w", ticketID, err)
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if m := msgs[i]; m.Direction == In && m.Kind == KindCustomer && !m.Unverified {
			return &m, nil
		}
	}
	return nil, nil
}

// firstCustomerMail is the mail that opened a ticket (its text cut to
// 64 KiB characters), for a notification of an assignment.
func (s *Service) firstCustomerMail(ctx context.Context, tx Tx, ticketID int64) (*Message, error) {
	m, err := tx.FirstInboundMessage(ctx, ticketID, 64<<10)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("loading the first mail of ticket %d: %w", ticketID, err)
	}
	return m, nil
}
