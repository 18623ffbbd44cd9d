package tickets

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"
)

// maxReferences bounds the References header of outgoing mail; long
// threads keep the first and the newest, as RFC 5322 3.6.4 suggests.
const maxReferences = 20

// queueNotice stores a templated mail to the ticket's requester as an
// outbound message and puts it on the outbox, in the caller's transaction,
// and adds it to res. The mail is stored without its text: no template
// runs while the write lock is held. Ingest renders it right after the
// commit (RenderQueued); the sender renders whatever is still without
// text when it comes to send it (a crash between the two, a batch left to
// it), and a template that fails to render there is an event on the
// ticket.
//
// The requester counts as verified when the ticket's first mail passed the
// sender checks (Ticket.SenderVerified); when it failed them, no automatic
// mail goes to it at all. When nothing was checked, a notice counts against
// the per-domain and per-source rate limits and quotes the customer's words
// only defanged (see defang): whoever wrote them may not be the person who
// gets them.
func (s *Service) queueNotice(ctx context.Context, tx Tx, t *Ticket, trigger *Message, template, kind string, now time.Time, res *Result) error {
	to := t.Requester
	if t.SenderVerified != nil && !*t.SenderVerified {
		// The desk checks senders, and this ticket's did not pass: its
		// requester may never have written. Agents can still answer.
		return s.event(ctx, tx, t.ID, EventNotAnswered, "system", template+" not sent: the requester's address is not verified", now)
	}
	rcpt := autoRecipient{Email: to.Email, Verified: t.SenderVerified != nil && *t.SenderVerified}
	if trigger != nil {
		rcpt.Source = trigger.Source
	}
	if why, err := s.mayAutoSend(ctx, tx, t, rcpt, now); err != nil || why != "" {
		if err != nil {
			return err
		}
		return s.event(ctx, tx, t.ID, EventNotAnswered, "system", template+" not sent: "+why, now)
	}
	mb := s.opts.Mailboxes[t.Mailbox]
	replyTo := Address{Name: s.opts.From.Name, Email: s.signer.ReplyAddress(mb.Address, t.ID)}
	if mb.Address == "" {
		replyTo.Email = s.signer.ReplyAddress(s.opts.From.Email, t.ID)
	}
	msgID := s.signer.MessageID(t.ID, s.domain)
	out := &Message{
		TicketID:  t.ID,
		Direction: Out,
		Kind:      kind,
		Mailbox:   t.Mailbox,
		Key:       msgID,
		MessageID: msgID,
		From:      s.opts.From,
		To:        []Address{to},
		ReplyTo:   &replyTo,
		Headers: map[string]string{
			// RFC 3834 5: mark automatic responses so other robots do not answer them.
			"Auto-Submitted": "auto-replied",
			// Exchange and Outlook: suppress out-of-office and other auto-replies.
			"X-Auto-Response-Suppress": "All",
			s.opts.LoopHeader:          s.domain,
		},
		CreatedAt: now,
	}
	if !rcpt.Verified {
		out.RateDomain = OrganizationalDomain(domainOf(to.Email))
		out.Source = SourceKey(rcpt.Source)
	}
	if trigger != nil && trigger.MessageID != "" {
		out.InReplyTo = trigger.MessageID
		out.References = threadReferences(trigger.References, trigger.MessageID)
	}
	if err := tx.InsertMessage(ctx, out, nil); err != nil {
		return fmt.Errorf("storing %s for ticket %d: %w", template, t.ID, err)
	}
	ref := NoticeRef{Template: template, Unverified: !rcpt.Verified}
	if trigger != nil {
		ref.TriggerID = trigger.ID
	}
	id, err := tx.EnqueueNotice(ctx, out.ID, t.ID, now, ref)
	if err != nil {
		return fmt.Errorf("queueing %s for ticket %d: %w", template, t.ID, err)
	}
	// The event is named for the kind of mail: "acknowledgement", "reopened", ...
	if err := s.event(ctx, tx, t.ID, kind, "system", fmt.Sprintf("%s queued to %s (template %s)", kind, to.Email, template), now); err != nil {
		return err
	}
	res.Queued++
	n := noticeOf(template, t, trigger, to, ref.Unverified)
	switch {
	case kind == KindAcknowledgement && res.noSuggestions:
		n.Suggestions = []Suggestion{}
	case kind == KindAcknowledgement:
		if n.Suggestions, err = tx.Suggestions(ctx, t.ID); err != nil {
			return fmt.Errorf("reading the suggestions of ticket %d: %w", t.ID, err)
		}
	}
	res.notices = append(res.notices, queuedNotice{id: id, notice: n})
	return nil
}

