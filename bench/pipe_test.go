package bench

// The MTA pipe with the daemon running, through the built binary: the
// daemon (`helpdesk run`) in one process, each mail piped through `helpdesk
// ingest` in another, as Postfix runs it, acknowledgements into the
// in-process SMTP server.
//
//	go test -run '^$' -bench 'PipeToAck|OutboxCrash' -benchtime 1x ./bench/
//
// Linux only (the daemon's CPU time is read from /proc).

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"helpdesk/config"
	"helpdesk/desk"
	"helpdesk/internal/smtpsink"
)

var (
	pipeMails     = flag.Int("pipe.mails", 200, "mails piped one at a time per pass of BenchmarkPipeToAck")
	pipeGap       = flag.Duration("pipe.gap", 50*time.Millisecond, "pause between two piped mails in BenchmarkPipeToAck")
	pipeIdle      = flag.Duration("pipe.idle", 10*time.Second, "how long BenchmarkPipeToAck measures the idle daemon's CPU")
	crashMails    = flag.Int("crash.mails", 1500, "acknowledgements queued in BenchmarkOutboxCrashRecovery")
	crashKills    = flag.Int("crash.kills", 8, "SIGKILLs of the sending daemon in BenchmarkOutboxCrashRecovery")
	crashSMTP     = flag.Duration("crash.smtp", 5*time.Millisecond, "time the SMTP server takes per mail in BenchmarkOutboxCrashRecovery")
	crashPatience = flag.Duration("crash.wait", 10*time.Minute, "how long BenchmarkOutboxCrashRecovery waits for the last acknowledgement")
)

// BenchmarkPipeToAck: the daemon runs with a mailbox fed only by the pipe.
// First it sits idle for -pipe.idle and its CPU time over that span is
// reported (idle-cpu-%, of one core). Then mails are piped one at a time,
// a pause apart; for each, the time from the exit of `helpdesk ingest` to
// its acknowledgement (In-Reply-To its Message-ID) reaching the SMTP
// server. Reports the median, the 99th percentile and the maximum.
func BenchmarkPipeToAck(b *testing.B) {
	bin := buildHelpdesk(b)
	n := *pipeMails
	var latencies []time.Duration
	var idleCPU, idleSpan time.Duration
	for iter := range b.N {
		sink := startSink(b, smtpsink.Options{})
		conf := writeConfig(b, bin, sink.Port())
		dm := startDaemon(b, bin, conf)
		// A first mail, so that the daemon is up, has sent, and waits.
		if err := pipeMail(bin, conf, customerMail(1_000_000*(iter+1))); err != nil {
			b.Fatal(err)
		}
		waitMails(b, sink, 1, time.Minute)
		time.Sleep(time.Second)

		before := dm.cpu()
		time.Sleep(*pipeIdle)
		idleCPU += dm.cpu() - before
		idleSpan += *pipeIdle

		piped := make(map[string]time.Time, n)
		for i := range n {
			id := 1_000_000*(iter+1) + 1 + i
			if err := pipeMail(bin, conf, customerMail(id)); err != nil {
				b.Fatalf("piping mail %d: %v", i, err)
			}
			piped[fmt.Sprintf("bench-%d@example.org", id)] = time.Now()
			time.Sleep(*pipeGap)
		}
		for _, r := range waitMails(b, sink, n+1, 5*time.Minute) {
			if at, ok := piped[inReplyTo(r)]; ok {
				latencies = append(latencies, r.At.Sub(at))
				delete(piped, inReplyTo(r))
			}
		}
		if len(piped) != 0 {
			b.Fatalf("%d piped mails got no acknowledgement", len(piped))
		}
		dm.stop()
		dm.logTrouble()
		b.Logf("%d mails piped %s apart", n, *pipeGap)
	}
	slices.Sort(latencies)
	b.Logf("slowest: %v", latencies[max(len(latencies)-5, 0):])
	b.ReportMetric(ms(percentile(latencies, 50)), "ms-p50")
	b.ReportMetric(ms(percentile(latencies, 99)), "ms-p99")
	b.ReportMetric(ms(latencies[len(latencies)-1]), "ms-max")
	b.ReportMetric(100*idleCPU.Seconds()/idleSpan.Seconds(), "idle-cpu-%")
}

// BenchmarkOutboxCrashRecovery: -crash.mails acknowledgements wait on the
// outbox; the daemon starts sending them to an SMTP server that takes
// -crash.smtp per mail, and is killed with SIGKILL -crash.kills times while
// it sends, each time started again at once. Reports the time from the
// last start until every acknowledgement reached the SMTP server, and how
// many mails the server got twice (delivery is at least once: a kill
// between the server's acceptance and the record of it sends the mail again).
func BenchmarkOutboxCrashRecovery(b *testing.B) {
	bin := buildHelpdesk(b)
	n := *crashMails
	var recovery time.Duration
	dups := 0
	for range b.N {
		// Which acknowledgements arrived, kept by the SMTP server as it
		// takes each mail: cheap enough not to slow the daemon down.
		var mu sync.Mutex
		seen := map[string]bool{}
		all := make(chan struct{})
		sink := startSink(b, smtpsink.Options{Deliver: func(r smtpsink.Received) error {
			time.Sleep(*crashSMTP)
			mu.Lock()
			defer mu.Unlock()
			seen[inReplyTo(r)] = true
			if len(seen) == n {
				close(all)
			}
			return nil
		}})
		conf := writeConfig(b, bin, sink.Port())
		queueMails(b, conf, n)

		dm := startDaemon(b, bin, conf)
		for k := 1; k <= *crashKills; k++ {
			// Kill when the next share is sent, or after 10s if the
			// sending stalls (as it did while a dead sender's 5-minute
			// leases held a batch).
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			sink.WaitFor(ctx, k*n/(*crashKills+1))
			cancel()
			dm.kill()
			dm = startDaemon(b, bin, conf)
		}
		last := time.Now()
		select {
		case <-all:
		case <-time.After(*crashPatience):
			mu.Lock()
			defer mu.Unlock()
			b.Fatalf("%d of %d acknowledgements unsent %s after the last start (every ticket stored)", n-len(seen), n, *crashPatience)
		}
		recovery += time.Since(last)
		dm.stop()
		twice := len(sink.Mails()) - n
		dups += twice
		b.Logf("%d acknowledgements, %d kills, %d sent twice", n, *crashKills, twice)
	}
	b.ReportMetric(recovery.Seconds()/float64(b.N), "s-after-last-start")
	b.ReportMetric(float64(dups)/float64(b.N), "sent-twice")
}

