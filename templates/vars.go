package templates

import (
	_ "embed"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"strings"
	"sync"
	"time"
)

// The field descriptions `helpdesk templates vars` prints are the doc
// comments of the types in templates.go, read from its source, which is
// embedded for that: one place to document a field.
//
//go:embed templates.go
var dataSource string

// Var is one field a template can read.
type Var struct {
	// Path is how a template names it: ".Ticket.Ref"; a field of the
	// elements of a list reads ".Message.Attachments[].Filename" (inside
	// {{range .Message.Attachments}} it is .Filename).
	Path string
	// Type is its Go type: "string", "time.Time", "[]templates.Attachment".
	Type string
	// Example is its value in SampleData, as a template prints it.
	Example string
	// Doc is its description.
	Doc string
}

var (
	fieldDocsOnce sync.Once
	fieldDocs     map[string]string // "Type.Field" -> first sentence(s) of its doc
)

// docs parses the doc comments of the struct fields in templates.go.
func docs() map[string]string {
	fieldDocsOnce.Do(func() {
		fieldDocs = map[string]string{}
		f, err := parser.ParseFile(token.NewFileSet(), "templates.go", dataSource, parser.ParseComments)
		if err != nil {
			return
		}
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return false
			}
			for _, fl := range st.Fields.List {
				doc := strings.Join(strings.Fields(fl.Doc.Text()), " ")
				for _, name := range fl.Names {
					fieldDocs[ts.Name.Name+"."+name.Name] = doc
				}
			}
			return false
		})
	})
	return fieldDocs
}

// Vars lists every field of Data a template can read, depth first in the
// order of the struct, with its type, its SampleData value and its doc.
func Vars() []Var {
	var out []Var
	walkVars(reflect.TypeOf(Data{}), reflect.ValueOf(SampleData()), "", &out)
	return out
}

func walkVars(t reflect.Type, v reflect.Value, prefix string, out *[]Var) {
	d := docs()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		path := prefix + "." + f.Name
		var fv reflect.Value
		if v.IsValid() {
			fv = v.Field(i)
		}
		*out = append(*out, Var{Path: path, Type: f.Type.String(), Example: example(fv), Doc: d[t.Name()+"."+f.Name]})
		switch {
		case f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Time{}):
			walkVars(f.Type, fv, path, out)
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
			var ev reflect.Value
			if fv.IsValid() && fv.Len() > 0 {
				ev = fv.Index(0)
			}
			walkVars(f.Type.Elem(), ev, path+"[]", out)
		}
	}
}

// example writes v as a template would print it; structs and lists are
// summed up.
func example(v reflect.Value) string {
	if !v.IsValid() {
		return ""
	}
	switch x := v.Interface().(type) {
	case time.Time:
		return formatDate(x)
	case string:
		return fmt.Sprintf("%q", x)
	}
	switch v.Kind() {
	case reflect.Struct:
		return ""
	case reflect.Slice:
		if v.Len() == 1 {
			return "1 item"
		}
		return fmt.Sprintf("%d items", v.Len())
	}
	return fmt.Sprint(v.Interface())
}
