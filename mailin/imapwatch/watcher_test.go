package imapwatch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

func TestMailAppendedBeforeRunIsHandledOnceFlaggedSeenAndSaved(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	var uids []uint32
	for _, id := range ids("before", 3) {
		uids = append(uids, appendMail(t, c, "INBOX", id))
	}
	rec, st := newRecorder(), newMemState()
	w, err := New(ts.options(t, rec, st))
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, w)
	eventually(t, "the state to reach the last uid", func() bool { _, last := st.get("support"); return last == uids[2] })
	stop()

	for _, id := range ids("before", 3) {
		if n := rec.deliveriesOf(id); n != 1 {
			t.Errorf("%s delivered %d times, want 1", id, n)
		}
	}
	for id, m := range folderContents(t, c, "INBOX") {
		if !m.seen {
			t.Errorf("%s (uid %d) is not \\Seen on the server", id, m.uid)
		}
	}
	uv, _ := st.get("support")
	if uv == 0 {
		t.Error("uidvalidity was not saved")
	}
	if s := w.Status(); s.Handled != 3 || s.LastUID != uids[2] || s.UIDValidity != uv {
		t.Errorf("status = %+v, want 3 handled, last uid %d, uidvalidity %d", s, uids[2], uv)
	}
}

func TestTheHandlerGetsTheRawMessageAndItsInternalDate(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	date := time.Date(2024, 3, 1, 10, 30, 0, 0, time.UTC)
	raw := testMail("raw")
	cmd := c.Append("INBOX", int64(len(raw)), &imap.AppendOptions{Time: date})
	cmd.Write(raw)
	cmd.Close()
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	w, err := New(ts.options(t, rec, newMemState()))
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, w)
	eventually(t, "the mail", func() bool { return rec.storedCount() == 1 })
	stop()
	m := rec.mails[0]
	if !bytes.Equal(m.Raw, raw) {
		t.Errorf("raw = %q, want %q", m.Raw, raw)
	}
	if !m.InternalDate.Equal(date) {
		t.Errorf("internal date = %v, want %v", m.InternalDate, date)
	}
	if m.UID != 1 {
		t.Errorf("uid = %d, want 1", m.UID)
	}
}

func TestFirstContactSkipsMailAlreadyRead(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	appendMail(t, c, "INBOX", "old-read", imap.FlagSeen)
	appendMail(t, c, "INBOX", "unread")
	last := appendMail(t, c, "INBOX", "old-read-2", imap.FlagSeen)
	rec, st := newRecorder(), newMemState()
	w, err := New(ts.options(t, rec, st))
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, w)
	eventually(t, "the cursor past the old mail", func() bool { _, l := st.get("support"); return l == last })
	stop()
	if rec.storedCount() != 1 || !rec.has("unread") {
		t.Errorf("stored %v, want only the unread mail", rec.stored)
	}
}

func TestMailAppendedWhileRunningArrives(t *testing.T) {
	for _, tc := range []struct {
		name string
		idle bool
		poll time.Duration
	}{
		{name: "through idle", idle: true, poll: time.Hour},
		{name: "by polling when idle is off", idle: false, poll: 10 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, serverConfig{})
			c := ts.client(t)
			rec, st := newRecorder(), newMemState()
			opts := ts.options(t, rec, st)
			opts.IDLE, opts.PollInterval = tc.idle, tc.poll
			w, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			start(t, w)
			eventually(t, "first contact", func() bool { uv, _ := st.get("support"); return uv != 0 })
			if tc.idle {
				<-ts.idling // appended while the watcher idles, so only EXISTS can wake it
			}
			uid := appendMail(t, c, "INBOX", "live")
			eventually(t, "the live mail", func() bool { return rec.has("live") })
			eventually(t, "the cursor", func() bool { _, l := st.get("support"); return l == uid })
			if !tc.idle {
				select {
				case <-ts.idling:
					t.Error("the watcher entered IDLE")
				default:
				}
			}
		})
	}
}

func TestIdleIsReissuedEveryIdleRefresh(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	rec, st := newRecorder(), newMemState()
	opts := ts.options(t, rec, st)
	opts.IdleRefresh = 5 * time.Millisecond
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	for range 3 {
		<-ts.idling
	}
	appendMail(t, c, "INBOX", "after-refresh")
	eventually(t, "the mail", func() bool { return rec.has("after-refresh") })
	if !w.Status().Connected {
		t.Error("the watcher reconnected instead of refreshing IDLE")
	}
}

