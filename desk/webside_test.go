package desk_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"helpdesk/tickets"
	"helpdesk/web"
)

// webHarness is a desk (the team of staffTOML) whose customer pages and
// survey pages are served at its base_url, with more TOML after the
// config.
func webHarness(t *testing.T, more string) (*harness, string) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	h := agentHarness(t, "\n[http]\nbase_url = \""+base+"\"\n"+more)
	srv, err := web.New(web.Options{BaseURL: base, Surveys: h.desk.Service, Proxies: h.desk.Proxies()})
	if err != nil {
		t.Fatal(err)
	}
	h.desk.AddCustomerPages(srv)
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	return h, base
}

var formTokenRE = regexp.MustCompile(`name="ft" value="([^"]+)"`)

// formToken is the form token of the page at u.
func formToken(t *testing.T, u string) string {
	t.Helper()
	code, _, page := get(t, u)
	m := formTokenRE.FindStringSubmatch(page)
	if code != http.StatusOK || m == nil {
		t.Fatalf("GET %s: %d, no form token\n%s", u, code, page)
	}
	return m[1]
}

// webForm is what a customer types in the form.
type webForm struct {
	name, email, subject, text, honeypot string
	files                                map[string]string
}

// sendForm posts f to base/new as a browser does, with the form token of
// a fresh page (ft "" ) or the one given.
func sendForm(t *testing.T, base string, f webForm, ft string, header map[string]string) (int, http.Header, string) {
	t.Helper()
	if ft == "" {
		ft = formToken(t, base+"/new")
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range map[string]string{"ft": ft, "name": f.name, "email": f.email, "subject": f.subject, "text": f.text, "website": f.honeypot} {
		mw.WriteField(k, v)
	}
	for name, content := range f.files {
		fw, _ := mw.CreateFormFile("files", name)
		fw.Write([]byte(content))
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, base+"/new", &b)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", base)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header, body.String()
}

// allTickets lists every ticket of the desk.
func (h *harness) allTickets() []tickets.Ticket {
	h.t.Helper()
	ts, err := h.desk.Store.ListTickets(h.ctx, tickets.TicketFilter{})
	if err != nil {
		h.t.Fatal(err)
	}
	return ts
}

// newest is the ticket opened last.
func (h *harness) newest() *tickets.Ticket {
	h.t.Helper()
	var last *tickets.Ticket
	for _, tk := range h.allTickets() {
		if last == nil || tk.ID > last.ID {
			last = &tk
		}
	}
	if last == nil {
		h.t.Fatal("no ticket")
	}
	return last
}

var pageLinkRE = regexp.MustCompile(`https?://\S+/t/[0-9]+-[a-z2-7]+`)

// pageLink is the ticket page's link in a mail's text.
func pageLink(t *testing.T, text string) string {
	t.Helper()
	l := pageLinkRE.FindString(text)
	if l == "" {
		t.Fatalf("no ticket page link in:\n%s", text)
	}
	return l
}

var alice = webForm{name: "Alice Web", email: "alice@a.test", subject: "Printer on fire",
	text: "Room 4, please hurry.\nIt smells.", files: map[string]string{"photo.txt": "smoke"}}

func TestTheWebFormOpensAnUnverifiedTicketThatAReplyConfirms(t *testing.T) {
	onEachDatabase(t, testTheWebFormOpensAnUnverifiedTicketThatAReplyConfirms)
}

func testTheWebFormOpensAnUnverifiedTicketThatAReplyConfirms(t *testing.T) {
	h, base := webHarness(t, slaTOML)
	code, _, page := get(t, base+"/new")
	for _, want := range []string{`<label for="email">`, `id="email" name="email"`, `id="subject"`, `id="text"`, `type="file"`, `name="website"`, `name="ft"`} {
		if code != http.StatusOK || !strings.Contains(page, want) {
			t.Fatalf("GET /new: %d, no %s\n%s", code, want, page)
		}
	}
	mark := h.mark()
	code, hdr, body := sendForm(t, base, alice, "", nil)
	if code != http.StatusSeeOther || hdr.Get("Location") != base+"/new/sent" {
		t.Fatalf("POST /new: %d %v\n%s", code, hdr, body)
	}
	tk := h.newest()
	if tk.Status != tickets.StatusUnverified || tk.Requester.Email != "alice@a.test" || tk.Requester.Name != "Alice Web" ||
		tk.Subject != "Printer on fire" || tk.Queue != "general" || tk.Assignee != "" {
		t.Fatalf("the web ticket: %+v", tk)
	}
	msgs := h.messages(tk.ID)
	if len(msgs) < 1 || msgs[0].Kind != tickets.KindCustomer || !strings.Contains(msgs[0].Text, "It smells.") ||
		len(msgs[0].Attachments) != 1 || msgs[0].Attachments[0].Filename != "photo.txt" {
		t.Fatalf("its first message: %+v", msgs[0])
	}
	if cs, _ := h.desk.Store.SLAClocks(h.ctx, tk.ID); len(cs) != 0 {
		t.Errorf("an unverified ticket has SLA clocks: %+v", cs)
	}
	h.flush()
	for _, agent := range []string{"ann@example.com", "bob@example.com", "cy@example.com"} {
		if got := h.mailTo(agent, mark); len(got) != 0 {
			t.Errorf("agent %s was told of an unverified ticket: %+v", agent, got)
		}
	}
	ack := h.oneMailTo("alice@a.test", mark)
	if !strings.Contains(ack.text, "web form") || !strings.Contains(ack.text, "ignore this email") ||
		!strings.Contains(ack.text, base+"/t/") || !strings.Contains(ack.subject, "Printer on fire") {
		t.Fatalf("the acknowledgement does not ask to confirm:\n%s", ack.text)
	}

	// Her reply through the acknowledgement's reply address confirms it:
	// from then on it is a new ticket like one opened by mail.
	mark = h.mark()
	out := h.deliver("support", gmailReply("Alice Web <alice@a.test>", ack, "alice-2@a.test", "Yes, that was me."))
	if out.TicketID != tk.ID {
		t.Fatalf("the reply went to %d, want %d", out.TicketID, tk.ID)
	}
	tk = h.ticket(tk.ID)
	if tk.Status != tickets.StatusNew || tk.Assignee == "" || !hasEventLike(h.events(tk.ID), tickets.EventWebConfirmed, "replying") {
		t.Fatalf("after the reply: %+v, events %+v", tk, h.events(tk.ID))
	}
	if cs, _ := h.desk.Store.SLAClocks(h.ctx, tk.ID); len(cs) == 0 {
		t.Errorf("a confirmed ticket has no SLA clocks")
	}
	h.flush()
	if got := h.mailTo(tk.Assignee, mark); len(got) != 1 || !strings.Contains(got[0].text, "It smells.") {
		t.Errorf("the assignee %s got %+v", tk.Assignee, got)
	}
}

func TestAWebTicketIsConfirmedOnItsPageOrClosedUnconfirmed(t *testing.T) {
	onEachDatabase(t, testAWebTicketIsConfirmedOnItsPageOrClosedUnconfirmed)
}

func testAWebTicketIsConfirmedOnItsPageOrClosedUnconfirmed(t *testing.T) {
	h, base := webHarness(t, "\n[web]\nunverified_for = \"7d\"\n")
	mark := h.mark()
	sendForm(t, base, alice, "", nil)
	confirmed := h.newest().ID
	sendForm(t, base, webForm{email: "bob@b.test", subject: "Never mine", text: "Someone typed my address."}, "", nil)
	silent := h.newest().ID
	h.flush()
	link := pageLink(t, h.oneMailTo("alice@a.test", mark).text)

	// Opening the page changes nothing (mail scanners open links).
	code, _, page := get(t, link)
	if code != http.StatusOK || !strings.Contains(page, "Confirm my request") || !strings.Contains(page, "Waiting for your confirmation") {
		t.Fatalf("the page: %d\n%s", code, page)
	}
	if h.ticket(confirmed).Status != tickets.StatusUnverified {
		t.Fatal("opening the page confirmed the ticket")
	}
	ft := formTokenRE.FindStringSubmatch(page)[1]
	code, hdr, _ := postForm(t, link+"/confirm", url.Values{"ft": {ft}}, map[string]string{"Origin": base})
	if code != http.StatusSeeOther || hdr.Get("Location") != link+"?done=confirmed" {
		t.Fatalf("confirm: %d %v", code, hdr)
	}
	if tk := h.ticket(confirmed); tk.Status != tickets.StatusNew || tk.Assignee == "" {
		t.Fatalf("after confirming: %+v", tk)
	}

	// Seven days later the silent one is closed, and Bob hears nothing more.
	mark = h.mark()
	h.now = h.now.Add(7*24*time.Hour + time.Minute)
	runs := h.runDue()
	if tk := h.ticket(silent); tk.Status != tickets.StatusClosed {
		t.Fatalf("the unconfirmed ticket is %s after %v", tk.Status, runs)
	}
	if tk := h.ticket(confirmed); tk.Status == tickets.StatusClosed {
		t.Fatalf("the confirmed ticket was closed too")
	}
	h.flush()
	if got := h.mailTo("bob@b.test", mark); len(got) != 0 {
		t.Errorf("mail to the unconfirmed address: %+v", got)
	}
}

func TestAnAdminCanOnlyCloseAnUnverifiedWebTicket(t *testing.T) {
	onEachDatabase(t, testAnAdminCanOnlyCloseAnUnverifiedWebTicket)
}

func testAnAdminCanOnlyCloseAnUnverifiedWebTicket(t *testing.T) {
	h, base := webHarness(t, "\n[web]\nunverified_for = \"7d\"\n")
	sendForm(t, base, webForm{email: "bob@b.test", subject: "Never mine", text: "Someone typed my address."}, "", nil)
	silent := h.newest().ID
	sendForm(t, base, alice, "", nil)
	other := h.newest().ID
	h.flush()
	mark := h.mark()

	svc := h.desk.Service
	for _, st := range []tickets.Status{tickets.StatusOpen, tickets.StatusPending, tickets.StatusPendingVendor, tickets.StatusResolved} {
		_, err := svc.SetStatus(h.ctx, silent, st, "", "admin")
		if err == nil || !strings.Contains(err.Error(), "unverified") || !strings.Contains(err.Error(), "bob@b.test") {
			t.Errorf("setting an unverified ticket %s: %v", st, err)
		}
	}
	for _, pair := range [][2]int64{{silent, other}, {other, silent}} {
		if err := svc.Merge(h.ctx, pair[0], pair[1], "admin"); err == nil || !strings.Contains(err.Error(), "unverified") {
			t.Errorf("merging %d into %d: %v", pair[0], pair[1], err)
		}
	}
	if _, err := svc.Assign(h.ctx, silent, "ann@example.com", "admin"); err == nil || !strings.Contains(err.Error(), "unverified") {
		t.Errorf("assigning an unverified ticket: %v", err)
	}
	if tk := h.ticket(silent); tk.Status != tickets.StatusUnverified || tk.Assignee != "" {
		t.Fatalf("after the refused changes: %+v", tk)
	}

	tk, err := svc.SetStatus(h.ctx, silent, tickets.StatusClosed, "", "admin")
	if err != nil || tk.Status != tickets.StatusClosed {
		t.Fatalf("closing: %v, %+v", err, tk)
	}
	if !hasEventLike(h.events(silent), tickets.EventNotAnswered, "no mail") {
		t.Errorf("no event says the close sent nothing: %+v", h.events(silent))
	}
	h.now = h.now.Add(7*24*time.Hour + time.Minute)
	h.runDue()
	h.flush()
	if got := h.mailTo("bob@b.test", mark); len(got) != 0 {
		t.Errorf("mail to the unconfirmed address: %+v", got)
	}
	if tk := h.ticket(other); tk.Status != tickets.StatusClosed {
		t.Errorf("the other unconfirmed ticket is %s after its expiry", tk.Status)
	}
}

func TestTheFormsLimitCountsEachClientBehindATrustedProxy(t *testing.T) {
	// The test's requests come from 127.0.0.1: they stand for the proxy.
	h, base := webHarness(t, "trusted_proxies = [\"127.0.0.1\", \"::1\"]\n[web]\nper_address = 5\nper_source = 1\nrate_window = \"1h\"\n")
	from := func(xff string) map[string]string { return map[string]string{"X-Forwarded-For": xff} }
	if code, _, body := sendForm(t, base, webForm{email: "alice@a.test", subject: "One", text: "Help."}, "", from("203.0.113.1")); code != http.StatusSeeOther {
		t.Fatalf("the first client's first request: %d\n%s", code, body)
	}
	if code, _, _ := sendForm(t, base, webForm{email: "bob@b.test", subject: "Two", text: "Help."}, "", from("203.0.113.2")); code != http.StatusSeeOther {
		t.Fatalf("another client behind the same proxy: %d, want it counted apart", code)
	}
	// Writing another address in front of what the proxy appends does not
	// make the first client someone else.
	if code, _, _ := sendForm(t, base, webForm{email: "carol@c.test", subject: "Three", text: "Help."}, "", from("198.51.100.9, 203.0.113.1")); code != http.StatusTooManyRequests {
		t.Fatalf("the first client again, with an address of its own choosing in front: %d, want 429", code)
	}
	if n := len(h.allTickets()); n != 2 {
		t.Fatalf("%d tickets, want 2", n)
	}
}

func TestTheHoneypotAndTheFormTokenCreateNothing(t *testing.T) {
	onEachDatabase(t, testTheHoneypotAndTheFormTokenCreateNothing)
}

func testTheHoneypotAndTheFormTokenCreateNothing(t *testing.T) {
	h, base := webHarness(t, "")
	bot := alice
	bot.honeypot = "http://spam.test"
	code, hdr, _ := sendForm(t, base, bot, "", nil)
	if code != http.StatusSeeOther || hdr.Get("Location") != base+"/new/sent" {
		t.Fatalf("a filled honeypot should look like a success: %d %v", code, hdr)
	}
	for _, tc := range []struct {
		name   string
		ft     string
		header map[string]string
	}{
		{"no form token", "1767225600-aaaaaaaaaaaaaaaaaaaaaaaaaa", nil},
		{"an altered form token", alterLast(formToken(t, base+"/new")), nil},
		{"another site's page", "", map[string]string{"Origin": "https://evil.test", "Sec-Fetch-Site": "cross-site"}},
	} {
		if code, _, body := sendForm(t, base, alice, tc.ft, tc.header); code != http.StatusForbidden {
			t.Errorf("%s: %d\n%s", tc.name, code, body)
		}
	}
	if ts := h.allTickets(); len(ts) != 0 {
		t.Fatalf("tickets were created: %+v", ts)
	}
	h.flush()
	if n := len(h.sink.Mails()); n != 0 {
		t.Errorf("%d mails sent", n)
	}
}

// alterLast changes the last character of s.
func alterLast(s string) string {
	c := byte('a')
	if s[len(s)-1] == 'a' {
		c = 'b'
	}
	return s[:len(s)-1] + string(c)
}

func TestTheFormsRateLimitsAnswer429AndCreateNothing(t *testing.T) {
	onEachDatabase(t, testTheFormsRateLimitsAnswer429AndCreateNothing)
}

func testTheFormsRateLimitsAnswer429AndCreateNothing(t *testing.T) {
	h, base := webHarness(t, "\n[web]\nper_address = 2\nper_source = 3\nrate_window = \"1h\"\n")
	for i := range 2 {
		if code, _, body := sendForm(t, base, webForm{email: "alice@a.test", subject: fmt.Sprint("Request ", i), text: "Help."}, "", nil); code != http.StatusSeeOther {
			t.Fatalf("request %d: %d\n%s", i, code, body)
		}
	}
	code, hdr, body := sendForm(t, base, webForm{email: "Alice@A.test", subject: "Request 3", text: "Help."}, "", nil)
	if code != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" || !strings.Contains(body, "Too many requests") {
		t.Fatalf("the address's third request: %d %v\n%s", code, hdr, body)
	}
	// Another address from the same source: one more, then the source's limit.
	if code, _, _ := sendForm(t, base, webForm{email: "carol@c.test", subject: "Mine", text: "Help."}, "", nil); code != http.StatusSeeOther {
		t.Fatalf("another address: %d", code)
	}
	if code, _, _ := sendForm(t, base, webForm{email: "dave@d.test", subject: "Mine too", text: "Help."}, "", nil); code != http.StatusTooManyRequests {
		t.Fatalf("the source's fourth request: %d", code)
	}
	if n := len(h.allTickets()); n != 3 {
		t.Fatalf("%d tickets, want 3", n)
	}
	// An hour later the limits count afresh.
	h.now = h.now.Add(time.Hour + time.Minute)
	if code, _, _ := sendForm(t, base, webForm{email: "alice@a.test", subject: "Later", text: "Help."}, "", nil); code != http.StatusSeeOther {
		t.Fatalf("an hour later: %d", code)
	}
}

