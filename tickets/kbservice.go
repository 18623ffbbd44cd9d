package tickets

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// KBOptions configure the knowledge base's part in the desk.
type KBOptions struct {
	// BaseURL is the desk's web address (http.base_url), without a
	// trailing slash; articles are at BaseURL/kb/SLUG. "" when the desk
	// serves no web pages: suggestions then name articles without a link,
	// and #kb-link is refused.
	BaseURL string
	// Language is the language of a ticket whose language is not known
	// (default "en"): suggestions come from articles in it, or in none.
	Language string
	// Threshold is the least score an article needs to be suggested
	// (default SuggestThreshold; see Rank).
	Threshold float64
	// Off turns suggestions off.
	Off bool
}

func (o KBOptions) withDefaults() KBOptions {
	if o.Language == "" {
		o.Language = "en"
	}
	if o.Threshold <= 0 {
		o.Threshold = SuggestThreshold
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	return o
}

// Event kinds of the knowledge base.
const (
	// EventKB records an article drafted from the ticket, and the
	// articles its acknowledgement suggested.
	EventKB = "kb"
	// EventDeflected records a ticket that a suggested article solved:
	// the customer said so, and it was resolved without an agent.
	EventDeflected = "deflected"
)

// ticketLanguage is the language t's customer writes in: the ticket's
// (see customerLanguage), else the desk's default, else the knowledge
// base's.
func (s *Service) ticketLanguage(t *Ticket) string {
	switch {
	case t != nil && t.Language != "":
		return t.Language
	case s.opts.Languages.Default != "":
		return s.opts.Languages.Default
	}
	return s.kb.Language
}

// Suggest ranks the published articles for a ticket's subject and text
// in language and queue, and returns those an acknowledgement would
// suggest, best first.
func (s *Service) Suggest(ctx context.Context, r Reader, subject, text, language, queue string) ([]Suggestion, error) {
	ranked, err := s.RankTicket(ctx, r, subject, text, language, queue)
	if err != nil {
		return nil, err
	}
	return PickSuggestions(ranked, s.kb.Threshold), nil
}

// RankTicket ranks every published article in language and queue that
// shares a term with a ticket's subject and text, best first, however
// weak the match (see Suggest for what is suggested).
func (s *Service) RankTicket(ctx context.Context, r Reader, subject, text, language, queue string) ([]Suggestion, error) {
	// Most queues have no article: then no terms are worth computing.
	n, err := r.PublishedArticles(ctx, language, queue)
	if err != nil {
		return nil, fmt.Errorf("searching the knowledge base: %w", err)
	}
	if n == 0 {
		return nil, nil
	}
	return s.rankFor(ctx, r, TicketQuery(subject, text), language, queue)
}

// SearchArticles ranks the published articles for words typed in a
// search box, in language (any with "") and any queue, best first, at
// most limit; a weak match is left out as for suggestions.
func (s *Service) SearchArticles(ctx context.Context, words, language string, limit int) ([]Suggestion, error) {
	ranked, err := s.rankFor(ctx, s.store, SearchTerms(words), language, "")
	if err != nil {
		return nil, err
	}
	var out []Suggestion
	for _, r := range ranked {
		// Words typed to search are few and chosen: half the threshold.
		if r.Score < s.kb.Threshold/2 || len(out) == limit {
			break
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *Service) rankFor(ctx context.Context, r Reader, q []string, language, queue string) ([]Suggestion, error) {
	if len(q) == 0 {
		return nil, nil
	}
	c, err := r.SearchArticles(ctx, ArticleQuery{Terms: q, Language: language, Queue: queue})
	if err != nil {
		return nil, fmt.Errorf("searching the knowledge base: %w", err)
	}
	return Rank(q, c), nil
}

// suggestFor finds the articles to suggest in the acknowledgement of
// the new ticket t, whose first mail is msg, and records them.
// It reports whether it suggested any.
func (s *Service) suggestFor(ctx context.Context, tx Tx, t *Ticket, msg *Message, now time.Time) (bool, error) {
	if s.kb.Off {
		return false, nil
	}
	sg, err := s.Suggest(ctx, tx, t.Subject, msg.Text, s.ticketLanguage(t), t.Queue)
	if err != nil || len(sg) == 0 {
		return false, err
	}
	if err := tx.SaveSuggestions(ctx, t.ID, sg); err != nil {
		return false, fmt.Errorf("recording the suggestions of ticket %d: %w", t.ID, err)
	}
	var names []string
	for _, a := range sg {
		names = append(names, fmt.Sprintf("%s (%.2f)", a.Slug, a.Score))
	}
	return true, s.event(ctx, tx, t.ID, EventKB, "system", "articles suggested: "+strings.Join(names, ", "), now)
}

// DraftArticle drafts an article from ticket id's subject and resolution
// note, as actor, linked to the ticket; an admin edits and publishes it.
func (s *Service) DraftArticle(ctx context.Context, id int64, actor string) (*Article, error) {
	var out *Article
	err := s.store.InTx(ctx, func(tx Tx) error {
		t, err := tx.Ticket(ctx, id)
		if err != nil {
			return fmt.Errorf("ticket %s: %w", s.Ref(id), err)
		}
		out, err = s.draftInTx(ctx, tx, t, actor, s.now().UTC())
		return err
	})
	return out, err
}

// draftInTx drafts the article of t, which must have a resolution note.
func (s *Service) draftInTx(ctx context.Context, tx Tx, t *Ticket, actor string, now time.Time) (*Article, error) {
	if strings.TrimSpace(t.Resolution) == "" {
		return nil, fmt.Errorf("ticket %s has no resolution note to draft an article from", s.Ref(t.ID))
	}
	a := &Article{
		Title:     t.Subject,
		Body:      "## Problem\n\n" + t.Subject + "\n\n## Solution\n\n" + t.Resolution + "\n",
		Tags:      t.Tags,
		Language:  s.ticketLanguage(t),
		Queue:     t.Queue,
		Status:    ArticleDraft,
		Tickets:   []int64{t.ID},
		CreatedAt: now,
		UpdatedAt: now,
	}
	if err := s.CreateArticle(ctx, tx, a); err != nil {
		return nil, err
	}
	if err := s.event(ctx, tx, t.ID, EventKB, actor, fmt.Sprintf("article %s drafted from the resolution", a.Slug), now); err != nil {
		return nil, err
	}
	return a, nil
}

// CreateArticle stores a, with a slug made of its title when it has
// none, numbered (-2, -3, ...) while another article has it.
func (s *Service) CreateArticle(ctx context.Context, tx Tx, a *Article) error {
	base := a.Slug
	if base == "" {
		base = Slugify(a.Title)
	}
	if a.Status == "" {
		a.Status = ArticleDraft
	}
	for n := 1; ; n++ {
		a.Slug = base
		if n > 1 {
			suffix := "-" + strconv.Itoa(n)
			a.Slug = strings.TrimRight(base[:min(len(base), maxSlug-len(suffix))], "-") + suffix
		}
		if err := a.Check(); err != nil {
			return err
		}
		if _, err := tx.ArticleBySlug(ctx, a.Slug); errors.Is(err, ErrNotFound) {
			break
		} else if err != nil {
			return err
		}
		if n == 100 {
			return fmt.Errorf("article %q: %w", base, ErrSlugTaken)
		}
	}
	return tx.CreateArticle(ctx, a)
}

// Deflected is a ticket a suggested article solved.
type Deflected struct {
	Ticket  *Ticket
	Ref     string // the ticket's reference, HD#1042
	Article Suggestion
}

// deflect resolves t, which got the suggestions sg, as solved by them:
// actor (the customer) said so, by mail or on an article's page (where
// the article is the one of sg with ID article; 0 for any).
func (s *Service) deflect(ctx context.Context, tx Tx, t *Ticket, sg []Suggestion, article int64, actor, how string, now time.Time) error {
	var named []string
	for _, a := range sg {
		if article == 0 || a.ArticleID == article {
			named = append(named, fmt.Sprintf("%q (%s)", a.Title, s.articleRef(a.Slug)))
		}
	}
	note := "Solved by the knowledge-base article " + strings.Join(named, ", ") + ", suggested in the acknowledgement; the customer confirmed " + how + "."
	if len(named) > 1 {
		note = "Solved by one of the knowledge-base articles " + strings.Join(named, ", ") + ", suggested in the acknowledgement; the customer confirmed " + how + "."
	}
	if err := s.event(ctx, tx, t.ID, EventDeflected, actor, strings.Join(named, ", ")+" "+how, now); err != nil {
		return err
	}
	return s.changeStatus(ctx, tx, t, StatusResolved, note, actor, now)
}

// articleRef is where an article is read: its link, or kb/SLUG without
// a base_url.
func (s *Service) articleRef(slug string) string {
	if s.kb.BaseURL == "" {
		return "kb/" + slug
	}
	return s.kb.BaseURL + "/kb/" + slug
}

// deflectable reports whether a customer's mail on t may still be the
// answer to its acknowledgement's suggestions: the ticket is new or open
// and no agent has answered yet. A web ticket still unverified is too:
// its acknowledgement's link reached the customer, which confirms it.
func deflectable(t *Ticket) bool {
	return (t.Status == StatusNew || t.Status == StatusOpen || t.Status == StatusUnverified) && t.FirstResponseAt.IsZero()
}

// Errors of "this solved my problem" links.
var (
	// ErrSolvedLinkInvalid: the token is not one the desk made.
	ErrSolvedLinkInvalid = errors.New("not a valid link")
	// ErrSolvedLinkExpired: the token is the desk's, but too old.
	ErrSolvedLinkExpired = errors.New("the link has expired")
	// ErrNotDeflectable: an agent answered the ticket already, or it is
	// resolved, closed or merged; or the article was not suggested to it.
	ErrNotDeflectable = errors.New("the ticket is not waiting for its first answer")
)

// A solved link token lets the customer of one ticket say that one
// suggested article solved the problem: "1042-7-1767225600-<sig>" is
// ticket 1042, article 7, the expiry in Unix seconds and an HMAC-SHA256
// of the three under the desk's secret, with a prefix of its own.

func (s *Signer) solvedSig(ticket, article, expires int64) string {
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte("helpdesk-kb-solved:"))
	mac.Write([]byte(strconv.FormatInt(ticket, 10) + "\x00" + strconv.FormatInt(article, 10) + "\x00" + strconv.FormatInt(expires, 10)))
	return lowerBase32.EncodeToString(mac.Sum(nil))[:csatSigLen]
}

// SolvedToken returns the token of ticket's "this solved my problem"
// button on article's page, valid until expires.
func (s *Signer) SolvedToken(ticket, article int64, expires time.Time) string {
	exp := expires.Unix()
	return fmt.Sprintf("%d-%d-%d-%s", ticket, article, exp, s.solvedSig(ticket, article, exp))
}

var solvedTokenRE = regexp.MustCompile(`^([1-9][0-9]{0,17})-([1-9][0-9]{0,17})-([1-9][0-9]{0,17})-([a-z2-7]{26})$`)

// SolvedClaim checks token at now and returns its ticket and article.
func (s *Signer) SolvedClaim(token string, now time.Time) (ticket, article int64, err error) {
	m := solvedTokenRE.FindStringSubmatch(token)
	if m == nil {
		return 0, 0, ErrSolvedLinkInvalid
	}
	ticket, _ = strconv.ParseInt(m[1], 10, 64)
	article, _ = strconv.ParseInt(m[2], 10, 64)
	exp, _ := strconv.ParseInt(m[3], 10, 64)
	if !hmac.Equal([]byte(m[4]), []byte(s.solvedSig(ticket, article, exp))) {
		return 0, 0, ErrSolvedLinkInvalid
	}
	if !now.Before(time.Unix(exp, 0)) {
		return ticket, article, ErrSolvedLinkExpired
	}
	return ticket, article, nil
}

// SolvedByLink checks a solved link token; with record, it resolves the
// ticket as deflected by the article (a POST), without, it only says
// what the link would do (a GET: a mail scanner opens every link). Its
// errors: ErrSolvedLinkInvalid, ErrSolvedLinkExpired, ErrNotFound and
// ErrNotDeflectable.
func (s *Service) SolvedByLink(ctx context.Context, token string, record bool) (*Deflected, error) {
	now := s.now().UTC()
	ticket, article, err := s.signer.SolvedClaim(token, now)
	if err != nil {
		return nil, err
	}
	var out *Deflected
	err = s.store.InTx(ctx, func(tx Tx) error {
		t, err := tx.Ticket(ctx, ticket)
		if err != nil {
			return fmt.Errorf("ticket %s: %w", s.Ref(ticket), err)
		}
		sg, err := tx.Suggestions(ctx, t.ID)
		if err != nil {
			return err
		}
		var hit *Suggestion
		for i := range sg {
			if sg[i].ArticleID == article {
				hit = &sg[i]
			}
		}
		if hit == nil || !deflectable(t) {
			return fmt.Errorf("ticket %s is %s: %w", s.Ref(t.ID), t.Status, ErrNotDeflectable)
		}
		out = &Deflected{Ticket: t, Ref: s.Ref(t.ID), Article: *hit}
		if !record {
			return nil
		}
		return s.deflect(ctx, tx, t, sg, article, EmailKey(t.Requester.Email), "on the article's page", now)
	})
	return out, err
}

// ArticleURL is the address of the published article slug, "" without
// a base_url.
func (s *Service) ArticleURL(slug string) string {
	if s.kb.BaseURL == "" {
		return ""
	}
	return s.kb.BaseURL + "/kb/" + slug
}

// kbLinkRE finds "#kb-link SLUG" in an agent's answer.
var kbLinkRE = regexp.MustCompile(`#kb-link[ \t]+([^\s]*)`)

// expandKBLinks replaces each "#kb-link SLUG" in an agent's answer with
// the published article's title and link, and says what is wrong with
// each that cannot be: an unknown slug, an article not published, a desk
// without a base_url.
func (s *Service) expandKBLinks(ctx context.Context, tx Tx, text string) (string, []Problem) {
	var problems []Problem
	out := kbLinkRE.ReplaceAllStringFunc(text, func(m string) string {
		slug := strings.TrimRight(kbLinkRE.FindStringSubmatch(m)[1], ".,;:!)")
		rest := kbLinkRE.FindStringSubmatch(m)[1][len(slug):]
		if s.kb.BaseURL == "" {
			problems = append(problems, Problem{Text: m, Format: "the desk has no [http] base_url, so articles have no link"})
			return m
		}
		a, err := tx.ArticleBySlug(ctx, slug)
		switch {
		case errors.Is(err, ErrNotFound):
			problems = append(problems, Problem{Text: m, Format: "no article %q", Args: []any{slug}})
			return m
		case err != nil:
			problems = append(problems, Problem{Text: m, Format: "the article could not be read: %v", Args: []any{err}})
			return m
		case a.Status != ArticlePublished:
			problems = append(problems, Problem{Text: m, Format: "the article %q is %s, not published", Args: []any{slug, a.Status}})
			return m
		}
		return a.Title + " <" + s.ArticleURL(a.Slug) + ">" + rest
	})
	return out, problems
}

// ArticleByRef reads an article by its slug, or by its ID written as a
// number.
func (s *Service) ArticleByRef(ctx context.Context, ref string) (*Article, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		a, err := s.store.Article(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("article %d: %w", id, err)
		}
		return a, nil
	}
	a, err := s.store.ArticleBySlug(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("article %q: %w", ref, err)
	}
	return a, nil
}

// SaveArticle stores an admin's edit of article a (found by its ID):
// title, slug, text, tags, language, queue. The status stays; see
// SetArticleStatus.
func (s *Service) SaveArticle(ctx context.Context, a *Article) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		old, err := tx.Article(ctx, a.ID)
		if err != nil {
			return fmt.Errorf("article %d: %w", a.ID, err)
		}
		a.Status, a.CreatedAt, a.PublishedAt = old.Status, old.CreatedAt, old.PublishedAt
		a.Tickets = nil
		a.UpdatedAt = s.now().UTC()
		if err := a.Check(); err != nil {
			return err
		}
		return tx.UpdateArticle(ctx, a)
	})
}

