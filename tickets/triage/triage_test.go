package triage

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// hit is one rule "r" that tags the mail "hit" when c holds.
func hit(c Condition) []Rule {
	return []Rule{{Name: "r", When: []Condition{c}, Then: Action{Tags: []string{"hit"}}}}
}

// yes and no are the values of Action.Spam and Action.Acknowledge.
var yes, no = new(true), new(false)

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
		when Condition
		want bool
	}{
		{"from equals the address ignoring case", Condition{Field: FieldFrom, Op: OpEquals, Value: "carol@eu.bigcorp.example"}, true},
		{"from equals no other address", Condition{Field: FieldFrom, Op: OpEquals, Value: "carol@bigcorp.example"}, false},
		{"from contains a part of the address", Condition{Field: FieldFrom, Op: OpContains, Value: "CAROL@"}, true},
		{"from contains nothing else", Condition{Field: FieldFrom, Op: OpContains, Value: "dave"}, false},
		{"from regex matches the address", Condition{Field: FieldFrom, Op: OpRegex, Value: `^carol@.*\.example$`}, true},
		{"from regex ignores case", Condition{Field: FieldFrom, Op: OpRegex, Value: "^CAROL@"}, true},
		{"from regex can ask for case", Condition{Field: FieldFrom, Op: OpRegex, Value: "(?-i)^Carol@"}, false},
		{"from domain matches a subdomain", Condition{Field: FieldFrom, Op: OpDomain, Value: "bigcorp.example"}, true},
		{"from domain matches the exact domain", Condition{Field: FieldFrom, Op: OpDomain, Value: "eu.bigcorp.example"}, true},
		{"from domain written with @ matches", Condition{Field: FieldFrom, Op: OpDomain, Value: "@bigcorp.example"}, true},
		{"from domain does not match a look-alike", Condition{Field: FieldFrom, Op: OpDomain, Value: "corp.example"}, false},
		{"from domain does not match a parent's sibling", Condition{Field: FieldFrom, Op: OpDomain, Value: "us.bigcorp.example"}, false},
		{"from any_of an address", Condition{Field: FieldFrom, Op: OpAnyOf, Values: []string{"x@y.example", "CAROL@eu.bigcorp.example"}}, true},
		{"from any_of a @domain", Condition{Field: FieldFrom, Op: OpAnyOf, Values: []string{"x@y.example", "@bigcorp.example"}}, true},
		{"from any_of misses", Condition{Field: FieldFrom, Op: OpAnyOf, Values: []string{"x@y.example", "@corp.example"}}, false},
		{"from_name equals", Condition{Field: FieldFromName, Op: OpEquals, Value: "carol jones (bigcorp)"}, true},
		{"from_name contains", Condition{Field: FieldFromName, Op: OpContains, Value: "bigcorp"}, true},
		{"from_name regex", Condition{Field: FieldFromName, Op: OpRegex, Value: `\(bigcorp\)$`}, true},
		{"from_name any_of", Condition{Field: FieldFromName, Op: OpAnyOf, Values: []string{"mailer-daemon", "jones"}}, true},
		{"from_name any_of misses", Condition{Field: FieldFromName, Op: OpAnyOf, Values: []string{"mailer-daemon", "postmaster"}}, false},
		{"from_domain equals", Condition{Field: FieldFromDomain, Op: OpEquals, Value: "eu.bigcorp.example"}, true},
		{"from_domain equals not a parent", Condition{Field: FieldFromDomain, Op: OpEquals, Value: "bigcorp.example"}, false},
		{"from_domain contains", Condition{Field: FieldFromDomain, Op: OpContains, Value: "bigcorp"}, true},
		{"from_domain regex", Condition{Field: FieldFromDomain, Op: OpRegex, Value: `^eu\.`}, true},
		{"from_domain domain", Condition{Field: FieldFromDomain, Op: OpDomain, Value: "bigcorp.example"}, true},
		{"from_domain any_of", Condition{Field: FieldFromDomain, Op: OpAnyOf, Values: []string{"other.example", "bigcorp.example"}}, true},
		{"from_domain any_of misses", Condition{Field: FieldFromDomain, Op: OpAnyOf, Values: []string{"other.example"}}, false},
		{"to equals any one recipient", Condition{Field: FieldTo, Op: OpEquals, Value: "sales@example.com"}, true},
		{"to contains", Condition{Field: FieldTo, Op: OpContains, Value: "sales@"}, true},
		{"to regex", Condition{Field: FieldTo, Op: OpRegex, Value: "^support@"}, true},
		{"to domain", Condition{Field: FieldTo, Op: OpDomain, Value: "example.com"}, true},
		{"to any_of", Condition{Field: FieldTo, Op: OpAnyOf, Values: []string{"billing@example.com", "support@example.com"}}, true},
		{"to does not hold a cc", Condition{Field: FieldTo, Op: OpEquals, Value: "boss@eu.bigcorp.example"}, false},
		{"cc equals", Condition{Field: FieldCc, Op: OpEquals, Value: "boss@eu.bigcorp.example"}, true},
		{"cc domain", Condition{Field: FieldCc, Op: OpDomain, Value: "bigcorp.example"}, true},
		{"cc any_of a @domain", Condition{Field: FieldCc, Op: OpAnyOf, Values: []string{"@bigcorp.example"}}, true},
		{"cc contains misses", Condition{Field: FieldCc, Op: OpContains, Value: "support"}, false},
		{"subject equals the whole subject", Condition{Field: FieldSubject, Op: OpEquals, Value: "urgent: invoice 2024-117 is wrong"}, true},
		{"subject equals not a part", Condition{Field: FieldSubject, Op: OpEquals, Value: "invoice"}, false},
		{"subject contains ignoring case", Condition{Field: FieldSubject, Op: OpContains, Value: "invoice"}, true},
		{"subject regex", Condition{Field: FieldSubject, Op: OpRegex, Value: `\binvoice\s+\d{4}-\d+`}, true},
		{"subject any_of contains one", Condition{Field: FieldSubject, Op: OpAnyOf, Values: []string{"dringend", "urgent"}}, true},
		{"subject any_of misses", Condition{Field: FieldSubject, Op: OpAnyOf, Values: []string{"dringend", "asap"}}, false},
		{"body equals the trimmed text", Condition{Field: FieldBody, Op: OpEquals, Value: "hello,\n\nthe invoice lists 12 seats, we have 10.\nregards, carol"}, true},
		{"body contains", Condition{Field: FieldBody, Op: OpContains, Value: "12 SEATS"}, true},
		{"body regex over lines", Condition{Field: FieldBody, Op: OpRegex, Value: "(?s)seats.*carol"}, true},
		{"body regex anchored to a line", Condition{Field: FieldBody, Op: OpRegex, Value: "(?m)^regards"}, true},
		{"body any_of", Condition{Field: FieldBody, Op: OpAnyOf, Values: []string{"refund", "seats"}}, true},
		{"header equals one of its values", Condition{Field: FieldHeader, Header: "X-Customer", Op: OpEquals, Value: "platinum"}, true},
		{"header name is not case sensitive", Condition{Field: FieldHeader, Header: "x-customer", Op: OpEquals, Value: "gold"}, true},
		{"header contains", Condition{Field: FieldHeader, Header: "List-Id", Op: OpContains, Value: "lists.example"}, true},
		{"header regex", Condition{Field: FieldHeader, Header: "List-Id", Op: OpRegex, Value: `^<announce\.`}, true},
		{"header any_of", Condition{Field: FieldHeader, Header: "X-Customer", Op: OpAnyOf, Values: []string{"silver", "plat"}}, true},
		{"header exists", Condition{Field: FieldHeader, Header: "List-Id", Op: OpExists}, true},
		{"header that is absent does not exist", Condition{Field: FieldHeader, Header: "List-Unsubscribe", Op: OpExists}, false},
		{"header that is absent equals nothing", Condition{Field: FieldHeader, Header: "X-Other", Op: OpContains, Value: "a"}, false},
		{"has_attachment alone means it has one", Condition{Field: FieldHasAttachment}, true},
		{"has_attachment equals true", Condition{Field: FieldHasAttachment, Op: OpEquals, Value: "true"}, true},
		{"has_attachment false", Condition{Field: FieldHasAttachment, Value: "false"}, false},
		{"mailbox equals", Condition{Field: FieldMailbox, Op: OpEquals, Value: "Billing"}, true},
		{"mailbox contains", Condition{Field: FieldMailbox, Op: OpContains, Value: "bill"}, true},
		{"mailbox regex", Condition{Field: FieldMailbox, Op: OpRegex, Value: "^bill"}, true},
		{"mailbox any_of is one of the names", Condition{Field: FieldMailbox, Op: OpAnyOf, Values: []string{"support", "billing"}}, true},
		{"mailbox any_of is not a part of a name", Condition{Field: FieldMailbox, Op: OpAnyOf, Values: []string{"bill"}}, false},
		{"open_tickets equals", Condition{Field: FieldOpenTickets, Op: OpEquals, Value: "3"}, true},
		{"open_tickets equals no other number", Condition{Field: FieldOpenTickets, Op: OpEquals, Value: "2"}, false},
		{"open_tickets gte at the bound", Condition{Field: FieldOpenTickets, Op: OpGTE, Value: "3"}, true},
		{"open_tickets gte above", Condition{Field: FieldOpenTickets, Op: OpGTE, Value: "4"}, false},
		{"open_tickets lte at the bound", Condition{Field: FieldOpenTickets, Op: OpLTE, Value: "3"}, true},
		{"open_tickets lte below", Condition{Field: FieldOpenTickets, Op: OpLTE, Value: "2"}, false},
		{"not negates a match", Condition{Field: FieldFrom, Op: OpDomain, Value: "bigcorp.example", Not: true}, false},
		{"not negates a miss", Condition{Field: FieldSubject, Op: OpContains, Value: "refund", Not: true}, true},
		{"not on a list holds when no recipient matches", Condition{Field: FieldTo, Op: OpEquals, Value: "nobody@example.com", Not: true}, true},
		{"not on a list fails when one recipient matches", Condition{Field: FieldTo, Op: OpEquals, Value: "sales@example.com", Not: true}, false},
		{"not exists holds for an absent header", Condition{Field: FieldHeader, Header: "Auto-Submitted", Op: OpExists, Not: true}, true},
		{"not has_attachment", Condition{Field: FieldHasAttachment, Not: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, Options{Rules: hit(tc.when)})
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
	for _, when := range []Condition{
		{Field: FieldFrom, Op: OpContains, Value: "@"},
		{Field: FieldFrom, Op: OpRegex, Value: ".*"},
		{Field: FieldFromDomain, Op: OpRegex, Value: ".*"},
		{Field: FieldFrom, Op: OpAnyOf, Values: []string{"@example.com"}},
	} {
		e := newEngine(t, Options{Rules: hit(when)})
		if d := e.Evaluate(Mail{Subject: "hello"}); len(d.Fired) != 0 {
			t.Errorf("%+v fired for a mail without sender", when)
		}
	}
}

func TestMatchAllAndAny(t *testing.T) {
	rule := func(matchAny bool, subject string) []Rule {
		return []Rule{{Name: "r", MatchAny: matchAny, When: []Condition{
			{Field: FieldSubject, Op: OpContains, Value: subject},
			{Field: FieldFrom, Op: OpDomain, Value: "other.example"},
		}, Then: Action{Queue: "billing"}}}
	}
	for _, tc := range []struct {
		name     string
		matchAny bool
		want     bool
	}{
		{"all is the default and needs every condition", false, false},
		{"any needs one condition", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, Options{Rules: rule(tc.matchAny, "invoice")})
			if got := e.Evaluate(vip()).Queue == "billing"; got != tc.want {
				t.Errorf("fired = %v, want %v", got, tc.want)
			}
		})
	}
	e := newEngine(t, Options{Rules: rule(true, "refund")})
	if d := e.Evaluate(vip()); len(d.Fired) != 0 {
		t.Errorf("any with no condition holding fired: %+v", d)
	}
}

