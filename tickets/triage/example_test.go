package triage_test

import (
	"fmt"

	"helpdesk/tickets/triage"
)

func ExampleEngine_Evaluate() {
	e, err := triage.New(triage.Options{
		Spam: triage.SpamChecks{Block: []string{"@bad.example"}},
		Rules: []triage.Rule{
			{
				Name: "vip customers",
				When: []triage.Condition{{Field: triage.FieldFrom, Op: triage.OpDomain, Value: "bigcorp.example"}},
				Then: triage.Action{Queue: "vip", Tags: []string{"vip"}, Impact: triage.High},
			},
			{
				Name: "urgent in subject",
				When: []triage.Condition{{Field: triage.FieldSubject, Op: triage.OpAnyOf, Values: []string{"urgent", "dringend"}}},
				Then: triage.Action{Urgency: triage.High},
			},
			{
				Name: "crypto spam",
				When: []triage.Condition{{Field: triage.FieldBody, Op: triage.OpRegex, Value: `bitcoin\W+profit`}},
				Then: triage.Action{Spam: new(true)},
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
