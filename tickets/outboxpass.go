package tickets

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"
)

// Limits of one outbox pass.
const (
	// recordEvery is the most results committed in one transaction. A
	// delivery is noted (DeliveryNotes) the moment the SMTP server
	// accepts it; where the store keeps no notes, or the note fails, the
	// worker waits for the commit of the delivery before it sends its
	// next mail. Either way a crash (kill -9) sends again at most the one
	// mail per connection that the server accepted in the instant before.
	recordEvery = 100
	// recordLinger is how long the recorder waits for more results
	// before it commits, where deliveries are noted.
	recordLinger = 20 * time.Millisecond
	// deepOutbox is the claimed batch from which a pass uses every mailer;
	// a shorter one goes through the first, so that a mail now and then
	// does not open a second connection.
	deepOutbox = 20
)

// outboxPass delivers the due outbox, as FlushOutboxVia describes, in
// three parts that run at once:
//   - the claimer (run) leases batches of due items and hands each item
//     to a mailer's queue, up to two batches ahead of the sending;
//   - one worker per mailer sends the items of its queue in order;
//   - the recorder commits each result as soon as it comes, together
//     with those of the other workers that came meanwhile; a worker sends
//     its next mail once the delivery of its last one is noted or, where
//     it cannot be noted, committed.
//
// An item goes to the queue of a hash of its recipient, so that mails to
// one address go out in the order they were queued, over one connection.
// Each batch keeps its lease, renewed, until every one of its items is
// recorded; what a batch did not try (the pass stopped, its lease could
// not be renewed) is released once the rest is recorded.
type outboxPass struct {
	s       *Service
	ctx     context.Context // ends the sending
	rctx    context.Context // records: the mails are out even when ctx has ended
	policy  RetryPolicy
	notes   DeliveryNotes // nil: the store keeps none (a store of the tests)
	mailers []Mailer
	queues  []chan *delivery
	stats   []FlushStats // one per worker

	inFlight chan struct{}  // a token per item handed to a worker and not yet done with
	results  chan *delivery // to the recorder

	idle     sync.Cond // signalled when an item is done with
	mu       sync.Mutex
	sending  int   // items handed to workers and not yet sent or skipped
	err      error // what went wrong; it stops the pass
	stopping bool  // set by err or by the end of ctx
	ended    bool  // ctx ended while the pass ran
}

// delivery is one claimed item on its way through a pass.
type delivery struct {
	item   OutboxItem
	batch  *claimedBatch
	record func(context.Context, Tx) error // set once tried
	// recorded is closed once the result is committed (or its commit
	// failed, which stops the pass).
	recorded chan struct{}
}

// claimedBatch is the items one claim leased, and what is left of them.
type claimedBatch struct {
	holder  string
	lease   *leaseKeeper
	left    int // items not yet recorded or skipped
	untried int // items skipped: the pass stopped before them
	warned  bool
}

func (s *Service) newOutboxPass(ctx context.Context, mailers []Mailer, policy RetryPolicy) *outboxPass {
	p := &outboxPass{
		s: s, ctx: ctx, rctx: context.WithoutCancel(ctx), policy: policy, mailers: mailers,
		stats:    make([]FlushStats, len(mailers)),
		inFlight: make(chan struct{}, 2*policy.BatchSize),
		// Room for every item in flight: a worker whose delivery is noted
		// hands its result over and sends on while the recorder waits for
		// the write lock (behind an ingest transaction, say), and the
		// recorder then commits what came meanwhile in one transaction,
		// not one or two at a time.
		results: make(chan *delivery, 2*policy.BatchSize),
	}
	p.idle.L = &p.mu
	if n, ok := s.store.(interface{ DeliveryNotes() DeliveryNotes }); ok {
		p.notes = n.DeliveryNotes()
	}
	for range mailers {
		p.queues = append(p.queues, make(chan *delivery, 2*policy.BatchSize))
	}
	return p
}

