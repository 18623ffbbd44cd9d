package mailout_test

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/emersion/go-message/mail"

	"helpdesk/mailout"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// reply is a typical help desk answer: non-ASCII names and subject, thread
// headers, loop-prevention headers, text and HTML.
func reply() *mailout.Mail {
	return &mailout.Mail{
		From:       mailout.Address{Name: "Support Désk", Email: "support@example.com"},
		To:         []mailout.Address{{Name: "Zoë Müller", Email: "zoe@customer.example"}},
		Cc:         []mailout.Address{{Email: "boss@customer.example"}},
		ReplyTo:    &mailout.Address{Name: "Support", Email: "support+t1042.k3y@example.com"},
		Subject:    "Re: Drucker kaputt – Ticket [HD#1042]",
		MessageID:  "hd1042.abc.x7@example.com",
		InReplyTo:  "CAF=xyz@mail.customer.example",
		References: []string{"CAF=first@mail.customer.example", "<CAF=xyz@mail.customer.example>"},
		Headers: map[string]string{
			"Auto-Submitted":           "auto-replied",
			"X-Auto-Response-Suppress": "All",
			"X-Helpdesk-Loop":          "example.com",
		},
		Text:     "Hallo Zoë,\n\nwir kümmern uns darum.\n",
		HTML:     "<p>Hallo Zoë,</p><p>wir kümmern uns darum.</p>",
		Date:     time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC),
		Boundary: "hd-boundary-1",
	}
}

// parsed is what a mail reader sees in rendered bytes.
type parsed struct {
	header mail.Header
	fields []string // header field names in order
	parts  map[string]string
}

func parse(t *testing.T, data []byte) parsed {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parsing rendered mail: %v\n%s", err, data)
	}
	defer mr.Close()
	p := parsed{header: mr.Header, parts: map[string]string{}}
	for f := mr.Header.Fields(); f.Next(); {
		p.fields = append(p.fields, f.Key())
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading part: %v", err)
		}
		h, ok := part.Header.(*mail.InlineHeader)
		if !ok {
			t.Fatalf("unexpected attachment part")
		}
		ct, _, _ := h.ContentType()
		body, err := io.ReadAll(part.Body)
		if err != nil {
			t.Fatalf("reading %s part: %v", ct, err)
		}
		p.parts[ct] = string(body)
	}
	return p
}

func TestRenderedMailCarriesEveryHeaderAReaderNeeds(t *testing.T) {
	data, err := reply().Bytes()
	if err != nil {
		t.Fatal(err)
	}
	checkReply(t, parse(t, data))
}

// checkReply asserts what a client must see of reply().
func checkReply(t *testing.T, p parsed) {
	t.Helper()
	h := p.header
	if id, err := h.MessageID(); err != nil || id != "hd1042.abc.x7@example.com" {
		t.Errorf("Message-ID = %q, %v", id, err)
	}
	if ids, err := h.MsgIDList("In-Reply-To"); err != nil || !slices.Equal(ids, []string{"CAF=xyz@mail.customer.example"}) {
		t.Errorf("In-Reply-To = %q, %v", ids, err)
	}
	wantRefs := []string{"CAF=first@mail.customer.example", "CAF=xyz@mail.customer.example"}
	if ids, err := h.MsgIDList("References"); err != nil || !slices.Equal(ids, wantRefs) {
		t.Errorf("References = %q, %v", ids, err)
	}
	if subj, err := h.Subject(); err != nil || subj != "Re: Drucker kaputt – Ticket [HD#1042]" {
		t.Errorf("Subject = %q, %v", subj, err)
	}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Support Désk" || from[0].Address != "support@example.com" {
		t.Errorf("From = %v, %v", from, err)
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "Zoë Müller" || to[0].Address != "zoe@customer.example" {
		t.Errorf("To = %v, %v", to, err)
	}
	cc, err := h.AddressList("Cc")
	if err != nil || len(cc) != 1 || cc[0].Address != "boss@customer.example" {
		t.Errorf("Cc = %v, %v", cc, err)
	}
	rt, err := h.AddressList("Reply-To")
	if err != nil || len(rt) != 1 || rt[0].Address != "support+t1042.k3y@example.com" {
		t.Errorf("Reply-To = %v, %v", rt, err)
	}
	for k, want := range map[string]string{
		"Auto-Submitted":           "auto-replied",
		"X-Auto-Response-Suppress": "All",
		"X-Helpdesk-Loop":          "example.com",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if d, err := h.Date(); err != nil || !d.Equal(time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)) {
		t.Errorf("Date = %v, %v", d, err)
	}
	if got := p.parts["text/plain"]; got != "Hallo Zoë,\r\n\r\nwir kümmern uns darum.\r\n" {
		t.Errorf("text part = %q", got)
	}
	if got := p.parts["text/html"]; !strings.Contains(got, "<p>Hallo Zoë,</p>") {
		t.Errorf("html part = %q", got)
	}
}

