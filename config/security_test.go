package config

import (
	"slices"
	"strings"
	"testing"
)

// senderChecks is a config with the sender checks and loop limits set.
const senderChecks = `[smtp]
from = "support@example.com"
[security]
secret = "` + testSecret + `"
trusted_authserv_ids = ["mx.example.com", "filter.example.com"]
[loops]
domain_rate_limit = 12
source_rate_limit = 0
[[mailbox]]
name = "support"
address = "support@example.com"
`

func TestSenderChecksAndLoopLimitsLoad(t *testing.T) {
	c := mustParse(t, senderChecks)
	if !slices.Equal(c.Security.TrustedAuthservIDs, []string{"mx.example.com", "filter.example.com"}) {
		t.Errorf("trusted_authserv_ids = %q", c.Security.TrustedAuthservIDs)
	}
	if c.Loops.DomainRateLimit != 12 || c.Loops.SourceRateLimit != 0 || c.Loops.RateLimit != 5 {
		t.Errorf("loops = %+v, want domain 12, source 0 (off), rate_limit its default 5", c.Loops)
	}
}

func TestSenderChecksAndLoopLimitsDefault(t *testing.T) {
	c := mustParse(t, strings.NewReplacer(
		`trusted_authserv_ids = ["mx.example.com", "filter.example.com"]`, "",
		"domain_rate_limit = 12\n", "", "source_rate_limit = 0\n", "").Replace(senderChecks))
	if len(c.Security.TrustedAuthservIDs) != 0 {
		t.Errorf("trusted_authserv_ids defaults to %q, want none", c.Security.TrustedAuthservIDs)
	}
	if c.Loops.DomainRateLimit != 100 || c.Loops.SourceRateLimit != 100 {
		t.Errorf("loops = %+v, want domain and source limits 100", c.Loops)
	}
}

func TestSenderChecksAndLoopLimitsAreValidated(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(c *Config)
		want   string
	}{
		{"negative domain limit", func(c *Config) { c.Loops.DomainRateLimit = -1 }, "loops.domain_rate_limit: must not be negative (0 turns the limit off)"},
		{"negative source limit", func(c *Config) { c.Loops.SourceRateLimit = -3 }, "loops.source_rate_limit: must not be negative (0 turns the limit off)"},
		{"empty authserv-id", func(c *Config) { c.Security.TrustedAuthservIDs[1] = "" }, "security.trusted_authserv_ids[1]: must not be empty"},
		{"a whole header given as authserv-id", func(c *Config) {
			c.Security.TrustedAuthservIDs[0] = "mx.example.com; dmarc=pass"
		}, `security.trusted_authserv_ids[0]: "mx.example.com; dmarc=pass" is not an authserv-id`},
		{"the same server twice", func(c *Config) { c.Security.TrustedAuthservIDs[1] = "MX.example.com" }, `security.trusted_authserv_ids[1]: "MX.example.com" is already trusted_authserv_ids[0]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, senderChecks)
			tc.change(c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
