package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"helpdesk/tickets"
)

func (s *Store) ReportTickets(ctx context.Context, f tickets.ReportFilter) ([]tickets.ReportTicket, error) {
	return s.read().ReportTickets(ctx, f)
}

func (s *Store) ReportReplies(ctx context.Context, f tickets.ReportFilter) (map[string]int, error) {
	return s.read().ReportReplies(ctx, f)
}

func (q *queries) ReportTickets(ctx context.Context, f tickets.ReportFilter) ([]tickets.ReportTicket, error) {
	var rows []struct {
		ID              int64        `db:"id"`
		Status          string       `db:"status"`
		Priority        string       `db:"priority"`
		Queue           string       `db:"queue"`
		Assignee        string       `db:"assignee"`
		Requester       string       `db:"requester_email"`
		CreatedAt       time.Time    `db:"created_at"`
		FirstResponseAt sql.NullTime `db:"first_response_at"`
		ResolvedAt      sql.NullTime `db:"resolved_at"`
		ClosedAt        sql.NullTime `db:"closed_at"`
		CSATRating      int          `db:"csat_rating"`
		CSATAt          sql.NullTime `db:"csat_at"`
		AgentReplies    int          `db:"agent_replies"`
		Reopens         int          `db:"reopens"`
		LastReopenAt    looseTime    `db:"last_reopen_at"`
		SurveyAt        looseTime    `db:"survey_at"`
		DeflectedAt     looseTime    `db:"deflected_at"`
	}
	since := f.Since.UTC()
	if err := q.selectAll(ctx, &rows, "report-tickets", since, since, since, since, since,
		f.Queue, f.Queue, f.Agent, f.Agent); err != nil {
		return nil, err
	}
	out := make([]tickets.ReportTicket, len(rows))
	for i, r := range rows {
		out[i] = tickets.ReportTicket{
			ID: r.ID, Status: tickets.Status(r.Status), Priority: r.Priority, Queue: r.Queue, Assignee: r.Assignee,
			Requester: r.Requester, CreatedAt: r.CreatedAt.UTC(), FirstResponseAt: r.FirstResponseAt.Time.UTC(),
			ResolvedAt: r.ResolvedAt.Time.UTC(), ClosedAt: r.ClosedAt.Time.UTC(), CSATRating: r.CSATRating,
			CSATAt: r.CSATAt.Time.UTC(), AgentReplies: r.AgentReplies, Reopens: r.Reopens,
			LastReopenAt: r.LastReopenAt.Time, SurveyAt: r.SurveyAt.Time, DeflectedAt: r.DeflectedAt.Time,
		}
		for _, t := range []*time.Time{&out[i].FirstResponseAt, &out[i].ResolvedAt, &out[i].ClosedAt, &out[i].CSATAt} {
			if t.Equal(time.Time{}) {
				*t = time.Time{}
			}
		}
	}
	return out, nil
}

func (q *queries) ReportReplies(ctx context.Context, f tickets.ReportFilter) (map[string]int, error) {
	var rows []struct {
		Agent   string `db:"agent"`
		Replies int    `db:"replies"`
	}
	if err := q.selectAll(ctx, &rows, "report-replies", f.Since.UTC(), f.Until.UTC(), f.Queue, f.Queue, f.Agent, f.Agent); err != nil {
		return nil, err
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Agent] = r.Replies
	}
	return out, nil
}

func (s *Store) ReportSLAEvents(ctx context.Context, f tickets.ReportFilter) ([]tickets.Event, error) {
	return s.read().ReportSLAEvents(ctx, f)
}

func (q *queries) ReportSLAEvents(ctx context.Context, f tickets.ReportFilter) ([]tickets.Event, error) {
	var rows []struct {
		TicketID  int64     `db:"ticket_id"`
		Kind      string    `db:"kind"`
		Detail    string    `db:"detail"`
		CreatedAt time.Time `db:"created_at"`
	}
	if err := q.selectAll(ctx, &rows, "report-sla-events-before", f.Since.UTC(), f.Since.UTC(), f.Until.UTC(), f.Queue, f.Queue, f.Agent, f.Agent); err != nil {
		return nil, err
	}
	before := rows
	rows = nil
	if err := q.selectAll(ctx, &rows, "report-sla-events", f.Since.UTC(), f.Until.UTC(), f.Queue, f.Queue, f.Agent, f.Agent); err != nil {
		return nil, err
	}
	rows = append(before, rows...)
	out := make([]tickets.Event, len(rows))
	for i, r := range rows {
		out[i] = tickets.Event{TicketID: r.TicketID, Kind: r.Kind, Detail: r.Detail, CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

// looseTime reads a time from an aggregate (MAX, MIN), which SQLite
// returns as text (see aggregateTime).
type looseTime struct{ Time time.Time }

func (l *looseTime) Scan(v any) (err error) {
	l.Time, err = aggregateTime(v)
	return err
}
