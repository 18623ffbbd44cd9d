package tickets

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSurveyLinkTokensCarryTicketRatingAndExpiryUnderTheSecret(t *testing.T) {
	s := NewSigner([]byte("a secret that is long enough"))
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	exp := now.Add(30 * 24 * time.Hour)
	tok := s.CSATToken(1042, 4, exp)
	c, err := s.CSATClaim(tok, now)
	if err != nil || c.TicketID != 1042 || c.Rating != 4 || !c.Expires.Equal(exp) {
		t.Fatalf("CSATClaim(%q) = %+v, %v", tok, c, err)
	}
	if _, err := s.CSATClaim(tok, exp); !errors.Is(err, ErrLinkExpired) {
		t.Errorf("at its expiry: %v, want ErrLinkExpired", err)
	}
	parts := strings.Split(tok, "-")
	for name, bad := range map[string]string{
		"another ticket":         "1043-" + strings.Join(parts[1:], "-"),
		"another rating":         parts[0] + "-5-" + strings.Join(parts[2:], "-"),
		"a later expiry":         parts[0] + "-" + parts[1] + "-" + parts[2] + "9-" + parts[3],
		"a leading zero":         "0" + tok,
		"upper case":             strings.ToUpper(tok),
		"cut short":              tok[:len(tok)-1],
		"one more character":     tok + "a",
		"rating 0":               parts[0] + "-0-" + strings.Join(parts[2:], "-"),
		"a reply token":          s.Token(1042),
		"an agent token":         s.AgentToken(1042, "ann@example.com"),
		"another secret's token": NewSigner([]byte("another secret, long enough")).CSATToken(1042, 4, exp),
		"empty":                  "",
	} {
		if c, err := s.CSATClaim(bad, now); !errors.Is(err, ErrLinkInvalid) {
			t.Errorf("%s (%q): %+v, %v; want ErrLinkInvalid", name, bad, c, err)
		}
	}
	// A reply token is never read from a survey token.
	if id, ok := s.TicketID(tok); ok {
		t.Errorf("the survey token reads as the reply token of %d", id)
	}
}

func TestFormCommentsAreCleaned(t *testing.T) {
	for in, want := range map[string]string{
		"  fine\r\nthanks \r\n": "fine\nthanks",
		"a\x00b\x1b[31mc":       "ab[31mc",
		"tab\tkept\rcr":         "tab\tkept\ncr",
		"bad \xff utf-8":        "bad  utf-8",
	} {
		if got := cleanComment(in); got != want {
			t.Errorf("cleanComment(%q) = %q, want %q", in, got, want)
		}
	}
}
