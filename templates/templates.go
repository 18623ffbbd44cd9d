// Package templates owns the mails the help desk writes to customers: loading
// the admin's templates, checking them, and rendering them.
//
// A template NAME is three files: NAME.subject (one line, text/template),
// NAME.txt (the plain text part, text/template) and NAME.html (the HTML part,
// html/template, so a customer's text is escaped there). Defaults for every
// name are embedded in the binary (folder default/). An admin's folder
// overrides them file by file: a name whose folder lacks one of the three
// files uses the embedded file for that part. Files of the folder that end
// in another extension are ignored. A name the defaults lack is a new
// template when the folder has at least its .subject and .txt (its .html is
// optional: without it the mail is text only); a lone file of an unknown name
// is a problem, so a misspelt override is not silently unused.
//
// Templates see a [Data] (the ticket, the customer, the agent, the mail that
// caused the notice), and these functions besides the text/template ones:
//
//	firstname NAME  the first word of a name ("Jane" for "Jane Doe", also for
//	                "Doe, Jane"), or "there" when the name is empty, as in
//	                "Hello {{firstname .Customer.Name}},"
//	quote TEXT      TEXT with "> " before each line, for quoting a mail
//	date TIME       TIME as "2 Jan 2006 15:04 MST"; "" for the zero time
//	size BYTES      a file size as people read it: "532 bytes", "1.4 MiB"
//
// Load parses every template and executes it with [SampleData], with the
// option missingkey=error, so a broken template or a misspelt field is
// reported when the daemon starts, with the file and line the admin edits,
// rather than when a customer is owed a mail.
package templates

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode"
)

// Data is what a template sees.
type Data struct {
	// Desk is the help desk that writes.
	Desk Desk
	// Ticket is the ticket the mail is about.
	Ticket Ticket
	// Customer is the ticket's customer: the person a mail to the
	// customer goes to; in a mail to an agent, the customer it is about.
	Customer Person
	// Agent is, in a mail to an agent, that agent; in an agent's answer
	// relayed to the customer (agent_relay), its author; else the agent
	// assigned to the ticket, empty when none is.
	Agent Person
	// Message is the mail that caused this notice: the customer's mail for
	// an acknowledgement, a reopen notice or a notification to an agent;
	// the agent's answer in agent_relay; the agent's own mail in
	// command_error and agent_security. It may be empty.
	Message Message
	// Notes are the ticket's internal notes, oldest first; only mail to
	// agents has them.
	Notes []Note
	// ReplyMarker is the line that mail to agents starts with: what an
	// agent writes above it, in a reply, is their answer; everything from
	// it down is cut from the answer (it is always ReplyMarker).
	ReplyMarker string
	// Problem says, in a mail to an agent about their own mail
	// (command_error, agent_security), what was wrong with it, one line
	// per problem.
	Problem string

	// Links are addresses on the desk's web server (http.base_url). Each
	// is "" when the desk has no base_url, so a template shows them
	// inside {{if .Links.CSAT.Rate5}}...{{end}}.
	Links Links

	// Suggestions are, in the acknowledgement only, the published
	// knowledge-base articles that match the new ticket's subject and
	// text well, best first, at most three; none when nothing matched
	// well. Each URL opens the article with a "This solved my problem"
	// button for this ticket; it is "" when the desk has no base_url. A
	// reply that only says the problem is solved ("that solved it,
	// thanks") resolves the ticket too.
	Suggestions []Suggestion
}

// Suggestion is a knowledge-base article suggested to the customer.
type Suggestion struct {
	Title string
	URL   string
}

// Links are addresses on the desk's web server.
type Links struct {
	// CSAT are the satisfaction survey's five signed links, one per
	// rating; only csat_survey has them. Each opens a page with its
	// rating chosen, where the customer confirms it (and may add a
	// comment) with a button: opening a link records nothing.
	CSAT CSATLinks
}

// CSATLinks are the survey's links: Rate5 rates the ticket 5 of 5
// (excellent), Rate1 1 of 5 (very poor).
type CSATLinks struct {
	Rate1, Rate2, Rate3, Rate4, Rate5 string
}

