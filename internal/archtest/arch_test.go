package archtest

import (
	"bufio"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// arrow is one import: the file From, in package Pkg, imports To.
type arrow struct {
	Pkg, From, To string
	Test          bool // From is a _test.go file
}

// rule forbids some arrows out of the packages it covers.
type rule struct {
	// covers are the packages the rule holds for, by path below the module
	// ("tickets/..." is tickets and everything under it).
	covers []string
	// forbids reports why the import to is not allowed, "" when it is.
	forbids func(to string, test bool) string
}

// sqlPackages are the SQL drivers, libraries and the SQL store.
var sqlPackages = []string{
	"database/sql/...", "github.com/jmoiron/sqlx/...", "github.com/mattn/go-sqlite3/...",
	"github.com/pressly/goose/...", "github.com/jackc/pgx/...", "github.com/lib/pq/...",
	"modernc.org/sqlite/...", "tickets/sqlstore/...",
}

// rules are the import rules of the architecture (README, Layout).
var rules = []rule{
	{
		// The domain depends on nothing of ours: not config (config
		// translates into domain types), not the mail, template or wiring
		// packages. Its tests may use the in-process servers of internal/.
		covers: []string{"tickets/..."},
		forbids: func(to string, test bool) string {
			switch {
			case !ours(to) || within(to, "tickets/..."):
				return ""
			case test && within(to, "internal/..."):
				return ""
			}
			return "the domain imports nothing of ours outside tickets/..."
		},
	},
	{
		// config turns the file into plain structs and domain types; it
		// knows no SQL and none of the parts it configures.
		covers: []string{"config/..."},
		forbids: func(to string, test bool) string {
			switch {
			case isSQL(to):
				return "config knows no SQL"
			case !ours(to) || within(to, "tickets/..."):
				return ""
			}
			return "config imports nothing of ours but the domain's types"
		},
	},
	{
		// mailin hands out a plain message and does not know tickets exist;
		// mailout sends what it is given.
		covers: []string{"mailin/...", "mailout/..."},
		forbids: func(to string, test bool) string {
			switch {
			case isSQL(to):
				return "mail intake and delivery know no SQL"
			case within(to, "tickets/..."):
				return "mail intake and delivery do not know tickets"
			}
			return ""
		},
	},
	{
		// The binary is flags, output and exit codes: it reaches the
		// database only through the desk.
		covers: []string{"cmd/..."},
		forbids: func(to string, test bool) string {
			if !test && isSQL(to) {
				return "the command line reaches the database only through the desk"
			}
			return ""
		},
	},
	{
		// The admin pages show what the desk hands them, through
		// admin.Source: no SQL, and not the wiring.
		covers: []string{"web/admin/..."},
		forbids: func(to string, test bool) string {
			switch {
			case isSQL(to):
				return "the admin pages know no SQL"
			case !test && within(to, "desk/..."):
				return "the admin pages read through admin.Source, not the desk"
			}
			return ""
		},
	},
	{
		covers: []string{"templates/..."},
		forbids: func(to string, test bool) string {
			if isSQL(to) {
				return "templates know no SQL"
			}
			return ""
		},
	},
}

func TestImportsPointInward(t *testing.T) {
	root, module := moduleRoot(t)
	arrows, err := imports(root, module)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(arrows, func(a arrow) bool { return a.Pkg == "tickets" }) {
		t.Fatalf("found no import of package tickets under %s: the walk is broken", root)
	}
	for _, v := range violations(arrows) {
		t.Error(v)
	}
}

// The rules catch what they are for; a broken rule would pass any tree.
func TestTheRulesCatchArrowsThatPointOutward(t *testing.T) {
	for _, a := range []arrow{
		{Pkg: "tickets/triage", From: "tickets/triage/rule.go", To: "config"},
		{Pkg: "tickets", From: "tickets/ingest.go", To: "mailin"},
		{Pkg: "tickets/sqlstore", From: "tickets/sqlstore/sqlstore.go", To: "desk"},
		{Pkg: "tickets/triage", From: "tickets/triage/triage_test.go", To: "config", Test: true},
		{Pkg: "config", From: "config/config.go", To: "tickets/sqlstore"},
		{Pkg: "config", From: "config/config.go", To: "mailout"},
		{Pkg: "config", From: "config/config.go", To: "github.com/jmoiron/sqlx"},
		{Pkg: "mailin/imapwatch", From: "mailin/imapwatch/fetch.go", To: "tickets"},
		{Pkg: "mailin", From: "mailin/parse.go", To: "database/sql"},
		{Pkg: "mailout", From: "mailout/sender.go", To: "tickets/triage"},
		{Pkg: "templates", From: "templates/templates.go", To: "github.com/mattn/go-sqlite3"},
		{Pkg: "cmd/helpdesk", From: "cmd/helpdesk/commands.go", To: "tickets/sqlstore"},
	} {
		if len(violations([]arrow{a})) != 1 {
			t.Errorf("%s importing %s passed the rules", a.From, a.To)
		}
	}
	for _, a := range []arrow{
		{Pkg: "config", From: "config/rules.go", To: "tickets/triage"},
		{Pkg: "desk", From: "desk/desk.go", To: "config"},
		{Pkg: "cmd/helpdesk", From: "cmd/helpdesk/main.go", To: "desk"},
		{Pkg: "tickets", From: "tickets/triage.go", To: "tickets/triage"},
		{Pkg: "tickets/sqlstore", From: "tickets/sqlstore/sqlstore_test.go", To: "internal/smtpsink", Test: true},
		{Pkg: "mailin/imapwatch", From: "mailin/imapwatch/dovecot_test.go", To: "internal/dovecot", Test: true},
		{Pkg: "tickets/sqlstore", From: "tickets/sqlstore/sqlstore.go", To: "github.com/jmoiron/sqlx"},
	} {
		if v := violations([]arrow{a}); len(v) != 0 {
			t.Errorf("an allowed import was refused: %s", v[0])
		}
	}
}

// violations lists the arrows that break a rule, one line each.
func violations(arrows []arrow) []string {
	var out []string
	for _, a := range arrows {
		for _, r := range rules {
			if !slices.ContainsFunc(r.covers, func(p string) bool { return within(a.Pkg, p) }) {
				continue
			}
			if why := r.forbids(a.To, a.Test); why != "" {
				out = append(out, fmt.Sprintf("%s imports %s: %s", a.From, a.To, why))
			}
		}
	}
	return out
}

// ours reports whether p is a package of the module: imports carries them
// as paths below the module ("tickets/triage"), the others as they are. A
// path whose first element has no dot is either ours or the standard
// library's, which imports prefixes with "std:".
func ours(p string) bool {
	return !strings.HasPrefix(p, "std:") && !strings.Contains(firstElem(p), ".")
}

func firstElem(p string) string {
	first, _, _ := strings.Cut(p, "/")
	return first
}

// within reports whether p is pattern, or below it when pattern ends in "/...".
func within(p, pattern string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return p == base || strings.HasPrefix(p, base+"/")
	}
	return p == pattern
}

