package tickets_test

import (
	"strconv"
	"strings"
	"testing"

	"helpdesk/tickets"
)

// FuzzSubjectTag checks the subject tag on any subject: the number read
// from a tag is the number written, Ensure puts the ticket's own tag first,
// and Strip leaves no tag behind.
func FuzzSubjectTag(f *testing.F) {
	tag := tickets.NewSubjectTag("HD")
	for _, seed := range []string{
		"", "Re: [HD#1042] Printer", "AW: [ hd # 7 ] x", "[HD#]", "[HD#-1]", "[HD#0042]", "[HD#1234567890123456789]",
		"[HD#99999999999999999999] x", "[HD[HD#5]#7] nested", "[[HD#1]HD#2]", "Fwd: [XY#1042] other desk",
		"Re: [HD#1]\t[HD#2]  two", "[HD\u00a0#\u00a01]", "[ＨＤ#１]", "\xff[HD#3]\xfe",
	} {
		f.Add(seed, int64(1042))
	}
	for _, subject := range headerSeeds(f, "Subject") {
		f.Add(subject, int64(7))
	}
	f.Add("Printer", int64(1_000_000_000_000_000_000))
	f.Fuzz(func(t *testing.T, subject string, id int64) {
		got, ok := tag.Find(subject)
		if ok {
			if got < 0 {
				t.Fatalf("Find(%q) = %d", subject, got)
			}
			if e := tag.Ensure(subject, got); e != subject {
				t.Fatalf("Ensure(%q, %d) = %q, but the subject carries that tag", subject, got, e)
			}
		}
		if stripped := tag.Strip(subject); true {
			if n, ok := tag.Find(stripped); ok {
				t.Fatalf("Strip(%q) = %q still holds tag %d", subject, stripped, n)
			}
		}
		if id < 0 {
			id = -(id + 1)
		}
		written := "[HD#" + strconv.FormatInt(id, 10) + "] " + subject
		if got, ok := tag.Find(written); !ok || got != id {
			t.Fatalf("Find(%q) = %d, %v; want %d", written, got, ok, id)
		}
		spaced := "Re: [ hd # " + strings.Repeat("0", int(id%3)) + strconv.FormatInt(id, 10) + " ] " + subject
		if got, ok := tag.Find(spaced); !ok || got != id {
			t.Fatalf("Find(%q) = %d, %v; want %d", spaced, got, ok, id)
		}
		ensured := tag.Ensure(subject, id)
		if got, ok := tag.Find(ensured); !ok || got != id {
			t.Fatalf("Find(Ensure(%q, %d) = %q) = %d, %v", subject, id, ensured, got, ok)
		}
		if again := tag.Ensure(ensured, id); again != ensured {
			t.Fatalf("Ensure is not stable: %q then %q", ensured, again)
		}
	})
}
