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
	"unicode"
	"unicode/utf8"
)

// A survey link token lets whoever holds it rate one ticket, until it
// expires: "1042-5-1767225600-<26 base32 characters>" is ticket 1042, the
// rating 5 preselected on the page it opens, the expiry in Unix seconds,
// and an HMAC-SHA256 of the three under the desk's secret (130 bits of
// it). The HMAC input starts with a prefix of its own, so neither a reply
// token nor an agent token is ever taken for one, nor the other way round.
// The survey mail carries five, one per rating; any of them may rate the
// ticket with any rating (the rating in it is only the page's choice).

const csatSigLen = 26 // base32 characters: 130 bits

// Errors of survey links.
var (
	// ErrLinkInvalid: the token is not one the desk made (forged, altered,
	// cut short).
	ErrLinkInvalid = errors.New("not a valid survey link")
	// ErrLinkExpired: the token is the desk's, but too old.
	ErrLinkExpired = errors.New("the survey link has expired")
	// ErrNotRatable: the ticket cannot be rated now: it got no survey, or
	// it is not closed (reopened since, or merged into another).
	ErrNotRatable = errors.New("the ticket cannot be rated now")
	// ErrCommentTooLong: a rating's comment is over maxCSATComment characters.
	ErrCommentTooLong = fmt.Errorf("the comment is longer than %d characters", maxCSATComment)
)

// MaxCSATComment is the most characters of a rating's comment that are kept.
const MaxCSATComment = maxCSATComment

func (s *Signer) csatSig(id int64, rating int, expires int64) string {
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte("helpdesk-csat-link:"))
	mac.Write([]byte(strconv.FormatInt(id, 10)))
	mac.Write([]byte{0})
	mac.Write([]byte(strconv.Itoa(rating)))
	mac.Write([]byte{0})
	mac.Write([]byte(strconv.FormatInt(expires, 10)))
	return lowerBase32.EncodeToString(mac.Sum(nil))[:csatSigLen]
}

// CSATToken returns the survey link token of ticket id with rating (1-5)
// preselected, valid until expires (to the second).
func (s *Signer) CSATToken(id int64, rating int, expires time.Time) string {
	exp := expires.Unix()
	return strconv.FormatInt(id, 10) + "-" + strconv.Itoa(rating) + "-" + strconv.FormatInt(exp, 10) + "-" + s.csatSig(id, rating, exp)
}

// LinkClaim is what a valid survey link token says.
type LinkClaim struct {
	TicketID int64
	Rating   int // the rating preselected, 1-5
	Expires  time.Time
}

// CSATClaim checks token at now: ErrLinkInvalid when the desk did not make
// it, ErrLinkExpired when it did but it is past its expiry. The signature
// is checked first, so an altered expiry is invalid, not expired.
func (s *Signer) CSATClaim(token string, now time.Time) (LinkClaim, error) {
	parts := strings.Split(token, "-")
	if len(parts) != 4 || len(parts[3]) != csatSigLen || !isSig(parts[3]) || !allDigits(parts[0]) || !allDigits(parts[2]) ||
		len(parts[1]) != 1 || parts[1][0] < '1' || parts[1][0] > '5' || len(parts[0]) > 19 || len(parts[2]) > 19 {
		return LinkClaim{}, ErrLinkInvalid
	}
	id, err1 := strconv.ParseInt(parts[0], 10, 64)
	exp, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		return LinkClaim{}, ErrLinkInvalid
	}
	// Written as CSATToken writes them, so one claim has one token.
	if strconv.FormatInt(id, 10) != parts[0] || strconv.FormatInt(exp, 10) != parts[2] {
		return LinkClaim{}, ErrLinkInvalid
	}
	rating := int(parts[1][0] - '0')
	if !hmac.Equal([]byte(parts[3]), []byte(s.csatSig(id, rating, exp))) {
		return LinkClaim{}, ErrLinkInvalid
	}
	c := LinkClaim{TicketID: id, Rating: rating, Expires: time.Unix(exp, 0).UTC()}
	if !now.Before(c.Expires) {
		return c, ErrLinkExpired
	}
	return c, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// Survey is a ticket as a survey link shows it.
