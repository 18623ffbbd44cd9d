// Package templates owns the mails the help desk writes: loading the
// admin's templates, checking them, choosing the one for a queue and a
// language, reloading them while the desk runs, and rendering them.
//
// A template NAME is three files: NAME.subject (one line, text/template),
// NAME.txt (the plain text part, text/template) and NAME.html (the HTML part,
// html/template, so a customer's text is escaped there). Defaults for every
// name are embedded in the binary, in English (folder default/) and
// translated (default/de/, default/fr/, default/es/). An admin's folder
// overrides them file by file, at its top (the default language), in
// LANG/, QUEUE/ and QUEUE/LANG/; the most specific file wins (see
// loader.find), and a part no folder has comes from the embedded
// translation. Files of the folder that end in another extension are
// ignored. A name the defaults lack is a new template when the top of the
// folder has at least its .subject and .txt (its .html is optional:
// without it the mail is text only); a lone file of an unknown name is a
// problem, so a misspelt override is not silently unused. Macros, canned
// answers for agents, are macros/NAME.txt and macros/LANG/NAME.txt.
//
// Templates see a [Data] (the ticket, the customer, the agent, the mail that
// caused the notice), and these functions besides the text/template ones:
//
//	firstname NAME  the first word of a name ("Jane" for "Jane Doe", also for
//	                "Doe, Jane"), or "there" when the name is empty, as in
//	                "Hello {{firstname .Customer.Name}},"
//	quote TEXT      TEXT with "> " before each line, for quoting a mail
//	date TIME       TIME as "2 Jan 2006 15:04 MST"; "" for the zero time
//	size BYTES      a file size as people read it: "532 bytes", "1.4 MiB"
//
// Load parses every template and executes it with [SampleData], with the
// option missingkey=error, so a broken template or a misspelt field is
// reported when the daemon starts, with the file and line the admin edits,
// rather than when a customer is owed a mail.
package templates

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode"
)

// Data is what a template sees.
type Data struct {
	// Desk is the help desk that writes.
	Desk Desk
	// Ticket is the ticket the mail is about.
	Ticket Ticket
	// Customer is the ticket's customer: the person a mail to the
	// customer goes to; in a mail to an agent, the customer it is about.
	Customer Person
	// Agent is, in a mail to an agent, that agent; in an agent's answer
	// relayed to the customer (agent_relay), its author; else the agent
	// assigned to the ticket, empty when none is.
	Agent Person
	// Message is the mail that caused this notice: the customer's mail for
	// an acknowledgement, a reopen notice or a notification to an agent;
	// the agent's answer in agent_relay; the agent's own mail in
	// command_error and agent_security. It may be empty.
	Message Message
	// Notes are the ticket's internal notes, oldest first; only mail to
	// agents has them.
	Notes []Note
	// ReplyMarker is the line that mail to agents starts with: what an
	// agent writes above it, in a reply, is their answer; everything from
	// it down is cut from the answer (ReplyMarkerIn the mail's language).
	ReplyMarker string
	// Problem says, in a mail to an agent about their own mail
	// (command_error, agent_security), what was wrong with it, one line
	// per problem.
	Problem string

	// Links are addresses on the desk's web server (http.base_url). Each
	// is "" when the desk has no base_url, so a template shows them
	// inside {{if .Links.CSAT.Rate5}}...{{end}}.
	Links Links
	// Language is the language the mail is written in, "de": the
	// ticket's language in mail to the customer, the agent's in mail to
	// an agent. Render picks the template's translation by it.
	Language string
	// SLA is the ticket's SLA in mail to agents (notifications,
	// sla_warning, sla_breach) and to the escalation address: the due
	// time of each target that runs, in the agent's and the customer's
	// time zones. Empty in mail to customers and for a ticket without
	// targets.
	SLA SLA

	// Suggestions are, in the acknowledgement only, the published
	// knowledge-base articles that match the new ticket's subject and
	// text well, best first, at most three; none when nothing matched
	// well. Each URL opens the article with a "This solved my problem"
	// button for this ticket; it is "" when the desk has no base_url. A
	// reply that only says the problem is solved ("that solved it,
	// thanks") resolves the ticket too.
	Suggestions []Suggestion

	// Escalation is, in mail about an agent's #escalate (agent_escalated,
	// manager_escalation, vendor_escalation) and about a vendor's answer
	// (agent_vendor_reply), who escalated, why, and to which vendor;
	// empty in other mail.
	Escalation Escalation
}

// Escalation is what a mail about an escalation shows of it.
type Escalation struct {
	// By is the agent who escalated the ticket; empty in
	// agent_vendor_reply.
	By Person
	// Reason is the agent's reason (agent_escalated,
	// manager_escalation), or their text for the vendor
	// (vendor_escalation); "" when they gave none.
	Reason string
	// FromQueue is the queue the ticket was in when it was escalated,
	// "general"; in agent_escalated, the queue it came from.
	FromQueue string
	// Vendor is the vendor: the recipient of vendor_escalation, the
	// sender of the answer in agent_vendor_reply; its Name is the
	// [[contact]]'s name, "" for a bare address.
	Vendor Person
}

