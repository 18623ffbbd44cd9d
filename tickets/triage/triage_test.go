package triage

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/BurntSushi/toml"

	"helpdesk/config"
)

// rulesFrom decodes [[rule]] tables written as an admin writes them.
func rulesFrom(t testing.TB, data string) []config.Rule {
	t.Helper()
	var f struct {
		Rules []config.Rule `toml:"rule"`
	}
	md, err := toml.Decode(data, &f)
	if err != nil {
		t.Fatalf("decoding rules: %v\n%s", err, data)
	}
	if u := md.Undecoded(); len(u) > 0 {
		t.Fatalf("unknown keys %v in\n%s", u, data)
	}
	return f.Rules
}

func newEngine(t testing.TB, opts Options) *Engine {
	t.Helper()
	e, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

// vip is a mail the conditions below are tested on.
func vip() Mail {
	return Mail{
		From:     "Carol@EU.BigCorp.example",
		FromName: "Carol Jones (BigCorp)",
		To:       []string{"support@example.com", "Sales@Example.com"},
		Cc:       []string{"boss@eu.bigcorp.example"},
		Subject:  "URGENT: Invoice 2024-117 is wrong",
		Body:     "Hello,\n\nthe invoice lists 12 seats, we have 10.\nRegards, Carol\n",
		Header: map[string][]string{
			"List-Id":    {"<announce.lists.example>"},
			"X-Customer": {"Gold", "Platinum"},
		},
		HasAttachment: true,
		Mailbox:       "billing",
		OpenTickets:   3,
	}
}

func TestEveryFieldAndOperator(t *testing.T) {
	for _, tc := range []struct {
		name string
		when string // one condition, as an inline table
		want bool
	}{
		{"from equals the address ignoring case", `field = "from", op = "equals", value = "carol@eu.bigcorp.example"`, true},
		{"from equals no other address", `field = "from", op = "equals", value = "carol@bigcorp.example"`, false},
		{"from contains a part of the address", `field = "from", op = "contains", value = "CAROL@"`, true},
		{"from contains nothing else", `field = "from", op = "contains", value = "dave"`, false},
		{"from regex matches the address", `field = "from", op = "regex", value = '^carol@.*\.example$'`, true},
		{"from regex ignores case", `field = "from", op = "regex", value = '^CAROL@'`, true},
		{"from regex can ask for case", `field = "from", op = "regex", value = '(?-i)^Carol@'`, false},
		{"from domain matches a subdomain", `field = "from", op = "domain", value = "bigcorp.example"`, true},
		{"from domain matches the exact domain", `field = "from", op = "domain", value = "eu.bigcorp.example"`, true},
		{"from domain written with @ matches", `field = "from", op = "domain", value = "@bigcorp.example"`, true},
		{"from domain does not match a look-alike", `field = "from", op = "domain", value = "corp.example"`, false},
		{"from domain does not match a parent's sibling", `field = "from", op = "domain", value = "us.bigcorp.example"`, false},
		{"from any_of an address", `field = "from", op = "any_of", values = ["x@y.example", "CAROL@eu.bigcorp.example"]`, true},
		{"from any_of a @domain", `field = "from", op = "any_of", values = ["x@y.example", "@bigcorp.example"]`, true},
		{"from any_of misses", `field = "from", op = "any_of", values = ["x@y.example", "@corp.example"]`, false},
		{"from_name equals", `field = "from_name", op = "equals", value = "carol jones (bigcorp)"`, true},
		{"from_name contains", `field = "from_name", op = "contains", value = "bigcorp"`, true},
		{"from_name regex", `field = "from_name", op = "regex", value = '\(bigcorp\)$'`, true},
		{"from_name any_of", `field = "from_name", op = "any_of", values = ["mailer-daemon", "jones"]`, true},
		{"from_name any_of misses", `field = "from_name", op = "any_of", values = ["mailer-daemon", "postmaster"]`, false},
		{"from_domain equals", `field = "from_domain", op = "equals", value = "eu.bigcorp.example"`, true},
		{"from_domain equals not a parent", `field = "from_domain", op = "equals", value = "bigcorp.example"`, false},
		{"from_domain contains", `field = "from_domain", op = "contains", value = "bigcorp"`, true},
		{"from_domain regex", `field = "from_domain", op = "regex", value = '^eu\.'`, true},
		{"from_domain domain", `field = "from_domain", op = "domain", value = "bigcorp.example"`, true},
		{"from_domain any_of", `field = "from_domain", op = "any_of", values = ["other.example", "bigcorp.example"]`, true},
		{"from_domain any_of misses", `field = "from_domain", op = "any_of", values = ["other.example"]`, false},
		{"to equals any one recipient", `field = "to", op = "equals", value = "sales@example.com"`, true},
		{"to contains", `field = "to", op = "contains", value = "sales@"`, true},
		{"to regex", `field = "to", op = "regex", value = '^support@'`, true},
		{"to domain", `field = "to", op = "domain", value = "example.com"`, true},
		{"to any_of", `field = "to", op = "any_of", values = ["billing@example.com", "support@example.com"]`, true},
		{"to does not hold a cc", `field = "to", op = "equals", value = "boss@eu.bigcorp.example"`, false},
		{"cc equals", `field = "cc", op = "equals", value = "boss@eu.bigcorp.example"`, true},
		{"cc domain", `field = "cc", op = "domain", value = "bigcorp.example"`, true},
		{"cc any_of a @domain", `field = "cc", op = "any_of", values = ["@bigcorp.example"]`, true},
		{"cc contains misses", `field = "cc", op = "contains", value = "support"`, false},
		{"subject equals the whole subject", `field = "subject", op = "equals", value = "urgent: invoice 2024-117 is wrong"`, true},
		{"subject equals not a part", `field = "subject", op = "equals", value = "invoice"`, false},
		{"subject contains ignoring case", `field = "subject", op = "contains", value = "invoice"`, true},
		{"subject regex", `field = "subject", op = "regex", value = '\binvoice\s+\d{4}-\d+'`, true},
		{"subject any_of contains one", `field = "subject", op = "any_of", values = ["dringend", "urgent"]`, true},
		{"subject any_of misses", `field = "subject", op = "any_of", values = ["dringend", "asap"]`, false},
		{"body equals the trimmed text", `field = "body", op = "equals", value = "hello,\n\nthe invoice lists 12 seats, we have 10.\nregards, carol"`, true},
		{"body contains", `field = "body", op = "contains", value = "12 SEATS"`, true},
		{"body regex over lines", `field = "body", op = "regex", value = '(?s)seats.*carol'`, true},
		{"body regex anchored to a line", `field = "body", op = "regex", value = '(?m)^regards'`, true},
		{"body any_of", `field = "body", op = "any_of", values = ["refund", "seats"]`, true},
		{"header equals one of its values", `field = "header", header = "X-Customer", op = "equals", value = "platinum"`, true},
		{"header name is not case sensitive", `field = "header", header = "x-customer", op = "equals", value = "gold"`, true},
		{"header contains", `field = "header", header = "List-Id", op = "contains", value = "lists.example"`, true},
		{"header regex", `field = "header", header = "List-Id", op = "regex", value = '^<announce\.'`, true},
		{"header any_of", `field = "header", header = "X-Customer", op = "any_of", values = ["silver", "plat"]`, true},
		{"header exists", `field = "header", header = "List-Id", op = "exists"`, true},
		{"header that is absent does not exist", `field = "header", header = "List-Unsubscribe", op = "exists"`, false},
		{"header that is absent equals nothing", `field = "header", header = "X-Other", op = "contains", value = "a"`, false},
		{"has_attachment alone means it has one", `field = "has_attachment"`, true},
		{"has_attachment equals true", `field = "has_attachment", op = "equals", value = true`, true},
		{"has_attachment false", `field = "has_attachment", value = false`, false},
		{"mailbox equals", `field = "mailbox", op = "equals", value = "Billing"`, true},
		{"mailbox contains", `field = "mailbox", op = "contains", value = "bill"`, true},
		{"mailbox regex", `field = "mailbox", op = "regex", value = '^bill'`, true},
		{"mailbox any_of is one of the names", `field = "mailbox", op = "any_of", values = ["support", "billing"]`, true},
		{"mailbox any_of is not a part of a name", `field = "mailbox", op = "any_of", values = ["bill"]`, false},
		{"open_tickets equals", `field = "open_tickets", op = "equals", value = 3`, true},
		{"open_tickets equals written as text", `field = "open_tickets", op = "equals", value = "2"`, false},
		{"open_tickets gte at the bound", `field = "open_tickets", op = "gte", value = 3`, true},
		{"open_tickets gte above", `field = "open_tickets", op = "gte", value = 4`, false},
		{"open_tickets lte at the bound", `field = "open_tickets", op = "lte", value = 3`, true},
		{"open_tickets lte below", `field = "open_tickets", op = "lte", value = 2`, false},
		{"not negates a match", `field = "from", op = "domain", value = "bigcorp.example", not = true`, false},
		{"not negates a miss", `field = "subject", op = "contains", value = "refund", not = true`, true},
		{"not on a list holds when no recipient matches", `field = "to", op = "equals", value = "nobody@example.com", not = true`, true},
		{"not on a list fails when one recipient matches", `field = "to", op = "equals", value = "sales@example.com", not = true`, false},
		{"not exists holds for an absent header", `field = "header", header = "Auto-Submitted", op = "exists", not = true`, true},
		{"not has_attachment", `field = "has_attachment", not = true`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, Options{Rules: rulesFrom(t, "[[rule]]\nname = \"r\"\nwhen = [{ "+tc.when+" }]\nthen = { tags = [\"hit\"] }\n")})
			d := e.Evaluate(vip())
			if got := len(d.Fired) == 1; got != tc.want {
				t.Errorf("fired = %v, want %v (decision %+v)", got, tc.want, d)
			}
			if tc.want && !reflect.DeepEqual(d.Tags, []string{"hit"}) {
				t.Errorf("tags = %v, want [hit]", d.Tags)
			}
		})
	}
}

