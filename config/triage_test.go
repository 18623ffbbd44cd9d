package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"helpdesk/tickets/triage"
)

func TestTriageOptionsAreTheFileInTheDomainsTerms(t *testing.T) {
	c := mustParse(t, minimum+`
[triage]
header_urgency = true
spam_header = "X-Spam-Status"
spam_score_threshold = 7.5
block = ["@bad.example"]
duplicate_window = "5m"

[priority]
high = { low = "P2" }
default = "P4"

[[rule]]
name = "vip"
match = "any"
stop = true
when = [
  { field = "from", op = "domain", value = "bigcorp.example" },
  { field = "subject", op = "regex", value = '^URGENT\b' },
  { field = "open_tickets", op = "gte", value = 3, not = true },
]
then = { queue = "vip", tags = ["vip"], impact = "high", spam = false }

[[rule]]
name = "attachments"
when = [{ field = "has_attachment" }]
then = { tags = ["attachment"] }

[[queue]]
name = "vip"
`)
	got, err := c.TriageOptions()
	if err != nil {
		t.Fatal(err)
	}
	re := got.Rules[0].When[1].Regexp
	if re == nil || !re.MatchString("urgent: down") || re.MatchString("not urgent") {
		t.Errorf("the regex condition = %v, want ^URGENT\\b compiled ignoring case", re)
	}
	got.Rules[0].When[1].Regexp = nil
	matrix := triage.DefaultMatrix()
	matrix.High.Low = "P2"
	matrix.Default = "P4"
	want := triage.Options{
		Spam:            triage.SpamChecks{Header: "X-Spam-Status", ScoreHeader: "X-Spam-Score", ScoreThreshold: 7.5, Block: []string{"@bad.example"}},
		HeaderUrgency:   true,
		DuplicateWindow: 5 * time.Minute,
		Matrix:          matrix,
		Rules: []triage.Rule{
			{Name: "vip", MatchAny: true, Stop: true,
				When: []triage.Condition{
					{Field: triage.FieldFrom, Op: triage.OpDomain, Value: "bigcorp.example"},
					{Field: triage.FieldSubject, Op: triage.OpRegex, Value: `^URGENT\b`},
					{Field: triage.FieldOpenTickets, Op: triage.OpGTE, Value: "3", Not: true},
				},
				Then: triage.Action{Queue: "vip", Tags: []string{"vip"}, Impact: triage.High, Spam: new(false)}},
			{Name: "attachments", When: []triage.Condition{{Field: triage.FieldHasAttachment}}, Then: triage.Action{Tags: []string{"attachment"}}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("TriageOptions =\n%+v\nwant\n%+v", got, want)
	}
	if _, err := triage.New(got); err != nil {
		t.Errorf("the domain refuses what the configuration accepted: %v", err)
	}
}

func TestEachRegexIsCompiledOnceWhenTheFileIsRead(t *testing.T) {
	c := mustParse(t, rule("when = [{ field = \"body\", op = \"regex\", value = 'bitcoin\\W+profit' }]\nthen = { spam = true }\n"))
	first, err := c.TriageOptions()
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.TriageOptions()
	if err != nil {
		t.Fatal(err)
	}
	if re := first.Rules[0].When[0].Regexp; re == nil || re != again.Rules[0].When[0].Regexp {
		t.Errorf("the regex was compiled again: %p then %p", re, again.Rules[0].When[0].Regexp)
	}
}

func TestTriageOptionsOfAConfigBuiltInCodeAreChecked(t *testing.T) {
	c := Default()
	c.Rules = []Rule{{Name: "x", When: []Condition{{Field: "subject", Op: "regex", Value: "(x"}}, Then: Action{Queue: "q"}}}
	_, err := c.TriageOptions()
	if ve, ok := errors.AsType[*ValidationError](err); !ok || !strings.Contains(ve.Error(), "rule[0].when[0].value: bad regex: error parsing regexp: missing closing ): `(x`") {
		t.Errorf("TriageOptions = %v, want a *ValidationError naming the bad regex", err)
	}
}

func TestTheExampleConfigurationSortsRealisticMail(t *testing.T) {
	t.Setenv("HELPDESK_SECRET", testSecret)
	t.Setenv("HELPDESK_SMTP_PASSWORD", "smtp-password")
	t.Setenv("HELPDESK_IMAP_PASSWORD", "imap-password")
	c, err := Load("../helpdesk.example.toml")
	if err != nil {
		t.Fatalf("loading the example configuration: %v", err)
	}
	opts, err := c.TriageOptions()
	if err != nil {
		t.Fatalf("TriageOptions: %v", err)
	}
	e, err := triage.New(opts)
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
