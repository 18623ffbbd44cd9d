package bench

// The whole pipeline through a real IMAP server: IMAP watcher, parser,
// SQLite transaction, outbox, SMTP. Run against the in-process IMAP server
// and against Dovecot (skipped with the reason where it cannot run):
//
//	go test -run '^$' -bench Pipeline -benchtime 1x ./bench/
//
// -pipeline.mails and -pipeline.live set the number of mails.

import (
	"flag"
	"fmt"
	"slices"
	"testing"
	"time"
)

var (
	pipelineMails = flag.Int("pipeline.mails", 2000, "mails seeded per pass of BenchmarkPipelineCatchUp")
	pipelineLive  = flag.Int("pipeline.live", 200, "mails appended one at a time per pass of BenchmarkPipelineLatency")
	pipelineGap   = flag.Duration("pipeline.gap", 20*time.Millisecond, "pause between two appends in BenchmarkPipelineLatency")
)

// BenchmarkPipelineCatchUp: N mails wait in the INBOX while the daemon is
// stopped; timed from the start of Run until all N are tickets and all N
// acknowledgements reached the SMTP server. Reports mails/s, and
// tickets/s: the rate up to the creation of the last ticket.
func BenchmarkPipelineCatchUp(b *testing.B) {
	n := *pipelineMails
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = customerMail(i)
	}
	eachIMAPServer(b, func(b *testing.B, start func() *imapServer) {
		b.StopTimer()
		var ingest time.Duration // start of Run to the last ticket's creation
		for range b.N {
			srv := start()
			if err := srv.seed(raws); err != nil {
				b.Fatalf("seeding %d mails into %s: %v", n, srv.name, err)
			}
			p := openPipeline(b, srv.port)

			b.StartTimer()
			began := time.Now()
			p.run()
			p.waitAcks(n)
			tickets := p.tickets()
			b.StopTimer()

			if len(tickets) != n || len(p.sink.Mails()) != n {
				b.Fatalf("%d tickets and %d acknowledgements from %d mails", len(tickets), len(p.sink.Mails()), n)
			}
			var last time.Time
			for _, t := range tickets {
				if t.CreatedAt.After(last) {
					last = t.CreatedAt
				}
			}
			ingest += last.Sub(began)
			p.close()
			srv.close()
			b.Logf("%s: %d mails", srv.name, n)
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "mails/s")
		// How fast mail became tickets, the acknowledgements aside.
		b.ReportMetric(float64(n*b.N)/ingest.Seconds(), "tickets/s")
	})
}

// BenchmarkPipelineLatency: the daemon runs and waits in IDLE; mails are
// APPENDed one at a time, a pause apart. For each, the time from the end
// of its APPEND to its acknowledgement (In-Reply-To its Message-ID)
// reaching the SMTP server. Reports the median and the 99th percentile.
func BenchmarkPipelineLatency(b *testing.B) {
	n := *pipelineLive
	eachIMAPServer(b, func(b *testing.B, start func() *imapServer) {
		var latencies []time.Duration
		for iter := range b.N {
			srv := start()
			p := openPipeline(b, srv.port)
			p.run()
			// A first mail, so that the daemon has caught up and sits in IDLE.
			if err := srv.seed([][]byte{customerMail(0)}); err != nil {
				b.Fatal(err)
			}
			p.waitAcks(1)
			time.Sleep(200 * time.Millisecond)

			c := dialAppender(b, srv.port)
			appended := make(map[string]time.Time, n)
			for i := range n {
				id := 1_000_000*(iter+1) + i
				raw := customerMail(id)
				if err := appendOne(c, raw); err != nil {
					b.Fatalf("appending mail %d to %s: %v", i, srv.name, err)
				}
				appended[fmt.Sprintf("bench-%d@example.org", id)] = time.Now()
				time.Sleep(*pipelineGap)
			}
			c.Close()
			for _, r := range p.waitAcks(n + 1) {
				if at, ok := appended[inReplyTo(r)]; ok {
					latencies = append(latencies, r.At.Sub(at))
					delete(appended, inReplyTo(r))
				}
			}
			if len(appended) != 0 {
				b.Fatalf("%d appended mails got no acknowledgement", len(appended))
			}
			p.close()
			srv.close()
			b.Logf("%s: %d mails appended %s apart", srv.name, n, *pipelineGap)
		}
		slices.Sort(latencies)
		b.ReportMetric(ms(percentile(latencies, 50)), "ms-p50")
		b.ReportMetric(ms(percentile(latencies, 99)), "ms-p99")
		b.ReportMetric(ms(latencies[len(latencies)-1]), "ms-max")
	})
}

// percentile of sorted durations, nearest rank.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