// buildHelpdesk builds the binary once per benchmark.
func buildHelpdesk(b *testing.B) string {
	b.Helper()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		b.Skip("needs Linux /proc to read the daemon's CPU time")
	}
	// A binary built apart (with C frame pointers for perf, say) can be
	// timed and profiled in place of this build.
	if bin := os.Getenv("HELPDESK_BENCH_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(b.TempDir(), "helpdesk")
	out, err := exec.Command("go", "build", "-o", bin, "helpdesk/cmd/helpdesk").CombinedOutput()
	if err != nil {
		b.Fatalf("building helpdesk: %v\n%s", err, out)
	}
	return bin
}

func startSink(b *testing.B, opts smtpsink.Options) *smtpsink.Sink {
	b.Helper()
	sink, err := smtpsink.Start(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sink.Close() })
	return sink
}

// writeConfig writes benchConfig's TOML to a file and creates the
// database, before two processes could both try to.
func writeConfig(b *testing.B, bin string, smtpPort int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "helpdesk.toml")
	if err := os.WriteFile(path, []byte(benchTOML(b, smtpPort, "")), 0o600); err != nil {
		b.Fatal(err)
	}
	if out, err := exec.Command(bin, "migrate", "--config", path).CombinedOutput(); err != nil {
		b.Fatalf("helpdesk migrate: %v: %s", err, out)
	}
	return path
}

// queueMails stores n new tickets, their acknowledgements on the outbox.
func queueMails(b *testing.B, conf string, n int) {
	b.Helper()
	cfg, err := config.Load(conf)
	if err != nil {
		b.Fatal(err)
	}
	d, err := desk.Open(context.Background(), cfg, desk.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	for i := 0; i < n; i += 100 {
		var batch []desk.Incoming
		for j := i; j < min(i+100, n); j++ {
			batch = append(batch, desk.Incoming{Raw: customerMail(j)})
		}
		_, errs := d.DeliverBatch(context.Background(), "support", batch)
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// pipeMail runs `helpdesk ingest` with raw on stdin, as an MTA does.
func pipeMail(bin, conf string, raw []byte) error {
	cmd := exec.Command(bin, "ingest", "--config", conf, "--mailbox", "support")
	cmd.Stdin = bytes.NewReader(raw)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("helpdesk ingest: %v: %s", err, out)
	}
	return nil
}

func waitMails(b *testing.B, sink *smtpsink.Sink, n int, patience time.Duration) []smtpsink.Received {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	got, err := sink.WaitFor(ctx, n)
	if err != nil {
		b.Fatal(err)
	}
	return got
}

// daemonProc is `helpdesk run` in its own process.
type daemonProc struct {
	b    *testing.B
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func startDaemon(b *testing.B, bin, conf string) *daemonProc {
	b.Helper()
	logPath := filepath.Join(b.TempDir(), "run.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", conf)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		b.Fatal(err)
	}
	dm := &daemonProc{b: b, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		logFile.Close()
		close(dm.done)
	}()
	b.Cleanup(dm.kill)
	return dm
}

// stop ends the daemon with SIGTERM, as a service manager does.
func (dm *daemonProc) stop() {
	dm.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-dm.done:
	case <-time.After(30 * time.Second):
		dm.kill()
		dm.b.Fatalf("the daemon did not stop within 30s of SIGTERM; its log: %s", dm.log)
	}
}

// logTrouble passes on the warnings and errors in the daemon's log.
func (dm *daemonProc) logTrouble() {
	raw, err := os.ReadFile(dm.log)
	if err != nil {
		dm.b.Log(err)
		return
	}
	for line := range strings.Lines(string(raw)) {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			dm.b.Log(strings.TrimSpace(line))
		}
	}
}

// kill ends the daemon with SIGKILL and waits for it.
func (dm *daemonProc) kill() {
	dm.cmd.Process.Kill()
	<-dm.done
}

// cpu is the CPU time the daemon has used, user and system, from
// /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s on Linux).
func (dm *daemonProc) cpu() time.Duration {
	dm.b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", dm.cmd.Process.Pid))
	if err != nil {
		dm.b.Fatal(err)
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	fields := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		dm.b.Fatalf("reading /proc/%d/stat: %q", dm.cmd.Process.Pid, raw)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
