package sqlstore

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"helpdesk/tickets"
	"helpdesk/tickets/triage"
)

// fillEveryTable puts rows of every kind into s: tickets (one merged into
// a newer one, tags, a verified sender), participants, messages in and out
// with raw mail and attachments, events, the outbox in each status, the
// quarantine held and released, mailbox positions, a bouncing address,
// fingerprints and a lease.
func fillEveryTable(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	verified := false
	inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
		var ids []int64
		for i := range 3 {
			tk := newTicket(fmt.Sprintf("c%d@a.test", i), t0.Add(time.Duration(i)*time.Minute))
			if i == 1 {
				tk.SenderVerified = &verified
			}
			if err := tx.CreateTicket(ctx, tk, 1000); err != nil {
				return err
			}
			ids = append(ids, tk.ID)
			in := inbound(tk.ID, fmt.Sprintf("<in%d@a.test>", i), tk.CreatedAt)
			raw := []byte(fmt.Sprintf("Message-ID: <in%d@a.test>\r\n\r\nraw\x00\xff", i))
			if i == 2 { // over a part: rows in raw_mail_parts and attachment_parts
				raw = append(raw, bytes.Repeat([]byte("\x00\xffraw"), blobPart/5)...)
				in.Attachments = []tickets.Attachment{{Filename: "big.bin", ContentType: "application/octet-stream", Data: bytes.Repeat([]byte{0, 0xff, 7}, blobPart)}}
			}
			if err := tx.InsertMessage(ctx, in, raw); err != nil {
				return err
			}
			if err := tx.SaveFingerprint(ctx, tickets.MailFingerprint{TicketID: tk.ID, MessageID: in.ID, Fingerprint: triage.Fingerprint{
				From: "alice@a.test", Subject: "printer on fire", TextHash: "h", Shingles: 3, Text: "it burns", Sketch: []uint64{7, 1 << 63}}}); err != nil {
				return err
			}
			if _, err := tx.AddParticipant(ctx, tk.ID, tickets.Participant{Address: tickets.Address{Email: tk.Requester.Email}, Role: "requester"}); err != nil {
				return err
			}
			out := outbound(tk.ID, fmt.Sprintf("<out%d@x.test>", i), tk.Requester.Email, tk.CreatedAt)
			if err := tx.InsertMessage(ctx, out, nil); err != nil {
				return err
			}
			if err := tx.EnqueueMail(ctx, out.ID, tk.ID, tk.CreatedAt); err != nil {
				return err
			}
			if err := tx.AddEvent(ctx, &tickets.Event{TicketID: tk.ID, Kind: "created", Detail: "by mail", CreatedAt: tk.CreatedAt}); err != nil {
				return err
			}
		}
		// The first ticket merged into the last, newer one.
		first, err := tx.Ticket(ctx, ids[0])
		if err != nil {
			return err
		}
		first.Status, first.MergedInto, first.ClosedAt = tickets.StatusMerged, ids[2], t0.Add(time.Hour)
		if err := tx.UpdateTicket(ctx, first); err != nil {
			return err
		}
		if err := tx.SetLastAssigned(ctx, "general", "ann@example.com", t0); err != nil {
			return err
		}
		if err := tx.ScheduleJob(ctx, ids[1], tickets.JobAutoClose, t0.Add(72*time.Hour)); err != nil {
			return err
		}
		off := 3600
		if err := tx.SaveSLAClock(ctx, &tickets.SLAClock{TicketID: ids[1], Target: tickets.TargetFirstResponse, Calendar: "office",
			Priority: "P2", Goal: 4 * time.Hour, Used: 90 * time.Minute, PausedAt: t0.Add(time.Hour), Due: t0.Add(5 * time.Hour),
			Warned: true, CustomerOffset: &off}); err != nil {
			return err
		}
		if err := tx.SaveSLAClock(ctx, &tickets.SLAClock{TicketID: ids[1], Target: tickets.TargetResolution, Calendar: "office",
			Priority: "P2", Goal: 48 * time.Hour, Since: t0, Due: t0.Add(96 * time.Hour), MetAt: t0.Add(2 * time.Hour)}); err != nil {
			return err
		}
		kb := &tickets.Article{Slug: "printer-fire", Title: "Printer on fire", Body: "Call the **fire brigade**.",
			Status: tickets.ArticlePublished, Tickets: []int64{ids[0]}, CreatedAt: t0, UpdatedAt: t0, PublishedAt: t0}
		if err := tx.CreateArticle(ctx, kb); err != nil {
			return err
		}
		if err := tx.SaveSuggestions(ctx, ids[1], []tickets.Suggestion{{ArticleID: kb.ID}}); err != nil {
			return err
		}
		if err := tx.AddWebSubmission(ctx, "c2@a.test", "192.0.2.7", ids[1], t0); err != nil {
			return err
		}
		return tx.MarkBouncing(ctx, "c1@a.test", t0.Add(24*time.Hour), "550 gone", t0)
	})
	items, err := s.ClaimOutbox(ctx, t0.Add(time.Hour), 2, time.Minute, "sender")
	if err != nil || len(items) != 2 {
		t.Fatalf("claim: %d items, %v", len(items), err)
	}
	inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
		if err := tx.OutboxSent(ctx, items[0].ID, t0.Add(time.Hour)); err != nil {
			return err
		}
		return tx.OutboxFailed(ctx, items[1].ID, t0.Add(time.Hour), "550 no")
	})
	for i, raw := range []string{"not a mail \x00\xff", "another", "a head \x00" + strings.Repeat("\xff", blobPart)} {
		q := &tickets.Quarantined{Mailbox: "support", Reason: "unreadable", Raw: []byte(raw), Truncated: i == 0, CreatedAt: t0}
		if err := s.Quarantine(ctx, q); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			inTx(t, s, func(ctx context.Context, tx tickets.Tx) error { return tx.QuarantineReleased(ctx, q.ID, 1001, t0) })
		}
	}
	for _, box := range []string{"support", "sales"} {
		if err := s.MailboxCursors().SaveState(ctx, box, 7, 4294967295); err != nil {
			t.Fatal(err)
		}
	}
	// A job done by a daemon before the move stays done until its period ends.
	if _, err := s.TakeLease(ctx, "job:auto-close", "host/42/9f", t0, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// A delivery note of PostgreSQL's kind (on SQLite the notes are in a
	// file beside the database and this table stays empty): a note that
	// travels with its outbox item serves the daemon on the target.
	if _, err := s.DB().Exec(s.DB().Rebind(`INSERT INTO delivery_notes (outbox_id, at) VALUES (?, ?)`), 1, t0); err != nil {
		t.Fatal(err)
	}
}

