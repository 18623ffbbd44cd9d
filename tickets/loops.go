package tickets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// LoopPolicy bounds the automatic mail the desk sends, so that it never
// keeps a conversation going with a robot that answers everything.
type LoopPolicy struct {
	// RateLimit is the most automatic mails (acknowledgements, notices; not
	// agents' replies) one address gets per RateWindow. Default 5; -1 = off.
	RateLimit  int
	RateWindow time.Duration // default 1h
	// BounceHold is how long an address whose mail bounced gets no
	// automatic mail. Default 24h.
	BounceHold time.Duration
}

func (p LoopPolicy) withDefaults() LoopPolicy {
	if p.RateLimit == 0 {
		p.RateLimit = 5
	}
	if p.RateWindow <= 0 {
		p.RateWindow = time.Hour
	}
	if p.BounceHold <= 0 {
		p.BounceHold = 24 * time.Hour
	}
	return p
}

// Event kinds of the loop governor.
const (
	EventBounce      = "bounce"
	EventRateLimited = "rate_limited"
)

// mayAutoSend says why no automatic mail may go to addr now ("" if it
// may), and records the rate limit hitting as an event.
func (s *Service) mayAutoSend(ctx context.Context, tx Tx, t *Ticket, addr string, now time.Time) (string, error) {
	if why := UnanswerableAddress(addr); why != "" {
		return why, nil
	}
	if s.isOwnAddress(addr) {
		return "the address is the desk's own", nil
	}
	until, reason, err := tx.BouncingUntil(ctx, addr)
	if err != nil {
		return "", fmt.Errorf("checking whether %s bounces: %w", addr, err)
	}
	if until.After(now) {
		return fmt.Sprintf("mail to %s bounced (%s); no automatic mail until %s", addr, reason, until.Format(time.RFC3339)), nil
	}
	p := s.loops
	if p.RateLimit < 0 {
		return "", nil
	}
	n, err := tx.AutoMailCount(ctx, addr, now.Add(-p.RateWindow))
	if err != nil {
		return "", fmt.Errorf("counting automatic mail to %s: %w", addr, err)
	}
	if n >= p.RateLimit {
		why := fmt.Sprintf("rate limit: %s got %d automatic mails in the last %s", addr, n, p.RateWindow)
		return why, s.event(ctx, tx, t.ID, EventRateLimited, "system", why, now)
	}
	return "", nil
}

// bounce handles a delivery failure report: it goes on the ticket whose
// mail bounced (found by that mail's Message-ID in the report), and a failed
// address gets no automatic mail for a while, but only when the report
// names a mail the desk itself sent to that very address: anyone can forge
// a report naming any Message-ID and any recipient.
func (s *Service) bounce(ctx context.Context, tx Tx, in *Inbound, t *Ticket, how string, now time.Time) (*Ticket, string, error) {
	own, err := s.bouncedOwnMail(ctx, tx, in.BounceOf)
	if err != nil {
		return nil, "", err
	}
	if t == nil && len(own) > 0 {
		if t, err = s.live(ctx, tx, own[0].TicketID); err != nil {
			return nil, "", err
		}
		how = "bounce"
	}
	if t == nil && len(in.BounceOf) > 0 {
		found, err := tx.TicketByMessageIDs(ctx, boundRefs(in.BounceOf))
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, "", fmt.Errorf("finding the bounced mail: %w", err)
		}
		if found != nil {
			if t, err = s.follow(ctx, tx, found); err != nil {
				return nil, "", err
			}
			how = "bounce"
		}
	}
	if in.AutoKind != "bounce" || len(own) == 0 {
		return t, how, nil
	}
	failed := in.FailedRecipients
	if len(failed) == 0 {
		failed = []string{soleRecipient(own)}
	}
	until := now.Add(s.loops.BounceHold)
	for _, addr := range failed {
		addr = strings.ToLower(strings.TrimSpace(addr))
		if addr == "" || s.isOwnAddress(addr) {
			continue
		}
		m := sentTo(own, addr)
		if m == nil {
			continue
		}
		if err := tx.MarkBouncing(ctx, addr, until, in.Subject, now); err != nil {
			return nil, "", fmt.Errorf("marking %s as bouncing: %w", addr, err)
		}
		if err := s.event(ctx, tx, m.TicketID, EventBounce, "system",
			fmt.Sprintf("mail to %s bounced; no automatic mail to it until %s", addr, until.Format(time.RFC3339)), now); err != nil {
			return nil, "", err
		}
	}
	return t, how, nil
}
