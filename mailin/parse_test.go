package mailin

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func mustParse(t *testing.T, raw []byte) *Message {
	t.Helper()
	m, err := Parse(raw, ParseOptions{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

func findAttachment(m *Message, contentType string) *Attachment {
	for i := range m.Attachments {
		if m.Attachments[i].ContentType == contentType {
			return &m.Attachments[i]
		}
	}
	return nil
}

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		check func(t *testing.T, m *Message)
	}{
		{"windows-1252 body is decoded to UTF-8", "cp1252-body.eml", func(t *testing.T, m *Message) {
			if m.Text != "Le café – naïve, 5 €.\n" {
				t.Errorf("Text = %q", m.Text)
			}
		}},
		{"ISO-2022-JP encoded-word subject and body are decoded", "iso2022jp.eml", func(t *testing.T, m *Message) {
			if m.Subject != "日本語の件名" {
				t.Errorf("Subject = %q", m.Subject)
			}
			if m.Text != "こんにちは、世界。\n" {
				t.Errorf("Text = %q", m.Text)
			}
		}},
		{"quoted-printable UTF-8 joins soft line breaks and keeps stray equals signs", "qp-utf8.eml", func(t *testing.T, m *Message) {
			want := "Schöne Grüße, this line is long and is broken by a soft line break here.\nA literal = sign and 100% = done.\n"
			if m.Text != want {
				t.Errorf("Text = %q, want %q", m.Text, want)
			}
			if m.Subject != "Grüße aus Köln" {
				t.Errorf("Subject = %q", m.Subject)
			}
		}},
		{"base64 body is decoded", "base64-body.eml", func(t *testing.T, m *Message) {
			if m.Text != "Hello from a base64 body.\nSecond line: ünïcödé.\n" {
				t.Errorf("Text = %q", m.Text)
			}
		}},
		{"multipart alternative keeps both text and HTML", "alternative.eml", func(t *testing.T, m *Message) {
			if m.Text != "The printer is on fire.\n" {
				t.Errorf("Text = %q", m.Text)
			}
			if !strings.Contains(m.HTML, "<b>on fire</b>") {
				t.Errorf("HTML = %q", m.HTML)
			}
			if len(m.Attachments) != 0 {
				t.Errorf("Attachments = %d, want none", len(m.Attachments))
			}
		}},
		{"HTML-only mail gets readable text without tags and with entities decoded", "html-only.eml", func(t *testing.T, m *Message) {
			for _, want := range []string{"Hello team,\nFish & chips cost 5€ été.", "the status page", "https://status.example.com/x?a=1&b=2", "Thanks", "- one\n- two"} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("Text lacks %q:\n%s", want, m.Text)
				}
			}
			for _, bad := range []string{"<p", "<div", "<a ", "</", "&amp;", "&nbsp;", "Ignore me", "color: red", "alert", "a comment"} {
				if strings.Contains(m.Text, bad) {
					t.Errorf("Text contains %q:\n%s", bad, m.Text)
				}
			}
			if m.HTML == "" {
				t.Error("HTML is empty")
			}
		}},
		{"attachments keep RFC 2047 and RFC 2231 filenames and inline images", "attachments.eml", func(t *testing.T, m *Message) {
			var names []string
			for _, a := range m.Attachments {
				names = append(names, a.Filename)
			}
			want := []string{"", "Rechnung März.pdf", "€ Wechselkurse übersicht.xls", "Notizä.txt"}
			if !slices.Equal(names, want) {
				t.Fatalf("filenames = %q, want %q", names, want)
			}
			img := m.Attachments[0]
			if img.ContentType != "image/png" || img.ContentID != "logo@x" || !img.Inline || !bytes.HasPrefix(img.Data, []byte("\x89PNG")) {
				t.Errorf("inline image = %+v", img)
			}
			pdf := m.Attachments[1]
			if pdf.ContentType != "application/pdf" || pdf.Inline || string(pdf.Data) != "%PDF-1.4 fake pdf\n" {
				t.Errorf("pdf = %+v", pdf)
			}
			if string(m.Attachments[3].Data) != "some notes" {
				t.Errorf("text attachment data = %q", m.Attachments[3].Data)
			}
			if strings.Contains(m.Text, "some notes") {
				t.Error("a text/plain attachment was merged into Text")
			}
			if m.Text != "Logo: logo" {
				t.Errorf("Text = %q", m.Text)
			}
		}},
		{"nested message/rfc822 becomes an .eml attachment and its text stays out", "nested-rfc822.eml", func(t *testing.T, m *Message) {
			if len(m.Attachments) != 1 {
				t.Fatalf("Attachments = %d, want 1", len(m.Attachments))
			}
			a := m.Attachments[0]
			if a.Filename != "Original question – urgent.eml" || a.ContentType != "message/rfc822" {
				t.Errorf("attachment = %q %q", a.Filename, a.ContentType)
			}
			inner, err := Parse(a.Data, ParseOptions{})
			if err != nil || inner.MessageID != "inner@customer.example" {
				t.Errorf("inner message: %v %+v", err, inner)
			}
			if strings.Contains(m.Text, "inner secret") || strings.Contains(m.HTML, "inner secret") {
				t.Errorf("inner text leaked into Text %q / HTML %q", m.Text, m.HTML)
			}
			if m.Text != "See the forwarded mail below.\n" {
				t.Errorf("Text = %q", m.Text)
			}
		}},
		{"LF-only mail parses like CRLF mail", "lf-only.eml", func(t *testing.T, m *Message) {
			if m.Subject != "Plain LF mail" || m.Text != "Line one\nLine two\n" || m.From.Email != "lf@example.org" {
				t.Errorf("got %q %q %q", m.Subject, m.Text, m.From.Email)
			}
		}},
		{"mail without Message-ID has an empty MessageID and a content hash", "no-message-id.eml", func(t *testing.T, m *Message) {
			if m.MessageID != "" {
				t.Errorf("MessageID = %q", m.MessageID)
			}
			if len(m.ContentHash) != 64 {
				t.Errorf("ContentHash = %q", m.ContentHash)
			}
			if want := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC); !m.Date.Equal(want) {
				t.Errorf("Date = %v", m.Date)
			}
		}},
		{"missing Subject and Date give empty values and a quoted display name with a comma survives", "missing-subject.eml", func(t *testing.T, m *Message) {
			if m.Subject != "" || !m.Date.IsZero() {
				t.Errorf("Subject %q Date %v", m.Subject, m.Date)
			}
			if m.From != (Address{Name: "Doe, John", Email: "John.Doe@example.org"}) {
				t.Errorf("From = %+v", m.From)
			}
			if m.From.Key() != "john.doe@example.org" {
				t.Errorf("Key = %q", m.From.Key())
			}
		}},
		{"folded References, commented In-Reply-To and delivery headers are normalised", "folded-references.eml", func(t *testing.T, m *Message) {
			if want := []string{"first@example.net", "hd-1042-1@helpdesk.example", "hd-1042-2@helpdesk.example"}; !slices.Equal(m.References, want) {
				t.Errorf("References = %q", m.References)
			}
			if want := []string{"hd-1042-2@helpdesk.example"}; !slices.Equal(m.InReplyTo, want) {
				t.Errorf("InReplyTo = %q", m.InReplyTo)
			}
			if m.Subject != "Re: [HD#1042] Login problem" {
				t.Errorf("Subject = %q", m.Subject)
			}
			if want := []string{"support@helpdesk.example", "dave@example.net", "support+abc123@helpdesk.example"}; !slices.Equal(m.Recipients, want) {
				t.Errorf("Recipients = %q", m.Recipients)
			}
			if len(m.Cc) != 1 || m.Cc[0].Name != "Dave" {
				t.Errorf("Cc = %+v", m.Cc)
			}
		}},
		{"the domain of an address is lowercased and the local part kept", "cp1252-body.eml", func(t *testing.T, m *Message) {
			if m.From != (Address{Name: "Anna Kunde", Email: "anna@example.com"}) {
				t.Errorf("From = %+v", m.From)
			}
			if want := []string{"support+t0k3n@helpdesk.example"}; !slices.Equal(m.Recipients, want) {
				t.Errorf("Recipients = %q", m.Recipients)
			}
			if m.Header.Get("message-id") != "<cp1252@mail.example.com>" {
				t.Errorf("Header Message-Id = %q", m.Header.Get("message-id"))
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := readFixture(t, tc.file)
			m := mustParse(t, raw)
			if m.Size != len(raw) {
				t.Errorf("Size = %d, want %d", m.Size, len(raw))
			}
			tc.check(t, m)
		})
	}
}

