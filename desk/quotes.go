package desk

import (
	"helpdesk/mailin"
	"helpdesk/templates"
	"helpdesk/tickets"
)

// stripQuoted is what the ticket service cuts replies with: the text a
// writer added, without the quoted history (mailin.StripQuoted: every
// common client and language) and without the boilerplate of the desk's
// own mail to agents (from a reply marker, templates.ReplyMarkers, down). Signatures stay:
// an agent's signature is part of the answer the customer gets.
func stripQuoted(text string) string {
	return mailin.StripQuoted(text, mailin.StripOptions{Markers: templates.ReplyMarkers()})
}

// agentsByEmail indexes agents by address.
func agentsByEmail(agents []tickets.Agent) map[string]*tickets.Agent {
	out := make(map[string]*tickets.Agent, len(agents))
	for i := range agents {
		out[agents[i].Email] = &agents[i]
	}
	return out
}
