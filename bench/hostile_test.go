package bench

// Hostile mail through the real `helpdesk ingest` binary, one process per
// mail as an MTA runs it: an oversized mail, a mail with 600,000 Cc lines,
// and 30 large mails of one sender. Each reports the child's wall time and
// peak resident memory (rusage maxrss), and the longest wait for the
// database's write lock seen meanwhile by another connection (an upper bound
// on how long the ingest held it, to within SQLite's busy-retry step of up
// to 100 ms). A small mail ingested meanwhile must still be taken (exit 0).
//
//	go test -run '^$' -bench Hostile -benchtime 1x ./bench/

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"helpdesk/internal/localconfig"
)

// ingestBinary builds cmd/helpdesk once per benchmark into a temporary folder.
func ingestBinary(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "helpdesk")
	cmd := exec.Command("go", "build", "-o", bin, "helpdesk/cmd/helpdesk")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("building helpdesk: %v\n%s", err, out)
	}
	return bin
}

// hostileDesk is a config file and database for the binary.
type hostileDesk struct {
	b      *testing.B
	bin    string
	config string
	db     string
}

func newHostileDesk(b *testing.B, bin string) *hostileDesk {
	b.Helper()
	dir := b.TempDir()
	h := &hostileDesk{b: b, bin: bin, config: filepath.Join(dir, "helpdesk.toml"), db: filepath.Join(dir, "helpdesk.db")}
	toml := localconfig.TOML(localconfig.Options{DSN: h.db, SMTPPort: 25})
	if err := os.WriteFile(h.config, []byte(toml), 0o600); err != nil {
		b.Fatal(err)
	}
	// Create the database before anything times it.
	if run := h.ingest(bytes.NewReader([]byte(benchSmallMail("warm-up")))); run.code != 0 {
		b.Fatalf("first ingest: exit %d: %s", run.code, run.stderr)
	}
	return h
}

// ingestRun is one finished `helpdesk ingest`.
type ingestRun struct {
	code           int
	wall           time.Duration
	maxRSS         int64         // bytes
	cpu            time.Duration // user and system time of the child
	stdout, stderr string
}

func (h *hostileDesk) ingest(stdin any) ingestRun {
	h.b.Helper()
	cmd := exec.Command(h.bin, "ingest", "--config", h.config, "--mailbox", "support", "--json")
	switch in := stdin.(type) {
	case string: // a file name
		f, err := os.Open(in)
		if err != nil {
			h.b.Fatal(err)
		}
		defer f.Close()
		cmd.Stdin = f
	case *bytes.Reader:
		cmd.Stdin = in
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	run := ingestRun{wall: time.Since(start), stdout: out.String(), stderr: errb.String()}
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			h.b.Fatalf("running helpdesk ingest: %v", err)
		}
	}
	run.code = cmd.ProcessState.ExitCode()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		run.maxRSS = ru.Maxrss << 10 // KiB on Linux
		run.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return run
}

// lockWatch measures, from its own connection, how long the write lock
// stays out of reach, and meanwhile ingests small mails through the binary.
type lockWatch struct {
	stop    chan struct{}
	done    sync.WaitGroup
	maxWait time.Duration
	small   []ingestRun
	err     error
}

func (h *hostileDesk) watchLock() *lockWatch {
	v := url.Values{}
	v.Set("_busy_timeout", "60000")
	v.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite3", "file:"+h.db+"?"+v.Encode())
	if err != nil {
		h.b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	w := &lockWatch{stop: make(chan struct{})}
	w.done.Add(2)
	go func() {
		defer w.done.Done()
		defer db.Close()
		for {
			select {
			case <-w.stop:
				return
			default:
			}
			t0 := time.Now()
			tx, err := db.BeginTx(context.Background(), nil)
			if err != nil {
				w.err = err
				return
			}
			w.maxWait = max(w.maxWait, time.Since(t0))
			tx.Rollback()
			time.Sleep(5 * time.Millisecond)
		}
	}()
	go func() {
		defer w.done.Done()
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			w.small = append(w.small, h.ingest(bytes.NewReader([]byte(benchSmallMail(fmt.Sprintf("probe-%d-%d", time.Now().UnixNano(), i))))))
		}
	}()
	return w
}

// end stops the watch and fails the benchmark if a small mail was refused.
func (w *lockWatch) end(b *testing.B) {
	b.Helper()
	close(w.stop)
	w.done.Wait()
	if w.err != nil {
		b.Fatalf("lock probe: %v", w.err)
	}
	for _, r := range w.small {
		if r.code != 0 {
			b.Errorf("a small mail ingested meanwhile got exit %d: %s", r.code, strings.TrimSpace(r.stderr))
		}
	}
}

func benchSmallMail(id string) string {
	return fmt.Sprintf("From: Probe <probe@example.org>\r\nTo: support@example.com\r\nSubject: Probe %s\r\nMessage-ID: <%s@example.org>\r\n\r\nA small mail.\r\n", id, id)
}

// outcome is the JSON that `helpdesk ingest --json` prints.
type outcome struct {
	Ticket       string `json:"ticket"`
	Created      bool   `json:"created"`
	Quarantined  bool   `json:"quarantined"`
	QuarantineID int64  `json:"quarantine_id"`
	Reason       string `json:"reason"`
}

