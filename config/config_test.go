package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
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
		c.Log != want.Log || c.Templates != want.Templates {
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
		{"unknown database driver", func(c *Config) { c.Database.Driver = "mysql" }, `database.driver: "mysql" must be one of sqlite`},
		{"postgres is not there yet", func(c *Config) { c.Database.Driver = "postgres" }, `database.driver: "postgres" is not supported yet; use "sqlite"`},
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
	for _, want := range []string{
		`helpdesk.toml: smtp.tls: "ssl" must be one of none, starttls, tls`,
		`helpdesk.toml: smtp.from: not a valid address`,
		`helpdesk.toml: tickets.tag: must be 1 to 10 of A-Z and 0-9`,
		`helpdesk.toml: security.secret: required (set secret, secret_env or secret_file)`,
		`helpdesk.toml: mailbox[0].imap.port: must be 1-65535`,
		`helpdesk.toml: mailbox[0].imap.token_command: required for auth "xoauth2"`,
		`helpdesk.toml: mailbox[1].name: "support" is already the name of mailbox[0]`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not contain %q:\n%s", want, msg)
		}
	}
	if n := strings.Count(msg, "\n") + 1; n != 7 {
		t.Errorf("got %d lines, want 7:\n%s", n, msg)
	}
}

func TestSyntaxErrorNamesFileAndLine(t *testing.T) {
	msg := parseErr(t, "[smtp]\nhost = \"a\"\nport 25\n")
	if !strings.HasPrefix(msg, "helpdesk.toml:3: ") {
		t.Errorf("error = %q, want it to start with helpdesk.toml:3:", msg)
	}
	var pe toml.ParseError
	_, err := Parse([]byte("[smtp]\nhost = \"a\"\nport 25\n"), "helpdesk.toml")
	if !errors.As(err, &pe) {
		t.Errorf("error %v does not unwrap to a toml.ParseError", err)
	}
}

func TestValueOfTheWrongTypeNamesLineAndKey(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"string for a port", "[smtp]\nhost = \"a\"\nport = \"25\"\n", "helpdesk.toml:3: smtp.port: "},
		{"bad duration", "[outbox]\n\nretry_min = \"soon\"\n", `helpdesk.toml:3: outbox.retry_min: invalid duration "soon"`},
		{"bad size", "[tickets]\nmax_message_size = \"lots\"\n", `helpdesk.toml:2: tickets.max_message_size: invalid size "lots"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if msg := parseErr(t, tc.data); !strings.HasPrefix(msg, tc.want) {
				t.Errorf("error = %q, want it to start with %q", msg, tc.want)
			}
		})
	}
}

func TestUnknownKeysAreNamedWithFileAndLine(t *testing.T) {
	data := strings.Replace(minimum, `tls = "none"`, "tls = \"none\"\npasword = \"x\"", 1) +
		"    idel = true\n[smtpx]\nhost = \"a\"\nport = 1\n"
	msg := parseErr(t, data)
	for _, want := range []string{
		`helpdesk.toml:8: unknown key "smtp.pasword"`,
		`helpdesk.toml:26: unknown key "mailbox.imap.idel"`,
		`helpdesk.toml:27: unknown key "smtpx"`,
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
	for _, want := range []string{`unknown key "smtp.portt"`, `smtp.tls: "ssl" must be one of`} {
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
			"security.secret_env: environment variable TEST_EMPTY is empty or not set"},
		{"missing file", `password = "imap-password-1"`, `password_file = "` + missing + `"`,
			"mailbox[0].imap.password_file: open " + missing + ": no such file or directory"},
		{"empty file", `secret = "` + testSecret + `"`, `secret_file = "` + empty + `"`,
			"security.secret_file: " + empty + " is empty"},
		{"two sources", `password = "imap-password-1"`, `password = "imap-password-1"` + "\npassword_env = \"TEST_EMPTY\"",
			"mailbox[0].imap.password: set only one of password, password_env, password_file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := parseErr(t, strings.Replace(minimum, tc.from, tc.to, 1))
			if msg != "helpdesk.toml: "+tc.want {
				t.Errorf("error = %q, want %q", msg, "helpdesk.toml: "+tc.want)
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
	if !strings.Contains(s, `password = "(redacted)"`) || !strings.Contains(s, `host = "imap.example.com"`) {
		t.Errorf("String does not show the redacted configuration:\n%s", s)
	}
	if c.Mailboxes[0].IMAP.Password != imapPW || c.SMTP.Password != smtpPW {
		t.Error("String changed the configuration it redacted")
	}
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
			if _, err := toml.Decode("s = "+tc.in, &v); err != nil {
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
		if _, err := toml.Decode("s = "+in, &v); err == nil {
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
	var anything map[string]any
	md, err := toml.Decode(string(data), &anything)
	if err != nil {
		t.Fatal(err)
	}
	var inFile []string
	for _, k := range md.Keys() {
		inFile = append(inFile, k.String())
	}
	for _, key := range structKeys(reflect.TypeFor[Config](), "") {
		last := key[strings.LastIndexByte(key, '.')+1:]
		commented := regexp.MustCompile(`(?m)^\s*# ` + last + ` = `)
		isSecret := strings.HasPrefix(last, "password") || strings.HasPrefix(last, "secret")
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
