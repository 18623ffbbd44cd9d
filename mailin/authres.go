package mailin

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// AuthResults is one Authentication-Results header field (RFC 8601): the
// mail server that checked the mail (its authserv-id) and what it found.
type AuthResults struct {
	// AuthServID names the server that wrote the field (RFC 8601 2.5),
	// as written; compare with strings.EqualFold.
	AuthServID string
	// Results are the checks in the order written; empty for "none"
	// (RFC 8601 2.2: no authentication was done).
	Results []AuthResult
}

// AuthResult is one "method=result" of an Authentication-Results field,
// e.g. dkim=pass header.d=example.com (RFC 8601 2.2, 2.7).
type AuthResult struct {
	Method string // lowercased: "dmarc", "dkim", "spf", "arc", ...
	Result string // lowercased: "pass", "fail", "none", "temperror", ...
	Reason string // the reason= value, if any
	// Props are the ptype.property=value pairs, e.g. {"header", "from",
	// "example.com"}; type and property lowercased, value as written.
	Props []AuthProp
}

// AuthProp is one property of a result (RFC 8601 2.3), like header.d=example.com.
type AuthProp struct {
	Type, Property, Value string
}

// Prop returns the value of the property named "ptype.property" (say
// "header.from"), or "" when the result has none.
func (r AuthResult) Prop(name string) string {
	typ, prop, _ := strings.Cut(strings.ToLower(name), ".")
	for _, p := range r.Props {
		if p.Type == typ && p.Property == prop {
			return p.Value
		}
	}
	return ""
}

// errAuthRes is wrapped by every error ParseAuthResults returns.
var errAuthRes = errors.New("malformed Authentication-Results")

// ParseAuthResults parses the value of one Authentication-Results header
// field after RFC 8601 2.2: an authserv-id, an optional version (only
// version 1 exists; a field of another version is refused, RFC 8601 2.2),
// then "none" or one or more "; method[/version]=result [reason=...]
// [ptype.property=value ...]". Comments (RFC 5322 CFWS) and quoted strings
// may stand wherever the grammar allows. A key=value without a ptype, as
// Microsoft writes ("action=none"), is skipped. Anything else the grammar
// does not allow is an error: a field that cannot be read is not believed.
func ParseAuthResults(v string) (AuthResults, error) {
	p := &arScanner{s: v}
	var out AuthResults
	if err := p.cfws(); err != nil {
		return out, err
	}
	id, err := p.value()
	if err != nil {
		return out, p.fail("authserv-id: %v", err)
	}
	if id == "" {
		return out, p.fail("no authserv-id")
	}
	out.AuthServID = id
	if err := p.cfws(); err != nil {
		return out, err
	}
	if c := p.peek(); c >= '0' && c <= '9' {
		ver := p.token()
		if ver != "1" {
			return out, p.fail("version %q is not 1", ver)
		}
		if err := p.cfws(); err != nil {
			return out, err
		}
	}
	for !p.done() {
		if p.peek() != ';' {
			return out, p.fail("expected ';' at %q", p.rest())
		}
		p.i++
		if err := p.cfws(); err != nil {
			return out, err
		}
		if p.done() || p.peek() == ';' {
			continue // an empty resinfo, as in a trailing ';'
		}
		r, err := p.resinfo()
		if err != nil {
			return out, err
		}
		if r.Method == "none" && r.Result == "" {
			continue // no-result: "; none"
		}
		out.Results = append(out.Results, r)
	}
	return out, nil
}

