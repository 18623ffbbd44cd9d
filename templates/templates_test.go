package templates

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

var defaultNamesWant = []string{"acknowledgement", "agent_customer_reply", "agent_escalated", "agent_new_ticket", "agent_relay",
	"agent_security", "agent_unassigned", "agent_vendor_reply", "agent_vendor_waiting", "closed", "command_error", "csat_survey", "manager_escalation", "merged", "new_ticket_after_window", "pending", "pending_reminder", "reopened", "resolved", "sla_breach", "sla_warning", "vendor_escalation"}

// agentTemplates go to agents and start with the reply marker; agent_relay
// carries an agent's own words to the customer, greeting and all.
var agentTemplates = []string{"agent_customer_reply", "agent_escalated", "agent_new_ticket", "agent_security", "agent_unassigned", "agent_vendor_reply", "agent_vendor_waiting", "command_error", "manager_escalation", "sla_breach", "sla_warning"}

func mustLoad(t *testing.T, dir string) *Set {
	t.Helper()
	s, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(%q): %v", dir, err)
	}
	return s
}

// writeFiles creates a templates folder holding files (name -> content).
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestEveryDefaultRendersAndMatchesItsGoldenFiles(t *testing.T) {
	s := mustLoad(t, "")
	if got := s.Names(); !slices.Equal(got, defaultNamesWant) {
		t.Fatalf("Names = %v, want %v", got, defaultNamesWant)
	}
	if got := ShippedLanguages(); !slices.Equal(got, []string{"de", "en", "es", "fr"}) {
		t.Fatalf("ShippedLanguages = %v", got)
	}
	for _, lang := range ShippedLanguages() {
		for _, name := range s.Names() {
			t.Run(lang+"/"+name, func(t *testing.T) {
				d := SampleData()
				d.Language = lang
				d.ReplyMarker = ReplyMarkerIn(lang)
				r, err := s.Render(name, d)
				if err != nil {
					t.Fatal(err)
				}
				if r.Subject == "" || strings.ContainsAny(r.Subject, "\r\n") || !strings.Contains(r.Subject, "[HD#1042]") {
					t.Errorf("subject %q is not one line carrying [HD#1042]", r.Subject)
				}
				if !strings.Contains(r.Text, "HD#1042") || !strings.HasSuffix(r.Text, "\n") || strings.Contains(r.Text, "\r") {
					t.Errorf("text does not carry the ticket ref or is not LF-terminated:\n%s", r.Text)
				}
				if _, err := html.Parse(strings.NewReader(r.HTML)); err != nil || !strings.Contains(r.HTML, "HD#1042") {
					t.Errorf("html does not parse (%v) or lacks the ticket ref:\n%s", err, r.HTML)
				}
				for _, l := range strings.Split(r.Text, "\n") {
					if strings.TrimRight(l, " \t") != l {
						t.Errorf("text line %q has trailing spaces", l)
					}
				}
				dir := filepath.Join("testdata", "golden")
				if lang != DefaultLanguage {
					dir = filepath.Join(dir, lang)
				}
				for ext, got := range map[string]string{"subject": r.Subject + "\n", "txt": r.Text, "html": r.HTML} {
					golden := filepath.Join(dir, name+"."+ext)
					if *update {
						if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
							t.Fatal(err)
						}
						if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
							t.Fatal(err)
						}
						continue
					}
					want, err := os.ReadFile(golden)
					if err != nil {
						t.Fatalf("%v (run go test ./templates -update to create it)", err)
					}
					if got != string(want) {
						t.Errorf("%s differs from its golden file (go test ./templates -update rewrites it)\ngot:\n%s\nwant:\n%s", golden, got, want)
					}
				}
				src := s.SourceFor(name, lang, "")
				for _, part := range []string{"subject", "txt", "html"} {
					if src[part] != Embedded {
						t.Errorf("Source = %v, want every part embedded", src)
					}
					if _, ok := EmbeddedSource(name+"."+part, lang); !ok {
						t.Errorf("no embedded %s.%s in %s: every default is translated", name, part, lang)
					}
				}
			})
		}
	}
}

// TestTranslationsAreNotEnglish guards against a translation that is a
// copy of the English file, or that still has English sentences in it.
func TestTranslationsAreNotEnglish(t *testing.T) {
	s := mustLoad(t, "")
	english := []string{"Hello", "Thank you", "Kind regards", "reply to this email", "Reply to this mail", "Subject:", "Customer:"}
	for _, lang := range []string{"de", "fr", "es"} {
		for _, name := range s.Names() {
			d := SampleData()
			d.Language = lang
			d.Message.Text = "(the mail)" // the customer's words may be English
			r, err := s.Render(name, d)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range english {
				if strings.Contains(r.Subject+r.Text+r.HTML, w) {
					t.Errorf("%s/%s has English %q", lang, name, w)
				}
			}
		}
	}
}