func TestParseInline(t *testing.T) {
	tests := []struct {
		name  string
		raw   string
		check func(t *testing.T, m *Message)
	}{
		{"unknown charset keeps the bytes as best-effort UTF-8", "From: a@b.example\nContent-Type: text/plain; charset=x-no-such\n\nabc \xff def\n", func(t *testing.T, m *Message) {
			if m.Text != "abc \uFFFD def\n" {
				t.Errorf("Text = %q", m.Text)
			}
		}},
		{"NUL bytes and invalid UTF-8 never reach Text", "From: a@b.example\nContent-Type: text/plain; charset=utf-8\n\na\x00b\xc3\n", func(t *testing.T, m *Message) {
			if m.Text != "ab\uFFFD\n" {
				t.Errorf("Text = %q", m.Text)
			}
		}},
		{"unlabelled 8-bit text is read as windows-1252", "From: a@b.example\nSubject: caf\xe9\n\ncaf\xe9\n", func(t *testing.T, m *Message) {
			if m.Text != "café\n" || m.Subject != "café" {
				t.Errorf("Text %q Subject %q", m.Text, m.Subject)
			}
		}},
		{"a broken encoded-word stays as raw text", "From: a@b.example\nSubject: =?utf-8?B?###?= and =?utf-8?Q?ok?=\n\nx\n", func(t *testing.T, m *Message) {
			if m.Subject != "=?utf-8?B?###?= and ok" {
				t.Errorf("Subject = %q", m.Subject)
			}
		}},
		{"an encoded-word with spaces inside is still decoded", "From: a@b.example\nSubject: =?utf-8?q?caf=C3=A9 au lait?=\n\nx\n", func(t *testing.T, m *Message) {
			if m.Subject != "café au lait" {
				t.Errorf("Subject = %q", m.Subject)
			}
		}},
		{"a header field over 64 KiB is cut after its last whole address", "From: a@b.example\nTo: " + strings.Repeat("abcdefghij@example.com, ", 3000) + "\n\nx\n", func(t *testing.T, m *Message) {
			to := m.Header.Get("To")
			if len(to) > maxFieldLen || len(to) < maxFieldLen-1024 || !strings.HasSuffix(to, "abcdefghij@example.com") {
				t.Errorf("To is %d bytes, ending %q", len(to), to[max(0, len(to)-30):])
			}
			if len(m.To) != maxAddresses {
				t.Errorf("To holds %d addresses, want %d", len(m.To), maxAddresses)
			}
		}},
		{"adjacent encoded-words are joined even when a character is split between them", "From: a@b.example\nSubject: =?UTF-8?B?w6k=?=\n =?UTF-8?B?4oKs?= =?UTF-8?Q?=E2?= =?UTF-8?Q?=82=AC?=\n\nx\n", func(t *testing.T, m *Message) {
			if m.Subject != "é€€" {
				t.Errorf("Subject = %q", m.Subject)
			}
		}},
		{"an unknown transfer encoding falls back to the raw bytes", "From: a@b.example\nContent-Transfer-Encoding: x-weird\n\nraw body\n", func(t *testing.T, m *Message) {
			if m.Text != "raw body\n" {
				t.Errorf("Text = %q", m.Text)
			}
		}},
		{"a body declared base64 that is plain text stays readable", "From: a@b.example\nContent-Transfer-Encoding: base64\n\nThis is not base64 at all, it is a sentence.\n", func(t *testing.T, m *Message) {
			if m.Text != "This is not base64 at all, it is a sentence.\n" {
				t.Errorf("Text = %q", m.Text)
			}
		}},
		{"a truncated multipart keeps the parts read so far", "From: a@b.example\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nfirst part\n--b\nContent-Type: text/plain\n\nsecond part, cut off", func(t *testing.T, m *Message) {
			if m.Text != "first part\nsecond part, cut off" {
				t.Errorf("Text = %q", m.Text)
			}
		}},
		{"a wrong boundary parameter is recovered from the body", "From: a@b.example\nContent-Type: multipart/mixed; boundary=\"wrong\"\n\n--real\nContent-Type: text/plain\n\nhello\n--real\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=a.pdf\n\nPDF\n--real--\n", func(t *testing.T, m *Message) {
			if m.Text != "hello" || len(m.Attachments) != 1 || m.Attachments[0].Filename != "a.pdf" {
				t.Errorf("Text %q, attachments %+v", m.Text, m.Attachments)
			}
		}},
		{"an inner boundary that begins with the outer one does not split the outer part", "From: a@b.example\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: multipart/alternative; boundary=b-alt\n\n--b-alt\nContent-Type: text/plain\n\nplain\n--b-alt\nContent-Type: text/html\n\n<p>html</p>\n--b-alt--\n--b\nContent-Type: application/zip\n\nZIP\n--b--\n", func(t *testing.T, m *Message) {
			if m.Text != "plain" || m.HTML != "<p>html</p>" || len(m.Attachments) != 1 {
				t.Errorf("Text %q HTML %q attachments %d", m.Text, m.HTML, len(m.Attachments))
			}
		}},
		{"a delimiter followed by a space and text still delimits", "From: a@b.example\nContent-Type: multipart/mixed; boundary=b\n\n--b trailing words\nContent-Type: text/plain\n\nfirst part\n--b-- epilogue words\nnot a part\n", func(t *testing.T, m *Message) {
			if m.Text != "first part" {
				t.Errorf("Text = %q", m.Text)
			}
		}},
		{"a header line without a colon is skipped when fields follow", "From: a@b.example\nthis line is broken\nSubject: still here\n\nbody\n", func(t *testing.T, m *Message) {
			if m.Subject != "still here" || m.Text != "body\n" {
				t.Errorf("Subject %q Text %q", m.Subject, m.Text)
			}
		}},
		{"Sender is used when From has no address", "From: Undisclosed\nSender: Real Sender <real@Sender.Example>\n\nx\n", func(t *testing.T, m *Message) {
			if m.From != (Address{Name: "Real Sender", Email: "real@sender.example"}) {
				t.Errorf("From = %+v", m.From)
			}
		}},
		{"Return-Path is the last resort for the sender", "Return-Path: <bounce@Lists.Example>\nSubject: x\n\nx\n", func(t *testing.T, m *Message) {
			if m.From.Email != "bounce@lists.example" {
				t.Errorf("From = %+v", m.From)
			}
		}},
		{"Message-IDs without brackets are tolerated", "From: a@b.example\nMessage-ID: plain-id@b.example\nReferences: one@b.example, two@b.example\n\nx\n", func(t *testing.T, m *Message) {
			if m.MessageID != "plain-id@b.example" || !slices.Equal(m.References, []string{"one@b.example", "two@b.example"}) {
				t.Errorf("MessageID %q References %q", m.MessageID, m.References)
			}
		}},
		{"format=flowed soft breaks are joined", "From: a@b.example\nContent-Type: text/plain; format=flowed\n\nThis is one \nparagraph.\n> quoted \n> too\n-- \nsig\n", func(t *testing.T, m *Message) {
			if m.Text != "This is one paragraph.\n> quoted too\n-- \nsig\n" {
				t.Errorf("Text = %q", m.Text)
			}
		}},
		{"an empty text part beside HTML lets the HTML give the text", "From: a@b.example\nContent-Type: multipart/alternative; boundary=x\n\n--x\nContent-Type: text/plain\n\n\n--x\nContent-Type: text/html\n\n<p>Only&nbsp;here</p>\n--x--\n", func(t *testing.T, m *Message) {
			if m.Text != "Only here" {
				t.Errorf("Text = %q", m.Text)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, mustParse(t, []byte(tc.raw)))
		})
	}
}

