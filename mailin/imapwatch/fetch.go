package imapwatch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// errNoBody is the cause when the server answers a FETCH for a mail that
// exists without its body (Exchange sends BODY[] NIL for a corrupt item).
var errNoBody = errors.New("server returned no body")

// fetchBatch is the mails fetched in one UID FETCH and handed over at once.
type fetchBatch struct {
	uids    []uint32
	partial bool  // fetch only the first MaxMessageSize+1 bytes
	bytes   int64 // the most it can hold, by the sizes; -1 when unknown
}

// plan splits todo into batches, in UID order, of at most BatchSize mails
// and MaxBatchBytes bytes by sizes. A mail over MaxMessageSize, or of
// unknown size, makes a batch of its own. A mail the server may fail on is
// fetched on its own and after the others, so that they are done even when
// fetching it drops the connection: first the suspects, then, in stuck, the
// mails that failed on their own before.
func (s *session) plan(todo []uint32, sizes map[uint32]int64) (batches, stuck []fetchBatch) {
	w := s.w
	o := &w.opts
	var suspects []fetchBatch
	var cur []uint32
	var curBytes int64
	flush := func() {
		if len(cur) > 0 {
			batches = append(batches, fetchBatch{uids: cur, bytes: curBytes})
			cur, curBytes = nil, 0
		}
	}
	for _, uid := range todo {
		size, known := sizes[uid]
		one := fetchBatch{uids: []uint32{uid}, partial: o.MaxMessageSize > 0 && (!known || size > o.MaxMessageSize), bytes: -1}
		switch {
		case one.partial:
			one.bytes = o.MaxMessageSize + 1
		case known:
			one.bytes = size
		}
		switch {
		case w.retries[uid].unfetchable:
			stuck = append(stuck, one)
		case w.suspect[uid]:
			suspects = append(suspects, one)
		case !known || one.partial:
			flush()
			batches = append(batches, one)
		default:
			if len(cur) > 0 && (len(cur) == o.BatchSize || curBytes+size > o.MaxBatchBytes) {
				flush()
			}
			cur = append(cur, uid)
			curBytes += size
		}
	}
	flush()
	return append(batches, suspects...), stuck
}

// sizes asks the server for the size (RFC822.SIZE) of each of uids, except
// the suspects and stuck ones, which the server may fail on. Of the others,
// one it gives no size for is gone when it no longer exists; otherwise its
// size is unknown.
func (s *session) sizes(uids []uint32) (sizes map[uint32]int64, gone []uint32, err error) {
	w := s.w
	var ask []uint32
	for _, uid := range uids {
		if !w.suspect[uid] && !w.retries[uid].unfetchable {
			ask = append(ask, uid)
		}
	}
	sizes = make(map[uint32]int64, len(ask))
	if len(ask) == 0 {
		return sizes, nil, nil
	}
	set := uidSet(ask)
	s.arm()
	cmd := s.c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true})
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		var uid uint32
		size := int64(-1)
		for item := msg.Next(); item != nil; item = msg.Next() {
			switch item := item.(type) {
			case imapclient.FetchItemDataUID:
				uid = uint32(item.UID)
			case imapclient.FetchItemDataRFC822Size:
				size = item.Size
			}
		}
		s.arm()
		if uid != 0 && size >= 0 {
			sizes[uid] = size
		}
	}
	err = cmd.Close()
	s.disarm()
	if err != nil && !isRefusal(err) {
		s.lost(ask, func(uid uint32) bool { _, ok := sizes[uid]; return ok }, err)
		return nil, nil, fmt.Errorf("fetching sizes of uids %s from %s: %w", set, w.opts.Folder, err)
	}
	if err != nil {
		w.log.Warn("server gave no size for some mails", "uid", set.String(), "err", err)
	}
	var unknown []uint32
	for _, uid := range ask {
		if _, ok := sizes[uid]; !ok {
			unknown = append(unknown, uid)
		}
	}
	if len(unknown) == 0 {
		return sizes, nil, nil
	}
	still, err := s.existing(unknown)
	if err != nil {
		return nil, nil, err
	}
	for _, uid := range unknown {
		if !still[uid] {
			gone = append(gone, uid)
		}
	}
	if len(gone) > 0 {
		w.log.Debug("mails expunged before fetch", "uid", gone)
	}
	return sizes, gone, nil
}

