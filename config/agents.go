package config

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"

	"helpdesk/tickets"
	"helpdesk/tickets/triage"
)

// Agent is a person who works tickets from their own mail client, an
// [[agent]]. Mail through the reply address of a notification is the
// agent's only when it comes from Email or one of Aliases.
type Agent struct {
	// Name is how the customer sees the agent ("Ann Agent via Support") and
	// how #assign and `helpdesk tickets assign` may name them; required,
	// unique.
	Name string `toml:"name"`
	// Email is where the agent's notifications go, "ann@example.com";
	// required, unique among every agent's email and aliases.
	Email string `toml:"email"`
	// Aliases are other addresses the agent writes from; default none.
	Aliases []string `toml:"aliases"`
	// Queues are the queues whose new tickets the agent takes; each a
	// [[queue]] or a mailbox's queue. Default none (only rules and people
	// assign the agent).
	Queues []string `toml:"queues"`
	// Skills are what a rule's skill may require; default none.
	Skills []string `toml:"skills"`
	// MaxOpen is how many open tickets (new, open, pending) the agent takes
	// by automatic assignment; 0 (the default) means no limit.
	MaxOpen int `toml:"max_open"`
	// Away true takes the agent out of automatic assignment; default false.
	Away bool `toml:"away"`
	// Language is the language of the desk's mail to the agent, "de";
	// default [templates] default_language.
	Language string `toml:"language"`
	// Timezone is the agent's IANA time zone, "America/New_York", in which
	// their notifications show SLA due times; default the calendar's.
	Timezone string `toml:"timezone"`
}

// Queue is a queue's settings, a [[queue]]. A queue that only a mailbox
// names assigns by round robin.
type Queue struct {
	// Name is the queue's name, as mailboxes, rules and agents write it;
	// required, unique.
	Name string `toml:"name"`
	// Assignment is how new tickets get an agent: "round_robin" (the
	// default: the next agent who fits, in the order of the file),
	// "least_open" (the agent who fits with the fewest open tickets) or
	// "manual" (nobody: every agent of the queue is told, and one takes it).
	Assignment string `toml:"assignment"`
	// Escalation is the address SLA escalation writes to; default none.
	Escalation string `toml:"escalation"`
	// Calendar names the [[calendar]] the queue's SLA clocks count in;
	// default sla.calendar.
	Calendar string `toml:"calendar"`
	// SLA holds the queue's own targets, [queue.sla.P1] …; each target
	// set there replaces the one of [sla.P1].
	SLA QueueSLA `toml:"sla"`
}

// Staff is the agents and queues in the domain's terms, for the ticket
// service.
type Staff struct {
	Agents []tickets.Agent
	Queues []tickets.Queue
}

// Staff returns the agents and queues in the domain's terms.
func (c *Config) Staff() Staff {
	var st Staff
	for _, a := range c.Agents {
		ta := tickets.Agent{Name: a.Name, Email: strings.ToLower(a.Email), Queues: a.Queues, Skills: a.Skills,
			MaxOpen: a.MaxOpen, Away: a.Away, Language: a.Language}
		ta.Location, _ = loadZone(a.Timezone) // nil: the calendar's
		for _, al := range a.Aliases {
			ta.Aliases = append(ta.Aliases, strings.ToLower(al))
		}
		st.Agents = append(st.Agents, ta)
	}
	for _, q := range c.Queues {
		st.Queues = append(st.Queues, tickets.Queue{Name: q.Name, Assignment: tickets.Assignment(q.Assignment), Escalation: q.Escalation})
	}
	return st
}

// knownQueues are the queues a rule, an agent or a command may name: the
// [[queue]]s and the mailboxes' queues.
func (c *Config) knownQueues() []string {
	var out []string
	for _, q := range c.Queues {
		if q.Name != "" && !slices.Contains(out, q.Name) {
			out = append(out, q.Name)
		}
	}
	for _, m := range c.Mailboxes {
		if m.Queue != "" && !slices.Contains(out, m.Queue) {
			out = append(out, m.Queue)
		}
	}
	return out
}

