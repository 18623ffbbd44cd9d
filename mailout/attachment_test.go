package mailout_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/emersion/go-message/mail"

	"helpdesk/mailout"
)

// An agent's answer carries the files the agent attached; their names and
// types come from incoming mail, so neither may break the MIME structure.
func TestAttachmentsTravelWithTheirNameTypeAndBytes(t *testing.T) {
	m := reply()
	m.Boundary = ""
	pdf := []byte("%PDF-1.4\nnot really\x00\xff")
	m.Attachments = []mailout.Attachment{
		{Filename: "Rechnung März.pdf", ContentType: "application/pdf", Data: pdf},
		{Filename: "../../etc/pass\"wd\r\nBcc: x@evil.test", ContentType: "text/plain\r\nBcc: y@evil.test", Data: []byte("hi")},
		{Filename: "", ContentType: "", Data: []byte("raw")},
	}
	data, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("\r\nBcc:")) {
		t.Fatalf("a header was injected through an attachment:\n%s", data)
	}
	mr, err := mail.CreateReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	type file struct{ name, ctype, body string }
	var got []file
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h, ok := p.Header.(*mail.AttachmentHeader); ok {
			name, _ := h.Filename()
			ct, _, _ := h.ContentType()
			b, _ := io.ReadAll(p.Body)
			got = append(got, file{name, ct, string(b)})
		}
	}
	want := []file{
		{"Rechnung März.pdf", "application/pdf", string(pdf)},
		// The path and the quote go; go-mail writes the colon as "_".
		{"passwd Bcc_ x@evil.test", "application/octet-stream", "hi"},
		{"attachment-3", "application/octet-stream", "raw"},
	}
	if len(got) != len(want) {
		t.Fatalf("attachments = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("attachment %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
