package imapwatch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-sasl"
)

// tokenCommandTimeout bounds one run of Options.TokenCommand.
const tokenCommandTimeout = time.Minute

// xoauth2Client is the XOAUTH2 SASL mechanism of Google and Microsoft
// (https://developers.google.com/gmail/imap/xoauth2-protocol).
type xoauth2Client struct {
	username, token string
}

func (a *xoauth2Client) Start() (mech string, ir []byte, err error) {
	return "XOAUTH2", []byte("user=" + a.username + "\x01auth=Bearer " + a.token + "\x01\x01"), nil
}

// Next receives the server's error, a JSON object (status, schemes, scope),
// sent as a challenge when the token is refused. It carries no secret.
func (a *xoauth2Client) Next(challenge []byte) ([]byte, error) {
	return nil, fmt.Errorf("xoauth2 authentication refused: %s", bytes.TrimSpace(challenge))
}

// login authenticates c with the configured mechanism. The error names the
// user and the mechanism, never the password or the token.
func (s *session) login(ctx context.Context) error {
	o := &s.w.opts
	var err error
	switch o.Auth {
	case AuthPlain:
		if s.c.Caps().Has(imap.CapLoginDisabled) {
			err = s.c.Authenticate(sasl.NewPlainClient("", o.Username, o.Password))
		} else {
			err = s.c.Login(o.Username, o.Password).Wait()
		}
	case AuthXOAuth2, AuthOAuthBearer:
		s.disarm() // the token command has its own timeout
		token, terr := runTokenCommand(ctx, o.TokenCommand)
		s.arm()
		if terr != nil {
			return fmt.Errorf("getting access token for %s: %w", o.Username, terr)
		}
		var client sasl.Client
		if o.Auth == AuthXOAuth2 {
			client = &xoauth2Client{username: o.Username, token: token}
		} else {
			client = sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{
				Username: o.Username, Token: token, Host: o.Host, Port: o.Port,
			})
		}
		err = s.c.Authenticate(client)
	}
	if err != nil {
		return fmt.Errorf("logging in as %s (%s): %w", o.Username, o.Auth, err)
	}
	return nil
}

// What is kept of a token command's output: a token fits in maxTokenOut
// (a JWT is a few kilobytes); its error output is read for a first line.
const (
	maxTokenOut    = 64 << 10
	maxTokenErrOut = 4 << 10
	maxTokenErrLen = 160 // characters of the first line that go into the error
)

// runTokenCommand runs argv and returns its trimmed standard output. On
// failure the error gives the exit status and, from standard error (where
// token helpers write their complaints), a bounded, redacted first line:
// helpers print tokens there too, in debug output, and the error is logged.
func runTokenCommand(ctx context.Context, argv []string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, tokenCommandTimeout)
	defer cancel()
	stdout, stderr := &cappedBuffer{max: maxTokenOut}, &cappedBuffer{max: maxTokenErrOut}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		if line := tokenErrorLine(stderr.String(), stdout.String()); line != "" {
			return "", fmt.Errorf("running token command %s: %w: %s", argv[0], err, line)
		}
		return "", fmt.Errorf("running token command %s: %w", argv[0], err)
	}
	if stdout.over {
		return "", fmt.Errorf("running token command %s: output over %d bytes", argv[0], maxTokenOut)
	}
	token := strings.TrimSpace(stdout.String())
	if token == "" {
		return "", fmt.Errorf("running token command %s: %w", argv[0], errors.New("empty output"))
	}
	return token, nil
}

// cappedBuffer keeps the first max bytes written to it and drops the rest,
// so that a runaway command cannot fill the memory.
type cappedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room < len(p) {
		b.over = true
		b.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

// secretLike matches runs of the characters of tokens (base64, base64url,
// JWT dots, "ya29." and "1//" prefixes) long enough to be one.
var secretLike = regexp.MustCompile(`[A-Za-z0-9._~+/=-]{16,}`)

// tokenErrorLine returns the first non-empty line of a token command's
// error output, fit for a log: every run that may be a secret (long, and
// with a digit or both cases, or very long) and anything the command
// printed on standard output replaced by "[redacted]", control characters
// replaced by spaces, and at most maxTokenErrLen characters.
func tokenErrorLine(stderr, stdout string) string {
	line := ""
	for l := range strings.Lines(stderr) {
		if line = strings.TrimSpace(l); line != "" {
			break
		}
	}
	for _, out := range strings.Fields(stdout) {
		if len(out) >= 8 {
			line = strings.ReplaceAll(line, out, "[redacted]")
		}
	}
	line = secretLike.ReplaceAllStringFunc(line, func(run string) string {
		digit := strings.ContainsAny(run, "0123456789")
		mixed := strings.ToLower(run) != run && strings.ToUpper(run) != run
		if digit || mixed || len(run) >= 40 {
			return "[redacted]"
		}
		return run
	})
	line = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, line)
	if r := []rune(line); len(r) > maxTokenErrLen {
		line = string(r[:maxTokenErrLen]) + "..."
	}
	return line
}

var _ sasl.Client = (*xoauth2Client)(nil)
