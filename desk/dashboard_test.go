package desk_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"helpdesk/desk"
	"helpdesk/internal/chromium"
)

const (
	adminPassword = "correct horse battery staple"
	adminToken    = "an-admin-token-for-scripts-0123456789"
)

// dashboardDaemon is a daemon with its web server on a free port of the
// loopback, an admin "alice" and the admin token, holding two tickets.
func dashboardDaemon(t *testing.T) (dm *daemon, base string) {
	t.Helper()
	return dashboardDaemonWith(t, "")
}

// dashboardDaemonWith is dashboardDaemon with more keys of [http].
func dashboardDaemonWith(t *testing.T, moreHTTP string) (dm *daemon, base string) {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(adminPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base = "http://" + ln.Addr().String()
	t.Setenv("HELPDESK_TEST_ADMIN_TOKEN", adminToken)
	dm = newDaemon(t, "\n[http]\nbase_url = \""+base+"\"\nadmin_token_env = \"HELPDESK_TEST_ADMIN_TOKEN\"\n"+moreHTTP+
		"[http.admin_users]\nalice = \""+string(hash)+"\"\n")
	dm.appendMail("support", customer("p1@a.test", "Alice <alice@a.test>", "Printer on fire", "It burns."))
	dm.appendMail("support", customer("v1@b.test", "Bob <bob@b.test>", "VPN drops", "Every hour."))

	d, err := desk.Open(context.Background(), dm.cfg, desk.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	dm.desk = d
	ctx, cancel := context.WithCancel(context.Background())
	dm.cancel, dm.done = cancel, make(chan struct{})
	go func() {
		defer close(dm.done)
		if err := d.Run(ctx, desk.RunOptions{Grace: 5 * time.Second, HTTPListener: ln}); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(dm.stop)
	dm.waitAcks(2)
	return dm, base
}

func TestFailedLoginsBehindATrustedProxyPauseOnlyTheirClient(t *testing.T) {
	// The test's requests come from 127.0.0.1: they stand for the proxy.
	_, base := dashboardDaemonWith(t, "trusted_proxies = [\"127.0.0.1\"]\n")
	login := func(token, client string) int {
		code, _, _ := do(t, http.MethodPost, base+"/login", strings.NewReader(url.Values{"token": {token}}.Encode()),
			map[string]string{"Origin": base, "X-Forwarded-For": client})
		return code
	}
	for range 10 {
		if code := login("a guess", "203.0.113.66"); code == http.StatusSeeOther {
			t.Fatal("a guess logged in")
		}
	}
	if code := login(adminToken, "203.0.113.66"); code != http.StatusTooManyRequests {
		t.Errorf("the guessing client's next login: %d, want 429", code)
	}
	if code := login(adminToken, "198.51.100.7"); code != http.StatusSeeOther {
		t.Errorf("an admin at another address behind the proxy: %d, want 303 (logged in)", code)
	}
}

func TestTheDaemonServesHealthMetricsAndAdminPagesToAdminsOnly(t *testing.T) {
	_, base := dashboardDaemon(t)
	if code, body := getPage(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	waitFor(t, "/readyz", func() string {
		if code, body := getPage(t, base+"/readyz"); code != 200 {
			return "answering " + body
		}
		return ""
	})
	for _, path := range []string{"/", "/tickets", "/tickets/1000", "/metrics"} {
		if code, body := getPage(t, base+path); code != http.StatusUnauthorized || strings.Contains(body, "Printer") {
			t.Errorf("%s without credentials: %d, want 401", path, code)
		}
	}
	code, _, b := do(t, http.MethodGet, base+"/metrics", nil, map[string]string{"Authorization": "Bearer " + adminToken})
	if code != 200 || !strings.Contains(b, `helpdesk_tickets_created_total{mailbox="support"} 2`) {
		t.Errorf("/metrics with the token: %d\n%.500s", code, b)
	}
	// The survey's pages stay open to customers, and an unknown address
	// gets the server's 404.
	if code, _ := getPage(t, base+"/nothing-here"); code != http.StatusNotFound {
		t.Errorf("/nothing-here: %d, want 404", code)
	}
}

// An admin logs in in a real browser, sees the figures on the dashboard,
// and opens a ticket from the list.
func TestAnAdminUsesTheDashboardInChromium(t *testing.T) {
	chromium.Require(t)
	dm, base := dashboardDaemon(t)
	dm.expectIdle(tally{tickets: 2, inbound: 2, sent: 2})
	ctx, cancel := context.WithTimeout(chromium.New(t), 90*time.Second)
	defer cancel()

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1100, 900), chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("input[name=password]"))); err != nil {
		t.Fatalf("opening the dashboard: %v", err)
	}
	location, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || location != base+"/login?next=%2F" {
		t.Errorf("a stranger at / is at %q, want the login page", location)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("input[name=user]"), "alice"),
		chromedp.SendKeys(chromedp.CSS("input[name=password]"), adminPassword),
		chromedp.Click(chromedp.CSS("form:has(input[name=password]) button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#backlog")),
	); err != nil {
		t.Fatalf("logging in: %v", err)
	}
	text := func(sel string) string { t.Helper(); return chromium.Text(t, ctx, sel) }
	eval := func(js string) string { t.Helper(); return chromium.Eval(t, ctx, js) }
	if got := text("#backlog .figure"); got != "2" {
		t.Errorf("the backlog tile says %q, want 2", got)
	}
	if got := eval(`document.querySelector("svg[aria-label^='Backlog by status']").getAttribute("aria-label")`); got != "Backlog by status. new: 2, open: 0, pending: 0, pending_vendor: 0" {
		t.Errorf("the backlog chart: %q", got)
	}
	// The chart is drawn: the bar of "new" is as high as the plot.
	if h := eval(`String(document.querySelector("svg[aria-label^='Backlog by status'] rect").getBBox().height)`); h != "140" {
		t.Errorf("the bar of new is %s high, want 140", h)
	}
	if got := text("#first-response .figure"); got != "-" {
		t.Errorf("first response median %q with no answer yet, want -", got)
	}
	if shot := os.Getenv("HELPDESK_DASHBOARD_SCREENSHOT"); shot != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(shot, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`nav a[href="/tickets"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/tickets/1000"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/tickets/1000"]`)),
		chromedp.WaitVisible(chromedp.CSS("#status")),
	); err != nil {
		t.Fatalf("opening a ticket: %v", err)
	}
	if got, status := text("h1"), text("#status"); got != "HD#1000: Printer on fire" || status != "new" {
		t.Errorf("the ticket page: %q, status %q", got, status)
	}
	if body := text("main"); !strings.Contains(body, "It burns.") || !strings.Contains(body, "acknowledgement") {
		t.Errorf("the ticket page lacks its messages:\n%s", body)
	}
}