func (r ingestRun) outcome(b *testing.B) outcome {
	b.Helper()
	var o outcome
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &o) != nil {
		b.Fatalf("ingest: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	return o
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// writeMail writes a mail of a header and body lines to a file.
func writeMail(b *testing.B, header string, lines func(w *bufio.Writer)) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "mail.eml")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(header)
	lines(w)
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkHostile runs the three hostile cases of the "Hostile mail" issue.
func BenchmarkHostile(b *testing.B) {
	bin := ingestBinary(b)

	// A 286 MiB mail, over the 25 MiB default limit, through the pipe; then
	// the same bytes again.
	b.Run("oversize-286MiB", func(b *testing.B) {
		path := writeMail(b, "From: Big <big@example.org>\r\nTo: support@example.com\r\nSubject: Huge\r\n"+
			"Message-ID: <huge@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\n"+
			"Content-Transfer-Encoding: base64\r\n\r\n", func(w *bufio.Writer) {
			line := strings.Repeat("QUJD", 19) + "\r\n"
			for n := 0; n < 286<<20; n += len(line) {
				w.WriteString(line)
			}
		})
		for range b.N {
			h := newHostileDesk(b, bin)
			watch := h.watchLock()
			run := h.ingest(path)
			watch.end(b)
			o := run.outcome(b)
			again := h.ingest(path).outcome(b)
			b.ReportMetric(run.wall.Seconds(), "wall-s")
			b.ReportMetric(mib(run.maxRSS), "peak-RSS-MiB")
			b.ReportMetric(watch.maxWait.Seconds()*1000, "lock-wait-max-ms")
			b.Logf("oversize: exit %d, %v, peak RSS %.0f MiB, longest lock wait %v, %d small mails meanwhile; quarantine #%d, again #%d; db %.0f MiB",
				run.code, run.wall.Round(time.Millisecond), mib(run.maxRSS), watch.maxWait.Round(time.Millisecond),
				len(watch.small), o.QuarantineID, again.QuarantineID, mib(h.dbSize()))
		}
	})

	// 600,000 Cc lines, 12.5 MB.
	b.Run("600k-cc-lines", func(b *testing.B) {
		path := writeMail(b, "From: Cc Bomb <bomb@example.org>\r\nTo: support@example.com\r\nSubject: Many copies\r\n"+
			"Message-ID: <ccbomb@example.org>\r\n", func(w *bufio.Writer) {
			for i := range 600_000 {
				fmt.Fprintf(w, "Cc: u%d@example.org\r\n", i)
			}
			w.WriteString("\r\nHello all.\r\n")
		})
		for range b.N {
			h := newHostileDesk(b, bin)
			watch := h.watchLock()
			run := h.ingest(path)
			watch.end(b)
			o := run.outcome(b)
			b.ReportMetric(run.wall.Seconds(), "wall-s")
			b.ReportMetric(mib(run.maxRSS), "peak-RSS-MiB")
			b.ReportMetric(watch.maxWait.Seconds()*1000, "lock-wait-max-ms")
			b.Logf("600k Cc: exit %d (%s), %v, peak RSS %.0f MiB, longest lock wait %v, %d small mails meanwhile; %d participants, %d events",
				run.code, o.Ticket, run.wall.Round(time.Millisecond), mib(run.maxRSS), watch.maxWait.Round(time.Millisecond),
				len(watch.small), h.count("participants"), h.count("events"))
		}
	})

	// 30 large mails (8 MiB of text each, random words) of one sender, all
	// under one subject but each with a text of its own: every one is compared with
	// the tickets before it by the duplicate detection.
	b.Run("30-large-mails-one-sender", func(b *testing.B) {
		paths := make([]string, 30)
		for i := range paths {
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			paths[i] = writeMail(b, fmt.Sprintf("From: Heavy <heavy@example.org>\r\nTo: support@example.com\r\n"+
				"Subject: Logs of the failed export\r\nMessage-ID: <large-%d@example.org>\r\nMIME-Version: 1.0\r\n"+
				"Content-Type: text/plain; charset=utf-8\r\n\r\n", i), func(w *bufio.Writer) {
				n := 0
				for n < 8<<20 {
					var line strings.Builder
					for line.Len() < 70 {
						for range 3 + rng.IntN(7) {
							line.WriteByte(byte('a' + rng.IntN(26)))
						}
						line.WriteByte(' ')
					}
					line.WriteString("\r\n")
					n += line.Len()
					w.WriteString(line.String())
				}
			})
		}
		for range b.N {
			h := newHostileDesk(b, bin)
			watch := h.watchLock()
			var first, last, slowest time.Duration
			var peak int64
			for i, p := range paths {
				run := h.ingest(p)
				if o := run.outcome(b); !o.Created {
					b.Fatalf("mail %d did not open a ticket: %+v", i, o)
				}
				if i == 0 {
					first = run.wall
				}
				last = run.wall
				slowest = max(slowest, run.wall)
				peak = max(peak, run.maxRSS)
			}
			watch.end(b)
			b.ReportMetric(slowest.Seconds(), "slowest-wall-s")
			b.ReportMetric(mib(peak), "peak-RSS-MiB")
			b.ReportMetric(watch.maxWait.Seconds()*1000, "lock-wait-max-ms")
			b.Logf("30 large mails: first %v, last %v, slowest %v, peak RSS %.0f MiB, longest lock wait %v, %d small mails meanwhile",
				first.Round(time.Millisecond), last.Round(time.Millisecond), slowest.Round(time.Millisecond), mib(peak),
				watch.maxWait.Round(time.Millisecond), len(watch.small))
		}
	})
}

func (h *hostileDesk) dbSize() int64 {
	var n int64
	for _, suffix := range []string{"", "-wal"} {
		if st, err := os.Stat(h.db + suffix); err == nil {
			n += st.Size()
		}
	}
	return n
}

func (h *hostileDesk) count(table string) int {
	db, err := sql.Open("sqlite3", "file:"+h.db+"?mode=ro")
	if err != nil {
		h.b.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		h.b.Fatal(err)
	}
	return n
}
