package config

import (
	"fmt"
	"maps"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// HTTP is the daemon's small web server: the pages that links in the
// desk's mails open (the satisfaction survey's, for now).
type HTTP struct {
	// Listen is the address the daemon serves its pages on,
	// "127.0.0.1:8025"; "" (the default) runs no web server. Put a reverse
	// proxy with TLS in front of it for the world.
	Listen string `toml:"listen"`
	// BaseURL is what links in mails start with, as customers reach the
	// server: "https://help.example.com" (a path is allowed, for a proxy
	// that serves the desk under one). An absolute http or https URL,
	// without query or fragment; required with Listen. The server checks
	// the Origin of a form sent to it against it.
	BaseURL string `toml:"base_url"`

	// AdminUsers are the admins who log in to the dashboard (the pages at
	// "/") with a password: name = the password's bcrypt hash, which
	// `helpdesk admin hash-password` prints. The file never holds a
	// password.
	AdminUsers map[string]string `toml:"admin_users"`
	// AdminTokenEnv or AdminTokenFile holds the admin token (at least 16
	// characters): a script sends it as "Authorization: Bearer TOKEN" (to
	// /metrics, say), an admin may type it on the login page.
	AdminTokenEnv  string `toml:"admin_token_env"`
	AdminTokenFile string `toml:"admin_token_file"`
	// AdminToken is the token read from AdminTokenEnv or AdminTokenFile.
	AdminToken         string `toml:"-"`
	adminTokenResolved bool

	// TrustedProxies are the reverse proxies in front of the server whose
	// X-Forwarded-For counts: addresses ("127.0.0.1", "::1") or prefixes
	// ("10.0.0.0/8"). The limits of the forms and of failed logins count
	// by the client's address, read back through the chain of these
	// proxies; by default the connection's address counts.
	TrustedProxies []string `toml:"trusted_proxies"`
}

// ProxyPrefixes is TrustedProxies as prefixes, an address as a prefix of
// its own; entries that are neither are left out (validation reports
// them).
func (h *HTTP) ProxyPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, p := range h.TrustedProxies {
		if pr, ok := proxyPrefix(p); ok {
			out = append(out, pr)
		}
	}
	return out
}

// proxyPrefix reads one entry of trusted_proxies.
func proxyPrefix(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if pr, err := netip.ParsePrefix(s); err == nil {
		return pr.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// AdminAccess reports whether anyone can log in to the admin pages.
func (h *HTTP) AdminAccess() bool { return len(h.AdminUsers) > 0 || h.AdminToken != "" }

func (c *Config) validateHTTP(ps *problems) {
	h := &c.HTTP
	if h.Listen != "" {
		host, p, err := net.SplitHostPort(h.Listen)
		n, perr := strconv.Atoi(p)
		switch {
		case err != nil || strings.ContainsAny(host, " /"):
			ps.add("http.listen", "%q is not an address to listen on: write it like \"127.0.0.1:8025\" or \":8025\"", h.Listen)
		case perr != nil || n < 0 || n > 65535:
			ps.add("http.listen", "%q: the port must be 0-65535", h.Listen)
		}
		if h.BaseURL == "" {
			ps.add("http.base_url", "required with http.listen: the address customers reach the server at, like \"https://help.example.com\"")
		}
	}
	for _, name := range slices.Sorted(maps.Keys(h.AdminUsers)) {
		if name == "" || name == "token" || strings.ContainsAny(name, "|\r\n") {
			ps.add("http.admin_users", "%q is not a name an admin can log in with", name)
		}
		if _, err := bcrypt.Cost([]byte(h.AdminUsers[name])); err != nil {
			ps.add("http.admin_users."+name, "not a bcrypt hash: make one with `helpdesk admin hash-password` and never write the password itself here")
		}
	}
	for i, p := range h.TrustedProxies {
		if _, ok := proxyPrefix(p); !ok {
			ps.add(fmt.Sprintf("http.trusted_proxies[%d]", i), "%q is neither an address (\"127.0.0.1\", \"::1\") nor a prefix (\"10.0.0.0/8\")", p)
		}
	}
	if countSet(h.AdminTokenEnv, h.AdminTokenFile) > 1 {
		ps.add("http.admin_token", "set only one of admin_token_env, admin_token_file")
	}
	if h.AdminToken != "" && len(h.AdminToken) < 16 {
		ps.add("http.admin_token", "must be at least 16 characters")
	}
	if h.BaseURL == "" {
		return
	}
	u, err := url.Parse(h.BaseURL)
	switch {
	case err != nil || !u.IsAbs() || u.Opaque != "":
		ps.add("http.base_url", "%q is not an absolute URL: write it like \"https://help.example.com\"", h.BaseURL)
	case u.Scheme != "http" && u.Scheme != "https":
		ps.add("http.base_url", "%q must start with https:// (or http://)", h.BaseURL)
	case u.Host == "" || u.Hostname() == "":
		ps.add("http.base_url", "%q has no host name", h.BaseURL)
	case u.User != nil:
		ps.add("http.base_url", "%q must not hold a user name or password", h.BaseURL)
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(h.BaseURL, "?#"):
		ps.add("http.base_url", "%q must not have a query or fragment", h.BaseURL)
	default:
		// Links are built as base_url + "/csat/...".
		h.BaseURL = strings.TrimRight(h.BaseURL, "/")
	}
}