func TestMailDeletedBetweenSearchAndFetchDoesNotHoldTheCursor(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	for _, id := range []string{"a", "deleted", "c"} {
		appendMail(t, c, "INBOX", id)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	hook := func() {
		// A person deletes the mail while the watcher is about to fetch it.
		other := ts.client(t)
		if _, err := other.Select("INBOX", nil).Wait(); err != nil {
			t.Error(err)
		}
		if err := other.Store(imap.UIDSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
			t.Error(err)
		}
		if err := other.Expunge().Close(); err != nil {
			t.Error(err)
		}
	}
	ts.beforeFetch.Store(&hook)
	rec, st := newRecorder(), newMemState()
	st.SaveState(context.Background(), "support", sel.UIDValidity, 0)
	opts := ts.options(t, rec, st)
	logger, logs := testLog(t)
	opts.Logger = logger
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	eventually(t, "the cursor past the deleted mail", func() bool { _, l := st.get("support"); return l == 3 })
	if rec.storedCount() != 2 || rec.has("deleted") {
		t.Errorf("stored %v, want a and c", rec.stored)
	}
	if !strings.Contains(logs.String(), "expunged before fetch") {
		t.Error("the deleted mail was not noticed as expunged")
	}
}

func TestKickWakesAWatcherThatPollsRarely(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	rec, st := newRecorder(), newMemState()
	opts := ts.options(t, rec, st)
	opts.IDLE = false
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	eventually(t, "first contact", func() bool { uv, _ := st.get("support"); return uv != 0 })
	appendMail(t, c, "INBOX", "kicked")
	w.Kick()
	eventually(t, "the kicked mail", func() bool { return rec.has("kicked") })
}

func TestAFailedBatchStaysUnflaggedAndIsRetriedUntilStored(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	rec, st := newRecorder(), newMemState()
	var retried atomic.Bool
	var checkErr atomic.Value
	rec.hook = func(ctx context.Context, call int, mails []Mail) ([]error, error) {
		switch call {
		case 1:
			return nil, errors.New("database is locked")
		case 2:
			// The retry: nothing may be flagged or saved yet.
			for id, m := range folderContents(t, ts.client(t), "INBOX") {
				if m.seen {
					checkErr.Store(id + " was flagged \\Seen after the failed batch")
				}
			}
			if uv, _ := st.get("support"); uv != 0 {
				checkErr.Store("state saved after the failed batch")
			}
			retried.Store(true)
		}
		return nil, nil
	}
	for _, id := range ids("locked", 3) {
		appendMail(t, c, "INBOX", id)
	}
	var attempts atomic.Int32
	opts := ts.options(t, rec, st)
	opts.Backoff = func(n int) time.Duration { attempts.Add(1); return 5 * time.Millisecond }
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	eventually(t, "the retried mails", func() bool { return rec.storedCount() == 3 })
	eventually(t, "the state", func() bool { _, l := st.get("support"); return l == 3 })
	if msg := checkErr.Load(); msg != nil {
		t.Error(msg)
	}
	if !retried.Load() || attempts.Load() == 0 {
		t.Errorf("retried = %v after %d backoffs, want a retry after a backoff", retried.Load(), attempts.Load())
	}
	for id, m := range folderContents(t, c, "INBOX") {
		if !m.seen {
			t.Errorf("%s is not \\Seen after the retry", id)
		}
	}
}

func TestOneMailThatKeepsFailingDoesNotHoldBackTheOthers(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	rec, st := newRecorder(), newMemState()
	opts := ts.options(t, rec, st)
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	// Normal mode from the start: the cursor is at 0 for the server's
	// uidvalidity.
	start(t, w)
	eventually(t, "first contact", func() bool { uv, _ := st.get("support"); return uv != 0 })

	var failures atomic.Int32
	var during atomic.Value
	rec.hook = func(ctx context.Context, call int, mails []Mail) ([]error, error) {
		errs := make([]error, len(mails))
		for i, m := range mails {
			if messageID(m.Raw) != "b" {
				continue
			}
			if failures.Add(1) <= 3 {
				errs[i] = errors.New("row locked")
				continue
			}
			// The last try: a and c are done, the cursor waits at a.
			got := folderContents(t, ts.client(t), "INBOX")
			_, last := st.get("support")
			if !got["a"].seen || !got["c"].seen || got["b"].seen || last != got["a"].uid {
				during.Store("before b is stored: a and c must be \\Seen, b not, the cursor at a")
			}
		}
		return errs, nil
	}
	for _, id := range []string{"a", "b", "c"} {
		appendMail(t, c, "INBOX", id)
	}
	eventually(t, "b after its retries", func() bool { return rec.has("b") })
	eventually(t, "the cursor at c", func() bool { _, l := st.get("support"); return l == 3 })
	if msg := during.Load(); msg != nil {
		t.Error(msg)
	}
	for _, id := range []string{"a", "c"} {
		if n := rec.deliveriesOf(id); n != 1 {
			t.Errorf("%s delivered %d times, want 1 (it was done before b)", id, n)
		}
	}
	if n := rec.deliveriesOf("b"); n != 4 {
		t.Errorf("b delivered %d times, want 4", n)
	}
}

func TestAFailedMailThatSomeoneReadsMeanwhileIsStillRetried(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	appendMail(t, c, "INBOX", "a")
	uidB := appendMail(t, c, "INBOX", "b")
	rec, st := newRecorder(), newMemState()
	var failed atomic.Bool
	rec.hook = func(ctx context.Context, call int, mails []Mail) ([]error, error) {
		errs := make([]error, len(mails))
		for i, m := range mails {
			if messageID(m.Raw) == "b" && !failed.Swap(true) {
				errs[i] = errors.New("row locked")
				// Before the retry, a person opens b in a mail client: it
				// is no longer UNSEEN.
				other := ts.client(t)
				if _, err := other.Select("INBOX", nil).Wait(); err != nil {
					return nil, err
				}
				seen := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}
				if err := other.Store(imap.UIDSetNum(imap.UID(uidB)), seen, nil).Close(); err != nil {
					return nil, err
				}
			}
		}
		return errs, nil
	}
	w, err := New(ts.options(t, rec, st))
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	// The cursor is saved at b after the first round, with uidvalidity 0
	// (first contact not finished) until b is stored.
	eventually(t, "the cursor", func() bool { uv, l := st.get("support"); return uv != 0 && l == uidB })
	if !rec.has("a") || !rec.has("b") {
		t.Errorf("stored %v, want a and b", rec.stored)
	}
}

