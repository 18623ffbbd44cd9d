package desk_test

import (
	"fmt"
	"strings"
	"testing"

	"helpdesk/config"
	"helpdesk/mailin"
	"helpdesk/tickets"
)

// senderHarness is a desk whose config has more added: keys for
// [security] (after its secret), and whole tables after the mailboxes.
func senderHarness(t *testing.T, security, tables string) *harness {
	t.Helper()
	h := newHarness(t)
	h.desk.Close()
	text := baseTOML(testDSN(t), h.sink.Port())
	text = strings.Replace(text, "[security]\n", "[security]\n"+security+"\n", 1)
	cfg, err := config.Parse([]byte(text+tables), "sender.toml")
	if err != nil {
		t.Fatal(err)
	}
	h.open(cfg)
	return h
}

// trusting is the [security] line of a desk that believes mx.example.com.
const trusting = `trusted_authserv_ids = ["mx.example.com"]`

// mailWith is a customer's mail with extra header fields on top, as the
// receiving mail servers add them (the topmost is the newest).
func mailWith(id, from, subject string, top ...string) string {
	head := ""
	for _, f := range top {
		head += f + "\r\n"
	}
	return head + customer(id, from, subject, "Please help.")
}

func (h *harness) ticket(id int64) *tickets.Ticket {
	h.t.Helper()
	tk, err := h.desk.Store.Ticket(h.ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return tk
}

func verifiedIs(v *bool, want bool) bool { return v != nil && *v == want }

func TestAForgedFromGetsATicketButNoAcknowledgement(t *testing.T) {
	for _, tc := range []struct {
		name string
		top  []string
		why  string
	}{
		{"no Authentication-Results at all", nil, "no Authentication-Results from a trusted server"},
		{"a pass from a server the desk does not trust", []string{
			"Authentication-Results: evil.test; dmarc=pass header.from=victim.test",
		}, "no Authentication-Results from a trusted server"},
		{"a forged pass in the trusted server's name below its real fail", []string{
			"Authentication-Results: mx.example.com; dkim=none; spf=fail smtp.mailfrom=victim.test; dmarc=fail (p=reject) header.from=victim.test",
			"Received: from attacker.test (attacker.test [203.0.113.66]) by mx.example.com with ESMTP; Mon, 2 Mar 2026 09:00:00 +0000",
			"Authentication-Results: mx.example.com; dmarc=pass header.from=victim.test",
		}, "dmarc=fail header.from=victim.test"},
		{"a DKIM signature of the attacker's own domain", []string{
			"Authentication-Results: mx.example.com; dkim=pass header.d=attacker.test; spf=pass smtp.mailfrom=attacker.test",
		}, "no dmarc, dkim or spf pass for victim.test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := senderHarness(t, trusting, "")
			out := h.deliver("support", mailWith("forged@attacker.test", "Victim <victim@victim.test>", "Win a prize at https://spam.example.com/x", tc.top...))
			if !out.Created {
				t.Fatalf("outcome %+v, want a new ticket", out)
			}
			if st := h.flush(); st.Sent != 0 {
				t.Errorf("sent %d mails to a forged From, want none", st.Sent)
			}
			tk := h.ticket(out.TicketID)
			if !verifiedIs(tk.SenderVerified, false) {
				t.Errorf("sender_verified = %v, want false", tk.SenderVerified)
			}
			if !hasEventLike(h.events(out.TicketID), tickets.EventNotAnswered, "the sender is not verified ("+tc.why) {
				t.Errorf("no not_answered event saying %q: %+v", tc.why, h.events(out.TicketID))
			}
		})
	}
}

