package tickets

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
)

// Escalation beyond the team: an agent's "#escalate TARGET [reason]"
// hands a ticket on, to one of three kinds of target.
//
//	#escalate QUEUE     the ticket moves to that queue (a specialist team),
//	                    is assigned again by the queue's strategy, and the
//	                    queue's agents are told who escalated it and why
//	#escalate manager   the queue's escalation address (the one SLA
//	                    breaches write to) is told who escalated it and why
//	#escalate CONTACT   (a [[contact]]'s name, or an address) the vendor
//	                    gets the ticket's summary and the agent's text,
//	                    with a vendor token in Reply-To; the ticket waits
//	                    on the vendor (pending_vendor), and the vendor's
//	                    answers come back as internal notes
//
// Every escalation is an event naming who escalated, to what, and why.

// Contact is an outside party a ticket can be escalated to by name, a
// [[contact]] of the configuration: "#escalate acme".
type Contact struct {
	// Name is how #escalate names it, one word, "acme".
	Name string
	// Email is where the escalation goes, "support@acme.example".
	Email string
}

// The templates of escalation.
const (
	// TemplateAgentEscalated tells the agents of a queue that a ticket was
	// escalated to it, by whom and why.
	TemplateAgentEscalated = "agent_escalated"
	// TemplateManagerEscalation tells a queue's escalation address that an
	// agent escalated a ticket, and why.
	TemplateManagerEscalation = "manager_escalation"
	// TemplateVendorEscalation is the mail to an outside vendor: the
	// ticket's summary and the agent's text.
	TemplateVendorEscalation = "vendor_escalation"
	// TemplateAgentVendorReply tells the assignee (or the queue's agents)
	// that the vendor answered.
	TemplateAgentVendorReply = "agent_vendor_reply"
	// TemplateAgentVendorWaiting tells the assignee (or the queue's
	// agents) that a vendor has not answered in Timers.VendorReminderAfter.
	TemplateAgentVendorWaiting = "agent_vendor_waiting"
)

// Event kinds of escalation.
const (
	// EventEscalated records an escalation: who, to what, and why.
	EventEscalated = "escalated"
	// EventVendorReply records a vendor's answer kept as an internal note.
	EventVendorReply = "vendor_reply"
)

// EscalationNotice is what a mail about an escalation shows of it.
type EscalationNotice struct {
	// By is the agent who escalated.
	By *Agent
	// Reason is the agent's reason (to a queue or the manager) or text (to
	// a vendor).
	Reason string
	// FromQueue is the queue the ticket was in before.
	FromQueue string
	// Vendor is the vendor, in mail to or about a vendor.
	Vendor Address
}

// escalation is what checkCommands resolved of an #escalate.
type escalation struct {
	kind   string // "queue", "manager" or "vendor"
	target string // the queue, the escalation address, or the vendor's address
	name   string // the contact's name, for a named vendor
	reason string // the text after the target on the command's line
	// text and files are, for a vendor, what goes to it: the reason and
	// the reply's text, and the reply's attachments.
	text  string
	files []Attachment
}

// isVendorEscalation reports whether c escalates to a vendor: its target
// is an address or a contact's name. It needs no transaction, so that the
// reply can be known as internal before the commands are checked.
func (s *Service) isVendorEscalation(c command) bool {
	if c.name != "escalate" {
		return false
	}
	target, _, _ := strings.Cut(c.arg, " ")
	return strings.Contains(target, "@") || s.contact(target) != nil
}

// contact returns the contact named name (any case), or nil.
func (s *Service) contact(name string) *Contact {
	for i := range s.opts.Contacts {
		if strings.EqualFold(s.opts.Contacts[i].Name, name) {
			return &s.opts.Contacts[i]
		}
	}
	return nil
}