func TestAFailedMailThatIsDeletedBeforeItsRetryDoesNotHoldTheCursor(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	appendMail(t, c, "INBOX", "a")
	uidB := appendMail(t, c, "INBOX", "b")
	uidC := appendMail(t, c, "INBOX", "c")
	rec, st := newRecorder(), newMemState()
	st.SaveState(context.Background(), "support", sel.UIDValidity, 0)
	rec.hook = func(ctx context.Context, call int, mails []Mail) ([]error, error) {
		errs := make([]error, len(mails))
		for i, m := range mails {
			if messageID(m.Raw) != "b" {
				continue
			}
			errs[i] = errors.New("row locked")
			// Before the retry, a person deletes b.
			other := ts.client(t)
			if _, err := other.Select("INBOX", nil).Wait(); err != nil {
				return nil, err
			}
			deleted := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}
			if err := other.Store(imap.UIDSetNum(imap.UID(uidB)), deleted, nil).Close(); err != nil {
				return nil, err
			}
			if err := other.Expunge().Close(); err != nil {
				return nil, err
			}
		}
		return errs, nil
	}
	opts := ts.options(t, rec, st)
	opts.Backoff = func(int) time.Duration { return time.Hour } // no retry comes in time
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	eventually(t, "the failure", func() bool { return rec.deliveriesOf("b") == 1 })
	w.Kick()
	eventually(t, "the cursor past the deleted mail", func() bool { _, l := st.get("support"); return l == uidC })
	if !rec.has("a") || !rec.has("c") || rec.has("b") {
		t.Errorf("stored %v, want a and c", rec.stored)
	}
}

func TestACrashBetweenStoringAndFlaggingDeliversAgainAndTheMailIsKeptOnce(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	appendMail(t, c, "INBOX", "crash")
	rec, st := newRecorder(), newMemState()

	// First process: the mail is committed, then the process dies.
	ctx, cancel := context.WithCancel(context.Background())
	rec.hook = func(context.Context, int, []Mail) ([]error, error) { cancel(); return nil, nil }
	w, err := New(ts.options(t, rec, st))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Run(ctx); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if m := folderContents(t, c, "INBOX")["crash"]; m.seen {
		t.Fatal("the mail was flagged although the process died before")
	}
	if uv, last := st.get("support"); uv != 0 || last != 0 {
		t.Fatalf("state = %d/%d, want nothing saved", uv, last)
	}

	// Second process, same state and same database.
	rec.hook = nil
	w2, err := New(ts.options(t, rec, st))
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, w2)
	eventually(t, "the state", func() bool { _, l := st.get("support"); return l == 1 })
	stop()
	if n := rec.deliveriesOf("crash"); n != 2 {
		t.Errorf("delivered %d times, want 2 (once before the crash, once after)", n)
	}
	if rec.storedCount() != 1 {
		t.Errorf("stored %d mails, want 1", rec.storedCount())
	}
	if m := folderContents(t, c, "INBOX")["crash"]; !m.seen {
		t.Error("the mail is not \\Seen after the restart")
	}
}

func TestAChangedUIDValidityTakesTheUnseenMailAgainButNotTheReadMail(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	appendMail(t, c, "INBOX", "read-1", imap.FlagSeen)
	appendMail(t, c, "INBOX", "unread")
	last := appendMail(t, c, "INBOX", "read-2", imap.FlagSeen)
	rec, st := newRecorder(), newMemState()
	st.SaveState(context.Background(), "support", 999, 100)
	opts := ts.options(t, rec, st)
	logger, logs := testLog(t)
	opts.Logger = logger
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, w)
	eventually(t, "the cursor", func() bool { uv, l := st.get("support"); return uv != 999 && l == last })
	<-ts.idling
	live := appendMail(t, c, "INBOX", "live", imap.FlagSeen) // read at once, still new
	eventually(t, "the live mail", func() bool { _, l := st.get("support"); return l == live })
	stop()
	// Years of read mail would become new tickets after a server migration:
	// like at first contact, only the unseen mail is taken (the Handler's
	// dedupe keeps one it already has from doubling).
	if rec.deliveriesOf("unread") != 1 || rec.deliveriesOf("live") != 1 || rec.storedCount() != 2 {
		t.Errorf("delivered %v, want the unread and the live mail once each", rec.deliveries)
	}
	if !strings.Contains(logs.String(), "uidvalidity changed") {
		t.Error("no warning about the changed uidvalidity")
	}
}

