package templates

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Reload reads the templates folder again. When every template checks,
// the new version replaces the old one at once for every later Render;
// else it returns the problems as an *Error and the last good version
// keeps serving.
func (s *Set) Reload() error {
	st, err := load(s.opts)
	if err != nil {
		return err
	}
	s.cur.Store(st)
	return nil
}

// Changed reports whether the folder differs from what the serving
// version was read from: a file added, removed, resized or touched.
func (s *Set) Changed() bool {
	if s.opts.Dir == "" {
		return false
	}
	stamp, err := fingerprint(s.opts.Dir)
	return err != nil || stamp != s.cur.Load().stamp
}

// maxFingerprinted is the largest file whose content the fingerprint
// hashes; a template is a few KiB, and a stray large file in the folder
// is known by its size and time alone.
const maxFingerprinted = 1 << 20

// DefaultWatchInterval is how often Watch looks at the folder.
const DefaultWatchInterval = time.Second

// Watch looks at the templates folder every interval until ctx ends and
// reloads it when a file changed. A change that breaks a template is
// logged, one line per problem with its file and line, and the last good
// version keeps serving; the same broken state is logged once.
//
// It polls the folder's file sizes and times rather than asking the
// kernel for change events: the folder holds a few dozen small files, a
// look costs a few stat calls, and polling sees edits the same way on
// every file system, bind mounts and network shares included, and
// whatever way an editor saves (in place or by renaming a new file over
// the old one).
func (s *Set) Watch(ctx context.Context, interval time.Duration, log *slog.Logger) error {
	if s.opts.Dir == "" {
		return nil
	}
	if interval <= 0 {
		interval = DefaultWatchInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	failed := "" // the fingerprint of a folder that did not load
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		stamp, err := fingerprint(s.opts.Dir)
		if err != nil {
			if stamp != failed {
				log.WarnContext(ctx, "templates folder unreadable; the last good templates keep serving", slog.Any("err", err))
				failed = stamp
			}
			continue
		}
		if stamp == s.cur.Load().stamp || stamp == failed {
			continue
		}
		err = s.Reload()
		if err == nil {
			failed = ""
			log.InfoContext(ctx, "templates reloaded", slog.String("dir", s.opts.Dir))
			continue
		}
		failed = stamp
		var te *Error
		if !errors.As(err, &te) {
			log.WarnContext(ctx, "templates not reloaded; the last good templates keep serving", slog.Any("err", err))
			continue
		}
		for _, p := range te.Problems {
			log.WarnContext(ctx, "template problem; the last good templates keep serving",
				slog.String("file", p.Path), slog.Int("line", p.Line), slog.String("problem", p.Msg))
		}
	}
}

// fingerprint sums up the folder's files (up to three levels deep: a
// queue's language folder) by path, size, modification time and a hash
// of the content (a file system whose times have a coarse grain would
// hide an edit that keeps the size within the same second).
func fingerprint(dir string) (string, error) {
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel != "." && strings.Count(rel, string(filepath.Separator)) >= 3 {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		sum := uint64(0)
		if info.Mode().IsRegular() && info.Size() <= maxFingerprinted {
			content, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h := fnv.New64a()
			h.Write(content)
			sum = h.Sum64()
		}
		fmt.Fprintf(&b, "%s\x00%d\x00%d\x00%x\n", rel, info.Size(), info.ModTime().UnixNano(), sum)
		return nil
	})
	if err != nil {
		return "error: " + err.Error(), err
	}
	return b.String(), nil
}
