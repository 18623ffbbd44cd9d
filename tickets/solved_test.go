package tickets

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Real answers to an acknowledgement that suggested articles, without
// the quoted history.
func TestOnlySolvedTakesClearConfirmationsAndNothingElse(t *testing.T) {
	solved := []string{
		"That solved it, thanks!",
		"Thanks, the article helped. Works now.",
		"Found it in the article, all sorted. Thank you!\n\nAlice",
		"Fixed, thanks 👍\n\nSent from my iPhone",
		"Danke, hat geholfen!",
		"Der Artikel hat geholfen, funktioniert jetzt. Danke!\n\nViele Grüße\nAlice",
		"Merci, le lien m'a aidé, c'est réglé.",
		"Merci, ça marche maintenant !",
		"Gracias, el artículo me ayudó, ya funciona.",
		"¡Resuelto, muchas gracias!",
	}
	unclear := []string{
		"Thanks!",
		"Thank you for the quick answer.",
		"Danke!",
		"Merci beaucoup",
		"Thanks, but it still doesn't work.",
		"The article did not help.",
		"Solved?",
		"Is it solved now?",
		"Works on my laptop, not on my phone.",
		"That solved the login, but the printer still fails.",
		"Thanks, I will try the article tomorrow.",
		"Funktioniert nicht.",
		"Ça ne marche pas.",
		"No funciona.",
		"Gracias, pero no funciona.",
		"",
	}
	for _, text := range solved {
		if !onlySolved(text, "Alice Martin") {
			t.Errorf("onlySolved(%q) = false, want true", text)
		}
	}
	for _, text := range unclear {
		if onlySolved(text, "Alice Martin") {
			t.Errorf("onlySolved(%q) = true, want false", text)
		}
	}
}

func TestSuggestionsNeedAGoodMatchAndFollowTheBest(t *testing.T) {
	ranked := []Suggestion{{Slug: "a", Score: 0.5}, {Slug: "b", Score: 0.4}, {Slug: "c", Score: 0.3}, {Slug: "d", Score: 0.29}}
	if got := PickSuggestions(ranked, 0.2); len(got) != 2 || got[1].Slug != "b" {
		t.Errorf("picked %+v: want a and b (c is under 0.7 of a)", got)
	}
	if got := PickSuggestions([]Suggestion{{Slug: "a", Score: 0.19}}, 0.2); len(got) != 0 {
		t.Errorf("a weak match was picked: %+v", got)
	}
}

func TestSearchTermsFoldStemAndDropFillers(t *testing.T) {
	got := SearchTerms("The printers are printing; Drucker-Problème! résumé 2FA access")
	want := []string{"print", "print", "druck", "problem", "resum", "2fa", "access"}
	if len(got) != len(want) {
		t.Fatalf("SearchTerms = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("SearchTerms = %q, want %q", got, want)
		}
	}
}

func TestSolvedTokensAreBoundToTicketArticleAndTime(t *testing.T) {
	s := NewSigner([]byte("a secret of enough length"))
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tok := s.SolvedToken(1042, 7, now.Add(time.Hour))
	if tk, a, err := s.SolvedClaim(tok, now); err != nil || tk != 1042 || a != 7 {
		t.Fatalf("SolvedClaim(%q) = %d, %d, %v", tok, tk, a, err)
	}
	if _, _, err := s.SolvedClaim(tok, now.Add(time.Hour)); !errors.Is(err, ErrSolvedLinkExpired) {
		t.Errorf("at its expiry: %v", err)
	}
	for _, bad := range []string{
		strings.Replace(tok, "1042-7-", "1043-7-", 1),
		strings.Replace(tok, "1042-7-", "1042-8-", 1),
		tok[:len(tok)-1], "", "1042-7-1-" + strings.Repeat("a", 26),
		NewSigner([]byte("another secret of enough length")).SolvedToken(1042, 7, now.Add(time.Hour)),
		s.CSATToken(1042, 5, now.Add(time.Hour)),
	} {
		if _, _, err := s.SolvedClaim(bad, now); !errors.Is(err, ErrSolvedLinkInvalid) {
			t.Errorf("SolvedClaim(%q) = %v, want ErrSolvedLinkInvalid", bad, err)
		}
	}
}
