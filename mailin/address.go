package mailin

import (
	"bytes"
	"strings"
)

// maxAddresses caps the entries parseAddressList returns for one field: a
// help desk's customer never writes to thousands of people at once, and a
// field that does is kept to its first entries.
const maxAddresses = 1000

// parseAddressList parses an address-list header value (RFC 5322 3.4)
// leniently: unquoted commas in display names, missing brackets, groups,
// comments, "mailto:" and source routes are all tolerated. Entries whose
// address has no "@" are kept (with whatever was written) so that callers
// can fall back on them; use Address.Usable to filter. At most
// maxAddresses entries are returned.
func parseAddressList(v []byte) []Address {
	items, _ := splitAddressList(v)
	out := make([]Address, 0, min(len(items), maxAddresses))
	for _, it := range items {
		if len(out) == maxAddresses {
			break
		}
		if a, ok := parseMailbox(it); ok {
			out = append(out, a)
		}
	}
	return out
}

// splitAddressList splits at top-level commas and semicolons; a top-level
// colon ends a group's display name, which is returned apart. An
// encoded-word is one unit: a ":" or "," that a mailer left raw inside
// "=?utf-8?q?Support:_Desk?=" belongs to the name. It stops after
// 2*maxAddresses items (two items may be joined into one entry below).
func splitAddressList(v []byte) (items, groups [][]byte) {
	start, depth, inQuote, inAngle := 0, 0, false, false
	for i := 0; i < len(v) && len(items) < 2*maxAddresses; i++ {
		c := v[i]
		switch {
		case inQuote:
			if c == '\\' {
				i++
			} else if c == '"' {
				inQuote = false
			}
		case depth > 0:
			if c == '\\' {
				i++
			} else if c == '(' {
				depth++
			} else if c == ')' {
				depth--
			}
		case c == '"':
			inQuote = true
		case c == '(':
			depth = 1
		case c == '<':
			inAngle = true
		case c == '>':
			inAngle = false
		case inAngle:
		case c == '=' && i+1 < len(v) && v[i+1] == '?':
			if end := encodedWordEnd(v, i); end > 0 {
				i = end - 1
			}
		case c == ',' || c == ';':
			items = append(items, v[start:i])
			start = i + 1
		case c == ':':
			groups = append(groups, v[start:i])
			start = i + 1
		}
	}
	if start < len(v) && len(items) < 2*maxAddresses {
		items = append(items, v[start:])
	}
	// "Doe, John <john@example.com>": an unquoted comma inside a display
	// name. Join a bare word with a following bracketed entry.
	merged := items[:0:0]
	for i := 0; i < len(items); i++ {
		it := bytes.TrimSpace(items[i])
		if len(it) == 0 {
			continue
		}
		if i+1 < len(items) && bytes.IndexByte(it, '@') < 0 && bytes.IndexByte(it, '<') < 0 && bytes.IndexByte(it, '"') < 0 {
			nx := bytes.TrimSpace(items[i+1])
			if lt := bytes.IndexByte(nx, '<'); lt > 0 {
				m := make([]byte, 0, len(it)+2+len(nx))
				m = append(append(append(m, '"'), it...), ", "...)
				m = append(append(m, bytes.TrimSpace(nx[:lt])...), '"', ' ')
				m = append(m, nx[lt:]...)
				merged = append(merged, m)
				i++
				continue
			}
		}
		merged = append(merged, it)
	}
	return merged, groups
}

// maxPhraseWord bounds the length of an encoded-word in a display name that
// splitAddressList keeps whole, so that a field full of "=?" costs linear
// time.
const maxPhraseWord = 256

// encodedWordEnd returns the index just past the encoded-word that starts
// at v[at:], or -1. Its text may not hold whitespace or the characters
// that delimit a display name, so that a stray "=?" never hides an address.
func encodedWordEnd(v []byte, at int) int {
	_, _, p, ok := wordStartAt(v, at)
	if !ok {
		return -1
	}
	for k := p; k+1 < len(v) && k < p+maxPhraseWord; k++ {
		switch v[k] {
		case '?':
			if v[k+1] == '=' {
				return k + 2
			}
		case ' ', '\t', '\n', '\r', '<', '>', '"', '(', ')':
			return -1
		}
	}
	return -1
}