func TestARuleWithoutConditionsFiresForEveryMail(t *testing.T) {
	e := newEngine(t, Options{Rules: []Rule{{Name: "catch all", Then: Action{Category: "general"}}}})
	for _, m := range []Mail{{}, vip()} {
		if d := e.Evaluate(m); d.Category != "general" {
			t.Errorf("Evaluate(%+v).Category = %q, want general", m, d.Category)
		}
	}
}

// threeRules are three rules that all fire on vip(); stop ends the
// evaluation after the second.
func threeRules(stop bool) []Rule {
	return []Rule{
		{Name: "vip", When: []Condition{{Field: FieldFrom, Op: OpDomain, Value: "bigcorp.example"}},
			Then: Action{Queue: "vip", Tags: []string{"vip", "key"}, Impact: High, Assignee: "ann@example.com"}},
		{Name: "invoices", Stop: stop, When: []Condition{{Field: FieldSubject, Op: OpContains, Value: "invoice"}},
			Then: Action{Queue: "billing", Category: "billing", Tags: []string{"key", "invoice"}, Impact: Low, AckTemplate: "acknowledgement_billing"}},
		{Name: "urgent", When: []Condition{{Field: FieldSubject, Op: OpContains, Value: "urgent"}},
			Then: Action{Urgency: High, Acknowledge: no}},
	}
}