func TestAMailWithoutSenderMatchesNoAddressTest(t *testing.T) {
	for _, when := range []string{
		`field = "from", op = "contains", value = "@"`,
		`field = "from", op = "regex", value = '.*'`,
		`field = "from_domain", op = "regex", value = '.*'`,
		`field = "from", op = "any_of", values = ["@example.com"]`,
	} {
		e := newEngine(t, Options{Rules: rulesFrom(t, "[[rule]]\nname = \"r\"\nwhen = [{ "+when+" }]\nthen = { tags = [\"hit\"] }\n")})
		if d := e.Evaluate(Mail{Subject: "hello"}); len(d.Fired) != 0 {
			t.Errorf("%s fired for a mail without sender", when)
		}
	}
}

func TestMatchAllAndAny(t *testing.T) {
	const conds = `
  [[rule.when]]
  field = "subject"
  op = "contains"
  value = "invoice"
  [[rule.when]]
  field = "from"
  op = "domain"
  value = "other.example"
  [rule.then]
  queue = "billing"
`
	for _, tc := range []struct {
		name, match string
		want        bool
	}{
		{"all is the default and needs every condition", "", false},
		{"all needs every condition", `match = "all"`, false},
		{"any needs one condition", `match = "any"`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, Options{Rules: rulesFrom(t, "[[rule]]\nname = \"r\"\n"+tc.match+"\n"+conds)})
			if got := e.Evaluate(vip()).Queue == "billing"; got != tc.want {
				t.Errorf("fired = %v, want %v", got, tc.want)
			}
		})
	}
	e := newEngine(t, Options{Rules: rulesFrom(t, "[[rule]]\nname = \"r\"\nmatch = \"any\"\n"+strings.Replace(conds, "invoice", "refund", 1))})
	if d := e.Evaluate(vip()); len(d.Fired) != 0 {
		t.Errorf("any with no condition holding fired: %+v", d)
	}
}

