// Package mailout owns the outgoing side of the mail: it turns a Mail, fully
// decided by the caller, into RFC 5322 bytes with github.com/wneessen/go-mail,
// and delivers it over SMTP (plain, STARTTLS or implicit TLS, with optional
// AUTH) through a Sender that reuses one connection. Delivery failures come
// back as *Error, whose Temporary field is the retry decision.
//
// It knows nothing about tickets, templates or SQL.
package mailout

import (
	"bytes"
	"errors"
	"fmt"
	netmail "net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"

	gomail "github.com/wneessen/go-mail"
)

// Address is a mailbox: an optional display name and an email address.
type Address struct {
	Name  string
	Email string
}

// Mail is one outgoing mail, fully decided by the caller.
//
// Every text that ends up in a header (subject, names, header values, message
// ids) is sanitised first: control characters, CR and LF included, become
// spaces (or vanish from message ids), so no field can inject a header.
// Email addresses are never altered: an invalid one makes Bytes and Send fail.
type Mail struct {
	From    Address
	To, Cc  []Address
	ReplyTo *Address
	Subject string
	// MessageID is written as Message-ID, without angle brackets, e.g.
	// "hd1042.abc.x7@example.com". It must be a valid msg-id; empty lets
	// go-mail generate one from the hostname.
	MessageID string
	// InReplyTo and References are message ids without angle brackets.
	// They often come from incoming mail: ids that are not valid msg-ids even
	// after sanitising are left out.
	InReplyTo  string
	References []string
	// Headers are extra header fields, written as given after sanitising the
	// values, e.g. "Auto-Submitted": "auto-replied". Names must be valid field
	// names and may not be one of the fields Mail sets itself (From, To,
	// Subject, Message-ID, Content-Type, ...).
	Headers map[string]string
	// Text is the text/plain part; it is always present, even when empty.
	Text string
	// HTML, when set, is a text/html alternative to Text.
	HTML string
	// Date is the Date header; zero means now.
	Date time.Time
	// Boundary, when set, is the MIME boundary of the multipart/alternative
	// body, which makes Bytes fully reproducible (for golden files). Empty
	// means a random boundary. A mail with attachments cannot have one.
	Boundary string
	// Attachments are files sent along (RFC 2183 attachment parts).
	Attachments []Attachment
}

// Attachment is a file sent along with a mail. Its name and type often
// come from incoming mail: a name is cut to its last path element without
// control characters, and a type that is not type/subtype is sent as
// application/octet-stream.
type Attachment struct {
	Filename    string
	ContentType string
	Data        []byte
}

// Limits on what goes into a header. RFC 5322 2.1.1: a line is at most 998
// octets, and it can be folded only at whitespace, which a hostile subject,
// name or msg-id need not have; and a thread of thousands of mails must not
// make every answer carry them all.
const (
	maxLineOctets = 998
	// maxSubjectChars caps the subject (in characters): a longer one keeps
	// its start and its end, the middle gives way to " … ". Even without a
	// space, "Subject: " and 250 ASCII characters fit a line; non-ASCII
	// text is RFC 2047-encoded in words that fold.
	maxSubjectChars = 250
	// maxNameChars caps a display name the same way.
	maxNameChars = 100
	// maxIDOctets: a longer msg-id (no real mail system writes one) is
	// left out of In-Reply-To and References, since it cannot be folded.
	maxIDOctets = 250
	// maxReferences: a longer References keeps the first id (the thread's
	// root) and the newest ones (RFC 5322 3.6.4; RFC 5537 3.4.4 trims the
	// same way).
	maxReferences = 20
)

// reservedHeaders are the fields Mail (or go-mail) writes itself; Headers may
// not set them, so an extra header can never add a recipient or change the
// structure of the message.
var reservedHeaders = map[string]bool{
	"from": true, "sender": true, "to": true, "cc": true, "bcc": true,
	"reply-to": true, "subject": true, "date": true, "message-id": true,
	"in-reply-to": true, "references": true, "mime-version": true,
	"content-type": true, "content-transfer-encoding": true,
	"content-disposition": true, "return-path": true,
}