func TestAWebTicketNeverThreadsNorRunsAnAgentsCommands(t *testing.T) {
	onEachDatabase(t, testAWebTicketNeverThreadsNorRunsAnAgentsCommands)
}

func testAWebTicketNeverThreadsNorRunsAnAgentsCommands(t *testing.T) {
	h, base := webHarness(t, "")
	existing, _, _ := assigned(h)
	ref := "HD#" + fmt.Sprint(existing.TicketID)
	code, _, _ := sendForm(t, base, webForm{name: "Ann Agent", email: "ann@example.com", subject: "Re: [" + ref + "] Printer on fire",
		text: "#status closed\n#assign bob@example.com\n#note all fine"}, "", nil)
	if code != http.StatusSeeOther {
		t.Fatalf("POST: %d", code)
	}
	tk := h.newest()
	if tk.ID == existing.TicketID || tk.Status != tickets.StatusUnverified || tk.Assignee != "" {
		t.Fatalf("the agent's address in the form: %+v", tk)
	}
	if old := h.ticket(existing.TicketID); old.Status == tickets.StatusClosed || old.Assignee != "ann@example.com" {
		t.Fatalf("the existing ticket changed: %+v", old)
	}
	if hasMessageLike(h.messages(existing.TicketID), "#status closed") {
		t.Fatal("the web mail was threaded onto the existing ticket")
	}
	if msgs := h.messages(tk.ID); msgs[0].Kind != tickets.KindCustomer {
		t.Fatalf("the web mail is a %s message", msgs[0].Kind)
	}
}

