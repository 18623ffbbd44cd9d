package tickets

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// The knowledge base: articles in Markdown that answer recurring
// problems. An agent's #kb in a resolving reply (or `helpdesk kb add
// --from-ticket`) drafts one from the ticket's subject and resolution
// note; an admin edits and publishes it. A new ticket's acknowledgement
// suggests up to three published articles that match its subject and
// text well (see Suggest); a weak match suggests nothing.

// ArticleStatus is where an article stands: only a published one is
// suggested and served.
type ArticleStatus string

// The statuses of an article.
const (
	ArticleDraft     ArticleStatus = "draft"
	ArticlePublished ArticleStatus = "published"
	ArticleRetired   ArticleStatus = "retired"
)

// Article is one knowledge-base article.
type Article struct {
	ID    int64
	Slug  string // its name in links: base_url/kb/SLUG
	Title string
	Body  string // Markdown
	Tags  []string
	// Language and Queue are the tickets it is suggested to; "" fits all.
	Language string
	Queue    string
	Status   ArticleStatus
	// Tickets are the tickets it came from, in order of ID.
	Tickets     []int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	PublishedAt time.Time
}

// ArticleFilter narrows ListArticles; zero fields match everything.
type ArticleFilter struct {
	Status ArticleStatus
}

// ArticleQuery asks the store for the published articles that fit
// Language and Queue (an article with "" fits any; "" in the query takes
// any article) and hold at least one of Terms (as SearchTerms makes them).
type ArticleQuery struct {
	Terms    []string
	Language string
	Queue    string
}

// ArticleCandidates are what the store found for an ArticleQuery: the
// articles with their terms, and the size of all the articles that fit
// the language and queue, which the ranking needs.
type ArticleCandidates struct {
	Matches []ArticleMatch
	// Articles is how many published articles fit, Words how many terms
	// they hold in all.
	Articles, Words int
}

// ArticleMatch is one article that holds a term of the query.
type ArticleMatch struct {
	Article Article // without Body and Tickets
	Terms   string  // as stored: SearchTerms of the article, space-separated
}

// Suggestion is an article a ticket's acknowledgement suggested.
type Suggestion struct {
	ArticleID int64
	Slug      string
	Title     string
	Score     float64 // 0 when read back from the store
}

// ErrSlugTaken: another article has that slug.
var ErrSlugTaken = errors.New("slug taken")

// slugRE is what a slug may be: lowercase letters, digits and dashes.
var slugRE = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// maxSlug bounds a slug, in characters.
const maxSlug = 80

// ValidSlug reports whether s can name an article.
func ValidSlug(s string) bool { return len(s) <= maxSlug && slugRE.MatchString(s) }

// Slugify makes a slug of a title: folded to ASCII letters and digits,
// words joined by dashes, at most maxSlug characters ("article" when
// nothing is left).
func Slugify(title string) string {
	var words []string
	n := 0
	for _, w := range strings.FieldsFunc(fold(strings.ToLower(title)), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		if n+len(w)+1 > maxSlug {
			break
		}
		words = append(words, w)
		n += len(w) + 1
	}
	if len(words) == 0 {
		return "article"
	}
	return strings.Join(words, "-")
}

// Check says what is wrong with a, or nil.
func (a *Article) Check() error {
	switch {
	case strings.TrimSpace(a.Title) == "":
		return fmt.Errorf("the article has no title")
	case !ValidSlug(a.Slug):
		return fmt.Errorf("slug %q: use lowercase letters, digits and dashes, at most %d", a.Slug, maxSlug)
	}
	switch a.Status {
	case ArticleDraft, ArticlePublished, ArticleRetired:
	default:
		return fmt.Errorf("status %q: use draft, published or retired", a.Status)
	}
	return nil
}

// ArticleTerms are the terms an article is found by: its title (twice,
// a title says most), its tags and its text.
func ArticleTerms(a *Article) []string {
	return SearchTerms(a.Title + "\n" + a.Title + "\n" + strings.Join(a.Tags, " ") + "\n" + a.Body)
}

