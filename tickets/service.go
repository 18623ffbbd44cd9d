package tickets

import (
	"context"
	"fmt"
	"log/slog"
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
	// Unverified: the recipient's address is not verified, so the notice
	// quotes the customer's words only defanged (see defangNotice).
	Unverified bool
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
	// The desk's addresses, each also without a plus-tag of its own
	// (support+desk@ receives support+1042-...@ replies as support@).
	own := map[string]bool{}
	for _, addr := range append([]string{opts.From.Email}, mailboxAddresses(opts.Mailboxes)...) {
		addr = strings.ToLower(strings.TrimSpace(addr))
		own[addr] = true
		own[withoutPlus(addr)] = true
	}
	return &Service{
		opts:   opts,
		store:  opts.Store,
		signer: NewSigner(opts.Secret),
		tag:    NewSubjectTag(opts.Tag),
		domain: strings.ToLower(domain),
		own:    own,
		log:    opts.Logger,
		now:    opts.Now,
		triage: opts.Triage,
		loops:  opts.Loops.withDefaults(),
	}, nil
}

// IsOwnMessageID reports whether id is a Message-ID this desk generated
// (it carries a valid reply token): the desk's own mail come back.
func (s *Service) IsOwnMessageID(id string) bool {
	_, ok := s.signer.TicketFromMessageID(id)
	return ok
}

// Ref formats a ticket ID as customers see it.
func (s *Service) Ref(id int64) string { return Ref(s.opts.Tag, id) }

// LoopHeader is the header that marks the desk's own mail.
func (s *Service) LoopHeader() string { return s.opts.LoopHeader }

// isOwnAddress reports whether addr is one of the desk's addresses,
// plus-tagged or not.
func (s *Service) isOwnAddress(addr string) bool {
	addr = strings.ToLower(strings.TrimSpace(addr))
	if s.own[addr] {
		return true
	}
	return s.own[withoutPlus(addr)]
}

// withoutPlus drops the plus-tag of an address: a+b@x -> a@x.
func withoutPlus(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok {
		return addr
	}
	if i := strings.IndexByte(local, '+'); i >= 0 {
		local = local[:i]
	}
	return local + "@" + domain
}

func mailboxAddresses(boxes map[string]MailboxInfo) []string {
	out := make([]string, 0, len(boxes))
	for _, mb := range boxes {
		out = append(out, mb.Address)
	}
	return out
}