// Note is an internal note an agent wrote on a ticket.
type Note struct {
	// Author is the agent who wrote it.
	Author Person
	// Text is the note.
	Text string
	// Date is when the desk received it.
	Date time.Time
}

// Attachment is a file that came with a mail.
type Attachment struct {
	// Filename is the file's name, "invoice.pdf".
	Filename string
	// ContentType is its MIME type, "application/pdf".
	ContentType string
	// Size is its size in bytes.
	Size int64
}

// Desk is the help desk that writes.
type Desk struct {
	// Name is the desk's display name, "Example Support".
	Name string
	// Address is the desk's support address, "support@example.com".
	Address string
}

// Ticket is the ticket a mail is about.
type Ticket struct {
	// ID is the ticket number, 1042.
	ID int64
	// Ref is the ticket reference with its tag, "HD#1042"; subjects carry it
	// in brackets: [HD#1042].
	Ref string
	// Subject is the ticket's subject.
	Subject string
	// Status is the ticket's status: new, open, pending, resolved, closed.
	Status string
	// Priority is the ticket's priority, P1 to P4.
	Priority string
	// Queue is the queue the ticket is in.
	Queue string
	// CreatedAt is when the ticket was opened.
	CreatedAt time.Time
	// Resolution is the note (root cause and fix) given when the ticket
	// was resolved; "" when none was given.
	Resolution string
	// MergedInto is, for a merged ticket, the reference of the ticket it
	// goes on as, "HD#1040"; "" otherwise.
	MergedInto string
	// FollowUpOf is, for a ticket opened by a reply to a ticket closed
	// longer ago than the reopen window, that ticket's reference; ""
	// otherwise.
	FollowUpOf string
}

// Person is a name and an e-mail address; either may be empty.
type Person struct {
	Name  string
	Email string
}

// Message is the mail that caused a notice.
type Message struct {
	// From is the mail's sender.
	From Person
	// Subject is the mail's subject.
	Subject string
	// Text is the mail's text, without quoted history.
	Text string
	// Date is when the mail was written.
	Date time.Time
	// Attachments are the files that came with it.
	Attachments []Attachment
}

// Rendered is a mail made from a template.
type Rendered struct {
	// Subject is one line, without control characters.
	Subject string
	// Text is the plain text part, with LF line ends and no trailing spaces.
	Text string
	// HTML is the HTML part.
	HTML string
}

// ReplyMarker is the line above which an agent writes their answer to a
// mail of the desk; the desk cuts an agent's reply at it.
const ReplyMarker = "-- Write your answer above this line --"

// ErrUnknownTemplate is returned (wrapped) by Render for a name that is not a template.
var ErrUnknownTemplate = errors.New("unknown template")

//go:embed default
var defaults embed.FS

// The three parts of a template, by file extension.
const (
	partSubject = "subject"
	partText    = "txt"
	partHTML    = "html"
)

var parts = []string{partSubject, partText, partHTML}

// Embedded is the origin Source gives for a part that comes from the defaults.
const Embedded = "embedded"

// Set is a loaded, checked set of templates. It is safe for concurrent use.
type Set struct {
	byName map[string]*template
}

// template is one NAME: its three parsed parts and where each came from.
type template struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
	source  map[string]string // part -> Embedded or file path
}

