package templates

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeTree creates a templates folder holding files (relative path -> content).
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestTheMostSpecificFileWinsByQueueAndLanguage(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"acknowledgement.txt":            "top {{.Ticket.Ref}}\n",
		"billing/acknowledgement.txt":    "billing {{.Ticket.Ref}}\n",
		"de/acknowledgement.txt":         "de {{.Ticket.Ref}}\n",
		"billing/de/acknowledgement.txt": "billing de {{.Ticket.Ref}}\n",
		"billing/fr/closed.subject":      "[{{.Ticket.Ref}}] Facturation : clôturé\n",
	})
	s := mustLoad(t, dir)
	for _, tc := range []struct {
		lang, queue, text, subject string
	}{
		{"en", "general", "top HD#1042\n", "[HD#1042] We have received your request: Cannot log in to my account"},
		{"", "billing", "billing HD#1042\n", "[HD#1042] We have received your request: Cannot log in to my account"},
		{"de", "general", "de HD#1042\n", "[HD#1042] Ihre Anfrage ist bei uns eingegangen: Cannot log in to my account"},
		{"de", "billing", "billing de HD#1042\n", "[HD#1042] Ihre Anfrage ist bei uns eingegangen: Cannot log in to my account"},
		{"de-CH", "billing", "billing de HD#1042\n", "[HD#1042] Ihre Anfrage ist bei uns eingegangen: Cannot log in to my account"},
		{"fr", "billing", "", "[HD#1042] Nous avons bien reçu votre demande\u00a0: Cannot log in to my account"},
		{"it", "billing", "billing HD#1042\n", "[HD#1042] We have received your request: Cannot log in to my account"},
	} {
		d := SampleData()
		d.Language, d.Ticket.Queue = tc.lang, tc.queue
		r, err := s.Render("acknowledgement", d)
		if err != nil {
			t.Fatal(err)
		}
		if tc.text != "" && r.Text != tc.text || tc.text == "" && !strings.HasPrefix(r.Text, "Bonjour Jane Doe,") {
			t.Errorf("%s/%s: text %q, want %q", tc.lang, tc.queue, r.Text, tc.text)
		}
		if r.Subject != strings.ReplaceAll(tc.subject, "\u00a0", " ") {
			t.Errorf("%s/%s: subject %q, want %q", tc.lang, tc.queue, r.Subject, tc.subject)
		}
	}
	d := SampleData()
	d.Language, d.Ticket.Queue = "fr", "billing"
	if r, err := s.Render("closed", d); err != nil || r.Subject != "[HD#1042] Facturation : clôturé" || !strings.HasPrefix(r.Text, "Bonjour") {
		t.Errorf("fr/billing closed = %+v, %v; want the queue's French subject and the embedded French text", r, err)
	}
	if got := s.SourceFor("acknowledgement", "de", "billing"); got["txt"] != filepath.Join(dir, "billing/de/acknowledgement.txt") || got["subject"] != Embedded {
		t.Errorf("SourceFor(de, billing) = %v", got)
	}
}

func TestAGermanDeskWritesItsTopFilesInGerman(t *testing.T) {
	dir := writeTree(t, map[string]string{"acknowledgement.txt": "Moin {{.Ticket.Ref}}\n"})
	s, err := Open(Options{Dir: dir, DefaultLanguage: "de"})
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string]string{"de": "Moin HD#1042\n", "": "Moin HD#1042\n", "xx": "Moin HD#1042\n"} {
		d := SampleData()
		d.Language = lang
		if r, _ := s.Render("acknowledgement", d); r.Text != want {
			t.Errorf("language %q: text %q, want %q", lang, r.Text, want)
		}
	}
	d := SampleData()
	d.Language = "en"
	if r, _ := s.Render("acknowledgement", d); !strings.HasPrefix(r.Text, "Hello Jane,") {
		t.Errorf("an English customer of a German desk gets %q, want the embedded English", r.Text)
	}
}

