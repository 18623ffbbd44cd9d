// Package config owns the help desk's configuration: one TOML file turned into
// plain, validated structs that the other packages receive.
//
// [Load] applies the defaults of [Default], then the file, then the secrets named
// by the *_env and *_file keys, then [Config.Validate]. Every problem is reported
// at once, each naming the file, the line where one is known, and the key:
//
//	helpdesk.toml:7: smtp.pasword: unknown key (did you mean password?)
//	helpdesk.toml:9: smtp.port: must be a whole number, not a string
//	helpdesk.toml:31: mailbox[1].imap.port: must be 1-65535
//	helpdesk.toml: security.secret: required (set secret, secret_env or secret_file)
//
// in the order of the file, a key the file lacks at the line of its table, or
// last when the table is missing too. A syntax error stops the reading, so it
// is reported alone. Array entries are counted from 0, as in mailbox[0] for the
// first [[mailbox]].
//
// Secrets (passwords, the signing secret) never appear in an error message, in
// [Config.String], or in a log line built from them.
//
// Relative paths (database.dsn, templates.dir, *_file) are used as written, that
// is relative to the daemon's working directory.
//
// The triage settings, the priority matrix and the rules are the file's form
// of the domain's types: [Config.Validate] translates them into package
// tickets/triage's once, compiling each regex once, and
// [Config.TriageOptions] hands them out. Config depends on the domain, never
// the other way round.
package config

import (
	"bytes"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"helpdesk/tickets"
	"helpdesk/tickets/triage"
)

// Config is the whole configuration of one help desk.
type Config struct {
	// Path is the file the configuration was loaded from; "" when it came from Parse.
	Path string `toml:"-"`
	// Database says where tickets are stored.
	Database Database `toml:"database"`
	// SMTP is the server every outgoing mail is handed to.
	SMTP SMTP `toml:"smtp"`
	// Tickets holds the ticket numbering and size limits.
	Tickets Tickets `toml:"tickets"`
	// Security holds the secret that signs reply tokens and the mail
	// servers whose sender checks the desk trusts.
	Security Security `toml:"security"`
	// Templates says where the admin's mail templates live.
	Templates Templates `toml:"templates"`
	// Outbox tunes the delivery of outgoing mail.
	Outbox Outbox `toml:"outbox"`
	// Log sets the level and format of the daemon's log.
	Log Log `toml:"log"`
	// Mailboxes are the support addresses the desk answers; at least one.
	Mailboxes []Mailbox `toml:"mailbox"`
	// Triage holds spam detection, header urgency and duplicate merging.
	Triage Triage `toml:"triage"`
	// Priority is the impact × urgency matrix.
	Priority Priority `toml:"priority"`
	// Rules sort new tickets, in the order of the file; none by default.
	Rules []Rule `toml:"rule"`
	// Loops bounds the automatic mail the desk sends to any one address.
	Loops Loops `toml:"loops"`
	// Agents work tickets from their mail client; none by default.
	Agents []Agent `toml:"agent"`
	// Queues hold the settings of queues (assignment, escalation); a
	// queue that only a mailbox names needs none.
	Queues []Queue `toml:"queue"`
	// Contacts are the outside parties (vendors) agents escalate tickets
	// to by name with #escalate; none by default.
	Contacts []Contact `toml:"contact"`
	// Lifecycle holds the reopen window, pending reminders and auto-close.
	Lifecycle Lifecycle `toml:"lifecycle"`
	// Notify turns each status mail to the customer on or off.
	Notify Notify `toml:"notify"`
	// CSAT is the satisfaction survey sent when a ticket is closed.
	CSAT CSAT `toml:"csat"`
	// HTTP is the daemon's web server, for the pages links in mails open.
	HTTP HTTP `toml:"http"`
	// Web is the customer's web side: the new ticket form and each
	// ticket's page.
	Web Web `toml:"web"`
	// Calendars are the working hours SLA clocks count in; the 24x7
	// calendar always exists.
	Calendars []Calendar `toml:"calendar"`
	// SLA holds the targets by priority, the default calendar and warnings.
	SLA SLA `toml:"sla"`

	// sla is the SLA settings in the domain's terms (see SLAPolicy).
	sla *tickets.SLAPolicy

	// triage is Triage, Priority and Rules in the domain's terms, as the
	// last Validate that found no problem translated them.
	triage *triage.Options
}

