package tickets

import (
	"context"
	"errors"
	"fmt"
	"time"

	"helpdesk/tickets/triage"
)

// Event kinds of triage.
const (
	EventRule      = "rule"
	EventSpam      = "spam"
	EventPriority  = "priority"
	EventDuplicate = "duplicate"
	EventMerged    = "merged"
)

// triageMail is what the rules see of an incoming mail.
func triageMail(in *Inbound, openTickets int) triage.Mail {
	m := triage.Mail{
		From:          EmailKey(in.From.Email),
		FromName:      in.From.Name,
		Subject:       in.Subject,
		Body:          in.Text,
		Header:        in.Header,
		HasAttachment: len(in.Attachments) > 0,
		Mailbox:       in.Mailbox,
		OpenTickets:   openTickets,
	}
	for _, a := range in.To {
		m.To = append(m.To, EmailKey(a.Email))
	}
	for _, a := range in.Cc {
		m.Cc = append(m.Cc, EmailKey(a.Email))
	}
	return m
}

func (s *Service) evaluate(m triage.Mail) triage.Decision {
	if s.triage == nil {
		return triage.Decision{Priority: "P3", Acknowledge: true}
	}
	return s.triage.Evaluate(m)
}

// openTickets is what a new mail's triage reads of the not yet resolved
// tickets of its requester, in one statement.
type openTickets struct {
	n int // how many, for the rules
	// recent: one was opened within the duplicate window (false when
	// there is none), for duplicateOf.
	recent bool
}

// openTicketsOf reads the not yet resolved tickets of email.
func (s *Service) openTicketsOf(ctx context.Context, tx Tx, email string, now time.Time) (openTickets, error) {
	if s.triage == nil {
		return openTickets{}, nil // no rules, no duplicates
	}
	window := s.triage.DuplicateWindow()
	n, recent, err := tx.OpenTickets(ctx, email, now.Add(-window))
	if err != nil {
		return openTickets{}, fmt.Errorf("counting open tickets of %s: %w", email, err)
	}
	return openTickets{n: n, recent: recent && window > 0}, nil
}

// applyTriage sorts a new ticket by the rules and records why; open is
// what ingest read of its requester's tickets already, nil if nothing.
func (s *Service) applyTriage(ctx context.Context, tx Tx, t *Ticket, in *Inbound, open *openTickets, now time.Time) (triage.Decision, error) {
	if open == nil {
		o, err := s.openTicketsOf(ctx, tx, t.Requester.Email, now)
		if err != nil {
			return triage.Decision{}, err
		}
		open = &o
	}
	d := s.evaluate(triageMail(in, open.n))
	if d.Queue != "" {
		t.Queue = d.Queue
	}
	t.Category = d.Category
	t.Tags = d.Tags
	if d.Priority != "" {
		t.Priority = d.Priority
	}
	t.Assignee = d.Assignee
	if d.Spam {
		t.Status = StatusSpam
	}
	return d, nil
}

// triageEvents records every rule that fired, the priority and a spam verdict.
func (s *Service) triageEvents(ctx context.Context, tx Tx, t *Ticket, d triage.Decision, now time.Time) error {
	for _, f := range d.Fired {
		if err := s.event(ctx, tx, t.ID, EventRule, "rule:"+f.Rule, fmt.Sprintf("rule %q: %s", f.Rule, f.Summary), now); err != nil {
			return err
		}
	}
	if d.Impact != "" || d.Urgency != "" || d.UrgencyHeader != "" {
		why := fmt.Sprintf("priority %s (impact %s, urgency %s)", t.Priority, orMedium(d.Impact), orMedium(d.Urgency))
		if d.UrgencyHeader != "" {
			why += "; urgency from " + d.UrgencyHeader
		}
		if err := s.event(ctx, tx, t.ID, EventPriority, "system", why, now); err != nil {
			return err
		}
	}
	if d.Spam {
		return s.event(ctx, tx, t.ID, EventSpam, "system", "spam: "+d.SpamReason, now)
	}
	return nil
}

