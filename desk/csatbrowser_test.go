package desk_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"helpdesk/internal/chromium"
	"helpdesk/tickets"
)

// A customer rates a ticket in a real browser: the link of a real survey
// mail opens the page with its rating chosen; a comment, the button, and
// the thanks page says what was recorded.
func TestACustomerRatesThroughTheSurveyLinkInChromium(t *testing.T) {
	chromium.Require(t)
	h, _, sv := surveyHarness(t)
	ctx, cancel := context.WithTimeout(chromium.New(t), 90*time.Second)
	defer cancel()

	if err := chromedp.Do(ctx, chromedp.Navigate(sv.links[4]), chromedp.WaitVisible(chromedp.CSS("#comment"))); err != nil {
		t.Fatalf("opening the survey link: %v", err)
	}
	eval := func(js string) string { t.Helper(); return chromium.Eval(t, ctx, js) }
	checked := eval(`[...document.querySelectorAll("input[name=rating]")].filter(e => e.checked).map(e => e.value).join(",")`)
	legend := eval(`document.querySelector("legend").textContent`)
	lang := eval(`document.documentElement.lang`)
	// The label of each choice names it, for screen readers and clicks.
	label := eval(`document.getElementById("rating-4").labels[0].textContent`)
	// The inline style sheet is allowed by the Content-Security-Policy.
	buttonColor := eval(`getComputedStyle(document.querySelector("button")).backgroundColor`)
	if checked != "4" || legend != "How did we do?" || lang != "en" || label != "4: good" {
		t.Errorf("the page: chosen %q, legend %q, lang %q, label %q", checked, legend, lang, label)
	}
	if buttonColor != "rgb(11, 79, 156)" {
		t.Errorf("the button is %s: the page's style sheet was not applied", buttonColor)
	}
	if tk := h.ticket(sv.id); tk.CSAT.Rating != 0 {
		t.Fatalf("opening the page rated the ticket: %+v", tk.CSAT)
	}

	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#comment"), "Fixed within the hour. Merci !"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#rating")),
	); err != nil {
		t.Fatalf("sending the form: %v", err)
	}
	rating, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#rating")))
	if err != nil {
		t.Fatal(err)
	}
	location, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if rating != "4 of 5, good" || !strings.HasSuffix(location, "/thanks") {
		t.Errorf("the thanks page at %s says %q", location, rating)
	}
	if tk := h.ticket(sv.id); tk.CSAT.Rating != 4 || tk.CSAT.Comment != "Fixed within the hour. Merci !" {
		t.Errorf("stored: %+v", tk.CSAT)
	}

	// Reloading the thanks page records nothing more.
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#rating"))); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range h.events(sv.id) {
		if e.Kind == tickets.EventCSAT {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d rating events after a reload of the thanks page, want 1", n)
	}
}
