//go:build faults

package faults

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"

	"helpdesk/internal/dovecot"
	"helpdesk/internal/localconfig"
	"helpdesk/internal/pgtest"
	"helpdesk/internal/smtpsink"
)

// long selects the long form: FAULTS_LONG=1.
var long = os.Getenv("FAULTS_LONG") == "1"

// pick returns short or, in the long form, long.
func pick(short, lng int) int {
	if long {
		return lng
	}
	return short
}

const imapPassword = "fault suite password"

var (
	binMu  sync.Mutex
	bins   = map[string]string{} // by build tags
	binDir string
)

func TestMain(m *testing.M) {
	if path := os.Getenv("FAULTS_HOLD_LOCK"); path != "" {
		os.Exit(holdLock(path))
	}
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// helpdeskBinary builds the binary once for the whole suite, with the
// build tags given: "" is the release build, "faultinject" the one that
// writes the delivery trace (see traceDeliveries). FAULTS_BIN names
// another build to run instead of both.
func helpdeskBinary(t *testing.T, tags string) string {
	t.Helper()
	if bin := os.Getenv("FAULTS_BIN"); bin != "" {
		// Another build, to compare (bench/RESULTS.md, "Faults").
		return bin
	}
	binMu.Lock()
	defer binMu.Unlock()
	if bin, ok := bins[tags]; ok {
		return bin
	}
	if binDir == "" {
		dir, err := os.MkdirTemp("", "helpdesk-faults-")
		if err != nil {
			t.Fatal(err)
		}
		binDir = dir
	}
	bin := filepath.Join(binDir, "helpdesk-"+tags)
	out, err := exec.Command("go", "build", "-tags", tags, "-o", bin, "helpdesk/cmd/helpdesk").CombinedOutput()
	if err != nil {
		t.Fatalf("building helpdesk (tags %q): %v\n%s", tags, err, out)
	}
	bins[tags] = bin
	return bin
}

// rig is one desk under test: a database, a config, a Dovecot with the
// user "support", an SMTP server that can go down and come back on its
// port, and the daemon processes started on them.
type rig struct {
	t      *testing.T
	bin    string
	dir    string
	db     string  // the SQLite file, or the PostgreSQL URL
	pg     *sql.DB // for the counts on PostgreSQL; nil on SQLite
	config string
	log    string // the daemons' stdout and stderr, appended
	dc     *dovecot.Server

	smtpPort int
	mu       sync.Mutex
	sink     *smtpsink.Sink      // nil while down
	closing  *atomic.Bool        // set when the sink stops taking mail
	received []smtpsink.Received // by every sink so far, closed ones included
	kills    []time.Time         // when each daemon was killed
	killed   map[int]time.Time   // the same by process id
	trace    string              // the daemons' delivery trace; "" for none
}

type rigOptions struct {
	dbDir string // where the database lives; default the test's folder
	extra string // more TOML
	// postgres puts the database on PostgreSQL (a scratch database of
	// the run's own) instead of SQLite.
	postgres bool
	// trace runs the build with -tags faultinject, whose daemons write
	// the points of each delivery to a trace (see traceDeliveries).
	trace bool
}

func newRig(t *testing.T, o rigOptions) *rig {
	t.Helper()
	dovecot.Require(t)
	tags := ""
	if o.trace {
		tags = "faultinject"
	}
	r := &rig{t: t, bin: helpdeskBinary(t, tags), dir: t.TempDir()}
	if o.trace {
		r.trace = filepath.Join(r.dir, "delivery.trace")
	}
	if o.dbDir == "" {
		o.dbDir = r.dir
	}
	r.db = filepath.Join(o.dbDir, "helpdesk.db")
	if o.postgres {
		r.db = pgtest.NewDatabase(t)
		pg, err := sql.Open("pgx", r.db)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pg.Close() }) // before the database is dropped
		r.pg = pg
	}
	r.config = filepath.Join(r.dir, "helpdesk.toml")
	r.log = filepath.Join(r.dir, "daemon.log")
	var err error
	r.dc, err = dovecot.Start(dovecot.Options{Dir: filepath.Join(r.dir, "dovecot"), Users: map[string]string{"support": imapPassword}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.dc.Close() })
	r.smtpUp()
	r.smtpPort = r.sink.Port()
	t.Cleanup(func() { r.smtpDown() })
	toml := localconfig.TOML(localconfig.Options{DSN: r.db, SMTPPort: r.smtpPort,
		IMAP:  &localconfig.IMAP{Port: r.dc.Port(), Password: imapPassword, PollInterval: "1s"},
		Extra: "\n[outbox]\nretry_min = \"1s\"\nretry_max = \"2s\"\n[log]\nlevel = \"warn\"\n" + o.extra})
	if err := os.WriteFile(r.config, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	if o.postgres {
		// The tables are there before the first count.
		if out, err := exec.Command(r.bin, "migrate", "--config", r.config).CombinedOutput(); err != nil {
			t.Fatalf("helpdesk migrate: %v\n%s", err, out)
		}
	}
	return r
}

