package mailin

import (
	"fmt"
	"strings"
	"testing"
)

func TestAHeaderIsReadOnlyUpToItsCaps(t *testing.T) {
	t.Run("600,000 Cc lines give the first fields and the body", func(t *testing.T) {
		var sb strings.Builder
		sb.WriteString("From: Bomb <bomb@example.org>\r\nTo: support@example.com\r\nSubject: Many copies\r\n")
		for i := range 600_000 {
			fmt.Fprintf(&sb, "Cc: u%d@example.org\r\n", i)
		}
		sb.WriteString("\r\nHello all.\r\n")
		m := mustParse(t, []byte(sb.String()))
		if len(m.Header["Cc"]) != maxFields-3 || len(m.Cc) != maxFields-3 {
			t.Errorf("%d Cc fields and %d Cc addresses read, want %d: the fields past %d are skipped",
				len(m.Header["Cc"]), len(m.Cc), maxFields-3, maxFields)
		}
		if m.From.Email != "bomb@example.org" || m.Subject != "Many copies" || strings.TrimSpace(m.Text) != "Hello all." {
			t.Errorf("From %q, Subject %q, Text %q; want the fields before the cap and the body", m.From.Email, m.Subject, m.Text)
		}
	})
	t.Run("fields past the byte cap are skipped with their folded lines", func(t *testing.T) {
		var sb strings.Builder
		sb.WriteString("From: ann@example.org\r\n")
		for sb.Len() < maxHeaderBytes {
			sb.WriteString("X-Filler: " + strings.Repeat("y", 1000) + "\r\n")
		}
		sb.WriteString("Subject: too late\r\n  folded part\r\nKeywords: late\r\n\r\nThe body.\r\n")
		m := mustParse(t, []byte(sb.String()))
		if m.Subject != "" || m.Header.Get("Keywords") != "" {
			t.Errorf("Subject %q, Keywords %q read past %d bytes of header", m.Subject, m.Header.Get("Keywords"), maxHeaderBytes)
		}
		if strings.TrimSpace(m.Text) != "The body." {
			t.Errorf("Text = %q, want the body after the header, not a skipped field's folded line", head(m.Text, 80))
		}
	})
	t.Run("a normal header is read whole", func(t *testing.T) {
		m := mustParse(t, []byte("From: ann@example.org\r\nCc: a@example.org,\r\n b@example.org\r\nCc: c@example.org\r\n\r\nHi\r\n"))
		if len(m.Cc) != 3 {
			t.Errorf("Cc = %v, want 3 addresses", m.Cc)
		}
	})
}
