package tickets

import "strings"

// EmailKey is an address as the desk stores and compares it: without
// surrounding space, lowercased. RFC 5321 2.4 lets a mail system tell
// local parts apart by case, but none that customers use does, and one
// person writing as Kim@ and kim@ must be one requester.
func EmailKey(addr string) string {
	return strings.ToLower(strings.TrimSpace(addr))
}

// SameEmail reports whether a and b are one address (see EmailKey).
func SameEmail(a, b string) bool {
	return EmailKey(a) == EmailKey(b)
}

// StripPlusTag drops the subaddress of addr (RFC 5233: "kim+1042@x" is
// delivered to "kim@x"). A local part that starts with "+" names no
// mailbox before it and is kept whole.
func StripPlusTag(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr
	}
	if i := strings.IndexByte(addr[:at], '+'); i > 0 {
		return addr[:i] + addr[at:]
	}
	return addr
}
