package tickets

import (
	"context"
	"time"
)

// Store persists tickets. Every method takes ctx first. The SQL
// implementation lives in tickets/sqlstore.
type Store interface {
	Reader
	// InTx runs fn in one write transaction: all of it commits, or none.
	InTx(ctx context.Context, fn func(Tx) error) error

	// ClaimOutbox leases up to limit outbox items due at now to holder,
	// so that no other sender takes them until the lease ends.
	ClaimOutbox(ctx context.Context, now time.Time, limit int, lease time.Duration, holder string) ([]OutboxItem, error)
	// RenewOutbox extends holder's leases to until and returns the ids of
	// the items it still holds: queued, and not claimed by another sender
	// after its lease ran out.
	RenewOutbox(ctx context.Context, holder string, until time.Time) ([]int64, error)
	// ReleaseOutbox frees the queued items holder still leases, which it
	// did not try, for any sender to take at once.
	ReleaseOutbox(ctx context.Context, holder string) error
	// OutboxNextDue returns when the earliest queued item can be claimed:
	// when it is due, or when a lease on it runs out (zero if none).
	OutboxNextDue(ctx context.Context) (time.Time, error)

	// Quarantine keeps a mail that could not be taken, with the reason,
	// once: the same bytes while held are one row (see Quarantined.Again).
	Quarantine(ctx context.Context, q *Quarantined) error

	Close() error
}

// Reader answers questions about what is stored.
type Reader interface {
	Ticket(ctx context.Context, id int64) (*Ticket, error)
	ListTickets(ctx context.Context, f TicketFilter) ([]Ticket, error)
	Messages(ctx context.Context, ticketID int64) ([]Message, error)
	Events(ctx context.Context, ticketID int64) ([]Event, error)
	Participants(ctx context.Context, ticketID int64) ([]Participant, error)
	Outbox(ctx context.Context, f OutboxFilter) ([]OutboxItem, error)
	QuarantineList(ctx context.Context) ([]Quarantined, error)
	QuarantineGet(ctx context.Context, id int64) (*Quarantined, error)
	// AssigneeLoad counts the open tickets (new, open, pending) of each
	// assignee, by address.
	AssigneeLoad(ctx context.Context) (map[string]int, error)
	// Jobs lists the scheduled jobs due at or before until (all when until
	// is zero), earliest first, at most limit (0: no limit).
	Jobs(ctx context.Context, until time.Time, limit int) ([]Job, error)
	// ReportTickets reads the tickets the report of f needs (see
	// ReportFilter), spam and merged left out.
	ReportTickets(ctx context.Context, f ReportFilter) ([]ReportTicket, error)
	// ReportReplies counts the agents' answers to customers in f's period,
	// by agent.
	ReportReplies(ctx context.Context, f ReportFilter) (map[string]int, error)
	// ReportSLAEvents lists the SLA clocks' met and breach events of f's
	// period, oldest first, preceded by the earlier ones of the tickets
	// whose clock was met late in the period.
	ReportSLAEvents(ctx context.Context, f ReportFilter) ([]Event, error)
	// SLAClocks are the SLA clocks of a ticket, one per target, in the
	// order of Targets; none for a ticket without.
	SLAClocks(ctx context.Context, ticketID int64) ([]SLAClock, error)
	KBReader
}

