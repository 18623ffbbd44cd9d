package imapwatch

import (
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

// plan splits todo into the batches fetched and handed over at once, in UID
// order. A mail the server may fail on is fetched on its own and after the
// others, so that they are done even when fetching it drops the connection:
// first the suspects, then, in stuck, the mails that failed on their own
// before.
func (s *session) plan(todo []uint32) (batches, stuck [][]uint32) {
	w := s.w
	var suspects [][]uint32
	var cur []uint32
	for _, uid := range todo {
		if w.retries[uid].unfetchable {
			stuck = append(stuck, []uint32{uid})
			continue
		}
		if w.suspect[uid] {
			suspects = append(suspects, []uint32{uid})
			continue
		}
		cur = append(cur, uid)
		if len(cur) == w.opts.BatchSize {
			batches, cur = append(batches, cur), nil
		}
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}
	return append(batches, suspects...), stuck
}

// batch fetches uids, hands them to the Handler and marks the stored ones.
// It returns how many are not stored, by the server's fault or the
// Handler's.
func (s *session) batch(ctx context.Context, uids []uint32) (failed int, err error) {
	w := s.w
	o := &w.opts
	mails, gone, refused, err := s.fetch(uids)
	if err != nil {
		return 0, err
	}
	s.forget(gone)
	for _, uid := range uids {
		if err, ok := refused[uid]; ok {
			failed++
			w.retryLater(uid, true, "server does not serve the mail, will retry", err)
			w.setStatus(func(st *Status) { st.LastError = fmt.Sprintf("fetching uid %d: %v", uid, err) })
		}
	}
	if len(mails) == 0 {
		return failed, nil
	}

	errs, batchErr := o.Handler.HandleBatch(ctx, o.Name, mails)
	if batchErr == nil && len(errs) != len(mails) {
		batchErr = fmt.Errorf("handler returned %d results for %d mails", len(errs), len(mails))
	}
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
		if batchErr == nil {
			w.retryLater(m.UID, false, "mail not stored, will retry", err)
		} else if i == len(mails)-1 {
			w.retryLater(m.UID, false, "batch not stored, will retry", fmt.Errorf("uids %s: %w", uidSet(uids), err))
		} else {
			r := w.retries[m.UID]
			r.attempt++
			r.due = time.Now().Add(o.Backoff(r.attempt))
			r.unfetchable = false
			w.retries[m.UID] = r
		}
	}
	if firstErr != nil {
		w.setStatus(func(st *Status) { st.LastError = fmt.Sprintf("storing mail: %v", firstErr) })
	}
	if len(stored) == 0 {
		return failed, nil
	}
	w.setStatus(func(st *Status) { st.Handled += int64(len(stored)) })

	if err := s.markDone(stored); err != nil {
		return failed, err
	}
	s.handled += len(stored)
	for _, uid := range stored {
		w.done[uid] = true
		delete(w.retries, uid)
	}
	w.log.Debug("mails stored", "count", len(stored), "uid", stored[len(stored)-1])
	return failed, nil
}

// fetch fetches the whole message and INTERNALDATE of uids, without setting
// \Seen, and returns the mails in UID order. When the server refuses the
// FETCH (NO) or leaves bodies out, the missing UIDs are fetched one by one;
// of those that still fail, the ones that no longer exist are gone and the
// others are refused, with the reason. err is for the connection only.
func (s *session) fetch(uids []uint32) (mails []Mail, gone []uint32, refused map[uint32]error, err error) {
	w := s.w
	got := make(map[uint32]Mail, len(uids))
	ferr := s.fetchInto(got, uids)
	if ferr != nil && !isRefusal(ferr) {
		s.lost(uids, got, ferr)
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
		for i, uid := range missing {
			err := s.fetchInto(got, []uint32{uid})
			if err != nil && !isRefusal(err) {
				s.lost(missing[i:], got, err)
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
		s.arm()
		data, err := s.c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{uidSet(missing)}}, nil).Wait()
		s.disarm()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("searching uids %s in %s: %w", uidSet(missing), w.opts.Folder, err)
		}
		still := make(map[uint32]bool)
		for _, uid := range data.AllUIDs() {
			still[uint32(uid)] = true
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

// lost notes, after the connection died while uids were being fetched, the
// ones that did not come: each becomes a suspect, fetched on its own next
// time; a suspect that was fetched on its own is scheduled for a retry.
func (s *session) lost(uids []uint32, got map[uint32]Mail, err error) {
	w := s.w
	for _, uid := range uids {
		if _, ok := got[uid]; ok {
			continue
		}
		if len(uids) == 1 && w.suspect[uid] {
			w.retryLater(uid, true, "connection lost while fetching the mail, will retry", s.cause(err))
			continue
		}
		w.suspect[uid] = true
	}
}

// fetchInto fetches uids in one UID FETCH and adds every mail that came
// with its body to got. The error is an *imap.Error when the server refused
// the command (the mails that came before are kept); any other error is the
// connection's.
func (s *session) fetchInto(got map[uint32]Mail, uids []uint32) error {
	set := uidSet(uids)
	s.arm()
	defer s.disarm()
	cmd := s.c.Fetch(set, &imap.FetchOptions{
		UID:          true,
		InternalDate: true,
		BodySection:  []*imap.FetchItemBodySection{{Peek: true}},
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
			if m.Raw, err = io.ReadAll(item.Literal); err != nil {
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

// isRefusal reports whether err is the server's answer to a command (NO or
// BAD), after which the connection is still good.
func isRefusal(err error) bool {
	var imapErr *imap.Error
	return errors.As(err, &imapErr)
}
