package tickets

import (
	"context"
	"slices"
	"strings"
	"time"
)

// A customer whose acknowledgement suggested knowledge-base articles may
// answer "that solved it": the ticket is then resolved as deflected, and
// no agent needs to look at it. Taking a reply for that wrongly would
// leave a customer with a problem unanswered, so onlySolved is the same
// allow list as onlyThanks (see thanks.go), stricter in one way: a word
// of thanks is not enough ("Thanks!" to an acknowledgement is courtesy),
// the reply must say that the problem is solved. When in doubt, the
// reply is an ordinary one.

// solvedCore are the words of which a "solved" reply needs one.
var solvedCore = wordSet(`
	works worked working fixed solved resolved sorted helped
	funktioniert funktionierts klappt geklappt läuft gelöst behoben erledigt geholfen
	marche fonctionne résolu réglé corrigé aidé
	funciona funcionando solucionado resuelto arreglado ayudó sirvió
`)

// solvedWords may stand beside them besides thanksWords: the articles
// and links the reply is about.
var solvedWords = wordSet(`
	article articles link links guide suggestion suggested found answer answered steps following
	followed myself did there in
	artikel anleitung link hinweis vorschlag gefunden hat habe selbst
	lien guide suggéré suggestion trouvé réponse étapes m a
	artículo enlace guía sugerencia encontrado respuesta pasos me
`)

// onlySolved reports whether text, a customer's reply without its quoted
// history, says only that the problem is solved (with thanks, greetings,
// the sender's name); name is the sender's display name.
func onlySolved(text, name string) bool {
	words, ok := thanksText(text)
	if !ok || len(words) == 0 || len(words) > maxThanksWords {
		return false
	}
	own := map[string]bool{}
	for _, w := range splitWords(strings.ToLower(name)) {
		own[w] = true
	}
	solved := false
	for _, w := range words {
		switch {
		case solvedCore[w]:
			solved = true
		case thanksCore[w], thanksWords[w], solvedWords[w], own[w]:
		default:
			return false
		}
	}
	return solved
}

// solvedByReply resolves t as deflected when the customer's reply msg
// says that the suggested articles solved the problem: t got
// suggestions, no agent has answered it yet, the sender is verified
// where the desk checks senders, and the reply says nothing but that.
func (s *Service) solvedByReply(ctx context.Context, tx Tx, t *Ticket, in *Inbound, msg *Message, now time.Time) (bool, error) {
	if !deflectable(t) || in.Sender != nil && !in.Sender.FromVerified || !SameEmail(in.From.Email, t.Requester.Email) {
		return false, nil
	}
	if !onlySolved(s.opts.StripQuoted(msg.Text), in.From.Name) {
		return false, nil
	}
	sg, err := tx.Suggestions(ctx, t.ID)
	if err != nil || len(sg) == 0 {
		return false, err
	}
	// The suggestions reached the customer only if the acknowledgement
	// was sent (not held back by a rate limit, say).
	events, err := tx.Events(ctx, t.ID)
	if err != nil {
		return false, err
	}
	if !slices.ContainsFunc(events, func(e Event) bool { return e.Kind == KindAcknowledgement }) {
		return false, nil
	}
	if err := s.deflect(ctx, tx, t, sg, 0, EmailKey(in.From.Email), "by mail", now); err != nil {
		return false, err
	}
	return true, nil
}