// SearchTerms splits text into the terms the knowledge base searches:
// words lowercased, folded to their letters without accents, stripped of
// the commonest endings of English, German, French and Spanish, without
// the words that say nothing of a problem ("the", "mein", "pour"). Both
// databases index these terms and get them as the query, so that both
// match and rank alike.
func SearchTerms(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(fold(strings.ToLower(text)), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if stopWords[w] || len(w) < 2 || len(w) > 40 {
			continue
		}
		out = append(out, stem(w))
	}
	return out
}

// fold removes accents: "é" is "e", "ñ" is "n"; "ß" stays.
func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// stemEndings are stripped from a word, the first that fits, when at
// least four letters stay: "printers", "printing" and "printed" are all
// "print"; "passwords" is "password", "Druckers" "druck".
var stemEndings = []string{
	"ations", "ation", "ions", "ion", "ings", "ing", "ern", "ers", "ed", "es", "en", "er", "e", "s",
}

func stem(w string) string {
	if strings.IndexFunc(w, unicode.IsDigit) >= 0 {
		return w // "2fa", "windows11", "404"
	}
	for _, end := range stemEndings {
		rest := strings.TrimSuffix(w, end)
		if len(rest) == len(w) || len([]rune(rest)) < 4 {
			continue
		}
		switch {
		case end == "s" && strings.ContainsRune("siu", rune(rest[len(rest)-1])):
			continue // "access", "status", "analysis": not plurals
		case end == "en" && rest[len(rest)-1] == 'e':
			continue // "screen"
		}
		return rest
	}
	return w
}

// stopWords say nothing of a problem: the commonest words of English,
// German, French and Spanish mail (folded, without accents).
var stopWords = wordSet(`
	a about after again all also am an and any are as at be because been before being but by can
	could did do does doing dont for from get got had has have having he her here hi hello his how
	i if im in into is it its ive just me more my no not now of on one or our out please since
	so some still than thanks thank that the their them then there these they this to too up us
	very was we were what when where which while who why will with would you your yours dear
	regards best kind today yesterday morning help need problem issue
	aber als am an auch auf aus bei bin bis bitte da das dass dem den der des die doch du ein eine
	einen einem einer es fur hallo hat habe haben ich ihr im in ist ja jetzt kann kein keine mein
	meine meinem meinen mich mir mit nach nicht noch nur oder schon sehr sie sind so und uns von
	vor war was wenn wie wir wird zu zum zur danke gruße grusse guten tag
	au aux avec ce ces dans de des du elle en est et etre il ils je la le les leur lui ma mais me
	mes moi mon ne nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une
	vos votre vous bonjour merci cordialement
	al como con de del el ella en es esta este estoy hay la las le lo los me mi mis muy no nos o
	para pero por que se sin su sus te tengo un una uno y ya hola gracias saludos
`)

// Ranking: BM25 (Robertson and Zaragoza, "The Probabilistic Relevance
// Framework: BM25 and Beyond", 2009) over the terms, with its usual k1
// and b. The store finds the articles that hold a term (SQLite FTS4,
// PostgreSQL tsvector); since every article that holds a term is among
// them, their terms give each term's document frequency exactly, and the
// ranking is the same on both databases.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// SuggestThreshold is the least score (see Rank) an article needs to be
// suggested. Tuned on the fixture of bench/ (see bench/RESULTS.md) for
// precision: no suggestion is better than a wrong one.
const SuggestThreshold = 0.2

// MaxSuggestions is how many articles an acknowledgement suggests at most.
const MaxSuggestions = 3

