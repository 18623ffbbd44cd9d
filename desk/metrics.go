package desk

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"helpdesk/mailin/imapwatch"
	"helpdesk/tickets"
)

// metrics are the daemon's Prometheus metrics: counters that the desk's
// code moves as mail comes and goes, and gauges read at each scrape from
// the database (the outbox, the scheduler) and from the IMAP watchers this
// process runs. Counters count what this process did since it started;
// the gauges from the database are the same whichever daemon is scraped.
type metrics struct {
	reg *prometheus.Registry

	fetched      *prometheus.CounterVec // by mailbox
	stored       *prometheus.CounterVec // by mailbox
	quarantined  *prometheus.CounterVec // by mailbox
	created      *prometheus.CounterVec // by mailbox
	sent         prometheus.Counter
	sendFailures *prometheus.CounterVec // by class: temporary, permanent
	jobs         *prometheus.CounterVec // by kind
	slaWarnings  *prometheus.CounterVec // by target
	slaBreaches  *prometheus.CounterVec // by target
	// steps times the steps of each IMAP batch: fetch, store, mark.
	steps *prometheus.HistogramVec // by mailbox, step
}

func newMetrics(d *Desk) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "helpdesk", Name: name, Help: help}, labels)
		m.reg.MustRegister(c)
		return c
	}
	m.fetched = counter("mails_fetched_total", "Mails fetched from an IMAP mailbox.", "mailbox")
	m.stored = counter("mails_stored_total", "Mails fetched and stored (as a ticket, a message, or a duplicate seen before).", "mailbox")
	m.quarantined = counter("mails_quarantined_total", "Mails that could not be read and were kept in the quarantine.", "mailbox")
	m.created = counter("tickets_created_total", "Tickets opened by a fetched mail.", "mailbox")
	m.sendFailures = counter("mail_send_failures_total", "Outgoing mails the SMTP server refused: temporary (retried) or permanent (given up).", "class")
	m.jobs = counter("scheduler_jobs_total", "Scheduled jobs run (reminders, resolves, auto-closes, SLA warnings and breaches), by kind.", "kind")
	m.slaWarnings = counter("sla_warnings_total", "SLA warnings sent: a target's time is mostly used.", "target")
	m.slaBreaches = counter("sla_breaches_total", "SLA targets breached.", "target")
	for _, target := range []string{tickets.TargetFirstResponse, tickets.TargetNextResponse, tickets.TargetResolution} {
		m.slaWarnings.WithLabelValues(target)
		m.slaBreaches.WithLabelValues(target)
	}
	m.sent = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "helpdesk", Name: "mails_sent_total", Help: "Outgoing mails the SMTP server accepted."})
	m.reg.MustRegister(m.sent)
	for _, class := range []string{"temporary", "permanent"} {
		m.sendFailures.WithLabelValues(class)
	}
	for _, mb := range d.cfg.Mailboxes {
		if mb.IMAP != nil {
			for _, c := range []*prometheus.CounterVec{m.fetched, m.stored, m.quarantined, m.created} {
				c.WithLabelValues(mb.Name)
			}
		}
	}
	m.steps = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "helpdesk", Name: "intake_step_seconds",
		Help:    "Time taken by each step of an IMAP batch: fetch (the mails from the server), store (in the database), mark (seen or moved on the server).",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 14), // 1ms to 8s
	}, []string{"mailbox", "step"})
	m.reg.MustRegister(m.steps)
	m.reg.MustRegister(&stateCollector{d: d}, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// stepTook is imapwatch.Options.StepTook for mailbox.
func (m *metrics) stepTook(mailbox string) func(string, time.Duration) {
	return func(step string, took time.Duration) {
		m.steps.WithLabelValues(mailbox, step).Observe(took.Seconds())
	}
}

// countBatch counts a batch an IMAP watcher handed over, and what became
// of each of its mails (errs[i] nil: stored or quarantined).
func (m *metrics) countBatch(mailbox string, outs []Outcome, errs []error) {
	m.fetched.WithLabelValues(mailbox).Add(float64(len(outs)))
	for i, o := range outs {
		switch {
		case errs[i] != nil:
		case o.Quarantined:
			m.quarantined.WithLabelValues(mailbox).Inc()
		default:
			m.stored.WithLabelValues(mailbox).Inc()
			if o.Created {
				m.created.WithLabelValues(mailbox).Inc()
			}
		}
	}
}

func (m *metrics) countFlush(st tickets.FlushStats) {
	m.sent.Add(float64(st.Sent))
	m.sendFailures.WithLabelValues("temporary").Add(float64(st.Deferred))
	m.sendFailures.WithLabelValues("permanent").Add(float64(st.Failed))
}

func (m *metrics) countJobs(runs []tickets.JobRun) {
	for _, r := range runs {
		kind, target, _ := strings.Cut(r.Kind, ":")
		m.jobs.WithLabelValues(kind).Inc()
		switch {
		case kind == tickets.JobSLAWarning && r.Done == "warned":
			m.slaWarnings.WithLabelValues(target).Inc()
		case kind == tickets.JobSLABreach && strings.HasPrefix(r.Done, "breached"):
			m.slaBreaches.WithLabelValues(target).Inc()
		}
	}
}

// MetricsHandler serves the metrics in Prometheus's text format.
func (d *Desk) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(d.metrics.reg, promhttp.HandlerOpts{ErrorLog: nil, Timeout: 10 * time.Second})
}

