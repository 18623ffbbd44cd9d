package tickets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Mailer delivers one outbound message. A failure that may pass (a 4xx
// reply, a network error) is a *SendError with Temporary set; any other
// error is taken as permanent.
type Mailer interface {
	Send(ctx context.Context, m *Message) error
}

// SendError is a delivery failure with what retry needs to know.
type SendError struct {
	Temporary bool
	Code      int // SMTP reply code; 0 for network errors
	Err       error
}

func (e *SendError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("smtp %d: %v", e.Code, e.Err)
	}
	return e.Err.Error()
}

func (e *SendError) Unwrap() error { return e.Err }

// RetryPolicy says when to try a failed delivery again and when to give up.
type RetryPolicy struct {
	Min, Max    time.Duration // backoff doubles from Min up to Max (defaults 1m, 1h)
	GiveUpAfter time.Duration // since the item was queued (default 48h)
	Lease       time.Duration // how long a claimed item is reserved for one sender (default 5m)
	BatchSize   int           // items claimed at once (default 100)
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Min <= 0 {
		p.Min = time.Minute
	}
	if p.Max <= 0 {
		p.Max = time.Hour
	}
	if p.GiveUpAfter <= 0 {
		p.GiveUpAfter = 48 * time.Hour
	}
	if p.Lease <= 0 {
		p.Lease = 5 * time.Minute
	}
	if p.BatchSize <= 0 {
		p.BatchSize = 100
	}
	return p
}

// Backoff returns the wait before the next try after attempts tries.
func (p RetryPolicy) Backoff(attempts int) time.Duration {
	p = p.withDefaults()
	d := p.Min
	for i := 1; i < attempts && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}

// FlushStats counts what one outbox pass did.
type FlushStats struct {
	Sent, Deferred, Failed int
}

// recordEvery bounds how many delivery results wait for their commit: they
// are written together, one disk sync for many mails, and a crash before
// the commit resends at most this many (delivery is at least once).
const recordEvery = 50

// FlushOutbox delivers every outbox item that is due, once, and returns.
// Temporary failures go back on the outbox with backoff; permanent ones,
// and those past the give-up time, are recorded on their ticket.
func (s *Service) FlushOutbox(ctx context.Context, mailer Mailer, policy RetryPolicy) (FlushStats, error) {
	policy = policy.withDefaults()
	var st FlushStats
	var pending []func(context.Context, Tx) error
	// The mails are out: record that even when ctx has just ended, or the
	// customer would get them again.
	rctx := context.WithoutCancel(ctx)
	record := func() error {
		if len(pending) == 0 {
			return nil
		}
		var err error
		for try := range 3 {
			err = s.store.InTx(rctx, func(tx Tx) error {
				for _, rec := range pending {
					if err := rec(rctx, tx); err != nil {
						return err
					}
				}
				return nil
			})
			if err == nil {
				break
			}
			time.Sleep(time.Duration(try+1) * 100 * time.Millisecond)
		}
		pending = pending[:0]
		if err != nil {
			return fmt.Errorf("recording deliveries: %w", err)
		}
		return nil
	}
	for {
		claimed := s.now()
		items, err := s.store.ClaimOutbox(ctx, claimed.UTC(), policy.BatchSize, policy.Lease)
		if err != nil {
			return st, fmt.Errorf("claiming outbox: %w", err)
		}
		// Stop sending from this claim well before its lease ends, so that
		// no other sender can take an item this one is still sending. The
		// rest is taken again when the lease has run out.
		stopAt := claimed.Add(policy.Lease * 4 / 5)
		for i := range items {
			if err := ctx.Err(); err != nil {
				if rerr := record(); rerr != nil {
					return st, rerr
				}
				return st, err
			}
			if s.now().After(stopAt) {
				s.log.WarnContext(ctx, "outbox lease running out: leaving the rest of the batch for later", slog.Int("left", len(items)-i))
				break
			}
			pending = append(pending, s.deliver(ctx, mailer, policy, &items[i], &st))
			if len(pending) >= recordEvery {
				if err := record(); err != nil {
					return st, err
				}
			}
		}
		if err := record(); err != nil {
			return st, err
		}
		if len(items) < policy.BatchSize {
			return st, nil
		}
	}
}

// deliver sends one item and returns how to record the result.
func (s *Service) deliver(ctx context.Context, mailer Mailer, policy RetryPolicy, it *OutboxItem, st *FlushStats) func(context.Context, Tx) error {
	// Not the Message-ID: it carries the ticket's reply token.
	log := s.log.With(slog.String("ticket", s.Ref(it.TicketID)), slog.Int64("outbox", it.ID))
	sendErr := mailer.Send(ctx, &it.Message)
	now := s.now().UTC()
	if sendErr == nil {
		st.Sent++
		log.InfoContext(ctx, "mail sent", slog.String("kind", it.Message.Kind), slog.Int("attempt", it.Attempts))
		return func(ctx context.Context, tx Tx) error {
			if err := tx.OutboxSent(ctx, it.ID, now); err != nil {
				return err
			}
			return s.event(ctx, tx, it.TicketID, EventDelivered, "system",
				fmt.Sprintf("%s sent to %s", it.Message.Kind, addrList(it.Message.To)), now)
		}
	}
	var se *SendError
	temporary := errors.As(sendErr, &se) && se.Temporary
	if temporary && now.Sub(it.CreatedAt) < policy.GiveUpAfter {
		st.Deferred++
		next := now.Add(policy.Backoff(it.Attempts))
		log.WarnContext(ctx, "delivery deferred", slog.Any("err", sendErr), slog.Int("attempt", it.Attempts), slog.Time("next", next))
		return func(ctx context.Context, tx Tx) error { return tx.OutboxRetry(ctx, it.ID, next, sendErr.Error()) }
	}
	st.Failed++
	why := "rejected"
	if temporary {
		why = fmt.Sprintf("gave up after %d tries", it.Attempts)
	}
	log.ErrorContext(ctx, "delivery failed", slog.Any("err", sendErr), slog.String("why", why))
	return func(ctx context.Context, tx Tx) error {
		if err := tx.OutboxFailed(ctx, it.ID, now, sendErr.Error()); err != nil {
			return err
		}
		return s.event(ctx, tx, it.TicketID, EventDeliveryFailed, "system",
			fmt.Sprintf("%s to %s %s: %v", it.Message.Kind, addrList(it.Message.To), why, sendErr), now)
	}
}

func addrList(as []Address) string {
	out := ""
	for i, a := range as {
		if i > 0 {
			out += ", "
		}
		out += a.Email
	}
	return out
}