// checkEscalation resolves the argument of an #escalate on t; it returns
// what is wrong with it (nil when nothing is).
func (s *Service) checkEscalation(t *Ticket, arg string) (escalation, *Problem) {
	bad := func(format string, args ...any) *Problem { return &Problem{Format: format, Args: args} }
	target, reason, _ := strings.Cut(strings.TrimSpace(arg), " ")
	e := escalation{reason: strings.TrimSpace(reason)}
	switch {
	case target == "":
		return e, bad("no target given (write #escalate QUEUE, #escalate manager, #escalate CONTACT or #escalate vendor@example.com, then the reason)")
	case strings.EqualFold(target, "manager"):
		addr := s.queue(t.Queue).Escalation
		if addr == "" {
			return e, bad("queue %s has no escalation address (the admin sets escalation in its [[queue]])", t.Queue)
		}
		e.kind, e.target = "manager", EmailKey(addr)
	case s.contact(target) != nil:
		c := s.contact(target)
		e.kind, e.target, e.name = "vendor", EmailKey(c.Email), c.Name
	case strings.Contains(target, "@"):
		a, err := mail.ParseAddress(target)
		switch {
		case err != nil || a.Address != strings.Trim(target, "<>"):
			return e, bad("%q is not an address like vendor@example.com", target)
		case s.isOwnAddress(a.Address):
			return e, bad("%s is the desk's own address", a.Address)
		case UnanswerableAddress(a.Address) != "":
			return e, bad("%s: %s", a.Address, UnanswerableAddress(a.Address))
		case s.FindAgent(a.Address) != nil:
			return e, bad("%s is an agent: use #assign", a.Address)
		}
		e.kind, e.target = "vendor", EmailKey(a.Address)
		for _, c := range s.opts.Contacts {
			if SameEmail(c.Email, a.Address) {
				e.name = c.Name // a contact written by its address
			}
		}
	case s.knownQueue(target):
		if target == t.Queue {
			return e, bad("the ticket is in queue %s already", target)
		}
		e.kind, e.target = "queue", target
	default:
		return e, bad("no queue, contact or address %q (queues: %s; contacts: %s; or manager, or an address)", target, s.queueList(), s.contactList())
	}
	return e, nil
}

