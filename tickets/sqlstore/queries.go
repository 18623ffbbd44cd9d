package sqlstore

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"helpdesk/tickets"
	"helpdesk/tickets/triage"
)

// queries runs the named queries on a database or inside a transaction.
type queries struct {
	x interface {
		sqlx.ExtContext
		sqlx.PreparerContext
	}
	q   map[string]string
	src map[string]string // the queries before Rebind, for in
	p   *prepared
	// tx is the transaction, nil outside one; borrowed and borrowedNamed
	// hold the prepared statements it has used (see stmt).
	tx            *sqlx.Tx
	borrowed      map[string]*sqlx.Stmt
	borrowedNamed map[string]*sqlx.NamedStmt
	// heldEvents are the events the transaction has not written yet, and
	// nextEventID the ID of the next (see AddEvent).
	heldEvents  []tickets.Event
	nextEventID int64
	// published counts the published articles by language and queue,
	// as this transaction has seen them (see PublishedArticles).
	published map[[2]string]int
	// maxTicketIDs: next-ticket-id is the highest number + 1 (SQLite),
	// not a sequence shared with other writers; then nextTicketID is the
	// number after the transaction's last ticket, 0 before one (see
	// CreateTicket).
	maxTicketIDs bool
	nextTicketID int64
}

var _ tickets.Tx = (*queries)(nil)