// existing returns which of uids the folder still holds.
func (s *session) existing(uids []uint32) (map[uint32]bool, error) {
	s.arm()
	defer s.disarm()
	data, err := s.c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{uidSet(uids)}}, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("searching uids %s in %s: %w", uidSet(uids), s.w.opts.Folder, err)
	}
	still := make(map[uint32]bool)
	for _, uid := range data.AllUIDs() {
		still[uint32(uid)] = true
	}
	return still, nil
}

// batch fetches b, hands its mails to the Handler and marks the stored ones.
func (s *session) batch(ctx context.Context, b fetchBatch) (failed int, err error) {
	mails, failed, err := s.fetchBatch(b)
	if err != nil || len(mails) == 0 {
		return failed, err
	}
	n, err := s.finish(ctx, s.hand(ctx, b, mails).wait())
	return failed + n, err
}

// fetchBatch fetches b and schedules a retry for each mail the server
// refused. err is for the connection only.
func (s *session) fetchBatch(b fetchBatch) (mails []Mail, failed int, err error) {
	w := s.w
	began := time.Now()
	mails, gone, refused, err := s.fetch(b)
	if err != nil {
		return nil, 0, err
	}
	w.stepTook(StepFetch, began)
	s.forget(gone)
	for _, uid := range b.uids {
		if err, ok := refused[uid]; ok {
			failed++
			attempt, wait := w.retryLater(uid, true)
			w.logRetry("server does not serve the mail, will retry", uid, err, attempt, wait)
			w.setStatus(func(st *Status) { st.LastError = fmt.Sprintf("fetching uid %d: %v", uid, err) })
		}
	}
	return mails, failed, nil
}

// handling is a batch with the Handler. The session goes on fetching the
// next batch meanwhile, on the same connection; only the Handler's
// goroutine touches the handling until done is closed.
type handling struct {
	batch    fetchBatch
	mails    []Mail
	errs     []error // one per mail
	batchErr error
	done     chan struct{}
}

// hand gives mails, fetched for b, to the Handler on a goroutine of their
// own.
func (s *session) hand(ctx context.Context, b fetchBatch, mails []Mail) *handling {
	o := &s.w.opts
	h := &handling{batch: b, mails: mails, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		began := time.Now()
		h.errs, h.batchErr = o.Handler.HandleBatch(ctx, o.Name, mails)
		s.w.stepTook(StepStore, began)
		if h.batchErr == nil && len(h.errs) != len(mails) {
			h.batchErr = fmt.Errorf("handler returned %d results for %d mails", len(h.errs), len(mails))
		}
	}()
	return h
}

// stepTook tells Options.StepTook how long step took since began.
func (w *Watcher) stepTook(step string, began time.Time) {
	if w.opts.StepTook != nil {
		w.opts.StepTook(step, time.Since(began))
	}
}

// wait returns h once the Handler is done with it.
func (h *handling) wait() *handling {
	<-h.done
	return h
}