func TestASavedUIDBeyondUIDNextFallsBackToFirstContactRules(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	appendMail(t, c, "INBOX", "read", imap.FlagSeen)
	appendMail(t, c, "INBOX", "unread")
	last := appendMail(t, c, "INBOX", "read-2", imap.FlagSeen)
	rec, st := newRecorder(), newMemState()
	// The server was restored from a backup: its UIDs are below the cursor.
	st.SaveState(context.Background(), "support", sel.UIDValidity, 100)
	opts := ts.options(t, rec, st)
	logger, logs := testLog(t)
	opts.Logger = logger
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	eventually(t, "the cursor back at the server's last uid", func() bool { _, l := st.get("support"); return l == last })
	if !rec.has("unread") || rec.storedCount() != 1 {
		t.Errorf("stored %v, want the unread mail", rec.stored)
	}
	if !strings.Contains(logs.String(), "uidnext") {
		t.Error("no warning about the cursor beyond uidnext")
	}
	<-ts.idling
	live := appendMail(t, c, "INBOX", "live")
	eventually(t, "the live mail", func() bool { _, l := st.get("support"); return l == live && rec.has("live") })
}

func TestAMailReadInAClientAfterFirstContactIsTakenWhileAnOlderMailStillFails(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	appendMail(t, c, "INBOX", "a")
	appendMail(t, c, "INBOX", "b")
	rec, st := newRecorder(), newMemState()
	var bFails atomic.Bool
	bFails.Store(true)
	rec.hook = func(ctx context.Context, call int, mails []Mail) ([]error, error) {
		errs := make([]error, len(mails))
		for i, m := range mails {
			if messageID(m.Raw) == "b" && bFails.Load() {
				errs[i] = errors.New("row locked")
			}
		}
		return errs, nil
	}
	opts := ts.options(t, rec, st)
	opts.IDLE = false // b's retries make the rounds
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	eventually(t, "a, and b failing", func() bool { return rec.has("a") && rec.deliveriesOf("b") > 0 })
	// Someone opens the next mail in a mail client before the watcher sees
	// it: it must be taken all the same.
	uidC := appendMail(t, c, "INBOX", "c", imap.FlagSeen)
	eventually(t, "c while b still fails", func() bool { return rec.has("c") })
	if rec.has("b") {
		t.Fatal("b was stored while its handler failed")
	}
	bFails.Store(false)
	eventually(t, "b after its retries", func() bool { return rec.has("b") })
	eventually(t, "the cursor at c", func() bool { uv, l := st.get("support"); return uv != 0 && l == uidC })
	for _, id := range []string{"a", "b", "c"} {
		if n := rec.deliveriesOf(id); id != "b" && n != 1 {
			t.Errorf("%s delivered %d times, want 1", id, n)
		}
	}
}

func TestARestartWhileAFirstContactMailStillFailsLosesNeitherItNorNewerReadMail(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	appendMail(t, c, "INBOX", "a")
	uidB := appendMail(t, c, "INBOX", "b")
	rec, st := newRecorder(), newMemState()
	rec.hook = func(ctx context.Context, call int, mails []Mail) ([]error, error) {
		errs := make([]error, len(mails))
		for i, m := range mails {
			if messageID(m.Raw) == "b" {
				errs[i] = errors.New("row locked")
			}
		}
		return errs, nil
	}
	w, err := New(ts.options(t, rec, st))
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, w)
	// First contact stays open in State, with the cursor just below b,
	// while b fails.
	eventually(t, "the first round saved", func() bool { uv, l := st.get("support"); return rec.has("a") && uv == 0 && l == uidB-1 })
	stop()

	// While the watcher is down, someone reads b, and a mail arrives that
	// someone reads too.
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.UIDSetNum(imap.UID(uidB)), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	uidC := appendMail(t, c, "INBOX", "c", imap.FlagSeen)
	rec.mu.Lock()
	rec.hook = nil
	rec.mu.Unlock()
	w2, err := New(ts.options(t, rec, st))
	if err != nil {
		t.Fatal(err)
	}
	start(t, w2)
	eventually(t, "the cursor at c", func() bool { uv, l := st.get("support"); return uv != 0 && l == uidC })
	if !rec.has("b") || !rec.has("c") {
		t.Errorf("stored %v, want a, b and c", rec.stored)
	}
}

func TestTheWatcherReconnectsAfterTheServerWentAway(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	appendMail(t, c, "INBOX", "before-outage")
	rec, st := newRecorder(), newMemState()
	w, err := New(ts.options(t, rec, st))
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	eventually(t, "the first mail", func() bool { return rec.has("before-outage") })
	<-ts.idling

	ts.stop()
	eventually(t, "the watcher to notice", func() bool { return !w.Status().Connected })
	ts.appendDirect(t, "INBOX", "during-outage")
	ts.restart()

	eventually(t, "the mail from the outage", func() bool { return rec.has("during-outage") })
	eventually(t, "the cursor", func() bool { _, l := st.get("support"); return l == 2 })
	if n := rec.deliveriesOf("before-outage"); n != 1 {
		t.Errorf("the first mail was delivered %d times, want 1", n)
	}
}

func TestAWrongPasswordIsRetriedWithBackoffUntilTheContextEnds(t *testing.T) {
	ts := startServer(t, serverConfig{})
	rec := newRecorder()
	opts := ts.options(t, rec, newMemState())
	opts.Password = "wrong-password"
	attempts := make(chan int, 100)
	opts.Backoff = func(n int) time.Duration {
		attempts <- n
		return time.Millisecond
	}
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	for want := 1; want <= 3; want++ {
		if n := <-attempts; n != want {
			t.Fatalf("backoff attempt %d, want %d", n, want)
		}
	}
	select {
	case err := <-done:
		t.Fatalf("Run returned %v before the context ended", err)
	default:
	}
	if s := w.Status(); !strings.Contains(strings.ToLower(s.LastError), "authentication") || s.Connected {
		t.Errorf("status = %+v, want an authentication error", s)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v after cancel, want nil", err)
	}
}

