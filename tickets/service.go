package tickets

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"helpdesk/tickets/triage"
)

// Composer renders the text of a notice to a customer (acknowledgement,
// status update, ...). Admins own its templates; the service owns headers.
type Composer interface {
	Compose(ctx context.Context, n Notice) (Composed, error)
}

// Notice is one templated mail the desk decided to send.
type Notice struct {
	Template string   // template name, e.g. "acknowledgement"
	Ticket   *Ticket  // the ticket as it stands after the change
	Trigger  *Message // the message that caused it, if any
	To       Address
	// Agent is, for a mail to an agent, that agent; for an agent's answer
	// relayed to the customer, its author; else the ticket's assignee, if
	// it is a configured agent.
	Agent *Agent
	// Notes are the ticket's internal notes, for mail to agents only.
	Notes []Message
	// Problems say, in a mail to an agent about their own mail, what was
	// wrong with it, each written in the language of the mail
	// (JoinProblems).
	Problems []Problem
	// Unverified: the recipient's address is not verified, so the notice
	// quotes the customer's words only defanged (see defangNotice).
	Unverified bool
	// SLA is, in mail to agents and the escalation address, the ticket's
	// SLA due times; nil when it has no targets.
	SLA *SLANotice
	// Suggestions are, in an acknowledgement, the knowledge-base articles
	// that may answer the ticket, best first.
	Suggestions []Suggestion
	// Escalation is, in mail about an #escalate (to a queue's agents, the
	// manager, the vendor) and about a vendor's answer, who escalated,
	// why, and to which vendor.
	Escalation *EscalationNotice
}

// Composed is a rendered notice.
type Composed struct{ Subject, Text, HTML string }

// MailboxInfo is what the service knows of a configured mailbox.
type MailboxInfo struct {
	Address string // e.g. support@example.com
	Queue   string
}

