package desk_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"helpdesk/desk"
)

// getPage is get without the headers.
func getPage(t *testing.T, url string) (int, string) {
	t.Helper()
	code, _, body := get(t, url)
	return code, body
}

// serve serves the daemon's metrics and health handlers on loopback.
func serve(t *testing.T, d *desk.Desk) string {
	mux := http.NewServeMux()
	mux.Handle("/metrics", d.MetricsHandler())
	mux.Handle("/healthz", d.HealthHandler())
	mux.Handle("/readyz", d.ReadyHandler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// waitFor polls check until it returns "" or 30 s pass, and fails with
// check's last word.
func waitFor(t *testing.T, what string, check func() string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		why := check()
		if why == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %s after 30s", what, why)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestMetricsCountWhatTheDaemonFetchedStoredQuarantinedAndSent(t *testing.T) {
	onEachDatabase(t, testMetricsCountWhatTheDaemonFetchedStoredQuarantinedAndSent)
}

func testMetricsCountWhatTheDaemonFetchedStoredQuarantinedAndSent(t *testing.T) {
	dm := newDaemon(t, "")
	dm.cfg.Tickets.MaxMessageSize = 4 << 10
	dm.appendMail("support", customer("m1@a.test", "alice@a.test", "Printer", "hello"))
	dm.appendMail("support", customer("m2@b.test", "bob@b.test", "Scanner", "hello"))
	dm.appendMail("support", customer("big@c.test", "carol@c.test", "Big", strings.Repeat("0123456789abcdef", 1024)))
	dm.start()
	dm.waitAcks(2)
	dm.expectIdle(tally{tickets: 2, inbound: 2, sent: 2})
	url := serve(t, dm.desk)

	var body string
	waitFor(t, "the metrics", func() string {
		var code int
		if code, body = getPage(t, url+"/metrics"); code != 200 {
			return "status " + http.StatusText(code)
		}
		// The sender counts its mails once the pass that sent them ends.
		if !strings.Contains(body, "\nhelpdesk_mails_sent_total 2\n") {
			return "not counting 2 sent"
		}
		return ""
	})
	for _, want := range []string{
		`helpdesk_mails_fetched_total{mailbox="support"} 3`,
		`helpdesk_mails_stored_total{mailbox="support"} 2`,
		`helpdesk_mails_quarantined_total{mailbox="support"} 1`,
		`helpdesk_tickets_created_total{mailbox="support"} 2`,
		`helpdesk_mail_send_failures_total{class="permanent"} 0`,
		`helpdesk_mail_send_failures_total{class="temporary"} 0`,
		`helpdesk_mailbox_connected{mailbox="support"} 1`,
		"helpdesk_outbox_queued 0",
		"helpdesk_outbox_oldest_seconds 0",
		"helpdesk_scheduler_lag_seconds 0",
		"helpdesk_database_up 1",
		"go_goroutines ",
		`helpdesk_intake_step_seconds_count{mailbox="support",step="fetch"} `,
		`helpdesk_intake_step_seconds_count{mailbox="support",step="store"} `,
		`helpdesk_intake_step_seconds_count{mailbox="support",step="mark"} `,
	} {
		if !strings.Contains(body, "\n"+want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	last := regexp.MustCompile(`\nhelpdesk_mailbox_last_poll_timestamp_seconds\{mailbox="support"\} ([0-9.e+]+)`).FindStringSubmatch(body)
	if last == nil {
		t.Errorf("metrics lack the mailbox's last poll:\n%s", body)
	}

	if code, body := getPage(t, url+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body := getPage(t, url+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz: %d %q", code, body)
	}

	// The IMAP server goes away: within three poll intervals (1s each)
	// the daemon is not ready, and says which mailbox; back, it is ready.
	dm.imap.Stop()
	waitFor(t, "/readyz with the IMAP server down", func() string {
		code, body := getPage(t, url+"/readyz")
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "mailbox support: not polled for") {
			return "answering " + http.StatusText(code) + ": " + body
		}
		return ""
	})
	if code, body := getPage(t, url+"/metrics"); code != 200 || !strings.Contains(body, `helpdesk_mailbox_connected{mailbox="support"} 0`) {
		t.Errorf("metrics with the IMAP server down: %d, connected not 0", code)
	}
	if err := dm.imap.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "/readyz with the IMAP server back", func() string {
		if code, body := getPage(t, url+"/readyz"); code != 200 {
			return "answering " + http.StatusText(code) + ": " + body
		}
		return ""
	})
}

// An outgoing mail due for more than ten minutes and not sent makes the
// daemon not ready, and shows on the outbox's gauges.
func TestReadyzNamesAStuckOutbox(t *testing.T) {
	dm := newDaemon(t, "")
	later := time.Now().Add(11 * time.Minute)
	d, err := desk.Open(context.Background(), dm.cfg, desk.Options{Now: func() time.Time { return later }})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	url := serve(t, d)
	if code, body := getPage(t, url+"/readyz"); code != 200 {
		t.Fatalf("/readyz of an empty desk: %d %s", code, body)
	}
	// Stored eleven minutes before the desk's clock, and never sent: no
	// daemon runs the sender here.
	d2, err := desk.Open(context.Background(), dm.cfg, desk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if _, err := d2.Deliver(context.Background(), "support", []byte(customer("s1@a.test", "alice@a.test", "Help", "hello"))); err != nil {
		t.Fatal(err)
	}
	code, body := getPage(t, url+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "outbox: a mail has been due since") {
		t.Errorf("/readyz with a stuck outbox: %d %q", code, body)
	}
	_, metrics := getPage(t, url+"/metrics")
	if !strings.Contains(metrics, "\nhelpdesk_outbox_queued 1\n") || !strings.Contains(metrics, "\nhelpdesk_outbox_due 1\n") ||
		!regexp.MustCompile(`\nhelpdesk_outbox_oldest_seconds 6[0-9]{2}(\.[0-9]+)?\n`).MatchString(metrics) {
		t.Errorf("outbox gauges: want 1 queued, 1 due, about 660s old, in:\n%s", grepLines(metrics, "helpdesk_outbox"))
	}
}

func grepLines(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
