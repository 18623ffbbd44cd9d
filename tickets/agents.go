package tickets

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Agent is a person who works tickets from their own mail client. The
// desk knows agents only from its configuration: nothing a mail says makes
// anyone an agent.
type Agent struct {
	Name string
	// Email is the agent's address, lowercased: notifications go there.
	Email string
	// Aliases are other addresses the agent writes from, lowercased.
	Aliases []string
	// Queues are the queues whose tickets the agent takes.
	Queues []string
	// Skills are what rules may require (triage's Decision.Skill).
	Skills []string
	// MaxOpen is how many open tickets (new, open, pending) the agent
	// takes by automatic assignment; 0 means no limit.
	MaxOpen int
	// Away: the agent takes no automatic assignment.
	Away bool
	// Language is the language of the desk's mail to the agent, "de";
	// "" for the default language.
	Language string
	// Location is the agent's time zone, for the SLA due times in their
	// notifications; nil is the ticket's calendar's.
	Location *time.Location
}

// Writes reports whether addr is the agent's address or one of its aliases.
func (a *Agent) Writes(addr string) bool {
	if SameEmail(addr, a.Email) {
		return true
	}
	return slices.ContainsFunc(a.Aliases, func(al string) bool { return SameEmail(addr, al) })
}

// Label names the agent for people: "Ann Agent <ann@example.com>".
func (a *Agent) Label() string { return Address{Name: a.Name, Email: a.Email}.String() }

// Assignment is how a queue hands out its new tickets.
type Assignment string

// The assignment strategies.
const (
	// RoundRobin gives each new ticket to the next agent of the queue
	// who fits, in the order of the configuration.
	RoundRobin Assignment = "round_robin"
	// LeastOpen gives it to the agent who fits with the fewest open tickets.
	LeastOpen Assignment = "least_open"
	// Manual assigns nothing: every agent of the queue is told of the
	// ticket, and one takes it.
	Manual Assignment = "manual"
)

// Queue is a queue's settings. A queue the configuration names only as a
// mailbox's queue has the zero Queue: round robin.
type Queue struct {
	Name       string
	Assignment Assignment // "" means RoundRobin
	// Escalation is the address SLA escalation writes to ("" for none).
	Escalation string
}

// Event kinds of the agents' side.
const (
	EventAssigned = "assigned"
	EventTags     = "tags"
	EventQueue    = "queue"
	EventNote     = "note"
	EventCommand  = "command"
	// EventSecurity records a mail that came through an agent's token
	// but not from that agent.
	EventSecurity = "security"
)

// AgentLoad is an agent with the number of open tickets assigned to it.
type AgentLoad struct {
	Agent
	Open int
}

// Agents returns the configured agents, in the configuration's order.
func (s *Service) Agents() []Agent { return slices.Clone(s.agents) }

// FindAgent returns the agent whose address, alias or name (any case) is
// who; nil when none is.
func (s *Service) FindAgent(who string) *Agent {
	who = strings.TrimSpace(who)
	for i := range s.agents {
		if s.agents[i].Writes(who) {
			return &s.agents[i]
		}
	}
	for i := range s.agents {
		if strings.EqualFold(s.agents[i].Name, who) {
			return &s.agents[i]
		}
	}
	return nil
}

// agentByEmail returns the agent whose Email is addr, or nil.
func (s *Service) agentByEmail(addr string) *Agent {
	for i := range s.agents {
		if SameEmail(s.agents[i].Email, addr) {
			return &s.agents[i]
		}
	}
	return nil
}

// queue returns the settings of queue name.
func (s *Service) queue(name string) Queue {
	q, ok := s.queues[name]
	if !ok {
		q = Queue{Name: name}
	}
	if q.Assignment == "" {
		q.Assignment = RoundRobin
	}
	return q
}

// knownQueue reports whether name is a queue of the configuration: a
// [[queue]] or a mailbox's queue.
func (s *Service) knownQueue(name string) bool {
	if _, ok := s.queues[name]; ok {
		return true
	}
	for _, mb := range s.opts.Mailboxes {
		if mb.Queue == name {
			return true
		}
	}
	return false
}

