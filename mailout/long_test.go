package mailout_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"helpdesk/mailout"
)

// headerLines returns the lines of the rendered header, folded as written.
func headerLines(t *testing.T, data []byte) []string {
	t.Helper()
	head, _, ok := strings.Cut(string(data), "\r\n\r\n")
	if !ok {
		t.Fatalf("no end of header in\n%s", data)
	}
	return strings.Split(head, "\r\n")
}

func TestHeadersOfHostileLengthStayWithinTheLineLimit(t *testing.T) {
	manyRefs := make([]string, 5000)
	for i := range manyRefs {
		manyRefs[i] = fmt.Sprintf("ref%05d@mail.example", i)
	}
	tests := []struct {
		name  string
		edit  func(m *mailout.Mail)
		check func(t *testing.T, p parsed)
	}{
		{"a 20,000-character subject without a space", func(m *mailout.Mail) {
			m.Subject = "[HD#1042] " + strings.Repeat("a", 20000)
		}, nil},
		{"a 20,000-character subject of words", func(m *mailout.Mail) {
			m.Subject = "[HD#1042] " + strings.Repeat("word ", 4000) + "the end"
		}, func(t *testing.T, p parsed) {
			subj, _ := p.header.Subject()
			if !strings.HasPrefix(subj, "[HD#1042] word word") || !strings.HasSuffix(subj, "the end") || !strings.Contains(subj, " … ") {
				t.Errorf("subject %q: want its start (with the tag) and its end, the middle cut", subj)
			}
			if n := utf8.RuneCountInString(subj); n > 250 {
				t.Errorf("subject of %d characters, want at most 250", n)
			}
		}},
		{"a non-ASCII subject without a space", func(m *mailout.Mail) {
			m.Subject = strings.Repeat("ü", 5000)
		}, nil},
		{"a display name of 2,000 characters", func(m *mailout.Mail) {
			m.To[0].Name = strings.Repeat("N", 2000)
		}, func(t *testing.T, p parsed) {
			to, _ := p.header.AddressList("To")
			if len(to) != 1 || to[0].Address != "zoe@customer.example" {
				t.Errorf("To = %v, want the recipient intact", to)
			}
		}},
		{"an In-Reply-To id of 2,000 octets", func(m *mailout.Mail) {
			m.InReplyTo = strings.Repeat("x", 2000) + "@mail.example"
		}, func(t *testing.T, p parsed) {
			if v := p.header.Get("In-Reply-To"); v != "" {
				t.Errorf("In-Reply-To = %.80q..., want it left out", v)
			}
		}},
		{"a References chain of 5,000 ids and one overlong", func(m *mailout.Mail) {
			m.References = append(append([]string(nil), manyRefs...), strings.Repeat("y", 3000)+"@mail.example")
		}, func(t *testing.T, p parsed) {
			refs, err := p.header.MsgIDList("References")
			if err != nil || len(refs) != 20 || refs[0] != "ref00000@mail.example" || refs[19] != "ref04999@mail.example" {
				t.Errorf("References = %v (%v), want 20: the first and the newest", refs, err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := reply()
			tc.edit(m)
			data, err := m.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range headerLines(t, data) {
				if len(l) > 998 {
					t.Errorf("a header line of %d octets: %.80s...", len(l), l)
				}
			}
			p := parse(t, data)
			if tc.check != nil {
				tc.check(t, p)
			}
		})
	}
}

func TestAHeaderThatCannotBeFoldedIsRefused(t *testing.T) {
	m := reply()
	m.Headers["X-Campaign"] = strings.Repeat("z", 1200)
	if _, err := m.Bytes(); err == nil || !strings.Contains(err.Error(), "998") {
		t.Errorf("Bytes() error = %v, want a refusal naming the 998-octet limit", err)
	}
}
