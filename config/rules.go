package config

import (
	"fmt"
	"math"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"helpdesk/tickets/triage"
)

// Triage says how a new ticket is sorted before anyone reads it: spam, the
// urgency written in the mail's headers, and duplicates. The rules that set
// queue, category, tags, priority and assignee are [Rule]s. Like them and
// the [Priority] matrix, it is the file's form of the domain's settings
// (package tickets/triage), into which [Config.Validate] translates it.
type Triage struct {
	// HeaderUrgency takes the urgency from the mail's Importance, X-Priority,
	// X-MSMail-Priority or Priority header when no rule sets one; default false.
	HeaderUrgency bool `toml:"header_urgency"`
	// SpamHeader names a header set by the spam filter in front of the desk:
	// a value of "YES" (or "Yes, score=..." as in X-Spam-Status) marks spam.
	// Default "X-Spam-Flag"; "" turns the check off.
	SpamHeader string `toml:"spam_header"`
	// SpamScoreHeader names a header holding the spam filter's score, a number
	// at its start. Default "X-Spam-Score"; "" turns the check off.
	SpamScoreHeader string `toml:"spam_score_header"`
	// SpamScoreThreshold is the score at or above which a mail is spam;
	// default 5.0, 0 turns the check off.
	SpamScoreThreshold float64 `toml:"spam_score_threshold"`
	// Block lists senders whose mail is spam: whole addresses
	// ("spammer@example.net") or "@domain" ("@bad.example", which also blocks
	// its subdomains). Default empty.
	Block []string `toml:"block"`
	// DuplicateWindow is how long after a ticket a mail from the same requester
	// with the same subject (ignoring Re:, Fwd: and tags) and nearly the same
	// text is merged into it rather than opening a new ticket; default 10m,
	// "0s" turns merging off.
	DuplicateWindow Duration `toml:"duplicate_window"`
}

// Priority is the impact × urgency matrix that gives a ticket its priority,
// P1 (most pressing) to P4, as the file writes it: the [priority] table. Each
// row is an impact; within it, each key is an urgency. It becomes a
// triage.Matrix.
type Priority struct {
	// High is the row for impact high; default P1, P2, P3 for urgency high,
	// medium, low.
	High PriorityRow `toml:"high"`
	// Medium is the row for impact medium; default P2, P3, P3.
	Medium PriorityRow `toml:"medium"`
	// Low is the row for impact low; default P3, P4, P4.
	Low PriorityRow `toml:"low"`
	// Default is the priority of a ticket that neither a rule nor a header
	// gave an impact or urgency; default "P3".
	Default string `toml:"default"`
}

// PriorityRow is one impact's row of the matrix: the priority for each urgency.
type PriorityRow struct {
	// High is the priority at urgency high.
	High string `toml:"high"`
	// Medium is the priority at urgency medium.
	Medium string `toml:"medium"`
	// Low is the priority at urgency low.
	Low string `toml:"low"`
}

// DefaultPriority returns the matrix used for every cell the file does not
// set, triage.DefaultMatrix:
//
//	impact \ urgency  high  medium  low
//	high              P1    P2      P3
//	medium            P2    P3      P3
//	low               P3    P4      P4
//
// and P3 when neither impact nor urgency is known.
func DefaultPriority() Priority {
	m := triage.DefaultMatrix()
	return Priority{High: PriorityRow(m.High), Medium: PriorityRow(m.Medium), Low: PriorityRow(m.Low), Default: m.Default}
}

// matrix is p in the domain's terms.
func (p Priority) matrix() triage.Matrix {
	return triage.Matrix{High: triage.Row(p.High), Medium: triage.Row(p.Medium), Low: triage.Row(p.Low), Default: p.Default}
}

