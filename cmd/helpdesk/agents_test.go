package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-message/mail"

	"helpdesk/internal/localconfig"
	"helpdesk/internal/smtpsink"
)

const cliTeam = `
[[agent]]
name = "Ann Agent"
email = "ann@example.com"
queues = ["general"]
[[agent]]
name = "Bob Builder"
email = "bob@example.com"
queues = ["general"]
away = true
max_open = 10
`

func newAgentCLI(t *testing.T) *cli {
	t.Helper()
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	dir := t.TempDir()
	c := &cli{t: t, config: filepath.Join(dir, "helpdesk.toml"), db: filepath.Join(dir, "helpdesk.db"), sink: sink}
	toml := localconfig.TOML(localconfig.Options{DSN: c.db, SMTPPort: sink.Port(), Extra: cliTeam})
	if err := os.WriteFile(c.config, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// headerOf returns the header of the last mail the SMTP server took for rcpt.
func (c *cli) headerOf(rcpt string) mail.Header {
	c.t.Helper()
	mails := c.sink.Mails()
	for i := len(mails) - 1; i >= 0; i-- {
		if mails[i].To[0] == rcpt {
			mr, err := mail.CreateReader(bytes.NewReader(mails[i].Data))
			if err != nil {
				c.t.Fatal(err)
			}
			return mr.Header
		}
	}
	c.t.Fatalf("no mail to %s", rcpt)
	return mail.Header{}
}

// An agent's whole day through the MTA pipe and the command line.
func TestAgentsWorkThroughIngestAndTheCommandLine(t *testing.T) {
	c := newAgentCLI(t)
	if code, out, errs := c.run(mailFrom("Alice <alice@a.test>", "m1@a.test", "Cannot log in"), "ingest", "--mailbox", "support"); code != 0 {
		t.Fatalf("ingest: exit %d, %s %s", code, out, errs)
	}
	code, out, errs := c.run("", "agents", "list", "--json")
	var agents []struct {
		Name, Email string
		Queues      []string
		Open        int `json:"open_tickets"`
		MaxOpen     int `json:"max_open"`
		Away        bool
	}
	if err := json.Unmarshal([]byte(out), &agents); code != 0 || err != nil {
		t.Fatalf("agents list --json: exit %d, %v: %s %s", code, err, out, errs)
	}
	if len(agents) != 2 || agents[0].Email != "ann@example.com" || agents[0].Open != 1 || agents[0].Queues[0] != "general" ||
		agents[1].Name != "Bob Builder" || !agents[1].Away || agents[1].Open != 0 || agents[1].MaxOpen != 10 {
		t.Errorf("agents = %+v", agents)
	}
	if code, out, _ = c.run("", "agents", "list"); code != 0 || !strings.Contains(out, "Ann Agent") || !strings.Contains(out, "0/10") || !strings.Contains(out, "away") {
		t.Errorf("agents list: exit %d\n%s", code, out)
	}

	if code, out, errs = c.run("", "outbox", "flush"); code != 0 || !strings.Contains(out, "sent 2") {
		t.Fatalf("outbox flush: exit %d, %s %s", code, out, errs)
	}
	notice := c.headerOf("ann@example.com")
	replyTo, _ := notice.AddressList("Reply-To")
	noticeID, _ := notice.MessageID()
	subject, _ := notice.Subject()
	reply := fmt.Sprintf("From: Ann Agent <ann@example.com>\r\nTo: %s\r\nSubject: Re: %s\r\nMessage-ID: <a1@example.com>\r\nIn-Reply-To: <%s>\r\n\r\n"+
		"Hello Alice, your account is unlocked.\r\n\r\nOn Mon, 2 Mar 2026, Example Support wrote:\r\n> -- Write your answer above this line --\r\n", replyTo[0].Address, subject, noticeID)
	if code, out, errs = c.run(reply, "ingest", "--mailbox", "support"); code != 0 || out != "HD#1000: mail through an agent's reply address\n" {
		t.Fatalf("ingest of the agent's reply: exit %d, %q %s", code, out, errs)
	}
	note := strings.Replace(strings.Replace(reply, "a1@example.com", "a2@example.com", 1), "Hello Alice, your account is unlocked.", "#note Unlocked by hand; watch for more lockouts.", 1)
	if code, _, errs = c.run(note, "ingest", "--mailbox", "support"); code != 0 {
		t.Fatalf("ingest of the note: exit %d, %s", code, errs)
	}
	if code, _, errs = c.run("", "outbox", "flush"); code != 0 {
		t.Fatalf("outbox flush: %s", errs)
	}
	relay := c.headerOf("alice@a.test")
	if from, _ := relay.AddressList("From"); from[0].Name != "Ann Agent via Example Support" {
		t.Errorf("the customer's mail is from %v", from)
	}

	code, out, errs = c.run("", "tickets", "show", "HD#1000", "--json")
	var show struct {
		Status          string `json:"status"`
		Assignee        string `json:"assignee"`
		FirstResponseAt string `json:"first_response_at"`
		Messages        []struct {
			Direction, Kind, Author, Text string
		} `json:"messages"`
	}
	if err := json.Unmarshal([]byte(out), &show); code != 0 || err != nil {
		t.Fatalf("tickets show --json: exit %d, %v: %s", code, err, errs)
	}
	if show.Status != "pending" || show.Assignee != "ann@example.com" || show.FirstResponseAt == "" {
		t.Errorf("ticket: status %s, assignee %s, first_response_at %q", show.Status, show.Assignee, show.FirstResponseAt)
	}
	var kinds []string
	for _, m := range show.Messages {
		kinds = append(kinds, m.Direction+"/"+m.Kind+"/"+m.Author)
	}
	want := "in/customer/ out/agent_new_ticket/ out/acknowledgement/ in/agent/ann@example.com out/agent_relay/ann@example.com in/note/ann@example.com"
	if strings.Join(kinds, " ") != want {
		t.Errorf("messages:\n%s\nwant\n%s", strings.Join(kinds, " "), want)
	}
	if code, out, _ = c.run("", "tickets", "show", "HD#1000"); code != 0 || !strings.Contains(out, "[agent ann@example.com]") {
		t.Errorf("tickets show: exit %d\n%s", code, out)
	}

	if code, out, errs = c.run("", "tickets", "assign", "HD#1000", "Bob", "Builder"); code != 0 || out != "HD#1000 assigned to Bob Builder <bob@example.com>\n" {
		t.Errorf("tickets assign: exit %d, %q %s", code, out, errs)
	}
	if code, _, errs = c.run("", "tickets", "assign", "HD#1000", "zed@example.com"); code != 1 || !strings.Contains(errs, `no agent "zed@example.com"`) {
		t.Errorf("assign to nobody: exit %d, %s", code, errs)
	}
	if code, _, errs = c.run("", "tickets", "assign", "HD#1000"); code != 2 {
		t.Errorf("assign without an agent: exit %d, %s", code, errs)
	}
	c.run("", "outbox", "flush")
	if h := c.headerOf("bob@example.com"); !strings.Contains(h.Get("Subject"), "Assigned to you") {
		t.Errorf("Bob was not told: %q", h.Get("Subject"))
	}
}
