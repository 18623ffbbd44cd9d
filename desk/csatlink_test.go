package desk_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"helpdesk/desk"
	"helpdesk/tickets"
	"helpdesk/web"
)

// surveyHarness is a desk whose survey carries links to a web server
// over the desk's own store, and a ticket of Alice's closed with the
// survey sent. It returns the five links, by rating (links[5] rates 5).
func surveyHarness(t *testing.T) (*harness, *httptest.Server, surveyed) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	h := agentHarness(t, "\n[http]\nbase_url = \""+base+"\"\n")
	srv, err := web.New(web.Options{BaseURL: base, Surveys: h.desk.Service})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)

	out, notice, _ := assigned(h)
	answer(h, notice, "#status resolved\n\nHi Alice, the fire is out.")
	h.flush()
	mark := h.mark()
	h.now = h.now.Add(72 * time.Hour)
	h.runDue()
	h.flush()
	var survey *delivered
	for _, m := range h.mailTo("alice@a.test", mark) {
		if strings.Contains(m.subject, "How did we do?") {
			survey = &m
		}
	}
	if survey == nil {
		t.Fatalf("no survey to Alice; events %+v", h.events(out.TicketID))
	}
	return h, ts, surveyed{id: out.TicketID, links: surveyLinks(t, base, survey.text)}
}

type surveyed struct {
	id    int64
	links [6]string // by rating; [0] unused
}

// surveyLinks finds the five rating links of a survey's text, in its
// order: 5 (excellent) first.
func surveyLinks(t *testing.T, base, text string) [6]string {
	t.Helper()
	found := regexp.MustCompile(regexp.QuoteMeta(base)+`/csat/\S+`).FindAllString(text, -1)
	if len(found) != 5 {
		t.Fatalf("the survey has %d links to %s, want 5:\n%s", len(found), base, text)
	}
	var links [6]string
	for i, l := range found {
		links[5-i] = l
	}
	return links
}

// get fetches u without following redirects.
func get(t *testing.T, u string) (int, http.Header, string) {
	t.Helper()
	return do(t, http.MethodGet, u, nil, nil)
}

// postForm sends form to u as a browser on a page of origin would.
func postForm(t *testing.T, u string, form url.Values, header map[string]string) (int, http.Header, string) {
	t.Helper()
	return do(t, http.MethodPost, u, strings.NewReader(form.Encode()), header)
}