// Rule is one triage rule as the file writes it, a [[rule]]; it becomes a
// triage.Rule. Rules are tried in the order of the file; every rule whose
// conditions hold fires, and a later rule's action overrides an earlier
// one's (tags add up).
type Rule struct {
	// Name identifies the rule in logs and in `helpdesk rules test`; required, unique.
	Name string `toml:"name"`
	// Stop ends the evaluation when this rule fires: no later rule is tried.
	// Default false.
	Stop bool `toml:"stop"`
	// Match is "all" (the default: every condition must hold) or "any" (one is enough).
	Match string `toml:"match"`
	// When are the conditions, [[rule.when]]; a rule without any fires for every mail.
	When []Condition `toml:"when"`
	// Then is what the rule does when it fires, [rule.then].
	Then Action `toml:"then"`
}

// Condition is one test of a rule, a [[rule.when]]; it becomes a triage.Condition.
type Condition struct {
	// Field is what is tested: from, from_name, from_domain, to, cc, subject,
	// body, header, has_attachment, mailbox or open_tickets. Required.
	Field string `toml:"field"`
	// Header names the header tested when Field is "header", "List-Id".
	Header string `toml:"header"`
	// Op is the test: equals, contains, regex, domain, any_of, exists, gte or
	// lte; which apply depends on Field. Required, except for has_attachment
	// where it can only be equals.
	Op string `toml:"op"`
	// Value is what Op compares with; for has_attachment true or false
	// (default true), for open_tickets a whole number.
	Value Value `toml:"value"`
	// Values is the list for any_of.
	Values []string `toml:"values"`
	// Not negates the test: the condition holds when the test fails. Default false.
	Not bool `toml:"not"`
}

// Value is the value of a condition. It is written as a string, or as a
// number or true/false where the field takes one (value = 3 for
// open_tickets); it holds the text either way.
type Value string

// UnmarshalTOML accepts a string, an integer, a float or a boolean.
func (v *Value) UnmarshalTOML(x any) error {
	switch x := x.(type) {
	case string:
		*v = Value(x)
	case int64:
		*v = Value(strconv.FormatInt(x, 10))
	case float64:
		*v = Value(strconv.FormatFloat(x, 'g', -1, 64))
	case bool:
		*v = Value(strconv.FormatBool(x))
	default:
		return fmt.Errorf("invalid value: want a string, a number or true/false, got %s (a list goes in values = [...])", typeOf(x))
	}
	return nil
}

// Action is what a rule does when it fires, its [rule.then]; it becomes a
// triage.Action. Unset keys leave the ticket as earlier rules (or the
// mailbox) left it.
type Action struct {
	// Queue moves the ticket to this queue.
	Queue string `toml:"queue"`
	// Category sets the ticket's category.
	Category string `toml:"category"`
	// Tags are added to the ticket's tags.
	Tags []string `toml:"tags"`
	// Impact is high, medium or low: how many people or how much business is affected.
	Impact string `toml:"impact"`
	// Urgency is high, medium or low: how soon it hurts.
	Urgency string `toml:"urgency"`
	// Priority, P1 to P4, overrides the impact × urgency matrix.
	Priority string `toml:"priority"`
	// Assignee is the agent the ticket is assigned to: an [[agent]]'s
	// email, alias or name.
	Assignee string `toml:"assignee"`
	// Skill is what the agent who gets the ticket by automatic
	// assignment must have (one of some [[agent]]'s skills).
	Skill string `toml:"skill"`
	// Spam true marks the mail as spam; false clears a verdict of the spam
	// header, score or block list (an allow list); unset leaves it alone.
	Spam *bool `toml:"spam"`
	// Acknowledge false suppresses the acknowledgement to the customer; true
	// restores it after an earlier rule suppressed it. Spam is never acknowledged.
	Acknowledge *bool `toml:"acknowledge"`
	// AckTemplate is the template of the acknowledgement; "" uses "acknowledgement".
	AckTemplate string `toml:"ack_template"`
	// Language is the customer's language, "de": the desk writes to them
	// in it (templates/default/de, [templates] dir/de), whatever the
	// mail's headers or text say.
	Language string `toml:"language"`
}

// empty reports whether the action sets nothing.
func (a Action) empty() bool {
	return a.Queue == "" && a.Category == "" && len(a.Tags) == 0 && a.Impact == "" && a.Urgency == "" &&
		a.Priority == "" && a.Assignee == "" && a.Skill == "" && a.Spam == nil && a.Acknowledge == nil && a.AckTemplate == "" && a.Language == ""
}

