package tickets

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Problem is what is wrong with a line of an agent's reply: an unknown
// command, a bad argument, a macro or article that is not there. It is
// kept as its English fmt format and values, so that the command_error
// mail says it in the agent's language and the ticket's event in English.
type Problem struct {
	// Line is the line of the reply, 1 for the first; 0 for the reply as
	// a whole.
	Line int
	// Text is the line as written, quoted in the problem.
	Text string
	// Format and Args say what is wrong, as fmt does: Format is English
	// and a key of problemTexts.
	Format string
	Args   []any
}

// In writes p in language lang ("de", "fr-CH"); English where the
// problem has no text in it.
func (p Problem) In(lang string) string {
	args, copied := p.Args, false
	for i, a := range p.Args {
		if q, ok := a.(Problem); ok { // a part of the problem, said in lang too
			if !copied {
				args, copied = append([]any(nil), p.Args...), true
			}
			args[i] = q.In(lang)
		}
	}
	msg := fmt.Sprintf(problemText(lang, p.Format), args...)
	switch {
	case p.Line > 0:
		return fmt.Sprintf(problemText(lang, "line %d %q: %s"), p.Line, p.Text, msg)
	case p.Text != "":
		return fmt.Sprintf("%q: %s", p.Text, msg)
	}
	return msg
}

// String writes p in English.
func (p Problem) String() string { return p.In("") }

// Error is String: a Problem returned as an error keeps its format, for
// the mail in the agent's language (asProblem).
func (p Problem) Error() string { return p.String() }

// asProblem is err as a Problem of the line of c, keeping its format
// when it is one, as "%v" otherwise.
func asProblem(err error) (format string, args []any) {
	var p *Problem
	if errors.As(err, &p) && p.Line == 0 && p.Text == "" {
		return p.Format, p.Args
	}
	return "%v", []any{err}
}

// JoinProblems writes ps in lang ("" for English), sep between them.
func JoinProblems(ps []Problem, lang, sep string) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.In(lang)
	}
	return strings.Join(out, sep)
}

// problemText is format in lang, or format itself.
func problemText(lang, format string) string {
	base, _, _ := strings.Cut(strings.ToLower(lang), "-")
	at := slices.Index(problemLanguages, base)
	if t, ok := problemTexts[format]; ok && at >= 0 && t[at] != "" {
		return t[at]
	}
	return format
}

// problemLanguages are the languages of each problemTexts entry, in order.
var problemLanguages = []string{"de", "fr", "es"}

