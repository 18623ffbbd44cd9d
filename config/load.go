package config

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
)

// Load reads the configuration file at path: the defaults of Default, then the
// file, then the secrets named by *_env and *_file keys, then Validate. On error
// it returns nil and, for anything wrong in the file, a *ValidationError that
// lists every problem, each naming path and, where known, the line.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	c, err := Parse(data, path)
	if err != nil {
		return nil, err
	}
	c.Path = path
	return c, nil
}

// Parse is Load for a configuration already in memory; name is used in error
// messages in place of the file name.
func Parse(data []byte, name string) (*Config, error) {
	doc, syntax := readDocument(data)
	if syntax != nil {
		return nil, problems{*syntax}.err(name)
	}

	c := Default()
	d := decoder{doc: doc}
	d.table(reflect.ValueOf(c).Elem(), doc.tree, "")
	ps := d.ps
	c.fillDerived()
	c.resolveSecrets(&ps, os.Getenv, os.ReadFile)
	if err := c.Validate(); err != nil {
		var ve *ValidationError
		if !errors.As(err, &ve) {
			return nil, err
		}
		for _, p := range ve.Problems {
			if !d.hides(p.Key) {
				ps = append(ps, p)
			}
		}
	}
	for i := range ps {
		if ps[i].Line == 0 {
			ps[i].Line = doc.line(ps[i].Key)
		}
	}
	// In the order of the file; what the file does not have (a required key
	// of a missing table) last, in the order of the Config fields.
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Compare(lineOrLast(a.Line), lineOrLast(b.Line))
	})
	if err := ps.err(name); err != nil {
		return nil, err
	}
	return c, nil
}

func lineOrLast(line int) int {
	if line == 0 {
		return math.MaxInt
	}
	return line
}

// redactSecret replaces the message of a syntax error on a line that sets a
// password, secret or token by one that does not quote the value: the parser
// quotes the text it could not read, which on a line such as
// `password = hunter2` is the password itself.
func redactSecret(p Problem, data []byte) Problem {
	lines := strings.Split(string(data), "\n")
	if p.Line < 1 || p.Line > len(lines) {
		return p
	}
	key, _, ok := strings.Cut(lines[p.Line-1], "=")
	key = strings.ToLower(strings.Trim(strings.TrimSpace(key), `"'`))
	if ok && (strings.Contains(key, "password") || strings.Contains(key, "secret") || strings.Contains(key, "token") || strings.Contains(key, "dsn")) {
		p.Msg = fmt.Sprintf("the value of %s cannot be read (write it in quotes: %s = \"...\")", key, key)
		p.Err = nil
	}
	return p
}

// resolveSecrets fills each secret from its *_env or *_file key. Setting more
// than one source is left to Validate to report.
func (c *Config) resolveSecrets(ps *problems, getenv func(string) string, readFile func(string) ([]byte, error)) {
	r := secretResolver{ps: ps, getenv: getenv, readFile: readFile}
	r.resolve("database", "dsn", &c.Database.DSN, c.Database.DSNEnv, c.Database.DSNFile, &c.Database.dsnResolved)
	r.resolve("smtp", "password", &c.SMTP.Password, c.SMTP.PasswordEnv, c.SMTP.PasswordFile, &c.SMTP.passwordResolved)
	r.resolve("security", "secret", &c.Security.Secret, c.Security.SecretEnv, c.Security.SecretFile, &c.Security.secretResolved)
	r.resolve("http", "admin_token", &c.HTTP.AdminToken, c.HTTP.AdminTokenEnv, c.HTTP.AdminTokenFile, &c.HTTP.adminTokenResolved)
	for i := range c.Mailboxes {
		if im := c.Mailboxes[i].IMAP; im != nil {
			r.resolve(fmt.Sprintf("mailbox[%d].imap", i), "password", &im.Password, im.PasswordEnv, im.PasswordFile, &im.passwordResolved)
		}
	}
}

type secretResolver struct {
	ps       *problems
	getenv   func(string) string
	readFile func(string) ([]byte, error)
}

// resolve fills *value from the environment variable env or the file file.
// Problems name the key and never the secret.
func (r secretResolver) resolve(section, name string, value *string, env, file string, resolved *bool) {
	if countSet(*value, env, file) != 1 || *value != "" {
		return
	}
	switch {
	case env != "":
		v := r.getenv(env)
		if v == "" {
			r.ps.add(section+"."+name+"_env", "environment variable %s is empty or not set", env)
			return
		}
		*value = v
	case file != "":
		b, err := r.readFile(file)
		if err != nil {
			*r.ps = append(*r.ps, Problem{Key: section + "." + name + "_file", Msg: err.Error(), Err: err})
			return
		}
		v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if v == "" {
			r.ps.add(section+"."+name+"_file", "%s is empty", file)
			return
		}
		*value = v
	}
	*resolved = true
}

// countSet returns how many of vs are not empty.
func countSet(vs ...string) int {
	n := 0
	for _, v := range vs {
		if v != "" {
			n++
		}
	}
	return n
}