func TestARuleWithoutConditionsFiresForEveryMail(t *testing.T) {
	e := newEngine(t, Options{Rules: rulesFrom(t, "[[rule]]\nname = \"catch all\"\nthen = { category = \"general\" }\n")})
	for _, m := range []Mail{{}, vip()} {
		if d := e.Evaluate(m); d.Category != "general" {
			t.Errorf("Evaluate(%+v).Category = %q, want general", m, d.Category)
		}
	}
}

const threeRules = `
[[rule]]
name = "vip"
when = [{ field = "from", op = "domain", value = "bigcorp.example" }]
then = { queue = "vip", tags = ["vip", "key"], impact = "high", assignee = "ann@example.com" }

[[rule]]
name = "invoices"
STOP
when = [{ field = "subject", op = "contains", value = "invoice" }]
then = { queue = "billing", category = "billing", tags = ["key", "invoice"], impact = "low", ack_template = "acknowledgement_billing" }

[[rule]]
name = "urgent"
when = [{ field = "subject", op = "contains", value = "urgent" }]
then = { urgency = "high", acknowledge = false }
`

func TestLaterRulesOverrideEarlierOnesAndTagsAddUp(t *testing.T) {
	e := newEngine(t, Options{Rules: rulesFrom(t, strings.Replace(threeRules, "STOP", "", 1))})
	d := e.Evaluate(vip())
	want := Decision{
		Queue: "billing", Category: "billing", Tags: []string{"vip", "key", "invoice"},
		Impact: "low", Urgency: "high", Priority: "P3", Assignee: "ann@example.com",
		Acknowledge: false, AckTemplate: "acknowledgement_billing",
		Fired: []Fired{
			{Rule: "vip", Summary: "queue=vip tags=vip,key impact=high assignee=ann@example.com"},
			{Rule: "invoices", Summary: "queue=billing category=billing tags=key,invoice impact=low ack_template=acknowledgement_billing"},
			{Rule: "urgent", Summary: "urgency=high acknowledge=false"},
		},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("Evaluate =\n%+v\nwant\n%+v", d, want)
	}
}