// smtpUp starts the SMTP server (again, on its port once it has one). It
// takes a millisecond a mail, so that sending goes on while mail is read
// and a fault finds mail in flight.
func (r *rig) smtpUp() {
	r.t.Helper()
	addr := "127.0.0.1:0"
	if r.smtpPort != 0 {
		addr = fmt.Sprintf("127.0.0.1:%d", r.smtpPort)
	}
	var sink *smtpsink.Sink
	var err error
	closing := new(atomic.Bool)
	for try := 0; try < 50; try++ { // the port may linger a moment after Close
		sink, err = smtpsink.Start(smtpsink.Options{Addr: addr, Deliver: func(rc smtpsink.Received) error {
			time.Sleep(time.Millisecond)
			if closing.Load() {
				// Shutting down: take no more mail (451, try later), as
				// an MTA that is stopped does.
				return errors.New("shutting down")
			}
			rc.At = time.Now() // taken: the reply 250 goes out next
			r.mu.Lock()
			r.received = append(r.received, rc)
			r.mu.Unlock()
			return nil
		}})
		if err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	r.sink, r.closing = sink, closing
	r.mu.Unlock()
}

// smtpDown stops the SMTP server: connections are refused until smtpUp.
// It stops as an MTA does: it takes no more mail (451), lets the replies
// of what it took go out, then closes every connection.
func (r *rig) smtpDown() {
	r.mu.Lock()
	sink := r.sink
	r.sink = nil
	if r.closing != nil {
		r.closing.Store(true)
	}
	r.mu.Unlock()
	if sink != nil {
		time.Sleep(50 * time.Millisecond)
		sink.Close()
	}
}

// daemon is one `helpdesk run` process.
type daemon struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// start runs the daemon. A killed daemon's mailbox lease (2 s here) runs
// out before the next one reads the mailbox.
func (r *rig) start() *daemon {
	r.t.Helper()
	logf, err := os.OpenFile(r.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		r.t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(r.bin, "run", "--config", r.config, "--lease", "2s", "--grace", "5s")
	cmd.Stdout, cmd.Stderr = logf, logf
	if r.trace != "" {
		cmd.Env = append(os.Environ(), "HELPDESK_DELIVERY_TRACE="+r.trace)
	}
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	d := &daemon{cmd: cmd, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(d.exited) }()
	r.t.Cleanup(func() { d.kill() })
	return d
}

// kill ends the daemon with SIGKILL: no deferred call, no flush.
func (d *daemon) kill() {
	select {
	case <-d.exited:
		return
	default:
	}
	d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.exited
}

// kill9 kills d with SIGKILL and notes when.
func (r *rig) kill9(d *daemon) {
	r.mu.Lock()
	r.kills = append(r.kills, time.Now())
	if r.killed == nil {
		r.killed = map[int]time.Time{}
	}
	r.killed[d.cmd.Process.Pid] = time.Now()
	r.mu.Unlock()
	d.kill()
}

// stop ends the daemon with SIGTERM, as an admin does, and waits.
func (d *daemon) stop(t *testing.T) {
	t.Helper()
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(30 * time.Second):
		d.kill()
		t.Errorf("the daemon did not stop within 30 s of SIGTERM")
	}
}

// alive reports whether the daemon still runs.
func (d *daemon) alive() bool {
	select {
	case <-d.exited:
		return false
	default:
		return true
	}
}

// customerMail is the i-th customer's first mail, each from a domain of
// its own so that no rate limit holds an acknowledgement back; pad makes
// it bigger by that many bytes of text.
func customerMail(i, pad int) []byte {
	var body strings.Builder
	fmt.Fprintf(&body, "The export stops at row %d.\r\n", i)
	for body.Len() < pad {
		fmt.Fprintf(&body, "Line %d of the log: the export of the quarterly figures stopped again at row %d.\r\n", body.Len(), i)
	}
	return []byte(fmt.Sprintf("From: Customer %d <%s>\r\nTo: support@example.com\r\nSubject: Fault test %d\r\n"+
		"Message-ID: <%s>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\n%s", i, customerAddr(i), i, customerID(i), body.String()))
}

func customerAddr(i int) string { return fmt.Sprintf("c%d@d%d.example", i, i) }
func customerID(i int) string   { return fmt.Sprintf("fault-%d@customer.example", i) }

// mails returns customer mails first..first+n-1.
func mails(first, n, pad int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = customerMail(first+i, pad)
	}
	return out
}

