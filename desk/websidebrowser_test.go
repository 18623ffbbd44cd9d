package desk_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"helpdesk/internal/chromium"
	"helpdesk/tickets"
)

// A customer in a real browser: opens a ticket on the form (with a file),
// gets the acknowledgement by mail (the in-process SMTP server), confirms
// on the ticket's page, sees an agent's answer appear there, replies
// there with a photo, and an altered link shows nothing.
func TestACustomerOpensAndFollowsATicketInChromium(t *testing.T) {
	chromium.Require(t)
	h, base := webHarness(t, "")
	ctx, cancel := context.WithTimeout(chromium.New(t), 120*time.Second)
	defer cancel()
	text := func(sel string) string { t.Helper(); return chromium.Text(t, ctx, sel) }
	eval := func(js string) string { t.Helper(); return chromium.Eval(t, ctx, js) }
	file := filepath.Join(t.TempDir(), "error.log")
	if err := os.WriteFile(file, []byte("E1234 toner overheated\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	// The form: every field has its label, the honeypot is out of sight.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/new"), chromedp.WaitVisible(chromedp.CSS("#email"))); err != nil {
		t.Fatalf("opening the form: %v", err)
	}
	labels := eval(`["name","email","subject","text","files"].map(id => document.getElementById(id).labels.length).join(",")`)
	honeypot := eval(`String(document.getElementById("website").getBoundingClientRect().right < 0)`)
	if labels != "1,1,1,1,1" || honeypot != "true" {
		t.Errorf("labels %s, honeypot hidden %s", labels, honeypot)
	}
	mark := h.mark()
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#name"), "Alice Web"),
		chromedp.SendKeys(chromedp.CSS("#email"), "alice@a.test"),
		chromedp.SendKeys(chromedp.CSS("#subject"), "Printer on fire"),
		chromedp.SendKeys(chromedp.CSS("#text"), "Room 4, please hurry."),
		chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{file}),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		// The form's own h1 is visible until the next page replaces it.
		chromedp.WaitNotPresent(chromedp.CSS("#email")),
		chromedp.WaitVisible(chromedp.CSS("h1")),
	); err != nil {
		t.Fatalf("sending the form: %v", err)
	}
	if got := text("h1"); got != "Check your email" {
		t.Fatalf("after the form: %q", got)
	}
	tk := h.newest()
	if tk.Status != tickets.StatusUnverified || len(h.messages(tk.ID)[0].Attachments) != 1 {
		t.Fatalf("the ticket: %+v", tk)
	}

	// The acknowledgement, as the SMTP server got it, links the page.
	h.flush()
	ack := h.oneMailTo("alice@a.test", mark)
	link := pageLink(t, ack.text)
	if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#confirm"))); err != nil {
		t.Fatalf("opening the link: %v", err)
	}
	if got := text("#status"); got != "Waiting for your confirmation" {
		t.Errorf("status %q", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#confirm")), chromedp.WaitVisible(chromedp.CSS("#done"))); err != nil {
		t.Fatalf("confirming: %v", err)
	}
	if got := text("#status"); got != "Open: we are working on it" {
		t.Errorf("status after confirming %q", got)
	}
	tk = h.ticket(tk.ID)
	if tk.Status != tickets.StatusNew || tk.Assignee == "" {
		t.Fatalf("after confirming: %+v", tk)
	}

	// The assignee answers by mail; the page shows the answer.
	mark = h.mark()
	h.flush()
	notice := h.oneMailTo(tk.Assignee, mark)
	h.deliver("support", gmailReply(tk.Assignee, notice, fmt.Sprintf("agent-%d@example.com", mark), "Hi Alice, a technician is on the way."))
	h.flush()
	if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#reply"))); err != nil {
		t.Fatal(err)
	}
	conversation := eval(`[...document.querySelectorAll("article .text")].map(e => e.textContent).join(" | ")`)
	if !strings.Contains(conversation, "Room 4, please hurry.") || !strings.Contains(conversation, "a technician is on the way") {
		t.Fatalf("the conversation: %s", conversation)
	}

	// A reply on the page, with a photo, lands on the ticket.
	photo := filepath.Join(t.TempDir(), "meter.jpg")
	if err := os.WriteFile(photo, []byte("\xff\xd8\xff\xe0 a photo of the meter"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#reply"), "Thank you, he is here."),
		chromedp.SetUploadFiles(`form[action$="/reply"] input[type=file]`, []string{photo}),
		chromedp.Click(chromedp.CSS(`form[action$="/reply"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#done")),
	); err != nil {
		t.Fatalf("replying: %v", err)
	}
	if conversation := eval(`[...document.querySelectorAll("article .text")].map(e => e.textContent).join(" | ")`); !strings.Contains(conversation, "he is here") {
		t.Errorf("the reply is not on the page: %s", conversation)
	}
	if notes := text("body"); !strings.Contains(notes, "meter.jpg") {
		t.Errorf("the page does not show the reply's file:\n%s", notes)
	}
	// The assignee gets it, the photo attached as sent.
	h.flush()
	var got []string
	for _, m := range h.mailTo(tk.Assignee, mark) {
		if strings.Contains(m.text, "he is here") {
			got = append(got, m.files["meter.jpg"])
		}
	}
	if !slices.Equal(got, []string{"\xff\xd8\xff\xe0 a photo of the meter"}) {
		t.Errorf("the assignee's notices of the reply carry %q", got)
	}

	// An altered link shows nothing of the ticket.
	if err := chromedp.Do(ctx, chromedp.Navigate(alterLast(link)), chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
		t.Fatal(err)
	}
	body := text("body")
	if !strings.Contains(body, "This link is not valid") || strings.Contains(body, "Printer") || strings.Contains(body, "Room 4") ||
		strings.Contains(body, "technician") {
		t.Errorf("an altered link shows:\n%s", body)
	}
}
