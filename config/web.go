package config

import "time"

// Web is the customer's web side: the form that opens a ticket
// (base_url/new) and each ticket's page (base_url/t/...), which every
// mail to the customer links. It needs http.listen and http.base_url.
type Web struct {
	// NewTicket serves the form at base_url/new (default true when the
	// web server runs).
	NewTicket *bool `toml:"new_ticket"`
	// Mailbox is the mailbox a web ticket comes in through, as if mailed
	// to its address: its queue, and its address as the sender of the
	// desk's mail (default: the first [[mailbox]]).
	Mailbox string `toml:"mailbox"`
	// MaxUpload bounds the form's request and a reply on a ticket's page,
	// attachments included (default "10MB"); every other page keeps its
	// 64 KiB. A web ticket is
	// stored as a mail: tickets.max_message_size bounds it too.
	MaxUpload Size `toml:"max_upload"`
	// PerAddress and PerSource are the most tickets one address, and one
	// client IP, may open on the form per RateWindow (defaults 5 and 20);
	// 0 turns a limit off. Beyond them the form answers 429.
	PerAddress int `toml:"per_address"`
	PerSource  int `toml:"per_source"`
	// RateWindow is the span the limits count in (default "1h").
	RateWindow Duration `toml:"rate_window"`
	// UnverifiedFor is how long a web ticket waits for its customer to
	// confirm the address (by replying to the acknowledgement or on the
	// ticket's page) before it is closed unanswered (default "7d").
	UnverifiedFor Duration `toml:"unverified_for"`
	// TrustProxy takes the client's IP from the last X-Forwarded-For
	// address of the request, whoever connects: one reverse proxy in
	// front, and nothing but it can reach the server. With several, or
	// where others can connect, name them in http.trusted_proxies
	// instead. Off, the connection's address counts (default false).
	TrustProxy bool `toml:"trust_proxy"`
}

// DefaultWeb is Web's defaults.
func DefaultWeb() Web {
	return Web{MaxUpload: 10 * MiB, PerAddress: 5, PerSource: 20, RateWindow: Duration{time.Hour},
		UnverifiedFor: Duration{7 * 24 * time.Hour}}
}

// UploadLimit is the most bytes the form's request may carry: MaxUpload,
// and never more than tickets.max_message_size.
func (c *Config) UploadLimit() int64 { return int64(min(c.Web.MaxUpload, c.Tickets.MaxMessageSize)) }

// NewTicketForm reports whether the form at base_url/new is served.
func (w *Web) NewTicketForm() bool { return w.NewTicket == nil || *w.NewTicket }

// WebMailbox is the mailbox web tickets come in through.
func (c *Config) WebMailbox() string {
	if c.Web.Mailbox != "" || len(c.Mailboxes) == 0 {
		return c.Web.Mailbox
	}
	return c.Mailboxes[0].Name
}

func (c *Config) validateWeb(ps *problems) {
	w := &c.Web
	if w.Mailbox != "" && c.Mailbox(w.Mailbox) == nil {
		ps.add("web.mailbox", "no [[mailbox]] is named %q", w.Mailbox)
	}
	if w.MaxUpload <= 0 {
		ps.add("web.max_upload", "must be more than 0, like \"10MB\"")
	}
	if w.PerAddress < 0 {
		ps.add("web.per_address", "must be 0 (off) or more")
	}
	if w.PerSource < 0 {
		ps.add("web.per_source", "must be 0 (off) or more")
	}
	if w.RateWindow.Duration <= 0 {
		ps.add("web.rate_window", "must be more than 0, like \"1h\"")
	}
	if w.UnverifiedFor.Duration <= 0 {
		ps.add("web.unverified_for", "must be more than 0, like \"7d\"")
	}
}
