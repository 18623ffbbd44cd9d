package desk

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// outboxStuckAfter is how long a mail may be due on the outbox, unsent
// and unclaimed, before the daemon calls itself not ready: the sender
// takes due mail within seconds, so minutes mean it is not working.
const outboxStuckAfter = 10 * time.Minute

// Ready lists what keeps the daemon from doing its job now; none when it
// is ready. The database must answer; each IMAP mailbox this daemon reads
// must have been searched within three poll intervals (a daemon that waits
// for another's lease reads none); and no outgoing mail may have been due
// for outboxStuckAfter.
func (d *Desk) Ready(ctx context.Context) []string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var problems []string
	if err := d.Store.DB().PingContext(ctx); err != nil {
		return []string{fmt.Sprintf("database: %v", err)}
	}
	now := time.Now()
	for name, w := range d.watchers.snapshot() {
		st := w.w.Status()
		last := st.LastRound
		if last.IsZero() {
			last = w.started
		}
		if limit := 3 * w.poll; now.Sub(last) > limit {
			why := "not searched"
			if st.LastError != "" {
				why = "last error: " + st.LastError
			}
			problems = append(problems, fmt.Sprintf("mailbox %s: not polled for %s (limit %s; %s)",
				name, now.Sub(last).Round(time.Second), limit, why))
		}
	}
	slices.Sort(problems)
	next, err := d.Store.OutboxNextDue(ctx)
	switch {
	case err != nil:
		problems = append(problems, fmt.Sprintf("outbox: %v", err))
	case !next.IsZero() && d.now().Sub(next) > outboxStuckAfter:
		problems = append(problems, fmt.Sprintf("outbox: a mail has been due since %s and is not sent",
			next.UTC().Format(time.RFC3339)))
	}
	return problems
}

// HealthHandler answers /healthz: 200 while the process serves requests.
func (d *Desk) HealthHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprintln(w, "ok")
	})
}

// ReadyHandler answers /readyz: 200 "ready", or 503 with one line per
// problem (see Ready).
func (d *Desk) ReadyHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if problems := d.Ready(r.Context()); len(problems) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, strings.Join(problems, "\n"))
			return
		}
		fmt.Fprintln(w, "ready")
	})
}
