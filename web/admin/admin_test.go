package admin_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"helpdesk/config"
	"helpdesk/desk"
	"helpdesk/internal/localconfig"
	"helpdesk/tickets"
	"helpdesk/web/admin"
)

const (
	password = "correct horse battery staple"
	token    = "an-admin-token-for-scripts-0123456789"
)

// site is the admin pages of a desk holding three tickets, served over
// real HTTP on loopback.
type site struct {
	t    *testing.T
	desk *desk.Desk
	url  string
	now  time.Time
}

func newSite(t *testing.T) *site {
	t.Helper()
	cfg, err := config.Parse([]byte(localconfig.TOML(localconfig.Options{DSN: filepath.Join(t.TempDir(), "hd.db"), SMTPPort: 1})), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := desk.Open(context.Background(), cfg, desk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	for _, m := range []struct{ id, from, subject string }{
		{"a1@a.test", "Alice <alice@a.test>", "Printer on fire"},
		{"b1@b.test", "Bob <bob@b.test>", "Invoice <script>alert(1)</script>"},
		{"a2@a.test", "Alice <alice@a.test>", "VPN drops"},
	} {
		raw := "From: " + m.from + "\r\nTo: support@example.com\r\nSubject: " + m.subject + "\r\nMessage-ID: <" + m.id + ">\r\n\r\nHello\r\n"
		if _, err := d.Deliver(context.Background(), "support", []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Service.SetStatus(context.Background(), 1000, tickets.StatusResolved, "Replaced the fuser.", "admin"); err != nil {
		t.Fatal(err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	s := &site{t: t, desk: d, now: time.Now()}
	h, err := admin.New(admin.Options{Source: d.AdminSource(), Users: map[string]string{"alice": string(hash)}, Token: token,
		SessionKey: []byte("a session key of at least thirty-two bytes"), Title: "Example Support", Now: func() time.Time { return s.now }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// client is a browser-like client: it keeps cookies and does not follow
// redirects, so that each answer can be checked.
func (s *site) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (s *site) do(c *http.Client, method, path string, form url.Values, header map[string]string) (*http.Response, string) {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.url+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", s.url)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// login logs c in with the password and checks that it worked.
func (s *site) login(c *http.Client) {
	s.t.Helper()
	resp, body := s.do(c, "POST", "/login", url.Values{"user": {"alice"}, "password": {password}, "next": {"/tickets"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/tickets" {
		s.t.Fatalf("login: %d to %q, %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
}

func TestEveryPageRefusesAStranger(t *testing.T) {
	s := newSite(t)
	c := s.client()
	for _, path := range []string{"/", "/tickets", "/tickets/1000", "/quarantine", "/outbox", "/templates"} {
		resp, _ := s.do(c, "GET", path, nil, map[string]string{"Accept": "text/html"})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next="+url.QueryEscape(path) {
			t.Errorf("a browser at %s: %d to %q, want the login page", path, resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body := s.do(c, "GET", path, nil, nil)
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" || strings.Contains(body, "Printer") {
			t.Errorf("a script at %s: %d, want 401 with nothing of the desk", path, resp.StatusCode)
		}
		resp, _ = s.do(c, "GET", path, nil, map[string]string{"Authorization": "Bearer not-the-token"})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("a wrong token at %s: %d, want 401", path, resp.StatusCode)
		}
	}
	// A forged cookie, and a cookie of a real session altered.
	u, _ := url.Parse(s.url)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: "helpdesk_admin", Value: "YWxpY2V8OTk5OTk5OTk5OXxmb3JnZWQ"}})
	if resp, _ := s.do(c, "GET", "/", nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a forged session cookie: %d, want 401", resp.StatusCode)
	}
}

func TestTheTokenLetsAScriptIn(t *testing.T) {
	s := newSite(t)
	resp, body := s.do(s.client(), "GET", "/tickets", nil, map[string]string{"Authorization": "Bearer " + token})
	if resp.StatusCode != 200 || !strings.Contains(body, "VPN drops") {
		t.Fatalf("/tickets with the token: %d\n%s", resp.StatusCode, body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
}

func TestLoginShowsTheDeskAndLogoutEndsIt(t *testing.T) {
	s := newSite(t)
	c := s.client()
	resp, body := s.do(c, "POST", "/login", url.Values{"user": {"alice"}, "password": {"wrong"}}, nil)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "did not match") {
		t.Errorf("a wrong password: %d", resp.StatusCode)
	}
	resp, _ = s.do(c, "POST", "/login", url.Values{"user": {"mallory"}, "password": {password}}, nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an unknown name: %d", resp.StatusCode)
	}
	s.login(c)
	cookie := c.Jar.Cookies(mustURL(s.url))[0]
	resp, body = s.do(c, "GET", "/tickets", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `<a href="/tickets/1001">HD#1001</a>`) {
		t.Fatalf("/tickets after login: %d\n%s", resp.StatusCode, body)
	}
	// The customer's subject is text, never markup.
	if strings.Contains(body, "<script>alert(1)</script>") || !strings.Contains(body, "Invoice &lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("a subject with markup is not escaped in the list")
	}
	resp, body = s.do(c, "GET", "/tickets?status=resolved", nil, nil)
	if !strings.Contains(body, "HD#1000") || strings.Contains(body, "HD#1002") {
		t.Errorf("the status filter: %d\n%s", resp.StatusCode, body)
	}
	resp, body = s.do(c, "GET", "/tickets?q=vpn", nil, nil)
	if !strings.Contains(body, "HD#1002") || strings.Contains(body, "HD#1000<") {
		t.Errorf("the search: %d", resp.StatusCode)
	}
	resp, body = s.do(c, "GET", "/tickets/1000", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "Printer on fire") || !strings.Contains(body, "Replaced the fuser.") ||
		!strings.Contains(body, `<td id="status">resolved</td>`) {
		t.Errorf("/tickets/1000: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ = s.do(c, "GET", "/tickets/99999", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown ticket: %d, want 404", resp.StatusCode)
	}
	for _, path := range []string{"/quarantine", "/outbox", "/outbox?status=queued", "/templates", "/?since=7d&queue=general"} {
		if resp, body = s.do(c, "GET", path, nil, nil); resp.StatusCode != 200 {
			t.Errorf("%s: %d\n%s", path, resp.StatusCode, body)
		}
	}
	if resp, _ = s.do(c, "GET", "/?since=forever", nil, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a bad period: %d, want 400", resp.StatusCode)
	}

	// Logout needs the page's token: a form elsewhere cannot log anyone out.
	if resp, _ = s.do(c, "POST", "/logout", url.Values{"csrf": {"guess"}}, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("logout without the page's token: %d, want 403", resp.StatusCode)
	}
	_, page := s.do(c, "GET", "/", nil, nil)
	csrf := between(page, `name="csrf" value="`, `"`)
	if resp, _ = s.do(c, "POST", "/logout", url.Values{"csrf": {csrf}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if resp, _ = s.do(c, "GET", "/", nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after logout: %d, want 401", resp.StatusCode)
	}
	// The session's cookie, kept by someone, ends after twelve hours.
	c2 := s.client()
	c2.Jar.SetCookies(mustURL(s.url), []*http.Cookie{cookie})
	if resp, _ = s.do(c2, "GET", "/", nil, nil); resp.StatusCode != 200 {
		t.Errorf("the session cookie before it expires: %d", resp.StatusCode)
	}
	s.now = s.now.Add(12*time.Hour + time.Second)
	if resp, _ = s.do(c2, "GET", "/", nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the session cookie after twelve hours: %d, want 401", resp.StatusCode)
	}
}

func TestLoginRefusesOtherSitesAndForeignRedirects(t *testing.T) {
	s := newSite(t)
	c := s.client()
	form := url.Values{"token": {token}, "next": {"//evil.example/steal"}}
	resp, _ := s.do(c, "POST", "/login", form, map[string]string{"Origin": "https://evil.example"})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a login posted from another site: %d, want 403", resp.StatusCode)
	}
	resp, _ = s.do(c, "POST", "/login", form, map[string]string{"Sec-Fetch-Site": "cross-site"})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site login: %d, want 403", resp.StatusCode)
	}
	resp, _ = s.do(c, "POST", "/login", form, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Errorf("login with the token and a foreign next: %d to %q, want / on this site", resp.StatusCode, resp.Header.Get("Location"))
	}
	ck := c.Jar.Cookies(mustURL(s.url))
	if len(ck) != 1 {
		t.Fatalf("cookies after login: %v", ck)
	}
	// Guessing: ten failures from one client, then a pause.
	for range 10 {
		s.do(s.client(), "POST", "/login", url.Values{"token": {"guess"}}, nil)
	}
	if resp, _ = s.do(s.client(), "POST", "/login", url.Values{"token": {token}}, nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the 11th login within a minute after ten failures: %d, want 429", resp.StatusCode)
	}
}

func TestTheDashboardShowsTheReportsFigures(t *testing.T) {
	s := newSite(t)
	resp, body := s.do(s.client(), "GET", "/", nil, map[string]string{"Authorization": "Bearer " + token})
	if resp.StatusCode != 200 {
		t.Fatalf("/: %d", resp.StatusCode)
	}
	for _, want := range []string{
		// Two tickets new, one resolved.
		`<div class="muted">Backlog now</div><div class="figure">2</div><div class="muted">1 resolved, awaiting confirmation</div>`,
		`aria-label="Backlog by status. new: 2, open: 0, pending: 0, pending_vendor: 0"`,
		`aria-label="Backlog by priority. P1: 0, P2: 0, P3: 2, P4: 0"`,
		`<td>alice@a.test</td><td>2</td>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if strings.Contains(body, "<script") || strings.Contains(body, "<link") {
		t.Error("the dashboard loads a script or an outside asset")
	}
}

func TestReportAsOneSelfContainedFile(t *testing.T) {
	s := newSite(t)
	rep, err := s.desk.Report(context.Background(), tickets.ReportOptions{Since: s.now.Add(-30 * 24 * time.Hour), Until: s.now.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.html")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.WriteReport(f, rep, "Example Support"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b, _ := os.ReadFile(path)
	page := string(b)
	if !strings.Contains(page, `aria-label="Backlog by status. new: 2, open: 0, pending: 0, pending_vendor: 0"`) {
		t.Errorf("the saved report lacks the backlog chart")
	}
	for _, outside := range []string{"<script", "<link", "src=", `href="http`, "<form", "Log out"} {
		if strings.Contains(page, outside) {
			t.Errorf("the saved report holds %q: it must stand alone", outside)
		}
	}
}

func TestNewRefusesAConfigThatLetsNobodyIn(t *testing.T) {
	s := newSite(t)
	key := []byte("a session key of at least thirty-two bytes")
	for _, o := range []admin.Options{
		{Source: s.desk.AdminSource(), SessionKey: key},
		{Source: s.desk.AdminSource(), Users: map[string]string{"bob": "plaintext"}, SessionKey: key},
		{Source: s.desk.AdminSource(), Token: token, SessionKey: []byte("short")},
	} {
		if _, err := admin.New(o); err == nil {
			t.Errorf("admin.New(%+v) accepted", o)
		}
	}
}

func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, end)
	return v
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
