package triage

import (
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestFingerprintsDecideAsTheMailsDo: for mails of ordinary length, a
// comparison of fingerprints gives Duplicate's answer, pair by pair.
func TestFingerprintsDecideAsTheMailsDo(t *testing.T) {
	texts := map[string]string{
		"request":          request,
		"rewrapped upper":  strings.ToUpper(strings.Join(strings.Fields(request), " ")),
		"crlf":             strings.ReplaceAll(request, "\n", "\r\n"),
		"quoted below":     request + "\nOn Mon, 3 Jun 2024 at 09:12, Ann Smith <ann@example.com> wrote:\n> Hello,\n> an earlier mail\n",
		"quoted above":     "> Earlier mail text\n> more of it\n\n" + request,
		"outlook original": request + "\n-----Original Message-----\nFrom: Ann Smith\n\nSomething else.\n",
		"one word changed": strings.Replace(request, "tomorrow", "on Friday", 1),
		"typo":             strings.Replace(request, "printer", "pritner", 1),
		"sentence added":   request + "\nAlso the scanner on the third floor needs toner, and the coffee machine leaks.\n",
		"sentence removed": strings.Replace(request, "We have a board meeting tomorrow and need the handouts.", "", 1),
		"another text":     "Hello, my laptop does not start since the update. It shows a black screen. Ann",
		"short":            "please reset my password",
		"short longer":     "please reset my password now",
		"thanks":           "Thanks!",
		"thanks spaced":    "  thanks! ",
		"empty":            "",
		"only a quote":     "\n> only a quote\n",
	}
	var mails []Mail
	for name, text := range texts {
		for _, ms := range [][2]string{
			{"ann@example.com", "Printer on fire"},
			{"ANN@example.com ", "Fwd: [HD#1042] printer on fire"},
			{"bob@example.com", "Printer on fire"},
			{"", "Printer on fire"},
			{"ann@example.com", "Printer jammed"},
		} {
			mails = append(mails, Mail{From: ms[0], Subject: ms[1], Body: text, FromName: name})
		}
	}
	fps := make([]Fingerprint, len(mails))
	for i, m := range mails {
		fps[i] = FingerprintOf(m)
	}
	for i, a := range mails {
		for j, b := range mails {
			if want, got := Duplicate(a, b), fps[i].Repeats(fps[j]); got != want {
				t.Errorf("%q from %q, subject %q vs %q from %q, subject %q: fingerprints say %v, Duplicate %v",
					a.FromName, a.From, a.Subject, b.FromName, b.From, b.Subject, got, want)
			}
		}
	}
}

// words returns n random words of 3 to 9 letters, the same for the same seed.
func words(seed uint64, n int) string {
	rng := rand.New(rand.NewPCG(seed, 1))
	var sb strings.Builder
	for i := range n {
		for range 3 + rng.IntN(7) {
			sb.WriteByte(byte('a' + rng.IntN(26)))
		}
		if i%12 == 11 {
			sb.WriteByte('\n')
		} else {
			sb.WriteByte(' ')
		}
	}
	return sb.String()
}

func TestFingerprintsOfLongTextsAgreeWithDuplicate(t *testing.T) {
	long := words(1, 10_000) // about 70 KB
	for _, tc := range []struct {
		name string
		b    string
		want bool
	}{
		{"the same long text", long, true},
		{"the same long text with a quote above", "> earlier\n> words\n\n" + long, true},
		{"a few words changed near the end", long[:len(long)-200] + words(2, 30), true},
		{"the same first 16 KB, then another text", long[:HeadBytes+100] + words(3, 8_000), false},
		{"a quarter more text", long + words(4, 2_500), false},
		{"another long text", words(5, 10_000), false},
		{"a short text", "Thanks, it works now.", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := Mail{From: "ann@example.com", Subject: "Logs", Body: long}
			b := Mail{From: "ann@example.com", Subject: "Re: Logs", Body: tc.b}
			if d := Duplicate(a, b); d != tc.want {
				t.Fatalf("Duplicate = %v, want %v: the case is wrong", d, tc.want)
			}
			if got := FingerprintOf(a).Repeats(FingerprintOf(b)); got != tc.want {
				t.Errorf("Repeats = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAFingerprintIsBoundedWhateverTheText(t *testing.T) {
	fp := FingerprintOf(Mail{From: "a@b.example", Subject: "s", Body: strings.Repeat(words(6, 1000), 1500)}) // ~9 MB
	if fp.Text != "" || len(fp.Sketch) != SketchSize || len(fp.TextHash) != 64 {
		t.Errorf("fingerprint keeps %d bytes of text and %d hashes; want none and %d", len(fp.Text), len(fp.Sketch), SketchSize)
	}
	short := FingerprintOf(Mail{From: "a@b.example", Body: "Short text."})
	if short.Text != "short text." || len(short.Sketch) != 7 {
		t.Errorf("short text: %q, %d hashes; want the text whole and its 7 shingles", short.Text, len(short.Sketch))
	}
}

func TestAFingerprintKeepsTheCountAndTheSmallestOfTheDistinctShingles(t *testing.T) {
	for _, body := range []string{
		"",
		"Hi.",
		strings.Repeat("The export to CSV stops at row 65536 and the file is cut off. ", 20),
		strings.Repeat("Grüße aus Köln, die Ausfuhr bricht ab. ", 200),
	} {
		fp := FingerprintOf(Mail{From: "a@b.test", Subject: "s", Body: body})
		want := slices.Sorted(maps.Keys(shingles(ownText(body))))
		if fp.Shingles != len(want) || !slices.Equal(fp.Sketch, want[:min(len(want), SketchSize)]) {
			t.Errorf("text of %d bytes: %d shingles and a sketch of %d, want %d and the %d smallest", len(body), fp.Shingles, len(fp.Sketch), len(want), min(len(want), SketchSize))
		}
	}
}