// queueAgents are the agents of queue, in the configuration's order.
func (s *Service) queueAgents(queue string) []*Agent {
	var out []*Agent
	for i := range s.agents {
		if slices.Contains(s.agents[i].Queues, queue) {
			out = append(out, &s.agents[i])
		}
	}
	return out
}

// AgentLoads returns every agent with its open tickets.
func (s *Service) AgentLoads(ctx context.Context) ([]AgentLoad, error) {
	open, err := s.store.AssigneeLoad(ctx)
	if err != nil {
		return nil, fmt.Errorf("counting open tickets per agent: %w", err)
	}
	out := make([]AgentLoad, len(s.agents))
	for i, a := range s.agents {
		out[i] = AgentLoad{Agent: a, Open: open[a.Email]}
	}
	return out, nil
}

// pickAgent chooses the agent of a new ticket in queue that no rule
// assigned: by the queue's strategy, among its agents who have skill (when
// one is required), are not away and are under their capacity. It returns
// "" and why when nobody fits.
func (s *Service) pickAgent(ctx context.Context, tx Tx, queue, skill string, now time.Time) (agent *Agent, why string, err error) {
	q := s.queue(queue)
	members := s.queueAgents(queue)
	if len(members) == 0 {
		return nil, fmt.Sprintf("queue %s has no agents", queue), nil
	}
	if q.Assignment == Manual {
		return nil, fmt.Sprintf("queue %s assigns by hand", queue), nil
	}
	var open map[string]int
	if q.Assignment == LeastOpen || slices.ContainsFunc(members, func(a *Agent) bool { return a.MaxOpen > 0 }) {
		if open, err = tx.AssigneeLoad(ctx); err != nil {
			return nil, "", fmt.Errorf("counting open tickets per agent: %w", err)
		}
	}
	var fit []*Agent
	var left []string
	for _, a := range members {
		switch {
		case skill != "" && !slices.Contains(a.Skills, skill):
			left = append(left, a.Email+": no skill "+skill)
		case a.Away:
			left = append(left, a.Email+": away")
		case a.MaxOpen > 0 && open[a.Email] >= a.MaxOpen:
			left = append(left, fmt.Sprintf("%s: %d of %d open", a.Email, open[a.Email], a.MaxOpen))
		default:
			fit = append(fit, a)
		}
	}
	if len(fit) == 0 {
		return nil, fmt.Sprintf("no agent of queue %s fits (%s)", queue, strings.Join(left, "; ")), nil
	}
	switch q.Assignment {
	case LeastOpen:
		agent = fit[0]
		for _, a := range fit[1:] {
			if open[a.Email] < open[agent.Email] {
				agent = a
			}
		}
	default:
		last, err := tx.LastAssigned(ctx, queue)
		if err != nil {
			return nil, "", fmt.Errorf("reading the round robin of queue %s: %w", queue, err)
		}
		agent = nextAfter(members, fit, last)
		if err := tx.SetLastAssigned(ctx, queue, agent.Email, now); err != nil {
			return nil, "", fmt.Errorf("keeping the round robin of queue %s: %w", queue, err)
		}
	}
	return agent, "", nil
}

// nextAfter returns the first agent of fit that comes after last in the
// queue's order, wrapping around; the first of fit when last is unknown.
func nextAfter(members, fit []*Agent, last string) *Agent {
	at := slices.IndexFunc(members, func(a *Agent) bool { return a.Email == last })
	if at < 0 {
		return fit[0]
	}
	for i := 1; i <= len(members); i++ {
		a := members[(at+i)%len(members)]
		if slices.Contains(fit, a) {
			return a
		}
	}
	return fit[0]
}