func TestHandledMailIsMovedToTheProcessedFolder(t *testing.T) {
	for _, tc := range []struct {
		name string
		caps imap.CapSet
	}{
		{name: "with MOVE"},
		{name: "with COPY and UID EXPUNGE", caps: imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}}},
		{name: "with COPY and EXPUNGE", caps: imap.CapSet{imap.CapIMAP4rev1: {}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, serverConfig{caps: tc.caps})
			c := ts.client(t)
			for _, id := range ids("move", 3) {
				appendMail(t, c, "INBOX", id)
			}
			rec, st := newRecorder(), newMemState()
			opts := ts.options(t, rec, st)
			opts.ProcessedFolder = "Processed/Helpdesk"
			w, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			stop := start(t, w)
			eventually(t, "the mails", func() bool { return rec.storedCount() == 3 })
			<-ts.idling
			appendMail(t, c, "INBOX", "move-live")
			eventually(t, "the cursor", func() bool { _, l := st.get("support"); return l == 4 })
			stop()
			if got := folderContents(t, c, "INBOX"); len(got) != 0 {
				t.Errorf("INBOX still holds %v", got)
			}
			got := folderContents(t, c, "Processed/Helpdesk")
			for _, id := range append(ids("move", 3), "move-live") {
				if _, ok := got[id]; !ok {
					t.Errorf("%s is not in the processed folder", id)
				}
			}
			if rec.storedCount() != 4 || rec.batchCount() > 4 {
				t.Errorf("stored %d mails in %d batches", rec.storedCount(), rec.batchCount())
			}
		})
	}
}

func TestAThousandMailsAreHandledInFewBatches(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	for _, id := range ids("bulk", 1000) {
		appendMail(t, c, "INBOX", id)
	}
	rec, st := newRecorder(), newMemState()
	w, err := New(ts.options(t, rec, st))
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, w)
	eventually(t, "the cursor", func() bool { _, l := st.get("support"); return l == 1000 })
	stop()
	if rec.storedCount() != 1000 {
		t.Errorf("stored %d mails, want 1000", rec.storedCount())
	}
	if n := rec.batchCount(); n != 5 {
		t.Errorf("%d batches for 1000 mails, want 5 of 200", n)
	}
}

func TestTLSModesConnect(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  serverConfig
	}{
		{name: "implicit tls", cfg: serverConfig{implicitTLS: true}},
		{name: "starttls", cfg: serverConfig{startTLS: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, tc.cfg)
			c := ts.client(t)
			appendMail(t, c, "INBOX", "secure")
			rec := newRecorder()
			w, err := New(ts.options(t, rec, newMemState()))
			if err != nil {
				t.Fatal(err)
			}
			start(t, w)
			eventually(t, "the mail", func() bool { return rec.has("secure") })
		})
	}
}

func TestAnUntrustedCertificateIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  serverConfig
	}{
		{name: "implicit tls", cfg: serverConfig{implicitTLS: true}},
		{name: "starttls", cfg: serverConfig{startTLS: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, tc.cfg)
			opts := ts.options(t, newRecorder(), newMemState())
			opts.InsecureSkipVerify = false
			w, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			start(t, w)
			eventually(t, "a certificate error", func() bool {
				return strings.Contains(w.Status().LastError, "certificate")
			})
		})
	}
}

func TestTokenLogins(t *testing.T) {
	for _, auth := range []string{AuthXOAuth2, AuthOAuthBearer} {
		t.Run(auth+" logs in with the token from the command", func(t *testing.T) {
			ts := startServer(t, serverConfig{})
			appendMail(t, ts.client(t), "INBOX", "oauth")
			rec := newRecorder()
			opts := ts.options(t, rec, newMemState())
			opts.Auth, opts.Password, opts.TokenCommand = auth, "", []string{"echo", testToken}
			w, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			start(t, w)
			eventually(t, "the mail", func() bool { return rec.has("oauth") })
		})
		t.Run(auth+" with a refused token keeps retrying", func(t *testing.T) {
			ts := startServer(t, serverConfig{})
			opts := ts.options(t, newRecorder(), newMemState())
			opts.Auth, opts.Password, opts.TokenCommand = auth, "", []string{"echo", "expired-" + testToken}
			attempts := make(chan int, 100)
			opts.Backoff = func(n int) time.Duration { attempts <- n; return time.Millisecond }
			w, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			start(t, w)
			<-attempts
			<-attempts
			if e := strings.ToLower(w.Status().LastError); !strings.Contains(e, "authentication") && !strings.Contains(e, "refused") {
				t.Errorf("last error = %q, want an authentication error", e)
			}
		})
	}
	t.Run("a failing token command is reported with its error output", func(t *testing.T) {
		ts := startServer(t, serverConfig{})
		opts := ts.options(t, newRecorder(), newMemState())
		opts.Auth, opts.Password = AuthXOAuth2, ""
		opts.TokenCommand = []string{"sh", "-c", "echo 'refresh token revoked' >&2; exit 3"}
		w, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		start(t, w)
		eventually(t, "the command's error", func() bool {
			return strings.Contains(w.Status().LastError, "refresh token revoked")
		})
	})
}

