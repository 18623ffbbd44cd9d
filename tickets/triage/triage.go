// Package triage owns the sorting of a new ticket before anyone reads it: the
// admin's rules (queue, category, tags, assignee, acknowledgement), the
// impact × urgency priority matrix, spam verdicts from the spam filter's
// headers and the block list, the urgency written in a mail's own headers,
// and the tests that tell a duplicate mail from a new request.
//
// It is pure: it sees a [Mail] made of plain values and returns a
// [Decision]; it stores nothing, sends nothing and knows neither the database
// nor the mail parser. The caller (package tickets) applies the decision.
//
// The rules ([Rule]), their conditions and actions, and the priority
// [Matrix] are this package's own types: package config translates the
// admin's TOML into them, and no package of the domain depends on config.
// [New] compiles them once, and [Engine.Evaluate] is safe for concurrent use.
package triage

import (
	"fmt"
	"math"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Mail is what rules can look at in a new mail.
type Mail struct {
	// From is the sender's address, "ann@example.com".
	From string
	// FromName is the sender's display name, "Ann Smith".
	FromName string
	// To and Cc are the recipients' addresses.
	To, Cc []string
	// Subject is the decoded subject.
	Subject string
	// Body is the mail's text (the plain text part, or the HTML part as
	// text); conditions see its first MaxBodyBytes.
	Body string
	// Header holds the decoded header fields under canonical MIME keys
	// (textproto.CanonicalMIMEHeaderKey: "X-Spam-Flag", "List-Id").
	Header map[string][]string
	// HasAttachment says whether the mail carries an attachment.
	HasAttachment bool
	// Mailbox is the name of the [[mailbox]] the mail came to.
	Mailbox string
	// OpenTickets is how many open tickets the sender has already.
	OpenTickets int
}

// Decision is what the rules, the headers and the matrix decided for a mail.
type Decision struct {
	// Queue and Category are set by rules; "" when no rule set them (the
	// mailbox's queue applies).
	Queue, Category string
	// Tags are the rules' tags, in the order they were first added, without repeats.
	Tags []string
	// Impact and Urgency are "high", "medium" or "low"; "" when unset.
	Impact, Urgency string
	// UrgencyHeader is the header that gave Urgency, as "Importance: high";
	// "" when a rule set it or nothing did.
	UrgencyHeader string
	// Priority is the final priority, P1 to P4: a rule's priority, else the
	// matrix cell of impact × urgency (a missing one counting as medium),
	// else the matrix's default.
	Priority string
	// Assignee is the agent's address a rule assigned; "" when none did.
	Assignee string
	// Skill is the skill a rule requires of the agent who gets the
	// ticket by automatic assignment; "" when none does.
	Skill string
	// Spam is the verdict; SpamReason says what gave it, as
	// "X-Spam-Flag: YES", "X-Spam-Score 7.1 is at least 5",
	// "sender blocked by @bad.example" or `rule "crypto spam"`.
	Spam       bool
	SpamReason string
	// Acknowledge is whether the rules want the customer acknowledged; true
	// unless a rule said otherwise, and always false for spam. The caller
	// still never answers automatic, bulk or looping mail.
	Acknowledge bool
	// AckTemplate is the acknowledgement's template; "" means the default.
	AckTemplate string
	// Language is the customer's language a rule set, "de"; "" when none did.
	Language string
	// Fired lists every rule that fired, in order.
	Fired []Fired
}

// Fired is one rule that fired and what it did.
type Fired struct {
	// Rule is the rule's name.
	Rule string
	// Summary lists what the rule set, "queue=vip tags=vip priority=P1".
	Summary string
}

// Options configure an Engine; every field may be left zero.
type Options struct {
	// Spam are the spam checks taken before the rules; the zero value
	// turns every one off.
	Spam SpamChecks
	// HeaderUrgency takes the urgency from the mail's Importance,
	// X-Priority, X-MSMail-Priority or Priority header when no rule sets
	// one (see [HeaderUrgency]).
	HeaderUrgency bool
	// DuplicateWindow is how long after a ticket a near-identical mail from
	// its requester is merged into it; 0 turns merging off.
	DuplicateWindow time.Duration
	// Matrix gives the priority; the zero value means [DefaultMatrix].
	Matrix Matrix
	// Rules are tried in order.
	Rules []Rule
}

// SpamChecks say which mail is spam before any rule is tried.
type SpamChecks struct {
	// Header names a header set by the spam filter in front of the desk:
	// a value of "YES" (or "Yes, score=..." as in X-Spam-Status) marks
	// spam. "" turns the check off.
	Header string
	// ScoreHeader names a header holding the spam filter's score, a number
	// at its start. "" turns the check off.
	ScoreHeader string
	// ScoreThreshold is the score at or above which a mail is spam; 0
	// turns the check off.
	ScoreThreshold float64
	// Block lists senders whose mail is spam: whole addresses
	// ("spammer@example.net") or "@domain" ("@bad.example", which also
	// blocks its subdomains).
	Block []string
}

// Engine evaluates the rules. It is safe for concurrent use.
type Engine struct {
	rules              []rule
	matrix             Matrix
	headerUrgency      bool
	spamHeader         string
	spamScoreHeader    string
	spamScoreThreshold float64
	blockAddrs         map[string]bool
	blockDomains       []string
	duplicateWindow    time.Duration
}

// New compiles the rules. It refuses options that no desk can mean (an
// unknown field or operator, a bad regex, a priority that is not P1-P4)
// with an error that names the rule; package config explains each problem
// to the admin, by key and line, before it gets here.
func New(opts Options) (*Engine, error) {
	if opts.Matrix == (Matrix{}) {
		opts.Matrix = DefaultMatrix()
	}
	if err := opts.Matrix.check(); err != nil {
		return nil, fmt.Errorf("checking the priority matrix: %w", err)
	}
	sc := opts.Spam
	switch {
	case math.IsNaN(sc.ScoreThreshold) || sc.ScoreThreshold < 0:
		return nil, fmt.Errorf("spam score threshold %v: want 0 (off) or more", sc.ScoreThreshold)
	case opts.DuplicateWindow < 0:
		return nil, fmt.Errorf("duplicate window %s: want 0 (off) or more", opts.DuplicateWindow)
	}
	e := &Engine{
		matrix:             opts.Matrix,
		headerUrgency:      opts.HeaderUrgency,
		spamScoreThreshold: sc.ScoreThreshold,
		blockAddrs:         map[string]bool{},
		duplicateWindow:    opts.DuplicateWindow,
	}
	if sc.Header != "" {
		e.spamHeader = textproto.CanonicalMIMEHeaderKey(sc.Header)
	}
	if sc.ScoreHeader != "" && sc.ScoreThreshold > 0 {
		e.spamScoreHeader = textproto.CanonicalMIMEHeaderKey(sc.ScoreHeader)
	}
	for _, b := range sc.Block {
		b = strings.ToLower(strings.TrimSpace(b))
		if d, ok := strings.CutPrefix(b, "@"); ok {
			e.blockDomains = append(e.blockDomains, d)
		} else if b != "" {
			e.blockAddrs[b] = true
		}
	}
	for i, r := range opts.Rules {
		cr, err := compileRule(r)
		if err != nil {
			return nil, fmt.Errorf("compiling rule[%d] %q: %w", i, r.Name, err)
		}
		e.rules = append(e.rules, cr)
	}
	return e, nil
}

// DuplicateWindow is how long after a ticket a near-identical mail from its
// requester is merged into it (see [Duplicate]); 0 when merging is off.
func (e *Engine) DuplicateWindow() time.Duration { return e.duplicateWindow }

// Evaluate sorts one mail: the spam checks, then every rule in order, then
// the urgency from the headers (when allowed and no rule set one), then the
// priority.
func (e *Engine) Evaluate(m Mail) Decision {
	d := Decision{Acknowledge: true}
	d.Spam, d.SpamReason = e.spam(&m)

	v := newView(&m)
	override := ""
	for i := range e.rules {
		r := &e.rules[i]
		if !r.matches(v) {
			continue
		}
		r.apply(&d, &override)
		d.Fired = append(d.Fired, Fired{Rule: r.name, Summary: r.summary})
		if r.stop {
			break
		}
	}

	if e.headerUrgency && d.Urgency == "" {
		d.Urgency, d.UrgencyHeader = headerUrgency(m.Header)
	}

	switch {
	case override != "":
		d.Priority = override
	case d.Impact != "" || d.Urgency != "":
		d.Priority = e.matrix.Of(orMedium(d.Impact), orMedium(d.Urgency))
	default:
		d.Priority = e.matrix.Default
	}
	if d.Spam {
		d.Acknowledge = false
	}
	return d
}

func orMedium(level string) string {
	if level == "" {
		return Medium
	}
	return level
}

// spam returns the verdict of the spam filter's headers and the block list.
func (e *Engine) spam(m *Mail) (bool, string) {
	if e.spamHeader != "" {
		for _, v := range m.Header[e.spamHeader] {
			if isYes(v) {
				return true, e.spamHeader + ": " + strings.TrimSpace(v)
			}
		}
	}
	if e.spamScoreHeader != "" {
		for _, v := range m.Header[e.spamScoreHeader] {
			if score, ok := leadingNumber(v); ok && score >= e.spamScoreThreshold {
				return true, fmt.Sprintf("%s %s is at least %s", e.spamScoreHeader,
					strconv.FormatFloat(score, 'f', -1, 64), strconv.FormatFloat(e.spamScoreThreshold, 'f', -1, 64))
			}
		}
	}
	from := strings.ToLower(strings.TrimSpace(m.From))
	if e.blockAddrs[from] {
		return true, "sender blocked by " + from
	}
	dom := domainOf(from)
	for _, d := range e.blockDomains {
		if inDomain(dom, d) {
			return true, "sender blocked by @" + d
		}
	}
	return false, ""
}

// isYes reports whether a spam flag's value says spam: "YES", or "Yes,
// score=7.1 ..." as in X-Spam-Status.
func isYes(v string) bool {
	word, _, _ := strings.Cut(strings.TrimSpace(v), ",")
	word, _, _ = strings.Cut(word, " ")
	return strings.EqualFold(word, "yes") || strings.EqualFold(word, "true")
}

var numberRE = regexp.MustCompile(`^\s*([+-]?[0-9]+(?:[.,][0-9]+)?)`)

// leadingNumber parses the number that starts v, "7.1" in "7.1 (+++++++)".
func leadingNumber(v string) (float64, bool) {
	m := numberRE.FindStringSubmatch(v)
	if m == nil {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.Replace(m[1], ",", ".", 1), 64)
	return f, err == nil
}

// domainOf returns the part of addr after its last @, "" when there is none.
func domainOf(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	return addr[at+1:]
}

// inDomain reports whether domain d is want or one of its subdomains; both lower case.
func inDomain(d, want string) bool {
	return d != "" && (d == want || strings.HasSuffix(d, "."+want) && len(d) > len(want)+1)
}
