package config

import (
	"net"
	"net/url"
	"strconv"
	"strings"
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
}

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
