package desk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"strings"

	"helpdesk/templates"
	"helpdesk/tickets"
	"helpdesk/web"
	"helpdesk/web/admin"
)

// addPages adds to srv the machine's pages (/healthz, /readyz, and
// /metrics for admins) and, when anyone may log in to them, the admin's.
func (d *Desk) addPages(srv *web.Server) error {
	srv.Handle("GET /healthz", d.HealthHandler())
	srv.Handle("GET /readyz", d.ReadyHandler())
	srv.AddKnowledgeBase(d.Service)
	d.AddCustomerPages(srv)
	h := &d.cfg.HTTP
	if !h.AdminAccess() {
		d.log.Info("no admin pages and no /metrics: set [http] admin_users or admin_token_env to serve them")
		return nil
	}
	name, _ := d.cfg.SMTP.FromAddress()
	pages, err := admin.New(admin.Options{
		Source: d.AdminSource(), Users: h.AdminUsers, Token: h.AdminToken,
		SessionKey: sessionKey([]byte(d.cfg.Security.Secret)), Secure: strings.HasPrefix(h.BaseURL, "https://"),
		Title: name, Now: d.now, Logger: d.log.With(slog.String("pages", "admin")),
	})
	if err != nil {
		return fmt.Errorf("%s: http: %w", d.cfg.Path, err)
	}
	for _, p := range pages.Patterns() {
		srv.Handle(p, pages)
	}
	srv.Handle("GET /metrics", pages.Protect(d.MetricsHandler()))
	return nil
}

// sessionKey is the key that signs the admins' session cookies: the
// desk's secret, under a purpose of its own.
func sessionKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("helpdesk admin session key"))
	return m.Sum(nil)
}

// AdminSource is what the admin pages read from this desk.
func (d *Desk) AdminSource() admin.Source { return adminSource{d} }

type adminSource struct{ d *Desk }

func (s adminSource) Report(ctx context.Context, opts tickets.ReportOptions) (*tickets.Report, error) {
	return s.d.Report(ctx, opts)
}

func (s adminSource) ListTickets(ctx context.Context, f tickets.TicketFilter) ([]tickets.Ticket, error) {
	return s.d.Store.ListTickets(ctx, f)
}

func (s adminSource) Detail(ctx context.Context, id int64) (*tickets.Detail, error) {
	return s.d.Service.Detail(ctx, id)
}

func (s adminSource) QuarantineList(ctx context.Context) ([]tickets.Quarantined, error) {
	return s.d.Store.QuarantineList(ctx)
}

func (s adminSource) Outbox(ctx context.Context, f tickets.OutboxFilter) ([]tickets.OutboxItem, error) {
	return s.d.Store.Outbox(ctx, f)
}

func (s adminSource) Ref(id int64) string { return s.d.Service.Ref(id) }

// Previews renders every template the desk sends with the sample data of
// `helpdesk templates preview`.
func (s adminSource) Previews() ([]admin.Preview, error) {
	var out []admin.Preview
	for _, name := range s.d.Templates.Names() {
		r, err := s.d.Templates.Render(name, templates.SampleData())
		if err != nil {
			return nil, err
		}
		out = append(out, admin.Preview{Name: name, Subject: r.Subject, Text: r.Text, HTML: r.HTML})
	}
	return out, nil
}
