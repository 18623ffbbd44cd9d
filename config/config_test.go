package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"
)

const testSecret = "0123456789abcdef0123456789abcdef"

// minimum is the smallest configuration the daemon accepts, as the acceptance
// tests write it.
const minimum = `[database]
driver = "sqlite"
dsn = "/var/lib/helpdesk/helpdesk.db"
[smtp]
host = "127.0.0.1"
port = 587
tls = "none"
from = "Support <support@example.com>"
[tickets]
tag = "HD"
[security]
secret = "` + testSecret + `"
[[mailbox]]
name = "support"
address = "support@example.com"
queue = "general"
  [mailbox.imap]
  host = "imap.example.com"
  port = 993
  tls = "tls"
  username = "support"
  password = "imap-password-1"
  folder = "INBOX"
  poll_interval = "30s"
`

func mustParse(t *testing.T, data string) *Config {
	t.Helper()
	c, err := Parse([]byte(data), "helpdesk.toml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

// parseErr parses data, which must fail, and returns the error text.
func parseErr(t *testing.T, data string) string {
	t.Helper()
	c, err := Parse([]byte(data), "helpdesk.toml")
	if err == nil {
		t.Fatalf("Parse succeeded, want an error; config:\n%s", c)
	}
	if c != nil {
		t.Errorf("Parse returned a config along with error %v", err)
	}
	return err.Error()
}

func TestMinimumConfigLoadsWithExactValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "helpdesk.toml")
	if err := os.WriteFile(path, []byte(minimum), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Path != path {
		t.Errorf("Path = %q, want %q", c.Path, path)
	}
	idle := true
	want := Database{Driver: "sqlite", DSN: "/var/lib/helpdesk/helpdesk.db"}
	if c.Database != want {
		t.Errorf("Database = %+v, want %+v", c.Database, want)
	}
	if c.SMTP.Host != "127.0.0.1" || c.SMTP.Port != 587 || c.SMTP.TLS != "none" || c.SMTP.From != "Support <support@example.com>" {
		t.Errorf("SMTP = %+v", c.SMTP)
	}
	if name, email := c.SMTP.FromAddress(); name != "Support" || email != "support@example.com" {
		t.Errorf("FromAddress = %q, %q", name, email)
	}
	if c.Tickets.Tag != "HD" || c.Security.Secret != testSecret {
		t.Errorf("Tickets = %+v, secret %q", c.Tickets, c.Security.Secret)
	}
	wantIMAP := &IMAP{
		Host: "imap.example.com", Port: 993, TLS: "tls", Username: "support",
		Password: "imap-password-1", Auth: "plain", Folder: "INBOX",
		PollInterval: Duration{30 * time.Second}, IDLE: &idle, BatchSize: 200,
	}
	wantBox := []Mailbox{{Name: "support", Address: "support@example.com", Queue: "general", IMAP: wantIMAP}}
	if !reflect.DeepEqual(c.Mailboxes, wantBox) {
		t.Errorf("Mailboxes = %+v\nIMAP %+v\nwant %+v\nIMAP %+v", c.Mailboxes, c.Mailboxes[0].IMAP, wantBox, wantIMAP)
	}
	if m := c.Mailbox("support"); m == nil || m.Queue != "general" {
		t.Errorf("Mailbox(support) = %+v", m)
	}
	if c.Mailbox("sales") != nil {
		t.Error("Mailbox(sales) found a mailbox that does not exist")
	}
}

func TestKeysLeftOutTakeTheirDefaults(t *testing.T) {
	c := mustParse(t, `
[smtp]
from = "support@example.com"
[security]
secret = "`+testSecret+`"
[[mailbox]]
name = "support"
address = "support@example.com"
[[mailbox]]
name = "sales"
address = "sales@example.com"
  [mailbox.imap]
  host = "imap.example.com"
  username = "sales"
  password = "pw"
`)
	want := Default()
	if c.Database != want.Database || c.Tickets != want.Tickets || c.Outbox != want.Outbox ||
		c.Log != want.Log || !reflect.DeepEqual(c.Templates, want.Templates) {
		t.Errorf("got %+v %+v %+v %+v %+v", c.Database, c.Tickets, c.Outbox, c.Log, c.Templates)
	}
	if c.Database.Driver != "sqlite" || c.Database.DSN != "helpdesk.db" || c.Tickets.MaxMessageSize != 25<<20 ||
		c.Tickets.FirstTicketID != 1000 || c.Outbox.RetryMin.Duration != time.Minute ||
		c.Outbox.RetryMax.Duration != time.Hour || c.Outbox.GiveUpAfter.Duration != 48*time.Hour ||
		c.Outbox.BatchSize != 100 || c.Log.Level != "info" || c.Log.Format != "text" {
		t.Errorf("Default() has changed: %s", c)
	}
	if c.SMTP.Host != "localhost" || c.SMTP.Port != 587 || c.SMTP.TLS != "starttls" || c.SMTP.Timeout.Duration != 30*time.Second {
		t.Errorf("SMTP = %+v", c.SMTP)
	}
	if c.Mailboxes[0].Queue != "support" || c.Mailboxes[0].IMAP != nil {
		t.Errorf("mailbox[0] = %+v", c.Mailboxes[0])
	}
	im := c.Mailboxes[1].IMAP
	if im.Port != 993 || im.TLS != "tls" || im.Auth != "plain" || im.Folder != "INBOX" || im.ProcessedFolder != "" ||
		im.PollInterval.Duration != 30*time.Second || !im.UseIDLE() || im.BatchSize != 200 {
		t.Errorf("mailbox[1].imap = %+v", im)
	}
}

func TestPortDefaultsFollowTLS(t *testing.T) {
	for _, tc := range []struct {
		tls            string
		smtpPort, imap int
	}{
		{"tls", 465, 993},
		{"starttls", 587, 143},
		{"none", 25, 143},
	} {
		t.Run(tc.tls, func(t *testing.T) {
			c := mustParse(t, `
[smtp]
tls = "`+tc.tls+`"
from = "support@example.com"
[security]
secret = "`+testSecret+`"
[[mailbox]]
name = "support"
address = "support@example.com"
  [mailbox.imap]
  host = "imap.example.com"
  tls = "`+tc.tls+`"
  username = "u"
  password = "p"
  idle = false
`)
			if c.SMTP.Port != tc.smtpPort {
				t.Errorf("smtp port = %d, want %d", c.SMTP.Port, tc.smtpPort)
			}
			if im := c.Mailboxes[0].IMAP; im.Port != tc.imap || im.UseIDLE() {
				t.Errorf("imap port = %d idle %v, want %d and false", im.Port, im.UseIDLE(), tc.imap)
			}
		})
	}
}

func TestValidateNamesEachProblemByKey(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(c *Config)
		want   string
	}{
		{"unknown database driver", func(c *Config) { c.Database.Driver = "mysql" }, `database.driver: "mysql" must be one of sqlite, postgres`},
		{"postgres with a file name", func(c *Config) { c.Database.Driver = "postgres" }, `database.dsn: must be a PostgreSQL URL`},
		{"empty dsn", func(c *Config) { c.Database.DSN = "" }, "database.dsn: required"},
		{"negative max open conns", func(c *Config) { c.Database.MaxOpenConns = -1 }, "database.max_open_conns: must not be negative"},
		{"empty smtp host", func(c *Config) { c.SMTP.Host = "" }, "smtp.host: required"},
		{"smtp port out of range", func(c *Config) { c.SMTP.Port = 70000 }, "smtp.port: must be 1-65535"},
		{"unknown smtp tls", func(c *Config) { c.SMTP.TLS = "ssl" }, `smtp.tls: "ssl" must be one of none, starttls, tls`},
		{"missing from", func(c *Config) { c.SMTP.From = "" }, "smtp.from: required"},
		{"from that does not parse", func(c *Config) { c.SMTP.From = "Support <support@" }, "smtp.from: not a valid address"},
		{"from without domain", func(c *Config) { c.SMTP.From = "Support <support@>" }, "smtp.from: "},
		{"smtp username without password", func(c *Config) { c.SMTP.Username = "u" }, "smtp.password: required when smtp.username is set"},
		{"smtp password without username", func(c *Config) { c.SMTP.Password = "p" }, "smtp.username: required when a password is set"},
		{"smtp password given twice", func(c *Config) { c.SMTP.Username = "u"; c.SMTP.Password = "p"; c.SMTP.PasswordEnv = "X" },
			"smtp.password: set only one of password, password_env, password_file"},
		{"zero smtp timeout", func(c *Config) { c.SMTP.Timeout = Duration{} }, "smtp.timeout: must be more than 0s"},
		{"lower case tag", func(c *Config) { c.Tickets.Tag = "hd" }, "tickets.tag: must be 1 to 10 of A-Z and 0-9"},
		{"tag too long", func(c *Config) { c.Tickets.Tag = "HELPDESK123" }, "tickets.tag: "},
		{"tiny max message size", func(c *Config) { c.Tickets.MaxMessageSize = 100 }, "tickets.max_message_size: must be at least 1KiB"},
		{"first ticket id zero", func(c *Config) { c.Tickets.FirstTicketID = 0 }, "tickets.first_ticket_id: must be at least 1"},
		{"no participants per mail", func(c *Config) { c.Tickets.MaxParticipantsPerMail = 0 }, "tickets.max_participants_per_mail: must be at least 1"},
		{"no secret", func(c *Config) { c.Security.Secret = "" }, "security.secret: required (set secret, secret_env or secret_file)"},
		{"short secret", func(c *Config) { c.Security.Secret = "short" }, "security.secret: must be at least 16 bytes"},
		{"secret given twice", func(c *Config) { c.Security.SecretFile = "/run/secret" }, "security.secret: set only one of secret, secret_env, secret_file"},
		{"zero retry min", func(c *Config) { c.Outbox.RetryMin = Duration{} }, "outbox.retry_min: must be more than 0s"},
		{"retry max below retry min", func(c *Config) { c.Outbox.RetryMax = Duration{time.Second} }, "outbox.retry_max: must not be less than outbox.retry_min (1m0s)"},
		{"zero give up after", func(c *Config) { c.Outbox.GiveUpAfter = Duration{} }, "outbox.give_up_after: must be more than 0s"},
		{"zero outbox batch", func(c *Config) { c.Outbox.BatchSize = 0 }, "outbox.batch_size: must be at least 1"},
		{"no smtp connection", func(c *Config) { c.Outbox.Connections = 0 }, "outbox.connections: must be at least 1"},
		{"unknown log level", func(c *Config) { c.Log.Level = "verbose" }, `log.level: "verbose" must be one of debug, info, warn, error`},
		{"unknown log format", func(c *Config) { c.Log.Format = "xml" }, `log.format: "xml" must be one of text, json`},
		{"no mailbox", func(c *Config) { c.Mailboxes = nil }, "mailbox: at least one [[mailbox]] is required"},
		{"mailbox without name", func(c *Config) { c.Mailboxes[1].Name = "" }, "mailbox[1].name: required"},
		{"mailbox name with capitals", func(c *Config) { c.Mailboxes[1].Name = "Sales" }, `mailbox[1].name: "Sales" must be made of a-z, 0-9, _ and -`},
		{"duplicate mailbox name", func(c *Config) { c.Mailboxes[1].Name = "support" }, `mailbox[1].name: "support" is already the name of mailbox[0]`},
		{"mailbox without address", func(c *Config) { c.Mailboxes[0].Address = "" }, "mailbox[0].address: required"},
		{"mailbox address with display name", func(c *Config) { c.Mailboxes[0].Address = "Support <support@example.com>" }, "mailbox[0].address: "},
		{"mailbox address that does not parse", func(c *Config) { c.Mailboxes[0].Address = "support" }, `mailbox[0].address: "support" is not a plain address`},
		{"duplicate mailbox address", func(c *Config) { c.Mailboxes[1].Address = "SUPPORT@example.com" }, `mailbox[1].address: "SUPPORT@example.com" is already the address of mailbox[0]`},
		{"empty queue", func(c *Config) { c.Mailboxes[0].Queue = "" }, "mailbox[0].queue: required"},
		{"imap without host", func(c *Config) { c.Mailboxes[1].IMAP.Host = "" }, "mailbox[1].imap.host: required"},
		{"imap port out of range", func(c *Config) { c.Mailboxes[1].IMAP.Port = 0 }, "mailbox[1].imap.port: must be 1-65535"},
		{"unknown imap tls", func(c *Config) { c.Mailboxes[1].IMAP.TLS = "ssl" }, `mailbox[1].imap.tls: "ssl" must be one of tls, starttls, none`},
		{"imap without username", func(c *Config) { c.Mailboxes[1].IMAP.Username = "" }, "mailbox[1].imap.username: required"},
		{"unknown imap auth", func(c *Config) { c.Mailboxes[1].IMAP.Auth = "cram-md5" }, `mailbox[1].imap.auth: "cram-md5" must be one of plain, xoauth2, oauthbearer`},
		{"imap plain without password", func(c *Config) { c.Mailboxes[1].IMAP.Password = "" }, `mailbox[1].imap.password: required for auth "plain"`},
		{"imap password given twice", func(c *Config) { c.Mailboxes[1].IMAP.PasswordFile = "/run/pw" }, "mailbox[1].imap.password: set only one of password, password_env, password_file"},
		{"xoauth2 without token command", func(c *Config) { c.Mailboxes[1].IMAP.Auth = "xoauth2" }, `mailbox[1].imap.token_command: required for auth "xoauth2"`},
		{"oauthbearer without token command", func(c *Config) { c.Mailboxes[1].IMAP.Auth = "oauthbearer" }, `mailbox[1].imap.token_command: required for auth "oauthbearer"`},
		{"empty imap folder", func(c *Config) { c.Mailboxes[1].IMAP.Folder = "" }, "mailbox[1].imap.folder: required"},
		{"processed folder same as folder", func(c *Config) { c.Mailboxes[1].IMAP.ProcessedFolder = "INBOX" }, `mailbox[1].imap.processed_folder: must differ from folder "INBOX"`},
		{"poll interval under a second", func(c *Config) { c.Mailboxes[1].IMAP.PollInterval = Duration{time.Millisecond} }, "mailbox[1].imap.poll_interval: must be at least 1s"},
		{"zero imap batch", func(c *Config) { c.Mailboxes[1].IMAP.BatchSize = 0 }, "mailbox[1].imap.batch_size: must be at least 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, minimum+`
[[mailbox]]
name = "sales"
address = "sales@example.com"
  [mailbox.imap]
  host = "imap.example.com"
  username = "sales"
  password = "pw"
`)
			// The second mailbox's IMAP is the one the cases change.
			c.Mailboxes[0].IMAP = nil
			if err := c.Validate(); err != nil {
				t.Fatalf("base config does not validate: %v", err)
			}
			tc.change(c)
			err := c.Validate()
			if err == nil {
				t.Fatalf("Validate = nil, want %q", tc.want)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) != 1 {
				t.Errorf("want one problem in a *ValidationError, got %#v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestEveryProblemIsReportedAtOnce(t *testing.T) {
	msg := parseErr(t, `
[smtp]
tls = "ssl"
from = "nobody"
[tickets]
tag = "help desk"
[[mailbox]]
name = "support"
address = "support@example.com"
  [mailbox.imap]
  host = "imap.example.com"
  port = 99999
  username = "support"
  password = "pw"
  auth = "xoauth2"
[[mailbox]]
name = "support"
address = "other@example.com"
`)
	lines := strings.Split(msg, "\n")
	if len(lines) != 7 {
		t.Fatalf("got %d problems, want 7:\n%s", len(lines), msg)
	}
	for i, want := range []string{
		`helpdesk.toml:3: smtp.tls: "ssl" must be one of none, starttls, tls`,
		`helpdesk.toml:4: smtp.from: not a valid address`,
		`helpdesk.toml:6: tickets.tag: must be 1 to 10 of A-Z and 0-9`,
		// A key the file lacks is named at the line of its table.
		`helpdesk.toml:10: mailbox[0].imap.token_command: required for auth "xoauth2"`,
		`helpdesk.toml:12: mailbox[0].imap.port: must be 1-65535`,
		`helpdesk.toml:17: mailbox[1].name: "support" is already the name of mailbox[0]`,
		// A key whose table the file lacks too comes last, without a line.
		`helpdesk.toml: security.secret: required (set secret, secret_env or secret_file)`,
	} {
		if !strings.HasPrefix(lines[i], want) {
			t.Errorf("problem %d = %q, want it to start with %q; all:\n%s", i, lines[i], want, msg)
		}
	}
}

func TestSyntaxErrorNamesFileAndLine(t *testing.T) {
	msg := parseErr(t, "[smtp]\nhost = \"a\"\nport 25\n")
	if !strings.HasPrefix(msg, "helpdesk.toml:3: ") {
		t.Errorf("error = %q, want it to start with helpdesk.toml:3:", msg)
	}
	var de *toml.DecodeError
	_, err := Parse([]byte("[smtp]\nhost = \"a\"\nport 25\n"), "helpdesk.toml")
	if !errors.As(err, &de) {
		t.Errorf("error %v does not unwrap to a *toml.DecodeError", err)
	}
}

func TestValueOfTheWrongTypeNamesLineAndKey(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"string for a port", "[smtp]\nhost = \"a\"\nport = \"25\"\n", "helpdesk.toml:3: smtp.port: must be a whole number, not a string"},
		{"bad duration", "[outbox]\n\nretry_min = \"soon\"\n", `helpdesk.toml:3: outbox.retry_min: invalid duration "soon"`},
		{"duration without unit", "[outbox]\n\nretry_min = 60\n", `helpdesk.toml:3: outbox.retry_min: invalid duration: want a string such as "30s"`},
		{"bad size", "[tickets]\nmax_message_size = \"lots\"\n", `helpdesk.toml:2: tickets.max_message_size: invalid size "lots"`},
		{"fractional size", "[tickets]\nmax_message_size = 1.5\n", `helpdesk.toml:2: tickets.max_message_size: invalid size: want a whole number of bytes`},
		{"table for a string", "[smtp]\nhost = { name = \"a\" }\n", "helpdesk.toml:2: smtp.host: must be a string in quotes, not a table"},
		{"number in a list of strings", "[triage]\nblock = [\"@a.example\",\n  7]\n", "helpdesk.toml:3: triage.block[1]: must be a string in quotes, not a whole number"},
		{"one table where entries belong", "[mailbox]\nname = \"x\"\n", "helpdesk.toml:1: mailbox: must be a list of tables, not a table"},
		{"string for a bool", "[smtp]\ninsecure_skip_verify = \"yes\"\n", "helpdesk.toml:2: smtp.insecure_skip_verify: must be true or false, not a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := parseErr(t, tc.data)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error = %q, want it to contain %q", msg, tc.want)
			}
			// The default left in place of the bad value is not reported too.
			key := strings.SplitN(tc.want, ": ", 3)[1]
			if n := strings.Count(msg, ": "+key+":"); n != 1 {
				t.Errorf("%s is named %d times, want once:\n%s", key, n, msg)
			}
		})
	}
}

func TestUnknownKeysAreNamedWithFileAndLine(t *testing.T) {
	data := strings.Replace(minimum, `tls = "none"`, "tls = \"none\"\npasword = \"x\"", 1) +
		"    idel = true\n[smtpx]\nhost = \"a\"\nport = 1\n"
	msg := parseErr(t, data)
	for _, want := range []string{
		`helpdesk.toml:8: smtp.pasword: unknown key (did you mean password?)`,
		`helpdesk.toml:26: mailbox[0].imap.idel: unknown key (did you mean idle?)`,
		`helpdesk.toml:27: smtpx: unknown key (did you mean smtp?)`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not contain %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "smtpx.host") {
		t.Errorf("keys inside an unknown table are reported one by one:\n%s", msg)
	}
}

func TestUnknownKeysAndInvalidValuesAreReportedTogether(t *testing.T) {
	data := strings.Replace(minimum, "port = 587", "port = 0\nportt = 587", 1)
	data = strings.Replace(data, `tls = "none"`, `tls = "ssl"`, 1)
	msg := parseErr(t, data)
	for _, want := range []string{`helpdesk.toml:7: smtp.portt: unknown key (did you mean port?)`, `helpdesk.toml:8: smtp.tls: "ssl" must be one of`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not contain %q:\n%s", want, msg)
		}
	}
}

func TestSecretsComeFromEnvironmentAndFiles(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte(testSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEST_SMTP_PASSWORD", "smtp-pw-from-env")
	t.Setenv("TEST_IMAP_PASSWORD", "imap-pw-from-env")
	data := strings.Replace(minimum, `secret = "`+testSecret+`"`, `secret_file = "`+secretFile+`"`, 1)
	data = strings.Replace(data, `password = "imap-password-1"`, `password_env = "TEST_IMAP_PASSWORD"`, 1)
	data = strings.Replace(data, "[tickets]", "username = \"u\"\npassword_env = \"TEST_SMTP_PASSWORD\"\n[tickets]", 1)
	c := mustParse(t, data)
	if c.Security.Secret != testSecret {
		t.Errorf("secret from file = %q, want %q (trailing newline trimmed)", c.Security.Secret, testSecret)
	}
	if c.SMTP.Password != "smtp-pw-from-env" {
		t.Errorf("smtp password = %q", c.SMTP.Password)
	}
	if im := c.Mailboxes[0].IMAP; im.Password != "imap-pw-from-env" || im.PasswordEnv != "TEST_IMAP_PASSWORD" {
		t.Errorf("imap password = %q from %q", im.Password, im.PasswordEnv)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate after resolving secrets: %v", err)
	}
}

func TestSecretSourcesThatFailAreNamed(t *testing.T) {
	t.Setenv("TEST_EMPTY", "")
	missing := filepath.Join(t.TempDir(), "missing")
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"empty environment variable", `secret = "` + testSecret + `"`, `secret_env = "TEST_EMPTY"`,
			"helpdesk.toml:12: security.secret_env: environment variable TEST_EMPTY is empty or not set"},
		{"missing file", `password = "imap-password-1"`, `password_file = "` + missing + `"`,
			"helpdesk.toml:22: mailbox[0].imap.password_file: open " + missing + ": no such file or directory"},
		{"empty file", `secret = "` + testSecret + `"`, `secret_file = "` + empty + `"`,
			"helpdesk.toml:12: security.secret_file: " + empty + " is empty"},
		{"two sources", `password = "imap-password-1"`, `password = "imap-password-1"` + "\npassword_env = \"TEST_EMPTY\"",
			"helpdesk.toml:22: mailbox[0].imap.password: set only one of password, password_env, password_file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := parseErr(t, strings.Replace(minimum, tc.from, tc.to, 1))
			if msg != tc.want {
				t.Errorf("error = %q, want %q", msg, tc.want)
			}
		})
	}
}

func TestSecretsNeverAppearInErrorsOrString(t *testing.T) {
	const smtpPW, imapPW, shortSecret = "smtp-Pa55w0rd-xyz", "imap-Pa55w0rd-xyz", "sh0rtS3cr3t"
	t.Setenv("TEST_SECRET", shortSecret)
	file := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(file, []byte(imapPW+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(minimum, `secret = "`+testSecret+`"`, `secret_env = "TEST_SECRET"`, 1)
	bad = strings.Replace(bad, `password = "imap-password-1"`, `password = "`+imapPW+`"`+"\npassword_file = \""+file+`"`, 1)
	bad = strings.Replace(bad, "[tickets]", `password = "`+smtpPW+`"`+"\n[tickets]", 1)
	msg := parseErr(t, bad)
	for _, s := range []string{smtpPW, imapPW, shortSecret} {
		if strings.Contains(msg, s) {
			t.Errorf("error shows secret %q:\n%s", s, msg)
		}
	}
	for _, want := range []string{"security.secret: must be at least 16 bytes", "mailbox[0].imap.password: set only one of", "smtp.username: required"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not contain %q:\n%s", want, msg)
		}
	}

	good := strings.Replace(minimum, `password = "imap-password-1"`, `password = "`+imapPW+`"`, 1)
	good = strings.Replace(good, "[tickets]", "username = \"u\"\n"+`password = "`+smtpPW+`"`+"\n[tickets]", 1)
	c := mustParse(t, good)
	s := c.String()
	for _, secret := range []string{smtpPW, imapPW, testSecret} {
		if strings.Contains(s, secret) {
			t.Errorf("String shows secret %q:\n%s", secret, s)
		}
	}
	if !strings.Contains(s, `password = '(redacted)'`) || !strings.Contains(s, `host = 'imap.example.com'`) {
		t.Errorf("String does not show the redacted configuration:\n%s", s)
	}
	if c.Mailboxes[0].IMAP.Password != imapPW || c.SMTP.Password != smtpPW {
		t.Error("String changed the configuration it redacted")
	}
}

// decodeInto reads the TOML data into the struct v as Parse reads a file.
func decodeInto(data string, v any) error {
	doc, syntax := readDocument([]byte(data))
	if syntax != nil {
		return problems{*syntax}.err("x.toml")
	}
	d := decoder{doc: doc}
	d.table(reflect.ValueOf(v).Elem(), doc.tree, "")
	return d.ps.err("x.toml")
}

func TestSizeAcceptsUnitsAndBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Size
	}{
		{`"25MiB"`, 25 << 20},
		{`"10MB"`, 10_000_000},
		{`"512KiB"`, 512 << 10},
		{`"2 GiB"`, 2 << 30},
		{`"1kb"`, 1000},
		{`"4096"`, 4096},
		{`1048576`, 1 << 20},
	} {
		t.Run(tc.in, func(t *testing.T) {
			var v struct {
				S Size `toml:"s"`
			}
			if err := decodeInto("s = "+tc.in, &v); err != nil {
				t.Fatal(err)
			}
			if v.S != tc.want {
				t.Errorf("%s = %d, want %d", tc.in, v.S, tc.want)
			}
		})
	}
	for _, in := range []string{`"25 MiBs"`, `"MiB"`, `"-1MB"`, `-5`, `"99999999999GiB"`, `1.5`} {
		var v struct {
			S Size `toml:"s"`
		}
		if err := decodeInto("s = "+in, &v); err == nil {
			t.Errorf("%s decoded to %d, want an error", in, v.S)
		}
	}
	for s, want := range map[Size]string{25 << 20: "25MiB", 1536: "1536", 0: "0", 3 << 30: "3GiB"} {
		if got := s.String(); got != want {
			t.Errorf("Size(%d).String() = %q, want %q", int64(s), got, want)
		}
	}
}

