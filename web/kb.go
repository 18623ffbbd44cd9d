package web

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/yuin/goldmark"

	"helpdesk/tickets"
)

// Articles is what the knowledge base's pages need of the ticket service.
type Articles interface {
	// PublishedArticle reads the published article slug (ErrNotFound for
	// a draft, a retired article or none).
	PublishedArticle(ctx context.Context, slug string) (*tickets.Article, error)
	// PublishedArticles lists the published articles, by title.
	PublishedArticles(ctx context.Context) ([]tickets.Article, error)
	// SearchArticles ranks the published articles for words typed in the
	// search box, best first.
	SearchArticles(ctx context.Context, words, language string, limit int) ([]tickets.Suggestion, error)
	// SolvedByLink checks a "this solved my problem" token, and with
	// record resolves its ticket as deflected.
	SolvedByLink(ctx context.Context, token string, record bool) (*tickets.Deflected, error)
}

// The knowledge base's pages, for anyone: GET /kb, the published
// articles and a search box (GET /kb?q=WORDS); GET /kb/{slug}, one
// article, its Markdown rendered without raw HTML. Drafts and retired
// articles are not found. An acknowledgement's link to an article
// carries a signed token (?t=) of its ticket: the page then shows a
// "This solved my problem" button, a form that POSTs the token to
// /kb/{slug}/solved, which resolves the ticket as deflected. Opening the
// link records nothing: mail scanners open every link.

// AddKnowledgeBase serves the knowledge base's pages from a.
func (s *Server) AddKnowledgeBase(a Articles) {
	kb := &kbPages{s: s, a: a}
	s.Handle("GET /kb", http.HandlerFunc(kb.index))
	s.Handle("GET /kb/{$}", http.HandlerFunc(kb.index))
	s.Handle("GET /kb/{slug}", http.HandlerFunc(kb.article))
	s.Handle("POST /kb/{slug}/solved", http.HandlerFunc(kb.solved))
}

type kbPages struct {
	s *Server
	a Articles
}

// maxSearchWords bounds what the search box takes, in bytes.
const maxSearchWords = 200

// markdown renders articles: CommonMark without raw HTML (goldmark leaves
// it out, and drops links to javascript: and other dangerous URLs,
// unless told otherwise).
var markdown = goldmark.New()

var kbTemplates = template.Must(template.New("kb").Parse(`<!DOCTYPE html>
<html lang="{{.L.Tag}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<main>
{{- if .Index}}
<h1>{{.Title}}</h1>
<form method="get" action="{{.Base}}/kb" role="search">
<p><label for="q">{{.L.T "Search the articles"}}</label><br>
<input type="search" id="q" name="q" value="{{.Query}}" maxlength="200">
<button type="submit">{{.L.T "Search"}}</button></p>
</form>
{{- if .Query}}
{{- if .Results}}
<h2>{{.L.T "Articles for %s" (print "\u201c" .Query "\u201d")}}</h2>
{{- else}}
<p>{{.L.T "No article matches %s. Try other words, or write to us." (print "\u201c" .Query "\u201d")}}</p>
{{- end}}
{{- end}}
{{- if .Results}}
<ul>
{{- range .Results}}
<li><a href="{{$.Base}}/kb/{{.Slug}}">{{.Title}}</a></li>
{{- end}}
</ul>
{{- end}}
{{- else}}
<p><a href="{{.Base}}/kb">{{.L.T "All articles"}}</a></p>
<article>
<h1>{{.Title}}</h1>
{{.Body}}
</article>
{{- if .Problem}}
<p class="problem" role="alert">{{.Problem}}</p>
{{- end}}
{{- if .Done}}
<p role="status"><strong>{{.Done}}</strong></p>
{{- end}}
{{- if .Token}}
<form method="post" action="{{.Base}}/kb/{{.Slug}}/solved" accept-charset="utf-8">
<input type="hidden" name="t" value="{{.Token}}">
<p>{{.L.T "Did this article solve the problem of your ticket %s?" .Ref}}</p>
<p><button type="submit">{{.L.T "This solved my problem"}}</button></p>
</form>
{{- end}}
{{- end}}
</main>
</body>
</html>
`))

type kbPage struct {
	L       locale
	Title   string
	CSS     template.CSS
	Base    string
	Index   bool
	Query   string
	Results []tickets.Suggestion
	// An article's page.
	Slug, Ref, Token string
	Body             template.HTML
	Problem, Done    string
}

