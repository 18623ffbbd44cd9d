package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestHTTPServerIsOffUntilListenIsSet(t *testing.T) {
	c := mustParse(t, minimum)
	if c.HTTP.Listen != "" || c.HTTP.BaseURL != "" {
		t.Errorf("http = %+v, want no server by default", c.HTTP)
	}
	if c.CSAT.LinkValidFor.Duration != 30*24*time.Hour {
		t.Errorf("csat.link_valid_for = %v, want 30 days", c.CSAT.LinkValidFor)
	}
	c = mustParse(t, minimum+"\n[http]\nlisten = \"127.0.0.1:8025\"\nbase_url = \"https://help.example.com/\"\n[csat]\nlink_valid_for = \"7d\"\n")
	if c.HTTP.Listen != "127.0.0.1:8025" || c.HTTP.BaseURL != "https://help.example.com" {
		t.Errorf("http = %+v, want the listen address and the base URL without its trailing slash", c.HTTP)
	}
	if c.CSAT.LinkValidFor.Duration != 7*24*time.Hour {
		t.Errorf("csat.link_valid_for = %v, want 7 days", c.CSAT.LinkValidFor)
	}
	// A base URL without a server of this daemon's: another daemon serves the pages.
	if c := mustParse(t, minimum+"\n[http]\nbase_url = \"http://desk.example.com/help\"\n"); c.HTTP.BaseURL != "http://desk.example.com/help" {
		t.Errorf("base_url = %q", c.HTTP.BaseURL)
	}
}

func TestBadHTTPKeysAreNamedWithTheirLine(t *testing.T) {
	for _, tc := range []struct{ name, table, want string }{
		{"relative base url", "listen = \"127.0.0.1:8025\"\nbase_url = \"help.example.com\"", "helpdesk.toml:%d: http.base_url: \"help.example.com\" is not an absolute URL"},
		{"ftp base url", "base_url = \"ftp://help.example.com\"", "helpdesk.toml:%d: http.base_url: \"ftp://help.example.com\" must start with https://"},
		{"base url with a query", "base_url = \"https://help.example.com/?a=1\"", "helpdesk.toml:%d: http.base_url: \"https://help.example.com/?a=1\" must not have a query"},
		{"base url with a password", "base_url = \"https://u:pw@help.example.com\"", "http.base_url: \"https://u:pw@help.example.com\" must not hold a user name"},
		{"listen without a port", "listen = \"127.0.0.1\"\nbase_url = \"https://help.example.com\"", "helpdesk.toml:%d: http.listen: \"127.0.0.1\" is not an address to listen on"},
		{"listen with a bad port", "listen = \"127.0.0.1:99999\"\nbase_url = \"https://help.example.com\"", "helpdesk.toml:%d: http.listen: \"127.0.0.1:99999\": the port must be 0-65535"},
		{"listen without base url", "listen = \"127.0.0.1:8025\"", "http.base_url: required with http.listen"},
		{"misspelt key", "base_ulr = \"https://help.example.com\"", "helpdesk.toml:%d: http.base_ulr: unknown key (did you mean base_url?)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := minimum + "\n[http]\n" + tc.table + "\n"
			line := strings.Count(minimum, "\n") + 3 // the table's first key
			if strings.HasPrefix(tc.table, "listen") && strings.Contains(tc.want, "base_url") {
				line++ // base_url is on the table's second line
			}
			want := tc.want
			if strings.Contains(want, "%d") {
				want = fmt.Sprintf(want, line)
			}
			if got := parseErr(t, cfg); !strings.Contains(got, want) {
				t.Errorf("error:\n%s\nwant it to contain:\n%s", got, want)
			}
		})
	}
}
