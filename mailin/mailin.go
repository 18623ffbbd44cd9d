// Package mailin owns the inbound side of mail: it turns one raw inbound mail
// into a plain Message (MIME parsing, charset and transfer decoding, address
// and Message-ID normalisation) and classifies automatic mail (auto-replies,
// bounces, feedback reports, lists, bulk mail and the daemon's own mail) so
// that the help desk never answers a machine. IMAP polling lives in the
// subpackage mailin/imapwatch.
//
// mailin knows nothing about tickets or SQL: it hands out a Message and the
// caller decides what to do with it.
package mailin

import (
	"errors"
	"net/textproto"
	"strings"
	"time"
)

// DefaultMaxSize is the size limit Parse applies when ParseOptions.MaxSize is 0.
const DefaultMaxSize = 25 << 20

// Sentinel errors, wrapped in a *ParseError by Parse. Compare with errors.Is.
var (
	// ErrTooLarge: the raw mail is over ParseOptions.MaxSize.
	ErrTooLarge = errors.New("mail too large")
	// ErrUnreadableHeader: the mail has no header block that can be read
	// (no header fields at all, binary garbage).
	ErrUnreadableHeader = errors.New("unreadable header")
	// ErrNoSender: neither From, Sender nor Return-Path holds a usable address,
	// and the mail is not a delivery report or auto-reply (which may come from
	// the null sender, RFC 5321 4.5.5).
	ErrNoSender = errors.New("no sender address")
)

// ParseError reports why a mail cannot be taken. The caller quarantines the
// raw bytes with Reason, which is a plain sentence such as
// "mail is 30 MiB, over the 25 MiB limit".
type ParseError struct {
	Reason string
	Err    error // one of the sentinel errors above
}

func (e *ParseError) Error() string {
	if e.Reason != "" {
		return e.Reason
	}
	if e.Err != nil {
		return e.Err.Error()
	}
	return "unparseable mail"
}

func (e *ParseError) Unwrap() error { return e.Err }

// Address is one mailbox. Email keeps the local part as written and has the
// domain lowercased; compare addresses with Key.
type Address struct {
	Name  string
	Email string
}

// Key returns the address lowercased, for comparing and looking up.
func (a Address) Key() string { return strings.ToLower(a.Email) }

// Usable reports whether Email has the form local@domain.
func (a Address) Usable() bool {
	i := strings.LastIndexByte(a.Email, '@')
	return i > 0 && i < len(a.Email)-1
}

func (a Address) String() string {
	if a.Name == "" {
		return a.Email
	}
	return a.Name + " <" + a.Email + ">"
}

// Attachment is one non-body part of a mail.
type Attachment struct {
	Filename    string // RFC 2047 / RFC 2231 decoded, without directories; may be empty
	ContentType string // lowercased media type, e.g. "application/pdf"
	ContentID   string // without angle brackets
	Inline      bool   // Content-Disposition inline, or a Content-ID without disposition
	Data        []byte // transfer-decoded content
}

// Header maps canonical header names (as net/textproto.CanonicalMIMEHeaderKey
// spells them, e.g. "Message-Id") to the unfolded, RFC 2047 decoded values in
// the order they appear.
type Header map[string][]string

// Get returns the first value of the named header, or "".
func (h Header) Get(name string) string {
	v := h[textproto.CanonicalMIMEHeaderKey(name)]
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// Values returns every value of the named header.
func (h Header) Values(name string) []string {
	return h[textproto.CanonicalMIMEHeaderKey(name)]
}

// Has reports whether the named header is present.
func (h Header) Has(name string) bool {
	_, ok := h[textproto.CanonicalMIMEHeaderKey(name)]
	return ok
}

// Message is one inbound mail, decoded and normalised.
type Message struct {
	MessageID  string   // without angle brackets; "" when the mail has none
	InReplyTo  []string // Message-IDs without brackets
	References []string // Message-IDs without brackets, oldest first
	From       Address  // from From:, falling back to Sender:, then Return-Path
	ReplyTo    []Address
	To, Cc     []Address
	// Recipients holds every address the mail was delivered to, lowercased and
	// without duplicates: To, Cc, Bcc, Resent-To, Resent-Cc, Delivered-To,
	// X-Original-To, Envelope-To, X-Envelope-To.
	Recipients []string
	Subject    string    // decoded, whitespace collapsed, "" if absent
	Date       time.Time // zero if absent or unparseable
	// Text is the readable text: the text/plain body parts, or text derived
	// from the HTML when the mail has no plain text. Valid UTF-8, LF line
	// ends, no NUL bytes.
	Text string
	// TextFromHTML is set when Text was derived from HTML because the mail
	// has no plain text; NewText then reads the HTML's structure.
	TextFromHTML bool
	HTML         string // the text/html body parts, UTF-8, if any
	// Attachments holds every non-body part, nested message/rfc822 parts
	// included (named after their subject + ".eml"; their text is not merged
	// into Text).
	Attachments []Attachment
	Header      Header
	Size        int    // raw size in bytes
	ContentHash string // hex SHA-256 of the raw bytes with CRLF turned into LF
	Auto        AutoClass
}

// IsAutomatic reports whether a machine sent the mail (Auto.Kind != "").
func (m *Message) IsAutomatic() bool { return m.Auto.Kind != "" }

// ParseOptions tunes Parse. The zero value is ready to use.
type ParseOptions struct {
	// MaxSize is the largest raw mail accepted, in bytes; 0 means DefaultMaxSize.
	MaxSize int64
	// Classify tells the classifier the daemon's own mail and addresses:
	// Message.Auto is Classify's verdict with them, so that a mail is
	// classified once, where it is read.
	Classify ClassifyOptions
}