// tableRows reads every row of table, each value as the target's column
// type would hold it, in the copy's order.
func tableRows(t *testing.T, s *Store, table, order string, types map[string]string) []map[string]any {
	t.Helper()
	rows, err := s.DB().Queryx(fmt.Sprintf("SELECT * FROM %s ORDER BY %s", table, order))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []map[string]any
	for rows.Next() {
		row := map[string]any{}
		if err := rows.MapScan(row); err != nil {
			t.Fatal(err)
		}
		for k, v := range row {
			if row[k], err = convert(v, types[k]); err != nil {
				// Text that PostgreSQL cannot hold would fail the copy.
				t.Fatalf("%s.%s: %v", table, k, err)
			}
		}
		out = append(out, row)
	}
	return out
}

func TestCopyFromSQLiteLosesNothing(t *testing.T) {
	ctx := context.Background()
	src := sqliteDB(t).open(t)
	fillEveryTable(t, src)
	pg := postgresDB(t)
	dst := pg.open(t)
	counts, err := src.CopyTo(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range counts {
		if c.Source != c.Target || c.Source == 0 {
			t.Errorf("%s: %d rows in the source, %d copied; want the same, and some", c.Table, c.Source, c.Target)
		}
	}
	for _, table := range copyTables {
		var cols []struct {
			Name string `db:"column_name"`
			Type string `db:"data_type"`
		}
		if err := dst.DB().Select(&cols, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1", table.name); err != nil {
			t.Fatal(err)
		}
		types := map[string]string{}
		for _, c := range cols {
			types[c.Name] = c.Type
		}
		want := tableRows(t, src, table.name, table.order, types)
		got := tableRows(t, dst, table.name, table.order, types)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s after the copy:\n got %v\nwant %v", table.name, got, want)
		}
	}

	// The copy goes on where the source left off.
	var tk *tickets.Ticket
	inTx(t, dst, func(ctx context.Context, tx tickets.Tx) error {
		tk = newTicket("new@a.test", t0)
		if err := tx.CreateTicket(ctx, tk, 1000); err != nil {
			return err
		}
		m := outbound(tk.ID, "<after-copy@x.test>", "new@a.test", t0)
		if err := tx.InsertMessage(ctx, m, nil); err != nil {
			return err
		}
		return tx.EnqueueMail(ctx, m.ID, tk.ID, t0)
	})
	if tk.ID != 1003 {
		t.Errorf("the first ticket after the copy is %d, want 1003", tk.ID)
	}
	if q := (&tickets.Quarantined{Mailbox: "support", Reason: "x", Raw: []byte("new"), CreatedAt: t0}); must(t, dst.Quarantine(ctx, q)) && q.ID != 4 {
		t.Errorf("the first quarantined mail after the copy is #%d, want 4", q.ID)
	}

	// A second copy into the same database is refused, and changes nothing.
	if _, err := src.CopyTo(ctx, dst); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("a copy into a database with tickets: %v, want a refusal", err)
	}
	if l, _ := dst.ListTickets(ctx, tickets.TicketFilter{}); len(l) != 4 {
		t.Errorf("%d tickets after the refused copy, want 4", len(l))
	}
}

// must fails the test on err and reports success.
func must(t *testing.T, err error) bool {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return true
}

// Every table of the schema is copied: a table added by a migration and
// not to copyTables fails here.
func TestCopyKnowsEveryTable(t *testing.T) {
	var names []string
	for _, c := range copyTables {
		names = append(names, c.name)
	}
	for _, db := range []testDB{sqliteDB(t), postgresDB(t)} {
		if tables := tableNames(t, db.open(t), db.driver); !slices.Equal(slices.Sorted(slices.Values(names)), tables) {
			t.Errorf("%s has the tables %v; the copy knows %v", db.driver, tables, names)
		}
	}
}
