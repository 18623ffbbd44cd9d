package config

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

var (
	tagRE         = regexp.MustCompile(`^[A-Z0-9]{1,10}$`)
	mailboxNameRE = regexp.MustCompile(`^[a-z0-9_-]+$`)
)

// Validate checks the configuration as Load leaves it (defaults applied,
// secrets resolved) and reports every problem at once as a *ValidationError,
// each naming its key: "mailbox[1].imap.port: must be 1-65535". Array entries
// are counted from 0. It returns nil when the configuration is usable, and
// then keeps the triage settings, the matrix and the rules translated into
// the domain's terms for TriageOptions.
func (c *Config) Validate() error {
	var ps problems

	c.Database.validate(&ps)
	if c.Database.MaxOpenConns < 0 {
		ps.add("database.max_open_conns", "must not be negative")
	}

	c.SMTP.validate(&ps)

	if !tagRE.MatchString(c.Tickets.Tag) {
		ps.add("tickets.tag", "must be 1 to 10 of A-Z and 0-9, like \"HD\"")
	}
	if c.Tickets.MaxMessageSize < KiB {
		ps.add("tickets.max_message_size", "must be at least 1KiB")
	}
	if c.Tickets.FirstTicketID < 1 {
		ps.add("tickets.first_ticket_id", "must be at least 1")
	}
	if c.Tickets.MaxParticipantsPerMail < 1 {
		ps.add("tickets.max_participants_per_mail", "must be at least 1")
	}

	s := c.Security
	secretSources(&ps, "security", "secret", s.Secret, s.SecretEnv, s.SecretFile, s.secretResolved)
	switch {
	case countSet(s.Secret, s.SecretEnv, s.SecretFile) == 0:
		ps.add("security.secret", "required (set secret, secret_env or secret_file)")
	case s.Secret != "" && len(s.Secret) < 16:
		ps.add("security.secret", "must be at least 16 bytes")
	}

	if c.Loops.RateLimit < 0 {
		ps.add("loops.rate_limit", "must not be negative (0 turns the limit off)")
	}
	if c.Loops.DomainRateLimit < 0 {
		ps.add("loops.domain_rate_limit", "must not be negative (0 turns the limit off)")
	}
	if c.Loops.SourceRateLimit < 0 {
		ps.add("loops.source_rate_limit", "must not be negative (0 turns the limit off)")
	}
	validateAuthservIDs(&ps, c.Security.TrustedAuthservIDs)
	positive(&ps, "loops.rate_window", c.Loops.RateWindow)
	positive(&ps, "loops.bounce_hold", c.Loops.BounceHold)
	c.validateLifecycle(&ps)
	c.validateHTTP(&ps)
	c.validateWeb(&ps)
	positive(&ps, "outbox.retry_min", c.Outbox.RetryMin)
	if c.Outbox.RetryMax.Duration < c.Outbox.RetryMin.Duration {
		ps.add("outbox.retry_max", "must not be less than outbox.retry_min (%s)", c.Outbox.RetryMin.Duration)
	}
	positive(&ps, "outbox.give_up_after", c.Outbox.GiveUpAfter)
	if c.Outbox.BatchSize < 1 {
		ps.add("outbox.batch_size", "must be at least 1")
	}
	if c.Outbox.Connections < 1 {
		ps.add("outbox.connections", "must be at least 1")
	}

	oneOf(&ps, "log.level", c.Log.Level, "debug", "info", "warn", "error")
	oneOf(&ps, "log.format", c.Log.Format, "text", "json")

	c.validateMailboxes(&ps)
	c.validateStaff(&ps)
	c.validateContacts(&ps)
	c.validateLanguages(&ps)
	c.validateSLA(&ps)

	c.triage = nil
	opts := translateTriage(&ps, c.Triage, c.Priority, c.Rules)
	c.checkRuleStaff(&ps, opts.Rules)
	if err := ps.err(c.Path); err != nil {
		return err
	}
	c.triage = &opts
	return nil
}

// isAuthservID reports whether id can be an authserv-id as the desk
// reads it: an RFC 2045 token (RFC 8601 2.2), in practice the server's
// host name.
func isAuthservID(id string) bool {
	for _, c := range []byte(id) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 {
			return false
		}
	}
	return id != ""
}

func validateAuthservIDs(ps *problems, ids []string) {
	seen := map[string]int{}
	for i, id := range ids {
		key := fmt.Sprintf("security.trusted_authserv_ids[%d]", i)
		switch {
		case id == "":
			ps.add(key, "must not be empty")
		case !isAuthservID(id):
			ps.add(key, "%q is not an authserv-id: write the mail server's name as its Authentication-Results fields start, like \"mx.example.com\"", id)
		default:
			if j, dup := seen[strings.ToLower(id)]; dup {
				ps.add(key, "%q is already trusted_authserv_ids[%d]", id, j)
			} else {
				seen[strings.ToLower(id)] = i
			}
		}
	}
}

// validate checks the driver and the DSN. A PostgreSQL URL may hold a
// password: no message quotes it.
func (d *Database) validate(ps *problems) {
	oneOf(ps, "database.driver", d.Driver, "sqlite", "postgres")
	secretSources(ps, "database", "dsn", d.DSN, d.DSNEnv, d.DSNFile, d.dsnResolved)
	isURL := strings.HasPrefix(d.DSN, "postgres://") || strings.HasPrefix(d.DSN, "postgresql://")
	switch {
	case d.DSN == "" && countSet(d.DSNEnv, d.DSNFile) == 0:
		ps.add("database.dsn", "required (set dsn, dsn_env or dsn_file)")
	case d.DSN == "":
		// dsn_env or dsn_file could not be read: reported there.
	case d.Driver == "postgres" && !isURL:
		ps.add("database.dsn", "must be a PostgreSQL URL like postgres://helpdesk@db.example.com:5432/helpdesk")
	case d.Driver == "postgres":
		if u, err := url.Parse(d.DSN); err != nil || u.Host == "" {
			ps.add("database.dsn", "is not a readable PostgreSQL URL (want postgres://user:password@host:port/database)")
		}
	case d.Driver == "sqlite" && isURL:
		ps.add("database.dsn", `is a PostgreSQL URL: set driver = "postgres" to use it`)
	}
}

