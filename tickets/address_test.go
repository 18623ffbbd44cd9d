package tickets_test

import (
	"testing"

	"helpdesk/tickets"
)

func TestStripPlusTag(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"a tag is dropped", "kim+1042@example.com", "kim@example.com"},
		{"everything after the first plus is the tag", "kim+a+b@example.com", "kim@example.com"},
		{"an address without a tag stays", "kim@example.com", "kim@example.com"},
		{"a local part starting with a plus names no mailbox before it and stays", "+kim@example.com", "+kim@example.com"},
		{"a plus in the domain is not a tag", "kim@ex+ample.com", "kim@ex+ample.com"},
		{"text without an at sign stays", "kim+1042", "kim+1042"},
	} {
		if got := tickets.StripPlusTag(tc.in); got != tc.want {
			t.Errorf("%s: StripPlusTag(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

func TestOneAddressWrittenTwoWaysIsTheSame(t *testing.T) {
	if got := tickets.EmailKey("  Kim@Example.COM\t"); got != "kim@example.com" {
		t.Errorf("EmailKey = %q", got)
	}
	if !tickets.SameEmail("Kim@Example.com", " kim@example.com") || tickets.SameEmail("kim@example.com", "kim+1@example.com") {
		t.Error("SameEmail compares the address, case and surrounding space aside, and a tag is part of it")
	}
}