// Load parses the embedded defaults overridden by the files of dir ("" for
// the defaults only) and checks every template by executing it with
// SampleData. It returns every problem at once as an *Error, each as
// "dir/NAME.txt:LINE: problem".
func Load(dir string) (*Set, error) {
	names, err := defaultNames()
	if err != nil {
		return nil, fmt.Errorf("listing embedded templates: %w", err)
	}
	var ps []Problem
	overrides := map[string]string{} // "NAME.txt" -> path
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("reading templates folder: %w", err)
		}
		for _, e := range entries {
			file := e.Name()
			ext := strings.TrimPrefix(filepath.Ext(file), ".")
			if e.IsDir() || strings.HasPrefix(file, ".") || !slices.Contains(parts, ext) {
				continue
			}
			overrides[file] = filepath.Join(dir, file)
		}
	}
	// A name the defaults lack is a new template (for a rule's
	// ack_template, say) when it has at least a subject and a text; a lone
	// file of an unknown name is more likely a misspelt override.
	defaults := slices.Clone(names)
	for file, p := range overrides {
		ext := strings.TrimPrefix(filepath.Ext(file), ".")
		name := strings.TrimSuffix(file, "."+ext)
		if slices.Contains(names, name) {
			continue
		}
		if overrides[name+"."+partSubject] == "" || overrides[name+"."+partText] == "" {
			ps = append(ps, Problem{Path: p, Msg: fmt.Sprintf("unknown template %q: a new template needs %s.subject and %s.txt (known: %s)",
				name, name, name, strings.Join(defaults, ", "))})
			delete(overrides, file)
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)

	s := &Set{byName: make(map[string]*template, len(names))}
	sample := SampleData()
	for _, name := range names {
		t := &template{source: map[string]string{}}
		ok := true
		for _, part := range parts {
			file := name + "." + part
			var src, origin string
			if !slices.Contains(defaults, name) && overrides[file] == "" {
				// A new template without an HTML file: text only.
				src, origin = "", overrides[name+"."+partText]
			} else if src, origin, err = readPart(file, overrides[file]); err != nil {
				return nil, err
			}
			t.source[part] = origin
			label := origin
			if origin == Embedded {
				label = "embedded/" + file
			}
			if err := t.parse(part, label, src); err != nil {
				ps = append(ps, problemOf(label, err))
				ok = false
				continue
			}
			if _, err := t.execute(part, sample); err != nil {
				ps = append(ps, problemOf(label, err))
				ok = false
			}
		}
		if ok {
			if r, _ := t.render(sample); r.Subject == "" {
				ps = append(ps, Problem{Path: t.label(name, partSubject), Msg: "the subject is empty"})
			}
		}
		s.byName[name] = t
	}
	if len(ps) > 0 {
		slices.SortStableFunc(ps, func(a, b Problem) int {
			if c := strings.Compare(a.Path, b.Path); c != 0 {
				return c
			}
			return a.Line - b.Line
		})
		return nil, &Error{Problems: ps}
	}
	return s, nil
}

// Check reports the same problems as Load, for `helpdesk templates check`.
func Check(dir string) error {
	_, err := Load(dir)
	return err
}