// Loops bounds the automatic mail (acknowledgements, notices; not agents'
// replies) the desk sends, so that it never keeps a conversation going with
// a robot that answers everything.
type Loops struct {
	// RateLimit is the most automatic mails one address gets per RateWindow,
	// counted per mailbox (victim+1@ and victim+2@ are victim@; Gmail
	// ignores dots); default 5, 0 turns the limit off.
	RateLimit int `toml:"rate_limit"`
	// DomainRateLimit is the most automatic mails per RateWindow to
	// addresses of one domain (its organizational domain) that are not
	// verified by security.trusted_authserv_ids; default 100, 0 turns the
	// limit off.
	DomainRateLimit int `toml:"domain_rate_limit"`
	// SourceRateLimit is the most automatic mails per RateWindow to
	// unverified addresses in answer to mail from one source: the host that
	// handed the mail to the receiving mail system, as its Received field
	// names it (an IPv6 address by its /64); default 100, 0 turns the limit off.
	SourceRateLimit int `toml:"source_rate_limit"`
	// RateWindow is the window of RateLimit; default "1h".
	RateWindow Duration `toml:"rate_window"`
	// BounceHold is how long an address whose mail bounced gets no automatic
	// mail; default "24h".
	BounceHold Duration `toml:"bounce_hold"`
}

// Database says where tickets are stored.
type Database struct {
	// Driver is "sqlite" (the default: one file, one machine) or
	// "postgres" (a PostgreSQL server, for desks that outgrow one machine).
	Driver string `toml:"driver"`
	// DSN is, for sqlite, the file name (default "helpdesk.db"); for
	// postgres, a URL: "postgres://helpdesk@db.example.com:5432/helpdesk".
	// A URL with a password is a secret: set at most one of DSN, DSNEnv,
	// DSNFile. (Without a password in the URL, the driver reads
	// $PGPASSWORD or ~/.pgpass, as psql does.)
	DSN string `toml:"dsn"`
	// DSNEnv names an environment variable holding the DSN.
	DSNEnv string `toml:"dsn_env"`
	// DSNFile names a file holding the DSN (a trailing newline is trimmed).
	DSNFile string `toml:"dsn_file"`
	// MaxOpenConns caps the open connections; 0 (the default) lets the
	// store choose: no cap for sqlite, 10 for postgres.
	MaxOpenConns int `toml:"max_open_conns"`

	dsnResolved bool // DSN was filled from DSNEnv or DSNFile
}

// Name is the database for messages and logs: the SQLite file, or the
// PostgreSQL URL without its password.
func (d Database) Name() string {
	if d.Driver != "postgres" {
		return d.DSN
	}
	return redactURL(d.DSN, "")
}

// SMTP is the server every outgoing mail is handed to.
type SMTP struct {
	// Host is the SMTP server's host name or address; default "localhost".
	Host string `toml:"host"`
	// Port is the SMTP server's port; 0 (the default) means 587 for starttls,
	// 465 for tls and 25 for none.
	Port int `toml:"port"`
	// TLS is "starttls" (the default), "tls" (implicit TLS) or "none".
	TLS string `toml:"tls"`
	// From is the sender of the desk's mail, "Support <support@example.com>"; required.
	From string `toml:"from"`
	// Username for SMTP AUTH; "" sends without authenticating.
	Username string `toml:"username"`
	// Password for SMTP AUTH. Set at most one of Password, PasswordEnv, PasswordFile.
	Password string `toml:"password"`
	// PasswordEnv names an environment variable holding the password.
	PasswordEnv string `toml:"password_env"`
	// PasswordFile names a file holding the password (a trailing newline is trimmed).
	PasswordFile string `toml:"password_file"`
	// HELO is the name sent in EHLO; "" means the local host name.
	HELO string `toml:"helo"`
	// Timeout bounds one SMTP conversation; default 30s.
	Timeout Duration `toml:"timeout"`
	// InsecureSkipVerify accepts any TLS certificate; for tests only. Default false.
	InsecureSkipVerify bool `toml:"insecure_skip_verify"`

	passwordResolved bool // Password was filled from PasswordEnv or PasswordFile
}

