package templates

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	texttemplate "text/template"
)

// Embedded is the origin Source gives for a part that comes from the defaults.
const Embedded = "embedded"

// DefaultLanguage is the language of the desk's mail when neither the
// config nor the ticket says otherwise.
const DefaultLanguage = "en"

// MacrosFolder is the folder of the templates folder that holds macros.
const MacrosFolder = "macros"

// Options configure Open.
type Options struct {
	// Dir is the admin's templates folder; "" for the embedded defaults only.
	Dir string
	// DefaultLanguage is the language of the files directly in Dir and in
	// its queue folders, and of mail to a ticket whose language is not
	// known ("en" when empty).
	DefaultLanguage string
	// Languages are languages besides the shipped ones (en, de, fr, es)
	// that Dir has folders for, "it".
	Languages []string
	// Queues are the configured queues; when set, a folder of Dir that is
	// neither a language nor one of them is a problem (a misspelt queue).
	Queues []string
}

// Set is a loaded, checked set of templates. It is safe for concurrent
// use; Reload swaps in a new version atomically.
type Set struct {
	opts Options
	cur  atomic.Pointer[state]
}

// state is one loaded version of the templates folder.
type state struct {
	names    []string
	langs    []string // every known language, sorted
	queues   []string // the queue folders of Dir, sorted
	variants map[variant]*template
	macros   map[macroKey]*macro
	stamp    string // the folder's fingerprint when it was read
}

// variant is a template name as one language and queue see it; queue ""
// is the variant for queues without a folder.
type variant struct{ name, lang, queue string }

// template is one variant of a NAME: its three parsed parts and where each came from.
type template struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
	source  map[string]string // part -> Embedded or file path
}

// level is a folder of the templates folder: queue "" and lang "" is Dir
// itself, queue "" and lang "de" is Dir/de, and so on.
type level struct{ queue, lang string }

// Load parses the embedded defaults overridden by the files of dir ("" for
// the defaults only) and checks every template by executing it with
// SampleData. It returns every problem at once as an *Error, each as
// "dir/NAME.txt:LINE: problem".
func Load(dir string) (*Set, error) {
	return Open(Options{Dir: dir})
}

// Open is Load with options: languages, the default language, queues.
func Open(opts Options) (*Set, error) {
	if opts.DefaultLanguage == "" {
		opts.DefaultLanguage = DefaultLanguage
	}
	s := &Set{opts: opts}
	st, err := load(opts)
	if err != nil {
		return nil, err
	}
	s.cur.Store(st)
	return s, nil
}

// Check reports the same problems as Load, for `helpdesk templates check`.
func Check(dir string) error {
	_, err := Load(dir)
	return err
}

// ShippedLanguages are the languages the embedded defaults are written
// in, sorted.
func ShippedLanguages() []string {
	langs := []string{DefaultLanguage}
	entries, _ := fs.ReadDir(defaults, "default")
	for _, e := range entries {
		if e.IsDir() {
			langs = append(langs, e.Name())
		}
	}
	slices.Sort(langs)
	return langs
}

// loader holds what one load has read.
type loader struct {
	opts     Options
	langs    []string
	defaults []string                    // the embedded names
	files    map[level]map[string]string // admin files: level -> "NAME.txt" -> path
	macros   map[level]map[string]string // macro files: lang -> "NAME" -> path (queue always "")
	queues   []string
	problems []Problem
	seen     map[string]bool // problems already reported
}

func (ld *loader) problem(p Problem) {
	if k := p.String(); !ld.seen[k] {
		ld.seen[k] = true
		ld.problems = append(ld.problems, p)
	}
}