// tally is what became of customer mails 0..n-1.
type tally struct {
	mails               int
	stored, storedTwice int // mails with a ticket or message; extra copies stored
	acked, ackedTwice   int // customers with an acknowledgement at the SMTP server; extra copies
	quarantined         int
	failed              int      // outbox items given up
	queued              int      // outbox items not yet sent
	twice               []string // customers acknowledged more than once
	replyInFlight       int      // of those, taken by the server in the instant of a kill (inFlight)
}

// inFlightBefore is how long before a kill the SMTP server may have
// taken a mail whose reply the killed daemon never read or noted: the
// reply's way through the loopback and the daemon's note of it take well
// under a millisecond on an idle machine, but a process can wait
// milliseconds for a core on a busy one (the suite's machine has two,
// shared with other work). The server may also finish taking a mail up to
// inFlight after the kill: the daemon sent the data's final dot and died
// while the server wrote it to its queue (a millisecond here, the sink's
// time per mail).
const (
	inFlightBefore = 10 * time.Millisecond
	inFlight       = 100 * time.Millisecond
)

func (t tally) lost() int       { return (t.mails - t.stored) + (t.mails - t.acked) }
func (t tally) duplicated() int { return t.storedTwice + t.ackedTwice }
func (t tally) done() bool      { return t.stored == t.mails && t.acked == t.mails && t.queued == 0 }

func (t tally) String() string {
	return fmt.Sprintf("%d mails: %d stored (%d twice), %d acknowledged (%d twice: %v), %d quarantined, %d outbox queued, %d given up",
		t.mails, t.stored, t.storedTwice, t.acked, t.ackedTwice, t.twice, t.quarantined, t.queued, t.failed) +
		fmt.Sprintf(", %d of those twice taken by the server from %v before a kill to %v after", t.replyInFlight, inFlightBefore, inFlight)
}

