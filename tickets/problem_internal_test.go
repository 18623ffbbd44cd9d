package tickets

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var problemVerbRE = regexp.MustCompile(`%[a-z]`)

func TestEveryProblemIsTranslatedWithTheSameValues(t *testing.T) {
	for key, tr := range problemTexts {
		want := problemVerbRE.FindAllString(key, -1)
		for i, text := range tr {
			if strings.TrimSpace(text) == "" {
				t.Errorf("%q has no text in language %d", key, i)
			}
			if got := problemVerbRE.FindAllString(text, -1); !slices.Equal(got, want) {
				t.Errorf("%q in language %d has the values %v, want %v: %q", key, i, got, want, text)
			}
		}
	}
}

// TestEveryProblemOfAnAgentsReplyIsInTheTable reads the package for the
// formats of the problems it makes (wrong(c, ...), Problem{Format: ...},
// bad(...)) and wants each in problemTexts, so that no agent reads English
// in a mail of their language.
func TestEveryProblemOfAnAgentsReplyIsInTheTable(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	used := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "problem.go" {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			var e ast.Expr
			switch n := n.(type) {
			case *ast.CallExpr:
				id, ok := n.Fun.(*ast.Ident)
				switch {
				case ok && id.Name == "wrong" && len(n.Args) >= 2:
					e = n.Args[1]
				case ok && id.Name == "bad" && len(n.Args) >= 1:
					e = n.Args[0]
				}
			case *ast.CompositeLit:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "Problem" {
					for _, el := range n.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok && kv.Key.(*ast.Ident).Name == "Format" {
							e = kv.Value
						}
					}
				}
			}
			if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, _ := strconv.Unquote(lit.Value)
				used[s] = fset.Position(lit.Pos()).String()
			}
			return true
		})
	}
	if len(used) < 30 {
		t.Fatalf("found only %d problems: the reading of the code is broken", len(used))
	}
	for format, where := range used {
		if _, ok := problemTexts[format]; !ok {
			t.Errorf("%s: %q is not in problemTexts", where, format)
		}
	}
}

func TestAProblemIsWrittenInTheAgentsLanguageWithItsLineAsWritten(t *testing.T) {
	p := Problem{Line: 3, Text: "#priority P9", Format: "unknown priority %q (use P1, P2, P3 or P4)", Args: []any{"P9"}}
	for lang, want := range map[string]string{
		"":      `line 3 "#priority P9": unknown priority "P9" (use P1, P2, P3 or P4)`,
		"de":    `Zeile 3 "#priority P9": unbekannte Priorität "P9" (möglich sind P1, P2, P3 oder P4)`,
		"fr-CH": `ligne 3 "#priority P9" : priorité inconnue "P9" (utilisez P1, P2, P3 ou P4)`,
		"es":    `línea 3 "#priority P9": prioridad desconocida "P9" (use P1, P2, P3 o P4)`,
		"pt":    `line 3 "#priority P9": unknown priority "P9" (use P1, P2, P3 or P4)`,
	} {
		if got := p.In(lang); got != want {
			t.Errorf("%q: got %s, want %s", lang, got, want)
		}
	}
}

func TestAProblemReturnedAsAnErrorKeepsItsFormat(t *testing.T) {
	_, err := parseRef("HD#x")
	if f, args := asProblem(err); f != "%q is not a ticket reference (write it as HD#1042 or 1042)" || len(args) != 1 {
		t.Errorf("asProblem: %q %v", f, args)
	}
	if err.Error() != `"HD#x" is not a ticket reference (write it as HD#1042 or 1042)` {
		t.Errorf("Error: %s", err)
	}
	if f, args := asProblem(errors.New("disk full")); f != "%v" || fmt.Sprint(args...) != "disk full" {
		t.Errorf("another error: %q %v", f, args)
	}
}

func TestAProblemInsideAProblemIsSaidInTheSameLanguage(t *testing.T) {
	why := Problem{Format: "%s is not an address of agent %s", Args: []any{"eve@evil.test", "ann@example.com"}}
	told := Problem{Format: "A mail came through your reply address for %s, but %s. It is kept on the ticket as an unverified note; no command in it ran and nothing was sent to the customer.",
		Args: []any{"HD#1042", why}}
	if got := told.In("de"); !strings.HasPrefix(got, "Über Ihre Antwortadresse für HD#1042 kam eine E-Mail, aber eve@evil.test ist keine Adresse des Agenten ann@example.com.") {
		t.Errorf("German: %s", got)
	}
	if got := told.String(); !strings.Contains(got, "but eve@evil.test is not an address of agent ann@example.com.") {
		t.Errorf("English: %s", got)
	}
	if _, ok := told.Args[1].(Problem); !ok {
		t.Error("In changed the problem's values")
	}
}
