package tickets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"helpdesk/tickets/triage"
)

// Inbound is one parsed incoming mail, as the mail reader hands it over.
type Inbound struct {
	Mailbox     string // the configured mailbox it came through
	MessageID   string // without brackets; "" when the mail has none
	InReplyTo   []string
	References  []string
	From        Address
	ReplyTo     []Address
	To, Cc      []Address
	Recipients  []string // every address it was delivered to (To, Cc, Delivered-To, ...)
	Subject     string
	Date        time.Time
	Text, HTML  string
	Attachments []Attachment
	// ContentHash identifies a mail without a Message-ID (hex sha256 of the
	// normalised raw mail); computed from Raw when empty.
	ContentHash string
	// AutoReason is non-empty when the mail was written by a robot (an
	// auto-reply, a bounce, a list); such mail is never answered automatically.
	AutoReason string
	// AutoKind names the robot; AutoPerson ("") for a person.
	AutoKind AutoKind
	// BounceOf holds, for a bounce or feedback report, the Message-IDs of the
	// mail it reports on; FailedRecipients the addresses that failed.
	BounceOf, FailedRecipients []string
	// Header holds every header, canonical names to decoded values, for rules.
	Header map[string][]string
	// Sender is the verdict on who sent the mail, from the
	// Authentication-Results of the mail servers the desk trusts; nil when
	// the desk trusts none (no check: every sender is answered at its
	// word). When set, only verified addresses are answered automatically.
	Sender *SenderCheck
	// Source is the address of the host that handed the mail to the
	// receiving mail system ("" when unknown): automatic answers to
	// unverified mail from one source are rate-limited together.
	Source string
	// Raw is the mail as received; it is kept.
	Raw []byte
	// WebForm: the mail was written by the desk from its web form
	// (base_url/new), never received. It always opens a new ticket,
	// unverified until the customer confirms the address; nothing in it
	// threads it or carries an agent's power. Only the desk sets it.
	WebForm bool
	// WebTicket is, for a reply written on a ticket's page
	// (base_url/t/...), that ticket: the page's signed link chose it, and
	// nothing in the mail threads it elsewhere. 0 for any other mail.
	WebTicket int64

	fp   *triage.Fingerprint // see fingerprint
	lang *languageGuess      // see Service.guessLanguage
}

// AutoKind names the kind of machine that wrote an incoming mail. The
// mail reader's verdict is mapped into these where a mail is handed over.
type AutoKind string

// The kinds of automatic mail.
const (
	AutoPerson         AutoKind = ""                // a person wrote it
	AutoOwn            AutoKind = "own"             // the desk's own mail come back
	AutoBounce         AutoKind = "bounce"          // a delivery failure report (RFC 3464)
	AutoFeedbackReport AutoKind = "feedback-report" // an abuse or spam complaint (RFC 5965)
	AutoReply          AutoKind = "auto-reply"      // out-of-office, vacation, delay notices, any auto-submitted mail
	AutoList           AutoKind = "list"            // mail through a mailing list
	AutoBulk           AutoKind = "bulk"            // newsletters and other bulk mail
)

// Result says what Ingest did with a mail.
type Result struct {
	TicketID int64
	Ref      string
	// Created: the mail opened a new ticket.
	Created bool
	// Duplicate: the mail was stored before; nothing changed.
	Duplicate bool
	// ThreadedBy says how a reply found its ticket: "token", "message-id",
	// "subject-tag", or "agent-token" for a mail through an agent's token.
	ThreadedBy string
	// Reopened: the reply set a resolved or closed ticket back to open.
	Reopened bool
	// Unverified: threaded by a Message-ID from someone not on the ticket,
	// or through an agent's token by someone else; the mail is kept and
	// flagged, and changed nothing else.
	Unverified bool
	// Queued counts the mails put on the outbox.
	Queued int

	decision *triage.Decision // the rules' decision on a new ticket, for DryRun
	followUp bool             // the new ticket follows up a closed one, for DryRun
	notices  []queuedNotice   // to render once the transaction has committed
	// noSuggestions: the new ticket's acknowledgement suggests no
	// article, known without reading them back.
	noSuggestions bool
}