type Survey struct {
	LinkClaim
	// Ref and Subject name the ticket.
	Ref, Subject string
	// Rated is the rating given so far (by link or by mail); Rating 0: none.
	Rated CSAT
	// Language is the customer's language ("de"), that of the survey mail.
	Language string
}

// SurveyByLink checks token and returns the survey it opens, without
// changing anything (a mail scanner opens every link). Its errors:
// ErrLinkInvalid, ErrLinkExpired, ErrNotFound (no such ticket) and
// ErrNotRatable.
func (s *Service) SurveyByLink(ctx context.Context, token string) (*Survey, error) {
	claim, err := s.signer.CSATClaim(token, s.now())
	if err != nil {
		return nil, err
	}
	var out *Survey
	err = s.store.InTx(ctx, func(tx Tx) error {
		t, err := s.ratable(ctx, tx, claim.TicketID)
		if err != nil {
			return err
		}
		out = &Survey{LinkClaim: claim, Ref: s.Ref(t.ID), Subject: t.Subject, Rated: t.CSAT, Language: t.Language}
		return nil
	})
	return out, err
}

// RateByLink records rating (1-5) and comment on the ticket of token, as
// its requester: an event, and a second rating replaces the first, as a
// rating by mail does. The comment is trimmed; longer than MaxCSATComment
// characters it is ErrCommentTooLong, and nothing is recorded. Its other
// errors are SurveyByLink's.
func (s *Service) RateByLink(ctx context.Context, token string, rating int, comment string) (*Survey, error) {
	if rating < 1 || rating > 5 {
		return nil, fmt.Errorf("rating %d: want 1 to 5", rating)
	}
	comment = cleanComment(comment)
	if utf8.RuneCountInString(comment) > maxCSATComment {
		return nil, ErrCommentTooLong
	}
	now := s.now().UTC()
	claim, err := s.signer.CSATClaim(token, now)
	if err != nil {
		return nil, err
	}
	var out *Survey
	err = s.store.InTx(ctx, func(tx Tx) error {
		t, err := s.ratable(ctx, tx, claim.TicketID)
		if err != nil {
			return err
		}
		if err := s.rate(ctx, tx, t, rating, comment, EmailKey(t.Requester.Email), "by link", now); err != nil {
			return err
		}
		out = &Survey{LinkClaim: claim, Ref: s.Ref(t.ID), Subject: t.Subject, Rated: t.CSAT, Language: t.Language}
		return nil
	})
	return out, err
}

// ratable loads ticket id if it can be rated: closed, with the survey sent.
// A reopened ticket cannot, until it is closed again (it gets no second
// survey, and the first one's links work again then).
func (s *Service) ratable(ctx context.Context, tx Tx, id int64) (*Ticket, error) {
	t, err := tx.Ticket(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("ticket %s: %w", s.Ref(id), err)
	}
	if t.Status != StatusClosed {
		return nil, fmt.Errorf("ticket %s is %s: %w", s.Ref(id), t.Status, ErrNotRatable)
	}
	sent, err := surveySent(ctx, tx, t.ID)
	if err != nil {
		return nil, err
	}
	if !sent {
		return nil, fmt.Errorf("ticket %s got no survey: %w", s.Ref(id), ErrNotRatable)
	}
	return t, nil
}

// cleanComment trims a comment from a form, makes its line ends LF, and
// drops invalid UTF-8 and control characters other than line feeds and tabs.
func cleanComment(c string) string {
	c = strings.ToValidUTF8(c, "")
	c = strings.ReplaceAll(c, "\r\n", "\n")
	c = strings.Map(func(r rune) rune {
		if r == '\r' {
			return '\n'
		}
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return -1
		}
		return r
	}, c)
	return strings.TrimSpace(c)
}
