package mailin

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

var decodedBodyRE = regexp.MustCompile(`<(text|binary)-body name="([^"]+)"/>`)

// mime4jDifferences are the decoded parts of the mime4j expectations that
// Parse knowingly does not reproduce.
var mime4jDifferences = map[string]string{
	"double-semicolon_decoded_1_2.txt":                   "multipart/alternative keeps only the first plain text (RFC 2046 5.1.4)",
	"double-semicolon2_decoded_1_2.txt":                  "multipart/alternative keeps only the first plain text (RFC 2046 5.1.4)",
	"multi-frag_decoded_1_3_2.bin":                       "a base64 part broken by free text decodes differently",
	"malformedHeaderStartsBody-nocrlfcrlf_decoded_1.txt": "mime4j reads the same stray header line both ways; Parse follows malformedHeader-nocrlfcrlf",
}

// collectContent gathers every decoded text and attachment of m, and of
// the messages attached to it.
func collectContent(m *Message, depth int) [][]byte {
	pool := [][]byte{[]byte(m.Text), []byte(m.HTML)}
	for _, a := range m.Attachments {
		pool = append(pool, a.Data)
		if a.ContentType == "message/rfc822" && depth < 5 {
			if inner, err := Parse(append([]byte("From: inner@example.org\n"), a.Data...), ParseOptions{}); err == nil {
				pool = append(pool, collectContent(inner, depth+1)...)
			}
		}
	}
	return pool
}

// TestMime4jDecodedPartsAreFound checks Parse against the decoded parts
// that mime4j expects for its edge cases (bad boundaries, bad newlines,
// nested messages...). The messages get a From line, as most have none.
func TestMime4jDecodedPartsAreFound(t *testing.T) {
	dir := corpusDir(t, "mime4j")
	xmls, _ := filepath.Glob(filepath.Join(dir, "*", "*_decoded.xml"))
	if len(xmls) == 0 {
		t.Skip("no mime4j decoded expectations")
	}
	checked, found := 0, 0
	for _, x := range xmls {
		msg := strings.TrimSuffix(x, "_decoded.xml") + ".msg"
		raw, err := os.ReadFile(msg)
		if err != nil {
			continue
		}
		m, err := Parse(append([]byte("From: corpus@example.org\n"), raw...), ParseOptions{})
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(msg), err)
			continue
		}
		pool := collectContent(m, 0)
		spec, _ := os.ReadFile(x)
		for _, sm := range decodedBodyRE.FindAllStringSubmatch(string(spec), -1) {
			want, err := os.ReadFile(filepath.Join(filepath.Dir(x), sm[2]))
			if err != nil {
				continue
			}
			want = bytes.TrimSpace(bytes.ReplaceAll(want, []byte("\r\n"), []byte("\n")))
			if len(want) == 0 || sm[1] == "text" && !utf8.Valid(want) {
				continue
			}
			checked++
			ok := false
			for _, p := range pool {
				if bytes.Contains(bytes.ReplaceAll(p, []byte("\r\n"), []byte("\n")), want) {
					ok = true
					break
				}
			}
			switch why, known := mime4jDifferences[sm[2]]; {
			case ok:
				found++
			case known:
				t.Logf("%s: part %s not found, as expected: %s", filepath.Base(msg), sm[2], why)
			default:
				t.Errorf("%s: decoded part %s is in neither Text, HTML nor an attachment", filepath.Base(msg), sm[2])
			}
		}
	}
	t.Logf("mime4j: %d of %d decoded parts found in Text, HTML or attachments", found, checked)
}
