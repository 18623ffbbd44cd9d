package admin

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"helpdesk/tickets"
)

//go:embed pages/*.html
var pageFiles embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"when":    when,
	"seconds": seconds,
	"percent": func(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" },
	"size":    size,
	"list":    func(s ...string) []string { return s },
}).ParseFS(pageFiles, "pages/*.html"))

var pageTitles = map[string]string{"login": "Log in", "dashboard": "Dashboard", "tickets": "Tickets", "ticket": "Ticket",
	"quarantine": "Quarantine", "outbox": "Outbox", "templates": "Templates"}

// page is what the layout shows around a view.
type page struct {
	Title, Desk string
	Nav         string // the current section
	Admin       string
	CSRF        string
	Standalone  bool // a saved file: no navigation, no forms
	View        any
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, view any) {
	p := page{Title: pageTitles[name], Desk: h.opts.Title, Nav: name, View: view, Admin: adminOf(r), CSRF: h.csrfToken(r)}
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, p); err != nil {
		h.opts.Logger.Error("rendering an admin page", "page", name, "err", err)
		http.Error(w, "500 internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func adminOf(r *http.Request) string {
	name, _ := r.Context().Value(adminKey{}).(string)
	return name
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, tickets.ErrNotFound) {
		http.Error(w, "404 not found", http.StatusNotFound)
		return
	}
	h.opts.Logger.Error("serving an admin page", "path", r.URL.Path, "err", err)
	http.Error(w, "500 internal error", http.StatusInternalServerError)
}

// dashboardView is the report with its charts.
type dashboardView struct {
	Report                        *tickets.Report
	Since, Queue, Agent           string
	Daily, Status, Priority, Ages template.HTML
}

func newDashboard(rep *tickets.Report) dashboardView {
	v := dashboardView{Report: rep}
	var created, closed []bar
	for _, d := range rep.Daily {
		created = append(created, bar{Label: d.Date[5:], Value: float64(d.Created), Text: strconv.Itoa(d.Created)})
		closed = append(closed, bar{Label: d.Date[5:], Value: float64(d.Closed), Text: strconv.Itoa(d.Closed)})
	}
	v.Daily = template.HTML(string(barChart("Tickets created per day", created)) + string(barChart("Tickets closed per day", closed)))
	v.Status = barChart("Backlog by status", counted(rep.Backlog.ByStatus, []string{"new", "open", "pending", "pending_vendor"}))
	v.Priority = barChart("Backlog by priority", counted(rep.Backlog.ByPriority, []string{"P1", "P2", "P3", "P4"}))
	var ages []bar
	for _, a := range rep.Backlog.ByAge {
		ages = append(ages, bar{Label: a.Label, Value: float64(a.Count), Text: strconv.Itoa(a.Count)})
	}
	v.Ages = barChart("Backlog by age", ages)
	return v
}

