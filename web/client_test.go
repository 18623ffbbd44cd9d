package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"helpdesk/web"
)

func TestTheClientsAddressIsReadBackThroughTrustedProxiesOnly(t *testing.T) {
	local := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("10.0.0.0/8")}
	cases := []struct {
		name    string
		proxies web.Proxies
		peer    string
		xff     []string
		want    string
	}{
		{"no proxy is believed", web.Proxies{}, "127.0.0.1:5000", []string{"203.0.113.9"}, "127.0.0.1"},
		{"one proxy, whoever it is", web.Proxies{AnyOne: true}, "198.51.100.7:5000", []string{"6.6.6.6, 203.0.113.9"}, "203.0.113.9"},
		{"one proxy, no header", web.Proxies{AnyOne: true}, "198.51.100.7:5000", nil, "198.51.100.7"},
		{"a chain: the client's own entry on the left is not read", web.Proxies{Trusted: local}, "127.0.0.1:5000", []string{"6.6.6.6, 203.0.113.9, 10.1.2.3"}, "203.0.113.9"},
		{"a chain over several header lines", web.Proxies{Trusted: local}, "127.0.0.1:5000", []string{"6.6.6.6, 203.0.113.9", "10.1.2.3"}, "203.0.113.9"},
		{"a stranger's header is not read", web.Proxies{Trusted: local}, "198.51.100.7:5000", []string{"203.0.113.9"}, "198.51.100.7"},
		{"every hop a proxy: the farthest", web.Proxies{Trusted: local}, "127.0.0.1:5000", []string{"10.0.0.5"}, "10.0.0.5"},
		{"garbage ends the walk at the proxy that passed it", web.Proxies{Trusted: local}, "127.0.0.1:5000", []string{"203.0.113.9, unknown, 10.1.2.3"}, "10.1.2.3"},
		{"an address with a port", web.Proxies{Trusted: local}, "127.0.0.1:5000", []string{"203.0.113.9:4711"}, "203.0.113.9"},
		{"IPv6 in brackets with a port", web.Proxies{Trusted: local}, "[::1]:5000", []string{"[2001:db8::1]:443"}, "2001:db8::1"},
		{"IPv4 mapped into IPv6", web.Proxies{Trusted: local}, "[::ffff:127.0.0.1]:5000", []string{"::ffff:203.0.113.9"}, "203.0.113.9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, err := web.New(web.Options{BaseURL: "https://help.example.com", Proxies: c.proxies})
			if err != nil {
				t.Fatal(err)
			}
			srv.Handle("GET /ip", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(web.ClientIP(r)))
			}))
			req := httptest.NewRequest("GET", "/ip", nil)
			req.RemoteAddr = c.peer
			for _, v := range c.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if got := rec.Body.String(); got != c.want {
				t.Errorf("client %q, want %q", got, c.want)
			}
		})
	}
}