// Suggestion is a knowledge-base article suggested to the customer.
type Suggestion struct {
	// Title is the article's title.
	Title string
	// URL opens the article, with its "This solved my problem" button
	// for this ticket; "" when the desk has no base_url.
	URL string
}

// Links are addresses on the desk's web server.
type Links struct {
	// Ticket is, in every mail to the customer, the ticket's own page:
	// its status and conversation, where the customer may reply or close
	// it, and confirm a ticket opened on the web form (a signed link that
	// does not expire). "" in mail to agents.
	Ticket string
	// CSAT are the satisfaction survey's five signed links, one per
	// rating; only csat_survey has them. Each opens a page with its
	// rating chosen, where the customer confirms it (and may add a
	// comment) with a button: opening a link records nothing.
	CSAT CSATLinks
}

// CSATLinks are the survey's links: Rate5 rates the ticket 5 of 5
// (excellent), Rate1 1 of 5 (very poor).
type CSATLinks struct {
	// Rate1 rates the ticket 1 of 5, very poor.
	Rate1 string
	// Rate2 rates the ticket 2 of 5, poor.
	Rate2 string
	// Rate3 rates the ticket 3 of 5, fair.
	Rate3 string
	// Rate4 rates the ticket 4 of 5, good.
	Rate4 string
	// Rate5 rates the ticket 5 of 5, excellent.
	Rate5 string
}

// SLA is what a mail to agents shows of a ticket's SLA.
type SLA struct {
	// Target is, in sla_warning and sla_breach, the target concerned, in
	// words: "first response", "next response" or "resolution"; "" in
	// other mail.
	Target string
	// State is the ticket's SLA state: ok, warning, breached, paused or met.
	State string
	// Due is the due time of Target (sla_warning, sla_breach).
	Due Due
	// FirstResponseDue is the due time of the first response, empty
	// when that target does not run.
	FirstResponseDue Due
	// NextResponseDue is the due time of the answer to the customer's
	// latest reply, empty when that target does not run.
	NextResponseDue Due
	// ResolutionDue is the due time of the resolution, empty when that
	// target does not run.
	ResolutionDue Due
}

// Due is a due time as its readers see it.
type Due struct {
	// At is the due time; zero when there is none.
	At time.Time
	// Agent is At in the recipient agent's time zone (their own, else the
	// calendar's), "Mon 30 Nov 2026 12:30 CET"; "" when there is none.
	Agent string
	// Customer is At in the customer's time zone (as their mail's Date
	// says, else the calendar's), "Mon 30 Nov 2026 06:30 UTC-05:00".
	Customer string
}

// DueIn returns a Due for at, written in the agent's and the customer's
// zones; the zero Due for a zero at.
func DueIn(at time.Time, agent, customer *time.Location) Due {
	if at.IsZero() {
		return Due{}
	}
	const layout = "Mon 2 Jan 2006 15:04 MST"
	if agent == nil {
		agent = time.UTC
	}
	if customer == nil {
		customer = time.UTC
	}
	return Due{At: at, Agent: at.In(agent).Format(layout), Customer: at.In(customer).Format(layout)}
}

// Note is an internal note an agent wrote on a ticket.
type Note struct {
	// Author is the agent who wrote it.
	Author Person
	// Text is the note.
	Text string
	// Date is when the desk received it.
	Date time.Time
}

// Attachment is a file that came with a mail.
type Attachment struct {
	// Filename is the file's name, "invoice.pdf".
	Filename string
	// ContentType is its MIME type, "application/pdf".
	ContentType string
	// Size is its size in bytes.
	Size int64
}

// Desk is the help desk that writes.
type Desk struct {
	// Name is the desk's display name, "Example Support".
	Name string
	// Address is the desk's support address, "support@example.com".
	Address string
}

// Ticket is the ticket a mail is about.
type Ticket struct {
	// ID is the ticket number, 1042.
	ID int64
	// Ref is the ticket reference with its tag, "HD#1042"; subjects carry it
	// in brackets: [HD#1042].
	Ref string
	// Subject is the ticket's subject.
	Subject string
	// Status is the ticket's status: new, open, pending, resolved, closed.
	Status string
	// Priority is the ticket's priority, P1 to P4.
	Priority string
	// Queue is the queue the ticket is in.
	Queue string
	// CreatedAt is when the ticket was opened.
	CreatedAt time.Time
	// Resolution is the note (root cause and fix) given when the ticket
	// was resolved; "" when none was given.
	Resolution string
	// MergedInto is, for a merged ticket, the reference of the ticket it
	// goes on as, "HD#1040"; "" otherwise.
	MergedInto string
	// FollowUpOf is, for a ticket opened by a reply to a ticket closed
	// longer ago than the reopen window, that ticket's reference; ""
	// otherwise.
	FollowUpOf string
	// Language is the customer's language, "de": the language of the
	// mail the desk writes to them.
	Language string
}