func TestNewReportsEveryProblemAtOnce(t *testing.T) {
	_, err := New(Options{Name: "support", TLS: "ssl", Auth: "kerberos", Folder: "INBOX", ProcessedFolder: "INBOX"})
	if err == nil {
		t.Fatal("New accepted empty options")
	}
	for _, want := range []string{"host", "username", `tls "ssl"`, `auth "kerberos"`, "processed folder", "handler", "state"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestNewAppliesDefaults(t *testing.T) {
	w, err := New(Options{Host: "imap.example.com", Username: "u", Password: "p", Handler: newRecorder(), State: newMemState()})
	if err != nil {
		t.Fatal(err)
	}
	o := w.opts
	if o.Port != 993 || o.TLS != TLSImplicit || o.Auth != AuthPlain || o.Folder != "INBOX" ||
		o.PollInterval != 30*time.Second || o.IdleRefresh != 25*time.Minute || o.BatchSize != 200 || o.Name != "u@imap.example.com" ||
		o.MaxBatchBytes != 64<<20 || o.MaxMessageSize != 0 {
		t.Errorf("defaults = %+v", o)
	}
}

func TestDefaultBackoffGrowsToFiveMinutes(t *testing.T) {
	for _, tc := range []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{4, 4 * time.Second, 8 * time.Second},
		{20, 150 * time.Second, 5 * time.Minute},
	} {
		for range 50 {
			if d := DefaultBackoff(tc.attempt); d < tc.min || d > tc.max {
				t.Errorf("DefaultBackoff(%d) = %v, want in [%v, %v]", tc.attempt, d, tc.min, tc.max)
			}
		}
	}
}

func TestAServerThatDropsEveryIdleIsNotLoggedIntoOnceASecondForever(t *testing.T) {
	ts := startServer(t, serverConfig{})
	ts.dropIdle.Store(true)
	rec := newRecorder()
	var mu sync.Mutex
	var attempts []int // the reconnect attempt numbers, in order
	handledAt := -1    // len(attempts) when the mail was handled
	rec.hook = func(context.Context, int, []Mail) ([]error, error) {
		mu.Lock()
		handledAt = len(attempts)
		mu.Unlock()
		return nil, nil
	}
	opts := ts.options(t, rec, newMemState())
	opts.Backoff = func(n int) time.Duration {
		mu.Lock()
		attempts = append(attempts, n)
		mu.Unlock()
		return time.Millisecond
	}
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	eventually(t, "three reconnects", func() bool { mu.Lock(); defer mu.Unlock(); return len(attempts) >= 3 })
	mu.Lock()
	if got := attempts[:3]; !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("reconnect attempts %v, want 1, 2, 3: a session that ends at once must not reset the backoff", got)
	}
	mu.Unlock()

	// A session that handled mail did real work: the next wait is short again.
	ts.appendDirect(t, "INBOX", "between-drops")
	eventually(t, "the mail", func() bool { return rec.has("between-drops") })
	eventually(t, "the reconnect after the mail", func() bool { mu.Lock(); defer mu.Unlock(); return len(attempts) > handledAt })
	mu.Lock()
	defer mu.Unlock()
	if n := attempts[handledAt]; n != 1 {
		t.Errorf("after a session that handled mail the attempt is %d, want 1", n)
	}
}

func TestAMailTheServerWillNotServeDoesNotStopTheOthers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault fault
	}{
		{"when the fetch gets NO", faultRefuse},
		{"when the body is missing", faultNoBody},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, serverConfig{})
			c := ts.client(t)
			sel, err := c.Select("INBOX", nil).Wait()
			if err != nil {
				t.Fatal(err)
			}
			uidA := appendMail(t, c, "INBOX", "a")
			uidB := appendMail(t, c, "INBOX", "b")
			uidC := appendMail(t, c, "INBOX", "c")
			ts.setFault(uidB, tc.fault)
			rec, st := newRecorder(), newMemState()
			st.SaveState(context.Background(), "support", sel.UIDValidity, 0)
			opts := ts.options(t, rec, st)
			logger, logs := testLog(t)
			opts.Logger = logger
			w, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			start(t, w)
			eventually(t, "a and c", func() bool { return rec.has("a") && rec.has("c") })
			eventually(t, "b to be reported stuck", func() bool { return slices.Equal(w.Status().Stuck, []uint32{uidB}) })
			got := folderContents(t, c, "INBOX")
			if !got["a"].seen || !got["c"].seen || got["b"].seen {
				t.Errorf("flags %+v, want a and c \\Seen, b not", got)
			}
			if _, last := st.get("support"); last != uidA {
				t.Errorf("cursor at %d, want %d: it must wait for b", last, uidA)
			}
			// It keeps being retried; after ten tries each one is logged
			// as an error.
			eventually(t, "an error-level log line for b", func() bool {
				for _, line := range strings.Split(logs.String(), "\n") {
					if strings.Contains(line, "level=ERROR") && strings.Contains(line, "uid=2 ") && strings.Contains(line, "attempt=10") {
						return true
					}
				}
				return false
			})

			ts.setFault(uidB, faultNone)
			eventually(t, "b once the server serves it", func() bool { return rec.has("b") })
			eventually(t, "the cursor at c", func() bool { _, l := st.get("support"); return l == uidC })
			if s := w.Status(); len(s.Stuck) != 0 {
				t.Errorf("stuck = %v after b was stored", s.Stuck)
			}
			for _, id := range []string{"a", "c"} {
				if n := rec.deliveriesOf(id); n != 1 {
					t.Errorf("%s delivered %d times, want 1", id, n)
				}
			}
		})
	}
}