func TestDefaultsReadWellWithoutAgentOrMessage(t *testing.T) {
	s := mustLoad(t, "")
	d := SampleData()
	d.Agent = Person{}
	d.Message = Message{}
	d.Customer.Name = ""
	for _, name := range s.Names() {
		r, err := s.Render(name, d)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		text := r.Text
		if slices.Contains(agentTemplates, name) {
			// Mail to agents may open with the reply marker.
			text = strings.TrimPrefix(text, ReplyMarker+"\n\n")
		}
		if name != "agent_relay" && !strings.HasPrefix(text, "Hello there,\n") {
			t.Errorf("%s: text does not greet a person without a name:\n%s", name, r.Text)
		}
		if strings.Contains(r.Text, "Our last message was") {
			t.Errorf("%s: text introduces a message that is not there:\n%s", name, r.Text)
		}
	}
}

func TestOverrideFileWinsAndOtherPartsFallBack(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"acknowledgement.txt": "Dear {{.Customer.Name}}, we got {{.Ticket.Ref}}.\n",
		"README.md":           "notes for the team, not a template\n",
		"resolved.txt~":       "an editor's backup\n",
	})
	s := mustLoad(t, dir)
	r, err := s.Render("acknowledgement", SampleData())
	if err != nil {
		t.Fatal(err)
	}
	if r.Text != "Dear Jane Doe, we got HD#1042.\n" {
		t.Errorf("text = %q, want the override", r.Text)
	}
	if r.Subject != "[HD#1042] We have received your request: Cannot log in to my account" {
		t.Errorf("subject = %q, want the embedded one", r.Subject)
	}
	if !strings.Contains(r.HTML, "We have received your request") {
		t.Errorf("html is not the embedded one:\n%s", r.HTML)
	}
	want := map[string]string{"subject": Embedded, "txt": filepath.Join(dir, "acknowledgement.txt"), "html": Embedded}
	if got := s.Source("acknowledgement"); len(got) != 3 || got["subject"] != want["subject"] || got["txt"] != want["txt"] || got["html"] != want["html"] {
		t.Errorf("Source = %v, want %v", got, want)
	}
	if s.Source("nope") != nil {
		t.Error("Source of an unknown name is not nil")
	}
}

func TestHTMLEscapesCustomerTextThatTheTextPartKeeps(t *testing.T) {
	s := mustLoad(t, "")
	d := SampleData()
	d.Ticket.Subject = `<script>alert("x")</script>`
	d.Message.Text = "See <script>steal()</script> & more"
	for _, name := range []string{"acknowledgement", "reopened"} {
		r, err := s.Render(name, d)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(r.HTML, "<script>") {
			t.Errorf("%s: html keeps <script>:\n%s", name, r.HTML)
		}
		if !strings.Contains(r.HTML, "&lt;script&gt;") {
			t.Errorf("%s: html does not show the escaped text:\n%s", name, r.HTML)
		}
		if !strings.Contains(r.Text, "<script>") {
			t.Errorf("%s: text part does not keep the text literally:\n%s", name, r.Text)
		}
	}
}

func TestSubjectWithLineBreaksInDataBecomesOneLine(t *testing.T) {
	s := mustLoad(t, "")
	d := SampleData()
	d.Ticket.Subject = "Printer\r\n  on fire\tagain\x00\r\nplease  help  "
	r, err := s.Render("reopened", d)
	if err != nil {
		t.Fatal(err)
	}
	if want := "[HD#1042] Reopened: Printer on fire again please help"; r.Subject != want {
		t.Errorf("subject = %q, want %q", r.Subject, want)
	}
}

func TestTextHasLFLineEndsAndNoTrailingSpaces(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"reopened.txt": "\n\nLine one   \r\n{{.Message.Text}}\t\r\n\n\n",
	})
	s := mustLoad(t, dir)
	d := SampleData()
	d.Message.Text = "from the agent  \r\nsecond\rthird"
	r, err := s.Render("reopened", d)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Line one\nfrom the agent\nsecond\nthird\n"; r.Text != want {
		t.Errorf("text = %q, want %q", r.Text, want)
	}
}