func TestAVerifiedSenderIsAnswered(t *testing.T) {
	for _, tc := range []struct {
		name string
		top  []string
	}{
		{"dmarc pass", []string{"Authentication-Results: mx.example.com; dkim=pass header.d=customer.test; dmarc=pass (p=none) header.from=customer.test"}},
		{"no DMARC policy, aligned DKIM from a subdomain", []string{"Authentication-Results: mx.example.com; dkim=pass header.d=mail.customer.test; dmarc=none header.from=customer.test"}},
		{"no DMARC result, aligned SPF", []string{"Authentication-Results: MX.EXAMPLE.COM 1; spf=pass (sender IP is 203.0.113.7) smtp.mailfrom=bounce@customer.test"}},
		{"DKIM and DMARC in separate fields of the trusted server", []string{
			"Authentication-Results: mx.example.com; dmarc=pass header.from=customer.test",
			"Authentication-Results: mx.example.com; dkim=pass header.d=customer.test",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := senderHarness(t, trusting, "")
			out := h.deliver("support", mailWith("ok@customer.test", "Alice <alice@customer.test>", "Invoice question at https://customer.test/inv/1", tc.top...))
			if st := h.flush(); st.Sent != 1 {
				t.Fatalf("sent %d, want the acknowledgement; events %+v", st.Sent, h.events(out.TicketID))
			}
			if sent := h.sent(); sent[0].rcpt[0] != "alice@customer.test" || !strings.Contains(sent[0].subject, "https://customer.test/inv/1") {
				t.Errorf("acknowledgement to %v with subject %q, want alice and her subject as written", sent[0].rcpt, sent[0].subject)
			}
			if tk := h.ticket(out.TicketID); !verifiedIs(tk.SenderVerified, true) {
				t.Errorf("sender_verified = %v, want true", tk.SenderVerified)
			}
		})
	}
}

func TestAReplyToInAnUnverifiedDomainIsNotAnswered(t *testing.T) {
	h := senderHarness(t, trusting, "")
	pass := "Authentication-Results: mx.example.com; dkim=pass header.d=customer.test; dmarc=pass header.from=customer.test"
	raw := strings.Replace(mailWith("rt1@customer.test", "alice@customer.test", "Help", pass),
		"To: Support", "Reply-To: victim@elsewhere.test\r\nTo: Support", 1)
	out := h.deliver("support", raw)
	h.flush()
	sent := h.sent()
	if len(sent) != 1 || sent[0].rcpt[0] != "alice@customer.test" {
		t.Fatalf("sent %+v, want one acknowledgement to the verified From", sent)
	}
	if tk := h.ticket(out.TicketID); tk.Requester.Email != "alice@customer.test" {
		t.Errorf("requester %s, want the verified From", tk.Requester.Email)
	}
	if !hasEventLike(h.events(out.TicketID), tickets.EventNotAnswered, "reply-to victim@elsewhere.test not answered") {
		t.Errorf("no event says why the Reply-To was passed over: %+v", h.events(out.TicketID))
	}

	// A Reply-To in the From's own organization is answered.
	raw = strings.Replace(mailWith("rt2@customer.test", "alice@customer.test", "Help again", pass),
		"To: Support", "Reply-To: Helpdesk Team <team@eu.customer.test>\r\nTo: Support", 1)
	h.deliver("support", raw)
	h.flush()
	if sent := h.sent(); len(sent) != 2 || sent[1].rcpt[0] != "team@eu.customer.test" {
		t.Errorf("sent %+v, want the second acknowledgement to the Reply-To", sent)
	}
}

func TestWithoutTrustedServersTheDeskAnswersAsBefore(t *testing.T) {
	h := newHarness(t)
	out := h.deliver("support", mailWith("unchecked@victim.test", "victim@victim.test", "Hello",
		"Authentication-Results: mx.example.com; dmarc=fail header.from=victim.test"))
	if st := h.flush(); st.Sent != 1 {
		t.Errorf("sent %d, want the acknowledgement as without sender checks", st.Sent)
	}
	if tk := h.ticket(out.TicketID); tk.SenderVerified != nil {
		t.Errorf("sender_verified = %v, want unknown (nil) when nothing is checked", *tk.SenderVerified)
	}
}