func load(opts Options) (*state, error) {
	ld := &loader{opts: opts, files: map[level]map[string]string{}, macros: map[level]map[string]string{},
		seen: map[string]bool{}}
	ld.langs = ShippedLanguages()
	for _, l := range append(slices.Clone(opts.Languages), opts.DefaultLanguage) {
		if l = strings.ToLower(l); !slices.Contains(ld.langs, l) {
			ld.langs = append(ld.langs, l)
		}
	}
	slices.Sort(ld.langs)
	var err error
	if ld.defaults, err = defaultNames(); err != nil {
		return nil, fmt.Errorf("listing embedded templates: %w", err)
	}
	st := &state{langs: ld.langs, variants: map[variant]*template{}}
	if opts.Dir != "" {
		if st.stamp, err = fingerprint(opts.Dir); err != nil {
			return nil, fmt.Errorf("reading templates folder: %w", err)
		}
		if err := ld.scan(); err != nil {
			return nil, fmt.Errorf("reading templates folder: %w", err)
		}
	}
	names := ld.names()
	st.names, st.queues = names, ld.queues
	queues := append([]string{""}, ld.queues...)
	for _, name := range names {
		for _, lang := range ld.langs {
			for _, q := range queues {
				t, err := ld.build(name, lang, q)
				if err != nil {
					return nil, err
				}
				st.variants[variant{name, lang, q}] = t
			}
		}
	}
	st.macros = ld.loadMacros()
	if len(ld.problems) > 0 {
		slices.SortStableFunc(ld.problems, func(a, b Problem) int {
			if c := strings.Compare(a.Path, b.Path); c != 0 {
				return c
			}
			return a.Line - b.Line
		})
		return nil, &Error{Problems: ld.problems}
	}
	return st, nil
}

// scan reads the admin's folder: template files at its top, in language
// folders, queue folders and a queue's language folders; macros in
// macros/ and macros/LANG/.
func (ld *loader) scan() error {
	dir := ld.opts.Dir
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	ld.addFiles(level{}, dir, entries)
	for _, e := range entries {
		sub := e.Name()
		if !e.IsDir() || strings.HasPrefix(sub, ".") {
			continue
		}
		p := filepath.Join(dir, sub)
		inner, err := os.ReadDir(p)
		if err != nil {
			return err
		}
		switch {
		case sub == MacrosFolder:
			ld.addMacros("", p, inner)
			for _, e := range inner {
				if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
					continue
				}
				if !slices.Contains(ld.langs, e.Name()) {
					ld.problem(Problem{Path: filepath.Join(p, e.Name()), Msg: fmt.Sprintf("not a language (known: %s)", strings.Join(ld.langs, ", "))})
					continue
				}
				files, err := os.ReadDir(filepath.Join(p, e.Name()))
				if err != nil {
					return err
				}
				ld.addMacros(e.Name(), filepath.Join(p, e.Name()), files)
			}
		case slices.Contains(ld.langs, sub):
			ld.addFiles(level{lang: sub}, p, inner)
			for _, e := range inner {
				if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
					ld.problem(Problem{Path: filepath.Join(p, e.Name()), Msg: "a language folder holds no folders (a queue's language folder is QUEUE/" + sub + ")"})
				}
			}
		default:
			if len(ld.opts.Queues) > 0 && !slices.Contains(ld.opts.Queues, sub) {
				ld.problem(Problem{Path: p, Msg: fmt.Sprintf("neither a queue nor a language (queues: %s; languages: %s)",
					strings.Join(ld.opts.Queues, ", "), strings.Join(ld.langs, ", "))})
				continue
			}
			ld.queues = append(ld.queues, sub)
			ld.addFiles(level{queue: sub}, p, inner)
			for _, e := range inner {
				l := e.Name()
				if !e.IsDir() || strings.HasPrefix(l, ".") {
					continue
				}
				if !slices.Contains(ld.langs, l) {
					ld.problem(Problem{Path: filepath.Join(p, l), Msg: fmt.Sprintf("not a language (known: %s)", strings.Join(ld.langs, ", "))})
					continue
				}
				files, err := os.ReadDir(filepath.Join(p, l))
				if err != nil {
					return err
				}
				ld.addFiles(level{queue: sub, lang: l}, filepath.Join(p, l), files)
			}
		}
	}
	slices.Sort(ld.queues)
	return nil
}