func TestContentHashIsStableAcrossLineEndings(t *testing.T) {
	lf := readFixture(t, "lf-only.eml")
	crlf := bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))
	a, b := mustParse(t, lf), mustParse(t, crlf)
	if a.ContentHash != b.ContentHash {
		t.Errorf("hash differs: %s vs %s", a.ContentHash, b.ContentHash)
	}
	if a.Text != b.Text || a.Subject != b.Subject {
		t.Errorf("CRLF and LF parse differently: %q/%q vs %q/%q", a.Text, a.Subject, b.Text, b.Subject)
	}
	other := mustParse(t, readFixture(t, "no-message-id.eml"))
	if other.ContentHash == a.ContentHash {
		t.Error("different mails share a content hash")
	}
}

func TestParseQuarantines(t *testing.T) {
	tests := []struct {
		name       string
		raw        []byte
		opts       ParseOptions
		sentinel   error
		reasonPart string
	}{
		{"over-size mail is refused with ErrTooLarge", bytes.Repeat([]byte("x"), 2048), ParseOptions{MaxSize: 1024}, ErrTooLarge, "mail is 2 KiB, over the 1 KiB limit"},
		{"the default limit is 25 MiB", append([]byte("From: a@b.example\n\n"), make([]byte, 30<<20)...), ParseOptions{}, ErrTooLarge, "over the 25 MiB limit"},
		{"garbage bytes have no readable header", readFixture(t, "garbage.eml"), ParseOptions{}, ErrUnreadableHeader, "unreadable header"},
		{"an empty mail has no readable header", nil, ParseOptions{}, ErrUnreadableHeader, "unreadable header: the mail is empty"},
		{"a text without header fields has no readable header", []byte("Dear support,\nplease help.\n"), ParseOptions{}, ErrUnreadableHeader, "unreadable header"},
		{"a mail with no sender anywhere is refused", readFixture(t, "no-sender.eml"), ParseOptions{}, ErrNoSender, "no sender address"},
		{"a sender without a domain is not usable", []byte("From: localuser\nSubject: hi\n\nx\n"), ParseOptions{}, ErrNoSender, "no sender address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse(tc.raw, tc.opts)
			if err == nil {
				t.Fatalf("Parse accepted the mail: %+v", m)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *ParseError", err, err)
			}
			if !errors.Is(err, tc.sentinel) {
				t.Errorf("error %v does not wrap %v", err, tc.sentinel)
			}
			if !strings.Contains(pe.Reason, tc.reasonPart) {
				t.Errorf("Reason = %q, want it to contain %q", pe.Reason, tc.reasonPart)
			}
		})
	}
}