func TestExampleFileIsCompleteAndValid(t *testing.T) {
	t.Setenv("HELPDESK_SECRET", testSecret)
	t.Setenv("HELPDESK_SMTP_PASSWORD", "smtp-password")
	t.Setenv("HELPDESK_IMAP_PASSWORD", "imap-password")
	const path = "../helpdesk.example.toml"
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(c.Mailboxes) != 2 || c.Mailboxes[0].IMAP == nil || c.Mailboxes[1].IMAP != nil {
		t.Errorf("want one IMAP mailbox and one fed by a pipe, got %+v", c.Mailboxes)
	}

	// Every key of Config appears in the example; of a secret's three keys,
	// those not set appear commented out ("# password_file = ...").
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var inFile []string
	for k := range keyLines(data) {
		inFile = append(inFile, regexp.MustCompile(`\[\d+\]`).ReplaceAllString(k, ""))
	}
	for _, key := range structKeys(reflect.TypeFor[Config](), "") {
		last := key[strings.LastIndexByte(key, '.')+1:]
		commented := regexp.MustCompile(`(?m)^\s*# ` + last + ` = `)
		isSecret := strings.HasPrefix(last, "password") || strings.HasPrefix(last, "secret") || strings.HasPrefix(last, "dsn_") ||
			strings.HasPrefix(last, "admin_")
		if !slices.Contains(inFile, key) && !(isSecret && commented.Match(data)) {
			t.Errorf("the example does not show key %q", key)
		}
	}
}

