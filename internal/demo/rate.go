package demo

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/emersion/go-message/mail"
)

// rate answers the survey raw as its customer would in a browser: open
// the link for 5 (excellent), which only shows the form, then send the
// form with a comment, and read the thanks page it leads to. rated tells
// the rating a ticket has (0 for none), to show that opening the link
// recorded nothing.
func rate(ctx context.Context, raw []byte, baseURL string, story *teller, rated func(id int64) (int, error)) error {
	text, err := textPart(raw)
	if err != nil {
		return err
	}
	links := regexp.MustCompile(regexp.QuoteMeta(baseURL)+`/csat/\S+`).FindAllString(text, -1)
	if len(links) != 5 {
		return fmt.Errorf("the survey has %d rating links, want 5", len(links))
	}
	link := links[0] // the survey lists 5 (excellent) first
	story.printf("  customer opens the survey's link for 5 (excellent):\n    %s\n", link)
	page, code, err := fetch(ctx, http.MethodGet, link, nil)
	if err != nil {
		return err
	}
	if code != http.StatusOK || !strings.Contains(page, `value="5" checked`) {
		return fmt.Errorf("GET of the link: status %d", code)
	}
	token := link[strings.LastIndex(link, "/")+1:]
	id, _ := strconv.ParseInt(token[:strings.IndexByte(token, '-')], 10, 64)
	if r, err := rated(id); err != nil || r != 0 {
		return fmt.Errorf("after opening the link, ticket %d has the rating %d (%v), want none", id, r, err)
	}
	story.printf("  the page has 5 chosen, a comment box and a button; opening it recorded nothing\n")
	form := url.Values{"token": {token}, "rating": {"5"}, "comment": {"Quick and friendly, thank you!"}}
	story.printf("  customer adds a comment and presses the button (POST %s)\n", link)
	page, code, err = fetch(ctx, http.MethodPost, link, form)
	if err != nil {
		return err
	}
	said := regexp.MustCompile(`<strong id="rating">([^<]*)</strong>`).FindStringSubmatch(page)
	if code != http.StatusOK || said == nil {
		return fmt.Errorf("POST of the form: status %d", code)
	}
	story.printf("  the thanks page says: rating recorded, %s\n", html.UnescapeString(said[1]))
	return nil
}

// fetch sends a request as a browser on the survey's page would, following
// the redirect to the thanks page, and returns the final page.
func fetch(ctx context.Context, method, link string, form url.Values) (string, int, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, link, body)
	if err != nil {
		return "", 0, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return string(b), resp.StatusCode, err
}

// textPart is the plain text of a mail.
func textPart(raw []byte) (string, error) {
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("reading the survey: %w", err)
	}
	for {
		p, err := mr.NextPart()
		if err != nil {
			return "", fmt.Errorf("the survey has no text part")
		}
		if h, ok := p.Header.(*mail.InlineHeader); ok {
			if ct, _, _ := h.ContentType(); ct == "text/plain" {
				b, err := io.ReadAll(p.Body)
				return string(b), err
			}
		}
	}
}
