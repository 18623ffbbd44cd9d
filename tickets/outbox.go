package tickets

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
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
	// Lease is how long a claimed item stays reserved for its sender
	// without renewal (default 10s). The sender renews it every Lease/5
	// while it works through a batch, so the lease can be short: a sender
	// that dies (kill -9, power loss) holds its items for at most one Lease.
	Lease     time.Duration
	BatchSize int // items claimed at once (default 100)
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
		p.Lease = 10 * time.Second
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

// OutboxWatcher tells a sender that outbox rows were added, by this
// process or by another (`helpdesk ingest` from an MTA pipe), so that the
// sender need not poll the outbox. The SQLite store polls `PRAGMA
// data_version`; the PostgreSQL store LISTENs for the NOTIFY of the
// transaction that queues, from any host.
type OutboxWatcher interface {
	// WatchOutbox sends on the channel until ctx ends, never blocking: one
	// pending notice stands for any number of new rows. Problems while
	// watching go to log; the sender's own timer covers for them.
	WatchOutbox(ctx context.Context, log *slog.Logger) (<-chan struct{}, error)
}

// FlushStats counts what one outbox pass did.
type FlushStats struct {
	Sent, Deferred, Failed int
}

// errLeaseNotRenewed stops a pass whose lease could not be renewed.
var errLeaseNotRenewed = errors.New("the outbox lease could not be renewed: the rest of the batch is left for later")

// FlushOutbox delivers every outbox item that is due, once, through
// mailer, and returns. Temporary failures go back on the outbox with
// backoff; permanent ones, and those past the give-up time, are recorded
// on their ticket.
func (s *Service) FlushOutbox(ctx context.Context, mailer Mailer, policy RetryPolicy) (FlushStats, error) {
	return s.FlushOutboxVia(ctx, []Mailer{mailer}, policy)
}

// FlushOutboxVia is FlushOutbox over several mailers, each its own SMTP
// connection, used together when the outbox is deep (see outboxPass).
func (s *Service) FlushOutboxVia(ctx context.Context, mailers []Mailer, policy RetryPolicy) (FlushStats, error) {
	if len(mailers) == 0 {
		return FlushStats{}, errors.New("flushing the outbox: no mailer")
	}
	return s.newOutboxPass(ctx, mailers, policy.withDefaults()).run()
}

// newLeaseHolder names one outbox pass in the leases it takes: host and
// process for whoever reads the database, and a random part so that no
// two passes share a name.
func newLeaseHolder() string {
	host, _ := os.Hostname()
	var b [6]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%x", host, os.Getpid(), b)
}

// leaseKeeper renews one claimed batch's lease while its sender works,
// and tells the sender which items it may still send.
type leaseKeeper struct {
	lease time.Duration
	mu    sync.Mutex
	until time.Time      // the end of the lease as last written
	held  map[int64]bool // the items still held, as of the last renewal; nil: all
	quit  chan struct{}
	done  chan struct{}
	once  sync.Once
}

func (s *Service) keepLease(holder string, until time.Time, lease time.Duration) *leaseKeeper {
	k := &leaseKeeper{lease: lease, until: until, quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(k.done)
		tick := time.NewTicker(lease / 5)
		defer tick.Stop()
		for {
			select {
			case <-k.quit:
				return
			case <-tick.C:
			}
			at := s.now().UTC()
			ctx, cancel := context.WithTimeout(context.Background(), lease/2)
			ids, err := s.store.RenewOutbox(ctx, holder, at.Add(lease))
			cancel()
			if err != nil {
				// The lease stands as last written; check says when it
				// is too close to its end to send more.
				s.log.Warn("renewing the outbox lease", slog.Any("err", err))
				continue
			}
			held := make(map[int64]bool, len(ids))
			for _, id := range ids {
				held[id] = true
			}
			k.mu.Lock()
			k.until, k.held = at.Add(lease), held
			k.mu.Unlock()
		}
	}()
	return k
}

// check says whether item id is still this sender's, and whether the
// lease is too close to its end (under half of it left) to start a
// delivery at now.
func (k *leaseKeeper) check(id int64, now time.Time) (held, ending bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.held == nil || k.held[id], k.until.Sub(now) < k.lease/2
}

// stop ends the renewals and waits for one under way.
func (k *leaseKeeper) stop() {
	k.once.Do(func() { close(k.quit) })
	<-k.done
}

