package config

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestTriageAndPriorityTakeTheirDefaults(t *testing.T) {
	c := mustParse(t, minimum)
	want := Triage{
		SpamHeader:         "X-Spam-Flag",
		SpamScoreHeader:    "X-Spam-Score",
		SpamScoreThreshold: 5.0,
		DuplicateWindow:    Duration{10 * time.Minute},
	}
	if !reflect.DeepEqual(c.Triage, want) {
		t.Errorf("Triage = %+v, want %+v", c.Triage, want)
	}
	if c.Priority != DefaultPriority() {
		t.Errorf("Priority = %+v, want the default matrix", c.Priority)
	}
	if len(c.Rules) != 0 {
		t.Errorf("Rules = %+v, want none", c.Rules)
	}
}

func TestPriorityCellsLeftOutKeepTheirDefaults(t *testing.T) {
	c := mustParse(t, minimum+`
[priority]
high = { low = "P2" }
low = { high = "P2", medium = "P3", low = "P4" }
default = "P4"
`)
	want := DefaultPriority()
	want.High.Low = "P2"
	want.Low = PriorityRow{High: "P2", Medium: "P3", Low: "P4"}
	want.Default = "P4"
	if c.Priority != want {
		t.Errorf("Priority = %+v, want %+v", c.Priority, want)
	}
}

func TestRulesParseInFileOrderWithEveryKey(t *testing.T) {
	c := mustParse(t, minimum+`
[triage]
header_urgency = true
spam_header = "X-Spam-Status"
spam_score_header = ""
spam_score_threshold = 0
block = ["a@b.example", "@bad.example"]
duplicate_window = "0s"

[[rule]]
name = "vip"
stop = true
match = "any"
  [[rule.when]]
  field = "from"
  op = "domain"
  value = "bigcorp.example"
  [[rule.when]]
  field = "header"
  header = "X-Customer"
  op = "exists"
  not = true
  [rule.then]
  queue = "vip"
  category = "account"
  tags = ["vip", "key-account"]
  impact = "high"
  urgency = "low"
  priority = "P1"
  assignee = "ann@example.com"
  spam = false
  acknowledge = false
  ack_template = "acknowledgement"

[[rule]]
name = "busy requesters"
when = [
  { field = "open_tickets", op = "gte", value = 3 },
  { field = "has_attachment", value = false },
  { field = "subject", op = "any_of", values = ["a", "b"] },
]
then = { tags = ["busy"] }

[[queue]]
name = "vip"
[[agent]]
name = "Ann Agent"
email = "ann@example.com"
`)
	f := false
	want := []Rule{
		{
			Name: "vip", Stop: true, Match: "any",
			When: []Condition{
				{Field: "from", Op: "domain", Value: "bigcorp.example"},
				{Field: "header", Header: "X-Customer", Op: "exists", Not: true},
			},
			Then: Action{
				Queue: "vip", Category: "account", Tags: []string{"vip", "key-account"}, Impact: "high",
				Urgency: "low", Priority: "P1", Assignee: "ann@example.com", Spam: &f, Acknowledge: &f,
				AckTemplate: "acknowledgement",
			},
		},
		{
			Name: "busy requesters", Match: "all",
			When: []Condition{
				{Field: "open_tickets", Op: "gte", Value: "3"},
				{Field: "has_attachment", Value: "false"},
				{Field: "subject", Op: "any_of", Values: []string{"a", "b"}},
			},
			Then: Action{Tags: []string{"busy"}},
		},
	}
	if !reflect.DeepEqual(c.Rules, want) {
		t.Errorf("Rules =\n%+v\nwant\n%+v", c.Rules, want)
	}
	wantTriage := Triage{HeaderUrgency: true, SpamHeader: "X-Spam-Status", Block: []string{"a@b.example", "@bad.example"}}
	if !reflect.DeepEqual(c.Triage, wantTriage) {
		t.Errorf("Triage = %+v, want %+v", c.Triage, wantTriage)
	}
	if s := c.String(); !strings.Contains(s, `name = 'busy requesters'`) || !strings.Contains(s, `value = '3'`) {
		t.Errorf("String does not show the rules:\n%s", s)
	}
}

// rule wraps the TOML of one rule's conditions and action into a valid file.
func rule(body string) string {
	return minimum + "\n[[rule]]\nname = \"r\"\n" + body + queueQ
}

// queueQ declares the queue "q" that rules send mail to.
const queueQ = "\n[[queue]]\nname = \"q\"\n"

