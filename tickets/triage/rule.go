package triage

import (
	"errors"
	"fmt"
	"net/textproto"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Rule is one triage rule. Rules are tried in order; every rule whose
// conditions hold fires, and a later rule's action overrides an earlier
// one's (tags add up).
type Rule struct {
	// Name identifies the rule in events, logs and `helpdesk rules test`.
	Name string
	// MatchAny makes one condition enough; by default every condition must hold.
	MatchAny bool
	// Stop ends the evaluation when this rule fires: no later rule is tried.
	Stop bool
	// When are the conditions; a rule without any fires for every mail.
	When []Condition
	// Then is what the rule does when it fires.
	Then Action
}

// Field is what a condition tests.
type Field string

// The fields a condition can test.
const (
	FieldFrom          Field = "from"           // the sender's address
	FieldFromName      Field = "from_name"      // the sender's display name
	FieldFromDomain    Field = "from_domain"    // the domain of the sender's address
	FieldTo            Field = "to"             // any of the To addresses
	FieldCc            Field = "cc"             // any of the Cc addresses
	FieldSubject       Field = "subject"        // the subject as written
	FieldBody          Field = "body"           // the text of the mail
	FieldHeader        Field = "header"         // any value of the header named in Condition.Header
	FieldHasAttachment Field = "has_attachment" // whether the mail has an attachment
	FieldMailbox       Field = "mailbox"        // the name of the mailbox the mail came to
	FieldOpenTickets   Field = "open_tickets"   // how many open tickets the sender has
)

// Op is the test a condition applies to its field.
type Op string

// The operators of a condition.
const (
	OpEquals   Op = "equals"   // the whole text, ignoring case; a number for open_tickets; true/false for has_attachment
	OpContains Op = "contains" // the text contains value, ignoring case
	OpRegex    Op = "regex"    // a Go regular expression (RE2), ignoring case unless it starts with (?-i)
	OpDomain   Op = "domain"   // an address's domain is value or one of its subdomains
	OpAnyOf    Op = "any_of"   // one of values: an address or "@domain" for address fields, a name for mailbox, contained for text
	OpExists   Op = "exists"   // the header is present (field header only)
	OpGTE      Op = "gte"      // at least value (open_tickets)
	OpLTE      Op = "lte"      // at most value (open_tickets)
)

var (
	allFields = []Field{FieldFrom, FieldFromName, FieldFromDomain, FieldTo, FieldCc, FieldSubject, FieldBody,
		FieldHeader, FieldHasAttachment, FieldMailbox, FieldOpenTickets}
	allOps = []Op{OpEquals, OpContains, OpRegex, OpDomain, OpAnyOf, OpExists, OpGTE, OpLTE}

	addressOps = []Op{OpEquals, OpContains, OpRegex, OpDomain, OpAnyOf}
	textOps    = []Op{OpEquals, OpContains, OpRegex, OpAnyOf}
	fieldOps   = map[Field][]Op{
		FieldFrom:          addressOps,
		FieldFromName:      textOps,
		FieldFromDomain:    addressOps,
		FieldTo:            addressOps,
		FieldCc:            addressOps,
		FieldSubject:       textOps,
		FieldBody:          textOps,
		FieldHeader:        append(slices.Clip(textOps), OpExists),
		FieldHasAttachment: {OpEquals},
		FieldMailbox:       {OpEquals, OpContains, OpRegex, OpAnyOf},
		FieldOpenTickets:   {OpEquals, OpGTE, OpLTE},
	}
)

// Fields returns every field a condition can test.
func Fields() []Field { return slices.Clone(allFields) }

// Ops returns every operator.
func Ops() []Op { return slices.Clone(allOps) }

// Ops returns the operators that apply to f; none for an unknown field.
func (f Field) Ops() []Op { return slices.Clone(fieldOps[f]) }

// IsAddress reports whether f holds mail addresses or a domain, so that
// any_of takes "@domain" entries and the domain operator applies.
func (f Field) IsAddress() bool { return slices.Contains(fieldOps[f], OpDomain) }

// Condition is one test of a rule.
type Condition struct {
	// Field is what is tested.
	Field Field
	// Header names the header tested when Field is FieldHeader, "List-Id".
	Header string
	// Op is the test; "" means OpEquals for FieldHasAttachment.
	Op Op
	// Value is what Op compares with: a text, a domain, a pattern; for
	// has_attachment "true" or "false" ("" is true), for open_tickets a
	// whole number.
	Value string
	// Values is the list of OpAnyOf.
	Values []string
	// Regexp is Value compiled by [CompileRegexp], for OpRegex; when nil,
	// New compiles Value.
	Regexp *regexp.Regexp
	// Not negates the test: the condition holds when the test fails.
	Not bool
}

// CompileRegexp compiles the pattern of an OpRegex condition as rules read
// it: ignoring case unless the pattern says otherwise with (?-i). An error
// quotes the pattern as written.
func CompileRegexp(pattern string) (*regexp.Regexp, error) {
	re, err := regexp.Compile("(?i)" + pattern)
	if se, ok := errors.AsType[*syntax.Error](err); ok {
		se.Expr = strings.TrimPrefix(se.Expr, "(?i)")
	}
	return re, err
}

// Action is what a rule does when it fires. Unset fields leave the ticket
// as earlier rules (or the mailbox) left it.
type Action struct {
	// Queue moves the ticket to this queue.
	Queue string
	// Category sets the ticket's category.
	Category string
	// Tags are added to the ticket's tags.
	Tags []string
	// Impact is High, Medium or Low: how many people or how much business is affected.
	Impact string
	// Urgency is High, Medium or Low: how soon it hurts.
	Urgency string
	// Priority, P1 to P4, overrides the impact × urgency matrix.
	Priority string
	// Assignee is the agent's address the ticket is assigned to.
	Assignee string
	// Skill is what the agent who gets the ticket by automatic
	// assignment must have.
	Skill string
	// Spam true marks the mail as spam; false clears a verdict of the spam
	// checks (an allow list); nil leaves it alone.
	Spam *bool
	// Acknowledge false suppresses the acknowledgement to the customer; true
	// restores it after an earlier rule suppressed it. Spam is never acknowledged.
	Acknowledge *bool
	// AckTemplate is the template of the acknowledgement; "" uses the default.
	AckTemplate string
	// Language is the customer's language, "de": the language of the
	// desk's mail to them, before any header or detection.
	Language string
}

// rule is a Rule compiled for evaluation.
type rule struct {
	name    string
	any     bool
	stop    bool
	conds   []cond
	then    Action
	summary string
}

// cond is a Condition compiled for evaluation: values lower case,
// regexes compiled, numbers parsed.
type cond struct {
	field  Field
	header string // canonical, for field header
	op     Op
	not    bool
	text   string   // the value, trimmed and lower case
	list   []string // the values, trimmed and lower case
	re     *regexp.Regexp
	num    int
	want   bool // for has_attachment
}

func compileRule(r Rule) (rule, error) {
	if err := r.Then.check(); err != nil {
		return rule{}, fmt.Errorf("then: %w", err)
	}
	cr := rule{
		name:    r.Name,
		any:     r.MatchAny,
		stop:    r.Stop,
		then:    r.Then,
		summary: summarize(r.Then, r.Stop),
	}
	for j, c := range r.When {
		cc, err := compileCond(c)
		if err != nil {
			return rule{}, fmt.Errorf("when[%d]: %w", j, err)
		}
		cr.conds = append(cr.conds, cc)
	}
	return cr, nil
}

// compileCond compiles c, refusing what no condition can mean; the
// configuration explains each of these to the admin before it gets here.
func compileCond(c Condition) (cond, error) {
	cc := cond{
		field: c.Field,
		op:    c.Op,
		not:   c.Not,
		text:  strings.ToLower(strings.TrimSpace(c.Value)),
		re:    c.Regexp,
	}
	ops := fieldOps[c.Field]
	if cc.op == "" && c.Field == FieldHasAttachment {
		cc.op = OpEquals
	}
	switch {
	case ops == nil:
		return cond{}, fmt.Errorf("unknown field %q", c.Field)
	case !slices.Contains(ops, cc.op):
		return cond{}, fmt.Errorf("operator %q does not apply to field %q", c.Op, c.Field)
	case c.Field == FieldHeader && c.Header == "":
		return cond{}, errors.New("field header names no header")
	case cc.op == OpAnyOf && len(c.Values) == 0:
		return cond{}, errors.New("any_of without values")
	}
	if c.Field == FieldHeader {
		cc.header = textproto.CanonicalMIMEHeaderKey(c.Header)
	}
	for _, v := range c.Values {
		cc.list = append(cc.list, strings.ToLower(strings.TrimSpace(v)))
	}
	if cc.op == OpDomain {
		cc.text = strings.TrimPrefix(cc.text, "@")
	}
	if c.Field == FieldFromDomain {
		for i, v := range cc.list {
			cc.list[i] = strings.TrimPrefix(v, "@")
		}
	}
	var err error
	switch {
	case cc.op == OpRegex && cc.re == nil:
		cc.re, err = CompileRegexp(c.Value)
	case c.Field == FieldOpenTickets:
		cc.num, err = strconv.Atoi(cc.text)
	case c.Field == FieldHasAttachment:
		if cc.text != "" && cc.text != "true" && cc.text != "false" {
			err = fmt.Errorf("has_attachment %q is neither true nor false", c.Value)
		}
		cc.want = cc.text != "false"
	}
	return cc, err
}

// check refuses levels and priorities that do not exist.
func (a Action) check() error {
	for _, l := range []struct{ name, v string }{{"impact", a.Impact}, {"urgency", a.Urgency}} {
		if l.v != "" && !slices.Contains(levels, l.v) {
			return fmt.Errorf("%s %q is not one of %s", l.name, l.v, strings.Join(levels, ", "))
		}
	}
	if a.Priority != "" && !slices.Contains(priorities, a.Priority) {
		return fmt.Errorf("priority %q is not one of %s", a.Priority, strings.Join(priorities, ", "))
	}
	return nil
}

// matches reports whether the rule's conditions hold: all of them, or with
// match = "any" one of them. A rule without conditions always matches.
func (r *rule) matches(v *view) bool {
	if len(r.conds) == 0 {
		return true
	}
	for i := range r.conds {
		ok := r.conds[i].matches(v)
		if r.any && ok {
			return true
		}
		if !r.any && !ok {
			return false
		}
	}
	return !r.any
}

// apply records what the rule sets in d; a rule's priority goes to *override.
func (r *rule) apply(d *Decision, override *string) {
	a := &r.then
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&d.Queue, a.Queue)
	set(&d.Category, a.Category)
	set(&d.Impact, a.Impact)
	set(&d.Urgency, a.Urgency)
	set(override, a.Priority)
	set(&d.Assignee, a.Assignee)
	set(&d.Skill, a.Skill)
	set(&d.AckTemplate, a.AckTemplate)
	set(&d.Language, a.Language)
	for _, t := range a.Tags {
		if !slices.Contains(d.Tags, t) {
			d.Tags = append(d.Tags, t)
		}
	}
	if a.Spam != nil {
		switch {
		case *a.Spam && !d.Spam:
			d.Spam, d.SpamReason = true, fmt.Sprintf("rule %q", r.name)
		case !*a.Spam:
			d.Spam, d.SpamReason = false, ""
		}
	}
	if a.Acknowledge != nil {
		d.Acknowledge = *a.Acknowledge
	}
}