func (s *SMTP) validate(ps *problems) {
	if s.Host == "" {
		ps.add("smtp.host", "required")
	}
	port(ps, "smtp.port", s.Port)
	oneOf(ps, "smtp.tls", s.TLS, "none", "starttls", "tls")
	if s.From == "" {
		ps.add("smtp.from", "required, like \"Support <support@example.com>\"")
	} else if a, err := mail.ParseAddress(s.From); err != nil {
		ps.add("smtp.from", "not a valid address (%v)", err)
	} else if !hasDomain(a.Address) {
		ps.add("smtp.from", "address %q has no domain", a.Address)
	}
	secretSources(ps, "smtp", "password", s.Password, s.PasswordEnv, s.PasswordFile, s.passwordResolved)
	hasPassword := countSet(s.Password, s.PasswordEnv, s.PasswordFile) > 0
	if s.Username != "" && !hasPassword {
		ps.add("smtp.password", "required when smtp.username is set (set password, password_env or password_file)")
	}
	if s.Username == "" && hasPassword {
		ps.add("smtp.username", "required when a password is set")
	}
	positive(ps, "smtp.timeout", s.Timeout)
}

func (c *Config) validateMailboxes(ps *problems) {
	if len(c.Mailboxes) == 0 {
		ps.add("mailbox", "at least one [[mailbox]] is required")
		return
	}
	names := map[string]int{}
	addrs := map[string]int{}
	for i, m := range c.Mailboxes {
		key := fmt.Sprintf("mailbox[%d]", i)
		switch {
		case m.Name == "":
			ps.add(key+".name", "required")
		case !mailboxNameRE.MatchString(m.Name):
			ps.add(key+".name", "%q must be made of a-z, 0-9, _ and -", m.Name)
		default:
			if j, dup := names[m.Name]; dup {
				ps.add(key+".name", "%q is already the name of mailbox[%d]", m.Name, j)
			} else {
				names[m.Name] = i
			}
		}

		if m.Address == "" {
			ps.add(key+".address", "required")
		} else if a, err := mail.ParseAddress(m.Address); err != nil || a.Name != "" || !hasDomain(a.Address) {
			ps.add(key+".address", "%q is not a plain address like support@example.com", m.Address)
		} else {
			lower := strings.ToLower(a.Address)
			if j, dup := addrs[lower]; dup {
				ps.add(key+".address", "%q is already the address of mailbox[%d]", m.Address, j)
			} else {
				addrs[lower] = i
			}
		}
		if m.Queue == "" && m.Name != "" {
			ps.add(key+".queue", "required")
		}
		if m.IMAP != nil {
			m.IMAP.validate(ps, key+".imap")
		}
	}
}

func (im *IMAP) validate(ps *problems, key string) {
	if im.Host == "" {
		ps.add(key+".host", "required")
	}
	port(ps, key+".port", im.Port)
	oneOf(ps, key+".tls", im.TLS, "tls", "starttls", "none")
	if im.Username == "" {
		ps.add(key+".username", "required")
	}
	oneOf(ps, key+".auth", im.Auth, "plain", "xoauth2", "oauthbearer")
	secretSources(ps, key, "password", im.Password, im.PasswordEnv, im.PasswordFile, im.passwordResolved)
	switch im.Auth {
	case "plain":
		if countSet(im.Password, im.PasswordEnv, im.PasswordFile) == 0 {
			ps.add(key+".password", "required for auth \"plain\" (set password, password_env or password_file)")
		}
	case "xoauth2", "oauthbearer":
		if len(im.TokenCommand) == 0 || im.TokenCommand[0] == "" {
			ps.add(key+".token_command", "required for auth %q (the command that prints an access token)", im.Auth)
		}
	}
	if im.Folder == "" {
		ps.add(key+".folder", "required")
	}
	if im.ProcessedFolder != "" && im.ProcessedFolder == im.Folder {
		ps.add(key+".processed_folder", "must differ from folder %q", im.Folder)
	}
	if im.PollInterval.Duration < time.Second {
		ps.add(key+".poll_interval", "must be at least 1s")
	}
	if im.BatchSize < 1 {
		ps.add(key+".batch_size", "must be at least 1")
	}
}

// secretSources reports a secret given by more than one of its three keys.
// A value filled by Load from *_env or *_file does not count as set by hand.
func secretSources(ps *problems, section, name, value, env, file string, resolved bool) {
	if resolved {
		value = ""
	}
	if countSet(value, env, file) > 1 {
		ps.add(section+"."+name, "set only one of %s, %s_env, %s_file", name, name, name)
	}
}

func oneOf(ps *problems, key, v string, allowed ...string) {
	if !slices.Contains(allowed, v) {
		ps.add(key, "%q must be one of %s", v, strings.Join(allowed, ", "))
	}
}

func port(ps *problems, key string, p int) {
	if p < 1 || p > 65535 {
		ps.add(key, "must be 1-65535")
	}
}

func positive(ps *problems, key string, d Duration) {
	if d.Duration <= 0 {
		ps.add(key, "must be more than 0s")
	}
}

// hasDomain reports whether addr has a local part and a domain.
func hasDomain(addr string) bool {
	at := strings.LastIndexByte(addr, '@')
	return at > 0 && at < len(addr)-1
}