// structKeys lists the dotted TOML keys of struct type t.
func structKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for f := range t.Fields() {
		name := strings.Split(f.Tag.Get("toml"), ",")[0]
		if name == "-" || !f.IsExported() {
			continue
		}
		key := prefix + name
		keys = append(keys, key)
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[Duration]() {
			keys = append(keys, structKeys(ft, key+".")...)
		}
	}
	return keys
}

func TestLoadNamesAMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.toml")
	_, err := Load(path)
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("Load(missing) = %v, want a not-exist error naming %s", err, path)
	}
}

func TestASyntaxErrorNeverQuotesASecret(t *testing.T) {
	for _, line := range []string{"password = hunter2secret", "secret = s3cr3t-value-unquoted", `password_file = /etc/x"y`} {
		_, err := Parse([]byte("[smtp]\nhost = \"x\"\n"+line+"\n"), "x.toml")
		if err == nil {
			t.Fatalf("%q parsed", line)
		}
		value := strings.TrimSpace(strings.SplitN(line, "=", 2)[1])
		for _, part := range []string{value, value[:6]} {
			if strings.Contains(err.Error(), part) {
				t.Errorf("error %q shows part of the secret %q", err, part)
			}
		}
		if !strings.Contains(err.Error(), "x.toml:3") {
			t.Errorf("error %q lacks the file and line", err)
		}
	}
}