// Key returns the dedupe key of an inbound mail.
func (in *Inbound) Key() string {
	if id := strings.TrimSpace(in.MessageID); id != "" {
		return id
	}
	if in.ContentHash != "" {
		return "sha256:" + in.ContentHash
	}
	norm := strings.ReplaceAll(string(in.Raw), "\r\n", "\n")
	sum := sha256.Sum256([]byte(norm))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Ingest stores one incoming mail: as a new ticket, or as the next message
// of the ticket it answers. Everything it decides, including the mails to
// send, commits in one transaction. The same mail twice changes nothing.
// It does not log the stored mail: its caller knows where the mail came
// from (an IMAP UID, a pipe) and logs it with that.
func (s *Service) Ingest(ctx context.Context, in *Inbound) (Result, error) {
	mb, err := s.check(in)
	if err != nil {
		return Result{}, err
	}
	var res Result
	for range 2 {
		err = s.store.InTx(ctx, func(tx Tx) error {
			res = Result{}
			return s.ingest(ctx, tx, in, mb, &res)
		})
		if !errors.Is(err, ErrDuplicate) {
			break
		}
		// Another writer stored the same mail between our check and our
		// insert; the second pass finds it and reports the duplicate.
	}
	if err != nil {
		return Result{}, fmt.Errorf("ingesting %s into mailbox %q: %w", in.Key(), in.Mailbox, err)
	}
	s.RenderQueued(ctx, []Result{res})
	res.notices = nil
	return res, nil
}

// IngestBatch stores several mails in one transaction: one commit, and so
// one disk sync, for a whole batch fetched from a mailbox. It returns one
// result and one error per mail. When the shared transaction fails, each
// mail is tried on its own, so that one bad mail costs only itself.
//
// The notices it queues wait on the outbox without their text: render
// them with RenderQueued, or leave them to the sender, which renders what
// it finds without text.
func (s *Service) IngestBatch(ctx context.Context, ins []*Inbound) ([]Result, []error) {
	results := make([]Result, len(ins))
	errs := make([]error, len(ins))
	boxes := make([]MailboxInfo, len(ins))
	// check fingerprints each mail: the same work for each, on every CPU.
	eachAtOnce(len(ins), func(i int) { boxes[i], errs[i] = s.check(ins[i]) })
	err := s.store.InTx(ctx, func(tx Tx) error {
		for i, in := range ins {
			if errs[i] != nil {
				continue
			}
			results[i] = Result{}
			if err := s.ingest(ctx, tx, in, boxes[i], &results[i]); err != nil {
				return fmt.Errorf("ingesting %s into mailbox %q: %w", in.Key(), in.Mailbox, err)
			}
		}
		return nil
	})
	if err != nil {
		s.log.WarnContext(ctx, "batch not stored; storing its mails one by one", slog.Int("mails", len(ins)), slog.Any("err", err))
		for i, in := range ins {
			if errs[i] == nil {
				results[i], errs[i] = s.Ingest(ctx, in)
			}
		}
	}
	return results, errs
}

// eachAtOnce runs f(0) to f(n-1), on up to GOMAXPROCS goroutines.
func eachAtOnce(n int, f func(i int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				f(i)
			}
		})
	}
	wg.Wait()
}

// check finds the mailbox of in and refuses a mail no ticket can take.
func (s *Service) check(in *Inbound) (MailboxInfo, error) {
	mb, ok := s.opts.Mailboxes[in.Mailbox]
	if !ok {
		return MailboxInfo{}, fmt.Errorf("ingesting into mailbox %q: no such mailbox in the config", in.Mailbox)
	}
	if strings.TrimSpace(in.From.Email) == "" {
		return MailboxInfo{}, fmt.Errorf("ingesting into mailbox %q: %w: the mail has no sender", in.Mailbox, ErrUnusable)
	}
	in.fingerprint() // it reads the whole text: not while holding the write lock
	if len(in.InReplyTo) == 0 && len(in.References) == 0 {
		s.guessLanguage(in) // most likely a new ticket, which needs it: the same
	}
	return mb, nil
}