var (
	headerNameRE   = regexp.MustCompile(`^[!-9;-~]+$`) // RFC 5322 3.6.8: printable ASCII but colon
	templateNameRE = regexp.MustCompile(`^[a-z0-9_-]+$`)
)

// TriageOptions returns the triage settings, the priority matrix and the
// rules in the domain's terms, for triage.New. Validate (which Load and
// Parse call) translates them once, compiling each regex once; on a
// configuration it has not passed, TriageOptions calls it first.
func (c *Config) TriageOptions() (triage.Options, error) {
	if c.triage == nil {
		if err := c.Validate(); err != nil {
			return triage.Options{}, err
		}
	}
	return *c.triage, nil
}

// ValidateTriage checks the triage settings, the priority matrix and the
// rules as Validate does, for callers that build them without a file. It
// returns a *ValidationError naming every problem by key, or nil.
func ValidateTriage(t Triage, p Priority, rules []Rule) error {
	var ps problems
	translateTriage(&ps, t, p, rules)
	return ps.err("")
}

// translateTriage checks the triage settings, the matrix and the rules and
// returns them in the domain's terms, each regex compiled; what it returns
// is meant only when it added no problem to ps.
func translateTriage(ps *problems, t Triage, p Priority, rules []Rule) triage.Options {
	t.validate(ps)
	p.validate(ps)
	return triage.Options{
		Spam: triage.SpamChecks{
			Header:         t.SpamHeader,
			ScoreHeader:    t.SpamScoreHeader,
			ScoreThreshold: t.SpamScoreThreshold,
			Block:          t.Block,
		},
		HeaderUrgency:   t.HeaderUrgency,
		DuplicateWindow: t.DuplicateWindow.Duration,
		Matrix:          p.matrix(),
		Rules:           translateRules(ps, rules),
	}
}

func (t Triage) validate(ps *problems) {
	for _, h := range []struct{ key, name string }{{"triage.spam_header", t.SpamHeader}, {"triage.spam_score_header", t.SpamScoreHeader}} {
		if h.name != "" && !headerNameRE.MatchString(h.name) {
			ps.add(h.key, "%q is not a header name", h.name)
		}
	}
	switch th := t.SpamScoreThreshold; {
	case math.IsNaN(th) || math.IsInf(th, 0):
		ps.add("triage.spam_score_threshold", "must be a finite number (0 turns it off)")
	case th < 0:
		ps.add("triage.spam_score_threshold", "must not be negative (0 turns it off)")
	}
	for i, b := range t.Block {
		if !validBlockEntry(b) {
			ps.add(fmt.Sprintf("triage.block[%d]", i), "%q is neither an address like spammer@example.net nor a domain like @example.net", b)
		}
	}
	if t.DuplicateWindow.Duration < 0 {
		ps.add("triage.duplicate_window", "must not be negative (\"0s\" turns it off)")
	}
}

// validBlockEntry reports whether b is "user@domain" or "@domain".
func validBlockEntry(b string) bool {
	if dom, ok := strings.CutPrefix(b, "@"); ok {
		return validDomain(dom)
	}
	a, err := mail.ParseAddress(b)
	return err == nil && a.Name == "" && a.Address == b && hasDomain(b)
}

// validDomain reports whether d looks like a domain name: no spaces, no @,
// no empty label.
func validDomain(d string) bool {
	if d == "" || strings.ContainsAny(d, "@ \t<>,;") {
		return false
	}
	return !slices.Contains(strings.Split(d, "."), "")
}

func (p Priority) validate(ps *problems) {
	for _, r := range []struct {
		name string
		row  PriorityRow
	}{{triage.High, p.High}, {triage.Medium, p.Medium}, {triage.Low, p.Low}} {
		oneOf(ps, "priority."+r.name+".high", r.row.High, triage.Priorities()...)
		oneOf(ps, "priority."+r.name+".medium", r.row.Medium, triage.Priorities()...)
		oneOf(ps, "priority."+r.name+".low", r.row.Low, triage.Priorities()...)
	}
	oneOf(ps, "priority.default", p.Default, triage.Priorities()...)
}