// validateStaff checks the [[queue]]s and [[agent]]s.
func (c *Config) validateStaff(ps *problems) {
	names := map[string]int{}
	for i, q := range c.Queues {
		key := fmt.Sprintf("queue[%d]", i)
		switch {
		case strings.TrimSpace(q.Name) == "":
			ps.add(key+".name", "required")
		case q.Name != strings.TrimSpace(q.Name):
			ps.add(key+".name", "%q has spaces at its ends", q.Name)
		default:
			if j, dup := names[q.Name]; dup {
				ps.add(key+".name", "%q is already the name of queue[%d]", q.Name, j)
			} else {
				names[q.Name] = i
			}
		}
		if q.Assignment != "" {
			oneOf(ps, key+".assignment", q.Assignment, string(tickets.RoundRobin), string(tickets.LeastOpen), string(tickets.Manual))
		}
		if q.Escalation != "" && !plainAddress(q.Escalation) {
			ps.add(key+".escalation", "%q is not a plain address like lead@example.com", q.Escalation)
		}
	}

	queues := c.knownQueues()
	own := map[string]bool{}
	for _, m := range c.Mailboxes {
		own[strings.ToLower(m.Address)] = true
	}
	if _, from := c.SMTP.FromAddress(); from != "" {
		own[strings.ToLower(from)] = true
	}
	addrs := map[string]string{} // lowercased address -> the key that has it
	agentNames := map[string]int{}
	for i, a := range c.Agents {
		key := fmt.Sprintf("agent[%d]", i)
		switch name := strings.TrimSpace(a.Name); {
		case name == "":
			ps.add(key+".name", "required")
		case strings.ContainsAny(name, "\r\n<>\""):
			ps.add(key+".name", "%q must be one line without < > or quotes", a.Name)
		default:
			if j, dup := agentNames[strings.ToLower(name)]; dup {
				ps.add(key+".name", "%q is already the name of agent[%d]", a.Name, j)
			} else {
				agentNames[strings.ToLower(name)] = i
			}
		}
		address := func(k, addr string) {
			lower := strings.ToLower(addr)
			switch {
			case addr == "":
				ps.add(k, "required")
			case !plainAddress(addr):
				ps.add(k, "%q is not a plain address like ann@example.com", addr)
			case own[lower]:
				ps.add(k, "%q is an address of the desk itself, not of a person", addr)
			case addrs[lower] != "":
				ps.add(k, "%q is already %s", addr, addrs[lower])
			default:
				addrs[lower] = k
			}
		}
		address(key+".email", a.Email)
		for j, al := range a.Aliases {
			address(fmt.Sprintf("%s.aliases[%d]", key, j), al)
		}
		for j, q := range a.Queues {
			if !slices.Contains(queues, q) {
				ps.add(fmt.Sprintf("%s.queues[%d]", key, j), "no queue %q (%s)", q, queueHint(queues))
			}
		}
		for j, sk := range a.Skills {
			if sk == "" || strings.ContainsFunc(sk, isSpaceOrComma) {
				ps.add(fmt.Sprintf("%s.skills[%d]", key, j), "%q must be one word, without spaces or commas", sk)
			}
		}
		if a.MaxOpen < 0 {
			ps.add(key+".max_open", "must not be negative (0 means no limit)")
		}
	}
}

// findAgent returns the agent that who names: its email, an alias or its
// name, in any case.
func (c *Config) findAgent(who string) *Agent {
	for i, a := range c.Agents {
		if strings.EqualFold(a.Email, who) || slices.ContainsFunc(a.Aliases, func(al string) bool { return strings.EqualFold(al, who) }) {
			return &c.Agents[i]
		}
	}
	for i, a := range c.Agents {
		if strings.EqualFold(strings.TrimSpace(a.Name), strings.TrimSpace(who)) {
			return &c.Agents[i]
		}
	}
	return nil
}

// checkRuleStaff checks the queue, assignee and skill each rule names
// against the queues and agents, and puts the agent's address in place of
// a name or alias in the translated rules.
func (c *Config) checkRuleStaff(ps *problems, rules []triage.Rule) {
	queues := c.knownQueues()
	for i, r := range c.Rules {
		key := fmt.Sprintf("rule[%d].then", i)
		if q := r.Then.Queue; q != "" && q == strings.TrimSpace(q) && !slices.Contains(queues, q) {
			ps.add(key+".queue", "no queue %q (%s)", q, queueHint(queues))
		}
		if who := r.Then.Assignee; who != "" {
			if a := c.findAgent(who); a == nil {
				ps.add(key+".assignee", "no agent %q (name an [[agent]] by its email or name)", who)
			} else if i < len(rules) {
				rules[i].Then.Assignee = strings.ToLower(a.Email)
			}
		}
		if sk := r.Then.Skill; sk != "" && !slices.ContainsFunc(c.Agents, func(a Agent) bool { return slices.Contains(a.Skills, sk) }) {
			ps.add(key+".skill", "no agent has skill %q", sk)
		}
	}
}

func queueHint(queues []string) string {
	if len(queues) == 0 {
		return "declare it with [[queue]]"
	}
	return "queues: " + strings.Join(queues, ", ") + "; declare others with [[queue]]"
}

// plainAddress reports whether s is a bare address with a domain.
func plainAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && hasDomain(a.Address) && !strings.ContainsAny(s, "<>")
}
