package mailin

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// This file measures NewText on replies written in many clients and
// languages: the shared corpus (../shared/corpus/replies) and the
// project's own cases (testdata/replies), each NAME.eml with the new text
// in NAME.expected.txt and its signature policy in INDEX.tsv. A reply is
// exactly right when NewText's result equals the expected text after
// trailing white space is stripped from every line and blank lines from
// both ends. The figure is in bench/RESULTS.md; the test fails when the
// share drops under 95% in the corpus or in all cases together.

// replyCase is one reply with its expected new text.
type replyCase struct {
	name, path string
	opts       StripOptions
	expected   string
}

// loadReplyCases reads a folder of replies and its INDEX.tsv, whose
// header names the signature_policy column (and, in our own cases, a
// marker column).
func loadReplyCases(t *testing.T, dir string) []replyCase {
	t.Helper()
	index, err := os.ReadFile(filepath.Join(dir, "INDEX.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimRight(string(index), "\n"), "\n")
	cols := map[string]int{}
	for k, name := range strings.Split(rows[0], "\t") {
		cols[name] = k
	}
	policyCol, ok := cols["signature_policy"]
	if !ok {
		t.Fatalf("%s/INDEX.tsv has no signature_policy column", dir)
	}
	markerCol, hasMarker := cols["marker"]
	var cases []replyCase
	for _, row := range rows[1:] {
		f := strings.Split(row, "\t")
		c := replyCase{name: f[0], path: filepath.Join(dir, f[0]+".eml")}
		c.opts.StripSignatures = f[policyCol] == "strip"
		if hasMarker && markerCol < len(f) && f[markerCol] != "" {
			c.opts.Markers = []string{f[markerCol]}
		}
		want, err := os.ReadFile(filepath.Join(dir, f[0]+".expected.txt"))
		if err != nil {
			t.Fatal(err)
		}
		c.expected = normReply(string(want))
		cases = append(cases, c)
	}
	return cases
}

// normReply strips trailing white space from every line and blank lines
// from both ends, as the corpus README says to compare.
func normReply(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for k, l := range lines {
		lines[k] = strings.TrimRight(l, " \t\u00a0")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// scoreReplies runs NewText on every case and returns how many came out
// exactly right, logging each miss.
func scoreReplies(t *testing.T, cases []replyCase) int {
	right := 0
	for _, c := range cases {
		raw, err := os.ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Parse(raw, ParseOptions{})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		got := normReply(NewText(m, c.opts))
		if got == c.expected {
			right++
			continue
		}
		t.Logf("%s: not exactly right\n--- got\n%s\n--- want\n%s", c.name, got, c.expected)
	}
	return right
}

func TestNewTextReplies(t *testing.T) {
	own := loadReplyCases(t, filepath.Join("testdata", "replies"))
	var corpus []replyCase
	dir := filepath.Join(repoRoot(t), "..", "shared", "corpus", "replies")
	if _, err := os.Stat(dir); err != nil {
		t.Logf("corpus folder %s is absent, measuring our own cases only: %v", dir, err)
	} else {
		corpus = loadReplyCases(t, dir)
	}
	corpusRight := scoreReplies(t, corpus)
	ownRight := scoreReplies(t, own)
	all, allRight := len(corpus)+len(own), corpusRight+ownRight
	fmt.Printf("quote stripping: corpus exactly right %d/%d, own cases %d/%d, all exactly right %d/%d (%.1f%%)\n",
		corpusRight, len(corpus), ownRight, len(own), allRight, all, 100*float64(allRight)/float64(all))
	if len(corpus) > 0 && corpusRight*100 < 95*len(corpus) {
		t.Errorf("corpus: exactly right %d/%d, under 95%%", corpusRight, len(corpus))
	}
	if allRight*100 < 95*all {
		t.Errorf("all cases: exactly right %d/%d, under 95%%", allRight, all)
	}
}