// Tx is what a write transaction can do.
type Tx interface {
	Reader
	// MessageByKey finds a stored message by its dedupe key.
	MessageByKey(ctx context.Context, key string) (*Message, error)
	// TicketByMessageIDs finds the ticket of the newest stored message whose
	// Message-ID is one of ids.
	TicketByMessageIDs(ctx context.Context, ids []string) (*Ticket, error)
	IsParticipant(ctx context.Context, ticketID int64, email string) (bool, error)

	// CreateTicket stores t and sets its ID (never below firstID).
	CreateTicket(ctx context.Context, t *Ticket, firstID int64) error
	UpdateTicket(ctx context.Context, t *Ticket) error
	AddParticipant(ctx context.Context, ticketID int64, p Participant) (added bool, err error)
	// InsertMessage stores m (with raw, the mail as received, when inbound)
	// and sets its ID; ErrDuplicate when its key is taken.
	InsertMessage(ctx context.Context, m *Message, raw []byte) error
	AddEvent(ctx context.Context, e *Event) error
	// EnqueueMail puts an outbound message, already stored, on the outbox.
	EnqueueMail(ctx context.Context, messageID int64, ticketID int64, due time.Time) error
	// EnqueueNotice puts an outbound message, stored without its text, on
	// the outbox with what renders it, and returns the outbox item's ID.
	EnqueueNotice(ctx context.Context, messageID int64, ticketID int64, due time.Time, ref NoticeRef) (int64, error)
	// SaveRendered stores the text of outbox item id's message, unless it
	// has its text already; from then on the item is sent as stored.
	SaveRendered(ctx context.Context, id int64, c Composed) error
	// OutboxSent records a delivered item.
	OutboxSent(ctx context.Context, id int64, at time.Time) error
	// OutboxSentRendered is SaveRendered then OutboxSent, for an item
	// rendered to be sent, in one statement less.
	OutboxSentRendered(ctx context.Context, id int64, c Composed, at time.Time) error
	// OutboxRetry puts an item back for another try at next.
	OutboxRetry(ctx context.Context, id int64, next time.Time, lastErr string) error
	OutboxFailed(ctx context.Context, id int64, at time.Time, lastErr string) error
	QuarantineReleased(ctx context.Context, id int64, ticketID int64, at time.Time) error

	// DuplicateCandidates lists, newest first and at most limit, the not yet
	// resolved tickets email opened since whose first mail has the sender
	// from and the normalised subject, with that mail's fingerprint; and
	// those opened before fingerprints were kept, with MessageID 0. (Ask
	// OpenTickets first: most mail comes from people without a ticket
	// opened since, which it finds far cheaper.)
	DuplicateCandidates(ctx context.Context, email string, since time.Time, from, subject string, limit int) ([]MailFingerprint, error)
	// SaveFingerprint keeps the fingerprint of an inbound message.
	SaveFingerprint(ctx context.Context, f MailFingerprint) error
	// OpenTickets counts the tickets of email not yet resolved, and says
	// whether any of them was opened since.
	OpenTickets(ctx context.Context, email string, since time.Time) (n int, anySince bool, err error)
	// FirstInboundMessage is the mail that opened a ticket: its sender,
	// subject and at most maxRunes characters of its text.
	FirstInboundMessage(ctx context.Context, ticketID int64, maxRunes int) (*Message, error)
	// AutoMailState says until when mail to email bounces, and counts the
	// automatic mails sent since, in one call (see AutoMailState).
	AutoMailState(ctx context.Context, email string, q AutoMailQuery) (AutoMailState, error)
	MarkBouncing(ctx context.Context, email string, until time.Time, reason string, now time.Time) error
	// MoveMessages moves every message of ticket from, and its outbox, to ticket to.
	MoveMessages(ctx context.Context, from, to int64) error
	// LastAssigned is the agent the round robin of queue last chose ("" if
	// none); SetLastAssigned records the next.
	LastAssigned(ctx context.Context, queue string) (string, error)
	SetLastAssigned(ctx context.Context, queue, agent string, at time.Time) error

	// ScheduleJob sets the job kind of ticket to be due at due.
	ScheduleJob(ctx context.Context, ticketID int64, kind string, due time.Time) error
	// CancelJobs drops every job of ticket.
	CancelJobs(ctx context.Context, ticketID int64) error
	// ClaimJob takes job kind of ticket if it is due at now, by deleting
	// it: true when this transaction has it (it commits with the work),
	// false when it is not due or another one took it.
	ClaimJob(ctx context.Context, ticketID int64, kind string, now time.Time) (bool, error)
	// CancelJob drops the job kind of ticket, if it has one.
	CancelJob(ctx context.Context, ticketID int64, kind string) error
	// SaveSLAClock stores c, a new clock or a changed one.
	SaveSLAClock(ctx context.Context, c *SLAClock) error
	// WebSubmissions counts the tickets opened on the web form since,
	// by address email and by source.
	WebSubmissions(ctx context.Context, email, source string, since time.Time) (byAddress, bySource int, err error)
	// AddWebSubmission records that email, from source, opened ticket on
	// the web form at at.
	AddWebSubmission(ctx context.Context, email, source string, ticketID int64, at time.Time) error
	KBWriter
}