func TestOneRunReportsEveryKindOfProblemInFileOrder(t *testing.T) {
	const imapSecret = "imap-Secret-xyz"
	msg := parseErr(t, `[database]
dsn = "desk.db"
[smtp]
host = "mail.example.com"
port = "twenty-five"
from = "Support <support@example.com>"
timeout = "soon"
[tickets]
max_message_size = "lots"
[[mailbox]]
name = "support"
address = "support@example.com"
  [mailbox.imap]
  host = "imap.example.com"
  pasword = "`+imapSecret+`"
  port = 99999
[[rule]]
name = "invoices"
when = [{ field = "subject", op = "regex", value = "(invoice" }]
then = { queue = "billing" }
[loops]
rate_limit = -3
`)
	want := []string{
		`helpdesk.toml:5: smtp.port: must be a whole number, not a string`,
		`helpdesk.toml:7: smtp.timeout: invalid duration "soon" (write it like "30s", "5m", "1h" or "14d")`,
		`helpdesk.toml:9: tickets.max_message_size: invalid size "lots" (write it like "25MiB", "10MB" or a number of bytes)`,
		`helpdesk.toml:13: mailbox[0].imap.username: required`,
		`helpdesk.toml:13: mailbox[0].imap.password: required for auth "plain" (set password, password_env or password_file)`,
		`helpdesk.toml:15: mailbox[0].imap.pasword: unknown key (did you mean password?)`,
		`helpdesk.toml:16: mailbox[0].imap.port: must be 1-65535`,
		"helpdesk.toml:19: rule[0].when[0].value: bad regex: error parsing regexp: missing closing ): `(invoice`",
		`helpdesk.toml:20: rule[0].then.queue: no queue "billing" (queues: support; declare others with [[queue]])`,
		`helpdesk.toml:22: loops.rate_limit: must not be negative (0 turns the limit off)`,
		`helpdesk.toml: security.secret: required (set secret, secret_env or secret_file)`,
	}
	if got := strings.Split(msg, "\n"); !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", msg, strings.Join(want, "\n"))
	}
	if strings.Contains(msg, imapSecret) {
		t.Errorf("error shows the value of an unknown key, a password:\n%s", msg)
	}
}