func TestStopEndsTheEvaluation(t *testing.T) {
	e := newEngine(t, Options{Rules: rulesFrom(t, strings.Replace(threeRules, "STOP", "stop = true", 1))})
	d := e.Evaluate(vip())
	if len(d.Fired) != 2 || d.Fired[1].Rule != "invoices" || d.Fired[1].Summary != "queue=billing category=billing tags=key,invoice impact=low ack_template=acknowledgement_billing stop" {
		t.Errorf("Fired = %+v, want vip then invoices, which stops", d.Fired)
	}
	if d.Urgency != "" || !d.Acknowledge || d.Priority != "P4" {
		t.Errorf("the rule after stop acted: %+v", d)
	}

	// A stop rule that does not fire stops nothing.
	m := vip()
	m.Subject = "Urgent: cannot log in"
	if d := e.Evaluate(m); len(d.Fired) != 2 || d.Fired[1].Rule != "urgent" {
		t.Errorf("Fired = %+v, want vip then urgent", d.Fired)
	}
}

func TestDecisionOfAMailNoRuleMatches(t *testing.T) {
	e := newEngine(t, Options{Rules: rulesFrom(t, strings.Replace(threeRules, "STOP", "", 1))})
	d := e.Evaluate(Mail{From: "dave@example.org", Subject: "Hello", Body: "Hi"})
	if !reflect.DeepEqual(d, Decision{Priority: "P3", Acknowledge: true}) {
		t.Errorf("Evaluate = %+v, want only priority P3 and acknowledge", d)
	}
}

// matrixRules sets impact and urgency from the subject "impact=X urgency=Y".
func matrixRules() string {
	var b strings.Builder
	for _, kind := range []string{"impact", "urgency"} {
		for _, level := range []string{"high", "medium", "low"} {
			fmt.Fprintf(&b, "[[rule]]\nname = %q\nwhen = [{ field = \"subject\", op = \"contains\", value = %q }]\nthen = { %s = %q }\n",
				kind+" "+level, kind+"="+level, kind, level)
		}
	}
	return b.String()
}

