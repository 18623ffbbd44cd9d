package config

// Lifecycle holds the time limits of a ticket's life after an answer.
type Lifecycle struct {
	// ReopenWindow is how long after a ticket was closed a customer's
	// reply reopens it; after it, the reply opens a new ticket linked to
	// the old one. Default "14d".
	ReopenWindow Duration `toml:"reopen_window"`
	// PendingReminderAfter: a pending ticket (waiting on the customer)
	// gets one reminder after this long. Default "3d".
	PendingReminderAfter Duration `toml:"pending_reminder_after"`
	// PendingResolveAfter: a pending ticket still silent this long is
	// resolved, with a note saying why; more than PendingReminderAfter.
	// Default "7d".
	PendingResolveAfter Duration `toml:"pending_resolve_after"`
	// AutoCloseAfter: a resolved ticket silent this long is closed.
	// Default "3d".
	AutoCloseAfter Duration `toml:"auto_close_after"`
	// VendorReminderAfter: the agents of a ticket that has waited on a
	// vendor this long since the last mail to a vendor get one reminder
	// (agent_vendor_waiting). Default "3d".
	VendorReminderAfter Duration `toml:"vendor_reminder_after"`
}

// Notify turns each status mail to the customer on or off.
type Notify struct {
	// Resolved sends the "resolved" template when a ticket is resolved
	// ("just reply if it is not fixed"); default true.
	Resolved bool `toml:"resolved"`
	// Pending sends the "pending" template when a ticket waits on the
	// customer; default false (an agent's answer usually says so).
	Pending bool `toml:"pending"`
	// Closed sends the "closed" template when a ticket is closed; default true.
	Closed bool `toml:"closed"`
	// Merged sends the "merged" template when a ticket is merged into
	// another; default true.
	Merged bool `toml:"merged"`
}

// CSAT is the satisfaction survey.
type CSAT struct {
	// Enabled sends the requester of a closed ticket (not spam, not
	// merged) one survey, answered by a digit 1-5 on the first line of a
	// reply; default true.
	Enabled bool `toml:"enabled"`
	// LinkValidFor is how long the survey's rating links (with
	// http.base_url) work after the survey was sent; default "30d".
	LinkValidFor Duration `toml:"link_valid_for"`
}

func (c *Config) validateLifecycle(ps *problems) {
	l := c.Lifecycle
	positive(ps, "lifecycle.reopen_window", l.ReopenWindow)
	positive(ps, "lifecycle.pending_reminder_after", l.PendingReminderAfter)
	positive(ps, "lifecycle.pending_resolve_after", l.PendingResolveAfter)
	positive(ps, "lifecycle.auto_close_after", l.AutoCloseAfter)
	positive(ps, "lifecycle.vendor_reminder_after", l.VendorReminderAfter)
	positive(ps, "csat.link_valid_for", c.CSAT.LinkValidFor)
	if l.PendingReminderAfter.Duration > 0 && l.PendingResolveAfter.Duration <= l.PendingReminderAfter.Duration {
		ps.add("lifecycle.pending_resolve_after", "must be more than lifecycle.pending_reminder_after (%s)", l.PendingReminderAfter.Duration)
	}
}