func isSQL(p string) bool {
	p = strings.TrimPrefix(p, "std:")
	return slices.ContainsFunc(sqlPackages, func(s string) bool { return within(p, s) })
}

// imports parses the import clause of every Go file of the module, tests
// included, whatever its build constraints. Packages of the module are
// named by their path below it ("tickets/triage"), the standard library's
// with the prefix "std:" ("std:database/sql"), the others as they are.
func imports(root, module string) ([]arrow, error) {
	var arrows []arrow
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if p != root {
				if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
					return filepath.SkipDir // another module
				}
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		for _, imp := range f.Imports {
			to, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
			switch {
			case to == module || strings.HasPrefix(to, module+"/"):
				to = strings.TrimPrefix(strings.TrimPrefix(to, module), "/")
			case !strings.Contains(firstElem(to), "."):
				to = "std:" + to
			}
			arrows = append(arrows, arrow{Pkg: path.Dir(rel), From: rel, To: to, Test: strings.HasSuffix(name, "_test.go")})
		}
		return nil
	})
	return arrows, err
}

// moduleRoot returns the folder holding go.mod above the test and the
// module's path.
func moduleRoot(t *testing.T) (root, module string) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		f, err := os.Open(filepath.Join(dir, "go.mod"))
		if err == nil {
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if m, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
					return dir, strings.Trim(strings.TrimSpace(m), `"`)
				}
			}
			t.Fatalf("%s/go.mod names no module", dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}
