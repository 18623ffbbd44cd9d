package templates

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	texttemplate "text/template"
)

// A macro is a canned answer: Dir/macros/NAME.txt (in the default
// language) and Dir/macros/LANG/NAME.txt, text/template with the same
// Data and functions as the mail templates. An agent writes "#macro NAME"
// on a line of a reply and the macro's text takes its place.

// ErrUnknownMacro is returned (wrapped) by Macro for a name that is not a macro.
var ErrUnknownMacro = errors.New("unknown macro")

type macroKey struct{ name, lang string }

type macro struct {
	t    *texttemplate.Template
	path string
}

// MacroInfo describes a macro for `helpdesk macros list`.
type MacroInfo struct {
	// Name is what an agent writes after #macro.
	Name string
	// Languages are the languages it is written in; the default
	// language's file is the one at the top of macros/.
	Languages []string
	// Paths are its files, one per language, in the order of Languages.
	Paths []string
	// Preview is the start of its text in the default language (or its
	// first language), rendered with SampleData.
	Preview string
}

// addMacros records the macro files (NAME.txt) among entries of folder p
// for lang ("" is the default language).
func (ld *loader) addMacros(lang, p string, entries []fs.DirEntry) {
	lv := level{lang: lang}
	for _, e := range entries {
		file := e.Name()
		if e.IsDir() || strings.HasPrefix(file, ".") || filepath.Ext(file) != ".txt" {
			continue
		}
		if ld.macros[lv] == nil {
			ld.macros[lv] = map[string]string{}
		}
		ld.macros[lv][strings.TrimSuffix(file, ".txt")] = filepath.Join(p, file)
	}
}

// loadMacros parses and checks every macro file.
func (ld *loader) loadMacros() map[macroKey]*macro {
	out := map[macroKey]*macro{}
	for lv, files := range ld.macros {
		lang := lv.lang
		if lang == "" {
			lang = ld.opts.DefaultLanguage
		}
		for name, p := range files {
			if lv.lang != "" && ld.macros[level{}][name] != "" && lang == ld.opts.DefaultLanguage {
				// macros/en/x.txt beside macros/x.txt when en is the default: the language folder wins.
				continue
			}
			if strings.ContainsAny(name, " \t") || name == "" {
				ld.problem(Problem{Path: p, Msg: "a macro's name has no spaces"})
				continue
			}
			b, err := os.ReadFile(p)
			if err != nil {
				ld.problem(Problem{Path: p, Msg: err.Error()})
				continue
			}
			t, err := texttemplate.New(p).Funcs(funcsFor(lang)).Option("missingkey=error").Parse(string(b))
			if err == nil {
				sample := SampleData()
				sample.Language, sample.Ticket.Language = lang, lang
				var sb strings.Builder
				err = t.Execute(&sb, sample)
			}
			if err != nil {
				ld.problem(problemOf(p, err))
				continue
			}
			out[macroKey{strings.ToLower(name), lang}] = &macro{t: t, path: p}
		}
	}
	return out
}

// Macro renders macro name (any case) for data, in data.Language when it
// is written in it, else in the default language. An unknown name is an
// error that wraps ErrUnknownMacro.
func (s *Set) Macro(name string, data Data) (string, error) {
	st := s.cur.Load()
	key := strings.ToLower(name)
	m := st.macros[macroKey{key, s.lang(st, data.Language)}]
	if m == nil {
		m = st.macros[macroKey{key, s.opts.DefaultLanguage}]
	}
	if m == nil {
		return "", fmt.Errorf("macro %q: %w", name, ErrUnknownMacro)
	}
	var b strings.Builder
	if err := m.t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("rendering macro %q: %w", name, err)
	}
	return strings.Trim(cleanText(b.String()), "\n"), nil
}

// Macros lists the macros, sorted by name.
func (s *Set) Macros() []MacroInfo {
	st := s.cur.Load()
	byName := map[string]int{}
	keys := make([]macroKey, 0, len(st.macros))
	for k := range st.macros {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b macroKey) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return strings.Compare(a.lang, b.lang)
	})
	var out []MacroInfo
	for _, k := range keys {
		i, ok := byName[k.name]
		if !ok {
			out = append(out, MacroInfo{Name: k.name})
			i = len(out) - 1
			byName[k.name] = i
		}
		mi := &out[i]
		mi.Languages = append(mi.Languages, k.lang)
		mi.Paths = append(mi.Paths, st.macros[k].path)
	}
	for i := range out {
		lang := out[i].Languages[0]
		if slices.Contains(out[i].Languages, s.opts.DefaultLanguage) {
			lang = s.opts.DefaultLanguage
		}
		d := SampleData()
		d.Language = lang
		text, _ := s.Macro(out[i].Name, d)
		line, _, _ := strings.Cut(text, "\n")
		if r := []rune(line); len(r) > 60 {
			line = string(r[:59]) + "…"
		}
		out[i].Preview = line
	}
	return out
}