// summarize lists what an action sets, "queue=vip tags=vip,key priority=P1".
func summarize(a Action, stop bool) string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	add("queue", a.Queue)
	add("category", a.Category)
	add("tags", strings.Join(a.Tags, ","))
	add("impact", a.Impact)
	add("urgency", a.Urgency)
	add("priority", a.Priority)
	add("assignee", a.Assignee)
	add("skill", a.Skill)
	if a.Spam != nil {
		add("spam", strconv.FormatBool(*a.Spam))
	}
	if a.Acknowledge != nil {
		add("acknowledge", strconv.FormatBool(*a.Acknowledge))
	}
	add("ack_template", a.AckTemplate)
	add("language", a.Language)
	if stop {
		parts = append(parts, "stop")
	}
	return strings.Join(parts, " ")
}

// view is a mail seen by the conditions, with the lower case forms each
// computed once, when a condition first needs it.
type view struct {
	m          *Mail
	from       string
	fromDomain string
	subject    *string
	body       *string
	fromName   *string
	to, cc     []string
	toDone     bool
	ccDone     bool
}

// MaxBodyBytes is how much of a mail's text the body conditions look at, so
// that a huge mail cannot stall the rules.
const MaxBodyBytes = 256 << 10

// bodyText returns the start of the body that conditions see, cut at a
// character boundary.
func (v *view) bodyText() string {
	b := v.m.Body
	if len(b) <= MaxBodyBytes {
		return b
	}
	cut := MaxBodyBytes
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return b[:cut]
}