func orMedium(s string) string {
	if s == "" {
		return "medium"
	}
	return s
}

// MailFingerprint is the fingerprint of an inbound message on a ticket.
type MailFingerprint struct {
	TicketID  int64
	MessageID int64 // 0: none kept yet (the ticket is older than fingerprints)
	triage.Fingerprint
}

// Duplicate detection compares a new mail with the fingerprints of at most
// maxDuplicateCandidates recent tickets of its requester, and reads at most
// legacyTextRunes of the first mail of a ticket older than fingerprints.
const (
	maxDuplicateCandidates = 20
	legacyTextRunes        = 1 << 20
)

// fingerprint is the duplicate-detection fingerprint of in, computed once.
func (in *Inbound) fingerprint() triage.Fingerprint {
	if in.fp == nil {
		fp := triage.FingerprintOf(triage.Mail{From: in.From.Email, Subject: in.Subject, Body: in.Text})
		in.fp = &fp
	}
	return *in.fp
}

// keepFingerprint stores the fingerprint of msg, the mail in that opened t.
func (s *Service) keepFingerprint(ctx context.Context, tx Tx, t *Ticket, msg *Message, in *Inbound) error {
	if err := tx.SaveFingerprint(ctx, MailFingerprint{TicketID: t.ID, MessageID: msg.ID, Fingerprint: in.fingerprint()}); err != nil {
		return fmt.Errorf("storing the fingerprint of ticket %d: %w", t.ID, err)
	}
	return nil
}

// duplicateOf finds a ticket the same requester opened within the
// duplicate window with the same subject and nearly the same text: a mail
// sent twice, or to two addresses, by a person. It compares fingerprints,
// never whole messages. open is what ingest read of the requester's
// tickets: without one opened within the window there is nothing to find.
func (s *Service) duplicateOf(ctx context.Context, tx Tx, in *Inbound, open openTickets, now time.Time) (*Ticket, error) {
	if s.triage == nil || s.triage.DuplicateWindow() <= 0 || !open.recent {
		return nil, nil
	}
	fp := in.fingerprint()
	if fp.From == "" {
		return nil, nil
	}
	requester, _ := s.requesterOf(in)
	cands, err := tx.DuplicateCandidates(ctx, requester.Email, now.Add(-s.triage.DuplicateWindow()), fp.From, fp.Subject, maxDuplicateCandidates)
	if err != nil {
		return nil, fmt.Errorf("looking for duplicates: %w", err)
	}
	for _, c := range cands {
		if c.MessageID == 0 {
			if c, err = s.fingerprintFirstMail(ctx, tx, c.TicketID); errors.Is(err, ErrNotFound) {
				continue
			} else if err != nil {
				return nil, fmt.Errorf("looking for duplicates: %w", err)
			}
		}
		if c.Repeats(fp) {
			t, err := tx.Ticket(ctx, c.TicketID)
			if err != nil {
				return nil, fmt.Errorf("loading duplicate ticket %d: %w", c.TicketID, err)
			}
			return t, nil
		}
	}
	return nil, nil
}

// fingerprintFirstMail computes and keeps the fingerprint of a ticket
// opened before fingerprints were kept, from at most legacyTextRunes of
// its first mail's text.
func (s *Service) fingerprintFirstMail(ctx context.Context, tx Tx, ticketID int64) (MailFingerprint, error) {
	first, err := tx.FirstInboundMessage(ctx, ticketID, legacyTextRunes)
	if err != nil {
		return MailFingerprint{}, err
	}
	f := MailFingerprint{TicketID: ticketID, MessageID: first.ID,
		Fingerprint: triage.FingerprintOf(triage.Mail{From: first.From.Email, Subject: first.Subject, Body: first.Text})}
	return f, tx.SaveFingerprint(ctx, f)
}

