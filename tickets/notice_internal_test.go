package tickets

import (
	"math/rand/v2"
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

// defangWhole is defang as it was before it searched only the head: the
// whole text, then the cap.
func defangWhole(text string, max int) string {
	text = linkRE.ReplaceAllStringFunc(text, func(m string) string {
		if isLink(m) {
			return linkRemoved
		}
		return m
	})
	if utf8.RuneCountInString(text) > max {
		r := []rune(text)
		text = strings.TrimRight(string(r[:max-1]), " ") + "…"
	}
	return text
}

func TestDefangOfTheHeadIsDefangOfTheWhole(t *testing.T) {
	pieces := []string{"word", "ü", "Grüße", "https://spam.example.com/" + strings.Repeat("x", 120), "www.prize.test",
		"bit.ly/3xYz", "www.x", "claims@prize.com", "report.pdf", "1.2.3", "alice.github.io", "mailto:a@b.com", "(see", "x.com)",
		" ", " ", "\t", "\n", "\r\n", "\f", "\v", "\u00a0", "\u2003", "", "—", "."}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		var b strings.Builder
		for range rng.IntN(400) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		text := b.String()
		for _, max := range []int{1, 7, 80, 1000} {
			if got, want := defang(text, max), defangWhole(text, max); got != want {
				t.Fatalf("defang(%q, %d)\n = %q\nwant %q", text, max, got, want)
			}
		}
	}
}
