package mailin

import (
	"net/netip"
	"strings"
)

// ConnectingIP returns the address of the host that handed the mail to the
// receiving mail system, as that system recorded it: the first public IP
// address in the "from" clause of the topmost Received field that has one
// (RFC 5321 4.4: each relay adds its Received field at the top; the
// TCP-info in its from clause is the address the connection came from, e.g.
// "from mail.example.org (mail.example.org [203.0.113.7]) by mx...").
// Loopback, private and link-local addresses are skipped: they are the
// receiving system's own internal hops (a content filter, the IMAP server).
// It returns the zero Addr when no Received field names a public address.
//
// Fields below the receiving system's are written by the sender and can
// say anything; the topmost public address is the receiving system's own
// record as long as it writes one, which every common MTA does.
func ConnectingIP(h Header) netip.Addr {
	for _, v := range h.Values("Received") {
		if ip := publicIPIn(fromClause(v)); ip.IsValid() {
			return ip
		}
	}
	return netip.Addr{}
}

// fromClause returns the text between "from" and "by" of a Received value
// (RFC 5321 4.4: Received: from Extended-Domain by Domain ...), or "".
func fromClause(v string) string {
	lower := strings.ToLower(v)
	i := strings.Index(lower, "from ")
	if i < 0 || strings.TrimSpace(lower[:i]) != "" {
		return ""
	}
	rest := v[i+len("from "):]
	if j := strings.Index(strings.ToLower(rest), " by "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// publicIPIn finds the first public IP address written in s, in brackets
// ("[203.0.113.7]", "[IPv6:2001:db8::1]") or in parentheses, as
// Microsoft writes it ("(2603:10a6:208:af::26)").
func publicIPIn(s string) netip.Addr {
	for _, word := range strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '[' || r == ']' || r == '(' || r == ')' || r == ',' || r == ';'
	}) {
		word = strings.TrimPrefix(word, "IPv6:")
		word = strings.TrimPrefix(word, "ipv6:")
		word = strings.TrimSuffix(word, ".")
		ip, err := netip.ParseAddr(word)
		if err != nil {
			continue
		}
		ip = ip.Unmap()
		if ip.IsGlobalUnicast() && !ip.IsPrivate() {
			return ip
		}
	}
	return netip.Addr{}
}