// Bytes renders the mail as RFC 5322 bytes with CRLF line endings. The output
// is stable for a given Mail apart from the MIME boundary (see Boundary).
func (m *Mail) Bytes() ([]byte, error) {
	msg, err := m.build()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("rendering mail %s: %w", m.label(), err)
	}
	return buf.Bytes(), nil
}

// wireMail is a mail as it goes over SMTP: the envelope and the bytes.
type wireMail struct {
	from  string
	rcpts []string
	data  []byte
}

// wire renders the mail once, for Send: its bytes, checked for header lines
// over the limit, and its envelope.
func (m *Mail) wire() (*wireMail, error) {
	msg, err := m.compose()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("rendering mail %s: %w", m.label(), err)
	}
	var c lineChecker
	if _, err := c.Write(buf.Bytes()); err != nil && !errors.Is(err, errHeaderDone) {
		return nil, err
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("building mail %s: %w", m.label(), err)
	}
	from, err := msg.GetSender(false)
	if err != nil {
		return nil, fmt.Errorf("building mail %s: envelope sender: %w", m.label(), err)
	}
	rcpts, err := msg.GetRecipients()
	if err != nil {
		return nil, fmt.Errorf("building mail %s: envelope recipients: %w", m.label(), err)
	}
	return &wireMail{from: from, rcpts: rcpts, data: buf.Bytes()}, nil
}

// lineChecker is an io.Writer that measures the header lines of a
// rendered mail; it stops the writing at the blank line that ends them.
type lineChecker struct{ line, longest int }

var errHeaderDone = errors.New("end of header")

func (c *lineChecker) Write(p []byte) (int, error) {
	for i, b := range p {
		switch b {
		case '\n':
			if c.line == 0 {
				return i + 1, errHeaderDone
			}
			c.line = 0
		case '\r':
		default:
			c.line++
			c.longest = max(c.longest, c.line)
		}
	}
	return len(p), nil
}

// checkLines refuses a mail with a header line over 998 octets (RFC 5322
// 2.1.1): one that no folding could bring within the limit, such as an
// extra header value without whitespace. Servers would reject or cut it.
func checkLines(msg *gomail.Msg) error {
	var c lineChecker
	if _, err := msg.WriteTo(&c); err != nil && !errors.Is(err, errHeaderDone) {
		return err
	}
	return c.check()
}

// check refuses what checkLines refuses, of the header written to c.
func (c *lineChecker) check() error {
	if c.longest > maxLineOctets {
		return fmt.Errorf("a header line of %d octets is over the %d of RFC 5322 2.1.1", c.longest, maxLineOctets)
	}
	return nil
}

// label names the mail in errors: its Message-ID, or its first recipient.
func (m *Mail) label() string {
	switch {
	case m.MessageID != "":
		return strconv.Quote(m.MessageID)
	case len(m.To) > 0:
		return "to " + strconv.Quote(m.To[0].Email)
	case len(m.Cc) > 0:
		return "to " + strconv.Quote(m.Cc[0].Email)
	}
	return "without recipients"
}

// build turns the Mail into a go-mail message. Its errors mean the Mail
// itself is unusable, which no retry can fix.
func (m *Mail) build() (*gomail.Msg, error) {
	msg, err := m.compose()
	if err != nil {
		return nil, err
	}
	if err := checkLines(msg); err != nil {
		return nil, fmt.Errorf("building mail %s: %w", m.label(), err)
	}
	return msg, nil
}

// compose is build without the check of header lines.
func (m *Mail) compose() (*gomail.Msg, error) {
	opts := []gomail.MsgOption{gomail.WithNoDefaultUserAgent()}
	if m.Boundary != "" {
		if len(m.Attachments) > 0 {
			// go-mail would use it for the nested parts too.
			return nil, fmt.Errorf("building mail %s: a fixed mime boundary cannot be used with attachments", m.label())
		}
		if err := checkBoundary(m.Boundary); err != nil {
			return nil, fmt.Errorf("building mail %s: %w", m.label(), err)
		}
		opts = append(opts, gomail.WithBoundary(m.Boundary))
	}
	msg := gomail.NewMsg(opts...)
	if err := m.fill(msg); err != nil {
		return nil, fmt.Errorf("building mail %s: %w", m.label(), err)
	}
	return msg, nil
}