func (q *queries) get(ctx context.Context, dest any, name string, args ...any) error {
	if err := q.beforeQuery(ctx, name); err != nil {
		return err
	}
	args = dbArgs(args)
	var err error
	if large(args...) {
		err = sqlx.GetContext(uninterrupted(ctx), q.x, dest, q.q[name], args...)
	} else {
		var st *sqlx.Stmt
		if st, err = q.stmt(ctx, name); err != nil {
			return err
		}
		err = st.GetContext(uninterrupted(ctx), dest, args...)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return tickets.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func (q *queries) selectAll(ctx context.Context, dest any, name string, args ...any) error {
	if err := q.beforeQuery(ctx, name); err != nil {
		return err
	}
	st, err := q.stmt(ctx, name)
	if err != nil {
		return err
	}
	if err := st.SelectContext(uninterrupted(ctx), dest, dbArgs(args)...); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func (q *queries) exec(ctx context.Context, name string, args ...any) (sql.Result, error) {
	if err := q.beforeQuery(ctx, name); err != nil {
		return nil, err
	}
	var r sql.Result
	var err error
	args = dbArgs(args)
	if large(args...) {
		r, err = q.x.ExecContext(uninterrupted(ctx), q.q[name], args...)
	} else {
		var st *sqlx.Stmt
		if st, err = q.stmt(ctx, name); err != nil {
			return nil, err
		}
		r, err = st.ExecContext(uninterrupted(ctx), args...)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return r, nil
}

// namedExec runs a query with :name parameters, taken from arg's fields;
// big says that some are large (see large).
func (q *queries) namedExec(ctx context.Context, name string, arg any, big bool) (sql.Result, error) {
	query, st, args, err := q.namedCall(ctx, name, arg, big)
	if err != nil {
		return nil, err
	}
	var r sql.Result
	if st != nil {
		r, err = st.ExecContext(uninterrupted(ctx), args...)
	} else {
		r, err = q.x.ExecContext(uninterrupted(ctx), query, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return r, nil
}

// namedGet is namedExec for a query that returns a row (RETURNING id),
// scanned into dest. No row is sql.ErrNoRows, wrapped.
func (q *queries) namedGet(ctx context.Context, dest any, name string, arg any, big bool) error {
	query, st, args, err := q.namedCall(ctx, name, arg, big)
	if err != nil {
		return err
	}
	if st != nil {
		err = st.GetContext(uninterrupted(ctx), dest, args...)
	} else {
		err = sqlx.GetContext(uninterrupted(ctx), q.x, dest, query, args...)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// namedCall binds arg's fields to query name (see named) and returns the
// statement kept prepared for it, or, when big, the query to prepare for
// its one use (st nil). The arguments go through dbArgs either way, which
// a prepared sqlx.NamedStmt would not do: they are bound here in the
// order of its parameters, and run through its plain statement.
func (q *queries) namedCall(ctx context.Context, name string, arg any, big bool) (query string, st *sqlx.Stmt, args []any, err error) {
	if err := q.beforeQuery(ctx, name); err != nil {
		return "", nil, nil, err
	}
	query, args, err = q.named(name, arg)
	if err != nil || big {
		return query, nil, args, err
	}
	ns, err := q.namedStmt(ctx, name)
	if err != nil {
		return "", nil, nil, err
	}
	return "", ns.Stmt, args, nil
}

// largeValue is the size from which a value is not bound to a statement
// kept prepared: SQLite keeps a statement's last values, and the record it
// built of them, until its next use, which would hold a 25 MB mail in
// memory for as long. Such a statement is prepared for its one use.
const largeValue = 64 << 10

// large reports whether one of args is a string or bytes of largeValue or more.
func large(args ...any) bool {
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			if len(v) >= largeValue {
				return true
			}
		case string:
			if len(v) >= largeValue {
				return true
			}
		}
	}
	return false
}

// in expands a query with an IN (?) list.
func (q *queries) in(name string, args ...any) (string, []any, error) {
	query, a, err := sqlx.In(q.src[name], args...)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", name, err)
	}
	return q.x.Rebind(query), dbArgs(a), nil
}

// named binds the fields of row to the named query name.
func (q *queries) named(name string, row any) (string, []any, error) {
	if query, args, ok, err := q.bindNamed(name, row); ok {
		return query, dbArgs(args), err
	}
	query, args, err := sqlx.Named(q.q[name], row)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", name, err)
	}
	return q.x.Rebind(query), dbArgs(args), nil
}

// dbArgs writes times in UTC to the microsecond, which is what PostgreSQL
// keeps: a desk then reads back the same times from either database, and
// one copied from SQLite to PostgreSQL shows the same.
func dbArgs(args []any) []any {
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			args[i] = v.UTC().Truncate(time.Microsecond)
		case sql.NullTime:
			v.Time = v.Time.UTC().Truncate(time.Microsecond)
			args[i] = v
		}
	}
	return args
}

type ticketRow struct {
	ID              int64         `db:"id"`
	Subject         string        `db:"subject"`
	Status          string        `db:"status"`
	Priority        string        `db:"priority"`
	Queue           string        `db:"queue"`
	Mailbox         string        `db:"mailbox"`
	Category        string        `db:"category"`
	RequesterEmail  string        `db:"requester_email"`
	RequesterName   string        `db:"requester_name"`
	Assignee        string        `db:"assignee"`
	MergedInto      sql.NullInt64 `db:"merged_into"`
	CreatedAt       time.Time     `db:"created_at"`
	UpdatedAt       time.Time     `db:"updated_at"`
	FirstResponseAt sql.NullTime  `db:"first_response_at"`
	ResolvedAt      sql.NullTime  `db:"resolved_at"`
	ClosedAt        sql.NullTime  `db:"closed_at"`
	SenderVerified  sql.NullBool  `db:"sender_verified"`
	Resolution      string        `db:"resolution"`
	FollowUpOf      sql.NullInt64 `db:"follow_up_of"`
	CSATRating      int           `db:"csat_rating"`
	CSATComment     string        `db:"csat_comment"`
	CSATAt          sql.NullTime  `db:"csat_at"`
	Language        string        `db:"language"`
}

func nullTime(t time.Time) sql.NullTime {
	if t.IsZero() {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: t.UTC(), Valid: true}
}

func nullInt(n int64) sql.NullInt64 { return sql.NullInt64{Int64: n, Valid: n != 0} }

func toTicketRow(t *tickets.Ticket) ticketRow {
	return ticketRow{
		ID: t.ID, Subject: t.Subject, Status: string(t.Status), Priority: t.Priority, Queue: t.Queue,
		Mailbox: t.Mailbox, Category: t.Category, RequesterEmail: t.Requester.Email, RequesterName: t.Requester.Name,
		Assignee: t.Assignee, MergedInto: nullInt(t.MergedInto), CreatedAt: t.CreatedAt.UTC(), UpdatedAt: t.UpdatedAt.UTC(),
		FirstResponseAt: nullTime(t.FirstResponseAt), ResolvedAt: nullTime(t.ResolvedAt), ClosedAt: nullTime(t.ClosedAt),
		SenderVerified: nullBool(t.SenderVerified), Resolution: t.Resolution,
		FollowUpOf: nullInt(t.FollowUpOf), CSATRating: t.CSAT.Rating, CSATComment: t.CSAT.Comment, CSATAt: nullTime(t.CSAT.At),
		Language: t.Language,
	}
}

func nullBool(b *bool) sql.NullBool {
	if b == nil {
		return sql.NullBool{}
	}
	return sql.NullBool{Bool: *b, Valid: true}
}

func (r ticketRow) ticket() tickets.Ticket {
	var verified *bool
	if r.SenderVerified.Valid {
		verified = &r.SenderVerified.Bool
	}
	return tickets.Ticket{
		ID: r.ID, Subject: r.Subject, Status: tickets.Status(r.Status), Priority: r.Priority, Queue: r.Queue,
		Mailbox: r.Mailbox, Category: r.Category, Requester: tickets.Address{Name: r.RequesterName, Email: r.RequesterEmail},
		Assignee: r.Assignee, MergedInto: r.MergedInto.Int64, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		FirstResponseAt: r.FirstResponseAt.Time, ResolvedAt: r.ResolvedAt.Time, ClosedAt: r.ClosedAt.Time,
		SenderVerified: verified, Resolution: r.Resolution,
		FollowUpOf: r.FollowUpOf.Int64, CSAT: csatOf(r),
		Language: r.Language,
	}
}

func (q *queries) Ticket(ctx context.Context, id int64) (*tickets.Ticket, error) {
	var r ticketRow
	if err := q.get(ctx, &r, "ticket-by-id", id); err != nil {
		return nil, err
	}
	t := r.ticket()
	if err := q.selectAll(ctx, &t.Tags, "ticket-tags", id); err != nil {
		return nil, err
	}
	return &t, nil
}

func (q *queries) ListTickets(ctx context.Context, f tickets.TicketFilter) ([]tickets.Ticket, error) {
	var where []string
	var args []any
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, string(f.Status))
	}
	if f.Queue != "" {
		where = append(where, "queue = ?")
		args = append(args, f.Queue)
	}
	query := "SELECT * FROM tickets"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY id"
	if f.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	var rows []ticketRow
	if err := sqlx.SelectContext(uninterrupted(ctx), q.x, &rows, q.x.Rebind(query), args...); err != nil {
		return nil, fmt.Errorf("listing tickets: %w", err)
	}
	var tags []struct {
		TicketID int64  `db:"ticket_id"`
		Tag      string `db:"tag"`
	}
	if err := sqlx.SelectContext(uninterrupted(ctx), q.x, &tags, "SELECT ticket_id, tag FROM ticket_tags ORDER BY tag"); err != nil {
		return nil, fmt.Errorf("listing ticket tags: %w", err)
	}
	byID := map[int64][]string{}
	for _, t := range tags {
		byID[t.TicketID] = append(byID[t.TicketID], t.Tag)
	}
	out := make([]tickets.Ticket, len(rows))
	for i, r := range rows {
		out[i] = r.ticket()
		out[i].Tags = byID[r.ID]
	}
	return out, nil
}