func TestAValueOfTheWrongTypeNeverQuotesIt(t *testing.T) {
	const secret = "s3cr3t-in-a-list-xyz"
	msg := parseErr(t, strings.Replace(minimum, `secret = "`+testSecret+`"`, `secret = ["`+secret+`"]`, 1))
	if msg != "helpdesk.toml:12: security.secret: must be a string in quotes, not a list" {
		t.Errorf("error = %q", msg)
	}
}

// numbersBase is a valid file with a place in each table for one more key.
const numbersBase = `[database]
#database
[smtp]
from = "support@example.com"
#smtp
[tickets]
#tickets
[security]
secret = "` + testSecret + `"
[outbox]
#outbox
[loops]
#loops
[triage]
#triage
[[mailbox]]
name = "support"
address = "support@example.com"
  [mailbox.imap]
  host = "imap.example.com"
  username = "u"
  password = "p"
#imap
[[queue]]
name = "q"
[[rule]]
name = "r"
then = { queue = "q" }
#rule
`

func TestNumbersOutsideTheirRangeAreProblems(t *testing.T) {
	for _, tc := range []struct {
		name, table, line string
		want              string // "" when the value is accepted
	}{
		{"negative max open conns", "database", "max_open_conns = -1", "database.max_open_conns: must not be negative"},
		{"zero max open conns lets the store choose", "database", "max_open_conns = 0", ""},
		{"negative smtp port", "smtp", "port = -1", "smtp.port: must be 1-65535"},
		{"smtp port over 65535", "smtp", "port = 65536", "smtp.port: must be 1-65535"},
		{"zero smtp port follows tls", "smtp", "port = 0", ""},
		{"zero smtp timeout", "smtp", `timeout = "0s"`, "smtp.timeout: must be more than 0s"},
		{"negative smtp timeout", "smtp", `timeout = "-5s"`, `smtp.timeout: invalid duration "-5s": must not be negative`},
		{"zero max message size", "tickets", "max_message_size = 0", "tickets.max_message_size: must be at least 1KiB"},
		{"negative max message size", "tickets", "max_message_size = -1", "tickets.max_message_size: invalid size -1: must not be negative"},
		{"zero first ticket id", "tickets", "first_ticket_id = 0", "tickets.first_ticket_id: must be at least 1"},
		{"negative first ticket id", "tickets", "first_ticket_id = -5", "tickets.first_ticket_id: must be at least 1"},
		{"zero retry min", "outbox", `retry_min = "0s"`, "outbox.retry_min: must be more than 0s"},
		{"zero retry max", "outbox", `retry_max = "0s"`, "outbox.retry_max: must not be less than outbox.retry_min (1m0s)"},
		{"zero give up after", "outbox", `give_up_after = "0s"`, "outbox.give_up_after: must be more than 0s"},
		{"zero outbox batch", "outbox", "batch_size = 0", "outbox.batch_size: must be at least 1"},
		{"negative outbox batch", "outbox", "batch_size = -1", "outbox.batch_size: must be at least 1"},
		{"zero smtp connections", "outbox", "connections = 0", "outbox.connections: must be at least 1"},
		{"negative rate limit", "loops", "rate_limit = -3", "loops.rate_limit: must not be negative (0 turns the limit off)"},
		{"zero rate limit turns it off", "loops", "rate_limit = 0", ""},
		{"zero rate window", "loops", `rate_window = "0s"`, "loops.rate_window: must be more than 0s"},
		{"zero bounce hold", "loops", `bounce_hold = "0s"`, "loops.bounce_hold: must be more than 0s"},
		{"negative spam score threshold", "triage", "spam_score_threshold = -1", "triage.spam_score_threshold: must not be negative"},
		{"spam score threshold nan", "triage", "spam_score_threshold = nan", "triage.spam_score_threshold: must be a finite number"},
		{"spam score threshold inf", "triage", "spam_score_threshold = inf", "triage.spam_score_threshold: must be a finite number"},
		{"zero spam score threshold turns it off", "triage", "spam_score_threshold = 0", ""},
		{"negative duplicate window", "triage", `duplicate_window = "-1m"`, `triage.duplicate_window: invalid duration "-1m": must not be negative`},
		{"zero duplicate window turns merging off", "triage", `duplicate_window = "0s"`, ""},
		{"negative imap port", "imap", "port = -993", "mailbox[0].imap.port: must be 1-65535"},
		{"zero imap port follows tls", "imap", "port = 0", ""},
		{"zero poll interval", "imap", `poll_interval = "0s"`, "mailbox[0].imap.poll_interval: must be at least 1s"},
		{"negative poll interval", "imap", `poll_interval = "-30s"`, `mailbox[0].imap.poll_interval: invalid duration "-30s": must not be negative`},
		{"zero imap batch", "imap", "batch_size = 0", "mailbox[0].imap.batch_size: must be at least 1"},
		{"negative imap batch", "imap", "batch_size = -200", "mailbox[0].imap.batch_size: must be at least 1"},
		{"negative open tickets", "rule", `when = [{ field = "open_tickets", op = "gte", value = -1 }]`, "rule[0].when[0].value: -1 must not be negative"},
		{"negative open tickets in quotes", "rule", `when = [{ field = "open_tickets", op = "equals", value = "-2" }]`, "rule[0].when[0].value: -2 must not be negative"},
		{"zero open tickets", "rule", `when = [{ field = "open_tickets", op = "lte", value = 0 }]`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := strings.Replace(numbersBase, "#"+tc.table+"\n", tc.line+"\n", 1)
			line := strings.Count(data[:strings.Index(data, tc.line)], "\n") + 1
			c, err := Parse([]byte(data), "helpdesk.toml")
			if tc.want == "" {
				if err != nil {
					t.Errorf("Parse = %v, want it accepted", err)
				}
				return
			}
			if want := fmt.Sprintf("helpdesk.toml:%d: %s", line, tc.want); err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("Parse = %v, want %q", err, want)
			}
			if c != nil || strings.Count(err.Error(), "\n") != 0 {
				t.Errorf("want one problem and no config, got %v", err)
			}
		})
	}
}

