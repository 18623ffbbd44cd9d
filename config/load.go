package config

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
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
	// A first pass keeps every value raw, to find syntax errors and, later, the
	// line of an unknown key.
	var raw map[string]toml.Primitive
	rawMeta, err := toml.Decode(string(data), &raw)
	if err != nil {
		return nil, problems{redactSecret(decodeProblem(err, false), data)}.err(name)
	}

	c := Default()
	meta, err := toml.Decode(string(data), c)
	if err != nil {
		return nil, problems{redactSecret(decodeProblem(err, true), data)}.err(name)
	}

	var ps problems
	for _, key := range unknownKeys(meta.Undecoded()) {
		ps = append(ps, Problem{
			Line: keyLine(rawMeta, raw, key),
			Msg:  fmt.Sprintf("unknown key %q", key.String()),
		})
	}
	c.fillDerived()
	c.resolveSecrets(&ps, os.Getenv, os.ReadFile)
	if err := c.Validate(); err != nil {
		var ve *ValidationError
		if !errors.As(err, &ve) {
			return nil, err
		}
		ps = append(ps, ve.Problems...)
	}
	if err := ps.err(name); err != nil {
		return nil, err
	}
	return c, nil
}

// typeErrRE matches the plain errors the toml decoder returns for a value of
// the wrong type: `toml: line 5 (last key "smtp.port"): incompatible types: ...`.
var typeErrRE = regexp.MustCompile(`^toml: (?:line (\d+) )?(?:\(last key "(.*?)"\): )?(.*)$`)

// decodeProblem turns an error of the toml package into a Problem with its line.
// withKey names the key being decoded (a value error) rather than the key last
// parsed (a syntax error, where that key is often not the culprit).
func decodeProblem(err error, withKey bool) Problem {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		p := Problem{Line: pe.Position.Line, Msg: pe.Message, Err: err}
		if withKey {
			p.Key = pe.LastKey
		}
		return p
	}
	if m := typeErrRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{Line: line, Key: m[2], Msg: m[3], Err: err}
	}
	return Problem{Msg: err.Error(), Err: err}
}

// redactSecret keeps a secret out of a syntax error: the TOML library
// quotes the text it could not read, which on a line such as
// `password = hunter2` is the password itself.
func redactSecret(p Problem, data []byte) Problem {
	lines := strings.Split(string(data), "\n")
	if p.Line < 1 || p.Line > len(lines) {
		return p
	}
	key, _, ok := strings.Cut(lines[p.Line-1], "=")
	key = strings.ToLower(strings.Trim(strings.TrimSpace(key), `"'`))
	if ok && (strings.Contains(key, "password") || strings.Contains(key, "secret") || strings.Contains(key, "token")) {
		p.Msg = fmt.Sprintf("the value of %s cannot be read (write it in quotes: %s = \"...\")", key, key)
		p.Err = nil
	}
	return p
}

// unknownKeys returns the undecoded keys, leaving out those inside a table
// already reported (an unknown [table] is one problem, not one per key), and
// repeats of a key (the same key in two [[mailbox]] entries).
func unknownKeys(undecoded []toml.Key) []toml.Key {
	var out []toml.Key
	seen := map[string]bool{}
outer:
	for _, k := range undecoded {
		for _, o := range out {
			if len(o) < len(k) && slices.Equal(o, k[:len(o)]) {
				continue outer
			}
		}
		if s := k.String(); !seen[s] {
			seen[s] = true
			out = append(out, k)
		}
	}
	return out
}

// lineProbe fails every decode, so that the toml package reports the position
// of the value it was asked to decode.
type lineProbe struct{}

func (*lineProbe) UnmarshalTOML(any) error { return errors.New("probe") }

// keyLine returns the line where key is defined, or 0. The toml package keeps
// key positions private but reports them in errors, so keyLine walks down to
// the key through raw values and asks for it to be decoded into a type that
// always fails. For a key inside an array of tables, the last entry that has
// the key wins.
func keyLine(md toml.MetaData, root map[string]toml.Primitive, key toml.Key) int {
	cur, ok := root[key[0]]
	if !ok {
		return 0
	}
	for _, k := range key[1:] {
		var table map[string]toml.Primitive
		if err := md.PrimitiveDecode(cur, &table); err == nil && len(table) > 0 {
			if cur, ok = table[k]; !ok {
				return 0
			}
			continue
		}
		var tables []map[string]toml.Primitive
		if err := md.PrimitiveDecode(cur, &tables); err != nil {
			return 0
		}
		found := false
		for i := len(tables) - 1; i >= 0 && !found; i-- {
			cur, found = tables[i][k]
		}
		if !found {
			return 0
		}
	}
	var pe toml.ParseError
	if errors.As(md.PrimitiveDecode(cur, &lineProbe{}), &pe) {
		return pe.Position.Line
	}
	return 0
}

// resolveSecrets fills each secret from its *_env or *_file key. Setting more
// than one source is left to Validate to report.
func (c *Config) resolveSecrets(ps *problems, getenv func(string) string, readFile func(string) ([]byte, error)) {
	r := secretResolver{ps: ps, getenv: getenv, readFile: readFile}
	r.resolve("smtp", "password", &c.SMTP.Password, c.SMTP.PasswordEnv, c.SMTP.PasswordFile, &c.SMTP.passwordResolved)
	r.resolve("security", "secret", &c.Security.Secret, c.Security.SecretEnv, c.Security.SecretFile, &c.Security.secretResolved)
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
