package tickets_test

import (
	"testing"

	"helpdesk/tickets"
)

func TestNormalizeAddress(t *testing.T) {
	for in, want := range map[string]string{
		"Victim@Example.com":            "victim@example.com",
		"victim+1@example.com":          "victim@example.com",
		"victim+a+b@example.com":        "victim@example.com",
		"first.last@example.com":        "first.last@example.com", // dots count outside Gmail
		"First.Last+x@Gmail.com":        "firstlast@gmail.com",
		"f.i.r.s.t.last@googlemail.com": "firstlast@gmail.com",
		"+tagonly@example.com":          "+tagonly@example.com",
		`"victim+1"@example.com`:        "victim@example.com",
		"not an address":                "not an address",
	} {
		if got := tickets.NormalizeAddress(in); got != want {
			t.Errorf("NormalizeAddress(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSourceKey(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.7":          "203.0.113.7",
		"::ffff:203.0.113.7":   "203.0.113.7",
		"2001:db8:7:1::25":     "2001:db8:7:1::/64",
		"2001:db8:7:1:ffff::1": "2001:db8:7:1::/64",
		"":                     "",
		"mail.example.com":     "",
	} {
		if got := tickets.SourceKey(in); got != want {
			t.Errorf("SourceKey(%q) = %q, want %q", in, got, want)
		}
	}
}
