package desk_test

import (
	"fmt"
	"strings"
	"testing"
)

func TestTheSameUnreadableMailTwiceIsQuarantinedOnce(t *testing.T) {
	h := newHarness(t)
	raw := "\x00\x01\x02 not a mail \xff"
	first := h.deliver("support", raw)
	again := h.deliver("support", raw)
	other := h.deliver("support", raw+"!")
	if !first.Quarantined || again.QuarantineID != first.QuarantineID {
		t.Errorf("the same bytes twice: quarantine #%d then #%d, want one row", first.QuarantineID, again.QuarantineID)
	}
	if other.QuarantineID == first.QuarantineID {
		t.Errorf("other bytes went into quarantine #%d, the first mail's", other.QuarantineID)
	}
	list, err := h.desk.Store.QuarantineList(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Errorf("%d quarantine rows, want 2 (one per distinct mail)", len(list))
	}
}

func TestAnOversizedMailHandedOverWholeIsQuarantinedAsItsHead(t *testing.T) {
	h := newHarness(t)
	cfg := configFor(t, h.sink.Port())
	cfg.Tickets.MaxMessageSize = 4 << 10
	h.open(cfg)
	raw := customer("big@a.test", "alice@a.test", "Big", strings.Repeat("0123456789abcdef", 4096))
	out := h.deliver("support", raw)
	if !out.Quarantined || !strings.Contains(out.Reason, "its first 4097 bytes are kept here") {
		t.Fatalf("outcome %+v, want the head quarantined", out)
	}
	q, err := h.desk.Store.QuarantineGet(h.ctx, out.QuarantineID)
	if err != nil {
		t.Fatal(err)
	}
	if !q.Truncated || string(q.Raw) != raw[:4097] || q.Size != 4097 {
		t.Errorf("quarantined %d bytes, truncated %v; want the first 4097 bytes, truncated", len(q.Raw), q.Truncated)
	}
	retry, err := h.desk.RetryQuarantined(h.ctx, out.QuarantineID)
	if err != nil || !retry.Quarantined || !strings.Contains(retry.Reason, "only the head") {
		t.Errorf("retry of a head: %+v, %v; want it refused as a head", retry, err)
	}
}

func TestTicketsOpenedBeforeFingerprintsStillCatchDuplicates(t *testing.T) {
	h := triageHarness(t)
	first := h.deliver("support", customer("old1@a.test", "alice@a.test", "Printer on fire", "The printer in room 4 is on fire. Please help."))
	// As if the ticket had been opened before fingerprints were kept.
	if _, err := h.desk.Store.DB().Exec("DELETE FROM message_fingerprints"); err != nil {
		t.Fatal(err)
	}
	again := h.deliver("support", customer("old2@a.test", "alice@a.test", "Re: Printer on fire", "The printer in room 4 is on fire.  Please help!"))
	if again.TicketID != first.TicketID || again.ThreadedBy != "duplicate" {
		t.Fatalf("the repeat: %+v, want it merged into %s", again, first.Ref)
	}
	var n int
	if err := h.desk.Store.DB().Get(&n, h.desk.Store.DB().Rebind("SELECT COUNT(*) FROM message_fingerprints WHERE ticket_id = ?"), first.TicketID); err != nil || n != 1 {
		t.Errorf("%d fingerprints on %s after the check (%v), want the first mail's, kept", n, first.Ref, err)
	}
}

func TestADuplicateIsFoundAmongManyTicketsOfItsSender(t *testing.T) {
	h := triageHarness(t)
	first := h.deliver("support", customer("many0@a.test", "alice@a.test", "Printer on fire", "The printer in room 4 is on fire. Please help."))
	for i := range 30 {
		h.deliver("support", customer(fmt.Sprintf("many%d@a.test", i+1), "alice@a.test", fmt.Sprintf("Question %d", i), strings.Repeat("Another matter entirely. ", i+1)))
	}
	again := h.deliver("support", customer("many-again@a.test", "alice@a.test", "Printer on fire", "The printer in room 4 is on fire. Please help."))
	if again.TicketID != first.TicketID || again.ThreadedBy != "duplicate" {
		t.Errorf("the repeat after 30 other tickets: %+v, want it merged into %s", again, first.Ref)
	}
}

func TestAMergedTicketIsComparedByItsOldestMail(t *testing.T) {
	h := triageHarness(t)
	older := h.deliver("support", customer("m1@a.test", "alice@a.test", "Printer on fire", "The printer in room 4 is on fire. Please help."))
	newer := h.deliver("support", customer("m2@a.test", "alice@a.test", "Scanner broken", "The scanner shows error 7."))
	if err := h.desk.Service.Merge(h.ctx, older.TicketID, newer.TicketID, "test"); err != nil {
		t.Fatal(err)
	}
	again := h.deliver("support", customer("m3@a.test", "alice@a.test", "Printer on fire", "The printer in room 4 is on fire. Please help."))
	if again.TicketID != newer.TicketID || again.ThreadedBy != "duplicate" {
		t.Errorf("a repeat of the merged ticket's first mail: %+v, want it merged into %s, whose oldest mail it repeats", again, newer.Ref)
	}
}

func TestDuplicateDetectionComparesFingerprintsNotStoredMessages(t *testing.T) {
	h := triageHarness(t)
	first := h.deliver("support", customer("fp1@a.test", "alice@a.test", "Printer on fire", "The printer in room 4 is on fire. Please help."))
	// The stored message no longer says what the fingerprint does: only a
	// check that reads it would miss the repeat.
	if _, err := h.desk.Store.DB().Exec(h.desk.Store.DB().Rebind("UPDATE messages SET body_text = 'redacted', subject = 'redacted' WHERE ticket_id = ?"), first.TicketID); err != nil {
		t.Fatal(err)
	}
	again := h.deliver("support", customer("fp2@a.test", "alice@a.test", "Printer on fire", "The printer in room 4 is on fire. Please help."))
	if again.TicketID != first.TicketID || again.ThreadedBy != "duplicate" {
		t.Errorf("the repeat: %+v, want it merged into %s by the fingerprint of its first mail", again, first.Ref)
	}
}