// finish marks the mails of h the Handler stored, and schedules a retry
// for each it did not.
func (s *session) finish(ctx context.Context, h *handling) (failed int, err error) {
	w := s.w
	mails, errs, batchErr := h.mails, h.errs, h.batchErr
	if ctx.Err() != nil {
		// Shutting down: leave the batch unmarked; it is delivered again at
		// the next start and the Handler dedupes it.
		return 0, ctx.Err()
	}
	var stored []uint32
	var firstErr error
	for i, m := range mails {
		err := batchErr
		if err == nil {
			err = errs[i]
		}
		if err == nil {
			stored = append(stored, m.UID)
			continue
		}
		failed++
		if firstErr == nil {
			firstErr = err
		}
		attempt, wait := w.retryLater(m.UID, false)
		if batchErr == nil {
			w.logRetry("mail not stored, will retry", m.UID, err, attempt, wait)
		} else if i == len(mails)-1 {
			w.logRetry("batch not stored, will retry", uidSet(h.batch.uids).String(), err, attempt, wait)
		}
	}
	if firstErr != nil {
		w.setStatus(func(st *Status) { st.LastError = fmt.Sprintf("storing mail: %v", firstErr) })
	}
	if len(stored) == 0 {
		return failed, nil
	}
	w.setStatus(func(st *Status) { st.Handled += int64(len(stored)) })

	began := time.Now()
	if err := s.markDone(stored); err != nil {
		return failed, err
	}
	w.stepTook(StepMark, began)
	s.handled += len(stored)
	for _, uid := range stored {
		w.done[uid] = true
		delete(w.retries, uid)
	}
	w.log.Debug("mails stored", "count", len(stored), "uid", stored[len(stored)-1])
	return failed, nil
}

// fetch fetches the message (or its first MaxMessageSize+1 bytes) and
// INTERNALDATE of b's mails, without setting \Seen, and returns them in UID
// order. When the server refuses the FETCH (NO) or leaves bodies out, the
// missing UIDs are fetched one by one; of those that still fail, the ones
// that no longer exist are gone and the others are refused, with the
// reason. err is for the connection only.
func (s *session) fetch(b fetchBatch) (mails []Mail, gone []uint32, refused map[uint32]error, err error) {
	w := s.w
	uids := b.uids
	got := make(map[uint32]Mail, len(uids))
	has := func(uid uint32) bool { _, ok := got[uid]; return ok }
	ferr := s.fetchInto(got, uids, b.partial)
	if ferr != nil && !isRefusal(ferr) {
		s.lost(uids, has, ferr)
		return nil, nil, nil, ferr
	}
	why := make(map[uint32]error) // the UIDs still without a body
	for _, uid := range uids {
		if _, ok := got[uid]; !ok {
			why[uid] = ferr
		}
	}
	if len(why) > 0 && len(uids) > 1 {
		missing := slices.Sorted(maps.Keys(why))
		w.log.Warn("batch fetch incomplete, fetching its mails one by one", "uid", uidSet(missing).String(), "err", ferr)
		for _, uid := range missing {
			err := s.fetchInto(got, []uint32{uid}, b.partial)
			if err != nil && !isRefusal(err) {
				s.lost([]uint32{uid}, has, err)
				return nil, nil, nil, err
			}
			if _, ok := got[uid]; ok {
				delete(why, uid)
			} else {
				why[uid] = err
			}
		}
	}
	if len(why) > 0 {
		// A mail expunged since the search is gone; one still there is the
		// server's fault.
		missing := slices.Sorted(maps.Keys(why))
		still, err := s.existing(missing)
		if err != nil {
			return nil, nil, nil, err
		}
		refused = make(map[uint32]error)
		for _, uid := range missing {
			if !still[uid] {
				gone = append(gone, uid)
				continue
			}
			cause := why[uid]
			if cause == nil {
				cause = errNoBody
			}
			refused[uid] = fmt.Errorf("fetching uid %d from %s: %w", uid, w.opts.Folder, cause)
		}
		if len(gone) > 0 {
			w.log.Debug("mails expunged before fetch", "uid", gone)
		}
	}
	for _, uid := range uids {
		if m, ok := got[uid]; ok {
			mails = append(mails, m)
			delete(w.suspect, uid)
		}
	}
	return mails, gone, refused, nil
}

// lost notes, after the connection died while uids (ascending) were being
// fetched, the first one that had not come: the server answers in UID order,
// so that is the one it may have choked on. It becomes a suspect, left out
// of batches and size queries and fetched on its own from then on; a
// suspect that was fetched on its own is scheduled for a retry.
func (s *session) lost(uids []uint32, came func(uint32) bool, err error) {
	w := s.w
	for _, uid := range uids {
		if came(uid) {
			continue
		}
		if len(uids) == 1 && w.suspect[uid] {
			attempt, wait := w.retryLater(uid, true)
			w.logRetry("connection lost while fetching the mail, will retry", uid, s.cause(err), attempt, wait)
		} else {
			w.suspect[uid] = true
		}
		return
	}
}