// resinfo reads "method[/version]=result [reason=value] [ptype.prop=value ...]"
// (RFC 8601 2.2), the leading ';' and CFWS already consumed.
func (p *arScanner) resinfo() (AuthResult, error) {
	var r AuthResult
	method := strings.ToLower(p.keyword())
	if method == "" {
		return r, p.fail("expected a method at %q", p.rest())
	}
	r.Method = method
	if err := p.cfws(); err != nil {
		return r, err
	}
	if p.peek() == '/' { // method-version, e.g. dkim/1
		p.i++
		if err := p.cfws(); err != nil {
			return r, err
		}
		if p.keyword() == "" {
			return r, p.fail("method %s: empty version", method)
		}
		if err := p.cfws(); err != nil {
			return r, err
		}
	}
	if p.peek() != '=' {
		if method == "none" && (p.done() || p.peek() == ';') {
			return r, nil
		}
		return r, p.fail("method %s: expected '='", method)
	}
	p.i++
	if err := p.cfws(); err != nil {
		return r, err
	}
	r.Result = strings.ToLower(p.keyword())
	if r.Result == "" {
		return r, p.fail("method %s: no result", method)
	}
	for {
		if err := p.cfws(); err != nil {
			return r, err
		}
		if p.done() || p.peek() == ';' {
			return r, nil
		}
		key := strings.ToLower(p.keyword())
		if key == "" {
			return r, p.fail("method %s: unexpected %q", method, p.rest())
		}
		if err := p.cfws(); err != nil {
			return r, err
		}
		prop := ""
		if p.peek() == '.' {
			p.i++
			if err := p.cfws(); err != nil {
				return r, err
			}
			prop = strings.ToLower(p.keyword())
			if prop == "" {
				return r, p.fail("method %s: property %s. has no name", method, key)
			}
			if err := p.cfws(); err != nil {
				return r, err
			}
		}
		if p.peek() != '=' {
			return r, p.fail("method %s: expected '=' after %s", method, key)
		}
		p.i++
		if err := p.cfws(); err != nil {
			return r, err
		}
		val, err := p.pvalue()
		if err != nil {
			return r, err
		}
		switch {
		case prop != "":
			r.Props = append(r.Props, AuthProp{Type: key, Property: prop, Value: val})
		case key == "reason":
			r.Reason = val
		default:
			// Not in the grammar, but written by some servers
			// ("action=none", "compauth=pass"): skipped.
		}
	}
}

// arScanner reads an Authentication-Results value.
type arScanner struct {
	s string
	i int
}

func (p *arScanner) done() bool { return p.i >= len(p.s) }

func (p *arScanner) peek() byte {
	if p.done() {
		return 0
	}
	return p.s[p.i]
}

func (p *arScanner) rest() string {
	r := p.s[p.i:]
	if len(r) > 30 {
		r = r[:30] + "..."
	}
	return r
}

func (p *arScanner) fail(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errAuthRes, fmt.Sprintf(format, args...))
}

// cfws skips white space and comments, nested as RFC 5322 3.2.2 allows.
func (p *arScanner) cfws() error {
	depth := 0
	for !p.done() {
		c := p.s[p.i]
		switch {
		case c == '\\' && depth > 0:
			p.i++
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth > 0, c == ' ', c == '\t', c == '\r', c == '\n':
		default:
			return nil
		}
		p.i++
	}
	if depth > 0 {
		return p.fail("unclosed comment")
	}
	return nil
}

// isTokenChar reports whether c may stand in an RFC 2045 token: any
// visible US-ASCII character but the tspecials.
func isTokenChar(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	return !strings.ContainsRune(`()<>@,;:\"/[]?=`, rune(c))
}

// keyword reads an RFC 8601 Keyword (an ldh-str, RFC 5321 4.1.2): the
// methods, results, ptypes and properties. "" when none stands here.
func (p *arScanner) keyword() string {
	start := p.i
	for !p.done() {
		c := p.s[p.i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			break
		}
		p.i++
	}
	return p.s[start:p.i]
}