func newView(m *Mail) *view {
	from := strings.ToLower(strings.TrimSpace(m.From))
	return &view{m: m, from: from, fromDomain: domainOf(from)}
}

func lowerOnce(p **string, s string) string {
	if *p == nil {
		l := strings.ToLower(s)
		*p = &l
	}
	return **p
}

func lowerAll(dst *[]string, done *bool, src []string) []string {
	if !*done {
		*done = true
		for _, a := range src {
			*dst = append(*dst, strings.ToLower(strings.TrimSpace(a)))
		}
	}
	return *dst
}

// matches reports whether the condition holds, after not.
func (c *cond) matches(v *view) bool {
	return c.test(v) != c.not
}

func (c *cond) test(v *view) bool {
	m := v.m
	switch c.field {
	case FieldFrom:
		return c.address(v.from)
	case FieldFromDomain:
		return c.domain(v.fromDomain)
	case FieldTo:
		return slices.ContainsFunc(lowerAll(&v.to, &v.toDone, m.To), c.address)
	case FieldCc:
		return slices.ContainsFunc(lowerAll(&v.cc, &v.ccDone, m.Cc), c.address)
	case FieldFromName:
		return c.textMatch(m.FromName, lowerOnce(&v.fromName, m.FromName))
	case FieldSubject:
		return c.textMatch(m.Subject, lowerOnce(&v.subject, m.Subject))
	case FieldBody:
		body := v.bodyText()
		if c.op == OpRegex {
			return c.re.MatchString(body)
		}
		return c.textMatch(body, lowerOnce(&v.body, body))
	case FieldHeader:
		values := m.Header[c.header]
		if c.op == OpExists {
			return len(values) > 0
		}
		for _, h := range values {
			if c.textMatch(h, strings.ToLower(h)) {
				return true
			}
		}
		return false
	case FieldMailbox:
		if c.op == OpAnyOf {
			return slices.Contains(c.list, strings.ToLower(m.Mailbox))
		}
		return c.textMatch(m.Mailbox, strings.ToLower(m.Mailbox))
	case FieldHasAttachment:
		return m.HasAttachment == c.want
	case FieldOpenTickets:
		switch c.op {
		case OpGTE:
			return m.OpenTickets >= c.num
		case OpLTE:
			return m.OpenTickets <= c.num
		default:
			return m.OpenTickets == c.num
		}
	}
	return false
}