// count looks at the database and the SMTP servers for mails 0..n-1.
func (r *rig) count(n int) (tally, error) {
	tl := tally{mails: n}
	db := r.pg
	if db == nil {
		if _, err := os.Stat(r.db); os.IsNotExist(err) {
			return tl, nil // no daemon has run yet
		}
		var err error
		db, err = sql.Open("sqlite3", "file:"+r.db+"?mode=ro&_busy_timeout=10000")
		if err != nil {
			return tl, err
		}
		defer db.Close()
	}
	want := map[string]int{}
	for i := range n {
		want[customerID(i)] = i
	}
	rows, err := db.Query(`SELECT message_id, COUNT(*) FROM messages WHERE direction = 'in' GROUP BY message_id`)
	if err != nil {
		return tl, err
	}
	for rows.Next() {
		var id string
		var c int
		if err := rows.Scan(&id, &c); err != nil {
			rows.Close()
			return tl, err
		}
		if _, ok := want[id]; ok {
			tl.stored++
			tl.storedTwice += c - 1
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return tl, err
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM quarantine`).Scan(&tl.quarantined); err != nil {
		return tl, err
	}
	if err := db.QueryRow(`SELECT COUNT(*) FILTER (WHERE status = 'failed'), COUNT(*) FILTER (WHERE status = 'queued') FROM outbox`).Scan(&tl.failed, &tl.queued); err != nil {
		return tl, err
	}
	// At the SMTP server: each customer must get one acknowledgement, and
	// no Message-ID may reach one recipient twice.
	perRcpt := map[string]int{}
	perMsg := map[string]int{}
	r.mu.Lock()
	got := append([]smtpsink.Received(nil), r.received...)
	r.mu.Unlock()
	for _, rc := range got {
		msgID := ""
		if m, err := mail.ReadMessage(bufio.NewReader(bytes.NewReader(rc.Data))); err == nil {
			msgID = m.Header.Get("Message-ID")
		}
		for _, to := range rc.To {
			perRcpt[strings.ToLower(to)]++
			perMsg[msgID+" "+strings.ToLower(to)]++
		}
	}
	for i := range n {
		if c := perRcpt[customerAddr(i)]; c > 0 {
			tl.acked++
			tl.ackedTwice += c - 1
			if c > 1 {
				tl.twice = append(tl.twice, customerAddr(i))
			}
		}
	}
	// A mail the server took in the instant of a kill, its reply 250
	// still on its way to the daemon, is the one kind of mail that may
	// come twice: the daemon never learnt that it was delivered.
	r.mu.Lock()
	kills := r.kills
	r.mu.Unlock()
	first := map[string]time.Time{}
	for _, rc := range got {
		for _, to := range rc.To {
			to = strings.ToLower(to)
			if _, ok := first[to]; !ok {
				first[to] = rc.At
			}
		}
	}
	for _, to := range tl.twice {
		for _, k := range kills {
			if gap := first[to].Sub(k); gap >= -inFlightBefore && gap <= inFlight {
				tl.replyInFlight++
				break
			}
		}
	}
	_ = perMsg // the per-customer count is stricter: one mail each
	return tl, nil
}

// waitDone waits until mails 0..n-1 are stored and acknowledged, up to
// limit, and returns the tally and how long it took.
func (r *rig) waitDone(n int, limit time.Duration) (tally, time.Duration) {
	r.t.Helper()
	began := time.Now()
	var tl tally
	var err error
	for time.Since(began) < limit {
		tl, err = r.count(n)
		if err == nil && tl.done() {
			// A moment more: whatever would come twice comes now.
			time.Sleep(500 * time.Millisecond)
			tl, err = r.count(n)
			return tl, time.Since(began)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		r.t.Errorf("counting: %v", err)
	}
	r.t.Errorf("not done after %v: %v\n%s", limit, tl, r.logTail())
	return tl, time.Since(began)
}

// waitStored waits until at least k of mails 0..n-1 are stored.
func (r *rig) waitStored(n, k int, limit time.Duration) tally {
	r.t.Helper()
	began := time.Now()
	for {
		tl, err := r.count(n)
		if err == nil && tl.stored >= k {
			return tl
		}
		if time.Since(began) > limit {
			r.t.Fatalf("only %d of %d mails stored after %v (%v)\n%s", tl.stored, k, limit, err, r.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logTail is the end of the daemons' log.
func (r *rig) logTail() string {
	raw, _ := os.ReadFile(r.log)
	if len(raw) > 4000 {
		raw = raw[len(raw)-4000:]
	}
	return string(raw)
}

// figures prints the scenario's line of figures and checks the promise:
// nothing lost, nothing twice.
// check, when given, is the tally the promise is checked on, where the
// scenario allows for something (see the kill -9 test).
func figures(t *testing.T, kind string, tl tally, faults int, recover time.Duration, check ...tally) {
	t.Helper()
	line := fmt.Sprintf("FAULTS %-22s mails %5d  faults %3d  lost %d  duplicated %d  recover %6.1fs",
		kind, tl.mails, faults, tl.lost(), tl.duplicated(), recover.Seconds())
	if tl.replyInFlight > 0 {
		line += fmt.Sprintf("  (%d taken by the SMTP server in the instant of a kill, the reply in flight)", tl.replyInFlight)
	}
	fmt.Println(line)
	t.Log(line)
	if len(check) > 0 {
		tl = check[0]
	}
	if tl.lost() != 0 || tl.duplicated() != 0 || tl.failed != 0 {
		t.Errorf("%s: %v", kind, tl)
	}
}

// between returns a random duration in [lo, hi).
func between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(rand.Int64N(int64(hi-lo)))
}

// holdLock is the other writer: a process that takes SQLite's write lock
// on path (BEGIN IMMEDIATE), says "locked" on stdout and holds it until
// its stdin closes.
func holdLock(path string) int {
	db, err := sql.Open("sqlite3", "file:"+path+"?_txlock=immediate&_busy_timeout=30000")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("locked")
	buf := make([]byte, 1)
	os.Stdin.Read(buf) // EOF when the test closes it
	tx.Rollback()
	return 0
}

// noteLines are the lines of the daemons' log about delivery notes and
// records, and the times the SMTP server got each mail twice.
func (r *rig) noteLines() string {
	raw, _ := os.ReadFile(r.log)
	var b strings.Builder
	for _, l := range strings.Split(string(raw), "\n") {
		if strings.Contains(l, "note") || strings.Contains(l, "record") {
			b.WriteString(l + "\n")
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range r.kills {
		fmt.Fprintf(&b, "kill at %s\n", k.Format("15:04:05.000000"))
	}
	seen := map[string]time.Time{}
	for _, rc := range r.received {
		for _, to := range rc.To {
			if at, ok := seen[to]; ok {
				fmt.Fprintf(&b, "%s: %s and %s\n", to, at.Format("15:04:05.000000"), rc.At.Format("15:04:05.000000"))
			}
			seen[to] = rc.At
		}
	}
	return b.String()
}

// traceEvent is a line of the delivery trace a -tags faultinject build
// writes: when, by which process, what ("dot": the end of the data about
// to go out; "250": the server's reply to it read; "noted": the delivery
// noted beside the database), for which recipient.
type traceEvent struct {
	at    time.Time
	pid   int
	event string
	rcpt  string
}

// readTrace reads the delivery trace, by recipient.
func (r *rig) readTrace() map[string][]traceEvent {
	out := map[string][]traceEvent{}
	if r.trace == "" {
		return out
	}
	raw, _ := os.ReadFile(r.trace)
	if keep := os.Getenv("FAULTS_KEEP_TRACE"); keep != "" {
		// For a closer look (bench/RESULTS.md, "Faults"): FILE.Test-store.
		os.WriteFile(keep+"."+strings.ReplaceAll(r.t.Name(), "/", "-"), raw, 0o600)
	}
	for _, l := range strings.Split(string(raw), "\n") {
		var ns int64
		var e traceEvent
		if n, _ := fmt.Sscanf(l, "%d %d %s %s", &ns, &e.pid, &e.event, &e.rcpt); n == 4 {
			e.at = time.Unix(0, ns)
			out[e.rcpt] = append(out[e.rcpt], e)
		}
	}
	return out
}

// whyTwice says, from the delivery trace, where each daemon that sent a
// customer's acknowledgement without learning that it was delivered
// was when it died. It returns how many of the customers acknowledged
// twice (extra copies) were only inside the RFC 1047 window: every sender but the one
// that noted the delivery was killed after the end of the data went out
// and before it read the server's reply (or read it only once its kill
// had begun). ok is false without a trace.
func (r *rig) whyTwice(twice []string) (inWindow int, report string, ok bool) {
	events := r.readTrace()
	if len(events) == 0 {
		return 0, "", false
	}
	r.mu.Lock()
	killed := r.killed
	at := map[string][]time.Time{}
	for _, rc := range r.received {
		for _, to := range rc.To {
			to = strings.ToLower(to)
			at[to] = append(at[to], rc.At)
		}
	}
	r.mu.Unlock()
	var b strings.Builder
	for _, rcpt := range twice {
		last := map[int]traceEvent{} // each process's last event
		var pids []int
		for _, e := range events[rcpt] {
			if _, seen := last[e.pid]; !seen {
				pids = append(pids, e.pid)
			}
			last[e.pid] = e
		}
		inside := true
		fmt.Fprintf(&b, "%s (taken %d times):", rcpt, len(at[rcpt]))
		for _, pid := range pids {
			e := last[pid]
			k, wasKilled := killed[pid]
			switch {
			case e.event == "noted":
				fmt.Fprintf(&b, " pid %d sent it and noted it;", pid)
			case !wasKilled:
				fmt.Fprintf(&b, " pid %d, not killed, stopped at %q;", pid, e.event)
				inside = false
			case e.event == "dot":
				took := "never taken by the server"
				for _, t := range at[rcpt] {
					if !t.Before(e.at) && t.Before(k.Add(inFlight)) {
						took = fmt.Sprintf("taken by the server %v later", t.Sub(e.at).Round(time.Microsecond))
						break
					}
				}
				fmt.Fprintf(&b, " pid %d sent the end of the data, %s, killed %v after sending it, the reply unread;", pid, took, k.Sub(e.at).Round(time.Microsecond))
			case e.event == "250" && k.Before(e.at):
				// The kill was under way (its time is taken before the
				// signal is sent) while the reply was still unread: the
				// process read it in the microseconds the signal took to
				// land. The same RFC 1047 window as "dot".
				fmt.Fprintf(&b, " pid %d read \"250\" %v after its kill began, before the note;", pid, e.at.Sub(k).Round(time.Microsecond))
			default:
				fmt.Fprintf(&b, " pid %d killed %v after %q, before the note;", pid, k.Sub(e.at).Round(time.Microsecond), e.event)
				inside = false
			}
		}
		b.WriteString("\n")
		if inside {
			inWindow += len(at[rcpt]) - 1
		}
	}
	return inWindow, b.String(), true
}
