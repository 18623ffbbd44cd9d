package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"helpdesk/tickets"
)

// addKBQueries adds the knowledge base's queries (kb.sql, and
// kb_<driver>.sql over it) to q.
func addKBQueries(q map[string]string, driver string) error {
	for _, file := range []string{"kb.sql", "kb_" + driver + ".sql"} {
		src, err := dialectQueries.ReadFile(file)
		if err != nil {
			return err
		}
		more, err := parseQueries(src)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		for name, text := range more {
			if _, dup := q[name]; dup {
				return fmt.Errorf("%s: query %s defined twice", file, name)
			}
			q[name] = text
		}
	}
	return nil
}

type articleRow struct {
	ID          int64        `db:"id"`
	Slug        string       `db:"slug"`
	Title       string       `db:"title"`
	Body        string       `db:"body"`
	Tags        string       `db:"tags"`
	Language    string       `db:"language"`
	Queue       string       `db:"queue"`
	Status      string       `db:"status"`
	CreatedAt   time.Time    `db:"created_at"`
	UpdatedAt   time.Time    `db:"updated_at"`
	PublishedAt sql.NullTime `db:"published_at"`
}

func (r articleRow) article() tickets.Article {
	return tickets.Article{
		ID: r.ID, Slug: r.Slug, Title: r.Title, Body: r.Body, Tags: strings.Fields(r.Tags),
		Language: r.Language, Queue: r.Queue, Status: tickets.ArticleStatus(r.Status),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), PublishedAt: r.PublishedAt.Time.UTC(),
	}
}

func (s *Store) Article(ctx context.Context, id int64) (*tickets.Article, error) {
	return s.read().Article(ctx, id)
}

func (s *Store) ArticleBySlug(ctx context.Context, slug string) (*tickets.Article, error) {
	return s.read().ArticleBySlug(ctx, slug)
}

func (s *Store) ListArticles(ctx context.Context, f tickets.ArticleFilter) ([]tickets.Article, error) {
	return s.read().ListArticles(ctx, f)
}

func (s *Store) SearchArticles(ctx context.Context, q tickets.ArticleQuery) (tickets.ArticleCandidates, error) {
	c, err := s.read().SearchArticles(ctx, q)
	if err != nil {
		return c, err
	}
	return c, nil
}

func (s *Store) PublishedArticles(ctx context.Context, language, queue string) (int, error) {
	return s.read().PublishedArticles(ctx, language, queue)
}

func (s *Store) Suggestions(ctx context.Context, ticketID int64) ([]tickets.Suggestion, error) {
	return s.read().Suggestions(ctx, ticketID)
}

func (q *queries) Article(ctx context.Context, id int64) (*tickets.Article, error) {
	return q.article(ctx, "kb-article", id)
}

func (q *queries) ArticleBySlug(ctx context.Context, slug string) (*tickets.Article, error) {
	return q.article(ctx, "kb-article-by-slug", slug)
}

func (q *queries) article(ctx context.Context, name string, key any) (*tickets.Article, error) {
	var r articleRow
	if err := q.get(ctx, &r, name, key); err != nil {
		return nil, err
	}
	a := r.article()
	if err := q.selectAll(ctx, &a.Tickets, "kb-article-tickets", a.ID); err != nil {
		return nil, err
	}
	return &a, nil
}

func (q *queries) ListArticles(ctx context.Context, f tickets.ArticleFilter) ([]tickets.Article, error) {
	var rows []articleRow
	if err := q.selectAll(ctx, &rows, "kb-list", string(f.Status), string(f.Status)); err != nil {
		return nil, err
	}
	out := make([]tickets.Article, len(rows))
	for i, r := range rows {
		out[i] = r.article()
	}
	return out, nil
}

// SearchArticles matches the terms through the database's full-text
// index: on SQLite the FTS4 table kb_fts, on PostgreSQL the GIN index of
// the terms' tsvector. A term is letters and digits only (see
// tickets.SearchTerms), so quoting it is enough to keep it a term.
func (q *queries) SearchArticles(ctx context.Context, aq tickets.ArticleQuery) (tickets.ArticleCandidates, error) {
	var out tickets.ArticleCandidates
	seen := map[string]bool{}
	var terms []string
	for _, t := range aq.Terms {
		if t == "" || seen[t] || strings.ContainsAny(t, `"' `) {
			continue
		}
		seen[t] = true
		terms = append(terms, t)
	}
	if len(terms) == 0 {
		return out, nil
	}
	var match string
	if _, sqlite := q.q["kb-fts-insert"]; sqlite {
		match = `"` + strings.Join(terms, `" OR "`) + `"`
	} else {
		match = `'` + strings.Join(terms, `' | '`) + `'`
	}
	var size struct {
		Articles int `db:"articles"`
		Words    int `db:"words"`
	}
	if err := q.get(ctx, &size, "kb-search-size", aq.Language, aq.Language, aq.Queue, aq.Queue); err != nil {
		return out, err
	}
	out.Articles, out.Words = size.Articles, size.Words
	if size.Articles == 0 {
		return out, nil // no full-text search of an empty knowledge base
	}
	var rows []struct {
		ID       int64  `db:"id"`
		Slug     string `db:"slug"`
		Title    string `db:"title"`
		Language string `db:"language"`
		Queue    string `db:"queue"`
		Status   string `db:"status"`
		Terms    string `db:"terms"`
	}
	if err := q.selectAll(ctx, &rows, "kb-search", match, aq.Language, aq.Language, aq.Queue, aq.Queue); err != nil {
		return out, err
	}
	for _, r := range rows {
		out.Matches = append(out.Matches, tickets.ArticleMatch{
			Article: tickets.Article{ID: r.ID, Slug: r.Slug, Title: r.Title, Language: r.Language, Queue: r.Queue, Status: tickets.ArticleStatus(r.Status)},
			Terms:   r.Terms,
		})
	}
	return out, nil
}

