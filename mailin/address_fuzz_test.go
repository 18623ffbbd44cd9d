package mailin

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// fixtureHeaderValues returns the values of the named header fields in the
// mails of testdata and testdata/robots, as seeds for the fuzz targets.
func fixtureHeaderValues(tb testing.TB, keys ...string) [][]byte {
	var out [][]byte
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	robots, _ := filepath.Glob(filepath.Join("testdata", "robots", "*.eml"))
	for _, f := range append(files, robots...) {
		raw, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		fields, _ := readHeader(normalizeNewlines(raw), true)
		for _, fl := range fields {
			for _, k := range keys {
				if fl.key == k {
					out = append(out, fl.value)
				}
			}
		}
	}
	return out
}

// FuzzParseAddressList checks the address-list parser on any field value:
// it returns at most maxAddresses entries and no more than the value has
// separators for, every name and address is valid UTF-8 without CR, LF or
// NUL, names are trimmed, domains lowercased; and a plain "Name <addr>"
// written around the fuzzed input comes back as written.
func FuzzParseAddressList(f *testing.F) {
	for _, v := range fixtureHeaderValues(f, "From", "To", "Cc", "Reply-To", "Sender", "Return-Path") {
		f.Add(v, "Kim Doe", "kim.doe", "Example.ORG")
	}
	for _, v := range []string{
		`"Doe, John" <John@Example.COM>`, `Doe, John <john@x.example>, k@y.example`, `john@x.example (John (the) Doe)`,
		`=?utf-8?q?J=C3=BCrgen?= <j@x.example>`, `"=?iso-8859-1?q?Ren=E9?=" <r@x.example>`, `<mailto:j@x.example?subject=hi>`,
		`undisclosed-recipients:;`, `Team: a@x.example, b@y.example;`, `"john doe"@X.example`, `Mail Delivery System <>`,
		`<@relay.example,@b.example:j@x.example>`, `"unterminated <a@b.example>`, `(unterminated comment a@b.example`,
		`a@b.example>`, `<<a@b.example>>`, `"\"" <q@x.example>`, `=?utf-8?q?a=0D=0Ab?= <crlf@x.example>`,
		"kim\r@example.org", "Kim\x00 <k@x.example>", "\xff\xfe <bad@utf8.example>", `=?utf-8?b?S2ltDQpCY2M6IGV2aWxAeC5leGFtcGxl?= <k@x.example>`,
		strings.Repeat("a@b.example,", 50), strings.Repeat("(", 200) + "a@b.example", strings.Repeat(`"`, 99),
	} {
		f.Add([]byte(v), "Kim Doe", "kim.doe", "Example.ORG")
	}
	f.Fuzz(func(t *testing.T, v []byte, name, local, domain string) {
		// Field values reach the parser unfolded: readHeader drops the LFs.
		v = bytes.ReplaceAll(v, []byte("\n"), nil)
		got := parseAddressList(v)
		if len(got) > maxAddresses {
			t.Fatalf("%d addresses, over the cap of %d", len(got), maxAddresses)
		}
		if seps := bytes.Count(v, []byte(",")) + bytes.Count(v, []byte(";")) + 1; len(got) > seps {
			t.Fatalf("%d addresses from a value with %d entries at most: %q", len(got), seps, v)
		}
		for _, a := range got {
			checkAddress(t, v, a)
		}

		// A well-formed mailbox parses back to what was written.
		name, local, domain = keepOnly(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "),
			keepOnly(local, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~."),
			keepOnly(domain, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")
		local, domain = strings.Trim(local, ".'"), strings.Trim(domain, ".-")
		if local == "" || domain == "" || strings.Contains(local, "..") || strings.Contains(domain, "..") {
			return
		}
		wantName := collapseSpace(name)
		for _, written := range []string{wantName + " <" + local + "@" + domain + ">", `"` + wantName + `" <` + local + "@" + domain + ">"} {
			want := Address{Name: wantName, Email: local + "@" + strings.ToLower(domain)}
			if got := parseAddressList([]byte(written)); len(got) != 1 || got[0] != want {
				t.Fatalf("parseAddressList(%q) = %q, want %q", written, got, want)
			}
		}
	})
}

func checkAddress(t *testing.T, v []byte, a Address) {
	t.Helper()
	if !utf8.ValidString(a.Name) || strings.ContainsAny(a.Name, "\r\n\x00") {
		t.Fatalf("parseAddressList(%q): name %q is not one line of valid UTF-8", v, a.Name)
	}
	if !utf8.ValidString(a.Email) || strings.ContainsAny(a.Email, "\r\n\x00") {
		t.Fatalf("parseAddressList(%q): address %q is not one line of valid UTF-8", v, a.Email)
	}
	if a.Name != strings.TrimSpace(a.Name) {
		t.Fatalf("parseAddressList(%q): name %q is not trimmed", v, a.Name)
	}
	if i := strings.LastIndexByte(a.Email, '@'); i >= 0 && a.Email[i+1:] != strings.ToLower(a.Email[i+1:]) {
		t.Fatalf("parseAddressList(%q): domain of %q is not lowercased", v, a.Email)
	}
}

// keepOnly returns s without the bytes that are not in allowed.
func keepOnly(s, allowed string) string {
	return strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf && strings.ContainsRune(allowed, r) {
			return r
		}
		return -1
	}, s)
}