// counted is m as bars, in order's order first, then the rest sorted.
func counted(m map[string]int, order []string) []bar {
	var keys []string
	keys = append(keys, order...)
	var rest []string
	for k := range m {
		if !slices.Contains(order, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	keys = append(keys, rest...)
	out := make([]bar, len(keys))
	for i, k := range keys {
		out[i] = bar{Label: k, Value: float64(m[k]), Text: strconv.Itoa(m[k])}
	}
	return out
}

func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	until := h.opts.Now()
	since := q.Get("since")
	if since == "" {
		since = "30d"
	}
	days, err := strconv.Atoi(strings.TrimSuffix(since, "d"))
	if err != nil || days <= 0 || days > 3660 || !strings.HasSuffix(since, "d") {
		http.Error(w, "400 bad request: since is a number of days, such as 30d", http.StatusBadRequest)
		return
	}
	rep, err := h.opts.Source.Report(r.Context(), tickets.ReportOptions{Since: until.AddDate(0, 0, -days), Until: until,
		Queue: q.Get("queue"), Agent: strings.ToLower(q.Get("agent"))})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := newDashboard(rep)
	v.Since, v.Queue, v.Agent = since, q.Get("queue"), q.Get("agent")
	h.render(w, r, http.StatusOK, "dashboard", v)
}

// WriteReport writes the dashboard of rep as one self-contained HTML file
// (`helpdesk report --html FILE`): styles and charts inline, no links out.
func WriteReport(w io.Writer, rep *tickets.Report, title string) error {
	return pages.ExecuteTemplate(w, "dashboard", page{Title: "Report", Desk: title, Nav: "dashboard", Standalone: true, View: newDashboard(rep)})
}

type ticketRow struct {
	Ref string
	tickets.Ticket
}

type ticketListView struct {
	Rows                []ticketRow
	Status, Queue, Text string
	Statuses            []string
	Limited             bool
}

// ticketListLimit is the most tickets a list page shows.
const ticketListLimit = 500

func (h *Handler) ticketList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := ticketListView{Status: q.Get("status"), Queue: q.Get("queue"), Text: strings.TrimSpace(q.Get("q")),
		Statuses: []string{"new", "unverified", "open", "pending", "pending_vendor", "resolved", "closed", "spam", "merged"}}
	if v.Status != "" && !tickets.Status(v.Status).Valid() {
		http.Error(w, "400 bad request: unknown status", http.StatusBadRequest)
		return
	}
	all, err := h.opts.Source.ListTickets(r.Context(), tickets.TicketFilter{Status: tickets.Status(v.Status), Queue: v.Queue})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	needle := strings.ToLower(v.Text)
	for i := len(all) - 1; i >= 0; i-- { // newest first
		t := all[i]
		if needle != "" && !strings.Contains(strings.ToLower(t.Subject+" "+t.Requester.Email+" "+t.Requester.Name+" "+h.opts.Source.Ref(t.ID)), needle) {
			continue
		}
		if len(v.Rows) == ticketListLimit {
			v.Limited = true
			break
		}
		v.Rows = append(v.Rows, ticketRow{Ref: h.opts.Source.Ref(t.ID), Ticket: t})
	}
	h.render(w, r, http.StatusOK, "tickets", v)
}

type ticketView struct {
	Ref    string
	Detail *tickets.Detail
}

func (h *Handler) ticketPage(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(strings.TrimPrefix(r.PathValue("id"), "HD"), 10, 64)
	if err != nil || id <= 0 {
		http.Error(w, "404 not found", http.StatusNotFound)
		return
	}
	d, err := h.opts.Source.Detail(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "ticket", ticketView{Ref: h.opts.Source.Ref(id), Detail: d})
}

type quarantineRow struct {
	tickets.Quarantined
	TicketRef string
}

func (h *Handler) quarantinePage(w http.ResponseWriter, r *http.Request) {
	qs, err := h.opts.Source.QuarantineList(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rows := make([]quarantineRow, len(qs))
	for i, q := range qs {
		rows[i] = quarantineRow{Quarantined: q}
		rows[i].Raw = nil
		if q.TicketID != 0 {
			rows[i].TicketRef = h.opts.Source.Ref(q.TicketID)
		}
	}
	h.render(w, r, http.StatusOK, "quarantine", rows)
}

type outboxRow struct {
	tickets.OutboxItem
	Ref, To string
}

type outboxView struct {
	Rows   []outboxRow
	Status string
}

func (h *Handler) outboxPage(w http.ResponseWriter, r *http.Request) {
	st := r.URL.Query().Get("status")
	switch st {
	case "", tickets.OutboxQueued, tickets.OutboxSent, tickets.OutboxFailed:
	default:
		http.Error(w, "400 bad request: status is queued, sent or failed", http.StatusBadRequest)
		return
	}
	items, err := h.opts.Source.Outbox(r.Context(), tickets.OutboxFilter{Status: st})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := outboxView{Status: st}
	for i := len(items) - 1; i >= 0 && len(v.Rows) < ticketListLimit; i-- {
		it := items[i]
		var to []string
		for _, a := range it.Message.To {
			to = append(to, a.Email)
		}
		v.Rows = append(v.Rows, outboxRow{OutboxItem: it, Ref: h.opts.Source.Ref(it.TicketID), To: strings.Join(to, ", ")})
	}
	h.render(w, r, http.StatusOK, "outbox", v)
}

func (h *Handler) templatesPage(w http.ResponseWriter, r *http.Request) {
	previews, err := h.opts.Source.Previews()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "templates", previews)
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// seconds writes a figure of the report as tickets.Span does, and a
// figure of nothing (zero) as a dash.
func seconds(s int64) string {
	if s == 0 {
		return "-"
	}
	return tickets.Span(s)
}

func size(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
