package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"helpdesk/tickets"
)

// verbRE finds the fmt verbs of a text.
var verbRE = regexp.MustCompile(`%[a-z]`)

func TestEveryPageTextIsTranslatedWithTheSameValues(t *testing.T) {
	for key, tr := range pageTexts {
		want := verbRE.FindAllString(key, -1)
		for i, text := range tr {
			lang := pageLanguages[i+1]
			if strings.TrimSpace(text) == "" {
				t.Errorf("%q has no %s text", key, lang)
			}
			if got := verbRE.FindAllString(text, -1); !slices.Equal(got, want) {
				t.Errorf("%q in %s has the values %v, want %v: %q", key, lang, got, want, text)
			}
		}
	}
}

// TestEveryTextThePagesShowIsInTheCatalog reads the package's code for
// the texts it translates (T and errorPage calls, wrongInput, the templates' .L.T,
// the status, rating and done texts) and wants each in pageTexts, so
// that no page shows English to a German customer.
func TestEveryTextThePagesShowIsInTheCatalog(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	templateT := regexp.MustCompile(`\.L\.T "((?:[^"\\]|\\.)*)"`)
	used := map[string]string{} // text → where
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "i18n.go" {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				var texts []ast.Expr
				name := ""
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
					name = sel.Sel.Name
				}
				switch name {
				case "T", "formProblem":
					if name == "T" && len(n.Args) > 0 {
						texts = n.Args[:1]
					} else if len(n.Args) > 5 {
						texts = n.Args[5:6]
					}
				case "errorPage":
					if len(n.Args) >= 5 {
						texts = n.Args[3:5]
					}
				}
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "show" && len(n.Args) >= 3 {
					texts = n.Args[1:3]
				}
				for _, e := range texts {
					if s, ok := stringOf(e); ok {
						used[s] = fset.Position(e.Pos()).String()
					}
				}
			case *ast.CompositeLit:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "wrongInput" && len(n.Elts) > 0 {
					e := n.Elts[0]
					if kv, ok := e.(*ast.KeyValueExpr); ok {
						e = kv.Value
					}
					if s, ok := stringOf(e); ok {
						used[s] = fset.Position(e.Pos()).String()
					}
				}
			case *ast.BasicLit:
				if n.Kind != token.STRING {
					return true
				}
				s, _ := strconv.Unquote(n.Value)
				for _, m := range templateT.FindAllStringSubmatch(s, -1) {
					text, err := strconv.Unquote(`"` + m[1] + `"`)
					if err != nil {
						t.Errorf("%s: %v", fset.Position(n.Pos()), err)
					}
					used[text] = fset.Position(n.Pos()).String()
				}
			}
			return true
		})
	}
	for _, st := range []tickets.Status{tickets.StatusUnverified, tickets.StatusNew, tickets.StatusOpen, tickets.StatusPending,
		tickets.StatusPendingVendor, tickets.StatusResolved, tickets.StatusClosed, tickets.StatusMerged, tickets.StatusSpam} {
		used[statusText(st)] = "statusText"
	}
	for _, s := range append([]string{"address", "source"}, ratingLabels[1:]...) {
		used[s] = "rating labels and limits"
	}
	for _, s := range doneTexts {
		used[s] = "doneTexts"
	}
	if len(used) < 50 {
		t.Fatalf("found only %d texts: the reading of the code is broken", len(used))
	}
	for text, where := range used {
		if _, ok := pageTexts[text]; !ok {
			t.Errorf("%s: %q is not in pageTexts", where, text)
		}
	}
}

// stringOf is the value of a string literal, or of a sum of them.
func stringOf(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		a, ok1 := stringOf(e.X)
		b, ok2 := stringOf(e.Y)
		return a + b, ok1 && ok2 && e.Op == token.ADD
	}
	return "", false
}
