package tickets

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The customer's web side: a ticket opened on the web form (Inbound.WebForm)
// and a ticket's own page (base_url/t/TOKEN), where its customer reads the
// public conversation, replies and closes it.
//
// A web ticket is written by whoever typed an address in a form: it stays
// unverified (no agent is told, none is assigned, no SLA clock runs) until
// the customer answers the acknowledgement through its reply token, or
// confirms on the ticket's page, which only a mail to that address links.
// Unconfirmed, it is closed after WebOptions.UnverifiedFor, quietly.

// WebOptions configure the tickets opened on the web form.
type WebOptions struct {
	// UnverifiedFor is how long a web ticket waits for its customer to
	// confirm before it is closed (default 7 days).
	UnverifiedFor time.Duration
	// PerAddress and PerSource bound the tickets one address, and one
	// source IP, may open on the form within Window (defaults 5 and 20 in
	// an hour); -1 turns one off.
	PerAddress, PerSource int
	// Window is the span the limits count in (default one hour).
	Window time.Duration
}

func (o WebOptions) withDefaults() WebOptions {
	if o.UnverifiedFor <= 0 {
		o.UnverifiedFor = 7 * 24 * time.Hour
	}
	if o.PerAddress == 0 {
		o.PerAddress = 5
	}
	if o.PerSource == 0 {
		o.PerSource = 20
	}
	if o.Window <= 0 {
		o.Window = time.Hour
	}
	return o
}

// JobUnverifiedExpire closes a web ticket whose customer never confirmed.
const JobUnverifiedExpire = "unverified_expire"

// Events of web tickets.
const (
	// EventWebConfirmed records the customer's confirmation of a web ticket.
	EventWebConfirmed = "web_confirmed"
	// EventWebSkill keeps, on an unverified web ticket, the skill the
	// rules asked for, which its assignment at confirmation needs.
	EventWebSkill = "web_skill"
)

// Errors of the web side.
var (
	// ErrRateLimited: the address or the source opened too many tickets
	// on the form lately; nothing was stored.
	ErrRateLimited = errors.New("too many tickets from this address or source")
	// ErrTicketLinkInvalid: a ticket page's token is not one the desk
	// made (forged, altered, cut short), or its ticket is gone.
	ErrTicketLinkInvalid = errors.New("not a valid ticket link")
	// ErrFormTokenInvalid: a form's token is forged, altered, or too old.
	ErrFormTokenInvalid = errors.New("not a valid form token")
)

// RateLimitError says which limit a web form's ticket ran into.
type RateLimitError struct {
	// By is "address" or "source".
	By     string
	Limit  int
	Window time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("more than %d tickets from one %s in %s", e.Limit, e.By, e.Window)
}

func (e *RateLimitError) Unwrap() error { return ErrRateLimited }

// A ticket page token is "1042-<26 base32 characters>": the ticket and an
// HMAC-SHA256 of it under the desk's secret with a prefix of its own, so
// no reply, agent, survey or article token is ever one, nor the other way
// round. It does not expire: it is the ticket's address for its customer,
// in every mail to them.
const pageSigLen = 26

func (s *Signer) pageSig(id int64) string {
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte("helpdesk-ticket-page:"))
	mac.Write([]byte(strconv.FormatInt(id, 10)))
	return lowerBase32.EncodeToString(mac.Sum(nil))[:pageSigLen]
}

// PageToken returns the token of ticket id's page.
func (s *Signer) PageToken(id int64) string {
	return strconv.FormatInt(id, 10) + "-" + s.pageSig(id)
}

// PageTicket checks a ticket page token and returns its ticket.
func (s *Signer) PageTicket(token string) (int64, bool) {
	num, sig, ok := strings.Cut(token, "-")
	if !ok || len(sig) != pageSigLen || !isSig(sig) || !allDigits(num) || len(num) > 19 {
		return 0, false
	}
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || strconv.FormatInt(id, 10) != num {
		return 0, false
	}
	return id, hmac.Equal([]byte(sig), []byte(s.pageSig(id)))
}

