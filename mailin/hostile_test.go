package mailin

import (
	"encoding/base64"
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
		"a 63 KB subject of encoded-word starts without spaces": func(t *testing.T, m *Message) {
			if !strings.HasPrefix(m.Subject, "=?x?q?a=?x?q?a") || !strings.HasSuffix(m.Subject, "=?x?q?aa") {
				t.Errorf("Subject is %d bytes, starting %q; want the raw text cut to %d bytes", len(m.Subject), head(m.Subject, 20), maxFieldLen)
			}
		},
		"a 1.4 MB display name of encoded-word starts without spaces": func(t *testing.T, m *Message) {
			if m.From.Email != "kim@example.org" || !strings.HasPrefix(m.From.Name, "=?x?q?a") {
				t.Errorf("From = %q, %d-byte name", m.From.Email, len(m.From.Name))
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
	// Encoded-word starts so close that every one could end at a far "?=".
	{"a 63 KB subject of encoded-word starts without spaces", func() []byte {
		return hostileMail("Subject", strings.Repeat("=?x?q?a", 9000)+"?=")
	}},
	{"a 1.4 MB display name of encoded-word starts without spaces", func() []byte {
		return hostileMail("From", "<kim@example.org> "+strings.Repeat("=?x?q?a", 200_000))
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

// TestHostileMailIsReadSafely covers the reader's part of "Hostile mail":
// headers built to be stored raw, to smuggle header lines through a second
// decoding, to redirect the acknowledgement, or to disguise a file name.
func TestHostileMailIsReadSafely(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	long := strings.Repeat("Der Drucker im zweiten Stock druckt nicht. ", 40) // 1,720 bytes
	tests := []struct {
		name  string
		raw   string
		check func(t *testing.T, m *Message)
	}{
		{"an encoded-word over 1,000 bytes long is decoded", "From: a@b.example\nSubject: =?utf-8?b?" + b64(long+"Grüße") + "?=\n\nx\n", func(t *testing.T, m *Message) {
			if m.Subject != long+"Grüße" {
				t.Errorf("Subject = %q…, want the decoded text", head(m.Subject, 60))
			}
		}},
		{"a long quoted-printable encoded-word is decoded", "From: a@b.example\nSubject: =?utf-8?q?" + strings.Repeat("caf=C3=A9_", 150) + "?=\n\nx\n", func(t *testing.T, m *Message) {
			if want := strings.TrimSpace(strings.Repeat("café ", 150)); m.Subject != want {
				t.Errorf("Subject = %q…", head(m.Subject, 60))
			}
		}},
		{"a stray =? before a real word does not swallow it", "From: a@b.example\nSubject: =?utf-8?q?no end here " + strings.Repeat("x", 1200) + " =?utf-8?q?caf=C3=A9?=\n\nx\n", func(t *testing.T, m *Message) {
			if !strings.HasPrefix(m.Subject, "=?utf-8?q?no end here xxx") || !strings.HasSuffix(m.Subject, "xxx café") {
				t.Errorf("Subject = %q … %q", head(m.Subject, 40), m.Subject[max(0, len(m.Subject)-20):])
			}
		}},
		{"a doubly encoded subject is decoded to the end and its line break neutralised", "From: a@b.example\nSubject: =?utf-8?b?" + b64("=?utf-8?q?Invoice=0D=0ABcc:_victim@x.test?=") + "?=\n\nx\n", func(t *testing.T, m *Message) {
			if m.Subject != "Invoice Bcc: victim@x.test" {
				t.Errorf("Subject = %q", m.Subject)
			}
			if v := m.Header.Get("Subject"); strings.ContainsAny(v, "\r\n") || strings.Contains(v, "=?") {
				t.Errorf("Header Subject = %q", v)
			}
		}},
		{"an encoded line break in a display name becomes a space", "From: =?utf-8?q?Kim=0D=0ABcc:_x@y.test?= <kim@example.org>\n\nx\n", func(t *testing.T, m *Message) {
			if m.From != (Address{Name: "Kim Bcc: x@y.test", Email: "kim@example.org"}) {
				t.Errorf("From = %+v", m.From)
			}
			if v := m.Header.Get("From"); strings.ContainsAny(v, "\r\n") {
				t.Errorf("Header From = %q", v)
			}
		}},
		{"a Reply-To that is not an address list falls back to From", "From: Kim <kim@example.org>\nReply-To: victim@x.testbcc:evil@y.test\nSubject: hi\n\nx\n", func(t *testing.T, m *Message) {
			if len(m.ReplyTo) != 0 {
				t.Errorf("ReplyTo = %+v, want none (replies go to From)", m.ReplyTo)
			}
			if m.From.Email != "kim@example.org" {
				t.Errorf("From = %+v", m.From)
			}
		}},
		{"a Reply-To with an entry without an address falls back to From", "From: Kim <kim@example.org>\nReply-To: Kim Home, kim@home.example\n\nx\n", func(t *testing.T, m *Message) {
			if len(m.ReplyTo) != 0 {
				t.Errorf("ReplyTo = %+v", m.ReplyTo)
			}
		}},
		{"a valid Reply-To with a group and a quoted name is kept", "From: Kim <kim@example.org>\nReply-To: \"Kim: at home\" <kim@home.example>, Team: a@x.example, b@y.example;\n\nx\n", func(t *testing.T, m *Message) {
			want := []Address{{"Kim: at home", "kim@home.example"}, {"", "a@x.example"}, {"", "b@y.example"}}
			if !slices.Equal(m.ReplyTo, want) {
				t.Errorf("ReplyTo = %+v, want %+v", m.ReplyTo, want)
			}
		}},
		{"an encoded display name with a colon is a name, not a group", "From: =?utf-8?q?Support:_Acme_GmbH?= <help@acme.example>\nReply-To: =?utf-8?q?Acme:_Billing?= <billing@acme.example>\nTo: =?iso-8859-1?q?M=FCller,_Team:_Nord?= <nord@acme.example>\n\nx\n", func(t *testing.T, m *Message) {
			if m.From != (Address{Name: "Support: Acme GmbH", Email: "help@acme.example"}) {
				t.Errorf("From = %+v", m.From)
			}
			if want := []Address{{"Acme: Billing", "billing@acme.example"}}; !slices.Equal(m.ReplyTo, want) {
				t.Errorf("ReplyTo = %+v", m.ReplyTo)
			}
			if want := []Address{{"Müller, Team: Nord", "nord@acme.example"}}; !slices.Equal(m.To, want) {
				t.Errorf("To = %+v", m.To)
			}
		}},
		{"bidi controls in attachment names are neutralised", "From: a@b.example\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee attached\n--b\nContent-Type: application/octet-stream; name=\"=?utf-8?q?invoice=E2=80=AEfdp.exe?=\"\nContent-Disposition: attachment; filename*=utf-8''x%E2%80%AEexe.pdf\n\nMZ\n--b\nContent-Type: application/octet-stream; name=\"=?utf-8?q?report=E2=81=A7=E2=80=8Fcod.exe?=\"\n\nMZ\n--b--\n", func(t *testing.T, m *Message) {
			var names []string
			for _, a := range m.Attachments {
				names = append(names, a.Filename)
			}
			if want := []string{"x_exe.pdf", "report__cod.exe"}; !slices.Equal(names, want) {
				t.Errorf("file names = %q, want %q", names, want)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, mustParse(t, []byte(tc.raw)))
		})
	}
}