func do(t *testing.T, method, u string, body io.Reader, header map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// tokenOf is the token of a survey link.
func tokenOf(link string) string { return link[strings.LastIndex(link, "/")+1:] }

func rateForm(link string, rating, comment string) url.Values {
	return url.Values{"token": {tokenOf(link)}, "rating": {rating}, "comment": {comment}}
}

func TestASurveyLinkShowsTheRatingAndOnlyAPostRecordsIt(t *testing.T) {
	onEachDatabase(t, testASurveyLinkShowsTheRatingAndOnlyAPostRecordsIt)
}

func testASurveyLinkShowsTheRatingAndOnlyAPostRecordsIt(t *testing.T) {
	h, _, sv := surveyHarness(t)
	// A mail scanner opens every link: nothing is recorded.
	for r := 1; r <= 5; r++ {
		code, hdr, body := get(t, sv.links[r])
		if code != http.StatusOK || !strings.Contains(body, `value="`+string(rune('0'+r))+`" checked`) {
			t.Fatalf("GET of the link for %d: %d\n%s", r, code, body)
		}
		if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") ||
			hdr.Get("X-Frame-Options") != "DENY" || hdr.Get("Referrer-Policy") != "no-referrer" || hdr.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("headers %v", hdr)
		}
	}
	if tk := h.ticket(sv.id); tk.CSAT.Rating != 0 || hasEventLike(h.events(sv.id), tickets.EventCSAT, "") {
		t.Fatalf("opening the links rated the ticket: %+v", tk.CSAT)
	}

	// The form's button: recorded, and the browser sent to the thanks page.
	code, hdr, body := postForm(t, sv.links[4], rateForm(sv.links[4], "4", "Quick and friendly.\r\nThanks!"), nil)
	if code != http.StatusSeeOther || hdr.Get("Location") != sv.links[4]+"/thanks" {
		t.Fatalf("POST: %d %v\n%s", code, hdr, body)
	}
	tk := h.ticket(sv.id)
	if tk.CSAT.Rating != 4 || tk.CSAT.Comment != "Quick and friendly.\nThanks!" || !tk.CSAT.At.Equal(h.now) || tk.Status != tickets.StatusClosed {
		t.Fatalf("after the POST: status %s, csat %+v", tk.Status, tk.CSAT)
	}
	if !hasEventLike(h.events(sv.id), tickets.EventCSAT, "rated 4 of 5 by link") {
		t.Errorf("events %+v", h.events(sv.id))
	}
	code, _, body = get(t, sv.links[4]+"/thanks")
	if code != http.StatusOK || !strings.Contains(body, "4 of 5, good") || !strings.Contains(body, "Quick and friendly.\nThanks!") {
		t.Errorf("thanks page: %d\n%s", code, body)
	}

	// A second rating, through another of the links, replaces the first.
	h.now = h.now.Add(time.Hour)
	if code, _, body := postForm(t, sv.links[5], rateForm(sv.links[5], "2", ""), map[string]string{"Origin": strings.TrimSuffix(sv.links[5], "/csat/"+tokenOf(sv.links[5])), "Sec-Fetch-Site": "same-origin"}); code != http.StatusSeeOther {
		t.Fatalf("second POST: %d\n%s", code, body)
	}
	if tk := h.ticket(sv.id); tk.CSAT.Rating != 2 || tk.CSAT.Comment != "" || !hasEventLike(h.events(sv.id), tickets.EventCSAT, "rated 2 of 5 by link (replaces 4)") {
		t.Errorf("after the second POST: %+v; events %+v", tk.CSAT, h.events(sv.id))
	}
	// The page now says what was given.
	if _, _, body := get(t, sv.links[3]); !strings.Contains(body, "You rated this ticket 2 of 5") || !strings.Contains(body, `value="3" checked`) {
		t.Errorf("the form after a rating:\n%s", body)
	}
}

func TestBadSurveyLinksAndFormsAreRefusedAndRecordNothing(t *testing.T) {
	onEachDatabase(t, testBadSurveyLinksAndFormsAreRefusedAndRecordNothing)
}

