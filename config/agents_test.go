package config

import (
	"reflect"
	"strings"
	"testing"

	"helpdesk/tickets"
)

const team = `
[[queue]]
name = "general"
assignment = "least_open"
escalation = "lead@example.com"
[[queue]]
name = "billing"

[[agent]]
name = "Ann Agent"
email = "Ann@Example.com"
aliases = ["ann.agent@gmail.test"]
queues = ["general", "billing"]
skills = ["billing", "de"]
max_open = 25
[[agent]]
name = "Bob Builder"
email = "bob@example.com"
away = true

[[rule]]
name = "german"
when = [{ field = "subject", op = "contains", value = "Rechnung" }]
then = { queue = "billing", skill = "de", assignee = "bob builder" }
`

func TestAgentsAndQueuesBecomeTheDomainsStaff(t *testing.T) {
	c := mustParse(t, minimum+team)
	want := Staff{
		Agents: []tickets.Agent{
			{Name: "Ann Agent", Email: "ann@example.com", Aliases: []string{"ann.agent@gmail.test"}, Queues: []string{"general", "billing"},
				Skills: []string{"billing", "de"}, MaxOpen: 25},
			{Name: "Bob Builder", Email: "bob@example.com", Away: true},
		},
		Queues: []tickets.Queue{
			{Name: "general", Assignment: tickets.LeastOpen, Escalation: "lead@example.com"},
			{Name: "billing"},
		},
	}
	if got := c.Staff(); !reflect.DeepEqual(got, want) {
		t.Errorf("Staff() = %+v\nwant %+v", got, want)
	}
	opts, err := c.TriageOptions()
	if err != nil {
		t.Fatal(err)
	}
	// A rule may name the agent by name, in any case: the domain gets the address.
	if then := opts.Rules[0].Then; then.Assignee != "bob@example.com" || then.Skill != "de" || then.Queue != "billing" {
		t.Errorf("rule action = %+v", then)
	}
}

func TestStaffProblemsAreNamedByKey(t *testing.T) {
	for _, tc := range []struct{ name, toml, want string }{
		{"agent without email", "[[agent]]\nname = \"A\"\n", "agent[0].email: required"},
		{"agent without name", "[[agent]]\nemail = \"a@example.com\"\n", "agent[0].name: required"},
		{"agent with a display name in email", "[[agent]]\nname = \"A\"\nemail = \"A <a@example.com>\"\n", `agent[0].email: "A <a@example.com>" is not a plain address`},
		{"two agents with one address", "[[agent]]\nname = \"A\"\nemail = \"a@example.com\"\n[[agent]]\nname = \"B\"\nemail = \"A@example.com\"\n",
			`agent[1].email: "A@example.com" is already agent[0].email`},
		{"an alias that is another agent's address", "[[agent]]\nname = \"A\"\nemail = \"a@example.com\"\n[[agent]]\nname = \"B\"\nemail = \"b@example.com\"\naliases = [\"a@example.com\"]\n",
			`agent[1].aliases[0]: "a@example.com" is already agent[0].email`},
		{"two agents with one name", "[[agent]]\nname = \"Ann\"\nemail = \"a@example.com\"\n[[agent]]\nname = \"ann\"\nemail = \"b@example.com\"\n",
			`agent[1].name: "ann" is already the name of agent[0]`},
		{"the desk's own address as an agent", "[[agent]]\nname = \"A\"\nemail = \"support@example.com\"\n", `agent[0].email: "support@example.com" is an address of the desk itself`},
		{"an unknown queue of an agent", "[[agent]]\nname = \"A\"\nemail = \"a@example.com\"\nqueues = [\"vip\"]\n", `agent[0].queues[0]: no queue "vip" (queues: general; declare others with [[queue]])`},
		{"negative capacity", "[[agent]]\nname = \"A\"\nemail = \"a@example.com\"\nmax_open = -1\n", "agent[0].max_open: must not be negative (0 means no limit)"},
		{"a skill with a space", "[[agent]]\nname = \"A\"\nemail = \"a@example.com\"\nskills = [\"first line\"]\n", `agent[0].skills[0]: "first line" must be one word`},
		{"unknown strategy", "[[queue]]\nname = \"q\"\nassignment = \"random\"\n", `queue[0].assignment: "random" must be one of round_robin, least_open, manual`},
		{"queue without name", "[[queue]]\nassignment = \"manual\"\n", "queue[0].name: required"},
		{"two queues with one name", "[[queue]]\nname = \"q\"\n[[queue]]\nname = \"q\"\n", `queue[1].name: "q" is already the name of queue[0]`},
		{"escalation that is no address", "[[queue]]\nname = \"q\"\nescalation = \"the lead\"\n", `queue[0].escalation: "the lead" is not a plain address`},
		{"an unknown agent in a rule", "[[rule]]\nname = \"r\"\nthen = { assignee = \"zed@example.com\" }\n", `rule[0].then.assignee: no agent "zed@example.com"`},
		{"an unknown queue in a rule", "[[rule]]\nname = \"r\"\nthen = { queue = \"vip\" }\n", `rule[0].then.queue: no queue "vip"`},
		{"a skill nobody has", "[[rule]]\nname = \"r\"\nthen = { skill = \"fr\" }\n", `rule[0].then.skill: no agent has skill "fr"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := parseErr(t, minimum+"\n"+tc.toml)
			if !strings.Contains(msg, tc.want) || strings.Count(msg, "\n") != 0 {
				t.Errorf("error = %q, want one problem containing %q", msg, tc.want)
			}
		})
	}
}
