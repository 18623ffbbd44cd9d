package bench

import (
	"context"
	"fmt"
	"net/mail"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"helpdesk/desk"
	"helpdesk/internal/dovecot"
	"helpdesk/internal/imapmem"
	"helpdesk/internal/smtpsink"
	"helpdesk/tickets"
)

const (
	benchUser     = "support"
	benchPassword = "bench secret"
)

// imapServer is the IMAP server a pipeline benchmark reads from.
type imapServer struct {
	name string
	port int
	// seed puts mail into the INBOX as fast as the server takes it.
	seed  func(raws [][]byte) error
	close func()
}

// eachIMAPServer runs f as a sub-benchmark against the in-process server
// (internal/imapmem) and against a real Dovecot, which it skips with the
// reason when Dovecot cannot run here.
func eachIMAPServer(b *testing.B, f func(b *testing.B, start func() *imapServer)) {
	b.Run("imapmem", func(b *testing.B) {
		f(b, func() *imapServer {
			im, err := imapmem.Start(imapmem.Options{Users: map[string]string{benchUser: benchPassword}})
			if err != nil {
				b.Fatal(err)
			}
			return &imapServer{
				name: "imapmem (go-imap imapmemserver, in process)",
				port: im.Port(),
				seed: func(raws [][]byte) error {
					for _, raw := range raws {
						if err := im.Append(benchUser, "INBOX", raw); err != nil {
							return err
						}
					}
					return nil
				},
				close: func() { im.Close() },
			}
		})
	})
	b.Run("dovecot", func(b *testing.B) {
		dovecot.Require(b)
		f(b, func() *imapServer {
			dc, err := dovecot.Start(dovecot.Options{Dir: b.TempDir(), Users: map[string]string{benchUser: benchPassword}})
			if err != nil {
				b.Fatal(err)
			}
			return &imapServer{
				name:  "dovecot " + dovecotVersion(),
				port:  dc.Port(),
				seed:  func(raws [][]byte) error { return dc.AppendMany(benchUser, "INBOX", raws) },
				close: func() { dc.Close() },
			}
		})
	})
}

// pipeline is the daemon as `helpdesk run` builds it: config from TOML,
// desk.Open on SQLite, Run with an IMAP watcher and the outbox sender.
type pipeline struct {
	b      *testing.B
	desk   *desk.Desk
	sink   *smtpsink.Sink
	cancel context.CancelFunc
	done   chan struct{}
}

func openPipeline(b *testing.B, imapPort int) *pipeline {
	b.Helper()
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sink.Close() }) // closing twice is fine
	cfg := benchConfig(b, sink.Port(), fmt.Sprintf(`  [mailbox.imap]
  host = "127.0.0.1"
  port = %d
  tls = "none"
  username = %q
  password = %q
`, imapPort, benchUser, benchPassword))
	d, err := desk.Open(context.Background(), cfg, desk.Options{})
	if err != nil {
		sink.Close()
		b.Fatal(err)
	}
	return &pipeline{b: b, desk: d, sink: sink}
}

// run starts the daemon in the background.
func (p *pipeline) run() {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go func() {
		defer close(p.done)
		p.desk.Run(ctx, desk.RunOptions{Grace: 5 * time.Second})
	}()
}

// close stops the daemon and releases everything.
func (p *pipeline) close() {
	if p.cancel != nil {
		p.cancel()
		<-p.done
	}
	p.desk.Close()
	p.sink.Close()
}

// waitAcks waits until the sink holds n mails.
func (p *pipeline) waitAcks(n int) []smtpsink.Received {
	p.b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	got, err := p.sink.WaitFor(ctx, n)
	if err != nil {
		p.b.Fatal(err)
	}
	return got
}

func (p *pipeline) tickets() []tickets.Ticket {
	p.b.Helper()
	list, err := p.desk.Store.ListTickets(context.Background(), tickets.TicketFilter{})
	if err != nil {
		p.b.Fatal(err)
	}
	return list
}

// inReplyTo is the Message-ID (without <>) an acknowledgement answers.
func inReplyTo(r smtpsink.Received) string {
	m, err := mail.ReadMessage(strings.NewReader(string(r.Data)))
	if err != nil {
		return ""
	}
	return strings.Trim(strings.TrimSpace(m.Header.Get("In-Reply-To")), "<>")
}

// appender APPENDs one mail at a time over its own IMAP connection, as a
// mail client or an MTA speaking IMAP would.
func dialAppender(b *testing.B, port int) *imapclient.Client {
	b.Helper()
	c, err := imapclient.DialInsecure(fmt.Sprintf("127.0.0.1:%d", port), nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Login(benchUser, benchPassword).Wait(); err != nil {
		c.Close()
		b.Fatal(err)
	}
	return c
}

func appendOne(c *imapclient.Client, raw []byte) error {
	cmd := c.Append("INBOX", int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		cmd.Close()
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	_, err := cmd.Wait()
	return err
}

func dovecotVersion() string {
	out, err := exec.Command("dovecot", "--version").Output()
	if err != nil {
		return "(version unknown)"
	}
	return strings.TrimSpace(string(out))
}