// A form token proves that a form was sent from a page the desk served,
// not long ago: "<unix seconds>-<26 base32 characters>", an HMAC of the
// purpose ("new", or "t:" and a ticket page's token), and the time the
// page was served.
func (s *Signer) formSig(purpose string, at int64) string {
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte("helpdesk-web-form:"))
	mac.Write([]byte(purpose))
	mac.Write([]byte{0})
	mac.Write([]byte(strconv.FormatInt(at, 10)))
	return lowerBase32.EncodeToString(mac.Sum(nil))[:pageSigLen]
}

// FormToken returns the token of a form for purpose served at at.
func (s *Signer) FormToken(purpose string, at time.Time) string {
	u := at.Unix()
	return strconv.FormatInt(u, 10) + "-" + s.formSig(purpose, u)
}

// CheckFormToken checks a form's token for purpose at now: the desk's,
// and served at most maxAge ago (and not in the future).
func (s *Signer) CheckFormToken(purpose, token string, now time.Time, maxAge time.Duration) error {
	num, sig, ok := strings.Cut(token, "-")
	if !ok || len(sig) != pageSigLen || !isSig(sig) || !allDigits(num) || len(num) > 19 {
		return ErrFormTokenInvalid
	}
	at, err := strconv.ParseInt(num, 10, 64)
	if err != nil || !hmac.Equal([]byte(sig), []byte(s.formSig(purpose, at))) {
		return ErrFormTokenInvalid
	}
	served := time.Unix(at, 0)
	if now.Sub(served) > maxAge || served.After(now.Add(time.Minute)) {
		return ErrFormTokenInvalid
	}
	return nil
}

// Signer returns the service's signer, for the links and forms of the
// web side.
func (s *Service) Signer() *Signer { return s.signer }

// ingestWeb stores a mail the desk wrote from its web side: a new ticket
// from the form, after the rate limits; or a reply on the ticket whose
// page it was written on. No agent token, Message-ID or subject tag in it
// counts: whoever typed it is a customer, whatever address they typed.
func (s *Service) ingestWeb(ctx context.Context, tx Tx, in *Inbound, mb MailboxInfo, msg *Message, now time.Time, res *Result) error {
	msg.Kind = KindCustomer
	msg.AutoReason = ""
	if in.WebTicket != 0 {
		t, err := s.live(ctx, tx, in.WebTicket)
		if err != nil {
			return err
		}
		if t == nil {
			return fmt.Errorf("ticket %s: %w", s.Ref(in.WebTicket), ErrNotFound)
		}
		if t.Status == StatusClosed && now.Sub(t.ClosedAt) > s.opts.ReopenWindow {
			// Too late to reopen, as by mail: a new ticket, linked.
			old := t
			if t, err = s.newTicket(ctx, tx, in, mb, msg, old.ID, nil, now, res); err != nil {
				return err
			}
			return s.link(ctx, tx, old, t, now)
		}
		return s.reply(ctx, tx, t, "web-page", in, msg, now, res)
	}
	addr := EmailKey(in.From.Email)
	byAddr, bySource, err := tx.WebSubmissions(ctx, addr, in.Source, now.Add(-s.web.Window))
	if err != nil {
		return fmt.Errorf("counting the web tickets of %s: %w", addr, err)
	}
	switch {
	case s.web.PerAddress > 0 && byAddr >= s.web.PerAddress:
		return &RateLimitError{By: "address", Limit: s.web.PerAddress, Window: s.web.Window}
	case s.web.PerSource > 0 && in.Source != "" && bySource >= s.web.PerSource:
		return &RateLimitError{By: "source", Limit: s.web.PerSource, Window: s.web.Window}
	}
	t, err := s.newTicket(ctx, tx, in, mb, msg, 0, nil, now, res)
	if err != nil {
		return err
	}
	if err := tx.AddWebSubmission(ctx, addr, in.Source, t.ID, now); err != nil {
		return fmt.Errorf("recording the web ticket %d: %w", t.ID, err)
	}
	return nil
}