func (s *Service) ingest(ctx context.Context, tx Tx, in *Inbound, mb MailboxInfo, res *Result) error {
	now := s.now().UTC()
	key, dup, err := s.dedupe(ctx, tx, in)
	if err != nil {
		return err
	}
	if dup != nil {
		*res = Result{TicketID: dup.TicketID, Ref: s.Ref(dup.TicketID), Duplicate: true}
		return nil
	}

	msg := s.inboundMessage(in, key, now)
	if in.WebForm || in.WebTicket != 0 {
		return s.ingestWeb(ctx, tx, in, mb, msg, now, res)
	}
	if tok, ok := s.agentTokenOf(in); ok {
		if done, err := s.agentMail(ctx, tx, in, msg, tok, now, res); done || err != nil {
			return err
		}
	}
	if in.AutoKind != AutoBounce && in.AutoKind != AutoFeedbackReport {
		// A vendor's answer is a note; its bounces are the loop rules'.
		if tok, ok := s.vendorTokenOf(in); ok {
			if done, err := s.vendorMail(ctx, tx, in, msg, tok, now, res); done || err != nil {
				return err
			}
		}
	}
	t, how, err := s.thread(ctx, tx, in)
	if err != nil {
		return err
	}
	if in.AutoKind == AutoBounce || in.AutoKind == AutoFeedbackReport {
		if t, how, err = s.bounce(ctx, tx, in, t, how, now); err != nil {
			return err
		}
	}
	// A mail no ticket takes opens one, unless it repeats a recent one:
	// both read the requester's open tickets, asked once here.
	var open *openTickets
	if t == nil {
		requester, _ := s.requesterOf(in)
		o, err := s.openTicketsOf(ctx, tx, requester.Email, now)
		if err != nil {
			return err
		}
		open = &o
	}
	if t == nil && msg.Kind == KindCustomer {
		if t, err = s.duplicateOf(ctx, tx, in, *open, now); err != nil {
			return err
		}
		if t != nil {
			return s.mergeDuplicate(ctx, tx, t, in, msg, now, res)
		}
	}
	// A reply to the survey rates the ticket, and never reopens it.
	if rating, comment, ok, err := s.surveyReply(ctx, tx, t, in, msg); err != nil || ok {
		if err != nil {
			return err
		}
		return s.rateByMail(ctx, tx, t, how, in, msg, rating, comment, now, res)
	}
	if t != nil && t.Status == StatusClosed && msg.Kind == KindCustomer && now.Sub(t.ClosedAt) > s.opts.ReopenWindow {
		// Too late to reopen: a new ticket, linked to the old one.
		old := t
		t, err = s.newTicket(ctx, tx, in, mb, msg, old.ID, nil, now, res)
		if err != nil {
			return err
		}
		if err := s.link(ctx, tx, old, t, now); err != nil {
			return err
		}
		return nil
	}
	if t == nil {
		_, err := s.newTicket(ctx, tx, in, mb, msg, 0, open, now, res)
		return err
	}
	return s.reply(ctx, tx, t, how, in, msg, now, res)
}

// dedupe returns the stored message this mail duplicates, if any, else the
// key to store it under. The same Message-ID with the same sender, subject
// and text is the same mail, whichever mailbox or path brought it. A sender
// that reuses a Message-ID for a different mail must not lose that mail, so
// then the key gets a hash of the content.
func (s *Service) dedupe(ctx context.Context, tx Tx, in *Inbound) (string, *Message, error) {
	key := in.Key()
	for range 2 {
		prev, err := tx.MessageByKey(ctx, key)
		if errors.Is(err, ErrNotFound) {
			return key, nil, nil
		}
		if err != nil {
			return "", nil, fmt.Errorf("checking for duplicate: %w", err)
		}
		if prev.Direction == In && SameEmail(prev.From.Email, in.From.Email) && prev.Subject == in.Subject &&
			strings.TrimSpace(prev.Text) == strings.TrimSpace(in.Text) {
			return "", prev, nil
		}
		sum := sha256.Sum256([]byte(in.From.Email + "\x00" + in.Subject + "\x00" + strings.TrimSpace(in.Text)))
		key = in.Key() + "#" + hex.EncodeToString(sum[:8])
	}
	return "", nil, fmt.Errorf("checking for duplicate: message key %s is taken by another mail", key)
}

