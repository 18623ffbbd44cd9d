package imapwatch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

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

// runTokenCommand runs argv and returns its trimmed standard output. On
// failure the error quotes the first line of standard error (token helpers
// write their complaints there), never standard output.
func runTokenCommand(ctx context.Context, argv []string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, tokenCommandTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		line, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
		if len(line) > 200 {
			line = line[:200]
		}
		if line != "" {
			return "", fmt.Errorf("running token command %s: %w: %s", argv[0], err, line)
		}
		return "", fmt.Errorf("running token command %s: %w", argv[0], err)
	}
	token := strings.TrimSpace(stdout.String())
	if token == "" {
		return "", fmt.Errorf("running token command %s: %w", argv[0], errors.New("empty output"))
	}
	return token, nil
}

var _ sasl.Client = (*xoauth2Client)(nil)
