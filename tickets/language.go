package tickets

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// EventLanguage records how a ticket's language was set or changed.
const EventLanguage = "language"

// Languages is what the desk knows of the languages it writes in.
type Languages struct {
	// Known are the languages the templates have ("de", "en", ...); a
	// ticket's language is always one of them. Empty: the desk keeps no
	// language on its tickets.
	Known []string
	// Default is the language of a ticket whose language nothing tells.
	Default string
}

// The customer's language of a new ticket, in this order: a rule's
// language (triage), the mail's Content-Language (RFC 3282), its
// Accept-Language (RFC 9110 12.5.4, which some mail clients send), the
// language of its text when that is clear, else the default.
func (s *Service) customerLanguage(in *Inbound) (lang, why string) {
	known := s.opts.Languages.Known
	if len(known) == 0 {
		return "", ""
	}
	for _, h := range []string{"Content-Language", "Accept-Language"} {
		for _, v := range in.Header[h] {
			if l := languageFromHeader(v, known); l != "" {
				return l, h + ": " + oneLineCapped(v, 60)
			}
		}
	}
	if l := DetectLanguage(in.Subject+"\n"+in.Text, known); l != "" {
		return l, "the mail's text reads as " + l
	}
	return s.opts.Languages.Default, "the default language"
}

// languageFromHeader returns the known language a Content-Language or
// Accept-Language value names first (by quality for Accept-Language):
// "de-CH" is "de-ch" when that is known, else "de".
func languageFromHeader(v string, known []string) string {
	type tag struct {
		lang string
		q    float64
	}
	var tags []tag
	for _, part := range strings.Split(v, ",") {
		l, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if qs, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(qs, 64); err == nil {
				q = f
			}
		}
		if l = strings.ToLower(strings.TrimSpace(l)); l != "" && l != "*" && q > 0 {
			tags = append(tags, tag{l, q})
		}
	}
	sort.SliceStable(tags, func(i, j int) bool { return tags[i].q > tags[j].q })
	for _, t := range tags {
		if slices.Contains(known, t.lang) {
			return t.lang
		}
		if base, _, ok := strings.Cut(t.lang, "-"); ok && slices.Contains(known, base) {
			return base
		}
	}
	return ""
}

// stopwords are frequent short words of each language that the others
// do not share (the shared ones, "de", "la", "que", "in", "es", left out).
var stopwords = map[string][]string{
	"en": {"the", "and", "is", "are", "to", "of", "it", "that", "this", "for", "with", "you", "my", "i", "have", "has",
		"not", "on", "be", "can", "we", "please", "thank", "thanks", "would", "could", "from", "but", "what", "there",
		"when", "your", "do", "does", "at", "since", "cannot", "am", "been", "any"},
	"de": {"der", "die", "das", "und", "ist", "nicht", "ich", "sie", "ein", "eine", "einen", "mit", "auf", "für", "zu",
		"von", "den", "dem", "wir", "mein", "meine", "bitte", "danke", "kann", "können", "habe", "haben", "wird", "auch",
		"noch", "aber", "wenn", "dass", "sich", "bei", "nach", "ihnen", "seit", "kein", "keine"},
	"fr": {"le", "les", "et", "est", "pas", "je", "vous", "nous", "une", "des", "dans", "pour", "avec", "sur", "mon",
		"ma", "mes", "ne", "merci", "bonjour", "votre", "vos", "ce", "cette", "il", "elle", "sont", "ai", "suis", "peux",
		"pouvez", "mais", "au", "aux", "depuis", "plus", "qui"},
	"es": {"el", "los", "las", "y", "yo", "usted", "una", "del", "por", "para", "con", "mi", "mis", "gracias", "hola",
		"su", "sus", "pero", "como", "está", "están", "tengo", "puedo", "puede", "muy", "lo", "al", "también", "cuando",
		"este", "esta", "desde", "hay", "ya"},
}

// stopwordLangs is stopwords by word: the languages each word counts for.
var stopwordLangs = func() map[string][]string {
	m := map[string][]string{}
	for lang, words := range stopwords {
		for _, w := range words {
			m[w] = append(m[w], lang)
		}
	}
	return m
}()

// Detection reads at most maxDetect bytes of a text, and decides only
// when the text has minDetectWords words, of which the best language's
// stopwords are at least minDetectHits and twice the next language's.
const (
	maxDetect      = 4096
	minDetectWords = 6
	minDetectHits  = 3
)