// Job is timed work on a ticket, kept in the database.
type Job struct {
	TicketID int64     `db:"ticket_id"`
	Kind     string    `db:"kind"`
	DueAt    time.Time `db:"due_at"`
}

// TicketFilter narrows ListTickets; zero fields match everything.
type TicketFilter struct {
	Status Status
	Queue  string
	Limit  int
}

// OutboxFilter narrows Outbox; zero fields match everything.
type OutboxFilter struct {
	Status   string // queued, sent, failed
	TicketID int64
}

// Outbox item statuses.
const (
	OutboxQueued = "queued"
	OutboxSent   = "sent"
	OutboxFailed = "failed"
)

// OutboxItem is an outbound message waiting for, or done with, delivery.
type OutboxItem struct {
	ID            int64
	TicketID      int64
	Message       Message
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	SentAt        time.Time
	// Notice is set while the item is a notice not rendered yet (its
	// Message has no subject or text): what the sender renders it from,
	// the ticket as it stands now.
	Notice *Notice
}

// AutoMailQuery names what Tx.AutoMailState counts: the automatic mails
// (all but agents' replies) sent since Since to addresses whose
// NormalizeAddress is Key, to those whose RateDomain is Domain, and
// answering mail whose Source is Source. A count whose key is "" is not
// asked for, and is 0.
type AutoMailQuery struct {
	Key, Domain, Source string
	Since               time.Time
}

// AutoMailState is what the loop governor reads of an address before an
// automatic mail goes to it (see AutoMailQuery).
type AutoMailState struct {
	// BouncingUntil is until when mail to the address bounces (zero if
	// it does not), and BounceReason why.
	BouncingUntil time.Time
	BounceReason  string
	// ToKey, ToDomain and FromSource are the counts of AutoMailQuery.
	ToKey, ToDomain, FromSource int
}

// NoticeRef is what an outbox item keeps to render its notice later.
type NoticeRef struct {
	Template   string
	TriggerID  int64 // the message that caused the notice; 0 for none
	Unverified bool  // see Notice.Unverified
}

// Quarantined is a mail kept aside because it could not be taken.
type Quarantined struct {
	ID      int64
	Mailbox string
	Reason  string
	Raw     []byte
	Size    int64 // bytes kept in Raw
	// Truncated: Raw is only the head of a mail over the size limit.
	Truncated  bool
	CreatedAt  time.Time
	ReleasedAt time.Time
	TicketID   int64 // the ticket it became once released
	// Again is set by Store.Quarantine when the same bytes were held
	// already: ID and CreatedAt are then that row's.
	Again bool
}

// DeliveryNotes is what a store may offer besides Store: a note, kept
// apart from the database's write lock, that an outbox item was delivered.
// The sender writes it the moment the SMTP server accepts a mail, before
// the delivery is recorded (which may wait for the write lock behind a
// batch of incoming mail): a sender killed in between leaves the note,
// and the next sender records the delivery from it instead of sending the
// mail again. The SQLite store keeps the notes in a file beside the
// database, the PostgreSQL store in a table written without waiting for
// the disk; a note survives the death of the process, not a power cut.
type DeliveryNotes interface {
	// NoteDelivered notes that outbox item id was delivered at at.
	NoteDelivered(ctx context.Context, id int64, at time.Time) error
	// NotedDeliveries returns the noted items that a claim at now would
	// take again: still queued, their lease run out (their sender died
	// before it recorded them). Notes of items no longer queued are
	// dropped.
	NotedDeliveries(ctx context.Context, now time.Time) ([]NotedDelivery, error)
	// ForgetDeliveries drops the notes of ids.
	ForgetDeliveries(ctx context.Context, ids []int64) error
}

// NotedDelivery is a delivery noted and not yet recorded.
type NotedDelivery struct {
	ID       int64 // the outbox item
	TicketID int64
	At       time.Time // when the SMTP server accepted it
}
