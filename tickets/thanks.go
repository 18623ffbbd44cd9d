package tickets

import (
	"strings"
	"unicode"
)

// A customer who answers "thanks, works now" to a resolved ticket
// confirms the fix; reopening the ticket would send a reopen notice to
// someone who is happy and put the ticket back in an agent's queue. But
// a reply that says anything else ("thanks, but it still fails", "works
// now?", a screenshot) must reopen it: a customer whose problem is not
// fixed and whose reply is swallowed is the worse mistake. So onlyThanks
// is an allow list, not a guess: the reply must consist of nothing but
// words of thanks, confirmation, greeting and sign-off (English, German,
// French, Spanish) and the sender's own name, must carry at least one
// word of thanks or of a fix confirmed, and must not ask a question.
// Every other word, a negation above all, reopens.

// maxThanksWords bounds a reply that can be only thanks: a longer one
// says more, and an agent should read it.
const maxThanksWords = 30

// thanksCore are the words of which a confirming reply needs one.
var thanksCore = wordSet(`
	thanks thank thx ty tysm cheers appreciated appreciate
	works worked working fixed solved resolved sorted perfect
	danke dank dankeschön funktioniert funktionierts klappt geklappt läuft gelöst behoben erledigt perfekt
	merci mercis marche fonctionne résolu réglé corrigé parfait
	gracias agradezco funciona funcionando solucionado resuelto arreglado perfecto
`)

// thanksWords may stand beside them: fillers, greetings, sign-offs, and
// words that only strengthen the thanks or the confirmation. None of them
// negates, asks or reports a problem.
var thanksWords = wordSet(`
	a all and again am as be best both can close closed confirm confirmed dear did
	done everything expected fine for glad good great guys happy hello help hey hi
	i is it it's its just kind kindly looks lot many much my nice now ok okay
	problem quick quickly really regards running so support team that the this
	to trick up very we well wonderful yes yep you your awesome brilliant
	excellent fantastic amazing cool issue indeed sincerely greetings
	back fast swift response s m ve re
	alles bestens das dem den der die dir dich es euch für geht gut hallo hat
	herzlich herzliche herzlichen hilfe ich ihnen ihr ist jetzt ja kann können lg liebe
	lieben lieber mfg mit nochmals prima problem schnell schnelle schließen schön
	sehr sind super tag team ticket toll top tausend und viele vielen vg
	wieder wunderbar guten gruß grüße grüsse freundliche freundlichen beste besten
	einwandfrei passt wir sie gerne nochmal
	à ai bien bonjour bonne c ca ça cordialement de des d accord est encore
	fois génial j je journée la le les maintenant mille nickel nouveau oui
	pour pouvez problème rapide salutations super top tout très vous votre vos
	bonsoir impeccable excellente fermer clore beaucoup aide
	ahora amable atentamente ayuda bien buenísimo buenas cerrar cordial
	de el en está esta estupendo excelente genial hola la lo los mil
	muchas muchísimas muy nuevo otra pueden puede que rápida saludo saludos
	se sí su todo tu vale vez ya listo problema es por
`)

// positiveSymbols are marks a happy reply may carry besides letters.
const positiveSymbols = ".,!¡:;-–—'’\"()*~👍🙏😊🙂😀😃😄👌✅❤♥☺🎉💯"

// onlyThanks reports whether text, a customer's reply without its quoted
// history, only thanks or confirms that the problem is fixed; name is the
// sender's display name, whose words may sign the reply.
func onlyThanks(text, name string) bool {
	words, ok := thanksText(text)
	if !ok || len(words) == 0 || len(words) > maxThanksWords {
		return false
	}
	own := map[string]bool{}
	for _, w := range splitWords(strings.ToLower(name)) {
		own[w] = true
	}
	core := false
	for _, w := range words {
		switch {
		case thanksCore[w]:
			core = true
		case thanksWords[w], own[w]:
		default:
			return false
		}
	}
	return core
}

// thanksText returns the words of text without its signature, or false
// when text holds something no thanks holds: a question, a digit, a
// link, a symbol other than a happy one.
func thanksText(text string) ([]string, bool) {
	var kept []string
	for _, line := range strings.Split(text, "\n") {
		l := strings.TrimSpace(line)
		if line == "-- " || l == "--" {
			break // RFC 3676 4.3: the signature follows
		}
		if mobileSignature(strings.ToLower(l)) {
			continue
		}
		kept = append(kept, l)
	}
	body := strings.ToLower(strings.Join(kept, " "))
	for _, r := range body {
		switch {
		case unicode.IsLetter(r), unicode.IsSpace(r):
		case strings.ContainsRune(positiveSymbols, r), unicode.Is(unicode.Mn, r), r == '\u200d', r == '\ufe0f':
		default:
			return nil, false // "?", "¿", digits, "/", "@", "👎", ...
		}
	}
	return splitWords(body), true
}

// mobileSignature reports whether a lowercased line is the signature a
// mail app adds ("Sent from my iPhone").
func mobileSignature(l string) bool {
	for _, p := range []string{"sent from my ", "sent from outlook", "get outlook for ", "von meinem ", "gesendet von ",
		"envoyé de mon ", "envoyé depuis ", "enviado desde mi ", "enviado desde "} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

// splitWords splits s into words of letters; an apostrophe splits too
// ("c'est" is c and est, "it's" it and s).
func splitWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
}

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}
