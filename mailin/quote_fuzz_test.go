package mailin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// quoteSeeds are texts and HTML bodies of replies to seed the fuzzers:
// our own reply cases and the shared corpus's (their decoded bodies), and
// a few hostile shapes.
func quoteSeeds(f *testing.F) (texts, htmls []string) {
	files, _ := filepath.Glob(filepath.Join("testdata", "replies", "*.eml"))
	for _, p := range files {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		m, err := Parse(raw, ParseOptions{})
		if err != nil {
			f.Fatal(err)
		}
		texts = append(texts, m.Text)
		if m.HTML != "" {
			htmls = append(htmls, m.HTML)
		}
	}
	corpus := filepath.Join(repoRoot(f), "..", "shared", "corpus", "replies")
	shared, _ := filepath.Glob(filepath.Join(corpus, "*.eml"))
	if len(shared) == 0 {
		f.Logf("no shared corpus at %s: seeding from testdata/replies only", corpus)
	}
	for _, p := range shared {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if m, err := Parse(raw, ParseOptions{}); err == nil {
			texts = append(texts, m.Text)
			if m.HTML != "" {
				htmls = append(htmls, m.HTML)
			}
		}
	}
	texts = append(texts, "", "\n", ">", "> >", "-- ", "From: a\nSent: b\nTo: c\nSubject: d",
		"x On Mon, 6 Jan 2025 10:02, a@b.c wrote:\n> y", "On\nOn\nOn\nOn 6 Jan 2025, a@b.c wrote:",
		"\uE002\n\uE000", "a\r\nb\rc", "\xff\xfe wrote:\n> x", strings.Repeat("> ", 100)+"x")
	htmls = append(htmls, "", "<blockquote type=cite>", "</blockquote></div>", "<div id=divRplyFwdMsg>",
		"<div class=gmail_quote><blockquote>a</blockquote>b</div>c", "<p class=MsoNormal><p class=MsoNormal>")
	return texts, htmls
}

// FuzzStripQuoted checks StripQuoted on any text: it does not panic, and
// every line of its result is a line of the input, or the start of one,
// in the input's order — it never makes up text.
func FuzzStripQuoted(f *testing.F) {
	texts, _ := quoteSeeds(f)
	for _, s := range texts {
		f.Add(s, deskMarker, false)
		f.Add(s, "", true)
	}
	f.Fuzz(func(t *testing.T, text, marker string, strip bool) {
		got := StripQuoted(text, StripOptions{Markers: []string{marker}, StripSignatures: strip})
		if got == "" {
			return
		}
		in := strings.Split(text, "\n")
		k := 0
		for _, line := range strings.Split(got, "\n") {
			for k < len(in) && !strings.HasPrefix(strings.TrimSuffix(in[k], "\r"), line) {
				k++
			}
			if k == len(in) {
				t.Fatalf("result line %q is not in the input, in order\ninput %q\nresult %q", line, text, got)
			}
			k++
		}
	})
}

// FuzzStripQuotedHTML checks StripQuotedHTML on any HTML: it does not
// panic and none of its internal marks leaks into the result.
func FuzzStripQuotedHTML(f *testing.F) {
	_, htmls := quoteSeeds(f)
	for _, s := range htmls {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		got := StripQuotedHTML(h, StripOptions{Markers: []string{deskMarker}})
		if strings.ContainsAny(got, "\uE000\uE001\uE002\uE003") {
			t.Fatalf("a mark leaked into %q", got)
		}
	})
}
