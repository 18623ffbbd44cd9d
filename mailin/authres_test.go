package mailin

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func TestParseAuthResults(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  AuthResults
	}{
		{"no authentication done, with a version (RFC 8601 B.2)", "example.org 1; none",
			AuthResults{AuthServID: "example.org"}},
		{"one spf result (RFC 8601 B.3)", "example.com; spf=pass smtp.mailfrom=example.net",
			AuthResults{AuthServID: "example.com", Results: []AuthResult{
				{Method: "spf", Result: "pass", Props: []AuthProp{{"smtp", "mailfrom", "example.net"}}},
			}}},
		{"two dkim results with comments (RFC 8601 B.6)",
			"example.com;\r\n  dkim=pass (good signature) header.i=@mail-router.example.net;\r\n  dkim=fail (bad signature) header.i=@newyork.example.com",
			AuthResults{AuthServID: "example.com", Results: []AuthResult{
				{Method: "dkim", Result: "pass", Props: []AuthProp{{"header", "i", "@mail-router.example.net"}}},
				{Method: "dkim", Result: "fail", Props: []AuthProp{{"header", "i", "@newyork.example.com"}}},
			}}},
		{"comments everywhere the grammar allows (RFC 8601 B.7)",
			"foo.example.net (foobar) 1 (baz);\r\n    dkim (Because I like it) / 1 (One yay) = (wait for it) fail\r\n      policy (A dot can go here) . (like that) expired\r\n      (this surprised me) = (as I wasn't expecting it) 1362471462",
			AuthResults{AuthServID: "foo.example.net", Results: []AuthResult{
				{Method: "dkim", Result: "fail", Props: []AuthProp{{"policy", "expired", "1362471462"}}},
			}}},
		{"Gmail's field, with a comment holding ';' and '='",
			"mx.google.com;\r\n       dkim=pass header.i=@example.com header.s=20230601 header.b=Ab1+cD/e;\r\n       spf=pass (google.com: domain of alice@example.com designates 203.0.113.7 as permitted sender; x=y) smtp.mailfrom=alice@example.com;\r\n       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com",
			AuthResults{AuthServID: "mx.google.com", Results: []AuthResult{
				{Method: "dkim", Result: "pass", Props: []AuthProp{{"header", "i", "@example.com"}, {"header", "s", "20230601"}, {"header", "b", "Ab1+cD/e"}}},
				{Method: "spf", Result: "pass", Props: []AuthProp{{"smtp", "mailfrom", "alice@example.com"}}},
				{Method: "dmarc", Result: "pass", Props: []AuthProp{{"header", "from", "example.com"}}},
			}}},
		{"a reason, a quoted local part, upper case, a trailing ';'",
			`MX.Example.COM; DKIM=Fail reason="signature verification failed" header.d=example.com; spf=softfail smtp.mailfrom="john doe"@example.net;`,
			AuthResults{AuthServID: "MX.Example.COM", Results: []AuthResult{
				{Method: "dkim", Result: "fail", Reason: "signature verification failed", Props: []AuthProp{{"header", "d", "example.com"}}},
				{Method: "spf", Result: "softfail", Props: []AuthProp{{"smtp", "mailfrom", "john doe@example.net"}}},
			}}},
		{"a quoted authserv-id", `"mx.example.com"; dmarc=pass header.from=example.org`,
			AuthResults{AuthServID: "mx.example.com", Results: []AuthResult{
				{Method: "dmarc", Result: "pass", Props: []AuthProp{{"header", "from", "example.org"}}},
			}}},
		{"Microsoft's key=value without a ptype is skipped",
			"mx.example.com; dmarc=pass action=none header.from=example.org;compauth=pass reason=100",
			AuthResults{AuthServID: "mx.example.com", Results: []AuthResult{
				{Method: "dmarc", Result: "pass", Props: []AuthProp{{"header", "from", "example.org"}}},
				{Method: "compauth", Result: "pass", Reason: "100"},
			}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAuthResults(tc.value)
			if err != nil {
				t.Fatalf("ParseAuthResults(%q): %v", tc.value, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseAuthResults(%q)\n got %+v\nwant %+v", tc.value, got, tc.want)
			}
		})
	}
}

func TestParseAuthResultsRefusesWhatIsNotInTheGrammar(t *testing.T) {
	for _, v := range []string{
		"",
		"   (only a comment)",
		"example.com 2; dkim=pass header.d=example.com", // a version that does not exist
		"example.com; dkim=pass (unclosed comment header.d=example.com",
		"example.com; dkim header.d=example.com",
		"example.com; dkim=",
		`example.com; dkim=pass header.d="unclosed`,
		"example.com dkim=pass header.d=example.com",                                                        // no ';'
		"spf=pass (sender IP is 203.0.113.7) smtp.mailfrom=example.com; dmarc=pass header.from=example.com", // no authserv-id
	} {
		if got, err := ParseAuthResults(v); err == nil {
			t.Errorf("ParseAuthResults(%q) = %+v, want an error", v, got)
		}
	}
}