// Options configure a Service. Store, Composer, From and Secret are required.
type Options struct {
	Store    Store
	Composer Composer
	// Tag is the subject tag, "HD" by default: [HD#1042].
	Tag string
	// Secret signs reply tokens.
	Secret []byte
	// From is the desk's sender address for every outgoing mail.
	From Address
	// Mailboxes by name; an Inbound's Mailbox must be one of them.
	Mailboxes map[string]MailboxInfo
	// FirstTicketID is the lowest ticket number handed out (default 1000).
	FirstTicketID int64
	// ReopenWindow is how long after closing a customer reply reopens the
	// ticket; after it, the reply opens a new ticket linked to the old one.
	// Default 14 days.
	ReopenWindow time.Duration
	// LoopHeader marks every mail the desk sends (default "X-Helpdesk-Loop").
	LoopHeader string
	// Triage sorts new tickets by the admin's rules; nil leaves every ticket
	// in its mailbox's queue at P3.
	Triage *triage.Engine
	// Loops bounds automatic mail per address.
	Loops LoopPolicy
	// MaxParticipantsPerMail is how many people in To and Cc one mail may
	// add to a ticket (default 50); the others are named in one event.
	MaxParticipantsPerMail int
	// Agents answer tickets from their mail client; Queues are the
	// queues' settings by name (see agents.go).
	Agents []Agent
	Queues []Queue
	// StripQuoted cuts the quoted history and the notifications' own
	// boilerplate from a reply's text, leaving what its writer added
	// (default: the text as it is).
	StripQuoted func(text string) string
	// Timers are the waits of pending reminders, pending resolves and
	// auto-close.
	Timers Timers
	// CSAT sends the satisfaction survey when a ticket is closed.
	CSAT bool
	// SLA is the desk's promises by priority and the calendars they count
	// in; nil keeps no SLA clocks.
	SLA *SLAPolicy
	// Notify turns each status mail to the requester on or off; nil
	// means DefaultNotify.
	Notify *Notify
	// Languages are the languages the desk writes in; a new ticket
	// gets one of them (see customerLanguage). Zero: tickets keep none.
	Languages Languages
	// Macros render the canned answers agents call with #macro; nil: none.
	Macros Macros
	// KB configures the knowledge base's suggestions and links.
	KB KBOptions
	// Contacts are the outside parties "#escalate NAME" names.
	Contacts []Contact
	// Web configures the tickets opened on the web form (see webside.go).
	Web WebOptions
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Service applies the help desk's rules to incoming mail and the outbox.
type Service struct {
	opts   Options
	store  Store
	signer *Signer
	tag    SubjectTag
	domain string
	own    map[string]bool // our own mailbox addresses, lowercased
	log    *slog.Logger
	now    func() time.Time
	triage *triage.Engine
	loops  LoopPolicy
	agents []Agent
	queues map[string]Queue
	keys   AgentKeys // of agents' tokens
	notify Notify
	timers Timers
	sla    *SLAPolicy
	kb     KBOptions
	web    WebOptions
}

// NewService checks opts and returns a Service.
func NewService(opts Options) (*Service, error) {
	if opts.Store == nil || opts.Composer == nil {
		return nil, fmt.Errorf("tickets: store and composer are required")
	}
	if len(opts.Secret) == 0 {
		return nil, fmt.Errorf("tickets: a secret is required to sign reply tokens")
	}
	_, domain, ok := strings.Cut(opts.From.Email, "@")
	if !ok || domain == "" {
		return nil, fmt.Errorf("tickets: from address %q has no domain", opts.From.Email)
	}
	if opts.Tag == "" {
		opts.Tag = "HD"
	}
	if opts.FirstTicketID <= 0 {
		opts.FirstTicketID = 1000
	}
	if opts.ReopenWindow <= 0 {
		opts.ReopenWindow = 14 * 24 * time.Hour
	}
	if opts.MaxParticipantsPerMail <= 0 {
		opts.MaxParticipantsPerMail = 50
	}
	if opts.LoopHeader == "" {
		opts.LoopHeader = "X-Helpdesk-Loop"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.StripQuoted == nil {
		opts.StripQuoted = func(text string) string { return text }
	}
	agents, queues := normalizeAgents(opts.Agents, opts.Queues)
	// The desk's addresses, each also without a plus-tag of its own
	// (support+desk@ receives support+1042-...@ replies as support@).
	own := map[string]bool{}
	for _, addr := range append([]string{opts.From.Email}, mailboxAddresses(opts.Mailboxes)...) {
		addr = EmailKey(addr)
		own[addr] = true
		own[StripPlusTag(addr)] = true
	}
	signer := NewSigner(opts.Secret)
	notify := DefaultNotify
	if opts.Notify != nil {
		notify = *opts.Notify
	}
	return &Service{
		notify: notify,
		kb:     opts.KB.withDefaults(),
		web:    opts.Web.withDefaults(),
		timers: opts.Timers.withDefaults(),
		sla:    slaOrNil(opts.SLA),
		opts:   opts,
		store:  opts.Store,
		signer: signer,
		tag:    NewSubjectTag(opts.Tag),
		domain: strings.ToLower(domain),
		own:    own,
		log:    opts.Logger,
		now:    opts.Now,
		triage: opts.Triage,
		loops:  opts.Loops.withDefaults(),
		agents: agents,
		queues: queues,
		keys:   signer.AgentKeys(agentEmails(agents)),
	}, nil
}

// IsOwnMessageID reports whether id is a Message-ID this desk generated
// (it carries a valid reply token): the desk's own mail come back.
func (s *Service) IsOwnMessageID(id string) bool {
	if _, ok := s.signer.TicketFromMessageID(id); ok {
		return true
	}
	if _, _, ok := s.signer.VendorFromMessageID(id); ok {
		return true
	}
	_, _, ok := s.signer.AgentFromMessageID(id, s.keys)
	return ok
}

// Ref formats a ticket ID as customers see it.
func (s *Service) Ref(id int64) string { return Ref(s.opts.Tag, id) }

// LoopHeader is the header that marks the desk's own mail.
func (s *Service) LoopHeader() string { return s.opts.LoopHeader }

// OwnAddresses are the desk's own addresses: its From and every
// mailbox's, lowercased.
func (s *Service) OwnAddresses() []string {
	boxes := mailboxAddresses(s.opts.Mailboxes)
	slices.Sort(boxes)
	out := []string{EmailKey(s.opts.From.Email)}
	for _, addr := range boxes {
		if addr = EmailKey(addr); addr != "" && !slices.Contains(out, addr) {
			out = append(out, addr)
		}
	}
	return out
}

// isOwnAddress reports whether addr is one of the desk's addresses,
// plus-tagged or not.
func (s *Service) isOwnAddress(addr string) bool {
	addr = EmailKey(addr)
	return s.own[addr] || s.own[StripPlusTag(addr)]
}

func mailboxAddresses(boxes map[string]MailboxInfo) []string {
	out := make([]string, 0, len(boxes))
	for _, mb := range boxes {
		out = append(out, mb.Address)
	}
	return out
}
