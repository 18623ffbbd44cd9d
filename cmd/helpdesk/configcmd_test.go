package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestConfigCheckSaysOKOrNamesEveryProblemWithItsLine(t *testing.T) {
	c := newCLI(t)
	code, out, errs := c.run("", "config", "check")
	if code != 0 || !strings.Contains(out, ": OK (1 mailbox, 0 queues, 0 agents, 0 rules; database sqlite)") {
		t.Fatalf("config check of a good file: exit %d, %q %s", code, out, errs)
	}

	good, err := os.ReadFile(c.config)
	if err != nil {
		t.Fatal(err)
	}
	// Two mistakes, far apart: both are reported, each with its line.
	broken := string(good) + "\n[outbox]\nmax_attempts = \"many\"\n\n[lifecycle]\nreopen_window = \"forever\"\n"
	if err := os.WriteFile(c.config, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	lines := strings.Count(string(good), "\n")
	code, _, errs = c.run("", "config", "check")
	if code != 1 {
		t.Errorf("config check of a broken file: exit %d, want 1; %s", code, errs)
	}
	for _, want := range []string{
		filepath.Base(c.config) + ":" + strconv.Itoa(lines+3) + ": outbox.max_attempts",
		filepath.Base(c.config) + ":" + strconv.Itoa(lines+6) + ": lifecycle.reopen_window",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("config check: want %q in:\n%s", want, errs)
		}
	}

	// A broken template of the templates folder is the config's problem too.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "acknowledgement.txt"), []byte("Hello\n{{.Ticket.Nope}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withTemplates := strings.Replace(string(good), "[database]", "[templates]\ndir = \""+dir+"\"\n\n[database]", 1)
	if err := os.WriteFile(c.config, []byte(withTemplates), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs = c.run("", "config", "check")
	if code != 1 || !strings.Contains(errs, "acknowledgement.txt:2") {
		t.Errorf("config check with a broken template: exit %d, want 1 naming acknowledgement.txt:2; %s", code, errs)
	}
}

func TestConfigShowRedactsTheSecret(t *testing.T) {
	c := newCLI(t)
	code, out, errs := c.run("", "config", "show")
	if code != 0 || !strings.Contains(out, "[security]") {
		t.Fatalf("config show: exit %d, %s", code, errs)
	}
	if strings.Contains(out, "a secret that is long enough") {
		t.Errorf("config show printed the secret:\n%s", out)
	}
}

func TestVersionNamesTheGoVersion(t *testing.T) {
	c := newCLI(t)
	code, out, _ := c.run("", "version")
	if code != 0 || !strings.HasPrefix(out, "helpdesk ") || !strings.Contains(out, "go1.") {
		t.Errorf("version: exit %d, %q", code, out)
	}
	old := version
	version = "1.4.0"
	defer func() { version = old }()
	if code, out, _ = c.run("", "version"); !strings.HasPrefix(out, "helpdesk 1.4.0") {
		t.Errorf("version set at build time: exit %d, %q", code, out)
	}
}
