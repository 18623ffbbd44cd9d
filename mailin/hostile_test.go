package mailin

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestHostileHeadersParseAndReturn checks what Parse makes of the hostile
// shapes; how long it takes is BenchmarkParseHostile's business.
func TestHostileHeadersParseAndReturn(t *testing.T) {
	checks := map[string]func(t *testing.T, m *Message){
		"a 1.4 MB subject of unfinished encoded-words": func(t *testing.T, m *Message) {
			if !strings.HasPrefix(m.Subject, "=?x?q? =?x?q?") || len(m.Subject) > maxFieldLen {
				t.Errorf("Subject is %d bytes, starting %q; want the raw text cut to %d bytes", len(m.Subject), head(m.Subject, 20), maxFieldLen)
			}
		},
		"a 3.2 MB To of quoted local parts": func(t *testing.T, m *Message) {
			if len(m.To) != 0 || len(m.Recipients) != 0 {
				t.Errorf("To = %d addresses, Recipients = %d, want none usable", len(m.To), len(m.Recipients))
			}
		},
		"a To of 100,000 addresses": func(t *testing.T, m *Message) {
			if len(m.To) != maxAddresses || m.To[0].Email != "user0@example.com" || m.To[maxAddresses-1].Email != "user999@example.com" {
				t.Errorf("To holds %d addresses, want the first %d", len(m.To), maxAddresses)
			}
			if len(m.Recipients) != maxAddresses {
				t.Errorf("Recipients holds %d addresses, want %d", len(m.Recipients), maxAddresses)
			}
		},
		"a 1.4 MB From comment of unfinished encoded-words": func(t *testing.T, m *Message) {
			if m.From.Email != "kim@example.org" || !strings.HasPrefix(m.From.Name, "=?x?q?") || len(m.From.Name) > maxFieldLen {
				t.Errorf("From = %q, %d-byte name", m.From.Email, len(m.From.Name))
			}
		},
	}
	for _, hm := range hostileMails {
		t.Run(hm.name, func(t *testing.T) {
			m := mustParse(t, hm.raw())
			for k, vs := range m.Header {
				if i := slices.IndexFunc(vs, func(v string) bool { return len(v) > maxFieldLen }); i >= 0 {
					t.Errorf("Header %s holds a %d-byte value, over the %d-byte cap", k, len(vs[i]), maxFieldLen)
				}
			}
			checks[hm.name](t, m)
		})
	}
}

// hostileMails are header shapes that once cost seconds to minutes of work
// each: one bad mail must never block a mailbox for long.
var hostileMails = []struct {
	name string
	raw  func() []byte
}{
	// Every "=?" starts an encoded-word that never ends.
	{"a 1.4 MB subject of unfinished encoded-words", func() []byte {
		return hostileMail("Subject", strings.Repeat("=?x?q? ", 200_000))
	}},
	// Every `"a"@` looks like the start of a quoted local part.
	{"a 3.2 MB To of quoted local parts", func() []byte {
		return hostileMail("To", strings.Repeat(`"a"@`, 800_000))
	}},
	// A To: that no customer mail has.
	{"a To of 100,000 addresses", func() []byte {
		var sb strings.Builder
		for i := range 100_000 {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("user" + strconv.Itoa(i) + "@example.com")
		}
		return hostileMail("To", sb.String())
	}},
	// One long display name full of encoded-word starts, in an address.
	{"a 1.4 MB From comment of unfinished encoded-words", func() []byte {
		return hostileMail("From", "kim@example.org ("+strings.Repeat("=?x?q? ", 200_000)+")")
	}},
}

func hostileMail(key, value string) []byte {
	h := "From: Kim <kim@example.org>\nTo: support@helpdesk.example\nSubject: hostile\n"
	h = strings.Replace(h, key+": ", "X-Replaced-"+key+": ", 1)
	return []byte(h + key + ": " + value + "\nMessage-ID: <hostile@example.org>\n\nbody\n")
}

// BenchmarkParseHostile measures each hostile shape; run it with
// -benchtime=1x to compare against a slow build.
func BenchmarkParseHostile(b *testing.B) {
	for _, hm := range hostileMails {
		b.Run(hm.name, func(b *testing.B) {
			raw := hm.raw()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := Parse(raw, ParseOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