// PublishedArticles is asked for every new ticket: a transaction that
// stores a batch of them asks once per language and queue, as only its
// own writes could change the answer (CreateArticle and UpdateArticle
// forget it).
func (q *queries) PublishedArticles(ctx context.Context, language, queue string) (int, error) {
	key := [2]string{language, queue}
	if n, ok := q.published[key]; ok {
		return n, nil
	}
	var size struct {
		Articles int `db:"articles"`
		Words    int `db:"words"`
	}
	if err := q.get(ctx, &size, "kb-search-size", language, language, queue, queue); err != nil {
		return 0, err
	}
	if q.tx != nil {
		if q.published == nil {
			q.published = map[[2]string]int{}
		}
		q.published[key] = size.Articles
	}
	return size.Articles, nil
}

// suggestionsOf are the suggestions of each of ticketIDs, best first; a
// ticket with none has none in the map.
func (q *queries) suggestionsOf(ctx context.Context, ticketIDs []int64) (map[int64][]tickets.Suggestion, error) {
	var rows []struct {
		TicketID int64  `db:"ticket_id"`
		ID       int64  `db:"id"`
		Slug     string `db:"slug"`
		Title    string `db:"title"`
	}
	if err := q.selectIn(ctx, &rows, "kb-suggestions-of-tickets", ticketIDs); err != nil {
		return nil, err
	}
	out := map[int64][]tickets.Suggestion{}
	for _, r := range rows {
		out[r.TicketID] = append(out[r.TicketID], tickets.Suggestion{ArticleID: r.ID, Slug: r.Slug, Title: r.Title})
	}
	return out, nil
}

func (q *queries) Suggestions(ctx context.Context, ticketID int64) ([]tickets.Suggestion, error) {
	var rows []struct {
		ID    int64  `db:"id"`
		Slug  string `db:"slug"`
		Title string `db:"title"`
	}
	if err := q.selectAll(ctx, &rows, "kb-suggestions", ticketID); err != nil {
		return nil, err
	}
	out := make([]tickets.Suggestion, len(rows))
	for i, r := range rows {
		out[i] = tickets.Suggestion{ArticleID: r.ID, Slug: r.Slug, Title: r.Title}
	}
	return out, nil
}

func (q *queries) CreateArticle(ctx context.Context, a *tickets.Article) error {
	q.published = nil
	terms := tickets.ArticleTerms(a)
	err := q.get(ctx, &a.ID, "kb-insert-article", a.Slug, a.Title, a.Body, strings.Join(a.Tags, " "), a.Language, a.Queue,
		string(a.Status), strings.Join(terms, " "), len(terms), a.CreatedAt, a.UpdatedAt, nullTime(a.PublishedAt))
	if errors.Is(err, tickets.ErrNotFound) {
		return fmt.Errorf("article %q: %w", a.Slug, tickets.ErrSlugTaken)
	}
	if err != nil {
		return err
	}
	if err := q.index(ctx, a.ID, terms); err != nil {
		return err
	}
	return q.linkTickets(ctx, a)
}

func (q *queries) UpdateArticle(ctx context.Context, a *tickets.Article) error {
	q.published = nil
	var owner int64
	switch err := q.get(ctx, &owner, "kb-slug-owner", a.Slug); {
	case err == nil && owner != a.ID:
		return fmt.Errorf("article %q: %w", a.Slug, tickets.ErrSlugTaken)
	case err != nil && !errors.Is(err, tickets.ErrNotFound):
		return err
	}
	terms := tickets.ArticleTerms(a)
	r, err := q.exec(ctx, "kb-update-article", a.Slug, a.Title, a.Body, strings.Join(a.Tags, " "), a.Language, a.Queue,
		string(a.Status), strings.Join(terms, " "), len(terms), a.UpdatedAt, nullTime(a.PublishedAt), a.ID)
	if err != nil {
		return err
	}
	if n, err := r.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("article %d: %w", a.ID, tickets.ErrNotFound)
	}
	if err := q.index(ctx, a.ID, terms); err != nil {
		return err
	}
	return q.linkTickets(ctx, a)
}

// index keeps SQLite's FTS4 table in step with the article's terms
// (PostgreSQL's index follows the column by itself).
func (q *queries) index(ctx context.Context, id int64, terms []string) error {
	if _, sqlite := q.q["kb-fts-insert"]; !sqlite {
		return nil
	}
	if _, err := q.exec(ctx, "kb-fts-delete", id); err != nil {
		return err
	}
	_, err := q.exec(ctx, "kb-fts-insert", id, strings.Join(terms, " "))
	return err
}

func (q *queries) linkTickets(ctx context.Context, a *tickets.Article) error {
	for _, t := range a.Tickets {
		if _, err := q.exec(ctx, "kb-link-ticket", a.ID, t); err != nil {
			return err
		}
	}
	return nil
}

func (q *queries) SaveSuggestions(ctx context.Context, ticketID int64, s []tickets.Suggestion) error {
	for i, sg := range s {
		if _, err := q.exec(ctx, "kb-insert-suggestion", ticketID, sg.ArticleID, i+1); err != nil {
			return err
		}
	}
	return nil
}