func (q *queries) CreateTicket(ctx context.Context, t *tickets.Ticket, firstID int64) error {
	// The number is taken, then inserted unless another writer took it
	// first (on PostgreSQL, between two daemons when the counter is moved
	// up to firstID): then the next number is asked for. On SQLite the
	// transaction's second ticket needs no asking: the transaction alone
	// writes, and the ticket it inserted last has the highest number.
	for try := 0; ; try++ {
		if q.nextTicketID != 0 {
			t.ID, q.nextTicketID = q.nextTicketID, 0
		} else if err := q.get(ctx, &t.ID, "next-ticket-id", firstID); err != nil {
			return err
		}
		if t.ID < firstID {
			t.ID = firstID
		}
		row := toTicketRow(t)
		var id int64
		err := q.namedGet(ctx, &id, "insert-ticket", row, large(row.Subject))
		if err == nil {
			if q.maxTicketIDs {
				q.nextTicketID = t.ID + 1
			}
			break
		}
		if !errors.Is(err, sql.ErrNoRows) || try == 100 {
			return fmt.Errorf("insert-ticket %d: %w", t.ID, err)
		}
	}
	return q.saveTags(ctx, t, true)
}

func (q *queries) UpdateTicket(ctx context.Context, t *tickets.Ticket) error {
	row := toTicketRow(t)
	r, err := q.namedExec(ctx, "update-ticket", row, large(row.Subject))
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return tickets.ErrNotFound
	}
	return q.saveTags(ctx, t, false)
}

