package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withTemplates gives the CLI's config a templates folder holding files.
func (c *cli) withTemplates(files map[string]string) string {
	c.t.Helper()
	dir := filepath.Join(c.t.TempDir(), "templates")
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			c.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			c.t.Fatal(err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		c.t.Fatal(err)
	}
	f, err := os.OpenFile(c.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		c.t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "\n[templates]\ndir = %q\n", dir)
	return dir
}

func TestTemplatesCheckReportsEveryLanguageAndFailsOnABrokenFile(t *testing.T) {
	c := newCLI(t)
	dir := c.withTemplates(map[string]string{
		"general/de/acknowledgement.txt": "Guten Tag, {{.Ticket.Ref}}\n",
		"macros/refund.txt":              "We have refunded {{.Ticket.Ref}}.\n",
	})
	code, out, errs := c.run("", "templates", "check")
	if code != 0 || !strings.Contains(out, "templates OK in de, en, es, fr ("+dir+" over the embedded defaults); queue folders: general; 1 macro\n") {
		t.Fatalf("check: exit %d, out %q, err %q", code, out, errs)
	}
	broken := filepath.Join(dir, "fr", "closed.html")
	if err := os.MkdirAll(filepath.Dir(broken), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(broken, []byte("<p>\n{{.Ticket.Closed}}</p>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs = c.run("", "templates", "check")
	if code != 1 || !strings.Contains(errs, broken+":2: <.Ticket.Closed>: can't evaluate field Closed") {
		t.Errorf("check of a broken file: exit %d, err %q", code, errs)
	}
}

func TestTemplatesPreviewPrintsTheWholeMailInTheLanguageAndQueueAsked(t *testing.T) {
	c := newCLI(t)
	c.withTemplates(map[string]string{"general/de/acknowledgement.subject": "[{{.Ticket.Ref}}] Buchhaltung: {{.Ticket.Subject}}\n"})
	code, out, errs := c.run("", "templates", "preview", "acknowledgement", "--lang", "de", "--queue", "general")
	if code != 0 {
		t.Fatalf("preview: exit %d: %s", code, errs)
	}
	for _, want := range []string{"Subject: [HD#1042] Buchhaltung: Cannot log in to my account\n", "To: \"Jane Doe\" <jane.doe@example.org>",
		"Auto-Submitted: auto-replied\n", "Content-Type: multipart/alternative", "Content-Type: text/html", "Guten Tag Jane Doe,"} {
		if !strings.Contains(out, want) {
			t.Errorf("preview lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errs, "general/de/acknowledgement.subject") || !strings.Contains(errs, "text from embedded") {
		t.Errorf("preview does not say where the parts came from: %q", errs)
	}

	// A stored ticket's own data, in its language.
	if code, _, errs := c.run("Content-Language: es\r\n"+mailFrom("Alice <alice@a.test>", "p1@a.test", "La impresora"), "ingest", "--mailbox", "support"); code != 0 {
		t.Fatalf("ingest: %s", errs)
	}
	code, out, errs = c.run("", "templates", "preview", "resolved", "--ticket", "HD#1000")
	if code != 0 || !strings.Contains(out, "Hola, Alice:") || !strings.Contains(out, "To: \"Alice\" <alice@a.test>") {
		t.Errorf("preview --ticket: exit %d, err %q:\n%s", code, errs, out)
	}
	code, out, _ = c.run("", "tickets", "list", "--json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 1 || list[0]["language"] != "es" {
		t.Errorf("tickets list --json: %v %s", err, out)
	}
}

func TestTemplatesSendTestGoesThroughSMTPMarkedAsATest(t *testing.T) {
	c := newCLI(t)
	code, out, errs := c.run("", "templates", "send-test", "pending", "--to", "admin@example.com", "--lang", "es")
	if code != 0 || !strings.Contains(out, "sent pending (es) to admin@example.com: [TEST] [HD#1042]") {
		t.Fatalf("send-test: exit %d, out %q, err %q", code, out, errs)
	}
	mails := c.sink.Mails()
	if len(mails) != 1 || len(mails[0].To) != 1 || mails[0].To[0] != "admin@example.com" {
		t.Fatalf("the SMTP server got %+v", mails)
	}
	data := string(mails[0].Data)
	if !strings.Contains(data, "\r\nX-Helpdesk-Test: yes\r\n") || !strings.Contains(data, "Subject: [TEST] [HD#1042] Pendiente de su respuesta:") {
		t.Errorf("the test mail is not marked:\n%s", data)
	}
	if code, _, errs := c.run("", "templates", "send-test", "pending"); code != 2 || !strings.Contains(errs, "--to") {
		t.Errorf("send-test without --to: exit %d, %q", code, errs)
	}
}

func TestTemplatesDiffShowsTheOverrideAgainstTheBuiltIn(t *testing.T) {
	c := newCLI(t)
	dir := c.withTemplates(map[string]string{
		"acknowledgement.txt":    "Hello {{firstname .Customer.Name}},\n\nThanks! We opened {{.Ticket.Ref}}.\n",
		"de/reopened.subject":    "[{{.Ticket.Ref}}] Wieder offen: {{.Ticket.Subject}}\n",
		"macros/password.txt":    "Use the reset link.\n",
		"macros/de/password.txt": "Nutzen Sie den Link.\n",
	})
	code, out, errs := c.run("", "templates", "diff", "acknowledgement")
	if code != 0 || !strings.Contains(out, "--- embedded/acknowledgement.txt\n+++ "+filepath.Join(dir, "acknowledgement.txt")+"\n") ||
		!strings.Contains(out, "-Thank you for contacting {{.Desk.Name}}.") || !strings.Contains(out, "+Thanks! We opened {{.Ticket.Ref}}.") {
		t.Errorf("diff: exit %d, err %q:\n%s", code, errs, out)
	}
	code, out, _ = c.run("", "templates", "diff", "reopened", "--lang", "de")
	if code != 0 || !strings.Contains(out, "--- embedded/de/reopened.subject") || !strings.Contains(out, "+[{{.Ticket.Ref}}] Wieder offen: {{.Ticket.Subject}}") {
		t.Errorf("diff --lang de:\n%s", out)
	}
	if code, out, _ = c.run("", "templates", "diff", "closed"); code != 0 || !strings.Contains(out, "no file of yours") {
		t.Errorf("diff of a template without override: %q", out)
	}
	code, out, _ = c.run("", "macros", "list")
	if code != 0 || !strings.Contains(out, "password  de,en      Use the reset link.") {
		t.Errorf("macros list:\n%s", out)
	}
	code, out, _ = c.run("", "templates", "vars")
	if code != 0 || !strings.Contains(out, ".Ticket.Ref") || !strings.Contains(out, `"HD#1042"`) || !strings.Contains(out, ".Message.Attachments[].Filename") {
		t.Errorf("vars:\n%s", out)
	}
}

func TestTemplatesDiffOfAQueuesFile(t *testing.T) {
	c := newCLI(t)
	dir := c.withTemplates(map[string]string{"general/closed.subject": "[{{.Ticket.Ref}}] Done: {{.Ticket.Subject}}\n"})
	code, out, errs := c.run("", "templates", "diff", "closed", "--queue", "general")
	if code != 0 || !strings.Contains(out, "--- embedded/closed.subject\n+++ "+filepath.Join(dir, "general/closed.subject")) || !strings.Contains(out, "+[{{.Ticket.Ref}}] Done:") {
		t.Errorf("diff --queue: exit %d, err %q:\n%s", code, errs, out)
	}
}

func TestTicketsLanguageSetsTheCustomersLanguage(t *testing.T) {
	c := newCLI(t)
	if code, _, errs := c.run(mailFrom("Alice <alice@a.test>", "g1@a.test", "Printer"), "ingest", "--mailbox", "support"); code != 0 {
		t.Fatalf("ingest: %s", errs)
	}
	if code, out, errs := c.run("", "tickets", "language", "HD#1000", "fr-CA"); code != 0 || out != "HD#1000 is in fr\n" {
		t.Errorf("tickets language: exit %d, out %q, err %q", code, out, errs)
	}
	if code, _, errs := c.run("", "tickets", "language", "HD#1000", "tlh"); code != 1 || !strings.Contains(errs, `unknown language "tlh" (use de, en, es, fr)`) {
		t.Errorf("tickets language tlh: exit %d, err %q", code, errs)
	}
	code, out, _ := c.run("", "tickets", "show", "HD#1000", "--json")
	if code != 0 || !strings.Contains(out, `"language": "fr"`) || !strings.Contains(out, `language en -\u003e fr (set by admin (command line))`) {
		t.Errorf("tickets show:\n%s", out)
	}
}