// parseMailbox parses one "Name <addr>" or "addr (Name)" entry.
func parseMailbox(it []byte) (Address, bool) {
	var name, comment, rest []byte
	addr := []byte(nil)
	hasAngle := false
	anyAngle := bytes.IndexByte(it, '<') >= 0 // once per entry, not per quote
	depth, inQuote := 0, false
	for i := 0; i < len(it); i++ {
		c := it[i]
		switch {
		case inQuote:
			if c == '\\' && i+1 < len(it) {
				i++
				name = append(name, it[i])
			} else if c == '"' {
				inQuote = false
			} else {
				name = append(name, c)
			}
		case depth > 0:
			if c == '\\' && i+1 < len(it) {
				i++
				comment = append(comment, it[i])
			} else if c == '(' {
				depth++
				comment = append(comment, c)
			} else if c == ')' {
				depth--
				if depth > 0 {
					comment = append(comment, c)
				} else {
					comment = append(comment, ' ')
				}
			} else {
				comment = append(comment, c)
			}
		case c == '"':
			inQuote = true
			// A quoted local part: "john doe"@example.com.
			if j := bytes.IndexByte(it[i+1:], '"'); j >= 0 && i+j+2 < len(it) && it[i+j+2] == '@' && !hasAngle && !anyAngle {
				rest = append(rest, it[i:i+j+2]...)
				i += j + 1
				inQuote = false
			}
		case c == '(':
			depth = 1
		case c == '<':
			end := bytes.IndexByte(it[i:], '>')
			if end < 0 {
				end = len(it) - i
			}
			addr = it[i+1 : i+end]
			hasAngle = true
			i += end
		default:
			if hasAngle {
				name = append(name, c)
			} else {
				rest = append(rest, c)
			}
		}
	}
	if !hasAngle {
		// addr-spec form; a word without "@" beside it belongs to the name.
		words := bytes.Fields(rest)
		if t := bytes.TrimSpace(rest); len(t) > 0 && bytes.IndexByte(t, '"') >= 0 {
			words = [][]byte{t}
		}
		for _, w := range words {
			if bytes.IndexByte(w, '@') >= 0 && addr == nil {
				addr = w
			}
		}
		if addr == nil {
			if len(words) == 1 && len(name) == 0 {
				addr = words[0]
			} else {
				name = append(name, rest...)
			}
		} else {
			for _, w := range words {
				if &w[0] != &addr[0] {
					name = append(append(name, ' '), w...)
				}
			}
		}
	} else if len(rest) > 0 {
		name = append(rest, name...)
	}
	if len(bytes.TrimSpace(name)) == 0 {
		name = comment
	}
	email := cleanEmail(addr)
	n := strings.Trim(collapseSpace(decodeWords(name)), "\"' ")
	if email == "" && n == "" {
		return Address{}, false
	}
	return Address{Name: n, Email: email}, true
}

// cleanEmail normalises an address: brackets, "mailto:", a source route and
// surrounding quotes go; the domain is lowercased.
func cleanEmail(a []byte) string {
	a = bytes.Trim(a, " \t<>")
	if len(a) >= 7 && bytes.EqualFold(a[:7], []byte("mailto:")) {
		a = a[7:]
	}
	if len(a) > 0 && a[0] == '@' { // obsolete source route "@a,@b:user@c"
		if i := bytes.IndexByte(a, ':'); i >= 0 {
			a = a[i+1:]
		}
	}
	if i := bytes.IndexByte(a, '?'); i > 0 && bytes.IndexByte(a[:i], '@') > 0 { // mailto query
		a = a[:i]
	}
	if len(a) > 0 && a[0] == '"' { // quoted local part: "john doe"@example.com
		if i := bytes.Index(a, []byte(`"@`)); i > 0 {
			return withoutControls(rawHeaderText(a[:i+1]) + "@" + strings.TrimRight(strings.ToLower(rawHeaderText(bytes.TrimSpace(a[i+2:]))), ".>"))
		}
	}
	a = bytes.Trim(a, " \t'\",;.<>[]")
	if bytes.ContainsAny(a, " \t") {
		a = bytes.Join(bytes.Fields(a), nil)
	}
	s := withoutControls(rawHeaderText(a))
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[:i+1] + strings.TrimRight(strings.ToLower(s[i+1:]), ".")
	}
	return s
}

// withoutControls drops control characters: RFC 5322 3.4.1 has none in an
// address (not even in a quoted local part, where qtext excludes them);
// a bare CR or NUL there is a broken line end or an attack, never part of
// a mailbox.
func withoutControls(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// parseReplyList parses an address-list that replies will go to (Reply-To)
// and reports whether it is one: RFC 5322 3.4 makes a group's display name a
// phrase and every member an addr-spec. A field that is not ("victim@x.test"
// and "bcc:evil@y.test" run together by a lost line break; an entry without
// a usable address) is refused whole, so that the caller falls back to From
// rather than answer a fragment of it.
func parseReplyList(v []byte) ([]Address, bool) {
	items, groups := splitAddressList(v)
	for _, g := range groups {
		if bytes.ContainsAny(g, "@<>[]") {
			return nil, false
		}
	}
	var out []Address
	for _, it := range items {
		if len(out) == maxAddresses {
			break
		}
		a, ok := parseMailbox(it)
		if !ok {
			continue
		}
		if !validAddrSpec(a.Email) {
			return nil, false
		}
		out = append(out, a)
	}
	return out, len(out) > 0
}

// validAddrSpec reports whether email has the form of an RFC 5322 3.4.1
// addr-spec that mail can be sent to: a dot-atom or quoted local part, "@",
// and a domain of non-empty labels (letters, digits, hyphens, underscores,
// or UTF-8 for internationalised names) or an address literal.
func validAddrSpec(email string) bool {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return false
	}
	local, domain := email[:at], email[at+1:]
	if len(local) >= 2 && local[0] == '"' && local[len(local)-1] == '"' {
		if strings.ContainsAny(local[1:len(local)-1], "\r\n") {
			return false
		}
	} else {
		for _, atom := range strings.Split(local, ".") {
			if atom == "" || strings.ContainsFunc(atom, func(r rune) bool {
				return r <= ' ' || r == 0x7f || strings.ContainsRune(`()<>[]:;@\,"`, r)
			}) {
				return false
			}
		}
	}
	if strings.HasPrefix(domain, "[") && strings.HasSuffix(domain, "]") {
		return !strings.ContainsAny(domain[1:len(domain)-1], "[]\\ \t")
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" || strings.ContainsFunc(label, func(r rune) bool {
			return r < 0x80 && !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
		}) {
			return false
		}
	}
	return true
}
