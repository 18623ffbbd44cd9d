package tickets_test

import (
	"strings"
	"testing"

	"helpdesk/tickets"
)

// FuzzSignerTicketID checks the reply-token signer on any text: what it
// accepts carries a signature made with its secret, a token it made is
// found again wherever it stands, and a tampered one never names a ticket.
func FuzzSignerTicketID(f *testing.F) {
	s := tickets.NewSigner([]byte("fuzz secret, long enough to sign"))
	other := tickets.NewSigner([]byte("another desk's secret"))
	for _, seed := range []string{
		"", "1042-abcdefghijkl", "support+1042-abcdefghijkl", "0-aaaaaaaaaaaa.bbbbbbbbbbbbb@example.com",
		"1-aaaaaaaaaaaa+1042-", "123456789012345678901-aaaaaaaaaaaa", "x1042-abcdefghijklm", "-1-", "+-@",
		"\u212a1042-abcdefghijkl", "İ1042-abcdefghijkl", strings.Repeat("9-", 100),
		other.Token(1042), other.ReplyAddress("support@example.com", 7), other.MessageID(1000, "example.com"),
	} {
		f.Add(seed, int64(1042), uint8(3))
	}
	for _, v := range headerSeeds(f, "To", "Cc", "In-Reply-To", "References", "Message-ID") {
		f.Add(v, int64(1042), uint8(5))
	}
	f.Add("Re: [HD#1042] Printer", int64(0), uint8(0))
	f.Add("1-aaaaaaaaaaaa", int64(1<<62), uint8(11))
	f.Fuzz(func(t *testing.T, text string, id int64, at uint8) {
		got, ok := s.TicketID(text)
		if ok {
			sig := s.Token(got)[len(strings.Split(s.Token(got), "-")[0]):]
			if got < 0 || !strings.Contains(strings.ToLower(text), sig) {
				t.Fatalf("TicketID(%q) = %d without its signature %q in the text", text, got, sig)
			}
		}
		if oid, ook := other.TicketID(text); ook && !strings.Contains(strings.ToLower(text), other.Token(oid)[len(strings.Split(other.Token(oid), "-")[0]):]) {
			t.Fatalf("another signer accepted %q as %d", text, oid)
		}

		if id < 0 {
			id = -(id + 1)
		}
		tok := s.Token(id)
		if got, ok := s.TicketID(tok); !ok || got != id {
			t.Fatalf("TicketID(Token(%d) = %q) = %d, %v", id, tok, got, ok)
		}
		if got, ok := s.TicketFromAddress(s.ReplyAddress("support@example.com", id)); !ok || got != id {
			t.Fatalf("the reply address of %d gives %d, %v", id, got, ok)
		}
		if got, ok := s.TicketFromMessageID(s.MessageID(id, "example.com")); !ok || got != id {
			t.Fatalf("the Message-ID of %d gives %d, %v", id, got, ok)
		}
		if _, ok := other.TicketID(tok); ok {
			t.Fatalf("another secret accepted %q", tok)
		}
		// The token stays findable after any text, behind a separator,
		// unless that text holds a valid token of its own, which comes first.
		after := text + " " + tok + ">"
		if got2, ok2 := s.TicketID(after); !ok2 || got2 != id && !(ok && got2 == got) {
			t.Fatalf("TicketID(%q) = %d, %v; want %d", after, got2, ok2, id)
		}
		// One changed character of the signature, or another number with
		// the same signature, names no ticket.
		dash := strings.IndexByte(tok, '-')
		i := dash + 1 + int(at)%(len(tok)-dash-1)
		const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
		c := alphabet[(strings.IndexByte(alphabet, tok[i])+1+int(at)/16)%len(alphabet)]
		tampered := tok[:i] + string(c) + tok[i+1:]
		if got, ok := s.TicketID(tampered); ok {
			t.Fatalf("tampered token %q (from %q) accepted as %d", tampered, tok, got)
		}
		if id < 1<<62 {
			moved := s.Token(id + 1)[:strings.IndexByte(s.Token(id+1), '-')] + tok[dash:]
			if got, ok := s.TicketID(moved); ok {
				t.Fatalf("token %q with another number %q accepted as %d", tok, moved, got)
			}
		}
	})
}
