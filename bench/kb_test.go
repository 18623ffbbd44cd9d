package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"helpdesk/internal/pgtest"
	"helpdesk/tickets"
	"helpdesk/tickets/sqlstore"
)

// The knowledge base's suggestions, measured on testdata/kb_fixture.txt:
// 22 published articles of a company help desk, 220 tickets that one of
// them answers (10 per article, phrased in many ways) and 45 that none
// answers. For each ticket the acknowledgement's suggestions are taken as
// the desk takes them (Service.Suggest: the database's full-text search,
// BM25, the threshold), on SQLite and on PostgreSQL:
//
//	go test -run TestKnowledgeBaseSuggestions -v ./bench/
//
// It prints, for the desk's threshold and for others around it:
// precision at 3 (of all the articles suggested, the share that answer
// their ticket), the share of tickets with no suggestion, the share of
// answerable tickets whose right article is among the suggestions, and
// the share of tickets shown only wrong articles. It fails when both
// databases do not suggest the same, or when the precision at the
// desk's threshold falls under 0.9.

// kbFixture is the fixture: articles, and tickets with the slug of their
// right article ("" for none).
type kbFixture struct {
	articles []*tickets.Article
	tickets  []kbTicket
}

type kbTicket struct {
	subject, text, want string
}

func readKBFixture(t testing.TB) kbFixture {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "kb_fixture.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var fx kbFixture
	type group struct {
		slug            string
		subjects, texts []string
		title, tags     string
		body            []string
	}
	var groups []*group
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if slug, ok := strings.CutPrefix(line, "== "); ok {
			groups = append(groups, &group{slug: slug})
			continue
		}
		key, val, ok := strings.Cut(line, ": ")
		if !ok || len(groups) == 0 {
			t.Fatalf("kb_fixture.txt:%d: %q", n, line)
		}
		g := groups[len(groups)-1]
		switch key {
		case "title":
			g.title = val
		case "tags":
			g.tags = val
		case "body":
			g.body = append(g.body, val)
		case "subject":
			g.subjects = append(g.subjects, val)
		case "text":
			g.texts = append(g.texts, val)
		default:
			t.Fatalf("kb_fixture.txt:%d: unknown key %q", n, key)
		}
	}
	for _, g := range groups {
		if g.slug == "none" {
			for i := range g.subjects {
				fx.tickets = append(fx.tickets, kbTicket{subject: g.subjects[i], text: g.texts[i]})
			}
			continue
		}
		fx.articles = append(fx.articles, &tickets.Article{Slug: g.slug, Title: g.title, Tags: strings.Fields(g.tags),
			Body: strings.Join(g.body, "\n\n"), Language: "en", Status: tickets.ArticlePublished})
		for i := range 10 {
			fx.tickets = append(fx.tickets, kbTicket{subject: g.subjects[i%len(g.subjects)], text: g.texts[(5*i+1)%len(g.texts)], want: g.slug})
		}
	}
	return fx
}

// kbFigures are the measures of one threshold.
type kbFigures struct {
	precision, none, found, wrongOnly float64
	shown                             int
}

func measureKB(fx kbFixture, ranked [][]tickets.Suggestion, threshold float64) kbFigures {
	var f kbFigures
	right, none, found, answerable, wrongOnly := 0, 0, 0, 0, 0
	for i, tk := range fx.tickets {
		sg := tickets.PickSuggestions(ranked[i], threshold)
		f.shown += len(sg)
		if len(sg) == 0 {
			none++
		}
		hit := slices.ContainsFunc(sg, func(s tickets.Suggestion) bool { return s.Slug == tk.want })
		if hit {
			right++
		}
		if tk.want != "" {
			answerable++
			if hit {
				found++
			}
		}
		if len(sg) > 0 && !hit {
			wrongOnly++
		}
	}
	n := float64(len(fx.tickets))
	if f.shown > 0 {
		f.precision = float64(right) / float64(f.shown)
	}
	f.none, f.found, f.wrongOnly = float64(none)/n, float64(found)/float64(answerable), float64(wrongOnly)/n
	return f
}

func TestKnowledgeBaseSuggestions(t *testing.T) {
	fx := readKBFixture(t)
	if len(fx.tickets) < 200 {
		t.Fatalf("the fixture has %d tickets, want at least 200", len(fx.tickets))
	}
	results := map[string][][]tickets.Suggestion{}
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			dsn := filepath.Join(t.TempDir(), "kb.db")
			if driver == "postgres" {
				dsn = pgtest.NewDatabase(t)
			}
			s, err := sqlstore.Open(ctx, sqlstore.Options{Driver: driver, DSN: dsn})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			svc, err := tickets.NewService(tickets.Options{Store: s, Composer: nopComposer{}, Secret: []byte("a secret of the benchmark"),
				From: tickets.Address{Email: "support@example.com"}})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			err = s.InTx(ctx, func(tx tickets.Tx) error {
				for _, a := range fx.articles {
					a := *a
					a.CreatedAt, a.UpdatedAt, a.PublishedAt = now, now, now
					if err := tx.CreateArticle(ctx, &a); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var ranked [][]tickets.Suggestion
			start := time.Now()
			for _, tk := range fx.tickets {
				r, err := svc.RankTicket(ctx, s, tk.subject, tk.text, "en", "general")
				if err != nil {
					t.Fatal(err)
				}
				ranked = append(ranked, r)
			}
			took := time.Since(start)
			results[driver] = ranked
			fmt.Printf("Knowledge base, %s: %d articles, %d tickets (%d answerable), %.2f ms per ticket's search\n",
				driver, len(fx.articles), len(fx.tickets), 10*len(fx.articles), float64(took.Microseconds())/1000/float64(len(fx.tickets)))
			fmt.Printf("%-10s %-14s %-14s %-20s %-18s %s\n", "threshold", "precision@3", "no suggestion", "right one suggested", "only wrong shown", "articles shown")
			for _, th := range []float64{0.1, 0.15, 0.18, tickets.SuggestThreshold, 0.25, 0.3, 0.4} {
				f := measureKB(fx, ranked, th)
				mark := ""
				if th == tickets.SuggestThreshold {
					mark = " (the desk's)"
				}
				fmt.Printf("%-10s %-14.3f %-14.3f %-20.3f %-18.3f %d\n", fmt.Sprintf("%.2f%s", th, mark), f.precision, f.none, f.found, f.wrongOnly, f.shown)
			}
			if f := measureKB(fx, ranked, tickets.SuggestThreshold); f.precision < 0.9 {
				t.Errorf("precision at 3 is %.3f at the desk's threshold, want at least 0.9", f.precision)
			}
		})
	}
	lite, post := results["sqlite"], results["postgres"]
	if len(lite) != len(post) {
		return
	}
	for i := range lite {
		a := tickets.PickSuggestions(lite[i], tickets.SuggestThreshold)
		b := tickets.PickSuggestions(post[i], tickets.SuggestThreshold)
		if !slices.EqualFunc(a, b, func(x, y tickets.Suggestion) bool { return x.Slug == y.Slug }) {
			t.Errorf("ticket %q: sqlite suggests %v, postgres %v", fx.tickets[i].subject, a, b)
		}
	}
}

type nopComposer struct{}

func (nopComposer) Compose(context.Context, tickets.Notice) (tickets.Composed, error) {
	return tickets.Composed{}, nil
}
