package desk

import (
	"regexp"
	"strings"

	"helpdesk/templates"
	"helpdesk/tickets"
)

// stripQuoted is what the ticket service cuts replies with: the text a
// writer added, without the quoted history and without the boilerplate of
// the desk's own mail to agents (from templates.ReplyMarker down).
//
// PLACEHOLDER until mailin's quote stripper lands (mailin.StripQuoted,
// with the reply marker as its boilerplate line): on merge, this body
// becomes that call. It cuts only at the layouts the desk's own tests
// write: the reply marker, a line starting with ">", an "On ... wrote:"
// line (also folded over two lines), "-----Original Message-----", and
// an Outlook header block ("From: ..." followed by "Sent: ...").
func stripQuoted(text string) string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	cut := len(lines)
	for i, l := range lines {
		t := strings.TrimSpace(l)
		next := ""
		if i+1 < len(lines) {
			next = strings.TrimSpace(lines[i+1])
		}
		if t == templates.ReplyMarker || strings.HasPrefix(t, ">") || originalMessageRE.MatchString(t) ||
			wroteRE.MatchString(t) || onRE.MatchString(t) && wroteRE.MatchString(t+" "+next) ||
			outlookFromRE.MatchString(t) && outlookSentRE.MatchString(next) {
			cut = i
			break
		}
	}
	return strings.TrimSpace(strings.Join(lines[:cut], "\n"))
}

var (
	onRE              = regexp.MustCompile(`^On\s`)
	wroteRE           = regexp.MustCompile(`^On\s.*\swrote:$`)
	originalMessageRE = regexp.MustCompile(`^-{2,}\s*Original Message\s*-{2,}$`)
	outlookFromRE     = regexp.MustCompile(`^\*?From:\*?\s`)
	outlookSentRE     = regexp.MustCompile(`^\*?(Sent|Date):\*?\s`)
)

// agentsByEmail indexes agents by address.
func agentsByEmail(agents []tickets.Agent) map[string]*tickets.Agent {
	out := make(map[string]*tickets.Agent, len(agents))
	for i := range agents {
		out[agents[i].Email] = &agents[i]
	}
	return out
}