func TestBounceFromNullSenderIsTaken(t *testing.T) {
	raw := "From: MAILER-DAEMON <>\nReturn-Path: <>\nSubject: Undelivered Mail Returned to Sender\n\nI'm sorry to have to inform you that your message could not be delivered.\n"
	m, err := Parse([]byte(raw), ParseOptions{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if m.Auto.Kind != KindBounce || m.From.Name != "MAILER-DAEMON" {
		t.Errorf("Auto %+v From %+v", m.Auto, m.From)
	}
}

// repoRoot walks up from the package folder to the folder holding go.mod.
func repoRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// corpusDir returns ../shared/corpus/<name> beside the repository, or skips.
func corpusDir(t testing.TB, name string) string {
	dir := filepath.Join(repoRoot(t), "..", "shared", "corpus", name)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus folder %s is absent: %v", dir, err)
	}
	return dir
}

// corpusFiles lists the mail files of a corpus folder.
func corpusFiles(t testing.TB, dir string) []string {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := d.Name()
		switch {
		case strings.HasSuffix(name, ".eml"), strings.HasSuffix(name, ".msg"):
			files = append(files, p)
		case strings.Contains(p, "mimekit") && strings.HasSuffix(name, ".txt"):
			files = append(files, p) // MimeKit keeps its messages as .txt
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func checkInvariants(t testing.TB, name string, m *Message) {
	t.Helper()
	for field, s := range map[string]string{"Text": m.Text, "HTML": m.HTML, "Subject": m.Subject} {
		if !utf8.ValidString(s) {
			t.Errorf("%s: %s is not valid UTF-8", name, field)
		}
		if strings.IndexByte(s, 0) >= 0 {
			t.Errorf("%s: %s holds a NUL byte", name, field)
		}
	}
	if strings.IndexByte(m.Text, '\r') >= 0 {
		t.Errorf("%s: Text holds a CR", name)
	}
	if strings.ContainsAny(m.MessageID, "<> \t\n") {
		t.Errorf("%s: MessageID %q keeps brackets or spaces", name, m.MessageID)
	}
}

func TestCorpusParsesOrQuarantines(t *testing.T) {
	for _, name := range []string{"mime4j", "mimekit", "replies", "sisimai"} {
		t.Run(name, func(t *testing.T) {
			files := corpusFiles(t, corpusDir(t, name))
			if len(files) == 0 {
				t.Fatalf("no mail files in corpus %s", name)
			}
			parsed, quarantined := 0, map[string]int{}
			for _, f := range files {
				raw, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				m, err := Parse(raw, ParseOptions{})
				if err != nil {
					var pe *ParseError
					if !errors.As(err, &pe) {
						t.Errorf("%s: error %T %v is not a *ParseError", filepath.Base(f), err, err)
						continue
					}
					quarantined[pe.Error()]++
					continue
				}
				parsed++
				checkInvariants(t, filepath.Base(f), m)
			}
			t.Logf("%s: %d files, %d parsed, %d quarantined %v", name, len(files), parsed, len(files)-parsed, quarantined)
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, raw := range mailSeeds(f, []string{"mime4j/testmsgs/*.msg", "mimekit/messages/*", "sisimai/*.eml"}, 100) {
		f.Add(raw)
	}
	f.Add([]byte("From: a@b.example\nContent-Type: multipart/mixed; boundary=\"x\"\n\n--x\nContent-Type: message/rfc822\n\nFrom: c@d\nContent-Type: multipart/alternative; boundary=y\n\n--y\n\n--x--\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw, ParseOptions{MaxSize: 1 << 20})
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *ParseError", err, err)
			}
			return
		}
		checkInvariants(t, "fuzz input", m)
	})
}

// BenchmarkParse measures a typical 5 KB mail: multipart/alternative with a
// quoted-printable text part, an HTML part and a small attachment.
func BenchmarkParse(b *testing.B) {
	raw := typicalMail()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw, ParseOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func typicalMail() []byte {
	var sb strings.Builder
	sb.WriteString("Return-Path: <kunde@example.com>\r\nReceived: from mx.example.com (mx.example.com [192.0.2.1])\r\n\tby mail.helpdesk.example with ESMTPS id 4XyZ\r\n\tfor <support@helpdesk.example>; Mon, 3 Mar 2025 10:15:02 +0100\r\n")
	sb.WriteString("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=s1; h=from:to:subject:date; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZSBidXQgaXQgaGFzIHRoZSBzaXpl\r\n")
	sb.WriteString("From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen.mueller@Example.com>\r\nTo: Support <support@helpdesk.example>\r\nCc: \"Doe, Jane\" <jane@example.com>\r\n")
	sb.WriteString("Subject: =?UTF-8?Q?Re:_[HD#1042]_Drucker_druckt_nicht_=E2=80=93_dringend?=\r\nDate: Mon, 3 Mar 2025 10:15:00 +0100\r\nMessage-ID: <CAF=abc123@mail.example.com>\r\n")
	sb.WriteString("In-Reply-To: <hd-1042-2@helpdesk.example>\r\nReferences: <first@example.com>\r\n <hd-1042-1@helpdesk.example> <hd-1042-2@helpdesk.example>\r\nMIME-Version: 1.0\r\n")
	sb.WriteString("Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n--mix\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n--alt\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	for range 12 {
		sb.WriteString("Hallo zusammen, der Drucker im zweiten Stock druckt seit heute Morgen ni=\r\ncht mehr. Gr=C3=BC=C3=9Fe und vielen Dank f=C3=BCr die Hilfe.\r\n")
	}
	sb.WriteString("\r\n--alt\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<html><body>")
	for range 12 {
		sb.WriteString("<p>Hallo zusammen, der Drucker im zweiten Stock druckt seit heute Morgen nicht mehr. Gr&uuml;&szlig;e</p>\r\n")
	}
	sb.WriteString("</body></html>\r\n--alt--\r\n--mix\r\nContent-Type: image/png; name=\"fehler.png\"\r\nContent-Disposition: attachment; filename=\"fehler.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for range 8 {
		sb.WriteString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==\r\n")
	}
	sb.WriteString("--mix--\r\n")
	return []byte(sb.String())
}