// SetArticleStatus publishes, retires or sets back to draft the article
// ref (slug or ID).
func (s *Service) SetArticleStatus(ctx context.Context, ref string, st ArticleStatus) (*Article, error) {
	a, err := s.ArticleByRef(ctx, ref)
	if err != nil {
		return nil, err
	}
	switch {
	case st != ArticleDraft && st != ArticlePublished && st != ArticleRetired:
		return nil, fmt.Errorf("status %q: use draft, published or retired", st)
	case a.Status == st:
		return nil, fmt.Errorf("article %s is already %s", a.Slug, st)
	}
	err = s.store.InTx(ctx, func(tx Tx) error {
		now := s.now().UTC()
		a.Status, a.UpdatedAt = st, now
		if st == ArticlePublished {
			a.PublishedAt = now
		}
		a.Tickets = nil
		return tx.UpdateArticle(ctx, a)
	})
	if err != nil {
		return nil, err
	}
	return s.ArticleByRef(ctx, a.Slug)
}

// AddArticle stores a new article (draft unless a says otherwise) as an
// admin wrote it, with a slug from its title when it has none.
func (s *Service) AddArticle(ctx context.Context, a *Article) error {
	now := s.now().UTC()
	a.CreatedAt, a.UpdatedAt = now, now
	if a.Status == ArticlePublished {
		a.PublishedAt = now
	}
	return s.store.InTx(ctx, func(tx Tx) error { return s.CreateArticle(ctx, tx, a) })
}

// PublishedArticle reads the published article slug: ErrNotFound when it
// is a draft, retired, or none.
func (s *Service) PublishedArticle(ctx context.Context, slug string) (*Article, error) {
	a, err := s.store.ArticleBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	if a.Status != ArticlePublished {
		return nil, fmt.Errorf("article %q is %s: %w", slug, a.Status, ErrNotFound)
	}
	return a, nil
}

// PublishedArticles lists the published articles, by title.
func (s *Service) PublishedArticles(ctx context.Context) ([]Article, error) {
	list, err := s.store.ListArticles(ctx, ArticleFilter{Status: ArticlePublished})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(list, func(a, b Article) int { return strings.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title)) })
	return list, nil
}