func TestTheDefaultMatrixGivesEveryCell(t *testing.T) {
	e := newEngine(t, Options{Rules: rulesFrom(t, matrixRules())})
	for _, tc := range []struct{ impact, urgency, want string }{
		{"high", "high", "P1"}, {"high", "medium", "P2"}, {"high", "low", "P3"},
		{"medium", "high", "P2"}, {"medium", "medium", "P3"}, {"medium", "low", "P3"},
		{"low", "high", "P3"}, {"low", "medium", "P4"}, {"low", "low", "P4"},
	} {
		t.Run("impact "+tc.impact+" and urgency "+tc.urgency+" give "+tc.want, func(t *testing.T) {
			d := e.Evaluate(Mail{Subject: "impact=" + tc.impact + " urgency=" + tc.urgency})
			if d.Priority != tc.want || d.Impact != tc.impact || d.Urgency != tc.urgency {
				t.Errorf("Evaluate = %+v, want priority %s", d, tc.want)
			}
		})
	}
}

func TestACustomMatrixGivesEveryCell(t *testing.T) {
	matrix := config.Priority{
		High:    config.PriorityRow{High: "P1", Medium: "P1", Low: "P2"},
		Medium:  config.PriorityRow{High: "P2", Medium: "P2", Low: "P4"},
		Low:     config.PriorityRow{High: "P3", Medium: "P3", Low: "P4"},
		Default: "P4",
	}
	e := newEngine(t, Options{Priority: matrix, Rules: rulesFrom(t, matrixRules())})
	for _, tc := range []struct{ impact, urgency, want string }{
		{"high", "high", "P1"}, {"high", "medium", "P1"}, {"high", "low", "P2"},
		{"medium", "high", "P2"}, {"medium", "medium", "P2"}, {"medium", "low", "P4"},
		{"low", "high", "P3"}, {"low", "medium", "P3"}, {"low", "low", "P4"},
		{"", "", "P4"}, // the custom default
		{"high", "", "P1"}, {"", "low", "P4"}, {"low", "", "P3"},
	} {
		t.Run("impact "+tc.impact+" and urgency "+tc.urgency+" give "+tc.want, func(t *testing.T) {
			subject := ""
			if tc.impact != "" {
				subject += " impact=" + tc.impact
			}
			if tc.urgency != "" {
				subject += " urgency=" + tc.urgency
			}
			if d := e.Evaluate(Mail{Subject: subject}); d.Priority != tc.want {
				t.Errorf("Evaluate(%q).Priority = %s, want %s", subject, d.Priority, tc.want)
			}
		})
	}
}

func TestAMissingImpactOrUrgencyCountsAsMedium(t *testing.T) {
	e := newEngine(t, Options{Rules: rulesFrom(t, matrixRules())})
	for subject, want := range map[string]string{
		"impact=high": "P2", "impact=low": "P4", "impact=medium": "P3",
		"urgency=high": "P2", "urgency=low": "P3", "urgency=medium": "P3",
		"nothing": "P3",
	} {
		d := e.Evaluate(Mail{Subject: subject})
		if d.Priority != want {
			t.Errorf("%s gives %s, want %s", subject, d.Priority, want)
		}
		if strings.HasPrefix(subject, "impact") && d.Urgency != "" || strings.HasPrefix(subject, "urgency") && d.Impact != "" {
			t.Errorf("%s: the missing level was recorded: %+v", subject, d)
		}
	}
}

func TestARulesPriorityOverridesTheMatrix(t *testing.T) {
	e := newEngine(t, Options{Rules: rulesFrom(t, `
[[rule]]
name = "contract"
when = [{ field = "from", op = "domain", value = "bigcorp.example" }]
then = { priority = "P2" }
[[rule]]
name = "low impact"
then = { impact = "low", urgency = "low" }
[[rule]]
name = "escalated"
when = [{ field = "subject", op = "contains", value = "escalat" }]
then = { priority = "P1" }
`)})
	d := e.Evaluate(vip())
	if d.Priority != "P2" || d.Impact != "low" || d.Urgency != "low" {
		t.Errorf("Evaluate = %+v, want P2 despite impact and urgency low", d)
	}
	m := vip()
	m.Subject = "Escalated: outage"
	if d := e.Evaluate(m); d.Priority != "P1" {
		t.Errorf("Priority = %s, want the later rule's P1", d.Priority)
	}
}

