package bench

// Catching up a backlog in Dovecot: the daemon against the raw floor, the
// same mails on the same machine in the same run.
//
//	go test -run '^$' -bench CatchUp -benchtime 1x -count 3 ./bench/
//
// The floor is the minimal loop that does the same job with no design at
// all: fetch a batch, parse each mail, insert the batch in one SQLite
// transaction, send each acknowledgement over one SMTP connection, flag the
// batch \Seen. The daemon is the built binary (`helpdesk run`) in its own
// process, so that its peak memory is its own.

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"flag"
	"fmt"
	"net/smtp"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	_ "github.com/mattn/go-sqlite3"

	"helpdesk/internal/dovecot"
	"helpdesk/internal/smtpsink"
	"helpdesk/mailin"
)

var (
	catchUpMails     = flag.Int("catchup.mails", 10_000, "mails in the backlog of BenchmarkCatchUp, large ones included")
	catchUpLarge     = flag.Int("catchup.large", 5, "mails of -catchup.large-size among them")
	catchUpLargeSize = flag.Int("catchup.large-size", 25_000_000, "size in bytes of each large mail")
)

// catchUpRuns alternates which of floor and daemon goes first.
var catchUpRuns int

// BenchmarkCatchUp: the backlog waits in two Dovecot mailboxes, one for
// the floor and one for the daemon. Each is timed from its start until
// every mail is stored and every acknowledgement accepted by the SMTP
// server. Reports both rates, their ratio, and the daemon's peak resident
// memory (VmHWM).
func BenchmarkCatchUp(b *testing.B) {
	dovecot.Require(b)
	bin := buildHelpdesk(b)
	raws := catchUpBacklog(b)
	var floorTime, daemonTime, floorBusy, daemonBusy time.Duration
	var peakRSS int64
	for range b.N {
		dc, err := dovecot.Start(dovecot.Options{Dir: b.TempDir(), Users: map[string]string{"floor": benchPassword, "daemon": benchPassword}})
		if err != nil {
			b.Fatal(err)
		}
		for _, user := range []string{"floor", "daemon"} {
			if err := dc.AppendMany(user, "INBOX", raws); err != nil {
				b.Fatalf("seeding %s: %v", user, err)
			}
		}
		floor := func() {
			busy := machineBusy(b)
			d := runFloor(b, dc.Port(), raws)
			busy = machineBusy(b) - busy
			floorTime += d
			floorBusy += busy
			b.Logf("floor: %d mails in %s: %.0f mails/s", len(raws), d.Round(time.Millisecond), float64(len(raws))/d.Seconds())
			b.Logf("floor: the machine busy for %s (%.2f of its %d cores)", busy, busy.Seconds()/d.Seconds(), runtime.NumCPU())
		}
		daemon := func() {
			busy := machineBusy(b)
			d, rss := runCatchUpDaemon(b, bin, dc.Port(), raws)
			busy = machineBusy(b) - busy
			daemonTime += d
			daemonBusy += busy
			peakRSS = max(peakRSS, rss)
			b.Logf("daemon: %d mails in %s: %.0f mails/s, peak RSS %d MiB", len(raws), d.Round(time.Millisecond), float64(len(raws))/d.Seconds(), rss>>20)
			b.Logf("daemon: the machine busy for %s (%.2f of its %d cores)", busy, busy.Seconds()/d.Seconds(), runtime.NumCPU())
		}
		if catchUpRuns%2 == 0 {
			floor()
			daemon()
		} else {
			daemon()
			floor()
		}
		catchUpRuns++
		dc.Close()
		b.Logf("load average: %s", loadAverage())
	}
	n := float64(len(raws) * b.N)
	b.ReportMetric(n/floorTime.Seconds(), "floor-mails/s")
	b.ReportMetric(n/daemonTime.Seconds(), "daemon-mails/s")
	b.ReportMetric(floorTime.Seconds()/daemonTime.Seconds(), "ratio")
	b.ReportMetric(float64(peakRSS)/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(floorBusy.Seconds()/daemonBusy.Seconds(), "machine-CPU-ratio")
}

// catchUpBacklog is -catchup.mails customer mails, -catchup.large of them
// spread through the backlog of -catchup.large-size bytes each: a short
// text and an attachment of random bytes, base64.
func catchUpBacklog(b *testing.B) [][]byte {
	n, large := *catchUpMails, *catchUpLarge
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = customerMail(i)
	}
	for k := range large {
		i := (k + 1) * n / (large + 1)
		raws[i] = largeMail(b, i, *catchUpLargeSize)
	}
	return raws
}