func (p *outboxPass) run() (FlushStats, error) {
	var workers, recorder sync.WaitGroup
	for i := range p.mailers {
		workers.Go(func() { p.work(i) })
	}
	recorder.Go(p.record)
	active := 0 // the mailers the items in flight were spread over
	for !p.halted() {
		claimed := p.s.now().UTC()
		if err := p.recordNoted(claimed); err != nil {
			// Claiming now would send noted mails again.
			p.fail(err)
			break
		}
		holder := newLeaseHolder()
		items, err := p.s.store.ClaimOutbox(p.ctx, claimed, p.policy.BatchSize, p.policy.Lease, holder)
		if err != nil {
			p.fail(fmt.Errorf("claiming outbox: %w", err))
			break
		}
		if len(items) == 0 {
			break
		}
		b := &claimedBatch{holder: holder, lease: p.s.keepLease(holder, claimed.Add(p.policy.Lease), p.policy.Lease), left: len(items)}
		spread := 1
		if len(items) >= deepOutbox {
			spread = len(p.mailers)
		}
		if spread != active {
			// Mails to one address must not pass each other: spread
			// anew only once every item in flight is sent.
			p.waitSent()
			active = spread
		}
		for i := range items {
			p.inFlight <- struct{}{}
			p.mu.Lock()
			p.sending++
			p.mu.Unlock()
			p.queues[queueOf(&items[i], spread)] <- &delivery{item: items[i], batch: b}
		}
		if len(items) < p.policy.BatchSize {
			break
		}
	}
	for _, q := range p.queues {
		close(q)
	}
	workers.Wait()
	close(p.results)
	recorder.Wait()
	var st FlushStats
	for _, w := range p.stats {
		st.Sent, st.Deferred, st.Failed = st.Sent+w.Sent, st.Deferred+w.Deferred, st.Failed+w.Failed
	}
	err := p.err
	if p.ended {
		// A bare ctx error is the shutdown; callers compare with it.
		if err == nil {
			err = p.ctx.Err()
		} else {
			err = errors.Join(p.ctx.Err(), err)
		}
	}
	return st, err
}

// queueOf is the queue of item's recipient among n.
func queueOf(it *OutboxItem, n int) int {
	if n <= 1 || len(it.Message.To) == 0 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(NormalizeAddress(it.Message.To[0].Email)))
	// By the high bits: FNV's lowest bit is only the parity of the bytes.
	return int(uint64(h.Sum32()) * uint64(n) >> 32)
}

// work sends the items of worker i's queue through its mailer.
func (p *outboxPass) work(i int) {
	for d := range p.queues[i] {
		p.send(i, d)
		p.mu.Lock()
		p.sending--
		p.idle.Broadcast()
		p.mu.Unlock()
		<-p.inFlight
	}
}

func (p *outboxPass) send(i int, d *delivery) {
	if p.halted() {
		p.done(d, true)
		return
	}
	held, ending := d.batch.lease.check(d.item.ID, p.s.now())
	if ending {
		// Never send an item whose lease could end before the mail is
		// out: another sender could take and send it too. The caller
		// logs errLeaseNotRenewed.
		p.fail(errLeaseNotRenewed)
		p.done(d, true)
		return
	}
	if !held {
		p.s.log.WarnContext(p.ctx, "outbox item taken by another sender after this one's lease ran out", slog.Int64("outbox", d.item.ID))
		p.done(d, false)
		return
	}
	noted := false
	record, sent := p.s.deliver(p.ctx, p.mailers[i], p.policy, &d.item, &p.stats[i], func() {
		if p.notes == nil {
			return
		}
		if err := p.notes.NoteDelivered(p.rctx, d.item.ID, p.s.now().UTC()); err != nil {
			p.s.log.WarnContext(p.ctx, "delivery not noted: waiting for its record", slog.Int64("outbox", d.item.ID), slog.Any("err", err))
			return
		}
		noted = true
		traceDelivery("noted", &d.item)
	})
	d.record, d.recorded = record, make(chan struct{})
	p.results <- d
	if sent && !noted {
		// The next mail waits for this one's record: a crash now sends
		// again this mail alone, never a batch of them.
		<-d.recorded
	}
}

