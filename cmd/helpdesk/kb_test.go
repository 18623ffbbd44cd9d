package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAdminsDraftEditPublishAndRetireArticles(t *testing.T) {
	c := newCLI(t)
	if code, out, errs := c.run(mailFrom("Alice <alice@a.test>", "m1@a.test", "Cannot log in"), "ingest", "--mailbox", "support"); code != 0 {
		t.Fatalf("ingest: exit %d, %s %s", code, out, errs)
	}
	if code, _, errs := c.run("", "kb", "add", "--from-ticket", "HD#1000"); code != 1 || !strings.Contains(errs, "no resolution note") {
		t.Errorf("a draft from a ticket without a resolution: exit %d, %s", code, errs)
	}
	if code, _, errs := c.run("", "tickets", "resolve", "1000", "--note", "The authenticator's clock was off; resyncing it fixed the codes."); code != 0 {
		t.Fatalf("resolve: %s", errs)
	}
	code, out, errs := c.run("", "kb", "add", "--from-ticket", "1000")
	if code != 0 || !strings.Contains(out, "article cannot-log-in drafted") {
		t.Fatalf("kb add: exit %d, %q %s", code, out, errs)
	}

	// An edit from a file; a broken file changes nothing.
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.md")
	os.WriteFile(bad, []byte("---\ntitle: x\ncolour: red\n---\ntext\n"), 0o600)
	if code, _, errs := c.run("", "kb", "edit", "cannot-log-in", "--file", bad); code != 1 || !strings.Contains(errs, `line 3: unknown field "colour"`) {
		t.Errorf("a bad file: exit %d, %s", code, errs)
	}
	good := filepath.Join(dir, "good.md")
	os.WriteFile(good, []byte("---\ntitle: Two-factor codes are refused\nslug: two-factor-codes\ntags: 2fa login\nlanguage: en\nqueue: general\n---\n"+
		"Turn on **automatic time** on your phone, then try a new code.\n"), 0o600)
	if code, out, errs := c.run("", "kb", "edit", "cannot-log-in", "--file", good); code != 0 || out != "article two-factor-codes saved (draft)\n" {
		t.Fatalf("kb edit: exit %d, %q %s", code, out, errs)
	}
	// $EDITOR gets the article as a file, and what it saves is kept.
	editor := filepath.Join(dir, "editor.sh")
	os.WriteFile(editor, []byte("#!/bin/sh\nsed -i 's/^title: .*/title: Two-factor codes are refused by the app/' \"$1\"\n"), 0o700)
	t.Setenv("EDITOR", editor)
	if code, out, errs := c.run("", "kb", "edit", "two-factor-codes"); code != 0 || out != "article two-factor-codes saved (draft)\n" {
		t.Fatalf("kb edit in $EDITOR: exit %d, %q %s", code, out, errs)
	}
	if code, out, errs := c.run("", "kb", "publish", "two-factor-codes"); code != 0 || out != "article two-factor-codes is published\n" {
		t.Fatalf("kb publish: exit %d, %q %s", code, out, errs)
	}
	code, out, _ = c.run("", "kb", "show", "two-factor-codes")
	for _, want := range []string{"Two-factor codes are refused by the app\n", "status:    published", "tickets:   HD#1000\n", "tags:      2fa login\n", "**automatic time**"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("kb show lacks %q:\n%s", want, out)
		}
	}
	if code, out, errs := c.run("", "kb", "retire", "two-factor-codes"); code != 0 || out != "article two-factor-codes is retired\n" {
		t.Fatalf("kb retire: exit %d, %q %s", code, out, errs)
	}
	code, out, _ = c.run("", "kb", "list", "--json")
	var list []struct {
		Slug, Status string
		Tickets      []string
	}
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 1 || list[0].Status != "retired" || list[0].Tickets[0] != "HD#1000" {
		t.Errorf("kb list --json: %s (%v)", out, err)
	}
}