func TestLaterRulesOverrideEarlierOnesAndTagsAddUp(t *testing.T) {
	e := newEngine(t, Options{Rules: threeRules(false)})
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
	e := newEngine(t, Options{Rules: threeRules(true)})
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
	e := newEngine(t, Options{Rules: threeRules(false)})
	d := e.Evaluate(Mail{From: "dave@example.org", Subject: "Hello", Body: "Hi"})
	if !reflect.DeepEqual(d, Decision{Priority: "P3", Acknowledge: true}) {
		t.Errorf("Evaluate = %+v, want only priority P3 and acknowledge", d)
	}
}

// matrixRules sets impact and urgency from the subject "impact=X urgency=Y".
func matrixRules() []Rule {
	var rules []Rule
	for _, level := range Levels() {
		rules = append(rules,
			Rule{Name: "impact " + level, When: []Condition{{Field: FieldSubject, Op: OpContains, Value: "impact=" + level}}, Then: Action{Impact: level}},
			Rule{Name: "urgency " + level, When: []Condition{{Field: FieldSubject, Op: OpContains, Value: "urgency=" + level}}, Then: Action{Urgency: level}})
	}
	return rules
}

func TestTheDefaultMatrixGivesEveryCell(t *testing.T) {
	e := newEngine(t, Options{Rules: matrixRules()})
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
	matrix := Matrix{
		High:    Row{High: "P1", Medium: "P1", Low: "P2"},
		Medium:  Row{High: "P2", Medium: "P2", Low: "P4"},
		Low:     Row{High: "P3", Medium: "P3", Low: "P4"},
		Default: "P4",
	}
	e := newEngine(t, Options{Matrix: matrix, Rules: matrixRules()})
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
	e := newEngine(t, Options{Rules: matrixRules()})
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
	e := newEngine(t, Options{Rules: []Rule{
		{Name: "contract", When: []Condition{{Field: FieldFrom, Op: OpDomain, Value: "bigcorp.example"}}, Then: Action{Priority: "P2"}},
		{Name: "low impact", Then: Action{Impact: Low, Urgency: Low}},
		{Name: "escalated", When: []Condition{{Field: FieldSubject, Op: OpContains, Value: "escalat"}}, Then: Action{Priority: "P1"}},
	}})
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
	rules := []Rule{{Name: "calm subjects", When: []Condition{{Field: FieldSubject, Op: OpContains, Value: "whenever"}}, Then: Action{Urgency: Low}}}
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
			e := newEngine(t, Options{HeaderUrgency: tc.allowed, Rules: rules})
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
	spam := SpamChecks{
		Header:         "X-Spam-Flag",
		ScoreHeader:    "x-spam-score",
		ScoreThreshold: 5,
		Block:          []string{"Offers@Spammer.example.net", "@bad.example"},
	}
	rules := []Rule{
		{Name: "crypto", When: []Condition{{Field: FieldBody, Op: OpRegex, Value: `bitcoin\W+profit`}}, Then: Action{Spam: yes}},
		{Name: "partners are never spam", When: []Condition{{Field: FieldFrom, Op: OpDomain, Value: "partner.example"}},
			Then: Action{Spam: no, Tags: []string{"partner"}}},
	}
	for _, tc := range []struct {
		name       string
		spam       *SpamChecks
		from, body string
		header     map[string][]string
		wantReason string // "" means not spam
	}{
		{"a clean mail is not spam", nil, "ann@ok.example", "hello", nil, ""},
		{"the spam flag YES is spam", nil, "ann@ok.example", "hello", map[string][]string{"X-Spam-Flag": {"YES"}}, "X-Spam-Flag: YES"},
		{"the spam flag in lower case is spam", nil, "ann@ok.example", "hello", map[string][]string{"X-Spam-Flag": {"yes"}}, "X-Spam-Flag: yes"},
		{"the spam flag NO is not spam", nil, "ann@ok.example", "hello", map[string][]string{"X-Spam-Flag": {"NO"}}, ""},
		{"a status header Yes with score is spam", &SpamChecks{Header: "X-Spam-Status"}, "ann@ok.example", "hello",
			map[string][]string{"X-Spam-Status": {"Yes, score=7.2 required=5.0 tests=BAYES_99"}}, "X-Spam-Status: Yes, score=7.2 required=5.0 tests=BAYES_99"},
		{"a status header No is not spam", &SpamChecks{Header: "X-Spam-Status"}, "ann@ok.example", "hello",
			map[string][]string{"X-Spam-Status": {"No, score=-0.1"}}, ""},
		{"a score above the threshold is spam", nil, "ann@ok.example", "hello", map[string][]string{"X-Spam-Score": {"7.3 (+++++++)"}}, "X-Spam-Score 7.3 is at least 5"},
		{"a score at the threshold is spam", nil, "ann@ok.example", "hello", map[string][]string{"X-Spam-Score": {"5.0"}}, "X-Spam-Score 5 is at least 5"},
		{"a score below the threshold is not spam", nil, "ann@ok.example", "hello", map[string][]string{"X-Spam-Score": {"4.9"}}, ""},
		{"a negative score is not spam", nil, "ann@ok.example", "hello", map[string][]string{"X-Spam-Score": {"-2.1"}}, ""},
		{"a score that is no number is not spam", nil, "ann@ok.example", "hello", map[string][]string{"X-Spam-Score": {"high"}}, ""},
		{"threshold 0 turns the score off", &SpamChecks{ScoreHeader: "X-Spam-Score"}, "ann@ok.example", "hello",
			map[string][]string{"X-Spam-Score": {"99"}}, ""},
		{"an empty spam header name turns the flag off", &SpamChecks{}, "ann@ok.example", "hello", map[string][]string{"X-Spam-Flag": {"YES"}}, ""},
		{"a blocked address is spam whatever its case", nil, "offers@SPAMMER.example.net", "hello", nil, "sender blocked by offers@spammer.example.net"},
		{"another address at that domain is not blocked", nil, "info@spammer.example.net", "hello", nil, ""},
		{"a blocked domain is spam", nil, "x@bad.example", "hello", nil, "sender blocked by @bad.example"},
		{"a subdomain of a blocked domain is spam", nil, "x@mail.bad.example", "hello", nil, "sender blocked by @bad.example"},
		{"a look-alike of a blocked domain is not spam", nil, "x@notbad.example", "hello", nil, ""},
		{"a rule can call it spam", nil, "ann@ok.example", "Bitcoin: PROFIT now", nil, `rule "crypto"`},
		{"a rule can clear the spam flag", nil, "ann@partner.example", "hello", map[string][]string{"X-Spam-Flag": {"YES"}}, ""},
		{"a rule can clear the block list", &SpamChecks{Block: []string{"@partner.example"}}, "ann@partner.example", "hello", nil, ""},
		{"a rule calling spam keeps the header's reason", nil, "ann@ok.example", "bitcoin profit", map[string][]string{"X-Spam-Flag": {"YES"}}, "X-Spam-Flag: YES"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := spam
			if tc.spam != nil {
				sc = *tc.spam
			}
			e := newEngine(t, Options{Spam: sc, Rules: rules})
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
	e := newEngine(t, Options{Rules: []Rule{
		{Name: "spam", Then: Action{Spam: yes}},
		{Name: "always acknowledge", Then: Action{Acknowledge: yes, AckTemplate: "acknowledgement"}},
	}})
	d := e.Evaluate(vip())
	if !d.Spam || d.Acknowledge {
		t.Errorf("Evaluate = %+v, want spam without acknowledgement", d)
	}
}

func TestALaterRuleCanRestoreTheAcknowledgement(t *testing.T) {
	e := newEngine(t, Options{Rules: []Rule{
		{Name: "quiet", Then: Action{Acknowledge: no}},
		{Name: "vip hear from us", When: []Condition{{Field: FieldFrom, Op: OpDomain, Value: "bigcorp.example"}}, Then: Action{Acknowledge: yes}},
	}})
	if d := e.Evaluate(vip()); !d.Acknowledge {
		t.Errorf("vip not acknowledged: %+v", d)
	}
	if d := e.Evaluate(Mail{From: "x@other.example"}); d.Acknowledge {
		t.Errorf("other sender acknowledged: %+v", d)
	}
}

func TestNewRefusesOptionsNoDeskCanMean(t *testing.T) {
	good := Condition{Field: FieldSubject, Op: OpContains, Value: "x"}
	tag := Action{Tags: []string{"t"}}
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"an unknown field", Options{Rules: []Rule{{Name: "a"}, {Name: "b", When: []Condition{good, {Field: "subjet", Op: OpContains, Value: "x"}}, Then: tag}}},
			`rule[1] "b": when[1]: unknown field "subjet"`},
		{"an operator of another field", Options{Rules: []Rule{{Name: "a", When: []Condition{{Field: FieldSubject, Op: OpDomain, Value: "x"}}, Then: tag}}},
			`rule[0] "a": when[0]: operator "domain" does not apply to field "subject"`},
		{"an unknown operator", Options{Rules: []Rule{{Name: "a", When: []Condition{{Field: FieldSubject, Op: "regexp", Value: "x"}}, Then: tag}}},
			`operator "regexp" does not apply to field "subject"`},
		{"no operator", Options{Rules: []Rule{{Name: "a", When: []Condition{{Field: FieldSubject, Value: "x"}}, Then: tag}}},
			`operator "" does not apply`},
		{"a bad regex, quoted as written", Options{Rules: []Rule{{Name: "a", When: []Condition{{Field: FieldSubject, Op: OpRegex, Value: "(x"}}, Then: tag}}},
			"when[0]: error parsing regexp: missing closing ): `(x`"},
		{"a header condition without a header", Options{Rules: []Rule{{Name: "a", When: []Condition{{Field: FieldHeader, Op: OpExists}}, Then: tag}}},
			"names no header"},
		{"any_of without values", Options{Rules: []Rule{{Name: "a", When: []Condition{{Field: FieldSubject, Op: OpAnyOf}}, Then: tag}}},
			"any_of without values"},
		{"a count that is no number", Options{Rules: []Rule{{Name: "a", When: []Condition{{Field: FieldOpenTickets, Op: OpGTE, Value: "many"}}, Then: tag}}},
			`parsing "many"`},
		{"has_attachment neither true nor false", Options{Rules: []Rule{{Name: "a", When: []Condition{{Field: FieldHasAttachment, Value: "yes"}}, Then: tag}}},
			`has_attachment "yes" is neither true nor false`},
		{"an unknown level", Options{Rules: []Rule{{Name: "a", Then: Action{Urgency: "High"}}}},
			`rule[0] "a": then: urgency "High" is not one of high, medium, low`},
		{"an unknown priority", Options{Rules: []Rule{{Name: "a", Then: Action{Priority: "P9"}}}},
			`then: priority "P9" is not one of P1, P2, P3, P4`},
		{"a matrix with a hole", Options{Matrix: Matrix{High: Row{High: "P1"}, Default: "P3"}},
			"priority matrix: impact high, urgency medium"},
		{"a negative spam threshold", Options{Spam: SpamChecks{ScoreThreshold: -1}}, "spam score threshold -1"},
		{"a negative duplicate window", Options{DuplicateWindow: -time.Minute}, "duplicate window -1m0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestNewUsesARegexCompiledOnceByTheCaller(t *testing.T) {
	re, err := CompileRegexp(`^INVOICE\b`)
	if err != nil {
		t.Fatal(err)
	}
	// Value is what the admin wrote; the compiled form is what is used.
	e := newEngine(t, Options{Rules: hit(Condition{Field: FieldSubject, Op: OpRegex, Value: "never compiled again", Regexp: re})})
	if d := e.Evaluate(Mail{Subject: "invoice 117"}); len(d.Fired) != 1 {
		t.Errorf("the caller's regex did not match a subject it matches, case ignored: %+v", d)
	}
	if _, err := CompileRegexp("(a"); err == nil || strings.Contains(err.Error(), "(?i)") {
		t.Errorf("CompileRegexp of a bad pattern = %v, want an error quoting the pattern as written", err)
	}
}

func TestEvaluateIsSafeForConcurrentUse(t *testing.T) {
	e := newEngine(t, Options{Rules: threeRules(false)})
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
	e := newEngine(t, Options{Rules: []Rule{
		{Name: "early", When: []Condition{{Field: FieldBody, Op: OpContains, Value: "needle-early"}}, Then: Action{Tags: []string{"early"}}},
		{Name: "late", When: []Condition{{Field: FieldBody, Op: OpRegex, Value: "needle-late"}}, Then: Action{Tags: []string{"late"}}},
		{Name: "valid text", When: []Condition{{Field: FieldBody, Op: OpRegex, Value: "(?s)^.*ü$"}}, Then: Action{Tags: []string{"valid"}}},
	}})
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
