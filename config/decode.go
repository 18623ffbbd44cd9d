package config

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// document is a configuration file as read by go-toml: its values as a tree
// of generic maps, and the line of every key, table and array entry, named as
// in problems ("mailbox[1].imap.port").
type document struct {
	tree  map[string]any
	lines map[string]int
}

// readDocument parses data. A syntax error (a key defined twice among them)
// ends the reading, so it is the only problem returned.
func readDocument(data []byte) (*document, *Problem) {
	var tree map[string]any
	if err := toml.Unmarshal(data, &tree); err != nil {
		p := Problem{Msg: strings.TrimPrefix(err.Error(), "toml: "), Err: err}
		var de *toml.DecodeError
		if errors.As(err, &de) {
			p.Line, _ = de.Position()
		}
		p = redactSecret(p, data)
		return nil, &p
	}
	return &document{tree: tree, lines: keyLines(data)}, nil
}

// line returns the line of key or, when the file does not have it, of the
// nearest table or entry that holds it ("mailbox[0].imap" for a missing
// "mailbox[0].imap.username"); 0 when the file has none of them.
func (d *document) line(key string) int {
	for key != "" {
		if l, ok := d.lines[key]; ok {
			return l
		}
		key = key[:max(strings.LastIndexByte(key, '.'), strings.LastIndexByte(key, '['), 0)]
	}
	return 0
}

// keyLines maps every key, table and array entry of a document that parses to
// its line. go-toml's generic tree keeps no positions, so this walks the
// syntax tree and applies TOML's rules for naming tables: [a.b] after the
// second [[a]] is a[1].b.
func keyLines(data []byte) map[string]int {
	w := lineWalker{lines: map[string]int{}, entries: map[string]int{}}
	for i, b := range data {
		if b == '\n' {
			w.newlines = append(w.newlines, i)
		}
	}
	var p unstable.Parser
	p.Reset(data)
	table := ""
	for p.NextExpression() {
		e := p.Expression()
		if e.Kind == unstable.KeyValue {
			w.keyValue(table, e)
			continue
		}
		key, line := "", 0
		for it := e.Key(); it.Next(); {
			k := it.Node()
			if line == 0 {
				line = w.line(k)
			}
			key = joinKey(key, string(k.Data))
			if it.IsLast() && e.Kind == unstable.ArrayTable {
				if _, ok := w.lines[key]; !ok {
					w.lines[key] = line
				}
				i := w.entries[key]
				w.entries[key]++
				key = fmt.Sprintf("%s[%d]", key, i)
			} else if n := w.entries[key]; n > 0 {
				key = fmt.Sprintf("%s[%d]", key, n-1)
			}
		}
		w.lines[key] = line
		table = key
	}
	return w.lines
}

type lineWalker struct {
	newlines []int          // offsets of the document's line feeds
	lines    map[string]int // what keyLines returns
	entries  map[string]int // how many [[array]] entries each array has so far
}

// line returns the line where node n starts.
func (w *lineWalker) line(n *unstable.Node) int {
	before, _ := slices.BinarySearch(w.newlines, int(n.Raw.Offset))
	return before + 1
}

// keyValue records the line of the key of kv, under table, and of what its
// value holds.
func (w *lineWalker) keyValue(table string, kv *unstable.Node) {
	key, line := table, 0
	for it := kv.Key(); it.Next(); {
		k := it.Node()
		if line == 0 {
			line = w.line(k)
		}
		key = joinKey(key, string(k.Data))
		if _, ok := w.lines[key]; !ok {
			w.lines[key] = line // a dotted key's tables start here too
		}
	}
	w.value(key, line, kv.Value())
}

// value records the lines of the keys of an inline table and of the entries
// of an array; line is where the value's own key is.
func (w *lineWalker) value(key string, line int, v *unstable.Node) {
	switch v.Kind {
	case unstable.InlineTable:
		for it := v.Children(); it.Next(); {
			if kv := it.Node(); kv.Kind == unstable.KeyValue {
				w.keyValue(key, kv)
			}
		}
	case unstable.Array:
		i := 0
		for it := v.Children(); it.Next(); {
			el := it.Node()
			if el.Kind == unstable.Comment {
				continue
			}
			ek := fmt.Sprintf("%s[%d]", key, i)
			elLine := line
			if el.Kind != unstable.Array { // an array node has no position of its own
				elLine = w.line(el)
			}
			w.lines[ek] = elLine
			w.value(ek, elLine, el)
			i++
		}
	}
}