func TestRenderedMailMatchesGoldenFile(t *testing.T) {
	data, err := reply().Bytes()
	if err != nil {
		t.Fatal(err)
	}
	again, err := reply().Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, again) {
		t.Fatalf("rendering the same mail twice differs:\n%s\n---\n%s", data, again)
	}
	golden := filepath.Join("testdata", "reply.eml")
	if *update {
		if err := os.WriteFile(golden, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(data, want) {
		t.Errorf("rendered mail differs from %s (go test -update refreshes it):\n%s", golden, data)
	}
}

func TestRenderedMailUsesCRLFAndQuotedPrintableBodies(t *testing.T) {
	data, err := reply().Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(data, []byte("\n")); n != bytes.Count(data, []byte("\r\n")) {
		t.Errorf("found a bare LF among %d line ends", n)
	}
	if !bytes.Contains(data, []byte("Content-Transfer-Encoding: quoted-printable")) {
		t.Errorf("body is not quoted-printable:\n%s", data)
	}
	if !bytes.Contains(data, []byte("Hallo Zo=C3=AB")) {
		t.Errorf("text is not UTF-8 quoted-printable:\n%s", data)
	}
	for _, line := range strings.Split(string(data), "\r\n") {
		for _, r := range line {
			if r > 0x7e {
				t.Fatalf("non-ASCII byte in rendered line %q", line)
			}
		}
	}
}

func TestMailWithoutHTMLIsSingleTextPart(t *testing.T) {
	m := reply()
	m.HTML = ""
	data, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, data)
	if len(p.parts) != 1 || p.parts["text/plain"] == "" {
		t.Errorf("parts = %v", p.parts)
	}
	if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestHeaderInjectionThroughAnyFieldAddsNoHeader(t *testing.T) {
	const evil = "Hi\r\nBcc: victim@example.com\r\nX-Injected: yes"
	tests := []struct {
		name string
		mod  func(m *mailout.Mail)
		drop string // a header expected to be left out
	}{
		{"subject with CRLF", func(m *mailout.Mail) { m.Subject = evil }, ""},
		{"subject with bare LF and CR", func(m *mailout.Mail) { m.Subject = "Hi\nBcc: victim@example.com\rX-Injected: yes" }, ""},
		{"from display name with CRLF", func(m *mailout.Mail) { m.From.Name = evil }, ""},
		{"to display name with CRLF", func(m *mailout.Mail) { m.To[0].Name = evil }, ""},
		{"non-ASCII display name with CRLF", func(m *mailout.Mail) { m.To[0].Name = "Zoë\r\nBcc: victim@example.com" }, ""},
		{"reply-to display name with CRLF", func(m *mailout.Mail) { m.ReplyTo.Name = evil }, ""},
		{"extra header value with CRLF", func(m *mailout.Mail) { m.Headers["X-Helpdesk-Loop"] = evil }, ""},
		{"in-reply-to with CRLF", func(m *mailout.Mail) { m.InReplyTo = "a@b>\r\nBcc: victim@example.com" }, "In-Reply-To"},
		{"reference with CRLF", func(m *mailout.Mail) { m.References = []string{"a@b>\r\nBcc: victim@example.com"} }, "References"},
		{"subject with NUL and DEL", func(m *mailout.Mail) { m.Subject = "Hi\x00\x7f\r\n\r\nBody injected" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := slices.DeleteFunc(fieldsOf(t, reply()), func(f string) bool { return f == tt.drop })
			m := reply()
			tt.mod(m)
			data, err := m.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			p := parse(t, data)
			if p.header.Has("Bcc") || p.header.Has("X-Injected") {
				t.Errorf("injected header present:\n%s", data)
			}
			if !slices.Equal(p.fields, want) {
				t.Errorf("header fields = %v, want %v", p.fields, want)
			}
			checkDecodedHeaders(t, p.header)
			head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
			for _, line := range strings.Split(string(head), "\r\n") {
				if strings.HasPrefix(strings.ToLower(line), "bcc:") {
					t.Errorf("raw Bcc line %q", line)
				}
				if strings.ContainsAny(line, "\r\n\x00\x7f") {
					t.Errorf("control character in header line %q", line)
				}
			}
		})
	}
}

// checkDecodedHeaders asserts that no header decodes (RFC 2047) to text with
// control characters: a reader that decodes and re-emits headers must not be
// able to produce an injected line either.
func checkDecodedHeaders(t *testing.T, h mail.Header) {
	t.Helper()
	for f := h.Fields(); f.Next(); {
		var values []string
		switch strings.ToLower(f.Key()) {
		case "from", "to", "cc", "reply-to":
			addrs, err := h.AddressList(f.Key())
			if err != nil {
				t.Errorf("%s does not parse: %v", f.Key(), err)
			}
			for _, a := range addrs {
				values = append(values, a.Name, a.Address)
			}
		case "message-id", "in-reply-to", "references":
			ids, err := h.MsgIDList(f.Key())
			if err != nil || strings.Contains(f.Value(), "=?") {
				t.Errorf("%s = %q does not parse as message ids: %v", f.Key(), f.Value(), err)
			}
			values = ids
		default:
			text, err := f.Text()
			if err != nil {
				t.Errorf("%s does not decode: %v", f.Key(), err)
			}
			values = []string{text}
		}
		for _, v := range values {
			if strings.ContainsFunc(v, unicode.IsControl) {
				t.Errorf("%s decodes to %q, with a control character", f.Key(), v)
			}
		}
	}
}

func fieldsOf(t *testing.T, m *mailout.Mail) []string {
	t.Helper()
	data, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return parse(t, data).fields
}

func TestSubjectWithCRLFIsKeptAsOneLineOfText(t *testing.T) {
	m := reply()
	m.Subject = "Hi\r\nBcc: victim@example.com"
	data, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	h := parse(t, data).header
	if subj, _ := h.Subject(); subj != "Hi Bcc: victim@example.com" {
		t.Errorf("Subject = %q", subj)
	}
}

func TestMailThatCannotBeBuiltIsRefused(t *testing.T) {
	tests := []struct {
		name string
		mod  func(m *mailout.Mail)
	}{
		{"no recipients", func(m *mailout.Mail) { m.To, m.Cc = nil, nil }},
		{"empty from", func(m *mailout.Mail) { m.From.Email = "" }},
		{"recipient with CRLF", func(m *mailout.Mail) { m.To[0].Email = "zoe@customer.example\r\nRCPT TO:<x@y>" }},
		{"recipient list in one address", func(m *mailout.Mail) { m.Cc[0].Email = "a@example.com, b@example.com" }},
		{"address with display name", func(m *mailout.Mail) { m.To[0].Email = "Zoë <zoe@customer.example>" }},
		{"reply-to without domain", func(m *mailout.Mail) { m.ReplyTo.Email = "support" }},
		{"extra header naming Bcc", func(m *mailout.Mail) { m.Headers["bcc"] = "victim@example.com" }},
		{"extra header replacing Subject", func(m *mailout.Mail) { m.Headers["Subject"] = "other" }},
		{"extra header name with colon", func(m *mailout.Mail) { m.Headers["X-A: b\r\nBcc"] = "x" }},
		{"extra header name with space", func(m *mailout.Mail) { m.Headers["X A"] = "x" }},
		{"message id of only brackets", func(m *mailout.Mail) { m.MessageID = "<>" }},
		{"message id with CRLF and a header", func(m *mailout.Mail) { m.MessageID = "a@b>\r\nBcc: victim@example.com" }},
		{"message id without @", func(m *mailout.Mail) { m.MessageID = "hd1042.example.com" }},
		{"message id with two @", func(m *mailout.Mail) { m.MessageID = "a@b@example.com" }},
		{"boundary with space", func(m *mailout.Mail) { m.Boundary = "a b" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := reply()
			tt.mod(m)
			if data, err := m.Bytes(); err == nil {
				t.Errorf("Bytes succeeded:\n%s", data)
			}
		})
	}
}

func TestMessageIDsAreWrittenInBracketsAndInvalidReferencesLeftOut(t *testing.T) {
	m := reply()
	m.MessageID = " <hd1042.abc.x7@example.com> "
	m.InReplyTo = "<1234@[192.0.2.1]>"
	m.References = []string{"first@example.com", "not an id", "<x@y>\r\nBcc: v@example.com", "", "a@b@c", "last@example.com"}
	data, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	h := parse(t, data).header
	if id, err := h.MessageID(); err != nil || id != "hd1042.abc.x7@example.com" {
		t.Errorf("Message-ID = %q, %v", id, err)
	}
	if ids, err := h.MsgIDList("In-Reply-To"); err != nil || !slices.Equal(ids, []string{"1234@[192.0.2.1]"}) {
		t.Errorf("In-Reply-To = %q, %v", ids, err)
	}
	wantRefs := []string{"first@example.com", "last@example.com"}
	if ids, err := h.MsgIDList("References"); err != nil || !slices.Equal(ids, wantRefs) {
		t.Errorf("References = %q, %v, want %q", ids, err, wantRefs)
	}
}

func TestCheckEmail(t *testing.T) {
	for _, tt := range []struct {
		email string
		ok    bool
	}{
		{"user@example.com", true},
		{"support+t1042.k3y@example.com", true},
		{"zoë@bücher.example", true},
		{"", false},
		{"user", false},
		{"user@", false},
		{"@example.com", false},
		{"user@example.com\r\n", false},
		{"us er@example.com", false},
		{"<user@example.com>", false},
		{"a@example.com,b@example.com", false},
	} {
		if err := mailout.CheckEmail(tt.email); (err == nil) != tt.ok {
			t.Errorf("CheckEmail(%q) = %v, want ok %v", tt.email, err, tt.ok)
		}
	}
}