func (m *Mail) fill(msg *gomail.Msg) error {
	from, err := mailbox(m.From)
	if err != nil {
		return fmt.Errorf("from: %w", err)
	}
	msg.FromMailAddress(from)

	if len(m.To)+len(m.Cc) == 0 {
		return errors.New("no recipients")
	}
	to, err := mailboxes(m.To)
	if err != nil {
		return fmt.Errorf("to: %w", err)
	}
	if len(to) > 0 {
		msg.ToMailAddress(to...)
	}
	cc, err := mailboxes(m.Cc)
	if err != nil {
		return fmt.Errorf("cc: %w", err)
	}
	if len(cc) > 0 {
		msg.CcMailAddress(cc...)
	}
	if m.ReplyTo != nil {
		rt, err := mailbox(*m.ReplyTo)
		if err != nil {
			return fmt.Errorf("reply-to: %w", err)
		}
		msg.ReplyToMailAddress(rt)
	}

	msg.Subject(shorten(cleanText(m.Subject), maxSubjectChars))
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	msg.SetDateWithValue(date)

	if m.MessageID != "" {
		id := cleanID(m.MessageID)
		if id == "" {
			return fmt.Errorf("message id %q is not a valid msg-id", m.MessageID)
		}
		msg.SetMessageIDWithValue(id)
	}
	if id := cleanID(m.InReplyTo); id != "" {
		msg.SetGenHeader(gomail.HeaderInReplyTo, "<"+id+">")
	}
	var refs []string
	for _, r := range m.References {
		if id := cleanID(r); id != "" {
			refs = append(refs, "<"+id+">")
		}
	}
	if len(refs) > maxReferences {
		refs = append(refs[:1:1], refs[len(refs)-maxReferences+1:]...)
	}
	if len(refs) > 0 {
		// One value: go-mail joins several values with commas, but
		// References is a space-separated list (RFC 5322 3.6.4).
		msg.SetGenHeader(gomail.HeaderReferences, strings.Join(refs, " "))
	}

	for name, value := range m.Headers {
		if err := checkFieldName(name); err != nil {
			return err
		}
		msg.SetGenHeader(gomail.Header(name), cleanText(value))
	}

	msg.SetBodyString(gomail.TypeTextPlain, normalizeNewlines(m.Text))
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, normalizeNewlines(m.HTML))
	}
	for i, a := range m.Attachments {
		msg.AttachReadSeeker(attachmentName(a.Filename, i), bytes.NewReader(a.Data),
			gomail.WithFileContentType(gomail.ContentType(attachmentType(a.ContentType))))
	}
	return nil
}

// attachmentName makes a file name safe for the Content-Disposition of
// an attachment: its last path element, without control characters or
// quotes, at most maxNameChars characters; "attachment-N" when nothing is left.
func attachmentName(name string, i int) string {
	name = cleanText(name)
	if j := strings.LastIndexAny(name, `/\`); j >= 0 {
		name = name[j+1:]
	}
	name = strings.TrimSpace(strings.NewReplacer(`"`, "", "\\", "").Replace(name))
	if name == "" || name == "." || name == ".." {
		return fmt.Sprintf("attachment-%d", i+1)
	}
	return shorten(name, maxNameChars)
}

// attachmentType returns ct when it is a plain type/subtype (RFC 2045
// 5.1 tokens, no parameters), else application/octet-stream.
func attachmentType(ct string) string {
	ct = strings.ToLower(strings.TrimSpace(ct))
	typ, sub, ok := strings.Cut(ct, "/")
	if !ok || !isToken(typ) || !isToken(sub) {
		return "application/octet-stream"
	}
	return ct
}

// isToken reports whether s is an RFC 2045 token.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 {
			return false
		}
	}
	return s != ""
}