func joinKey(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// valueDecoder is a type that reads its own value from the generic tree: a
// string, int64, float64, bool, []any or map[string]any.
type valueDecoder interface {
	UnmarshalTOML(v any) error
}

// defaulter is a struct with defaults of its own, set before an array entry
// or an optional table of its type is read, so that a key the file sets to
// zero stays zero for Validate to judge rather than turning into the default.
type defaulter interface {
	setDefaults()
}

// decoder copies a document's tree into a Config key by key, so that a value
// of the wrong type or an unknown key is one problem among the others rather
// than the end of the reading.
type decoder struct {
	doc *document
	ps  problems
	// failed are the keys whose value could not be read; they keep their
	// default, so what Validate says about them is beside the point.
	failed []string
}

// table reads the keys of tbl into the struct dst; prefix names tbl.
func (d *decoder) table(dst reflect.Value, tbl map[string]any, prefix string) {
	fields := tomlFields(dst.Type())
	for _, name := range slices.Sorted(maps.Keys(tbl)) {
		key := joinKey(prefix, name)
		i, ok := fields[name]
		if !ok {
			msg := "unknown key"
			if s := closest(name, slices.Sorted(maps.Keys(fields))); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			d.ps = append(d.ps, Problem{Line: d.doc.line(key), Key: key, Msg: msg})
			continue
		}
		d.value(dst.Field(i), tbl[name], key)
	}
}

// value reads v into dst. It reports false, with a problem, when v does not
// fit dst; a table that fits but holds a bad key reports true.
func (d *decoder) value(dst reflect.Value, v any, key string) bool {
	if u, ok := dst.Addr().Interface().(valueDecoder); ok {
		if err := u.UnmarshalTOML(v); err != nil {
			return d.fail(key, err.Error(), err)
		}
		return true
	}
	t := dst.Type()
	switch t.Kind() {
	case reflect.Pointer:
		el := newElem(t.Elem())
		if !d.value(el.Elem(), v, key) {
			return false
		}
		dst.Set(el)
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return d.wrongType(key, t, v)
		}
		d.table(dst, m, key)
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			return d.wrongType(key, t, v)
		}
		s := reflect.MakeSlice(t, 0, len(list))
		for i, e := range list {
			el := newElem(t.Elem())
			d.value(el.Elem(), e, fmt.Sprintf("%s[%d]", key, i))
			s = reflect.Append(s, el.Elem())
		}
		dst.Set(s)
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return d.wrongType(key, t, v)
		}
		dst.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return d.wrongType(key, t, v)
		}
		dst.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(int64)
		if !ok {
			return d.wrongType(key, t, v)
		}
		if dst.OverflowInt(n) {
			return d.fail(key, fmt.Sprintf("%d is too large", n), nil)
		}
		dst.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(int64)
		if !ok {
			return d.wrongType(key, t, v)
		}
		if n < 0 {
			return d.fail(key, fmt.Sprintf("%d must not be negative", n), nil)
		}
		if dst.OverflowUint(uint64(n)) {
			return d.fail(key, fmt.Sprintf("%d is too large", n), nil)
		}
		dst.SetUint(uint64(n))
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok || t.Key().Kind() != reflect.String {
			return d.wrongType(key, t, v)
		}
		out := reflect.MakeMapWithSize(t, len(m))
		for _, k := range slices.Sorted(maps.Keys(m)) {
			el := newElem(t.Elem())
			d.value(el.Elem(), m[k], joinKey(key, k))
			out.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), el.Elem())
		}
		dst.Set(out)
	case reflect.Float32, reflect.Float64:
		switch n := v.(type) {
		case float64:
			dst.SetFloat(n)
		case int64:
			dst.SetFloat(float64(n))
		default:
			return d.wrongType(key, t, v)
		}
	default:
		return d.wrongType(key, t, v)
	}
	return true
}

// newElem returns a pointer to a new value of type t, with its defaults.
func newElem(t reflect.Type) reflect.Value {
	el := reflect.New(t)
	if df, ok := el.Interface().(defaulter); ok {
		df.setDefaults()
	}
	return el
}

func (d *decoder) fail(key, msg string, err error) bool {
	d.ps = append(d.ps, Problem{Line: d.doc.line(key), Key: key, Msg: msg, Err: err})
	d.failed = append(d.failed, key)
	return false
}

// wrongType reports v, of the wrong type for t. It never quotes v, which
// may be a secret.
func (d *decoder) wrongType(key string, t reflect.Type, v any) bool {
	return d.fail(key, fmt.Sprintf("must be %s, not %s", typeWanted(t), typeOf(v)), nil)
}

// hides reports whether key is, or is inside, a key whose value could not
// be read.
func (d *decoder) hides(key string) bool {
	for _, f := range d.failed {
		if key == f || strings.HasPrefix(key, f+".") || strings.HasPrefix(key, f+"[") {
			return true
		}
	}
	return false
}

// typeWanted says how a value of type t is written in the file.
func typeWanted(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string in quotes"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Struct, reflect.Map:
		return "a table"
	case reflect.Pointer:
		return typeWanted(t.Elem())
	case reflect.Slice:
		switch t.Elem().Kind() {
		case reflect.Struct:
			return "a list of tables"
		case reflect.String:
			return `a list of strings, like ["a", "b"]`
		}
		return "a list"
	}
	return t.String()
}

// typeOf names the TOML type of a value of the generic tree.
func typeOf(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "a whole number"
	case float64:
		return "a fractional number"
	case bool:
		return "true or false"
	case []any:
		return "a list"
	case map[string]any:
		return "a table"
	}
	return "a date or time"
}

// tomlFields maps the TOML names of the fields of struct type t to their index.
func tomlFields(t reflect.Type) map[string]int {
	fields := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = i
	}
	return fields
}

// closest returns the candidate that name is most likely a typo of, or "".
// A typo is at most two edits (a letter added, dropped, changed, or two
// swapped), and at most one edit per two letters of name.
func closest(name string, candidates []string) string {
	best, bestDist := "", math.MaxInt
	for _, c := range candidates {
		if d := editDistance(name, c); d <= 2 && 2*d <= len(name) && d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