// The acknowledgement to an address nobody verified quotes the subject
// capped and without links: it must not carry a spammer's URL to a victim.
func TestAnUnverifiedAcknowledgementQuotesNoLinks(t *testing.T) {
	h := newHarness(t)
	subject := "Claim your prize now at https://win.example.com/claim?id=1 or bit.ly/3xYz or www.prize.test " + strings.Repeat("really ", 20)
	out := h.deliver("support", customer("spam1@victim.test", "victim@victim.test", subject, "Visit https://win.example.com/more today."))
	h.flush()
	sent := h.sink.Mails()
	if len(sent) != 1 {
		t.Fatalf("sent %d mails, want the acknowledgement", len(sent))
	}
	m, err := mailin.Parse(sent[0].Data, mailin.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{m.Subject, m.Text, m.HTML} {
		for _, link := range []string{"win.example.com", "bit.ly", "prize.test", "https://"} {
			if strings.Contains(part, link) {
				t.Errorf("the acknowledgement carries %q:\n%s", link, part)
			}
		}
	}
	if !strings.Contains(m.Text, "Claim your prize now at [link removed]") {
		t.Errorf("the acknowledgement does not quote the defanged subject:\n%s", m.Text)
	}
	if strings.Contains(m.Subject, strings.Repeat("really ", 10)) {
		t.Errorf("the subject is not capped: %q", m.Subject)
	}
	// The ticket itself keeps the subject as written, for the agents.
	if tk := h.ticket(out.TicketID); !strings.Contains(tk.Subject, "https://win.example.com/claim?id=1") {
		t.Errorf("ticket subject %q, want it as written", tk.Subject)
	}
}

func TestPlusTagsDoNotMultiplyTheRateLimit(t *testing.T) {
	for _, tc := range []struct {
		name string
		addr func(i int) string
	}{
		{"plus-tags", func(i int) string { return fmt.Sprintf("victim+%d@a.test", i) }},
		{"dots and plus-tags at Gmail", func(i int) string {
			return []string{"victim", "v.ictim", "vic.t.im"}[i%3] + fmt.Sprintf("+x%d@", i) + []string{"gmail.com", "googlemail.com"}[i%2]
		}},
		{"upper case", func(i int) string { return strings.Repeat("V", i%2) + strings.Repeat("v", 1-i%2) + "ictim@A.test" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			var last int64
			for i := range 8 {
				last = h.deliver("support", customer(fmt.Sprintf("pt%d@x.test", i), tc.addr(i), fmt.Sprintf("Question %d", i), fmt.Sprintf("text %d", i))).TicketID
			}
			if st := h.flush(); st.Sent != 5 {
				t.Errorf("sent %d acknowledgements to one mailbox within the hour, want 5", st.Sent)
			}
			if !hasEventLike(h.events(last), tickets.EventRateLimited, "rate limit: ") {
				t.Errorf("no rate_limited event on the last ticket: %+v", h.events(last))
			}
		})
	}
}

func TestUnverifiedMailIsRateLimitedPerDomainAndPerSource(t *testing.T) {
	const limits = "[loops]\ndomain_rate_limit = 3\nsource_rate_limit = 4\n"
	received := func(ip string) string {
		return "Received: from relay.test (relay.test [" + ip + "]) by mx.example.com with ESMTP; Mon, 2 Mar 2026 09:00:00 +0000"
	}

	t.Run("many addresses at one domain", func(t *testing.T) {
		h := senderHarness(t, "", limits)
		var last int64
		for i := range 5 {
			last = h.deliver("support", mailWith(fmt.Sprintf("d%d@x.test", i), fmt.Sprintf("user%d@sub%d.bigcorp.co.uk", i, i), "Hi", received(fmt.Sprintf("203.0.113.%d", i+1)))).TicketID
		}
		if st := h.flush(); st.Sent != 3 {
			t.Errorf("sent %d to one organization, want 3", st.Sent)
		}
		if !hasEventLike(h.events(last), tickets.EventRateLimited, "unverified addresses at bigcorp.co.uk") {
			t.Errorf("no rate_limited event naming the domain: %+v", h.events(last))
		}
	})

	t.Run("many domains from one source", func(t *testing.T) {
		h := senderHarness(t, "", limits)
		var last int64
		for i := range 6 {
			// One IPv6 /64, a different address each time.
			last = h.deliver("support", mailWith(fmt.Sprintf("s%d@x.test", i), fmt.Sprintf("someone@victim%d.test", i), "Hi", received(fmt.Sprintf("IPv6:2001:db8:7:1::%x", i+1)))).TicketID
		}
		if st := h.flush(); st.Sent != 4 {
			t.Errorf("sent %d in answer to one source, want 4", st.Sent)
		}
		if !hasEventLike(h.events(last), tickets.EventRateLimited, "unverified mail from 2001:db8:7:1::/64") {
			t.Errorf("no rate_limited event naming the source: %+v", h.events(last))
		}
	})

	t.Run("verified senders do not count against either", func(t *testing.T) {
		h := senderHarness(t, trusting, limits)
		for i := range 6 {
			h.deliver("support", mailWith(fmt.Sprintf("v%d@x.test", i), fmt.Sprintf("user%d@bigcorp.co.uk", i), "Hi",
				"Authentication-Results: mx.example.com; dmarc=pass header.from=bigcorp.co.uk", received("203.0.113.9")))
		}
		if st := h.flush(); st.Sent != 6 {
			t.Errorf("sent %d to six verified senders of one domain and source, want 6", st.Sent)
		}
	})

	t.Run("zero turns them off", func(t *testing.T) {
		h := senderHarness(t, "", "[loops]\ndomain_rate_limit = 0\nsource_rate_limit = 0\n")
		for i := range 35 {
			h.deliver("support", mailWith(fmt.Sprintf("z%d@x.test", i), fmt.Sprintf("user%d@bigcorp.co.uk", i), "Hi", received("203.0.113.9")))
		}
		if st := h.flush(); st.Sent != 35 {
			t.Errorf("sent %d, want 35 with the domain and source limits off", st.Sent)
		}
	})
}

func TestAnUnverifiedReplyGetsNoReopenedNotice(t *testing.T) {
	h := senderHarness(t, trusting, "")
	pass := "Authentication-Results: mx.example.com; dmarc=pass header.from=customer.test"
	out := h.deliver("support", mailWith("open1@customer.test", "alice@customer.test", "Broken", pass))
	h.flush()
	tk := h.ticket(out.TicketID)
	tk.Status = tickets.StatusResolved
	if err := h.desk.Store.InTx(h.ctx, func(tx tickets.Tx) error { return tx.UpdateTicket(h.ctx, tk) }); err != nil {
		t.Fatal(err)
	}
	// Someone else writes in Alice's name, with the ticket's tag.
	forged := fmt.Sprintf("Re: [%s] Broken", out.Ref)
	reply := h.deliver("support", mailWith("forged-reply@attacker.test", "alice@customer.test", forged,
		"Authentication-Results: mx.example.com; dmarc=fail header.from=customer.test"))
	if reply.TicketID != out.TicketID || !reply.Reopened {
		t.Fatalf("reply %+v, want it on %s, reopening it", reply, out.Ref)
	}
	if st := h.flush(); st.Sent != 0 {
		t.Errorf("sent %d reopened notices for an unverified reply, want none", st.Sent)
	}
	if !hasEventLike(h.events(out.TicketID), tickets.EventNotAnswered, "reopened not sent: the sender is not verified") {
		t.Errorf("no event says why: %+v", h.events(out.TicketID))
	}
}

// No automatic mail goes to the requester of a ticket whose first mail
// failed the checks, whatever later causes one.
func TestAnUnverifiedRequesterGetsNoNoticeLater(t *testing.T) {
	h := senderHarness(t, trusting, "")
	out := h.deliver("support", mailWith("forged2@attacker.test", "victim@victim.test", "Broken",
		"Authentication-Results: mx.example.com; dmarc=fail header.from=victim.test"))
	tk := h.ticket(out.TicketID)
	tk.Status = tickets.StatusResolved
	if err := h.desk.Store.InTx(h.ctx, func(tx tickets.Tx) error { return tx.UpdateTicket(h.ctx, tk) }); err != nil {
		t.Fatal(err)
	}
	reply := h.deliver("support", mailWith("reply2@victim.test", "victim@victim.test", "Re: ["+out.Ref+"] Broken",
		"Authentication-Results: mx.example.com; dmarc=pass header.from=victim.test"))
	if !reply.Reopened {
		t.Fatalf("reply %+v, want it to reopen %s", reply, out.Ref)
	}
	if st := h.flush(); st.Sent != 0 {
		t.Errorf("sent %d notices to an unverified requester, want none", st.Sent)
	}
	if !hasEventLike(h.events(out.TicketID), tickets.EventNotAnswered, "reopened not sent: the requester's address is not verified") {
		t.Errorf("no event says why: %+v", h.events(out.TicketID))
	}
}
