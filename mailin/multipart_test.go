package mailin

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestBrokenMultipartKeepsEveryPart checks nested multiparts that real
// mailers get wrong: boundaries that are prefixes of each other or reused,
// inner multiparts that never close. Each mail must give the text, HTML
// and attachments a reader sees in Thunderbird, each part whole and none
// merged with another.
func TestBrokenMultipartKeepsEveryPart(t *testing.T) {
	tests := []struct {
		name, file string
		text, html string
		atts       []string // file names, or the content type when unnamed
	}{
		{"an inner boundary that is the outer one plus \"--alt\" is not the outer close-delimiter", "boundary-prefix-closing.eml",
			"The total on invoice 2291 counts the license twice.\nSent from the accounts office.",
			"<p>The total on invoice 2291 counts the license <b>twice</b>.</p>",
			[]string{"invoice-2291.pdf"}},
		{"an inner boundary that is a prefix of the outer one splits only the inner multipart", "boundary-prefix-nested.eml",
			"The VPN drops every hour on the hour.\nOmar",
			"<p>The VPN drops every hour on the hour.</p>",
			[]string{"vpn.log"}},
		{"a boundary reused by an inner multipart belongs to the inner one until it closes", "boundary-reused.eml",
			"I asked for a password reset three times; no mail came. Übel.\nMy user name is mwong.",
			"<p>I asked for a password reset three times; no mail came.</p>",
			nil},
		{"boundaries that extend each other after a space split only their own multipart", "boundary-spaces.eml",
			"The logo is missing when I export to PDF.\nSam",
			`<p>The logo is missing when I export to PDF.<img src="cid:logo"></p>`,
			[]string{"image/png"}},
		{"the outer close-delimiter ends an inner multipart that never closed", "outer-closes-inner.eml",
			"The export to CSV stops at row 65536.",
			"<p>The export to CSV stops at row 65536.</p>",
			nil},
		{"an outer delimiter ends an unclosed alternative and the multipart inside it", "alternative-unclosed.eml",
			"Meetings show one hour late since the change to summer time.\nSecond note: the mobile app shows the right time.",
			"<p>Meetings show one hour late since the change to summer time.</p>",
			[]string{"calendar.png"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustParse(t, readFixture(t, tc.file))
			if m.Text != tc.text {
				t.Errorf("Text = %q\nwant   %q", m.Text, tc.text)
			}
			if m.HTML != tc.html {
				t.Errorf("HTML = %q\nwant   %q", m.HTML, tc.html)
			}
			var atts []string
			for _, a := range m.Attachments {
				if a.Filename != "" {
					atts = append(atts, a.Filename)
				} else {
					atts = append(atts, a.ContentType)
				}
			}
			if !slices.Equal(atts, tc.atts) {
				t.Errorf("attachments = %q, want %q", atts, tc.atts)
			}
		})
	}
}

func TestMultipartOverThePartLimitKeepsTheRestWhole(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("From: a@b.example\nContent-Type: multipart/mixed; boundary=b\n\n")
	for i := range maxParts + 500 {
		fmt.Fprintf(&sb, "--b\nContent-Type: application/octet-stream\n\npart %d\n", i)
	}
	sb.WriteString("--b\nContent-Type: text/plain\n\nthe last words\n--b--\n")
	m := mustParse(t, []byte(sb.String()))
	last := m.Attachments[len(m.Attachments)-1]
	if !bytes.Contains(last.Data, []byte("part 2499\n")) || !bytes.Contains(last.Data, []byte("the last words")) {
		t.Errorf("the parts past the limit are lost; last attachment holds %q", head(string(last.Data), 80))
	}
	if len(m.Attachments) > maxParts+1 {
		t.Errorf("%d attachments, want at most %d", len(m.Attachments), maxParts+1)
	}
}
