package tickets_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// headerSeeds returns the values of the named header fields (unfolded,
// undecoded) in the project's mail fixtures (mailin/testdata) and, where
// it is there, the shared corpus of replies (../shared/corpus/replies),
// to seed the fuzzers of subject tags and reply tokens with what mail
// really carries.
func headerSeeds(f *testing.F, names ...string) []string {
	var paths []string
	for _, g := range []string{"*.eml", "*/*.eml"} {
		m, _ := filepath.Glob(filepath.Join("..", "mailin", "testdata", g))
		paths = append(paths, m...)
	}
	corpus, _ := filepath.Glob(filepath.Join("..", "..", "shared", "corpus", "replies", "*.eml"))
	if len(corpus) == 0 {
		f.Log("no shared corpus of replies (../shared/corpus/replies): seeding from mailin/testdata only")
	}
	paths = append(paths, corpus...)
	var out []string
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil || len(raw) > 1<<20 {
			continue
		}
		head, _, _ := strings.Cut(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n\n")
		head = strings.NewReplacer("\n ", " ", "\n\t", " ").Replace(head)
		for _, line := range strings.Split(head, "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			for _, n := range names {
				if strings.EqualFold(strings.TrimSpace(k), n) {
					out = append(out, strings.TrimSpace(v))
				}
			}
		}
	}
	return out
}
