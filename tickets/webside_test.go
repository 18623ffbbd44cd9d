package tickets_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"helpdesk/tickets"
)

func TestATicketPageTokenIsItsOwnKindOfToken(t *testing.T) {
	s := tickets.NewSigner([]byte("a secret of the desk"))
	other := tickets.NewSigner([]byte("another desk's secret"))
	tok := s.PageToken(1042)
	if id, ok := s.PageTicket(tok); !ok || id != 1042 {
		t.Fatalf("PageTicket(%q) = %d, %v", tok, id, ok)
	}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for name, bad := range map[string]string{
		"another desk's":       other.PageToken(1042),
		"another ticket's sig": "1043" + tok[strings.IndexByte(tok, '-'):],
		"cut short":            tok[:len(tok)-1],
		"a reply token":        s.Token(1042),
		"a survey token":       s.CSATToken(1042, 5, now.Add(time.Hour)),
		"a leading zero":       "0" + tok,
		"upper case":           strings.ToUpper(tok),
		"empty":                "",
	} {
		if id, ok := s.PageTicket(bad); ok {
			t.Errorf("%s token %q opens ticket %d", name, bad, id)
		}
	}
	// Nor is a page token a reply token or a survey link.
	if _, ok := s.TicketID(tok); ok {
		t.Errorf("the page token %q threads a mail", tok)
	}
	if _, err := s.CSATClaim(tok, now); !errors.Is(err, tickets.ErrLinkInvalid) {
		t.Errorf("the page token is a survey link: %v", err)
	}
}

func TestAFormTokenIsBoundToItsPurposeAndAges(t *testing.T) {
	s := tickets.NewSigner([]byte("a secret of the desk"))
	served := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ft := s.FormToken("new", served)
	day := 24 * time.Hour
	if err := s.CheckFormToken("new", ft, served.Add(time.Hour), day); err != nil {
		t.Fatalf("a fresh token: %v", err)
	}
	for name, check := range map[string]error{
		"another purpose": s.CheckFormToken("t:1042-x", ft, served, day),
		"too old":         s.CheckFormToken("new", ft, served.Add(day+time.Second), day),
		"from the future": s.CheckFormToken("new", ft, served.Add(-time.Hour), day),
		"altered time":    s.CheckFormToken("new", "1"+ft, served, day),
		"garbage":         s.CheckFormToken("new", "hello", served, day),
	} {
		if !errors.Is(check, tickets.ErrFormTokenInvalid) {
			t.Errorf("%s: %v", name, check)
		}
	}
}
