// Package demo runs the whole help desk on embedded servers, for a first
// look with nothing installed: an IMAP server holding the support mailbox,
// an agent's mailbox and a customer's mailbox, an SMTP server that delivers
// into them, and the real daemon between them, on SQLite in a folder of the
// user's choosing. Seeded customer mail gets its tickets assigned to the
// agent, and the agent answers the first one from her mailbox, resolving
// it. The life cycle then runs on demo durations: the resolved ticket is
// closed a few seconds later, its customer gets the satisfaction survey,
// and the demo rates it through the survey's link on the daemon's web
// server, as the customer's browser would.
package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-message/mail"

	"helpdesk/config"
	"helpdesk/desk"
	"helpdesk/internal/imapmem"
	"helpdesk/internal/localconfig"
	"helpdesk/internal/smtpsink"
	"helpdesk/mailout"
)

// The demo's addresses and accounts.
const (
	Domain           = "helpdesk.test"
	SupportAddress   = "support@" + Domain
	SupportUser      = "support"
	SupportPassword  = "support"
	CustomerUser     = "customer"
	CustomerPassword = "customer"
	// The demo's agent reads her mail in the mailbox of AgentUser.
	AgentName     = "Ann Agent"
	AgentAddress  = "ann@" + Domain
	AgentUser     = "agent"
	AgentPassword = "agent"
)

// Options configure Run.
type Options struct {
	// Dir holds the demo's database, config and secret (created if missing).
	Dir string
	// IMAPAddr and SMTPAddr are where the embedded servers listen, and
	// HTTPAddr the daemon's web server (defaults 127.0.0.1:1143,
	// 127.0.0.1:1025 and 127.0.0.1:8025; port 0 picks a free one).
	IMAPAddr, SMTPAddr, HTTPAddr string
	// Seed is how many customer mails to send at start (default 3; -1 none).
	Seed int
	// Out receives the story of what happens.
	Out io.Writer
}

