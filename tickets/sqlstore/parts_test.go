package sqlstore

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"helpdesk/tickets"
)

func TestLargeMailsAndFilesComeBackWhole(t *testing.T) {
	onEachDriver(t, testLargeMailsAndFilesComeBackWhole)
}

// A raw mail and files of several parts (blobPart), of exactly one, and
// of a few bytes are kept byte for byte, a file goes out whole with the
// mail that forwards it, and a quarantined mail comes back whole.
func testLargeMailsAndFilesComeBackWhole(t *testing.T, db testDB) {
	ctx := context.Background()
	s := db.open(t)
	pattern := func(n, seed int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + seed + i/blobPart) // differs from part to part
		}
		return b
	}
	raw := pattern(3*blobPart+17, 1)
	files := []tickets.Attachment{
		{Filename: "small.txt", ContentType: "text/plain", Data: []byte("hi\x00")},
		{Filename: "one-part.bin", ContentType: "application/octet-stream", Data: pattern(blobPart, 2)},
		{Filename: "video.mp4", ContentType: "video/mp4", Data: pattern(2*blobPart+blobPart/2, 3)},
		{Filename: "empty.txt", ContentType: "text/plain", Data: nil},
	}
	var in, relay *tickets.Message
	inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
		tk := newTicket("c@a.test", t0)
		if err := tx.CreateTicket(ctx, tk, 1000); err != nil {
			return err
		}
		in = inbound(tk.ID, "<big@a.test>", t0)
		in.Attachments = files
		if err := tx.InsertMessage(ctx, in, raw); err != nil {
			return err
		}
		relay = outbound(tk.ID, "<relay@x.test>", "c@a.test", t0)
		relay.Kind, relay.Author = tickets.KindAgentRelay, "ann@example.com"
		relay.Attachments = files
		if err := tx.InsertMessage(ctx, relay, nil); err != nil {
			return err
		}
		return tx.EnqueueMail(ctx, relay.ID, tk.ID, t0)
	})

	var kept []byte
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(`SELECT raw FROM raw_mails WHERE message_id = ?
		UNION ALL SELECT data FROM (SELECT data FROM raw_mail_parts WHERE message_id = ? ORDER BY part) p`), in.ID, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		kept = append(kept, b...)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(kept, raw) {
		t.Errorf("the raw mail of %d bytes was kept as %d bytes, or altered", len(raw), len(kept))
	}

	items, err := s.ClaimOutbox(ctx, t0.Add(time.Minute), 10, time.Minute, "sender")
	if err != nil || len(items) != 1 {
		t.Fatalf("ClaimOutbox = %d items, %v", len(items), err)
	}
	got := items[0].Message.Attachments
	if len(got) != len(files) {
		t.Fatalf("the forwarded mail has %d files, want %d", len(got), len(files))
	}
	for i, f := range files {
		if got[i].Filename != f.Filename || !bytes.Equal(got[i].Data, f.Data) || got[i].Size != int64(len(f.Data)) {
			t.Errorf("file %s came back as %s of %d bytes (size %d), want its %d bytes", f.Filename, got[i].Filename, len(got[i].Data), got[i].Size, len(f.Data))
		}
	}
	head := &tickets.Quarantined{Mailbox: "support", Reason: "too large", Raw: pattern(2*blobPart+3, 4), Truncated: true, CreatedAt: t0}
	if err := s.Quarantine(ctx, head); err != nil {
		t.Fatal(err)
	}
	var held *tickets.Quarantined
	inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
		held, err = tx.QuarantineGet(ctx, head.ID)
		return err
	})
	if !bytes.Equal(held.Raw, head.Raw) || held.Size != int64(len(head.Raw)) {
		t.Errorf("a quarantined head of %d bytes came back as %d bytes (size %d), or altered", len(head.Raw), len(held.Raw), held.Size)
	}
	for _, table := range []string{"raw_mail_parts", "attachment_parts", "quarantine_parts"} {
		var n int
		if err := s.db.GetContext(ctx, &n, fmt.Sprintf("SELECT count(*) FROM %s", table)); err != nil || n == 0 {
			t.Errorf("%s holds %d rows (%v): a large value went into one row", table, n, err)
		}
	}
}
