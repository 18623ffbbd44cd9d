package desk_test

import (
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
