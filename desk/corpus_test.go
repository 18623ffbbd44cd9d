package desk_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helpdesk/tickets"
)

// corpusDir returns ../shared/corpus beside the repository, or skips.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "shared", "corpus"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("mail corpora not found at %s: %v", dir, err)
	}
	return dir
}

func corpusFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() || strings.HasSuffix(name, ".expected.txt") || strings.HasSuffix(name, ".xml") {
			return nil
		}
		if strings.HasSuffix(name, ".eml") || strings.HasSuffix(name, ".msg") ||
			(strings.HasSuffix(name, ".txt") && strings.Contains(path, "mimekit")) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// Every corpus mail goes through the real delivery path and is either on a
// ticket or in the quarantine: none is lost, none fails the desk.
func TestCorporaGoThroughIngestWithoutLoss(t *testing.T) {
	root := corpusDir(t)
	for _, set := range []string{"mime4j", "mimekit", "replies", "sisimai"} {
		t.Run(set, func(t *testing.T) {
			h := newHarness(t)
			files := corpusFiles(t, filepath.Join(root, set))
			if len(files) == 0 {
				t.Skipf("no mails in %s", set)
			}
			var created, threaded, duplicate, quarantined int
			held := map[int64]bool{} // quarantine rows: the same bytes twice are one
			for _, f := range files {
				raw, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				out, err := h.desk.Deliver(h.ctx, "support", raw)
				if err != nil {
					t.Errorf("%s: %v", filepath.Base(f), err)
					continue
				}
				switch {
				case out.Quarantined && held[out.QuarantineID]:
					duplicate++
				case out.Quarantined:
					held[out.QuarantineID] = true
					quarantined++
				case out.Duplicate:
					duplicate++
				case out.Created:
					created++
				default:
					threaded++
				}
			}
			var stored int
			list, err := h.desk.Store.ListTickets(h.ctx, tickets.TicketFilter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, tk := range list {
				for _, m := range h.messages(tk.ID) {
					if m.Direction == tickets.In {
						stored++
					}
				}
			}
			q, _ := h.desk.Store.QuarantineList(h.ctx)
			if stored+len(q)+duplicate != len(files) {
				t.Errorf("%d mails in, but %d stored + %d quarantined + %d duplicates", len(files), stored, len(q), duplicate)
			}
			t.Logf("%s: %d mails: %d new tickets, %d replies, %d duplicates, %d quarantined",
				set, len(files), created, threaded, duplicate, quarantined)
		})
	}
}
