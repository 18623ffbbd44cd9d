package sqlstore

import (
	"context"
	"errors"
	"slices"
	"testing"

	"helpdesk/tickets"
)

func TestKnowledgeBaseStoresSearchesAndLinksTickets(t *testing.T) {
	onEachDriver(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx := context.Background()
		var ticketID int64
		articles := []*tickets.Article{
			{Slug: "reset-password", Title: "Reset your password", Body: "Open the sign-in page and choose **Forgot password**.",
				Tags: []string{"account", "login"}, Language: "en", Status: tickets.ArticlePublished},
			{Slug: "vpn-disconnects", Title: "The VPN disconnects every few minutes", Body: "Update the VPN client to 5.2.",
				Tags: []string{"vpn"}, Status: tickets.ArticlePublished},
			{Slug: "printer-offline", Title: "Printer shows offline", Body: "Restart the print spooler.", Status: tickets.ArticleDraft},
			{Slug: "druckerproblem", Title: "Drucker druckt nicht", Body: "Druckerwarteschlange leeren.", Language: "de", Status: tickets.ArticlePublished},
		}
		inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
			tk := newTicket("alice@a.test", t0)
			if err := tx.CreateTicket(ctx, tk, 1000); err != nil {
				return err
			}
			ticketID = tk.ID
			for _, a := range articles {
				a.CreatedAt, a.UpdatedAt = t0, t0
				a.Tickets = []int64{tk.ID}
				if err := tx.CreateArticle(ctx, a); err != nil {
					return err
				}
			}
			return nil
		})
		// A second article with a taken slug is refused, and nothing else breaks.
		err := s.InTx(ctx, func(tx tickets.Tx) error {
			return tx.CreateArticle(ctx, &tickets.Article{Slug: "reset-password", Title: "Again", Status: tickets.ArticleDraft, CreatedAt: t0, UpdatedAt: t0})
		})
		if !errors.Is(err, tickets.ErrSlugTaken) {
			t.Fatalf("a taken slug: %v, want ErrSlugTaken", err)
		}

		got, err := s.ArticleBySlug(ctx, "reset-password")
		if err != nil {
			t.Fatal(err)
		}
		if got.Title != "Reset your password" || !slices.Equal(got.Tickets, []int64{ticketID}) || !slices.Equal(got.Tags, []string{"account", "login"}) ||
			!got.CreatedAt.Equal(t0.Truncate(1000)) {
			t.Errorf("read back %+v", got)
		}

		search := func(text, lang string) []string {
			t.Helper()
			q := tickets.SearchTerms(text)
			c, err := s.SearchArticles(ctx, tickets.ArticleQuery{Terms: q, Language: lang, Queue: "general"})
			if err != nil {
				t.Fatal(err)
			}
			var slugs []string
			for _, r := range tickets.Rank(q, c) {
				slugs = append(slugs, r.Slug)
			}
			return slugs
		}
		if got := search("I forgot my passwords", "en"); !slices.Equal(got, []string{"reset-password"}) {
			t.Errorf("passwords in English: %v", got)
		}
		if got := search("the vpn keeps disconnecting", "en"); !slices.Equal(got, []string{"vpn-disconnects"}) {
			t.Errorf("vpn: %v (an article without a language fits every ticket)", got)
		}
		if got := search("printer offline", "en"); len(got) != 0 {
			t.Errorf("a draft was found: %v", got)
		}
		if got := search("Drucker druckt nicht", "en"); len(got) != 0 {
			t.Errorf("a German article for an English ticket: %v", got)
		}
		if got := search("Drucker druckt nicht", "de"); !slices.Equal(got, []string{"druckerproblem"}) {
			t.Errorf("German: %v", got)
		}

		// Publishing the draft makes it found; retiring one hides it.
		inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
			p, err := tx.ArticleBySlug(ctx, "printer-offline")
			if err != nil {
				return err
			}
			p.Status, p.PublishedAt = tickets.ArticlePublished, t0
			if err := tx.UpdateArticle(ctx, p); err != nil {
				return err
			}
			r, err := tx.ArticleBySlug(ctx, "reset-password")
			if err != nil {
				return err
			}
			r.Status = tickets.ArticleRetired
			return tx.UpdateArticle(ctx, r)
		})
		if got := search("printer offline", "en"); !slices.Equal(got, []string{"printer-offline"}) {
			t.Errorf("published: %v", got)
		}
		if got := search("forgot password", "en"); len(got) != 0 {
			t.Errorf("a retired article was found: %v", got)
		}

		inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
			p, _ := tx.ArticleBySlug(ctx, "printer-offline")
			v, _ := tx.ArticleBySlug(ctx, "vpn-disconnects")
			return tx.SaveSuggestions(ctx, ticketID, []tickets.Suggestion{{ArticleID: v.ID}, {ArticleID: p.ID}})
		})
		sg, err := s.Suggestions(ctx, ticketID)
		if err != nil || len(sg) != 2 || sg[0].Slug != "vpn-disconnects" || sg[1].Title != "Printer shows offline" {
			t.Errorf("suggestions %+v, %v", sg, err)
		}
		list, err := s.ListArticles(ctx, tickets.ArticleFilter{Status: tickets.ArticlePublished})
		if err != nil || len(list) != 3 {
			t.Errorf("published list: %d, %v", len(list), err)
		}
	})
}

// A transaction that counts the published articles, publishes one and
// counts again sees its own article: the count it keeps for the batch
// of tickets it stores is forgotten by every write to the articles.
func TestPublishedArticlesCountSeesTheTransactionsOwnWrites(t *testing.T) {
	onEachDriver(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
			count := func(when string, want int) {
				t.Helper()
				n, err := tx.PublishedArticles(ctx, "en", "general")
				if err != nil {
					t.Fatal(err)
				}
				if n != want {
					t.Errorf("%s: %d published articles, want %d", when, n, want)
				}
			}
			count("before", 0)
			count("asked again", 0)
			a := &tickets.Article{Slug: "reset-password", Title: "Reset your password", Body: "Choose Forgot password.",
				Language: "en", Status: tickets.ArticleDraft, CreatedAt: t0, UpdatedAt: t0}
			if err := tx.CreateArticle(ctx, a); err != nil {
				return err
			}
			count("a draft", 0)
			a.Status, a.PublishedAt = tickets.ArticlePublished, t0
			if err := tx.UpdateArticle(ctx, a); err != nil {
				return err
			}
			count("published", 1)
			return nil
		})
	})
}
