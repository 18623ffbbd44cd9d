package desk

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"strings"

	gomail "github.com/emersion/go-message/mail"

	"helpdesk/mailin"
	"helpdesk/tickets"
	"helpdesk/web"
)

// The customer's web side, wired: the form's request and a reply on a
// ticket's page become a mail (RFC 5322), written here, and go through
// the same reader and ingest as a mail from the mailbox [web] mailbox
// names, marked as the web's (tickets.Inbound.WebForm, WebTicket) so that
// nothing in them threads them, runs an agent's command, or passes for
// an agent.

// AddCustomerPages serves base_url/new and base_url/t/... on srv.
func (d *Desk) AddCustomerPages(srv *web.Server) {
	srv.AddCustomerPages(webDesk{d}, d.Service.Signer(), web.CustomerOptions{
		NewTicket: d.cfg.Web.NewTicketForm() && d.cfg.WebMailbox() != "",
		MaxUpload: d.cfg.UploadLimit(),
		Now:       d.now,
	})
}

// Proxies are the reverse proxies whose word on a client's address the
// web server takes (http.trusted_proxies, web.trust_proxy).
func (d *Desk) Proxies() web.Proxies {
	return web.Proxies{Trusted: d.cfg.HTTP.ProxyPrefixes(), AnyOne: d.cfg.Web.TrustProxy}
}

// webDesk is the desk as the customer's pages see it.
type webDesk struct{ d *Desk }

// OpenTicket writes the form as a mail and ingests it as a web ticket.
func (w webDesk) OpenTicket(ctx context.Context, nt web.NewTicket) error {
	d := w.d
	box := d.cfg.Mailbox(d.cfg.WebMailbox())
	if box == nil {
		return fmt.Errorf("web form: no mailbox for web tickets in %s", d.cfg.Path)
	}
	raw, err := d.webMail(webMail{
		From: gomail.Address{Name: nt.Name, Address: nt.Email}, To: box.Address,
		Subject: nt.Subject, Text: nt.Text, Files: nt.Files, Source: nt.Source, Origin: "web-form",
	})
	if err != nil {
		return err
	}
	in, err := d.webInbound(box.Name, raw, nt.Source)
	if err != nil {
		return err
	}
	in.WebForm = true
	res, err := d.Service.Ingest(ctx, in)
	if err != nil {
		return err
	}
	d.log.InfoContext(ctx, "ticket opened on the web form", slog.String("mailbox", box.Name),
		slog.String("message_id", in.MessageID), slog.String("ticket", res.Ref), slog.String("source", nt.Source))
	return nil
}

// TicketByPage is the ticket service's.
func (w webDesk) TicketByPage(ctx context.Context, token string) (*tickets.CustomerView, error) {
	return w.d.Service.TicketByPage(ctx, token)
}

// ConfirmByPage is the ticket service's.
func (w webDesk) ConfirmByPage(ctx context.Context, token string) (*tickets.CustomerView, error) {
	return w.d.Service.ConfirmByPage(ctx, token)
}

// CloseByPage is the ticket service's.
func (w webDesk) CloseByPage(ctx context.Context, token string) (*tickets.CustomerView, error) {
	return w.d.Service.CloseByPage(ctx, token)
}

// ReplyByPage writes the customer's reply on a ticket's page as a mail
// from the ticket's requester, and ingests it onto that ticket as a
// reply by mail is: it reopens, and tells the assignee, by the usual
// rules.
func (w webDesk) ReplyByPage(ctx context.Context, token, text, source string, files []web.Upload) error {
	d := w.d
	v, err := d.Service.TicketByPage(ctx, token)
	if err != nil {
		return err
	}
	t, err := d.Store.Ticket(ctx, v.TicketID)
	if err != nil {
		return fmt.Errorf("ticket %s: %w", v.Ref, err)
	}
	box := d.cfg.Mailbox(t.Mailbox)
	if box == nil {
		box = d.cfg.Mailbox(d.cfg.WebMailbox())
	}
	if box == nil {
		return fmt.Errorf("reply on the page of %s: no mailbox %q in %s", v.Ref, t.Mailbox, d.cfg.Path)
	}
	raw, err := d.webMail(webMail{
		From: gomail.Address{Name: t.Requester.Name, Address: t.Requester.Email}, To: box.Address,
		Subject: "Re: [" + v.Ref + "] " + t.Subject, Text: text, Files: files, Source: source, Origin: "web-page",
	})
	if err != nil {
		return err
	}
	in, err := d.webInbound(box.Name, raw, source)
	if err != nil {
		return err
	}
	in.WebTicket = t.ID
	res, err := d.Service.Ingest(ctx, in)
	if err != nil {
		return err
	}
	d.log.InfoContext(ctx, "reply on the ticket's page", slog.String("mailbox", box.Name),
		slog.String("message_id", in.MessageID), slog.String("ticket", res.Ref), slog.Bool("reopened", res.Reopened))
	return nil
}