// largeMail is customer i's mail with an attachment, size bytes in all.
func largeMail(b *testing.B, i, size int) []byte {
	var m bytes.Buffer
	fmt.Fprintf(&m, "From: Customer %d <customer%d@org%d.example>\r\nTo: Support <support@example.com>\r\n"+
		"Subject: Logs of the failed export (%d)\r\nMessage-ID: <bench-%d@example.org>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"+
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe logs of the export are attached.\r\n"+
		"--b\r\nContent-Type: application/octet-stream; name=export.log.gz\r\nContent-Transfer-Encoding: base64\r\n"+
		"Content-Disposition: attachment; filename=export.log.gz\r\n\r\n", i, i, i, i, i)
	const end = "--b--\r\n"
	lines := (size - m.Len() - len(end)) / 78 // 76 characters and CRLF
	data := make([]byte, lines*57)
	rand.Read(data)
	for len(data) > 0 {
		line := data[:57]
		data = data[57:]
		m.WriteString(base64.StdEncoding.EncodeToString(line))
		m.WriteString("\r\n")
	}
	m.WriteString(end)
	if m.Len() > size || m.Len() < size-78 {
		b.Fatalf("large mail of %d bytes, not about %d", m.Len(), size)
	}
	return m.Bytes()
}

// runFloor is the minimal loop over the floor user's INBOX; it returns
// the time until the last acknowledgement was accepted.
func runFloor(b *testing.B, imapPort int, raws [][]byte) time.Duration {
	sink := startSink(b, smtpsink.Options{})
	defer sink.Close()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(b.TempDir(), "floor.db")+
		"?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE tickets (id INTEGER PRIMARY KEY, message_id TEXT UNIQUE, from_email TEXT,
		subject TEXT, body_text TEXT, raw BLOB)`); err != nil {
		b.Fatal(err)
	}

	began := time.Now()
	c, err := imapclient.DialInsecure(fmt.Sprintf("127.0.0.1:%d", imapPort), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("floor", benchPassword).Wait(); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		b.Fatal(err)
	}
	found, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		b.Fatal(err)
	}
	uids := found.AllUIDs()
	mc, err := smtp.Dial(fmt.Sprintf("127.0.0.1:%d", sink.Port()))
	if err != nil {
		b.Fatal(err)
	}
	defer mc.Close()
	const batch = 200
	sent := 0
	for len(uids) > 0 {
		set := imap.UIDSetNum(uids[:min(batch, len(uids))]...)
		uids = uids[min(batch, len(uids)):]
		msgs, err := c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
		if err != nil {
			b.Fatal(err)
		}
		parsed := make([]*mailin.Message, len(msgs))
		for i, m := range msgs {
			if parsed[i], err = mailin.Parse(m.BodySection[0].Bytes, mailin.ParseOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		ids := make([]int64, len(msgs))
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		ins, err := tx.Prepare("INSERT INTO tickets (message_id, from_email, subject, body_text, raw) VALUES (?, ?, ?, ?, ?)")
		if err != nil {
			b.Fatal(err)
		}
		for i, p := range parsed {
			r, err := ins.Exec(p.MessageID, p.From.Email, p.Subject, p.Text, msgs[i].BodySection[0].Bytes)
			if err != nil {
				b.Fatal(err)
			}
			ids[i], _ = r.LastInsertId()
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		for i, p := range parsed {
			if err := sendFloorAck(mc, p, ids[i]); err != nil {
				b.Fatal(err)
			}
			sent++
		}
		if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
			b.Fatal(err)
		}
	}
	took := time.Since(began)
	if sent != len(raws) || len(sink.Mails()) != len(raws) {
		b.Fatalf("floor: %d acknowledgements sent, %d received, of %d mails", sent, len(sink.Mails()), len(raws))
	}
	return took
}

// sendFloorAck sends one acknowledgement, written out in place: a
// multipart/alternative mail of the size of the desk's own (about 2.5 KB).
func sendFloorAck(c *smtp.Client, m *mailin.Message, id int64) error {
	if err := c.Mail("support@example.com"); err != nil {
		return err
	}
	if err := c.Rcpt(m.From.Email); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "From: Example Support <support@example.com>\r\nTo: <%s>\r\nSubject: [HD#%d] We have received your request: %s\r\n"+
		"Message-ID: <ack-%d@example.com>\r\nIn-Reply-To: <%s>\r\nReferences: <%s>\r\nDate: Mon, 2 Mar 2026 09:00:01 +0000\r\n"+
		"Reply-To: <support+%d@example.com>\r\nAuto-Submitted: auto-replied\r\nX-Auto-Response-Suppress: All\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=ack\r\n\r\n"+
		"--ack\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n"+
		"--ack\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>%s</p></body></html>\r\n--ack--\r\n",
		m.From.Email, id, m.Subject, id, m.MessageID, m.MessageID, id, floorAckText(m, id), floorAckText(m, id))
	return w.Close()
}

// floorAckText is the text of the floor's acknowledgement.
func floorAckText(m *mailin.Message, id int64) string {
	return fmt.Sprintf("Hello %s,\r\n\r\nThank you for contacting Example Support. We have received your request\r\n"+
		"and opened ticket HD#%d:\r\n\r\n    %s\r\n\r\nA member of our team will get back to you as soon as possible.\r\n\r\n"+
		"To add information, simply reply to this email. Please keep [HD#%d] in the\r\nsubject line, so that your reply is added "+
		"to the same ticket.\r\n\r\nKind regards,\r\nExample Support\r\n", m.From.Name, id, m.Subject, id)
}

// runCatchUpDaemon runs `helpdesk run` on the daemon user's INBOX until
// every mail is a ticket with its acknowledgement sent; it returns the
// time from the start of the process and its peak resident memory.
func runCatchUpDaemon(b *testing.B, bin string, imapPort int, raws [][]byte) (time.Duration, int64) {
	sink := startSink(b, smtpsink.Options{})
	defer sink.Close()
	conf := filepath.Join(b.TempDir(), "helpdesk.toml")
	toml := benchTOML(b, sink.Port(), fmt.Sprintf(`  [mailbox.imap]
  host = "127.0.0.1"
  port = %d
  tls = "none"
  username = "daemon"
  password = %q