// thread finds the ticket an incoming mail answers, in order of trust.
func (s *Service) thread(ctx context.Context, tx Tx, in *Inbound) (*Ticket, string, error) {
	// 1. A signed token in an address it was sent to, or in one of our Message-IDs.
	for _, rcpt := range recipients(in) {
		if id, ok := s.signer.TicketFromAddress(rcpt); ok {
			if t, err := s.live(ctx, tx, id); err != nil || t != nil {
				return t, "token", err
			}
		}
	}
	refs := boundRefs(append(append([]string(nil), in.InReplyTo...), in.References...))
	for _, ref := range refs {
		if id, ok := s.signer.TicketFromMessageID(ref); ok {
			if t, err := s.live(ctx, tx, id); err != nil || t != nil {
				return t, "token", err
			}
		}
	}
	// 2. In-Reply-To / References naming a stored message.
	if len(refs) > 0 {
		t, err := tx.TicketByMessageIDs(ctx, refs)
		if err == nil {
			t, err = s.follow(ctx, tx, t)
			return t, "message-id", err
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, "", fmt.Errorf("threading by references: %w", err)
		}
	}
	// 3. A subject tag, only from someone already on that ticket.
	t, err := s.byEverySubjectTag(ctx, tx, in)
	if err != nil || t != nil {
		return t, "subject-tag", err
	}
	if id, ok := s.tag.Find(in.Subject); ok {
		s.log.InfoContext(ctx, "subject tag from a stranger ignored", slog.String("ticket", s.Ref(id)),
			slog.String("message_id", in.MessageID))
	}
	return nil, "", nil
}

// maxLookupRefs bounds the Message-IDs of a mail looked up for threading:
// a mail with thousands of references (a long thread, or a hostile one)
// must neither be slow nor exceed the database's limit on parameters.
const maxLookupRefs = 50

// boundRefs keeps the first reference (the thread's root) and the newest
// ones, as RFC 5322 3.6.4 suggests for long References.
func boundRefs(refs []string) []string {
	if len(refs) <= maxLookupRefs {
		return refs
	}
	return append(refs[:1:1], refs[len(refs)-maxLookupRefs+1:]...)
}

// live returns ticket id, following merges; nil when there is no such ticket.
func (s *Service) live(ctx context.Context, tx Tx, id int64) (*Ticket, error) {
	t, err := tx.Ticket(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("loading ticket %d: %w", id, err)
	}
	return s.follow(ctx, tx, t)
}

// follow goes from a merged ticket to the one it was merged into.
func (s *Service) follow(ctx context.Context, tx Tx, t *Ticket) (*Ticket, error) {
	for i := 0; i < 10 && t.Status == StatusMerged && t.MergedInto != 0; i++ {
		next, err := tx.Ticket(ctx, t.MergedInto)
		if err != nil {
			return nil, fmt.Errorf("following merge of ticket %d: %w", t.ID, err)
		}
		t = next
	}
	return t, nil
}

func (s *Service) inboundMessage(in *Inbound, key string, now time.Time) *Message {
	kind := KindCustomer
	if in.AutoReason != "" {
		kind = KindAutomatic
	}
	m := &Message{
		Direction:   In,
		Kind:        kind,
		Mailbox:     in.Mailbox,
		Key:         key,
		MessageID:   in.MessageID,
		References:  in.References,
		From:        in.From,
		To:          in.To,
		Cc:          in.Cc,
		Subject:     in.Subject,
		Text:        in.Text,
		HTML:        in.HTML,
		AutoReason:  in.AutoReason,
		Source:      in.Source,
		Attachments: in.Attachments,
		CreatedAt:   now,
	}
	if len(in.InReplyTo) > 0 {
		m.InReplyTo = in.InReplyTo[0]
	}
	if len(in.ReplyTo) > 0 {
		r := in.ReplyTo[0]
		m.ReplyTo = &r
	}
	return m
}