// assignNew assigns a new ticket, already stored, that no rule assigned,
// and records how; with skill, only agents with that skill take it.
func (s *Service) assignNew(ctx context.Context, tx Tx, t *Ticket, skill string, now time.Time) error {
	if len(s.agents) == 0 {
		return nil
	}
	a, why, err := s.pickAgent(ctx, tx, t.Queue, skill, now)
	if err != nil {
		return err
	}
	if a == nil {
		return s.event(ctx, tx, t.ID, EventAssigned, "system", "unassigned: "+why, now)
	}
	t.Assignee = a.Email
	if err := tx.UpdateTicket(ctx, t); err != nil {
		return fmt.Errorf("assigning ticket %d: %w", t.ID, err)
	}
	how := string(s.queue(t.Queue).Assignment)
	if skill != "" {
		how += ", skill " + skill
	}
	return s.event(ctx, tx, t.ID, EventAssigned, "system", fmt.Sprintf("assigned to %s (queue %s, %s)", a.Email, t.Queue, how), now)
}

// Assign gives ticket id to the agent named who (address, alias or name),
// as actor, and tells the agent. It returns the agent.
func (s *Service) Assign(ctx context.Context, id int64, who, actor string) (*Agent, error) {
	a := s.FindAgent(who)
	if a == nil {
		return nil, fmt.Errorf("no agent %q (agents: %s)", who, s.agentList())
	}
	now := s.now().UTC()
	err := s.store.InTx(ctx, func(tx Tx) error {
		t, err := tx.Ticket(ctx, id)
		if err != nil {
			return fmt.Errorf("ticket %s: %w", s.Ref(id), err)
		}
		if t.Status.Terminal() {
			return fmt.Errorf("ticket %s is %s", s.Ref(id), t.Status)
		}
		if t.Status == StatusUnverified {
			// The agent's answer would go to the unconfirmed address.
			return s.errUnverified(t)
		}
		return s.reassign(ctx, tx, t, a, actor, now)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// reassign gives t to agent a as actor, records it and tells a, unless a
// took the ticket themselves.
func (s *Service) reassign(ctx context.Context, tx Tx, t *Ticket, a *Agent, actor string, now time.Time) error {
	if t.Assignee == a.Email {
		return nil
	}
	prev := t.Assignee
	t.Assignee, t.UpdatedAt = a.Email, now
	if err := tx.UpdateTicket(ctx, t); err != nil {
		return fmt.Errorf("assigning ticket %d: %w", t.ID, err)
	}
	detail := "assigned to " + a.Email
	if prev != "" {
		detail += " (was " + prev + ")"
	}
	if err := s.event(ctx, tx, t.ID, EventAssigned, actor, detail, now); err != nil {
		return err
	}
	if SameEmail(actor, a.Email) {
		return nil
	}
	first, err := s.firstCustomerMail(ctx, tx, t.ID)
	if err != nil {
		return err
	}
	return s.notifyAgent(ctx, tx, t, a, TemplateAgentNewTicket, first, now)
}

func (s *Service) agentList() string {
	if len(s.agents) == 0 {
		return "none configured"
	}
	names := make([]string, len(s.agents))
	for i, a := range s.agents {
		names[i] = a.Email
	}
	return strings.Join(names, ", ")
}

// normalizeAgents copies the agents with their addresses lowercased, and
// indexes the queues by name.
func normalizeAgents(agents []Agent, queues []Queue) ([]Agent, map[string]Queue) {
	out := make([]Agent, len(agents))
	for i, a := range agents {
		a.Email = EmailKey(a.Email)
		a.Aliases = slices.Clone(a.Aliases)
		for j := range a.Aliases {
			a.Aliases[j] = EmailKey(a.Aliases[j])
		}
		out[i] = a
	}
	byName := make(map[string]Queue, len(queues))
	for _, q := range queues {
		byName[q.Name] = q
	}
	return out, byName
}

// agentEmails are the agents' addresses, which agent tokens are made for.
func agentEmails(agents []Agent) []string {
	out := make([]string, len(agents))
	for i, a := range agents {
		out[i] = a.Email
	}
	return out
}
