package localconfig_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"helpdesk/config"
	"helpdesk/internal/localconfig"
)

func parse(t *testing.T, o localconfig.Options) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(localconfig.TOML(o)), "local.toml")
	if err != nil {
		t.Fatalf("the file does not load: %v\n%s", err, localconfig.TOML(o))
	}
	return c
}

func TestTheDefaultsMakeADeskFedByIngest(t *testing.T) {
	c := parse(t, localconfig.Options{DSN: "/tmp/x.db", SMTPPort: 2525})
	mb := c.Mailbox("support")
	switch {
	case c.Database.Driver != "sqlite" || c.Database.DSN != "/tmp/x.db":
		t.Errorf("database = %+v", c.Database)
	case c.SMTP.Host != "127.0.0.1" || c.SMTP.Port != 2525 || c.SMTP.TLS != "none" || c.SMTP.From != "Example Support <support@example.com>":
		t.Errorf("smtp = %+v", c.SMTP)
	case c.Security.Secret != localconfig.DefaultSecret:
		t.Errorf("secret = %q", c.Security.Secret)
	case len(c.Mailboxes) != 1 || mb == nil || mb.Address != "support@example.com" || mb.Queue != "general" || mb.IMAP != nil:
		t.Errorf("mailboxes = %+v", c.Mailboxes)
	case len(c.Rules) != 0:
		t.Errorf("rules = %+v", c.Rules)
	}
}

func TestEveryOptionReachesTheFile(t *testing.T) {
	t.Setenv("LOCALCONFIG_TEST_SECRET", "a secret from the environment")
	c := parse(t, localconfig.Options{
		DSN: "d.db", SMTPPort: 25, From: "Demo <help@demo.test>", SecretEnv: "LOCALCONFIG_TEST_SECRET",
		Address: "help@demo.test", Queue: "first-line",
		IMAP:  &localconfig.IMAP{Port: 1143, Username: "help", Password: "pw", PollInterval: "1h"},
		Extra: "  idle = false\n[[mailbox]]\nname = \"sales\"\naddress = \"sales@demo.test\"\n" + localconfig.TriageRules,
	})
	mb := c.Mailbox("support")
	if c.SMTP.From != "Demo <help@demo.test>" || c.Security.Secret != "a secret from the environment" || mb.Address != "help@demo.test" || mb.Queue != "first-line" {
		t.Errorf("smtp = %+v, secret %q, support = %+v", c.SMTP, c.Security.Secret, mb)
	}
	if im := mb.IMAP; im == nil || im.Host != "127.0.0.1" || im.Port != 1143 || im.TLS != "none" || im.Username != "help" ||
		im.Password != "pw" || im.PollInterval.Duration != time.Hour || im.UseIDLE() {
		t.Errorf("imap = %+v", mb.IMAP)
	}
	if c.Mailbox("sales") == nil || len(c.Rules) != 5 || !c.Triage.HeaderUrgency {
		t.Errorf("the extra TOML is missing: mailboxes %+v, %d rules", c.Mailboxes, len(c.Rules))
	}
}

func TestTheSecretMayComeFromAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte("a secret kept in a file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c := parse(t, localconfig.Options{DSN: "d.db", SMTPPort: 25, SecretFile: path}); c.Security.Secret != "a secret kept in a file" {
		t.Errorf("secret = %q", c.Security.Secret)
	}
}

func TestAPostgresURLSelectsThatDriver(t *testing.T) {
	c := parse(t, localconfig.Options{DSN: "postgres://postgres@127.0.0.1:5432/test", SMTPPort: 2525})
	if c.Database.Driver != "postgres" {
		t.Errorf("driver = %q for a postgres:// URL, want postgres", c.Database.Driver)
	}
}
