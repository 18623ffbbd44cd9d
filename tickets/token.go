package tickets

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
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
// Message-ID) and returns its ticket ID. A token stands alone: no letter or
// digit before its number, no base32 character after its signature.
// Every place a token may start is tried, so that something shaped like a
// token just before a real one does not hide it.
func (s *Signer) TicketID(text string) (int64, bool) {
	text = strings.ToLower(text)
	for i := 0; i < len(text); i++ {
		if !isDigit(text[i]) || i > 0 && (isDigit(text[i-1]) || 'a' <= text[i-1] && text[i-1] <= 'z') {
			continue
		}
		j := i
		for j < len(text) && isDigit(text[j]) {
			j++
		}
		end := j + 1 + tokenSigLen
		if j-i > 19 || end > len(text) || text[j] != '-' || !isSig(text[j+1:end]) || end < len(text) && isSigChar(text[end]) {
			continue
		}
		id, err := strconv.ParseInt(text[i:j], 10, 64)
		if err != nil {
			continue
		}
		if hmac.Equal([]byte(text[j+1:end]), []byte(s.sig(id))) {
			return id, true
		}
	}
	return 0, false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isSigChar reports whether c is in the signature's base32 alphabet.
func isSigChar(c byte) bool { return 'a' <= c && c <= 'z' || '2' <= c && c <= '7' }

func isSig(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isSigChar(s[i]) {
			return false
		}
	}
	return true
}

// ReplyAddress returns the mailbox address with the ticket's token added
// as a plus-tag: support@example.com -> support+1042-k3j2h4g5abcd@example.com.
func (s *Signer) ReplyAddress(mailbox string, id int64) string {
	return withPlusTag(mailbox, s.Token(id))
}

// withPlusTag returns mailbox with tag as its plus-tag, in place of any
// it had: the reply addresses of customers', agents' and vendors' tokens.
func withPlusTag(mailbox, tag string) string {
	mailbox = StripPlusTag(mailbox)
	at := strings.LastIndexByte(mailbox, '@')
	if at < 0 {
		return mailbox
	}
	return mailbox[:at] + "+" + tag + mailbox[at:]
}

// MessageID returns a new Message-ID (without brackets) for a mail about
// ticket id, carrying its token so that a reply to it threads by itself.
func (s *Signer) MessageID(id int64, domain string) string {
	return tokenMessageID(s.Token(id), domain)
}

// tokenMessageID returns a new Message-ID (without brackets) that carries
// token before a random part: "<token>.<random>@domain".
func tokenMessageID(token, domain string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return token + "." + lowerBase32.EncodeToString(b[:]) + "@" + domain
}

// TicketFromAddress finds a token in the plus-tag of an address.
func (s *Signer) TicketFromAddress(addr string) (int64, bool) {
	tag, ok := plusTag(addr)
	if !ok {
		return 0, false
	}
	return s.TicketID(tag)
}

// plusTag returns the plus-tag of addr's local part, where it has one.
func plusTag(addr string) (string, bool) {
	local, _, ok := strings.Cut(addr, "@")
	if !ok {
		return "", false
	}
	_, tag, ok := strings.Cut(local, "+")
	return tag, ok
}

// TicketFromMessageID finds a token in a Message-ID the desk generated.
func (s *Signer) TicketFromMessageID(msgID string) (int64, bool) {
	local, _, ok := strings.Cut(msgID, "@")
	if !ok {
		return 0, false
	}
	return s.TicketID(local)
}
