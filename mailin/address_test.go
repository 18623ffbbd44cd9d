package mailin

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseAddressList(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Address
	}{
		{"a quoted display name keeps its comma", `"Doe, John" <John@Example.COM>`, []Address{{"Doe, John", "John@example.com"}}},
		{"an unquoted comma in a display name is rejoined", `Doe, John <john@x.example>, k@y.example`, []Address{{"Doe, John", "john@x.example"}, {"", "k@y.example"}}},
		{"an old-style comment gives the name", `john@x.example (John Doe)`, []Address{{"John Doe", "john@x.example"}}},
		{"an encoded-word display name is decoded", `=?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <j@x.example>`, []Address{{"Jürgen Müller", "j@x.example"}}},
		{"an encoded-word inside quotes is decoded too", `"=?iso-8859-1?q?Ren=E9?=" <r@x.example>`, []Address{{"René", "r@x.example"}}},
		{"mailto and surrounding quotes are dropped", `<mailto:j@x.example>, 'k@y.example'`, []Address{{"", "j@x.example"}, {"", "k@y.example"}}},
		{"an empty group gives nothing", `undisclosed-recipients:;`, []Address{}},
		{"a group gives its members", `Team: a@x.example, b@y.example;`, []Address{{"", "a@x.example"}, {"", "b@y.example"}}},
		{"empty entries are skipped", `a@x.example, , b@y.example`, []Address{{"", "a@x.example"}, {"", "b@y.example"}}},
		{"a quoted local part is kept", `"john doe"@X.example`, []Address{{"", `"john doe"@x.example`}}},
		{"an address without brackets but with a name is found", `John Doe john@x.example`, []Address{{"John Doe", "john@x.example"}}},
		{"a null address keeps its display name", `Mail Delivery System <>`, []Address{{"Mail Delivery System", ""}}},
		{"an address without a domain is kept for fallbacks", `MAILER-DAEMON`, []Address{{"", "MAILER-DAEMON"}}},
		{"a source route is dropped", `<@relay.example:j@x.example>`, []Address{{"", "j@x.example"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := parseAddressList([]byte(tc.in))
			if !slices.Equal(got, tc.want) {
				t.Errorf("parseAddressList(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Time
	}{
		{"an RFC 5322 date", "Mon, 3 Mar 2025 10:15:00 +0100", time.Date(2025, 3, 3, 9, 15, 0, 0, time.UTC)},
		{"a date with a zone comment", "Mon, 03 Mar 2025 10:15:00 +0100 (CET)", time.Date(2025, 3, 3, 9, 15, 0, 0, time.UTC)},
		{"a two-digit year without seconds", "Wed, 11 Feb 98 11:51 +0000", time.Date(1998, 2, 11, 11, 51, 0, 0, time.UTC)},
		{"a missing space after the weekday", "Thu,29 Apr 2006 23:34:45 +0000", time.Date(2006, 4, 29, 23, 34, 45, 0, time.UTC)},
		{"an asctime date", "Mon Mar  3 10:15:00 2025", time.Date(2025, 3, 3, 10, 15, 0, 0, time.UTC)},
		{"a full weekday name", "Monday, 3 Mar 2025 10:15:00 +0000", time.Date(2025, 3, 3, 10, 15, 0, 0, time.UTC)},
		{"garbage gives the zero time", "Malformed Date.", time.Time{}},
		{"an empty value gives the zero time", "", time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseDate(tc.in); !got.Equal(tc.want) {
				t.Errorf("parseDate(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseIDs(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"bracketed ids folded over lines", "<a@x>\n <b@y>\t<c@z>", []string{"a@x", "b@y", "c@z"}},
		{"comma-separated ids", "<a@x>,<b@y>", []string{"a@x", "b@y"}},
		{"a comment around the id is ignored", `<a@x> (Joe's message of "Monday")`, []string{"a@x"}},
		{"ids without brackets", "a@x b@y", []string{"a@x", "b@y"}},
		{"a single bare id", "1234567", []string{"1234567"}},
		{"whitespace inside brackets is removed", "< a@x >", []string{"a@x"}},
		{"duplicates are dropped", "<a@x> <a@x>", []string{"a@x"}},
		{"an unclosed bracket keeps the id", "<a@x", []string{"a@x"}},
		{"empty brackets give nothing", "<>", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseIDs([]byte(tc.in)); !slices.Equal(got, tc.want) {
				t.Errorf("parseIDs(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestAControlCharacterInsideAnAddressIsDropped(t *testing.T) {
	for _, raw := range []string{"<kim\r@example.org>", "Kim <kim@exam\x00ple.org>", "kim\x7f@example.org", "\"ki\rm\"@example.org"} {
		as := parseAddressList([]byte(raw))
		if len(as) != 1 || strings.ContainsAny(as[0].Email, "\r\x00\x7f") {
			t.Errorf("parseAddressList(%q) = %+v, want one address without control characters", raw, as)
		}
	}
}