// Run starts the servers and the daemon, seeds customer mail, tells what
// happens on Out, and runs until ctx ends.
func Run(ctx context.Context, opts Options) error {
	if opts.IMAPAddr == "" {
		opts.IMAPAddr = "127.0.0.1:1143"
	}
	if opts.SMTPAddr == "" {
		opts.SMTPAddr = "127.0.0.1:1025"
	}
	if opts.HTTPAddr == "" {
		opts.HTTPAddr = "127.0.0.1:8025"
	}
	if opts.Seed == 0 {
		opts.Seed = 3
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return fmt.Errorf("demo folder: %w", err)
	}
	story := newTeller(opts.Out)

	im, err := imapmem.Start(imapmem.Options{Addr: opts.IMAPAddr, Users: map[string]string{
		SupportUser: SupportPassword, CustomerUser: CustomerPassword, AgentUser: AgentPassword,
	}})
	if err != nil {
		return fmt.Errorf("starting the IMAP server on %s: %w", opts.IMAPAddr, err)
	}
	defer im.Close()
	// The SMTP server is the demo's whole mail system: mail to the support
	// address goes into the support mailbox, mail to the agent into hers,
	// every other mail into the customer's mailbox, whatever its address.
	// The agent's first notice is answered (see answer).
	// The web server's address goes into the config (base_url), so the
	// demo listens first and hands the listener to the daemon.
	web, err := net.Listen("tcp", opts.HTTPAddr)
	if err != nil {
		return fmt.Errorf("starting the web server on %s: %w", opts.HTTPAddr, err)
	}
	baseURL := "http://" + web.Addr().String()
	notices := make(chan []byte, 1)
	surveys := make(chan []byte, 1)
	sink, err := smtpsink.Start(smtpsink.Options{Addr: opts.SMTPAddr, Deliver: func(r smtpsink.Received) error {
		return route(im, story, r, notices, surveys, baseURL)
	}})
	if err != nil {
		web.Close()
		return fmt.Errorf("starting the SMTP server on %s: %w", opts.SMTPAddr, err)
	}
	defer sink.Close()

	cfgPath, err := writeConfig(opts.Dir, im.Port(), sink.Port(), web.Addr().String(), baseURL)
	if err != nil {
		return err
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	d, err := desk.Open(ctx, cfg, desk.Options{Logger: slog.New(story)})
	if err != nil {
		web.Close()
		return err
	}
	defer d.Close()

	story.printf(`helpdesk demo: the whole desk on embedded servers.
  data:     %s (SQLite database and config)
  SMTP:     %s  write as a customer to %s (no login)
  IMAP:     %s  read what the desk sent: user %q, password %q
            the agent %s reads hers: user %q, password %q
  web:      %s  the pages that links in the desk's mail open
  inspect:  helpdesk tickets list --config %s
The agent resolves the first ticket; it closes %s later, and its
customer rates it through the survey's link.
Stop with Ctrl-C.

`, opts.Dir, sink.Addr(), SupportAddress, im.Addr(), CustomerUser, CustomerPassword, AgentAddress, AgentUser, AgentPassword, baseURL, cfgPath, autoClose)

	var wg sync.WaitGroup
	wg.Go(func() {
		if err := d.Run(ctx, desk.RunOptions{Grace: 3 * time.Second, HTTPListener: web}); err != nil {
			story.printf("daemon: %v\n", err)
		}
	})
	if opts.Seed > 0 {
		if err := seed(ctx, sink.Addr(), opts.Seed, story); err != nil {
			story.printf("seeding customer mail: %v\n", err)
		}
		wg.Go(func() {
			select {
			case raw := <-notices:
				if err := answer(ctx, sink.Addr(), raw, story); err != nil {
					story.printf("answering as the agent: %v\n", err)
				}
			case <-ctx.Done():
			}
		})
		wg.Go(func() {
			select {
			case raw := <-surveys:
				rated := func(id int64) (int, error) {
					t, err := d.Store.Ticket(ctx, id)
					if err != nil {
						return 0, err
					}
					return t.CSAT.Rating, nil
				}
				if err := rate(ctx, raw, baseURL, story, rated); err != nil {
					story.printf("rating through the survey's link: %v\n", err)
				}
			case <-ctx.Done():
			}
		})
	}
	wg.Wait()
	return nil
}

func route(im *imapmem.Server, story *teller, r smtpsink.Received, notices, surveys chan<- []byte, baseURL string) error {
	toSupport, toAgent := false, false
	for _, rcpt := range r.To {
		local, domain, _ := strings.Cut(strings.ToLower(rcpt), "@")
		local, _, _ = strings.Cut(local, "+")
		switch local + "@" + domain {
		case SupportAddress:
			toSupport = true
		case AgentAddress:
			toAgent = true
		}
	}
	switch {
	case toSupport:
		story.printf("  smtp: mail from %s to the support mailbox\n", r.From)
		return im.Append(SupportUser, "INBOX", r.Data)
	case toAgent:
		select {
		case notices <- r.Data:
		default:
		}
		return im.Append(AgentUser, "INBOX", r.Data)
	}
	if err := im.Append(CustomerUser, "INBOX", r.Data); err != nil {
		return err
	}
	// The survey is in the customer's mailbox: the customer may rate.
	if text, err := textPart(r.Data); err == nil && strings.Contains(text, baseURL+"/csat/") {
		select {
		case surveys <- r.Data:
		default:
		}
	}
	return nil
}

// answer replies to the agent's notice raw as her mail client would: to
// its Reply-To (her private reply address), the answer on top and the
// notice quoted below. The desk relays the answer, without the quote, to
// the customer.
func answer(ctx context.Context, smtpAddr string, raw []byte, story *teller) error {
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("reading the notice: %w", err)
	}
	replyTo, err := mr.Header.AddressList("Reply-To")
	if err != nil || len(replyTo) == 0 {
		return fmt.Errorf("the notice has no Reply-To: %v", err)
	}
	subject, _ := mr.Header.Subject()
	id, _ := mr.Header.MessageID()
	var text string
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		if h, ok := p.Header.(*mail.InlineHeader); ok {
			if ct, _, _ := h.ContentType(); ct == "text/plain" {
				b, _ := io.ReadAll(p.Body)
				text = strings.ReplaceAll(string(b), "\r\n", "\n")
			}
		}
	}
	story.printf("  agent %s answers %q from her mail client, with #status resolved\n", AgentAddress, subject)
	s := sender(smtpAddr)
	defer s.Close()
	return s.Send(ctx, &mailout.Mail{
		From:       mailout.Address{Name: AgentName, Email: AgentAddress},
		To:         []mailout.Address{{Email: replyTo[0].Address}},
		Subject:    "Re: " + subject,
		InReplyTo:  id,
		References: []string{id},
		Text: "#priority P2\n#status resolved Reset the customer's login after a lockout.\n\n" +
			"Hello,\n\nthank you for writing. I have reset your login: please try again, and tell me\n" +
			"if it still fails.\n\nAnn\n\nOn " + time.Now().Format("Mon, 2 Jan 2006 at 15:04") + ", Demo Support <" + SupportAddress + "> wrote:\n" +
			"> " + strings.ReplaceAll(strings.TrimRight(text, "\n"), "\n", "\n> ") + "\n",
	})
}