// replyToUnverified takes a customer's mail (already stored) on a ticket
// that waits for confirmation: through the acknowledgement's reply token,
// or on the ticket's page, it confirms the ticket; anything else is only
// kept.
func (s *Service) replyToUnverified(ctx context.Context, tx Tx, t *Ticket, how string, in *Inbound, msg *Message, now time.Time) error {
	if how != "token" && how != "web-page" {
		t.UpdatedAt = now
		return tx.UpdateTicket(ctx, t)
	}
	by := "by replying to the acknowledgement"
	if how == "web-page" {
		by = "by writing on the ticket's page"
	}
	return s.confirmWeb(ctx, tx, t, EmailKey(in.From.Email), by, now)
}

// confirmWeb makes unverified ticket t a new ticket as one opened by mail
// is: its SLA clocks start, it is assigned, and its agents are told.
func (s *Service) confirmWeb(ctx context.Context, tx Tx, t *Ticket, actor, by string, now time.Time) error {
	if err := tx.CancelJob(ctx, t.ID, JobUnverifiedExpire); err != nil {
		return fmt.Errorf("cancelling the expiry of ticket %d: %w", t.ID, err)
	}
	t.Status = StatusNew
	if err := s.event(ctx, tx, t.ID, EventWebConfirmed, actor, "the customer confirmed the address "+by, now); err != nil {
		return err
	}
	if err := s.event(ctx, tx, t.ID, EventStatus, actor, "unverified -> new: the customer confirmed", now); err != nil {
		return err
	}
	if err := s.startSLA(ctx, tx, t, nil, now); err != nil {
		return err
	}
	if t.Assignee == "" {
		events, err := tx.Events(ctx, t.ID)
		if err != nil {
			return fmt.Errorf("loading the events of ticket %d: %w", t.ID, err)
		}
		skill := ""
		for _, e := range events {
			if e.Kind == EventWebSkill {
				skill = e.Detail
			}
		}
		if err := s.assignNew(ctx, tx, t, skill, now); err != nil {
			return err
		}
	}
	t.UpdatedAt = now
	if err := tx.UpdateTicket(ctx, t); err != nil {
		return fmt.Errorf("updating ticket %d: %w", t.ID, err)
	}
	first, err := s.firstCustomerMail(ctx, tx, t.ID)
	if err != nil {
		return err
	}
	return s.notifyNewTicket(ctx, tx, t, &Inbound{}, first, now)
}

// expireUnverified closes web ticket t, never confirmed, without a mail.
func (s *Service) expireUnverified(ctx context.Context, tx Tx, t *Ticket, now time.Time) (string, error) {
	if t.Status != StatusUnverified {
		return "ticket is " + string(t.Status), nil
	}
	why := fmt.Sprintf("closed: the customer did not confirm the address in %s", days(s.web.UnverifiedFor))
	return "closed unconfirmed", s.closeUnverified(ctx, tx, t, "system", why, now)
}

// PublicMessage is one message of a ticket as its customer sees it on
// the ticket's page.
type PublicMessage struct {
	// FromDesk: the desk's answer (an agent's, as the customer got it);
	// else the customer's mail.
	FromDesk bool
	// From is who wrote it: the customer's name or address, or the desk's
	// name.
	From        string
	Text        string
	Attachments []string // file names
	At          time.Time
}

// CustomerView is a ticket as its customer sees it: its status and
// public messages; never a note, an agent's own mail or an event.
type CustomerView struct {
	TicketID int64
	Ref      string
	Subject  string
	Status   Status
	Created  time.Time
	Messages []PublicMessage
	// Language is the customer's language ("de"), that of the desk's
	// mails to them.
	Language string
}

// public reports whether m may be shown to the ticket's customer: their
// own trusted mail, and the agents' answers as relayed to them.
func public(m Message) bool {
	switch {
	case m.Direction == In && m.Kind == KindCustomer && !m.Unverified:
		return true
	case m.Direction == Out && m.Kind == KindAgentRelay:
		return true
	}
	return false
}