// textMatch tests a text field; s is the text as written, lower its lower case.
func (c *cond) textMatch(s, lower string) bool {
	switch c.op {
	case OpEquals:
		return strings.TrimSpace(lower) == c.text
	case OpContains:
		return strings.Contains(lower, c.text)
	case OpRegex:
		return c.re.MatchString(s)
	case OpAnyOf:
		for _, v := range c.list {
			if strings.Contains(lower, v) {
				return true
			}
		}
	}
	return false
}

// address tests one lower case address.
func (c *cond) address(a string) bool {
	if a == "" {
		return false
	}
	switch c.op {
	case OpEquals:
		return a == c.text
	case OpContains:
		return strings.Contains(a, c.text)
	case OpRegex:
		return c.re.MatchString(a)
	case OpDomain:
		return inDomain(domainOf(a), c.text)
	case OpAnyOf:
		for _, v := range c.list {
			if d, ok := strings.CutPrefix(v, "@"); ok {
				if inDomain(domainOf(a), d) {
					return true
				}
			} else if a == v {
				return true
			}
		}
	}
	return false
}

// domain tests the lower case domain of the sender.
func (c *cond) domain(d string) bool {
	if d == "" {
		return false
	}
	switch c.op {
	case OpEquals:
		return d == strings.TrimPrefix(c.text, "@")
	case OpContains:
		return strings.Contains(d, c.text)
	case OpRegex:
		return c.re.MatchString(d)
	case OpDomain:
		return inDomain(d, c.text)
	case OpAnyOf:
		for _, v := range c.list {
			if inDomain(d, v) {
				return true
			}
		}
	}
	return false
}