func TestAFolderThatIsNeitherAQueueNorALanguageIsAProblem(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"biling/acknowledgement.txt":     "x\n",
		"billing/xx/closed.txt":          "x\n",
		"de/billing/closed.txt":          "x\n",
		"billing/acknowledgment.txt":     "x\n",
		"billing/de/acknowledgement.txt": "{{.Ticket.Nope}}\n",
	})
	_, err := Open(Options{Dir: dir, Queues: []string{"billing", "general"}})
	var te *Error
	if !errors.As(err, &te) {
		t.Fatalf("Open = %v, want problems", err)
	}
	for _, want := range []string{
		filepath.Join(dir, "biling") + ": neither a queue nor a language",
		filepath.Join(dir, "billing/xx") + ": not a language",
		filepath.Join(dir, "de/billing") + ": a language folder holds no folders",
		filepath.Join(dir, "billing/acknowledgment.txt") + `: unknown template "acknowledgment"`,
		filepath.Join(dir, "billing/de/acknowledgement.txt") + ":1: <.Ticket.Nope>: can't evaluate field Nope",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems lack %q:\n%s", want, err)
		}
	}
}

func TestReloadSwapsInAGoodEditAndKeepsTheLastGoodOnABrokenOne(t *testing.T) {
	dir := writeTree(t, map[string]string{"acknowledgement.txt": "one {{.Ticket.Ref}}\n"})
	s := mustLoad(t, dir)
	text := func() string {
		r, err := s.Render("acknowledgement", SampleData())
		if err != nil {
			t.Fatal(err)
		}
		return r.Text
	}
	if s.Changed() {
		t.Error("Changed right after loading")
	}
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "acknowledgement.txt"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("two {{.Ticket.Ref}}\n")
	if !s.Changed() {
		t.Error("Changed is false after an edit")
	}
	if err := s.Reload(); err != nil || text() != "two HD#1042\n" {
		t.Fatalf("Reload = %v, text %q", err, text())
	}
	write("three\n{{.Ticket.Reff}}\n")
	err := s.Reload()
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "acknowledgement.txt")+":2: <.Ticket.Reff>") {
		t.Errorf("Reload of a broken edit = %v, want its file and line", err)
	}
	if got := text(); got != "two HD#1042\n" {
		t.Errorf("after a broken edit the text is %q, want the last good one", got)
	}
}

func TestWatchPicksUpAnEditWithoutARestart(t *testing.T) {
	dir := writeTree(t, map[string]string{"reopened.txt": "before\n"})
	s := mustLoad(t, dir)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- s.Watch(ctx, 5*time.Millisecond, slog.New(slog.DiscardHandler)) }()
	if err := os.WriteFile(filepath.Join(dir, "reopened.txt"), []byte("after\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for {
		r, _ := s.Render("reopened", SampleData())
		if r.Text == "after\n" {
			break
		}
		time.Sleep(5 * time.Millisecond) // until the watcher has seen it; the test's own timeout bounds this
	}
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}

func TestMacrosRenderInTheLanguageTheyAreWrittenIn(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"macros/password-reset.txt":    "Hello {{firstname .Customer.Name}}, reset it at https://example.com/reset ({{.Ticket.Ref}}).\n",
		"macros/de/password-reset.txt": "Guten Tag {{.Customer.Name}}, setzen Sie es unter https://example.com/reset zurück.\n",
		"macros/README.md":             "not a macro\n",
	})
	s := mustLoad(t, dir)
	for lang, want := range map[string]string{
		"en": "Hello Jane, reset it at https://example.com/reset (HD#1042).",
		"de": "Guten Tag Jane Doe, setzen Sie es unter https://example.com/reset zurück.",
		"fr": "Hello Jane, reset it at https://example.com/reset (HD#1042).",
	} {
		d := SampleData()
		d.Language = lang
		if got, err := s.Macro("Password-Reset", d); err != nil || got != want {
			t.Errorf("%s: Macro = %q, %v; want %q", lang, got, err, want)
		}
	}
	if _, err := s.Macro("refund", SampleData()); !errors.Is(err, ErrUnknownMacro) {
		t.Errorf("unknown macro: %v", err)
	}
	ms := s.Macros()
	if len(ms) != 1 || ms[0].Name != "password-reset" || strings.Join(ms[0].Languages, ",") != "de,en" || !strings.HasPrefix(ms[0].Preview, "Hello Jane") {
		t.Errorf("Macros = %+v", ms)
	}
	broken := writeTree(t, map[string]string{"macros/x.txt": "a\n{{.Customer.Nmae}}\n"})
	if _, err := Load(broken); err == nil || !strings.Contains(err.Error(), filepath.Join(broken, "macros/x.txt")+":2:") {
		t.Errorf("a broken macro loads: %v", err)
	}
}