// FromAddress returns the display name and the e-mail address of From; both are
// "" when From does not parse (Validate reports that).
func (s SMTP) FromAddress() (name, email string) {
	a, err := mail.ParseAddress(s.From)
	if err != nil {
		return "", ""
	}
	return a.Name, a.Address
}

// Tickets holds the ticket numbering and size limits.
type Tickets struct {
	// Tag is the subject tag, "HD" for [HD#1042]; 1 to 10 of A-Z and 0-9. Default "HD".
	Tag string `toml:"tag"`
	// MaxMessageSize is the largest mail accepted ("25MiB", "10MB" or bytes); default 25MiB.
	MaxMessageSize Size `toml:"max_message_size"`
	// FirstTicketID is the number of the first ticket; default 1000.
	FirstTicketID int64 `toml:"first_ticket_id"`
	// MaxParticipantsPerMail is how many people in To and Cc one mail may
	// add to a ticket; the others are named in one event. Default 50.
	MaxParticipantsPerMail int `toml:"max_participants_per_mail"`
}

// Security holds the secret that signs reply tokens and the mail servers
// whose sender checks the desk trusts.
type Security struct {
	// Secret signs reply tokens; at least 16 bytes. Set exactly one of Secret,
	// SecretEnv, SecretFile.
	Secret string `toml:"secret"`
	// SecretEnv names an environment variable holding the secret.
	SecretEnv string `toml:"secret_env"`
	// SecretFile names a file holding the secret (a trailing newline is trimmed).
	SecretFile string `toml:"secret_file"`
	// TrustedAuthservIDs names the mail servers whose Authentication-Results
	// fields (RFC 8601) the desk believes, by their authserv-id, e.g.
	// ["mx.example.com"]. When set, a mail is answered automatically only at
	// an address whose domain passed DMARC there (or, without a DMARC
	// result, DKIM or SPF aligned with it); other mail still becomes a
	// ticket, marked sender_verified false. Empty (the default): no check,
	// every sender is answered at the address it gives.
	TrustedAuthservIDs []string `toml:"trusted_authserv_ids"`

	secretResolved bool // Secret was filled from SecretEnv or SecretFile
}

// Templates says where the admin's mail templates live.
type Templates struct {
	// Dir holds templates that override the embedded defaults file by file;
	// "" (the default) uses the embedded defaults only.
	Dir string `toml:"dir"`
	// DefaultLanguage is the language of mail to a customer whose language
	// is not known, and of the files at the top of Dir; default "en".
	DefaultLanguage string `toml:"default_language"`
	// Languages are languages besides the shipped ones (en, de, fr, es)
	// that Dir has translations for, ["it"]; default none.
	Languages []string `toml:"languages"`
}

// Outbox tunes the delivery of outgoing mail.
type Outbox struct {
	// RetryMin is the wait before the first retry; default 1m.
	RetryMin Duration `toml:"retry_min"`
	// RetryMax caps the wait between retries; default 1h.
	RetryMax Duration `toml:"retry_max"`
	// GiveUpAfter is how long a mail is retried before it is given up; default 48h.
	GiveUpAfter Duration `toml:"give_up_after"`
	// BatchSize is how many outbox rows one pass takes; default 100.
	BatchSize int `toml:"batch_size"`
	// Connections is how many SMTP connections the sender uses at once
	// when the outbox is deep; mails to one address keep their order,
	// over one connection. Default 2.
	Connections int `toml:"connections"`
}

// Log sets the level and format of the daemon's log.
type Log struct {
	// Level is debug, info (the default), warn or error.
	Level string `toml:"level"`
	// Format is text (the default) or json.
	Format string `toml:"format"`
}

