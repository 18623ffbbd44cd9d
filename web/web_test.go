package web_test

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"helpdesk/web"
)

func TestEveryPageGetsTheSecurityHeadersAndItsStyleIsAllowedByHash(t *testing.T) {
	srv, err := web.New(web.Options{BaseURL: "https://help.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	var read int
	srv.Handle("POST /echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		read = len(b)
		if err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		}
	}))
	ts := httptest.NewServer(srv)
	defer ts.Close()

	resp, err := http.Get(ts.URL + "/no/such/page")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `<html lang="en">`) {
		t.Errorf("unknown page: %d\n%s", resp.StatusCode, body)
	}
	h := resp.Header
	for k, want := range map[string]string{
		"X-Frame-Options":        "DENY",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
		"Cache-Control":          "no-store",
		"Content-Type":           "text/html; charset=utf-8",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") || strings.Contains(csp, "script-src") {
		t.Errorf("Content-Security-Policy %q allows too much", csp)
	}
	style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(string(body))
	if style == nil {
		t.Fatalf("no style sheet:\n%s", body)
	}
	sum := sha256.Sum256([]byte(style[1]))
	if hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, "style-src "+hash) {
		t.Errorf("Content-Security-Policy %q does not allow the page's style sheet, %s", csp, hash)
	}

	// An added page gets the same headers, and the body limit.
	resp, err = http.Post(ts.URL+"/echo", "text/plain", strings.NewReader(strings.Repeat("x", web.DefaultMaxBodyBytes+1)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || read != web.DefaultMaxBodyBytes || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("a body over the limit: %d, read %d bytes, headers %v", resp.StatusCode, read, resp.Header)
	}
}

func TestANewServerNeedsAnAbsoluteBaseURL(t *testing.T) {
	for _, base := range []string{"", "help.example.com", "ftp://help.example.com"} {
		if _, err := web.New(web.Options{BaseURL: base}); err == nil {
			t.Errorf("New with base URL %q: no error", base)
		}
	}
}
