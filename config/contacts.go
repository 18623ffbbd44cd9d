package config

import (
	"fmt"
	"strings"

	"helpdesk/tickets"
)

// Contact is an outside party (a vendor, a supplier's support) that
// agents escalate tickets to by name, a [[contact]]: "#escalate acme"
// mails it the ticket's summary and the agent's text, and its answers
// come back onto the ticket as internal notes.
type Contact struct {
	// Name is how #escalate names it, one word, "acme"; required, unique
	// in any case, and neither a queue's name nor "manager".
	Name string `toml:"name"`
	// Email is where the escalation goes, "support@acme.example";
	// required, neither the desk's own address nor an agent's.
	Email string `toml:"email"`
}

// TicketContacts returns the contacts in the domain's terms.
func (c *Config) TicketContacts() []tickets.Contact {
	out := make([]tickets.Contact, 0, len(c.Contacts))
	for _, ct := range c.Contacts {
		out = append(out, tickets.Contact{Name: ct.Name, Email: strings.ToLower(ct.Email)})
	}
	return out
}

// validateContacts checks the [[contact]]s.
func (c *Config) validateContacts(ps *problems) {
	queues := c.knownQueues()
	own := map[string]bool{}
	for _, m := range c.Mailboxes {
		own[strings.ToLower(m.Address)] = true
	}
	if _, from := c.SMTP.FromAddress(); from != "" {
		own[strings.ToLower(from)] = true
	}
	names := map[string]int{}
	for i, ct := range c.Contacts {
		key := fmt.Sprintf("contact[%d]", i)
		switch name := ct.Name; {
		case strings.TrimSpace(name) == "":
			ps.add(key+".name", "required")
		case strings.ContainsAny(name, " \t\r\n@<>\",#"):
			ps.add(key+".name", "%q must be one word, without spaces, @, quotes or commas (agents write #escalate %s)", name, strings.Fields(name + " x")[0])
		case strings.EqualFold(name, "manager"):
			ps.add(key+".name", "%q is taken: #escalate manager writes to the queue's escalation address", name)
		case containsFold(queues, name):
			ps.add(key+".name", "%q is a queue's name: #escalate %s would be ambiguous", name, name)
		default:
			if j, dup := names[strings.ToLower(name)]; dup {
				ps.add(key+".name", "%q is already the name of contact[%d]", name, j)
			} else {
				names[strings.ToLower(name)] = i
			}
		}
		switch lower := strings.ToLower(ct.Email); {
		case ct.Email == "":
			ps.add(key+".email", "required")
		case !plainAddress(ct.Email):
			ps.add(key+".email", "%q is not a plain address like support@vendor.example", ct.Email)
		case own[lower]:
			ps.add(key+".email", "%q is an address of the desk itself", ct.Email)
		case c.findAgent(ct.Email) != nil:
			ps.add(key+".email", "%q is an agent's address: agents are assigned, not escalated to", ct.Email)
		}
	}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