// sender is an SMTP client of the demo's SMTP server.
func sender(smtpAddr string) *mailout.Sender {
	host, port, _ := strings.Cut(smtpAddr, ":")
	var p int
	fmt.Sscan(port, &p)
	return mailout.NewSender(mailout.Options{Host: host, Port: p, TLS: "none"})
}

// autoClose is how long a resolved ticket waits, silent, to be closed in
// the demo (three days by default).
const autoClose = 5 * time.Second

// writeConfig writes the demo's config (and, once, its secret) to dir:
// the life cycle on demo durations, and the web server at httpAddr whose
// links start with baseURL.
func writeConfig(dir string, imapPort, smtpPort int, httpAddr, baseURL string) (string, error) {
	secretPath := filepath.Join(dir, "secret")
	if _, err := os.Stat(secretPath); errors.Is(err, os.ErrNotExist) {
		b := make([]byte, 32)
		rand.Read(b)
		if err := os.WriteFile(secretPath, []byte(base64.StdEncoding.EncodeToString(b)+"\n"), 0o600); err != nil {
			return "", fmt.Errorf("writing the demo secret: %w", err)
		}
	}
	cfg := "# Written by \"helpdesk demo\" for its embedded servers.\n" + localconfig.TOML(localconfig.Options{
		DSN:        filepath.Join(dir, "helpdesk.db"),
		SMTPPort:   smtpPort,
		From:       "Demo Support <" + SupportAddress + ">",
		SecretFile: secretPath,
		Address:    SupportAddress,
		IMAP:       &localconfig.IMAP{Port: imapPort, Username: SupportUser, Password: SupportPassword, PollInterval: "5s"},
		Extra: fmt.Sprintf("\n[[agent]]\nname = %q\nemail = %q\nqueues = [\"general\"]\n", AgentName, AgentAddress) +
			fmt.Sprintf("\n# Demo durations: a resolved ticket closes %s after, silent.\n[lifecycle]\nauto_close_after = %q\n"+
				"pending_reminder_after = \"1m\"\npending_resolve_after = \"2m\"\n", autoClose, autoClose.String()) +
			fmt.Sprintf("\n[http]\nlisten = %q\nbase_url = %q\n", httpAddr, baseURL),
	})
	path := filepath.Join(dir, "helpdesk.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return "", fmt.Errorf("writing the demo config: %w", err)
	}
	return path, nil
}

var seeds = []struct{ name, email, subject, text string }{
	{"Alice Martin", "alice@customer.test", "Cannot log in since this morning",
		"Hello,\n\nsince this morning the login page says my password is wrong, but I have not changed it.\n\nAlice"},
	{"Bob Chen", "bob@customer.test", "Question about invoice 2026-118",
		"Hi,\n\ninvoice 2026-118 lists two licences, we only have one. Could you check?\n\nThanks, Bob"},
	{"Chloé Dubois", "chloe@customer.test", "Export en CSV incomplet",
		"Bonjour,\n\nl'export CSV s'arrête à la ligne 65 536.\n\nCordialement,\nChloé"},
}