func TestHeaderUrgency(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    map[string][]string
		want string
	}{
		{"importance high", map[string][]string{"Importance": {"High"}}, "high"},
		{"importance low", map[string][]string{"Importance": {" low "}}, "low"},
		{"importance normal says nothing", map[string][]string{"Importance": {"Normal"}}, ""},
		{"x-priority 1 highest", map[string][]string{"X-Priority": {"1 (Highest)"}}, "high"},
		{"x-priority 2", map[string][]string{"X-Priority": {"2"}}, "high"},
		{"x-priority 3 normal", map[string][]string{"X-Priority": {"3 (Normal)"}}, ""},
		{"x-priority 4", map[string][]string{"X-Priority": {"4 (Low)"}}, "low"},
		{"x-priority 5 lowest", map[string][]string{"X-Priority": {"5"}}, "low"},
		{"x-priority garbage", map[string][]string{"X-Priority": {"urgent!"}}, ""},
		{"x-msmail-priority high", map[string][]string{"X-Msmail-Priority": {"High"}}, "high"},
		{"priority urgent", map[string][]string{"Priority": {"urgent"}}, "high"},
		{"priority non-urgent", map[string][]string{"Priority": {"Non-Urgent"}}, "low"},
		{"priority normal", map[string][]string{"Priority": {"normal"}}, ""},
		{"importance wins over x-priority", map[string][]string{"Importance": {"low"}, "X-Priority": {"1"}}, "low"},
		{"x-priority counts when importance is normal", map[string][]string{"Importance": {"normal"}, "X-Priority": {"1"}}, "high"},
		{"no headers", nil, ""},
		{"unrelated headers", map[string][]string{"Subject": {"urgent"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := HeaderUrgency(tc.h); got != tc.want {
				t.Errorf("HeaderUrgency(%v) = %q, want %q", tc.h, got, tc.want)
			}
		})
	}
}

func TestHeaderUrgencyCountsOnlyWhenAllowedAndNoRuleSetOne(t *testing.T) {
	rules := rulesFrom(t, `
[[rule]]
name = "calm subjects"
when = [{ field = "subject", op = "contains", value = "whenever" }]
then = { urgency = "low" }
`)
	important := Mail{Subject: "Printer broken", Header: map[string][]string{"Importance": {"high"}}}
	for _, tc := range []struct {
		name                  string
		allowed               bool
		subject               string
		wantUrgency, wantFrom string
		wantPriority          string
	}{
		{"headers are ignored by default", false, "Printer broken", "", "", "P3"},
		{"allowed headers set the urgency", true, "Printer broken", "high", "Importance: high", "P2"},
		{"a rule's urgency wins over the headers", true, "Printer broken, whenever", "low", "", "P3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, Options{Triage: config.Triage{HeaderUrgency: tc.allowed}, Rules: rules})
			m := important
			m.Subject = tc.subject
			d := e.Evaluate(m)
			if d.Urgency != tc.wantUrgency || d.UrgencyHeader != tc.wantFrom || d.Priority != tc.wantPriority {
				t.Errorf("Evaluate = urgency %q from %q priority %s, want %q from %q, %s",
					d.Urgency, d.UrgencyHeader, d.Priority, tc.wantUrgency, tc.wantFrom, tc.wantPriority)
			}
		})
	}
}

