package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"helpdesk/internal/pgtest"
)

// views are what an admin reads of a desk: every listing, and the tickets
// and quarantined mails ("q1") ids, as --json prints them.
func (c *cli) views(ids ...string) map[string]string {
	c.t.Helper()
	out := map[string]string{}
	for _, args := range [][]string{{"tickets", "list"}, {"outbox", "list"}, {"quarantine", "list"}} {
		code, stdout, stderr := c.run("", append(args, "--json")...)
		if code != 0 {
			c.t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		out[strings.Join(args, " ")] = stdout
	}
	for _, id := range ids {
		cmd := "tickets"
		if strings.HasPrefix(id, "q") {
			cmd = "quarantine"
		}
		code, stdout, stderr := c.run("", cmd, "show", strings.TrimPrefix(id, "q"), "--json")
		if code != 0 {
			c.t.Fatalf("%s show %s: exit %d: %s", cmd, id, code, stderr)
		}
		out[cmd+" show "+id] = stdout
	}
	return out
}

// A desk with mail of every kind on SQLite, copied to PostgreSQL, answers
// every question the same there, and goes on numbering where it stopped.
func TestADeskCopiedToPostgresShowsTheSame(t *testing.T) {
	c := newCLI(t)
	for _, m := range []string{
		mailFrom("Alice <alice@a.test>", "m1@a.test", "Cannot log in"),
		mailFrom("Bob <bob@b.test>", "m2@b.test", "Invoice"),
		hostileMail, // an attachment, and names no terminal may see raw
		"From: alice@a.test\r\nTo: support@example.com\r\nSubject: Re: [HD#1000] Cannot log in\r\nIn-Reply-To: <m1@a.test>\r\nMessage-ID: <m3@a.test>\r\n\r\nStill broken\r\n",
		"From: Mailer-Daemon@b.test\r\nTo: support@example.com\r\nSubject: Undeliverable\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <dsn@b.test>\r\n\r\nbounced\r\n",
		"this is not a mail at all\x00\xff",
	} {
		if code, out, errs := c.run(m, "ingest", "--mailbox", "support"); code != 0 {
			t.Fatalf("ingest: exit %d, %s %s", code, out, errs)
		}
	}
	if code, _, errs := c.run("", "tickets", "merge", "HD#1001", "1000"); code != 0 {
		t.Fatalf("merge: %s", errs)
	}
	if code, _, errs := c.run("", "outbox", "flush"); code != 0 {
		t.Fatalf("flush: %s", errs)
	}
	ids := []string{"q1", "1000", "1001", "1002", "1003"}
	before := c.views(ids...)

	url := pgtest.NewDatabase(t)
	code, out, errs := c.run("", "db", "copy", "--from", "sqlite:"+c.db, "--to", url, "--json")
	if code != 0 {
		t.Fatalf("db copy: exit %d: %s", code, errs)
	}
	var counts []struct {
		Table          string
		Source, Target int64
	}
	if err := json.Unmarshal([]byte(out), &counts); err != nil || len(counts) < 12 {
		t.Fatalf("db copy --json: %v\n%s", err, out)
	}
	for _, n := range counts {
		if n.Source != n.Target {
			t.Errorf("%s: %d rows, %d copied", n.Table, n.Source, n.Target)
		}
	}

	c.usePostgres(url)
	after := c.views(ids...)
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s differs after the copy:\nsqlite   %s\npostgres %s", k, v, after[k])
		}
	}

	code, out, _ = c.run(mailFrom("Carol <carol@c.test>", "m4@c.test", "After the move"), "ingest", "--mailbox", "support")
	if code != 0 || !strings.Contains(out, "HD#1004: new ticket") {
		t.Errorf("the first mail after the copy: exit %d, %q; want ticket HD#1004", code, out)
	}
	code, _, errs = c.run("", "db", "copy", "--from", "sqlite:"+c.db)
	if code == 0 || !strings.Contains(errs, "not empty") {
		t.Errorf("a second copy into the configured database: exit %d, %q; want a refusal", code, errs)
	}
}

// usePostgres points the CLI's config at the PostgreSQL database url.
func (c *cli) usePostgres(url string) {
	c.t.Helper()
	b, err := os.ReadFile(c.config)
	if err != nil {
		c.t.Fatal(err)
	}
	toml := strings.Replace(string(b), fmt.Sprintf("driver = \"sqlite\"\ndsn = %q", c.db), fmt.Sprintf("driver = \"postgres\"\ndsn = %q", url), 1)
	if toml == string(b) {
		c.t.Fatal("the config names no SQLite database to replace")
	}
	if err := os.WriteFile(c.config, []byte(toml), 0o600); err != nil {
		c.t.Fatal(err)
	}
}

func TestDBCopyRefusesWhatItCannotDo(t *testing.T) {
	c := newCLI(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"db"}, exitUsage, "expected: db copy"},
		{[]string{"db", "copy"}, exitUsage, "--from is required"},
		{[]string{"db", "copy", "--from", "mysql://x"}, exitUsage, "--from: expected sqlite:PATH"},
		{[]string{"db", "copy", "--from", "sqlite:x.db", "--to", "sqlite:y.db"}, exitUsage, "--to: expected postgres://"},
		{[]string{"db", "copy", "--from", "sqlite:x.db"}, exitUsage, "--to is required"},
		{[]string{"db", "copy", "--from", "sqlite:" + c.db + ".missing", "--to", "postgres://127.0.0.1:1/x"}, exitError, "no such file"},
	} {
		code, _, errs := c.run("", tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, %q; want exit %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}
