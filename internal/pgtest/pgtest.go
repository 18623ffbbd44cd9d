// Package pgtest gives each test a PostgreSQL database of its own on the
// server that runs on every development and CI machine of the project
// (127.0.0.1:5432, trust authentication, user postgres; another server
// through $HELPDESK_TEST_POSTGRES, a URL to its postgres database):
// NewDatabase creates hd_test_<random> and drops it when the test ends.
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
	Require(t)
	var b [6]byte
	rand.Read(b[:])
	name := "hd_test_" + hex.EncodeToString(b[:])
	if err := admin(func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, "CREATE DATABASE "+name)
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
	u, err := url.Parse(AdminURL())
	if err != nil {
		t.Fatalf("%s: %v", EnvURL, err)
	}
	u.Path = "/" + name
	return u.String()
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
