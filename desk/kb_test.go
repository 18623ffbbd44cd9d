package desk_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"helpdesk/tickets"
)

const kbBase = "https://help.example.com"

// kbHarness is agentHarness with a base_url, so that articles have links.
func kbHarness(t *testing.T) *harness {
	return agentHarness(t, "\n[http]\nbase_url = \""+kbBase+"\"\n")
}

// publishedArticle resolves a ticket with #kb and a resolution note, and
// publishes the article drafted from it.
func publishedArticle(h *harness) (*tickets.Article, int64, delivered) {
	h.t.Helper()
	out, notice, _ := assigned(h)
	answer(h, notice, "#status resolved\n#kb\n#resolution The printer's fan was clogged with dust; "+
		"cleaning the fan and restarting the printer stops the smoke.\n\nHi Alice, the fire is out.")
	h.flush()
	arts, err := h.desk.Store.ListArticles(h.ctx, tickets.ArticleFilter{})
	if err != nil || len(arts) != 1 {
		h.t.Fatalf("articles after #kb: %+v, %v", arts, err)
	}
	a, err := h.desk.Service.SetArticleStatus(h.ctx, arts[0].Slug, tickets.ArticlePublished)
	if err != nil {
		h.t.Fatal(err)
	}
	return a, out.TicketID, notice
}

func TestAResolutionWithKBDraftsAnArticleThatTheNextAcknowledgementSuggests(t *testing.T) {
	onEachDatabase(t, testAResolutionWithKBDraftsAnArticleThatTheNextAcknowledgementSuggests)
}

func testAResolutionWithKBDraftsAnArticleThatTheNextAcknowledgementSuggests(t *testing.T) {
	h := kbHarness(t)
	a, from, _ := publishedArticle(h)
	if a.Slug != "printer-on-fire" || a.Title != "Printer on fire" || len(a.Tickets) != 1 || a.Tickets[0] != from ||
		!strings.Contains(a.Body, "fan was clogged with dust") || a.Queue != "general" {
		t.Fatalf("the drafted article: %+v", a)
	}
	if !hasEventLike(h.events(from), tickets.EventKB, "article printer-on-fire drafted") {
		t.Errorf("events of the resolved ticket: %+v", h.events(from))
	}

	// A new customer with the same problem in other words.
	h.now = h.now.Add(time.Hour)
	mark := h.mark()
	out := h.deliver("support", customer("bob-1@b.test", "Bob <bob@b.test>", "Smoke coming out of the printer",
		"Hello, our printer on the second floor is smoking and smells of fire. What should we do?"))
	h.flush()
	ack := h.oneMailTo("bob@b.test", mark)
	link := regexp.MustCompile(regexp.QuoteMeta(kbBase) + `/kb/printer-on-fire\?t=[0-9a-z-]+`).FindString(ack.text)
	if !strings.Contains(ack.text, "these articles may already answer your question") || !strings.Contains(ack.text, "Printer on fire") || link == "" {
		t.Fatalf("the acknowledgement suggests nothing:\n%s", ack.text)
	}

	// Bob answers that it solved the problem: resolved as deflected.
	mark = h.mark()
	h.now = h.now.Add(10 * time.Minute)
	h.deliver("support", gmailReply("Bob <bob@b.test>", ack, "bob-2@b.test", "That solved it, thanks!\n\nBob"))
	h.flush()
	tk := h.ticket(out.TicketID)
	if tk.Status != tickets.StatusResolved || !strings.Contains(tk.Resolution, `"Printer on fire" (`+kbBase+`/kb/printer-on-fire)`) {
		t.Fatalf("after 'that solved it': status %s, resolution %q", tk.Status, tk.Resolution)
	}
	if !hasEventLike(h.events(tk.ID), tickets.EventDeflected, "by mail") {
		t.Errorf("events: %+v", h.events(tk.ID))
	}
	if got := h.mailTo("bob@b.test", mark); len(got) != 1 || !strings.Contains(got[0].subject, "Resolved") {
		t.Errorf("Bob got %+v, want the resolved notice", got)
	}
	rep, err := h.desk.Report(h.ctx, tickets.ReportOptions{Since: h.now.Add(-24 * time.Hour), Until: h.now.Add(time.Hour)})
	if err != nil || rep.Deflected != 1 {
		t.Errorf("report: deflected %v, %v; want 1", rep.Deflected, err)
	}
}

func TestOnlyAClearSolvedReplyToSuggestionsResolvesTheTicket(t *testing.T) {
	onEachDatabase(t, testOnlyAClearSolvedReplyToSuggestionsResolvesTheTicket)
}