// addFiles records the template files among entries of folder p at lv;
// files of other extensions are ignored.
func (ld *loader) addFiles(lv level, p string, entries []fs.DirEntry) {
	for _, e := range entries {
		file := e.Name()
		ext := strings.TrimPrefix(filepath.Ext(file), ".")
		if e.IsDir() || strings.HasPrefix(file, ".") || !slices.Contains(parts, ext) {
			continue
		}
		if ld.files[lv] == nil {
			ld.files[lv] = map[string]string{}
		}
		ld.files[lv][file] = filepath.Join(p, file)
	}
}

// names returns the embedded names and the admin's new ones, sorted. A
// name the defaults lack is a new template (for a rule's ack_template,
// say) when the top of the folder has at least its subject and text; any
// other file of an unknown name is more likely a misspelt override.
func (ld *loader) names() []string {
	names := slices.Clone(ld.defaults)
	top := ld.files[level{}]
	for file := range top {
		name := strings.TrimSuffix(file, filepath.Ext(file))
		if !slices.Contains(names, name) && top[name+"."+partSubject] != "" && top[name+"."+partText] != "" {
			names = append(names, name)
		}
	}
	for _, files := range ld.files {
		for file, p := range files {
			name := strings.TrimSuffix(file, filepath.Ext(file))
			if slices.Contains(names, name) {
				continue
			}
			ld.problem(Problem{Path: p, Msg: fmt.Sprintf("unknown template %q: a new template needs %s.subject and %s.txt (known: %s)",
				name, name, name, strings.Join(ld.defaults, ", "))})
		}
	}
	slices.Sort(names)
	return names
}

// find returns the source of file (NAME.part) for lang and queue, most
// specific first: the queue's language folder, the language folder, the
// embedded translation; then the same for the default language, whose
// files also sit at the top of the folder and of each queue folder.
// It returns "" when no level has the file.
func (ld *loader) find(file, lang, queue string) (src, origin, label string, err error) {
	def := ld.opts.DefaultLanguage
	langs := []string{lang}
	if lang != def {
		langs = append(langs, def)
	}
	for _, l := range langs {
		var levels []level
		if queue != "" {
			levels = append(levels, level{queue, l})
			if l == def {
				levels = append(levels, level{queue, ""})
			}
		}
		levels = append(levels, level{"", l})
		if l == def {
			levels = append(levels, level{})
		}
		for _, lv := range levels {
			if p := ld.files[lv][file]; p != "" {
				b, err := os.ReadFile(p)
				if err != nil {
					return "", "", "", fmt.Errorf("reading template: %w", err)
				}
				return string(b), p, p, nil
			}
		}
		emb := "default/" + file
		if l != DefaultLanguage {
			emb = "default/" + l + "/" + file
		}
		if b, err := defaults.ReadFile(emb); err == nil {
			return string(b), Embedded, "embedded/" + strings.TrimPrefix(emb, "default/"), nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", "", "", fmt.Errorf("reading embedded template %s: %w", emb, err)
		}
	}
	return "", "", "", nil
}

// build parses and checks the variant of name for lang and queue.
func (ld *loader) build(name, lang, queue string) (*template, error) {
	t := &template{source: map[string]string{}}
	sample := SampleData()
	sample.Language, sample.Ticket.Language = lang, lang
	sample.ReplyMarker = ReplyMarkerIn(lang)
	if queue != "" {
		sample.Ticket.Queue = queue
	}
	ok := true
	labels := map[string]string{}
	for _, part := range parts {
		file := name + "." + part
		src, origin, label, err := ld.find(file, lang, queue)
		if err != nil {
			return nil, err
		}
		if origin == "" {
			// A new template without an HTML file: text only.
			origin, label = ld.files[level{}][name+"."+partText], name+"."+part
		}
		t.source[part], labels[part] = origin, label
		perr := t.parse(part, label, src, funcsFor(lang))
		if perr == nil {
			_, perr = t.execute(part, sample)
		}
		if perr != nil {
			ok = false
			ld.problem(problemOf(label, perr))
		}
	}
	if ok {
		if r, _ := t.render(sample); r.Subject == "" {
			ld.problem(Problem{Path: labels[partSubject], Msg: "the subject is empty"})
		}
	}
	return t, nil
}