func TestSpamVerdicts(t *testing.T) {
	triage := config.Triage{
		SpamHeader:         "X-Spam-Flag",
		SpamScoreHeader:    "x-spam-score",
		SpamScoreThreshold: 5,
		Block:              []string{"Offers@Spammer.example.net", "@bad.example"},
	}
	rules := rulesFrom(t, `
[[rule]]
name = "crypto"
when = [{ field = "body", op = "regex", value = 'bitcoin\W+profit' }]
then = { spam = true }
[[rule]]
name = "partners are never spam"
when = [{ field = "from", op = "domain", value = "partner.example" }]
then = { spam = false, tags = ["partner"] }
`)
	for _, tc := range []struct {
		name       string
		triage     *config.Triage
		from, body string
		header     map[string][]string
		wantReason string // "" means not spam
	}{
		{"a clean mail is not spam", nil, "ann@ok.example", "hello", nil, ""},
		{"the spam flag YES is spam", nil, "ann@ok.example", "hello", map[string][]string{"X-Spam-Flag": {"YES"}}, "X-Spam-Flag: YES"},
		{"the spam flag in lower case is spam", nil, "ann@ok.example", "hello", map[string][]string{"X-Spam-Flag": {"yes"}}, "X-Spam-Flag: yes"},
		{"the spam flag NO is not spam", nil, "ann@ok.example", "hello", map[string][]string{"X-Spam-Flag": {"NO"}}, ""},
		{"a status header Yes with score is spam", &config.Triage{SpamHeader: "X-Spam-Status"}, "ann@ok.example", "hello",
			map[string][]string{"X-Spam-Status": {"Yes, score=7.2 required=5.0 tests=BAYES_99"}}, "X-Spam-Status: Yes, score=7.2 required=5.0 tests=BAYES_99"},
		{"a status header No is not spam", &config.Triage{SpamHeader: "X-Spam-Status"}, "ann@ok.example", "hello",
			map[string][]string{"X-Spam-Status": {"No, score=-0.1"}}, ""},
		{"a score above the threshold is spam", nil, "ann@ok.example", "hello", map[string][]string{"X-Spam-Score": {"7.3 (+++++++)"}}, "X-Spam-Score 7.3 is at least 5"},
		{"a score at the threshold is spam", nil, "ann@ok.example", "hello", map[string][]string{"X-Spam-Score": {"5.0"}}, "X-Spam-Score 5 is at least 5"},
		{"a score below the threshold is not spam", nil, "ann@ok.example", "hello", map[string][]string{"X-Spam-Score": {"4.9"}}, ""},
		{"a negative score is not spam", nil, "ann@ok.example", "hello", map[string][]string{"X-Spam-Score": {"-2.1"}}, ""},
		{"a score that is no number is not spam", nil, "ann@ok.example", "hello", map[string][]string{"X-Spam-Score": {"high"}}, ""},
		{"threshold 0 turns the score off", &config.Triage{SpamScoreHeader: "X-Spam-Score"}, "ann@ok.example", "hello",
			map[string][]string{"X-Spam-Score": {"99"}}, ""},
		{"an empty spam header name turns the flag off", &config.Triage{}, "ann@ok.example", "hello", map[string][]string{"X-Spam-Flag": {"YES"}}, ""},
		{"a blocked address is spam whatever its case", nil, "offers@SPAMMER.example.net", "hello", nil, "sender blocked by offers@spammer.example.net"},
		{"another address at that domain is not blocked", nil, "info@spammer.example.net", "hello", nil, ""},
		{"a blocked domain is spam", nil, "x@bad.example", "hello", nil, "sender blocked by @bad.example"},
		{"a subdomain of a blocked domain is spam", nil, "x@mail.bad.example", "hello", nil, "sender blocked by @bad.example"},
		{"a look-alike of a blocked domain is not spam", nil, "x@notbad.example", "hello", nil, ""},
		{"a rule can call it spam", nil, "ann@ok.example", "Bitcoin: PROFIT now", nil, `rule "crypto"`},
		{"a rule can clear the spam flag", nil, "ann@partner.example", "hello", map[string][]string{"X-Spam-Flag": {"YES"}}, ""},
		{"a rule can clear the block list", &config.Triage{Block: []string{"@partner.example"}}, "ann@partner.example", "hello", nil, ""},
		{"a rule calling spam keeps the header's reason", nil, "ann@ok.example", "bitcoin profit", map[string][]string{"X-Spam-Flag": {"YES"}}, "X-Spam-Flag: YES"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := triage
			if tc.triage != nil {
				tr = *tc.triage
			}
			e := newEngine(t, Options{Triage: tr, Rules: rules})
			d := e.Evaluate(Mail{From: tc.from, Subject: "hi", Body: tc.body, Header: tc.header})
			if want := tc.wantReason != ""; d.Spam != want || d.SpamReason != tc.wantReason {
				t.Errorf("Spam = %v %q, want %v %q", d.Spam, d.SpamReason, want, tc.wantReason)
			}
			if d.Acknowledge == d.Spam {
				t.Errorf("Acknowledge = %v for spam %v; spam is never acknowledged, the rest is", d.Acknowledge, d.Spam)
			}
		})
	}
}

