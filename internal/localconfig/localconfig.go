// Package localconfig writes the configuration file of a desk on local
// servers: SQLite, an SMTP server on 127.0.0.1 spoken without TLS, and the
// mailbox "support", read from an IMAP server on 127.0.0.1 or fed by
// `helpdesk ingest`. The tests, the benchmarks and the demo build their
// desks with it, and the tests share its triage rules, [TriageRules].
package localconfig

import (
	"fmt"
	"strings"
)

// Options describe the desk. Every field but DSN and SMTPPort may be left zero.
type Options struct {
	// DSN is the database: a SQLite file, or a PostgreSQL URL
	// (postgres:// or postgresql://), which selects that driver.
	DSN string
	// SMTPPort is the port of the SMTP server on 127.0.0.1.
	SMTPPort int
	// From is the sender of the desk's mail; default
	// "Example Support <support@example.com>".
	From string
	// Secret signs reply tokens; default a fixed secret for tests. When
	// SecretEnv or SecretFile is set, the file names that environment
	// variable or file instead.
	Secret, SecretEnv, SecretFile string
	// Address is the support mailbox's address; default "support@example.com".
	Address string
	// Queue is the support mailbox's queue; default "general".
	Queue string
	// IMAP, when set, is the IMAP server the support mailbox is read from;
	// nil leaves the mailbox to `helpdesk ingest`.
	IMAP *IMAP
	// Extra is TOML written after the support mailbox (after its
	// [mailbox.imap], whose keys it may continue): more mailboxes, tables
	// such as [triage], rules.
	Extra string
}

// IMAP is the IMAP server on 127.0.0.1 that the support mailbox is read
// from, without TLS.
type IMAP struct {
	// Port is the server's port.
	Port int
	// Username is the account; default "support".
	Username string
	// Password is the account's password.
	Password string
	// PollInterval is the time between two polls; default "1s".
	PollInterval string
}

// DefaultSecret is the secret of Options.Secret left empty.
const DefaultSecret = "test secret, long enough to sign tokens"

// TOML returns the configuration file described by o.
func TOML(o Options) string {
	var b strings.Builder
	fmt.Fprintf(&b, `
[database]
driver = %q
dsn = %q
[smtp]
host = "127.0.0.1"
port = %d
tls = "none"
from = %q
[tickets]
tag = "HD"
[security]
`, driverOf(o.DSN), o.DSN, o.SMTPPort, or(o.From, "Example Support <support@example.com>"))
	switch {
	case o.SecretEnv != "":
		fmt.Fprintf(&b, "secret_env = %q\n", o.SecretEnv)
	case o.SecretFile != "":
		fmt.Fprintf(&b, "secret_file = %q\n", o.SecretFile)
	default:
		fmt.Fprintf(&b, "secret = %q\n", or(o.Secret, DefaultSecret))
	}
	fmt.Fprintf(&b, `[[mailbox]]
name = "support"
address = %q
queue = %q
`, or(o.Address, "support@example.com"), or(o.Queue, "general"))
	if im := o.IMAP; im != nil {
		fmt.Fprintf(&b, `  [mailbox.imap]
  host = "127.0.0.1"
  port = %d
  tls = "none"
  username = %q
  password = %q
  poll_interval = %q
`, im.Port, or(im.Username, "support"), im.Password, or(im.PollInterval, "1s"))
	}
	b.WriteString(o.Extra)
	return b.String()
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// TriageRules are the triage settings and rules the tests share, to be
// appended to a configuration as Options.Extra: header urgency on, the
// domain spammer.example blocked, duplicates merged within 10 minutes, the
// queues vip and billing, the agent Ann Agent <ann@example.com> (in no
// queue: only the rules give her tickets), and five rules:
//
//   - "vip customers": mail from bigcorp.example goes to the vip queue,
//     tagged vip, at impact high;
//   - "urgent in subject": "urgent" in the subject sets urgency high;
//   - "invoices": the word "invoice" in the subject goes to the billing
//     queue, category invoice, assigned to ann@example.com;
//   - "crypto spam": "bitcoin" or "crypto giveaway" in the body is spam, and
//     no later rule is tried;
//   - "monitoring alerts": a mail with an X-Alert header is tagged alert and
//     not acknowledged.
const TriageRules = `
[triage]
header_urgency = true
block = ["@spammer.example"]
duplicate_window = "10m"

[[queue]]
name = "vip"
[[queue]]
name = "billing"

[[agent]]
name = "Ann Agent"
email = "ann@example.com"

[[rule]]
name = "vip customers"
  [[rule.when]]
  field = "from_domain"
  op = "domain"
  value = "bigcorp.example"
  [rule.then]
  queue = "vip"
  tags = ["vip"]
  impact = "high"

[[rule]]
name = "urgent in subject"
  [[rule.when]]
  field = "subject"
  op = "contains"
  value = "urgent"
  [rule.then]
  urgency = "high"

[[rule]]
name = "invoices"
  [[rule.when]]
  field = "subject"
  op = "regex"
  value = '\binvoice\b'
  [rule.then]
  queue = "billing"
  category = "invoice"
  assignee = "ann@example.com"

[[rule]]
name = "crypto spam"
stop = true
  [[rule.when]]
  field = "body"
  op = "regex"
  value = '(?i)bitcoin|crypto giveaway'
  [rule.then]
  spam = true

[[rule]]
name = "monitoring alerts"
  [[rule.when]]
  field = "header"
  header = "X-Alert"
  op = "exists"
  [rule.then]
  acknowledge = false
  tags = ["alert"]
`

// driverOf names the database driver of dsn.
func driverOf(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return "postgres"
	}
	return "sqlite"
}