// Rank scores the candidates for the query terms q, best first. The
// score is BM25 divided by the most the query's terms could score
// (each at term frequency saturation in an article of average length),
// so it runs from 0 to about 1 whatever the query's length: 1 means the
// article holds every term of the query, often. Ties go to the lower ID.
func Rank(q []string, c ArticleCandidates) []Suggestion {
	if len(c.Matches) == 0 || c.Articles == 0 {
		return nil
	}
	query := map[string]int{}
	for _, t := range q {
		query[t]++
	}
	docs := make([]map[string]int, len(c.Matches))
	lens := make([]int, len(c.Matches))
	df := map[string]int{}
	for i, m := range c.Matches {
		docs[i] = map[string]int{}
		for _, t := range strings.Fields(m.Terms) {
			docs[i][t]++
			lens[i]++
		}
		for t := range docs[i] {
			if _, ok := query[t]; ok {
				df[t]++
			}
		}
	}
	n := float64(c.Articles)
	avg := float64(c.Words) / n
	if avg <= 0 {
		avg = 1
	}
	idf := func(t string) float64 {
		d := float64(df[t])
		return math.Log(1 + (n-d+0.5)/(d+0.5))
	}
	// The most the query could score: each term as if it were in one
	// article only.
	best := 0.0
	for _, qf := range query {
		best += float64(qf) * math.Log(1+(n-0.5)/1.5) * (bm25K1 + 1)
	}
	var out []Suggestion
	for i, m := range c.Matches {
		score, shared := 0.0, 0
		for t, qf := range query {
			tf := float64(docs[i][t])
			if tf == 0 {
				continue
			}
			shared++
			norm := bm25K1 * (1 - bm25B + bm25B*float64(lens[i])/avg)
			score += float64(qf) * idf(t) * tf * (bm25K1 + 1) / (tf + norm)
		}
		if best > 0 {
			score /= best
		}
		if shared < 2 {
			// One word in common is a coincidence as often as not
			// ("book" a desk, a charge "booked" twice).
			score /= 2
		}
		out = append(out, Suggestion{ArticleID: m.Article.ID, Slug: m.Article.Slug, Title: m.Article.Title, Score: score})
	}
	slices.SortStableFunc(out, func(a, b Suggestion) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return int(a.ArticleID - b.ArticleID)
	})
	return out
}

// PickSuggestions picks from ranked what an acknowledgement suggests: at
// most MaxSuggestions, each scoring at least threshold.
//
// An article after the first must also score at least SuggestCloseTo
// of the first's: one clear answer is not diluted by weaker ones.
func PickSuggestions(ranked []Suggestion, threshold float64) []Suggestion {
	var out []Suggestion
	for _, s := range ranked {
		if s.Score < threshold || len(out) == MaxSuggestions || len(out) > 0 && s.Score < SuggestCloseTo*out[0].Score {
			break
		}
		out = append(out, s)
	}
	return out
}

// SuggestCloseTo: see PickSuggestions. Tuned with SuggestThreshold.
const SuggestCloseTo = 0.7

// maxQueryTerms bounds the terms of a ticket that a search takes: the
// subject's and the start of the text, where a customer says what is
// wrong.
const maxQueryTerms = 60

// TicketQuery is the query terms of a ticket with subject and text:
// the subject's terms twice (it names the problem), then the text's, at
// most maxQueryTerms in all, each term once in the text.
func TicketQuery(subject, text string) []string {
	subj := SearchTerms(subject)
	out := append(slices.Clone(subj), subj...)
	seen := map[string]bool{}
	for _, t := range subj {
		seen[t] = true
	}
	for _, t := range SearchTerms(text) {
		if len(out) >= maxQueryTerms {
			break
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// KBReader reads the knowledge base (part of Reader).
type KBReader interface {
	// Article reads article id, with its tickets.
	Article(ctx context.Context, id int64) (*Article, error)
	// ArticleBySlug reads the article named slug, with its tickets.
	ArticleBySlug(ctx context.Context, slug string) (*Article, error)
	// ListArticles lists articles without their text, by ID.
	ListArticles(ctx context.Context, f ArticleFilter) ([]Article, error)
	// SearchArticles finds the published articles for q (see ArticleQuery).
	SearchArticles(ctx context.Context, q ArticleQuery) (ArticleCandidates, error)
	// PublishedArticles counts the published articles in language and
	// queue ("" for any), those of every language or queue included: a
	// ticket in a queue without any is not searched for at all.
	PublishedArticles(ctx context.Context, language, queue string) (int, error)
	// Suggestions are the articles ticket's acknowledgement suggested,
	// best first.
	Suggestions(ctx context.Context, ticketID int64) ([]Suggestion, error)
}

// KBWriter changes the knowledge base (part of Tx).
type KBWriter interface {
	// CreateArticle stores a and its tickets and sets its ID;
	// ErrSlugTaken when another article has its slug.
	CreateArticle(ctx context.Context, a *Article) error
	// UpdateArticle stores a's fields and adds its tickets not linked yet.
	UpdateArticle(ctx context.Context, a *Article) error
	// SaveSuggestions records the articles ticket's acknowledgement
	// suggests, best first.
	SaveSuggestions(ctx context.Context, ticketID int64, s []Suggestion) error
}