// token reads an RFC 2045 token ("" when none stands here).
func (p *arScanner) token() string {
	start := p.i
	for !p.done() && isTokenChar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// value reads an RFC 2045 value: a token or a quoted string.
func (p *arScanner) value() (string, error) {
	if p.peek() == '"' {
		return p.quoted()
	}
	return p.token(), nil
}

// quoted reads a quoted string (RFC 5322 3.2.4) and returns its content.
func (p *arScanner) quoted() (string, error) {
	var b strings.Builder
	p.i++ // the opening quote
	for !p.done() {
		c := p.s[p.i]
		p.i++
		switch c {
		case '\\':
			if p.done() {
				return "", p.fail("unclosed quoted string")
			}
			b.WriteByte(p.s[p.i])
			p.i++
		case '"':
			return b.String(), nil
		default:
			b.WriteByte(c)
		}
	}
	return "", p.fail("unclosed quoted string")
}

// pvalue reads a property value (RFC 8601 2.2): a value, or an address or
// domain ([local-part "@"] domain-name), whose local part may be quoted.
func (p *arScanner) pvalue() (string, error) {
	var b strings.Builder
	for !p.done() {
		c := p.s[p.i]
		switch {
		case c == '"':
			q, err := p.quoted()
			if err != nil {
				return "", err
			}
			b.WriteString(q)
			continue
		case c == ' ', c == '\t', c == '\r', c == '\n', c == ';', c == '(':
			return b.String(), nil
		}
		b.WriteByte(c)
		p.i++
	}
	return b.String(), nil
}

// TrustedAuthResults gathers, from the Authentication-Results fields of h
// (top first, as Header keeps them), the results written by the servers
// whose authserv-id is in trusted (compared ignoring case). Fields of
// other servers are ignored: anyone can write one. Fields that cannot be
// parsed are ignored too.
//
// RFC 8601 5: a server adds its field at the top of the header and must
// remove fields bearing its own authserv-id that came from outside. The
// topmost trusted field is therefore the newest, written as the mail
// entered the trusted system; a field further down bearing a trusted id
// may be a forgery the server failed to remove. So each method is taken
// from the topmost trusted field that reports it, and a lower field never
// overrides it; a lower field only adds a method the upper ones lack, for
// servers whose filters each write their own field (one for DKIM, one for
// DMARC, ...).
func TrustedAuthResults(h Header, trusted []string) []AuthResult {
	if len(trusted) == 0 {
		return nil
	}
	var out []AuthResult
	taken := map[string]bool{} // methods taken from a field above
	for _, v := range h.Values("Authentication-Results") {
		ar, err := ParseAuthResults(v)
		if err != nil || !trustedID(ar.AuthServID, trusted) {
			continue
		}
		here := map[string]bool{}
		for _, r := range ar.Results {
			if taken[r.Method] {
				continue
			}
			here[r.Method] = true
			out = append(out, r)
		}
		for m := range here {
			taken[m] = true
		}
	}
	return out
}

func trustedID(id string, trusted []string) bool {
	for _, t := range trusted {
		if strings.EqualFold(strings.TrimSpace(t), id) {
			return true
		}
	}
	return false
}

// SenderVerdict is what the trusted servers' Authentication-Results say of
// the addresses a mail would be answered at.
type SenderVerdict struct {
	// FromVerified: the From's domain passed DMARC there or, without a
	// DMARC result for it, DKIM or SPF aligned with it.
	FromVerified bool
	// Verified lists, lowercased, the addresses among From and Reply-To
	// that may be answered: the From when verified; a Reply-To in the
	// verified From's organizational domain, or whose own domain passed
	// DKIM or SPF aligned with it.
	Verified []string
	// Why says in a few words what decided FromVerified, e.g.
	// "dmarc=pass header.from=example.com" or "dmarc=fail header.from=example.com".
	Why string
}

// VerifySender judges the sender of a mail from the trusted servers'
// Authentication-Results (see TrustedAuthResults).
//
// The From's domain passes when a DMARC result for it (RFC 7489 11.2,
// header.from) is pass. A DMARC result other than pass or none (no DMARC
// policy published) fails it, whatever else passed. Without a DMARC
// result, a DKIM pass whose signing domain (header.d, else header.i) or an
// SPF pass whose envelope sender (smtp.mailfrom) is in the same
// organizational domain (relaxed alignment, RFC 7489 3.1) passes it.
// Alignment uses the public suffix list, so that example.co.uk and
// other.co.uk are two organizations.
func VerifySender(h Header, trusted []string, from Address, replyTo []Address) SenderVerdict {
	results := TrustedAuthResults(h, trusted)
	var v SenderVerdict
	fromDomain := domainOf(from.Email)
	switch {
	case len(results) == 0:
		v.Why = "no Authentication-Results from a trusted server (" + strings.Join(trusted, ", ") + ")"
	case fromDomain == "":
		v.Why = "the From has no domain"
	default:
		v.FromVerified, v.Why = fromPassed(results, fromDomain)
	}
	if v.FromVerified {
		v.Verified = append(v.Verified, strings.ToLower(from.Email))
	}
	for _, r := range replyTo {
		d := domainOf(r.Email)
		if d == "" {
			continue
		}
		if v.FromVerified && SameOrganization(d, fromDomain) {
			v.Verified = append(v.Verified, strings.ToLower(r.Email))
			continue
		}
		if ok, _ := alignedPass(results, d); ok {
			v.Verified = append(v.Verified, strings.ToLower(r.Email))
		}
	}
	return v
}

// fromPassed decides whether the From's domain passed; see VerifySender.
func fromPassed(results []AuthResult, fromDomain string) (bool, string) {
	var pass, fail string
	for _, r := range results {
		if r.Method != "dmarc" {
			continue
		}
		hf := r.Prop("header.from")
		if hf != "" && domainOf(hf) != fromDomain {
			continue // about another From; not this mail's
		}
		desc := "dmarc=" + r.Result + " header.from=" + fromDomain
		switch r.Result {
		case "pass":
			pass = desc
		case "none":
			// RFC 7489 11.2: the domain publishes no DMARC policy;
			// DKIM and SPF below decide.
		default:
			fail = desc
		}
	}
	if fail != "" {
		return false, fail
	}
	if pass != "" {
		return true, pass
	}
	return alignedPass(results, fromDomain)
}

// alignedPass reports whether DKIM or SPF passed for a domain in the same
// organizational domain as domain (relaxed alignment, RFC 7489 3.1.1, 3.1.2).
func alignedPass(results []AuthResult, domain string) (bool, string) {
	for _, r := range results {
		if r.Result != "pass" {
			continue
		}
		var got, desc string
		switch r.Method {
		case "dkim":
			got = r.Prop("header.d")
			desc = "dkim=pass header.d="
			if got == "" {
				got, desc = r.Prop("header.i"), "dkim=pass header.i="
			}
		case "spf":
			got, desc = r.Prop("smtp.mailfrom"), "spf=pass smtp.mailfrom="
		default:
			continue
		}
		if d := domainOf(got); d != "" && SameOrganization(d, domain) {
			return true, desc + d
		}
	}
	return false, "no dmarc, dkim or spf pass for " + domain
}

// domainOf returns the lowercased domain of an address, a bare domain, or
// an "@domain" (header.i), without brackets or a trailing dot.
func domainOf(s string) string {
	s = strings.Trim(strings.TrimSpace(s), "<>")
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimSuffix(strings.ToLower(s), ".")
}

// OrganizationalDomain returns the domain's organizational domain (RFC 7489
// 3.2): the public suffix and one label more, "mail.example.co.uk" ->
// "example.co.uk". A domain the public suffix list cannot place is returned
// lowercased as it is.
func OrganizationalDomain(domain string) string {
	domain = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	org, err := publicsuffix.EffectiveTLDPlusOne(domain)
	if err != nil {
		return domain
	}
	return org
}

// SameOrganization reports whether two domains share their organizational
// domain: relaxed alignment in the sense of RFC 7489 3.1.
func SameOrganization(a, b string) bool {
	return a != "" && b != "" && OrganizationalDomain(a) == OrganizationalDomain(b)
}
