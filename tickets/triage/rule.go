package triage

import (
	"fmt"
	"net/textproto"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"helpdesk/config"
)

// rule is a config.Rule compiled for evaluation.
type rule struct {
	name    string
	any     bool
	stop    bool
	conds   []cond
	then    config.Action
	summary string
}

// cond is a config.Condition compiled for evaluation: values lower case,
// regexes compiled, numbers parsed.
type cond struct {
	field  string
	header string // canonical, for field header
	op     string
	not    bool
	text   string   // the value, trimmed and lower case
	list   []string // the values, trimmed and lower case
	re     *regexp.Regexp
	num    int
	want   bool // for has_attachment
}

func compileRule(r config.Rule) (rule, error) {
	cr := rule{
		name:    r.Name,
		any:     r.Match == "any",
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

func compileCond(c config.Condition) (cond, error) {
	cc := cond{
		field: c.Field,
		op:    c.Op,
		not:   c.Not,
		text:  strings.ToLower(strings.TrimSpace(string(c.Value))),
	}
	if cc.op == "" {
		cc.op = config.OpEquals // has_attachment
	}
	if c.Field == config.FieldHeader {
		cc.header = textproto.CanonicalMIMEHeaderKey(c.Header)
	}
	for _, v := range c.Values {
		cc.list = append(cc.list, strings.ToLower(strings.TrimSpace(v)))
	}
	if cc.op == config.OpDomain {
		cc.text = strings.TrimPrefix(cc.text, "@")
	}
	if c.Field == config.FieldFromDomain {
		for i, v := range cc.list {
			cc.list[i] = strings.TrimPrefix(v, "@")
		}
	}
	var err error
	switch {
	case cc.op == config.OpRegex:
		// Case is ignored unless the admin's pattern says otherwise with (?-i).
		cc.re, err = regexp.Compile("(?i)" + string(c.Value))
	case c.Field == config.FieldOpenTickets:
		cc.num, err = strconv.Atoi(cc.text)
	case c.Field == config.FieldHasAttachment:
		cc.want = cc.text != "false"
	}
	return cc, err
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
	set(&d.AckTemplate, a.AckTemplate)
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
func summarize(a config.Action, stop bool) string {
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
	if a.Spam != nil {
		add("spam", strconv.FormatBool(*a.Spam))
	}
	if a.Acknowledge != nil {
		add("acknowledge", strconv.FormatBool(*a.Acknowledge))
	}
	add("ack_template", a.AckTemplate)
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
	case config.FieldFrom:
		return c.address(v.from)
	case config.FieldFromDomain:
		return c.domain(v.fromDomain)
	case config.FieldTo:
		return slices.ContainsFunc(lowerAll(&v.to, &v.toDone, m.To), c.address)
	case config.FieldCc:
		return slices.ContainsFunc(lowerAll(&v.cc, &v.ccDone, m.Cc), c.address)
	case config.FieldFromName:
		return c.textMatch(m.FromName, lowerOnce(&v.fromName, m.FromName))
	case config.FieldSubject:
		return c.textMatch(m.Subject, lowerOnce(&v.subject, m.Subject))
	case config.FieldBody:
		body := v.bodyText()
		if c.op == config.OpRegex {
			return c.re.MatchString(body)
		}
		return c.textMatch(body, lowerOnce(&v.body, body))
	case config.FieldHeader:
		values := m.Header[c.header]
		if c.op == config.OpExists {
			return len(values) > 0
		}
		for _, h := range values {
			if c.textMatch(h, strings.ToLower(h)) {
				return true
			}
		}
		return false
	case config.FieldMailbox:
		if c.op == config.OpAnyOf {
			return slices.Contains(c.list, strings.ToLower(m.Mailbox))
		}
		return c.textMatch(m.Mailbox, strings.ToLower(m.Mailbox))
	case config.FieldHasAttachment:
		return m.HasAttachment == c.want
	case config.FieldOpenTickets:
		switch c.op {
		case config.OpGTE:
			return m.OpenTickets >= c.num
		case config.OpLTE:
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
	case config.OpEquals:
		return strings.TrimSpace(lower) == c.text
	case config.OpContains:
		return strings.Contains(lower, c.text)
	case config.OpRegex:
		return c.re.MatchString(s)
	case config.OpAnyOf:
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
	case config.OpEquals:
		return a == c.text
	case config.OpContains:
		return strings.Contains(a, c.text)
	case config.OpRegex:
		return c.re.MatchString(a)
	case config.OpDomain:
		return inDomain(domainOf(a), c.text)
	case config.OpAnyOf:
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
	case config.OpEquals:
		return d == strings.TrimPrefix(c.text, "@")
	case config.OpContains:
		return strings.Contains(d, c.text)
	case config.OpRegex:
		return c.re.MatchString(d)
	case config.OpDomain:
		return inDomain(d, c.text)
	case config.OpAnyOf:
		for _, v := range c.list {
			if inDomain(d, v) {
				return true
			}
		}
	}
	return false
}