// webInbound reads raw, a mail the desk wrote, as the mail reader reads
// every mail, and marks it as a person's: nothing in it is a robot's
// mark or a mail server's verdict, since the desk wrote every header.
func (d *Desk) webInbound(mailbox string, raw []byte, source string) (*tickets.Inbound, error) {
	msg, err := mailin.Parse(raw, d.parse)
	if err != nil {
		return nil, fmt.Errorf("reading the web form's mail: %w", err)
	}
	in := d.inbound(mailbox, msg, raw)
	in.AutoKind, in.AutoReason, in.BounceOf, in.FailedRecipients = tickets.AutoPerson, "", nil, nil
	in.Sender = nil
	in.ReplyTo = nil
	in.Source = source
	return in, nil
}

// webMail is what a mail from the web side says.
type webMail struct {
	From           gomail.Address
	To             string
	Subject, Text  string
	Files          []web.Upload
	Source, Origin string
}

// webMail writes m as a mail (RFC 5322): plain text, the files as
// attachments, a Message-ID of its own.
func (d *Desk) webMail(m webMail) ([]byte, error) {
	var id [12]byte
	_, _ = rand.Read(id[:])
	_, domain, _ := strings.Cut(m.To, "@")
	if domain == "" {
		domain = "web.invalid"
	}
	var h gomail.Header
	h.SetDate(d.now())
	h.SetAddressList("From", []*gomail.Address{&m.From})
	h.SetAddressList("To", []*gomail.Address{{Address: m.To}})
	h.SetSubject(m.Subject)
	h.SetMessageID("web." + hex.EncodeToString(id[:]) + "@" + domain)
	// For the record only: what ingest trusts is Inbound.WebForm and
	// WebTicket, which only the desk sets.
	h.Set("X-Helpdesk-Origin", m.Origin)
	if m.Source != "" {
		h.Set("X-Helpdesk-Web-Source", m.Source)
	}
	var b bytes.Buffer
	mw, err := gomail.CreateWriter(&b, h)
	if err != nil {
		return nil, fmt.Errorf("writing the web form's mail: %w", err)
	}
	var th gomail.InlineHeader
	th.Set("Content-Type", "text/plain; charset=utf-8")
	th.Set("Content-Transfer-Encoding", "quoted-printable")
	tw, err := mw.CreateSingleInline(th)
	if err != nil {
		return nil, fmt.Errorf("writing the web form's mail: %w", err)
	}
	text := strings.ReplaceAll(m.Text, "\r\n", "\n")
	if _, err := io.WriteString(tw, strings.ReplaceAll(text, "\n", "\r\n")+"\r\n"); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	for _, f := range m.Files {
		var ah gomail.AttachmentHeader
		ct := f.ContentType
		if _, _, err := mime.ParseMediaType(ct); err != nil || ct == "" {
			ct = "application/octet-stream"
		}
		ah.Set("Content-Type", ct)
		ah.Set("Content-Transfer-Encoding", "base64")
		ah.SetFilename(f.Filename)
		aw, err := mw.CreateAttachment(ah)
		if err != nil {
			return nil, fmt.Errorf("writing the web form's attachment %q: %w", f.Filename, err)
		}
		if _, err := aw.Write(f.Data); err != nil {
			return nil, err
		}
		if err := aw.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("writing the web form's mail: %w", err)
	}
	return b.Bytes(), nil
}