// queueList names the configured queues, for an agent's error.
func (s *Service) queueList() string {
	var names []string
	for name := range s.queues {
		names = append(names, name)
	}
	for _, mb := range s.opts.Mailboxes {
		if !slices.Contains(names, mb.Queue) {
			names = append(names, mb.Queue)
		}
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// contactList names the [[contact]]s, for an agent's error.
func (s *Service) contactList() string {
	if len(s.opts.Contacts) == 0 {
		return "none configured"
	}
	names := make([]string, len(s.opts.Contacts))
	for i, c := range s.opts.Contacts {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// escalate carries out e on t as agent a.
func (s *Service) escalate(ctx context.Context, tx Tx, t *Ticket, a *Agent, e escalation, in *Inbound, now time.Time) error {
	switch e.kind {
	case "queue":
		return s.escalateToQueue(ctx, tx, t, a, e, now)
	case "manager":
		return s.escalateToManager(ctx, tx, t, a, e, now)
	case "vendor":
		return s.escalateToVendor(ctx, tx, t, a, e, in, now)
	}
	return fmt.Errorf("escalating ticket %d: unknown kind %q", t.ID, e.kind)
}

// why is the reason as events write it.
func (e escalation) why() string {
	if e.reason == "" {
		return "no reason given"
	}
	return e.reason
}

// escalateToQueue moves t into queue e.target, keeps the history, runs
// the new queue's assignment and tells its agents.
func (s *Service) escalateToQueue(ctx context.Context, tx Tx, t *Ticket, a *Agent, e escalation, now time.Time) error {
	from := t.Queue
	if err := s.event(ctx, tx, t.ID, EventEscalated, a.Email, fmt.Sprintf("escalated to queue %s (from %s) by %s: %s", e.target, from, a.Email, e.why()), now); err != nil {
		return err
	}
	why := fmt.Sprintf("queue %s -> %s", from, e.target)
	if err := s.event(ctx, tx, t.ID, EventQueue, a.Email, why, now); err != nil {
		return err
	}
	t.Queue = e.target
	if err := s.slaRecompute(ctx, tx, t, a.Email, why, now); err != nil {
		return err
	}
	// The new queue's strategy picks the agent, as for a new ticket: the
	// escalating agent's team no longer has it.
	var notify []*Agent
	picked, whyNot, err := s.pickAgent(ctx, tx, t.Queue, "", now)
	if err != nil {
		return err
	}
	prev := t.Assignee
	if picked != nil {
		t.Assignee = picked.Email
		detail := fmt.Sprintf("assigned to %s (queue %s, %s; escalated)", picked.Email, t.Queue, s.queue(t.Queue).Assignment)
		if prev != "" && prev != picked.Email {
			detail += " (was " + prev + ")"
		}
		if err := s.event(ctx, tx, t.ID, EventAssigned, "system", detail, now); err != nil {
			return err
		}
		notify = []*Agent{picked}
	} else {
		t.Assignee = ""
		detail := "unassigned: " + whyNot + " (escalated)"
		if prev != "" {
			detail += " (was " + prev + ")"
		}
		if err := s.event(ctx, tx, t.ID, EventAssigned, "system", detail, now); err != nil {
			return err
		}
		members := s.queueAgents(t.Queue)
		notify = slices.DeleteFunc(slices.Clone(members), func(m *Agent) bool { return m.Away })
		if len(notify) == 0 {
			notify = members
		}
	}
	t.UpdatedAt = now
	if err := tx.UpdateTicket(ctx, t); err != nil {
		return fmt.Errorf("updating ticket %d: %w", t.ID, err)
	}
	if len(notify) == 0 {
		return s.event(ctx, tx, t.ID, EventNotAnswered, "system", fmt.Sprintf("%s not sent: queue %s has no agents", TemplateAgentEscalated, t.Queue), now)
	}
	first, err := s.firstCustomerMail(ctx, tx, t.ID)
	if err != nil {
		return err
	}
	for _, m := range notify {
		if SameEmail(m.Email, a.Email) {
			continue // they escalated it themselves
		}
		n := Notice{Template: TemplateAgentEscalated, Trigger: first,
			Escalation: &EscalationNotice{By: a, Reason: e.reason, FromQueue: from}}
		if err := s.notifyAgentWith(ctx, tx, t, m, n, now); err != nil {
			return err
		}
	}
	return nil
}

// escalateToManager tells the escalation address of t's queue that agent
// a escalated it, and why.
func (s *Service) escalateToManager(ctx context.Context, tx Tx, t *Ticket, a *Agent, e escalation, now time.Time) error {
	if err := s.event(ctx, tx, t.ID, EventEscalated, a.Email, fmt.Sprintf("escalated to the manager %s (queue %s) by %s: %s", e.target, t.Queue, a.Email, e.why()), now); err != nil {
		return err
	}
	first, err := s.firstCustomerMail(ctx, tx, t.ID)
	if err != nil {
		return err
	}
	n := Notice{Template: TemplateManagerEscalation, Trigger: first,
		Escalation: &EscalationNotice{By: a, Reason: e.reason, FromQueue: t.Queue}}
	if m := s.agentByEmail(e.target); m != nil {
		return s.notifyAgentWith(ctx, tx, t, m, n, now)
	}
	if n.SLA, err = s.slaNotice(ctx, tx, t, nil, "", now); err != nil {
		return err
	}
	return s.notifyEscalation(ctx, tx, t, e.target, n, now)
}

// escalateToVendor sends the vendor the ticket's summary and agent a's
// text from the ticket's mailbox, with a vendor token in Reply-To and in
// the Message-ID, and sets t to wait on the vendor.
func (s *Service) escalateToVendor(ctx context.Context, tx Tx, t *Ticket, a *Agent, e escalation, in *Inbound, now time.Time) error {
	vendor := Address{Name: e.name, Email: e.target}
	label := vendor.Email
	if e.name != "" {
		label = e.name + " <" + vendor.Email + ">"
	}
	if err := s.event(ctx, tx, t.ID, EventEscalated, a.Email, fmt.Sprintf("escalated to vendor %s by %s", label, a.Email), now); err != nil {
		return err
	}
	first, err := s.firstCustomerMail(ctx, tx, t.ID)
	if err != nil {
		return err
	}
	n := Notice{Template: TemplateVendorEscalation, Ticket: t, Trigger: first, To: vendor, Agent: a,
		Escalation: &EscalationNotice{By: a, Reason: e.text, FromQueue: t.Queue, Vendor: vendor}}
	composed, err := s.opts.Composer.Compose(ctx, n)
	if err != nil {
		// The agent's mail is stored; they can send it again once the
		// admin has fixed the template.
		return s.event(ctx, tx, t.ID, EventNotAnswered, a.Email, fmt.Sprintf("%s to %s not sent: %v", TemplateVendorEscalation, vendor.Email, err), now)
	}
	box := s.mailboxAddress(t)
	name := s.opts.From.Name
	if name == "" {
		name = "Support"
	}
	msgID := s.signer.VendorMessageID(t.ID, vendor.Email, s.domain)
	out := &Message{
		TicketID:  t.ID,
		Direction: Out,
		Kind:      KindVendorEscalation,
		Mailbox:   t.Mailbox,
		Key:       msgID,
		MessageID: msgID,
		From:      Address{Name: a.Name + " via " + name, Email: box},
		To:        []Address{vendor},
		ReplyTo:   &Address{Name: name, Email: s.signer.VendorReplyAddress(box, t.ID, vendor.Email)},
		Subject:   s.tag.Ensure(composed.Subject, t.ID),
		Text:      composed.Text,
		HTML:      composed.HTML,
		// A person's mail (no Auto-Submitted, so that the vendor's desk
		// takes it), marked as the desk's own should it come back.
		Headers:     map[string]string{s.opts.LoopHeader: s.domain},
		Attachments: outgoingAttachments(e.files),
		CreatedAt:   now,
		Author:      a.Email,
	}
	if err := s.enqueue(ctx, tx, out, fmt.Sprintf("%s queued to %s (template %s)", TemplateVendorEscalation, vendor.Email, TemplateVendorEscalation), now); err != nil {
		return err
	}
	if t.Status == StatusPendingVendor {
		// Waiting on a vendor again: the reminder counts from this mail.
		return s.reschedule(ctx, tx, t, now)
	}
	return s.setStatus(ctx, tx, t, StatusPendingVendor, a.Email, now)
}

// vendorToken is a valid vendor token found in a mail.
type vendorToken struct {
	ticketID int64
	vendorID string
	how      string // "vendor-token" (its address) or "vendor-message-id"
}

// vendorTokenOf finds a vendor token in the addresses a mail was sent to,
// or in its In-Reply-To and References: only the vendor got the mail
// whose Message-ID carries it.
func (s *Service) vendorTokenOf(in *Inbound) (vendorToken, bool) {
	for _, rcpt := range recipients(in) {
		if id, vid, ok := s.signer.VendorFromAddress(rcpt); ok {
			return vendorToken{ticketID: id, vendorID: vid, how: "vendor-token"}, true
		}
	}
	for _, ref := range boundRefs(append(append([]string(nil), in.InReplyTo...), in.References...)) {
		if id, vid, ok := s.signer.VendorFromMessageID(ref); ok {
			return vendorToken{ticketID: id, vendorID: vid, how: "vendor-message-id"}, true
		}
	}
	return vendorToken{}, false
}

// vendorOf is the vendor whose id is vid among those t was escalated to;
// false when t was escalated to none such.
func (s *Service) vendorOf(ctx context.Context, tx Tx, t *Ticket, vid string) (Address, bool, error) {
	msgs, err := tx.Messages(ctx, t.ID)
	if err != nil {
		return Address{}, false, fmt.Errorf("loading the messages of ticket %d: %w", t.ID, err)
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if m.Direction == Out && m.Kind == KindVendorEscalation && len(m.To) > 0 && s.signer.VendorID(m.To[0].Email) == vid {
			return m.To[0], true, nil
		}
	}
	return Address{}, false, nil
}

// vendorMail takes a mail through a vendor token. It reports false when
// the token's ticket does not exist or was never escalated to that
// vendor: the mail is then an ordinary one.
//
// The vendor's answer is kept as an internal note: it is never relayed to
// the customer, never read for #commands and never acknowledged. A ticket
// waiting on the vendor opens again, and the assignee (or, when nobody
// has it, the queue's agents) is told. A robot's mail through the token
// (an out-of-office, a vendor desk's acknowledgement) is kept and changes
// nothing: no mail answers it.
func (s *Service) vendorMail(ctx context.Context, tx Tx, in *Inbound, msg *Message, tok vendorToken, now time.Time, res *Result) (bool, error) {
	t, err := s.live(ctx, tx, tok.ticketID)
	if err != nil || t == nil {
		return false, err
	}
	vendor, ok, err := s.vendorOf(ctx, tx, t, tok.vendorID)
	if err != nil || !ok {
		return false, err
	}
	*res = Result{TicketID: t.ID, Ref: s.Ref(t.ID), ThreadedBy: tok.how}
	msg.TicketID = t.ID
	from := EmailKey(in.From.Email)
	if in.AutoReason != "" {
		if err := tx.InsertMessage(ctx, msg, in.Raw); err != nil {
			return true, fmt.Errorf("storing automatic mail on ticket %d: %w", t.ID, err)
		}
		return true, s.event(ctx, tx, t.ID, EventMessage, from,
			fmt.Sprintf("automatic mail from %s (%s) through the reply address of vendor %s: kept, nothing sent, status unchanged", from, in.AutoReason, vendor.Email), now)
	}
	msg.Kind, msg.Author = KindNote, from
	if text := strings.TrimSpace(s.opts.StripQuoted(in.Text)); text != "" {
		msg.Text = text
	}
	if in.Sender != nil && !in.Sender.FromVerified {
		msg.Unverified, res.Unverified = true, true
		if err := tx.InsertMessage(ctx, msg, in.Raw); err != nil {
			return true, fmt.Errorf("storing unverified mail on ticket %d: %w", t.ID, err)
		}
		return true, s.event(ctx, tx, t.ID, EventSecurity, from,
			fmt.Sprintf("mail through the reply address of vendor %s, but the sender %s is not verified (%s): kept as an unverified note, status unchanged", vendor.Email, from, in.Sender.Why), now)
	}
	if err := tx.InsertMessage(ctx, msg, in.Raw); err != nil {
		return true, fmt.Errorf("storing the vendor's answer on ticket %d: %w", t.ID, err)
	}
	detail := fmt.Sprintf("answer from vendor %s (from %s, threaded by %s), kept as an internal note; nothing sent to the customer", vendor.Email, from, tok.how)
	if err := s.event(ctx, tx, t.ID, EventVendorReply, from, detail, now); err != nil {
		return true, err
	}
	if t.Status == StatusPendingVendor {
		if err := s.setStatus(ctx, tx, t, StatusOpen, from, now); err != nil {
			return true, err
		}
	}
	t.UpdatedAt = now
	if err := tx.UpdateTicket(ctx, t); err != nil {
		return true, fmt.Errorf("updating ticket %d: %w", t.ID, err)
	}
	return true, s.notifyVendorReply(ctx, tx, t, vendor, msg, now)
}

// notifyVendorReply tells the assignee of t, or every agent of its queue
// who is not away when nobody has it, that the vendor answered with msg.
func (s *Service) notifyVendorReply(ctx context.Context, tx Tx, t *Ticket, vendor Address, msg *Message, now time.Time) error {
	return s.notifyAboutVendor(ctx, tx, t, TemplateAgentVendorReply, vendor, msg, now)
}

// notifyAboutVendor sends template about vendor and its mail msg (its
// answer, or the desk's escalation to it) to the assignee of t, or to
// every agent of its queue who is not away when nobody has it.
func (s *Service) notifyAboutVendor(ctx context.Context, tx Tx, t *Ticket, template string, vendor Address, msg *Message, now time.Time) error {
	var notify []*Agent
	if a := s.agentByEmail(t.Assignee); a != nil && t.Assignee != "" {
		notify = []*Agent{a}
	} else {
		members := s.queueAgents(t.Queue)
		notify = slices.DeleteFunc(slices.Clone(members), func(m *Agent) bool { return m.Away })
		if len(notify) == 0 {
			notify = members
		}
	}
	if len(notify) == 0 {
		return s.event(ctx, tx, t.ID, EventNotAnswered, "system", template+" not sent: no assignee and no agent of queue "+t.Queue, now)
	}
	for _, a := range notify {
		m := *msg
		n := Notice{Template: template, Trigger: &m, Escalation: &EscalationNotice{Vendor: vendor}}
		if err := s.notifyAgentWith(ctx, tx, t, a, n, now); err != nil {
			return err
		}
	}
	return nil
}

// remindOfVendor tells t's agents that the vendor it waits on has not
// answered since the wait began: the reminder was due at due, so the
// wait began VendorReminderAfter before. The vendor is the one the last
// escalation mailed, when that mail began the wait; a wait set by hand
// (an escalation agreed by phone) names none.
func (s *Service) remindOfVendor(ctx context.Context, tx Tx, t *Ticket, due, now time.Time) (string, error) {
	msgs, err := tx.Messages(ctx, t.ID)
	if err != nil {
		return "", fmt.Errorf("loading the messages of ticket %d: %w", t.ID, err)
	}
	since := due.Add(-s.timers.VendorReminderAfter)
	wait, vendor := &Message{TicketID: t.ID, CreatedAt: since}, Address{}
	for i := len(msgs) - 1; i >= 0; i-- {
		if m := &msgs[i]; m.Direction == Out && m.Kind == KindVendorEscalation && len(m.To) > 0 {
			// The store may keep times to the microsecond only.
			if !m.CreatedAt.Before(since.Add(-time.Second)) {
				wait, vendor = m, m.To[0]
			}
			break
		}
	}
	if err := s.notifyAboutVendor(ctx, tx, t, TemplateAgentVendorWaiting, vendor, wait, now); err != nil {
		return "", err
	}
	return "reminded", nil
}

// slaRunsIn reports whether the SLA clocks run while a ticket has status
// st: while it waits on the desk, and while it waits on a vendor unless
// the policy pauses them then.
func (s *Service) slaRunsIn(st Status) bool {
	switch st {
	case StatusNew, StatusOpen:
		return true
	case StatusPendingVendor:
		return s.sla == nil || !s.sla.PauseOnVendor
	}
	return false
}
