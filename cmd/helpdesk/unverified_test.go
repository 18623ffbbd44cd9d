package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAStrangersMailThreadedByMessageIDIsShownUnverified(t *testing.T) {
	c := newCLI(t)
	c.run(mailFrom("Alice <alice@a.test>", "m1@a.test", "Cannot log in"), "ingest", "--mailbox", "support")
	stranger := strings.Replace(mailFrom("mallory@evil.test", "x1@evil.test", "Re: Cannot log in"),
		"\r\n\r\n", "\r\nIn-Reply-To: <m1@a.test>\r\n\r\n", 1)
	if code, out, errs := c.run(stranger, "ingest", "--mailbox", "support"); code != 0 || !strings.Contains(out, "HD#1000") ||
		!strings.Contains(out, "unverified") {
		t.Fatalf("ingest: exit %d, out %q, err %q; want the mail on HD#1000, unverified", code, out, errs)
	}
	_, show, _ := c.run("", "tickets", "show", "1000")
	if !strings.Contains(show, "mallory@evil.test  Re: Cannot log in  [UNVERIFIED") {
		t.Errorf("tickets show does not flag the stranger's mail:\n%s", show)
	}
	_, js, _ := c.run("", "tickets", "show", "1000", "--json")
	var v struct {
		Participants []struct{ Email string } `json:"participants"`
		Messages     []struct {
			From       string `json:"from"`
			Unverified bool   `json:"unverified"`
		} `json:"messages"`
		Events []struct{ Kind, Actor string } `json:"events"`
	}
	if err := json.Unmarshal([]byte(js), &v); err != nil {
		t.Fatal(err)
	}
	flagged := map[string]bool{}
	for _, m := range v.Messages {
		flagged[m.From] = m.Unverified
	}
	if !flagged["mallory@evil.test"] || flagged["alice@a.test"] {
		t.Errorf("unverified flags %v, want only mallory's mail flagged", flagged)
	}
	for _, p := range v.Participants {
		if p.Email == "mallory@evil.test" {
			t.Errorf("mallory is a participant: %+v", v.Participants)
		}
	}
	found := false
	for _, e := range v.Events {
		found = found || (e.Kind == "unverified" && e.Actor == "mallory@evil.test")
	}
	if !found {
		t.Errorf("events %+v lack the unverified event", v.Events)
	}
}