// translateRules checks rules and returns them in the domain's terms.
func translateRules(ps *problems, rules []Rule) []triage.Rule {
	out := make([]triage.Rule, len(rules))
	names := map[string]int{}
	for i, r := range rules {
		key := fmt.Sprintf("rule[%d]", i)
		if name := strings.TrimSpace(r.Name); name == "" {
			ps.add(key+".name", "required")
		} else if j, dup := names[name]; dup {
			ps.add(key+".name", "%q is already the name of rule[%d]", r.Name, j)
		} else {
			names[name] = i
		}
		if r.Match != "" {
			oneOf(ps, key+".match", r.Match, "all", "any")
		}
		out[i] = triage.Rule{Name: r.Name, MatchAny: r.Match == "any", Stop: r.Stop, Then: r.Then.translate(ps, key+".then", r.Stop)}
		for j, c := range r.When {
			out[i].When = append(out[i].When, c.translate(ps, fmt.Sprintf("%s.when[%d]", key, j)))
		}
	}
	return out
}

// translate checks c and returns it in the domain's terms, its regex
// compiled: the only time it is.
func (c Condition) translate(ps *problems, key string) triage.Condition {
	field := triage.Field(c.Field)
	tc := triage.Condition{Field: field, Header: c.Header, Op: triage.Op(c.Op), Value: string(c.Value), Values: c.Values, Not: c.Not}
	ops := field.Ops()
	switch {
	case c.Field == "":
		ps.add(key+".field", "required (one of %s)", joinNames(triage.Fields()))
		return tc
	case len(ops) == 0:
		ps.add(key+".field", "unknown field %q (one of %s)", c.Field, joinNames(triage.Fields()))
		return tc
	}

	if field == triage.FieldHeader {
		if c.Header == "" {
			ps.add(key+".header", "required for field \"header\" (the header's name, like \"List-Id\")")
		} else if !headerNameRE.MatchString(c.Header) {
			ps.add(key+".header", "%q is not a header name", c.Header)
		}
	} else if c.Header != "" {
		ps.add(key+".header", "only for field \"header\"")
	}

	op := tc.Op
	if op == "" && field == triage.FieldHasAttachment {
		op = triage.OpEquals
	}
	switch {
	case op == "":
		ps.add(key+".op", "required (for field %q one of %s)", c.Field, joinNames(ops))
		return tc
	case !slices.Contains(triage.Ops(), op):
		ps.add(key+".op", "unknown operator %q (one of %s)", op, joinNames(triage.Ops()))
		return tc
	case !slices.Contains(ops, op):
		ps.add(key+".op", "%q does not apply to field %q (use one of %s)", op, c.Field, joinNames(ops))
		return tc
	}

	v := string(c.Value)
	if op == triage.OpAnyOf {
		if v != "" {
			ps.add(key+".value", "not used by any_of: write the list in values = [...]")
		}
		if len(c.Values) == 0 {
			ps.add(key+".values", "required for any_of, like values = [\"a\", \"b\"]")
		}
		for k, e := range c.Values {
			ek := fmt.Sprintf("%s.values[%d]", key, k)
			switch {
			case strings.TrimSpace(e) == "":
				ps.add(ek, "must not be empty")
			case field.IsAddress() && field != triage.FieldFromDomain && !strings.Contains(e, "@"):
				ps.add(ek, "%q is neither an address like ann@example.com nor a domain like @example.com", e)
			case field == triage.FieldFromDomain && !validDomain(strings.TrimPrefix(e, "@")):
				ps.add(ek, "%q is not a domain like example.com", e)
			}
		}
		return tc
	}
	if len(c.Values) > 0 {
		ps.add(key+".values", "only for any_of (use value)")
	}
	switch op {
	case triage.OpExists:
		if v != "" {
			ps.add(key+".value", "not used by exists")
		}
	case triage.OpRegex:
		if v == "" {
			ps.add(key+".value", "required")
		} else if re, err := triage.CompileRegexp(v); err != nil {
			ps.add(key+".value", "bad regex: %v", err)
		} else {
			tc.Regexp = re
		}
	case triage.OpDomain:
		if !validDomain(strings.TrimPrefix(v, "@")) {
			ps.add(key+".value", "%q is not a domain like example.com", v)
		}
	case triage.OpGTE, triage.OpLTE:
		ticketCount(ps, key+".value", v)
	case triage.OpEquals:
		switch field {
		case triage.FieldHasAttachment:
			if v != "" && v != "true" && v != "false" {
				ps.add(key+".value", "%q must be true or false", v)
			}
		case triage.FieldOpenTickets:
			ticketCount(ps, key+".value", v)
		default:
			if v == "" {
				ps.add(key+".value", "required")
			}
		}
	default: // contains
		if v == "" {
			ps.add(key+".value", "required")
		}
	}
	return tc
}