func TestTriageProblemsAreNamedByKey(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"spam header with a colon", minimum + "[triage]\nspam_header = \"X-Spam:\"\n", `triage.spam_header: "X-Spam:" is not a header name`},
		{"spam score header with a space", minimum + "[triage]\nspam_score_header = \"X Score\"\n", `triage.spam_score_header: "X Score" is not a header name`},
		{"negative threshold", minimum + "[triage]\nspam_score_threshold = -1.0\n", "triage.spam_score_threshold: must not be negative"},
		{"block entry without @", minimum + "[triage]\nblock = [\"@ok.example\", \"spammer\"]\n", `triage.block[1]: "spammer" is neither an address`},
		{"block entry with a name", minimum + "[triage]\nblock = [\"Spam <s@x.example>\"]\n", `triage.block[0]: "Spam <s@x.example>" is neither`},
		{"block domain with empty label", minimum + "[triage]\nblock = [\"@bad..example\"]\n", `triage.block[0]: "@bad..example"`},
		{"negative duplicate window", minimum + "[triage]\nduplicate_window = \"-1m\"\n", `triage.duplicate_window: invalid duration "-1m": must not be negative`},
		{"priority P5 in a cell", minimum + "[priority]\nmedium = { low = \"P5\" }\n", `priority.medium.low: "P5" must be one of P1, P2, P3, P4`},
		{"lower case default priority", minimum + "[priority]\ndefault = \"p3\"\n", `priority.default: "p3" must be one of P1, P2, P3, P4`},
		{"rule without name", minimum + queueQ + "[[rule]]\nthen = { queue = \"q\" }\n", "rule[0].name: required"},
		{"duplicate rule names", minimum + queueQ + "[[rule]]\nname = \"a\"\nthen = { queue = \"q\" }\n[[rule]]\nname = \"b\"\nthen = { queue = \"q\" }\n[[rule]]\nname = \"a\"\nthen = { queue = \"q\" }\n",
			`rule[2].name: "a" is already the name of rule[0]`},
		{"unknown match", rule("match = \"some\"\nthen = { queue = \"q\" }\n"), `rule[0].match: "some" must be one of all, any`},
		{"rule that does nothing", rule("when = [{ field = \"subject\", op = \"contains\", value = \"x\" }]\n"), "rule[0].then: sets nothing"},
		{"missing field", rule("when = [{ op = \"contains\", value = \"x\" }]\nthen = { queue = \"q\" }\n"), "rule[0].when[0].field: required (one of from, "},
		{"unknown field", rule("when = [{ field = \"sender\", op = \"contains\", value = \"x\" }]\nthen = { queue = \"q\" }\n"), `rule[0].when[0].field: unknown field "sender"`},
		{"missing op", rule("when = [{ field = \"subject\", value = \"x\" }]\nthen = { queue = \"q\" }\n"), `rule[0].when[0].op: required (for field "subject" one of equals, contains, regex, any_of)`},
		{"unknown op", rule("then = { queue = \"q\" }\n[[rule.when]]\nfield = \"subject\"\nop = \"contains\"\nvalue = \"x\"\n[[rule.when]]\nfield = \"subject\"\nop = \"regexp\"\nvalue = \"x\"\n"), `rule[0].when[1].op: unknown operator "regexp"`},
		{"op that does not fit the field", rule("when = [{ field = \"subject\", op = \"gte\", value = \"3\" }]\nthen = { queue = \"q\" }\n"), `rule[0].when[0].op: "gte" does not apply to field "subject" (use one of equals, contains, regex, any_of)`},
		{"domain on the body", rule("when = [{ field = \"body\", op = \"domain\", value = \"x.example\" }]\nthen = { queue = \"q\" }\n"), `rule[0].when[0].op: "domain" does not apply to field "body"`},
		{"header field without header", rule("when = [{ field = \"header\", op = \"exists\" }]\nthen = { queue = \"q\" }\n"), `rule[0].when[0].header: required for field "header"`},
		{"header name with a space", rule("when = [{ field = \"header\", header = \"List Id\", op = \"exists\" }]\nthen = { queue = \"q\" }\n"), `rule[0].when[0].header: "List Id" is not a header name`},
		{"header on another field", rule("when = [{ field = \"subject\", header = \"X\", op = \"contains\", value = \"x\" }]\nthen = { queue = \"q\" }\n"), `rule[0].when[0].header: only for field "header"`},
		{"bad regex", rule("when = [{ field = \"subject\", op = \"regex\", value = \"(invoice\" }]\nthen = { queue = \"q\" }\n"), "rule[0].when[0].value: bad regex: error parsing regexp: missing closing ): `(invoice`"},
		{"empty regex", rule("when = [{ field = \"subject\", op = \"regex\" }]\nthen = { queue = \"q\" }\n"), "rule[0].when[0].value: required"},
		{"contains nothing", rule("when = [{ field = \"body\", op = \"contains\", value = \"\" }]\nthen = { queue = \"q\" }\n"), "rule[0].when[0].value: required"},
		{"equals nothing", rule("when = [{ field = \"from\", op = \"equals\" }]\nthen = { queue = \"q\" }\n"), "rule[0].when[0].value: required"},
		{"domain that is an address", rule("when = [{ field = \"from\", op = \"domain\", value = \"a@b.example\" }]\nthen = { queue = \"q\" }\n"), `rule[0].when[0].value: "a@b.example" is not a domain`},
		{"any_of without values", rule("when = [{ field = \"subject\", op = \"any_of\" }]\nthen = { queue = \"q\" }\n"), "rule[0].when[0].values: required for any_of"},
		{"any_of with value", rule("when = [{ field = \"subject\", op = \"any_of\", value = \"x\", values = [\"y\"] }]\nthen = { queue = \"q\" }\n"), "rule[0].when[0].value: not used by any_of"},
		{"any_of with an empty entry", rule("when = [{ field = \"subject\", op = \"any_of\", values = [\"y\", \" \"] }]\nthen = { queue = \"q\" }\n"), "rule[0].when[0].values[1]: must not be empty"},
		{"any_of address without @", rule("when = [{ field = \"from\", op = \"any_of\", values = [\"bigcorp.example\"] }]\nthen = { queue = \"q\" }\n"), `rule[0].when[0].values[0]: "bigcorp.example" is neither an address`},
		{"any_of of bad domains", rule("when = [{ field = \"from_domain\", op = \"any_of\", values = [\"a b\"] }]\nthen = { queue = \"q\" }\n"), `rule[0].when[0].values[0]: "a b" is not a domain`},
		{"values without any_of", rule("when = [{ field = \"subject\", op = \"contains\", value = \"x\", values = [\"y\"] }]\nthen = { queue = \"q\" }\n"), "rule[0].when[0].values: only for any_of"},
		{"exists with a value", rule("when = [{ field = \"header\", header = \"List-Id\", op = \"exists\", value = \"x\" }]\nthen = { queue = \"q\" }\n"), "rule[0].when[0].value: not used by exists"},
		{"gte of a word", rule("when = [{ field = \"open_tickets\", op = \"gte\", value = \"many\" }]\nthen = { queue = \"q\" }\n"), `rule[0].when[0].value: "many" is not a whole number`},
		{"open tickets equal to a fraction", rule("when = [{ field = \"open_tickets\", op = \"equals\", value = 1.5 }]\nthen = { queue = \"q\" }\n"), `rule[0].when[0].value: "1.5" is not a whole number`},
		{"has_attachment of a word", rule("when = [{ field = \"has_attachment\", value = \"yes\" }]\nthen = { queue = \"q\" }\n"), `rule[0].when[0].value: "yes" must be true or false`},
		{"has_attachment with contains", rule("when = [{ field = \"has_attachment\", op = \"contains\", value = \"x\" }]\nthen = { queue = \"q\" }\n"), `rule[0].when[0].op: "contains" does not apply to field "has_attachment"`},
		{"unknown impact", rule("then = { impact = \"critical\" }\n"), `rule[0].then.impact: "critical" must be one of high, medium, low`},
		{"capitalised urgency", rule("then = { urgency = \"High\" }\n"), `rule[0].then.urgency: "High" must be one of high, medium, low`},
		{"priority P0", rule("then = { priority = \"P0\" }\n"), `rule[0].then.priority: "P0" must be one of P1, P2, P3, P4`},
		{"assignee who is no agent", rule("then = { assignee = \"ann\" }\n"), `rule[0].then.assignee: no agent "ann" (name an [[agent]] by its email or name)`},
		{"tag with a space", rule("then = { tags = [\"ok\", \"two words\"] }\n"), `rule[0].then.tags[1]: "two words" must be one word`},
		{"empty tag", rule("then = { tags = [\"\"] }\n"), `rule[0].then.tags[0]: "" must be one word`},
		{"queue with spaces at its ends", rule("then = { queue = \" vip\" }\n"), `rule[0].then.queue: " vip" has spaces at its ends`},
		{"ack template with a slash", rule("then = { ack_template = \"../x\" }\n"), `rule[0].then.ack_template: "../x" must be a template name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := parseErr(t, tc.data)
			if !strings.HasPrefix(msg, "helpdesk.toml") || !strings.Contains(msg, ": "+tc.want) {
				t.Errorf("error = %q\nwant it to name helpdesk.toml and contain %q", msg, tc.want)
			}
			if n := strings.Count(msg, "\n") + 1; n != 1 {
				t.Errorf("got %d problems, want 1:\n%s", n, msg)
			}
		})
	}
}

func TestAStopRuleMaySetNothing(t *testing.T) {
	c := mustParse(t, rule("stop = true\nwhen = [{ field = \"from_domain\", op = \"equals\", value = \"example.com\" }]\n"))
	if len(c.Rules) != 1 || !c.Rules[0].Stop {
		t.Errorf("Rules = %+v", c.Rules)
	}
}

func TestEveryRuleProblemIsReportedAtOnce(t *testing.T) {
	msg := parseErr(t, minimum+`
[priority]
high = { high = "P0" }
[[rule]]
name = "a"
  [[rule.when]]
  field = "subject"
  op = "regexp"
  value = "x"
  [[rule.when]]
  field = "body"
  op = "regex"
  value = "[a-"
  [rule.then]
  impact = "huge"
[[rule]]
name = "a"
  [rule.then]
  queue = "general"
`)
	line := func(n int) string { return "helpdesk.toml:" + strconv.Itoa(strings.Count(minimum, "\n")+n) + ": " }
	lines := strings.Split(msg, "\n")
	if len(lines) != 5 {
		t.Fatalf("got %d problems, want 5:\n%s", len(lines), msg)
	}
	for i, want := range []string{
		line(3) + `priority.high.high: "P0" must be one of P1, P2, P3, P4`,
		line(8) + `rule[0].when[0].op: unknown operator "regexp"`,
		line(13) + `rule[0].when[1].value: bad regex: error parsing regexp: missing closing ]`,
		line(15) + `rule[0].then.impact: "huge" must be one of high, medium, low`,
		line(17) + `rule[1].name: "a" is already the name of rule[0]`,
	} {
		if !strings.HasPrefix(lines[i], want) {
			t.Errorf("problem %d = %q, want it to start with %q; all:\n%s", i, lines[i], want, msg)
		}
	}
}

func TestUnknownKeysInRulesAreNamedWithLine(t *testing.T) {
	data := minimum + `