func TestBrokenTemplatesAreReportedWithFileAndLine(t *testing.T) {
	for _, tc := range []struct {
		name, file, content, want string
	}{
		{"unclosed if", "acknowledgement.txt", "Hello\n{{if .Agent.Name}}\nagent\n", "acknowledgement.txt:4: unexpected EOF"},
		{"unknown function", "reopened.html", "<p>\n{{shout .Ticket.Ref}}\n</p>\n", `reopened.html:2: function "shout" not defined`},
		{"misspelt field", "acknowledgement.subject", "[{{.Ticket.Ref}}]\n {{.Tikcet.Subject}}\n", "acknowledgement.subject:2: <.Tikcet.Subject>: can't evaluate field Tikcet"},
		{"misspelt nested field", "reopened.txt", "{{.Ticket.Refs}}\n", "reopened.txt:1: <.Ticket.Refs>: can't evaluate field Refs"},
		{"unknown template name", "acknowledgment.txt", "typo in the name\n", `acknowledgment.txt: unknown template "acknowledgment": a new template needs acknowledgment.subject and acknowledgment.txt (known: acknowledgement, agent_customer_reply, agent_escalated, agent_new_ticket, agent_relay, agent_security, agent_unassigned, agent_vendor_reply, agent_vendor_waiting, closed, command_error, csat_survey, manager_escalation, merged, new_ticket_after_window, pending, pending_reminder, reopened, resolved, sla_breach, sla_warning, vendor_escalation)`},
		{"unclosed html attribute", "acknowledgement.html", "<p>ok</p>\n<a href=\"{{.Ticket.Ref}}>x</a>\n", "acknowledgement.html: ends inside an unclosed tag, attribute, <script> or comment"},
		{"empty subject", "reopened.subject", "{{/* nothing */}}\n", "reopened.subject: the subject is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{tc.file: tc.content})
			s, err := Load(dir)
			if err == nil {
				t.Fatalf("Load succeeded with %s", tc.file)
			}
			if s != nil {
				t.Error("Load returned a set along with its error")
			}
			want := filepath.Join(dir, tc.want)
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error = %q, want it to start with %q", err, want)
			}
			var te *Error
			if !errors.As(err, &te) || len(te.Problems) != 1 {
				t.Errorf("want one problem in a *Error, got %#v", err)
			}
			if cerr := Check(dir); cerr == nil || cerr.Error() != err.Error() {
				t.Errorf("Check = %v, want the same as Load", cerr)
			}
		})
	}
}

func TestTwoBrokenFilesAreBothReported(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"acknowledgement.txt": "{{.Message.Text}}\n{{range .Agent}}\n",
		"reopened.html":       "<p>{{.Desk.Nmae}}</p>\n",
	})
	err := Check(dir)
	if err == nil {
		t.Fatal("Check succeeded")
	}
	var te *Error
	if !errors.As(err, &te) || len(te.Problems) != 2 {
		t.Fatalf("want two problems, got %v", err)
	}
	if te.Problems[0].Path != filepath.Join(dir, "acknowledgement.txt") || te.Problems[0].Line != 3 ||
		te.Problems[1].Path != filepath.Join(dir, "reopened.html") || te.Problems[1].Line != 1 {
		t.Errorf("problems = %+v", te.Problems)
	}
	if n := strings.Count(err.Error(), "\n"); n != 1 {
		t.Errorf("error is not one line per problem:\n%s", err)
	}
}

func TestANewTemplateNeedsASubjectAndAText(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"acknowledgement_vip.subject": "[{{.Ticket.Ref}}] We are on it, {{firstname .Customer.Name}}\n",
		"acknowledgement_vip.txt":     "Your account manager will call you about {{.Ticket.Subject}}.\n",
	})
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Render("acknowledgement_vip", SampleData())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Subject, "We are on it") || !strings.Contains(r.Text, "account manager") || r.HTML != "" {
		t.Errorf("rendered %+v, want the new subject and text and no HTML", r)
	}
	if !slices.Contains(s.Names(), "acknowledgement_vip") || !slices.Contains(s.Names(), "acknowledgement") {
		t.Errorf("Names() = %v, want the defaults and the new one", s.Names())
	}
}

func TestRenderOfAnUnknownNameNamesIt(t *testing.T) {
	s := mustLoad(t, "")
	_, err := s.Render("welcome", SampleData())
	if !errors.Is(err, ErrUnknownTemplate) || !strings.Contains(err.Error(), `"welcome"`) {
		t.Errorf("Render(welcome) = %v, want ErrUnknownTemplate naming it", err)
	}
}

func TestLoadNamesAMissingFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nope")
	_, err := Load(dir)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), dir) {
		t.Errorf("Load(missing) = %v, want a not-exist error naming %s", err, dir)
	}
}

func TestHelperFunctions(t *testing.T) {
	for in, want := range map[string]string{
		"Jane Doe": "Jane", "  jane  ": "jane", "": "there", "Doe, Jane": "Jane",
		`"Jane Q. Doe"`: "Jane", "Prince": "Prince", ",": "there",
	} {
		if got := firstname(in); got != want {
			t.Errorf("firstname(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"one\r\ntwo\n\n> old\n": "> one\n> two\n>\n>> old",
		"":                      "",
		"single":                "> single",
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %q, want %q", in, got, want)
		}
	}
	paris := time.FixedZone("CEST", 2*60*60)
	for in, want := range map[time.Time]string{
		time.Date(2025, 3, 3, 9, 5, 0, 0, time.UTC): "3 Mar 2025 09:05 UTC",
		time.Date(2025, 7, 14, 18, 30, 0, 0, paris): "14 Jul 2025 18:30 CEST",
		{}: "",
	} {
		if got := formatDate(in); got != want {
			t.Errorf("date(%v) = %q, want %q", in, got, want)
		}
	}
}

func ExampleSet_Render() {
	set, err := Load("") // the embedded defaults only
	if err != nil {
		panic(err)
	}
	r, err := set.Render("acknowledgement", SampleData())
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Subject)
	// Output: [HD#1042] We have received your request: Cannot log in to my account
}
