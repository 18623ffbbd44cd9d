package mailin

import (
	"bytes"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReadHeader checks the header reader on any bytes: the body it
// returns is the tail of the input, every field has a canonical name and
// an unfolded value under the length cap, there are no more fields than
// lines, writing the fields out again reads back the same, and every
// decoded value is one line of valid UTF-8 without NUL.
func FuzzReadHeader(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	robots, _ := filepath.Glob(filepath.Join("testdata", "robots", "*.eml"))
	for _, p := range append(files, robots...) {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, true)
	}
	for _, s := range []string{
		"", "\n", "\r\n\r\nbody", "From nobody Mon Jan  1 00:00:00 2024\nSubject: x\n\nbody",
		"Subject: folded\n line\n\tagain\n\nbody", "Subject: a\n \n b\n\nbody", "No colon line\nSubject: x\n\n",
		"Subject : spaced name\n\n", ": no name\n\n", "Sub\x00ject: nul\n\n", "Subject: =?utf-8?q?a=0D=0Ab?=\n\n",
		"Subject: =?utf-8?b?4pyT?= =?utf-8?b?IOKckw==?=\n\n", "Subject: =?x?q?" + strings.Repeat("=?", 600) + "\n\n",
		"Subject: =?iso-2022-jp?b?GyRCJEYkOSRIGyhC?=\n\n", "Subject: a\rb\n\n", "X: " + strings.Repeat("a", 70000) + "\n\n",
		"Subject: \xff\xfe\n\n", " leading fold\nSubject: x\n\n",
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, raw []byte, top bool) {
		data := normalizeNewlines(raw)
		fields, body := readHeader(data, top)
		if !bytes.HasSuffix(data, body) {
			t.Fatalf("body %q is not the tail of the input", body)
		}
		if lines := bytes.Count(data, []byte("\n")) + 1; len(fields) > lines {
			t.Fatalf("%d fields from %d lines", len(fields), lines)
		}
		var again bytes.Buffer
		for _, fl := range fields {
			if fl.key == "" || fl.key != textproto.CanonicalMIMEHeaderKey(fl.key) || strings.ContainsAny(fl.key, ": \t\r\n") {
				t.Fatalf("field name %q is not a canonical header name", fl.key)
			}
			if bytes.IndexByte(fl.value, '\n') >= 0 || len(fl.value) > maxFieldLen {
				t.Fatalf("%s: value of %d bytes is not unfolded and capped: %q", fl.key, len(fl.value), fl.value)
			}
			if d := decodeWords(fl.value); !utf8.ValidString(d) || strings.ContainsAny(d, "\x00\r\n") {
				t.Fatalf("%s: decoded value %q is not one line of valid UTF-8 without NUL", fl.key, d)
			}
			again.WriteString(fl.key + ": ")
			again.Write(fl.value)
			again.WriteByte('\n')
		}
		again.WriteString("\nbody")
		reread, rest := readHeader(again.Bytes(), false)
		if len(reread) != len(fields) || string(rest) != "body" {
			t.Fatalf("writing %d fields out and reading them again gave %d fields and body %q", len(fields), len(reread), rest)
		}
		for i := range fields {
			if reread[i].key != fields[i].key || !bytes.Equal(reread[i].value, fields[i].value) {
				t.Fatalf("field %d read back as %s: %q, was %s: %q", i, reread[i].key, reread[i].value, fields[i].key, fields[i].value)
			}
		}
	})
}
