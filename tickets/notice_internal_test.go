package tickets

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDefangRemovesLinksAndCaps(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Cannot log in", "Cannot log in"},
		{"Win at https://spam.example.com/x?y=1 now", "Win at [link removed] now"},
		{"see HTTP://EVIL.EXAMPLE.COM.", "see [link removed]"},
		{"go to www.prize.test or bit.ly/3xYz", "go to [link removed] or [link removed]"},
		{"mail claims@prize.com today", "mail [link removed] today"},
		{"my page alice.github.io", "my page [link removed]"},
		{"mailto:win@prize.com", "[link removed]"},
		{"version 1.2.3 and report.pdf", "version 1.2.3 and report.pdf"},
		{"Order #1042 failed.", "Order #1042 failed."},
	} {
		if got := defang(tc.in, 80); got != tc.want {
			t.Errorf("defang(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	long := strings.Repeat("ü", 200)
	if got := defang(long, 80); utf8.RuneCountInString(got) != 80 || !strings.HasSuffix(got, "…") {
		t.Errorf("defang of 200 characters = %d characters %q, want 80 ending in …", utf8.RuneCountInString(got), got)
	}
}
