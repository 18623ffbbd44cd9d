// Package pgtest gives each test a PostgreSQL database of its own on the
// server that runs on every development and CI machine of the project
// (127.0.0.1:5432, trust authentication, user postgres; another server
// through $HELPDESK_TEST_POSTGRES, a URL to its postgres database):
// NewDatabase creates hd_test_<random> and drops it when the test ends; a
// Template's NewDatabase creates it as a copy of a database made once.
//
// A test that needs PostgreSQL skips, saying why, when no server answers;
// under CI=true it fails instead, so that a CI run cannot pass without
// having run it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable that points the tests at another server.
const EnvURL = "HELPDESK_TEST_POSTGRES"

const defaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// AdminURL is the URL of the server's maintenance database, from which
// test databases are created.
func AdminURL() string {
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	return defaultURL
}

var available struct {
	once sync.Once
	err  error
}

// Available says why the server cannot be used, or nil.
func Available() error {
	available.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, AdminURL())
		if err != nil {
			available.err = fmt.Errorf("no PostgreSQL server for the tests (start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, or set %s): %w", EnvURL, err)
			return
		}
		c.Close(ctx)
	})
	return available.err
}

// Require skips t when no PostgreSQL server answers, or fails it under CI=true.
func Require(t testing.TB) {
	t.Helper()
	err := Available()
	if err == nil {
		return
	}
	if on, _ := strconv.ParseBool(os.Getenv("CI")); on {
		t.Fatalf("CI=%s: the PostgreSQL tests must run here, but %v", os.Getenv("CI"), err)
	}
	t.Skip(err)
}

// NewDatabase creates an empty database for t and returns its URL; it is
// dropped when t ends, connections still open to it included.
func NewDatabase(t testing.TB) string {
	t.Helper()
	return newDatabase(t, "")
}

// newDatabase creates a database for t, a copy of template when it is
// not "" (else of the server's template1, empty).
func newDatabase(t testing.TB, template string) string {
	t.Helper()
	Require(t)
	name := randomName()
	create := "CREATE DATABASE " + name
	if template != "" {
		create += " TEMPLATE " + template
	}
	if err := admin(func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, create)
		return err
	}); err != nil {
		t.Fatalf("creating the test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := admin(func(ctx context.Context, c *pgx.Conn) error {
			_, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			return err
		}); err != nil {
			t.Errorf("dropping the test database %s: %v", name, err)
		}
	})
	u, err := databaseURL(name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func randomName() string {
	var b [6]byte
	rand.Read(b[:])
	return "hd_test_" + hex.EncodeToString(b[:])
}

// databaseURL is the URL of the database name on the tests' server.
func databaseURL(name string) (string, error) {
	u, err := url.Parse(AdminURL())
	if err != nil {
		return "", fmt.Errorf("%s: %w", EnvURL, err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// Template is a database that test databases are copied from (CREATE
// DATABASE ... TEMPLATE), made once by its setup: a database already
// migrated, say, which a test gets in a fraction of the time that
// migrating a new one takes. Drop it when the tests are done (TestMain).
type Template struct {
	setup func(url string) error
	once  sync.Once
	name  string // "" until made
	err   error
}

// NewTemplate returns a template that setup, given the URL of a new
// empty database, fills on first use; setup must close its connections.
func NewTemplate(setup func(url string) error) *Template {
	return &Template{setup: setup}
}

// NewDatabase creates a copy of the template for t and returns its URL;
// it is dropped when t ends, as with the package's NewDatabase.
func (tp *Template) NewDatabase(t testing.TB) string {
	t.Helper()
	Require(t)
	tp.once.Do(func() {
		name := randomName()
		if err := admin(func(ctx context.Context, c *pgx.Conn) error {
			_, err := c.Exec(ctx, "CREATE DATABASE "+name)
			return err
		}); err != nil {
			tp.err = fmt.Errorf("creating the template database %s: %w", name, err)
			return
		}
		tp.name = name
		u, err := databaseURL(name)
		if err == nil {
			err = tp.setup(u)
		}
		if err != nil {
			tp.err = fmt.Errorf("setting up the template database %s: %w", name, err)
		}
	})
	if tp.err != nil {
		t.Fatal(tp.err)
	}
	return newDatabase(t, tp.name)
}

// Drop drops the template's database, if it was made.
func (tp *Template) Drop() error {
	if tp.name == "" {
		return nil
	}
	return admin(func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+tp.name+" WITH (FORCE)")
		return err
	})
}

func admin(fn func(context.Context, *pgx.Conn) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	return fn(ctx, c)
}
