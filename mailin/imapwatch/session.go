package imapwatch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// commandTimeout is how long the server may stay silent while a command
// waits for it (before the answer, between two FETCH responses, or inside
// one body) before the connection counts as dead.
const commandTimeout = 2 * time.Minute

// stableSession is how long a connection must last, when it handled no mail,
// for the reconnect backoff to start again at attempt 1.
const stableSession = time.Minute

// minRetryWait is the shortest wait for a mail's retry.
const minRetryWait = 5 * time.Millisecond

// errNoAnswer is the cause when the server leaves a command unanswered for
// commandTimeout.
var errNoAnswer = errors.New("server did not answer in time")

// errClosed is the cause when the server ends the connection while idle.
var errClosed = errors.New("server closed the connection")

// session is one connection: from dial to the first error.
type session struct {
	w         *Watcher
	c         *imapclient.Client
	exists    chan struct{} // the server announced new mail (EXISTS)
	watchdog  *time.Timer   // armed while waiting for the server
	stopAfter func() bool   // unregisters the close on ctx done
	timedOut  atomic.Bool

	uidValidity uint32 // the server's, from SELECT
	uidNext     uint32 // from SELECT; 0 when the server did not say
	useIdle     bool

	// firstContact: this round takes every unseen mail and every mail
	// above last, whatever its flags; then last becomes UIDNEXT-1.
	// Otherwise last is the cursor: every mail above it is new.
	firstContact bool
	last         uint32
	saved        [2]uint32 // (uidValidity, lastUID) as last loaded or saved

	handled int // mails stored and marked done on this connection
}

// retry is a mail the server would not serve or the Handler could not
// store, waiting for another try.
type retry struct {
	attempt     int
	due         time.Time
	unfetchable bool // the last try failed on the server's side
}

// loudAttempts is the try from which a mail's failures are logged as errors.
const loudAttempts = 10

// session connects, catches up and waits for mail until an error or ctx.
// stable reports whether the connection did real work: it handled mail or
// lasted stableSession. Only then does the reconnect backoff start again at
// attempt 1, so that a server which drops every connection at once (IDLE
// refused, say) is not logged into once a second forever.
func (w *Watcher) session(ctx context.Context) (stable bool, err error) {
	s := &session{w: w, exists: make(chan struct{}, 1)}
	began := time.Now()
	defer func() { stable = s.handled > 0 || time.Since(began) >= stableSession }()
	if err := s.connect(ctx); err != nil {
		return false, err
	}
	defer s.stopAfter()
	defer s.c.Close()
	defer s.watchdog.Stop()

	if err := s.login(ctx); err != nil {
		return false, s.cause(err)
	}
	if err := s.open(ctx); err != nil {
		return false, s.cause(err)
	}
	for {
		if err := s.round(ctx); err != nil {
			return false, s.cause(err)
		}
		w.setStatus(func(st *Status) { st.LastRound = time.Now() })
		if err := s.wait(ctx); err != nil {
			return false, s.cause(err)
		}
	}
}