// seed sends customer mail through the demo's SMTP server, as a customer's
// mail client would.
func seed(ctx context.Context, smtpAddr string, n int, story *teller) error {
	s := sender(smtpAddr)
	defer s.Close()
	for i := range n {
		c := seeds[i%len(seeds)]
		subject := c.subject
		if i >= len(seeds) {
			subject = fmt.Sprintf("%s (%d)", subject, i+1)
		}
		story.printf("  customer %s writes: %q\n", c.email, subject)
		err := s.Send(ctx, &mailout.Mail{
			From:    mailout.Address{Name: c.name, Email: c.email},
			To:      []mailout.Address{{Name: "Support", Email: SupportAddress}},
			Subject: subject,
			Text:    c.text,
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// teller turns the daemon's log into a readable story, and is the demo's
// only writer to Out.
type teller struct {
	mu    *sync.Mutex
	w     io.Writer
	attrs []slog.Attr
}

func newTeller(w io.Writer) *teller { return &teller{mu: new(sync.Mutex), w: w} }

func (t *teller) printf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.w, format, args...)
}

func (t *teller) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }
func (t *teller) WithGroup(string) slog.Handler                { return t }
func (t *teller) WithAttrs(as []slog.Attr) slog.Handler {
	c := *t
	c.attrs = append(append([]slog.Attr(nil), t.attrs...), as...)
	return &c
}

func (t *teller) Handle(_ context.Context, r slog.Record) error {
	a := map[string]string{}
	for _, at := range t.attrs {
		a[at.Key] = at.Value.String()
	}
	r.Attrs(func(at slog.Attr) bool {
		a[at.Key] = at.Value.String()
		return true
	})
	now := r.Time.Format("15:04:05")
	switch {
	case r.Message == "mail stored" && a["new"] == "true":
		t.printf("%s desk: new ticket %s (mail %s)\n", now, a["ticket"], a["message_id"])
	case r.Message == "mail stored" && a["duplicate"] == "true":
		t.printf("%s desk: mail %s is already on %s\n", now, a["message_id"], a["ticket"])
	case r.Message == "mail stored" && a["threaded_by"] == "agent-token":
		t.printf("%s desk: the agent's mail on %s, through her reply address\n", now, a["ticket"])
	case r.Message == "mail stored":
		t.printf("%s desk: reply added to %s (threaded by %s)\n", now, a["ticket"], a["threaded_by"])
	case r.Message == "mail sent":
		t.printf("%s desk: sent the %s of %s\n", now, kindName(a["kind"]), a["ticket"])
	case r.Message == "scheduled job":
		t.printf("%s desk: scheduled %s of HD#%s: %s\n", now, strings.ReplaceAll(a["job"], "_", "-"), a["ticket"], a["done"])
	case r.Message == "ticket rated by link":
		t.printf("%s desk: %s rated %s of 5 through the survey's link\n", now, a["ticket"], a["rating"])
	case r.Level >= slog.LevelWarn:
		t.printf("%s %s: %s %s\n", now, strings.ToLower(r.Level.String()), r.Message, a["err"])
	}
	return nil
}

// kindName says what a mail of kind is, for the story.
func kindName(kind string) string {
	switch kind {
	case "agent_new_ticket":
		return "notice to its agent"
	case "agent_unassigned":
		return "notice to the queue's agents"
	case "agent_customer_reply":
		return "agent's notice of the customer's reply"
	case "agent_relay":
		return "agent's answer"
	case "command_error":
		return "agent's command error"
	case "csat_survey":
		return "satisfaction survey"
	case "agent_escalated":
		return "notice of an escalation to the queue's agents"
	case "manager_escalation":
		return "escalation to the queue's manager"
	case "vendor_escalation":
		return "escalation to a vendor"
	case "agent_vendor_reply":
		return "agent's notice of the vendor's answer"
	case "agent_vendor_waiting":
		return "agent's reminder of a silent vendor"
	case "resolved", "closed", "pending", "reopened", "merged":
		return kind + " notice"
	}
	return kind
}
