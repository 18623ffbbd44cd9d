package tickets_test

import (
	"strings"
	"testing"

	"helpdesk/tickets"
)

var agentEmails = []string{"ann@example.com", "bob@example.com"}

// keysOf are the agents' keys for signer s.
func keysOf(s *tickets.Signer, emails ...string) tickets.AgentKeys { return s.AgentKeys(emails) }

func TestAgentTokensNameTheTicketAndTheAgent(t *testing.T) {
	s := tickets.NewSigner([]byte("secret one, long enough"))
	addr := s.AgentReplyAddress("support@example.com", 1042, "Ann@Example.com")
	if !strings.HasPrefix(addr, "support+a-1042-") || !strings.HasSuffix(addr, "@example.com") {
		t.Errorf("address %q", addr)
	}
	if id, who, ok := s.AgentFromAddress(addr, keysOf(s, agentEmails...)); !ok || id != 1042 || who != "ann@example.com" {
		t.Errorf("AgentFromAddress(%q) = %d, %q, %v", addr, id, who, ok)
	}
	if id, who, ok := s.AgentFromMessageID(s.AgentMessageID(7, "bob@example.com", "example.com"), keysOf(s, agentEmails...)); !ok || id != 7 || who != "bob@example.com" {
		t.Errorf("AgentFromMessageID = %d, %q, %v", id, who, ok)
	}
	// An agent not (or no longer) configured has no token.
	if _, _, ok := s.AgentFromAddress(addr, keysOf(s, "bob@example.com")); ok {
		t.Errorf("a token of Ann was taken for Bob")
	}
	// Neither token is the other: a customer's token names no agent, an
	// agent's token no customer's ticket.
	if _, _, ok := s.AgentFromAddress(s.ReplyAddress("support@example.com", 1042), keysOf(s, agentEmails...)); ok {
		t.Errorf("a customer's token was taken for an agent's")
	}
	if _, ok := s.TicketFromAddress(addr); ok {
		t.Errorf("an agent's token was taken for a customer's")
	}
	// Ann's id with Bob's ticket number, or Bob's id with Ann's signature, is nobody's.
	tok := s.AgentToken(1042, "ann@example.com")
	parts := strings.Split(tok, "-")
	if _, _, ok := s.AgentTicket(strings.Join([]string{"a", "1043", parts[2], parts[3]}, "-"), keysOf(s, agentEmails...)); ok {
		t.Errorf("another ticket number with Ann's signature was accepted")
	}
	bob := strings.Split(s.AgentToken(1042, "bob@example.com"), "-")
	if _, _, ok := s.AgentTicket(strings.Join([]string{"a", "1042", bob[2], parts[3]}, "-"), keysOf(s, agentEmails...)); ok {
		t.Errorf("Bob's id with Ann's signature was accepted")
	}
	other := tickets.NewSigner([]byte("secret two, long enough"))
	if _, _, ok := other.AgentFromAddress(addr, keysOf(other, agentEmails...)); ok {
		t.Errorf("a token signed with another secret was accepted")
	}
}

// FuzzAgentToken checks the agent-token signer on any text: what it
// accepts carries the signature of that ticket and agent, a token it made
// is found again after any text, no customer token is ever an agent's,
// and a tampered one names nobody.
func FuzzAgentToken(f *testing.F) {
	s := tickets.NewSigner([]byte("fuzz secret, long enough to sign"))
	other := tickets.NewSigner([]byte("another desk's secret"))
	for _, seed := range []string{
		"", "a-1042-abcdefgh-abcdefghijkl", "support+a-1042-abcdefgh-abcdefghijkl", "xa-1-aaaaaaaa-aaaaaaaaaaaa",
		"a-", "a--", "a-1-", "a-99999999999999999999-aaaaaaaa-aaaaaaaaaaaa", strings.Repeat("a-1-", 50),
		s.Token(1042), s.ReplyAddress("support@example.com", 7), s.MessageID(1000, "example.com"),
		other.AgentToken(1042, "ann@example.com"), other.AgentMessageID(3, "bob@example.com", "example.com"),
	} {
		f.Add(seed, int64(1042), uint8(3), true)
	}
	for _, v := range headerSeeds(f, "To", "Reply-To", "In-Reply-To", "References") {
		f.Add(v, int64(7), uint8(1), false)
	}
	f.Fuzz(func(t *testing.T, text string, id int64, at uint8, ann bool) {
		if got, who, ok := s.AgentTicket(text, keysOf(s, agentEmails...)); ok {
			tok := s.AgentToken(got, who)
			if !strings.Contains(strings.ToLower(text), tok[strings.LastIndexByte(tok, '-'):]) {
				t.Fatalf("AgentTicket(%q) = %d, %s without its signature", text, got, who)
			}
		}
		if got, who, ok := other.AgentTicket(text, keysOf(other, agentEmails...)); ok {
			tok := other.AgentToken(got, who)
			if !strings.Contains(strings.ToLower(text), tok[strings.LastIndexByte(tok, '-'):]) {
				t.Fatalf("another signer accepted %q as %d, %s", text, got, who)
			}
		}
		if id < 0 {
			id = -(id + 1)
		}
		email := agentEmails[0]
		if !ann {
			email = agentEmails[1]
		}
		tok := s.AgentToken(id, email)
		if got, who, ok := s.AgentTicket(tok, keysOf(s, agentEmails...)); !ok || got != id || who != email {
			t.Fatalf("AgentTicket(%q) = %d, %q, %v", tok, got, who, ok)
		}
		if _, ok := s.TicketID(tok); ok {
			t.Fatalf("the agent token %q is taken for a customer's", tok)
		}
		if _, _, ok := s.AgentTicket(s.Token(id), keysOf(s, agentEmails...)); ok {
			t.Fatalf("the customer token %q is taken for an agent's", s.Token(id))
		}
		if _, _, ok := other.AgentTicket(tok, keysOf(other, agentEmails...)); ok {
			t.Fatalf("another secret accepted %q", tok)
		}
		// Found after any text, behind a separator, unless that text holds
		// a valid token of its own, which comes first.
		got0, _, ok0 := s.AgentTicket(text, keysOf(s, agentEmails...))
		if got, who, ok := s.AgentTicket(text+" "+tok+">", keysOf(s, agentEmails...)); !ok || (got != id || who != email) && !(ok0 && got == got0) {
			t.Fatalf("AgentTicket(%q + token) = %d, %q, %v; want %d", text, got, who, ok, id)
		}
		// One changed character after "a-" names nobody.
		i := 2 + int(at)%(len(tok)-2)
		c := tok[i]
		switch {
		case c == '-':
			return
		case '0' <= c && c <= '9':
			c = '0' + (c-'0'+1)%10
		default:
			const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
			c = alphabet[(strings.IndexByte(alphabet, c)+1)%len(alphabet)]
		}
		tampered := tok[:i] + string(c) + tok[i+1:]
		if got, who, ok := s.AgentTicket(tampered, keysOf(s, agentEmails...)); ok {
			t.Fatalf("tampered token %q (from %q) accepted as %d, %s", tampered, tok, got, who)
		}
	})
}
