package triage

import (
	"fmt"
	"strings"
	"testing"

	"helpdesk/config"
)

// benchRules returns n rules that mix every kind of condition, as a large
// desk's configuration would; few of them fire on the benchmark mail.
func benchRules(tb testing.TB, n int) []config.Rule {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "[[rule]]\nname = \"rule %d\"\n", i)
		switch i % 10 {
		case 0:
			fmt.Fprintf(&b, "when = [{ field = \"from\", op = \"domain\", value = \"customer%d.example\" }]\n", i)
		case 1:
			fmt.Fprintf(&b, "when = [{ field = \"subject\", op = \"any_of\", values = [\"urgent%d\", \"asap%d\", \"dringend%d\"] }]\n", i, i, i)
		case 2:
			fmt.Fprintf(&b, "when = [{ field = \"body\", op = \"regex\", value = '(invoice|rechnung|facture)\\W+no\\.?\\s*%d' }]\n", i)
		case 3:
			fmt.Fprintf(&b, "when = [{ field = \"body\", op = \"contains\", value = \"error code e-%d\" }]\n", i)
		case 4:
			fmt.Fprintf(&b, "match = \"any\"\nwhen = [{ field = \"header\", header = \"X-Alert-Severity\", op = \"equals\", value = \"critical\" }, { field = \"to\", op = \"any_of\", values = [\"ops%d@example.com\", \"@noc%d.example.com\"] }]\n", i, i)
		case 5:
			fmt.Fprintf(&b, "when = [{ field = \"from_domain\", op = \"any_of\", values = [\"a%d.example\", \"b%d.example\", \"c%d.example\"] }, { field = \"has_attachment\" }]\n", i, i, i)
		case 6:
			fmt.Fprintf(&b, "when = [{ field = \"subject\", op = \"regex\", value = '^\\[?order\\s*#?%d' }]\n", i)
		case 7:
			fmt.Fprintf(&b, "when = [{ field = \"open_tickets\", op = \"gte\", value = %d }, { field = \"mailbox\", op = \"equals\", value = \"support\" }]\n", i)
		case 8:
			fmt.Fprintf(&b, "when = [{ field = \"from_name\", op = \"contains\", value = \"bot %d\", not = true }, { field = \"cc\", op = \"domain\", value = \"partner%d.example\" }]\n", i, i)
		case 9:
			fmt.Fprintf(&b, "when = [{ field = \"header\", header = \"List-Id\", op = \"exists\" }]\n")
		}
		fmt.Fprintf(&b, "then = { queue = \"q%d\", tags = [\"t%d\"], impact = \"medium\" }\n", i%7, i)
	}
	return rulesFrom(tb, b.String())
}

func BenchmarkEvaluate50Rules(b *testing.B) {
	rules := benchRules(b, 50)
	e, err := New(Options{
		Triage: config.Triage{SpamHeader: "X-Spam-Flag", SpamScoreHeader: "X-Spam-Score", SpamScoreThreshold: 5,
			Block: []string{"@bad.example", "x@spam.example"}, HeaderUrgency: true},
		Rules: rules,
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