// joinNames lists names as "a, b, c".
func joinNames[S ~string](names []S) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = string(n)
	}
	return strings.Join(s, ", ")
}

// ticketCount checks v, a number of open tickets.
func ticketCount(ps *problems, key, v string) {
	if n, err := strconv.Atoi(v); err != nil {
		ps.add(key, "%q is not a whole number", v)
	} else if n < 0 {
		ps.add(key, "%d must not be negative", n)
	}
}

// translate checks a and returns it in the domain's terms.
func (a Action) translate(ps *problems, key string, stop bool) triage.Action {
	ta := triage.Action{Queue: a.Queue, Category: a.Category, Tags: a.Tags, Impact: a.Impact, Urgency: a.Urgency,
		Priority: a.Priority, Assignee: a.Assignee, Skill: a.Skill, Spam: a.Spam, Acknowledge: a.Acknowledge, AckTemplate: a.AckTemplate, Language: a.Language}
	if a.empty() && !stop {
		ps.add(key, "sets nothing (set queue, category, tags, impact, urgency, priority, assignee, skill, spam, acknowledge, ack_template or language, or stop = true)")
		return ta
	}
	for _, f := range []struct{ name, v string }{{"queue", a.Queue}, {"category", a.Category}} {
		if f.v != strings.TrimSpace(f.v) {
			ps.add(key+"."+f.name, "%q has spaces at its ends", f.v)
		}
	}
	for i, t := range a.Tags {
		if t == "" || strings.ContainsFunc(t, isSpaceOrComma) {
			ps.add(fmt.Sprintf("%s.tags[%d]", key, i), "%q must be one word, without spaces or commas", t)
		}
	}
	if a.Impact != "" {
		oneOf(ps, key+".impact", a.Impact, triage.Levels()...)
	}
	if a.Urgency != "" {
		oneOf(ps, key+".urgency", a.Urgency, triage.Levels()...)
	}
	if a.Priority != "" {
		oneOf(ps, key+".priority", a.Priority, triage.Priorities()...)
	}
	if a.Skill != "" && strings.ContainsFunc(a.Skill, isSpaceOrComma) {
		ps.add(key+".skill", "%q must be one word, without spaces or commas", a.Skill)
	}
	if a.AckTemplate != "" && !templateNameRE.MatchString(a.AckTemplate) {
		ps.add(key+".ack_template", "%q must be a template name made of a-z, 0-9, _ and -", a.AckTemplate)
	}
	if a.Language != "" && !languageRE.MatchString(a.Language) {
		ps.add(key+".language", "%q must be a language code such as de, fr or pt-br", a.Language)
	}
	return ta
}

func isSpaceOrComma(r rune) bool {
	return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
}

// defaultTriage returns the triage settings used for every key the file does not set.
func defaultTriage() Triage {
	return Triage{
		SpamHeader:         "X-Spam-Flag",
		SpamScoreHeader:    "X-Spam-Score",
		SpamScoreThreshold: 5.0,
		DuplicateWindow:    Duration{10 * time.Minute},
	}
}