// SenderCheck is the desk's verdict on the sender of a mail, from the
// Authentication-Results (RFC 8601) of the mail servers it trusts.
type SenderCheck struct {
	// FromVerified: the From's domain passed DMARC or, without a DMARC
	// result, DKIM or SPF aligned with it.
	FromVerified bool
	// Verified lists the addresses among From and Reply-To that may be
	// answered automatically, lowercased.
	Verified []string
	// Why says in a few words what decided FromVerified, for the ticket's
	// events: "dmarc=fail header.from=example.com".
	Why string
}

func (c *SenderCheck) verified(addr string) bool {
	for _, v := range c.Verified {
		if SameEmail(v, addr) {
			return true
		}
	}
	return false
}

// requesterOf is who a new ticket is for: the Reply-To, else the From.
// When the desk checks senders (in.Sender set) and the From is verified,
// a Reply-To is taken only when it is verified too; ignored names a
// Reply-To passed over for that reason.
func (s *Service) requesterOf(in *Inbound) (requester Address, ignored string) {
	requester = in.From
	for _, r := range in.ReplyTo {
		if r.Email == "" || s.isOwnAddress(r.Email) {
			continue
		}
		if c := in.Sender; c != nil && c.FromVerified && !c.verified(r.Email) {
			if ignored == "" {
				ignored = EmailKey(r.Email)
			}
			continue
		}
		requester = r
		break
	}
	requester.Email = EmailKey(requester.Email)
	return requester, ignored
}

