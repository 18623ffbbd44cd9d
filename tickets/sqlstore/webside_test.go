package sqlstore

import (
	"context"
	"testing"
	"time"

	"helpdesk/tickets"
)

func TestWebSubmissionsAreCountedByAddressAndBySourceInTheirWindow(t *testing.T) {
	onEachDriver(t, testWebSubmissionsAreCountedByAddressAndBySourceInTheirWindow)
}

func testWebSubmissionsAreCountedByAddressAndBySourceInTheirWindow(t *testing.T, db testDB) {
	s := db.open(t)
	inTx(t, s, func(ctx context.Context, tx tickets.Tx) error {
		tk := newTicket("a@a.test", t0)
		if err := tx.CreateTicket(ctx, tk, 1000); err != nil {
			return err
		}
		for i, sub := range []struct {
			email, source string
			at            time.Time
		}{
			{"a@a.test", "192.0.2.1", t0.Add(-2 * time.Hour)}, // before the window
			{"a@a.test", "192.0.2.1", t0},
			{"A@A.test", "192.0.2.2", t0.Add(time.Minute)},
			{"b@b.test", "192.0.2.1", t0.Add(2 * time.Minute)},
			{"c@c.test", "", t0.Add(3 * time.Minute)},
		} {
			if err := tx.AddWebSubmission(ctx, sub.email, sub.source, tk.ID, sub.at); err != nil {
				t.Fatalf("submission %d: %v", i, err)
			}
		}
		for _, tc := range []struct {
			email, source    string
			byAddr, bySource int
		}{
			{"a@a.test", "192.0.2.1", 2, 2},
			{"b@b.test", "192.0.2.2", 1, 1},
			{"d@d.test", "", 0, 0}, // no source counts nothing
		} {
			a, src, err := tx.WebSubmissions(ctx, tc.email, tc.source, t0.Add(-time.Hour))
			if err != nil || a != tc.byAddr || src != tc.bySource {
				t.Errorf("WebSubmissions(%s, %q) = %d, %d, %v; want %d, %d", tc.email, tc.source, a, src, err, tc.byAddr, tc.bySource)
			}
		}
		return nil
	})
}