// problemTexts are the German, French and Spanish texts of each problem,
// by its English format, in the formal register of the agent templates.
// Commands, their arguments and names stay as the agent writes them.
var problemTexts = map[string][3]string{
	"line %d %q: %s": {"Zeile %d %q: %s", "ligne %d %q : %s", "línea %d %q: %s"},
	"%d commands: one reply may give at most %d": {"%d Befehle: Eine Antwort darf höchstens %d enthalten",
		"%d commandes : une réponse peut en contenir %d au plus", "%d comandos: una respuesta puede contener %d como máximo"},
	"only #status resolved takes a note (the resolution)": {"nur #status resolved nimmt einen Text an (die Lösung)",
		"seul #status resolved accepte un texte (la résolution)", "solo #status resolved admite un texto (la resolución)"},
	"unknown status %q (use open, pending, pending_vendor, resolved or closed)": {
		"unbekannter Status %q (möglich sind open, pending, pending_vendor, resolved oder closed)",
		"statut inconnu %q (utilisez open, pending, pending_vendor, resolved ou closed)",
		"estado desconocido %q (use open, pending, pending_vendor, resolved o closed)"},
	"no resolution given (write it after #resolution, up to an empty line)": {
		"keine Lösung angegeben (schreiben Sie sie nach #resolution, bis zu einer Leerzeile)",
		"aucune résolution donnée (écrivez-la après #resolution, jusqu'à une ligne vide)",
		"no se ha indicado la resolución (escríbala tras #resolution, hasta una línea vacía)"},
	"unknown priority %q (use P1, P2, P3 or P4)": {"unbekannte Priorität %q (möglich sind P1, P2, P3 oder P4)",
		"priorité inconnue %q (utilisez P1, P2, P3 ou P4)", "prioridad desconocida %q (use P1, P2, P3 o P4)"},
	"no agent %q (agents: %s)":     {"kein Agent %q (Agenten: %s)", "aucun agent %q (agents : %s)", "no hay ningún agente %q (agentes: %s)"},
	"#take takes nothing after it": {"nach #take steht nichts", "#take ne prend rien après lui", "#take no admite nada detrás"},
	"no tag given (write #tag +add -remove)": {"kein Tag angegeben (schreiben Sie #tag +neu -weg)",
		"aucune étiquette donnée (écrivez #tag +ajout -retrait)", "no se ha indicado ninguna etiqueta (escriba #tag +añadir -quitar)"},
	"no queue %q": {"keine Warteschlange %q", "aucune file %q", "no hay ninguna cola %q"},
	"a ticket cannot be merged into itself": {"ein Ticket kann nicht mit sich selbst zusammengeführt werden",
		"un ticket ne peut pas être fusionné avec lui-même", "un ticket no se puede fusionar consigo mismo"},
	"only one #merge per reply": {"nur ein #merge pro Antwort", "un seul #merge par réponse", "solo un #merge por respuesta"},
	"ticket %s could not be read: %v": {"Ticket %s konnte nicht gelesen werden: %v", "le ticket %s n'a pas pu être lu : %v",
		"no se ha podido leer el ticket %s: %v"},
	"no ticket %s":               {"kein Ticket %s", "aucun ticket %s", "no existe el ticket %s"},
	"%s is this ticket":          {"%s ist dieses Ticket", "%s est ce ticket", "%s es este ticket"},
	"ticket %s is %s":            {"Ticket %s ist %s", "le ticket %s est %s", "el ticket %s está %s"},
	"#kb takes nothing after it": {"nach #kb steht nichts", "#kb ne prend rien après lui", "#kb no admite nada detrás"},
	"no article given (write #kb-link SLUG)": {"kein Artikel angegeben (schreiben Sie #kb-link SLUG)",
		"aucun article donné (écrivez #kb-link SLUG)", "no se ha indicado ningún artículo (escriba #kb-link SLUG)"},
	"only one #escalate per reply": {"nur ein #escalate pro Antwort", "un seul #escalate par réponse", "solo un #escalate por respuesta"},
	"unknown command (use #status, #priority, #assign, #take, #tag, #queue, #merge, #lang, #note, #resolution, #kb, #kb-link or #escalate; #macro NAME on a line of its own)": {
		"unbekannter Befehl (möglich sind #status, #priority, #assign, #take, #tag, #queue, #merge, #lang, #note, #resolution, #kb, #kb-link oder #escalate; #macro NAME in einer eigenen Zeile)",
		"commande inconnue (utilisez #status, #priority, #assign, #take, #tag, #queue, #merge, #lang, #note, #resolution, #kb, #kb-link ou #escalate ; #macro NOM sur une ligne à part)",
		"comando desconocido (use #status, #priority, #assign, #take, #tag, #queue, #merge, #lang, #note, #resolution, #kb, #kb-link o #escalate; #macro NOMBRE en una línea aparte)"},
	"#resolution goes with #status resolved": {"#resolution gehört zu #status resolved",
		"#resolution va avec #status resolved", "#resolution va con #status resolved"},
	"the resolution is given twice (after #status resolved and in #resolution)": {
		"die Lösung ist doppelt angegeben (nach #status resolved und in #resolution)",
		"la résolution est donnée deux fois (après #status resolved et dans #resolution)",
		"la resolución se ha indicado dos veces (tras #status resolved y en #resolution)"},
	"#kb drafts an article from the resolution: it goes with #status resolved and a resolution note": {
		"#kb entwirft einen Artikel aus der Lösung: Es gehört zu #status resolved mit einem Lösungstext",
		"#kb rédige un article à partir de la résolution : il va avec #status resolved et un texte de résolution",
		"#kb redacta un artículo a partir de la resolución: va con #status resolved y un texto de resolución"},
	"a ticket is escalated or merged, not both in one reply": {
		"ein Ticket wird eskaliert oder zusammengeführt, nicht beides in einer Antwort",
		"un ticket est escaladé ou fusionné, pas les deux dans une même réponse",
		"un ticket se escala o se fusiona, no ambas cosas en una misma respuesta"},
	"#escalate QUEUE moves the ticket: leave out #queue": {"#escalate QUEUE verschiebt das Ticket: Lassen Sie #queue weg",
		"#escalate QUEUE déplace le ticket : retirez #queue", "#escalate QUEUE mueve el ticket: quite #queue"},
	"#escalate QUEUE assigns the ticket by that queue's strategy: leave out #assign and #take (assign it afterwards)": {
		"#escalate QUEUE weist das Ticket nach der Regel dieser Warteschlange zu: Lassen Sie #assign und #take weg (weisen Sie es danach zu)",
		"#escalate QUEUE attribue le ticket selon la règle de cette file : retirez #assign et #take (attribuez-le ensuite)",
		"#escalate QUEUE asigna el ticket según la regla de esa cola: quite #assign y #take (asígnelo después)"},
	"#escalate to a vendor sets the status pending_vendor: leave out #status": {
		"#escalate an einen Lieferanten setzt den Status pending_vendor: Lassen Sie #status weg",
		"#escalate vers un fournisseur met le statut pending_vendor : retirez #status",
		"#escalate a un proveedor pone el estado pending_vendor: quite #status"},
	"no target given (write #escalate QUEUE, #escalate manager, #escalate CONTACT or #escalate vendor@example.com, then the reason)": {
		"kein Ziel angegeben (schreiben Sie #escalate QUEUE, #escalate manager, #escalate CONTACT oder #escalate vendor@example.com, dann den Grund)",
		"aucune cible donnée (écrivez #escalate QUEUE, #escalate manager, #escalate CONTACT ou #escalate vendor@example.com, puis la raison)",
		"no se ha indicado ningún destino (escriba #escalate QUEUE, #escalate manager, #escalate CONTACT o #escalate vendor@example.com y después el motivo)"},
	"queue %s has no escalation address (the admin sets escalation in its [[queue]])": {
		"die Warteschlange %s hat keine Eskalationsadresse (der Administrator setzt escalation in ihrer [[queue]])",
		"la file %s n'a pas d'adresse d'escalade (l'administrateur définit escalation dans sa [[queue]])",
		"la cola %s no tiene dirección de escalado (el administrador define escalation en su [[queue]])"},
	"%q is not an address like vendor@example.com": {"%q ist keine Adresse wie vendor@example.com",
		"%q n'est pas une adresse comme vendor@example.com", "%q no es una dirección como vendor@example.com"},
	"%s is the desk's own address": {"%s ist die eigene Adresse des Helpdesks", "%s est l'adresse du support lui-même",
		"%s es la propia dirección del servicio de soporte"},
	"%s: %s":                      {"%s: %s", "%s : %s", "%s: %s"},
	"%s is an agent: use #assign": {"%s ist ein Agent: Verwenden Sie #assign", "%s est un agent : utilisez #assign", "%s es un agente: use #assign"},
	"the ticket is in queue %s already": {"das Ticket ist bereits in der Warteschlange %s",
		"le ticket est déjà dans la file %s", "el ticket ya está en la cola %s"},
	"no queue, contact or address %q (queues: %s; contacts: %s; or manager, or an address)": {
		"keine Warteschlange, kein Kontakt und keine Adresse %q (Warteschlangen: %s; Kontakte: %s; oder manager, oder eine Adresse)",
		"aucune file, aucun contact ni aucune adresse %q (files : %s ; contacts : %s ; ou manager, ou une adresse)",
		"ninguna cola, contacto o dirección %q (colas: %s; contactos: %s; o manager, o una dirección)"},
	"write one macro name after #macro": {"schreiben Sie einen Makronamen nach #macro",
		"écrivez un nom de macro après #macro", "escriba un nombre de macro tras #macro"},
	"no macro %q (the desk has no macros)": {"kein Makro %q (der Helpdesk hat keine Makros)",
		"aucune macro %q (le support n'a pas de macros)", "no hay ninguna macro %q (el servicio no tiene macros)"},
	"no macro %q (`helpdesk macros list` shows them)": {"kein Makro %q (`helpdesk macros list` zeigt sie)",
		"aucune macro %q (`helpdesk macros list` les affiche)", "no hay ninguna macro %q (`helpdesk macros list` las muestra)"},
	"the desk has no [http] base_url, so articles have no link": {
		"der Helpdesk hat keine [http] base_url, daher haben Artikel keinen Link",
		"le support n'a pas de [http] base_url, les articles n'ont donc pas de lien",
		"el servicio no tiene [http] base_url, así que los artículos no tienen enlace"},
	"no article %q": {"kein Artikel %q", "aucun article %q", "no hay ningún artículo %q"},
	"the article could not be read: %v": {"der Artikel konnte nicht gelesen werden: %v",
		"l'article n'a pas pu être lu : %v", "no se ha podido leer el artículo: %v"},
	"the article %q is %s, not published": {"der Artikel %q ist %s, nicht veröffentlicht",
		"l'article %q est %s, non publié", "el artículo %q está %s, no publicado"},
	"the desk keeps no languages": {"der Helpdesk führt keine Sprachen", "le support ne gère aucune langue",
		"el servicio no gestiona ningún idioma"},
	"unknown language %q (use %s)": {"unbekannte Sprache %q (möglich sind %s)", "langue inconnue %q (utilisez %s)",
		"idioma desconocido %q (use %s)"},
	"%q is not a ticket reference (write it as HD#1042 or 1042)": {
		"%q ist keine Ticketnummer (schreiben Sie sie als HD#1042 oder 1042)",
		"%q n'est pas une référence de ticket (écrivez-la HD#1042 ou 1042)",
		"%q no es una referencia de ticket (escríbala como HD#1042 o 1042)"},
	"%s is not an address of agent %s": {"%s ist keine Adresse des Agenten %s", "%s n'est pas une adresse de l'agent %s",
		"%s no es una dirección del agente %s"},
	"the sender %s is not verified (%s)": {"der Absender %s ist nicht verifiziert (%s)", "l'expéditeur %s n'est pas vérifié (%s)",
		"el remitente %s no está verificado (%s)"},
	"A mail came through your reply address for %s, but %s. It is kept on the ticket as an unverified note; no command in it ran and nothing was sent to the customer.": {
		"Über Ihre Antwortadresse für %s kam eine E-Mail, aber %s. Sie steht als unbestätigte Notiz am Ticket; kein Befehl darin wurde ausgeführt, und an den Kunden wurde nichts gesendet.",
		"Un e-mail est arrivé par votre adresse de réponse pour %s, mais %s. Il est gardé sur le ticket comme note non vérifiée ; aucune commande n'a été exécutée et rien n'a été envoyé au client.",
		"Ha llegado un correo por su dirección de respuesta para %s, pero %s. Se guarda en el ticket como nota no verificada; no se ha ejecutado ningún comando y no se ha enviado nada al cliente."},
	"%v": {"%v", "%v", "%v"},
	"%s": {"%s", "%s", "%s"},
}
