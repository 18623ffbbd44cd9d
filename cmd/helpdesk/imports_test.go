package main

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The binary is flags, output and exit codes: it reaches the database only
// through the desk, so that a second store (PostgreSQL) changes nothing here.
func TestTheCommandLineDoesNotImportTheStore(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == "helpdesk/tickets/sqlstore" {
				t.Errorf("%s imports %s; ask the desk instead", name, path)
			}
		}
	}
}