// watchers are the IMAP watchers running in this process, by mailbox:
// those whose lease this daemon holds.
type watchers struct {
	mu      sync.Mutex
	running map[string]watching
}

type watching struct {
	w       *imapwatch.Watcher
	started time.Time
	poll    time.Duration
}

func (ws *watchers) add(name string, w *imapwatch.Watcher, poll time.Duration) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.running == nil {
		ws.running = map[string]watching{}
	}
	ws.running[name] = watching{w: w, started: time.Now(), poll: poll}
}

func (ws *watchers) remove(name string) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	delete(ws.running, name)
}

func (ws *watchers) snapshot() map[string]watching {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	out := make(map[string]watching, len(ws.running))
	for k, v := range ws.running {
		out[k] = v
	}
	return out
}

// stateCollector reads, at each scrape, what the database and the
// watchers say now.
type stateCollector struct{ d *Desk }

var (
	descOutboxQueued = prometheus.NewDesc("helpdesk_outbox_queued", "Outgoing mails waiting to be sent, due now or waiting for a retry.", nil, nil)
	descOutboxDue    = prometheus.NewDesc("helpdesk_outbox_due", "Outgoing mails due now.", nil, nil)
	descOutboxFailed = prometheus.NewDesc("helpdesk_outbox_failed", "Outgoing mails given up for good.", nil, nil)
	descOutboxOldest = prometheus.NewDesc("helpdesk_outbox_oldest_seconds", "Age of the oldest mail waiting on the outbox (0: none waits).", nil, nil)
	descSchedLag     = prometheus.NewDesc("helpdesk_scheduler_lag_seconds", "How long the most overdue scheduled job has been due (0: none is overdue).", nil, nil)
	descLastRound    = prometheus.NewDesc("helpdesk_mailbox_last_poll_timestamp_seconds", "When this daemon last searched the mailbox and took its new mail (Unix time).", []string{"mailbox"}, nil)
	descConnected    = prometheus.NewDesc("helpdesk_mailbox_connected", "1 while this daemon is logged in to the mailbox.", []string{"mailbox"}, nil)
	descIdle         = prometheus.NewDesc("helpdesk_mailbox_idle", "1 while the mailbox's connection waits in IDLE.", []string{"mailbox"}, nil)
	descScrapeError  = prometheus.NewDesc("helpdesk_database_up", "1 when the database answered this scrape's questions.", nil, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOutboxQueued, descOutboxDue, descOutboxFailed, descOutboxOldest, descSchedLag, descLastRound, descConnected, descIdle, descScrapeError} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	now := c.d.now()
	up := 1.0
	if st, err := c.d.Store.OutboxState(ctx, now); err == nil {
		gauge(descOutboxQueued, float64(st.Queued))
		gauge(descOutboxDue, float64(st.Due))
		gauge(descOutboxFailed, float64(st.Failed))
		age := 0.0
		if !st.OldestQueued.IsZero() {
			age = max(now.Sub(st.OldestQueued).Seconds(), 0)
		}
		gauge(descOutboxOldest, age)
	} else {
		up = 0
	}
	if jobs, err := c.d.Store.Jobs(ctx, now, 1); err == nil {
		lag := 0.0
		if len(jobs) > 0 {
			lag = max(now.Sub(jobs[0].DueAt).Seconds(), 0)
		}
		gauge(descSchedLag, lag)
	} else {
		up = 0
	}
	gauge(descScrapeError, up)
	for name, w := range c.d.watchers.snapshot() {
		st := w.w.Status()
		if !st.LastRound.IsZero() {
			gauge(descLastRound, float64(st.LastRound.UnixNano())/1e9, name)
		}
		gauge(descConnected, boolGauge(st.Connected), name)
		gauge(descIdle, boolGauge(st.Idling), name)
	}
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
