// Package bench measures the help desk's throughput on real parts: SQLite
// on disk, the real mail reader and templates, a real SMTP server on
// loopback. Run: go test -run '^$' -bench . -benchtime 2000x ./bench/
package bench

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"helpdesk/config"
	"helpdesk/desk"
	"helpdesk/internal/localconfig"
	"helpdesk/internal/smtpsink"
)

// benchConfig is the config of every benchmark: SQLite in a temporary
// folder (PostgreSQL with -bench.database postgres), the SMTP server on
// smtpPort, and one mailbox "support", whose [mailbox.imap] (or more)
// extra may add.
func benchConfig(b *testing.B, smtpPort int, extra string) *config.Config {
	b.Helper()
	cfg, err := config.Parse([]byte(benchTOML(b, smtpPort, extra)), "bench.toml")
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}

// benchTOML is the text of benchConfig, for benchmarks that run the binary.
func benchTOML(b *testing.B, smtpPort int, extra string) string {
	return localconfig.TOML(localconfig.Options{DSN: benchDSN(b), SMTPPort: smtpPort, Extra: extra})
}

func openDesk(b *testing.B, smtpPort int) *desk.Desk {
	b.Helper()
	d, err := desk.Open(context.Background(), benchConfig(b, smtpPort, ""), desk.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	return d
}

// customerMail is a typical first mail: about 3 KB, multipart/alternative.
// Each customer writes from a domain of its own (org<i>.example), as a
// backlog from many customers does: from one domain, the per-domain limit
// on acknowledgements to unverified senders (loops.domain_rate_limit)
// would answer only the first hundred.
func customerMail(i int) []byte {
	body := strings.Repeat("The export to CSV stops at row 65536 and the file is cut off. ", 20)
	return []byte(fmt.Sprintf("From: Customer %d <customer%d@org%d.example>\r\nTo: Support <support@example.com>\r\n"+
		"Subject: Export stops halfway (%d)\r\nMessage-ID: <bench-%d@example.org>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"+
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n"+
		"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>%s</p>\r\n--b--\r\n", i, i, i, i, i, body, body))
}

// BenchmarkIngest: one new mail per op, parsed, stored as a ticket with its
// acknowledgement on the outbox, in one committed transaction.
func BenchmarkIngest(b *testing.B) {
	d := openDesk(b, 25)
	ctx := context.Background()
	mails := make([][]byte, b.N)
	for i := range mails {
		mails[i] = customerMail(i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := d.Deliver(ctx, "support", mails[i])
		if err != nil || !out.Created {
			b.Fatalf("mail %d: %+v %v", i, out, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
}

// BenchmarkDeliverAcknowledgements: outbox items delivered per op to a
// real SMTP server over one reused connection.
func BenchmarkDeliverAcknowledgements(b *testing.B) {
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	d := openDesk(b, sink.Port())
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		if _, err := d.Deliver(ctx, "support", customerMail(i)); err != nil {
			b.Fatal(err)
		}
	}
	m := d.NewMailer()
	defer m.Close()
	b.ResetTimer()
	st, err := d.FlushOutbox(ctx, m)
	if err != nil || st.Sent != b.N {
		b.Fatalf("flush: %+v %v", st, err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
}
