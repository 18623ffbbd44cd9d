package tickets_test

import (
	"testing"

	"helpdesk/tickets"
)

func TestReplyTokens(t *testing.T) {
	s := tickets.NewSigner([]byte("secret one, long enough"))
	other := tickets.NewSigner([]byte("secret two, long enough"))
	addr := s.ReplyAddress("support@example.com", 1042)
	if id, ok := s.TicketFromAddress(addr); !ok || id != 1042 {
		t.Errorf("TicketFromAddress(%q) = %d, %v", addr, id, ok)
	}
	if _, ok := other.TicketFromAddress(addr); ok {
		t.Errorf("a token signed with another secret was accepted")
	}
	if id, ok := s.TicketFromAddress(s.ReplyAddress("Support+old@example.com", 7)); !ok || id != 7 {
		t.Errorf("a plus-tagged mailbox address lost its token")
	}
	msgID := s.MessageID(1042, "example.com")
	if id, ok := s.TicketFromMessageID(msgID); !ok || id != 1042 {
		t.Errorf("TicketFromMessageID(%q) = %d, %v", msgID, id, ok)
	}
	if s.MessageID(1042, "example.com") == msgID {
		t.Errorf("two Message-IDs for one ticket are equal")
	}
	tok := s.Token(1042)
	if _, ok := s.TicketID("1043" + tok[4:]); ok {
		t.Errorf("a token with another ticket number but the same signature was accepted")
	}
}

func TestSubjectTag(t *testing.T) {
	tag := tickets.NewSubjectTag("HD")
	tests := []struct {
		subject string
		id      int64
		ok      bool
	}{
		{"Re: [HD#1042] Printer", 1042, true},
		{"AW: [ hd # 7 ] x", 7, true},
		{"HD#1042 without brackets", 0, false},
		{"[XY#1042] other desk", 0, false},
	}
	for _, tc := range tests {
		id, ok := tag.Find(tc.subject)
		if id != tc.id || ok != tc.ok {
			t.Errorf("Find(%q) = %d, %v; want %d, %v", tc.subject, id, ok, tc.id, tc.ok)
		}
	}
	if got := tag.Ensure("Re: [HD#9] Printer", 1042); got != "[HD#1042] Re: Printer" {
		t.Errorf("Ensure replaced a foreign tag badly: %q", got)
	}
	if got := tag.Ensure("[HD#1042] Printer", 1042); got != "[HD#1042] Printer" {
		t.Errorf("Ensure doubled the tag: %q", got)
	}
}

func TestRetryBackoffDoublesUpToMax(t *testing.T) {
	p := tickets.RetryPolicy{Min: 60e9, Max: 600e9}
	want := []float64{60, 120, 240, 480, 600, 600}
	for i, w := range want {
		if got := p.Backoff(i + 1).Seconds(); got != w {
			t.Errorf("Backoff(%d) = %vs, want %vs", i+1, got, w)
		}
	}
}