func mailboxes(in []Address) ([]*netmail.Address, error) {
	out := make([]*netmail.Address, 0, len(in))
	for _, a := range in {
		mb, err := mailbox(a)
		if err != nil {
			return nil, err
		}
		out = append(out, mb)
	}
	return out, nil
}

// mailbox checks the address and sanitises the display name. net/mail
// RFC 2047-encodes non-ASCII names when the header is written.
func mailbox(a Address) (*netmail.Address, error) {
	if err := CheckEmail(a.Email); err != nil {
		return nil, err
	}
	return &netmail.Address{Name: shorten(cleanText(a.Name), maxNameChars), Address: a.Email}, nil
}

// CheckEmail reports whether email is a bare addr-spec ("user@example.com")
// that can be used as is in a header and an SMTP envelope.
func CheckEmail(email string) error {
	if email == "" {
		return errors.New("empty email address")
	}
	for _, r := range email {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return fmt.Errorf("email address %q contains a space or control character", email)
		}
	}
	a, err := netmail.ParseAddress(email)
	if err != nil || a.Name != "" || a.Address != email || !strings.Contains(email, "@") {
		return fmt.Errorf("invalid email address %q", email)
	}
	return nil
}

// cleanText makes s safe for an unstructured header: every run of control
// characters (CR, LF, TAB, NUL, DEL, C1 ...) and Unicode line or paragraph
// separators becomes one space, and the result is trimmed. Non-ASCII text
// stays and is RFC 2047-encoded by go-mail.
func cleanText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == unicode.ReplacementChar {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// shorten caps s at max characters, keeping its start and its end.
func shorten(s string, max int) string {
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	keep := max - 3
	head := keep * 2 / 3
	return strings.TrimSpace(string(r[:head])) + " … " + strings.TrimSpace(string(r[len(r)-(keep-head):]))
}

// cleanID turns s into a msg-id without angle brackets (RFC 5322 3.6.4), or
// "" when it cannot be one (or is over maxIDOctets): surrounding angle brackets go, whitespace and
// control characters are removed, and what is left must be ASCII
// dot-atom-text "@" (dot-atom-text or "[" dtext "]"). Readers such as
// go-message stop parsing a References list at the first invalid id, so an
// invalid one is better left out than written.
func cleanID(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
		s = s[1 : len(s)-1]
	}
	left, right, ok := strings.Cut(s, "@")
	if !ok || left == "" || right == "" || !isAtext(left) || len(s) > maxIDOctets {
		return ""
	}
	if lit, ok := strings.CutPrefix(right, "["); ok {
		lit, ok = strings.CutSuffix(lit, "]")
		if !ok || strings.ContainsAny(lit, "[]\\") || !isPrintableASCII(lit) {
			return ""
		}
	} else if !isAtext(right) {
		return ""
	}
	return s
}

// isAtext reports whether s is made of RFC 5322 atext and dots.
func isAtext(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>[]:;@\\,\"", c) >= 0 {
			return false
		}
	}
	return true
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// checkFieldName accepts a header field name made of printable ASCII other
// than ':' (RFC 5322 3.6.8) that is not one of reservedHeaders.
func checkFieldName(name string) error {
	if name == "" {
		return errors.New("empty header name")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || c == ':' {
			return fmt.Errorf("invalid header name %q", name)
		}
	}
	if reservedHeaders[strings.ToLower(name)] {
		return fmt.Errorf("header %q is set by its own Mail field", name)
	}
	return nil
}

// checkBoundary accepts the characters RFC 2046 5.1.1 allows in a boundary
// (without the space, to keep it unquoted), 1 to 70 of them.
func checkBoundary(b string) error {
	if len(b) == 0 || len(b) > 70 {
		return fmt.Errorf("mime boundary %q must have 1 to 70 characters", b)
	}
	for _, r := range b {
		ok := r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("'()+_,-./=?", r))
		if !ok {
			return fmt.Errorf("invalid character %q in mime boundary", r)
		}
	}
	return nil
}

// normalizeNewlines turns CRLF and lone CR into LF; the quoted-printable
// encoder writes every LF as CRLF.
func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}