// queuedNotice is a notice queued in a transaction, to render once it
// has committed.
type queuedNotice struct {
	id     int64 // the outbox item
	notice Notice
}

// noticeOf is the notice as it stands at queueing: a copy of the ticket
// and of what the templates read of the trigger, so that later changes in
// the same transaction do not show, and the trigger's attachments are not
// kept.
func noticeOf(template string, t *Ticket, trigger *Message, to Address, unverified bool) Notice {
	tc := *t
	n := Notice{Template: template, Ticket: &tc, To: to, Unverified: unverified}
	if trigger != nil {
		n.Trigger = &Message{ID: trigger.ID, TicketID: trigger.TicketID, MessageID: trigger.MessageID,
			From: trigger.From, Subject: trigger.Subject, Text: trigger.Text, CreatedAt: trigger.CreatedAt}
	}
	return n
}

// render writes the text of notice n: the Composer's, from the customer's
// words defanged when the recipient is unverified, with the ticket's
// subject tag.
func (s *Service) render(ctx context.Context, n Notice) (Composed, error) {
	if n.Unverified {
		n = defangNotice(n)
	}
	c, err := s.opts.Composer.Compose(ctx, n)
	if err != nil {
		return Composed{}, err
	}
	c.Subject = s.tag.Ensure(c.Subject, n.Ticket.ID)
	return c, nil
}

// RenderQueued renders the notices that the ingest of results queued and
// stores their text, so that the outbox holds each mail as it will be
// sent. What it cannot render or store stays without text, and the sender
// renders it when it comes to send it (see deliver): the customer's mail
// is stored either way.
func (s *Service) RenderQueued(ctx context.Context, results []Result) {
	type rendered struct {
		id int64
		c  Composed
	}
	var done []rendered
	for i := range results {
		for _, q := range results[i].notices {
			if c, err := s.render(ctx, q.notice); err == nil {
				done = append(done, rendered{q.id, c})
			}
		}
		results[i].notices = nil
	}
	if len(done) == 0 {
		return
	}
	err := s.store.InTx(ctx, func(tx Tx) error {
		for _, r := range done {
			if err := tx.SaveRendered(ctx, r.id, r.c); err != nil {
				return fmt.Errorf("storing the text of outbox item %d: %w", r.id, err)
			}
		}
		return nil
	})
	if err != nil {
		s.log.WarnContext(ctx, "queued notices left for the sender to render", slog.Int("notices", len(done)), slog.Any("err", err))
	}
}

// threadReferences builds the References of a reply to a mail with refs and id.
func threadReferences(refs []string, id string) []string {
	out := append(append([]string(nil), refs...), id)
	if len(out) > maxReferences {
		out = append(out[:1:1], out[len(out)-maxReferences+1:]...)
	}
	return out
}

// Limits of what a notice to an unverified address quotes of the mail
// that caused it.
const (
	maxUnverifiedSubject = 80   // characters of the subject
	maxUnverifiedText    = 1000 // characters of the text
)

// defangNotice returns n with the ticket's subject and the trigger's
// subject and text defanged: a copy, the stored ticket keeps its subject.
func defangNotice(n Notice) Notice {
	t := *n.Ticket
	t.Subject = defang(t.Subject, maxUnverifiedSubject)
	n.Ticket = &t
	if n.Trigger != nil {
		m := *n.Trigger
		m.Subject = defang(m.Subject, maxUnverifiedSubject)
		m.Text = defang(m.Text, maxUnverifiedText)
		n.Trigger = &m
	}
	return n
}