// saveTags stores t's tags in place of those it had; a new ticket has none.
func (q *queries) saveTags(ctx context.Context, t *tickets.Ticket, created bool) error {
	if !created {
		if _, err := q.exec(ctx, "delete-ticket-tags", t.ID); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, tag := range t.Tags {
		if tag == "" || seen[tag] {
			continue
		}
		seen[tag] = true
		if _, err := q.exec(ctx, "insert-ticket-tag", t.ID, tag); err != nil {
			return err
		}
	}
	return nil
}

func (q *queries) IsParticipant(ctx context.Context, ticketID int64, email string) (bool, error) {
	var n int
	if err := q.get(ctx, &n, "participant-exists", ticketID, tickets.EmailKey(email)); err != nil {
		return false, err
	}
	return n > 0, nil
}

func (q *queries) AddParticipant(ctx context.Context, ticketID int64, p tickets.Participant) (bool, error) {
	r, err := q.exec(ctx, "insert-participant", ticketID, tickets.EmailKey(p.Email), p.Name, p.Role)
	if err != nil {
		return false, err
	}
	n, _ := r.RowsAffected()
	return n > 0, nil
}

func (q *queries) Participants(ctx context.Context, ticketID int64) ([]tickets.Participant, error) {
	var rows []struct {
		Email string `db:"email"`
		Name  string `db:"name"`
		Role  string `db:"role"`
	}
	if err := q.selectAll(ctx, &rows, "participants", ticketID); err != nil {
		return nil, err
	}
	out := make([]tickets.Participant, len(rows))
	for i, r := range rows {
		out[i] = tickets.Participant{Address: tickets.Address{Name: r.Name, Email: r.Email}, Role: r.Role}
	}
	return out, nil
}

type messageRow struct {
	ID         int64     `db:"id"`
	TicketID   int64     `db:"ticket_id"`
	Direction  string    `db:"direction"`
	Kind       string    `db:"kind"`
	Mailbox    string    `db:"mailbox"`
	Key        string    `db:"msg_key"`
	MessageID  string    `db:"message_id"`
	InReplyTo  string    `db:"in_reply_to"`
	Refs       string    `db:"refs"`
	FromEmail  string    `db:"from_email"`
	FromName   string    `db:"from_name"`
	To         string    `db:"to_addrs"`
	Cc         string    `db:"cc_addrs"`
	ReplyTo    string    `db:"reply_to"`
	Subject    string    `db:"subject"`
	Text       string    `db:"body_text"`
	HTML       string    `db:"body_html"`
	Headers    string    `db:"headers"`
	AutoReason string    `db:"auto_reason"`
	Rcpt       string    `db:"rcpt"`
	RcptKey    string    `db:"rcpt_key"`
	RcptDomain string    `db:"rcpt_domain"`
	Source     string    `db:"source"`
	CreatedAt  time.Time `db:"created_at"`
	Unverified bool      `db:"unverified"`
	Author     string    `db:"author"`
}

func toMessageRow(m *tickets.Message) (messageRow, error) {
	to, err := json.Marshal(nonNil(m.To))
	if err != nil {
		return messageRow{}, err
	}
	cc, err := json.Marshal(nonNil(m.Cc))
	if err != nil {
		return messageRow{}, err
	}
	headers := []byte("{}")
	if len(m.Headers) > 0 {
		if headers, err = json.Marshal(m.Headers); err != nil {
			return messageRow{}, err
		}
	}
	replyTo := ""
	if m.ReplyTo != nil {
		b, err := json.Marshal(m.ReplyTo)
		if err != nil {
			return messageRow{}, err
		}
		replyTo = string(b)
	}
	return messageRow{
		ID: m.ID, TicketID: m.TicketID, Direction: string(m.Direction), Kind: m.Kind, Mailbox: m.Mailbox, Key: m.Key,
		MessageID: m.MessageID, InReplyTo: m.InReplyTo, Refs: strings.Join(m.References, " "),
		FromEmail: m.From.Email, FromName: m.From.Name, To: string(to), Cc: string(cc), ReplyTo: replyTo,
		Subject: m.Subject, Text: m.Text, HTML: m.HTML, Headers: string(headers), AutoReason: m.AutoReason,
		Rcpt: rcpt(m), RcptKey: tickets.NormalizeAddress(rcpt(m)), RcptDomain: m.RateDomain, Source: m.Source,
		CreatedAt: m.CreatedAt.UTC(), Unverified: m.Unverified, Author: m.Author,
	}, nil
}

// rcpt is the address an outbound message counts against for rate limits.
func rcpt(m *tickets.Message) string {
	if m.Direction != tickets.Out || len(m.To) == 0 {
		return ""
	}
	return tickets.EmailKey(m.To[0].Email)
}

func nonNil(as []tickets.Address) []tickets.Address {
	if as == nil {
		return []tickets.Address{}
	}
	return as
}

func (r messageRow) message() (tickets.Message, error) {
	m := tickets.Message{
		ID: r.ID, TicketID: r.TicketID, Direction: tickets.Direction(r.Direction), Kind: r.Kind, Mailbox: r.Mailbox,
		Key: r.Key, MessageID: r.MessageID, InReplyTo: r.InReplyTo, References: strings.Fields(r.Refs),
		From: tickets.Address{Name: r.FromName, Email: r.FromEmail}, Subject: r.Subject, Text: r.Text, HTML: r.HTML,
		AutoReason: r.AutoReason, Source: r.Source, RateDomain: r.RcptDomain, CreatedAt: r.CreatedAt.UTC(),
		Unverified: r.Unverified, Author: r.Author,
	}
	if err := json.Unmarshal([]byte(r.To), &m.To); err != nil {
		return m, fmt.Errorf("message %d to_addrs: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(r.Cc), &m.Cc); err != nil {
		return m, fmt.Errorf("message %d cc_addrs: %w", r.ID, err)
	}
	if r.Headers != "" && r.Headers != "{}" {
		if err := json.Unmarshal([]byte(r.Headers), &m.Headers); err != nil {
			return m, fmt.Errorf("message %d headers: %w", r.ID, err)
		}
	}
	if r.ReplyTo != "" {
		m.ReplyTo = new(tickets.Address)
		if err := json.Unmarshal([]byte(r.ReplyTo), m.ReplyTo); err != nil {
			return m, fmt.Errorf("message %d reply_to: %w", r.ID, err)
		}
	}
	return m, nil
}

func (q *queries) MessageByKey(ctx context.Context, key string) (*tickets.Message, error) {
	var r messageRow
	if err := q.get(ctx, &r, "message-by-key", key); err != nil {
		return nil, err
	}
	m, err := r.message()
	return &m, err
}

func (q *queries) TicketByMessageIDs(ctx context.Context, ids []string) (*tickets.Ticket, error) {
	if len(ids) == 0 {
		return nil, tickets.ErrNotFound
	}
	query, args, err := q.in("ticket-by-message-ids", ids)
	if err != nil {
		return nil, err
	}
	var id int64
	if err := sqlx.GetContext(uninterrupted(ctx), q.x, &id, query, args...); errors.Is(err, sql.ErrNoRows) {
		return nil, tickets.ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("ticket-by-message-ids: %w", err)
	}
	return q.Ticket(ctx, id)
}

func (q *queries) InsertMessage(ctx context.Context, m *tickets.Message, raw []byte) error {
	row, err := toMessageRow(m)
	if err != nil {
		return fmt.Errorf("encoding message: %w", err)
	}
	// No row back: the key is taken (ON CONFLICT DO NOTHING), which on
	// PostgreSQL, unlike a failed insert, leaves the transaction usable.
	err = q.namedGet(ctx, &m.ID, "insert-message", row, large(row.Subject, row.Text, row.HTML, row.Headers, row.To, row.Cc))
	if errors.Is(err, sql.ErrNoRows) || isUniqueViolation(err) {
		return tickets.ErrDuplicate
	}
	if err != nil {
		return err
	}
	if raw != nil {
		if _, err := q.exec(ctx, "insert-raw-mail", m.ID, firstPart(raw)); err != nil {
			return err
		}
		if err := q.insertParts(ctx, "insert-raw-mail-part", m.ID, raw); err != nil {
			return err
		}
	}
	for i := range m.Attachments {
		a := &m.Attachments[i]
		size := a.Size
		if size == 0 {
			size = int64(len(a.Data))
		}
		if err := q.get(ctx, &a.ID, "insert-attachment", m.ID, a.Filename, a.ContentType, size, nonNilBytes(firstPart(a.Data))); err != nil {
			return err
		}
		if err := q.insertParts(ctx, "insert-attachment-part", a.ID, a.Data); err != nil {
			return err
		}
	}
	return nil
}

// blobPart is the most of a raw mail, an attachment's content or a
// quarantined mail that one row holds: its first part is in raw_mails,
// attachments or quarantine, the rest in parts of this size in
// raw_mail_parts, attachment_parts or quarantine_parts. SQLite
// copies a bound value, then builds its row from the copy: two copies of
// the whole value while the statement runs, 50 MB at once for a mail of
// 25 MB, where parts cost two of a megabyte.
const blobPart = 1 << 20

// firstPart is what of data its own row holds.
func firstPart(data []byte) []byte { return data[:min(len(data), blobPart)] }

// insertParts writes data past its first part, blobPart bytes a row, as
// the parts 1, 2, ... of owner, with query name.
func (q *queries) insertParts(ctx context.Context, name string, owner int64, data []byte) error {
	for part, off := 1, blobPart; off < len(data); part, off = part+1, off+blobPart {
		if _, err := q.exec(ctx, name, owner, part, data[off:min(off+blobPart, len(data))]); err != nil {
			return err
		}
	}
	return nil
}

func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func (q *queries) Messages(ctx context.Context, ticketID int64) ([]tickets.Message, error) {
	var rows []messageRow
	if err := q.selectAll(ctx, &rows, "messages-of-ticket", ticketID); err != nil {
		return nil, err
	}
	var atts []struct {
		ID          int64  `db:"id"`
		MessageID   int64  `db:"message_id"`
		Filename    string `db:"filename"`
		ContentType string `db:"content_type"`
		Size        int64  `db:"size"`
	}
	if err := q.selectAll(ctx, &atts, "attachments-of-ticket", ticketID); err != nil {
		return nil, err
	}
	byMsg := map[int64][]tickets.Attachment{}
	for _, a := range atts {
		byMsg[a.MessageID] = append(byMsg[a.MessageID], tickets.Attachment{ID: a.ID, Filename: a.Filename, ContentType: a.ContentType, Size: a.Size})
	}
	out := make([]tickets.Message, 0, len(rows))
	for _, r := range rows {
		m, err := r.message()
		if err != nil {
			return nil, err
		}
		m.Attachments = byMsg[m.ID]
		out = append(out, m)
	}
	return out, nil
}

// AddEvent records e. In a SQLite transaction it holds e back and writes
// the events it holds with one statement (see heldEvents), giving e now
// the ID that SQLite would give it: a new ticket records half a dozen
// events, each a statement of its own before.
func (q *queries) AddEvent(ctx context.Context, e *tickets.Event) error {
	if q.tx == nil || !q.p.batchEvents {
		return q.get(ctx, &e.ID, "insert-event", e.TicketID, e.Kind, e.Actor, e.Detail, e.CreatedAt.UTC())
	}
	if q.nextEventID == 0 {
		// The write lock is held: no other writer can take an ID. A
		// rowid table without AUTOINCREMENT gives the largest ID plus one.
		var last int64
		if err := sqlx.GetContext(uninterrupted(ctx), q.x, &last, "SELECT COALESCE(MAX(id), 0) FROM events"); err != nil {
			return fmt.Errorf("reading the last event ID: %w", err)
		}
		q.nextEventID = last + 1
	}
	e.ID = q.nextEventID
	q.nextEventID++
	q.heldEvents = append(q.heldEvents, *e)
	if len(q.heldEvents) == maxHeldEvents {
		return q.writeEvents(ctx)
	}
	return nil
}

// maxHeldEvents is the most events a transaction holds back: 6
// parameters each, well under SQLite's limit of 32,766.
const maxHeldEvents = 200

// writeEvents writes the events the transaction holds back.
func (q *queries) writeEvents(ctx context.Context) error {
	if len(q.heldEvents) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("INSERT INTO events (id, ticket_id, kind, actor, detail, created_at) VALUES ")
	args := make([]any, 0, 6*len(q.heldEvents))
	for i, e := range q.heldEvents {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?)")
		args = append(args, e.ID, e.TicketID, e.Kind, e.Actor, e.Detail, e.CreatedAt.UTC())
	}
	q.heldEvents = q.heldEvents[:0]
	if _, err := q.x.ExecContext(uninterrupted(ctx), b.String(), dbArgs(args)...); err != nil {
		return fmt.Errorf("insert-event: %w", err)
	}
	return nil
}

// beforeQuery writes the events held back before a query that reads them.
func (q *queries) beforeQuery(ctx context.Context, name string) error {
	if q.tx != nil {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if len(q.heldEvents) > 0 && q.p.readsEvents[name] {
		return q.writeEvents(ctx)
	}
	return nil
}

func (q *queries) Events(ctx context.Context, ticketID int64) ([]tickets.Event, error) {
	var rows []struct {
		ID        int64     `db:"id"`
		TicketID  int64     `db:"ticket_id"`
		Kind      string    `db:"kind"`
		Actor     string    `db:"actor"`
		Detail    string    `db:"detail"`
		CreatedAt time.Time `db:"created_at"`
	}
	if err := q.selectAll(ctx, &rows, "events-of-ticket", ticketID); err != nil {
		return nil, err
	}
	out := make([]tickets.Event, len(rows))
	for i, r := range rows {
		out[i] = tickets.Event{ID: r.ID, TicketID: r.TicketID, Kind: r.Kind, Actor: r.Actor, Detail: r.Detail, CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

func (q *queries) EnqueueMail(ctx context.Context, messageID, ticketID int64, due time.Time) error {
	_, err := q.exec(ctx, "enqueue-mail", messageID, ticketID, due.UTC(), due.UTC())
	return err
}

func (q *queries) EnqueueNotice(ctx context.Context, messageID, ticketID int64, due time.Time, ref tickets.NoticeRef) (int64, error) {
	var id int64
	err := q.get(ctx, &id, "enqueue-notice", messageID, ticketID, due.UTC(), due.UTC(), ref.Template, nullInt(ref.TriggerID), ref.Unverified)
	return id, err
}

func (q *queries) SaveRendered(ctx context.Context, id int64, c tickets.Composed) error {
	if _, err := q.exec(ctx, "save-rendered", c.Subject, c.Text, c.HTML, id); err != nil {
		return err
	}
	_, err := q.exec(ctx, "outbox-rendered", id)
	return err
}

func (q *queries) OutboxSent(ctx context.Context, id int64, at time.Time) error {
	_, err := q.exec(ctx, "outbox-sent", at.UTC(), id)
	return err
}

func (q *queries) OutboxSentRendered(ctx context.Context, id int64, c tickets.Composed, at time.Time) error {
	if _, err := q.exec(ctx, "save-rendered", c.Subject, c.Text, c.HTML, id); err != nil {
		return err
	}
	_, err := q.exec(ctx, "outbox-sent-rendered", at.UTC(), id)
	return err
}

func (q *queries) OutboxRetry(ctx context.Context, id int64, next time.Time, lastErr string) error {
	_, err := q.exec(ctx, "outbox-retry", next.UTC(), lastErr, id)
	return err
}

func (q *queries) OutboxFailed(ctx context.Context, id int64, at time.Time, lastErr string) error {
	_, err := q.exec(ctx, "outbox-failed", lastErr, at.UTC(), id)
	return err
}

type outboxRow struct {
	OID            int64        `db:"o_id"`
	OTicketID      int64        `db:"o_ticket_id"`
	OStatus        string       `db:"o_status"`
	OAttempts      int          `db:"o_attempts"`
	ONextAttemptAt time.Time    `db:"o_next_attempt_at"`
	OLastError     string       `db:"o_last_error"`
	OCreatedAt     time.Time    `db:"o_created_at"`
	OSentAt        sql.NullTime `db:"o_sent_at"`
	// The notice not rendered yet, when ONoticeTemplate is set.
	ONoticeTemplate   string        `db:"o_notice_template"`
	ONoticeTriggerID  sql.NullInt64 `db:"o_notice_trigger_id"`
	ONoticeUnverified bool          `db:"o_notice_unverified"`
	messageRow
}

func (q *queries) outboxItems(ctx context.Context, ids []int64) ([]tickets.OutboxItem, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	query, args, err := q.in("outbox-items", ids)
	if err != nil {
		return nil, err
	}
	var rows []outboxRow
	if err := sqlx.SelectContext(uninterrupted(ctx), q.x, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("outbox-items: %w", err)
	}
	out := make([]tickets.OutboxItem, 0, len(rows))
	var notices []int // the items of out not rendered yet
	for _, r := range rows {
		m, err := r.messageRow.message()
		if err != nil {
			return nil, err
		}
		it := tickets.OutboxItem{
			ID: r.OID, TicketID: r.OTicketID, Message: m, Status: r.OStatus, Attempts: r.OAttempts,
			NextAttemptAt: r.ONextAttemptAt.UTC(), LastError: r.OLastError, CreatedAt: r.OCreatedAt.UTC(), SentAt: r.OSentAt.Time,
		}
		if r.ONoticeTemplate != "" {
			it.Notice = &tickets.Notice{Template: r.ONoticeTemplate, Unverified: r.ONoticeUnverified}
			if len(m.To) > 0 {
				it.Notice.To = m.To[0]
			}
			if r.ONoticeTriggerID.Valid {
				it.Notice.Trigger = &tickets.Message{ID: r.ONoticeTriggerID.Int64}
			}
			notices = append(notices, len(out))
		}
		out = append(out, it)
	}
	if len(notices) > 0 {
		if err := q.loadNotices(ctx, out, notices); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// loadNotices fills in what renders the notices of items at, each with
// its ticket as it stands now, the message that caused it and, for an
// acknowledgement, its suggestions: four queries for all of them.
func (q *queries) loadNotices(ctx context.Context, items []tickets.OutboxItem, at []int) error {
	var ticketIDs, triggerIDs, ackIDs []int64
	for _, i := range at {
		ticketIDs = append(ticketIDs, items[i].TicketID)
		if g := items[i].Notice.Trigger; g != nil {
			triggerIDs = append(triggerIDs, g.ID)
		}
		if items[i].Message.Kind == tickets.KindAcknowledgement {
			ackIDs = append(ackIDs, items[i].TicketID)
		}
	}
	var suggested map[int64][]tickets.Suggestion
	if len(ackIDs) > 0 {
		var err error
		if suggested, err = q.suggestionsOf(ctx, ackIDs); err != nil {
			return err
		}
	}
	var rows []ticketRow
	if err := q.selectIn(ctx, &rows, "tickets-by-ids", ticketIDs); err != nil {
		return err
	}
	var tags []struct {
		TicketID int64  `db:"ticket_id"`
		Tag      string `db:"tag"`
	}
	if err := q.selectIn(ctx, &tags, "tags-of-tickets", ticketIDs); err != nil {
		return err
	}
	ticketsByID := make(map[int64]*tickets.Ticket, len(rows))
	for _, r := range rows {
		t := r.ticket()
		ticketsByID[t.ID] = &t
	}
	for _, tg := range tags {
		if t := ticketsByID[tg.TicketID]; t != nil {
			t.Tags = append(t.Tags, tg.Tag)
		}
	}
	var triggers []struct {
		ID        int64     `db:"id"`
		TicketID  int64     `db:"ticket_id"`
		MessageID string    `db:"message_id"`
		FromEmail string    `db:"from_email"`
		FromName  string    `db:"from_name"`
		Subject   string    `db:"subject"`
		Text      string    `db:"body_text"`
		CreatedAt time.Time `db:"created_at"`
	}
	if len(triggerIDs) > 0 {
		if err := q.selectIn(ctx, &triggers, "notice-triggers", triggerIDs); err != nil {
			return err
		}
	}
	triggersByID := make(map[int64]*tickets.Message, len(triggers))
	for _, g := range triggers {
		triggersByID[g.ID] = &tickets.Message{ID: g.ID, TicketID: g.TicketID, MessageID: g.MessageID,
			From: tickets.Address{Name: g.FromName, Email: g.FromEmail}, Subject: g.Subject, Text: g.Text, CreatedAt: g.CreatedAt.UTC()}
	}
	for _, i := range at {
		n := items[i].Notice
		if n.Ticket = ticketsByID[items[i].TicketID]; n.Ticket == nil {
			return fmt.Errorf("loading ticket %d of outbox item %d: %w", items[i].TicketID, items[i].ID, tickets.ErrNotFound)
		}
		if n.Trigger != nil {
			id := n.Trigger.ID
			if n.Trigger = triggersByID[id]; n.Trigger == nil {
				return fmt.Errorf("loading message %d that caused outbox item %d: %w", id, items[i].ID, tickets.ErrNotFound)
			}
		}
		if items[i].Message.Kind == tickets.KindAcknowledgement {
			// Not nil, even when empty: the sender need not look again.
			n.Suggestions = append([]tickets.Suggestion{}, suggested[items[i].TicketID]...)
		}
	}
	return nil
}

// selectIn runs query name, whose one parameter is an IN (?) list, with ids.
func (q *queries) selectIn(ctx context.Context, dest any, name string, ids []int64) error {
	if err := q.beforeQuery(ctx, name); err != nil {
		return err
	}
	query, args, err := q.in(name, ids)
	if err != nil {
		return err
	}
	if err := sqlx.SelectContext(uninterrupted(ctx), q.x, dest, query, args...); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func (q *queries) Outbox(ctx context.Context, f tickets.OutboxFilter) ([]tickets.OutboxItem, error) {
	query := "SELECT id FROM outbox WHERE 1=1"
	var args []any
	if f.Status != "" {
		query += " AND status = ?"
		args = append(args, f.Status)
	}
	if f.TicketID != 0 {
		query += " AND ticket_id = ?"
		args = append(args, f.TicketID)
	}
	var ids []int64
	if err := sqlx.SelectContext(uninterrupted(ctx), q.x, &ids, q.x.Rebind(query+" ORDER BY id"), args...); err != nil {
		return nil, fmt.Errorf("listing outbox: %w", err)
	}
	var out []tickets.OutboxItem
	for len(ids) > 0 {
		n := min(len(ids), 500)
		items, err := q.outboxItems(ctx, ids[:n])
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		ids = ids[n:]
	}
	return out, nil
}

type quarantineRow struct {
	ID         int64          `db:"id"`
	Mailbox    string         `db:"mailbox"`
	Reason     string         `db:"reason"`
	Raw        []byte         `db:"raw"`
	Size       int64          `db:"size"`
	SHA256     sql.NullString `db:"sha256"`
	Truncated  bool           `db:"truncated"`
	CreatedAt  time.Time      `db:"created_at"`
	ReleasedAt sql.NullTime   `db:"released_at"`
	TicketID   sql.NullInt64  `db:"ticket_id"`
}

func (r quarantineRow) quarantined() tickets.Quarantined {
	return tickets.Quarantined{ID: r.ID, Mailbox: r.Mailbox, Reason: r.Reason, Raw: r.Raw, Size: r.Size,
		Truncated: r.Truncated, CreatedAt: r.CreatedAt.UTC(), ReleasedAt: r.ReleasedAt.Time, TicketID: r.TicketID.Int64}
}

func (q *queries) QuarantineList(ctx context.Context) ([]tickets.Quarantined, error) {
	var rows []quarantineRow
	if err := q.selectAll(ctx, &rows, "quarantine-list"); err != nil {
		return nil, err
	}
	out := make([]tickets.Quarantined, len(rows))
	for i, r := range rows {
		out[i] = r.quarantined()
	}
	return out, nil
}

func (q *queries) QuarantineGet(ctx context.Context, id int64) (*tickets.Quarantined, error) {
	var r quarantineRow
	if err := q.get(ctx, &r, "quarantine-get", id); err != nil {
		return nil, err
	}
	if err := q.appendParts(ctx, "quarantine-parts", map[int64]*[]byte{r.ID: &r.Raw}); err != nil {
		return nil, err
	}
	out := r.quarantined()
	return &out, nil
}

func (q *queries) QuarantineReleased(ctx context.Context, id, ticketID int64, at time.Time) error {
	r, err := q.exec(ctx, "quarantine-released", at.UTC(), nullInt(ticketID), id)
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return tickets.ErrNotFound
	}
	return nil
}

func isUniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed") || isPostgresUniqueViolation(err)
}

type fingerprintRow struct {
	TicketID   int64  `db:"ticket_id"`
	MessageID  int64  `db:"message_id"`
	FromEmail  string `db:"from_email"`
	Subject    string `db:"subject"`
	TextSHA256 string `db:"text_sha256"`
	Shingles   int    `db:"shingles"`
	Text       string `db:"text"`
	Sketch     []byte `db:"sketch"`
}

func (q *queries) DuplicateCandidates(ctx context.Context, email string, since time.Time, from, subject string, limit int) ([]tickets.MailFingerprint, error) {
	var rows []fingerprintRow
	if err := q.selectAll(ctx, &rows, "duplicate-candidates", tickets.EmailKey(email), since.UTC(), from, subject, limit); err != nil {
		return nil, err
	}
	out := make([]tickets.MailFingerprint, len(rows))
	for i, r := range rows {
		sketch := make([]uint64, len(r.Sketch)/8)
		for j := range sketch {
			sketch[j] = binary.BigEndian.Uint64(r.Sketch[8*j:])
		}
		out[i] = tickets.MailFingerprint{TicketID: r.TicketID, MessageID: r.MessageID, Fingerprint: triage.Fingerprint{
			From: r.FromEmail, Subject: r.Subject, TextHash: r.TextSHA256, Shingles: r.Shingles, Text: r.Text, Sketch: sketch,
		}}
	}
	return out, nil
}

func (q *queries) SaveFingerprint(ctx context.Context, f tickets.MailFingerprint) error {
	sketch := make([]byte, 0, 8*len(f.Sketch))
	for _, h := range f.Sketch {
		sketch = binary.BigEndian.AppendUint64(sketch, h)
	}
	_, err := q.exec(ctx, "insert-fingerprint", f.MessageID, f.TicketID, f.From, f.Subject, f.TextHash, f.Shingles, f.Text, sketch)
	return err
}

func (q *queries) OpenTickets(ctx context.Context, email string, since time.Time) (int, bool, error) {
	var r struct {
		Open  int `db:"open_tickets"`
		Since int `db:"opened_since"`
	}
	err := q.get(ctx, &r, "open-tickets", since.UTC(), tickets.EmailKey(email))
	return r.Open, r.Since > 0, err
}

func (q *queries) AutoMailState(ctx context.Context, email string, aq tickets.AutoMailQuery) (tickets.AutoMailState, error) {
	var bounce struct {
		Until  sql.NullTime `db:"bouncing_until"`
		Reason string       `db:"bounce_reason"`
	}
	if err := q.get(ctx, &bounce, "address-state", tickets.EmailKey(email)); err != nil && !errors.Is(err, tickets.ErrNotFound) {
		return tickets.AutoMailState{}, err
	}
	var counts struct {
		ToKey      int `db:"to_key"`
		ToDomain   int `db:"to_domain"`
		FromSource int `db:"from_source"`
	}
	since := aq.Since.UTC()
	err := q.get(ctx, &counts, "auto-mail-counts", aq.Key, since, aq.Domain, since, aq.Source, since)
	return tickets.AutoMailState{BouncingUntil: bounce.Until.Time, BounceReason: bounce.Reason,
		ToKey: counts.ToKey, ToDomain: counts.ToDomain, FromSource: counts.FromSource}, err
}

func (q *queries) MarkBouncing(ctx context.Context, email string, until time.Time, reason string, now time.Time) error {
	_, err := q.exec(ctx, "mark-bouncing", tickets.EmailKey(email), until.UTC(), reason, now.UTC())
	return err
}

func (q *queries) MoveMessages(ctx context.Context, from, to int64) error {
	if _, err := q.exec(ctx, "move-messages", to, from); err != nil {
		return err
	}
	if _, err := q.exec(ctx, "move-fingerprints", to, from); err != nil {
		return err
	}
	_, err := q.exec(ctx, "move-outbox", to, from)
	return err
}

func (q *queries) FirstInboundMessage(ctx context.Context, ticketID int64, maxRunes int) (*tickets.Message, error) {
	var r struct {
		ID        int64     `db:"id"`
		TicketID  int64     `db:"ticket_id"`
		Direction string    `db:"direction"`
		Kind      string    `db:"kind"`
		FromEmail string    `db:"from_email"`
		FromName  string    `db:"from_name"`
		Subject   string    `db:"subject"`
		Text      string    `db:"body_text"`
		CreatedAt time.Time `db:"created_at"`
	}
	if err := q.get(ctx, &r, "first-inbound-message", maxRunes, ticketID); err != nil {
		return nil, err
	}
	return &tickets.Message{
		ID: r.ID, TicketID: r.TicketID, Direction: tickets.Direction(r.Direction), Kind: r.Kind,
		From: tickets.Address{Name: r.FromName, Email: r.FromEmail}, Subject: r.Subject, Text: r.Text, CreatedAt: r.CreatedAt.UTC(),
	}, nil
}

func (q *queries) ScheduleJob(ctx context.Context, ticketID int64, kind string, due time.Time) error {
	_, err := q.exec(ctx, "schedule-job", ticketID, kind, due.UTC())
	return err
}

func (q *queries) CancelJobs(ctx context.Context, ticketID int64) error {
	_, err := q.exec(ctx, "cancel-jobs", ticketID)
	return err
}

func (q *queries) ClaimJob(ctx context.Context, ticketID int64, kind string, now time.Time) (bool, error) {
	r, err := q.exec(ctx, "claim-job", ticketID, kind, now.UTC())
	if err != nil {
		return false, err
	}
	n, err := r.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim-job: %w", err)
	}
	return n == 1, nil
}

// farFuture stands for "no limit" in jobs-until.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

func (q *queries) Jobs(ctx context.Context, until time.Time, limit int) ([]tickets.Job, error) {
	if until.IsZero() {
		until = farFuture
	}
	if limit <= 0 {
		limit = math.MaxInt32
	}
	var jobs []tickets.Job
	if err := q.selectAll(ctx, &jobs, "jobs-until", until.UTC(), limit); err != nil {
		return nil, err
	}
	for i := range jobs {
		jobs[i].DueAt = jobs[i].DueAt.UTC()
	}
	return jobs, nil
}

// csatOf is the rating a ticket row holds.
func csatOf(r ticketRow) tickets.CSAT {
	c := tickets.CSAT{Rating: r.CSATRating, Comment: r.CSATComment}
	if r.CSATAt.Valid {
		c.At = r.CSATAt.Time.UTC()
	}
	return c
}

func (q *queries) CancelJob(ctx context.Context, ticketID int64, kind string) error {
	_, err := q.exec(ctx, "cancel-job", ticketID, kind)
	return err
}

type slaClockRow struct {
	TicketID       int64         `db:"ticket_id"`
	Target         string        `db:"target"`
	Calendar       string        `db:"calendar"`
	Priority       string        `db:"priority"`
	GoalNS         int64         `db:"goal_ns"`
	UsedNS         int64         `db:"used_ns"`
	RunningSince   sql.NullTime  `db:"running_since"`
	PausedAt       sql.NullTime  `db:"paused_at"`
	DueAt          sql.NullTime  `db:"due_at"`
	MetAt          sql.NullTime  `db:"met_at"`
	Warned         int           `db:"warned"`
	Breached       int           `db:"breached"`
	CustomerOffset sql.NullInt64 `db:"customer_offset"`
}

func (q *queries) SLAClocks(ctx context.Context, ticketID int64) ([]tickets.SLAClock, error) {
	var rows []slaClockRow
	if err := q.selectAll(ctx, &rows, "sla-clocks", ticketID); err != nil {
		return nil, err
	}
	out := make([]tickets.SLAClock, 0, len(rows))
	for _, target := range tickets.Targets {
		for _, r := range rows {
			if r.Target != target {
				continue
			}
			c := tickets.SLAClock{TicketID: r.TicketID, Target: r.Target, Calendar: r.Calendar, Priority: r.Priority,
				Goal: time.Duration(r.GoalNS), Used: time.Duration(r.UsedNS), Since: utc(r.RunningSince), PausedAt: utc(r.PausedAt),
				Due: utc(r.DueAt), MetAt: utc(r.MetAt), Warned: r.Warned != 0, Breached: r.Breached != 0}
			if r.CustomerOffset.Valid {
				off := int(r.CustomerOffset.Int64)
				c.CustomerOffset = &off
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func utc(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

func (q *queries) SaveSLAClock(ctx context.Context, c *tickets.SLAClock) error {
	flag := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	var off sql.NullInt64
	if c.CustomerOffset != nil {
		off = sql.NullInt64{Int64: int64(*c.CustomerOffset), Valid: true}
	}
	_, err := q.exec(ctx, "save-sla-clock", c.TicketID, c.Target, c.Calendar, c.Priority, int64(c.Goal), int64(c.Used),
		nullTime(c.Since), nullTime(c.PausedAt), nullTime(c.Due), nullTime(c.MetAt), flag(c.Warned), flag(c.Breached), off)
	return err
}

func (q *queries) WebSubmissions(ctx context.Context, email, source string, since time.Time) (int, int, error) {
	var n struct {
		ByAddress int `db:"by_address"`
		BySource  int `db:"by_source"`
	}
	err := q.get(ctx, &n, "web-submissions", tickets.EmailKey(email), since.UTC(), source, since.UTC())
	return n.ByAddress, n.BySource, err
}

func (q *queries) AddWebSubmission(ctx context.Context, email, source string, ticketID int64, at time.Time) error {
	_, err := q.exec(ctx, "add-web-submission", tickets.EmailKey(email), source, ticketID, at.UTC())
	return err
}