// Mailbox is one support address.
type Mailbox struct {
	// Name identifies the mailbox (helpdesk ingest --mailbox NAME); [a-z0-9_-]+, unique.
	Name string `toml:"name"`
	// Address is the support address customers write to, "support@example.com"; unique.
	Address string `toml:"address"`
	// Queue receives the tickets opened through this mailbox; default the mailbox name.
	Queue string `toml:"queue"`
	// IMAP is the server the daemon polls; nil when the mailbox is fed only by
	// `helpdesk ingest` from an MTA pipe.
	IMAP *IMAP `toml:"imap"`
}

// IMAP is the server a mailbox is read from.
type IMAP struct {
	// Host is the IMAP server's host name or address; required.
	Host string `toml:"host"`
	// Port is the IMAP server's port; 0 (the default) means 993 for tls, 143 otherwise.
	Port int `toml:"port"`
	// TLS is "tls" (the default, implicit TLS), "starttls" or "none".
	TLS string `toml:"tls"`
	// Username to log in with; required.
	Username string `toml:"username"`
	// Password for plain authentication. Set exactly one of Password,
	// PasswordEnv, PasswordFile when Auth is plain.
	Password string `toml:"password"`
	// PasswordEnv names an environment variable holding the password.
	PasswordEnv string `toml:"password_env"`
	// PasswordFile names a file holding the password (a trailing newline is trimmed).
	PasswordFile string `toml:"password_file"`
	// Auth is "plain" (the default: LOGIN or AUTHENTICATE PLAIN), "xoauth2" or "oauthbearer".
	Auth string `toml:"auth"`
	// TokenCommand is, for xoauth2 and oauthbearer, the argv of a command that
	// prints an access token on its standard output.
	TokenCommand []string `toml:"token_command"`
	// Folder is the folder new mail is read from; default "INBOX".
	Folder string `toml:"folder"`
	// ProcessedFolder receives mail once recorded; "" (the default) flags it \Seen instead.
	ProcessedFolder string `toml:"processed_folder"`
	// PollInterval is the time between two polls; default 30s.
	PollInterval Duration `toml:"poll_interval"`
	// IDLE waits for new mail with IMAP IDLE between polls when the server
	// supports it; default true. Load always leaves it non-nil; read it with UseIDLE.
	IDLE *bool `toml:"idle"`
	// BatchSize is how many mails one poll fetches at most; default 200.
	BatchSize int `toml:"batch_size"`
	// InsecureSkipVerify accepts any TLS certificate; for tests only. Default false.
	InsecureSkipVerify bool `toml:"insecure_skip_verify"`

	passwordResolved bool // Password was filled from PasswordEnv or PasswordFile
}

// UseIDLE reports whether IMAP IDLE is wanted; true when IDLE is unset.
func (i *IMAP) UseIDLE() bool {
	return i.IDLE == nil || *i.IDLE
}

// Default returns the configuration used for every key the file does not set.
// It has no mailbox and no secret, so it does not pass Validate by itself.
func Default() *Config {
	return &Config{
		Database: Database{Driver: "sqlite", DSN: "helpdesk.db"},
		SMTP: SMTP{
			Host:    "localhost",
			TLS:     "starttls",
			Timeout: Duration{30 * time.Second},
		},
		Tickets: Tickets{
			Tag:            "HD",
			MaxMessageSize: 25 * MiB,
			FirstTicketID:  1000,

			MaxParticipantsPerMail: 50,
		},
		Outbox: Outbox{
			RetryMin:    Duration{time.Minute},
			RetryMax:    Duration{time.Hour},
			GiveUpAfter: Duration{48 * time.Hour},
			BatchSize:   100,
			Connections: 2,
		},
		Log:      Log{Level: "info", Format: "text"},
		Triage:   defaultTriage(),
		Priority: DefaultPriority(),
		Loops: Loops{RateLimit: 5, DomainRateLimit: 100, SourceRateLimit: 100,
			RateWindow: Duration{time.Hour}, BounceHold: Duration{24 * time.Hour}},
		Lifecycle: Lifecycle{ReopenWindow: Duration{14 * 24 * time.Hour}, PendingReminderAfter: Duration{3 * 24 * time.Hour},
			PendingResolveAfter: Duration{7 * 24 * time.Hour}, AutoCloseAfter: Duration{3 * 24 * time.Hour},
			VendorReminderAfter: Duration{3 * 24 * time.Hour}},
		Notify: Notify{Resolved: true, Closed: true, Merged: true},
		CSAT:   CSAT{Enabled: true, LinkValidFor: Duration{30 * 24 * time.Hour}},
		SLA:    defaultSLA(),
		Web:    DefaultWeb(),
	}
}