`, imapPort, benchPassword))
	if err := os.WriteFile(conf, []byte(toml), 0o600); err != nil {
		b.Fatal(err)
	}
	began := time.Now()
	dm := startDaemon(b, bin, conf)
	got := waitMails(b, sink, len(raws), 5*time.Minute)
	took := time.Since(began)
	rss := dm.peakRSS()
	b.Logf("daemon: %s of CPU", dm.cpu())
	dm.stop()
	dm.logTrouble()

	answered := map[string]bool{}
	for _, r := range got {
		answered[inReplyTo(r)] = true
	}
	db, err := sql.Open("sqlite3", "file:"+dbPath(toml)+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var tickets, sent int
	if err := db.QueryRow("SELECT (SELECT COUNT(*) FROM tickets), (SELECT COUNT(*) FROM outbox WHERE status = 'sent')").Scan(&tickets, &sent); err != nil {
		b.Fatal(err)
	}
	if len(answered) != len(raws) || tickets != len(raws) || sent != len(raws) {
		b.Fatalf("daemon: %d mails, %d tickets, %d mails answered, %d recorded as sent", len(raws), tickets, len(answered), sent)
	}
	return took, rss
}

// dbPath is the database file named in a benchTOML.
func dbPath(toml string) string {
	_, rest, _ := strings.Cut(toml, "dsn = ")
	line, _, _ := strings.Cut(rest, "\n")
	p, _ := strconv.Unquote(line)
	return p
}

// peakRSS is the daemon's peak resident memory so far (VmHWM), in bytes.
func (dm *daemonProc) peakRSS() int64 {
	dm.b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", dm.cmd.Process.Pid))
	if err != nil {
		dm.b.Fatal(err)
	}
	for line := range strings.Lines(string(raw)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				dm.b.Fatalf("reading VmHWM from %q: %v", line, err)
			}
			return kb << 10
		}
	}
	dm.b.Fatalf("no VmHWM in /proc/%d/status", dm.cmd.Process.Pid)
	return 0
}

// loadAverage is the first three fields of /proc/loadavg.
// machineBusy is the CPU time the whole machine has spent so far on
// anything but idling (every process, the kernel included), from
// /proc/stat. Taken around a contender, it is what the contender cost the
// machine: its own process, Dovecot's and the SMTP server's work for it.
// When the cores are busy throughout, the ratio of two contenders' rates
// can be no better than the ratio of what they cost.
func machineBusy(b *testing.B) time.Duration {
	b.Helper()
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		b.Fatal(err)
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		b.Fatalf("/proc/stat begins %q, not with the cpu line", line)
	}
	var busy int64
	for i, f := range fields[1:9] { // user nice system idle iowait irq softirq steal
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			b.Fatalf("/proc/stat: %q: %v", line, err)
		}
		if i != 3 && i != 4 {
			busy += n
		}
	}
	return time.Duration(busy) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/stat: 100 on every Linux
// architecture Go runs on.
const clockTicks = 100

func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(raw))[:3], " ")
}
