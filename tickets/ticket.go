// Package tickets owns the help desk's domain: tickets, their messages and
// events, the status machine, threading of replies, the outbox of mail to
// send, and the Store interface that persists them. It knows nothing of IMAP,
// SMTP or MIME: mail arrives as an Inbound value and leaves as an OutboxItem.
package tickets

import (
	"errors"
	"fmt"
	"time"
)

// Status is where a ticket stands in its life.
type Status string

// The statuses of a ticket. Spam and merged are terminal.
const (
	StatusNew Status = "new"
	// StatusUnverified: opened on the web form, waiting for the customer
	// to confirm the address (a reply to the acknowledgement or its
	// link); no agent sees it in the backlog, no SLA clock runs.
	StatusUnverified Status = "unverified"
	StatusOpen       Status = "open"
	StatusPending    Status = "pending" // waiting on the customer
	// StatusPendingVendor: waiting on an outside vendor the ticket was
	// escalated to (#escalate); the vendor's answer sets it back to open.
	StatusPendingVendor Status = "pending_vendor"
	StatusResolved      Status = "resolved" // waiting for the customer to confirm
	StatusClosed        Status = "closed"
	StatusSpam          Status = "spam"
	StatusMerged        Status = "merged"
)

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusNew, StatusUnverified, StatusOpen, StatusPending, StatusPendingVendor, StatusResolved, StatusClosed, StatusSpam, StatusMerged:
		return true
	}
	return false
}

// Terminal reports whether no mail can change the ticket any more.
func (s Status) Terminal() bool { return s == StatusSpam || s == StatusMerged }

// Errors the store and the service return. Compare with errors.Is.
var (
	// ErrNotFound: the ticket, message or quarantine entry does not exist.
	ErrNotFound = errors.New("not found")
	// ErrDuplicate: a message with the same key is already stored.
	ErrDuplicate = errors.New("duplicate message")
	// ErrUnusable: the mail lacks what a ticket needs (a sender); it belongs
	// in the quarantine, not in a retry.
	ErrUnusable = errors.New("unusable mail")
)

// Address is one mailbox: a display name and an email address.
type Address struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email"`
}

// String formats the address for people, not for headers.
func (a Address) String() string {
	if a.Name == "" {
		return a.Email
	}
	return fmt.Sprintf("%s <%s>", a.Name, a.Email)
}

// Ticket is one customer request and everything said about it.
type Ticket struct {
	ID        int64
	Subject   string
	Status    Status
	Priority  string
	Queue     string
	Mailbox   string // the mailbox the first mail came through; replies go out from it
	Category  string
	Requester Address
	Assignee  string
	Tags      []string
	CreatedAt time.Time
	UpdatedAt time.Time
	// MergedInto is the ticket this one was merged into (status merged).
	MergedInto int64
	// SenderVerified says whether the mail that opened the ticket passed
	// the sender checks of a trusted mail server (see Inbound.Sender): true
	// or false, or nil when the desk checks none (unknown, not verified).
	SenderVerified *bool
	// FirstResponseAt and ResolvedAt feed the SLA clocks and reports.
	FirstResponseAt time.Time
	ResolvedAt      time.Time
	ClosedAt        time.Time
	// Resolution is the note (root cause and fix) given when the ticket
	// was last resolved; "" when none was given.
	Resolution string
	// FollowUpOf is the closed ticket whose customer wrote again after its
	// reopen window, which opened this one; 0 for any other ticket.
	FollowUpOf int64
	// CSAT is the customer's rating of the desk's work on the ticket.
	CSAT CSAT
	// Language is the customer's language, "de": the language of the
	// desk's mail to them; "" for the default language.
	Language string
}

// CSAT is a customer's satisfaction rating; Rating 0: none given.
type CSAT struct {
	Rating  int // 1 (poor) to 5 (excellent)
	Comment string
	At      time.Time
}

// Participant is someone on a ticket: its requester or a CC.
type Participant struct {
	Address
	Role string // "requester" or "cc"
}

// Direction tells whether a message came in or went out.
type Direction string

// Message directions.
const (
	In  Direction = "in"
	Out Direction = "out"
)

// Message kinds.
const (
	KindCustomer        = "customer"        // a mail from the requester or a CC
	KindAutomatic       = "automatic"       // an auto-reply, bounce or other robot mail
	KindAcknowledgement = "acknowledgement" // the desk's receipt for a new ticket
	KindAgent           = "agent"           // an agent's mail through their token
	KindNote            = "note"            // an internal note, never sent to the customer
	KindAgentRelay      = "agent_relay"     // an agent's answer as the customer gets it
	// KindVendorEscalation is the mail the desk sent a vendor by
	// #escalate; a vendor's answer is kept as a KindNote.
	KindVendorEscalation = "vendor_escalation"
)

// Message is one mail on a ticket, inbound or outbound.
type Message struct {
	ID         int64
	TicketID   int64
	Direction  Direction
	Kind       string
	Mailbox    string
	Key        string // dedupe key: the Message-ID, or "sha256:<hex>" of the content when there is none
	MessageID  string
	InReplyTo  string
	References []string
	From       Address
	To         []Address
	Cc         []Address
	ReplyTo    *Address
	Subject    string
	Text       string
	HTML       string
	// Headers are extra headers of an outbound mail (loop and auto-reply markers).
	Headers map[string]string
	// AutoReason says why an inbound mail was taken for a robot's ("" for a person).
	AutoReason string
	// Source is what the mail counts against in the per-source rate limit:
	// for an inbound mail, the address of the host that handed it to the
	// receiving mail system (Inbound.Source); for an automatic mail to an
	// address that is not verified, the source of the mail it answers.
	// "" when unknown or not counted.
	Source string
	// RateDomain is, for an automatic mail to an address that is not
	// verified, that address's organizational domain, which the
	// per-domain rate limit counts; "" otherwise.
	RateDomain  string
	Attachments []Attachment
	CreatedAt   time.Time
	// Unverified marks an inbound mail threaded only by a Message-ID from
	// someone not on the ticket, or a mail through an agent's token from
	// someone else: kept for the agent, trusted for nothing.
	Unverified bool
	// Author is the agent who wrote an agent's mail, a note or a relayed
	// answer (the agent's address), or, for a vendor's answer kept as a
	// note, the address it came from; "" for any other message.
	Author string
}

// Attachment is a file that came with an inbound mail.
type Attachment struct {
	ID          int64
	Filename    string
	ContentType string
	Size        int64
	Data        []byte `json:"-"`
}

// Event is one line of a ticket's audit trail.
type Event struct {
	ID        int64
	TicketID  int64
	Kind      string
	Actor     string // "system", a mailbox, an agent's address, or a customer's
	Detail    string
	CreatedAt time.Time
}

// Event kinds.
const (
	EventCreated        = "created"
	EventMessage        = "message"
	EventStatus         = "status"
	EventNotAnswered    = "not_answered"
	EventDeliveryFailed = "delivery_failed"
	EventDelivered      = "delivered"
	EventLinked         = "linked"
	EventParticipant    = "participant"
)

// Ref formats a ticket's reference as customers see it, e.g. "HD#1042".
func Ref(tag string, id int64) string { return fmt.Sprintf("%s#%d", tag, id) }