func hasMessageLike(ms []tickets.Message, text string) bool {
	for _, m := range ms {
		if strings.Contains(m.Text, text) {
			return true
		}
	}
	return false
}

func TestTheTicketPageShowsOnlyThePublicConversation(t *testing.T) {
	onEachDatabase(t, testTheTicketPageShowsOnlyThePublicConversation)
}

func testTheTicketPageShowsOnlyThePublicConversation(t *testing.T) {
	h, base := webHarness(t, "")
	out, notice, ack := assigned(h)
	link := pageLink(t, ack.text)
	answer(h, notice, "#note\nHer contract ends in May; be gentle.")
	answer(h, notice, "#priority P1\n\nHi Alice, we are sending someone to room 4.")
	h.flush()
	code, _, page := get(t, link)
	if code != http.StatusOK || !strings.Contains(page, "Room 4, please hurry.") || !strings.Contains(page, "we are sending someone to room 4") {
		t.Fatalf("the page: %d\n%s", code, page)
	}
	for _, secret := range []string{"contract ends in May", "#note", "#priority", "P1", "ann@example.com"} {
		if strings.Contains(page, secret) {
			t.Errorf("the page shows %q:\n%s", secret, page)
		}
	}
	// The relayed answer links the page too.
	if got := h.mailTo("alice@a.test", 0); len(got) < 2 || !strings.Contains(got[len(got)-1].text, link) {
		t.Errorf("the agent's answer does not link the page: %+v", got)
	}

	// A reply on the page is the customer's mail: the assignee hears of it.
	mark := h.mark()
	ft := formTokenRE.FindStringSubmatch(page)[1]
	code, hdr, _ := postForm(t, link+"/reply", url.Values{"ft": {ft}, "text": {"Thanks, the fire is out."}}, map[string]string{"Origin": base})
	if code != http.StatusSeeOther || hdr.Get("Location") != link+"?done=replied" {
		t.Fatalf("reply: %d %v", code, hdr)
	}
	var last tickets.Message
	for _, m := range h.messages(out.TicketID) {
		if m.Direction == tickets.In {
			last = m
		}
	}
	if last.Kind != tickets.KindCustomer || last.From.Email != "alice@a.test" || !strings.Contains(last.Text, "fire is out") {
		t.Fatalf("the reply was stored as %+v", last)
	}
	h.flush()
	if got := h.mailTo("ann@example.com", mark); len(got) != 1 || !strings.Contains(got[0].text, "fire is out") {
		t.Errorf("the assignee got %+v", got)
	}
	// On a resolved ticket, a reply on the page reopens it, as by mail.
	if _, err := h.desk.Service.SetStatus(h.ctx, out.TicketID, tickets.StatusResolved, "", "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	code, _, _ = postForm(t, link+"/reply", url.Values{"ft": {ft}, "text": {"It is burning again."}}, map[string]string{"Origin": base})
	if tk := h.ticket(out.TicketID); code != http.StatusSeeOther || tk.Status != tickets.StatusOpen {
		t.Fatalf("a reply on the page to a resolved ticket: %d, status %s", code, tk.Status)
	}
	// And the close button closes it.
	code, _, _ = postForm(t, link+"/close", url.Values{"ft": {ft}}, map[string]string{"Origin": base})
	if code != http.StatusSeeOther || h.ticket(out.TicketID).Status != tickets.StatusClosed {
		t.Fatalf("close: %d, status %s", code, h.ticket(out.TicketID).Status)
	}
}

func TestAForgedOrAlteredTicketLinkShowsNothing(t *testing.T) {
	onEachDatabase(t, testAForgedOrAlteredTicketLinkShowsNothing)
}

func testAForgedOrAlteredTicketLinkShowsNothing(t *testing.T) {
	h, base := webHarness(t, "")
	out, notice, ack := assigned(h)
	link := pageLink(t, ack.text)
	answer(h, notice, "Hi Alice, on our way.")
	id := fmt.Sprint(out.TicketID)
	replyToken := strings.TrimPrefix(strings.Split(ack.replyTo, "@")[0], "support+")
	for name, u := range map[string]string{
		"altered signature": alterLast(link),
		"another ticket":    strings.Replace(link, "/t/"+id+"-", "/t/"+fmt.Sprint(out.TicketID+1)+"-", 1),
		"cut short":         link[:len(link)-3],
		"the reply token":   base + "/t/" + replyToken,
		"no signature":      base + "/t/" + id,
		"a made-up one":     base + "/t/" + id + "-aaaaaaaaaaaaaaaaaaaaaaaaaa",
	} {
		code, _, page := get(t, u)
		if code != http.StatusForbidden || strings.Contains(page, "Printer on fire") || strings.Contains(page, "Room 4") || strings.Contains(page, "HD#") {
			t.Errorf("%s (%s): %d\n%s", name, u, code, page)
		}
		code, _, _ = postForm(t, u+"/close", url.Values{"ft": {"x"}}, map[string]string{"Origin": base})
		if code != http.StatusForbidden {
			t.Errorf("%s: close answered %d", name, code)
		}
	}
	// The page's own form token does not work for a forged link, nor from another site.
	_, _, page := get(t, link)
	ft := formTokenRE.FindStringSubmatch(page)[1]
	if code, _, _ := postForm(t, alterLast(link)+"/close", url.Values{"ft": {ft}}, map[string]string{"Origin": base}); code != http.StatusForbidden {
		t.Errorf("close through an altered link: %d", code)
	}
	if code, _, _ := postForm(t, link+"/close", url.Values{"ft": {ft}}, map[string]string{"Origin": "https://evil.test"}); code != http.StatusForbidden {
		t.Errorf("close from another site: %d", code)
	}
	if st := h.ticket(out.TicketID).Status; st == tickets.StatusClosed {
		t.Fatal("a forged form closed the ticket")
	}
}

func TestTheFormTakesAttachmentsUpToItsOwnLimit(t *testing.T) {
	h, base := webHarness(t, "\n[web]\nmax_upload = \"100KiB\"\n")
	// Over the rest of the server's 64 KiB, within the form's limit.
	big := webForm{email: "alice@a.test", subject: "Logs", text: "Attached.", files: map[string]string{"a.log": strings.Repeat("x", 80<<10)}}
	if code, _, body := sendForm(t, base, big, "", nil); code != http.StatusSeeOther {
		t.Fatalf("an 80 KiB file: %d\n%s", code, body)
	}
	if tk := h.newest(); len(h.messages(tk.ID)[0].Attachments) != 1 || h.messages(tk.ID)[0].Attachments[0].Size != 80<<10 {
		t.Fatalf("the file was not kept whole: %+v", h.messages(tk.ID)[0].Attachments)
	}
	huge := big
	huge.files = map[string]string{"b.log": strings.Repeat("y", 200<<10)}
	code, _, body := sendForm(t, base, huge, "", nil)
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "100 KiB") {
		t.Fatalf("a 200 KiB file: %d\n%s", code, body)
	}
	if n := len(h.allTickets()); n != 1 {
		t.Fatalf("%d tickets, want 1", n)
	}
}