// mergeDuplicate adds a duplicate mail to the ticket it repeats.
func (s *Service) mergeDuplicate(ctx context.Context, tx Tx, t *Ticket, in *Inbound, msg *Message, now time.Time, res *Result) error {
	*res = Result{TicketID: t.ID, Ref: s.Ref(t.ID), ThreadedBy: "duplicate"}
	msg.TicketID = t.ID
	if err := tx.InsertMessage(ctx, msg, in.Raw); err != nil {
		return fmt.Errorf("storing duplicate on ticket %d: %w", t.ID, err)
	}
	t.UpdatedAt = now
	if err := tx.UpdateTicket(ctx, t); err != nil {
		return err
	}
	return s.event(ctx, tx, t.ID, EventDuplicate, EmailKey(in.From.Email),
		fmt.Sprintf("merged a near-identical mail (%q, via mailbox %s) instead of opening a new ticket", in.Subject, in.Mailbox), now)
}

// Merge merges ticket from into ticket into by hand: its messages and
// people move over, and from is left as "merged", pointing at into, so
// that later replies to it land on into.
func (s *Service) Merge(ctx context.Context, from, into int64, actor string) error {
	if from == into {
		return fmt.Errorf("merging %s into itself", s.Ref(from))
	}
	now := s.now().UTC()
	return s.store.InTx(ctx, func(tx Tx) error {
		return s.mergeInTx(ctx, tx, from, into, actor, now)
	})
}

// mergeInTx is Merge in the caller's transaction.
func (s *Service) mergeInTx(ctx context.Context, tx Tx, from, into int64, actor string, now time.Time) error {
	src, err := tx.Ticket(ctx, from)
	if err != nil {
		return fmt.Errorf("ticket %s: %w", s.Ref(from), err)
	}
	dst, err := tx.Ticket(ctx, into)
	if err != nil {
		return fmt.Errorf("ticket %s: %w", s.Ref(into), err)
	}
	if src.Status == StatusMerged {
		return fmt.Errorf("%s is already merged into %s", s.Ref(from), s.Ref(src.MergedInto))
	}
	if dst.Status.Terminal() {
		return fmt.Errorf("%s is %s and cannot take other tickets", s.Ref(into), dst.Status)
	}
	for _, t := range []*Ticket{src, dst} {
		if t.Status == StatusUnverified {
			// Its requester would become a participant of a ticket that
			// mails them.
			return s.errUnverified(t)
		}
	}
	if err := tx.MoveMessages(ctx, from, into); err != nil {
		return err
	}
	parts, err := tx.Participants(ctx, from)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if p.Role == "requester" && !SameEmail(p.Email, dst.Requester.Email) {
			p.Role = "cc"
		}
		if _, err := tx.AddParticipant(ctx, into, p); err != nil {
			return err
		}
	}
	dst.Tags = append(dst.Tags, src.Tags...)
	dst.UpdatedAt = now
	if err := tx.UpdateTicket(ctx, dst); err != nil {
		return err
	}
	if err := tx.CancelJobs(ctx, src.ID); err != nil {
		return fmt.Errorf("cancelling the jobs of ticket %d: %w", src.ID, err)
	}
	spam := src.Status == StatusSpam
	src.Status, src.MergedInto, src.UpdatedAt = StatusMerged, into, now
	if err := s.syncSLA(ctx, tx, src, now); err != nil { // its clocks stop
		return err
	}
	if err := tx.UpdateTicket(ctx, src); err != nil {
		return err
	}
	if err := s.event(ctx, tx, from, EventMerged, actor, "merged into "+s.Ref(into), now); err != nil {
		return err
	}
	if err := s.event(ctx, tx, into, EventMerged, actor, s.Ref(from)+" merged into this ticket", now); err != nil {
		return err
	}
	if spam {
		// Never mail whoever sent spam.
		return nil
	}
	return s.statusMail(ctx, tx, src, now)
}
