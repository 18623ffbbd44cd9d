package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// postgresConfig is a minimal config on PostgreSQL; database is the
// [database] table's body.
func postgresConfig(database string) string {
	return "[database]\ndriver = \"postgres\"\n" + database + `
[smtp]
from = "support@example.com"
[security]
secret = "` + testSecret + `"
[[mailbox]]
name = "support"
address = "support@example.com"
`
}

const pgPassword = "pg-pass-Xy7"

func TestPostgresURLComesFromTheFileTheEnvironmentOrAFile(t *testing.T) {
	url := "postgres://helpdesk:" + pgPassword + "@db.example.com:5432/helpdesk?sslmode=require"
	t.Setenv("HD_TEST_DATABASE_URL", url)
	file := filepath.Join(t.TempDir(), "database-url")
	if err := os.WriteFile(file, []byte(url+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, table string }{
		{"dsn", `dsn = "` + url + `"`},
		{"dsn_env", `dsn_env = "HD_TEST_DATABASE_URL"`},
		{"dsn_file", `dsn_file = "` + file + `"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, postgresConfig(tc.table))
			if c.Database.Driver != "postgres" || c.Database.DSN != url {
				t.Errorf("database = %+v, want the URL", c.Database)
			}
			if name := c.Database.Name(); name != "postgres://helpdesk@db.example.com:5432/helpdesk?sslmode=require" {
				t.Errorf("Name() = %q, want the URL without its password", name)
			}
			if s := c.String(); strings.Contains(s, pgPassword) || !strings.Contains(s, "db.example.com") {
				t.Errorf("String shows the password, or not the database:\n%s", s)
			}
		})
	}
}

func TestDatabaseProblemsNeverQuoteTheURL(t *testing.T) {
	for _, tc := range []struct{ name, table, want string }{
		{"a file name for postgres", `dsn = "helpdesk.db"`, "database.dsn: must be a PostgreSQL URL"},
		{"no dsn at all", `dsn = ""`, "database.dsn: required (set dsn, dsn_env or dsn_file)"},
		{"a URL with no host", `dsn = "postgres://u:` + pgPassword + `@/db"`, "database.dsn: is not a readable PostgreSQL URL"},
		{"a URL that does not parse", `dsn = "postgres://u:` + pgPassword + `@h:port/db"`, "database.dsn: is not a readable PostgreSQL URL"},
		{"two sources", `dsn = "postgres://u:` + pgPassword + `@h/db"` + "\ndsn_env = \"HOME\"", "database.dsn: set only one of dsn, dsn_env, dsn_file"},
		{"an empty variable", `dsn_env = "HD_TEST_UNSET_VARIABLE"`, "database.dsn_env: environment variable HD_TEST_UNSET_VARIABLE is empty or not set"},
		{"an unquoted URL", `dsn = postgres://u:` + pgPassword + `@h/db`, "the value of dsn cannot be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := parseErr(t, postgresConfig(tc.table))
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error = %s\nwant it to contain %q", msg, tc.want)
			}
			if strings.Contains(msg, pgPassword) {
				t.Errorf("error shows the password:\n%s", msg)
			}
		})
	}
}

func TestAPostgresURLWithTheSQLiteDriverIsCaught(t *testing.T) {
	msg := parseErr(t, strings.Replace(postgresConfig(`dsn = "postgres://u:`+pgPassword+`@h/db"`), `driver = "postgres"`, `driver = "sqlite"`, 1))
	if !strings.Contains(msg, `database.dsn: is a PostgreSQL URL: set driver = "postgres" to use it`) || strings.Contains(msg, pgPassword) {
		t.Errorf("error = %s", msg)
	}
}
