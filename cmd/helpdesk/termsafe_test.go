package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// hostileMail carries terminal escapes where an attacker can put them: a
// window title, an OSC 52 clipboard write, a screen clear and an OSC 8
// link in the body, a one-character CSI (U+009B) in the subject,
// a right-to-left override in the sender's name and an attachment's name.
const hostileMail = "From: =?utf-8?q?Mallory=E2=80=AE?= <mallory@evil.test>\r\n" +
	"To: support@example.com\r\n" +
	"Subject: =?utf-8?b?" + "SW52b2ljZSDCmzJK" + "?= =?utf-8?q?_paid_now?=\r\n" +
	"Message-ID: <esc1@evil.test>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=B\r\n\r\n" +
	"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
	"Hello\x1b]0;owned\x07 there\r\n" +
	"\x1b]52;c;cm0gLXJmIH4=\x07copy this\r\n" +
	"\x1b[2J\x1b[Hcleared\r\n" +
	"see \x1b]8;;http://evil.test/\x1b\\https://bank.example/\x1b]8;;\x1b\\ \xc2\x9b31mred\r\n" +
	"--B\r\nContent-Type: application/octet-stream\r\n" +
	"Content-Disposition: attachment; filename*=utf-8''invoice%E2%80%AEfdp.exe\r\n\r\nAAAA\r\n--B--\r\n"

// forTerminal fails when out holds anything a terminal would act on.
func forTerminal(t *testing.T, what, out string) {
	t.Helper()
	for _, r := range out {
		if (r < 0x20 && r != '\n' && r != '\t') || (0x7f <= r && r <= 0x9f) || r == '\u202e' {
			t.Errorf("%s prints the control character %U:\n%s", what, r, out)
			return
		}
	}
}

func TestOutputForATerminalCarriesNoControlCharacters(t *testing.T) {
	c := newCLI(t)
	if code, out, errs := c.run(hostileMail, "ingest", "--mailbox", "support"); code != 0 {
		t.Fatalf("ingest: exit %d, out %q, err %q", code, out, errs)
	}

	_, show, _ := c.run("", "tickets", "show", "1000")
	forTerminal(t, "tickets show", show)
	for _, want := range []string{`\x1b]0;owned\x07`, `\x1b]52;c;`, `\u009b`, "invoice_fdp.exe", "copy this"} {
		if !strings.Contains(show, want) {
			t.Errorf("tickets show lacks %q, the control shown as text:\n%s", want, show)
		}
	}
	_, list, _ := c.run("", "tickets", "list")
	forTerminal(t, "tickets list", list)
	if !strings.Contains(list, `Invoice \u009b2J paid now`) {
		t.Errorf("tickets list does not show the subject with its controls escaped:\n%s", list)
	}

	_, js, _ := c.run("", "tickets", "show", "1000", "--json")
	forTerminal(t, "tickets show --json", strings.ReplaceAll(js, "\t", ""))
	var v struct {
		Subject  string `json:"subject"`
		Messages []struct {
			Text        string `json:"text"`
			Attachments []struct {
				Filename string `json:"filename"`
			} `json:"attachments"`
		} `json:"messages"`
	}
	if err := json.Unmarshal([]byte(js), &v); err != nil {
		t.Fatalf("tickets show --json: %v\n%s", err, js)
	}
	if !strings.Contains(v.Subject, "\u009b2J") || !strings.Contains(v.Messages[0].Text, "\x1b]0;owned\x07") ||
		// The reader itself neutralises bidi controls in file names.
		v.Messages[0].Attachments[0].Filename != "invoice_fdp.exe" {
		t.Errorf("--json must escape, not lose: subject %q, text %q, attachments %+v", v.Subject, v.Messages[0].Text, v.Messages[0].Attachments)
	}
	_, jl, _ := c.run("", "tickets", "list", "--json")
	forTerminal(t, "tickets list --json", jl)
}

func TestTermLineAndTermText(t *testing.T) {
	tests := []struct{ in, line, text string }{
		{"plain text", "plain text", "plain text"},
		{"a\tb\nc", `a\tb\nc`, "a\tb\nc"},
		{"\x1b[2J\r\x00\x7f", `\x1b[2J\r\x00\x7f`, `\x1b[2J\r\x00\x7f`},
		{"\u009b31m\u0085", `\u009b31m\u0085`, `\u009b31m\u0085`},
		{"abc\u202edef\u2066", `abc\u202edef\u2066`, `abc\u202edef` + "\u2066"},
		{"bad \x9b byte", "bad \ufffd byte", "bad \ufffd byte"},
		{"שלום Grüße 😀", "שלום Grüße 😀", "שלום Grüße 😀"},
	}
	for _, tc := range tests {
		if got := termLine(tc.in); got != tc.line {
			t.Errorf("termLine(%q) = %q, want %q", tc.in, got, tc.line)
		}
		if got := termText(tc.in); got != tc.text {
			t.Errorf("termText(%q) = %q, want %q", tc.in, got, tc.text)
		}
	}
}
