package web

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies says which reverse proxies in front of the server to believe
// about the address a request came from. The per-source limits of the
// forms and of failed logins count by that address: believing a client
// would let it pick its own, believing no proxy puts every customer
// behind one at the proxy's.
type Proxies struct {
	// Trusted are the addresses of the proxies (config
	// http.trusted_proxies): a request from one of them is from the last
	// address its X-Forwarded-For names, and so on back through every
	// trusted proxy in the chain.
	Trusted []netip.Prefix
	// AnyOne believes the connection's peer, whatever its address, about
	// one hop (config web.trust_proxy): one proxy in front.
	AnyOne bool
}

// trusts reports whether the address hops away from the server (0: the
// connection's peer) is a proxy to believe.
func (p Proxies) trusts(a netip.Addr, hops int) bool {
	if hops == 0 && p.AnyOne {
		return true
	}
	for _, t := range p.Trusted {
		if t.Contains(a) {
			return true
		}
	}
	return false
}

// clientOf is the address r came from: the connection's peer, or, when
// that is a trusted proxy, the address the proxy names, back through the
// chain of trusted proxies (the right end of X-Forwarded-For is the
// nearest). What a client writes into the header itself stands left of
// what its first proxy appended, and is never reached while that proxy
// is a stranger. An entry that is no address ends the walk at the proxy
// that passed it on.
func (p Proxies) clientOf(r *http.Request) string {
	peer, ok := parseHop(r.RemoteAddr)
	if !ok {
		return peerHost(r)
	}
	cur := peer
	if !p.trusts(cur, 0) {
		return cur.String()
	}
	hops := forwardedFor(r)
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break
		}
		cur = a
		if !p.trusts(cur, len(hops)-i) {
			break
		}
	}
	return cur.String()
}

// forwardedFor is every address of r's X-Forwarded-For headers, in order.
func forwardedFor(r *http.Request) []string {
	var out []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for h := range strings.SplitSeq(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				out = append(out, h)
			}
		}
	}
	return out
}

// parseHop reads one address as proxies write them: "192.0.2.1",
// "2001:db8::1", "[2001:db8::1]", or any of those with a port; an IPv4
// address mapped into IPv6 is the IPv4 address.
func parseHop(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// peerHost is the host of r's connection, as the server saw it.
func peerHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type clientKey struct{}

// ClientIP is the address the request came from, as the server's Proxies
// read it; for a request that did not come through a Server, the
// connection's.
func ClientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientKey{}).(string); ok {
		return ip
	}
	return peerHost(r)
}

// withClient is r knowing its client's address.
func (s *Server) withClient(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), clientKey{}, s.proxies.clientOf(r)))
}