func TestProblemsInLaterEntriesAndDottedKeysGetTheirLines(t *testing.T) {
	msg := parseErr(t, minimum+`[[mailbox]]
name = "sales"
address = "sales@example.com"
imap.host = "imap.example.com"
imap.username = "sales"
imap.password = "pw"
imap.port = 0x10000
[[mailbox]]
name = "Billing"
address = "billing@example.com"
`)
	base := strings.Count(minimum, "\n")
	want := []string{
		fmt.Sprintf("helpdesk.toml:%d: mailbox[1].imap.port: must be 1-65535", base+7),
		fmt.Sprintf(`helpdesk.toml:%d: mailbox[2].name: "Billing" must be made of a-z, 0-9, _ and -`, base+9),
	}
	if got := strings.Split(msg, "\n"); !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", msg, strings.Join(want, "\n"))
	}
}

func TestDecoderReadsUnsignedNumbersAndMaps(t *testing.T) {
	type settings struct {
		Count  uint16         `toml:"count"`
		Limits map[string]int `toml:"limits"`
	}
	var s settings
	if err := decodeInto("count = 7\nlimits = { a = 1, b = 2 }\n", &s); err != nil {
		t.Fatal(err)
	}
	if s.Count != 7 || !reflect.DeepEqual(s.Limits, map[string]int{"a": 1, "b": 2}) {
		t.Errorf("got %+v", s)
	}
	err := decodeInto("count = -1\n[limits]\na = 1\nb = \"two\"\n", &settings{})
	for _, want := range []string{"x.toml:1: count: -1 must not be negative", "x.toml:4: limits.b: must be a whole number, not a string"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error = %v, want it to contain %q", err, want)
		}
	}
}

// FuzzParse checks that no file makes Parse panic, and that a file it
// rejects is rejected with at least one problem.
func FuzzParse(f *testing.F) {
	f.Add(minimum)
	f.Add(numbersBase)
	if data, err := os.ReadFile("../helpdesk.example.toml"); err == nil {
		f.Add(string(data))
	}
	f.Add("[[a]]\n[a.b]\nc = [[1, 2], [{ d = 3 }]]\n[[a]]\n[[a.e]]\nf.g = 1\n")
	f.Fuzz(func(t *testing.T, data string) {
		c, err := Parse([]byte(data), "f.toml")
		if (c == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v: want exactly one of them", c, err)
		}
		var ve *ValidationError
		if err != nil && (!errors.As(err, &ve) || len(ve.Problems) == 0) {
			t.Fatalf("Parse error %v is not a *ValidationError with problems", err)
		}
	})
}
