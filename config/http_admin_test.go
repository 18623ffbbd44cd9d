package config

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestAdminAccessKeys(t *testing.T) {
	h, err := bcrypt.GenerateFromPassword([]byte("correct horse battery staple"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	hash := string(h)
	base := strings.Replace(minimum, "[smtp]", "[http]\nbase_url = \"https://help.example.com\"\nadmin_token_env = \"HELPDESK_TEST_ADMIN\"\n[http.admin_users]\nalice = \""+hash+"\"\nbob = \"hunter2\"\n\n[smtp]", 1)
	t.Setenv("HELPDESK_TEST_ADMIN", "short")
	_, err = Parse([]byte(base), "hd.toml")
	if err == nil {
		t.Fatal("a plain password and a short token were accepted")
	}
	for _, want := range []string{"hd.toml:9: http.admin_users.bob: not a bcrypt hash", "http.admin_token: must be at least 16 characters"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "short") {
		t.Errorf("the error shows a secret: %v", err)
	}
	t.Setenv("HELPDESK_TEST_ADMIN", "a token of sixteen or more")
	c, err := Parse([]byte(strings.Replace(base, "bob = \"hunter2\"\n", "", 1)), "hd.toml")
	if err != nil {
		t.Fatal(err)
	}
	if !c.HTTP.AdminAccess() || c.HTTP.AdminToken != "a token of sixteen or more" || c.HTTP.AdminUsers["alice"] != hash {
		t.Errorf("HTTP = %+v", c.HTTP)
	}
	if shown := c.String(); strings.Contains(shown, hash) || strings.Contains(shown, "sixteen") {
		t.Errorf("config show prints a hash or the token:\n%s", shown)
	}
}

func TestTrustedProxiesAreAddressesOrPrefixes(t *testing.T) {
	base := strings.Replace(minimum, "[smtp]", "[http]\nbase_url = \"https://help.example.com\"\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0/8\", \"::1\", \"fd00::/8\"]\n\n[smtp]", 1)
	_, err := Parse([]byte(base), "hd.toml")
	if err == nil || !strings.HasPrefix(err.Error(), "hd.toml:") ||
		!strings.Contains(err.Error(), `http.trusted_proxies[1]: "10.0.0/8" is neither an address`) || strings.Contains(err.Error(), "[0]") {
		t.Fatalf("error %v, want one naming the second entry", err)
	}
	c, err := Parse([]byte(strings.Replace(base, `"10.0.0/8"`, `"10.1.2.3/8"`, 1)), "hd.toml")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c.HTTP.ProxyPrefixes() {
		got = append(got, p.String())
	}
	if want := "127.0.0.1/32 10.0.0.0/8 ::1/128 fd00::/8"; strings.Join(got, " ") != want {
		t.Errorf("prefixes %v, want %s", got, want)
	}
}