func TestEveryFieldATemplateCanReadIsDocumented(t *testing.T) {
	vars := Vars()
	paths := map[string]Var{}
	for _, v := range vars {
		paths[v.Path] = v
		if v.Doc == "" {
			t.Errorf("%s (%s) has no doc comment in templates.go: `helpdesk templates vars` shows it without a description", v.Path, v.Type)
		}
	}
	for path, want := range map[string]string{
		".Ticket.Ref":                     `"HD#1042"`,
		".Ticket.ID":                      "1042",
		".Ticket.CreatedAt":               "3 Mar 2025 09:15 UTC",
		".Message.Attachments":            "1 item",
		".Message.Attachments[].Filename": `"screenshot.png"`,
		".Notes[].Author.Name":            `"Alex Morgan"`,
		".Language":                       `"en"`,
	} {
		if v, ok := paths[path]; !ok || v.Example != want {
			t.Errorf("%s: %+v, want example %s", path, v, want)
		}
	}
}

// A template reaches only Data and the functions given: no file, no
// command, no secret (Data has none), no field that is not there.
func TestATemplateCannotReachBeyondItsData(t *testing.T) {
	for _, src := range []string{
		`{{readFile "/etc/passwd"}}`, `{{exec "id"}}`, `{{env "HELPDESK_SECRET"}}`,
		`{{.Secret}}`, `{{.Desk.Secret}}`, `{{template "/etc/passwd"}}`, `{{call .Desk.Name}}`,
	} {
		dir := writeTree(t, map[string]string{"reopened.txt": src + "\n"})
		if _, err := Load(dir); err == nil {
			t.Errorf("%s loads", src)
		}
	}
	for _, v := range Vars() {
		if strings.Contains(strings.ToLower(v.Path), "secret") || strings.Contains(strings.ToLower(v.Path), "token") {
			t.Errorf("Data carries %s", v.Path)
		}
	}
}

func TestACustomerCannotInjectAHeaderOrMarkup(t *testing.T) {
	s := mustLoad(t, "")
	for _, lang := range ShippedLanguages() {
		d := SampleData()
		d.Language = lang
		d.Customer.Name = "Eve\r\nBcc: evil@x.test <script>alert(1)</script>"
		d.Ticket.Subject = "Help\r\nBcc: evil@x.test\r\n\r\n<script>steal()</script>"
		d.Message.Text = "<img src=x onerror=alert(1)>"
		for _, name := range []string{"acknowledgement", "agent_new_ticket", "closed"} {
			r, err := s.Render(name, d)
			if err != nil {
				t.Fatal(err)
			}
			if strings.ContainsAny(r.Subject, "\r\n") || strings.Contains(r.Subject, "\nBcc") {
				t.Errorf("%s/%s: subject %q breaks the line", lang, name, r.Subject)
			}
			if strings.Contains(r.HTML, "<script>") || strings.Contains(r.HTML, "<img") {
				t.Errorf("%s/%s: markup in the HTML part:\n%s", lang, name, r.HTML)
			}
			if strings.Contains(r.Text, "\r") {
				t.Errorf("%s/%s: CR in the text part", lang, name)
			}
		}
	}
}