func TestBatchesAreCappedByBytesAsWellAsByCount(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	var last uint32
	for i := range 10 {
		last = appendRaw(t, c, "INBOX", bigMail(fmt.Sprintf("m-%d", i), 3000))
	}
	last = appendRaw(t, c, "INBOX", bigMail("huge", 15000))
	rec, st := newRecorder(), newMemState()
	var mu sync.Mutex
	var batches [][]int // the sizes of the mails of each batch
	rec.hook = func(ctx context.Context, call int, mails []Mail) ([]error, error) {
		var sizes []int
		for _, m := range mails {
			sizes = append(sizes, len(m.Raw))
		}
		mu.Lock()
		batches = append(batches, sizes)
		mu.Unlock()
		return nil, nil
	}
	opts := ts.options(t, rec, st)
	opts.MaxBatchBytes = 10000
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, w)
	eventually(t, "the cursor", func() bool { _, l := st.get("support"); return l == last })
	stop()
	if rec.storedCount() != 11 {
		t.Errorf("stored %d mails, want 11", rec.storedCount())
	}
	mu.Lock()
	defer mu.Unlock()
	for _, b := range batches {
		total := 0
		for _, n := range b {
			total += n
		}
		if total > 10000 && len(b) > 1 {
			t.Errorf("a batch of %v bytes: %d over the cap of 10000", b, total)
		}
	}
	if len(batches) < 5 {
		t.Errorf("%d batches %v, want at least 4 of 3 mails and the huge one alone", len(batches), batches)
	}
}

func TestAMailOverMaxMessageSizeIsFetchedOnlyInPartAndHandedOverTruncated(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	small := testMail("small")
	big := bigMail("big", 5000)
	appendRaw(t, c, "INBOX", small)
	uidBig := appendRaw(t, c, "INBOX", big)
	last := appendMail(t, c, "INBOX", "small-2")
	rec, st := newRecorder(), newMemState()
	opts := ts.options(t, rec, st)
	opts.MaxMessageSize = 1000
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, w)
	eventually(t, "the cursor", func() bool { _, l := st.get("support"); return l == last })
	stop()
	got := make(map[string]Mail)
	for _, m := range rec.mails {
		got[messageID(m.Raw)] = m
	}
	if m := got["big"]; !m.Truncated || !bytes.Equal(m.Raw, big[:1001]) {
		t.Errorf("big mail: truncated %v, %d bytes, want the first 1001 bytes, truncated", m.Truncated, len(m.Raw))
	}
	if m := got["small"]; m.Truncated || !bytes.Equal(m.Raw, small) {
		t.Errorf("small mail: truncated %v, %d bytes, want it whole", m.Truncated, len(m.Raw))
	}
	if m := got["small-2"]; m.Truncated || m.UID != last {
		t.Errorf("second small mail: %+v", m)
	}
	// The server was never asked for the whole big mail.
	asked := false
	for _, f := range ts.fetchLog() {
		if !f.body || !slices.Contains(f.uids, uidBig) {
			continue
		}
		asked = true
		if f.partial == nil || f.partial.Offset != 0 || f.partial.Size != 1001 {
			t.Errorf("FETCH of uids %v asked for the body with partial %+v, want <0.1001>", f.uids, f.partial)
		}
	}
	if !asked {
		t.Error("the big mail's body was never fetched")
	}
	if !folderContents(t, c, "INBOX")["big"].seen {
		t.Error("the big mail is not \\Seen")
	}
}

func TestOneBigMailOnASlowLinkIsNotCutOffByTheCommandTimeout(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	big := bigMail("slow", 20*throttleChunk)
	uid := appendRaw(t, c, "INBOX", big)
	rec, st := newRecorder(), newMemState()
	opts := ts.options(t, rec, st)
	logger, logs := testLog(t)
	opts.Logger = logger
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	// The server pauses 40ms every 32 KiB: the mail takes 800ms or more,
	// while it is never silent for more than a fraction of the timeout.
	w.commandTimeout = 300 * time.Millisecond
	ts.throttle.Store(int64(40 * time.Millisecond))
	stop := start(t, w)
	eventually(t, "the mail and the cursor", func() bool { uv, l := st.get("support"); return rec.has("slow") && uv != 0 && l == uid })
	stop()
	if !bytes.Equal(rec.mails[0].Raw, big) {
		t.Errorf("got %d bytes, want the %d of the mail", len(rec.mails[0].Raw), len(big))
	}
	if strings.Contains(logs.String(), "reconnecting") {
		t.Error("the watcher gave up on the fetch and reconnected")
	}
}