// DetectLanguage returns the language of text among the languages of
// among that it can tell (en, de, fr, es), or "" when the text is too
// short or not clearly one of them. It counts each language's frequent
// short words: a few lines of mail are enough, a one-line "Hi" is not.
func DetectLanguage(text string, among []string) string {
	if len(text) > maxDetect {
		text = text[:maxDetect]
	}
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) })
	if len(words) < minDetectWords {
		return ""
	}
	hits := map[string]int{}
	for _, w := range words {
		for _, lang := range stopwordLangs[w] {
			if slices.Contains(among, lang) {
				hits[lang]++
			}
		}
	}
	best, second := "", 0
	for lang, n := range hits {
		if best == "" || n > hits[best] || n == hits[best] && lang < best {
			best = lang
		}
	}
	for lang, n := range hits {
		if lang != best && n > second {
			second = n
		}
	}
	if best == "" || hits[best] < minDetectHits || hits[best] < 2*second {
		return ""
	}
	return best
}

// setLanguage changes t's language as actor, with an event.
func (s *Service) setLanguage(ctx context.Context, tx Tx, t *Ticket, lang, why, actor string, now time.Time) error {
	if t.Language == lang {
		return nil
	}
	prev := t.Language
	if prev == "" {
		prev = "none"
	}
	t.Language = lang
	return s.event(ctx, tx, t.ID, EventLanguage, actor, fmt.Sprintf("language %s -> %s (%s)", prev, lang, why), now)
}

// knownLanguage returns the known language l names ("DE" and "de-DE" are
// "de"), or "".
func (s *Service) knownLanguage(l string) string {
	return languageFromHeader(l, s.opts.Languages.Known)
}

// oneLineCapped is s on one line, at most n characters.
func oneLineCapped(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// languageOfNew sets the language of the new ticket t: the rule's, else
// that of the closed ticket it follows up (prev, which an agent may have
// set), else the customer's (customerLanguage). It returns why, "" when
// the desk keeps no languages.
func (s *Service) languageOfNew(t *Ticket, in *Inbound, rule, prev string) (why string) {
	switch {
	case rule != "":
		t.Language = rule
		return "set by a rule"
	case prev != "" && len(s.opts.Languages.Known) > 0:
		t.Language = prev
		return "the language of the ticket it follows up"
	}
	t.Language, why = s.guessLanguage(in)
	return why
}

// languageGuess is what customerLanguage says of a mail.
type languageGuess struct{ lang, why string }

// guessLanguage is customerLanguage(in), computed once: detection reads
// the whole text, which is best done before the write transaction.
func (s *Service) guessLanguage(in *Inbound) (lang, why string) {
	if in.lang == nil {
		lang, why := s.customerLanguage(in)
		in.lang = &languageGuess{lang, why}
	}
	return in.lang.lang, in.lang.why
}

// checkLanguage resolves the argument of a #lang command.
func (s *Service) checkLanguage(arg string) (string, error) {
	known := s.opts.Languages.Known
	if len(known) == 0 {
		return "", &Problem{Format: "the desk keeps no languages"}
	}
	l := s.knownLanguage(arg)
	if l == "" || strings.ContainsAny(arg, ",;") {
		return "", &Problem{Format: "unknown language %q (use %s)", Args: []any{arg, strings.Join(known, ", ")}}
	}
	return l, nil
}

// SetLanguage sets the language of ticket id (its customer's: the
// desk's mail to them is in it from now on) as actor, an admin. lang must
// be one of Options.Languages.Known ("DE" and "de-DE" are "de").
func (s *Service) SetLanguage(ctx context.Context, id int64, lang, actor string) (*Ticket, error) {
	l, err := s.checkLanguage(lang)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	var out *Ticket
	err = s.store.InTx(ctx, func(tx Tx) error {
		t, err := tx.Ticket(ctx, id)
		if err != nil {
			return fmt.Errorf("ticket %s: %w", s.Ref(id), err)
		}
		if err := s.setLanguage(ctx, tx, t, l, "set by "+actor, actor, now); err != nil {
			return err
		}
		t.UpdatedAt = now
		if err := tx.UpdateTicket(ctx, t); err != nil {
			return fmt.Errorf("updating ticket %d: %w", t.ID, err)
		}
		out = t
		return nil
	})
	return out, err
}