// fillDerived sets the defaults that depend on other keys or live in array
// entries, which Default cannot hold.
func (c *Config) fillDerived() {
	if c.Database.DSN == Default().Database.DSN && (c.Database.DSNEnv != "" || c.Database.DSNFile != "") {
		c.Database.DSN = "" // the default file name yields to the DSN given elsewhere
	}
	if c.SMTP.Port == 0 {
		switch c.SMTP.TLS {
		case "tls":
			c.SMTP.Port = 465
		case "none":
			c.SMTP.Port = 25
		default:
			c.SMTP.Port = 587
		}
	}
	for i := range c.Rules {
		if c.Rules[i].Match == "" {
			c.Rules[i].Match = "all"
		}
	}
	for i := range c.Mailboxes {
		m := &c.Mailboxes[i]
		if m.Queue == "" {
			m.Queue = m.Name
		}
		if im := m.IMAP; im != nil && im.Port == 0 {
			im.Port = 143
			if im.TLS == "tls" {
				im.Port = 993
			}
		}
	}
}

// setDefaults fills the keys that a [mailbox.imap] table does not set; the
// port, which follows tls, is left to fillDerived.
func (im *IMAP) setDefaults() {
	idle := true
	*im = IMAP{
		TLS:          "tls",
		Auth:         "plain",
		Folder:       "INBOX",
		PollInterval: Duration{30 * time.Second},
		IDLE:         &idle,
		BatchSize:    200,
	}
}

// Mailbox returns the mailbox with the given name, or nil.
func (c *Config) Mailbox(name string) *Mailbox {
	for i := range c.Mailboxes {
		if c.Mailboxes[i].Name == name {
			return &c.Mailboxes[i]
		}
	}
	return nil
}

const redacted = "(redacted)"

// String renders the configuration as TOML with every secret replaced by
// "(redacted)", for `helpdesk config show` and debug logs.
func (c *Config) String() string {
	r := *c
	if r.Database.Driver == "postgres" {
		r.Database.DSN = redactURL(r.Database.DSN, redacted)
	}
	if r.SMTP.Password != "" {
		r.SMTP.Password = redacted
	}
	if r.Security.Secret != "" {
		r.Security.Secret = redacted
	}
	if len(c.HTTP.AdminUsers) > 0 {
		r.HTTP.AdminUsers = map[string]string{}
		for name := range c.HTTP.AdminUsers {
			r.HTTP.AdminUsers[name] = redacted
		}
	}
	r.Mailboxes = make([]Mailbox, len(c.Mailboxes))
	copy(r.Mailboxes, c.Mailboxes)
	for i := range r.Mailboxes {
		if im := r.Mailboxes[i].IMAP; im != nil {
			cp := *im
			if cp.Password != "" {
				cp.Password = redacted
			}
			r.Mailboxes[i].IMAP = &cp
		}
	}
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(r); err != nil {
		return "config: " + err.Error()
	}
	return strings.TrimRight(b.String(), "\n")
}

// redactURL returns the URL dsn with its password (in the user part or a
// password parameter) replaced by with, or left out when with is "".
// A DSN that does not parse is replaced whole: it may be all secret.
func redactURL(dsn, with string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unreadable URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has && with != "" {
			u.User = url.UserPassword(u.User.Username(), with)
		} else {
			u.User = url.User(u.User.Username())
		}
	}
	if q := u.Query(); q.Has("password") {
		if with != "" {
			q.Set("password", with)
		} else {
			q.Del("password")
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}