func TestAFetchedMailHoldsNoMoreMemoryThanItsSize(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	big := bigMail("big", 3<<20)
	appendRaw(t, c, "INBOX", big)
	rec := newRecorder()
	w, err := New(ts.options(t, rec, newMemState()))
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, w)
	eventually(t, "the mail", func() bool { return rec.storedCount() == 1 })
	stop()
	// A batch is held in memory whole: a 25 MB mail read into a buffer
	// that doubled at its end would hold 50 MB.
	if m := rec.mails[0]; !bytes.Equal(m.Raw, big) || cap(m.Raw) > len(big)+bytes.MinRead {
		t.Errorf("the mail of %d bytes came in %d bytes, in a buffer of %d", len(big), len(m.Raw), cap(m.Raw))
	}
}

// bodyFetches lists the UIDs of each body FETCH the server was asked for.
func (ts *testServer) bodyFetches() [][]uint32 {
	var out [][]uint32
	for _, f := range ts.fetchLog() {
		if f.body {
			out = append(out, f.uids)
		}
	}
	return out
}

func TestTheNextBatchIsFetchedWhileTheHandlerStoresOneButNeverHandedOverBeforeIt(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	var uids []uint32
	for _, id := range ids("overlap", 6) {
		uids = append(uids, appendMail(t, c, "INBOX", id))
	}
	rec, st := newRecorder(), newMemState()
	var inHandler, overlapped atomic.Int32
	rec.hook = func(ctx context.Context, call int, mails []Mail) ([]error, error) {
		if inHandler.Add(1) != 1 {
			overlapped.Add(1)
		}
		defer inHandler.Add(-1)
		if call == 1 {
			// The first batch is stored only once the second is fetched.
			deadline := time.Now().Add(10 * time.Second)
			for len(ts.bodyFetches()) < 2 {
				if time.Now().After(deadline) {
					return nil, errors.New("the second batch was not fetched while the first was with the handler")
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		return nil, nil
	}
	opts := ts.options(t, rec, st)
	opts.BatchSize = 2
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, w)
	eventually(t, "the cursor", func() bool { _, l := st.get("support"); return l == uids[5] })
	stop()

	if n := rec.storedCount(); n != 6 {
		t.Errorf("stored %d mails, want 6", n)
	}
	if fetches := ts.bodyFetches(); len(fetches) != 3 || !slices.Equal(fetches[1], uids[2:4]) {
		t.Errorf("body fetches %v, want three of two mails each, the first retried never", fetches)
	}
	if n := overlapped.Load(); n != 0 {
		t.Errorf("the handler had %d batches at once", n+1)
	}
	for id, m := range folderContents(t, c, "INBOX") {
		if !m.seen {
			t.Errorf("%s (uid %d) is not \\Seen on the server", id, m.uid)
		}
	}
}

func TestABatchIsFetchedBesideTheOneBeingStoredOnlyWhenBothFitInMaxBatchBytes(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	var last uint32
	for i := range 4 {
		last = appendRaw(t, c, "INBOX", bigMail(fmt.Sprintf("small-%d", i), 2000))
	}
	last = appendRaw(t, c, "INBOX", bigMail("large", 9000))
	rec, st := newRecorder(), newMemState()
	var mu sync.Mutex
	var seenWhileHandling [][]int // per batch: the body fetches made by the time it was handed over, and when it was done
	rec.hook = func(ctx context.Context, call int, mails []Mail) ([]error, error) {
		before := len(ts.bodyFetches())
		time.Sleep(50 * time.Millisecond) // room for a fetch that should not happen
		mu.Lock()
		seenWhileHandling = append(seenWhileHandling, []int{before, len(ts.bodyFetches())})
		mu.Unlock()
		return nil, nil
	}
	opts := ts.options(t, rec, st)
	opts.BatchSize = 2
	opts.MaxBatchBytes = 10000
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, w)
	eventually(t, "the cursor", func() bool { _, l := st.get("support"); return l == last })
	stop()
	if n := rec.storedCount(); n != 5 {
		t.Fatalf("stored %d mails, want 5", n)
	}
	mu.Lock()
	defer mu.Unlock()
	// Batches: two small (about 4 KB), two small, the large one (9 KB).
	// The second small batch fits beside the first; the large one fits
	// beside neither, so it is fetched only after the second is stored.
	want := [][]int{{1, 2}, {2, 2}, {3, 3}}
	if !slices.EqualFunc(seenWhileHandling, want, slices.Equal) {
		t.Errorf("body fetches (at hand-over, when stored) per batch = %v, want %v", seenWhileHandling, want)
	}
}

func TestEachStepOfABatchIsTimed(t *testing.T) {
	ts := startServer(t, serverConfig{})
	c := ts.client(t)
	var last uint32
	for _, id := range ids("timed", 4) {
		last = appendMail(t, c, "INBOX", id)
	}
	rec, st := newRecorder(), newMemState()
	var mu sync.Mutex
	steps := map[string]int{}
	opts := ts.options(t, rec, st)
	opts.BatchSize = 2
	opts.StepTook = func(step string, took time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if took > 0 {
			steps[step]++
		}
	}
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, w)
	eventually(t, "the cursor", func() bool { _, l := st.get("support"); return l == last })
	stop()
	mu.Lock()
	defer mu.Unlock()
	want := map[string]int{StepFetch: 2, StepStore: 2, StepMark: 2}
	if !maps.Equal(steps, want) {
		t.Errorf("steps timed %v, want %v (two batches)", steps, want)
	}
}
