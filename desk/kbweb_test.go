package desk_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"helpdesk/tickets"
	"helpdesk/web"
)

// kbWebHarness is a desk whose articles are served by a web server over
// the desk's own store, at the desk's base_url.
func kbWebHarness(t *testing.T) (*harness, string) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	h := agentHarness(t, "\n[http]\nbase_url = \""+base+"\"\n")
	srv, err := web.New(web.Options{BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	srv.AddKnowledgeBase(h.desk.Service)
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	return h, base
}

func TestPublishedArticlesAreServedSearchableAndTheirButtonResolvesTheTicket(t *testing.T) {
	onEachDatabase(t, testPublishedArticlesAreServedSearchableAndTheirButtonResolvesTheTicket)
}

func testPublishedArticlesAreServedSearchableAndTheirButtonResolvesTheTicket(t *testing.T) {
	h, base := kbWebHarness(t)
	a, _, _ := publishedArticle(h)
	// A draft with raw HTML in its text, and a published article with it.
	err := h.desk.Service.AddArticle(h.ctx, &tickets.Article{Title: "Draft about the VPN", Body: "Secret draft."})
	if err != nil {
		t.Fatal(err)
	}
	err = h.desk.Service.AddArticle(h.ctx, &tickets.Article{Title: "Scanner jams", Status: tickets.ArticlePublished,
		Body: "Open the lid.\n\n<script>alert(1)</script>\n\n[click](javascript:alert(2)) and *gently*."})
	if err != nil {
		t.Fatal(err)
	}

	code, _, page := get(t, base+"/kb/"+a.Slug)
	if code != http.StatusOK || !strings.Contains(page, "<h1>Printer on fire</h1>") || !strings.Contains(page, "<h2>Solution</h2>") ||
		!strings.Contains(page, "fan was clogged") || strings.Contains(page, "This solved my problem") {
		t.Fatalf("the article's page: %d\n%s", code, page)
	}
	code, _, page = get(t, base+"/kb/scanner-jams")
	if code != http.StatusOK || strings.Contains(page, "<script>") || strings.Contains(page, "javascript:") || !strings.Contains(page, "<em>gently</em>") {
		t.Errorf("raw HTML or a script link was served: %d\n%s", code, page)
	}
	if code, _, _ := get(t, base+"/kb/draft-about-the-vpn"); code != http.StatusNotFound {
		t.Errorf("a draft: %d, want 404", code)
	}
	if code, _, page := get(t, base+"/kb?q="+url.QueryEscape("printer smoke")); code != http.StatusOK ||
		!strings.Contains(page, `href="`+base+`/kb/printer-on-fire"`) || strings.Contains(page, "scanner-jams") {
		t.Errorf("search for the printer: %d\n%s", code, page)
	}
	if code, _, page := get(t, base+"/kb?q=holiday+allowance"); code != http.StatusOK || !strings.Contains(page, "No article matches") {
		t.Errorf("search for nothing: %d\n%s", code, page)
	}
	if _, _, page := get(t, base+"/kb"); !strings.Contains(page, "Printer on fire") || !strings.Contains(page, "Scanner jams") || strings.Contains(page, "Draft about") {
		t.Errorf("the index:\n%s", page)
	}

	// Bob's acknowledgement links the article with his ticket's token.
	h.now = h.now.Add(time.Hour)
	mark := h.mark()
	out := h.deliver("support", customer("bob-1@b.test", "Bob <bob@b.test>", "Printer smoking", "Our printer smokes and smells of fire."))
	h.flush()
	ack := h.oneMailTo("bob@b.test", mark)
	link := regexp.MustCompile(regexp.QuoteMeta(base) + `/kb/printer-on-fire\?t=\S+`).FindString(ack.text)
	if link == "" {
		t.Fatalf("no link in the acknowledgement:\n%s", ack.text)
	}
	token := link[strings.Index(link, "?t=")+3:]
	code, _, page = get(t, link)
	if code != http.StatusOK || !strings.Contains(page, "This solved my problem") || !strings.Contains(page, out.Ref) {
		t.Fatalf("the article from the acknowledgement: %d\n%s", code, page)
	}
	if st := h.ticket(out.TicketID).Status; st != tickets.StatusNew {
		t.Fatalf("opening the link changed the ticket: %s", st)
	}
	// An altered token, or the token on another article's page, records nothing.
	altered := token[:len(token)-1] + "a"
	if token[len(token)-1] == 'a' {
		altered = token[:len(token)-1] + "b"
	}
	if code, _, _ := postForm(t, base+"/kb/printer-on-fire/solved", url.Values{"t": {altered}}, nil); code != http.StatusNotFound {
		t.Errorf("an altered token: %d, want 404", code)
	}
	if code, _, _ := postForm(t, base+"/kb/scanner-jams/solved", url.Values{"t": {token}}, nil); code != http.StatusNotFound {
		t.Errorf("the token on another article: %d, want 404", code)
	}
	if code, _, _ := postForm(t, base+"/kb/printer-on-fire/solved", url.Values{"t": {token}}, map[string]string{"Sec-Fetch-Site": "cross-site"}); code != http.StatusForbidden {
		t.Errorf("a post from another site: %d, want 403", code)
	}
	if st := h.ticket(out.TicketID).Status; st != tickets.StatusNew {
		t.Fatalf("a refused post changed the ticket: %s", st)
	}
	code, _, page = postForm(t, base+"/kb/printer-on-fire/solved", url.Values{"t": {token}}, map[string]string{"Origin": base})
	if code != http.StatusOK || !strings.Contains(page, "closed your request as solved") {
		t.Fatalf("the button: %d\n%s", code, page)
	}
	tk := h.ticket(out.TicketID)
	if tk.Status != tickets.StatusResolved || !hasEventLike(h.events(tk.ID), tickets.EventDeflected, "on the article's page") {
		t.Errorf("after the button: %s, events %+v", tk.Status, h.events(tk.ID))
	}
	if _, _, page := get(t, link); strings.Contains(page, "This solved my problem") || !strings.Contains(page, "already being handled, or was resolved") {
		t.Errorf("the link after the button:\n%s", page)
	}
	// Retired: gone.
	if _, err := h.desk.Service.SetArticleStatus(h.ctx, "printer-on-fire", tickets.ArticleRetired); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := get(t, base+"/kb/printer-on-fire"); code != http.StatusNotFound {
		t.Errorf("a retired article: %d, want 404", code)
	}
}

func TestAnArticlesPageSpeaksTheArticlesLanguage(t *testing.T) {
	h, base := kbWebHarness(t)
	err := h.desk.Service.AddArticle(h.ctx, &tickets.Article{Title: "Drucker zieht kein Papier ein", Status: tickets.ArticlePublished,
		Language: "de", Body: "Öffnen Sie das Fach und legen Sie das Papier neu ein."})
	if err != nil {
		t.Fatal(err)
	}
	list, err := h.desk.Service.PublishedArticles(h.ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("published: %v, %v", list, err)
	}
	code, _, page := do(t, http.MethodGet, base+"/kb/"+list[0].Slug, nil, map[string]string{"Accept-Language": "en"})
	if code != http.StatusOK || !strings.Contains(page, `<html lang="de">`) || !strings.Contains(page, "Alle Artikel") {
		t.Errorf("the German article's page (%d):\n%s", code, page)
	}
	code, _, page = do(t, http.MethodGet, base+"/kb", nil, map[string]string{"Accept-Language": "fr"})
	if code != http.StatusOK || !strings.Contains(page, `<html lang="fr">`) || !strings.Contains(page, "Rechercher dans les articles") {
		t.Errorf("the list for a French browser (%d):\n%s", code, page)
	}
}
