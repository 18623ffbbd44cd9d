package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The systemd unit in contrib/ runs commands of this binary: each of its
// Exec lines must be a command line the binary takes, and systemd must
// accept the unit.
func TestTheSystemdUnitRunsCommandsThatExist(t *testing.T) {
	const unit = "../../contrib/helpdesk.service"
	f, err := os.Open(unit)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := newCLI(t)
	var execs int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), "=")
		if !ok || !strings.HasPrefix(key, "Exec") {
			continue
		}
		execs++
		args := strings.Fields(value)
		if args[0] != "/usr/local/bin/helpdesk" {
			t.Errorf("%s runs %s, want /usr/local/bin/helpdesk", key, args[0])
			continue
		}
		// The unit's config path is swapped for the test's (c.run adds it).
		var cmdline []string
		for i := 1; i < len(args); i++ {
			if args[i] == "--config" {
				i++
				continue
			}
			cmdline = append(cmdline, args[i])
		}
		if cmdline[0] == "run" {
			// The daemon itself: its flags must parse; an unreadable
			// config then stops it with exit 1, not a usage error (2).
			var errs strings.Builder
			code := run(t.Context(), append(cmdline, "--config", filepath.Join(t.TempDir(), "none.toml")), nil, &strings.Builder{}, &errs)
			if code != 1 {
				t.Errorf("%s: exit %d, want 1 for a missing config; %s", key, code, errs.String())
			}
			continue
		}
		if code, out, errs := c.run("", cmdline...); code != 0 {
			t.Errorf("%s (%v): exit %d, %s %s", key, cmdline, code, out, errs)
		}
	}
	if execs < 2 {
		t.Fatalf("found %d Exec lines in %s", execs, unit)
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("no systemd-analyze here: the unit's syntax is not checked")
	}
	// systemd checks that the programs exist: point them at this test binary.
	text, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(t.TempDir(), "helpdesk.service")
	if err := os.WriteFile(copyPath, []byte(strings.ReplaceAll(string(text), "/usr/local/bin/helpdesk", self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", copyPath).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
