package bench

// Hostile mail at bounded cost: eight mails built to be expensive, each
// through its own `helpdesk ingest` process, so that the peak resident
// memory (rusage maxrss) is that case's alone. Each must be stored or
// quarantined in under 2 s with a peak under 300 MiB; the benchmark
// reports wall time, CPU time and peak RSS per case, and fails a case
// whose CPU time or peak is over the bound.
//
//	go test -run '^$' -bench HostileCost -benchtime 1x ./bench/

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"
)

const (
	hostileWallBound = 2 * time.Second
	hostileRSSBound  = 300 << 20
)

// hostileCase writes one expensive mail.
type hostileCase struct {
	name  string
	write func(w *bufio.Writer)
}

const hostileHead = "From: Hostile <hostile@example.org>\r\nTo: support@example.com\r\nMessage-ID: <%s@example.org>\r\nMIME-Version: 1.0\r\n"

func hostileCases() []hostileCase {
	return []hostileCase{
		{"25MB-attachment", func(w *bufio.Writer) {
			fmt.Fprintf(w, hostileHead+"Subject: A big attachment\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee the attachment.\r\n"+
				"--b\r\nContent-Type: application/octet-stream; name=big.bin\r\nContent-Disposition: attachment; filename=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n", "big-attachment")
			rng := rand.New(rand.NewPCG(1, 2))
			raw := make([]byte, 57)
			for n := 0; n < 25_000_000; n += len(raw) {
				for i := range raw {
					raw[i] = byte(rng.IntN(256))
				}
				w.WriteString(base64.StdEncoding.EncodeToString(raw) + "\r\n")
			}
			w.WriteString("--b--\r\n")
		}},
		{"10k-MIME-parts", func(w *bufio.Writer) {
			fmt.Fprintf(w, hostileHead+"Subject: Many parts\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n", "many-parts")
			for i := range 10_000 {
				fmt.Fprintf(w, "--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=p%d.txt\r\n\r\npart %d\r\n", i, i)
			}
			w.WriteString("--b--\r\n")
		}},
		{"1MB-header-line", func(w *bufio.Writer) {
			fmt.Fprintf(w, hostileHead+"Content-Type: text/plain\r\nSubject: ", "long-header")
			w.WriteString(strings.Repeat("x", 1<<20))
			w.WriteString("\r\n\r\nA long subject.\r\n")
		}},
		{"100k-header-fields", func(w *bufio.Writer) {
			fmt.Fprintf(w, hostileHead+"Subject: Many fields\r\nContent-Type: text/plain\r\n", "many-fields")
			for i := range 100_000 {
				fmt.Fprintf(w, "X-Field-%d: value %d\r\n", i, i)
			}
			w.WriteString("\r\nMany header fields.\r\n")
		}},
		{"nesting-1000-deep", func(w *bufio.Writer) {
			fmt.Fprintf(w, hostileHead+"Subject: Deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n", "deep")
			for i := 1; i <= 1000; i++ {
				fmt.Fprintf(w, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i-1, i)
			}
			w.WriteString("--b1000\r\nContent-Type: text/plain\r\n\r\nAt the bottom.\r\n--b1000--\r\n")
			for i := 999; i >= 0; i-- {
				fmt.Fprintf(w, "--b%d--\r\n", i)
			}
		}},
		{"20MB-nested-HTML", func(w *bufio.Writer) {
			fmt.Fprintf(w, hostileHead+"Subject: Nested tags\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>", "nested-html")
			const depth = 1_100_000 // 19.8 MB of tags
			for range depth {
				w.WriteString("<div><b>")
			}
			w.WriteString("text")
			for range depth {
				w.WriteString("</b></div>")
			}
			w.WriteString("</body></html>\r\n")
		}},
		{"invalid-UTF-8-and-NUL", func(w *bufio.Writer) {
			fmt.Fprintf(w, "From: \xff\x00Hostile\xc3 <hostile@example.org>\r\nTo: support@example.com\r\nMessage-ID: <bad-bytes@example.org>\r\n"+
				"Subject: \x00\xfe\xff =?utf-8?b?/w==?= \xc3\x28\r\nX-Junk: \x00\x00\x00\r\nMIME-Version: 1.0\r\n"+
				"Content-Type: multipart/alternative; boundary=\"b\x00\"\r\n\r\n")
			junk := "\x00\xff\xfe\xc3\x28\xe2\x82\x00 text \xed\xa0\x80\r\n"
			w.WriteString("--b\x00\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
			for range 20_000 {
				w.WriteString(junk)
			}
			w.WriteString("--b\x00\r\nContent-Type: text/html; charset=\x00\xff\r\n\r\n<p>\x00\xff</p>\r\n--b\x00--\r\n")
		}},
		{"zip-in-zip-named-pdf", func(w *bufio.Writer) {
			var inner, outer bytes.Buffer
			zi := zip.NewWriter(&inner)
			f, _ := zi.Create("bomb.txt")
			zero := make([]byte, 1<<20)
			for range 200 { // 200 MiB of zeros, a few hundred KiB packed
				f.Write(zero)
			}
			zi.Close()
			zo := zip.NewWriter(&outer)
			g, _ := zo.Create("inner.zip")
			g.Write(inner.Bytes())
			zo.Close()
			fmt.Fprintf(w, hostileHead+"Subject: The invoice\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nThe invoice.\r\n"+
				"--b\r\nContent-Type: application/pdf; name=invoice.pdf\r\nContent-Disposition: attachment; filename=invoice.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n", "zip-pdf")
			enc := base64.StdEncoding.EncodeToString(outer.Bytes())
			for len(enc) > 76 {
				w.WriteString(enc[:76] + "\r\n")
				enc = enc[76:]
			}
			w.WriteString(enc + "\r\n--b--\r\n")
		}},
	}
}

// BenchmarkHostileCost runs each case through `helpdesk ingest`.
func BenchmarkHostileCost(b *testing.B) {
	bin := ingestBinary(b)
	for _, c := range hostileCases() {
		b.Run(c.name, func(b *testing.B) {
			path := writeMail(b, "", c.write)
			st, err := os.Stat(path)
			if err != nil {
				b.Fatal(err)
			}
			for range b.N {
				h := newHostileDesk(b, bin)
				run := h.ingest(path)
				o := run.outcome(b)
				what := "stored as " + o.Ticket
				if o.Quarantined {
					what = fmt.Sprintf("quarantined (%s)", o.Reason)
				}
				b.ReportMetric(run.wall.Seconds(), "wall-s")
				b.ReportMetric(run.cpu.Seconds(), "cpu-s")
				b.ReportMetric(mib(run.maxRSS), "peak-RSS-MiB")
				b.Logf("%s (%.1f MB): %v (CPU %v), peak RSS %.0f MiB, %s; load %s", c.name, float64(st.Size())/1e6, run.wall.Round(time.Millisecond),
					run.cpu.Round(time.Millisecond), mib(run.maxRSS), what, loadAverage())
				// The bound is on the work the mail costs, the child's CPU
				// time: on a machine shared with other work the wall time
				// also holds the waits for a core (the load is printed).
				if run.cpu > hostileWallBound || run.maxRSS > hostileRSSBound {
					b.Errorf("%s took %v of CPU and %.0f MiB; the bounds are %v and %d MiB", c.name, run.cpu, mib(run.maxRSS), hostileWallBound, hostileRSSBound>>20)
				}
			}
		})
	}
}