func header(fields ...string) Header {
	h := Header{}
	for _, f := range fields {
		k, v, _ := strings.Cut(f, ": ")
		h[k] = append(h[k], v)
	}
	return h
}

func TestTrustedAuthResultsReadsOnlyTrustedServersTopmostFirst(t *testing.T) {
	h := header(
		"Authentication-Results: mx.example.com; dmarc=fail header.from=victim.test",
		"Authentication-Results: attacker.test; dkim=pass header.d=victim.test",
		"Authentication-Results: filter.example.com; dkim=pass header.d=other.test",
		"Authentication-Results: MX.example.com; dmarc=pass header.from=victim.test; spf=pass smtp.mailfrom=victim.test",
		"Authentication-Results: mx.example.com; this is not parseable",
	)
	got := TrustedAuthResults(h, []string{"mx.example.com", "filter.example.com"})
	want := []AuthResult{
		{Method: "dmarc", Result: "fail", Props: []AuthProp{{"header", "from", "victim.test"}}},
		{Method: "dkim", Result: "pass", Props: []AuthProp{{"header", "d", "other.test"}}},
		// The lower mx.example.com field adds spf, but its dmarc=pass
		// does not override the topmost dmarc=fail.
		{Method: "spf", Result: "pass", Props: []AuthProp{{"smtp", "mailfrom", "victim.test"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("TrustedAuthResults\n got %+v\nwant %+v", got, want)
	}
	if got := TrustedAuthResults(h, nil); got != nil {
		t.Errorf("with nothing trusted: %+v, want none", got)
	}
}

func TestVerifySender(t *testing.T) {
	trusted := []string{"mx.example.com"}
	alice := Address{Email: "Alice@Customer.test"}
	tests := []struct {
		name         string
		fields       []string
		from         Address
		replyTo      []Address
		fromVerified bool
		verified     []string
		why          string
	}{
		{"no trusted field", []string{"Authentication-Results: evil.test; dmarc=pass header.from=customer.test"},
			alice, nil, false, nil, "no Authentication-Results from a trusted server"},
		{"dmarc pass", []string{"Authentication-Results: mx.example.com; dmarc=pass (p=reject) header.from=customer.test"},
			alice, nil, true, []string{"alice@customer.test"}, "dmarc=pass header.from=customer.test"},
		{"dmarc fail beats an aligned dkim pass", []string{"Authentication-Results: mx.example.com; dkim=pass header.d=customer.test; dmarc=fail header.from=customer.test"},
			alice, nil, false, nil, "dmarc=fail header.from=customer.test"},
		{"dmarc temperror is not a pass", []string{"Authentication-Results: mx.example.com; dmarc=temperror header.from=customer.test; spf=pass smtp.mailfrom=customer.test"},
			alice, nil, false, nil, "dmarc=temperror"},
		{"a dmarc result about another From is not about this one", []string{"Authentication-Results: mx.example.com; dmarc=pass header.from=evil.test"},
			alice, nil, false, nil, "no dmarc, dkim or spf pass for customer.test"},
		{"dmarc none falls back on an aligned dkim pass from a subdomain", []string{"Authentication-Results: mx.example.com; dmarc=none header.from=customer.test; dkim=pass header.d=mail.customer.test"},
			alice, nil, true, []string{"alice@customer.test"}, "dkim=pass header.d=mail.customer.test"},
		{"no dmarc, aligned spf", []string{"Authentication-Results: mx.example.com; spf=pass smtp.mailfrom=bounces@customer.test"},
			alice, nil, true, []string{"alice@customer.test"}, "spf=pass"},
		{"no dmarc, dkim of a third party does not align", []string{"Authentication-Results: mx.example.com; dkim=pass header.d=mailer.test; spf=pass smtp.mailfrom=mailer.test"},
			alice, nil, false, nil, "no dmarc, dkim or spf pass"},
		{"a public suffix is no organization", []string{"Authentication-Results: mx.example.com; dkim=pass header.d=evil.co.uk"},
			Address{Email: "bob@victim.co.uk"}, nil, false, nil, "no dmarc"},
		{"a Reply-To in the From's organization is answered",
			[]string{"Authentication-Results: mx.example.com; dmarc=pass header.from=customer.test"},
			alice, []Address{{Email: "help@eu.customer.test"}}, true, []string{"alice@customer.test", "help@eu.customer.test"}, "dmarc=pass"},
		{"a Reply-To in another domain that did not pass is not",
			[]string{"Authentication-Results: mx.example.com; dmarc=pass header.from=customer.test"},
			alice, []Address{{Email: "victim@elsewhere.test"}}, true, []string{"alice@customer.test"}, "dmarc=pass"},
		{"a Reply-To in another domain that passed dkim itself is",
			[]string{"Authentication-Results: mx.example.com; dmarc=pass header.from=shop.test; dkim=pass header.d=shop.test; dkim=pass header.d=customer.test"},
			Address{Email: "forms@shop.test"}, []Address{alice}, true, []string{"forms@shop.test", "alice@customer.test"}, "dmarc=pass"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := VerifySender(header(tc.fields...), trusted, tc.from, tc.replyTo)
			if v.FromVerified != tc.fromVerified || !reflect.DeepEqual(v.Verified, tc.verified) || !strings.Contains(v.Why, tc.why) {
				t.Errorf("VerifySender = %+v, want from verified %v, verified %v, why containing %q", v, tc.fromVerified, tc.verified, tc.why)
			}
		})
	}
}

func TestOrganizationalDomain(t *testing.T) {
	for in, want := range map[string]string{
		"mail.example.com":   "example.com",
		"a.b.example.co.uk":  "example.co.uk",
		"Example.COM.":       "example.com",
		"customer.test":      "customer.test",
		"x.customer.test":    "customer.test",
		"alice.github.io":    "alice.github.io",
		"localhost":          "localhost",
		"":                   "",
		"sub.example.com.au": "example.com.au",
	} {
		if got := OrganizationalDomain(in); got != want {
			t.Errorf("OrganizationalDomain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConnectingIP(t *testing.T) {
	tests := []struct {
		name   string
		fields []string
		want   string
	}{
		{"Postfix behind a local content filter",
			[]string{
				"Received: from localhost (localhost [127.0.0.1]) by mx.example.com (Postfix) with ESMTP id 1; Mon, 2 Mar 2026 09:00:01 +0000",
				"Received: from mail.customer.test (mail.customer.test [203.0.113.7]) by mx.example.com (Postfix) with ESMTPS id 2; Mon, 2 Mar 2026 09:00:00 +0000",
				"Received: from [198.51.100.99] by forged.test; Mon, 2 Mar 2026 08:00:00 +0000",
			}, "203.0.113.7"},
		{"Gmail: an internal hop without a from clause, then the external one",
			[]string{
				"Received: by 2002:a05:6a10:1234:b0:5a1:2b3c:4d5e with SMTP id x; Mon, 2 Mar 2026 09:00:01 -0800 (PST)",
				"Received: from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) by mx.google.com with SMTPS id y; Mon, 2 Mar 2026 09:00:00 -0800 (PST)",
			}, "209.85.220.41"},
		{"an IPv6 literal", []string{"Received: from mx.customer.test ([IPv6:2001:db8:1::25]) by mx.example.com with ESMTPS; Mon, 2 Mar 2026 09:00:00 +0000"}, "2001:db8:1::25"},
		{"Microsoft writes it in parentheses", []string{"Received: from AM0PR01MB1234.eurprd01.prod.exchangelabs.com (2603:10a6:208:af::26) by AM0PR01MB5678.eurprd01.prod.exchangelabs.com with HTTPS; Mon, 2 Mar 2026 09:00:00 +0000"}, "2603:10a6:208:af::26"},
		{"only private hops", []string{"Received: from relay (relay [10.0.0.5]) by mx.example.com; Mon, 2 Mar 2026 09:00:00 +0000"}, ""},
		{"an address after by is not the sender's", []string{"Received: from unknown by mx.example.com ([203.0.113.1]); Mon, 2 Mar 2026 09:00:00 +0000"}, ""},
		{"no Received at all", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ConnectingIP(header(tc.fields...))
			want := netip.Addr{}
			if tc.want != "" {
				want = netip.MustParseAddr(tc.want)
			}
			if got != want {
				t.Errorf("ConnectingIP = %v, want %v", got, want)
			}
		})
	}
}

func FuzzParseAuthResults(f *testing.F) {
	for _, s := range []string{
		"example.org 1; none",
		"mx.google.com; dkim=pass header.i=@example.com header.s=x; spf=pass (c; d) smtp.mailfrom=a@example.com; dmarc=pass header.from=example.com",
		`foo.example.net (foobar) 1 (baz); dkim (x) / 1 (y) = (z) fail policy (a) . (b) expired (c) = (d) 1362471462`,
		`"x"; a=b c.d="e\"f"@g`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		ar, err := ParseAuthResults(v)
		if err != nil {
			return
		}
		if ar.AuthServID == "" {
			t.Errorf("parsed %q without an authserv-id", v)
		}
		for _, r := range ar.Results {
			if r.Method == "" || r.Result == "" {
				t.Errorf("parsed %q into a result without method or result: %+v", v, r)
			}
		}
	})
}
