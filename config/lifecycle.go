package config

// Lifecycle holds the time limits of a ticket's life after an answer.
type Lifecycle struct {
	// ReopenWindow is how long after a ticket was closed a customer's
	// reply reopens it; after it, the reply opens a new ticket linked to
	// the old one. Default "14d".
	ReopenWindow Duration `toml:"reopen_window"`
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

func (c *Config) validateLifecycle(ps *problems) {
	positive(ps, "lifecycle.reopen_window", c.Lifecycle.ReopenWindow)
}