// connect dials the server, sets up TLS and reads the greeting. It leaves
// the connection closed when ctx is done and the watchdog armed.
func (s *session) connect(ctx context.Context) error {
	o := &s.w.opts
	addr := net.JoinHostPort(o.Host, strconv.Itoa(o.Port))
	dialer := &net.Dialer{
		Timeout: 30 * time.Second,
		// A peer that vanished is noticed within about 90s even while idle.
		KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: 30 * time.Second, Interval: 15 * time.Second, Count: 4},
	}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", addr, err)
	}
	s.stopAfter = context.AfterFunc(ctx, func() { conn.Close() })
	s.watchdog = time.AfterFunc(s.w.commandTimeout, func() {
		s.timedOut.Store(true)
		conn.Close()
	})

	tlsConfig := &tls.Config{ServerName: o.Host, InsecureSkipVerify: o.InsecureSkipVerify}
	options := &imapclient.Options{
		TLSConfig: tlsConfig,
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(data *imapclient.UnilateralDataMailbox) {
				if data.NumMessages != nil {
					select {
					case s.exists <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	switch o.TLS {
	case TLSImplicit:
		tlsConfig.NextProtos = []string{"imap"}
		tconn := tls.Client(conn, tlsConfig)
		if err := tconn.HandshakeContext(ctx); err != nil {
			s.abandon(conn)
			return fmt.Errorf("tls handshake with %s: %w", addr, s.cause(err))
		}
		s.c = imapclient.New(tconn, options)
	case TLSStartTLS:
		c, err := imapclient.NewStartTLS(conn, options)
		if err != nil {
			s.abandon(conn)
			return fmt.Errorf("starttls with %s: %w", addr, s.cause(err))
		}
		s.c = c
	default:
		s.c = imapclient.New(conn, options)
	}
	if err := s.c.WaitGreeting(); err != nil {
		s.c.Close()
		s.abandon(conn)
		return fmt.Errorf("reading greeting of %s: %w", addr, s.cause(err))
	}
	return nil
}

// abandon undoes connect after a failure.
func (s *session) abandon(conn net.Conn) {
	s.watchdog.Stop()
	s.stopAfter()
	conn.Close()
}

// arm starts (or restarts) the watchdog before waiting for the server.
func (s *session) arm() { s.watchdog.Reset(s.w.commandTimeout) }

// disarm stops the watchdog while the wait is on our side (Handler, IDLE).
func (s *session) disarm() { s.watchdog.Stop() }

// cause replaces the error of a connection the watchdog closed by one that
// says so.
func (s *session) cause(err error) error {
	if err != nil && s.timedOut.Load() {
		return fmt.Errorf("%w (%v)", errNoAnswer, err)
	}
	return err
}

// open creates the processed folder if needed, selects the folder and loads
// the cursor.
func (s *session) open(ctx context.Context) error {
	w := s.w
	o := &w.opts
	if o.ProcessedFolder != "" {
		if err := s.ensureFolder(o.ProcessedFolder); err != nil {
			return err
		}
	}
	s.arm()
	sel, err := s.c.Select(o.Folder, nil).Wait()
	if err != nil {
		return fmt.Errorf("selecting %s: %w", o.Folder, err)
	}
	s.uidValidity = sel.UIDValidity
	s.uidNext = uint32(sel.UIDNext)
	s.useIdle = o.IDLE && s.c.Caps().Has(imap.CapIdle)
	s.disarm()

	uv, last, err := o.State.LoadState(ctx, o.Name)
	if err != nil {
		return fmt.Errorf("loading state of mailbox %s: %w", o.Name, err)
	}
	s.saved = [2]uint32{uv, last}
	if w.doneForUIDV != s.uidValidity {
		w.forgetAll()
		w.doneForUIDV = s.uidValidity
	}
	// A saved UIDVALIDITY of 0 with a UID means that first contact is not
	// finished: some unseen mail below the UID failed, and every mail above
	// it is new.
	s.firstContact, s.last = true, last
	switch {
	case uv != 0 && uv != s.uidValidity:
		w.log.Warn("uidvalidity changed: taking every unseen mail, as at first contact",
			"old_uidvalidity", uv, "uidvalidity", s.uidValidity)
		s.last = 0
	case s.uidNext != 0 && last >= s.uidNext:
		// The server was restored from a backup, or the state belongs to
		// another mailbox: the UIDs below the cursor are not the ones
		// handled, and the done and retry sets mean nothing either.
		w.log.Warn("saved uid is not below the server's uidnext: taking every unseen mail, as at first contact",
			"uid", last, "uidnext", s.uidNext, "uidvalidity", s.uidValidity)
		s.last = 0
		w.forgetAll()
	case uv == 0 && last == 0:
		w.log.Info("first contact with mailbox: taking every unseen mail", "uidvalidity", s.uidValidity)
	case uv == 0:
		w.log.Info("first contact not finished: taking every unseen mail and every mail above the uid",
			"uid", last, "uidvalidity", s.uidValidity)
	default:
		s.firstContact = false
	}
	w.setStatus(func(st *Status) {
		st.Connected = true
		st.UIDValidity, st.LastUID = s.uidValidity, s.last
	})
	w.log.Info("connected", "folder", o.Folder, "messages", sel.NumMessages, "uidvalidity", s.uidValidity, "idle", s.useIdle)
	return nil
}

// ensureFolder creates name unless LIST finds it.
func (s *session) ensureFolder(name string) error {
	s.arm()
	defer s.disarm()
	found, err := s.c.List("", name, nil).Collect()
	if err != nil {
		return fmt.Errorf("looking for folder %s: %w", name, err)
	}
	if len(found) > 0 {
		return nil
	}
	err = s.c.Create(name, nil).Wait()
	var imapErr *imap.Error
	if errors.As(err, &imapErr) && imapErr.Code == imap.ResponseCodeAlreadyExists {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("creating folder %s: %w", name, err)
	}
	s.w.log.Info("created processed folder", "folder", name)
	return nil
}

// round finds the new mails, hands them to the Handler batch by batch, marks
// the stored ones and advances the cursor. It returns an error only for the
// connection or the State; mails the server would not serve or the Handler
// could not store are scheduled for a retry.
func (s *session) round(ctx context.Context) error {
	w := s.w

	found, err := s.search()
	if err != nil {
		return err
	}
	// The failed mails wait in w.retries, whatever their flags now (someone
	// may have read one meanwhile). Those below the cursor are unseen mails
	// that failed at first contact.
	candidates := slices.Clone(found)
	for uid := range w.retries {
		switch {
		case s.firstContact || uid <= s.last:
			candidates = append(candidates, uid)
		case !sortedHas(found, uid):
			// Above the cursor but no longer found: deleted, nothing
			// to retry.
			delete(w.retries, uid)
		}
	}
	defer w.publishStuck()
	slices.Sort(candidates)
	candidates = slices.Compact(candidates)

	now := time.Now()
	var todo []uint32
	waiting := false
	for _, uid := range candidates {
		if w.done[uid] {
			continue
		}
		if r, ok := w.retries[uid]; ok && now.Before(r.due) {
			waiting = true
			continue
		}
		todo = append(todo, uid)
	}
	if len(todo) > 0 {
		w.log.Debug("new mail", "count", len(todo))
	}

	failed := 0
	next := 0 // index in found of the first UID the cursor has not passed
	sizes, gone, err := s.sizes(todo)
	if err != nil {
		return err
	}
	s.forget(gone)
	todo = slices.DeleteFunc(todo, func(uid uint32) bool { return sortedHas(gone, uid) })
	batches, stuck := s.plan(todo, sizes)
	// While the Handler stores a batch, the next one is fetched, when the
	// two fit in MaxBatchBytes together. One batch at a time is with the
	// Handler, and none is left with it when the round ends.
	var storing *handling // the batch with the Handler
	defer func() {
		if storing != nil {
			storing.wait()
		}
	}()
	settle := func(h *handling) error {
		if h == storing {
			storing = nil
		}
		n, err := s.finish(ctx, h.wait())
		failed += n
		if err == nil && !s.firstContact {
			next, err = s.advance(ctx, found, next)
		}
		return err
	}
	for _, batch := range batches {
		if storing != nil && !s.fitTogether(storing.batch, batch) {
			if err := settle(storing); err != nil {
				return err
			}
		}
		mails, n, err := s.fetchBatch(batch)
		failed += n
		if err != nil {
			return err
		}
		if len(mails) == 0 {
			continue
		}
		stored := storing
		if stored != nil {
			stored.wait()
		}
		storing = s.hand(ctx, batch, mails)
		if stored != nil {
			// Marked while the Handler has the next batch.
			if err := settle(stored); err != nil {
				return err
			}
		}
	}
	if storing != nil {
		if err := settle(storing); err != nil {
			return err
		}
	}
	// Every failure of this round is in w.retries now: the cursor can be
	// saved before the stuck mails are tried, which may drop the
	// connection.
	if s.firstContact {
		// From now on the cursor: every mail above UIDNEXT-1 is new, read
		// or not. The unseen mails below it that failed stay in w.retries,
		// and save keeps first contact open in State until they are done.
		last := s.last
		if s.uidNext != 0 {
			last = max(last, s.uidNext-1)
		} else if len(found) > 0 {
			last = max(last, found[len(found)-1])
		}
		if err := s.save(ctx, last); err != nil {
			return err
		}
		s.firstContact = false
	} else if next, err = s.advance(ctx, found, next); err != nil {
		// Also when nothing was fetched: mails done in earlier rounds may
		// now lead the cursor on, or the last first-contact failure may
		// have been stored.
		return err
	}
	for _, batch := range stuck {
		n, err := s.batch(ctx, batch)
		if err != nil {
			return err
		}
		failed += n
		if next, err = s.advance(ctx, found, next); err != nil {
			return err
		}
	}
	if failed == 0 && !waiting {
		w.setStatus(func(st *Status) { st.LastError = "" })
	}
	return nil
}

// search returns, ascending, every UID above the cursor or, at first
// contact, every unseen UID and every UID above s.last.
func (s *session) search() ([]uint32, error) {
	folder := s.w.opts.Folder
	s.arm()
	defer s.disarm()
	var found []uint32
	if s.firstContact {
		data, err := s.c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
		if err != nil {
			return nil, fmt.Errorf("searching unseen mail in %s: %w", folder, err)
		}
		for _, uid := range data.AllUIDs() {
			found = append(found, uint32(uid))
		}
		if s.last == 0 {
			return found, nil
		}
	}
	criteria := imap.SearchCriteria{UID: []imap.UIDSet{{imap.UIDRange{Start: imap.UID(s.last + 1), Stop: 0}}}}
	data, err := s.c.UIDSearch(&criteria, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("searching %s above uid %d: %w", folder, s.last, err)
	}
	for _, uid := range data.AllUIDs() {
		// "UID n:*" always matches the highest UID, even when it is below n.
		if uint32(uid) > s.last {
			found = append(found, uint32(uid))
		}
	}
	slices.Sort(found)
	return slices.Compact(found), nil
}

// fitTogether reports whether a and b may be in memory at once: both of
// known size, and together within MaxBatchBytes.
func (s *session) fitTogether(a, b fetchBatch) bool {
	return a.bytes >= 0 && b.bytes >= 0 && a.bytes+b.bytes <= s.w.opts.MaxBatchBytes
}

// markDone flags uids \Seen, or moves them to the processed folder.
func (s *session) markDone(uids []uint32) error {
	o := &s.w.opts
	set := uidSet(uids)
	s.arm()
	defer s.disarm()
	if o.ProcessedFolder == "" {
		err := s.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close()
		if err != nil {
			return fmt.Errorf("flagging uids %s seen in %s: %w", set, o.Folder, err)
		}
		return nil
	}
	// imapclient falls back to COPY, STORE \Deleted and UID EXPUNGE (plain
	// EXPUNGE without UIDPLUS) on servers without MOVE.
	if _, err := s.c.Move(set, o.ProcessedFolder).Wait(); err != nil {
		return fmt.Errorf("moving uids %s from %s to %s: %w", set, o.Folder, o.ProcessedFolder, err)
	}
	return nil
}

// advance moves the cursor past every UID of found, from index next on, that
// is done, saves it, and returns the index of the first UID not done.
func (s *session) advance(ctx context.Context, found []uint32, next int) (int, error) {
	w := s.w
	last := s.last
	for next < len(found) && found[next] <= last {
		next++ // at first contact, found holds unseen mail below the cursor
	}
	for next < len(found) && w.done[found[next]] {
		last = found[next]
		next++
	}
	return next, s.save(ctx, last)
}

// save stores the cursor, unless State has it already, and forgets the done
// UIDs it covers. While a mail at or below it waits for a retry (an unseen
// mail that failed at first contact), State gets UIDVALIDITY 0 and a cursor
// just below the earliest such mail: after a restart, first contact then
// goes on, taking every unseen mail and every mail above that cursor, so
// the failed one is found again even if someone has read it meanwhile (the
// mails above it that were stored come again; the handler dedupes them).
func (s *session) save(ctx context.Context, last uint32) error {
	w := s.w
	uv, persisted := s.uidValidity, last
	for uid := range w.retries {
		if uid <= last {
			uv = 0
			persisted = min(persisted, uid-1)
		}
	}
	if s.saved != [2]uint32{uv, persisted} {
		if err := w.opts.State.SaveState(ctx, w.opts.Name, uv, persisted); err != nil {
			return fmt.Errorf("saving state of mailbox %s (uid %d): %w", w.opts.Name, persisted, err)
		}
		s.saved = [2]uint32{uv, persisted}
	}
	s.last = last
	for uid := range w.done {
		if uid <= last {
			delete(w.done, uid)
		}
	}
	w.setStatus(func(st *Status) { st.UIDValidity, st.LastUID = s.uidValidity, last })
	return nil
}

// forget drops uids that no longer exist from the retries; above the cursor
// they count as done.
func (s *session) forget(uids []uint32) {
	for _, uid := range uids {
		if uid > s.last {
			s.w.done[uid] = true
		}
		delete(s.w.retries, uid)
		delete(s.w.suspect, uid)
	}
}

// wait returns when there may be new mail: the server said so, Kick, the
// poll interval or IDLE refresh passed, or a failed mail is due for a retry.
func (s *session) wait(ctx context.Context) error {
	w := s.w
	d := w.opts.PollInterval
	if s.useIdle {
		d = w.opts.IdleRefresh
	}
	if due, ok := w.nextRetry(); ok {
		// The floor keeps a retry that is due from spinning the loop.
		d = min(d, max(time.Until(due), minRetryWait))
	}
	timer := time.NewTimer(d)
	defer timer.Stop()

	var idle *imapclient.IdleCommand
	if s.useIdle {
		s.arm()
		var err error
		idle, err = s.c.Idle()
		s.disarm()
		if err != nil {
			return fmt.Errorf("starting idle on %s: %w", w.opts.Folder, err)
		}
		w.setStatus(func(st *Status) { st.Idling = true })
		defer w.setStatus(func(st *Status) { st.Idling = false })
	}
	var result error
	select {
	case <-ctx.Done():
		result = ctx.Err()
	case <-s.c.Closed():
		result = errClosed
	case <-timer.C:
	case <-w.kick:
	case <-s.exists:
	}
	if idle == nil || result != nil {
		if idle != nil {
			idle.Close()
		}
		return result
	}
	s.arm()
	defer s.disarm()
	if err := idle.Close(); err != nil {
		return fmt.Errorf("stopping idle on %s: %w", w.opts.Folder, err)
	}
	if err := idle.Wait(); err != nil {
		return fmt.Errorf("stopping idle on %s: %w", w.opts.Folder, err)
	}
	return nil
}

// nextRetry returns when the earliest failed mail is due.
func (w *Watcher) nextRetry() (time.Time, bool) {
	var due time.Time
	for _, r := range w.retries {
		if due.IsZero() || r.due.Before(due) {
			due = r.due
		}
	}
	return due, !due.IsZero()
}

// sortedHas reports whether the ascending uids hold uid.
func sortedHas(uids []uint32, uid uint32) bool {
	_, ok := slices.BinarySearch(uids, uid)
	return ok
}

func uidSet(uids []uint32) imap.UIDSet {
	var set imap.UIDSet
	for _, uid := range uids {
		set.AddNum(imap.UID(uid))
	}
	return set
}
