package imapwatch

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkCatchUp measures how fast a Watcher takes in a full mailbox:
// 2,000 mails appended to imapmemserver before Run, timed until all are
// handled, flagged and the cursor saved. Reported as mails/s.
func BenchmarkCatchUp(b *testing.B) {
	const n = 2000
	for _, batch := range []int{50, 200, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				ts := startServer(b, serverConfig{})
				c := ts.client(b)
				for _, id := range ids("bench", n) {
					appendMail(b, c, "INBOX", id)
				}
				rec, st := newRecorder(), newMemState()
				opts := ts.options(b, rec, st)
				opts.BatchSize = batch
				w, err := New(opts)
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				b.StartTimer()
				began := time.Now()
				go func() { done <- w.Run(ctx) }()
				for {
					if _, last := st.get("support"); last == n {
						break
					}
					time.Sleep(100 * time.Microsecond)
				}
				total += time.Since(began)
				b.StopTimer()
				cancel()
				<-done
				if rec.storedCount() != n {
					b.Fatalf("stored %d of %d", rec.storedCount(), n)
				}
				ts.stop()
			}
			b.ReportMetric(float64(n*b.N)/total.Seconds(), "mails/s")
		})
	}
}