func TestAConfirmedWebTicketIsAssignedWithTheSkillItsRulesAskFor(t *testing.T) {
	h, base := webHarness(t, "")
	// "german invoices": queue billing, skill de, which only Ann has.
	for i := range 2 {
		sendForm(t, base, webForm{email: fmt.Sprintf("kunde%d@a.test", i), subject: "Rechnung falsch", text: "Bitte prüfen."}, "", nil)
		tk := h.newest()
		if tk.Queue != "billing" || tk.Status != tickets.StatusUnverified {
			t.Fatalf("the web ticket: %+v", tk)
		}
		if _, err := h.desk.Service.ConfirmByPage(h.ctx, h.desk.Service.Signer().PageToken(tk.ID)); err != nil {
			t.Fatal(err)
		}
		if got := h.ticket(tk.ID).Assignee; got != "ann@example.com" {
			t.Errorf("ticket %d went to %q, want Ann (skill de)", i, got)
		}
	}
}

func TestTheCustomersPagesSpeakTheCustomersLanguage(t *testing.T) {
	h, base := webHarness(t, "")

	// A German customer's ticket page is German, whatever the browser.
	mark := h.mark()
	out := h.deliver("support", withHeader(customer("de1@a.test", "Anna <anna@a.test>", "Drucker", "Der Drucker druckt nicht mehr."), "Content-Language: de"))
	h.flush()
	link := pageLink(t, h.oneMailTo("anna@a.test", mark).text)
	code, _, page := do(t, http.MethodGet, link, nil, map[string]string{"Accept-Language": "en-US,en;q=0.9"})
	for _, want := range []string{`<html lang="de">`, "Ihre Anfrage HD#", "Verlauf", "Offen: Wir arbeiten daran", "Antwort senden", "Ticket schließen"} {
		if code != http.StatusOK || !strings.Contains(page, want) {
			t.Errorf("the German ticket's page (%d) lacks %q:\n%s", code, want, page)
		}
	}
	if strings.Contains(page, "Conversation") || strings.Contains(page, "Send my reply") {
		t.Errorf("the German ticket's page has English in it:\n%s", page)
	}

	// So is its survey, from the link in the German survey mail.
	mark = h.mark()
	if _, err := h.desk.Service.SetStatus(h.ctx, out.TicketID, tickets.StatusClosed, "", "admin"); err != nil {
		t.Fatal(err)
	}
	h.flush()
	var links [6]string
	for _, m := range h.mailTo("anna@a.test", mark) {
		if strings.Contains(m.text, "/csat/") {
			links = surveyLinks(t, base, m.text)
		}
	}
	if links[5] == "" {
		t.Fatal("no survey with links to Anna")
	}
	code, _, page = get(t, links[5])
	for _, want := range []string{`<html lang="de">`, "Bewerten Sie unsere Hilfe", "5: ausgezeichnet", "Bewertung senden"} {
		if code != http.StatusOK || !strings.Contains(page, want) {
			t.Errorf("the German survey page (%d) lacks %q:\n%s", code, want, page)
		}
	}

	// Without a ticket, the browser's language counts: the form in French,
	// a broken link in Spanish, and English for a language the pages do
	// not speak.
	for _, c := range []struct{ path, accept, want, lang string }{
		{"/new", "fr-CH, fr;q=0.9, en;q=0.8", "Ouvrir une demande d&#39;assistance", "fr"},
		{"/t/1-not-a-signature", "es-ES,es;q=0.9", "Este enlace no es válido", "es"},
		{"/new", "pt-BR,pt;q=0.9", "Open a support request", "en"},
		{"/new", "", "Open a support request", "en"},
	} {
		code, _, page := do(t, http.MethodGet, base+c.path, nil, map[string]string{"Accept-Language": c.accept})
		if !strings.Contains(page, c.want) || !strings.Contains(page, `<html lang="`+c.lang+`">`) {
			t.Errorf("%s with Accept-Language %q (%d) lacks %q in %s:\n%s", c.path, c.accept, code, c.want, c.lang, page)
		}
	}
}