// newTicket opens a ticket for in, whose message is msg; followUpOf is
// the closed ticket the mail was about, too late to reopen it (0 for none);
// open is what the caller read of the requester's tickets, nil if nothing.
func (s *Service) newTicket(ctx context.Context, tx Tx, in *Inbound, mb MailboxInfo, msg *Message, followUpOf int64, open *openTickets, now time.Time, res *Result) (*Ticket, error) {
	requester, ignoredReplyTo := s.requesterOf(in)
	subject := s.tag.Strip(in.Subject)
	if subject == "" {
		subject = "(no subject)"
	}
	status := StatusNew
	if in.WebForm {
		status = StatusUnverified
	}
	t := &Ticket{
		Subject:   subject,
		Status:    status,
		Priority:  "P3",
		Queue:     mb.Queue,
		Mailbox:   in.Mailbox,
		Requester: requester,
		CreatedAt: now,
		UpdatedAt: now,

		FollowUpOf: followUpOf,
	}
	if in.Sender != nil {
		verified := in.Sender.FromVerified
		t.SenderVerified = &verified
	}
	decision, err := s.applyTriage(ctx, tx, t, in, open, now)
	if err != nil {
		return nil, err
	}
	prevLang := ""
	if followUpOf != 0 {
		prev, err := tx.Ticket(ctx, followUpOf)
		if err != nil {
			return nil, fmt.Errorf("loading ticket %d: %w", followUpOf, err)
		}
		prevLang = prev.Language
	}
	langWhy := s.languageOfNew(t, in, decision.Language, prevLang)
	if err := tx.CreateTicket(ctx, t, s.opts.FirstTicketID); err != nil {
		return nil, fmt.Errorf("creating ticket: %w", err)
	}
	*res = Result{TicketID: t.ID, Ref: s.Ref(t.ID), Created: true, decision: &decision, followUp: followUpOf != 0}
	if _, err := tx.AddParticipant(ctx, t.ID, Participant{Address: requester, Role: "requester"}); err != nil {
		return nil, fmt.Errorf("adding requester to ticket %d: %w", t.ID, err)
	}
	if err := s.addCCs(ctx, tx, t, in, now); err != nil {
		return nil, err
	}
	msg.TicketID = t.ID
	if err := tx.InsertMessage(ctx, msg, in.Raw); err != nil {
		return nil, fmt.Errorf("storing message on ticket %d: %w", t.ID, err)
	}
	if err := s.keepFingerprint(ctx, tx, t, msg, in); err != nil {
		return nil, err
	}
	created := fmt.Sprintf("ticket opened by mail to %s (mailbox %s, queue %s)", mb.Address, in.Mailbox, t.Queue)
	if in.WebForm {
		created = fmt.Sprintf("ticket opened on the web form from %s (mailbox %s, queue %s); unverified until the customer confirms the address", in.Source, in.Mailbox, t.Queue)
	}
	if err := s.event(ctx, tx, t.ID, EventCreated, requester.Email, created, now); err != nil {
		return nil, err
	}
	if err := s.triageEvents(ctx, tx, t, decision, now); err != nil {
		return nil, err
	}
	if langWhy != "" {
		if err := s.event(ctx, tx, t.ID, EventLanguage, "system", fmt.Sprintf("language %s (%s)", t.Language, langWhy), now); err != nil {
			return nil, err
		}
	}
	if t.Status == StatusUnverified {
		// Nobody works on it, and no clock runs, until the customer
		// confirms (confirmWeb); unconfirmed, it is closed in time.
		if err := tx.ScheduleJob(ctx, t.ID, JobUnverifiedExpire, now.Add(s.web.UnverifiedFor)); err != nil {
			return nil, fmt.Errorf("scheduling the expiry of unverified ticket %d: %w", t.ID, err)
		}
		if decision.Skill != "" {
			// For the assignment at confirmation (see confirmWeb).
			if err := s.event(ctx, tx, t.ID, EventWebSkill, "system", decision.Skill, now); err != nil {
				return nil, err
			}
		}
	} else {
		if err := s.startSLA(ctx, tx, t, in, now); err != nil {
			return nil, err
		}
		if t.Assignee == "" && !decision.Spam && in.AutoReason == "" {
			if err := s.assignNew(ctx, tx, t, decision.Skill, now); err != nil {
				return nil, err
			}
		}
		if err := s.notifyNewTicket(ctx, tx, t, in, msg, now); err != nil {
			return nil, err
		}
	}
	switch {
	case in.AutoReason != "":
		return t, s.event(ctx, tx, t.ID, EventNotAnswered, "system", "no acknowledgement: automatic mail ("+in.AutoReason+")", now)
	case decision.Spam:
		return t, s.event(ctx, tx, t.ID, EventNotAnswered, "system", "no acknowledgement: spam", now)
	case in.Sender != nil && !in.Sender.FromVerified:
		// Anyone can write any From: answering it would send the desk's
		// mail, and the attacker's subject, to whomever the attacker names.
		return t, s.event(ctx, tx, t.ID, EventNotAnswered, "system", "no acknowledgement: the sender is not verified ("+in.Sender.Why+")", now)
	case !decision.Acknowledge && !in.WebForm: // a web ticket's acknowledgement confirms its address
		return t, s.event(ctx, tx, t.ID, EventNotAnswered, "system", "no acknowledgement: a rule suppressed it", now)
	}
	if ignoredReplyTo != "" {
		if err := s.event(ctx, tx, t.ID, EventNotAnswered, "system", fmt.Sprintf("reply-to %s not answered: its domain is not verified; the verified From %s is answered instead", ignoredReplyTo, requester.Email), now); err != nil {
			return nil, err
		}
	}
	suggested, err := s.suggestFor(ctx, tx, t, msg, now)
	if err != nil {
		return nil, err
	}
	res.noSuggestions = !suggested
	template := ackTemplate(decision, t.FollowUpOf != 0)
	return t, s.queueNotice(ctx, tx, t, msg, template, KindAcknowledgement, now, res)
}