// fetchInto fetches uids in one UID FETCH, of each mail only the first
// MaxMessageSize+1 bytes when partial, and adds every mail that came with
// its body to got. The error is an *imap.Error when the server refused the
// command (the mails that came before are kept); any other error is the
// connection's.
func (s *session) fetchInto(got map[uint32]Mail, uids []uint32, partial bool) error {
	set := uidSet(uids)
	section := &imap.FetchItemBodySection{Peek: true}
	if partial {
		section.Partial = &imap.SectionPartial{Offset: 0, Size: s.w.opts.MaxMessageSize + 1}
	}
	s.arm()
	defer s.disarm()
	cmd := s.c.Fetch(set, &imap.FetchOptions{
		UID:          true,
		InternalDate: true,
		BodySection:  []*imap.FetchItemBodySection{section},
	})
	for {
		msg := cmd.Next()
		if msg == nil {
			break
		}
		m, ok, err := s.readMessage(msg)
		if err != nil {
			cmd.Close()
			return fmt.Errorf("fetching uids %s from %s: %w", set, s.w.opts.Folder, err)
		}
		s.arm()
		if ok {
			got[m.UID] = m
		}
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("fetching uids %s from %s: %w", set, s.w.opts.Folder, err)
	}
	return nil
}

// readMessage reads one FETCH response. ok is false when it holds no UID or
// no body (a flag update from another client, or BODY[] NIL).
func (s *session) readMessage(msg *imapclient.FetchMessageData) (m Mail, ok bool, err error) {
	hasBody := false
	for {
		item := msg.Next()
		if item == nil {
			break
		}
		switch item := item.(type) {
		case imapclient.FetchItemDataUID:
			m.UID = uint32(item.UID)
		case imapclient.FetchItemDataInternalDate:
			m.InternalDate = item.Time
		case imapclient.FetchItemDataBodySection:
			if item.Literal == nil {
				continue // NIL
			}
			if m.Raw, m.Truncated, err = s.readBody(item.Literal); err != nil {
				return m, false, err
			}
			hasBody = true
		}
	}
	if m.InternalDate.IsZero() {
		m.InternalDate = s.w.opts.Now()
	}
	return m, m.UID != 0 && hasBody, nil
}

// readBody reads a body literal, of which it keeps at most MaxMessageSize+1
// bytes (truncated is then set). The watchdog is re-armed as data arrives,
// so that one large mail on a slow link is not taken for a dead server.
func (s *session) readBody(lit imap.LiteralReader) (raw []byte, truncated bool, err error) {
	r := progressReader{r: lit, s: s}
	keep := lit.Size()
	if limit := s.w.opts.MaxMessageSize; limit > 0 && keep > limit {
		keep, truncated = limit+1, true
	}
	// The size is the server's word: allocate up front only what a batch
	// may hold anyway. ReadFrom wants MinRead bytes free before each read,
	// the one that finds the end included: without them, the buffer would
	// double at the last byte of the mail.
	buf := bytes.NewBuffer(make([]byte, 0, min(keep, s.w.opts.MaxBatchBytes)+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(r, keep)); err != nil {
		return nil, false, err
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return nil, false, err
	}
	return buf.Bytes(), truncated, nil
}

// progressReader re-arms the session's watchdog on every read that brings
// data.
type progressReader struct {
	r io.Reader
	s *session
}

func (p progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.s.arm()
	}
	return n, err
}

// isRefusal reports whether err is the server's answer to a command (NO or
// BAD), after which the connection is still good.
func isRefusal(err error) bool {
	var imapErr *imap.Error
	return errors.As(err, &imapErr)
}