// replyWithFiles sends the reply form of the ticket page at link, as a
// browser does: multipart, with files.
func replyWithFiles(t *testing.T, base, link, ft, text string, files map[string]string) (int, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("ft", ft)
	mw.WriteField("text", text)
	for name, content := range files {
		fw, _ := mw.CreateFormFile("files", name)
		fw.Write([]byte(content))
	}
	mw.Close()
	code, _, body := do(t, http.MethodPost, link+"/reply", &b, map[string]string{"Content-Type": mw.FormDataContentType(), "Origin": base})
	return code, body
}

func TestAReplyOnTheTicketsPageTakesFilesWithinTheFormsLimits(t *testing.T) {
	h, base := webHarness(t, "\n[web]\nmax_upload = \"64KB\"\n")
	out, _, ack := assigned(h)
	link := pageLink(t, ack.text)
	_, _, page := get(t, link)
	ft := formTokenRE.FindStringSubmatch(page)[1]

	if code, body := replyWithFiles(t, base, link, ft, "The log you asked for.", map[string]string{"export.log": "row 65536: overflow"}); code != http.StatusSeeOther {
		t.Fatalf("a reply with a file: %d\n%s", code, body)
	}
	var files []string
	for _, m := range h.messages(out.TicketID) {
		if m.Direction == tickets.In && strings.Contains(m.Text, "The log you asked for.") {
			for _, a := range m.Attachments {
				files = append(files, a.Filename)
			}
		}
	}
	if !slices.Equal(files, []string{"export.log"}) {
		t.Errorf("the reply's files on the ticket: %v", files)
	}

	many := map[string]string{}
	for i := range 11 {
		many[fmt.Sprintf("f%d.txt", i)] = "x"
	}
	if code, body := replyWithFiles(t, base, link, ft, "Eleven files.", many); code != http.StatusBadRequest || !strings.Contains(body, "Please attach at most 10 files.") {
		t.Errorf("eleven files: %d\n%s", code, body)
	}
	if code, body := replyWithFiles(t, base, link, ft, "Too big.", map[string]string{"big.bin": strings.Repeat("x", 70_000)}); code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "at most 64 KB") {
		t.Errorf("a reply over max_upload: %d\n%s", code, body)
	}
	for _, m := range h.messages(out.TicketID) {
		if strings.Contains(m.Text, "Eleven files.") || strings.Contains(m.Text, "Too big.") {
			t.Errorf("a refused reply was stored: %q", m.Text)
		}
	}
}
