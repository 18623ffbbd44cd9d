package triage

import (
	"fmt"
	"strings"
	"testing"
)

// benchRules returns n rules that mix every kind of condition, as a large
// desk's configuration would; few of them fire on the benchmark mail.
func benchRules(n int) []Rule {
	rules := make([]Rule, n)
	for i := range rules {
		r := Rule{Name: fmt.Sprintf("rule %d", i), Then: Action{Queue: fmt.Sprintf("q%d", i%7), Tags: []string{fmt.Sprintf("t%d", i)}, Impact: Medium}}
		switch i % 10 {
		case 0:
			r.When = []Condition{{Field: FieldFrom, Op: OpDomain, Value: fmt.Sprintf("customer%d.example", i)}}
		case 1:
			r.When = []Condition{{Field: FieldSubject, Op: OpAnyOf, Values: []string{fmt.Sprintf("urgent%d", i), fmt.Sprintf("asap%d", i), fmt.Sprintf("dringend%d", i)}}}
		case 2:
			r.When = []Condition{{Field: FieldBody, Op: OpRegex, Value: fmt.Sprintf(`(invoice|rechnung|facture)\W+no\.?\s*%d`, i)}}
		case 3:
			r.When = []Condition{{Field: FieldBody, Op: OpContains, Value: fmt.Sprintf("error code e-%d", i)}}
		case 4:
			r.MatchAny = true
			r.When = []Condition{
				{Field: FieldHeader, Header: "X-Alert-Severity", Op: OpEquals, Value: "critical"},
				{Field: FieldTo, Op: OpAnyOf, Values: []string{fmt.Sprintf("ops%d@example.com", i), fmt.Sprintf("@noc%d.example.com", i)}},
			}
		case 5:
			r.When = []Condition{
				{Field: FieldFromDomain, Op: OpAnyOf, Values: []string{fmt.Sprintf("a%d.example", i), fmt.Sprintf("b%d.example", i), fmt.Sprintf("c%d.example", i)}},
				{Field: FieldHasAttachment},
			}
		case 6:
			r.When = []Condition{{Field: FieldSubject, Op: OpRegex, Value: fmt.Sprintf(`^\[?order\s*#?%d`, i)}}
		case 7:
			r.When = []Condition{
				{Field: FieldOpenTickets, Op: OpGTE, Value: fmt.Sprint(i)},
				{Field: FieldMailbox, Op: OpEquals, Value: "support"},
			}
		case 8:
			r.When = []Condition{
				{Field: FieldFromName, Op: OpContains, Value: fmt.Sprintf("bot %d", i), Not: true},
				{Field: FieldCc, Op: OpDomain, Value: fmt.Sprintf("partner%d.example", i)},
			}
		case 9:
			r.When = []Condition{{Field: FieldHeader, Header: "List-Id", Op: OpExists}}
		}
		rules[i] = r
	}
	return rules
}

func BenchmarkEvaluate50Rules(b *testing.B) {
	rules := benchRules(50)
	e, err := New(Options{
		Spam:          SpamChecks{Header: "X-Spam-Flag", ScoreHeader: "X-Spam-Score", ScoreThreshold: 5, Block: []string{"@bad.example", "x@spam.example"}},
		HeaderUrgency: true,
		Rules:         rules,
	})
	if err != nil {
		b.Fatal(err)
	}
	m := Mail{
		From: "ann@customer7.example", FromName: "Ann Smith",
		To: []string{"support@example.com"}, Cc: []string{"bob@partner8.example"},
		Subject: "Printer on fire again, error code E-13",
		Body:    strings.Repeat("The printer on the second floor shows an error and the tray light blinks. ", 60),
		Header: map[string][]string{
			"X-Spam-Score": {"1.2"}, "Importance": {"high"}, "Message-Id": {"<1@example.com>"},
		},
		HasAttachment: true, Mailbox: "support", OpenTickets: 2,
	}
	b.ReportAllocs()
	for b.Loop() {
		d := e.Evaluate(m)
		if d.Priority == "" {
			b.Fatal("no priority")
		}
	}
}

func BenchmarkNearDuplicate(b *testing.B) {
	a := strings.Repeat(request, 5)
	c := strings.Replace(a, "tomorrow", "on Friday", 1)
	b.ReportAllocs()
	for b.Loop() {
		if !NearDuplicate(a, c) {
			b.Fatal("not a near duplicate")
		}
	}
}