[[rule]]
name = "a"
  [[rule.when]]
  field = "subject"
  opp = "contains"
  op = "contains"
  value = "x"
  [rule.then]
  queu = "q"
  queue = "q"
`
	msg := parseErr(t, data)
	base := strings.Count(minimum, "\n")
	for _, want := range []string{
		"helpdesk.toml:" + strconv.Itoa(base+6) + `: rule[0].when[0].opp: unknown key (did you mean op?)`,
		"helpdesk.toml:" + strconv.Itoa(base+10) + `: rule[0].then.queu: unknown key (did you mean queue?)`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not contain %q:\n%s", want, msg)
		}
	}
}

func TestAListAsAConditionValueIsAProblemWithItsLine(t *testing.T) {
	msg := parseErr(t, rule("then = { queue = \"q\" }\n[[rule.when]]\nfield = \"subject\"\nop = \"contains\"\nvalue = [\"a\", \"b\"]\n"))
	want := "helpdesk.toml:" + strconv.Itoa(strings.Count(minimum, "\n")+8) + ": rule[0].when[0].value: invalid value: want a string, a number or true/false, got a list"
	if !strings.HasPrefix(msg, want) {
		t.Errorf("error = %q", msg)
	}
}

func TestValidateTriageChecksRulesBuiltInCode(t *testing.T) {
	if err := ValidateTriage(defaultTriage(), DefaultPriority(), []Rule{
		{Name: "ok", When: []Condition{{Field: "has_attachment"}}, Then: Action{Tags: []string{"attachment"}}},
	}); err != nil {
		t.Errorf("ValidateTriage of a good rule = %v", err)
	}
	err := ValidateTriage(Triage{}, Priority{}, []Rule{{Name: "x", When: []Condition{{Field: "to", Op: "like", Value: "a"}}}})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("ValidateTriage = %v, want a *ValidationError", err)
	}
	msg := err.Error()
	for _, want := range []string{`priority.high.high: "" must be one of`, `rule[0].when[0].op: unknown operator "like"`, "rule[0].then: sets nothing"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not contain %q:\n%s", want, msg)
		}
	}
}