// defaultNames lists the embedded template names, sorted.
func defaultNames() ([]string, error) {
	entries, err := fs.ReadDir(defaults, "default")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		file := e.Name()
		name := strings.TrimSuffix(file, path.Ext(file))
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// readPart returns the text of a part from the override file, or from the
// embedded defaults when override is "".
func readPart(file, override string) (src, origin string, err error) {
	if override == "" {
		b, err := defaults.ReadFile("default/" + file)
		if err != nil {
			return "", "", fmt.Errorf("reading embedded template %s: %w", file, err)
		}
		return string(b), Embedded, nil
	}
	b, err := os.ReadFile(override)
	if err != nil {
		return "", "", fmt.Errorf("reading template: %w", err)
	}
	return string(b), override, nil
}

// funcs are the helper functions every template may call; see the package doc.
var funcs = map[string]any{
	"firstname": firstname,
	"quote":     quote,
	"date":      formatDate,
	"size":      formatSize,
}

// parse parses the source of one part, naming it label so that errors carry
// the path the admin edits.
func (t *template) parse(part, label, src string) error {
	var err error
	switch part {
	case partSubject:
		t.subject, err = texttemplate.New(label).Funcs(funcs).Option("missingkey=error").Parse(src)
	case partText:
		t.text, err = texttemplate.New(label).Funcs(funcs).Option("missingkey=error").Parse(src)
	case partHTML:
		t.html, err = htmltemplate.New(label).Funcs(funcs).Option("missingkey=error").Parse(src)
	}
	return err
}

// label returns the path errors use for part of the template name.
func (t *template) label(name, part string) string {
	if o := t.source[part]; o != Embedded {
		return o
	}
	return "embedded/" + name + "." + part
}

func (t *template) execute(part string, data Data) (string, error) {
	var b bytes.Buffer
	var err error
	switch part {
	case partSubject:
		err = t.subject.Execute(&b, data)
	case partText:
		err = t.text.Execute(&b, data)
	case partHTML:
		err = t.html.Execute(&b, data)
	}
	return b.String(), err
}

func (t *template) render(data Data) (Rendered, error) {
	var r Rendered
	subject, err := t.execute(partSubject, data)
	if err != nil {
		return r, err
	}
	text, err := t.execute(partText, data)
	if err != nil {
		return r, err
	}
	html, err := t.execute(partHTML, data)
	if err != nil {
		return r, err
	}
	r.Subject = oneLine(subject)
	r.Text = cleanText(text)
	r.HTML = lf(html)
	return r, nil
}

// Render makes the mail of template name from data. An unknown name is an
// error that wraps ErrUnknownTemplate.
func (s *Set) Render(name string, data Data) (Rendered, error) {
	t, ok := s.byName[name]
	if !ok {
		return Rendered{}, fmt.Errorf("rendering %q: %w", name, ErrUnknownTemplate)
	}
	r, err := t.render(data)
	if err != nil {
		return Rendered{}, fmt.Errorf("rendering template %q: %w", name, err)
	}
	return r, nil
}

// Names returns the template names, sorted.
func (s *Set) Names() []string {
	names := make([]string, 0, len(s.byName))
	for n := range s.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Source says where each part of template name comes from: a map from part
// ("subject", "txt", "html") to Embedded or the path of the admin's file.
// It returns nil for an unknown name.
func (s *Set) Source(name string) map[string]string {
	t, ok := s.byName[name]
	if !ok {
		return nil
	}
	out := make(map[string]string, len(t.source))
	for k, v := range t.source {
		out[k] = v
	}
	return out
}

// oneLine makes s a single line: control characters (CR and LF among them)
// become spaces, runs of spaces collapse to one, and the ends are trimmed.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// lf turns CRLF and lone CR line ends into LF.
func lf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// cleanText gives text LF line ends, no trailing spaces on any line, no blank
// lines at either end, and one final newline.
func cleanText(s string) string {
	lines := strings.Split(lf(s), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	s = strings.Trim(strings.Join(lines, "\n"), "\n")
	if s == "" {
		return ""
	}
	return s + "\n"
}

// firstname returns the first word of a name, or "there" when it is empty.
// "Doe, Jane" gives "Jane".
func firstname(name string) string {
	if last, first, ok := strings.Cut(name, ","); ok && strings.TrimSpace(first) != "" && strings.TrimSpace(last) != "" {
		name = first
	}
	for _, w := range strings.Fields(name) {
		if w = strings.Trim(w, `"',;`); w != "" {
			return w
		}
	}
	return "there"
}

// quote puts "> " before each line of text, and ">" before a line that is
// empty or already quoted.
func quote(text string) string {
	text = strings.TrimRight(lf(text), "\n")
	if strings.TrimSpace(text) == "" {
		return ""
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if l == "" || strings.HasPrefix(l, ">") {
			lines[i] = ">" + l
		} else {
			lines[i] = "> " + l
		}
	}
	return strings.Join(lines, "\n")
}

// formatDate writes t as "2 Jan 2006 15:04 MST"; "" for the zero time.
func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2 Jan 2006 15:04 MST")
}

// formatSize writes a byte count as people read it: "532 bytes", "14 KiB", "1.4 MiB".
func formatSize(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size {
			if n%u.size == 0 || n >= 100*u.size {
				return fmt.Sprintf("%d %s", n/u.size, u.name)
			}
			return fmt.Sprintf("%.1f %s", float64(n)/float64(u.size), u.name)
		}
	}
	if n == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}