// Person is a name and an e-mail address; either may be empty.
type Person struct {
	// Name is the display name, "Jane Doe"; "" when not known.
	Name string
	// Email is the address, "jane.doe@example.org".
	Email string
}

// Message is the mail that caused a notice.
type Message struct {
	// From is the mail's sender.
	From Person
	// Subject is the mail's subject.
	Subject string
	// Text is the mail's text, without quoted history.
	Text string
	// Date is when the mail was written.
	Date time.Time
	// Attachments are the files that came with it.
	Attachments []Attachment
}

// Rendered is a mail made from a template.
type Rendered struct {
	// Subject is one line, without control characters.
	Subject string
	// Text is the plain text part, with LF line ends and no trailing spaces.
	Text string
	// HTML is the HTML part.
	HTML string
}

// ReplyMarker is the line above which an agent writes their answer to a
// mail of the desk; the desk cuts an agent's reply at it.
const ReplyMarker = "-- Write your answer above this line --"

// ErrUnknownTemplate is returned (wrapped) by Render for a name that is not a template.
var ErrUnknownTemplate = errors.New("unknown template")

//go:embed default
var defaults embed.FS

// The three parts of a template, by file extension.
const (
	partSubject = "subject"
	partText    = "txt"
	partHTML    = "html"
)

var parts = []string{partSubject, partText, partHTML}

// funcs are the helper functions every template may call; see the package doc.
var funcs = map[string]any{
	"firstname": firstname,
	"quote":     quote,
	"date":      formatDate,
	"size":      formatSize,
}

// parse parses the source of one part, naming it label so that errors carry
// the path the admin edits.
func (t *template) parse(part, label, src string, funcs map[string]any) error {
	var err error
	switch part {
	case partSubject:
		t.subject, err = texttemplate.New(label).Funcs(funcs).Option("missingkey=error").Parse(src)
	case partText:
		t.text, err = texttemplate.New(label).Funcs(funcs).Option("missingkey=error").Parse(src)
	case partHTML:
		t.html, err = htmltemplate.New(label).Funcs(funcs).Option("missingkey=error").Parse(src)
	}
	return err
}

func (t *template) execute(part string, data Data) (string, error) {
	var b bytes.Buffer
	var err error
	switch part {
	case partSubject:
		err = t.subject.Execute(&b, data)
	case partText:
		err = t.text.Execute(&b, data)
	case partHTML:
		err = t.html.Execute(&b, data)
	}
	return b.String(), err
}

func (t *template) render(data Data) (Rendered, error) {
	var r Rendered
	subject, err := t.execute(partSubject, data)
	if err != nil {
		return r, err
	}
	text, err := t.execute(partText, data)
	if err != nil {
		return r, err
	}
	html, err := t.execute(partHTML, data)
	if err != nil {
		return r, err
	}
	r.Subject = oneLine(subject)
	r.Text = cleanText(text)
	r.HTML = lf(html)
	return r, nil
}

// oneLine makes s a single line: control characters (CR and LF among them)
// become spaces, runs of spaces collapse to one, and the ends are trimmed.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// lf turns CRLF and lone CR line ends into LF.
func lf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// cleanText gives text LF line ends, no trailing spaces on any line, no blank
// lines at either end, and one final newline.
func cleanText(s string) string {
	lines := strings.Split(lf(s), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	s = strings.Trim(strings.Join(lines, "\n"), "\n")
	if s == "" {
		return ""
	}
	return s + "\n"
}

// firstname returns the first word of a name, or "there" when it is empty.
// "Doe, Jane" gives "Jane".
func firstname(name string) string {
	if last, first, ok := strings.Cut(name, ","); ok && strings.TrimSpace(first) != "" && strings.TrimSpace(last) != "" {
		name = first
	}
	for _, w := range strings.Fields(name) {
		if w = strings.Trim(w, `"',;`); w != "" {
			return w
		}
	}
	return "there"
}

// quote puts "> " before each line of text, and ">" before a line that is
// empty or already quoted.
func quote(text string) string {
	text = strings.TrimRight(lf(text), "\n")
	if strings.TrimSpace(text) == "" {
		return ""
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if l == "" || strings.HasPrefix(l, ">") {
			lines[i] = ">" + l
		} else {
			lines[i] = "> " + l
		}
	}
	return strings.Join(lines, "\n")
}

// formatDate writes t as "2 Jan 2006 15:04 MST"; "" for the zero time.
func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2 Jan 2006 15:04 MST")
}

// formatSize writes a byte count as people read it: "532 bytes", "14 KiB", "1.4 MiB".
func formatSize(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size {
			if n%u.size == 0 || n >= 100*u.size {
				return fmt.Sprintf("%d %s", n/u.size, u.name)
			}
			return fmt.Sprintf("%.1f %s", float64(n)/float64(u.size), u.name)
		}
	}
	if n == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}