// linkRE finds what a mail client would make a link of, or a reader could
// type in: URLs with a scheme, "www." names, and words with a dot that end
// in a top-level domain (checked against the public suffix list below).
var linkRE = regexp.MustCompile(`(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.|mailto:)\S+|[\p{L}\p{N}_%+-]+(?:@[\p{L}\p{N}_-]+)?(?:\.[\p{L}\p{N}_-]+)+(?:[/?#:]\S*)?`)

// linkRemoved stands where defang removed a link.
const linkRemoved = "[link removed]"

// defang makes text that a stranger may have written safe to send to an
// address that did not ask for it: links and host names removed (the
// acknowledgement must not carry a spammer's URL to a victim) and the
// length capped at max characters. Only the head of a long text that the
// cap can keep is searched (see defangHead).
func defang(text string, max int) string {
	for n := max; ; n *= 2 {
		head, whole := defangHead(text, n)
		out := removeLinks(head)
		if utf8.RuneCountInString(out) > max {
			return strings.TrimRight(out[:runeOffset(out, max-1)], " ") + "…"
		}
		if whole {
			return out
		}
		// Links removed made the head shorter than the cap: take more.
	}
}

// removeLinks replaces every link in text with linkRemoved. It searches
// only the words (between ASCII blanks, which no link spans) that may hold
// one (see mayHoldLink).
func removeLinks(text string) string {
	var b strings.Builder
	for len(text) > 0 {
		end := strings.IndexAny(text, defangBlanks)
		if end < 0 {
			end = len(text)
		}
		word := text[:end]
		if mayHoldLink(word) {
			word = linkRE.ReplaceAllStringFunc(word, func(m string) string {
				if isLink(m) {
					return linkRemoved
				}
				return m
			})
		}
		b.WriteString(word)
		if end < len(text) {
			b.WriteByte(text[end])
			end++
		}
		text = text[end:]
	}
	return b.String()
}

// mayHoldLink reports whether word can hold a match of linkRE: one has a
// colon ("https://", "mailto:"), or a dot with something after it
// ("www.x", "example.com"). A word whose one dot ends it ("off.") has
// none, and most words have neither.
func mayHoldLink(word string) bool {
	dot := strings.IndexByte(word, '.')
	return dot >= 0 && dot < len(word)-1 || strings.IndexByte(word, ':') >= 0
}

// defangBlanks are the blanks of \s in linkRE's syntax (RE2, Perl classes).
const defangBlanks = " \t\n\f\r"

// runeOffset is the byte offset in s after its first n characters.
func runeOffset(s string, n int) int {
	i := 0
	for ; n > 0 && i < len(s); n-- {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}

// defangHead is the head of text of at least n characters that ends
// before an ASCII blank (or all of text, whole). No match of linkRE spans
// such a blank (\S and its letter classes exclude them), so the head has
// the same links as the text has there.
func defangHead(text string, n int) (head string, whole bool) {
	i := runeOffset(text, n)
	if j := strings.IndexAny(text[i:], defangBlanks); j >= 0 {
		return text[:i+j], false
	}
	return text, true
}

// isLink reports whether a match of linkRE is a link: it has a scheme or
// starts with www., or its host part ends in a suffix the public suffix
// list knows ("example.com", "bit.ly/x", "x.github.io"; not "v1.2" or
// "report.pdf").
func isLink(m string) bool {
	lower := strings.ToLower(m)
	if strings.Contains(lower, "://") || strings.HasPrefix(lower, "www.") || strings.HasPrefix(lower, "mailto:") {
		return true
	}
	host := lower
	if i := strings.IndexAny(host, "/?#:"); i >= 0 {
		host = host[:i]
	}
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	host = strings.TrimRight(host, ".")
	suffix, icann := publicsuffix.PublicSuffix(host)
	// ICANN suffixes need a name before them; a private one (github.io)
	// is a site of its own. An unknown suffix is a single label and no
	// top-level domain anyone can reach.
	return icann && suffix != host || !icann && strings.Contains(suffix, ".")
}