// UnanswerableAddress says why mail to addr must never be sent automatically
// ("" when it may be): robots' and role addresses that do not read replies.
func UnanswerableAddress(addr string) string {
	local, _, ok := strings.Cut(StripPlusTag(EmailKey(addr)), "@")
	if !ok {
		return "not an address"
	}
	switch local {
	case "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply",
		"mailer-daemon", "postmaster", "bounce", "bounces":
		return "mail to " + local + "@ is never sent"
	}
	return ""
}

func (s *Service) reply(ctx context.Context, tx Tx, t *Ticket, how string, in *Inbound, msg *Message, now time.Time, res *Result) error {
	*res = Result{TicketID: t.ID, Ref: s.Ref(t.ID), ThreadedBy: how}
	msg.TicketID = t.ID
	stranger, err := s.isStranger(ctx, tx, t, how, in, msg)
	if err != nil {
		return err
	}
	msg.Unverified, res.Unverified = stranger, stranger
	if err := tx.InsertMessage(ctx, msg, in.Raw); err != nil {
		return fmt.Errorf("storing reply on ticket %d: %w", t.ID, err)
	}
	if stranger {
		return s.keepUnverified(ctx, tx, t, in, now)
	}
	actor := EmailKey(in.From.Email)
	detail := fmt.Sprintf("reply from %s (threaded by %s)", actor, how)
	if msg.Kind == KindAutomatic {
		detail = fmt.Sprintf("automatic mail from %s (%s), threaded by %s", actor, in.AutoReason, how)
	}
	if err := s.event(ctx, tx, t.ID, EventMessage, actor, detail, now); err != nil {
		return err
	}
	if msg.Kind == KindAutomatic || t.Status.Terminal() {
		// A robot's mail or a reply to spam changes nothing.
		t.UpdatedAt = now
		return tx.UpdateTicket(ctx, t)
	}
	if err := s.addSender(ctx, tx, t, in, now); err != nil {
		return err
	}
	if err := s.addCCs(ctx, tx, t, in, now); err != nil {
		return err
	}
	prev := t.Status
	if (prev == StatusResolved || prev == StatusClosed) && (in.Sender == nil || in.Sender.FromVerified) &&
		onlyThanks(s.opts.StripQuoted(msg.Text), in.From.Name) {
		// The customer confirms the fix: nothing to reopen.
		if err := s.event(ctx, tx, t.ID, EventConfirmed, actor, fmt.Sprintf("the reply only thanks: the ticket stays %s", prev), now); err != nil {
			return err
		}
		t.UpdatedAt = now
		if err := tx.UpdateTicket(ctx, t); err != nil {
			return fmt.Errorf("updating ticket %d: %w", t.ID, err)
		}
		// The customer spoke: the auto-close clock starts again.
		if err := s.reschedule(ctx, tx, t, now); err != nil {
			return err
		}
		return s.notifyCustomerReply(ctx, tx, t, msg, now)
	}
	if t.Status == StatusUnverified {
		return s.replyToUnverified(ctx, tx, t, how, in, msg, now)
	}
	if deflected, err := s.solvedByReply(ctx, tx, t, in, msg, now); err != nil || deflected {
		return err
	}
	switch prev {
	case StatusPending, StatusResolved, StatusClosed:
		t.Status = StatusOpen
		t.ResolvedAt, t.ClosedAt = time.Time{}, time.Time{}
		res.Reopened = prev != StatusPending
		if err := s.event(ctx, tx, t.ID, EventStatus, actor, fmt.Sprintf("%s -> open: customer replied", prev), now); err != nil {
			return err
		}
		if err := s.reschedule(ctx, tx, t, now); err != nil {
			return err
		}
	}
	// The desk owes the customer an answer again.
	if err := s.slaCustomerReplied(ctx, tx, t, now); err != nil {
		return err
	}
	t.UpdatedAt = now
	if err := tx.UpdateTicket(ctx, t); err != nil {
		return fmt.Errorf("updating ticket %d: %w", t.ID, err)
	}
	if err := s.notifyCustomerReply(ctx, tx, t, msg, now); err != nil {
		return err
	}
	if res.Reopened && in.Sender != nil && !in.Sender.FromVerified {
		return s.event(ctx, tx, t.ID, EventNotAnswered, "system", "reopened not sent: the sender is not verified ("+in.Sender.Why+")", now)
	}
	if res.Reopened {
		return s.queueNotice(ctx, tx, t, msg, "reopened", "reopened", now, res)
	}
	return nil
}