func testBadSurveyLinksAndFormsAreRefusedAndRecordNothing(t *testing.T) {
	h, ts, sv := surveyHarness(t)
	link := sv.links[5]
	token := tokenOf(link)
	base := ts.URL + "/csat/"
	signer := tickets.NewSigner([]byte("test secret, long enough to sign tokens"))
	other := tickets.NewSigner([]byte("another desk's secret, long enough"))
	parts := strings.Split(token, "-")
	flip := func(s string) string {
		c := byte('a')
		if s[len(s)-1] == 'a' {
			c = 'b'
		}
		return s[:len(s)-1] + string(c)
	}
	for _, tc := range []struct {
		name, token string
		status      int
		says        string
	}{
		{"a changed signature", strings.Join(append(parts[:3:3], flip(parts[3])), "-"), 403, "This link is not valid"},
		{"another rating", strings.Join([]string{parts[0], "1", parts[2], parts[3]}, "-"), 403, "This link is not valid"},
		{"another ticket", strings.Join([]string{"1", parts[1], parts[2], parts[3]}, "-"), 403, "This link is not valid"},
		{"a later expiry", strings.Join([]string{parts[0], parts[1], parts[2] + "0", parts[3]}, "-"), 403, "This link is not valid"},
		{"cut short", token[:len(token)-3], 403, "This link is not valid"},
		{"the customer's reply token", signer.Token(sv.id), 403, "This link is not valid"},
		{"an agent's token", signer.AgentToken(sv.id, "ann@example.com"), 403, "This link is not valid"},
		{"signed by another desk", other.CSATToken(sv.id, 5, h.now.Add(time.Hour)), 403, "This link is not valid"},
		{"expired", signer.CSATToken(sv.id, 5, h.now.Add(-time.Second)), 410, "This link has expired"},
		{"a ticket that does not exist", signer.CSATToken(sv.id+1, 5, h.now.Add(time.Hour)), 404, "No such ticket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, _, body := get(t, base+tc.token); code != tc.status || !strings.Contains(body, tc.says) || !strings.Contains(body, "Nothing was recorded") {
				t.Errorf("GET: %d, want %d %q\n%s", code, tc.status, tc.says, body)
			}
			form := url.Values{"token": {tc.token}, "rating": {"1"}, "comment": {"forged"}}
			if code, _, body := postForm(t, base+tc.token, form, nil); code != tc.status || !strings.Contains(body, tc.says) {
				t.Errorf("POST: %d, want %d %q\n%s", code, tc.status, tc.says, body)
			}
		})
	}
	// Forms that are not the page's own.
	for _, tc := range []struct {
		name   string
		form   url.Values
		header map[string]string
		status int
		says   string
	}{
		{"from another site", rateForm(link, "1", "x"), map[string]string{"Origin": "https://evil.example"}, 403, "sent from another site"},
		{"cross-site fetch", rateForm(link, "1", "x"), map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "sent from another site"},
		{"without the token", url.Values{"rating": {"1"}}, nil, 400, "does not belong to this link"},
		{"another link's token", rateForm(sv.links[1], "1", ""), nil, 400, "does not belong to this link"},
		{"no rating", rateForm(link, "", "kept"), nil, 400, "Please choose a rating"},
		{"rating 6", rateForm(link, "6", ""), nil, 400, "Please choose a rating"},
		{"a comment too long", rateForm(link, "3", strings.Repeat("é", tickets.MaxCSATComment+1)), nil, 400, "at most 2000 fit"},
		{"a body over the limit", rateForm(link, "3", strings.Repeat("x", web.DefaultMaxBodyBytes)), nil, 413, "too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, _, body := postForm(t, link, tc.form, tc.header); code != tc.status || !strings.Contains(body, tc.says) {
				t.Errorf("POST: %d, want %d %q\n%s", code, tc.status, tc.says, body)
			}
		})
	}
	if tk := h.ticket(sv.id); tk.CSAT.Rating != 0 || hasEventLike(h.events(sv.id), tickets.EventCSAT, "") {
		t.Fatalf("a refused request rated the ticket: %+v", tk.CSAT)
	}
	// The links expire after csat.link_valid_for (30 days by default).
	h.now = h.now.Add(30*24*time.Hour + time.Minute)
	if code, _, body := postForm(t, link, rateForm(link, "5", ""), nil); code != http.StatusGone {
		t.Errorf("POST of a link 30 days old: %d\n%s", code, body)
	}
	if tk := h.ticket(sv.id); tk.CSAT.Rating != 0 {
		t.Fatalf("an expired link rated the ticket: %+v", tk.CSAT)
	}
}

func TestAReopenedTicketCannotBeRatedByLinkUntilClosedAgain(t *testing.T) {
	h, _, sv := surveyHarness(t)
	if _, err := h.desk.Service.SetStatus(h.ctx, sv.id, tickets.StatusOpen, "", "admin"); err != nil {
		t.Fatal(err)
	}
	link := sv.links[3]
	if code, _, body := postForm(t, link, rateForm(link, "3", ""), nil); code != http.StatusConflict || !strings.Contains(body, "cannot be rated now") {
		t.Errorf("POST on a reopened ticket: %d\n%s", code, body)
	}
	if tk := h.ticket(sv.id); tk.CSAT.Rating != 0 {
		t.Fatalf("a reopened ticket was rated: %+v", tk.CSAT)
	}
	if _, err := h.desk.Service.SetStatus(h.ctx, sv.id, tickets.StatusClosed, "", "admin"); err != nil {
		t.Fatal(err)
	}
	if code, _, body := postForm(t, link, rateForm(link, "3", ""), nil); code != http.StatusSeeOther || h.ticket(sv.id).CSAT.Rating != 3 {
		t.Errorf("POST once closed again: %d, csat %+v\n%s", code, h.ticket(sv.id).CSAT, body)
	}
}

func TestTheDaemonWillNotStartWhenItsWebAddressIsTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	h := agentHarness(t, "\n[http]\nlisten = \""+taken.Addr().String()+"\"\nbase_url = \"https://help.example.com\"\n")
	ctx, cancel := context.WithTimeout(h.ctx, 20*time.Second)
	defer cancel()
	err = h.desk.Run(ctx, desk.RunOptions{Grace: time.Second})
	if err == nil || !strings.HasPrefix(err.Error(), "http.listen: ") || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("Run on a taken address: %v, want the key and the reason", err)
	}
}