func testOnlyAClearSolvedReplyToSuggestionsResolvesTheTicket(t *testing.T) {
	h := kbHarness(t)
	publishedArticle(h)
	for i, tc := range []struct {
		subject, text, reply string
		deflects             bool
	}{
		{"Printer smoking", "The printer smokes, it smells of fire.", "Danke, hat geholfen!", true},
		{"Printer smoking", "The printer smokes, it smells of fire.", "Thanks!", false},
		{"Printer smoking", "The printer smokes, it smells of fire.", "Thanks, but it still smokes.", false},
		{"Printer smoking", "The printer smokes, it smells of fire.", "Solved?", false},
		{"Invoice for March is missing", "I cannot find the invoice for March in the portal.", "That solved it, thanks!", false},
	} {
		h.now = h.now.Add(time.Hour)
		who := fmt.Sprintf("c%d@c.test", i)
		mark := h.mark()
		out := h.deliver("support", customer(fmt.Sprintf("k%d@c.test", i), who, tc.subject, tc.text))
		h.flush()
		ack := h.oneMailTo(who, mark)
		h.deliver("support", gmailReply(who, ack, fmt.Sprintf("k%d-r@c.test", i), tc.reply))
		h.flush()
		tk := h.ticket(out.TicketID)
		if got := tk.Status == tickets.StatusResolved; got != tc.deflects {
			t.Errorf("%q to %q: status %s, deflected %v, want %v", tc.reply, tc.subject, tk.Status, got, tc.deflects)
		}
	}
}

func TestKBLinkPutsThePublishedArticlesLinkInTheAnswer(t *testing.T) {
	onEachDatabase(t, testKBLinkPutsThePublishedArticlesLinkInTheAnswer)
}

func testKBLinkPutsThePublishedArticlesLinkInTheAnswer(t *testing.T) {
	h := kbHarness(t)
	_, _, notice := publishedArticle(h)
	h.now = h.now.Add(time.Hour)
	mark := h.mark()
	answer(h, notice, "#kb-link no-such-article\n\nHi Alice, see this.")
	h.flush()
	if got := h.mailTo("alice@a.test", mark); len(got) != 0 {
		t.Fatalf("an unknown slug relayed %+v", got)
	}
	if e := h.oneMailTo("ann@example.com", mark); !strings.Contains(e.text, `no article "no-such-article"`) {
		t.Errorf("the command error:\n%s", e.text)
	}
	mark = h.mark()
	answer(h, notice, "Hi Alice, this has happened before: #kb-link printer-on-fire. Please follow it.")
	h.flush()
	got := h.oneMailTo("alice@a.test", mark)
	if !strings.Contains(got.text, "Printer on fire <"+kbBase+"/kb/printer-on-fire>. Please follow it.") || strings.Contains(got.text, "#kb-link") {
		t.Errorf("the relayed answer:\n%s", got.text)
	}
}

// Suggestions follow the ticket's language: a German customer gets the
// German article in a German acknowledgement, an English customer with
// the same problem does not get it.
func TestSuggestionsAreInTheTicketsLanguage(t *testing.T) {
	h := kbHarness(t)
	if err := h.desk.Service.AddArticle(h.ctx, &tickets.Article{Title: "Drucker raucht", Language: "de", Status: tickets.ArticlePublished,
		Body: "Der Drucker raucht: Lüfter reinigen, Drucker neu starten."}); err != nil {
		t.Fatal(err)
	}
	mark := h.mark()
	de := h.deliver("support", withHeader(customer("de-1@a.test", "Anna <anna@a.test>", "Drucker raucht",
		"Guten Tag, der Drucker im zweiten Stock raucht und riecht verbrannt. Was sollen wir tun?"), "Content-Language: de"))
	h.flush()
	if tk := h.ticket(de.TicketID); tk.Language != "de" {
		t.Fatalf("the German ticket's language is %q", tk.Language)
	}
	ack := h.oneMailTo("anna@a.test", mark)
	if !strings.Contains(ack.text, "Bis dahin beantworten vielleicht diese Artikel") || !strings.Contains(ack.text, "Drucker raucht") {
		t.Errorf("the German acknowledgement lacks the German article:\n%s", ack.text)
	}

	mark = h.mark()
	h.deliver("support", withHeader(customer("en-1@b.test", "Bob <bob@b.test>", "Drucker raucht",
		"Hello, the printer on the second floor is smoking (Drucker raucht, says the label). What should we do?"), "Content-Language: en"))
	h.flush()
	if ack := h.oneMailTo("bob@b.test", mark); strings.Contains(ack.text, "may already answer your question") {
		t.Errorf("the English acknowledgement suggests the German article:\n%s", ack.text)
	}
}
