package triage_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helpdesk/config"
	"helpdesk/tickets/triage"
)

func ExampleEngine_Evaluate() {
	spam := true
	e, err := triage.New(triage.Options{
		Triage: config.Triage{Block: []string{"@bad.example"}},
		Rules: []config.Rule{
			{
				Name: "vip customers",
				When: []config.Condition{{Field: config.FieldFrom, Op: config.OpDomain, Value: "bigcorp.example"}},
				Then: config.Action{Queue: "vip", Tags: []string{"vip"}, Impact: "high"},
			},
			{
				Name: "urgent in subject",
				When: []config.Condition{{Field: config.FieldSubject, Op: config.OpAnyOf, Values: []string{"urgent", "dringend"}}},
				Then: config.Action{Urgency: "high"},
			},
			{
				Name: "crypto spam",
				When: []config.Condition{{Field: config.FieldBody, Op: config.OpRegex, Value: `bitcoin\W+profit`}},
				Then: config.Action{Spam: &spam},
			},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	d := e.Evaluate(triage.Mail{From: "carol@eu.bigcorp.example", Subject: "Dringend: VPN down"})
	fmt.Println(d.Queue, d.Tags, d.Impact, d.Urgency, d.Priority, d.Acknowledge)
	for _, f := range d.Fired {
		fmt.Printf("%s: %s\n", f.Rule, f.Summary)
	}

	d = e.Evaluate(triage.Mail{From: "win@bad.example", Subject: "Hello"})
	fmt.Println(d.Spam, d.SpamReason, d.Acknowledge)
	// Output:
	// vip [vip] high high P1 true
	// vip customers: queue=vip tags=vip impact=high
	// urgent in subject: urgency=high
	// true sender blocked by @bad.example false
}

// repoRoot walks up from the package folder to the folder holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the package folder")
		}
		dir = parent
	}
}

func TestTheExampleConfigurationSortsRealisticMail(t *testing.T) {
	t.Setenv("HELPDESK_SECRET", "0123456789abcdef0123456789abcdef")
	t.Setenv("HELPDESK_SMTP_PASSWORD", "smtp-password")
	t.Setenv("HELPDESK_IMAP_PASSWORD", "imap-password")
	c, err := config.Load(filepath.Join(repoRoot(t), "helpdesk.example.toml"))
	if err != nil {
		t.Fatalf("loading the example configuration: %v", err)
	}
	e, err := triage.New(triage.Options{Triage: c.Triage, Priority: c.Priority, Rules: c.Rules})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, tc := range []struct {
		name string
		mail triage.Mail
		want string // the decision, summarised by describe
	}{
		{"a customer's question keeps the defaults",
			triage.Mail{From: "dave@example.org", Subject: "How do I export my data?", Body: "Hi, where is the export button?", Mailbox: "support"},
			"queue= category= tags=[] impact= urgency= priority=P3 assignee= spam=false ack=true fired=[]"},
		{"a key account customer goes to the vip queue",
			triage.Mail{From: "carol@bigcorp.example", Subject: "Question about seats", Body: "How many seats do we have?", Mailbox: "support"},
			"queue=vip category= tags=[vip] impact=high urgency= priority=P2 assignee=ann@example.com spam=false ack=true fired=[vip customers]"},
		{"an urgent invoice from a key account goes to billing at P1",
			triage.Mail{From: "carol@bigcorp.example", Subject: "URGENT: Invoice 117 is wrong", Body: "Please fix it.", Mailbox: "support"},
			"queue=billing category=billing tags=[vip invoice] impact=high urgency=high priority=P1 assignee=ann@example.com spam=false ack=true fired=[vip customers urgent in subject invoices]"},
		{"mail to the billing mailbox is billing",
			triage.Mail{From: "dave@example.org", Subject: "Question", Body: "Can I pay by card?", Mailbox: "billing"},
			"queue=billing category=billing tags=[invoice] impact= urgency= priority=P3 assignee= spam=false ack=true fired=[invoices]"},
		{"a critical alert is P1 and not acknowledged",
			triage.Mail{From: "nagios@status.example.com", Subject: "PROBLEM: db1 down", Body: "CRITICAL", Mailbox: "support",
				Header: map[string][]string{"X-Alert-Severity": {"critical"}}},
			"queue=operations category=outage tags=[] impact= urgency=high priority=P1 assignee= spam=false ack=false fired=[critical alerts]"},
		{"a warning alert is a plain ticket",
			triage.Mail{From: "nagios@status.example.com", Subject: "PROBLEM: disk 80%", Body: "WARNING", Mailbox: "support",
				Header: map[string][]string{"X-Alert-Severity": {"warning"}}},
			"queue= category= tags=[] impact= urgency= priority=P3 assignee= spam=false ack=true fired=[]"},
		{"investment spam is spam",
			triage.Mail{From: "lucky@winner.example", Subject: "Opportunity", Body: "Our crypto fund brings real investment returns", Mailbox: "support"},
			`queue= category= tags=[] impact= urgency= priority=P3 assignee= spam=true ack=false fired=[crypto spam] reason=rule "crypto spam"`},
		{"a customer talking about crypto investment is not spam",
			triage.Mail{From: "carol@bigcorp.example", Subject: "Payments", Body: "Do you accept bitcoin for our investment plan?", Mailbox: "support"},
			"queue=vip category= tags=[vip] impact=high urgency= priority=P2 assignee=ann@example.com spam=false ack=true fired=[vip customers]"},
		{"a blocked domain is spam",
			triage.Mail{From: "x@mx.bad.example", Subject: "Hi", Body: "Hi", Mailbox: "support"},
			"queue= category= tags=[] impact= urgency= priority=P3 assignee= spam=true ack=false fired=[] reason=sender blocked by @bad.example"},
		{"the spam filter's flag is spam",
			triage.Mail{From: "x@example.org", Subject: "Hi", Body: "Hi", Mailbox: "support", Header: map[string][]string{"X-Spam-Flag": {"YES"}}},
			"queue= category= tags=[] impact= urgency= priority=P3 assignee= spam=true ack=false fired=[] reason=X-Spam-Flag: YES"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := describe(e.Evaluate(tc.mail)); got != tc.want {
				t.Errorf("Evaluate =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func describe(d triage.Decision) string {
	var fired []string
	for _, f := range d.Fired {
		fired = append(fired, f.Rule)
	}
	s := fmt.Sprintf("queue=%s category=%s tags=%v impact=%s urgency=%s priority=%s assignee=%s spam=%v ack=%v fired=[%s]",
		d.Queue, d.Category, d.Tags, d.Impact, d.Urgency, d.Priority, d.Assignee, d.Spam, d.Acknowledge, strings.Join(fired, " "))
	if d.SpamReason != "" {
		s += " reason=" + d.SpamReason
	}
	return s
}
