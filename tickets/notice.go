package tickets

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"
)

// maxReferences bounds the References header of outgoing mail; long
// threads keep the first and the newest, as RFC 5322 3.6.4 suggests.
const maxReferences = 20

// queueNotice renders a templated mail to the ticket's requester, stores it
// as an outbound message and puts it on the outbox, in the caller's
// transaction. A template that fails to render is an event, not an error:
// the customer's mail is stored either way.
//
// The requester counts as verified when the ticket's first mail passed the
// sender checks (Ticket.SenderVerified); when it failed them, no automatic
// mail goes to it at all. When nothing was checked, a notice counts against
// the per-domain and per-source rate limits and quotes the customer's words
// only defanged (see defang): whoever wrote them may not be the person who
// gets them.
func (s *Service) queueNotice(ctx context.Context, tx Tx, t *Ticket, trigger *Message, template, kind string, now time.Time) (int, error) {
	to := t.Requester
	if t.SenderVerified != nil && !*t.SenderVerified {
		// The desk checks senders, and this ticket's did not pass: its
		// requester may never have written. Agents can still answer.
		return 0, s.event(ctx, tx, t.ID, EventNotAnswered, "system", template+" not sent: the requester's address is not verified", now)
	}
	rcpt := autoRecipient{Email: to.Email, Verified: t.SenderVerified != nil && *t.SenderVerified}
	if trigger != nil {
		rcpt.Source = trigger.Source
	}
	if why, err := s.mayAutoSend(ctx, tx, t, rcpt, now); err != nil || why != "" {
		if err != nil {
			return 0, err
		}
		return 0, s.event(ctx, tx, t.ID, EventNotAnswered, "system", template+" not sent: "+why, now)
	}
	notice := Notice{Template: template, Ticket: t, Trigger: trigger, To: to}
	if !rcpt.Verified {
		notice = defangNotice(notice)
	}
	composed, err := s.opts.Composer.Compose(ctx, notice)
	if err != nil {
		return 0, s.event(ctx, tx, t.ID, EventNotAnswered, "system", fmt.Sprintf("%s not sent: %v", template, err), now)
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
		Subject:   s.tag.Ensure(composed.Subject, t.ID),
		Text:      composed.Text,
		HTML:      composed.HTML,
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
		return 0, fmt.Errorf("storing %s for ticket %d: %w", template, t.ID, err)
	}
	if err := tx.EnqueueMail(ctx, out.ID, t.ID, now); err != nil {
		return 0, fmt.Errorf("queueing %s for ticket %d: %w", template, t.ID, err)
	}
	// The event is named for the kind of mail: "acknowledgement", "reopened", ...
	if err := s.event(ctx, tx, t.ID, kind, "system", fmt.Sprintf("%s queued to %s (template %s)", kind, to.Email, template), now); err != nil {
		return 0, err
	}
	return 1, nil
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
// length capped at max characters.
func defang(text string, max int) string {
	text = linkRE.ReplaceAllStringFunc(text, func(m string) string {
		if isLink(m) {
			return linkRemoved
		}
		return m
	})
	if utf8.RuneCountInString(text) > max {
		r := []rune(text)
		text = strings.TrimRight(string(r[:max-1]), " ") + "…"
	}
	return text
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