// addSender puts a person who replied on the ticket, so a later mail of
// theirs with only the subject tag threads too. Threading by tag alone
// never gets here for a stranger.
func (s *Service) addSender(ctx context.Context, tx Tx, t *Ticket, in *Inbound, now time.Time) error {
	addr := EmailKey(in.From.Email)
	if addr == "" || s.isOwnAddress(addr) {
		return nil
	}
	added, err := tx.AddParticipant(ctx, t.ID, Participant{Address: Address{Name: in.From.Name, Email: addr}, Role: "cc"})
	if err != nil {
		return fmt.Errorf("adding %s to ticket %d: %w", addr, t.ID, err)
	}
	if added {
		return s.event(ctx, tx, t.ID, EventParticipant, addr, addr+" joined the conversation", now)
	}
	return nil
}

// addCCs keeps the people a customer copied, so they are answered too. One
// mail adds at most Options.MaxParticipantsPerMail of them and looks up at
// most four times as many (those already on the ticket count there); the
// rest are named in one event, so that a mail copying thousands neither
// fills the ticket nor holds the write lock for long.
func (s *Service) addCCs(ctx context.Context, tx Tx, t *Ticket, in *Inbound, now time.Time) error {
	limit := s.opts.MaxParticipantsPerMail
	actor := EmailKey(in.From.Email)
	added, tried := 0, 0
	var left []string
	seen := make(map[string]bool)
	for _, a := range slices.Concat(in.To, in.Cc) {
		email := EmailKey(a.Email)
		if email == "" || seen[email] || s.isOwnAddress(email) || SameEmail(email, t.Requester.Email) {
			continue
		}
		seen[email] = true
		if added == limit || tried == 4*limit {
			left = append(left, email)
			continue
		}
		tried++
		ok, err := tx.AddParticipant(ctx, t.ID, Participant{Address: Address{Name: a.Name, Email: email}, Role: "cc"})
		if err != nil {
			return fmt.Errorf("adding cc %s to ticket %d: %w", email, t.ID, err)
		}
		if ok {
			added++
			if err := s.event(ctx, tx, t.ID, EventParticipant, actor, "cc "+email, now); err != nil {
				return err
			}
		}
	}
	if len(left) == 0 {
		return nil
	}
	detail := fmt.Sprintf("%d more addresses in To and Cc not added: one mail adds at most %d people (%s",
		len(left), limit, strings.Join(left[:min(len(left), 5)], ", "))
	if len(left) > 5 {
		detail += ", ..."
	}
	return s.event(ctx, tx, t.ID, EventParticipant, actor, detail+")", now)
}

func (s *Service) link(ctx context.Context, tx Tx, old, t *Ticket, now time.Time) error {
	if err := s.event(ctx, tx, t.ID, EventLinked, "system", fmt.Sprintf("follow-up of %s, closed %s", s.Ref(old.ID), old.ClosedAt.Format(time.DateOnly)), now); err != nil {
		return err
	}
	return s.event(ctx, tx, old.ID, EventLinked, "system", fmt.Sprintf("customer wrote again after closing; follow-up is %s", s.Ref(t.ID)), now)
}

func (s *Service) event(ctx context.Context, tx Tx, ticketID int64, kind, actor, detail string, now time.Time) error {
	if err := tx.AddEvent(ctx, &Event{TicketID: ticketID, Kind: kind, Actor: actor, Detail: detail, CreatedAt: now}); err != nil {
		return fmt.Errorf("recording %s event on ticket %d: %w", kind, ticketID, err)
	}
	return nil
}

func recipients(in *Inbound) []string {
	out := append([]string(nil), in.Recipients...)
	for _, a := range in.To {
		out = append(out, a.Email)
	}
	for _, a := range in.Cc {
		out = append(out, a.Email)
	}
	return out
}
