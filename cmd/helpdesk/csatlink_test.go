package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// freeAddr is a loopback address with a port nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// withHTTP adds an [http] table to the CLI's config: the daemon serves on
// a free loopback port, and links in mails point there.
func (c *cli) withHTTP() (base string) {
	c.t.Helper()
	addr := freeAddr(c.t)
	base = "http://" + addr
	f, err := os.OpenFile(c.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		c.t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "\n[http]\nlisten = %q\nbase_url = %q\n", addr, base)
	return base
}

type csatJSON struct {
	Status string
	CSAT   *struct {
		Rating  int
		Comment string
		At      time.Time
	}
}

func (c *cli) csatOf(id string) csatJSON {
	c.t.Helper()
	code, out, errs := c.run("", "tickets", "show", id, "--json")
	var show csatJSON
	if err := json.Unmarshal([]byte(out), &show); code != 0 || err != nil {
		c.t.Fatalf("tickets show: exit %d, %v: %s %s", code, err, out, errs)
	}
	return show
}

// The survey's links, against the real daemon's web server: opening one
// records nothing, the form's POST does, a second replaces the first, a
// forged link is refused, and tickets show --json has the rating.
func TestTheDaemonServesTheSurveyLinks(t *testing.T) {
	c := newCLI(t)
	base := c.withHTTP()
	c.run(mailFrom("Alice <alice@a.test>", "m1@a.test", "Cannot log in"), "ingest", "--mailbox", "support")
	if code, _, errs := c.run("", "tickets", "resolve", "HD#1000"); code != 0 {
		t.Fatalf("resolve: %s", errs)
	}
	if code, _, errs := c.run("", "tickets", "close", "HD#1000"); code != 0 {
		t.Fatalf("close: %s", errs)
	}
	c.run("", "outbox", "flush")
	text := c.bodyTo("alice@a.test", "How did we do?")
	links := regexp.MustCompile(regexp.QuoteMeta(base)+`/csat/\S+`).FindAllString(text, -1)
	if len(links) != 5 {
		t.Fatalf("the survey has %d links to %s, want 5:\n%s", len(links), base, text)
	}
	rate4 := links[1] // 5 first

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errs syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"run", "--config", c.config, "--grace", "5s"}, nil, &out, &errs)
	}()
	var page string
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(rate4)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d\n%s", base+"/csat/…", resp.StatusCode, b)
			}
			page = string(b)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the daemon's web server did not answer in 20s: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(page, `value="4" checked`) {
		t.Errorf("the page of the link for 4:\n%s", page)
	}
	if log := out.String() + errs.String(); !strings.Contains(log, "web server listening") || !strings.Contains(log, strings.TrimPrefix(base, "http://")) {
		t.Errorf("the daemon's log does not say where it listens:\n%s", log)
	}
	if got := c.csatOf("1000"); got.CSAT != nil {
		t.Fatalf("opening the link rated the ticket: %+v", got.CSAT)
	}

	token := rate4[strings.LastIndex(rate4, "/")+1:]
	post := func(link string, form url.Values) (int, string) {
		t.Helper()
		resp, err := http.PostForm(link, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// The client follows the redirect to the thanks page.
	if code, body := post(rate4, url.Values{"token": {token}, "rating": {"4"}, "comment": {"Quick, thank you."}}); code != http.StatusOK || !strings.Contains(body, "4 of 5, good") {
		t.Fatalf("POST: %d\n%s", code, body)
	}
	if got := c.csatOf("1000"); got.Status != "closed" || got.CSAT == nil || got.CSAT.Rating != 4 || got.CSAT.Comment != "Quick, thank you." || got.CSAT.At.IsZero() {
		t.Fatalf("after the POST: %+v %+v", got, got.CSAT)
	}
	if code, body := post(rate4, url.Values{"token": {token}, "rating": {"2"}}); code != http.StatusOK || !strings.Contains(body, "2 of 5, poor") {
		t.Fatalf("second POST: %d\n%s", code, body)
	}
	forged := strings.Replace(rate4, "/1000-4-", "/1000-5-", 1)
	if code, body := post(forged, url.Values{"token": {forged[strings.LastIndex(forged, "/")+1:]}, "rating": {"5"}}); code != http.StatusForbidden || !strings.Contains(body, "This link is not valid") {
		t.Errorf("forged POST: %d\n%s", code, body)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("the daemon exited %d: %s", code, errs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the daemon did not stop within 15s")
	}
	if _, err := http.Get(rate4); err == nil {
		t.Errorf("the web server still answers after the daemon stopped")
	}
	got := c.csatOf("1000")
	if got.CSAT == nil || got.CSAT.Rating != 2 || got.CSAT.Comment != "" {
		t.Errorf("tickets show after the second rating: %+v", got.CSAT)
	}
	_, show, _ := c.run("", "tickets", "show", "1000")
	if !strings.Contains(show, "rated 2 of 5") {
		t.Errorf("tickets show:\n%s", show)
	}
}
