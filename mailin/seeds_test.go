package mailin

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// mailSeeds are raw mails to seed the fuzzers: every fixture under
// testdata/ (its sub-folders included), then up to max mails of each
// folder of the shared corpus (../shared/corpus, skipped when absent),
// none over 64 KiB, so that a seeded run stays quick.
func mailSeeds(f *testing.F, globs []string, max int) [][]byte {
	var seeds [][]byte
	add := func(paths []string, limit int) {
		sort.Strings(paths)
		n := 0
		for _, p := range paths {
			if limit > 0 && n >= limit {
				return
			}
			st, err := os.Stat(p)
			if err != nil || st.IsDir() || st.Size() > 64<<10 {
				continue
			}
			raw, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			seeds = append(seeds, raw)
			n++
		}
	}
	for _, g := range []string{"*.eml", "*/*.eml"} {
		paths, _ := filepath.Glob(filepath.Join("testdata", g))
		add(paths, 0)
	}
	corpus := filepath.Join(repoRoot(f), "..", "shared", "corpus")
	if !dirExists(corpus) {
		f.Logf("no shared corpus at %s: seeding from testdata/ only", corpus)
		return seeds
	}
	for _, g := range globs {
		paths, _ := filepath.Glob(filepath.Join(corpus, g))
		add(paths, max)
	}
	return seeds
}
