package imapwatch

import (
	"strings"
	"testing"
)

// Tokens as Google and Microsoft issue them.
const (
	googleToken = "ya29.a0AfB_byC8xQ2-Zk9lmN3pQrStUvWxYz0123456789abcdEFGH"
	jwtToken    = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
)

func TestAFailingTokenCommandLeaksNoTokenIntoTheLog(t *testing.T) {
	tests := []struct {
		name, script string
		want         []string // in the error
		secrets      []string // not in the error
	}{
		{"a helper that prints the token it got in its complaint",
			"echo 'debug: refreshed, access_token=" + googleToken + " but the mailbox scope is missing' >&2; exit 3",
			[]string{"exit status 3", "debug: refreshed", "scope is missing"}, []string{googleToken, "a0AfB_byC8xQ2"}},
		{"a helper that prints a JWT after a newline",
			"printf '\\nBearer " + jwtToken + " rejected\\n' >&2; exit 1",
			[]string{"exit status 1", "Bearer [redacted] rejected"}, []string{jwtToken, "eyJhbGciOiJSUzI1NiJ9"}},
		{"a helper that prints its token on both outputs and fails",
			"echo " + testToken + "; echo 'got " + testToken + ", then failed' >&2; exit 2",
			[]string{"exit status 2", "got [redacted], then failed"}, []string{testToken}},
		{"a helper that writes escapes and megabytes",
			"printf '\\033]0;title\\007AADSTS700082: the refresh token has expired ' >&2; head -c 3000000 /dev/zero | tr '\\0' x >&2; exit 4",
			[]string{"exit status 4", "AADSTS700082: the refresh token has expired"}, []string{"\x1b", "\x07", strings.Repeat("x", 200)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, serverConfig{})
			opts := ts.options(t, newRecorder(), newMemState())
			logger, logs := testLog(t)
			opts.Logger = logger
			opts.Auth, opts.Password = AuthXOAuth2, ""
			opts.TokenCommand = []string{"sh", "-c", tc.script}
			w, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			start(t, w)
			eventually(t, "the command's failure", func() bool {
				return strings.Contains(w.Status().LastError, "exit status")
			})
			last := w.Status().LastError
			for _, want := range tc.want {
				if !strings.Contains(last, want) {
					t.Errorf("error %q lacks %q", last, want)
				}
			}
			for _, secret := range tc.secrets {
				if strings.Contains(last, secret) || strings.Contains(logs.String(), secret) {
					t.Errorf("error %q (or the log) contains %q", last, secret)
				}
			}
			if len(last) > 400 {
				t.Errorf("error of %d bytes, want it bounded", len(last))
			}
		})
	}
}