// deliver sends one item and returns how to record the result. A notice
// not rendered yet is rendered first, and its text stored with the result;
// one whose template fails is not sent, and that is an event on its ticket.
//
// sent reports that the SMTP server accepted the mail.
//
// delivered, when not nil, runs the moment the server has taken the mail,
// before anything else: the outbox pass notes the delivery there, so that
// the time in which a crash forgets a delivery is the server's reply on
// its way and no more.
func (s *Service) deliver(ctx context.Context, mailer Mailer, policy RetryPolicy, it *OutboxItem, st *FlushStats, delivered func()) (record func(context.Context, Tx) error, sent bool) {
	// Not the Message-ID: it carries the ticket's reply token.
	log := s.log.With(slog.String("ticket", s.Ref(it.TicketID)), slog.Int64("outbox", it.ID))
	var text *Composed // rendered here, to store with the result
	if n := it.Notice; n != nil {
		if it.Message.Kind == KindAcknowledgement && n.Ticket != nil && n.Suggestions == nil {
			sg, err := s.store.Suggestions(ctx, it.TicketID)
			if err != nil {
				log.WarnContext(ctx, "acknowledgement sent without its suggestions", slog.Any("err", err))
			}
			n.Suggestions = sg
		}
		c, err := s.render(ctx, *n)
		if err != nil {
			st.Failed++
			log.ErrorContext(ctx, "notice not rendered", slog.String("template", n.Template), slog.Any("err", err))
			now := s.now().UTC()
			return func(ctx context.Context, tx Tx) error {
				if err := tx.OutboxFailed(ctx, it.ID, now, fmt.Sprintf("rendering template %s: %v", n.Template, err)); err != nil {
					return err
				}
				return s.event(ctx, tx, it.TicketID, EventNotAnswered, "system", fmt.Sprintf("%s not sent: %v", n.Template, err), now)
			}, false
		}
		it.Message.Subject, it.Message.Text, it.Message.HTML = c.Subject, c.Text, c.HTML
		text = &c
	}
	sendErr := mailer.Send(ctx, &it.Message)
	if sendErr == nil && delivered != nil {
		delivered()
	}
	now := s.now().UTC()
	// withText stores the text rendered here, then the result.
	withText := func(ctx context.Context, tx Tx, result func() error) error {
		if text != nil {
			if err := tx.SaveRendered(ctx, it.ID, *text); err != nil {
				return err
			}
		}
		return result()
	}
	if sendErr == nil {
		st.Sent++
		log.InfoContext(ctx, "mail sent", slog.String("kind", it.Message.Kind), slog.Int("attempt", it.Attempts))
		return func(ctx context.Context, tx Tx) error {
			var err error
			if text != nil {
				err = tx.OutboxSentRendered(ctx, it.ID, *text, now)
			} else {
				err = tx.OutboxSent(ctx, it.ID, now)
			}
			if err != nil {
				return err
			}
			return s.event(ctx, tx, it.TicketID, EventDelivered, "system",
				fmt.Sprintf("%s sent to %s", it.Message.Kind, addrList(it.Message.To)), now)
		}, true
	}
	var se *SendError
	temporary := errors.As(sendErr, &se) && se.Temporary
	if temporary && now.Sub(it.CreatedAt) < policy.GiveUpAfter {
		st.Deferred++
		next := now.Add(policy.Backoff(it.Attempts))
		log.WarnContext(ctx, "delivery deferred", slog.Any("err", sendErr), slog.Int("attempt", it.Attempts), slog.Time("next", next))
		return func(ctx context.Context, tx Tx) error {
			return withText(ctx, tx, func() error { return tx.OutboxRetry(ctx, it.ID, next, sendErr.Error()) })
		}, false
	}
	st.Failed++
	why := "rejected"
	if temporary {
		why = fmt.Sprintf("gave up after %d tries", it.Attempts)
	}
	log.ErrorContext(ctx, "delivery failed", slog.Any("err", sendErr), slog.String("why", why))
	return func(ctx context.Context, tx Tx) error {
		return withText(ctx, tx, func() error {
			if err := tx.OutboxFailed(ctx, it.ID, now, sendErr.Error()); err != nil {
				return err
			}
			return s.event(ctx, tx, it.TicketID, EventDeliveryFailed, "system",
				fmt.Sprintf("%s to %s %s: %v", it.Message.Kind, addrList(it.Message.To), why, sendErr), now)
		})
	}, false
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