// recordNoted records the deliveries noted by a sender that died before
// it recorded them, which a claim at now would otherwise take and send
// again.
func (p *outboxPass) recordNoted(now time.Time) error {
	if p.notes == nil {
		return nil
	}
	noted, err := p.notes.NotedDeliveries(p.rctx, now)
	if err != nil || len(noted) == 0 {
		return err
	}
	err = p.s.store.InTx(p.rctx, func(tx Tx) error {
		for _, n := range noted {
			if err := tx.OutboxSent(p.rctx, n.ID, n.At); err != nil {
				return err
			}
			if err := p.s.event(p.rctx, tx, n.TicketID, EventDelivered, "system",
				"mail sent before its sender stopped, recorded from its delivery note", n.At); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recording %d noted deliveries: %w", len(noted), err)
	}
	p.s.log.Warn("deliveries of a sender that stopped recorded from their notes, not sent again", slog.Int("mails", len(noted)))
	ids := make([]int64, len(noted))
	for i, n := range noted {
		ids[i] = n.ID
	}
	return p.notes.ForgetDeliveries(p.rctx, ids)
}

// record commits the results as they come: each with those that came
// while the last commit ran (a group commit), up to recordEvery, without
// waiting for more. The notes of what it recorded are dropped at the
// end of the pass (and by each claim's recordNoted meanwhile), not after
// each commit: the notes have one connection, and a worker noting the
// delivery it just made must not wait behind a removal.
func (p *outboxPass) record() {
	var recorded []int64
	defer func() {
		if p.notes != nil && len(recorded) > 0 {
			// One left behind is dropped by the next NotedDeliveries.
			_ = p.notes.ForgetDeliveries(p.rctx, recorded)
		}
	}()
	for {
		first, ok := <-p.results
		if !ok {
			return
		}
		batch := []*delivery{first}
		// With notes, no worker waits for a record: the results of the
		// next moments join this commit, one disk sync for all of them.
		var linger <-chan time.Time
		var timer *time.Timer
		if p.notes != nil {
			timer = time.NewTimer(recordLinger)
			linger = timer.C
		}
	more:
		for len(batch) < recordEvery {
			var d *delivery
			var ok bool
			select {
			case d, ok = <-p.results:
			default:
				if linger == nil {
					break more
				}
				select {
				case d, ok = <-p.results:
				case <-linger:
					break more
				}
			}
			if !ok {
				break more
			}
			batch = append(batch, d)
		}
		if timer != nil {
			timer.Stop()
		}
		if err := p.commit(batch); err != nil {
			// The mails are out but not recorded: their leases run out,
			// and they are recorded from their notes or sent again.
			p.fail(err)
		} else if p.notes != nil {
			for _, d := range batch {
				recorded = append(recorded, d.item.ID)
			}
		}
		for _, d := range batch {
			p.done(d, false)
			close(d.recorded)
		}
	}
}

// commit records the results of batch. The mails are out: their record
// is worth waiting for, as another try sends them again. So it is tried
// until it succeeds (a full disk, a database busy for long), the pass
// holding the batches' leases meanwhile, and given up only when the
// pass's context ends (the grace period of a shutdown).
func (p *outboxPass) commit(batch []*delivery) error {
	wait := 100 * time.Millisecond
	for try := 1; ; try++ {
		err := p.s.store.InTx(p.rctx, func(tx Tx) error {
			for _, d := range batch {
				if err := d.record(p.rctx, tx); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			return nil
		}
		if try == 3 {
			p.s.log.Warn("recording deliveries: trying again until it works", slog.Int("mails", len(batch)), slog.Any("err", err))
		}
		select {
		case <-p.ctx.Done():
			return fmt.Errorf("recording deliveries: %w", err)
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// done counts an item of its batch as recorded, or as not tried. The last
// item of a batch ends its lease renewals and releases what it did not
// try: all it tried is recorded by then.
func (p *outboxPass) done(d *delivery, untried bool) {
	b := d.batch
	p.mu.Lock()
	b.left--
	if untried {
		b.untried++
	}
	last, release := b.left == 0, b.untried
	p.mu.Unlock()
	if !last {
		return
	}
	b.lease.stop()
	if release > 0 {
		if err := p.s.store.ReleaseOutbox(p.rctx, b.holder); err != nil {
			p.fail(fmt.Errorf("releasing %d untried outbox items: %w", release, err))
		}
	}
}

// halted reports whether the pass stops: its context ended, or an error.
func (p *outboxPass) halted() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.ended && p.ctx.Err() != nil {
		p.stopping, p.ended = true, true
	}
	return p.stopping
}

func (p *outboxPass) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !errors.Is(p.err, err) {
		p.err = errors.Join(p.err, err)
	}
	p.stopping = true
}

// waitSent waits until the workers have sent (or skipped) every item
// handed to them.
func (p *outboxPass) waitSent() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.sending > 0 {
		p.idle.Wait()
	}
}