// defaultNames lists the embedded template names, sorted.
func defaultNames() ([]string, error) {
	entries, err := fs.ReadDir(defaults, "default")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		file := e.Name()
		name := strings.TrimSuffix(file, path.Ext(file))
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// Render makes the mail of template name from data, in the translation
// for data.Language (the default language when it has none) and the
// variant for data.Ticket.Queue (the general one when the queue has no
// folder). An unknown name is an error that wraps ErrUnknownTemplate.
func (s *Set) Render(name string, data Data) (Rendered, error) {
	st := s.cur.Load()
	t := st.variants[st.variant(name, s.lang(st, data.Language), data.Ticket.Queue)]
	if t == nil {
		return Rendered{}, fmt.Errorf("rendering %q: %w", name, ErrUnknownTemplate)
	}
	r, err := t.render(data)
	if err != nil {
		return Rendered{}, fmt.Errorf("rendering template %q: %w", name, err)
	}
	return r, nil
}

// variant is the key of name for lang and queue; queue "" when it has no folder.
func (st *state) variant(name, lang, queue string) variant {
	if !slices.Contains(st.queues, queue) {
		queue = ""
	}
	return variant{name, lang, queue}
}

// lang is the known language lang stands for ("de" for "de-CH"), else the
// default language.
func (s *Set) lang(st *state, lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if slices.Contains(st.langs, lang) {
		return lang
	}
	if base, _, ok := strings.Cut(lang, "-"); ok && slices.Contains(st.langs, base) {
		return base
	}
	return s.opts.DefaultLanguage
}

// Names returns the template names, sorted.
func (s *Set) Names() []string {
	return slices.Clone(s.cur.Load().names)
}

// Languages returns the known languages, sorted.
func (s *Set) Languages() []string {
	return slices.Clone(s.cur.Load().langs)
}

// Queues returns the queues the templates folder has folders for, sorted.
func (s *Set) Queues() []string {
	return slices.Clone(s.cur.Load().queues)
}

// DefaultLanguage is the language of mail whose language is not known.
func (s *Set) DefaultLanguage() string { return s.opts.DefaultLanguage }

// Dir is the admin's templates folder, "" for none.
func (s *Set) Dir() string { return s.opts.Dir }

// Source says where each part of template name comes from, in the
// default language for queues without a folder: a map from part
// ("subject", "txt", "html") to Embedded or the path of the admin's file.
// It returns nil for an unknown name.
func (s *Set) Source(name string) map[string]string {
	return s.SourceFor(name, s.opts.DefaultLanguage, "")
}

// SourceFor is Source for the variant of lang and queue.
func (s *Set) SourceFor(name, lang, queue string) map[string]string {
	st := s.cur.Load()
	t := st.variants[st.variant(name, s.lang(st, lang), queue)]
	if t == nil {
		return nil
	}
	out := make(map[string]string, len(t.source))
	for k, v := range t.source {
		out[k] = v
	}
	return out
}

// EmbeddedSource returns the built-in text of file ("NAME.txt") in lang,
// and whether there is one, for `helpdesk templates diff`.
func EmbeddedSource(file, lang string) (string, bool) {
	p := "default/" + file
	if lang != "" && lang != DefaultLanguage {
		p = "default/" + lang + "/" + file
	}
	b, err := defaults.ReadFile(p)
	return string(b), err == nil
}
