package tickets

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"regexp"
	"strconv"
	"strings"
)

// A reply token names a ticket in a way only the desk can produce: the
// ticket ID and an HMAC of it under the desk's secret, e.g. "1042-k3j2h4g5abcd".
// It rides in the Reply-To address (support+1042-k3j2h4g5abcd@example.com)
// and in the Message-IDs the desk generates, so a reply to either is threaded
// without trusting anything the sender wrote.

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

const tokenSigLen = 12 // base32 characters: 60 bits

var tokenRE = regexp.MustCompile(`(?:^|[^0-9a-z])([0-9]{1,18})-([a-z2-7]{12})(?:$|[^a-z2-7])`)

// Signer makes and checks reply tokens.
type Signer struct{ secret []byte }

// NewSigner returns a Signer for the desk's secret.
func NewSigner(secret []byte) *Signer { return &Signer{secret: append([]byte(nil), secret...)} }

func (s *Signer) sig(id int64) string {
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte("helpdesk-reply-token:"))
	mac.Write([]byte(strconv.FormatInt(id, 10)))
	return lowerBase32.EncodeToString(mac.Sum(nil))[:tokenSigLen]
}

// Token returns the reply token of ticket id.
func (s *Signer) Token(id int64) string { return strconv.FormatInt(id, 10) + "-" + s.sig(id) }

// TicketID finds a valid token in text (an address local part or a
// Message-ID) and returns its ticket ID.
func (s *Signer) TicketID(text string) (int64, bool) {
	text = strings.ToLower(text)
	for _, m := range tokenRE.FindAllStringSubmatch(text, -1) {
		id, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			continue
		}
		if hmac.Equal([]byte(m[2]), []byte(s.sig(id))) {
			return id, true
		}
	}
	return 0, false
}

// ReplyAddress returns the mailbox address with the ticket's token added
// as a plus-tag: support@example.com -> support+1042-k3j2h4g5abcd@example.com.
func (s *Signer) ReplyAddress(mailbox string, id int64) string {
	local, domain, ok := strings.Cut(mailbox, "@")
	if !ok {
		return mailbox
	}
	if i := strings.IndexByte(local, '+'); i >= 0 {
		local = local[:i]
	}
	return local + "+" + s.Token(id) + "@" + domain
}

// MessageID returns a new Message-ID (without brackets) for a mail about
// ticket id, carrying its token so that a reply to it threads by itself.
func (s *Signer) MessageID(id int64, domain string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return s.Token(id) + "." + lowerBase32.EncodeToString(b[:]) + "@" + domain
}

// TicketFromAddress finds a token in the plus-tag of an address.
func (s *Signer) TicketFromAddress(addr string) (int64, bool) {
	local, _, ok := strings.Cut(addr, "@")
	if !ok {
		return 0, false
	}
	_, tag, ok := strings.Cut(local, "+")
	if !ok {
		return 0, false
	}
	return s.TicketID(tag)
}

// TicketFromMessageID finds a token in a Message-ID the desk generated.
func (s *Signer) TicketFromMessageID(msgID string) (int64, bool) {
	local, _, ok := strings.Cut(msgID, "@")
	if !ok {
		return 0, false
	}
	return s.TicketID(local)
}