func TestSpamIsNotAcknowledgedEvenWhenARuleAsks(t *testing.T) {
	e := newEngine(t, Options{Rules: rulesFrom(t, `
[[rule]]
name = "spam"
then = { spam = true }
[[rule]]
name = "always acknowledge"
then = { acknowledge = true, ack_template = "acknowledgement" }
`)})
	d := e.Evaluate(vip())
	if !d.Spam || d.Acknowledge {
		t.Errorf("Evaluate = %+v, want spam without acknowledgement", d)
	}
}

func TestALaterRuleCanRestoreTheAcknowledgement(t *testing.T) {
	e := newEngine(t, Options{Rules: rulesFrom(t, `
[[rule]]
name = "quiet"
then = { acknowledge = false }
[[rule]]
name = "vip hear from us"
when = [{ field = "from", op = "domain", value = "bigcorp.example" }]
then = { acknowledge = true }
`)})
	if d := e.Evaluate(vip()); !d.Acknowledge {
		t.Errorf("vip not acknowledged: %+v", d)
	}
	if d := e.Evaluate(Mail{From: "x@other.example"}); d.Acknowledge {
		t.Errorf("other sender acknowledged: %+v", d)
	}
}

func TestNewRejectsInvalidRulesNamingEachKey(t *testing.T) {
	_, err := New(Options{
		Triage: config.Triage{Block: []string{"nobody"}},
		Rules: []config.Rule{
			{Name: "a", When: []config.Condition{{Field: "subject", Op: "regexp", Value: "x"}}, Then: config.Action{Queue: "q"}},
			{Name: "a", When: []config.Condition{{Field: "subject", Op: "regex", Value: "(x"}}, Then: config.Action{Priority: "P9"}},
		},
	})
	var ve *config.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("New = %v, want a *config.ValidationError", err)
	}
	for _, want := range []string{
		`triage.block[0]: "nobody" is neither an address`,
		`rule[0].when[0].op: unknown operator "regexp"`,
		`rule[1].name: "a" is already the name of rule[0]`,
		"rule[1].when[0].value: bad regex: ",
		`rule[1].then.priority: "P9" must be one of P1, P2, P3, P4`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q:\n%v", want, err)
		}
	}
	if len(ve.Problems) != 5 {
		t.Errorf("got %d problems, want 5: %v", len(ve.Problems), err)
	}
}

func TestEvaluateIsSafeForConcurrentUse(t *testing.T) {
	e := newEngine(t, Options{Rules: rulesFrom(t, strings.Replace(threeRules, "STOP", "", 1))})
	want := e.Evaluate(vip())
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if d := e.Evaluate(vip()); !reflect.DeepEqual(d, want) {
					errs <- fmt.Sprintf("%+v", d)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("concurrent Evaluate = %s, want %+v", e, want)
	}
}

func TestBodyConditionsSeeOnlyTheStartOfAHugeMail(t *testing.T) {
	e := newEngine(t, Options{Rules: rulesFrom(t, `
[[rule]]
name = "early"
when = [{ field = "body", op = "contains", value = "needle-early" }]
then = { tags = ["early"] }
[[rule]]
name = "late"
when = [{ field = "body", op = "regex", value = 'needle-late' }]
then = { tags = ["late"] }
[[rule]]
name = "valid text"
when = [{ field = "body", op = "regex", value = '(?s)^.*ü$' }]
then = { tags = ["valid"] }
`)})
	// The cut falls inside the two bytes of the last "ü".
	body := "needle-early " + strings.Repeat("ü", MaxBodyBytes/2) + " needle-late"
	d := e.Evaluate(Mail{Body: body})
	if !reflect.DeepEqual(d.Tags, []string{"early", "valid"}) {
		t.Errorf("tags = %v, want [early valid]: the start only, cut between characters", d.Tags)
	}
	if d := e.Evaluate(Mail{Body: "needle-late"}); !reflect.DeepEqual(d.Tags, []string{"late"}) {
		t.Errorf("tags of a short mail = %v, want [late]", d.Tags)
	}
}
