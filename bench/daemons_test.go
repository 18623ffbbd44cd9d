package bench

// Several daemons on one database, and the benchmarks on PostgreSQL:
//
//	go test -run '^$' -bench 'CatchUpDaemons' -benchtime 1x ./bench/
//	go test -run '^$' -bench 'CatchUpDaemons' -benchtime 1x ./bench/ -bench.database postgres
//
// -bench.database postgres runs every benchmark of this package that
// opens its desk through benchConfig or benchTOML on a new database of the
// PostgreSQL server of the tests (internal/pgtest) instead of a SQLite
// file.

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"helpdesk/desk"
	"helpdesk/internal/pgtest"
	"helpdesk/internal/smtpsink"
)

var benchDatabase = flag.String("bench.database", "sqlite", "the benchmarks' database: sqlite (a file in a temporary folder) or postgres (a new database on the tests' server)")

// benchDSN is a new, empty database of the kind -bench.database names.
func benchDSN(b *testing.B) string {
	b.Helper()
	switch *benchDatabase {
	case "sqlite":
		return filepath.Join(b.TempDir(), "bench.db")
	case "postgres":
		return pgtest.NewDatabase(b)
	}
	b.Fatalf("-bench.database %q: want sqlite or postgres", *benchDatabase)
	return ""
}

// BenchmarkCatchUpDaemons is BenchmarkPipelineCatchUp with one and with
// two daemons on one database, each a desk.Open of its own (its own
// connections, watcher and sender, as a process of its own has). With
// two, one of them reads the mailbox, under its lease, and both send.
func BenchmarkCatchUpDaemons(b *testing.B) {
	n := *pipelineMails
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = ownDomainMail(i)
	}
	for _, daemons := range []int{1, 2} {
		b.Run(fmt.Sprintf("daemons=%d", daemons), func(b *testing.B) {
			eachIMAPServer(b, func(b *testing.B, start func() *imapServer) {
				b.StopTimer()
				var ingest time.Duration
				for range b.N {
					srv := start()
					if err := srv.seed(raws); err != nil {
						b.Fatalf("seeding %d mails into %s: %v", n, srv.name, err)
					}
					ps := openPipelines(b, srv.port, daemons)

					b.StartTimer()
					began := time.Now()
					for _, p := range ps {
						p.run()
					}
					ps[0].waitAcks(n)
					tickets := ps[0].tickets()
					b.StopTimer()

					if len(tickets) != n || len(ps[0].sink.Mails()) != n {
						b.Fatalf("%d tickets and %d acknowledgements from %d mails", len(tickets), len(ps[0].sink.Mails()), n)
					}
					var last time.Time
					for _, t := range tickets {
						if t.CreatedAt.After(last) {
							last = t.CreatedAt
						}
					}
					ingest += last.Sub(began)
					for _, p := range ps {
						p.close()
					}
					srv.close()
					b.Logf("%s on %s: %d mails, %d daemons", srv.name, *benchDatabase, n, daemons)
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "mails/s")
				b.ReportMetric(float64(n*b.N)/ingest.Seconds(), "tickets/s")
			})
		})
	}
}

// ownDomainMail is a customer's mail from a domain of its own: the
// automatic mails to one domain are limited ([loops] domain_rate_limit,
// 100 an hour by default), and a catch-up of thousands of customers of one
// domain would see most acknowledgements held back. customerMail writes
// each from a domain of its own already.
func ownDomainMail(i int) []byte {
	return customerMail(i)
}

// openPipelines opens daemons desks on one new database, reading the
// IMAP server on imapPort and sending to one SMTP server.
func openPipelines(b *testing.B, imapPort, daemons int) []*pipeline {
	b.Helper()
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sink.Close() })
	cfg := benchConfig(b, sink.Port(), fmt.Sprintf(`  [mailbox.imap]
  host = "127.0.0.1"
  port = %d
  tls = "none"
  username = %q
  password = %q
`, imapPort, benchUser, benchPassword))
	var ps []*pipeline
	for range daemons {
		d, err := desk.Open(context.Background(), cfg, desk.Options{})
		if err != nil {
			b.Fatal(err)
		}
		ps = append(ps, &pipeline{b: b, desk: d, sink: sink})
	}
	return ps
}