func (p *kbPages) render(w http.ResponseWriter, status int, pg kbPage) {
	pg.CSS, pg.Base = template.CSS(pageCSS), p.s.base
	var b bytes.Buffer
	if err := kbTemplates.Execute(&b, pg); err != nil {
		p.s.log.Error("rendering a page", "title", pg.Title, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

func (p *kbPages) index(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > maxSearchWords {
		q = strings.ToValidUTF8(q[:maxSearchWords], "")
	}
	l := localeFor(r, "")
	pg := kbPage{L: l, Title: l.T("Help articles"), Index: true, Query: q}
	if q != "" {
		found, err := p.a.SearchArticles(r.Context(), q, "", 20)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		pg.Results = found
	} else {
		list, err := p.a.PublishedArticles(r.Context())
		if err != nil {
			p.fail(w, r, err)
			return
		}
		for _, a := range list {
			pg.Results = append(pg.Results, tickets.Suggestion{Slug: a.Slug, Title: a.Title})
		}
	}
	p.render(w, http.StatusOK, pg)
}

func (p *kbPages) fail(w http.ResponseWriter, r *http.Request, err error) {
	p.s.log.Error("knowledge base page", "err", err)
	p.s.errorPage(w, r, http.StatusInternalServerError, "Something went wrong", "Please try again in a moment.")
}

// page is the page of article slug, with its button for the token t
// when t is good for it; nil after writing a 404 or an error.
func (p *kbPages) page(w http.ResponseWriter, r *http.Request) (*kbPage, *tickets.Article) {
	slug := r.PathValue("slug")
	var a *tickets.Article
	err := tickets.ErrNotFound
	if tickets.ValidSlug(slug) {
		a, err = p.a.PublishedArticle(r.Context(), slug)
	}
	if errors.Is(err, tickets.ErrNotFound) {
		p.s.errorPage(w, r, http.StatusNotFound, "Article not found", "There is no article at this address. It may have been withdrawn.")
		return nil, nil
	}
	if err != nil {
		p.fail(w, r, err)
		return nil, nil
	}
	var body bytes.Buffer
	if err := markdown.Convert([]byte(a.Body), &body); err != nil {
		p.fail(w, r, err)
		return nil, nil
	}
	// The page around an article speaks the article's language.
	return &kbPage{L: localeFor(r, a.Language), Title: a.Title, Slug: a.Slug, Body: template.HTML(body.String())}, a
}

func (p *kbPages) article(w http.ResponseWriter, r *http.Request) {
	pg, a := p.page(w, r)
	if pg == nil {
		return
	}
	if t := r.URL.Query().Get("t"); t != "" {
		d, err := p.a.SolvedByLink(r.Context(), t, false)
		switch {
		case err == nil && d.Article.ArticleID == a.ID:
			pg.Token, pg.Ref = t, d.Ref
		case errors.Is(err, tickets.ErrNotDeflectable):
			pg.Done = pg.L.T("Your ticket is already being handled, or was resolved.")
		}
		// Any other token: the article, without a button.
	}
	p.render(w, http.StatusOK, *pg)
}

func (p *kbPages) solved(w http.ResponseWriter, r *http.Request) {
	if !p.s.sameOrigin(r) {
		p.s.errorPage(w, r, http.StatusForbidden, "This form was sent from another site",
			"Nothing was recorded. Please open the link from our email and press the button on that page.")
		return
	}
	pg, a := p.page(w, r)
	if pg == nil {
		return
	}
	if err := r.ParseForm(); err != nil {
		p.s.errorPage(w, r, http.StatusBadRequest, "The form could not be read", "Nothing was recorded. Please open the link from our email again.")
		return
	}
	t := r.PostForm.Get("t")
	d, err := p.a.SolvedByLink(r.Context(), t, false)
	if err == nil && d.Article.ArticleID != a.ID {
		err = tickets.ErrSolvedLinkInvalid
	}
	if err == nil {
		d, err = p.a.SolvedByLink(r.Context(), t, true)
	}
	switch {
	case err == nil:
		pg.Done = pg.L.T("Thank you! We have closed your request as solved by this article. If the problem comes back, just reply to our email.")
		p.render(w, http.StatusOK, *pg)
	case errors.Is(err, tickets.ErrNotDeflectable):
		pg.Done = pg.L.T("Your ticket is already being handled, or was resolved: nothing changed.")
		p.render(w, http.StatusOK, *pg)
	case errors.Is(err, tickets.ErrSolvedLinkExpired):
		pg.Problem = pg.L.T("This link has expired. Nothing was recorded; please reply to our email instead.")
		p.render(w, http.StatusGone, *pg)
	case errors.Is(err, tickets.ErrSolvedLinkInvalid), errors.Is(err, tickets.ErrNotFound):
		pg.Problem = pg.L.T("This link is not valid. Nothing was recorded; please open the link from our email again.")
		p.render(w, http.StatusNotFound, *pg)
	default:
		p.fail(w, r, err)
	}
}
