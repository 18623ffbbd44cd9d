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
	items := splitAddressList(v)
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
// colon ends a group's display name, which is dropped. It stops after
// 2*maxAddresses items (two items may be joined into one entry below).
func splitAddressList(v []byte) [][]byte {
	var items [][]byte
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
		case c == ',' || c == ';':
			items = append(items, v[start:i])
			start = i + 1
		case c == ':':
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
	return merged
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
			return rawHeaderText(a[:i+1]) + "@" + strings.TrimRight(strings.ToLower(rawHeaderText(bytes.TrimSpace(a[i+2:]))), ".>")
		}
	}
	a = bytes.Trim(a, " \t'\",;.<>[]")
	if bytes.ContainsAny(a, " \t") {
		a = bytes.Join(bytes.Fields(a), nil)
	}
	s := rawHeaderText(a)
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[:i+1] + strings.TrimRight(strings.ToLower(s[i+1:]), ".")
	}
	return s
}