// TicketByPage returns what the ticket page of token shows, changing
// nothing: ErrTicketLinkInvalid for a token the desk did not make.
func (s *Service) TicketByPage(ctx context.Context, token string) (*CustomerView, error) {
	id, ok := s.signer.PageTicket(token)
	if !ok {
		return nil, ErrTicketLinkInvalid
	}
	t, err := s.store.Ticket(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrTicketLinkInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("ticket %s: %w", s.Ref(id), err)
	}
	// A merged ticket goes on as the one it was merged into, with its
	// messages: the page shows that one.
	for i := 0; i < 10 && t.Status == StatusMerged && t.MergedInto != 0; i++ {
		if t, err = s.store.Ticket(ctx, t.MergedInto); err != nil {
			return nil, fmt.Errorf("following the merge of ticket %s: %w", s.Ref(id), err)
		}
	}
	id = t.ID
	msgs, err := s.store.Messages(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("loading the messages of ticket %s: %w", s.Ref(id), err)
	}
	v := &CustomerView{TicketID: t.ID, Ref: s.Ref(t.ID), Subject: t.Subject, Status: t.Status, Created: t.CreatedAt, Language: t.Language}
	for _, m := range msgs {
		if !public(m) {
			continue
		}
		pm := PublicMessage{FromDesk: m.Direction == Out, At: m.CreatedAt}
		if pm.FromDesk {
			pm.From = s.opts.From.Name
			if pm.From == "" {
				pm.From = s.opts.From.Email
			}
			pm.Text = strings.TrimSpace(m.Text)
		} else {
			pm.From = m.From.String()
			pm.Text = strings.TrimSpace(s.opts.StripQuoted(m.Text))
		}
		for _, a := range m.Attachments {
			pm.Attachments = append(pm.Attachments, a.Filename)
		}
		v.Messages = append(v.Messages, pm)
	}
	return v, nil
}

// ConfirmByPage confirms the unverified ticket of a page token, as its
// customer (a pressed button: opening the page changes nothing). A
// ticket already confirmed is left as it is.
func (s *Service) ConfirmByPage(ctx context.Context, token string) (*CustomerView, error) {
	id, ok := s.signer.PageTicket(token)
	if !ok {
		return nil, ErrTicketLinkInvalid
	}
	now := s.now().UTC()
	var res Result
	err := s.store.InTx(ctx, func(tx Tx) error {
		res = Result{}
		t, err := s.live(ctx, tx, id) // a merged ticket goes on as another
		if err != nil {
			return err
		}
		if t == nil {
			return ErrTicketLinkInvalid
		}
		if t.Status != StatusUnverified {
			return nil
		}
		return s.confirmWeb(ctx, tx, t, EmailKey(t.Requester.Email), "on the ticket's page", now)
	})
	if err != nil {
		return nil, err
	}
	s.RenderQueued(ctx, []Result{res})
	return s.TicketByPage(ctx, token)
}

// CloseByPage closes the ticket of a page token as its customer, with
// the usual closed mail and survey. A ticket closed, spam or merged
// already is left as it is.
func (s *Service) CloseByPage(ctx context.Context, token string) (*CustomerView, error) {
	id, ok := s.signer.PageTicket(token)
	if !ok {
		return nil, ErrTicketLinkInvalid
	}
	now := s.now().UTC()
	err := s.store.InTx(ctx, func(tx Tx) error {
		t, err := s.live(ctx, tx, id) // a merged ticket goes on as another
		if err != nil {
			return err
		}
		if t == nil {
			return ErrTicketLinkInvalid
		}
		if t.Status == StatusClosed || t.Status.Terminal() {
			return nil
		}
		actor := EmailKey(t.Requester.Email)
		if err := s.event(ctx, tx, t.ID, EventMessage, actor, "the customer closed the ticket on its page", now); err != nil {
			return err
		}
		return s.changeStatus(ctx, tx, t, StatusClosed, "", actor, now)
	})
	if err != nil {
		return nil, err
	}
	return s.TicketByPage(ctx, token)
}
