package tickets

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// TemplateCSATSurvey asks the requester of a closed ticket to rate it.
const TemplateCSATSurvey = "csat_survey"

// EventCSAT records a rating.
const EventCSAT = "csat"

// maxCSATComment bounds a rating's comment, in characters.
const maxCSATComment = 2000

// survey queues the CSAT survey to t's requester, once per ticket: when
// t was closed, not as spam or merged (those never reach closed).
func (s *Service) survey(ctx context.Context, tx Tx, t *Ticket, now time.Time) error {
	if !s.opts.CSAT || t.Status != StatusClosed {
		return nil
	}
	if sent, err := surveySent(ctx, tx, t.ID); err != nil || sent {
		return err // one survey per ticket, however often it closes
	}
	last, err := s.lastCustomerMail(ctx, tx, t.ID)
	if err != nil {
		return err
	}
	// Rendered by the sender, outside this transaction.
	var queued Result
	return s.queueNotice(ctx, tx, t, last, TemplateCSATSurvey, TemplateCSATSurvey, now, &queued)
}

// surveySent reports whether t's requester got the survey.
func surveySent(ctx context.Context, tx Tx, ticketID int64) (bool, error) {
	msgs, err := tx.Messages(ctx, ticketID)
	if err != nil {
		return false, fmt.Errorf("loading the messages of ticket %d: %w", ticketID, err)
	}
	for _, m := range msgs {
		if m.Kind == TemplateCSATSurvey {
			return true, nil
		}
	}
	return false, nil
}

// surveyAnswer reads a reply to the survey: a digit 1-5 alone at the
// start of its first line ("4", "5 - quick and friendly", "3/5"), and
// what follows as the comment. A "10", "2026" or "4.5" is no answer.
func surveyAnswer(text string) (rating int, comment string, ok bool) {
	text = strings.TrimSpace(text)
	r, size := utf8.DecodeRuneInString(text)
	if r < '1' || r > '5' {
		return 0, "", false
	}
	rest := text[size:]
	if next, n := utf8.DecodeRuneInString(rest); n > 0 {
		switch {
		case unicode.IsDigit(next), unicode.IsLetter(next):
			return 0, "", false
		case next == '.' || next == ',':
			if after, _ := utf8.DecodeRuneInString(rest[n:]); unicode.IsDigit(after) {
				return 0, "", false
			}
		}
	}
	rest = strings.TrimPrefix(strings.TrimSpace(rest), "/5")
	comment = strings.TrimSpace(strings.TrimLeft(rest, " \t-–—:.,)!"))
	if utf8.RuneCountInString(comment) > maxCSATComment {
		comment = string([]rune(comment)[:maxCSATComment])
	}
	return int(r - '0'), comment, true
}

// rateByMail takes a reply to the survey of closed ticket t as its rating:
// stored, an event, the ticket left closed.
func (s *Service) rateByMail(ctx context.Context, tx Tx, t *Ticket, how string, in *Inbound, msg *Message, rating int, comment string, now time.Time, res *Result) error {
	*res = Result{TicketID: t.ID, Ref: s.Ref(t.ID), ThreadedBy: how}
	msg.TicketID = t.ID
	if err := tx.InsertMessage(ctx, msg, in.Raw); err != nil {
		return fmt.Errorf("storing the rating on ticket %d: %w", t.ID, err)
	}
	return s.rate(ctx, tx, t, rating, comment, EmailKey(in.From.Email), "by mail", now)
}

// rate records rating and comment on t as actor; a second replaces the first.
func (s *Service) rate(ctx context.Context, tx Tx, t *Ticket, rating int, comment, actor, how string, now time.Time) error {
	if rating < 1 || rating > 5 {
		return fmt.Errorf("rating %d: want 1 to 5", rating)
	}
	prev := t.CSAT.Rating
	t.CSAT = CSAT{Rating: rating, Comment: comment, At: now}
	t.UpdatedAt = now
	if err := tx.UpdateTicket(ctx, t); err != nil {
		return fmt.Errorf("rating ticket %d: %w", t.ID, err)
	}
	detail := fmt.Sprintf("rated %d of 5 %s", rating, how)
	if prev != 0 {
		detail += fmt.Sprintf(" (replaces %d)", prev)
	}
	return s.event(ctx, tx, t.ID, EventCSAT, actor, detail, now)
}

// surveyReply reports whether in, threaded to t, answers t's survey: a
// customer's mail from the requester (verified, where senders are
// checked) to a closed ticket that got the survey, starting with a digit.
func (s *Service) surveyReply(ctx context.Context, tx Tx, t *Ticket, in *Inbound, msg *Message) (int, string, bool, error) {
	if t == nil || t.Status != StatusClosed || msg.Kind != KindCustomer || !SameEmail(in.From.Email, t.Requester.Email) ||
		(in.Sender != nil && !in.Sender.FromVerified) {
		return 0, "", false, nil
	}
	rating, comment, ok := surveyAnswer(s.opts.StripQuoted(msg.Text))
	if !ok {
		return 0, "", false, nil
	}
	sent, err := surveySent(ctx, tx, t.ID)
	return rating, comment, sent, err
}
