package sqlstore

import (
	"context"
	"testing"
	"time"

	"helpdesk/tickets"
)

// A delivery noted by a sender that dies before it records it is found by
// the next process on the same database once the dead sender's lease has
// run out, and not before; once recorded, the note is dropped. On
// PostgreSQL too, where the notes are a table.
func TestADeliveryNoteOutlivesItsProcessOnEachDriver(t *testing.T) {
	onEachDriver(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		dead := db.open(t)
		var ticketID int64
		inTx(t, dead, func(ctx context.Context, tx tickets.Tx) error {
			tk := newTicket("alice@a.test", t0)
			if err := tx.CreateTicket(ctx, tk, 1000); err != nil {
				return err
			}
			ticketID = tk.ID
			out := outbound(tk.ID, "<ack@x.test>", "alice@a.test", t0)
			if err := tx.InsertMessage(ctx, out, nil); err != nil {
				return err
			}
			return tx.EnqueueMail(ctx, out.ID, tk.ID, t0)
		})
		items, err := dead.ClaimOutbox(ctx, t0, 10, 10*time.Second, "dead")
		if err != nil || len(items) != 1 {
			t.Fatalf("claimed %d (%v), want 1", len(items), err)
		}
		if err := dead.DeliveryNotes().NoteDelivered(ctx, items[0].ID, t0.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		// The next process, while the dead one's lease holds, then after.
		next := db.open(t)
		notes := next.DeliveryNotes()
		if noted, err := notes.NotedDeliveries(ctx, t0.Add(5*time.Second)); err != nil || len(noted) != 0 {
			t.Errorf("under the dead sender's lease: noted %v (%v), want none yet", noted, err)
		}
		noted, err := notes.NotedDeliveries(ctx, t0.Add(time.Minute))
		if err != nil || len(noted) != 1 || noted[0].ID != items[0].ID || noted[0].TicketID != ticketID || !noted[0].At.Equal(t0.Add(time.Second)) {
			t.Fatalf("after the lease: noted %+v (%v), want outbox item %d of ticket %d at %v", noted, err, items[0].ID, ticketID, t0.Add(time.Second))
		}
		inTx(t, next, func(ctx context.Context, tx tickets.Tx) error {
			return tx.OutboxSent(ctx, items[0].ID, noted[0].At)
		})
		if noted, err := notes.NotedDeliveries(ctx, t0.Add(time.Minute)); err != nil || len(noted) != 0 {
			t.Errorf("after the record: noted %v (%v), want none", noted, err)
		}
		if db.driver == "postgres" {
			var left int
			if err := next.DB().Get(&left, `SELECT COUNT(*) FROM delivery_notes`); err != nil || left != 0 {
				t.Errorf("%d notes left in delivery_notes (%v), want none", left, err)
			}
		}
	})
}

// The notes of a long backlog's pass are dropped at its end, tens of
// thousands at once: more ids than SQLite takes in one statement.
func TestTheNotesOfALongPassAreDroppedAtOnce(t *testing.T) {
	ctx := context.Background()
	s := sqliteDB(t).open(t)
	notes := s.DeliveryNotes()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var ids []int64
	for id := int64(1); id <= 40_000; id++ {
		if err := notes.NoteDelivered(ctx, id, t0); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := notes.ForgetDeliveries(ctx, ids); err != nil {
		t.Fatalf("dropping %d notes: %v", len(ids), err)
	}
	// None left: none is found again (and the outbox, empty, is asked in
	// pieces too).
	if err := notes.NoteDelivered(ctx, 1, t0); err != nil {
		t.Fatal(err)
	}
	if noted, err := notes.NotedDeliveries(ctx, t0.Add(time.Hour)); err != nil || len(noted) != 0 {
		t.Errorf("noted %v (%v), want none", noted, err)
	}
}
