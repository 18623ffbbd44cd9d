package desk

import (
	"context"

	"helpdesk/templates"
	"helpdesk/tickets"
	"helpdesk/web/admin"
)

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
